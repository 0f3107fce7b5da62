"""Where index versions live on disk and how a new one replaces the old one atomically.

index/
  CURRENT        name of the live version; replaced with os.replace only after the version is complete
  v000007/       one complete index (manifest.json, kb.sqlite, vectors.faiss)
  .build-*/      a version being written; never read; removed by the next build if a crash left it
  .lock          flock held by the one process rebuilding, which writes its pid there while it holds it

Readers resolve CURRENT once and then read only that folder, so they see the old index or the new one,
never a mix. The previous version is kept until the next build, so a reader that resolved CURRENT just
before a swap can still open it.

An index holds the full text of every document, so by default ("private") its folders are 0700 and its files
0600, whatever the umask: a 0600 document must not become readable to other users through the index.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from kb.errors import IndexBusyError, IndexCorruptError, IndexMissingError, IndexWriteError, KBError, UsageError

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
DATABASE = "kb.sqlite"
VECTORS = "vectors.faiss"
LOCK = ".lock"
_VERSION_RE = re.compile(r"^v(\d{6,})$")
_INDEX_FILES = frozenset({MANIFEST, DATABASE, VECTORS})


def current_version(index_dir: Path) -> Path:
    """The live version folder; a clear error when there is none or it is damaged."""
    pointer = index_dir / CURRENT
    if not pointer.is_file():
        raise IndexMissingError(
            first_build_under_way(str(index_dir), index_dir / LOCK) or f"no index in {index_dir}: run `kb index` first"
        )
    name = read_pointer(pointer) or ""
    if not _VERSION_RE.match(name):
        raise IndexCorruptError(f"{pointer} is damaged ({name[:40]!r}): run `kb index --full`")
    folder = index_dir / name
    if not folder.is_dir():
        raise IndexCorruptError(f"index version {name} named by {pointer} is missing: run `kb index --full`")
    return folder


def read_pointer(pointer: Path) -> str | None:
    """The version name written in CURRENT; None when it is missing or unreadable.

    A damaged pointer may hold any bytes, so it is decoded leniently and judged by its shape instead.
    """
    try:
        data = pointer.read_bytes()
    except OSError:
        return None
    return data[:200].decode("utf-8", "replace").strip()


def current_version_or_none(index_dir: Path) -> Path | None:
    try:
        return current_version(index_dir)
    except (IndexMissingError, IndexCorruptError):
        return None


DIR_MODE, FILE_MODE = 0o700, 0o600  # "private" index (settings.index_mode)


def make_index_dir(index_dir: Path, private: bool = True) -> None:
    """Create the index folder (0700 when private); an existing folder keeps the mode its owner gave it."""
    if not index_dir.is_dir():
        index_dir.mkdir(parents=True, exist_ok=True)
        if private:
            os.chmod(index_dir, DIR_MODE)


def remove_abandoned_builds(index_dir: Path) -> None:
    """Remove what builds killed mid-way left (SIGKILL, a power cut): their ``.build-*`` folders and CURRENT's temp
    files. Only called while holding the build lock, so no other build is writing."""
    for stale in index_dir.glob(".build-*"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in index_dir.glob(f".{CURRENT}.*"):
        stale.unlink(missing_ok=True)


def new_build_dir(index_dir: Path, private: bool = True) -> Path:
    """A folder for the next version. Called under the build lock: a killed build's leftovers go first, or on a
    nearly full disk every later build, --full too, failed for the space they held (they were removed only after
    a build that succeeded)."""
    make_index_dir(index_dir, private)
    remove_abandoned_builds(index_dir)
    folder = index_dir / f".build-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    if private:
        os.chmod(folder, DIR_MODE)  # before any file is written into it, so no file is ever reachable by others
    return folder


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(index_dir: Path, build_dir: Path, private: bool = True) -> Path:
    """Make ``build_dir`` the live version: fsync it, rename it to the next vNNNNNN, swap CURRENT.

    If writing CURRENT fails (disk full), the renamed version folder is removed again, so a failed build leaves
    no half-published version behind; the caller removes ``build_dir`` on any earlier failure.
    """
    for item in build_dir.iterdir():
        if private:
            os.chmod(item, FILE_MODE)  # SQLite and FAISS create their files as the umask says (usually 0644)
        with item.open("rb") as fh:
            os.fsync(fh.fileno())
    _fsync_dir(build_dir)
    numbers = [int(m.group(1)) for p in index_dir.iterdir() if (m := _VERSION_RE.match(p.name))]
    version = index_dir / f"v{max(numbers, default=0) + 1:06d}"
    os.rename(build_dir, version)
    tmp = index_dir / f".{CURRENT}.{uuid.uuid4().hex[:8]}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE if private else 0o666)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(version.name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, index_dir / CURRENT)
    except BaseException:
        tmp.unlink(missing_ok=True)
        shutil.rmtree(version, ignore_errors=True)
        raise
    _fsync_dir(index_dir)
    return version


def _written_by_kb(folder: Path) -> bool:
    """A version folder kb published: its manifest and nothing but index files (SQLite may leave its journal).
    A folder of the user's that only happens to be named like one ("v000005") is never removed."""
    try:
        names = {p.name for p in folder.iterdir()}
    except OSError:
        return False
    return MANIFEST in names and all(n in _INDEX_FILES or n.startswith(DATABASE + "-") for n in names)


def collect_garbage(index_dir: Path, keep: int = 2) -> None:
    """Remove abandoned builds and all but the newest ``keep`` versions (the live one always stays).

    Only called while holding the build lock, so no other build is writing.
    """
    live = current_version_or_none(index_dir)
    versions = sorted(
        (p for p in index_dir.iterdir() if _VERSION_RE.match(p.name) and _written_by_kb(p)),
        key=lambda p: int(p.name[1:]),
    )
    for old in versions[:-keep] if keep else versions:
        if live is None or old.name != live.name:
            shutil.rmtree(old, ignore_errors=True)
    remove_abandoned_builds(index_dir)


@contextmanager
def build_lock(index_dir: Path, wait: float = 0.0, private: bool = True) -> Iterator[None]:
    """Exclusive rebuild lock. ``wait`` seconds to wait for another build, then IndexBusyError."""
    try:
        make_index_dir(index_dir, private)
    except OSError as exc:
        raise _write_error(f"cannot write the index folder {index_dir}", exc) from None
    with file_lock(index_dir / LOCK, f"index {index_dir}", wait, private):
        yield


#: Errors of a place that cannot be written as it stands (no permission, a read-only or full filesystem): exit 8,
#: as for the rest of a build that cannot be written. Anything else (the path is a file) is a usage error, exit 2.
_CANNOT_WRITE = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT}


def _write_error(what: str, exc: OSError) -> KBError:
    message = f"{what}: {exc.strerror or exc}"
    return IndexWriteError(message) if exc.errno in _CANNOT_WRITE else UsageError(message)


@contextmanager
def file_lock(path: Path, what: str, wait: float = 0.0, private: bool = True) -> Iterator[None]:
    """flock on ``path``; IndexBusyError naming ``what`` when another process still holds it after ``wait`` s.

    The kernel drops a flock when its holder dies, so a killed build never leaves the index locked. A new lock
    file is 0600 when ``private``: it sits in folders that may be shared, and names the index it guards.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE if private else 0o666)
        fh = os.fdopen(fd, "a+")
    except OSError as exc:
        raise _write_error(f"cannot write the lock file {path}", exc) from None
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexBusyError(
                        f"{what} is being rebuilt by another process; try again when it finishes"
                    ) from None
                time.sleep(0.1)
        _write_holder(fh.fileno(), str(os.getpid()))
        try:
            yield
        finally:
            _write_holder(fh.fileno(), "")  # before the flock goes, so a reader never sees a pid for a finished build
    finally:
        fh.close()  # closing releases the flock


def _write_holder(fd: int, text: str) -> None:
    # Straight to the descriptor: a buffered write that fails (disk full) would fail again when the lock's file
    # is closed, and releasing the lock must never fail.
    try:
        os.ftruncate(fd, 0)
        if text:
            os.pwrite(fd, text.encode("ascii"), 0)
    except OSError:
        pass  # the pid is only for messages; the flock is what excludes


def first_build_under_way(where: str, lock: Path) -> str | None:
    """Why there is no index yet when a live process holds ``lock`` (a ``file_lock``); None when none does.

    `kb serve` answers while it builds its first index: a question asked then must not be told to run `kb index`,
    which would only be refused as busy.
    """
    builder = _lock_holder(lock)
    if builder is None:
        return None
    return f"no index in {where} yet: process {builder} is building it; try again when it finishes"


def _lock_holder(path: Path) -> int | None:
    """The live process holding the lock at ``path``, from the pid its holder writes there; None if none.

    Read from the file, not by trying the flock: a reader that took the lock even for a moment could make a build
    starting at that moment fail as busy. A killed holder's pid stays in the file, so the pid must still run.
    """
    try:
        pid = int(path.read_text(encoding="ascii", errors="replace").strip() or 0)
    except (OSError, ValueError):
        return None
    if pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except OSError:
        pass  # alive, owned by another user
    return pid
