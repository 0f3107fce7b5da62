"""How much one source file may expand to once read: the bounds that keep a small hostile file from
filling memory (a 20 KB PDF whose pages share one compressed content stream extracts to 50+ MB of text).

The size limit on the file on disk (``max_file_mb``) cannot catch that; these bound what extraction
produces, and readers check them while they extract (page by page, block by block), not afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kb.errors import SourceError

if TYPE_CHECKING:
    from kb.config import Settings

MB = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    max_text_chars: int = 10 * MB  # extracted text per document (setting max_text_mb)
    max_pages: int = 2000  # pages of a PDF read (setting max_pages)
    ocr: bool = True  # OCR PDFs without a text layer when Tesseract is installed
    ocr_max_pages: int = 30
    ocr_dpi: int = 200
    ocr_language: str = "eng"
    ocr_timeout: float = 60.0  # seconds per page

    @classmethod
    def from_settings(cls, settings: "Settings") -> "ReadLimits":
        return cls(
            max_text_chars=int(settings.max_text_mb * MB),
            max_pages=settings.max_pages,
            ocr=settings.ocr,
            ocr_max_pages=settings.ocr_max_pages,
            ocr_dpi=settings.ocr_dpi,
            ocr_language=settings.ocr_language,
        )

    def text_too_long(self) -> SourceError:
        return SourceError(f"extracted text over {round(self.max_text_chars / MB, 4):g} MB limit (setting max_text_mb)")


class TextBudget:
    """Counts extracted characters as a reader produces them, and stops the reader the moment it overruns."""

    def __init__(self, limits: ReadLimits) -> None:
        self.limits = limits
        self.used = 0

    def take(self, text: str) -> str:
        self.used += len(text)
        if self.used > self.limits.max_text_chars:
            raise self.limits.text_too_long()
        return text
