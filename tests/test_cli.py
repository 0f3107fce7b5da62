"""The command line contract other tools depend on: JSON shapes, stdin streaming, exit codes."""

from __future__ import annotations

import io
import json
import re
import sys

import pytest

from kb.cli import main


def run(argv, stdin: str | None = None, monkeypatch=None):
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv, out, err)
    return code, out.getvalue(), err.getvalue()


def _where(kb):
    return ["--sources", str(kb.settings.sources), "--index", str(kb.settings.index)]


def test_ask_json_shape(seed_kb):
    code, out, _ = run(["ask", "--json", *_where(seed_kb), "Who analyzed the letter published by Osechkin?"])
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"question", "answer", "abstained", "citations", "passages", "confidence", "ms",
                         "changed_since_indexed"}
    assert data["changed_since_indexed"] == []
    assert data["question"] == "Who analyzed the letter published by Osechkin?" and data["abstained"] is False
    # the calibrated probability the answer was given on: at least the threshold it had to clear
    assert seed_kb.settings.abstain_threshold <= data["confidence"] <= 1
    assert data["citations"] and data["passages"] and data["ms"] > 0
    fields = {"n", "source", "title", "start", "end", "text", "score"}
    for item in data["citations"] + data["passages"]:
        assert fields - {"n"} <= set(item)
        assert seed_kb.document_text(item["source"])[item["start"] : item["end"]] == item["text"]
    assert [c["n"] for c in data["citations"]] == list(range(1, len(data["citations"]) + 1))


def test_logs_say_what_a_build_and_an_answer_did_at_the_level_asked(seed_kb, tmp_path):
    """docs/integrations.md: `kb --log-format json -vv index` gives debug lines, `kb -v ask` timings; both printed
    nothing but the result, since only the LLM path logged."""
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "ferry.txt").write_text("The Tessaly ferry sails every hour from the north pier.", encoding="utf-8")
    (sources / "empty.txt").write_text("", encoding="utf-8")
    where = ["--sources", str(sources), "--index", str(tmp_path / "index")]
    code, out, err = run(["--log-format", "json", "-vv", "index", *where])
    assert code == 0 and out.startswith("added 1")
    assert "skipped empty.txt: empty file" in err  # the build's own report, beside the log lines
    records = {r["msg"]: r for r in map(json.loads, (line for line in err.splitlines() if line.startswith("{")))}
    assert records["build plan"]["level"] == "debug" and records["build plan"]["why"] == "no index yet"
    assert records["not indexed"]["source"] == "empty.txt"
    built = records["index built"]
    assert built["level"] == "info" and (built["added"], built["errors"], built["chunks"]) == (1, 1, 1)
    code, out, err = run(["-v", "ask", *where, "How often does the ferry sail?"])
    assert code == 0 and "every hour" in out
    assert re.fullmatch(r"ts=\S+ level=info logger=kb\.knowledge_base msg=answered ms=[\d.]+ abstained=false "
                        r"confidence=[\d.]+ citations=1 passages=1\n", err), err
    assert run(["ask", *where, "How often does the ferry sail?"])[2] == ""  # warnings only by default


def test_ask_text_output_lists_citations(seed_kb):
    code, out, _ = run(["ask", *_where(seed_kb), "What does FSB stand for?"])
    assert code == 0 and "[1]" in out and "Federal Security Service" in out
    assert re.search(r"^confidence 0\.\d\d ", out, re.M)  # "What does FSB stand for?" is answered at ~0.999


def test_abstained_answer_says_no_confidence(seed_kb):
    code, out, _ = run(["ask", "--json", *_where(seed_kb), "Who won the 2022 FIFA World Cup?"])
    data = json.loads(out)
    assert data["abstained"] is True and data["citations"] == []
    assert data["confidence"] < seed_kb.settings.abstain_threshold  # the reason it abstained, in the contract
    code, out, _ = run(["ask", *_where(seed_kb), "Who won the 2022 FIFA World Cup?"])
    assert "confidence" not in out


def test_search_json_and_k(seed_kb):
    code, out, _ = run(["search", "--json", "-k", "3", *_where(seed_kb), "Kuril Islands dispute"])
    data = json.loads(out)
    assert code == 0 and len(data["passages"]) == 3
    scores = [p["score"] for p in data["passages"]]
    assert scores == sorted(scores, reverse=True)


def test_stdin_questions_give_json_lines(seed_kb, monkeypatch):
    code, out, _ = run(["ask", *_where(seed_kb)], "Who is Igor Sushko?\n\nWho won the 2022 FIFA World Cup?\n", monkeypatch)
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [d["question"] for d in lines] == ["Who is Igor Sushko?", "Who won the 2022 FIFA World Cup?"]
    assert lines[0]["abstained"] is False and lines[1]["abstained"] is True and lines[1]["citations"] == []


@pytest.mark.parametrize("command", ["ask", "search"])
def test_piped_questions_are_answered_as_they_come(seed_kb, command):
    """A script that writes one question and waits for its answer line got nothing: kb read the whole of stdin
    before it answered, so the script and kb waited on each other."""
    import select
    import subprocess

    from paths import ROOT

    proc = subprocess.Popen([sys.executable, "-m", "kb.cli", command, *_where(seed_kb)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, bufsize=1)
    try:
        for question in ["Who is Igor Sushko?", "What does FSB stand for?"]:
            proc.stdin.write(question + "\n")
            proc.stdin.flush()
            # stdin stays open: the answer must come before it is closed
            assert select.select([proc.stdout], [], [], 30)[0], "no answer while stdin was open"
            line = proc.stdout.readline()
            assert json.loads(line)["question"] == question
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
    assert proc.returncode == 0


def test_index_json_report(make_kb):
    kb = make_kb({"a.txt": "A\n\nApples are red.", "bad.txt": ""})
    code, out, err = run(["index", "--json", *_where(kb)])
    data = json.loads(out)
    assert code == 0 and data["added"] == ["a.txt"] and data["chunks"] == 1
    assert data["errors"] == [{"source": "bad.txt", "error": "empty file"}]
    assert "skipped bad.txt: empty file" in err
    code, out, _ = run(["index", *_where(kb)])
    assert out.startswith("added 0, updated 0, removed 0, unchanged 1, 1 chunks")
    assert run(["index", "--strict", *_where(kb)])[0] == 7


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["ask", "   "], 2, "question is empty"),
        (["ask", "x" * 5000], 2, "limit is"),
        (["search", "hello"], 3, "run `kb index --sources "),
    ],
)
def test_errors_are_one_line_with_exit_codes(tmp_path, argv, code, message):
    (tmp_path / "src").mkdir()
    where = ["--sources", str(tmp_path / "src"), "--index", str(tmp_path / "idx")]
    got, out, err = run([argv[0], *where, *argv[1:]])
    assert got == code and message in err and err.count("\n") == 1 and out == ""


@pytest.mark.parametrize(
    ("argv", "code", "shape"),
    [
        (["ask", "--json", "   "], 2, {"question": "   ", "exit_code": 2}),
        (["search", "--json", "hello"], 3, {"question": "hello", "exit_code": 3}),
        (["ask", "--json", "-k", "0", "hello"], 2, {"question": "hello", "exit_code": 2}),
        (["index", "--json"], 1, {"exit_code": 1}),  # nothing to index in an empty folder
    ],
)
def test_json_errors_are_json_on_stdout_too(tmp_path, argv, code, shape):
    (tmp_path / "src").mkdir()
    where = ["--sources", str(tmp_path / "src"), "--index", str(tmp_path / "idx")]
    got, out, err = run([argv[0], *where, *argv[1:]])
    data = json.loads(out)
    assert got == code and err.count("\n") == 1
    assert data == {**shape, "error": err.split(": error: ", 1)[1].strip()}


def test_file_names_cannot_forge_lines_or_control_the_terminal(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "evil\nskipped fake.txt: injected line.txt").write_text("")  # empty: reported as skipped
    (src / "esc\x1b[2J\x1b]0;PWNED\x07.txt").write_text("Zebras\n\nThe zebra herd crossed the river in May.")
    where = ["--sources", str(src), "--index", str(tmp_path / "idx")]
    code, out, err = run(["index", *where])
    assert code == 0 and err == "skipped evil\\x0askipped fake.txt: injected line.txt: empty file\n"
    for argv in (["search", "zebra herd"], ["ask", "When did the zebra herd cross the river?"]):
        code, out, err = run([argv[0], *where, *argv[1:]])
        assert code == 0 and "esc\\x1b[2J\\x1b]0;PWNED\\x07.txt" in out
        assert "\x1b" not in out and "\x07" not in out


def test_emptying_the_sources_folder_warns_that_the_index_is_now_empty(make_kb):
    kb = make_kb({"a.txt": "A\n\nApples are red."})
    assert run(["index", *_where(kb)])[0] == 0
    (kb.settings.sources / "a.txt").unlink()  # e.g. a folder that is no longer mounted
    code, out, err = run(["index", *_where(kb)])
    assert code == 0 and out.startswith("added 0, updated 0, removed 1, unchanged 0")
    assert err.count("\n") == 1 and "warning: every document was removed" in err


def test_an_answer_from_a_file_changed_since_indexing_says_so(make_kb):
    """The answer quotes the index, and an edited file may no longer say what it quotes: "The shop opens at 8 am."
    was cited from a file that now says 10 am, without a word. The file's size, then its hash, are checked."""
    kb = make_kb({"shop.txt": "Shop Notes\n\nThe shop opens at 8 am.\n"})
    assert run(["index", *_where(kb)])[0] == 0
    asked = ["ask", *_where(kb), "When does the shop open?"]
    code, out, err = run(asked)
    assert code == 0 and "8 am" in out and "warning" not in err
    (kb.settings.sources / "shop.txt").write_text("Shop Notes\n\nThe shop opens at 9 am.\n")  # the same size
    code, out, err = run(asked)
    assert code == 0 and "8 am" in out
    assert err.strip() == (f"warning: shop.txt changed since it was indexed; the answer quotes the indexed text (run "
                           f"`kb index --sources {kb.settings.sources} --index {kb.settings.index}`)")
    (kb.settings.sources / "shop.txt").unlink()
    code, out, err = run(["ask", "--json", *_where(kb), "When does the shop open?"])
    assert json.loads(out)["changed_since_indexed"] == ["shop.txt"] and "shop.txt changed" in err
    assert run(["index", *_where(kb)])[0] == 0  # indexed again: nothing left to warn of
    assert "warning" not in run(asked)[2]


def test_an_index_folder_inside_the_sources_folder_is_passed_over(tmp_path):
    """Each run listed every index file as skipped ("unsupported file type .sqlite"), and --strict then exited 7."""
    sources = tmp_path / "notes"
    sources.mkdir()
    (sources / "a.txt").write_text("Apples\n\nApples are red.\n")
    where = ["--sources", str(sources), "--index", str(sources / "index")]
    assert run(["index", *where])[0] == 0
    code, out, err = run(["index", "--strict", *where])
    assert code == 0 and out.startswith("added 0, updated 0, removed 0, unchanged 1") and "skipped" not in err


def test_unreadable_sources_folder(tmp_path):
    got, _, err = run(["index", "--sources", str(tmp_path / "missing"), "--index", str(tmp_path / "idx")])
    assert got == 2 and "does not exist" in err


def test_config_prints_effective_settings(tmp_path, monkeypatch):
    (tmp_path / "kb.toml").write_text("chunk_size = 640\ntop_k = 7\n")
    monkeypatch.setenv("KB_TOP_K", "9")
    code, out, _ = run(["config", "--sources", str(tmp_path)])
    assert code == 0 and "chunk_size = 640" in out and "top_k = 9" in out


def test_missing_index_hint_repeats_the_given_folders_shell_quoted(tmp_path):
    import shlex

    sources, index = tmp_path / "my docs", tmp_path / "it's index"
    sources.mkdir()
    code, out, err = run(["ask", "--sources", str(sources), "--index", str(index), "Who?"])
    hint = f"run `kb index --sources {shlex.quote(str(sources))} --index {shlex.quote(str(index))}` first"
    assert code == 3 and hint in err and err.count("\n") == 1
    assert shlex.split(hint.split("`")[1]) == ["kb", "index", "--sources", str(sources), "--index", str(index)]
    code, _, err = run(["search", "--index", str(index), "Who?"])  # only what was given is repeated
    assert code == 3 and f"run `kb index --index {shlex.quote(str(index))}` first" in err


@pytest.mark.parametrize("command", ["ask", "search"])
def test_no_question_on_a_terminal_prints_usage_and_exits_2(tmp_path, command):
    """On a terminal, reading stdin would look like a hang; a pipe still gives one question per line."""
    import os
    import pty
    import subprocess

    from paths import ROOT

    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "kb.cli", command, "--sources", str(tmp_path), "--index", str(tmp_path / "i")],
            stdin=follower, capture_output=True, text=True, timeout=120, cwd=ROOT,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"usage: kb {command} ") and "pipe questions one per line" in done.stderr
    assert done.stdout == ""


@pytest.mark.faiss_only  # breaks the FAISS build; Milvus: test_milvus_store.py::test_failed_build_leaves_the_previous_version_live
def test_failed_first_build_leaves_no_index_folder(tmp_path, monkeypatch):
    sources, index = tmp_path / "src", tmp_path / "idx"
    sources.mkdir()
    (sources / "empty.txt").write_text("")
    code, out, err = run(["index", "--sources", str(sources), "--index", str(index)])
    assert code == 1 and f"nothing to index: no readable documents in {sources}" in err
    assert "skipped empty.txt: empty file" in err and not index.exists()

    # An error in the middle of a first build: nothing is left either.
    (sources / "a.txt").write_text("Apples\n\nApples are red.")
    import kb.indexing

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(kb.indexing.VectorIndex, "build", broken)
    code, _, err = run(["index", "--sources", str(sources), "--index", str(index)])
    assert code == 8 and "not enough disk space" in err and len(err.strip().splitlines()) == 1
    assert not index.exists()

    # A folder that existed before (here: a real index) is never removed by a failed build.
    monkeypatch.undo()
    assert run(["index", "--sources", str(sources), "--index", str(index)])[0] == 0
    (sources / "a.txt").unlink()
    monkeypatch.setattr(kb.indexing.VectorIndex, "build", broken)
    (sources / "b.txt").write_text("Bananas\n\nBananas are yellow.")
    assert run(["index", "--sources", str(sources), "--index", str(index)])[0] == 8
    monkeypatch.undo()
    code, out, _ = run(["search", "--json", "--sources", str(sources), "--index", str(index), "apples"])
    assert code == 0 and json.loads(out)["passages"][0]["source"] == "a.txt"


def test_an_answer_from_a_linked_file_warns_only_when_the_file_changed(make_kb):
    """A symlink inside the sources folder is indexed as its target's text, and every answer citing it warned
    "link.txt changed since it was indexed", even right after `kb index`."""
    kb = make_kb({"docs/fact.txt": "Fact Sheet\n\nThe ferry leaves at 7 am.\n"})
    (kb.settings.sources / "link.txt").symlink_to(kb.settings.sources / "docs" / "fact.txt")
    assert run(["index", *_where(kb)])[0] == 0
    assert kb.changed_since_indexed(["link.txt", "docs/fact.txt"]) == []
    (kb.settings.sources / "docs" / "fact.txt").write_text("Fact Sheet\n\nThe ferry leaves at 9 am.\n")
    assert kb.changed_since_indexed(["link.txt", "docs/fact.txt"]) == ["docs/fact.txt", "link.txt"]


def test_the_index_remembers_its_sources_folder(tmp_path):
    """`kb ask --index idx` run where the default ./seeds is another folder compared every cited file with that
    folder and warned that each had changed, advising a `kb index` that would rebuild the index from it; and
    `kb index` with another --sources emptied the index of the first folder's documents without a word."""
    first, other = tmp_path / "notes", tmp_path / "elsewhere"
    for folder, hour in ((first, 8), (other, 10)):
        folder.mkdir()
        (folder / "shop.txt").write_text(f"Shop Notes\n\nThe shop opens at {hour} am.\n")
    (first / "cafe.txt").write_text("Cafe Notes\n\nThe cafe opens at noon.\n")
    index = tmp_path / "idx"
    assert run(["index", "--sources", str(first), "--index", str(index)])[0] == 0
    code, out, err = run(["ask", "--sources", str(other), "--index", str(index), "When does the shop open?"])
    assert code == 0 and "8 am" in out and "warning" not in err  # compared with the folder it was built from
    (first / "shop.txt").write_text("Shop Notes\n\nThe shop opens at 9 am.\n")
    code, out, err = run(["ask", "--sources", str(other), "--index", str(index), "When does the shop open?"])
    assert f"shop.txt changed since it was indexed" in err and f"--sources {first}" in err
    code, out, err = run(["index", "--sources", str(other), "--index", str(index)])
    assert code == 0 and (f"warning: {index} was built from {first}; it now indexes {other} instead (1 of its "
                          "documents removed)") in err
    code, out, err = run(["index", "--sources", str(other), "--index", str(index)])
    assert code == 0 and "warning" not in err
    moved = tmp_path / "moved"  # a project moved with its index: nothing removed, nothing to warn of
    other.rename(moved)
    code, out, err = run(["index", "--sources", str(moved), "--index", str(index)])
    assert code == 0 and "warning" not in err
