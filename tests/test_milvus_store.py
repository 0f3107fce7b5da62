"""The Milvus store (milvus-lite here): same answers as FAISS + SQLite, incremental builds, atomic publish, locks.

The whole suite also runs on Milvus with KB_TEST_STORE=milvus (tests/conftest.py); these tests are the ones
that only make sense for Milvus: the live-row swap, the two lock kinds, a second reader of one database.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time

import numpy as np
import pytest

from paths import ROOT, write_files
from store_checks import check_version

from kb import KnowledgeBase
from kb.config import load_settings
from kb.errors import ConfigError, IndexBusyError, IndexMismatchError, IndexMissingError, UsageError

DOCS = {
    "lighthouse.txt": (
        "The Brannock lighthouse\n\nThe Brannock lighthouse was built in 1874 by the engineer Mara Velt. "
        "Its lamp can be seen from 22 nautical miles away on a clear night. "
        "Keepers lived in the tower until the light was automated in 1961."
    ),
    "orchard.md": (
        "# The Quillon orchard\n\nThe Quillon orchard grows forty varieties of pear on the southern slope. "
        "Its oldest tree was planted by Odile Farsen in 1902 and still bears fruit."
    ),
    "glacier.txt": (
        "Tessaly glacier survey\n\nSurveyors measured the Tessaly glacier in 2019 and found it had retreated "
        "340 metres since 1990. The survey team was led by the glaciologist Ivo Brandt."
    ),
    "it's \"quoted\" name.txt": "Quoted names\n\nThe Ostrava bell was cast in 1550 by the founder Jan Kolar.",
}
QUESTIONS = {
    "Who built the Brannock lighthouse?": ("lighthouse.txt", "Mara Velt"),
    "Who planted the oldest tree in the Quillon orchard?": ("orchard.md", "Odile Farsen"),
    "Who led the survey of the Tessaly glacier?": ("glacier.txt", "Ivo Brandt"),
    "Who cast the Ostrava bell?": ("it's \"quoted\" name.txt", "Jan Kolar"),
}


def _milvus_kb(tmp_path, files=DOCS, **overrides) -> KnowledgeBase:
    sources = tmp_path / "sources"
    write_files(sources, files)
    return KnowledgeBase(sources, tmp_path / "index", store=f"milvus:{tmp_path / 'kb-milvus.db'}", **overrides)


def _collections(kb: KnowledgeBase) -> list[str]:
    return sorted(n for n in kb.backend.client.list_collections() if n.startswith("kb_"))


def test_answers_and_citation_spans_match_the_faiss_store(tmp_path):
    milvus = _milvus_kb(tmp_path / "m")
    write_files(tmp_path / "f" / "sources", DOCS)
    faiss = KnowledgeBase(tmp_path / "f" / "sources", tmp_path / "f" / "index", store="faiss")
    milvus.build()
    faiss.build()
    for question, (source, name) in QUESTIONS.items():
        got, want = milvus.ask(question), faiss.ask(question)
        assert not got.abstained and name in got.answer, (question, got.answer)
        assert got.answer == want.answer
        assert [(c.source, c.start, c.end, c.text) for c in got.citations] == \
            [(c.source, c.start, c.end, c.text) for c in want.citations]
        for citation in got.citations:  # exact spans of the stored document text
            assert milvus.document_text(citation.source)[citation.start : citation.end] == citation.text
        assert got.citations[0].source == source
    # BM25 inside Milvus ranks the same documents first as FTS5 (the same stemmed terms).
    for query in ("glaciologist survey", "pear varieties", "lighthouses"):
        assert milvus.search(query, mode="lexical")[0].source == faiss.search(query, mode="lexical")[0].source
    assert milvus.ask("What is the population of Hokkaido?").abstained
    with milvus.backend.open() as store:
        check_version(store)
        assert store.manifest.store == "milvus" and store.manifest.chunks == faiss.chunk_count()


def test_a_pools_sentences_are_queried_once_and_outlive_the_row_cache(tmp_path, monkeypatch):
    """Questions share passages: a pool's sentences cost one Milvus query per version, not one per question, and
    they stay when the rows of many searches turn over (a byte budget, least recently used first, as the FAISS
    snapshot's), instead of being dropped with the rows."""
    kb = _milvus_kb(tmp_path)
    kb.build()
    with kb.backend.open() as store:
        ids = [int(r["id"]) for r in store.client.query(store.names["chunks"], filter="id >= 0", output_fields=["id"])]
        queried: list[int] = []
        original = store._sentences_of
        monkeypatch.setattr(store, "_sentences_of", lambda spans: queried.append(len(spans)) or original(spans))
        rows = store.chunks(ids)
        assert queried == [len(rows)]  # one query for the pool
        first = {(r.source, r.start, r.end): store.sentences_overlapping(r.source, r.start, r.end)
                 for r in rows.values()}
        fake = [{"id": 10**9 + i, "source": "x", "title": "", "date": "", "start": 0, "stop": 1, "text": "x",
                 "vector": [0.0]} for i in range(5000)]
        store._remember(fake)  # many searches later
        store._remember(fake[:1])
        assert set(ids).isdisjoint(store._rows)  # the row cache was cleared ...
        store.chunks(ids)  # ... the next question, same passages
        assert queried == [len(rows)]  # ... but not the sentences
        assert 0 < store.sentence_cache.used <= store.sentence_cache.budget
        text = {source: kb.document_text(source) for source, _, _ in first}
        for (source, start, end), cached in first.items():
            again = store.sentences_overlapping(source, start, end)
            assert cached and [(s, e, t) for s, e, t, _ in cached] == [(s, e, t) for s, e, t, _ in again]
            assert all(np.array_equal(v, w) for (*_, v), (*_, w) in zip(cached, again))
            assert all(text[source][s:e] == t for s, e, t, _ in cached)


def test_add_edit_delete_are_picked_up_incrementally(tmp_path):
    kb = _milvus_kb(tmp_path)
    first = kb.build()
    assert sorted(first.added) == sorted(DOCS) and first.version == "v000001"
    sources = kb.settings.sources
    (sources / "glacier.txt").unlink()
    (sources / "orchard.md").write_text("# The Quillon orchard\n\nIts oldest tree was planted by Bram Olde in 1890.")
    (sources / "ferry.txt").write_text("Tessaly ferry\n\nThe Tessaly ferry has a blue hull and sails every hour.")
    report = kb.build()
    assert report.removed == ["glacier.txt"] and report.updated == ["orchard.md"] and report.added == ["ferry.txt"]
    assert sorted(report.unchanged) == sorted(["lighthouse.txt", "it's \"quoted\" name.txt"])
    assert report.embedded_chunks == 2  # only the edited and the new document
    assert "Bram Olde" in kb.ask("Who planted the oldest tree in the Quillon orchard?").answer
    assert kb.ask("What colour is the hull of the Tessaly ferry?").citations[0].source == "ferry.txt"
    assert kb.ask("Who led the survey of the Tessaly glacier?").abstained
    assert "Mara Velt" in kb.ask("Who built the Brannock lighthouse?").answer  # carried over, not re-embedded
    assert {d.source for d in kb.documents()} == {"lighthouse.txt", "orchard.md", "ferry.txt",
                                                   "it's \"quoted\" name.txt"}
    with kb.backend.open() as store:
        check_version(store)
        assert store.document_frequencies(["glaciologist", "hull"]) == {"glaciologist": 0, "hull": 1}
    nothing = kb.build()
    assert nothing.version is None and nothing.embedded_chunks == 0 and kb.version == report.version
    kb.build(full=True)  # two more versions: the oldest are dropped, the live and the previous one stay
    kb.build(full=True)
    assert {n.rsplit("_", 1)[1] for n in _collections(kb) if n != kb.backend.meta} == {"v000003", "v000004"}


def test_names_with_control_characters_wildcards_and_line_breaks_are_found_and_removed(tmp_path):
    # A filter literal holds no CR or LF, and json-style escapes are not decoded: each name must still match
    # only its own rows, and a name that starts like another must not take or lose the other's rows.
    files = {
        "esc\x1b[2J.txt": "Zebras\n\nThe zebra herd crossed the Varn river in May.",
        "two\nlines.txt": "Otters\n\nThe otter colony was counted by Lise Marek.",
        "two.txt": "Herons\n\nThe heron nests were mapped by Tomas Wren.",
        "50%_back\\slash.txt": "Bees\n\nThe bee hives were moved by Ada Quist.",
    }
    kb = _milvus_kb(tmp_path, files)
    kb.build()
    for question, source, name in (("When did the zebra herd cross the Varn river?", "esc\x1b[2J.txt", "May"),
                                   ("Who counted the otter colony?", "two\nlines.txt", "Lise Marek"),
                                   ("Who mapped the heron nests?", "two.txt", "Tomas Wren"),
                                   ("Who moved the bee hives?", "50%_back\\slash.txt", "Ada Quist")):
        got = kb.ask(question)
        assert name in got.answer and got.citations[0].source == source, (question, got.answer)
        assert kb.document_text(source) == files[source]
    (kb.settings.sources / "two\nlines.txt").unlink()
    (kb.settings.sources / "esc\x1b[2J.txt").write_text("Zebras\n\nThe zebra herd crossed the Varn river in June.")
    report = kb.build()
    assert report.removed == ["two\nlines.txt"] and report.updated == ["esc\x1b[2J.txt"]
    assert kb.ask("Who counted the otter colony?").abstained and kb.document_text("two\nlines.txt") is None
    assert "June" in kb.ask("When did the zebra herd cross the Varn river?").answer
    assert kb.document_text("two.txt") == files["two.txt"]
    assert sorted(d.source for d in kb.documents()) == sorted(["esc\x1b[2J.txt", "two.txt", "50%_back\\slash.txt"])


def test_failed_build_leaves_the_previous_version_live(tmp_path, monkeypatch):
    from kb.store.milvus import MilvusBackend

    kb = _milvus_kb(tmp_path)
    kb.build()
    before = _collections(kb)
    (kb.settings.sources / "lighthouse.txt").write_text(
        "The Brannock lighthouse\n\nThe Brannock lighthouse was built by Sunniva Holt.")

    def explode(self, version):
        raise RuntimeError("power cut before the live row")

    monkeypatch.setattr(MilvusBackend, "point_live", explode)
    with pytest.raises(RuntimeError, match="power cut"):
        kb.build()
    monkeypatch.undo()
    assert kb.version == "v000001" and _collections(kb) == before  # the half-built version was dropped
    assert "Mara Velt" in kb.ask("Who built the Brannock lighthouse?").answer
    assert kb.build().updated == ["lighthouse.txt"]
    assert "Sunniva Holt" in kb.ask("Who built the Brannock lighthouse?").answer


@pytest.mark.parametrize("mode, file_mode", [("private", 0o600), ("shared", 0o644)])
def test_milvus_lite_files_follow_index_mode(tmp_path, mode, file_mode):
    """The milvus-lite database holds every document's text: private like a FAISS index, under any umask."""
    old = os.umask(0o022)  # the common umask, under which milvus-lite's own files would be 0644
    try:
        kb = _milvus_kb(tmp_path, index_mode=mode)
        kb.build()
    finally:
        os.umask(old)
    files = sorted(p for p in tmp_path.iterdir() if "kb-milvus.db" in p.name)
    # the database, milvus-lite's own lock beside it and kb's build lock
    assert {"kb-milvus.db", ".kb-milvus.db.lock", "kb-milvus.db.kb-lock"} <= {p.name for p in files}
    assert {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files} == {p.name: oct(file_mode) for p in files}
    assert not kb.ask(next(iter(QUESTIONS))).abstained


def test_second_writer_is_told_the_index_is_being_rebuilt(tmp_path):
    kb = _milvus_kb(tmp_path)
    with kb.backend.lock():  # what a running build holds: a flock beside the milvus-lite file
        with pytest.raises(IndexBusyError, match="being rebuilt"):
            kb.build()
    assert kb.build().added


def test_server_lock_is_a_lease_record(tmp_path):
    from kb.store.milvus import LEASE_SECONDS, MilvusBackend, lite_server_uri

    uri = lite_server_uri(tmp_path / "server.db")  # milvus-lite served over gRPC: the server code path
    settings = load_settings({"index": tmp_path / "index", "store": f"milvus:{uri}"})
    first, second = MilvusBackend(uri, settings), MilvusBackend(uri, settings)
    with first.lock():
        with pytest.raises(IndexBusyError, match="being rebuilt"):
            with second.lock():
                pass
    with second.lock():  # released on exit
        pass
    # A record left by a writer that died on this machine, or one whose lease ran out, is taken over.
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    import socket

    for record in ({"id": "x", "host": socket.gethostname(), "pid": int(dead.stdout), "expires": time.time() + 999},
                   {"id": "y", "host": "elsewhere", "pid": 1, "expires": time.time() - 1}):
        first._write_lock(record)
        with second.lock():
            pass
    first._write_lock({"id": "z", "host": "elsewhere", "pid": 1, "expires": time.time() + LEASE_SECONDS})
    with pytest.raises(IndexBusyError):
        with second.lock(wait=0.5):
            pass
    first.client.delete(first.meta, filter='key == "lock"')


def test_index_built_with_other_settings_or_store_says_so(tmp_path):
    kb = _milvus_kb(tmp_path)
    kb.build()
    other = KnowledgeBase(kb.settings.sources, kb.settings.index, store=kb.settings.store, chunk_size=500)
    with pytest.raises(IndexMismatchError, match=r"chunker.*kb index --full"):
        other.ask("Who built the Brannock lighthouse?")
    # A FAISS index in the index folder, and an empty Milvus database: the error names both.
    faiss = KnowledgeBase(kb.settings.sources, tmp_path / "index2", store="faiss")
    faiss.build()
    empty = KnowledgeBase(kb.settings.sources, tmp_path / "index2", store=f"milvus:{tmp_path / 'empty.db'}")
    with pytest.raises(IndexMissingError) as missing:
        empty.ask("anything")
    message = str(missing.value)
    assert "\n" not in message and "kb index" in message and "store faiss" in message
    assert not (tmp_path / "empty.db").exists()  # asking only reads: it had created the milvus-lite file


def test_missing_index_names_the_first_build_under_way(tmp_path):
    """As with FAISS: while the first build holds the lock, a question is told to wait, not to run `kb index`."""
    kb = _milvus_kb(tmp_path)
    with kb.backend.lock():
        with pytest.raises(IndexMissingError, match=f"process {os.getpid()} is building it; try again"):
            kb.ask("Who built the Brannock lighthouse?")
    with pytest.raises(IndexMissingError, match="run `kb index` first, with this store"):
        kb.ask("Who built the Brannock lighthouse?")


def test_index_setting_names_the_index_inside_milvus(tmp_path):
    """Two indexes in one Milvus database stay apart, as two index folders do."""
    from kb.store.milvus import collection_prefix

    first = _milvus_kb(tmp_path)
    write_files(tmp_path / "other", {"ferry.txt": "Tessaly ferry\n\nThe Tessaly ferry has a blue hull."})
    second = KnowledgeBase(tmp_path / "other", tmp_path / "index-2", store=first.settings.store)
    first.build()
    second.build()
    assert {d.source for d in second.documents()} == {"ferry.txt"}
    assert len(first.documents()) == len(DOCS)
    assert collection_prefix("index") == "kb_index" == collection_prefix("./index")
    assert len(collection_prefix("/a/" + "very-long-folder-name/" * 9 + "index")) <= 60


def test_two_index_names_stored_under_one_milvus_name_are_kept_apart(tmp_path):
    """"index-a" and "index_a" share the collections kb_..._index_a: a build of the second removed the first's
    documents. The second is refused, the first keeps its documents and answers."""
    write_files(tmp_path / "a", {"lighthouse.txt": DOCS["lighthouse.txt"]})
    write_files(tmp_path / "b", {"ferry.txt": "Tessaly ferry\n\nThe Tessaly ferry has a blue hull."})
    store = f"milvus:{tmp_path / 'kb-milvus.db'}"
    first = KnowledgeBase(tmp_path / "a", tmp_path / "index-a", store=store)
    first.build()
    second = KnowledgeBase(tmp_path / "b", tmp_path / "index_a", store=store)
    assert second.backend.prefix == first.backend.prefix
    with pytest.raises(UsageError, match="letters and digits differ"):
        second.build()
    with pytest.raises(UsageError, match="letters and digits differ"):
        second.ask("What colour is the ferry's hull?")
    assert [d.source for d in first.documents()] == ["lighthouse.txt"]
    first.build()  # its own name: built again as before


def test_store_setting_is_validated():
    assert load_settings({"store": "milvus:./kb.db"}, env={}).store == "milvus:./kb.db"
    assert load_settings({}, env={"KB_STORE": "milvus:http://h:19530"}).store == "milvus:http://h:19530"
    for bad in ("milvus", "milvus:", "sqlite", "Milvus:./x.db"):
        with pytest.raises(ConfigError, match="store must be"):
            load_settings({"store": bad}, env={})


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    return subprocess.run([sys.executable, "-m", "kb.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**clean, **env, "PYTHONPATH": str(ROOT)})


@pytest.mark.slow
def test_another_process_reads_the_same_server_and_answers_the_same(tmp_path):
    from kb.store.milvus import lite_server_uri

    store = "milvus:" + lite_server_uri(tmp_path / "shared.db")
    write_files(tmp_path / "sources", DOCS)
    kb = KnowledgeBase(tmp_path / "sources", tmp_path / "index", store=store)
    kb.build()
    mine = kb.ask("Who cast the Ostrava bell?")
    # Another process with the same settings but no sources: everything comes from Milvus (kb writes no files).
    assert not (tmp_path / "index").exists()
    done = _cli(["ask", "Who cast the Ostrava bell?", "--json", "--index", str(tmp_path / "index"),
                 "--sources", str(tmp_path / "none")], {"KB_STORE": store})
    assert done.returncode == 0, done.stderr
    theirs = json.loads(done.stdout)
    assert theirs["answer"] == mine.answer
    assert [(c["source"], c["start"], c["end"]) for c in theirs["citations"]] == \
        [(c.source, c.start, c.end) for c in mine.citations]


def test_a_damaged_milvus_lite_file_is_reported_as_damaged_not_busy(tmp_path):
    """A file of junk, or a database truncated mid-way, was "open in another process" (exit 6): no waiting mends it."""
    write_files(tmp_path / "sources", DOCS)
    (tmp_path / "junk.db").write_bytes(bytes(range(256)) * 20)
    done = _cli(["ask", "Who built the Brannock lighthouse?", "--sources", str(tmp_path / "sources"),
                 "--index", str(tmp_path / "index")], {"KB_STORE": f"milvus:{tmp_path / 'junk.db'}"})
    assert done.returncode == 4, done.stderr
    assert "is damaged (not a milvus-lite database file)" in done.stderr.splitlines()[-1]


def test_kb_eval_of_a_squad_file_builds_its_index_in_the_store_it_asks(tmp_path):
    """After a FAISS run had built the SQuAD index folder, the same eval with a Milvus store said "no index": it
    looked for the FAISS folder's CURRENT file, not for an index in the store asked of."""
    from test_evaluation import write_squad

    write_squad(tmp_path / "squad.json")
    where = ["--json", "--sources", str(tmp_path / "corpus"), "--index", str(tmp_path / "squad-index")]
    assert _cli(["eval", str(tmp_path / "squad.json"), *where], {}).returncode == 0
    done = _cli(["eval", str(tmp_path / "squad.json"), *where], {"KB_STORE": f"milvus:{tmp_path / 'sq.db'}"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["counts"]["questions"] == 4
    # A Milvus store writes no index folder: a first eval with a new --index name has none to mark
    fresh = ["--json", "--sources", str(tmp_path / "corpus"), "--index", str(tmp_path / "fresh-index")]
    done = _cli(["eval", str(tmp_path / "squad.json"), *fresh], {"KB_STORE": f"milvus:{tmp_path / 'sq2.db'}"})
    assert done.returncode == 0, done.stderr


def test_milvus_lite_file_open_in_another_process_is_one_line(tmp_path):
    kb = _milvus_kb(tmp_path)
    kb.build()  # this process now serves the file
    done = _cli(["ask", "Who built the Brannock lighthouse?", "--sources", str(kb.settings.sources),
                 "--index", str(kb.settings.index)], {"KB_STORE": kb.settings.store})
    assert done.returncode == 6, done.stderr
    assert done.stderr.count("\n") == 1 and "open in another process" in done.stderr


@pytest.mark.parametrize("name, reason", [
    ("kb milvus.db", "at most 36 letters"),  # milvus-lite's own rule, said before it raises
    ("a-much-too-long-name-for-milvus-lite-files.db", "at most 36 letters"),
    ("kb-milvus.sqlite", "a file ending in .db"),
])
def test_bad_milvus_lite_file_names_are_one_line(tmp_path, name, reason):
    done = _cli(["index", "--sources", str(tmp_path), "--index", str(tmp_path / "index")],
                {"KB_STORE": f"milvus:{tmp_path / name}"})
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and reason in done.stderr, done.stderr
    assert not (tmp_path / name).exists()


def test_milvus_lite_logs_go_to_a_kept_folder_not_tmp(tmp_path, monkeypatch):
    """milvus-lite's glog wrote two files to /tmp at every start (thousands after a test run); they go to kb's cache
    folder, which keeps the newest LITE_LOGS_KEPT."""
    from kb.embedding import default_cache_dir
    from kb.store.milvus import common

    models = default_cache_dir()  # the session's exported model, not a new export under the moved cache
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("GLOG_log_dir", raising=False)
    folder = common.lite_log_dir()
    folder.mkdir(parents=True)
    for n in range(common.LITE_LOGS_KEPT + 5):
        old = folder / f"milvus.host.user.log.INFO.old-{n:02d}"
        old.write_text("old")
        os.utime(old, (1_000_000 + n, 1_000_000 + n))
    kb = KnowledgeBase(tmp_path / "sources", tmp_path / "index", store=f"milvus:{tmp_path / 'logs.db'}",
                       model_cache=str(models))
    write_files(tmp_path / "sources", {"ferry.txt": "The Tessaly ferry has a blue hull."})
    kb.build()
    assert os.environ["GLOG_log_dir"] == str(folder)
    names = {p.name for p in folder.iterdir()}
    assert not {f"milvus.host.user.log.INFO.old-{n:02d}" for n in range(5)} & names  # the oldest went
    fresh = [n for n in names if ".old-" not in n and ".log." in n]
    assert fresh and len(names) <= common.LITE_LOGS_KEPT + len(fresh) + 2  # this start's files, and the kept
