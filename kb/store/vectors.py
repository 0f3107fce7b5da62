"""The dense index: FAISS inner-product search over normalized vectors, keyed by chunk id.

FAISS holds no state of its own that matters: it is always rebuilt from the vectors stored in SQLite, so the
two can never disagree about which chunks exist. We use FAISS directly rather than LangChain's FAISS vector
store, because that wrapper persists its docstore with pickle (unsafe to load, and slow at scale).

The index type follows the corpus size (``IndexPlan``): exact flat search while it is small (a few ms up to
~100k chunks), then an inverted-file index with 8-bit scalar-quantized vectors (IVF-SQ8: a quarter of the
memory, a few ms per query at 1M chunks). An approximate index is calibrated when it is built: its ``nprobe``
(or HNSW ``efSearch``) is raised until recall@10 against exact search on a sample of the corpus reaches
``target_recall``, and the measured recall is recorded in the manifest's ``faiss`` field with the type.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import faiss
import numpy as np

from kb.errors import IndexCorruptError

INDEX_KINDS = ("auto", "flat", "ivf", "hnsw")
STORAGES = ("fp32", "fp16", "sq8", "pq")

_SQ_TYPES = {"fp16": faiss.ScalarQuantizer.QT_fp16, "sq8": faiss.ScalarQuantizer.QT_8bit}


@dataclass(frozen=True)
class IndexPlan:
    """How to build the FAISS index; ``from_settings`` reads the ``vector_*`` fields of ``Settings``."""

    kind: str = "auto"  # auto: flat below flat_limit vectors, ivf from there on
    flat_limit: int = 100_000
    storage: str = "sq8"  # vector codes of an approximate index: fp32, fp16, sq8 (1 byte/dim) or pq
    nprobe: int = 0  # ivf lists visited per query; 0 = calibrate to target_recall
    target_recall: float = 0.97
    hnsw_m: int = 32
    calibration_queries: int = 200
    seed: int = 1234

    @classmethod
    def from_settings(cls, settings: Any) -> "IndexPlan":
        defaults = cls()
        return cls(
            kind=getattr(settings, "vector_index", defaults.kind),
            flat_limit=int(getattr(settings, "vector_flat_limit", defaults.flat_limit)),
            storage=getattr(settings, "vector_storage", defaults.storage),
            nprobe=int(getattr(settings, "vector_nprobe", defaults.nprobe)),
        )

    def choose(self, count: int) -> str:
        if self.kind != "auto":
            return self.kind
        return "flat" if count < self.flat_limit else "ivf"


class VectorIndex:
    def __init__(self, index: faiss.Index, info: dict[str, Any] | None = None) -> None:
        self._index = index
        self._info = info or {}

    # -- building ---------------------------------------------------------------------------------
    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, dimension: int, plan: IndexPlan | None = None) -> "VectorIndex":
        """The index for these vectors, of the type ``plan`` picks for their number (see ``describe()``)."""
        plan = plan or IndexPlan()
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, dimension)
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        kind = plan.choose(len(ids))
        if kind == "flat" or len(ids) == 0:
            index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
            if len(ids):
                index.add_with_ids(vectors, ids)
            return cls(index, {"type": "flat-ip"})
        if kind == "ivf":
            return cls._build_ivf(ids, vectors, dimension, plan)
        if kind == "hnsw":
            return cls._build_hnsw(ids, vectors, dimension, plan)
        raise ValueError(f"unknown index kind {kind!r}")

    @classmethod
    def _build_ivf(cls, ids: np.ndarray, vectors: np.ndarray, dimension: int, plan: IndexPlan) -> "VectorIndex":
        count = len(ids)
        # ~2*sqrt(n) lists, each trained on >= 40 points: balances list scans against centroid scans.
        nlist = max(1, min(int(2 * math.sqrt(count)), count // 40))
        quantizer = faiss.IndexFlatIP(dimension)
        if plan.storage == "fp32":
            index = faiss.IndexIVFFlat(quantizer, dimension, nlist, faiss.METRIC_INNER_PRODUCT)
        elif plan.storage == "pq":
            m = _pq_subquantizers(dimension)
            index = faiss.IndexIVFPQ(quantizer, dimension, nlist, m, 8, faiss.METRIC_INNER_PRODUCT)
        else:
            index = faiss.IndexIVFScalarQuantizer(
                quantizer, dimension, nlist, _SQ_TYPES[plan.storage], faiss.METRIC_INNER_PRODUCT
            )
        index.own_fields = True
        quantizer.this.disown()
        # k-means on at most 50 points per list: bounds the build (1M vectors: ~1 min on 2 cores) at no recall cost.
        rng = np.random.default_rng(plan.seed)
        sample = vectors[np.sort(rng.choice(count, size=50 * nlist, replace=False))] if count > 50 * nlist else vectors
        index.train(sample)
        index.add_with_ids(vectors, ids)
        info = {"type": f"ivf{nlist}-{plan.storage}", "nlist": nlist, "storage": plan.storage,
                "train_sample": int(len(sample))}
        built = cls(index, info)
        if plan.nprobe > 0:
            index.nprobe = min(plan.nprobe, nlist)
            info["nprobe"] = int(index.nprobe)
            info["recall_at_10"] = built._measure_recall(ids, vectors, plan)
        else:
            built._calibrate(ids, vectors, plan, "nprobe", lambda v: setattr(index, "nprobe", v), nlist)
        return built

    @classmethod
    def _build_hnsw(cls, ids: np.ndarray, vectors: np.ndarray, dimension: int, plan: IndexPlan) -> "VectorIndex":
        if plan.storage in _SQ_TYPES:
            inner = faiss.IndexHNSWSQ(dimension, _SQ_TYPES[plan.storage], plan.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            inner.train(vectors[: min(len(vectors), 100_000)])
        else:
            inner = faiss.IndexHNSWFlat(dimension, plan.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = 40
        index = faiss.IndexIDMap2(inner)
        index.add_with_ids(vectors, ids)
        storage = plan.storage if plan.storage in _SQ_TYPES else "fp32"
        built = cls(index, {"type": f"hnsw{plan.hnsw_m}-{storage}", "storage": storage, "m": plan.hnsw_m})
        built._calibrate(ids, vectors, plan, "ef_search", lambda v: setattr(inner.hnsw, "efSearch", v), 4096)
        return built

    def _calibrate(self, ids: np.ndarray, vectors: np.ndarray, plan: IndexPlan, name: str, apply: Any, ceiling: int) -> None:
        """Raise the search breadth until recall@10 on a corpus sample meets the target (or the ceiling)."""
        queries, truth = _calibration_set(ids, vectors, plan)
        value = 8
        while True:
            value = min(value, ceiling)
            apply(value)
            recall = _overlap(truth, self.search_batch(queries, 10))
            if recall >= plan.target_recall or value >= ceiling:
                break
            value *= 2
        self._info[name] = int(value)
        self._info["recall_at_10"] = round(recall, 4)

    def _measure_recall(self, ids: np.ndarray, vectors: np.ndarray, plan: IndexPlan) -> float:
        queries, truth = _calibration_set(ids, vectors, plan)
        return round(_overlap(truth, self.search_batch(queries, 10)), 4)

    # -- persistence ------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path, dimension: int) -> "VectorIndex":
        if not path.is_file():
            raise IndexCorruptError(f"{path} is missing: run `kb index --full`")
        try:
            index = faiss.read_index(str(path))
        except (RuntimeError, MemoryError, ValueError) as exc:
            message = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
            raise IndexCorruptError(f"{path} is damaged ({message}): run `kb index --full`") from None
        if index.d != dimension:
            raise IndexCorruptError(f"{path} has dimension {index.d}, manifest says {dimension}: run `kb index --full`")
        return cls(index)

    def save(self, path: Path) -> None:
        # Through a Python file, not faiss.write_index(index, str(path)): faiss's own writer only prints
        # "close error: No space left on device" when the disk fills and leaves a truncated file behind, while
        # a Python file raises OSError(ENOSPC), which the Indexer reports (the old index stays live).
        with open(path, "wb") as fh:
            faiss.write_index(self._index, faiss.PyCallbackIOWriter(fh.write))

    # -- queries ----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self._index.ntotal)

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        if len(self) == 0:
            return []
        with _one_thread():
            scores, ids = self._index.search(
                np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), min(k, len(self))
            )
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def search_batch(self, queries: np.ndarray, k: int) -> np.ndarray:
        """Chunk ids (n_queries, k), -1 where fewer than k were found."""
        if len(self) == 0:
            return np.full((len(queries), k), -1, dtype=np.int64)
        _, ids = self._index.search(np.ascontiguousarray(queries, dtype=np.float32), min(k, len(self)))
        return ids

    def ids(self) -> set[int]:
        index = self._index
        if isinstance(index, faiss.IndexIDMap2) or hasattr(index, "id_map"):
            return set(int(i) for i in faiss.vector_to_array(faiss.downcast_index(index).id_map))
        ivf = faiss.extract_index_ivf(index)
        lists = ivf.invlists
        found: set[int] = set()
        for number in range(ivf.nlist):
            size = lists.list_size(number)
            if size:
                found.update(int(i) for i in faiss.rev_swig_ptr(lists.get_ids(number), size))
        return found

    def describe(self) -> dict[str, Any]:
        """What the manifest records in its ``faiss`` field: type, search breadth, calibrated recall, memory."""
        info = dict(self._info) if self._info else _describe_loaded(self._index)
        info["vectors"] = len(self)
        info["memory_mb"] = round(self.memory_bytes() / 2**20, 1)
        return info

    def memory_bytes(self) -> int:
        """Resident size estimate: vector codes, ids, centroids / graph links."""
        index = faiss.downcast_index(self._index)
        count = len(self)
        total = 0
        if isinstance(index, (faiss.IndexIDMap2, faiss.IndexIDMap)):
            total += count * (8 + (40 if isinstance(index, faiss.IndexIDMap2) else 0))  # id map + reverse hash map
            index = faiss.downcast_index(index.index)
        if isinstance(index, faiss.IndexIVF):
            total += count * (index.code_size + 8) + index.nlist * index.d * 4
        elif isinstance(index, faiss.IndexHNSW):
            storage = faiss.downcast_index(index.storage)
            total += count * storage.sa_code_size() + count * index.hnsw.nb_neighbors(0) * 4 * 1.1
        else:
            total += count * index.d * 4
        return int(total)


@contextmanager
def _one_thread() -> Iterator[None]:
    """One query runs on one OpenMP thread: fanning it out gains ~nothing at these sizes, and on a busy CPU the
    threads' barrier waits cost 50-100 ms (measured: 10k flat search 0.7 ms on 1 thread vs 47-107 ms on 2).
    The OpenMP thread count is per calling thread, so concurrent builds keep theirs."""
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)


def _describe_loaded(index: faiss.Index) -> dict[str, Any]:
    inner = faiss.downcast_index(index)
    if isinstance(inner, (faiss.IndexIDMap2, faiss.IndexIDMap)):
        inner = faiss.downcast_index(inner.index)
    if isinstance(inner, faiss.IndexIVF):
        return {"type": f"ivf{inner.nlist}", "nlist": int(inner.nlist), "nprobe": int(inner.nprobe)}
    if isinstance(inner, faiss.IndexHNSW):
        return {"type": "hnsw", "ef_search": int(inner.hnsw.efSearch)}
    return {"type": "flat-ip"}


def _pq_subquantizers(dimension: int) -> int:
    """The largest sub-quantizer count <= dimension/8 that divides it (48 for 384: 48 bytes per vector)."""
    for m in range(max(1, dimension // 8), 0, -1):
        if dimension % m == 0:
            return m
    return 1


def _calibration_set(ids: np.ndarray, vectors: np.ndarray, plan: IndexPlan) -> tuple[np.ndarray, np.ndarray]:
    """Queries near corpus vectors (as a paraphrase lands near its passage) and their exact top-10 ids."""
    rng = np.random.default_rng(plan.seed + 1)
    count, dimension = vectors.shape
    picks = rng.choice(count, size=min(plan.calibration_queries, count), replace=False)
    queries = vectors[picks] + rng.normal(0, 0.5 / math.sqrt(dimension), (len(picks), dimension))
    queries = np.ascontiguousarray(queries / np.linalg.norm(queries, axis=1, keepdims=True), dtype=np.float32)
    return queries, exact_top_k(vectors, queries, 10, ids)


def exact_top_k(vectors: np.ndarray, queries: np.ndarray, k: int, ids: np.ndarray | None = None) -> np.ndarray:
    """Brute-force inner-product top-k ids, without copying ``vectors`` into another index."""
    _, positions = faiss.knn(np.ascontiguousarray(queries, dtype=np.float32),
                             np.ascontiguousarray(vectors, dtype=np.float32), k, metric=faiss.METRIC_INNER_PRODUCT)
    return positions if ids is None else np.asarray(ids)[positions]


def _overlap(truth: np.ndarray, found: np.ndarray) -> float:
    k = truth.shape[1]
    return float(np.mean([len(set(t.tolist()) & set(f[:k].tolist())) / k for t, f in zip(truth, found)]))


def recall_at_k(index: VectorIndex, vectors: np.ndarray, queries: np.ndarray, k: int = 10,
                ids: np.ndarray | None = None) -> float:
    """Fraction of the exact top-k (brute force over ``vectors``) that ``index`` also returns in its top-k.

    ``ids[i]`` is the id ``index`` holds for ``vectors[i]``; by default the row position.
    """
    return _overlap(exact_top_k(vectors, queries, k, ids), index.search_batch(queries, k))
