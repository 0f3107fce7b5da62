"""The bundled MiniLM adapted to questions: low-rank factors shipped with kb, folded into the bundled weights once.

Why an adapter rather than another model: nothing can be downloaded here, and the bundled all-MiniLM-L6-v2 was
trained on sentence pairs, not on questions against the sentences that answer them. ``kb/adapters/`` holds
low-rank updates (LoRA, rank 8) of its attention projections, trained by ``benchmarks/encoder_adapter.py
--write`` on the TUNE half only (docs/quality.md). They are 0.4 MB beside the model's 87 MB, so kb ships the
factors and builds the adapted model folder on first use: ``W + B @ A`` for every adapted layer, written once
into the model cache (``Settings.model_cache``) under a name carrying both files' identities, then read like any
local sentence-transformers folder (torch, and the ONNX export cached beside it).

The folder is written under a temporary name and renamed into place, so a crash or a second process never
leaves a half-written model that a later run would load. The factors and the fold are plain tensors in
safetensors files: no pickle, no code run on load.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from kb.embedding import cache_name
from kb.errors import ConfigError

#: The adapter shipped with kb (factors ``<layer>.lora_a`` (rank x in) and ``<layer>.lora_b`` (out x rank)).
ADAPTER_FILE = Path(__file__).resolve().parent / "adapters" / "minilm_questions.safetensors"
#: Bump when the fold recipe changes: folders folded by an older recipe are then ignored.
FOLD_RECIPE = 1
_WEIGHTS = "model.safetensors"


@lru_cache(maxsize=8)
def _digest(path: Path, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256(f"recipe={FOLD_RECIPE}".encode())
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:12]


def adapter_digest(adapter: Path = ADAPTER_FILE) -> str:
    """Identity of the factors (their bytes and the fold recipe): recorded in an index's manifest, so an index
    built with other factors is refused instead of mixing two models' vectors."""
    try:
        stat = adapter.stat()
    except OSError as exc:
        raise ConfigError(f"the question adapter {adapter} is missing ({exc.strerror}): reinstall kb") from None
    return _digest(adapter, stat.st_size, stat.st_mtime_ns)


def fold(base: Path, adapter: Path, out: Path) -> None:
    """Write ``base`` with every factor pair of ``adapter`` added into its layer's weight, as a model folder
    at ``out`` (which must not exist). Every other file of the folder is copied as it is."""
    from safetensors.numpy import load_file, save_file

    weights = load_file(str(base / _WEIGHTS))
    factors = load_file(str(adapter))
    layers = sorted({key.rsplit(".", 1)[0] for key in factors})
    if not layers:
        raise ConfigError(f"the question adapter {adapter} holds no factors")
    for layer in layers:
        a, b = factors.get(f"{layer}.lora_a"), factors.get(f"{layer}.lora_b")
        target = weights.get(f"{layer}.weight")
        if a is None or b is None or target is None or target.shape != (b.shape[0], a.shape[1]):
            raise ConfigError(f"the question adapter {adapter} does not fit the model in {base} (layer {layer})")
        weights[f"{layer}.weight"] = (target.astype(np.float64) + b.astype(np.float64) @ a.astype(np.float64)
                                      ).astype(target.dtype)
    shutil.copytree(base, out, ignore=shutil.ignore_patterns(_WEIGHTS, ".gitattributes", "README.md"))
    save_file(weights, str(out / _WEIGHTS), metadata={"format": "pt"})


def ensure_adapted_model(base: Path, cache_dir: Path, adapter: Path = ADAPTER_FILE) -> Path:
    """The adapted model folder in the cache, folded on first use (about a second) and reused after."""
    target = cache_dir / f"{cache_name(base)}-questions-{adapter_digest(adapter)}"
    if (target / _WEIGHTS).is_file():
        return target
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".fold-", dir=cache_dir))
    except OSError as exc:
        raise ConfigError(f"cannot create the model cache {cache_dir} ({exc.strerror}): set model_cache to a "
                          "writable folder") from None
    try:
        fold(base, adapter, work / "model")
        try:
            os.replace(work / "model", target)  # atomic; a folder another process put there first is kept
        except OSError:
            if not (target / _WEIGHTS).is_file():
                raise
    except ConfigError:
        raise
    except Exception as exc:  # safetensors and the file system raise many kinds
        raise ConfigError(f"cannot build the adapted model in {target} ({type(exc).__name__}: {exc})") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target
