"""FAISS index: type chosen by size and recorded, approximate recall bounded, persistence robust."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kb.errors import ConfigError, IndexCorruptError
from kb.store.vectors import IndexPlan, VectorIndex, exact_top_k, recall_at_k

DIM = 64


def clustered(count: int, seed: int = 0) -> np.ndarray:
    """Unit vectors around random topic centers: neighbourhoods mean something, as in real embeddings."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((max(1, count // 100), DIM)).astype(np.float32)
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    points = centers[rng.integers(0, len(centers), count)] + rng.standard_normal((count, DIM)).astype(np.float32) * 0.15
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def near_queries(vectors: np.ndarray, count: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    picked = vectors[rng.choice(len(vectors), count, replace=False)]
    noisy = picked + rng.standard_normal(picked.shape).astype(np.float32) * 0.05
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def data():
    vectors = clustered(6000)
    ids = np.arange(len(vectors), dtype=np.int64) * 7 + 3  # chunk ids are not row positions
    return ids, vectors


def test_small_corpus_gets_exact_flat_index(data):
    ids, vectors = data
    index = VectorIndex.build(ids, vectors, DIM, IndexPlan(flat_limit=10_000))
    assert index.describe()["type"] == "flat-ip"
    queries = near_queries(vectors, 20)
    truth = exact_top_k(vectors, queries, 10, ids)
    assert np.array_equal(index.search_batch(queries, 10), truth)
    hits = index.search(queries[0], 5)
    assert [cid for cid, _ in hits] == truth[0][:5].tolist()
    assert all(a[1] >= b[1] for a, b in zip(hits, hits[1:]))


@pytest.mark.parametrize("storage", ["sq8", "fp16", "fp32"])
def test_large_corpus_gets_calibrated_ivf(data, storage):
    ids, vectors = data
    index = VectorIndex.build(ids, vectors, DIM, IndexPlan(flat_limit=1000, storage=storage))
    info = index.describe()
    assert info["type"].startswith("ivf") and info["storage"] == storage
    assert info["vectors"] == len(ids) and info["nprobe"] >= 1
    assert 0 < info["train_sample"] <= len(ids)
    assert info["recall_at_10"] >= 0.95  # calibrated at build time against exact search
    fresh = near_queries(vectors, 100, seed=42)  # queries the calibration never saw
    assert recall_at_k(index, vectors, fresh, 10, ids) >= 0.9
    bytes_per_vector = {"sq8": DIM, "fp16": 2 * DIM, "fp32": 4 * DIM}[storage]
    assert info["memory_mb"] * 2**20 < len(ids) * (bytes_per_vector + 64) + 2**20


def test_hnsw_on_request(data):
    ids, vectors = data
    index = VectorIndex.build(ids[:3000], vectors[:3000], DIM, IndexPlan(kind="hnsw"))
    info = index.describe()
    assert info["type"].startswith("hnsw") and info["ef_search"] >= 8
    assert recall_at_k(index, vectors[:3000], near_queries(vectors[:3000], 100, seed=5), 10, ids[:3000]) >= 0.9


def test_fixed_nprobe_is_honoured(data):
    ids, vectors = data
    index = VectorIndex.build(ids, vectors, DIM, IndexPlan(kind="ivf", nprobe=3))
    assert index.describe()["nprobe"] == 3


@pytest.mark.parametrize("plan", [IndexPlan(flat_limit=10_000), IndexPlan(flat_limit=1000)], ids=["flat", "ivf"])
def test_save_load_round_trip(tmp_path, data, plan):
    ids, vectors = data
    built = VectorIndex.build(ids, vectors, DIM, plan)
    path = tmp_path / "vectors.faiss"
    built.save(path)
    loaded = VectorIndex.load(path, DIM)
    assert len(loaded) == len(ids)
    assert loaded.ids() == set(ids.tolist())
    queries = near_queries(vectors, 30)
    assert np.array_equal(loaded.search_batch(queries, 10), built.search_batch(queries, 10))
    assert loaded.describe()["type"].split("-")[0] == built.describe()["type"].split("-")[0]
    if "nprobe" in built.describe():
        assert loaded.describe()["nprobe"] == built.describe()["nprobe"]


def test_empty_index():
    index = VectorIndex.build(np.zeros(0, dtype=np.int64), np.zeros((0, DIM), dtype=np.float32), DIM)
    assert len(index) == 0 and index.search(np.ones(DIM, dtype=np.float32), 5) == []


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_corrupt_file_is_index_corrupt_error(tmp_path, data, damage):
    ids, vectors = data
    path = tmp_path / "vectors.faiss"
    VectorIndex.build(ids[:500], vectors[:500], DIM).save(path)
    raw = path.read_bytes()
    path.write_bytes({"truncate": raw[: len(raw) // 2], "garbage": b"\x13\x37" * 5000, "empty": b""}[damage])
    with pytest.raises(IndexCorruptError, match="kb index --full"):
        VectorIndex.load(path, DIM)


def test_missing_file_and_wrong_dimension(tmp_path, data):
    ids, vectors = data
    with pytest.raises(IndexCorruptError, match="missing"):
        VectorIndex.load(tmp_path / "nope.faiss", DIM)
    path = tmp_path / "vectors.faiss"
    VectorIndex.build(ids[:100], vectors[:100], DIM).save(path)
    with pytest.raises(IndexCorruptError, match="dimension"):
        VectorIndex.load(path, DIM * 2)


def test_plan_reads_settings():
    from kb.config import Settings, load_settings

    plan = IndexPlan.from_settings(Settings().replace(vector_flat_limit=5, vector_storage="fp16", vector_nprobe=9))
    assert (plan.flat_limit, plan.storage, plan.nprobe) == (5, "fp16", 9)
    assert plan.choose(4) == "flat" and plan.choose(5) == "ivf"
    with pytest.raises(ConfigError, match="vector_storage"):
        load_settings({"vector_storage": "int3"}, env={})


@pytest.mark.faiss_only
def test_manifest_records_the_index_type(make_kb):
    """End to end: a build past the flat limit writes an IVF index and says so in the manifest."""
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split()
    files = {f"doc{i}.txt": f"Document {i}\n\n" + " ".join(words[(i + j) % len(words)] for j in range(40))
             for i in range(60)}
    kb = make_kb(files, vector_flat_limit=20)
    kb.build()
    from kb.store import current_version

    manifest = json.loads((current_version(kb.settings.index) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["faiss"]["type"].startswith("ivf"), manifest["faiss"]
    assert manifest["faiss"]["vectors"] == manifest["chunks"]
    assert kb.search("gamma delta", k=3)
