"""HTML and Markdown for answers, citations and documents, with every piece of document text escaped.

Document text and questions are untrusted: a source file may contain ``<script>`` or ``<img onerror=...>``.
Everything that comes from a document or a user goes through :func:`esc` (for gr.HTML) or :func:`md_text`
(for the chat's Markdown) before it meets any markup we add. gr.HTML also treats its value as a template
(``${...}``, ``{{...}}``), so those characters are escaped as entities too.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from kb.types import Answer, Citation, Passage

_TEMPLATE_CHARS = str.maketrans({"{": "&#123;", "}": "&#125;", "$": "&#36;", "`": "&#96;", "\\": "&#92;"})
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#!|~$])")
_MARKER = re.compile(r"(\[\d+\])")

NOT_COVERED = "The documents don’t cover this."


def esc(text: object) -> str:
    """Text -> HTML that displays exactly that text and can execute nothing."""
    return html.escape(str(text), quote=True).translate(_TEMPLATE_CHARS)


def md_text(text: str) -> str:
    """Text -> Markdown that renders literally (no tags, links, emphasis, math)."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def answer_markdown(text: str, abstained: bool = False, citations: Sequence[Citation] = ()) -> str:
    """The chat bubble: escaped answer text with styled ``[n]`` markers and a short source list."""
    parts = []
    for piece in _MARKER.split(text):
        if _MARKER.fullmatch(piece):
            parts.append(f'<sup class="kb-cite">{piece}</sup>')
        elif piece:
            parts.append(md_text(piece))
    body = "".join(parts)
    if abstained:
        body = f"**{md_text(NOT_COVERED)}** " + body
    if citations:
        items = "<br>".join(
            f'<span class="kb-cite">[{c.n}]</span> {esc(c.title or c.source)} '
            f'<span class="kb-file">· {esc(c.source)}</span>'
            for c in citations
        )
        body += f'\n\n<div class="kb-sources-inline">{items}</div>'
    return body


def note_markdown(text: str, icon: str = "ℹ️") -> str:
    """A friendly system note in the chat (errors, index still building)."""
    return f'<span class="kb-note">{icon} {md_text(text)}</span>'


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    n: int


def _highlight(text: str, offset: int, spans: Iterable[Span], focus: int | None = None) -> str:
    """Escape ``text`` (which starts at ``offset`` in its document) and wrap the spans in <mark>."""
    out: list[str] = []
    pos = 0
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        start, end = max(span.start - offset, pos), min(span.end - offset, len(text))
        if end <= start:
            continue
        out.append(esc(text[pos:start]))
        ident = ' id="kb-focus"' if focus == span.n else ""
        out.append(f'<mark class="kb-mark" data-n="{span.n}"{ident}>{esc(text[start:end])}'
                   f'<sup class="kb-cite">[{span.n}]</sup></mark>')
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


def _window(text: str, offset: int, start: int, end: int, context: int = 260) -> tuple[str, int]:
    """The part of a passage around the cited span (whole words), so the highlight is always in view."""
    lo = max(0, start - offset - context)
    hi = min(len(text), end - offset + context)
    if lo > 0:  # start at a sentence (or at least a word) boundary
        stop = text.find(". ", lo, start - offset)
        space = text.find(" ", lo, start - offset)
        lo = stop + 2 if stop >= 0 else (space + 1 if space >= 0 else lo)
    if hi < len(text):
        space = text.rfind(" ", end - offset, hi)
        hi = space if space > 0 else hi
    return text[lo:hi], offset + lo


def passage_for(citation: Citation, passages: Sequence[Passage]) -> Passage | None:
    """The retrieved passage that contains the cited sentence (citations carry document offsets)."""
    for p in passages:
        if p.source == citation.source and p.start <= citation.start and citation.end <= p.end:
            return p
    return None


def _meta(source: str, date: str | None, score: float | None, show_scores: bool) -> str:
    bits = [f'<span class="kb-file">{esc(source)}</span>']
    if date:
        bits.append(f'<span class="kb-date">{esc(date)}</span>')
    if show_scores and score is not None:
        bits.append(f'<span class="kb-score">score {score:.3f}</span>')
    return " · ".join(bits)


def sources_html(answer: Answer | None, show_scores: bool = True) -> str:
    """The sources panel: one card per citation with the cited sentence highlighted in its passage."""
    if answer is None:
        return ('<div class="kb-empty">Sources appear here: each citation with its document, date and the '
                'passage it comes from.</div>')
    if answer.abstained or not answer.citations:
        return (f'<div class="kb-empty kb-abstained"><b>{esc(NOT_COVERED)}</b><br>No passage was close enough '
                'to answer from. Try rephrasing, or add a document that covers it.</div>')
    cards = []
    for c in answer.citations:
        passage = passage_for(c, answer.passages)
        if passage is not None:
            spans = [Span(o.start, o.end, o.n) for o in answer.citations
                     if o.source == passage.source and passage.start <= o.start and o.end <= passage.end]
            text, offset = _window(passage.text, passage.start, c.start, c.end)
            body = _highlight(text, offset, spans)
            if offset > passage.start:
                body = "… " + body
            if offset + len(text) < passage.end:
                body += " …"
            score = passage.score
        else:
            body = _highlight(c.text, c.start, [Span(c.start, c.end, c.n)])
            score = c.score
        cards.append(
            f'<div class="kb-card" data-n="{c.n}">'
            f'<div class="kb-card-head"><span class="kb-badge">{c.n}</span>'
            f'<span class="kb-title">{esc(c.title or c.source)}</span></div>'
            f'<div class="kb-meta">{_meta(c.source, c.date, score, show_scores)}</div>'
            f'<div class="kb-passage">{body}</div>'
            f'<button class="kb-open" data-cite="{c.n}" type="button">Open full document ↗</button>'
            f"</div>"
        )
    return f'<div class="kb-cards">{"".join(cards)}</div>'


def document_html(title: str, source: str, text: str, spans: Sequence[Span], focus: int | None) -> str:
    """The whole document with the cited spans marked; the focused one has id kb-focus to scroll to."""
    return (
        f'<div class="kb-doc"><div class="kb-doc-head"><span class="kb-title">{esc(title or source)}</span>'
        f'<span class="kb-file">{esc(source)}</span></div>'
        f'<div class="kb-doc-text">{_highlight(text, 0, spans, focus)}</div></div>'
    )


def status_html(text: str, kind: str = "ok", fraction: float | None = None) -> str:
    bar = ""
    if fraction is not None:
        bar = f'<div class="kb-bar"><div style="width:{max(0.0, min(1.0, fraction)) * 100:.0f}%"></div></div>'
    return f'<div class="kb-status kb-status-{esc(kind)}">{esc(text)}{bar}</div>'


__all__ = ["esc", "md_text", "answer_markdown", "note_markdown", "sources_html", "document_html", "status_html",
           "passage_for", "Span", "NOT_COVERED"]
