"""Sources: files on disk -> SourceDocuments."""

from kb.sources.readers import SUPPORTED_SUFFIXES, parse_document, read_document
from kb.sources.scan import SourceFile, scan_sources

__all__ = ["SUPPORTED_SUFFIXES", "SourceFile", "parse_document", "read_document", "scan_sources"]
