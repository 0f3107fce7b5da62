"""What indexing, retrieval and answering need from a store, whatever holds the index.

Two halves, as txtai's ``ann/`` keeps one base class per job and one module per engine:

* ``Store``: one opened, immutable index version. Retrieval and answering read only through it, so a question
  never mixes two versions. Scores are "higher is better" in every backend.
* ``StoreBackend``: where versions live. It names the live version cheaply (asked before every question),
  opens it, takes the one-writer lock, and hands out a ``StoreWriter`` that builds the next version beside the
  live one and publishes it in one atomic step (a pointer file swap, or one Milvus meta row).

Backends: ``kb.store.faiss_sqlite`` (FAISS + SQLite FTS5 in versioned folders, the default) and
``kb.store.milvus`` (collections in Milvus, milvus-lite file or server). ``open_backend`` picks one from the
``store`` setting.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Iterable

import numpy as np

from kb.errors import UsageError
from kb.store.database import ChunkRow, DocumentRow
from kb.store.manifest import Manifest
from kb.text import Sentence
from kb.types import Chunk, SourceDocument

if TYPE_CHECKING:
    from kb.config import Settings

Hits = list[tuple[int, float]]


class Store(ABC):
    """One index version, opened for reading."""

    manifest: Manifest

    @property
    @abstractmethod
    def version(self) -> str: ...

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abstractmethod
    def count_chunks(self) -> int: ...

    # -- search -------------------------------------------------------------------------------------
    @abstractmethod
    def dense_search(self, vector: np.ndarray, k: int) -> Hits:
        """(chunk id, cosine) best first."""

    @abstractmethod
    def lexical_search(self, terms: list[str], k: int) -> Hits:
        """(chunk id, BM25) best first for chunks holding any of ``terms`` (indexed spellings, OR-ed)."""

    def hybrid_search(self, vector: np.ndarray, terms: list[str], k: int, weights: tuple[float, float],
                      rrf_k: int) -> tuple[list[tuple[int, float]], Hits, Hits]:
        """(fused ranking, dense hits, lexical hits), ``k`` deep each.

        The default runs both searches and fuses them by weighted reciprocal rank here; a backend that fuses
        inside the database overrides it. The dense and lexical hits feed the rescoring above the interface.
        """
        from kb.retrieval.fusion import reciprocal_rank_fusion  # the store sits below retrieval: no import cycle

        dense = self.dense_search(vector, k)
        lexical = self.lexical_search(terms, k) if terms else []
        fused = reciprocal_rank_fusion([[c for c, _ in dense], [c for c, _ in lexical]], list(weights), rrf_k)
        return fused, dense, lexical

    # -- rows ---------------------------------------------------------------------------------------
    @abstractmethod
    def chunks(self, ids: Iterable[int]) -> dict[int, ChunkRow]: ...

    @abstractmethod
    def chunk_vectors(self, ids: list[int]) -> dict[int, np.ndarray]: ...

    @abstractmethod
    def sentences_overlapping(self, source: str, start: int, end: int) -> list[tuple[int, int, str, np.ndarray]]:
        """(start, end, exact text, vector) of the document's sentences overlapping [start, end), in order."""

    @abstractmethod
    def documents(self) -> list[DocumentRow]: ...

    @abstractmethod
    def document_text(self, source: str) -> str | None: ...

    # -- lexical statistics (FTS5 terms: porter-stemmed by kb.text.fts_terms) ------------------
    @abstractmethod
    def document_frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        """Chunks holding each indexed term; 0 for unknown ones."""

    @abstractmethod
    def vocabulary(self, initial: str | None = None) -> dict[str, int]:
        """Indexed terms (all, or those starting with ``initial``) with their document frequency."""


class StoreWriter(ABC):
    """Builds the next version; nothing it writes is visible to readers before ``publish``."""

    dimension: int  # the width of the vectors the version is written with

    @abstractmethod
    def stored_hashes(self) -> dict[str, str]:
        """Source -> sha256 of what the version being built starts from (empty for a full build)."""

    def reusable_vectors(self, sources: list[str]) -> tuple[list[tuple[str, str, np.ndarray]],
                                                             list[tuple[str, np.ndarray]]]:
        """The vectors these documents have in the version the build starts from: (title, chunk text, vector) and
        (sentence text, vector). A changed or renamed document's text that did not change is not embedded again.
        A backend that cannot say returns none: everything is embedded."""
        return [], []

    @abstractmethod
    def remove_document(self, source: str) -> None: ...

    @abstractmethod
    def add_document(self, document: SourceDocument, chunks: list[Chunk], vectors: np.ndarray,
                     sentences: list[Sentence], sentence_vectors: np.ndarray) -> None: ...

    @abstractmethod
    def add_sentences(self, document: SourceDocument, sentences: list[Sentence], vectors: np.ndarray) -> None:
        """More sentences of a document this build added with ``add_document``: a document too large for one
        group of texts is written a slice of its sentences at a time, so a build never holds all their vectors."""

    @abstractmethod
    def publish(self, manifest: Manifest) -> tuple[str, int]:
        """Make the build the live version in one atomic step; (version name, chunk count).

        The backend fills the manifest's chunk count and index description before storing it.
        """

    @abstractmethod
    def abort(self) -> None:
        """Drop what was written (an exception or interrupt stopped the build)."""


class StoreBackend(ABC):
    """Where the versions of one index live."""

    #: what the manifest's ``store`` field records, so an index read through another store says so
    kind: str = ""

    @abstractmethod
    def describe(self) -> str:
        """Where the index is, for messages ("index/", "milvus:./kb.db")."""

    @abstractmethod
    def live_version(self) -> str | None:
        """Name of the live version, None when there is none; cheap, asked before every question."""

    @abstractmethod
    def open(self) -> Store:
        """The live version; IndexMissingError / IndexCorruptError when there is none or it is damaged."""

    @abstractmethod
    def live_manifest(self) -> Manifest | None:
        """The live version's manifest; None without an index, IndexCorruptError when it is damaged."""

    @abstractmethod
    def lock(self, wait: float = 0.0) -> AbstractContextManager[None]:
        """The one-writer lock; IndexBusyError after ``wait`` seconds when another build holds it."""

    @abstractmethod
    def writer(self, full: bool, dimension: int) -> StoreWriter:
        """A writer for the next version, starting from the live one unless ``full``. Call under ``lock``."""

    @abstractmethod
    def collect_garbage(self) -> None:
        """Remove abandoned builds and old versions; the live and the previous one stay. Call under ``lock``."""

    def close(self) -> None:
        """Release connections (nothing for a folder)."""


def open_backend(settings: "Settings") -> StoreBackend:
    """The backend the ``store`` setting names: ``faiss`` or ``milvus:<uri>``."""
    kind, _, uri = settings.store.partition(":")
    if kind == "milvus":
        try:
            from kb.store.milvus import MilvusBackend  # pymilvus is imported only when Milvus is used
        except ImportError as exc:
            raise UsageError(f"store {settings.store} needs pymilvus and milvus-lite ({exc})") from None
        return MilvusBackend(uri, settings)
    from kb.store.faiss_sqlite import FaissSqliteBackend

    return FaissSqliteBackend(settings)


def collect_garbage(backend: StoreBackend) -> None:
    """Module-level so the crash tests can observe the step (tests/reliability/crash_worker.py)."""
    backend.collect_garbage()
