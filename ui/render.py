"""HTML for answers, citations, documents, the documents table and notices, with every piece of text escaped.

Document text, file names and questions are untrusted: a source file may contain ``<script>`` or be named
``<img src=x onerror=...>.md``. Everything that comes from a document, a file name or a user goes through
:func:`esc` before it meets any markup we add. gr.HTML also treats its value as a template (``${...}``,
``{{...}}``), so those characters are escaped as entities too.

The chat shows this HTML as it is (the Chatbot runs with ``render_markdown=False``): answers are quotes, and
Markdown would read their ``_``, ``(`` and ``\\`` as syntax, so URLs came out mangled (``secret%5C``). Instead,
URLs in an answer become links here, and the rest is plain escaped text. The chat's sanitizer drops ``data-*``
attributes, so a citation link carries its answer and number in its ``href`` (``#kb-card-<answer>-<n>``).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Sequence

from kb.answer import ABSTAIN_TEXT
from kb.store.database import DocumentRow
from kb.types import Answer, Citation, Passage, SourceFailure, shown_probability

_TEMPLATE_CHARS = str.maketrans({"{": "&#123;", "}": "&#125;", "$": "&#36;", "`": "&#96;", "\\": "&#92;"})
_MARKER = re.compile(r"\[(\d+)\]")
# A URL runs to the next space or quote; trailing sentence punctuation and an unbalanced ")" are not part of it.
_URL = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.I)
_URL_TAIL = ".,;:!?'\""

NOT_COVERED = "The documents don’t cover this."
NOTHING_CITED = "No passage supports an answer, so nothing is quoted or cited."
CARET = '<span class="kb-caret" aria-hidden="true"></span>'


def esc(text: object) -> str:
    """Text -> HTML that displays exactly that text and can execute nothing."""
    return html.escape(str(text), quote=True).translate(_TEMPLATE_CHARS)


def icon(name: str) -> str:
    """An icon drawn by CSS (ui/style.py masks an inline SVG): no emoji font needed, nothing for a sanitizer to strip.
    """
    return f'<span class="kb-icon kb-icon-{esc(name)}" aria-hidden="true"></span>'


def _trim_url(url: str) -> str:
    while url and (url[-1] in _URL_TAIL or (url[-1] == ")" and url.count(")") > url.count("("))):
        url = url[:-1]
    return url


def linkify(text: str) -> str:
    """Escaped text with each http(s) URL as a link whose address and label are the URL exactly as written."""
    out: list[str] = []
    pos = 0
    for match in _URL.finditer(text):
        url = _trim_url(match.group(0))
        if "://" not in url or url.endswith("://"):
            continue
        out.append(esc(text[pos:match.start()]).replace("\n", "<br>"))
        out.append(f'<a class="kb-link" href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(url)}</a>')
        pos = match.start() + len(url)
    out.append(esc(text[pos:]).replace("\n", "<br>"))
    return "".join(out)


def cite_link(answer_id: int, n: int) -> str:
    """A citation marker that brings source card ``n`` of answer ``answer_id`` into view (ui/app.py's SOURCES_JS)."""
    return (f'<a class="kb-cite" href="#kb-card-{answer_id}-{n}" title="Show source {n}" '
            f'aria-label="Show source {n}">[{n}]</a>')


def _references(citations: Sequence[Citation], answer_id: int) -> str:
    """One line per cited document, with its citation numbers: the Sources panel holds the passages."""
    by_source: dict[str, list[Citation]] = {}
    for c in citations:
        by_source.setdefault(c.source, []).append(c)
    lines = []
    for source, cites in by_source.items():
        numbers = "".join(cite_link(answer_id, n) for n in sorted({c.n for c in cites}))
        title = cites[0].title or source
        file = f' <span class="kb-file">{esc(source)}</span>' if title != source else ""
        lines.append(f'<div class="kb-ref">{numbers} <span class="kb-ref-title">{esc(title)}</span>{file}</div>')
    return f'<div class="kb-refs">{"".join(lines)}</div>'


CONFIDENCE_HINT = "The learned probability that this answer is right. Below its threshold kb abstains instead."


def shown_share(probability: float) -> str:
    """A probability as a whole percentage (kb.types.shown_probability: never "100%")."""
    return f"{round(100 * shown_probability(probability))}%"


def answer_html(text: str, abstained: bool = False, citations: Sequence[Citation] = (), answer_id: int = 0,
                confidence: float | None = None) -> str:
    """The chat bubble: escaped answer text, ``[n]`` markers as links to their source cards, one line per document,
    and how sure kb is of a cited answer (``confidence``, the learned probability; none for an LLM's answer)."""
    if abstained and text.strip() == ABSTAIN_TEXT:  # the heading says it already; say what it means instead
        text = NOTHING_CITED
    known = {c.n for c in citations}
    parts: list[str] = []
    pos = 0
    for match in _MARKER.finditer(text):
        parts.append(linkify(text[pos:match.start()]))
        n = int(match.group(1))
        parts.append(cite_link(answer_id, n) if n in known else esc(match.group(0)))
        pos = match.end()
    parts.append(linkify(text[pos:]))
    body = f'<span class="kb-answer">{"".join(parts)}</span>'
    if abstained:
        body = f"<strong>{esc(NOT_COVERED)}</strong> " + body
    if citations:
        body += _references(citations, answer_id)
        if confidence is not None and not abstained:
            body += (f'<div class="kb-confidence" title="{esc(CONFIDENCE_HINT)}">Confidence '
                     f"{shown_share(confidence)}</div>")
    return body


def question_html(text: str) -> str:
    return f'<span class="kb-question">{esc(text)}</span>'


def note_html(text: str, icon_name: str = "info") -> str:
    """A friendly system note in the chat (errors, index still building)."""
    return f'<span class="kb-note">{icon(icon_name)} {esc(text)}</span>'


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


def sources_html(answer: Answer | None, show_scores: bool = True, answer_id: int = 0,
                 focus: int | None = None, earlier: bool = False) -> str:
    """The sources panel: one card per citation with the cited sentence highlighted in its passage, under the
    question they answer. A citation of an earlier answer brings that answer's cards back (``earlier``): the line
    says so, or they read as the sources of the answer just given.

    Card ids ``kb-card-<answer>-<n>`` match the citation links of that answer; ``focus`` marks one card to be
    scrolled into view and highlighted when the panel appears.
    """
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
        focused = " kb-card-focus" if focus == c.n else ""
        cards.append(
            f'<div class="kb-card{focused}" id="kb-card-{answer_id}-{c.n}" data-n="{c.n}">'
            f'<div class="kb-card-head"><span class="kb-badge">{c.n}</span>'
            f'<span class="kb-title">{esc(c.title or c.source)}</span></div>'
            f'<div class="kb-meta">{_meta(c.source, c.date, score, show_scores)}</div>'
            f'<div class="kb-passage">{body}</div>'
            f'<button class="kb-open" data-answer="{answer_id}" data-cite="{c.n}" type="button">'
            f'{icon("open")} Open full document</button>'
            f"</div>"
        )
    label = f'<div class="kb-cards-for">{"Earlier answer" if earlier else "For"}: “{esc(answer.question)}”</div>'
    return f'<div class="kb-cards" data-answer="{answer_id}">{label}{"".join(cards)}</div>'


def document_html(title: str, source: str, text: str, spans: Sequence[Span], focus: int | None,
                  notice: str = "") -> str:
    """The whole document in a closable overlay, cited spans marked; the focused one has id kb-focus. ``notice``: a
    line under the head (the document changed since the answer)."""
    note = f'<div class="kb-doc-notice">{icon("warn")} {esc(notice)}</div>' if notice else ""
    return (
        f'<div class="kb-doc-overlay"><div class="kb-doc" role="dialog" aria-modal="true" '
        f'aria-label="{esc(title or source)}"><div class="kb-doc-head"><div class="kb-doc-names">'
        f'<span class="kb-title">{esc(title or source)}</span><span class="kb-file">{esc(source)}</span></div>'
        f'<button class="kb-doc-close" type="button" title="Close (Esc)">{icon("close")} Close</button></div>'
        f'{note}<div class="kb-doc-text">{_highlight(text, 0, spans, focus)}</div></div></div>'
    )


def spans_in(text: str, cited: Sequence[tuple[int, int, int, str]]) -> tuple[list[Span], list[int]]:
    """The cited passages ((start, end, n, quoted text)) as spans of the document's text as it is now, and the numbers
    of those it no longer holds. An answer's spans are those of the index it was given from: after the document
    changed and was re-indexed, its old spans marked other words ("Kestrel project overview, revised edition. The"
    as [1] for a budget the new text cuts). A passage still there, moved, is marked where it now stands (its first
    place); one the text no longer holds is not marked at all."""
    spans: list[Span] = []
    gone: list[int] = []
    for start, end, n, quoted in cited:
        if text[start:end] == quoted:
            spans.append(Span(start, end, n))
            continue
        moved = text.find(quoted) if quoted else -1
        if moved >= 0:
            spans.append(Span(moved, moved + len(quoted), n))
        else:
            gone.append(n)
    return spans, gone


def document_error_html(message: str) -> str:
    return (f'<div class="kb-doc-overlay"><div class="kb-doc" role="dialog" aria-modal="true"><div class="kb-doc-head">'
            f'<div class="kb-doc-names">{icon("warn")} {esc(message)}</div>'
            f'<button class="kb-doc-close" type="button">{icon("close")} Close</button></div></div></div>')


# -- documents tab ----------------------------------------------------------------------------------
def _parse_time(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def relative_time(value: str, now: datetime) -> tuple[str, str]:
    """An ISO timestamp -> ("5 min ago", "2026-11-30 22:12:11 UTC"); unparseable text is returned as it is."""
    moment = _parse_time(value)
    if moment is None:
        return value, value
    exact = moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    seconds = (now - moment).total_seconds()
    if seconds < 60:  # a clock a little ahead reads as now, not as "in 3 s"
        return "just now", exact
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min ago", exact
    hours = minutes // 60
    if hours < 24:
        return f"{hours} h ago", exact
    days = hours // 24
    if days == 1:
        return "yesterday", exact
    if days < 30:
        return f"{days} days ago", exact
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d"), exact


def _delete_button(source: str, label: str) -> str:
    return (f'<button class="kb-del" type="button" data-source="{esc(source)}" title="{esc(label)} {esc(source)}" '
            f'aria-label="{esc(label)} {esc(source)}">{icon("trash")}<span class="kb-del-label">{esc(label)}</span>'
            '</button>')


def documents_html(rows: Sequence[DocumentRow], failures: Sequence[SourceFailure], now: datetime) -> str:
    """The documents table: failed files first (with their reason), then the indexed documents.

    A plain table rather than gr.Dataframe: the Dataframe sizes columns to their content (438 px wider than the
    page at 1360 px) and cannot turn rows into cards on a phone; this one has fixed column shares and, under
    640 px, one card per document (ui/style.py).
    """
    if not rows and not failures:
        return '<div class="kb-empty">No documents indexed yet: add some below, or press “Rebuild index”.</div>'
    head = ('<thead><tr><th class="kb-c-title">Title</th><th class="kb-c-file">File</th>'
            '<th class="kb-c-num">Passages</th><th class="kb-c-date">Date</th><th class="kb-c-when">Indexed</th>'
            '<th class="kb-c-act"><span class="kb-sr">Actions</span></th></tr></thead>')
    body = []
    for failure in failures:
        body.append(
            '<tr class="kb-failed">'
            f'<td class="kb-c-title" data-label="Title">{icon("warn")} <b>Not indexed:</b> '
            f'<span class="kb-reason">{esc(failure.error)}</span></td>'
            f'<td class="kb-c-file" data-label="File">{esc(failure.source)}</td>'
            '<td class="kb-c-num" data-label="Passages">0<span class="kb-unit"> passages</span></td>'
            '<td class="kb-c-date" data-label="Date"></td>'
            '<td class="kb-c-when" data-label="Indexed">failed</td>'
            f'<td class="kb-c-act">{_delete_button(failure.source, "Remove")}</td></tr>'
        )
    for row in rows:
        when, exact = relative_time(row.indexed_at, now)
        body.append(
            f'<tr><td class="kb-c-title" data-label="Title">{esc(row.title or row.source)}</td>'
            f'<td class="kb-c-file" data-label="File">{esc(row.source)}</td>'
            f'<td class="kb-c-num" data-label="Passages">{row.chunks}'
            f'<span class="kb-unit"> passage{"" if row.chunks == 1 else "s"}</span></td>'
            f'<td class="kb-c-date" data-label="Date">{esc(row.date or "")}</td>'
            f'<td class="kb-c-when" data-label="Indexed"><time datetime="{esc(row.indexed_at)}" '
            f'title="{esc(exact)}">{esc(when)}</time></td>'
            f'<td class="kb-c-act">{_delete_button(row.source, "Delete")}</td></tr>'
        )
    return f'<table class="kb-table">{head}<tbody>{"".join(body)}</tbody></table>'


def message_html(kind: str, headline: str, lines: Sequence[str] = ()) -> str:
    """A result line under the documents tab: kind is ok (green check), warn or error; lines are plain text."""
    icons = {"ok": "check", "warn": "warn", "error": "warn", "info": "info"}
    items = "".join(f"<li>{esc(line)}</li>" for line in lines)
    return (f'<div class="kb-msg kb-msg-{esc(kind)}">{icon(icons.get(kind, "info"))} <b>{esc(headline)}</b>'
            f'{f"<ul>{items}</ul>" if items else ""}</div>')


def notice_html(reason: str, summary: str, failures: Sequence[SourceFailure], when: str) -> str:
    """The banner for a re-index the server started on its own (``kb serve --watch``); file names are text."""
    kind = "warn" if failures else "info"
    lines = [f"Not indexed: {f.source}: {f.error}" for f in failures]
    return message_html(kind, f"{when} · sources changed, index updated: {reason}", [summary, *lines])


def status_html(text: str, kind: str = "ok", fraction: float | None = None) -> str:
    bar = ""
    if fraction is not None:
        bar = f'<div class="kb-bar"><div style="width:{max(0.0, min(1.0, fraction)) * 100:.0f}%"></div></div>'
    return f'<div class="kb-status kb-status-{esc(kind)}">{esc(text)}{bar}</div>'


__all__ = ["esc", "icon", "linkify", "cite_link", "answer_html", "question_html", "note_html", "sources_html",
           "document_html", "document_error_html", "relative_time", "documents_html", "message_html",
           "notice_html", "status_html", "passage_for", "Span", "NOT_COVERED", "CARET"]
