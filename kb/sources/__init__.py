"""Sources: files on disk -> SourceDocuments."""

from kb.sources.formats import SUPPORTED_SUFFIXES
from kb.sources.limits import ReadLimits
from kb.sources.readers import parse_document, read_document
from kb.sources.scan import SourceFile, scan_sources

__all__ = ["SUPPORTED_SUFFIXES", "ReadLimits", "SourceFile", "parse_document", "read_document", "scan_sources"]
