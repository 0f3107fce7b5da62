"""PDF -> text: the text layer page by page (pypdf), or OCR of the rendered pages when there is none."""

from __future__ import annotations

import io
import logging
import re
import warnings
from collections import Counter
from typing import Callable

from kb.errors import SourceError
from kb.sources.limits import ReadLimits, TextBudget
from kb.sources.ocr import ocr_pdf


def pdf_to_text(data: bytes, limits: ReadLimits | None = None) -> tuple[str, str]:
    """(text, metadata title). Spans index the text this returns (``text_of_pages``).

    Extraction stops at the first page that takes the text past ``max_text_mb``: pages may share one compressed
    content stream, so a 20 KB file can hold tens of MB of text, and only counting as we go bounds memory.
    """
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    limits = limits or ReadLimits()
    # pypdf logs every repair it attempts ("incorrect startxref pointer") to stderr; the build reports
    # a failed file once, on one line, instead.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    if b"%PDF-" not in data[:1024]:
        raise SourceError("not a PDF file (no %PDF- header)")
    budget = TextBudget(limits)
    pages: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                try:
                    reader.decrypt("")  # many "protected" PDFs only restrict printing: the empty password opens them
                except Exception:
                    pass
            count = len(reader.pages)
            if count > limits.max_pages:
                raise SourceError(f"PDF has {count} pages, over the {limits.max_pages} page limit (setting max_pages)")
            for page in reader.pages:
                text = (page.extract_text() or "").strip()
                if text:
                    pages.append(budget.take(text))
            meta = reader.metadata
            title = str(meta.title).strip() if meta is not None and meta.title else ""
    except SourceError:
        raise
    except FileNotDecryptedError:
        raise SourceError("PDF is encrypted with a password; save an unprotected copy") from None
    except Exception as exc:  # a parser of untrusted bytes raises anything (LimitReachedError, IndexError, zlib.error ...)
        detail = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise SourceError(f"corrupt or unreadable PDF: {detail}") from None
    if not pages:  # only pages with text were kept
        pages = ocr_pdf(data, count, limits)
    return text_of_pages(pages), title


def text_of_pages(pages: list[str]) -> str:
    """The document a PDF's pages of text make, as kb stores it: ligatures spelled out (``LIGATURES``), the pages
    joined (``join_pages``), words broken across lines rejoined (``join_broken_words``). The one place that says
    so: the reader calls it, and so does benchmarks/wrapped_text.py for what the reader makes of a layout."""
    return join_broken_words(join_pages([page.translate(LIGATURES) for page in pages]))


#: Typographic ligatures, one character each in many text layers ("ﬁnancial"): neither the lexical index nor the
#: embedding model's tokenizer reads "ﬁ" as "fi", so the word matched nothing. Spelled out, as Unicode's
#: compatibility decomposition (NFKC) spells them; NFKC itself would also rewrite superscripts, fractions and
#: full-width forms, which the text means as written.
LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
                           "\ufb05": "st", "\ufb06": "st"})


_EDGE_LINES = 2  # running heads and page numbers sit in a page's first or last lines
_DIGITS = re.compile(r"\d+")


def join_pages(pages: list[str]) -> str:
    """The pages' text as one document: running heads and page numbers left out, a sentence that crosses a page kept
    whole.

    A text layer gives each page on its own, with the page's furniture: "Annual report 2021" on top of every page
    and "Page 7 of 12" under it. Joined as they come, a sentence that runs over a page is cut in two with the
    furniture in between, and kb quotes half of it. A line is furniture when it is one of the first or last lines of
    at least half of the pages (three at least): as written, or, when it reads like furniture (short, not a
    sentence), with only its numbers changing ("Page 7 of 12"). A sentence that changes only in its numbers ("Day 2:
    the expedition reached camp 2 at 3,600 meters.") is text: taking it for furniture dropped every day's line but
    the first, and kb answered day 2's question with day 1's altitude. Furniture is dropped there and nowhere else,
    but for the first page's head.
    """
    lines_of = [page.strip().split("\n") for page in pages if page.strip()]
    top = _furniture([page[:_EDGE_LINES] for page in lines_of])
    bottom = _furniture([page[-_EDGE_LINES:] for page in lines_of])
    bodies = []
    for number, page in enumerate(lines_of):
        edge = min(_EDGE_LINES, len(page))
        # The first page keeps its head: often the document's title, said nowhere else. A foot is dropped there too,
        # since a sentence can run on past it.
        first = 0 if number == 0 else next((i for i, line in enumerate(page[:edge]) if not top(line)), edge)
        last = len(page)
        while last > max(first, len(page) - _EDGE_LINES) and bottom(page[last - 1]):
            last -= 1
        body = "\n".join(page[first:last]).strip()
        if body:
            bodies.append(body)
    if not bodies:  # every line repeats on every page: nothing tells furniture from text, so keep it all
        return "\n\n".join("\n".join(page) for page in lines_of)
    text = bodies[0]
    for body in bodies[1:]:
        # The sentence runs on when the page before ends in a lowercase word, a comma, semicolon or hyphen, or the
        # next one starts in lowercase: a line break, which a hard-wrapped text reads as a space (kb.text.wrap_width).
        # Otherwise a paragraph break. A heading that ends a page is a short line, where that reading ends a sentence.
        runs_on = text[-1].islower() or text[-1] in ",;-\u00ad\u2010" or body[0].islower()
        text += ("\n" if runs_on else "\n\n") + body
    return text


_FURNITURE_WORDS = 8  # a running head or foot is a few words: "Annual Harbor Survey 2023 · page 7 of 12"


def _key(line: str) -> str:
    return " ".join(line.lower().split())


def _shape(line: str) -> str:
    return _DIGITS.sub("#", _key(line))


def _reads_as_furniture(line: str) -> bool:
    """Short and not a sentence: a page number, a title with it, a date line. A line ending in a full stop, question
    or exclamation mark says something, whatever its numbers."""
    stripped = line.strip()
    return len(stripped.split()) <= _FURNITURE_WORDS and not stripped.endswith((".", "?", "!", ":", ";"))


def _furniture(edges: list[list[str]]) -> Callable[[str], bool]:
    """Is a line furniture of this edge: in at least half of the pages' edges (three pages at least), as written, or
    with only its numbers changing where it reads as furniture?"""
    if len(edges) < 3:
        return lambda line: False
    enough = max(3, len(edges) / 2)
    exact = Counter(key for lines in edges for key in {_key(line) for line in lines} if key)
    shapes = Counter(key for lines in edges for key in {_shape(line) for line in lines if _reads_as_furniture(line)}
                     if key)
    same = {key for key, n in exact.items() if n >= enough}
    numbered = {key for key, n in shapes.items() if n >= enough}
    return lambda line: _key(line) in same or (_reads_as_furniture(line) and _shape(line) in numbered)


# A word broken at a line end by typesetting: "recog-\nnition". A letter or digit before the hyphen and letters after
# it, so "1998-\n2001" and a dash after a space ("the war -\nwhich") stay as they are. Group 4 is what follows the
# second half up to the next space ("nition." -> "."), so the line break can move there and the line lengths that
# kb.text.wrap_width reads stay a column's width. The first half starts at a word boundary: unanchored, every letter
# of a long run was a start to try again, and 80,000 letters in a row took 34 s (tests/reliability).
_BROKEN_WORD = re.compile(r"\b([^\W_]+)([-\u00ad\u2010])[ \t]*\n[ \t]*([^\W\d_]+)(\S*)( ?)")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def join_broken_words(text: str) -> str:
    """Rejoin the words a PDF's layout hyphenated across lines, and drop soft hyphens.

    A text layer keeps the typesetter's line breaks, so "recog-\nnition" reaches the index as two words: a question
    about recognition misses it lexically, the embedding reads two fragments, and a quote shows "recog- nition".
    Only the document itself is read, no dictionary. The break is a compound's hyphen ("well-\nknown") when the
    document writes the word with a hyphen more often than without, when the second half is capitalized
    ("Anglo-\nSaxon") or when the first ends in a digit ("22-\nyear-old"); otherwise it is a syllable break, the
    usual case in typeset text. Citation spans index the text this returns, so nothing moves under them.
    """
    if "\n" not in text and "\u00ad" not in text:
        return text
    counts = Counter(w.lower() for w in _WORD.findall(text))

    def join(m: re.Match[str]) -> str:
        head, mark, tail, rest, space = m.groups()
        hyphenated, whole = counts[f"{head}-{tail}".lower()], counts[(head + tail).lower()]
        compound = mark != "\u00ad" and (tail[0].isupper() or head[-1].isdigit() or hyphenated > whole)
        return f"{head}{'-' if compound else ''}{tail}{rest}{chr(10) if space else ''}"

    return _BROKEN_WORD.sub(join, text).replace("\u00ad", "")
