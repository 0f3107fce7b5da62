"""Saving uploaded files into the sources folder, and removing documents from it, safely.

An upload's name comes from the browser and is untrusted: ``../../x``, ``/etc/passwd``, ``C:\\x``, control
characters, hidden names. Only the last path component survives, reduced to a safe character set; the file is
written to a hidden temporary name (ignored by the indexer) and renamed into place, and the final path is checked
to be directly inside the sources folder.

An upload named like a document already there is its new version: the earlier file moves to the trash (recoverable,
as a delete is) and the new one takes its name in one rename, so the folder never lacks the document. Keeping both,
as "report-1.pdf", left the superseded figures citable beside the current ones, and a cited stale figure is a
wrong answer that looks right. The same bytes uploaded again change nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from kb.errors import KBError, UsageError
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


@dataclass(frozen=True)
class SavedUpload:
    """Where an upload went, and what it did to a document of the same name."""

    path: Path
    replaced: Path | None = None  # the earlier version, now in the trash
    unchanged: bool = False  # the same bytes were already there: nothing written


def save_upload(data_path: str | Path, original_name: str, sources: Path, max_bytes: int,
                readable: Callable[[Path, str], None] | None = None) -> SavedUpload:
    """Copy an uploaded temp file into ``sources`` under its sanitized name, as the new version of a file of that
    name (see the module's docstring); a name held by anything but a regular file gets a free ``name-1.ext``.

    ``readable(path, name)`` raises KBError when the indexer could not read the file: it is asked before a new version
    replaces a document, so an unreadable one is refused with the earlier version untouched (indexed, then found
    unreadable, the document was gone from the index until the earlier version was put back)."""
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
    if not _inside(target, sources):
        raise UsageError(f"{original_name!r} would be written outside the sources folder")
    if _regular_file(target) and _same_bytes(src, target):
        return SavedUpload(target, unchanged=True)
    tmp = sources / f".upload-{os.getpid()}-{time.monotonic_ns()}{suffix}.part"
    try:
        shutil.copyfile(src, tmp)
        if _regular_file(target):
            if readable is not None:
                try:
                    readable(tmp, name)
                except KBError as exc:
                    raise UsageError(f"{name} was not replaced: {exc}; the earlier version is kept") from None
            # The earlier version is linked into the trash first, then the new one renamed over it: at every
            # moment the name holds one whole version, and the earlier one is recoverable.
            trashed = _trash_path(sources.resolve(), target.name)
            os.link(target, trashed)
            os.replace(tmp, target)
            return SavedUpload(target, replaced=trashed)
        counter = 1
        while True:  # a folder, link or other non-file holds the name: never replaced, the upload goes beside it
            try:
                # link+unlink instead of rename: fails rather than overwriting a file that appeared meanwhile.
                os.link(tmp, target)
                return SavedUpload(target)
            except FileExistsError:
                target = sources / f"{stem}-{counter}{suffix}"
                counter += 1
    finally:
        tmp.unlink(missing_ok=True)


def _regular_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def _same_bytes(a: Path, b: Path, block: int = 1 << 20) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    with a.open("rb") as fa, b.open("rb") as fb:
        while True:
            x, y = fa.read(block), fb.read(block)
            if x != y:
                return False
            if not x:
                return True


def _trash_path(root: Path, name: str) -> Path:
    """A free name in the trash for a file called ``name``, stamped with the time it was put there."""
    trash = root / TRASH
    trash.mkdir(exist_ok=True)
    target = trash / f"{time.strftime('%Y%m%d-%H%M%S')}-{name}"
    counter = 1
    while target.exists():
        target = trash / f"{time.strftime('%Y%m%d-%H%M%S')}-{counter}-{name}"
        counter += 1
    return target


def _source_path(source: str, sources: Path) -> Path:
    """The file of a document id, refusing anything outside the sources folder or hidden in it."""
    root = sources.resolve()
    path = (sources / source).resolve()
    if not path.is_relative_to(root) or path == root or not path.is_file():
        raise UsageError(f"{source or '(no name)'} is not a file in the sources folder")
    if any(part.startswith(".") for part in path.relative_to(root).parts):
        raise UsageError(f"{source} is not an indexed document")
    return path


def delete_source(source: str, sources: Path) -> Path:
    """Move a document out of the index's view into ``sources/.kb-trash``; returns where it went."""
    path = _source_path(source, sources)
    target = _trash_path(sources.resolve(), path.name)
    os.replace(path, target)
    return target


def restore_source(trashed: Path, source: str, sources: Path, replace: bool = False) -> Path:
    """Undo a delete: move ``trashed`` (a file in the trash) back to ``source``.

    Never beside a file added under that name since: two versions of one document would both be cited, the older
    as if it were current (it was restored as ``name-1.ext``, and answered beside the newer). That is refused, and
    the deleted version stays in the trash. With ``replace`` (undoing an upload that replaced it), the file now at
    ``source`` moves to the trash and the earlier version takes its name back.
    """
    root = sources.resolve()
    trashed = Path(trashed).resolve()
    if trashed.parent != root / TRASH or not trashed.is_file():
        raise UsageError(f"{source} is no longer in {TRASH}; nothing to restore")
    target = (root / source).resolve()
    if not target.is_relative_to(root) or any(p.startswith(".") for p in target.relative_to(root).parts):
        raise UsageError(f"{source} cannot be restored inside the sources folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    if replace and _regular_file(target):
        os.link(target, _trash_path(root, target.name))  # the version being undone stays recoverable too
        os.replace(trashed, target)
        return target
    try:
        os.link(trashed, target)  # fails rather than overwriting
    except FileExistsError:
        raise UsageError(f"a newer {source} was added since; the deleted one stays in the trash folder ({TRASH})") \
            from None
    trashed.unlink()
    return target


def discard_upload(source: str, sources: Path) -> None:
    """Remove a just-uploaded file that could not be indexed: the user still has it, the folder must not keep it."""
    _source_path(source, sources).unlink(missing_ok=True)


__all__ = ["ALLOWED_SUFFIXES", "TRASH", "SavedUpload", "safe_name", "save_upload", "delete_source", "restore_source",
           "discard_upload"]
