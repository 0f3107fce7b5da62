"""The one list of file types kb reads. The indexer, the watcher and the upload widget all import it from
here (through ``kb.sources``), so a new reader is offered everywhere at once."""

from __future__ import annotations

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
PDF_SUFFIXES = frozenset({".pdf"})
DOCX_SUFFIXES = frozenset({".docx"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES | DOCX_SUFFIXES

__all__ = ["DOCX_SUFFIXES", "HTML_SUFFIXES", "PDF_SUFFIXES", "SUPPORTED_SUFFIXES", "TEXT_SUFFIXES"]
