"""The index holds every document's full text, so it is private by default: folders 0700, files 0600.

The umask is set to the common 022 for these tests (under which SQLite and FAISS create 0644 files), so a
build that did not set the modes itself would fail them.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from reliability_support import TINY_CORPUS, run_cli, write_files


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _modes(index: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(index.stat().st_mode)}
    for path in index.rglob("*"):
        found[str(path.relative_to(index))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def _assert_private(index: Path) -> None:
    modes = _modes(index)
    assert any(name.endswith("kb.sqlite") for name in modes) and any(name.endswith("vectors.faiss") for name in modes)
    for name, mode in modes.items():
        is_dir = (index / name).is_dir()
        assert mode == (0o700 if is_dir else 0o600), f"{name} has mode {oct(mode)}"


@pytest.mark.faiss_only  # the Milvus variant: tests/test_milvus_store.py
def test_index_private_after_build_and_incremental_rebuild(tmp_path, umask_022):
    sources, index = tmp_path / "sources", tmp_path / "index"
    write_files(sources, TINY_CORPUS)
    os.chmod(sources / "lighthouse.txt", 0o600)  # a private document
    code, _, err = run_cli(["index", "--sources", str(sources), "--index", str(index)])
    assert code == 0, err
    _assert_private(index)

    write_files(sources, {"notes.md": "# Notes\n\nThe Brannock lamp was converted to electricity in 1931."})
    code, out, err = run_cli(["index", "--sources", str(sources), "--index", str(index)])
    assert code == 0 and "added 1" in out and "unchanged 3" in out, (out, err)
    _assert_private(index)  # the copied database, the new FAISS file, the manifest and the new CURRENT


@pytest.mark.faiss_only
def test_shared_mode_follows_the_umask(tmp_path, umask_022, monkeypatch):
    sources, index = tmp_path / "sources", tmp_path / "index"
    write_files(sources, TINY_CORPUS)
    monkeypatch.setenv("KB_INDEX_MODE", "shared")
    code, _, err = run_cli(["index", "--sources", str(sources), "--index", str(index)])
    assert code == 0, err
    modes = _modes(index)
    version = (index / "CURRENT").read_text().strip()
    assert modes[f"{version}/kb.sqlite"] == 0o644 and modes[version] == 0o755 and modes["."] == 0o755


def test_index_mode_cannot_come_from_the_sources_folder(tmp_path):
    sources, index = tmp_path / "sources", tmp_path / "index"
    write_files(sources, dict(TINY_CORPUS, **{"kb.toml": 'index_mode = "shared"\n'}))
    code, _, err = run_cli(["index", "--sources", str(sources), "--index", str(index)])
    assert code == 2 and "may not set index_mode" in err and err.count("\n") == 1
    assert not index.exists()
