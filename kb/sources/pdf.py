"""PDF -> text: the text layer page by page (pypdf), or OCR of the rendered pages when there is none."""

from __future__ import annotations

import io
import logging
import warnings

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
    return text, title
