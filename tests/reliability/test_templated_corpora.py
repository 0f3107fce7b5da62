"""Folders of templated documents: the same sentence with another month, region, figure or a "not".

Monthly reports, regional sales notes and board minutes read alike; their sentences are cosine-similar above
kb's duplicate threshold. Asked about one document, kb must answer from that document (or abstain), and must
not cite a look-alike from another document as extra support for the answer: each citation's text may state
only the month, date, region, figure and polarity of the document asked about.

The corpora are generated here with seeded random figures; the checks read the template slots back with
plain patterns (not kb.answer.facts), so they do not share the code under test.

Questions about May are checked apart (``test_questions_about_may``): "may" is a stopword (the modal verb), and a
one-digit day is a one-character term, so the current scorer sees no date at all in "... on 1 May 2023?" and
answers from whichever month's note is closest; docs/reliability.md.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from paths import write_files

MONTHS = ("January February March April May June July August September October November December").split()
REGIONS = ("Northern", "Southern", "Eastern", "Western", "Central")
FILLER = (
    "The finance team prepared this note for the board.",
    "Figures are unaudited and could still change.",
    "Questions about this note go to the controller's office.",
    "The next note follows at the usual time.",
)


@dataclass
class Case:
    source: str
    question: str
    gold: str  # the figure, as the document writes it
    negated: bool | None  # minutes: did the board NOT approve? None where polarity is not asked about
    also: tuple[str, ...] = ()  # other documents that state the same facts: they should be cited too


def _note(rng: random.Random, heading: str, fact: str) -> str:
    filler = list(FILLER)
    rng.shuffle(filler)
    return f"{heading}\n\n{filler[0]} {fact} {filler[1]} {filler[2]}\n"


def monthly_reports(rng: random.Random) -> tuple[dict[str, str], list[Case]]:
    values = rng.sample(range(11, 40), 12)
    files, cases = {}, []
    for i, (month, value) in enumerate(zip(MONTHS, values), 1):
        figure = f"${value / 10:.1f} million"
        name = f"report-2023-{i:02d}.txt"
        files[name] = _note(rng, f"Monthly report {i:02d}/2023", f"Revenue in {month} 2023 was {figure}.")
        cases.append(Case(name, f"What was revenue in {month} 2023?", figure, None))
    # The control: one month restated by another document in other words is still the same statement.
    month, value = MONTHS[2], values[2]
    files["board-pack-march.txt"] = _note(rng, "Board pack", f"{month} 2023 revenue was ${value * 100_000:,}.")
    cases[2].also = ("board-pack-march.txt",)
    return files, cases


def regional_notes(rng: random.Random) -> tuple[dict[str, str], list[Case]]:
    files, cases = {}, []
    for region in REGIONS:
        for quarter in (1, 2, 3, 4):
            units = f"{rng.randrange(1000, 9999):,}"
            name = f"sales-{region.lower()}-q{quarter}.txt"
            files[name] = _note(rng, f"Sales note {region.lower()} {quarter}",
                                f"In Q{quarter} 2022 the {region} region sold {units} units.")
            cases.append(Case(name, f"How many units did the {region} region sell in Q{quarter} 2022?", units, None))
    return files, cases


def board_minutes(rng: random.Random) -> tuple[dict[str, str], list[Case]]:
    files, cases = {}, []
    days = rng.sample(range(1, 29), 12)
    for i, (month, day) in enumerate(zip(MONTHS, days), 1):
        figure = f"${rng.randrange(11, 60) / 10:.1f} million"
        refused = rng.random() < 0.5
        verb = "did not approve" if refused else "approved"
        name = f"minutes-2023-{i:02d}.txt"
        files[name] = _note(rng, f"Minutes {i:02d}/2023",
                            f"At the meeting on {day} {month} 2023 the board {verb} the budget of {figure}.")
        cases.append(Case(name, f"Did the board approve the budget at the meeting on {day} {month} 2023?", figure,
                          refused))
    return files, cases


SHAPES = {"monthly_reports": monthly_reports, "regional_notes": regional_notes, "board_minutes": board_minutes}

_SLOT = re.compile(
    r"\$(?P<money>\d[\d,]*(?:\.\d+)?)(?P<million> million)?|(?P<count>\b\d{1,3}(?:,\d{3})+\b)"
    r"|\b(?P<word>%s|%s|Q[1-4]|not)\b|(?P<year>\b\d{4}\b)|(?P<day>\b\d{1,2})(?= [A-Z])"
    % ("|".join(MONTHS), "|".join(REGIONS))
)


def slots(text: str) -> set[str]:
    """The template's variable parts a text states, figures normalised ("$2.0 million" == "$2,000,000"):
    figures, months, days, years, quarters, regions and "not"."""
    found = set()
    for m in _SLOT.finditer(re.sub(r"\[\d+\]", " ", text)):
        if m["money"]:
            value = Decimal(m["money"].replace(",", "")) * (1_000_000 if m["million"] else 1)
            found.add(f"${value.normalize():f}")
        elif m["count"]:
            found.add(m["count"].replace(",", ""))
        elif m["day"]:
            found.add(f"day {m['day']}")
        else:
            found.add(m["word"] or m["year"])
    return found


def build(root: Path, files: dict[str, str]):
    from kb import KnowledgeBase

    write_files(root / "sources", files)
    kb = KnowledgeBase(root / "sources", root / "index")
    kb.build()
    return kb


@pytest.fixture(scope="module", params=sorted(SHAPES))
def corpus(request, tmp_path_factory):
    files, cases = SHAPES[request.param](random.Random(f"templated-{request.param}"))
    return build(tmp_path_factory.mktemp(request.param), files), files, cases


def _wrong_answers(kb, files: dict[str, str], cases: list[Case]) -> list[str]:
    """Answers that state another document's figure, date, region or polarity, or not the gold figure."""
    wrong = []
    for case in cases:
        answer = kb.ask(case.question)
        if answer.abstained:
            continue
        said, gold = slots(answer.answer), slots(files[case.source])
        if not slots(case.gold) <= said or not said <= gold:
            wrong.append(f"{case.question!r} -> {answer.answer!r}")
        elif case.negated is not None and ("not" in said) != case.negated:
            wrong.append(f"{case.question!r} -> {answer.answer!r} (the decision turned round)")
    return wrong


def test_no_citation_states_other_facts_than_the_answer(corpus):
    """Finding 1 of issue 14: look-alikes from other documents were cited as extra support ([1][2][3][4][5]).

    [1] is the quoted statement; every other citation must state exactly its figures, dates, regions and
    polarity, and the restatement of March in other words ("$2,000,000") must still be cited with it."""
    kb, files, cases = corpus
    wrong, merged, extra = [], 0, 0
    for case in cases:
        answer = kb.ask(case.question)
        if not answer.citations:
            continue
        statement = slots(answer.citations[0].text)
        extra += len(answer.citations) - 1
        for citation in answer.citations[1:]:
            if slots(citation.text) != statement:
                wrong.append(f"{case.question!r} cites {citation.source}: {citation.text!r}")
        cited = {c.source for c in answer.citations}
        if case.also and case.source in cited:
            merged += 1
            assert set(case.also) <= cited, f"{case.question!r}: the same statement in {case.also} is not cited"
    print(f"{len(cases)} questions: {extra} citations besides [1], {len(wrong)} of them stating other facts")
    assert not wrong, "\n".join(wrong)
    assert merged == sum(1 for c in cases if c.also)  # the control really ran


def test_answers_come_from_the_document_asked_about(corpus):
    """Every answer states the asked document's figure (and polarity), or abstains; never another's."""
    kb, files, cases = corpus
    wrong = _wrong_answers(kb, files, [c for c in cases if " May " not in c.question])
    assert not wrong, "\n".join(wrong)


def test_questions_about_may(tmp_path):
    """'May' is a stopword as a verb; as a month (capitalized, not the first word) it is a query term
    (kb.text.content_terms), so a May question finds the May note."""
    wrong = []
    for seed in range(4):
        for shape in ("monthly_reports", "board_minutes"):
            files, cases = SHAPES[shape](random.Random(f"may-{seed}-{shape}"))
            kb = build(tmp_path / f"{shape}-{seed}", files)
            wrong += _wrong_answers(kb, files, [c for c in cases if " May " in c.question])
    assert not wrong, "\n".join(wrong)
