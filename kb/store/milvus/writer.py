"""Writing the next version's collections beside the live one; ``publish`` makes them live (one meta row)."""

from __future__ import annotations

import time
from collections import Counter
from typing import TYPE_CHECKING

import numpy as np

from kb.errors import IndexCorruptError
from kb.store.base import StoreWriter
from kb.store.manifest import Manifest
from kb.store.milvus.common import (
    DUMMY, INSERT_BATCH, KINDS, MAX_TERM_BYTES, MAX_VARCHAR, TEXT_PART, TITLE_BYTES, analyzed, expressible, fit,
    iterate, milvus_error, quote, wrap,
)
from kb.text import Sentence
from kb.types import Chunk, SourceDocument

if TYPE_CHECKING:
    from kb.store.milvus.backend import MilvusBackend

FILTER_SOURCES = 100  # sources named in one filter: a few KB of expression, however many files a group holds


class MilvusWriter(StoreWriter):
    """Writes the next version's collections; ``publish`` makes them live (one meta row)."""

    def __init__(self, backend: "MilvusBackend", previous: tuple[str, Manifest] | None, dimension: int) -> None:
        self.backend = backend
        self.client = backend.client
        self.previous = previous
        self.dimension = dimension
        self.version: str | None = None
        self.removed: set[str] = set()
        self.next_chunk = int(previous[1].faiss.get("next_chunk_id", 1)) if previous else 1
        self.next_sentence = int(previous[1].faiss.get("next_sentence_id", 1)) if previous else 1
        self.df: Counter[str] = Counter()
        self.total_terms = 0  # for BM25's average chunk length
        self.counts = Counter()
        self._pending: dict[str, list[dict]] = {kind: [] for kind in KINDS}

    def stored_hashes(self) -> dict[str, str]:
        if self.previous is None:
            return {}
        try:
            for kind in KINDS:
                self.backend.load(self.backend.name(kind, self.previous[0]))
            rows = iterate(self.client, self.backend.name("documents", self.previous[0]), "part == 0", ["source", "sha256"])
            return {r["source"]: r["sha256"] for r in rows}
        except Exception as exc:
            if milvus_error(exc) is None:
                raise
            raise IndexCorruptError(f"the live Milvus version is damaged ({str(exc)[:120]})") from None

    # -- collections ---------------------------------------------------------------------------------
    def _create(self) -> str:
        if self.version is None:
            self.version = self.backend.next_version()
            try:
                for kind in KINDS:
                    self.backend.create_collection(kind, self.version, self.dimension)
            except BaseException:
                self.abort()
                raise
        return self.version

    def _queue(self, kind: str, rows: list[dict]) -> None:
        pending = self._pending[kind]
        pending.extend(rows)
        self.counts[kind] += len(rows)
        if len(pending) >= INSERT_BATCH:
            self._flush(kind)

    def _flush(self, kind: str) -> None:
        rows = self._pending[kind]
        for begin in range(0, len(rows), INSERT_BATCH):
            self.client.insert(self.backend.name(kind, self._create()), rows[begin : begin + INSERT_BATCH])
        rows.clear()

    # -- changes -------------------------------------------------------------------------------------
    @wrap("read of the previous vectors")
    def reusable_vectors(self, sources: list[str]) -> tuple[list[tuple[str, str, np.ndarray]],
                                                             list[tuple[str, np.ndarray]]]:
        # Only rows whose text is whole: a text cut to fit a VARCHAR is not what was embedded. A cut title keeps at
        # least TITLE_BYTES - 3 bytes (``fit`` drops the part of a character it splits); one well under that is whole.
        wanted = [s for s in sources if expressible(s)]
        if self.previous is None or not wanted:
            return [], []
        old = self.previous[0]
        chunks: list[tuple[str, str, np.ndarray]] = []
        sentences: list[tuple[str, np.ndarray]] = []
        for begin in range(0, len(wanted), FILTER_SOURCES):
            where = f"source in [{', '.join(quote(s) for s in wanted[begin : begin + FILTER_SOURCES])}]"
            chunks += [(row["title"], row["text"], np.asarray(row["vector"], np.float32))
                       for row in iterate(self.client, self.backend.name("chunks", old), where,
                                          ["title", "text", "start", "stop", "vector"])
                       if len(row["text"]) == row["stop"] - row["start"]
                       and len(row["title"].encode()) < TITLE_BYTES - 6]
            sentences += [(row["text"], np.asarray(row["vector"], np.float32))
                          for row in iterate(self.client, self.backend.name("sentences", old), where,
                                             ["text", "start", "stop", "vector"])
                          if row["text"] and len(row["text"]) == row["stop"] - row["start"]]
        return chunks, sentences

    def remove_document(self, source: str) -> None:
        self.removed.add(source)

    @wrap("index write")
    def add_document(self, document: SourceDocument, chunks: list[Chunk], vectors: np.ndarray,
                     sentences: list[Sentence], sentence_vectors: np.ndarray) -> None:
        self._create()
        self.removed.add(document.source)  # an updated document's old rows are not carried over
        source, title, date = document.source, fit(document.title, TITLE_BYTES), document.date or ""
        rows = []
        for chunk, vector in zip(chunks, vectors, strict=True):
            terms = analyzed(f"{document.title}\n{chunk.text}")
            self.total_terms += len(terms)
            self.df.update({t for t in terms if len(t.encode()) <= MAX_TERM_BYTES})
            rows.append({"id": self.next_chunk, "source": source, "title": title, "date": date,
                         "ordinal": chunk.ordinal, "start": chunk.start, "stop": chunk.end, "text": fit(chunk.text),
                         "terms": fit(" ".join(terms)), "vector": np.asarray(vector, np.float32).tolist()})
            self.next_chunk += 1
        self._queue("chunks", rows)
        self.add_sentences(document, sentences, sentence_vectors)
        now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
        parts = [document.text[i : i + TEXT_PART] for i in range(0, len(document.text), TEXT_PART)] or [""]
        self._queue("documents", [
            {"key": f"{number:06d}:{source}", "source": source, "part": number, "title": title, "date": date,
             "sha256": document.sha256, "size": document.size, "indexed_at": now, "chunks": len(chunks),
             "text": part, "_v": DUMMY}
            for number, part in enumerate(parts)
        ])

    @wrap("index write")
    def add_sentences(self, document: SourceDocument, sentences: list[Sentence], vectors: np.ndarray) -> None:
        rows = []
        for sentence, vector in zip(sentences, vectors, strict=True):
            text = document.text[sentence.start : sentence.end]
            rows.append({"id": self.next_sentence, "source": document.source, "start": sentence.start,
                         "stop": sentence.end, "text": text if len(text.encode()) <= MAX_VARCHAR else "",
                         "vector": np.asarray(vector, np.float32).tolist()})
            self.next_sentence += 1
        self._queue("sentences", rows)

    def _carry_over(self) -> None:
        """Copy the unchanged documents' rows of the live version, and their terms' document frequencies."""
        if self.previous is None:
            return
        old = self.previous[0]
        # Names with CR or LF cannot be written in a filter (common.equals): those rows are skipped here instead.
        written = sorted(s for s in self.removed if expressible(s))
        keep = f"source not in [{', '.join(quote(s) for s in written)}]" if written else ""
        fields = {
            "chunks": ["id", "source", "title", "date", "ordinal", "start", "stop", "text", "terms", "vector"],
            "sentences": ["id", "source", "start", "stop", "text", "vector"],
            "documents": ["key", "source", "part", "title", "date", "sha256", "size", "indexed_at", "chunks", "text"],
        }
        for kind, wanted in fields.items():
            batch: list[dict] = []
            for row in iterate(self.client, self.backend.name(kind, old), keep or ("id >= 0" if kind != "documents" else 'key != ""'),
                                wanted):
                if row["source"] in self.removed:
                    continue
                row = {f: row[f] for f in wanted}
                if kind == "documents":
                    row["_v"] = DUMMY
                if kind == "chunks":
                    self.total_terms += len(row["terms"].split())
                    self.df.update({t for t in row["terms"].split() if len(t.encode()) <= MAX_TERM_BYTES})
                batch.append(row)
                if len(batch) >= INSERT_BATCH:
                    self._queue(kind, batch)
                    batch = []
            self._queue(kind, batch)

    @wrap("index write")
    def publish(self, manifest: Manifest) -> tuple[str, int]:
        version = self._create()
        self._carry_over()
        self._queue("terms", [{"term": t, "df": n, "_v": DUMMY} for t, n in sorted(self.df.items())])
        for kind in KINDS:
            self._flush(kind)
            self.client.flush(self.backend.name(kind, version))
        manifest.chunks = self.counts["chunks"]
        manifest.faiss = {"type": "milvus", "uri": self.backend.uri_for_messages, "vector_index":
                          self.backend.vector_index, "next_chunk_id": self.next_chunk,
                          "next_sentence_id": self.next_sentence, "sentences": self.counts["sentences"],
                          "terms": len(self.df),
                          "average_terms": round(self.total_terms / max(self.counts["chunks"], 1), 3)}
        manifest.store = "milvus"
        self.backend.write_manifest(version, manifest)
        self.backend.point_live(version)
        self.version = None  # published: abort() must not drop it
        return version, manifest.chunks

    @wrap("clean-up of an unfinished build")
    def abort(self) -> None:
        if self.version is not None:
            self.backend.drop_version(self.version)
            self.version = None
