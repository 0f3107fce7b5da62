"""The one list of file types kb reads. The indexer, the watcher and the upload widget all import it from
here (through ``kb.sources``), so a new reader is offered everywhere at once."""

from __future__ import annotations

PLAIN_SUFFIXES = frozenset({".txt"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
TEXT_SUFFIXES = PLAIN_SUFFIXES | MARKDOWN_SUFFIXES  # read as decoded, unchanged
HTML_SUFFIXES = frozenset({".html", ".htm"})
PDF_SUFFIXES = frozenset({".pdf"})
DOCX_SUFFIXES = frozenset({".docx"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES | DOCX_SUFFIXES

#: A table with a row longer than this (characters) lays out a page rather than data: old sites and some Word
#: templates put a whole article in a cell beside a sidebar. Its text is read as text, not quoted as a table.
TABLE_ROW_LIMIT = 300

#: Each reader's version, raised when the text it extracts from unchanged bytes changes. pdf 2: pages joined without
#: their running heads, ligatures spelled out, hyphenated words rejoined. html 2: soft hyphens dropped; html 3: a
#: table a row a line, tables quoted whole (kb.sentences) as docx 2 does, and a definition "Term: definition".
#: markdown 2: sentences found in its blocks, a question heading with its answer, a front-matter title
#: (kb.sources.markdown); html 4 and docx 3: a question heading with its answer, as markdown 2 (html: a <summary>
#: too), and HTML5's block elements (main, nav, aside, details ...) as line breaks; html 5: the <meta charset> a page
#: declares (kb.sources.readers.declared_charset); docx 4: the text
#: of tracked insertions and content controls (kb.sources.word); markdown 3: a blockquote's sentence begins past its
#: quote marks (kb.sentences); pdf 3: a sentence at a page's edge that changes only in its numbers is text, not a
#: running head (kb.sources.pdf.join_pages); html 6: only the text a browser shows (no element hidden by
#: display:none, visibility:hidden, the hidden or aria-hidden="true" attribute, no closed <dialog>) and no <nav> menu
#: (kb.sources.markup). An index records the versions it was read with (Manifest.readers), and `kb index`
#: re-reads the files of a reader whose version moved, and only those: an upgrade neither leaves old text behind nor
#: re-embeds a collection that holds no such file.
READER_VERSIONS: dict[str, int] = {"text": 1, "markdown": 3, "html": 6, "pdf": 3, "docx": 4}


_READER_OF = {suffix: name for name, suffixes in (("text", PLAIN_SUFFIXES), ("markdown", MARKDOWN_SUFFIXES),
                                                  ("html", HTML_SUFFIXES), ("pdf", PDF_SUFFIXES),
                                                  ("docx", DOCX_SUFFIXES))
              for suffix in suffixes}


def reader_of(suffix: str) -> str:
    """The READER_VERSIONS key of a file type ('' for one kb does not read)."""
    return _READER_OF.get(suffix.lower(), "")


__all__ = ["DOCX_SUFFIXES", "HTML_SUFFIXES", "MARKDOWN_SUFFIXES", "PDF_SUFFIXES", "PLAIN_SUFFIXES", "READER_VERSIONS",
           "SUPPORTED_SUFFIXES", "TABLE_ROW_LIMIT", "TEXT_SUFFIXES", "reader_of"]
