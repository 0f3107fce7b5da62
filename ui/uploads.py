"""Saving uploaded files into the sources folder, and removing documents from it, safely.

An upload's name comes from the browser and is untrusted: ``../../x``, ``/etc/passwd``, ``C:\\x``, control
characters, hidden names. Only the last path component survives, reduced to a safe character set; the file is
written to a hidden temporary name (ignored by the indexer) and renamed into place, never over an existing file,
and the final path is checked to be directly inside the sources folder.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import unicodedata
from pathlib import Path

from kb.errors import UsageError
from kb.sources import SUPPORTED_SUFFIXES

# The indexer's list, read, never copied: a type the indexer learns (.docx) is accepted by the upload widget too.
ALLOWED_SUFFIXES = tuple(sorted(SUPPORTED_SUFFIXES))
_UNSAFE = re.compile(r"[^\w .()+,-]", re.UNICODE)
_MAX_NAME = 120
TRASH = ".kb-trash"  # hidden, so never indexed; deleted documents stay recoverable here


def safe_name(name: str) -> str:
    """A file name that cannot leave the folder, hide itself or confuse a shell; UsageError if nothing is left."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", str(name)))[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = _UNSAFE.sub("_", base).strip(" ._")
    base = re.sub(r"_+", "_", base)
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    if not stem.strip(" ._"):
        raise UsageError(f"{name!r} is not a usable file name")
    suffix = "." + suffix.lower() if suffix else ""
    if suffix not in SUPPORTED_SUFFIXES:
        raise UsageError(
            f"{base or name!r}: file type {suffix or '(none)'} is not accepted; use {', '.join(ALLOWED_SUFFIXES)}"
        )
    return stem[: _MAX_NAME - len(suffix)].rstrip(" ._") + suffix


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().parent == folder.resolve()


def save_upload(data_path: str | Path, original_name: str, sources: Path, max_bytes: int) -> Path:
    """Copy an uploaded temp file into ``sources`` under a sanitized, unused name; returns the new path."""
    name = safe_name(original_name)
    src = Path(data_path)
    try:
        size = src.stat().st_size
    except OSError as exc:
        raise UsageError(f"{name}: the upload could not be read ({exc.strerror or exc})") from None
    if size > max_bytes:
        raise UsageError(f"{name} is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit (max_file_mb)")
    if size == 0:
        raise UsageError(f"{name} is empty")
    sources.mkdir(parents=True, exist_ok=True)
    stem, suffix = os.path.splitext(name)
    target = sources / name
    counter = 1
    while target.exists():
        target = sources / f"{stem}-{counter}{suffix}"
        counter += 1
    if not _inside(target, sources):
        raise UsageError(f"{original_name!r} would be written outside the sources folder")
    tmp = sources / f".upload-{os.getpid()}-{time.monotonic_ns()}{suffix}.part"
    try:
        shutil.copyfile(src, tmp)
        # link+unlink instead of rename: fails rather than overwriting a file that appeared meanwhile.
        os.link(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _source_path(source: str, sources: Path) -> Path:
    """The file of a document id, refusing anything outside the sources folder or hidden in it."""
    root = sources.resolve()
    path = (sources / source).resolve()
    if not path.is_relative_to(root) or path == root or not path.is_file():
        raise UsageError(f"{source!r} is not a file in the sources folder")
    if any(part.startswith(".") for part in path.relative_to(root).parts):
        raise UsageError(f"{source!r} is not an indexed document")
    return path


def delete_source(source: str, sources: Path) -> Path:
    """Move a document out of the index's view into ``sources/.kb-trash``; returns where it went."""
    root = sources.resolve()
    path = _source_path(source, sources)
    trash = root / TRASH
    trash.mkdir(exist_ok=True)
    target = trash / f"{time.strftime('%Y%m%d-%H%M%S')}-{path.name}"
    counter = 1
    while target.exists():
        target = trash / f"{time.strftime('%Y%m%d-%H%M%S')}-{counter}-{path.name}"
        counter += 1
    os.replace(path, target)
    return target


def restore_source(trashed: Path, source: str, sources: Path) -> Path:
    """Undo a delete: move ``trashed`` (a file in the trash) back to ``source``, or beside it if that name is taken.

    Never overwrites: a file added under the same name since the delete is kept, the restored one becomes
    ``name-1.ext``.
    """
    root = sources.resolve()
    trashed = Path(trashed).resolve()
    if trashed.parent != root / TRASH or not trashed.is_file():
        raise UsageError(f"{source!r} is no longer in {TRASH}; nothing to restore")
    target = (root / source).resolve()
    if not target.is_relative_to(root) or any(p.startswith(".") for p in target.relative_to(root).parts):
        raise UsageError(f"{source!r} cannot be restored inside the sources folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    stem, suffix = os.path.splitext(target.name)
    counter = 1
    while True:
        try:
            os.link(trashed, target)  # fails rather than overwriting
            break
        except FileExistsError:
            target = target.with_name(f"{stem}-{counter}{suffix}")
            counter += 1
    trashed.unlink()
    return target


def discard_upload(source: str, sources: Path) -> None:
    """Remove a just-uploaded file that could not be indexed: the user still has it, the folder must not keep it."""
    _source_path(source, sources).unlink(missing_ok=True)


__all__ = ["ALLOWED_SUFFIXES", "TRASH", "safe_name", "save_upload", "delete_source", "restore_source",
           "discard_upload"]
