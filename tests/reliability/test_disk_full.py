"""Disk full while a new index version is written: one line, exit 8, the old index stays live and answering.

Each case breaks one write step of an incremental `kb index` (the SQLite copy of the live database, the rows
added to it, the FAISS file, the manifest, the rename of the version folder, the CURRENT swap) with the error a
full disk gives there: SQLite's own SQLITE_FULL (its page limit lowered to what is already used), a real write
to /dev/full for FAISS, OSError(ENOSPC) for the rest. A last case fills a real 2 MB tmpfs when mounting is
allowed (root in a container with CAP_SYS_ADMIN), and skips with the reason otherwise.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from reliability_support import TINY_CORPUS, built_tiny_index, TINY_QUESTIONS, check_index, one_line, run_cli, write_files

from kb.store.layout import CURRENT

pytestmark = pytest.mark.faiss_only  # breaks the SQLite, FAISS and folder writes of a FAISS + SQLite build

DISK_FULL = "not enough disk space to write the new index in"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return built_tiny_index(tmp_path_factory.mktemp("diskfull"))


def _enospc(path: object = "") -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


def _inject(step: str, monkeypatch) -> None:
    from kb.store import database, layout, manifest, vectors

    if step == "sqlite-copy":  # the backup of the live database into the new version hits SQLITE_FULL
        real_connect = sqlite3.connect

        def connect(target, *args, **kwargs):
            conn = real_connect(target, *args, **kwargs)
            if not str(target).startswith("file:"):  # the writer's connection, not the read-only source
                conn.execute("PRAGMA max_page_count = 2")
            return conn

        monkeypatch.setattr(database.sqlite3, "connect", connect)
    elif step == "sqlite-rows":  # the copy fits, the changed document's rows do not
        real_add = database.IndexDatabase.add_document

        def add_document(self, *args, **kwargs):
            pages = self._conn.execute("PRAGMA page_count").fetchone()[0]
            self._conn.execute(f"PRAGMA max_page_count = {pages}")
            return real_add(self, *args, **kwargs)

        monkeypatch.setattr(database.IndexDatabase, "add_document", add_document)
    elif step == "faiss":  # a real write of the FAISS index to a full device
        real_save = vectors.VectorIndex.save
        monkeypatch.setattr(vectors.VectorIndex, "save", lambda self, path: real_save(self, Path("/dev/full")))
    elif step == "manifest":
        def write(self, path):
            path.write_bytes(b'{"model": ')  # half a file, then the disk is full
            raise _enospc(path)

        monkeypatch.setattr(manifest.Manifest, "write", write)
    elif step in ("version-rename", "current-swap"):
        name = "rename" if step == "version-rename" else "replace"
        real = getattr(os, name)

        def failing(src, dst, *args, **kwargs):
            if step == "version-rename" or Path(dst).name == CURRENT:
                raise _enospc(dst)
            return real(src, dst, *args, **kwargs)

        monkeypatch.setattr(layout.os, name, failing)
    else:  # pragma: no cover
        raise AssertionError(step)


def _assert_old_index_live(sources: Path, index: Path, live_before: str, entries_before: set[str], err: str) -> None:
    assert one_line(err) and DISK_FULL in err and "the old index is still live" in err, err
    assert "damaged" not in err and "Traceback" not in err
    assert (index / CURRENT).read_text().strip() == live_before
    assert {p.name for p in index.iterdir()} == entries_before  # no half-written version or build folder left
    check_index(index)
    question, source = next(iter(TINY_QUESTIONS.items()))
    code, out, err = run_cli(["ask", "--sources", str(sources), "--index", str(index), "--json", question])
    assert code == 0, err
    assert '"abstained": false' in out and source in out


@pytest.mark.parametrize("step", ["sqlite-copy", "sqlite-rows", "faiss", "manifest", "version-rename", "current-swap"])
def test_disk_full_at_each_write_step_keeps_old_index(pristine, tmp_path, monkeypatch, step):
    shutil.copytree(pristine / "sources", tmp_path / "sources")
    shutil.copytree(pristine / "index", tmp_path / "index")
    sources, index = tmp_path / "sources", tmp_path / "index"
    live_before = (index / CURRENT).read_text().strip()
    entries_before = {p.name for p in index.iterdir()}
    write_files(sources, {"glacier.txt": TINY_CORPUS["glacier.txt"] + " A second survey is planned for 2031."})

    with monkeypatch.context() as patch:
        _inject(step, patch)
        code, out, err = run_cli(["index", "--sources", str(sources), "--index", str(index)])
    assert code == 8, (code, out, err)
    _assert_old_index_live(sources, index, live_before, entries_before, err)

    code, out, err = run_cli(["index", "--sources", str(sources), "--index", str(index)])  # space is back
    assert code == 0, err
    assert (index / CURRENT).read_text().strip() != live_before


def test_sqlite_damage_is_still_reported_as_damage(pristine, tmp_path):
    """The other side of the split: a live database that SQLite cannot read is not called "disk full"."""
    from kb.errors import IndexCorruptError
    from kb.store.database import IndexDatabase

    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"SQLite format 3\x00" + os.urandom(4096))
    with pytest.raises(IndexCorruptError, match="is damaged"):
        IndexDatabase.create(tmp_path / "new.sqlite", copy_from=bad)


@contextmanager
def _tmpfs(mount_point: Path, options: str) -> Iterator[Path]:
    """A tmpfs mounted there for the test (skips where mounting is not allowed)."""
    mount_point.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount_point)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs ({options}) here ({result.stderr.strip() or result.returncode})")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


@pytest.fixture
def small_tmpfs(tmp_path):
    with _tmpfs(tmp_path / "small", "size=2m,mode=0700") as mount_point:
        yield mount_point


def test_real_full_filesystem(pristine, small_tmpfs, tmp_path):
    sources, index = tmp_path / "sources", small_tmpfs / "index"
    shutil.copytree(pristine / "sources", sources)
    shutil.copytree(pristine / "index", index)
    live_before = (index / CURRENT).read_text().strip()
    entries_before = {p.name for p in index.iterdir()}
    filler = small_tmpfs / "filler"
    with open(filler, "wb", buffering=0) as fh:  # take every free block of the 2 MB filesystem
        try:
            while True:
                fh.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    write_files(sources, {"orchard.md": TINY_CORPUS["orchard.md"] + " Pear cider is pressed in October."})

    code, out, err = run_cli(["index", "--sources", str(sources), "--index", str(index)])
    assert code == 8, (code, out, err)
    _assert_old_index_live(sources, index, live_before, entries_before, err)

    filler.unlink()
    code, out, err = run_cli(["index", "--sources", str(sources), "--index", str(index)])
    assert code == 0, err
    check_index(index)


def _killed_build_leftover(index: Path, size: int = 0) -> Path:
    """What a build killed mid-way (SIGKILL, a power cut) leaves: its build folder, with part of a database."""
    leftover = index / ".build-99999-deadbeef"
    leftover.mkdir()
    with open(leftover / "kb.sqlite", "wb", buffering=0) as fh:
        try:
            fh.write(b"\0" * size if size else b"partial")
        except OSError as exc:  # filled what space there was: that is the point
            assert exc.errno == errno.ENOSPC
    return leftover


def test_a_killed_builds_leftover_goes_before_the_next_build_writes(pristine, tmp_path, monkeypatch):
    """A killed build's folder was removed only after a build that succeeded: on a nearly full disk the space it
    held made every later build fail, --full too. It goes before the next build writes, whether that one succeeds
    or not."""
    shutil.copytree(pristine / "sources", tmp_path / "sources")
    shutil.copytree(pristine / "index", tmp_path / "index")
    sources, index = tmp_path / "sources", tmp_path / "index"
    leftover = _killed_build_leftover(index)
    write_files(sources, {"glacier.txt": TINY_CORPUS["glacier.txt"] + " A second survey is planned for 2031."})
    with monkeypatch.context() as patch:
        _inject("sqlite-rows", patch)
        code, out, err = run_cli(["index", "--sources", str(sources), "--index", str(index)])
    assert code == 8 and DISK_FULL in err, (code, out, err)
    assert not leftover.exists() and not list(index.glob(".build-*"))


def test_a_killed_builds_leftover_on_a_full_filesystem(pristine, small_tmpfs, tmp_path):
    """The same on a real 2 MB filesystem that the leftover fills: the next build succeeds."""
    sources, index = tmp_path / "sources", small_tmpfs / "index"
    shutil.copytree(pristine / "sources", sources)
    shutil.copytree(pristine / "index", index)
    _killed_build_leftover(index, size=4 << 20)
    write_files(sources, {"orchard.md": TINY_CORPUS["orchard.md"] + " Pear cider is pressed in October."})
    code, out, err = run_cli(["index", "--sources", str(sources), "--index", str(index)])
    assert code == 0, err
    assert not list(index.glob(".build-*"))
    check_index(index)


def test_an_index_on_a_read_only_filesystem_is_exit_8(pristine, tmp_path):
    """Like the rest of a build that cannot be written (exit 8: disk full, no permission): it was exit 2, "bad usage
    or configuration", when the lock file or a new index folder could not be created."""
    with _tmpfs(tmp_path / "ro", "ro,size=1m") as mount_point:
        for index in (mount_point / "index", mount_point):  # a new index folder; an existing empty one
            code, out, err = run_cli(["index", "--sources", str(pristine / "sources"), "--index", str(index)])
            assert code == 8 and one_line(err) and "Read-only file system" in err, (code, err)
