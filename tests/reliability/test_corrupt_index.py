"""Damaged index files: readers get one clear line (exit 3 or 4), and `kb index --full` (or plain `kb index`) recovers.

A tiny index is built once; each case damages one file of a copy (emptied, truncated, overwritten with garbage,
bit flips in its header, deleted), then checks the error and the recovery through the CLI.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from reliability_support import built_tiny_index, TINY_QUESTIONS, check_index, corpus_state, one_line, run_cli, \
    state_of, write_files

pytestmark = pytest.mark.faiss_only  # damages the FAISS + SQLite files of a version folder

from kb.store.layout import CURRENT, DATABASE, MANIFEST, VECTORS

FILES = [CURRENT, MANIFEST, DATABASE, VECTORS]
DAMAGE = ["empty", "truncate", "garbage", "header-flip", "delete"]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return built_tiny_index(tmp_path_factory.mktemp("corrupt"))


def _damage(path, how: str, rng: random.Random) -> None:
    data = path.read_bytes()
    if how == "empty":
        path.write_bytes(b"")
    elif how == "truncate":
        path.write_bytes(data[: max(1, len(data) // 2 - 3)])
    elif how == "garbage":
        path.write_bytes(bytes(rng.randrange(256) for _ in range(len(data))))
    elif how == "header-flip":
        flipped = bytearray(data)
        for i in rng.sample(range(min(len(data), 64)), k=min(8, len(data))):
            flipped[i] ^= 0xFF
        path.write_bytes(bytes(flipped))
    elif how == "delete":
        path.unlink()


def _copy(pristine, tmp_path):
    shutil.copytree(pristine / "sources", tmp_path / "sources")
    shutil.copytree(pristine / "index", tmp_path / "index")
    return tmp_path / "sources", tmp_path / "index"


def _target(index, name):
    return index / CURRENT if name == CURRENT else index / (index / CURRENT).read_text().strip() / name


@pytest.mark.parametrize("how", DAMAGE)
@pytest.mark.parametrize("name", FILES)
def test_damaged_file_clear_error_then_full_rebuild_recovers(pristine, tmp_path, name, how):
    sources, index = _copy(pristine, tmp_path)
    _damage(_target(index, name), how, random.Random(f"{name}-{how}"))
    args = ["--sources", str(sources), "--index", str(index)]

    code, out, err = run_cli(["ask", *args, "Who built the Brannock lighthouse?"])
    expected_code = 3 if (name == CURRENT and how == "delete") else 4
    assert code == expected_code, (code, out, err)
    assert one_line(err) and err.startswith("kb ask: error: ") and "kb index" in err and not out

    code, out, err = run_cli(["search", *args, "lighthouse"])
    assert code == expected_code and one_line(err)

    code, out, err = run_cli(["index", *args, "--full"])
    assert code == 0, err
    _assert_healthy(sources, index)


@pytest.mark.parametrize("how", ["truncate", "garbage", "delete"])
@pytest.mark.parametrize("name", FILES)
def test_plain_kb_index_also_recovers(pristine, tmp_path, name, how):
    """Without --full: the Indexer must notice the damage instead of copying it or saying "nothing changed"."""
    sources, index = _copy(pristine, tmp_path)
    _damage(_target(index, name), how, random.Random(f"{name}-{how}"))
    code, out, err = run_cli(["index", "--sources", str(sources), "--index", str(index)])
    assert code == 0, err
    _assert_healthy(sources, index)


def test_damaged_page_inside_database_is_not_copied_forward(pristine, tmp_path):
    """A database that opens but has a broken page: an incremental build must rebuild, not carry the damage."""
    sources, index = _copy(pristine, tmp_path)
    db_path = _target(index, DATABASE)
    conn = sqlite3.connect(db_path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    # Root page of the chunks table: the open-time probe reads documents and FTS, never this page.
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'chunks'").fetchone()[0]
    conn.close()
    data = bytearray(db_path.read_bytes())
    start = (root - 1) * page_size
    data[start : start + page_size] = bytes(random.Random(5).randrange(256) for _ in range(page_size))
    db_path.write_bytes(bytes(data))
    # Keep the fingerprint check out of the way: this is the damage only SQLite itself can see.
    manifest = _target(index, MANIFEST)
    import json

    meta = json.loads(manifest.read_text())
    meta["files"] = {}
    manifest.write_text(json.dumps(meta))

    (sources / "new.txt").write_text("The Tessaly ferry sails every hour from the north pier.", encoding="utf-8")
    code, out, err = run_cli(["index", "--sources", str(sources), "--index", str(index), "--json"])
    assert code == 0, err
    _assert_healthy(sources, index)


def test_index_files_from_different_versions_detected(pristine, tmp_path):
    """vectors.faiss copied in from another build with other chunks: refused, not silently mixed."""
    sources, index = _copy(pristine, tmp_path)
    other_sources = tmp_path / "other"
    write_files(other_sources, {"only.txt": "A single short document about the Tessaly ferry."})
    code, _, err = run_cli(["index", "--sources", str(other_sources), "--index", str(tmp_path / "other-index")])
    assert code == 0, err
    other = tmp_path / "other-index"
    shutil.copy(_target(other, VECTORS), _target(index, VECTORS))
    meta_path = _target(index, MANIFEST)
    import json

    meta = json.loads(meta_path.read_text())
    meta["files"] = {}  # as if written by a version without fingerprints
    meta_path.write_text(json.dumps(meta))
    code, out, err = run_cli(["ask", "--sources", str(sources), "--index", str(index), "lighthouse"])
    assert code == 4 and "disagree" in err and one_line(err)


def test_stray_files_in_index_folder_ignored(pristine, tmp_path):
    """Leftovers of crashed builds and junk in the index folder do not confuse readers or the next build."""
    sources, index = _copy(pristine, tmp_path)
    (index / ".build-999-deadbeef").mkdir()
    (index / ".build-999-deadbeef" / DATABASE).write_bytes(b"partial")
    (index / f".{CURRENT}.1234abcd").write_text("v999999\n")
    (index / "v999999").mkdir()  # a version folder whose build never got to swap CURRENT
    (index / "notes.txt").write_text("junk")
    _assert_healthy(sources, index, rebuild=False)
    (sources / "new.txt").write_text("The Tessaly ferry sails every hour from the north pier.", encoding="utf-8")
    code, out, err = run_cli(["index", "--sources", str(sources), "--index", str(index)])
    assert code == 0, err
    _assert_healthy(sources, index, rebuild=False)
    assert not list(index.glob(".build-*")) and not list(index.glob(f".{CURRENT}.*"))


def _assert_healthy(sources, index, rebuild: bool = True) -> None:
    from kb import KnowledgeBase

    assert state_of(check_index(index)) == corpus_state(sources)
    kb = KnowledgeBase(sources, index)
    for question, source in TINY_QUESTIONS.items():
        answer = kb.ask(question)
        assert not answer.abstained and answer.citations[0].source == source


@pytest.fixture(scope="module")
def seeds_index(tmp_path_factory):
    """The seeds indexed once: their vectors file is larger than both fingerprinted ends together."""
    from paths import SEEDS

    base = tmp_path_factory.mktemp("seeds-index")
    shutil.copytree(SEEDS, base / "sources")
    code, _, err = run_cli(["index", "--sources", str(base / "sources"), "--index", str(base / "index")])
    assert code == 0, err
    return base


def _middle_damaged(seeds_index, tmp_path, name: str, damage) -> list[str]:
    sources, index = _copy(seeds_index, tmp_path)
    target = _target(index, name)
    data = bytearray(target.read_bytes())
    assert len(data) > 3 * 4096 + 2000  # the middle is outside both fingerprinted ends
    damage(data, len(data) // 2)
    target.write_bytes(bytes(data))
    return ["--sources", str(sources), "--index", str(index)]


def test_bytes_overwritten_inside_a_large_vectors_file_are_one_clear_error(seeds_index, tmp_path):
    """The vectors file's fingerprint was its size and both ends: 2,000 bytes overwritten in the middle passed it,
    and `kb search --mode dense` ranked a passage first with a similarity of 7e37. Files are now summed whole at
    open; an index written before the sums (no "sum" in its manifest) still has the similarity check."""
    def overwrite(data, middle):
        data[middle:middle + 2000] = bytes([0x7F]) * 2000

    args = _middle_damaged(seeds_index, tmp_path, VECTORS, overwrite)
    code, out, err = run_cli(["search", "--mode", "dense", *args, "Who verified the letter?"])
    assert code == 4 and one_line(err) and "overwritten after it was written" in err and "kb index --full" in err
    assert not out
    import json

    index = Path(args[-1])
    manifest = _target(index, MANIFEST)
    meta = json.loads(manifest.read_text())
    for entry in meta["files"].values():
        del entry["sum"]  # as written before whole-file sums
    manifest.write_text(json.dumps(meta))
    code, out, err = run_cli(["search", "--mode", "dense", *args, "Who verified the letter?"])
    assert code == 4 and one_line(err) and "vectors are damaged" in err and "kb index --full" in err and not out
    assert run_cli(["index", *args, "--full"])[0] == 0
    assert run_cli(["search", "--mode", "dense", *args, "Who verified the letter?"])[0] == 0


@pytest.mark.parametrize("name", [VECTORS, DATABASE])
def test_plausible_damage_in_the_middle_of_a_file_is_caught_at_open(seeds_index, tmp_path, name):
    """Damage that leaves a file well formed: two vectors' bytes swapped (every similarity stays that of a unit
    vector, so the similarity check cannot see it: the wrong passages are ranked), or one lowercase letter changed in
    the middle of the database (in a passage's text, a citation would quote words the document does not say)."""
    def swap(data, middle):
        if name == VECTORS:
            row = 384 * 4
            a, b = middle - middle % 4, middle - middle % 4 + 3 * row
            data[a:a + row], data[b:b + row] = data[b:b + row], data[a:a + row]
        else:
            at = next(i for i in range(middle, len(data)) if 97 <= data[i] <= 122)  # a lowercase letter
            data[at] = data[at] + 1 if data[at] < 122 else 97

    args = _middle_damaged(seeds_index, tmp_path, name, swap)
    code, out, err = run_cli(["ask", *args, "Who verified the letter?"])
    assert code == 4 and one_line(err) and f"{name} was overwritten after it was written" in err, err
    assert "kb index --full" in err and not out
    assert run_cli(["index", *args])[0] == 0  # a plain build sees the damage too, and rebuilds in full
    assert run_cli(["ask", *args, "Who verified the letter?"])[0] == 0
