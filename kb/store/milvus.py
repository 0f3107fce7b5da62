"""The Milvus store: the same index in Milvus collections, embedded (milvus-lite file) or on a server (URI).

One version is four collections, named ``<prefix>_<kind>_v<NNNNNN>``, where the prefix comes from the ``index``
setting (``kb_index`` by default, see ``collection_prefix``):

  chunks     id, source, title, date, ordinal, span, text, ``terms`` (the analyzed body, input of Milvus' BM25
             function), ``sparse`` (BM25 output), ``vector``: dense, lexical and hybrid search all run here
  sentences  id, source, span, exact text, vector: what rescoring and answering read per passage
  documents  title, date, sha256, size, chunk count and the text (in parts: a VARCHAR holds 64 KiB)
  terms      indexed term -> chunks holding it: the lexical side's document frequencies and vocabulary

plus ``<prefix>_meta``: one manifest row per version and the writer's lock record (servers only).

Publishing moves one alias, ``<prefix>_live``, to the new chunks collection (Milvus swaps an alias atomically);
readers resolve it once per question and read only that version's collections, so a crash at any moment leaves
the previous version live. Everything a reader needs lives in Milvus, so two kb servers pointed at one Milvus
give the same answers.

BM25 input is the text as SQLite FTS5 tokenizes it (porter stems, diacritics removed; kb.store.database
``fts_terms``), joined by spaces, so Milvus' standard analyzer only splits it: the vocabulary, the document
frequencies and the terms matched are those of the FAISS store, on milvus-lite (whose analyzer cannot stem) and
on a server alike.

Incremental builds copy the unchanged rows of the live version into the new collections (re-embedding
nothing): a build writes the whole index, which is the price of an atomic swap of collections.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import socket
import threading
import time
import uuid
from collections import Counter
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np
from pymilvus import AnnSearchRequest, DataType, Function, FunctionType, MilvusClient, RRFRanker
from pymilvus.exceptions import MilvusException

from kb.config import Settings
from kb.errors import IndexBusyError, IndexCorruptError, IndexMissingError, KBError, UsageError
from kb.store.base import Hits, Store, StoreBackend, StoreWriter
from kb.store.database import ChunkRow, DocumentRow, fts_terms, fts_tokens
from kb.store.layout import CURRENT, file_lock
from kb.store.manifest import Manifest
from kb.text import Sentence
from kb.types import Chunk, SourceDocument

KINDS = ("chunks", "sentences", "documents", "terms")

MAX_VARCHAR = 65_535  # bytes, Milvus' limit for one VARCHAR value
TEXT_PART = 16_000  # characters of document text per row: at most 4 bytes each, so always under MAX_VARCHAR
MAX_TERM_BYTES = 256  # longer "terms" (a run of letters with no space) stay searchable but out of the vocabulary
INSERT_BATCH = 1000
LEASE_SECONDS = 30.0  # a server build's lock record expires this long after its last renewal
_DUMMY = [0.0, 0.0]
_ROW_FIELDS = ["id", "source", "title", "date", "start", "stop", "text", "vector"]  # Milvus wants a vector field in every collection; documents, terms and meta have none

# pymilvus logs every failed call at ERROR with a traceback before raising it; kb turns the exception into one
# line (kb.errors), so its log would only repeat that in a wall of text. (Set after importing pymilvus, whose
# import configures its loggers.)
logging.getLogger("pymilvus").setLevel(logging.CRITICAL)


def _quote(value: str) -> str:
    """A Milvus filter string literal (escapes quotes and backslashes; no \\u escapes, which Milvus rejects)."""
    return json.dumps(value, ensure_ascii=False)


def _fit(text: str, limit: int = MAX_VARCHAR) -> str:
    """Cut ``text`` to at most ``limit`` UTF-8 bytes (never needed for chunks of kb's sizes; a guard)."""
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", "ignore")


def analyzed(text: str) -> list[str]:
    """The FTS5 terms of ``text`` in order (what Milvus' BM25 function indexes)."""
    return fts_tokens(text)


def _milvus_error(exc: Exception) -> type[Exception] | None:
    return MilvusException if isinstance(exc, MilvusException) else None


# -- connection ---------------------------------------------------------------------------------------------
_CLIENTS: dict[str, Any] = {}
_CLIENTS_LOCK = threading.Lock()


def _is_lite(uri: str) -> bool:
    return not re.match(r"^(https?|tcp|unix)://", uri) and not uri.startswith("unix:")


def client_for(uri: str) -> Any:
    """One MilvusClient per URI per process (gRPC channels are thread-safe and costly to open)."""
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(uri)
        if client is None:
            client = _connect(uri)
            _CLIENTS[uri] = client
        return client


def _connect(uri: str) -> Any:
    token = os.environ.get("KB_MILVUS_TOKEN", "")
    target = uri
    if _is_lite(uri):
        if not uri.endswith(".db"):
            raise UsageError(f"a milvus-lite store is a file ending in .db, not {uri!r} (or give http://host:19530)")
        path = Path(uri).expanduser().resolve()
        if not path.parent.is_dir():
            raise UsageError(f"cannot create the milvus-lite database {uri}: {path.parent} does not exist")
        try:
            from milvus_lite.server_manager import server_manager_instance
        except ImportError:
            raise UsageError("a milvus-lite file store needs milvus-lite: pip install milvus-lite") from None
        # milvus-lite serves one process (it flocks its folder); say so in one line instead of its traceback.
        lite_log = logging.getLogger("milvus_lite")
        level = lite_log.level
        lite_log.setLevel(logging.CRITICAL)
        try:
            target = server_manager_instance.start_and_get_uri(str(path))
        finally:
            lite_log.setLevel(level)
        if target is None:
            raise IndexBusyError(
                f"the milvus-lite database {uri} is open in another process (milvus-lite serves one process; "
                "share an index between processes with a Milvus server, docs/milvus.md)"
            )
    try:
        client = MilvusClient(uri=target, token=token, timeout=30)
        client.kb_embedded = _is_lite(uri)  # see _iterate
        return client
    except Exception as exc:  # pymilvus raises several types for an unreachable server
        raise UsageError(f"cannot reach Milvus at {uri}: {str(exc).splitlines()[0][:160]}") from None


def lite_server_uri(path: str | Path) -> str:
    """The in-process gRPC address of a milvus-lite file: lets other processes reach it as a server (tests)."""
    from milvus_lite.server_manager import server_manager_instance

    uri = server_manager_instance.start_and_get_uri(str(Path(path).resolve()))
    if uri is None:
        raise IndexBusyError(f"the milvus-lite database {path} is open in another process")
    return uri


def collection_prefix(index: Path) -> str:
    """``kb_`` + the ``index`` setting as given, in the letters Milvus allows in a name ("index" -> "kb_index").

    The index setting names the index inside Milvus as it names the folder of the FAISS store: several kb
    indexes share one Milvus without mixing, and every kb process with the same settings reads the same one.
    """
    text = re.sub(r"[^A-Za-z0-9]+", "_", os.path.normpath(str(index))).strip("_") or "index"
    if len(text) > 48:  # collection names are limited (255); keep them readable and unique
        text = text[-40:].strip("_") + "_" + hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"kb_{text}"


def _iterate(client: Any, collection: str, filter: str, fields: list[str], batch: int = 4000) -> Iterator[dict]:
    """Every row matching ``filter``: a server caps one query at 16,384 rows, so it takes an iterator there;
    embedded milvus-lite answers one query with all rows, faster than its iterator."""
    if getattr(client, "kb_embedded", False):
        yield from client.query(collection, filter=filter, output_fields=fields)
        return
    iterator = client.query_iterator(collection, batch_size=batch, filter=filter, output_fields=fields)
    try:
        while True:
            rows = iterator.next()
            if not rows:
                return
            yield from rows
    finally:
        iterator.close()


class MilvusError(KBError):
    """A Milvus call failed (server down, timeout, refused request): one line, exit code 1."""


def _wrap(what: str) -> Any:
    """Decorator: a Milvus error becomes one line naming ``what`` instead of pymilvus' traceback."""

    def decorate(fn: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except KBError:
                raise
            except Exception as exc:
                if _milvus_error(exc) is None:
                    raise
                raise MilvusError(f"Milvus {what} failed: {str(exc).splitlines()[0][:200]}") from None

        wrapper.__name__ = fn.__name__
        wrapper.__doc__ = fn.__doc__
        return wrapper

    return decorate


# -- reading ------------------------------------------------------------------------------------------------
class MilvusStore(Store):
    """One published version, read from its collections."""

    def __init__(self, client: Any, version: str, manifest: Manifest, names: dict[str, str]) -> None:
        self.client = client
        self._version = version
        self.manifest = manifest
        self.names = names
        # Rescoring reads every pool passage's vector and sentences: ``chunks`` fetches them with the rows in
        # two queries and keeps them here, instead of one round trip per passage.
        self._cache_lock = threading.Lock()
        self._rows: dict[int, ChunkRow] = {}
        self._df: dict[str, int] = {}
        self._vectors: dict[int, np.ndarray] = {}
        self._sentences: dict[tuple[str, int, int], list[tuple[int, int, str, np.ndarray]]] = {}

    @property
    def version(self) -> str:
        return self._version

    def close(self) -> None:
        """The client is shared per URI; nothing to release per version."""

    def count_chunks(self) -> int:
        return self.manifest.chunks

    # -- search -------------------------------------------------------------------------------------
    @_wrap("dense search")
    def dense_search(self, vector: np.ndarray, k: int) -> Hits:
        if self.manifest.chunks == 0:
            return []
        result = self.client.search(self.names["chunks"], data=[np.asarray(vector, np.float32).tolist()],
                                    anns_field="vector", limit=k, output_fields=[],
                                    search_params={"metric_type": "IP"})
        return [(int(hit["id"]), float(hit["distance"])) for hit in result[0]]

    @staticmethod
    def bm25_query(terms: list[str]) -> str:
        return " ".join(dict.fromkeys(t for term in terms for t in fts_terms(term)))

    @_wrap("BM25 search")
    def lexical_search(self, terms: list[str], k: int) -> Hits:
        query = self.bm25_query(terms)
        if not query or self.manifest.chunks == 0:
            return []
        result = self.client.search(self.names["chunks"], data=[query], anns_field="sparse", limit=k,
                                    output_fields=[], search_params={"metric_type": "BM25"})
        # milvus-lite reports BM25 as a negative distance, a server as a positive score: best first either way.
        return [(int(hit["id"]), abs(float(hit["distance"]))) for hit in result[0]]

    @_wrap("hybrid search")
    def hybrid_search(self, vector: np.ndarray, terms: list[str], k: int, weights: tuple[float, float],
                      rrf_k: int) -> tuple[list[tuple[int, float]], Hits, Hits]:
        """Dense + BM25 fused by Milvus' RRF ranker in one call, which also returns the candidates' rows.

        Rescoring above the interface needs each candidate's cosine and BM25 score, which a fused result does
        not carry; both are computed here from the returned rows (the stored vector; the stored terms with the
        index's document frequencies and average length, BM25 k1 = 1.2, b = 0.75), instead of a second search.
        So the dense and lexical lists cover the fused candidates only (all that rescoring reads). Milvus' RRF
        has no per-list weights: unequal ``dense_weight``/``lexical_weight`` fall back to fusing here.
        """
        query = self.bm25_query(terms)
        if weights[0] != weights[1] or not query or self.manifest.chunks == 0:
            return super().hybrid_search(vector, terms, k, weights, rrf_k)
        vector = np.asarray(vector, np.float32)
        requests = [
            AnnSearchRequest([vector.tolist()], "vector", {"metric_type": "IP"}, k),
            AnnSearchRequest([query], "sparse", {"metric_type": "BM25"}, k),
        ]
        result = self.client.hybrid_search(self.names["chunks"], requests, RRFRanker(rrf_k), limit=k,
                                           output_fields=_ROW_FIELDS + ["terms"])
        fused = [(int(hit["id"]), float(hit["distance"]) * weights[0]) for hit in result[0]]
        entities = {int(hit["id"]): hit["entity"] for hit in result[0]}
        self._remember(entities.values())
        stored = {cid: np.asarray(e["vector"], dtype=np.float32) for cid, e in entities.items()}
        dense = sorted(((cid, float(v @ vector)) for cid, v in stored.items()), key=lambda h: -h[1])
        scores = self._bm25(query.split(), {cid: e.get("terms", "") for cid, e in entities.items()})
        lexical = sorted(((cid, score) for cid, score in scores.items() if score > 0), key=lambda h: -h[1])
        return fused, dense, lexical

    def _bm25(self, query: list[str], terms: dict[int, str]) -> dict[int, float]:
        """BM25 of each chunk (its analyzed terms) for the query terms, with the index's global statistics."""
        k1, b = 1.2, 0.75
        n = max(self.manifest.chunks, 1)
        average = float(self.manifest.faiss.get("average_terms") or 1.0)
        df = self.document_frequencies(query)
        idf = {t: math.log((n - df[t] + 0.5) / (df[t] + 0.5) + 1.0) for t in query if df.get(t)}
        scores: dict[int, float] = {}
        for cid, text in terms.items():
            counts = Counter(text.split())
            length = sum(counts.values()) or 1
            scores[cid] = sum(w * counts[t] * (k1 + 1) / (counts[t] + k1 * (1 - b + b * length / average))
                              for t, w in idf.items() if counts.get(t))
        return scores

    # -- rows ---------------------------------------------------------------------------------------
    def _remember(self, rows: Iterable[dict]) -> None:
        """Keep chunk rows and vectors a search returned, for the ``chunks``/``chunk_vectors`` calls after it."""
        with self._cache_lock:
            if len(self._rows) > 4096:
                self._rows.clear()
                self._vectors.clear()
                self._sentences.clear()
            for r in rows:
                cid = int(r["id"])
                self._rows[cid] = ChunkRow(cid, r["source"], r["title"], r["date"] or None, int(r["start"]),
                                           int(r["stop"]), r["text"])
                self._vectors[cid] = np.asarray(r["vector"], dtype=np.float32)

    @_wrap("chunk lookup")
    def chunks(self, ids: Iterable[int]) -> dict[int, ChunkRow]:
        """The rows (from the last search when it returned them), with their sentences fetched in one query."""
        ids = [int(i) for i in ids]
        if not ids:
            return {}
        with self._cache_lock:
            missing = [i for i in ids if i not in self._rows]
        if missing:
            self._remember(self.client.query(self.names["chunks"], filter=f"id in {json.dumps(missing)}",
                                             output_fields=_ROW_FIELDS))
        with self._cache_lock:
            found = {i: self._rows[i] for i in ids if i in self._rows}
            spans = {(row.source, row.start, row.end) for row in found.values()} - set(self._sentences)
        sentences = self._sentences_of(spans)
        with self._cache_lock:
            self._sentences.update(sentences)
        return found

    def _sentences_of(self, spans: set[tuple[str, int, int]]) -> dict[tuple[str, int, int], list]:
        """The sentences overlapping each (source, start, end), in one query."""
        if not spans:
            return {}
        clauses = [f"(source == {_quote(s)} and start < {e} and stop > {b} and start >= {max(0, b - 4000)})"
                   for s, b, e in spans]
        rows = self.client.query(self.names["sentences"], filter=" or ".join(clauses),
                                 output_fields=["source", "start", "stop", "text", "vector"])
        found: dict[tuple[str, int, int], list] = {span: [] for span in spans}
        for r in sorted(rows, key=lambda r: int(r["start"])):
            item = (int(r["start"]), int(r["stop"]), r["text"], np.asarray(r["vector"], dtype=np.float32))
            for s, b, e in spans:
                if r["source"] == s and item[0] < e and item[1] > b and item[0] >= max(0, b - 4000):
                    found[(s, b, e)].append(item)
        return found

    @_wrap("chunk vector lookup")
    def chunk_vectors(self, ids: list[int]) -> dict[int, np.ndarray]:
        with self._cache_lock:
            found = {i: self._vectors[i] for i in ids if i in self._vectors}
        missing = [int(i) for i in ids if i not in found]
        if missing:
            rows = self.client.query(self.names["chunks"], filter=f"id in {json.dumps(missing)}",
                                     output_fields=["id", "vector"])
            found.update({int(r["id"]): np.asarray(r["vector"], dtype=np.float32) for r in rows})
        return found

    @_wrap("sentence lookup")
    def sentences_overlapping(self, source: str, start: int, end: int) -> list[tuple[int, int, str, np.ndarray]]:
        key = (source, int(start), int(end))
        with self._cache_lock:
            cached = self._sentences.get(key)
        if cached is None:
            cached = self._sentences_of({key})[key]
        result = []
        for s, e, text, vector in cached:
            if not text and e > s:  # too long for a VARCHAR: cut it from the document
                text = (self.document_text(source) or "")[s:e]
            result.append((s, e, text, vector))
        return result

    @_wrap("document listing")
    def documents(self) -> list[DocumentRow]:
        rows = _iterate(self.client, self.names["documents"], "part == 0",
                        ["source", "title", "date", "sha256", "size", "indexed_at", "chunks"])
        return sorted((DocumentRow(r["source"], r["title"], r["date"] or None, r["sha256"], int(r["size"]),
                                   r["indexed_at"], int(r["chunks"])) for r in rows), key=lambda d: d.source)

    @_wrap("document lookup")
    def document_text(self, source: str) -> str | None:
        rows = self.client.query(self.names["documents"], filter=f"source == {_quote(source)}",
                                 output_fields=["part", "text"], limit=16_384)
        if not rows:
            return None
        return "".join(r["text"] for r in sorted(rows, key=lambda r: int(r["part"])))

    # -- lexical statistics -------------------------------------------------------------------------
    @_wrap("vocabulary lookup")
    def document_frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        """Cached per version (it never changes): the lexical side and the BM25 feature ask for the same terms."""
        wanted = list(dict.fromkeys(terms))
        with self._cache_lock:
            missing = [t for t in wanted if t not in self._df]
        if missing:
            rows = self.client.query(self.names["terms"],
                                     filter=f"term in {json.dumps(missing, ensure_ascii=False)}",
                                     output_fields=["term", "df"])
            found = {r["term"]: int(r["df"]) for r in rows}
            with self._cache_lock:
                if len(self._df) > 200_000:
                    self._df.clear()
                self._df.update({t: found.get(t, 0) for t in missing})
        with self._cache_lock:
            return {t: self._df.get(t, 0) for t in wanted}

    @_wrap("vocabulary listing")
    def vocabulary(self, initial: str | None = None) -> dict[str, int]:
        if initial is not None and not initial.isalnum():
            return {}  # LIKE has its own wildcards; kb asks only for letters
        where = f'term like "{initial}%"' if initial else 'term != ""'
        return {r["term"]: int(r["df"]) for r in _iterate(self.client, self.names["terms"], where, ["term", "df"])}


# -- writing ------------------------------------------------------------------------------------------------
class MilvusWriter(StoreWriter):
    """Writes the next version's collections; ``publish`` moves the alias to them."""

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
            rows = _iterate(self.client, self.backend.name("documents", self.previous[0]), "part == 0", ["source", "sha256"])
            return {r["source"]: r["sha256"] for r in rows}
        except Exception as exc:
            if _milvus_error(exc) is None:
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
    def remove_document(self, source: str) -> None:
        self.removed.add(source)

    @_wrap("index write")
    def add_document(self, document: SourceDocument, chunks: list[Chunk], vectors: np.ndarray,
                     sentences: list[Sentence], sentence_vectors: np.ndarray) -> None:
        self._create()
        self.removed.add(document.source)  # an updated document's old rows are not carried over
        source, title, date = document.source, _fit(document.title, 4096), document.date or ""
        rows = []
        for chunk, vector in zip(chunks, vectors, strict=True):
            terms = analyzed(f"{document.title}\n{chunk.text}")
            self.total_terms += len(terms)
            self.df.update({t for t in terms if len(t.encode()) <= MAX_TERM_BYTES})
            rows.append({"id": self.next_chunk, "source": source, "title": title, "date": date,
                         "ordinal": chunk.ordinal, "start": chunk.start, "stop": chunk.end, "text": _fit(chunk.text),
                         "terms": _fit(" ".join(terms)), "vector": np.asarray(vector, np.float32).tolist()})
            self.next_chunk += 1
        self._queue("chunks", rows)
        rows = []
        for sentence, vector in zip(sentences, sentence_vectors, strict=True):
            text = document.text[sentence.start : sentence.end]
            rows.append({"id": self.next_sentence, "source": source, "start": sentence.start, "stop": sentence.end,
                         "text": text if len(text.encode()) <= MAX_VARCHAR else "",
                         "vector": np.asarray(vector, np.float32).tolist()})
            self.next_sentence += 1
        self._queue("sentences", rows)
        now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
        parts = [document.text[i : i + TEXT_PART] for i in range(0, len(document.text), TEXT_PART)] or [""]
        self._queue("documents", [
            {"key": f"{number:06d}:{source}", "source": source, "part": number, "title": title, "date": date,
             "sha256": document.sha256, "size": document.size, "indexed_at": now, "chunks": len(chunks),
             "text": part, "_v": _DUMMY}
            for number, part in enumerate(parts)
        ])

    def _carry_over(self) -> None:
        """Copy the unchanged documents' rows of the live version, and their terms' document frequencies."""
        if self.previous is None:
            return
        old = self.previous[0]
        keep = f"source not in {json.dumps(sorted(self.removed), ensure_ascii=False)}" if self.removed else ""
        fields = {
            "chunks": ["id", "source", "title", "date", "ordinal", "start", "stop", "text", "terms", "vector"],
            "sentences": ["id", "source", "start", "stop", "text", "vector"],
            "documents": ["key", "source", "part", "title", "date", "sha256", "size", "indexed_at", "chunks", "text"],
        }
        for kind, wanted in fields.items():
            batch: list[dict] = []
            for row in _iterate(self.client, self.backend.name(kind, old), keep or ("id >= 0" if kind != "documents" else 'key != ""'),
                                wanted):
                row = {f: row[f] for f in wanted}
                if kind == "documents":
                    row["_v"] = _DUMMY
                if kind == "chunks":
                    self.total_terms += len(row["terms"].split())
                    self.df.update({t for t in row["terms"].split() if len(t.encode()) <= MAX_TERM_BYTES})
                batch.append(row)
                if len(batch) >= INSERT_BATCH:
                    self._queue(kind, batch)
                    batch = []
            self._queue(kind, batch)

    @_wrap("index write")
    def publish(self, manifest: Manifest) -> tuple[str, int]:
        version = self._create()
        self._carry_over()
        self._queue("terms", [{"term": t, "df": n, "_v": _DUMMY} for t, n in sorted(self.df.items())])
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
        self.backend.point_alias(version)
        self.version = None  # published: abort() must not drop it
        return version, manifest.chunks

    @_wrap("clean-up of an unfinished build")
    def abort(self) -> None:
        if self.version is not None:
            self.backend.drop_version(self.version)
            self.version = None


# -- where the versions live --------------------------------------------------------------------------------
class MilvusBackend(StoreBackend):
    kind = "milvus"

    def __init__(self, uri: str, settings: Settings) -> None:
        self.uri = uri.strip()
        self.settings = settings
        self.lite = _is_lite(self.uri)
        self.uri_for_messages = f"milvus:{self.uri}"
        # milvus-lite: exact FLAT search (faiss underneath); a server picks its own (AUTOINDEX: HNSW-like).
        self.vector_index = "FLAT" if self.lite else "AUTOINDEX"
        self._client: Any = None
        self._loaded: set[str] = set()
        self.prefix = collection_prefix(settings.index)
        self.alias = f"{self.prefix}_live"  # names the live version's chunks collection
        self.meta = f"{self.prefix}_meta"  # manifests of the versions, and a server's lock record
        self._name_re = re.compile(rf"^{self.prefix}_(chunks|sentences|documents|terms)_(v\d{{6,}})$")

    def name(self, kind: str, version: str) -> str:
        return f"{self.prefix}_{kind}_{version}"

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = client_for(self.uri)
        return self._client

    def describe(self) -> str:
        return self.uri_for_messages

    def load(self, name: str) -> None:
        """Load a collection into memory once per process: Milvus serves queries only from loaded collections,
        and a restarted milvus-lite (or server) starts with them released."""
        if name not in self._loaded:
            self.client.load_collection(name)
            self._loaded.add(name)

    # -- versions ------------------------------------------------------------------------------------
    def live_version(self) -> str | None:
        try:
            target = self.client.describe_alias(self.alias)["collection_name"]
        except Exception as exc:
            if _milvus_error(exc) is None:
                raise
            if "not exist" in str(exc) or "not found" in str(exc):
                return None
            raise UsageError(f"Milvus at {self.uri} failed: {str(exc).splitlines()[0][:160]}") from None
        match = self._name_re.match(target)
        return match.group(2) if match and match.group(1) == "chunks" else None

    def _versions(self) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for name in self.client.list_collections():
            match = self._name_re.match(name)
            if match:
                found.setdefault(match.group(2), set()).add(match.group(1))
        return found

    def next_version(self) -> str:
        numbers = [int(v[1:]) for v in self._versions()]
        live = self.live_version()
        numbers += [int(live[1:])] if live else []
        return f"v{max(numbers, default=0) + 1:06d}"

    def _missing_message(self) -> str:
        message = f"no index in {self.uri_for_messages}: run `kb index` with this store"
        if (self.settings.index / CURRENT).is_file():
            message += f" ({self.settings.index} holds an index built with store faiss: set store = faiss to use it)"
        return message

    @_wrap("manifest read")
    def read_manifest(self, version: str) -> Manifest:
        self.load(self.meta)
        rows = self.client.query(self.meta, filter=f"key == {_quote('manifest:' + version)}", output_fields=["value"])
        if not rows:
            raise IndexCorruptError(f"{self.uri_for_messages}: version {version} has no manifest: run `kb index --full`")
        try:
            return Manifest(**json.loads(rows[0]["value"]))
        except (ValueError, TypeError) as exc:
            raise IndexCorruptError(f"{self.uri_for_messages}: manifest of {version} is damaged ({exc}): "
                                    "run `kb index --full`") from None

    @_wrap("opening the index")
    def open(self) -> MilvusStore:
        version = self.live_version()
        if version is None:
            raise IndexMissingError(self._missing_message())
        missing = [kind for kind in KINDS if not self.client.has_collection(self.name(kind, version))]
        if missing or not self.client.has_collection(self.meta):
            raise IndexCorruptError(f"{self.uri_for_messages}: collections of {version} are missing "
                                    f"({', '.join(missing) or self.meta}): run `kb index --full`")
        for kind in KINDS:
            self.load(self.name(kind, version))
        return MilvusStore(self.client, version, self.read_manifest(version),
                           {kind: self.name(kind, version) for kind in KINDS})

    @_wrap("manifest read")
    def live_manifest(self) -> Manifest | None:
        version = self.live_version()
        if version is None:
            return None
        if not self.client.has_collection(self.meta):
            raise IndexCorruptError(f"{self.uri_for_messages}: {self.meta} is missing: run `kb index --full`")
        return self.read_manifest(version)

    def writer(self, full: bool, dimension: int) -> MilvusWriter:
        previous = None
        if not full:
            version = self.live_version()
            if version is not None:
                previous = (version, self.read_manifest(version))
                dimension = dimension or previous[1].dimension
        return MilvusWriter(self, previous, dimension)

    # -- schema --------------------------------------------------------------------------------------
    def _ensure_meta(self) -> None:
        if self.client.has_collection(self.meta):
            self.load(self.meta)
            return
        schema = self.client.create_schema(auto_id=False)
        schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=512)
        schema.add_field("value", DataType.VARCHAR, max_length=MAX_VARCHAR)
        schema.add_field("_v", DataType.FLOAT_VECTOR, dim=2)
        self._create(self.meta, schema, {"_v": ("FLAT", "L2")})

    def _create(self, name: str, schema: Any, indexes: dict[str, tuple[str, str]]) -> None:
        params = self.client.prepare_index_params()
        for field, (index_type, metric) in indexes.items():
            params.add_index(field, index_type=index_type, metric_type=metric,
                             **({"params": {"bm25_k1": 1.2, "bm25_b": 0.75}} if metric == "BM25" else {}))
        # Strong: a reader in another process must see every row of a version the moment the alias points at it.
        self.client.create_collection(name, schema=schema, index_params=params, consistency_level="Strong")
        self._loaded.add(name)  # created with indexes = loaded

    def create_collection(self, kind: str, version: str, dimension: int) -> None:
        schema = self.client.create_schema(auto_id=False)
        if kind == "terms":
            schema.add_field("term", DataType.VARCHAR, is_primary=True, max_length=MAX_TERM_BYTES)
            schema.add_field("df", DataType.INT64)
            schema.add_field("_v", DataType.FLOAT_VECTOR, dim=2)
            return self._create(self.name(kind, version), schema, {"_v": ("FLAT", "L2")})
        if kind == "documents":
            schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=8192)
        else:
            schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("source", DataType.VARCHAR, max_length=4096)
        if kind != "sentences":
            schema.add_field("title", DataType.VARCHAR, max_length=4096)
            schema.add_field("date", DataType.VARCHAR, max_length=64)
        if kind == "documents":
            for field in ("part", "size", "chunks"):
                schema.add_field(field, DataType.INT64)
            schema.add_field("sha256", DataType.VARCHAR, max_length=64)
            schema.add_field("indexed_at", DataType.VARCHAR, max_length=64)
            schema.add_field("text", DataType.VARCHAR, max_length=MAX_VARCHAR)
            schema.add_field("_v", DataType.FLOAT_VECTOR, dim=2)
            return self._create(self.name(kind, version), schema, {"_v": ("FLAT", "L2")})
        if kind == "chunks":
            schema.add_field("ordinal", DataType.INT64)
        schema.add_field("start", DataType.INT64)
        schema.add_field("stop", DataType.INT64)
        schema.add_field("text", DataType.VARCHAR, max_length=MAX_VARCHAR)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
        if kind == "sentences":  # never searched by vector, but Milvus loads only indexed collections
            return self._create(self.name(kind, version), schema, {"vector": ("FLAT", "IP")})
        schema.add_field("terms", DataType.VARCHAR, max_length=MAX_VARCHAR, enable_analyzer=True)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["terms"],
                                     output_field_names=["sparse"]))
        self._create(self.name(kind, version), schema,
                     {"vector": (self.vector_index, "IP"), "sparse": ("SPARSE_INVERTED_INDEX", "BM25")})

    # -- publishing ----------------------------------------------------------------------------------
    def write_manifest(self, version: str, manifest: Manifest) -> None:
        from dataclasses import asdict

        self._ensure_meta()
        self.client.upsert(self.meta, [{"key": f"manifest:{version}", "value": json.dumps(asdict(manifest)), "_v": _DUMMY}])
        self.client.flush(self.meta)

    def point_alias(self, version: str) -> None:
        """The one atomic step of a build: readers follow the alias from their next question on."""
        target = self.name("chunks", version)
        if self.live_version() is None:
            try:
                self.client.create_alias(target, self.alias)
                return
            except Exception as exc:
                if _milvus_error(exc) is None:
                    raise  # otherwise the alias exists (pointing at a dropped collection): move it
        self.client.alter_alias(target, self.alias)

    def drop_version(self, version: str) -> None:
        for kind in KINDS:
            self._loaded.discard(self.name(kind, version))
            try:
                self.client.drop_collection(self.name(kind, version))
            except Exception as exc:
                if _milvus_error(exc) is None:
                    raise
        try:
            self.client.delete(self.meta, filter=f"key == {_quote('manifest:' + version)}")
        except Exception as exc:
            if _milvus_error(exc) is None:
                raise

    @_wrap("clean-up of old versions")
    def collect_garbage(self, keep: int = 2) -> None:
        """Drop abandoned builds (newer than the live version) and all but the newest ``keep`` others."""
        live = self.live_version()
        versions = sorted(self._versions(), key=lambda v: int(v[1:]))
        kept = [v for v in versions if live is not None and int(v[1:]) <= int(live[1:])][-keep:]
        for version in versions:
            if version not in kept:
                self.drop_version(version)

    # -- the one-writer lock -------------------------------------------------------------------------
    def lock(self, wait: float = 0.0) -> AbstractContextManager[None]:
        if self.lite:
            # milvus-lite serves one process anyway; the flock beside the file stops a second build in it.
            path = Path(self.uri).expanduser().resolve()
            return file_lock(path.with_name(path.name + ".kb-lock"), f"index {self.uri_for_messages}", wait)
        return self._lease(wait)

    @_wrap("lock read")
    def _read_lock(self) -> dict[str, Any] | None:
        rows = self.client.query(self.meta, filter='key == "lock"', output_fields=["value"], consistency_level="Strong")
        try:
            return json.loads(rows[0]["value"]) if rows else None
        except ValueError:
            return None

    @staticmethod
    def _stale(record: dict[str, Any]) -> bool:
        if float(record.get("expires", 0)) < time.time():
            return True
        if record.get("host") == socket.gethostname():  # a writer on this machine that died: no need to wait
            try:
                os.kill(int(record.get("pid", 0)), 0)
            except ProcessLookupError:
                return True
            except (OSError, ValueError):
                return False
        return False

    @_wrap("lock write")
    def _write_lock(self, record: dict[str, Any]) -> None:
        self.client.upsert(self.meta, [{"key": "lock", "value": json.dumps(record), "_v": _DUMMY}])

    @contextmanager
    def _lease(self, wait: float) -> Iterator[None]:
        """A lock record with an expiry in the ``<prefix>_meta`` collection, renewed while the build runs.

        Milvus has no compare-and-set, so a writer that found the lock free writes its record, waits a moment
        and reads it back: of two writers racing, only the one whose record stayed proceeds.
        """
        _wrap("lock setup")(self._ensure_meta)()
        me = {"id": uuid.uuid4().hex, "host": socket.gethostname(), "pid": os.getpid()}
        deadline = time.monotonic() + wait
        while True:
            held = self._read_lock()
            if held is None or held.get("id") == me["id"] or self._stale(held):
                self._write_lock(dict(me, expires=time.time() + LEASE_SECONDS))
                time.sleep(0.3)
                if (self._read_lock() or {}).get("id") == me["id"]:
                    break
            if time.monotonic() >= deadline:
                raise IndexBusyError(f"index {self.uri_for_messages} is being rebuilt by another process; "
                                     "try again when it finishes")
            time.sleep(0.5)
        stop = threading.Event()

        def renew() -> None:
            while not stop.wait(LEASE_SECONDS / 3):
                try:
                    if (self._read_lock() or {}).get("id") == me["id"]:
                        self._write_lock(dict(me, expires=time.time() + LEASE_SECONDS))
                except Exception:  # a missed renewal only shortens the lease
                    pass

        thread = threading.Thread(target=renew, name="kb-milvus-lease", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=5)
            try:
                if (self._read_lock() or {}).get("id") == me["id"]:
                    self.client.delete(self.meta, filter='key == "lock"')
            except (KBError, MilvusException):  # the lease expires on its own
                pass
