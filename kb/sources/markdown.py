"""Markdown's own structure, for the sentences and the title of a .md file.

A .md file is indexed as written (its spans are checked against the file), but read as plain text its
structure was lost: a line break inside a paragraph cut the sentence in two when the next line began with a capital
("Receipts over" / "EUR 50 need a scan") in files too short for kb.text.wrap_width to see the wrapping; answers
quoted list numbers and bullets ("2. IT installs ..."); YAML front matter named the file "title: Team handbook".
CommonMark says what each line is, so kb asks a CommonMark parser (markdown-it-py, already installed with rich)
rather than guessing: a paragraph's line breaks are spaces, a table or a code block is a unit of its own
(kb.sentences), and a list item or a heading is quoted without its marker. The spans stay those of the file.
"""

from __future__ import annotations

import re
from functools import lru_cache

from markdown_it import MarkdownIt

from kb.sources.titles import title_from_text
from kb.types import Block

_LINE_BREAK = re.compile(r"\r\n?|\n")  # markdown-it reads \r\n and a lone \r as line ends too
_FRONT_MATTER_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$")
_FRONT_MATTER_LINES = 200  # a YAML header is short; a "---" far down is a rule, not its end
_TITLE_KEY = re.compile(r"""^title[ \t]*:[ \t]*(["']?)(.*?)\1[ \t]*$""", re.I)
# What opens a block's first line and is not its text: blockquote marks, a list item's marker and task box.
_QUOTE_MARKS = re.compile(r"[ \t]*(?:>[ \t]?)+")
_ITEM_MARKER = re.compile(r"[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+\[[ xX]\])?(?:[ \t]+|$)")
_HEADING_MARKS = re.compile(r"[ \t]*#{1,6}(?:[ \t]+|$)")
_CLOSING_HASHES = re.compile(r"[ \t]+#+[ \t]*$")
# Blocks that hold lines of text (a container, a list or a quote, holds blocks): every line of the file is one of
# theirs, blank, or a line of front matter.
_LEAVES = frozenset({"paragraph_open", "heading_open", "table_open", "fence", "code_block", "html_block", "hr"})


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # CommonMark plus GitHub's tables: what READMEs, wikis and note apps write. Only the block structure is
    # parsed: kb needs the blocks' lines, not their emphasis or links, and the inline pass was 70% of the time (1.3 s
    # for a file of 200,000 "[" alone). Raw HTML blocks are quoted whole, never rendered.
    return MarkdownIt("commonmark").enable("table").disable(["inline", "text_join"])


def _line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in _LINE_BREAK.finditer(text)]


def front_matter_lines(lines: list[str]) -> int:
    """How many lines at the top are a YAML front-matter header ("---" ... "---"), fences included; 0 without one."""
    if not lines or lines[0].lstrip("\ufeff").rstrip() != "---":
        return 0
    for i, line in enumerate(lines[1:_FRONT_MATTER_LINES], start=1):
        if _FRONT_MATTER_CLOSE.match(line):
            return i + 1
    return 0


def markdown_blocks(text: str) -> list[Block]:
    """The units of text of a Markdown document, in order, with spans into ``text``."""
    starts = _line_starts(text)
    lines = _LINE_BREAK.split(text)  # one per start, without its line break

    def span(first: int, last: int) -> tuple[int, int]:
        """Characters of lines [first, last), without the final line break."""
        last = min(last, len(lines))
        return starts[first], starts[last - 1] + len(lines[last - 1])

    blocks: list[Block] = []
    header = front_matter_lines(lines)
    for i in range(1, header - 1):
        if lines[i].strip():
            blocks.append(Block(*span(i, i + 1), "verbatim"))
    # Front matter becomes blank lines, so the parser's line numbers stay those of the file.
    body = "\n" * header + "\n".join(lines[header:])
    read = [False] * header + [True] * (len(lines) - header)  # lines no block holds (so far: front matter aside)
    for token in _parser().parse(body):
        if token.map is None:
            continue
        first, last = token.map
        if token.type in _LEAVES:
            read[first:last] = [False] * (last - first)
        if token.type == "paragraph_open":
            start, end = span(first, last)
            blocks.append(Block(_past_markers(text, start), end, "paragraph"))
        elif token.type == "heading_open":
            if token.markup.startswith("#"):
                start, end = span(first, first + 1)
                start = _past_markers(text, start)
                start = _HEADING_MARKS.match(text, start).end() if _HEADING_MARKS.match(text, start) else start
                closing = _CLOSING_HASHES.search(text, start, end)
                end = closing.start() if closing else end
            else:  # setext: the text lines, not the underline
                start, end = span(first, last - 1)
            blocks.append(Block(start, end, "heading"))
        elif token.type == "table_open":
            blocks.append(Block(*span(first, last), "table"))
        elif token.type in ("fence", "code_block", "html_block"):
            if token.type == "fence":
                closed = last - first >= 2 and lines[last - 1].strip().startswith(token.markup[:3])
                first, last = first + 1, last - 1 if closed else last
            blocks.extend(_code_pieces(lines, first, last, span))
    # Lines the parser dropped: past its nesting limit (20 levels of lists or quotes, a guard against deep recursion)
    # it leaves the rest of the container unread, and those lines are split as plain text rather than lost.
    left = [i for i, unread in enumerate(read) if unread and lines[i].strip()]
    for i in left:
        if i - 1 not in left:
            run_end = i
            while run_end + 1 < len(lines) and read[run_end + 1] and lines[run_end + 1].strip():
                run_end += 1
            blocks.append(Block(*span(i, run_end + 1), "text"))
    blocks.sort(key=lambda b: b.start)
    return [_trimmed(text, b) for b in blocks if text[b.start:b.end].strip()]


def _trimmed(text: str, block: Block) -> Block:
    piece = text[block.start:block.end]
    start = block.start + len(piece) - len(piece.lstrip())
    return Block(start, block.start + len(piece.rstrip()), block.kind)


def _past_markers(text: str, start: int) -> int:
    """Where a block's text begins on its first line: past the blockquote marks and list markers that contain it
    ("> - [x] Done" -> "Done"). A paragraph cannot itself start with a list marker (CommonMark makes it a list item),
    so whatever such marks open its first line are its containers'."""
    while True:
        found = _QUOTE_MARKS.match(text, start) or _ITEM_MARKER.match(text, start)
        if not found or found.end() == start:
            return start
        start = found.end()


def _code_pieces(lines: list[str], first: int, last: int, span) -> list[Block]:
    """A code block quoted a stanza at a time: its blank lines part commands that do different things."""
    pieces, begin = [], None
    for i in range(first, min(last, len(lines)) + 1):
        blank = i >= min(last, len(lines)) or not lines[i].strip()
        if blank and begin is not None:
            pieces.append(Block(*span(begin, i), "verbatim"))
            begin = None
        elif not blank and begin is None:
            begin = i
    return pieces


def markdown_title(text: str) -> str:
    """The title its front-matter header states, else the title line near the top of the text below the header (its
    first heading, marks dropped): never the header's own "---" or "title: ..." lines."""
    lines = _LINE_BREAK.split(text, maxsplit=_FRONT_MATTER_LINES)
    header = front_matter_lines(lines)
    for line in lines[1 : header - 1]:
        found = _TITLE_KEY.match(line.strip())
        if found and found.group(2).strip():
            return found.group(2).strip()
    if header:
        starts = _line_starts(text)
        text = text[starts[header]:] if header < len(starts) else ""
    return title_from_text(text, strip_markup=True)


__all__ = ["front_matter_lines", "markdown_blocks", "markdown_title"]
