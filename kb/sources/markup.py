"""HTML -> the text a browser would show, plus the titles the page states (og:title, <h1>, <title>)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from kb.errors import SourceError
from kb.sources.limits import ReadLimits, TextBudget
from kb.sources.titles import pick_explicit_title, split_site_suffix

_FEED_BLOCK = 1 << 16  # characters fed to the parser at a time, so the text budget is checked as it grows


class _VisibleText(HTMLParser):
    """Collects the text a browser would show; block elements become line breaks."""

    BLOCK = {
        "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
        "section", "article", "header", "footer", "blockquote", "pre", "hr", "dd", "dt", "figcaption", "td", "th",
    }
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
        self.headings: list[str] = []  # text of each <h1>
        self._h1: list[str] | None = None
        self._hidden = 0
        self._in_title = False
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
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
        elif tag in self.BLOCK:
            self.parts.append("\n")
        if tag == "h1" and not self._hidden:
            self._h1 = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = False
        elif tag == "title":
            self._in_title = False
        elif tag in self.HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n")
        if tag == "h1" and self._h1 is not None:
            self.headings.append(" ".join("".join(self._h1).split()))
            self._h1 = None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
        elif not self._hidden:
            if self._in_head and not data.strip():
                return
            self._in_head = False  # text outside head elements starts the body, as in a browser
            self.parts.append(self.budget.take(data))
            if self._h1 is not None:
                self._h1.append(data)


def html_to_text(markup: str, limits: ReadLimits | None = None) -> tuple[str, str]:
    """(visible text, title). The title prefers og:title, then a <title> without a " | Site" suffix, then the
    first <h1>, then the <title> with its suffix cut, then the headline found in the text."""
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
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in raw.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    page_title = " ".join("".join(parser.title_parts).split())
    og_title = split_site_suffix(parser.og_title)[0]
    headline, site = split_site_suffix(page_title)
    candidates = [og_title, "" if site else page_title, *parser.headings[:3], headline, parser.og_title, page_title]
    return text, pick_explicit_title(candidates, text)
