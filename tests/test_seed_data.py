"""The seed question sets in tests/data are measurement instruments: a gold string no listed source states, or a
duplicated id, would silently move every number reported on them (docs/quality.md). Checked without a model."""

from __future__ import annotations

import json

import pytest

from kb.answer import answer_contains
from paths import ROOT, SEEDS

SETS = ("seed_paraphrases.jsonl", "seed_unanswerable.jsonl", "seed_heldout.jsonl", "seed_followups.jsonl",
        "seed_tune.jsonl", "seed_tune2.jsonl")


def _rows(name: str) -> list[dict]:
    lines = (ROOT / "tests" / "data" / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _article(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", SETS)
def test_every_gold_string_is_stated_by_a_listed_source(name):
    for row in _rows(name):
        if row["unanswerable"]:
            assert row["answers"] == [] and row["sources"] == [], row["id"]
            continue
        assert row["answers"] and row["sources"], row["id"]
        texts = [_article(prefix) for prefix in row["sources"]]
        for gold in row["answers"]:
            assert any(answer_contains(text, gold) for text in texts), (row["id"], gold)  # the metric's match


def test_ids_are_unique_and_no_question_is_asked_twice():
    rows = [row for name in SETS for row in _rows(name)]
    assert len({row["id"] for row in rows}) == len(rows)
    questions = [row["q"].strip().lower() for row in rows]
    assert len(set(questions)) == len(questions)


def test_follow_ups_and_only_follow_ups_carry_an_earlier_turn():
    for row in (row for name in SETS for row in _rows(name)):
        if row.get("kind", "").startswith("followup"):  # followup, followup-unanswerable
            (earlier, _), = row["history"]  # one earlier (question, answer) turn
            assert earlier.strip().endswith("?"), row["id"]
        else:
            assert "history" not in row, row["id"]


def test_the_follow_up_set_refers_to_its_first_turn_only_by_a_pronoun_and_halves_hold_both_kinds():
    """seed_followups.jsonl measures pronoun resolution: a follow-up that named its person would not test it, and
    the tune half (even ids) must hold unanswerable follow-ups for the follow-up weight to learn from."""
    from kb.query import is_follow_up
    from kb.text import named_entities

    rows = _rows("seed_followups.jsonl")
    for row in rows:
        (earlier, _), = row["history"]
        assert is_follow_up(row["q"]), row["id"]
        for name in named_entities(earlier):
            assert name.lower() not in row["q"].lower(), (row["id"], name)
    for parity in (0, 1):
        half = [row for row in rows if int(row["id"][1:]) % 2 == parity]
        assert {row["unanswerable"] for row in half} == {True, False}


def test_training_reads_the_tune_questions_and_never_a_held_out_one():
    """benchmarks/train_scorer.py (and encoder_adapter.py, through it) may fit on the even ids of the halved sets
    and on all of seed_tune.jsonl and seed_tune2.jsonl; every number docs/quality.md calls held out rests on it
    never reading the odd ids or seed_heldout.jsonl."""
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import train_scorer
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    read = {q.id for q in train_scorer.seed_tune_questions()}
    held_out = {row["id"] for row in _rows("seed_heldout.jsonl")}
    held_out |= {row["id"] for name in train_scorer.HALVED_SEED_SETS for row in _rows(name)
                 if int(row["id"][1:]) % 2 == 1}
    assert read and not read & held_out
    assert {row["id"] for name in train_scorer.TUNE_SEED_SETS for row in _rows(name)} <= read
    assert set(train_scorer.TUNE_SEED_SETS) == {"seed_tune.jsonl", "seed_tune2.jsonl"}
    assert {row["id"] for name in train_scorer.HALVED_SEED_SETS for row in _rows(name)
            if int(row["id"][1:]) % 2 == 0} <= read
    # The trust corpora: --trust may read those made from hunts, never the held-out vet and news.
    assert set(train_scorer.TRUST_TUNE_CORPORA) == {"utility", "software", "university", "staff", "siblings", "people",
                                                    "news2"}


@pytest.mark.parametrize("corpus,count,source", [
    ("trust_news", 60, lambda folder, name: next(folder.glob(f"{name}_*.txt"))),  # sources named by their prefix
    ("trust_news2", 32, lambda folder, name: next(folder.glob(f"{name}_*.txt"))),  # tune: the seeds' domain again
    ("trust_university", 68, lambda folder, name: folder / name),  # by their file name
    ("trust_staff", 204, lambda folder, name: folder / name),
    ("trust_siblings", 155, lambda folder, name: folder / name),
    ("trust_lookalikes", 125, lambda folder, name: folder / name),  # held out
    ("trust_people", 47, lambda folder, name: folder / name),  # the museum's questions
    ("trust_people_heldout", 69, lambda folder, name: folder / name),  # held out: the biotech's and the law firm's
])
def test_a_trust_corpus_states_every_gold_string_of_its_questions(corpus, count, source):
    """tests/data/trust_news and trust_lookalikes (held out), trust_university, trust_staff and trust_siblings (hunts'
    corpora), asked by benchmarks/trust_test.py: the same check as the seed sets'."""
    folder = ROOT / "tests" / "data" / corpus.removesuffix("_heldout")
    rows = _rows(f"{corpus}_questions.jsonl")
    assert len(rows) == count and len({row["id"] for row in rows}) == count
    for row in rows:
        if row["unanswerable"]:
            assert row["answers"] == [] and row["sources"] == [], row["id"]
            continue
        texts = [source(folder, name).read_text(encoding="utf-8") for name in row["sources"]]
        for gold in row["answers"]:
            assert any(answer_contains(text, gold) for text in texts), (row["id"], gold)
