"""PDF -> text: the text layer page by page (pypdf), or OCR of the rendered pages when there is none."""

from __future__ import annotations

import io
import logging
import re
import warnings
from collections import Counter

from kb.errors import SourceError
from kb.sources.limits import ReadLimits, TextBudget
from kb.sources.ocr import ocr_pdf


def pdf_to_text(data: bytes, limits: ReadLimits | None = None) -> tuple[str, str]:
    """(text, metadata title). Pages are joined by a blank line; spans index this joined text.

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
    text = "\n\n".join(pages)
    if not text.strip():
        text = ocr_pdf(data, count, limits)
    return join_broken_words(text), title


# A word broken at a line end by typesetting: "recog-\nnition". A letter or digit before the hyphen and letters after
# it, so "1998-\n2001" and a dash after a space ("the war -\nwhich") stay as they are. Group 4 is what follows the
# second half up to the next space ("nition." -> "."), so the line break can move there and the line lengths that
# kb.text.wrap_width reads stay a column's width.
_BROKEN_WORD = re.compile(r"([^\W_]+)([-\u00ad\u2010])[ \t]*\n[ \t]*([^\W\d_]+)(\S*)( ?)")
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
