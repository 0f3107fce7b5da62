"""Reading one published version from its collections (the ``Store`` of kb.store.base)."""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from typing import Any, Iterable

import numpy as np
from pymilvus import AnnSearchRequest, RRFRanker

from kb.store.base import Hits, Store
from kb.store.database import ChunkRow, DocumentRow
from kb.store.manifest import Manifest
from kb.store.milvus.common import ROW_FIELDS, equals, iterate, wrap
from kb.store.sentence_cache import SentenceCache, SentenceRows, Span
from kb.text import fts_terms

class MilvusStore(Store):
    """One published version, read from its collections."""

    def __init__(self, client: Any, version: str, manifest: Manifest, names: dict[str, str]) -> None:
        self.client = client
        self._version = version
        self.manifest = manifest
        self.names = names
        # Rescoring reads every pool passage's vector and sentences: ``chunks`` fetches them with the rows in
        # two queries and keeps them here, instead of one round trip per passage. The rows of the last searches
        # are kept until there are 4,096 (they are asked for right after the search that returned them); the
        # sentences in the byte-bounded cache the FAISS snapshot uses, since questions share passages.
        self._cache_lock = threading.Lock()
        self._rows: dict[int, ChunkRow] = {}
        self._df: dict[str, int] = {}
        self._vectors: dict[int, np.ndarray] = {}
        self.sentence_cache = SentenceCache()

    @property
    def version(self) -> str:
        return self._version

    def close(self) -> None:
        """The client is shared per URI; nothing to release per version."""

    def count_chunks(self) -> int:
        return self.manifest.chunks

    # -- search -------------------------------------------------------------------------------------
    @wrap("dense search")
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

    @wrap("BM25 search")
    def lexical_search(self, terms: list[str], k: int) -> Hits:
        query = self.bm25_query(terms)
        if not query or self.manifest.chunks == 0:
            return []
        result = self.client.search(self.names["chunks"], data=[query], anns_field="sparse", limit=k,
                                    output_fields=[], search_params={"metric_type": "BM25"})
        # milvus-lite reports BM25 as a negative distance, a server as a positive score: best first either way.
        return [(int(hit["id"]), abs(float(hit["distance"]))) for hit in result[0]]

    @wrap("hybrid search")
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
                                           output_fields=ROW_FIELDS + ["terms"])
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
            for r in rows:
                cid = int(r["id"])
                self._rows[cid] = ChunkRow(cid, r["source"], r["title"], r["date"] or None, int(r["start"]),
                                           int(r["stop"]), r["text"])
                self._vectors[cid] = np.asarray(r["vector"], dtype=np.float32)

    @wrap("chunk lookup")
    def chunks(self, ids: Iterable[int]) -> dict[int, ChunkRow]:
        """The rows (from the last search when it returned them), with their sentences fetched in one query."""
        ids = [int(i) for i in ids]
        if not ids:
            return {}
        with self._cache_lock:
            missing = [i for i in ids if i not in self._rows]
        if missing:
            self._remember(self.client.query(self.names["chunks"], filter=f"id in {json.dumps(missing)}",
                                             output_fields=ROW_FIELDS))
        with self._cache_lock:
            found = {i: self._rows[i] for i in ids if i in self._rows}
        spans = self.sentence_cache.missing({(row.source, row.start, row.end) for row in found.values()})
        if spans:
            for span, rows in self._sentences_of(set(spans)).items():
                self.sentence_cache.put(span, rows)
        return found

    def _sentences_of(self, spans: set[Span]) -> dict[Span, SentenceRows]:
        """The sentences overlapping each (source, start, end), in one query."""
        if not spans:
            return {}
        clauses = [f"({equals('source', s)} and start < {e} and stop > {b} and start >= {max(0, b - 4000)})"
                   for s, b, e in spans]
        rows = self.client.query(self.names["sentences"], filter=" or ".join(clauses),
                                 output_fields=["source", "start", "stop", "text", "vector"])
        found: dict[Span, SentenceRows] = {span: [] for span in spans}
        for r in sorted(rows, key=lambda r: int(r["start"])):
            item = (int(r["start"]), int(r["stop"]), r["text"], np.asarray(r["vector"], dtype=np.float32))
            for s, b, e in spans:
                if r["source"] == s and item[0] < e and item[1] > b and item[0] >= max(0, b - 4000):
                    found[(s, b, e)].append(item)
        return found

    @wrap("chunk vector lookup")
    def chunk_vectors(self, ids: list[int]) -> dict[int, np.ndarray]:
        with self._cache_lock:
            found = {i: self._vectors[i] for i in ids if i in self._vectors}
        missing = [int(i) for i in ids if i not in found]
        if missing:
            rows = self.client.query(self.names["chunks"], filter=f"id in {json.dumps(missing)}",
                                     output_fields=["id", "vector"])
            found.update({int(r["id"]): np.asarray(r["vector"], dtype=np.float32) for r in rows})
        return found

    @wrap("sentence lookup")
    def sentences_overlapping(self, source: str, start: int, end: int) -> SentenceRows:
        key = (source, int(start), int(end))
        cached = self.sentence_cache.get(key)
        if cached is None:  # evicted since ``chunks``, or asked without it
            cached = self._sentences_of({key})[key]
            self.sentence_cache.put(key, cached)
        result = []
        for s, e, text, vector in cached:
            if not text and e > s:  # too long for a VARCHAR: cut it from the document
                text = (self.document_text(source) or "")[s:e]
            result.append((s, e, text, vector))
        return result

    @wrap("document listing")
    def documents(self) -> list[DocumentRow]:
        rows = iterate(self.client, self.names["documents"], "part == 0",
                        ["source", "title", "date", "sha256", "size", "indexed_at", "chunks"])
        return sorted((DocumentRow(r["source"], r["title"], r["date"] or None, r["sha256"], int(r["size"]),
                                   r["indexed_at"], int(r["chunks"])) for r in rows), key=lambda d: d.source)

    @wrap("document lookup")
    def document_text(self, source: str) -> str | None:
        rows = self.client.query(self.names["documents"], filter=equals("source", source),
                                 output_fields=["source", "part", "text"], limit=16_384)
        rows = [r for r in rows if r["source"] == source]
        if not rows:
            return None
        return "".join(r["text"] for r in sorted(rows, key=lambda r: int(r["part"])))

    # -- lexical statistics -------------------------------------------------------------------------
    @wrap("vocabulary lookup")
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

    @wrap("vocabulary listing")
    def vocabulary(self, initial: str | None = None) -> dict[str, int]:
        if initial is not None and not initial.isalnum():
            return {}  # LIKE has its own wildcards; kb asks only for letters
        where = f'term like "{initial}%"' if initial else 'term != ""'
        return {r["term"]: int(r["df"]) for r in iterate(self.client, self.names["terms"], where, ["term", "df"])}
