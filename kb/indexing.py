"""Sources folder -> a new index version, re-embedding only what changed.

A build compares each file's sha256 with the hash stored in the live version. Unchanged documents are carried
over from the previous version by the store (their chunks and vectors included), so a build with nothing
changed embeds nothing and writes nothing. Everything is written beside the live version and swapped in at the
end by the store (kb.store.base: a CURRENT file swap, or one Milvus meta row): an exception or a kill at any
point leaves the previous version live.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from kb.chunking import Chunker
from kb.config import Settings
from kb.embedding import EXPORT_RECIPE, model_identity
from kb.errors import IndexCorruptError, IndexWriteError, KBError, SourceError
from kb.sentences import document_sentences
from kb.sources import ReadLimits, read_document, scan_sources
from kb.sources.formats import READER_VERSIONS, reader_of
from kb.store import Manifest, VectorIndex  # noqa: F401  (VectorIndex: tests patch the FAISS build through here)
from kb.store.base import StoreBackend, StoreWriter, collect_garbage, open_backend
from kb.store.database import write_errno
from kb.store.manifest import FORMAT_VERSION, mismatch
from kb.text import Sentence
from kb.types import BuildReport, Chunk, SourceDocument, SourceFailure

log = logging.getLogger(__name__)

ProgressFn = Callable[[float, str], None]


class EmbedderLike(Protocol):
    model_name: str
    dimension: int

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray: ...

    def embed_spans(self, texts: list[str], spans: list[list[tuple[int, int]]]) -> tuple[np.ndarray,
                                                                                         list[np.ndarray]]: ...


@dataclass
class _Prepared:
    """A changed document, read and split, waiting for its vectors."""

    document: SourceDocument
    chunks: list[Chunk]
    sentences: list[Sentence]


@dataclass
class _Plan:
    full: bool
    reason: str
    previous_dimension: int | None  # set when unchanged documents are carried over from the live version
    stale_readers: frozenset[str] = frozenset()  # readers whose version moved since the live version: re-read
    live_chunks: int = 0  # the live version's, for a build that finds nothing changed (its manifest is read once)


def stale_readers(recorded: dict[str, int]) -> frozenset[str]:
    """The readers whose version differs from the one the index recorded; an index from before versions were
    recorded read everything at version 1."""
    return frozenset(name for name, version in READER_VERSIONS.items() if recorded.get(name, 1) != version)


def embedding_text(title: str, chunk_text: str, embed_title: bool) -> str:
    """What the model sees for a chunk: its document title gives a passage context it may not state."""
    return f"{title}\n{chunk_text}" if embed_title and title else chunk_text


def write_failure(exc: BaseException, where: str, had_index: bool) -> IndexWriteError | None:
    """A one-line error for a new version that could not be written (disk full, no permission), else None.

    Only errors of the new files count: damage of the live version is reported by the readers as "damaged".
    """
    if isinstance(exc, OSError):
        code, reason = exc.errno, exc.strerror or str(exc)
    elif isinstance(exc, sqlite3.Error) and write_errno(exc) is not None:
        code, reason = write_errno(exc), str(exc)
    else:
        return None
    still = "the old index is still live" if had_index else "no index was there before"
    if code in (errno.ENOSPC, errno.EDQUOT):
        return IndexWriteError(f"not enough disk space to write the new index in {where} ({still})")
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return IndexWriteError(f"no permission to write the new index in {where} ({reason}; {still})")
    return IndexWriteError(f"cannot write the new index in {where} ({reason}; {still})")


class Indexer:
    """Builds or updates the index for ``settings.sources`` in ``settings.index``."""

    EMBED_BATCH = 256  # texts per progress step; the model batches internally with settings.batch_size

    def __init__(self, settings: Settings, embedder_factory: Callable[[], EmbedderLike],
                 backend: StoreBackend | None = None) -> None:
        self.settings = settings
        self.backend = backend or open_backend(settings)
        self._embedder_factory = embedder_factory
        self._embedder: EmbedderLike | None = None
        self.chunker = Chunker(settings.chunk_size, settings.chunk_overlap)

    @property
    def embedder(self) -> EmbedderLike:
        # Loaded only when something must be embedded: a no-op rebuild never pays for the model.
        if self._embedder is None:
            self._embedder = self._embedder_factory()
        return self._embedder

    def wanted_signature(self) -> dict[str, object]:
        return {
            "format_version": FORMAT_VERSION,
            "model": model_identity(self.settings.model),
            "chunker": self.chunker.signature,
            "embed_title": self.settings.embed_title,
            "embedding_recipe": EXPORT_RECIPE,
        }

    def run(
        self,
        full: bool = False,
        progress_bar: bool = False,
        on_progress: ProgressFn | None = None,
        lock_wait: float = 0.0,
    ) -> BuildReport:
        asked = time.perf_counter()
        with self.backend.lock(wait=lock_wait):
            started = time.perf_counter()  # the build's own time: `--wait` behind another build is not part of it
            report = self._run_locked(full, progress_bar, on_progress or (lambda f, m: None))
        report.seconds = time.perf_counter() - started
        log.info("index built", extra={
            "full": report.full, "added": len(report.added), "updated": len(report.updated),
            "removed": len(report.removed), "unchanged": len(report.unchanged), "errors": len(report.errors),
            "chunks": report.chunks, "seconds": round(report.seconds, 3), "waited": round(started - asked, 3)})
        for failure in report.errors:
            log.debug("not indexed", extra={"source": failure.source, "reason": failure.error})
        return report

    # -- steps -------------------------------------------------------------------------------------
    def _plan(self, full: bool) -> _Plan:
        try:
            manifest = self.backend.live_manifest()
        except IndexCorruptError:
            return _Plan(True, "previous manifest damaged", None)
        if manifest is None:
            return _Plan(True, "no index yet", None)
        if full:
            return _Plan(True, "--full", None)
        diffs = mismatch(manifest, self.wanted_signature())
        if manifest.sentence_vectors != self.settings.sentence_vectors:
            diffs.append("sentence_vectors")  # readable either way, but one index should not mix the two kinds
        if diffs:
            return _Plan(True, f"settings changed: {', '.join(diffs)}", None)
        return _Plan(False, "incremental", manifest.dimension, stale_readers(manifest.readers), manifest.chunks)

    def _start(self, full: bool) -> tuple[_Plan, StoreWriter | None, dict[str, str]]:
        """The plan, a writer for the next version (incremental when possible) and the hashes it starts from."""
        plan = self._plan(full)
        if plan.full:
            return plan, None, {}
        writer = self.backend.writer(False, plan.previous_dimension or 0)
        try:
            return plan, writer, writer.stored_hashes()
        except (IndexCorruptError, KBError):
            writer.abort()
            return _Plan(True, "previous database damaged", None), None, {}

    def _run_locked(self, full: bool, progress_bar: bool, on_progress: ProgressFn) -> BuildReport:
        settings = self.settings
        max_bytes = int(settings.max_file_mb * 1024 * 1024)
        files, failures = scan_sources(settings.sources, max_bytes, settings.index)
        limits = ReadLimits.from_settings(settings)
        plan, writer, stored = self._start(full)
        log.debug("build plan", extra={"full": plan.full, "why": plan.reason, "files": len(files),
                                       "sources": str(settings.sources)})

        report = BuildReport(full=plan.full, errors=list(failures))
        current = {f.source: f for f in files}
        kept = {f.source for f in files
                if stored.get(f.source) == f.sha256 and reader_of(f.path.suffix) not in plan.stale_readers}
        changed = [f for f in files if f.source not in kept]
        report.unchanged = [f.source for f in files if f.source in kept]
        report.removed = sorted(s for s in stored if s not in current)

        # Read and chunk what changed; a file that fails now is reported, and its old version dropped.
        on_progress(0.0, f"reading {len(changed)} changed file(s)")
        documents: list[_Prepared] = []
        for f in changed:
            try:
                document = read_document(f, limits, max_bytes)
                chunks = self.chunker.run(document)
                sentences = document_sentences(document)
            except SourceError as exc:
                report.errors.append(SourceFailure(f.source, str(exc)))
                if f.source in stored:
                    report.removed.append(f.source)
                continue
            documents.append(_Prepared(document, chunks, sentences))
            (report.updated if f.source in stored else report.added).append(f.source)
        report.removed.sort()
        report.errors.sort(key=lambda e: e.source)

        if not plan.full and not documents and not report.removed:
            if writer is not None:
                writer.abort()
            report.chunks = plan.live_chunks
            on_progress(1.0, "nothing changed")
            return report

        try:
            vectors = self._embed(documents, progress_bar, on_progress)
            dimension = self._dimension(plan, vectors)
            if writer is None:
                writer = self.backend.writer(True, dimension)
            for source in report.removed + report.updated:
                writer.remove_document(source)
            offset = 0
            for item in documents:
                n_chunks, n_sentences = len(item.chunks), len(item.sentences)
                writer.add_document(
                    item.document, item.chunks, vectors[offset : offset + n_chunks],
                    item.sentences, vectors[offset + n_chunks : offset + n_chunks + n_sentences],
                )
                offset += n_chunks + n_sentences
            on_progress(0.95, "writing vector index")
            version, chunk_count = writer.publish(Manifest(
                model=model_identity(settings.model),
                dimension=dimension,
                chunker=self.chunker.signature,
                embed_title=settings.embed_title,
                documents=len(report.added) + len(report.updated) + len(report.unchanged),
                created_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                sentence_vectors=settings.sentence_vectors,
                store=self.backend.kind,
                embedding_recipe=EXPORT_RECIPE,
                readers=dict(READER_VERSIONS),
                sources=str(Path(settings.sources).absolute()),
            ))
        except BaseException as exc:
            if writer is not None:
                writer.abort()  # closes the new database and removes the half-written version
            failure = write_failure(exc, self.backend.describe(), self._has_live_index())
            if failure is not None:
                raise failure from None
            raise
        collect_garbage(self.backend)
        report.chunks = chunk_count
        report.embedded_chunks = sum(len(item.chunks) for item in documents)
        report.version = version
        on_progress(1.0, report.summary())
        return report

    def _has_live_index(self) -> bool:
        """Whether a version was live when a build failed, for its message; a store that cannot say is
        assumed to have one (the failed build never touched it)."""
        try:
            return self.backend.live_version() is not None
        except Exception:  # noqa: BLE001  (a Milvus server gone away: the message must still be written)
            return True

    def _embed(self, documents: list[_Prepared], progress_bar: bool, on_progress: ProgressFn) -> np.ndarray:
        """Per document its chunk vectors (retrieval) then its sentence vectors (rescoring, answering).

        With ``sentence_vectors = "contextual"`` a sentence's vector is pooled from the forward pass of a chunk
        that holds it whole; only sentences no chunk holds whole (or cut off at the model's token limit) are
        embedded on their own. With ``"separate"`` every sentence is.
        """
        contextual = self.settings.sentence_vectors == "contextual"
        chunk_texts, chunk_spans, homes = self._texts_and_homes(documents, contextual)
        total = len(chunk_texts) + sum(home is None for home in homes)
        if not total:
            return np.zeros((0, 0), dtype=np.float32)

        bar = None
        if progress_bar:
            from tqdm import tqdm

            bar = tqdm(total=total, desc="embedding", unit="text", leave=False)
        done = 0

        def advance(count: int) -> None:
            nonlocal done
            done += count
            if bar is not None:
                bar.update(count)
            on_progress(0.05 + 0.9 * done / total, f"embedded {done}/{total} chunks and sentences")

        chunk_vectors: list[np.ndarray] = []
        pooled: list[np.ndarray] = []
        for begin in range(0, len(chunk_texts), self.EMBED_BATCH):
            texts = chunk_texts[begin : begin + self.EMBED_BATCH]
            if contextual:
                vectors, span_vectors = self.embedder.embed_spans(texts, chunk_spans[begin : begin + self.EMBED_BATCH])
                pooled.extend(span_vectors)
            else:
                vectors = self.embedder.embed(texts)
            chunk_vectors.append(vectors)
            advance(len(texts))
        dimension = chunk_vectors[0].shape[1] if chunk_vectors else 0

        sentence_vectors: list[np.ndarray | None] = []
        for home in homes:
            vector = pooled[home[0]][home[1]] if home is not None else None
            sentence_vectors.append(vector if vector is not None and vector.any() else None)
        missing = [i for i, vector in enumerate(sentence_vectors) if vector is None]
        flat = [s for item in documents for s in item.sentences]
        for begin in range(0, len(missing), self.EMBED_BATCH):
            picked = missing[begin : begin + self.EMBED_BATCH]
            vectors = self.embedder.embed([flat[i].text for i in picked])
            dimension = dimension or vectors.shape[1]
            for i, vector in zip(picked, vectors):
                sentence_vectors[i] = vector
            advance(len(picked) - sum(homes[i] is not None for i in picked))  # pooled ones were counted as done
        if bar is not None:
            bar.close()

        chunks_all = np.concatenate(chunk_vectors) if chunk_vectors else np.zeros((0, dimension), np.float32)
        parts: list[np.ndarray] = []
        chunk_at = sentence_at = 0
        for item in documents:
            parts.append(chunks_all[chunk_at : chunk_at + len(item.chunks)])
            chunk_at += len(item.chunks)
            count = len(item.sentences)
            if count:
                parts.append(np.stack(sentence_vectors[sentence_at : sentence_at + count]))  # type: ignore[arg-type]
            sentence_at += count
        return np.concatenate(parts).astype(np.float32, copy=False)

    def _texts_and_homes(self, documents: list[_Prepared], contextual: bool) -> tuple[
            list[str], list[list[tuple[int, int]]], list[tuple[int, int] | None]]:
        """The model's input texts (one per chunk), the sentence spans to pool out of each, and per sentence of
        every document its home: (chunk index, span index), or None when it must be embedded on its own."""
        chunk_texts: list[str] = []
        chunk_spans: list[list[tuple[int, int]]] = []
        homes: list[tuple[int, int] | None] = []
        for item in documents:
            base = len(chunk_texts)
            for chunk in item.chunks:
                chunk_texts.append(embedding_text(item.document.title, chunk.text, self.settings.embed_title))
                chunk_spans.append([])
            if not contextual:
                homes.extend([None] * len(item.sentences))
                continue
            position = 0
            for sentence in item.sentences:
                # Chunk starts and ends both grow through the document, so if any chunk holds the sentence
                # whole, the first one ending at or after its end does.
                while position < len(item.chunks) and item.chunks[position].end < sentence.end:
                    position += 1
                chunk = item.chunks[position] if position < len(item.chunks) else None
                if chunk is None or chunk.start > sentence.start:
                    homes.append(None)
                    continue
                shift = len(chunk_texts[base + position]) - len(chunk.text) - chunk.start  # the title line
                spans = chunk_spans[base + position]
                spans.append((sentence.start + shift, sentence.end + shift))
                homes.append((base + position, len(spans) - 1))
        return chunk_texts, chunk_spans, homes

    def _dimension(self, plan: _Plan, vectors: np.ndarray) -> int:
        if vectors.size:
            return int(vectors.shape[1])
        if plan.previous_dimension is not None:
            return plan.previous_dimension
        return self.embedder.dimension
