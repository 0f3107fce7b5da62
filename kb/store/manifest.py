"""The manifest says how an index was built, so a mismatched reader fails loudly instead of answering wrong."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kb.errors import IndexCorruptError, IndexMismatchError

FORMAT_VERSION = 2  # 2: sentence vectors


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
    sentence_vectors: str = "separate"  # how sentence vectors were made; indexes before the setting: separate
    format_version: int = FORMAT_VERSION
    store: str = "faiss"  # the backend that holds the index (kb.store.base); older manifests: FAISS + SQLite
    # kb.embedding.EXPORT_RECIPE of the vectors: a recipe that changes the vectors (3: int8 weights in 7 bits, exact
    # on every CPU) is a setting of the index like the model, so questions are never embedded one way and compared
    # with passages embedded another. 0: an index from before it was recorded.
    embedding_recipe: int = 0
    # kb.sources.formats.READER_VERSIONS of the text stored: a reader whose version moved has its files read again
    # by the next `kb index`. Not part of the build signature: the index stays readable meanwhile. {}: an index
    # from before it was recorded (every reader at version 1).
    readers: dict[str, int] = field(default_factory=dict)
    # Fingerprints of the other files of the version (size and hashes of both ends), taken when the manifest
    # is written last: a truncated, emptied, replaced or missing file is caught by a few stat/read calls.
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The sources folder the index was built from (absolute): what "changed since it was indexed" compares with,
    # whatever folder the command that asks names. "": an index from before it was recorded.
    sources: str = ""

    def build_signature(self) -> dict[str, Any]:
        """What must match between an index and the settings reading it (counts and dates need not)."""
        return {
            "format_version": self.format_version,
            "model": self.model,
            "dimension": self.dimension,
            "chunker": self.chunker,
            "embed_title": self.embed_title,
            "embedding_recipe": self.embedding_recipe,
        }

    def write(self, path: Path) -> None:
        """Written after every other file of the version is complete, so it can fingerprint them."""
        self.files = {
            item.name: fingerprint(item)
            for item in sorted(path.parent.iterdir())
            if item.is_file() and item.name != path.name
        }
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path, verify_files: bool = True) -> "Manifest":
        """Parse the manifest and, unless told not to, check the version's files against their fingerprints.

        The Indexer reads the live manifest before an incremental build, so a damaged file makes it rebuild
        everything instead of reporting "nothing changed" over a broken index.
        """
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            manifest = cls(**data)
        except FileNotFoundError:
            raise IndexCorruptError(f"{path} is missing: run `kb index --full`") from None
        except (ValueError, TypeError) as exc:
            raise IndexCorruptError(f"{path} is damaged ({exc}): run `kb index --full`") from None
        if verify_files:
            manifest.verify_files(path.parent)
        return manifest

    def verify_files(self, folder: Path) -> None:
        if not isinstance(self.files, dict):
            raise IndexCorruptError(f"{folder / 'manifest.json'} is damaged (bad files entry): run `kb index --full`")
        for name, expected in self.files.items():
            try:
                # an index written before whole-file sums is checked as it was fingerprinted
                found = fingerprint(folder / name, whole=isinstance(expected, dict) and "sum" in expected)
            except FileNotFoundError:
                raise IndexCorruptError(f"{folder / name} is missing: run `kb index --full`") from None
            except OSError as exc:
                raise IndexCorruptError(f"cannot read {folder / name} ({exc.strerror}): run `kb index --full`") from None
            if found != expected:
                what = "truncated or extended" if found["size"] != expected.get("size") else "overwritten"
                raise IndexCorruptError(
                    f"{folder / name} was {what} after it was written (size {found['size']}, "
                    f"expected {expected.get('size')}): run `kb index --full`"
                )


_END_BYTES = 4096
#: Files up to this size are summed whole at every open. FAISS reads the vectors file whole at open anyway, and
#: SHA-256 runs at ~1.8 GB/s here (~35 ms for 64 MiB): bytes overwritten in the middle of a file, which leave
#: similarities that look plausible, were invisible to the ends alone. A larger file is summed over its ends and
#: evenly spaced blocks, so an open stays cheap on a gigabyte index.
WHOLE_SUM_MAX = 256 << 20
_SAMPLED_BLOCKS = 64


def fingerprint(path: Path, whole: bool = True) -> dict[str, Any]:
    """Size plus SHA-256 of the first and last 4 KiB, and (``whole``) a SHA-256 of the whole file, or of
    evenly spaced blocks over WHOLE_SUM_MAX. ``whole=False`` gives the fingerprint of indexes written before."""
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        head = fh.read(_END_BYTES)
        fh.seek(max(0, size - _END_BYTES))
        tail = fh.read(_END_BYTES)
        found: dict[str, Any] = {"size": size, "head": hashlib.sha256(head).hexdigest()[:16],
                                 "tail": hashlib.sha256(tail).hexdigest()[:16]}
        if whole:
            digest = hashlib.sha256()
            if size <= WHOLE_SUM_MAX:
                fh.seek(0)
                while block := fh.read(1 << 20):
                    digest.update(block)
            else:
                for i in range(_SAMPLED_BLOCKS):
                    fh.seek(size * i // _SAMPLED_BLOCKS)
                    digest.update(fh.read(_END_BYTES))
            found["sum"] = digest.hexdigest()[:32]
    return found


def mismatch(stored: Manifest, wanted: dict[str, Any]) -> list[str]:
    """Names of build settings that differ, empty when the index fits the settings."""
    have = stored.build_signature()
    return [key for key in wanted if have.get(key) != wanted[key]]


def require_compatible(stored: Manifest, wanted: dict[str, Any]) -> None:
    diffs = mismatch(stored, wanted)
    if diffs:
        have = stored.build_signature()
        # "kb wants": the settings, or this version of kb itself (embedding_recipe)
        details = "; ".join(f"{k}: index has {have.get(k)!r}, kb wants {wanted[k]!r}" for k in diffs)
        how = "by an older kb" if diffs == ["embedding_recipe"] else "with other settings"
        # Another model asked for may be a slip (`--model` with a typo): the index can still be read with its own.
        model = re.sub(r"@[0-9a-f]{6,}$", "", str(have.get("model")))  # the adapter's digest is no part of the name
        keep = f" (or leave the model setting at {model!r} to read it)" if diffs == ["model"] else ""
        raise IndexMismatchError(f"the index was built {how} ({details}): run `kb index --full` to rebuild it{keep}")
