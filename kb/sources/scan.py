"""Find the indexable files under a sources folder, and hash them, without following anything outside it.

Checking a path and opening it later are two steps an attacker with write access to the folder can race
(swap a file for a symlink to ~/.ssh/... in between). So the scan opens every file once, through the directory
file descriptors ``os.fwalk`` holds and with ``O_NOFOLLOW``, checks the *opened* file (``fstat``: a regular file,
inside the folder) and records its identity (device, inode). The reader later opens the path again and reads
only when the opened file is that same inode (see ``open_checked``), so whatever the path points to by then,
only a file the scan vetted is ever read.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from kb.errors import SourceError, UsageError
from kb.sources.formats import SUPPORTED_SUFFIXES
from kb.types import SourceFailure

_TEMP_SUFFIXES = ("~", ".swp", ".swo", ".tmp", ".part", ".crdownload", ".bak")
_IGNORED_NAMES = {"kb.toml", "Thumbs.db", "desktop.ini"}
# O_NONBLOCK: opening a FIFO that raced in must not hang the build (it is then rejected by fstat).
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CHANGED = "file changed while indexing (replaced or swapped for a link); it is read on the next build"


@dataclass(frozen=True)
class SourceFile:
    path: Path
    source: str  # relative POSIX path: the document's stable id
    sha256: str
    size: int
    device: int = 0  # identity of the file the scan opened and vetted; 0/0 = not recorded (only opened by path)
    inode: int = 0


def is_ignored_name(name: str) -> bool:
    """Hidden files, editor temp and lock files are never documents."""
    return (
        name.startswith((".", "~$", ".#"))
        or (name.startswith("#") and name.endswith("#"))
        or name.endswith(_TEMP_SUFFIXES)
        or name in _IGNORED_NAMES
    )


def scan_sources(root: Path, max_bytes: int, index: Path | None = None) -> tuple[list[SourceFile], list[SourceFailure]]:
    """List the files to index, sorted by id, with the reasons others were skipped.

    Symlinks are followed only when they resolve inside ``root``, so a link cannot pull in files
    the user did not put in the folder. ``index``: the index folder, passed over where it lies inside ``root`` (an
    `--index` inside `--sources` gave a "skipped ... unsupported file type" line per index file on every run, and
    `kb index --strict` then failed).
    """
    if not root.exists():
        raise UsageError(f"sources folder {root} does not exist")
    if not root.is_dir():
        raise UsageError(f"sources path {root} is not a folder")
    if not os.access(root, os.R_OK | os.X_OK):
        raise UsageError(f"sources folder {root} is not readable")
    real_root = root.resolve()
    real_index = index.resolve() if index is not None else None
    found: list[SourceFile] = []
    failures: list[SourceFailure] = []
    # fwalk (not walk): it descends through directory fds and checks each one is the directory it listed, so a
    # folder swapped for a link mid-scan is not entered; files are then opened relative to those fds.
    # The resolved root: fwalk yields nothing for a top folder given as a symlink.
    for dirpath, dirnames, filenames, dir_fd in os.fwalk(real_root, follow_symlinks=False):
        kept = []
        for name in sorted(d for d in dirnames if not is_ignored_name(d)):
            if real_index is not None and Path(dirpath) / name == real_index:
                continue  # kb's own index folder
            # fwalk does not descend into linked folders; say so when one leads outside the sources folder.
            link = Path(dirpath) / name
            try:
                linked = link.is_symlink()
            except OSError as exc:
                # A folder whose path is over the system's limit (ENAMETOOLONG, 4,096 bytes on Linux): one line,
                # and the rest is indexed. It had ended the whole build with a traceback.
                failures.append(SourceFailure(_printable(link.relative_to(real_root).as_posix()),
                                              f"folder not read: {exc.strerror or exc}"))
                continue
            if linked:
                if problem := _link_problem(link, real_root):
                    failures.append(SourceFailure(_printable(link.relative_to(real_root).as_posix()), problem))
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if is_ignored_name(name):
                continue
            path = Path(dirpath) / name
            source = path.relative_to(real_root).as_posix()
            if not _is_utf8(source):
                # The id goes into SQLite, JSON and terminals as UTF-8; a name in another encoding cannot.
                failures.append(SourceFailure(_printable(source), "file name is not valid UTF-8; rename the file"))
                continue
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                try:
                    problem = _link_problem(path, real_root) if path.is_symlink() else None
                except OSError:  # a path over the system's limit: its type is what is said of it
                    problem = None
                failures.append(SourceFailure(source, problem or f"unsupported file type {path.suffix or '(none)'}"))
                continue
            try:
                fd = _open_vetted(name, dir_fd, path, real_root)
            except SourceError as exc:
                failures.append(SourceFailure(source, str(exc)))
                continue
            try:
                info = os.fstat(fd)
                if info.st_size > max_bytes:
                    failures.append(SourceFailure(source, size_reason(info.st_size, max_bytes)))
                    continue
                digest = _hash_fd(fd)
            except OSError as exc:
                failures.append(SourceFailure(source, f"cannot read file: {exc.strerror or exc}"))
                continue
            finally:
                os.close(fd)
            found.append(SourceFile(path, source, digest, info.st_size, info.st_dev, info.st_ino))
    found.sort(key=lambda f: f.source)
    return found, failures


def _open_vetted(name: str, dir_fd: int, path: Path, real_root: Path) -> int:
    """An fd of ``name`` (in the directory ``dir_fd``) that is a regular file inside the sources folder.

    A plain file is opened with O_NOFOLLOW relative to its directory fd, so nothing can redirect it. A symlink
    (allowed when it stays inside the folder) is opened through its path, then the opened file must be the
    one its target resolves to *after* the open, and that target must lie inside the folder: a swap in between
    yields a different inode and is refused.
    """
    try:
        fd = os.open(name, _OPEN_FLAGS | _NOFOLLOW, dir_fd=dir_fd)
    except FileNotFoundError:
        raise SourceError("file disappeared while indexing") from None
    except OSError as exc:
        if exc.errno not in (errno.ELOOP, errno.EMLINK):  # ELOOP (EMLINK on FreeBSD): the name is a symlink
            raise SourceError(f"cannot read file: {exc.strerror or exc}") from None
        fd = _open_link(path, real_root)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            # A FIFO or device named *.txt would block or stream forever when read.
            raise SourceError("not a regular file (pipe, socket or device); not read")
    except BaseException:
        os.close(fd)
        raise
    return fd


def _open_link(path: Path, real_root: Path) -> int:
    if problem := _link_problem(path, real_root):
        raise SourceError(problem)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise SourceError("broken symlink (its target does not exist)") from None
    except OSError as exc:
        raise SourceError(f"cannot read file: {exc.strerror or exc}") from None
    try:
        opened = os.fstat(fd)
        target = path.resolve(strict=True)
        there = os.stat(target, follow_symlinks=False)
        if not target.is_relative_to(real_root) or (there.st_dev, there.st_ino) != (opened.st_dev, opened.st_ino):
            raise SourceError(_CHANGED)
    except OSError:
        os.close(fd)
        raise SourceError(_CHANGED) from None
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_checked(file: SourceFile) -> int:
    """Open a scanned file again for reading; refuse unless it is still the very file the scan vetted."""
    try:
        fd = os.open(file.path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise SourceError("file disappeared while indexing") from None
    except OSError as exc:
        raise SourceError(f"cannot read file: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SourceError("not a regular file (pipe, socket or device); not read")
        if (file.device or file.inode) and (info.st_dev, info.st_ino) != (file.device, file.inode):
            raise SourceError(_CHANGED)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_fd(fd: int, max_bytes: int) -> bytes:
    """At most ``max_bytes`` from an open file; a file that grew past the limit since the scan is refused."""
    chunks: list[bytes] = []
    total = 0
    while True:
        block = os.read(fd, min(1 << 20, max_bytes + 1 - total))
        if not block:
            return b"".join(chunks)
        chunks.append(block)
        total += len(block)
        if total > max_bytes:
            raise SourceError(size_reason(total, max_bytes, grew=True))


def size_reason(size: int, max_bytes: int, grew: bool = False) -> str:
    mib = 1024 * 1024
    if grew:
        return f"file grew past the {max_bytes / mib:.3g} MB limit while indexing (setting max_file_mb)"
    return f"file is {size / mib:.3g} MB, over the {max_bytes / mib:.3g} MB limit (setting max_file_mb)"


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


def changed_since(folder: Path, indexed: list[tuple[str, int, str]]) -> list[str]:
    """Of the indexed files ((source, size, sha256) as the index recorded them), those the sources folder no longer
    holds as indexed: edited, replaced, removed, or now a link the scan would not follow. The size is compared first and the SHA-256 only of
    a file of the same size; meant for the few files an answer cites, not for a whole collection (that is `kb
    index`'s scan)."""
    changed: list[str] = []
    root = folder.resolve()
    for source, size, sha256 in indexed:
        path = root / source
        try:
            if ".." in Path(source).parts or root not in path.parents:
                changed.append(source)
                continue
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                # A link the scan follows (to a file inside the folder) was indexed as its target's text: compare
                # that. Read as changed, every answer citing it warned, even right after `kb index`.
                if _link_problem(path, root) is not None:
                    changed.append(source)
                    continue
                path = path.resolve(strict=True)
                info = os.stat(path)
            if not stat.S_ISREG(info.st_mode) or info.st_size != size:
                changed.append(source)
                continue
            fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
        except OSError:
            changed.append(source)
            continue
        try:
            if _hash_fd(fd) != sha256:
                changed.append(source)
        except OSError:
            changed.append(source)
        finally:
            os.close(fd)
    return changed


def _hash_fd(fd: int) -> str:
    h = hashlib.sha256()
    for block in iter(lambda: os.read(fd, 1 << 20), b""):
        h.update(block)
    return h.hexdigest()

