"""Turn one file's bytes into a SourceDocument: decoded text, title, date and content hash.

For .txt and .md the extracted text is the decoded file itself, unchanged, so any chunk or citation span
can be checked against the file directly. HTML keeps visible text only; PDF uses its text layer.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import warnings
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

from kb.errors import SourceError
from kb.types import SourceDocument

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES


def read_document(path: Path, source: str) -> SourceDocument:
    """Read one file; raise SourceError with a reason a user understands when it cannot be indexed."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError("file disappeared while indexing") from None
    except OSError as exc:
        raise SourceError(f"cannot read file: {exc.strerror or exc}") from None
    return parse_document(data, source, path.suffix.lower())


def parse_document(data: bytes, source: str, suffix: str) -> SourceDocument:
    if not data:
        raise SourceError("empty file")
    if suffix in TEXT_SUFFIXES:
        text = decode_text(data)
        title = _first_line(text)
        if suffix in (".md", ".markdown"):
            title = title.lstrip("#").strip()
    elif suffix in HTML_SUFFIXES:
        text, title = html_to_text(decode_text(data))
        title = title or _first_line(text)
    elif suffix in PDF_SUFFIXES:
        text, title = pdf_to_text(data)
        title = title or _first_line(text)
    else:
        raise SourceError(f"unsupported file type {suffix or '(none)'}; supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}")
    if not text.strip():
        raise SourceError("no text to index (empty or whitespace only)")
    return SourceDocument(
        source=source,
        title=title[:300] or source,
        text=text,
        sha256=hashlib.sha256(data).hexdigest(),
        date=find_date(text),
        size=len(data),
    )


def decode_text(data: bytes) -> str:
    """Decode UTF-8 (with or without BOM) or UTF-16 (with BOM, or mostly-ASCII without); else cp1252/Latin-1.

    Bytes with NUL characters that are not UTF-16 are treated as binary rather than decoded into noise.
    """
    encoding = None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif not data.startswith(b"\xef\xbb\xbf"):
        encoding = _utf16_without_bom(data)
    if encoding:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            raise SourceError("invalid UTF-16 text") from None
    else:
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        if b"\x00" in data[:8192]:
            raise SourceError("binary content (NUL bytes), not text")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                text = data.decode("latin-1")
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > max(8, len(text[:8192]) // 100):
        raise SourceError("binary content (control characters), not text")
    return text


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when the bytes look like mostly-ASCII UTF-16 written without a BOM.

    In such text nearly every other byte is NUL, on one side only; binary files do not have that pattern.
    """
    head = data[:8192]
    if len(head) < 4 or len(data) % 2:
        return None
    even, odd = head[0::2], head[1::2]
    even_nul, odd_nul = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_nul > 0.7 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.7 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def _first_line(text: str, limit: int = 120) -> str:
    """A title from the first non-empty line, cut at a word boundary when the line is a whole paragraph."""
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            if len(line) <= limit:
                return line
            return line[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return ""


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

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title_parts: list[str] = []
        self._hidden = 0
        self._in_title = False
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "head":
            self._in_head = True
        elif tag not in self.HEAD_CONTENT:
            self._in_head = False
        if tag == "title":
            self._in_title = True
        elif tag in self.HIDDEN:
            self._hidden += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = False
        elif tag == "title":
            self._in_title = False
        elif tag in self.HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
        elif not self._hidden:
            if self._in_head and not data.strip():
                return
            self._in_head = False  # text outside head elements starts the body, as in a browser
            self.parts.append(data)


def html_to_text(markup: str) -> tuple[str, str]:
    parser = _VisibleText()
    opened = markup.rfind("<!--")
    if opened >= 0 and markup.find("-->", opened + 4) < 0:
        markup = markup[:opened]  # a comment left open runs to the end of the file, as in a browser
    try:
        parser.feed(markup)
        parser.close()
    except Exception as exc:  # html.parser is lenient; anything it still rejects is reported, not raised raw
        raise SourceError(f"malformed HTML: {exc}") from None
    raw = "".join(parser.parts)
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in raw.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    title = re.sub(r"\s+", " ", "".join(parser.title_parts)).strip()
    return text, title


def pdf_to_text(data: bytes) -> tuple[str, str]:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    # pypdf logs every repair it attempts ("incorrect startxref pointer") to stderr; the build reports
    # a failed file once, on one line, instead.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    if b"%PDF-" not in data[:1024]:
        raise SourceError("not a PDF file (no %PDF- header)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                try:
                    reader.decrypt("")  # many "protected" PDFs only restrict printing: the empty password opens them
                except Exception:
                    pass
            pages = [(page.extract_text() or "").strip() for page in reader.pages]
            meta = reader.metadata
            title = str(meta.title).strip() if meta is not None and meta.title else ""
    except FileNotDecryptedError:
        raise SourceError("PDF is encrypted with a password; save an unprotected copy") from None
    except Exception as exc:  # a parser of untrusted bytes raises anything (LimitReachedError, IndexError, zlib.error ...)
        detail = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise SourceError(f"corrupt or unreadable PDF: {detail}") from None
    text = "\n\n".join(p for p in pages if p)
    if not text.strip():
        raise SourceError("PDF has no text layer (scanned image?); OCR it first")
    return text, title


_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
         "november", "december"]
    )
}
_MONTH_RE = "(" + "|".join(_MONTHS) + "|sept|" + "|".join(m[:3] for m in _MONTHS) + r")\.?"
_DATE_PATTERNS = [
    re.compile(_MONTH_RE + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", re.I),  # November 25th, 2022
    re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH_RE + r",?\s+(\d{4})", re.I),  # 25 November 2022
    re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"),  # 2022-11-25
]
_DATE_CUE = re.compile(r"\b(updated|published|posted|date[d]?)\b", re.I)


def find_date(text: str) -> str | None:
    """Publication date stated in the text, as ISO, or None.

    Only a date the text presents as its own counts: one on an "Updated / Published / Posted" line (near the top
    or the bottom), or a short date line among the first lines, like a byline. A date in the body ("a report
    published on August 20, 2021" deep in an article) is an event, not the article's date.
    """
    head = [line for line in text[:4000].splitlines() if line.strip()]
    for line in head + text[-1000:].splitlines():
        cue = _DATE_CUE.search(line)
        # "Published November 25th, 2022" or a short dateline; not a sentence that mentions a publication.
        if cue and (not line[: cue.start()].strip() or len(line.strip()) <= 80) and (dates := _dates_in(line)):
            return dates[0]
    for line in head[:6]:
        if len(line.strip()) <= 40 and (dates := _dates_in(line)):
            return dates[0]
    return None


def _dates_in(line: str) -> list[str]:
    found = []
    for pattern_no, pattern in enumerate(_DATE_PATTERNS):
        for m in pattern.finditer(line):
            try:
                if pattern_no == 0:
                    d = date(int(m.group(3)), _MONTHS[_month(m.group(1))], int(m.group(2)))
                elif pattern_no == 1:
                    d = date(int(m.group(3)), _MONTHS[_month(m.group(2))], int(m.group(1)))
                else:
                    d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except (ValueError, KeyError):
                continue
            found.append(d.isoformat())
    return found


def _month(name: str) -> str:
    name = name.lower().rstrip(".")
    return next(m for m in _MONTHS if m.startswith(name))
