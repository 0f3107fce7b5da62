"""A document's sentences: the statements an answer can quote, stored beside its chunks with exact spans.

Plain text is split by kb.text.split_sentences. Where the reader knows more (kb.types.Block: a Markdown file's
blocks, the tables and question headings of HTML and .docx), its blocks decide: a paragraph is split at its sentence marks only, and code
is quoted a stanza at a time.

A table is quoted whole. A row alone does not say what its cells are: read a row or a cell at a time, "Who manages
the Toronto office?" was answered with the header row and a sentence from elsewhere (.docx), or "Manager [1] Marta
Reis [2]" (HTML, whose cells were lines of their own).

A heading that asks a question is one statement with the first sentence below it (an FAQ). Apart, the question was
never an answer (kb.text.asks) and the answer never said what it answered: kb abstained on "What happens
when my trial ends?", asked word for word of the page that asks it.
"""

from __future__ import annotations

import re

from kb.sources.formats import TABLE_ROW_LIMIT
from kb.text import Sentence, asks, split_sentences
from kb.types import Block, SourceDocument

#: Characters of a table quoted whole: a chunk at the default Settings.chunk_size. A longer table is quoted a row at a
#: time, each row a line.
TABLE_QUOTE_LIMIT = 1100


def document_sentences(document: SourceDocument) -> list[Sentence]:
    """The sentences of a document, in order; those without a letter or digit (rules, table borders) are no
    statements and are left out."""
    text = document.text
    if not document.blocks:
        return [s for s in split_sentences(text) if _states(s)]
    found: list[Sentence] = []
    asked: Sentence | None = None  # a heading's question, waiting for the first sentence below it
    for block in document.blocks:
        statements = [s for s in _sentences_of(text, block) if _states(s)]
        if asked is not None and statements and block.kind != "table" and not asks(statements[0].text):
            statements[0] = Sentence(asked.start, statements[0].end, text[asked.start:statements[0].end])
        elif asked is not None:
            found.append(asked)
        asked = None
        if block.kind == "heading" and len(statements) == 1 and asks(statements[0].text):
            asked = statements.pop()
        found += statements
    if asked is not None:
        found.append(asked)
    return found


def _states(sentence: Sentence) -> bool:
    return any(ch.isalnum() for ch in sentence.text)


#: The quote marks that open a line of a quoted paragraph (Markdown's blockquote: "> She signs all").
_QUOTE_MARKS = re.compile(r"(?:>[ \t]?)+\s*")


def _sentences_of(text: str, block: Block) -> list[Sentence]:
    piece = text[block.start:block.end]
    if block.kind in ("paragraph", "heading"):
        return [_past_quote_marks(s) for s in split_sentences(piece, block.start, paragraph=True)]
    if block.kind == "table":
        return table_statements(text, block.start, block.end)
    if block.kind == "verbatim":
        return [Sentence(block.start, block.end, piece)] if piece.strip() else []
    return split_sentences(piece, block.start)


def _past_quote_marks(sentence: Sentence) -> Sentence:
    """A sentence that begins a later line of a blockquote begins past its quote marks: they are the file's, not the
    sentence's ("> She signs all release tags." was quoted with its mark)."""
    m = _QUOTE_MARKS.match(sentence.text)
    if m is None or m.end() == len(sentence.text):
        return sentence
    return Sentence(sentence.start + m.end(), sentence.end, sentence.text[m.end():])


def table_statements(text: str, start: int, end: int) -> list[Sentence]:
    """A table as quotes: whole up to TABLE_QUOTE_LIMIT, else a row a line. A row's sentences, as plain text: in a
    layout table (a row over TABLE_ROW_LIMIT, or a single row), and in a table whose rows state something in
    sentences."""
    rows: list[Sentence] = []
    at = start
    for line in text[start:end].split("\n"):
        stripped = line.strip()
        if stripped:
            begin = at + len(line) - len(line.lstrip())
            rows.append(Sentence(begin, begin + len(stripped), stripped))
        at += len(line) + 1
    if len(rows) < 2 or any(len(r.text) > TABLE_ROW_LIMIT for r in rows) or _rows_state(rows[1:]):
        return [s for row in rows for s in split_sentences(row.text, row.start)]  # never a row run into the next
    if rows[-1].end - rows[0].start <= TABLE_QUOTE_LIMIT:
        return [Sentence(rows[0].start, rows[-1].end, text[rows[0].start:rows[-1].end])]
    return rows


def _rows_state(rows: list[Sentence]) -> bool:
    """Most rows below the header hold a sentence in a cell ("North light | The north light was built in 1874 by
    Mara Velt."): each row says what it says, and quoting it alone is the precise answer."""
    rows = [r for r in rows if any(ch.isalnum() for ch in r.text)]  # not a Markdown table's |---| line
    stating = sum(any(len(cell.split()) >= 5 and cell.strip().endswith((".", "!", "?")) for cell in row.text.split("|"))
                  for row in rows)
    return bool(rows) and 2 * stating >= len(rows)


__all__ = ["TABLE_QUOTE_LIMIT", "document_sentences", "table_statements"]
