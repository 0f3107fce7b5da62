"""The Python API: the README example runs, and ask() returns dataclasses shaped like `kb ask --json`."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kb.types import Answer, Citation, Passage

ROOT = Path(__file__).resolve().parents[1]



def readme_example() -> str:
    """The first Python block under README's "Python API" heading: the test runs exactly what users copy."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Python API"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_example_runs(tmp_path):
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    (tmp_path / "example.py").write_text(readme_example(), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env = {k: v for k, v in env.items() if not k.startswith("KB_")}
    run = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("added 5,")
    assert "[1]" in lines[1]
    assert (tmp_path / "index" / "CURRENT").is_file()
    n, source, start, end, text = lines[2].split(" ", 4)
    document = (tmp_path / "seeds" / source).read_text(encoding="utf-8")
    assert document[int(start) : int(end)].startswith(text.split()[0])
    assert len([line for line in lines if re.match(r"^-?\d+\.\d{3} \S+\.txt ", line)]) == 3


def test_ask_returns_dataclasses_matching_cli_json(seed_kb):
    from kb.cli import main

    question = "What does FSB stand for?"
    answer = seed_kb.ask(question)
    assert isinstance(answer, Answer) and dataclasses.is_dataclass(answer)
    assert answer.citations and all(isinstance(c, Citation) for c in answer.citations)
    assert answer.passages and all(isinstance(p, Passage) for p in answer.passages)
    out = io.StringIO()
    code = main(["ask", question, "--json", "--sources", str(seed_kb.settings.sources), "--index",
                 str(seed_kb.settings.index)], out, io.StringIO())
    assert code == 0
    cli, api = json.loads(out.getvalue()), answer.to_json()
    cli.pop("ms"), api.pop("ms")
    # The CLI adds what it checks on disk after answering (KnowledgeBase.changed_since_indexed); the rest is to_json.
    assert cli.pop("changed_since_indexed") == seed_kb.changed_since_indexed(c.source for c in answer.citations) == []
    assert cli == api
    # Every JSON key is a dataclass field of the same name (the dataclass may carry extra internals).
    assert set(api) <= {f.name for f in dataclasses.fields(Answer)}
    assert all(getattr(answer, key) == api[key] for key in ("question", "answer", "abstained"))
    assert set(api["citations"][0]) == {f.name for f in dataclasses.fields(Citation)}
    for c in answer.citations:
        assert seed_kb.document_text(c.source)[c.start : c.end] == c.text


@pytest.mark.parametrize(("k", "mode", "message"), [
    (0, None, "k must be a whole number of at least 1, not 0"),  # 0 would quietly mean "the default"
    (-3, None, "not -3"),  # a negative k would slice the list from its end
    ("3", None, "not '3'"),
    (True, None, "not True"),
    (None, "bogus", "mode must be one of hybrid, dense, lexical, not 'bogus'"),
])
def test_a_bad_k_or_mode_from_a_script_is_one_usage_error(seed_kb, k, mode, message):
    from kb.errors import UsageError

    for call in (seed_kb.ask, seed_kb.search):
        with pytest.raises(UsageError) as info:
            call("Who analyzed the letter?", k=k, mode=mode)
        assert message in str(info.value) and "\n" not in str(info.value)


def test_public_names_are_importable():
    import kb

    for name in kb.__all__:
        assert getattr(kb, name) is not None


def test_a_knowledge_base_made_with_relative_folders_keeps_them_after_a_chdir(tmp_path, monkeypatch):
    """A script made KnowledgeBase("src", "idx") and changed its working directory: ask() raised "no index in idx",
    and changed_since_indexed() compared nothing and said nothing had changed."""
    from kb import KnowledgeBase

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "shop.txt").write_text("Shop Notes\n\nThe shop opens at 8 am.\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    kb = KnowledgeBase("src", "idx")
    kb.build()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert "8 am" in kb.ask("When does the shop open?").answer
    (tmp_path / "src" / "shop.txt").write_text("Shop Notes\n\nThe shop opens at 9 am.\n", encoding="utf-8")
    assert kb.changed_since_indexed("shop.txt") == ["shop.txt"]
    assert not (elsewhere / "idx").exists()
