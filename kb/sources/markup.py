"""HTML -> the text a browser would show, plus the titles the page states (og:title, <h1>, <title>) and where its
data tables are (kb.sentences quotes a table whole)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from kb.errors import SourceError
from kb.sources.formats import TABLE_ROW_LIMIT
from kb.sources.limits import ReadLimits, TextBudget
from kb.sources.titles import pick_explicit_title, split_site_suffix
from kb.text import asks
from kb.types import Block

# Where a table begins and ends, and where its cells part, in the text being assembled: control characters removed
# from the page's own text. A table mark takes the line breaks next to it.
TABLE_OPEN, TABLE_CLOSE, CELL_MARK, BREAK_MARK = "\x00", "\x01", "\x02", "\x03"
_NO_MARKS = str.maketrans("", "", TABLE_OPEN + TABLE_CLOSE + CELL_MARK + BREAK_MARK)
_TABLE = re.compile("\x00\n*(.*?)\n*\x01", re.S)
_CELL_MARK = re.compile(" ?\x02 ?")
_BREAK_MARK = re.compile(" ?\x03[ \x03]*")
_HEADS = {"h1", "h2", "h3", "h4", "h5", "h6", "summary"}  # a <details> FAQ asks in its <summary>
_FEED_BLOCK = 1 << 16  # characters fed to the parser at a time, so the text budget is checked as it grows


class _VisibleText(HTMLParser):
    """Collects the text a browser would show; block elements become line breaks."""

    BLOCK = {
        "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
        "section", "article", "header", "footer", "blockquote", "pre", "hr", "dd", "dt", "figcaption", "td", "th",
        "caption",
        # HTML5's other block elements: without them a page's menu, main text and sidebar ran together ("HomeBody
        # text.Side"), and an FAQ's <summary> question into its answer ("Who can see my notes?Only you.").
        "main", "nav", "aside", "figure", "address", "details", "summary", "dialog", "fieldset", "legend", "form",
        "menu", "hgroup", "search", "center", "dl",
    }
    # A table is laid out as its reader sees it: a row a line, its cells joined by " | " (as .docx tables are,
    # kb.sources.word). A cell a line, "Who manages the Toronto office?" was answered "Manager [1] Marta Reis [2]".
    # Block elements inside a cell are spaces; a table inside a cell is part of that cell.
    CELL = {"td", "th"}
    TABLE_PARTS = {"table", "tr", "td", "th", "caption", "thead", "tbody", "tfoot"}
    HIDDEN = {"script", "style", "noscript", "template", "svg", "iframe", "object"}
    # Elements allowed in <head>; any other start tag ends the head, as in a browser, so a page whose
    # </head> is missing still shows its body text.
    HEAD_CONTENT = {"title", "meta", "link", "style", "script", "base", "noscript", "template", "head", "html"}

    def __init__(self, budget: TextBudget) -> None:
        super().__init__(convert_charrefs=True)
        self.budget = budget
        self.parts: list[str] = []
        self.title_parts: list[str] = []
        self.og_title = ""
        self.heads: list[tuple[str, str, bool]] = []  # each of _HEADS: its tag, its text, inside a table or not
        self._head: tuple[str, bool, list[str]] | None = None
        self._hidden = 0
        self._in_title = False
        self._in_head = False
        self._term_open = False  # a <dt> just ended: its <dd> goes on the same line
        self._tables = 0  # depth of <table> nesting
        self._cells = 0  # cells begun in the current row of the outermost table
        self._in_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        term_open, self._term_open = self._term_open, False
        if term_open and tag != "dd":
            self.parts.append("\n")  # a term without its definition ends its line
        if tag == "head":
            self._in_head = True
        elif tag not in self.HEAD_CONTENT:
            self._in_head = False
        if tag == "meta":
            values = {k.lower(): (v or "") for k, v in attrs}
            if values.get("property", values.get("name", "")).lower() in ("og:title", "twitter:title") and not self.og_title:
                self.og_title = values.get("content", "")
        if tag == "title":
            self._in_title = True
        elif tag in self.HIDDEN:
            self._hidden += 1
        elif self._tables and not self._hidden and (tag in self.TABLE_PARTS or tag in self.BLOCK):
            self._table_tag(tag, opening=True)
        elif tag == "dd" and term_open:
            # A definition list reads "Term: definition", a line each. Laid out as a browser shows it, the term
            # on a line of its own, "What is dunning?" met a definition that never says "dunning", and kb abstained
            # on every question of a glossary.
            said = "".join(self.parts[-3:]).rstrip()
            self.parts.append(" " if said.endswith((":", "?", ".", "!")) else ": ")
        elif tag in self.BLOCK:
            self.parts.append("\n")
            if tag == "table" and not self._hidden:
                self._tables, self._cells, self._in_cell = 1, 0, False
                self.parts.append("\n" + TABLE_OPEN)
        if tag in _HEADS and not self._hidden:
            self._head = (tag, bool(self._tables), [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = False
        elif tag == "title":
            self._in_title = False
        elif tag in self.HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif self._tables and not self._hidden and (tag in self.TABLE_PARTS or tag in self.BLOCK):
            self._table_tag(tag, opening=False)
        elif tag == "dt" and not self._hidden:
            self._term_open = True  # the line ends at the next tag unless that is the term's <dd>
        elif tag in self.BLOCK:
            self.parts.append("\n")
        if tag in _HEADS and self._head is not None:
            opened, in_table, said = self._head
            self.heads.append((opened, " ".join("".join(said).split()), in_table))
            self._head = None

    def _table_tag(self, tag: str, opening: bool) -> None:
        """A tag inside a table: rows are lines and cells are " | " apart, in the outermost table only."""
        if tag == "table":
            self._tables += 1 if opening else -1
            if not self._tables:
                self.parts.append(TABLE_CLOSE + "\n\n")
                return
        if self._tables > 1 or (tag not in self.TABLE_PARTS and self._in_cell):
            self.parts.append(BREAK_MARK)  # inside a cell: a space in a data table, a line break in a layout
        elif (tag in ("tr", "caption") and opening) or tag not in self.TABLE_PARTS:
            self.parts.append("\n")  # a row starts a line; nothing ends one, so rows are not blank lines apart
            self._cells, self._in_cell = 0, False
        elif tag in self.CELL and opening:
            if self._cells:
                self.parts.append(CELL_MARK)
            self._cells += 1
            self._in_cell = True

    def handle_data(self, data: str) -> None:
        if self._term_open and not self._in_title:
            if not data.strip():
                return  # the space between </dt> and <dd>
            self._term_open = False
            self.parts.append("\n")
        if self._in_title:
            self.title_parts.append(data)
        elif not self._hidden:
            if self._in_head and not data.strip():
                return
            self._in_head = False  # text outside head elements starts the body, as in a browser
            self.parts.append(self.budget.take(data.translate(_NO_MARKS)))
            if self._head is not None:
                self._head[2].append(data)


def html_to_text(markup: str, limits: ReadLimits | None = None) -> tuple[str, str, list[Block]]:
    """(visible text, title, its data tables and the headings that ask a question, as blocks). The title prefers
    og:title, then a <title> without a " | Site" suffix, then the first <h1>, then the <title> with its suffix cut,
    then the headline found in the text."""
    parser = _VisibleText(TextBudget(limits or ReadLimits()))
    opened = markup.rfind("<!--")
    if opened >= 0 and markup.find("-->", opened + 4) < 0:
        markup = markup[:opened]  # a comment left open runs to the end of the file, as in a browser
    try:
        for begin in range(0, len(markup), _FEED_BLOCK):
            parser.feed(markup[begin : begin + _FEED_BLOCK])
        parser.close()
    except SourceError:
        raise
    except Exception as exc:  # html.parser is lenient; anything it still rejects is reported, not raised raw
        raise SourceError(f"malformed HTML: {exc}") from None
    # Soft hyphens (&shy;) are break hints a browser shows only at a line end, and many sites put them in every
    # long word; kept, "recog\u00adnition" was two words to the lexical index and the model's tokenizer.
    raw = "".join(parser.parts).replace("\u00ad", "")
    if parser._tables:  # a table left open runs to the end of the page, as in a browser
        raw += TABLE_CLOSE
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in raw.split("\n")]
    text, tables = _without_table_marks(re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip())
    page_title = " ".join("".join(parser.title_parts).split())
    og_title = split_site_suffix(parser.og_title)[0]
    headline, site = split_site_suffix(page_title)
    h1s = [said for tag, said, _ in parser.heads if tag == "h1"]
    candidates = [og_title, "" if site else page_title, *h1s[:3], headline, parser.og_title, page_title]
    blocks = [Block(start, end, "table") for start, end in tables]
    blocks += question_headings(text, [said for _, said, in_table in parser.heads if not in_table])
    return text, pick_explicit_title(candidates, text), blocks


def question_headings(text: str, heads: list[str]) -> list[Block]:
    """The lines of ``text`` that are its headings (in their order) and ask a question: an FAQ page's questions,
    each one statement with the answer below it (kb.sentences). Only these are blocks: around any other heading
    the text is split as it always was."""
    found: list[Block] = []
    wanted = iter(heads)
    head = next(wanted, None)
    at = 0
    for line in text.split("\n"):
        if head is not None and line.strip() == head:
            if asks(head):
                begin = at + len(line) - len(line.lstrip())
                found.append(Block(begin, begin + len(head), "heading"))
            head = next(wanted, None)
        at += len(line) + 1
    return found


def _without_table_marks(marked: str) -> tuple[str, list[tuple[int, int]]]:
    """The text without the marks _VisibleText put in each table, and the spans of its data tables. A table with a
    row over TABLE_ROW_LIMIT lays out the page (a sidebar beside the article): its cells are paragraphs, as before
    tables were read, and it is no table to quote whole."""
    parts: list[str] = []
    tables: list[tuple[int, int]] = []
    at = length = 0
    for found in _TABLE.finditer(marked):
        before = marked[at:found.start()]
        marked_rows = found.group(1)
        rows = [row.strip() for row in _BREAK_MARK.sub(" ", _CELL_MARK.sub(" | ", marked_rows)).split("\n")]
        layout = any(len(row) > TABLE_ROW_LIMIT for row in rows)
        if layout:
            laid = _CELL_MARK.sub("\n\n", marked_rows).replace(BREAK_MARK, "\n")  # as blocks were read before
            body = re.sub(r"\n{3,}", "\n\n", "\n".join(line.strip() for line in laid.split("\n"))).strip()
        else:
            body = "\n".join(rows).strip()
        parts += [before, body]
        length += len(before)
        if body and not layout:
            tables.append((length, length + len(body)))
        length += len(body)
        at = found.end()
    parts.append(marked[at:])
    return "".join(parts).translate(_NO_MARKS), tables
