"""The question adapter (kb.model_adapter): folded exactly, reproducibly and atomically into the bundled model,
and recorded in an index's manifest so vectors of two models are never mixed."""

from __future__ import annotations

import numpy as np
import pytest

from kb.config import BUNDLED_MODEL, QUESTION_MODEL
from kb.embedding import model_identity, resolve_model_path
from kb.errors import ConfigError, IndexMismatchError
from kb.model_adapter import ADAPTER_FILE, adapter_digest, ensure_adapted_model, fold

LAYER = "encoder.layer.0.attention.self.query"


def _factors(path, rank=2, scale=0.05, layer=LAYER, seed=0, out=384, width=384):
    from safetensors.numpy import save_file

    rng = np.random.default_rng(seed)
    save_file({f"{layer}.lora_a": (rng.standard_normal((rank, width)) * scale).astype(np.float32),
               f"{layer}.lora_b": (rng.standard_normal((out, rank)) * scale).astype(np.float32)}, str(path))
    return path


@pytest.fixture(scope="module")
def bundled():
    from pathlib import Path

    return Path(resolve_model_path(BUNDLED_MODEL))


def test_fold_adds_each_factor_pair_to_its_layer_only(bundled, tmp_path):
    from safetensors.numpy import load_file

    adapter = _factors(tmp_path / "a.safetensors")
    fold(bundled, adapter, tmp_path / "out")
    base, folded, factors = (load_file(str(p)) for p in (bundled / "model.safetensors",
                                                         tmp_path / "out" / "model.safetensors", adapter))
    assert set(folded) == set(base)
    expected = base[f"{LAYER}.weight"] + factors[f"{LAYER}.lora_b"] @ factors[f"{LAYER}.lora_a"]
    np.testing.assert_allclose(folded[f"{LAYER}.weight"], expected, rtol=0, atol=1e-6)
    assert not np.allclose(folded[f"{LAYER}.weight"], base[f"{LAYER}.weight"])
    unchanged = [k for k in base if k != f"{LAYER}.weight"]
    assert all(np.array_equal(base[k], folded[k]) for k in unchanged)
    assert (tmp_path / "out" / "tokenizer.json").read_bytes() == (bundled / "tokenizer.json").read_bytes()


def test_an_adapter_that_does_not_fit_is_refused_and_leaves_nothing(bundled, tmp_path):
    cache = tmp_path / "cache"
    for name, kwargs in [("shape", {"width": 100}), ("layer", {"layer": "encoder.layer.0.no_such"})]:
        adapter = _factors(tmp_path / f"{name}.safetensors", **kwargs)
        with pytest.raises(ConfigError, match="does not fit the model"):
            ensure_adapted_model(bundled, cache, adapter)
    assert list(cache.iterdir()) == []  # no half-written folder, no leftover temporary one


def test_adapted_folder_is_made_once_and_named_by_the_adapter(bundled, tmp_path):
    cache = tmp_path / "cache"
    one = _factors(tmp_path / "one.safetensors", seed=1)
    two = _factors(tmp_path / "two.safetensors", seed=2)
    first = ensure_adapted_model(bundled, cache, one)
    made = (first / "model.safetensors").stat().st_mtime_ns
    assert ensure_adapted_model(bundled, cache, one) == first
    assert (first / "model.safetensors").stat().st_mtime_ns == made  # reused, not folded again
    second = ensure_adapted_model(bundled, cache, two)
    assert second != first and adapter_digest(one) in first.name and adapter_digest(two) in second.name
    # The fold is reproducible: the same factors give the same bytes.
    again = ensure_adapted_model(bundled, tmp_path / "elsewhere", one)
    assert (again / "model.safetensors").read_bytes() == (first / "model.safetensors").read_bytes()


def test_shipped_adapter_ranks_held_out_answers_higher_than_the_plain_model(tmp_path):
    """The second seed set (tests/data/seed_heldout.jsonl) was never trained on: among the sentences of each
    question's gold articles, the one holding the answer must come nearer the top by cosine with the adapter
    (measured: mean reciprocal rank 0.668 -> 0.744, 16 questions better, 3 worse; 0.714, 14 and 4 with the adapter
    trained before the third seed set). Random or stale factors fail."""
    from kb.embedding import Embedder
    from kb.evaluation import load_questions
    from kb.text import split_sentences
    from paths import ROOT, SEEDS

    assert ADAPTER_FILE.stat().st_size < 2_000_000
    questions = [q for q in load_questions(ROOT / "tests" / "data" / "seed_heldout.jsonl")
                 if not q.unanswerable and not q.history]
    articles = {p.name: [s.text for s in split_sentences(p.read_text(encoding="utf-8"))] for p in SEEDS.glob("*.txt")}
    ranks = {}
    for model in (BUNDLED_MODEL, QUESTION_MODEL):
        embedder = Embedder(model, device="cpu", backend="torch", model_cache=tmp_path)
        texts = sorted({t for sentences in articles.values() for t in sentences})
        vectors = dict(zip(texts, embedder.embed(texts)))
        found = []
        for q in questions:
            candidates = [t for name, sentences in articles.items() if name.startswith(q.sources) for t in sentences]
            gold = np.array([any(a.lower() in t.lower() for a in q.answers) for t in candidates])
            if gold.any():
                scores = np.stack([vectors[t] for t in candidates]) @ embedder.embed_one(q.question)
                found.append(1 + int(np.flatnonzero(gold[np.argsort(-scores, kind="stable")])[0]))
        ranks[model] = np.array(found)
    plain, adapted = ranks[BUNDLED_MODEL], ranks[QUESTION_MODEL]
    assert len(plain) >= 50
    assert np.mean(1 / adapted) > np.mean(1 / plain) + 0.02
    assert np.sum(adapted < plain) > 2 * np.sum(adapted > plain)
    assert model_identity(QUESTION_MODEL) == f"{QUESTION_MODEL}@{adapter_digest()}"
    assert model_identity(BUNDLED_MODEL) == BUNDLED_MODEL


def test_index_of_the_plain_model_is_refused_by_the_question_model_and_back(make_kb):
    plain = make_kb({"a.txt": "The zebra migration data was verified by Dr. Okafor in March."}, model=BUNDLED_MODEL)
    plain.build()
    from kb import KnowledgeBase

    adapted = KnowledgeBase(plain.settings.sources, plain.settings.index, model=QUESTION_MODEL)
    with pytest.raises(IndexMismatchError, match=r"all-MiniLM-L6-v2-questions@.*kb index --full"):
        adapted.search("zebra")
    adapted.build()  # a rebuild with the question model replaces it...
    assert adapted.search("zebra", k=1)[0].source == "a.txt"
    with pytest.raises(IndexMismatchError, match="kb index --full"):  # ...and the plain model is refused now
        KnowledgeBase(plain.settings.sources, plain.settings.index, model=BUNDLED_MODEL).search("zebra")
