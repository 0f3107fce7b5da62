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

# Elements without content or end tag: never on the stack of open elements, so <img hidden> hides nothing after it.
_VOID = frozenset({"area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img", "input",
                   "keygen", "link", "meta", "param", "source", "track", "wbr"})
# A start tag of one of these ends an open <p> left at the top of the stack, as in a browser: "<p hidden>x<div>y"
# shows "y".
_CLOSES_P = frozenset({"address", "article", "aside", "blockquote", "center", "details", "dialog", "dir", "div",
                       "dl", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
                       "header", "hgroup", "hr", "li", "dd", "dt", "main", "menu", "nav", "ol", "p", "pre", "search",
                       "section", "summary", "table", "ul"})
# Other end tags a browser implies: "<li hidden>x<li>y" shows "y".
_IMPLIED_END: dict[str, frozenset[str]] = {
    "li": frozenset({"li", "p"}), "dt": frozenset({"dt", "dd", "p"}), "dd": frozenset({"dt", "dd", "p"}),
    "tr": frozenset({"tr", "td", "th"}), "td": frozenset({"td", "th"}), "th": frozenset({"td", "th"}),
    "thead": frozenset({"tr", "td", "th"}), "tbody": frozenset({"tr", "td", "th"}),
    "tfoot": frozenset({"tr", "td", "th"}), "option": frozenset({"option"}),
}
# Open elements kept at most: deeper ones replace the innermost (inheriting its hiddenness, so nothing hidden is
# revealed), and a file of 20 MB of "<b>" cannot fill memory with a stack of millions.
_MAX_DEPTH = 4096
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_IMPORTANT = re.compile(r"!\s*important\s*$")


def style_value(style: str, prop: str) -> str:
    """The value an inline ``style`` attribute gives ``prop`` (lower case, spaces collapsed, '' if none), as CSS
    resolves it: the last declaration wins unless an earlier one is !important. Page authors write "DISPLAY: none
    !important", "display:none;" and "visibility : hidden" alike."""
    value, important = "", False
    for declaration in _CSS_COMMENT.sub("", style).split(";"):
        name, colon, said = declaration.partition(":")
        if not colon or name.strip().lower() != prop:
            continue
        said = " ".join(said.lower().split())
        marked = bool(_IMPORTANT.search(said))
        if marked or not important:
            value, important = _IMPORTANT.sub("", said).strip(), marked
    return value


def hidden_by_attributes(attrs: list[tuple[str, str | None]]) -> tuple[bool, bool | None]:
    """(whether the element is not rendered at all, its own visibility: True hidden, False visible, None inherited).
    The two differ in CSS: nothing inside ``display:none`` is ever shown, while a descendant of ``visibility:hidden``
    may set ``visibility:visible`` and be seen. ``aria-hidden="true"`` hides from screen readers, not the eye, but is
    dropped too: it marks decoration and duplicates (icons, carousel clones), never the text a reader asks about.
    ``hidden="until-found"`` is kept: like a closed <details>, a user reveals it (find in page) and reads it."""
    gone, visibility = False, None
    for name, value in attrs:
        said = " ".join((value or "").lower().split())
        if name == "hidden" and said != "until-found":
            gone = True
        elif name == "aria-hidden" and said == "true":
            gone = True
        elif name == "style" and value:
            gone = gone or style_value(value, "display") == "none"
            shown = style_value(value, "visibility")
            if shown in ("hidden", "collapse"):
                visibility = True
            elif shown in ("visible", "initial"):
                visibility = False
    return gone, visibility


class _VisibleText(HTMLParser):
    """Collects the text a browser would show; block elements become line breaks."""

    BLOCK = {
        "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
        "section", "article", "header", "footer", "blockquote", "pre", "hr", "dd", "dt", "figcaption", "td", "th",
        "caption",
        # HTML5's other block elements: without them a page's main text and sidebar ran together ("Body
        # text.Side"), and an FAQ's <summary> question into its answer ("Who can see my notes?Only you.").
        "main", "aside", "figure", "address", "details", "summary", "dialog", "fieldset", "legend", "form",
        "menu", "hgroup", "search", "center", "dl",
    }
    # A table is laid out as its reader sees it: a row a line, its cells joined by " | " (as .docx tables are,
    # kb.sources.word). A cell a line, "Who manages the Toronto office?" was answered "Manager [1] Marta Reis [2]".
    # Block elements inside a cell are spaces; a table inside a cell is part of that cell.
    CELL = {"td", "th"}
    TABLE_PARTS = {"table", "tr", "td", "th", "caption", "thead", "tbody", "tfoot"}
    # Never shown, with all they hold. <template> is inert markup for scripts; <datalist> is a script's list of
    # suggestions; <svg> holds drawing code and an icon's <title>; <iframe> and <object> hold fallback text for
    # browsers that cannot show them. <noscript> too: the browsers people read with run scripts and never show it,
    # and what it holds ("Please enable JavaScript", a tracking pixel) is not what a reader of the page asks about;
    # kb runs no scripts, but it reads the page as its reader saw it, not as a script-less robot gets it.
    HIDDEN = {"script", "style", "noscript", "template", "svg", "iframe", "object", "datalist", "noembed", "noframes"}
    # Shown but dropped: a <nav> is a menu of the site's links ("Home Products Pricing Contact"), the same on every
    # page, that answers no question; indexed, its words match questions on every page and its items can be quoted.
    # <header> and <footer> are kept: a footer often holds the contact details and addresses people ask for.
    BOILERPLATE = {"nav"}
    # The whole page hidden (<body style="display:none">, shown by a script once it loads: an anti-flicker trick)
    # hides no part of it from a reader: these are read whatever their attributes say.
    PAGE = {"html", "body"}
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
        # The open elements: (tag, not rendered, invisible), so an end tag ends what it opened and an unclosed hidden
        # element hides at most to its parent's end tag; _where: each tag's places on the stack.
        self._stack: list[tuple[str, bool, bool]] = []
        self._where: dict[str, list[int]] = {}
        self._in_title = False
        self._in_head = False
        self._term_open = False  # a <dt> just ended: its <dd> goes on the same line
        self._tables = 0  # depth of <table> nesting
        self._cells = 0  # cells begun in the current row of the outermost table
        self._in_cell = False

    @property
    def _hidden(self) -> bool:
        """Whether text here is not shown: inside a hidden element (or one dropped as boilerplate)."""
        return bool(self._stack) and (self._stack[-1][1] or self._stack[-1][2])

    def _open(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        """Puts a start tag's element on the stack of open elements, after the elements it ends as a browser does
        (an open <p> or <li>); whether it is shown. Its hiddenness is inherited by all it holds."""
        closes = _IMPLIED_END.get(tag, frozenset({"p"}) if tag in _CLOSES_P else frozenset())
        while self._stack and self._stack[-1][0] in closes:
            self._pop()
        parent_gone, parent_invisible = self._stack[-1][1:] if self._stack else (False, False)
        gone, visibility = (False, None) if tag in self.PAGE else hidden_by_attributes(attrs)
        closed_dialog = tag == "dialog" and not any(name == "open" for name, _ in attrs)  # shown once opened
        gone = parent_gone or gone or closed_dialog or tag in self.HIDDEN or tag in self.BOILERPLATE
        invisible = parent_invisible if visibility is None else visibility
        if tag not in _VOID:
            if len(self._stack) >= _MAX_DEPTH:
                self._pop()
            self._where.setdefault(tag, []).append(len(self._stack))
            self._stack.append((tag, gone, invisible))
        return not (gone or invisible)

    def _close(self, tag: str) -> bool:
        """Takes an end tag's element off the stack with those opened inside it and left open; whether it was shown.
        An end tag with no such element open (a stray </div>), or one outside an open <template> (whose content is
        its own document in a browser), ends nothing and is read as the text around it is."""
        places = self._where.get(tag)
        if not places:
            return not self._hidden
        templates = self._where.get("template")
        if templates and templates[-1] > places[-1]:
            return not self._hidden
        while True:
            opened, gone, invisible = self._pop()
            if opened == tag:
                return not (gone or invisible)

    def _pop(self) -> tuple[str, bool, bool]:
        """The innermost open element, taken off the stack."""
        element = self._stack.pop()
        self._where[element[0]].pop()
        return element

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # "<div/>": a browser ignores the slash of an element that is not void and leaves it open, so
        # <div style="display:none"/> hides what follows up to its parent's end. A shown one's text is laid out as
        # before, as an empty element's; only its place on the stack stays open.
        if self._start(tag, attrs):
            self._end(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = False
        if self._close(tag):
            self._end(tag)

    def _start(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        """The text a start tag adds (a line break, a table's row or cell, a definition's ": "); whether its
        element is shown."""
        shown = self._open(tag, attrs)
        if tag == "head":
            self._in_head = True
        elif tag not in self.HEAD_CONTENT:
            self._in_head = False
        if not shown:
            return False  # nothing hidden adds text, a line break or a table cell
        term_open, self._term_open = self._term_open, False
        if term_open and tag != "dd":
            self.parts.append("\n")  # a term without its definition ends its line
        if tag == "meta":
            values = {k.lower(): (v or "") for k, v in attrs}
            if values.get("property", values.get("name", "")).lower() in ("og:title", "twitter:title") and not self.og_title:
                self.og_title = values.get("content", "")
        if tag == "title":
            self._in_title = True
        elif self._tables and (tag in self.TABLE_PARTS or tag in self.BLOCK):
            self._table_tag(tag, opening=True)
        elif tag == "dd" and term_open:
            # A definition list reads "Term: definition", a line each. Laid out as a browser shows it, the term
            # on a line of its own, "What is dunning?" met a definition that never says "dunning", and kb abstained
            # on every question of a glossary.
            said = "".join(self.parts[-3:]).rstrip()
            self.parts.append(" " if said.endswith((":", "?", ".", "!")) else ": ")
        elif tag in self.BLOCK:
            self.parts.append("\n")
            if tag == "table":
                self._tables, self._cells, self._in_cell = 1, 0, False
                self.parts.append("\n" + TABLE_OPEN)
        if tag in _HEADS:
            self._head = (tag, bool(self._tables), [])
        return True

    def _end(self, tag: str) -> None:
        """The text an end tag of a shown element adds: a line break, a table's cell or row, a heading's end."""
        if tag == "title":
            self._in_title = False
        elif self._tables and (tag in self.TABLE_PARTS or tag in self.BLOCK):
            self._table_tag(tag, opening=False)
        elif tag == "dt":
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
        if self._hidden:
            return
        if self._term_open and not self._in_title:
            if not data.strip():
                return  # the space between </dt> and <dd>
            self._term_open = False
            self.parts.append("\n")
        if self._in_title:
            self.title_parts.append(data)
            return
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
