"""Find the indexable files under a sources folder, and hash them, without following anything outside it."""

from __future__ import annotations

import hashlib
import os
import stat
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
        for name in dirnames:
            # os.walk does not descend into linked folders; say so when one leads outside the sources folder.
            link = Path(dirpath) / name
            if link.is_symlink() and (problem := _link_problem(link, real_root)):
                failures.append(SourceFailure(_printable(link.relative_to(root).as_posix()), problem))
        for name in sorted(filenames):
            if is_ignored_name(name):
                continue
            path = Path(dirpath) / name
            source = path.relative_to(root).as_posix()
            if not _is_utf8(source):
                # The id goes into SQLite, JSON and terminals as UTF-8; a name in another encoding cannot.
                failures.append(SourceFailure(_printable(source), "file name is not valid UTF-8; rename the file"))
                continue
            if path.is_symlink():
                problem = _link_problem(path, real_root)
                if problem:
                    failures.append(SourceFailure(source, problem))
                    continue
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                failures.append(SourceFailure(source, f"unsupported file type {path.suffix or '(none)'}"))
                continue
            try:
                info = path.stat()
                if not stat.S_ISREG(info.st_mode):
                    # A FIFO or device named *.txt would block or stream forever when read.
                    failures.append(SourceFailure(source, "not a regular file (pipe, socket or device); not read"))
                    continue
                size = info.st_size
                if size > max_bytes:
                    mib = 1024 * 1024
                    failures.append(
                        SourceFailure(
                            source,
                            f"file is {size / mib:.3g} MB, over the {max_bytes / mib:.3g} MB limit (setting max_file_mb)",
                        )
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


def _link_problem(link: Path, real_root: Path) -> str | None:
    """Why a symlink is not followed, or None when it leads to an existing file inside the sources folder."""
    try:
        target = link.resolve(strict=True)
    except FileNotFoundError:
        return "broken symlink (its target does not exist)"
    except (RuntimeError, OSError):  # RuntimeError: a symlink loop
        return "symlink loop or unreadable symlink; not followed"
    if not target.is_relative_to(real_root):
        return "symlink points outside the sources folder; not followed"
    return None


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # os.walk hands undecodable bytes back as lone surrogates
        return False
    return True


def _printable(name: str) -> str:
    """A file name that can be printed and stored: undecodable bytes shown as U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace") if not _is_utf8(name) else name


def hash_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
