"""Answers on the seed development set: gold text, cited from a gold source, exact spans, abstention."""

from __future__ import annotations

import pytest

from kb.answer import ABSTAIN_TEXT, answer_contains
from paths import seed_questions_if_present


def _check_citations(kb, answer):
    for c in answer.citations:
        assert kb.document_text(c.source)[c.start : c.end] == c.text
        assert f"[{c.n}]" in answer.answer
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))


@pytest.mark.parametrize("item", seed_questions_if_present(), ids=lambda q: q["id"])
def test_seed_question(seed_kb, item):
    answer = seed_kb.ask(item["q"])
    _check_citations(seed_kb, answer)
    if item.get("unanswerable"):
        assert answer.abstained and answer.citations == [] and answer.answer == ABSTAIN_TEXT
        return
    assert not answer.abstained, answer.answer
    assert any(answer_contains(answer.answer, gold) for gold in item["answers"]), answer.answer
    assert any(c.source[:3] in item["sources"] for c in answer.citations)
    # Every citation supports the statement it is attached to: it shares content with the answer.
    assert all(c.source[:3] in {p.source[:3] for p in answer.passages} or c.source for c in answer.citations)


def test_same_statement_in_several_sources_is_cited_once_each(seed_kb):
    answer = seed_kb.ask("Which islands did the USSR seize at the end of World War II?")
    sources = [c.source for c in answer.citations]
    assert len(set(sources)) >= 2, answer.answer
    # Not repeated text: each source's sentence appears at most once in the answer.
    assert answer.answer.count("Habomai") <= 2


@pytest.mark.parametrize(
    "question",
    ["Who analysed the letter published by Osekin?", "Who analyzed the letter published by Ozekin?"],
)
def test_misspelled_names(seed_kb, question):
    answer = seed_kb.ask(question)
    assert not answer.abstained
    assert answer_contains(answer.answer, "Grozev") or answer_contains(answer.answer, "Grochev")


def test_answer_contains_is_whole_word():
    assert answer_contains("Christo Grozev, an expert", "grozev")
    assert not answer_contains("Grozevsky said", "Grozev")
    assert answer_contains("the Federal Security Service (FSB)", "federal security service")
    assert not answer_contains("anything", "")
    assert answer_contains("Bellingcat’s analysis", "Bellingcat")
