"""Find the indexable files under a sources folder, and hash them, without following anything outside it."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from kb.errors import UsageError
from kb.sources.readers import SUPPORTED_SUFFIXES
from kb.types import SourceFailure

_TEMP_SUFFIXES = ("~", ".swp", ".swo", ".tmp", ".part", ".crdownload", ".bak")
_IGNORED_NAMES = {"kb.toml", "Thumbs.db", "desktop.ini"}


@dataclass(frozen=True)
class SourceFile:
    path: Path
    source: str  # relative POSIX path: the document's stable id
    sha256: str
    size: int


def is_ignored_name(name: str) -> bool:
    """Hidden files, editor temp and lock files are never documents."""
    return (
        name.startswith((".", "~$", ".#"))
        or (name.startswith("#") and name.endswith("#"))
        or name.endswith(_TEMP_SUFFIXES)
        or name in _IGNORED_NAMES
    )


def scan_sources(root: Path, max_bytes: int) -> tuple[list[SourceFile], list[SourceFailure]]:
    """List the files to index, sorted by id, with the reasons others were skipped.

    Symlinks are followed only when they resolve inside ``root``, so a link cannot pull in files
    the user did not put in the folder.
    """
    if not root.exists():
        raise UsageError(f"sources folder {root} does not exist")
    if not root.is_dir():
        raise UsageError(f"sources path {root} is not a folder")
    if not os.access(root, os.R_OK | os.X_OK):
        raise UsageError(f"sources folder {root} is not readable")
    real_root = root.resolve()
    found: list[SourceFile] = []
    failures: list[SourceFailure] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not is_ignored_name(d))
        for name in sorted(filenames):
            if is_ignored_name(name):
                continue
            path = Path(dirpath) / name
            source = path.relative_to(root).as_posix()
            if path.is_symlink():
                target = path.resolve()
                if not target.is_relative_to(real_root):
                    failures.append(SourceFailure(source, "symlink points outside the sources folder; not followed"))
                    continue
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                failures.append(SourceFailure(source, f"unsupported file type {path.suffix or '(none)'}"))
                continue
            try:
                size = path.stat().st_size
                if size > max_bytes:
                    failures.append(
                        SourceFailure(source, f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit (max_file_mb)")
                    )
                    continue
                digest = hash_file(path)
            except FileNotFoundError:
                failures.append(SourceFailure(source, "file disappeared while indexing"))
                continue
            except OSError as exc:
                failures.append(SourceFailure(source, f"cannot read file: {exc.strerror or exc}"))
                continue
            found.append(SourceFile(path, source, digest, size))
    found.sort(key=lambda f: f.source)
    return found, failures


def hash_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
