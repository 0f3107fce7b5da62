"""kb.answer.facts: each fact family (numbers, dates, names, negation) decides a case that similarity cannot."""

from __future__ import annotations

import pytest

from kb.answer.facts import (
    contradiction, facts, misplaced_names, polarity_differs, same_facts, spelled_out, unstated,
)
from kb.generation.verify import CitationVerifier, PassageEvidence
from kb.types import Passage


# -- numbers ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("a, b", [
    ("Revenue was $1.3 million.", "Revenue was $1,300,000."),
    ("Revenue was $1.3 million.", "Revenue was 1.30 million dollars."),
    ("Revenue was $2.0 million.", "Revenue was $2m."),
    ("Honey production fell by forty percent.", "Honey production fell by 40%."),
    ("The renovation took two years.", "The renovation took 2 years."),
])
def test_equal_numbers_written_differently_are_the_same(a, b):
    assert same_facts(a, b)


@pytest.mark.parametrize("a, b", [
    ("Revenue in March 2023 was $1.4 million.", "Revenue in March 2023 was $1.5 million."),
    ("The Northern region sold 1,240 units in Q3 2022.", "The Northern region sold 1,420 units in Q3 2022."),
    ("Honey production fell by 40 percent.", "Honey production fell by 40,000."),
    ("Honey production fell by 40 percent.", "Honey production fell by 0.4 percent."),
])
def test_different_numbers_differ(a, b):
    assert not same_facts(a, b)


def test_number_forms():
    assert facts("It cost $1,400,000 and 3.50 percent.").numbers == {"1400000", "3.5%"}
    assert facts("A 100m race and a 5k run.").numbers == {"100", "5"}  # no currency: not millions
    assert facts("It is 12,5 km long.").numbers == set()  # not 125, not 12 and 5
    assert facts("Forty-five people and a million dollars.").numbers == {"45", "1000000"}
    assert facts("One of the reports.").numbers == set()


# -- dates ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("a, b", [
    ("Revenue in March 2023 was $1.4 million.", "Revenue in June 2023 was $1.4 million."),
    ("The board met on 14 March 2023.", "The board met on 15 March 2023."),
    ("The board met on Monday.", "The board met on Tuesday."),
    ("In Q3 2022 the region sold 1,240 units.", "In Q4 2022 the region sold 1,240 units."),
    ("The port reopened in 2021.", "The port reopened in 2022."),
    ("Sales were strong in the 1990s.", "Sales were strong in the 1980s."),
])
def test_different_dates_differ(a, b):
    assert not same_facts(a, b)


@pytest.mark.parametrize("a, b", [
    ("The board met on 14 March 2023.", "The board met on March 14, 2023."),
    ("The board met on 14 March 2023.", "The board met on 2023-03-14."),
    ("In Q3 2022 the region sold 1,240 units.", "In the third quarter of 2022 the region sold 1240 units."),
    ("The board met on 14th March.", "The board met on March 14."),
])
def test_equal_dates_written_differently_are_the_same(a, b):
    assert same_facts(a, b)


def test_month_words_that_are_not_months():
    assert facts("Prices may rise; the union will march on Friday.").dates == {"weekday:friday"}
    assert facts("May I add that revenue rose?").dates == set()  # the modal verb starting a sentence
    assert facts("It fell in May.").dates == {"month:5"}
    assert facts("in march 2023").dates == {"month:3", "year:2023"}  # lower case, but beside a year
    assert facts("A 1900 figure, 1,900 units and 2023.").dates == {"year:1900", "year:2023"}


# -- names ------------------------------------------------------------------------------------------------------
def test_swapped_names_differ():
    assert not same_facts("In Q3 2022 the Northern region sold 1,240 units.",
                          "In Q3 2022 the Southern region sold 1,240 units.")
    assert not same_facts("The letter was analysed by Christo Grozev.", "The letter was analysed by Igor Sushko.")


def test_names_are_capitalised_words_not_starting_a_sentence():
    found = facts("Revenue rose. The report, written by Mr. Smith of Acme, was sent to NASA.")
    assert found.names == {"smith", "acme", "nasa"}  # not "revenue"/"the" (sentence starts), not the title "mr"
    assert "revenue" in found.initials
    assert facts("Grozév said so.").initials == {"grozev"}  # folded


def test_same_names_in_other_words_and_spellings_agree():
    assert same_facts("The Port of Velmora reopened in March 2021.", "Velmora's port reopened in March 2021.")
    assert same_facts(
        "The Kunashiri, Etorofu, Shikotan and Habomai islands were seized by the USSR at the end of World War II.",
        "The islands of Kunashiri, Itorofu, Shikotan and Habomai were captured by the USSR at the end of World War II.",
    )


# -- negation ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("negated", [
    "The board did not approve the budget.", "The board never approved the budget.",
    "The board didn't approve the budget.", "The board failed to approve the budget.",
    "The board denied approving the budget.", "Neither the board nor the council approved the budget.",
    "The budget passed without the board's approval.",
])
def test_negation_cues(negated):
    assert facts(negated).negated
    assert not same_facts(negated, "The board approved the budget.")


def test_double_negation_is_positive():
    assert not facts("He did not deny approving the budget.").negated


# -- checks built on them -----------------------------------------------------------------------------------------
PASSAGE = ("Velmora harbor news. The Port of Velmora reopened in March 2021 after a two-year renovation. "
           "The renovation was not paid for by the city; the regional council of Ostmark paid 40 percent.")


@pytest.mark.parametrize("claim, reason", [
    ("The Port of Velmora reopened in March 2022.", "states date March 2022"),
    ("The Port of Velmora reopened after a three-year renovation.", "states number three"),
    ("The regional council of Ostmark paid 45 percent.", "states number 45 percent"),
    ("The Port of Drava reopened in March 2021.", "names drava"),
    ("Drava paid for the renovation.", "names drava"),  # a known name starting the sentence
    ("The Port of Velmora did not reopen in March 2021.", "negates"),
    ("The renovation was paid for by the city.", "drops the passage's negation"),
])
def test_contradiction_reasons(claim, reason):
    sentences = [s for s in PASSAGE.split(". ")]
    best = max(sentences, key=lambda s: len(set(s.lower().split()) & set(claim.lower().split())))
    found = contradiction(claim, PASSAGE, best, known_names={"drava"})
    assert found is not None and reason in found


def test_faithful_claims_pass():
    assert contradiction("Velmora's port reopened in March 2021 following a 2-year renovation.", PASSAGE,
                         "The Port of Velmora reopened in March 2021 after a two-year renovation.") is None
    assert contradiction("The city did not pay for the renovation.", PASSAGE,
                         "The renovation was not paid for by the city; the regional council of Ostmark paid 40 "
                         "percent.") is None


def test_verifier_drops_changed_facts_without_embeddings():
    passage = Passage(1, "harbor.txt", "Velmora harbor news", 0, len(PASSAGE), PASSAGE, 1.0)
    evidence = PassageEvidence([passage])
    verifier = CitationVerifier()
    kept = verifier.check(evidence, "The Port of Velmora reopened in March 2021 after a two-year renovation.", [1])
    renumbered = verifier.check(evidence, "The Port of Velmora reopened in March 2021 after a five-year renovation.",
                                [1])
    negated = verifier.check(evidence, "The Port of Velmora never reopened in March 2021 after a two-year renovation.",
                             [1])
    assert kept.kept
    assert not renumbered.kept and "five" in renumbered.reason
    assert not negated.kept and "negates" in negated.reason


# -- word-level negation: what a "not" is about ------------------------------------------------------------------
@pytest.mark.parametrize("claim, sentence", [
    ("Denmark joined in 1972.", "Denmark joined in 1972, though Norway did not join."),  # negated clause left out
    ("A peace treaty was never signed by Russia and Japan.", "Russia and Japan never signed a peace treaty."),
    ("The board rejected the budget.", "The board did not approve the budget."),  # other words, same meaning
    ("No mass media reported it.", "No major mass media reported it."),
    ("Ostmark paid 40 percent.", "The city did not pay, and Ostmark paid 40 percent."),
])
def test_polarity_agrees(claim, sentence):
    assert polarity_differs(claim, sentence) is None


@pytest.mark.parametrize("claim, sentence, reason", [
    ("The board approved the budget.", "The board did not approve the budget.", "drops"),
    ("He denied approving the budget.", "He did not deny approving the budget.", "negates"),
    ("Osechkin is never currently in exile in France.", "Osechkin is currently in exile in France.", "negates"),
    ("The four islands are not Russian territory.", "The four islands are Russian territory.", "negates"),
    ("Sushko is never translating the correspondence from Russian, which began on March 4.",
     "Sushko is translating the letter, which began on March 4, from Russian into English.", "negates"),
])
def test_polarity_differs(claim, sentence, reason):
    found = polarity_differs(claim, sentence)
    assert found is not None and found.startswith(reason)


def test_acronyms_spelled_out_count_as_names_stated():
    assert spelled_out("EU", "a principle of European Union law")
    assert spelled_out("NASA", "the National Aeronautics and Space Administration")
    assert spelled_out("SP's", "the Scottish Parliament")
    assert not spelled_out("EU", "every user")  # two letters need capitals
    assert not spelled_out("FSB", "the Federal Security Service")
    assert unstated("It is part of EU law.", "It is a principle of European Union law.") is None


# -- directions and names in their place ---------------------------------------------------------------------------
def test_a_reversed_direction_is_another_fact():
    sentence = "Igor Sushko has been translating the correspondence from Russian to English since March 4."
    assert "from English to Russian" in unstated("Sushko translates the letters from English to Russian.", sentence)
    assert unstated("Sushko translates the letters from Russian into English.", sentence) is None
    rose = "Prices rose from $1.4 million to $1.5 million."
    assert not same_facts(rose, "Prices rose from $1.5 million to $1.4 million.")
    assert same_facts(rose, "Prices went from $1.4 million to $1.5 million.")
    # Not pairs: the same word at both ends, or a "to" too far from "from".
    assert facts("They met from time to time.").directions == ()
    assert facts("Letters from an analyst of the security service in Moscow were sent to Osechkin.").directions == ()
    # A passage that states both directions backs either.
    assert unstated("Flights run from Velmora to Ostmark.", "Flights run from Ostmark to Velmora and from Velmora to "
                    "Ostmark.") is None


LETTER_SENTENCES = [
    "Igor Sushko, the executive director of the Wind of Change Research Group, has been translating the "
    "correspondence from Russian to English.",
    "He has shared all the emails with Newsweek.",
    "One letter, published by Osechkin, was analyzed by Christo Grozev, an expert on the FSB.",
]


@pytest.mark.parametrize("claim, rests_on, reason", [
    ("Christo Grozev translates the correspondence.", 0, "where the passage's sentence names Igor Sushko"),
    ("Sushko analyzed one letter.", 2, "where the passage's sentence names Osechkin, Christo Grozev"),
    ("Sushko shared all the emails with Newsweek.", 1, None),  # "He ..." after Sushko's sentence
    ("He shared all the emails with Grozev.", 1, "names grozev"),  # Newsweek's place: "He" is no name to lend
    ("Grozev translates the correspondence from Russian to English.", 0, "names grozev"),
])
def test_names_must_be_where_the_claim_puts_them(claim, rests_on, reason):
    resting = [(LETTER_SENTENCES[rests_on], LETTER_SENTENCES[rests_on - 1] if rests_on else "")]
    found = misplaced_names(claim, resting, LETTER_SENTENCES, known_names={"sushko", "grozev", "osechkin"})
    assert found is None if reason is None else reason in found
