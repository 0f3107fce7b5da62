"""Documents -> chunks with exact character spans.

LangChain's RecursiveCharacterTextSplitter does the splitting (paragraphs, then lines, then sentence ends,
then words); we only attach spans. The splitter keeps separators and strips whitespace, so every chunk is
a verbatim substring of the document and its span is found by searching forward from the previous chunk.
"""

from __future__ import annotations

from langchain_text_splitters import RecursiveCharacterTextSplitter

from kb.text import wrap_width
from kb.types import Chunk, SourceDocument

#: Bumped whenever the splitting rules change, so old indexes are rebuilt (recorded in the manifest). The
#: sentences stored beside the chunks count too: v2 reads hard-wrapped text's line breaks as spaces
#: (kb.text.wrap_width), in chunks and sentences alike.
SPLITTER_VERSION = "recursive-sentence-v2"

# Paragraph > line > sentence end > clause > word > character. Sentence ends are kept with their sentence
# ("end"), so a chunk starts at a sentence start whenever the size allows.
_SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]
# Hard-wrapped text (kb.text.wrap_width): its line breaks fall inside sentences, so a chunk is cut at a paragraph,
# then at a sentence end, whether a space or a line break follows it, and never at a line break alone.
_WRAPPED_SEPARATORS = ["\n\n", ". ", ".\n", "? ", "?\n", "! ", "!\n", "; ", ", ", " ", ""]


class Chunker:
    """Sentence-aware chunker; ``run`` returns chunks whose ``text == document.text[start:end]``."""

    def __init__(self, chunk_size: int, chunk_overlap: int) -> None:
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self._splitter, self._wrapped_splitter = (
            RecursiveCharacterTextSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap, separators=separators,
                                           keep_separator="end", strip_whitespace=True)
            for separators in (_SEPARATORS, _WRAPPED_SEPARATORS)
        )

    @property
    def signature(self) -> dict[str, object]:
        return {"splitter": SPLITTER_VERSION, "chunk_size": self.chunk_size, "chunk_overlap": self.chunk_overlap}

    def run(self, document: SourceDocument) -> list[Chunk]:
        text = document.text
        chunks: list[Chunk] = []
        cursor = 0
        splitter = self._wrapped_splitter if wrap_width(text) is not None else self._splitter
        for piece in splitter.split_text(text):
            if not piece.strip():
                continue
            # Overlap means the next chunk may start before the previous one ended; search from just after
            # the previous start so that repeated text maps to its next occurrence, never an earlier one.
            start = text.find(piece, cursor)
            if start < 0:  # defensive: the splitter changed behaviour; fail loudly rather than store a bad span
                raise AssertionError(f"chunk of {document.source} is not a substring of its text")
            end = start + len(piece)
            chunks.append(Chunk(document.source, len(chunks), start, end, piece))
            cursor = start + 1
        return chunks

