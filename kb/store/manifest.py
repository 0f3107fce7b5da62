"""The manifest says how an index was built, so a mismatched reader fails loudly instead of answering wrong."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kb.errors import IndexCorruptError, IndexMismatchError

FORMAT_VERSION = 1


@dataclass
class Manifest:
    model: str
    dimension: int
    chunker: dict[str, Any]
    embed_title: bool
    faiss: dict[str, Any] = field(default_factory=lambda: {"type": "flat-ip"})
    documents: int = 0
    chunks: int = 0
    created_at: str = ""
    format_version: int = FORMAT_VERSION

    def build_signature(self) -> dict[str, Any]:
        """What must match between an index and the settings reading it (counts and dates need not)."""
        return {
            "format_version": self.format_version,
            "model": self.model,
            "dimension": self.dimension,
            "chunker": self.chunker,
            "embed_title": self.embed_title,
        }

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> "Manifest":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**data)
        except FileNotFoundError:
            raise IndexCorruptError(f"{path} is missing: run `kb index --full`") from None
        except (ValueError, TypeError) as exc:
            raise IndexCorruptError(f"{path} is damaged ({exc}): run `kb index --full`") from None


def mismatch(stored: Manifest, wanted: dict[str, Any]) -> list[str]:
    """Names of build settings that differ, empty when the index fits the settings."""
    have = stored.build_signature()
    return [key for key in wanted if have.get(key) != wanted[key]]


def require_compatible(stored: Manifest, wanted: dict[str, Any]) -> None:
    diffs = mismatch(stored, wanted)
    if diffs:
        details = "; ".join(f"{k}: index has {stored.build_signature().get(k)!r}, settings want {wanted[k]!r}" for k in diffs)
        raise IndexMismatchError(
            f"the index was built with other settings ({details}): run `kb index --full` to rebuild it"
        )
