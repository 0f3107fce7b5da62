"""Text for scanned PDFs (no text layer): pages rendered with PDFium, read by the Tesseract OCR engine.

Tesseract is an optional system program (Debian/Ubuntu: ``apt-get install tesseract-ocr``; macOS:
``brew install tesseract``); without it such a PDF is skipped with a reason that says how to get it. It is
called as a subprocess rather than through a binding: one page image in, plain text out, with a timeout, and
nothing to compile. Cost is bounded by settings: ``ocr_max_pages``, ``ocr_dpi`` and a cap on pixels per page.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from kb.errors import SourceError
from kb.sources.limits import ReadLimits, TextBudget

NO_TEXT_LAYER = "PDF has no text layer; install tesseract-ocr to read scanned PDFs"
_MAX_PIXELS = 40_000_000  # per rendered page: 8.5x11 in at 600 dpi; a page declared 200 in wide is scaled down


def tesseract_path() -> str | None:
    return shutil.which("tesseract")


def ocr_pdf(data: bytes, page_count: int, limits: ReadLimits) -> list[str]:
    """The OCR text of each page that has any, or a SourceError saying why there is none."""
    if not limits.ocr:
        raise SourceError("PDF has no text layer; OCR is off (setting ocr)")
    tesseract = tesseract_path()
    if tesseract is None:
        raise SourceError(NO_TEXT_LAYER)
    if page_count > limits.ocr_max_pages:
        raise SourceError(
            f"PDF has no text layer and {page_count} pages, over the {limits.ocr_max_pages} page OCR limit "
            "(setting ocr_max_pages)"
        )
    try:
        import pypdfium2 as pdfium
    except ImportError:
        raise SourceError("PDF has no text layer; install pypdfium2 to render its pages for OCR") from None
    budget = TextBudget(limits)
    pages: list[str] = []
    try:
        document = pdfium.PdfDocument(data)
    except Exception as exc:  # PdfiumError on what pypdf accepted: report, do not crash the build
        raise SourceError(f"PDF has no text layer and cannot be rendered for OCR: {exc}") from None
    try:
        with tempfile.TemporaryDirectory(prefix="kb-ocr-") as folder:
            for number in range(len(document)):
                image = Path(folder) / f"page-{number}.png"
                try:
                    _render(document[number], limits.ocr_dpi, image)
                except Exception as exc:  # PdfiumError, PIL errors: a damaged page is reported, not raised raw
                    detail = " ".join(str(exc).split())[:120] or type(exc).__name__
                    raise SourceError(f"PDF has no text layer and page {number + 1} cannot be rendered for OCR: "
                                      f"{detail}") from None
                text = _tesseract(tesseract, image, limits)
                image.unlink()
                if text:
                    pages.append(budget.take(text))
    finally:
        document.close()
    if not pages:  # only pages with text were kept
        raise SourceError("PDF has no text layer and OCR found no text in it")
    return pages


def _render(page, dpi: int, target: Path) -> None:  # page: pypdfium2.PdfPage
    width, height = page.get_size()  # PDF points, 1/72 in
    scale = dpi / 72
    if width * height * scale * scale > _MAX_PIXELS:
        scale = (_MAX_PIXELS / max(width * height, 1.0)) ** 0.5
    try:
        page.render(scale=scale, grayscale=True).to_pil().save(target)
    finally:
        page.close()


def _tesseract(binary: str, image: Path, limits: ReadLimits) -> str:
    # One thread: OCR runs inside a build that already uses the cores for embedding.
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        done = subprocess.run(
            [binary, str(image), "stdout", "-l", limits.ocr_language],
            capture_output=True, timeout=limits.ocr_timeout, env=env, check=False,
        )
    except subprocess.TimeoutExpired:
        raise SourceError(f"OCR of a page took over {limits.ocr_timeout:g} s; skipped") from None
    except OSError as exc:
        raise SourceError(f"cannot run tesseract: {exc.strerror or exc}") from None
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SourceError(f"OCR failed: {lines[-1] if lines else f'tesseract exit code {done.returncode}'}")
    text = done.stdout.decode("utf-8", "replace").replace("\f", "\n")
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
