"""Word .docx -> text (python-docx): paragraphs and tables in reading order, as the document shows them.

The body is walked block by block (into content controls too), so a table sits between the paragraphs around it
instead of being appended at the end: a citation of a table cell then points at the right place. A table row
becomes one line, its cells joined by " | "; a cell merged across columns is written once.
"""

from __future__ import annotations

import io
import zipfile

from kb.errors import SourceError
from kb.sources.limits import ReadLimits, TextBudget
from kb.sources.titles import pick_explicit_title
from kb.text import asks
from kb.types import Block

_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old binary .doc, and password-protected .docx (an encrypted OLE container)
# Uncompressed XML allowed per extracted character: Word's markup around each run of text is bulky, and a
# .docx is a zip, so a 1 MB file could otherwise inflate to gigabytes of XML before any text is counted.
_XML_PER_TEXT = 8
_XML_FLOOR = 64 * 1024 * 1024


def docx_to_text(data: bytes, limits: ReadLimits | None = None) -> tuple[str, str, list[Block]]:
    """(text, title, its tables and the headings that ask a question, as blocks: kb.sources.markup.question_headings
    says why); the title is the document's Title property, else its Title/Heading 1 paragraph."""
    limits = limits or ReadLimits()
    if data.startswith(_OLE_MAGIC):
        raise SourceError("password-protected or old-format Word file; save it as an unprotected .docx")
    _check_zip(data, limits)
    try:
        import docx
    except ImportError:
        raise SourceError("reading .docx needs python-docx (pip install python-docx)") from None
    try:
        document = docx.Document(io.BytesIO(data))
        budget = TextBudget(limits)
        blocks: list[str] = []
        headings: list[str] = []
        tables: list[int] = []
        asked: list[int] = []
        _collect(document, blocks, headings, budget, tables, asked)
        stated = (document.core_properties.title or "").strip()
    except SourceError:
        raise
    except Exception as exc:  # a parser of untrusted bytes raises anything (KeyError for a missing part, XMLSyntaxError ...)
        detail = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise SourceError(f"corrupt or unreadable .docx: {detail}") from None
    text = "\n\n".join(blocks)
    starts = [0]
    for block in blocks:
        starts.append(starts[-1] + len(block) + 2)
    found = [Block(starts[i], starts[i] + len(blocks[i]), "table") for i in tables]
    found += [Block(starts[i], starts[i] + len(blocks[i]), "heading") for i in asked]
    return text, pick_explicit_title([stated, *headings[:1]], text), found


def _check_zip(data: bytes, limits: ReadLimits) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise SourceError("not a .docx file (not a zip archive)") from None
    with archive:
        inflated = sum(info.file_size for info in archive.infolist())  # zipfile never returns more than declared
        allowed = max(_XML_FLOOR, _XML_PER_TEXT * limits.max_text_chars)
        if inflated > allowed:
            raise SourceError(f".docx unpacks to {inflated / 2**20:.0f} MB, over the {allowed / 2**20:.0f} MB limit "
                              "(setting max_text_mb)")


def _collect(container, blocks: list[str], headings: list[str], budget: TextBudget,
             tables: list[int] | None = None, asked: list[int] | None = None) -> None:
    """Append the container's paragraphs and tables to ``blocks``, the indexes of its tables to ``tables`` and those
    of its headings that ask a question to ``asked``."""
    from docx.table import Table

    for item in _blocks_of(container):
        if isinstance(item, Table):
            rows = [row for row in (_row_text(row, budget) for row in item.rows) if row]
            if rows:
                if tables is not None:
                    tables.append(len(blocks))
                blocks.append("\n".join(rows))
            continue
        line = _shown_text(item._p).strip()
        if not line:
            continue
        blocks.append(budget.take(line))
        style = (item.style.name if item.style is not None else "") or ""
        if style == "Title" or style.startswith("Heading 1"):
            headings.append(line)
        if asked is not None and (style == "Title" or style.startswith("Heading")) and asks(blocks[-1]):
            asked.append(len(blocks) - 1)


#: Word elements that wrap paragraphs and tables without being one (a content control, custom XML): their content is
#: the document's, as Word shows it.
_WRAPPERS = frozenset({"sdt", "customXml"})
#: What wraps runs that Word does not show: tracked deletions and moves away, and text boxes (paragraphs of their own).
_HIDDEN_RUNS = frozenset({"del", "moveFrom", "txbxContent"})


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _blocks_of(container):
    """The container's paragraphs and tables in document order, those inside a content control (w:sdt) or custom XML
    too: python-docx's ``iter_inner_content`` yields only its direct children, and a form or template's text sits in
    content controls ("The parking garage is on Level B2." was never indexed)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    parent = getattr(container, "_body", container)  # a Document's blocks are its body's
    stack = [iter(parent._element)]
    while stack:
        element = next(stack[-1], None)
        if element is None:
            stack.pop()
            continue
        tag = _local(element.tag) if isinstance(element.tag, str) else ""
        if tag == "p":
            yield Paragraph(element, parent)
        elif tag == "tbl":
            yield Table(element, parent)
        elif tag in _WRAPPERS:
            content = [c for c in element if isinstance(c.tag, str) and _local(c.tag) == "sdtContent"]
            stack.append(iter(content[0] if content else element))


def _shown_text(paragraph) -> str:
    """A paragraph's text as Word shows it: its runs wherever they sit (a tracked insertion, a field, a content
    control, a smart tag), not only its direct ones, which is all python-docx's ``Paragraph.text`` reads ("The speed
    limit on company premises is ." was quoted with the inserted "15 km/h" left out); tracked deletions left out."""
    from docx.oxml.ns import qn

    parts: list[str] = []
    for run in paragraph.iter(qn("w:r")):
        node, shown = run.getparent(), True
        while node is not None and node is not paragraph:
            if isinstance(node.tag, str) and _local(node.tag) in _HIDDEN_RUNS:
                shown = False
                break
            node = node.getparent()
        if shown:
            parts.append(run.text)
    return "".join(parts)


def _row_text(row, budget: TextBudget) -> str:
    cells: list[str] = []
    seen: list[object] = []  # the cell elements themselves: kept alive, so ``is`` cannot confuse two of them
    for cell in row.cells:
        if any(cell._tc is tc for tc in seen):  # a merged cell is returned once per grid column it spans
            continue
        seen.append(cell._tc)
        inner: list[str] = []
        _collect(cell, inner, [], budget)
        cells.append(" ".join(" ".join(inner).split()))
    return " | ".join(cells) if any(cells) else ""
