"""Hostile questions: a clear one-line error or an (abstaining) answer, never a traceback, in every mode."""

from __future__ import annotations

import io
import json

import pytest

from reliability_support import TINY_CORPUS, TINY_QUESTIONS, one_line, run_cli, write_files

from kb.errors import UsageError

REJECTED = {
    "empty": "",
    "whitespace": "  \n\t \r\n ",
    "control characters only": "\x00\x01\x07\x1b\x7f",
    "zero-width spaces only": "\u200b\u200b\ufeff",  # invisible: nothing was asked
    "10,000 characters": "Who built the Brannock lighthouse? " * 286,
}

ANSWERED_OR_ABSTAINED = {
    "control characters inside": "Who\x00 built\x07 the \x1b[31mBrannock\x7f lighthouse?",
    "only punctuation": "?!.,;:--...()[]{}",
    "chinese": "谁建造了灯塔？",
    "spanish": "¿Quién construyó el faro de Brannock?",
    "russian": "Кто построил маяк?",
    "arabic, right to left": "من بنى المنارة؟",
    "emoji": "🙂🏝️🍐",
    "fts5 syntax": '"unbalanced AND (NEAR(body: x* ^y -z OR NOT',
    "sql": "'; DROP TABLE chunks; --",
    "zero-width spaces inside": "Who\u200b built the \u200bBrannock lighthouse\u00ad?",
    "lone surrogate": "\ud800 who built the lighthouse",
    "one letter": "a",
    "stopwords only": "what is the of and",
    "just under the limit": "lighthouse " * 180,
}


@pytest.fixture(scope="module")
def tiny_kb(tmp_path_factory):
    from kb import KnowledgeBase

    base = tmp_path_factory.mktemp("questions")
    write_files(base / "sources", TINY_CORPUS)
    kb = KnowledgeBase(base / "sources", base / "index")
    kb.build()
    return kb


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
@pytest.mark.parametrize("name", sorted(REJECTED))
def test_rejected_questions(tiny_kb, name, mode):
    with pytest.raises(UsageError) as info:
        tiny_kb.ask(REJECTED[name], mode=mode)
    assert one_line(str(info.value)) and "question" in str(info.value)
    with pytest.raises(UsageError):
        tiny_kb.search(REJECTED[name], mode=mode)


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
@pytest.mark.parametrize("name", sorted(ANSWERED_OR_ABSTAINED))
def test_odd_questions_answer_or_abstain(tiny_kb, name, mode):
    answer = tiny_kb.ask(ANSWERED_OR_ABSTAINED[name], mode=mode)
    assert isinstance(answer.answer, str) and answer.answer
    if answer.abstained:
        assert answer.citations == []
    else:  # whatever it says is quoted from a document, with a citation that points at real text
        assert answer.citations
        for c in answer.citations:
            assert tiny_kb.document_text(c.source)[c.start : c.end] == c.text
    json.dumps(answer.to_json())  # serializable for `kb ask --json` and the /ask API


def test_real_questions_still_answered(tiny_kb):
    """The control: the hostile inputs above are not passing just because nothing ever answers."""
    for question, source in TINY_QUESTIONS.items():
        answer = tiny_kb.ask(question)
        assert not answer.abstained and answer.citations[0].source == source, (question, answer.answer)


def test_control_characters_are_stripped_not_fatal(tiny_kb):
    answer = tiny_kb.ask(ANSWERED_OR_ABSTAINED["control characters inside"])
    assert not answer.abstained and answer.citations[0].source == "lighthouse.txt"


@pytest.mark.parametrize("question,code", [("", 2), ("   ", 2), ("x" * 10_000, 2), ("?!?", 0), ("谁建造了灯塔？", 0)])
def test_cli_ask_exit_codes(tiny_kb, question, code):
    s = tiny_kb.settings
    got, out, err = run_cli(["ask", "--sources", str(s.sources), "--index", str(s.index), "--json", question])
    assert got == code, err
    if code:
        assert one_line(err) and err.startswith("kb ask: error: ")
        assert json.loads(out) == {"question": question, "error": err.split(": error: ", 1)[1].strip(),
                                   "exit_code": code}  # --json: a script reads the error where it reads answers
    else:
        assert json.loads(out)["question"]


def test_cli_streaming_questions_keep_going(tiny_kb, monkeypatch):
    """Questions on stdin: a bad line gets a JSON error line, the next line is still answered."""
    s = tiny_kb.settings
    lines = ["Who built the Brannock lighthouse?", "\x00\x01", "x" * 10_000, "Кто построил маяк?",
             "Who led the survey of the Tessaly glacier?"]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    code, out, err = run_cli(["ask", "--sources", str(s.sources), "--index", str(s.index)])
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and len(records) == 5 and not err
    assert [("error" in r) for r in records] == [False, True, True, False, False]
    assert records[4]["citations"][0]["source"] == "glacier.txt"
