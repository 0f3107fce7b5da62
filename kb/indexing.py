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
from kb.sources import ReadLimits, SourceFile, read_document, scan_sources
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


class _Progress:
    """A build's progress by bytes of the changed files: read and skipped, or embedded and written."""

    def __init__(self, total_bytes: int, files: int, bar: bool, on_progress: ProgressFn) -> None:
        self.total = max(total_bytes, 1)
        self.files = files
        self.done_bytes = 0
        self.on_progress = on_progress
        self.bar = None
        if bar:
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, desc="embedding", unit="B", unit_scale=True, leave=False)

    def _show(self, now: float) -> None:
        if self.bar is not None:
            self.bar.update(now - self.bar.n)
        share = min(now / self.total, 1.0)
        self.on_progress(round(0.05 + 0.9 * share, 4), f"embedding {self.files} changed file(s): {share:.0%}")

    def embedded(self, share: float, group_bytes: int) -> None:
        """A share of the group being embedded is done."""
        self._show(self.done_bytes + share * group_bytes)

    def written(self, size: int) -> None:
        """A group was embedded and written, or a file skipped."""
        self.done_bytes += size
        self._show(self.done_bytes)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class Indexer:
    """Builds or updates the index for ``settings.sources`` in ``settings.index``."""

    EMBED_BATCH = 256  # texts per progress step; the model batches internally with settings.batch_size
    # Chunks and sentences read, embedded and written together. A build's memory grows with this, not with the
    # corpus: ~1.5 KB of float32 vector per text plus the group's documents (4,096 texts: ~30 MB in all).
    GROUP_TEXTS = 4096

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
        if lock_wait > 0:  # with -v, says where a build that waits behind another is (and a test when to release)
            log.info("taking the index lock", extra={"wait": lock_wait})
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

        gone = {stored[source]: source for source in report.removed}
        renamed_from = {f.source: gone[f.sha256] for f in changed if f.source not in stored and f.sha256 in gone}

        on_progress(0.0, f"reading {len(changed)} changed file(s)")
        progress = _Progress(sum(f.size for f in changed), len(changed), progress_bar, on_progress)
        group: list[_Prepared] = []
        group_bytes = group_texts = 0
        try:
            # Changed files are read, embedded and written a group at a time (GROUP_TEXTS), so a build holds one
            # group's documents and vectors, not the corpus's: memory stays flat however many files change.
            for f in changed:
                prepared = self._read(f, limits, max_bytes, stored, report)
                if prepared is None:
                    progress.written(f.size)
                    continue
                texts = len(prepared.chunks) + len(prepared.sentences)
                if texts > self.GROUP_TEXTS and self.settings.sentence_vectors != "contextual":
                    if group:
                        writer = self._write_group(group, group_bytes, writer, stored, renamed_from, progress, report)
                        group, group_bytes, group_texts = [], 0, 0
                    writer = self._write_large(prepared, f.size, writer, stored, renamed_from, progress, report)
                    continue
                group.append(prepared)
                group_bytes += f.size
                group_texts += texts
                if group_texts >= self.GROUP_TEXTS:
                    writer = self._write_group(group, group_bytes, writer, stored, renamed_from, progress, report)
                    group, group_bytes, group_texts = [], 0, 0
            if group:
                writer = self._write_group(group, group_bytes, writer, stored, renamed_from, progress, report)
            progress.close()
            report.removed.sort()
            report.errors.sort(key=lambda e: e.source)

            if not plan.full and not report.added and not report.updated and not report.removed:
                if writer is not None:
                    writer.abort()
                report.chunks = plan.live_chunks
                on_progress(1.0, "nothing changed")
                return report

            if writer is None:  # a full build that found nothing to read: an empty index
                writer = self.backend.writer(True, self._full_build_dimension())
            for source in report.removed:
                writer.remove_document(source)
            on_progress(0.95, "writing vector index")
            version, chunk_count = writer.publish(Manifest(
                model=model_identity(settings.model),
                dimension=writer.dimension,
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
            progress.close()
            if writer is not None:
                writer.abort()  # closes the new database and removes the half-written version
            failure = write_failure(exc, self.backend.describe(), self._has_live_index())
            if failure is not None:
                raise failure from None
            raise
        collect_garbage(self.backend)
        report.chunks = chunk_count
        report.version = version
        on_progress(1.0, report.summary())
        return report

    def _read(self, f: SourceFile, limits: ReadLimits, max_bytes: int, stored: dict[str, str],
              report: BuildReport) -> _Prepared | None:
        """One changed file read and split, or None when it cannot be: it is reported, and its old version goes."""
        try:
            document = read_document(f, limits, max_bytes)
            prepared = _Prepared(document, self.chunker.run(document), document_sentences(document))
        except SourceError as exc:
            report.errors.append(SourceFailure(f.source, str(exc)))
            if f.source in stored:
                report.removed.append(f.source)
            return None
        (report.updated if f.source in stored else report.added).append(f.source)
        return prepared

    def _write_group(self, group: list[_Prepared], group_bytes: int, writer: StoreWriter | None,
                     stored: dict[str, str], renamed_from: dict[str, str], progress: "_Progress",
                     report: BuildReport) -> StoreWriter:
        """Embeds a group of documents and adds them to the next version; returns the writer (made on the first
        group of a full build, whose dimension only the vectors tell)."""
        known = self._known_vectors(group, writer, stored, renamed_from)
        vectors, reused = self._embed(group, lambda done, total: progress.embedded(done / total, group_bytes), known)
        writer = self._add(group, vectors, writer, stored)
        report.embedded_chunks += sum(len(item.chunks) for item in group) - reused
        progress.written(group_bytes)
        return writer

    def _add(self, group: list[_Prepared], vectors: np.ndarray, writer: StoreWriter | None,
             stored: dict[str, str]) -> StoreWriter:
        """Adds embedded documents (per document its chunk vectors, then its sentence vectors) to the next version,
        in place of their old versions; the writer is made on a full build's first group, whose dimension only the
        vectors tell."""
        if writer is None:
            writer = self.backend.writer(True, self._full_build_dimension(vectors))
        offset = 0
        for item in group:
            if item.document.source in stored:
                writer.remove_document(item.document.source)
            n_chunks, n_sentences = len(item.chunks), len(item.sentences)
            writer.add_document(
                item.document, item.chunks, vectors[offset : offset + n_chunks],
                item.sentences, vectors[offset + n_chunks : offset + n_chunks + n_sentences],
            )
            offset += n_chunks + n_sentences
        return writer

    def _write_large(self, item: _Prepared, size: int, writer: StoreWriter | None, stored: dict[str, str],
                     renamed_from: dict[str, str], progress: "_Progress", report: BuildReport) -> StoreWriter:
        """A document with more texts than a group holds, embedded and written a slice of its sentences at a time
        (StoreWriter.add_sentences): one 4 MB file had held every vector of its 40,000 chunks and sentences at
        once (docs/performance.md, "One large file"). Its chunks go in the first slice. Not with contextual
        sentence vectors, which are pooled from the chunks' passes: such a document stays one group."""
        known = self._known_vectors([item], writer, stored, renamed_from)
        title, embed_title = item.document.title, self.settings.embed_title
        chunk_texts = [embedding_text(title, chunk.text, embed_title) for chunk in item.chunks]
        slices = [item.sentences[i : i + self.GROUP_TEXTS] for i in range(0, len(item.sentences), self.GROUP_TEXTS)]
        total = len(chunk_texts) + len(item.sentences)
        first, *rest = slices or [[]]

        def advance_from(before: int, width: int) -> Callable[[int, int], None]:
            return lambda finished, of: progress.embedded((before + width * finished / max(of, 1)) / total, size)

        head = _Prepared(item.document, item.chunks, first)
        done = len(chunk_texts) + len(first)
        vectors, reused = self._embed_each_text([head], chunk_texts, known, advance_from(0, done))
        writer = self._add([head], vectors, writer, stored)
        del vectors  # each slice's vectors go before the next slice is embedded
        for part in rest:
            vectors, _ = self._embed_each_text([_Prepared(item.document, [], part)], [], known,
                                               advance_from(done, len(part)))
            writer.add_sentences(item.document, part, vectors)
            del vectors
            done += len(part)
        report.embedded_chunks += len(item.chunks) - reused
        progress.written(size)
        return writer

    def _known_vectors(self, group: list[_Prepared], writer: StoreWriter | None, stored: dict[str, str],
                       renamed_from: dict[str, str]) -> dict[str, np.ndarray]:
        """Text -> vector from the previous version of the group's edited documents, and of the files renamed
        or moved to them unchanged, so only text that changed is embedded again.

        Exact because a vector is a function of the text the model reads (one text a batch on a CPU,
        ``kb.embedding.default_batch_size``) and an incremental build keeps the model and its recipe. A --full
        build reuses nothing: rebuilding from scratch is what it is for. With contextual sentence vectors a
        sentence's vector comes from its chunk's pass, so nothing is reused there either.
        """
        if writer is None or self.settings.sentence_vectors == "contextual":
            return {}
        sources = sorted({old for item in group
                          if (old := item.document.source if item.document.source in stored
                              else renamed_from.get(item.document.source))})
        if not sources:
            return {}
        chunks, sentences = writer.reusable_vectors(sources)
        known = {text: vector for text, vector in sentences}
        known.update((embedding_text(title, text, self.settings.embed_title), vector) for title, text, vector in chunks)
        return known

    def _has_live_index(self) -> bool:
        """Whether a version was live when a build failed, for its message; a store that cannot say is
        assumed to have one (the failed build never touched it)."""
        try:
            return self.backend.live_version() is not None
        except Exception:  # noqa: BLE001  (a Milvus server gone away: the message must still be written)
            return True

    def _embed(self, documents: list[_Prepared], advance: Callable[[int, int], None],
               known: dict[str, np.ndarray] | None = None) -> tuple[np.ndarray, int]:
        """Per document its chunk vectors (retrieval) then its sentence vectors (rescoring, answering), and how
        many chunk vectors came from ``known`` (text -> vector) instead of the model; ``advance(done, total)``
        after each batch of model passes.

        With ``sentence_vectors = "separate"`` (the default) every chunk and sentence is embedded on its own
        text, once per distinct text. With ``"contextual"`` a sentence's vector is pooled from the forward pass
        of a chunk that holds it whole; only sentences no chunk holds whole (or cut off at the model's token
        limit) are embedded on their own.
        """
        contextual = self.settings.sentence_vectors == "contextual"
        chunk_texts, chunk_spans, homes = self._texts_and_homes(documents, contextual)
        if not contextual:
            return self._embed_each_text(documents, chunk_texts, known or {}, advance)
        total = len(chunk_texts) + sum(home is None for home in homes)
        if not total:
            return np.zeros((0, 0), dtype=np.float32), 0
        done = 0

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
            done += len(texts)
            advance(done, total)
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
            done += len(picked) - sum(homes[i] is not None for i in picked)  # pooled ones were counted as done
            advance(done, total)

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
        return np.concatenate(parts).astype(np.float32, copy=False), 0

    def _embed_each_text(self, documents: list[_Prepared], chunk_texts: list[str], known: dict[str, np.ndarray],
                         advance: Callable[[int, int], None]) -> tuple[np.ndarray, int]:
        """The separate mode of ``_embed``: a text already known, or met earlier in the group (a byline, a
        boilerplate line), is not embedded again. Each vector goes straight into its rows of the one array
        returned: a group is at most one large document's texts, and keeping them in a dict as well as in that
        array held every vector of a 4 MB file twice (docs/performance.md, "One large file")."""
        sentence_texts = [s.text for item in documents for s in item.sentences]
        if not chunk_texts and not sentence_texts:
            return np.zeros((0, 0), dtype=np.float32), 0
        rows_of: dict[str, list[int]] = {}
        row = chunk_at = 0
        for item in documents:  # per document its chunks, then its sentences
            for text in chunk_texts[chunk_at : chunk_at + len(item.chunks)] + [s.text for s in item.sentences]:
                rows_of.setdefault(text, []).append(row)
                row += 1
            chunk_at += len(item.chunks)
        out: np.ndarray | None = None

        def put(text: str, vector: np.ndarray) -> None:
            nonlocal out
            if out is None:
                out = np.empty((row, len(vector)), dtype=np.float32)
            out[rows_of[text]] = vector

        for text in rows_of:  # per text of the group, not per known one: a large file's slices share one table
            vector = known.get(text)
            if vector is not None:
                put(text, vector)
        wanted = list(dict.fromkeys(t for t in chunk_texts + sentence_texts if t not in known))
        for begin in range(0, len(wanted), self.EMBED_BATCH):
            texts = wanted[begin : begin + self.EMBED_BATCH]
            for text, vector in zip(texts, self.embedder.embed(texts)):
                put(text, vector)
            advance(begin + len(texts), len(wanted))
        assert out is not None
        return out, sum(text in known for text in chunk_texts)

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

    def _full_build_dimension(self, vectors: np.ndarray | None = None) -> int:
        """The vector width a full build writes (an incremental one keeps its live version's): its first group's,
        or the model's when there is nothing to embed."""
        return int(vectors.shape[1]) if vectors is not None and vectors.size else self.embedder.dimension
