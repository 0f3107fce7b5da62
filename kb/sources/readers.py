"""Turn one file's bytes into a SourceDocument: decoded text, title, date and content hash.

For .txt and .md the extracted text is the decoded file itself, unchanged, so any chunk or citation span
can be checked against the file directly. HTML keeps visible text only; PDF uses its text layer (or OCR when
it has none); .docx its paragraphs and tables in reading order. For every format, spans index the extracted
text stored with the document, never the raw bytes.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re

from kb.errors import SourceError
from kb.sources.dates import find_date
from kb.sources.formats import (DOCX_SUFFIXES, HTML_SUFFIXES, MARKDOWN_SUFFIXES, PDF_SUFFIXES, SUPPORTED_SUFFIXES,
                                TEXT_SUFFIXES)
from kb.sources.limits import ReadLimits
from kb.sources.markdown import markdown_blocks, markdown_title
from kb.sources.markup import html_to_text
from kb.sources.pdf import pdf_to_text
from kb.sources.scan import SourceFile, open_checked, read_fd
from kb.sources.titles import pick_explicit_title, title_from_text
from kb.sources.word import docx_to_text
from kb.types import Block, SourceDocument

__all__ = ["SUPPORTED_SUFFIXES", "decode_text", "parse_document", "read_document"]


def read_document(file: SourceFile, limits: ReadLimits | None = None, max_bytes: int = 1 << 40) -> SourceDocument:
    """Read one scanned file; raise SourceError with a reason a user understands when it cannot be indexed.

    The file is read only if it is still the one the scan vetted (same inode), so a file swapped for a
    symlink after the scan is refused rather than followed (kb.sources.scan).
    """
    fd = open_checked(file)
    try:
        data = read_fd(fd, max_bytes)
    except OSError as exc:
        raise SourceError(f"cannot read file: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    return parse_document(data, file.source, file.path.suffix.lower(), limits)


def parse_document(data: bytes, source: str, suffix: str, limits: ReadLimits | None = None) -> SourceDocument:
    limits = limits or ReadLimits()
    if not data:
        raise SourceError("empty file")
    if suffix in TEXT_SUFFIXES:
        text = decode_text(data)  # no expansion: max_file_mb already bounds plain text
        blocks: tuple[Block, ...] = ()
        if suffix in MARKDOWN_SUFFIXES:
            blocks = tuple(markdown_blocks(text))
            title = markdown_title(text)
        else:
            title = title_from_text(text)
    elif suffix in HTML_SUFFIXES:
        text, title, found = html_to_text(decode_text(data, declared_charset(data)), limits)
        blocks = _with_text_between(found, len(text))
    elif suffix in PDF_SUFFIXES:
        text, stated = pdf_to_text(data, limits)
        blocks = ()
        title = pick_explicit_title([stated], text)
    elif suffix in DOCX_SUFFIXES:
        text, title, found = docx_to_text(data, limits)
        blocks = _with_text_between(found, len(text))
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
        blocks=blocks,
    )


def _with_text_between(found: list[Block], length: int) -> tuple[Block, ...]:
    """A reader's blocks (tables, question headings; any order), in order, with the text between them as plain
    text; none without one."""
    blocks: list[Block] = []
    at = 0
    for block in sorted(found, key=lambda b: b.start):
        if block.start > at:
            blocks.append(Block(at, block.start, "text"))
        blocks.append(block)
        at = block.end
    if blocks and at < length:
        blocks.append(Block(at, length, "text"))
    return tuple(blocks)


#: An HTML page's own word on its encoding, in its first bytes: <meta charset="windows-1251"> or <meta
#: http-equiv="Content-Type" content="text/html; charset=koi8-r">.
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{2,40})""", re.IGNORECASE)


def declared_charset(data: bytes) -> str | None:
    """The encoding an HTML page declares in its first 4 KB (the HTML standard reads 1 KB; pages put long head
    material first), as a codec Python knows; None when it declares none or one Python does not know."""
    m = _META_CHARSET.search(data[:4096])
    if m is None:
        return None
    try:
        return codecs.lookup(m.group(1).decode("ascii")).name
    except LookupError:
        return None


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Decode UTF-8 (with or without BOM) or UTF-16 (with BOM, or mostly-ASCII without); else the encoding the
    document declares (an HTML page's <meta charset>), else cp1252/Latin-1.

    Valid UTF-8 wins over a declaration: a page declared windows-1251 or koi8-r whose bytes happen to be valid UTF-8
    is nearly always UTF-8 mislabelled, while the other way round a Cyrillic page read as cp1252 was indexed as
    "Íîâûé ìîñò" and never answered. Bytes with NUL characters that are not UTF-16 are treated as binary rather
    than decoded into noise.
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
            text = _decoded_as_declared(data, declared)
            if text is None:
                try:
                    text = data.decode("cp1252")
                except UnicodeDecodeError:
                    text = data.decode("latin-1")
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > max(8, len(text[:8192]) // 100):
        raise SourceError("binary content (control characters), not text")
    return text


def _decoded_as_declared(data: bytes, declared: str | None) -> str | None:
    if declared is None or declared.startswith(("utf-16", "utf-32")):  # a declared UTF-16 without its BOM is wrong
        return None
    try:
        return data.decode(declared)
    except UnicodeDecodeError:
        return None


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
