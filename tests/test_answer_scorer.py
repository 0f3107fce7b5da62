"""The learned answer scorer: each feature family measures what it claims, the models load and rank as fit,
and the decisions they drive (which sentence, whether to answer) follow from them."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kb.answer.features import (CONFIDENCE_FEATURES, CONFIDENCE_PRODUCTS, CONFIDENCE_SIGNALS, CONTEXT_FEATURES,
                                SENTENCE_FEATURES, build_candidates, confidence_row, question_facts)
from kb.answer_types import (AnswerType, answers_an_earlier_time, asks_count, asks_named_by_kind, asks_person_by_role,
                             asks_who_leads, expected_type, names_in_full, supplies)
from kb.linear_model import ANSWER_WEIGHTS, RETRIEVAL_WEIGHTS, LinearModel, fit_logistic, load_model
from kb.config import Settings
from kb.query import QueryContext, attributed_sources
from kb.text import Sentence, split_sentences, words
from kb.types import Passage


def assert_abstains(kb, *questions: str) -> None:
    """Each question abstained on, citing nothing."""
    for question in questions:
        answer = kb.ask(question)
        assert answer.abstained and not answer.citations, question


def assert_answers(kb, *expected: tuple[str, str]) -> None:
    """Each (question, text) answered with the text in the answer."""
    for question, text in expected:
        assert text in kb.ask(question).answer, question


def _asked_of(make_kb, files: dict[str, str]):
    """An index of ``files`` that answers at any confidence: what abstains is then a rule, not the threshold."""
    kb = make_kb(files, abstain_threshold=0.0)
    kb.build()
    return kb


def _passage(text: str, source: str = "a.txt", chunk_id: int = 1, dense: float = 0.5) -> Passage:
    return Passage(chunk_id=chunk_id, source=source, title="", start=0, end=len(text), text=text, score=0.0,
                   dense_score=dense)


def _features(question: str, passages: list[Passage], terms: list[str], *, names: tuple[str, ...] = (),
              answer_type: AnswerType | None = None, type_detail: str | None = None,
              documents: dict[str, str] | None = None,
              vectors: dict[str, np.ndarray] | None = None,
              word_vectors: object | None = None) -> dict[str, dict[str, float]]:
    """Feature rows by sentence text, with unit vectors (cosine 0.5 unless given) so only the family under test varies."""
    from kb.answer.grounding import document_words

    q = np.array([1.0, 0.0])

    def sentences(p: Passage) -> list[tuple[Sentence, np.ndarray]]:
        out = []
        for s in split_sentences(p.text, offset=p.start):
            v = (vectors or {}).get(s.text, np.array([0.5, np.sqrt(0.75)]))
            out.append((s, v))
        return out

    ctx = QueryContext(question, q, {t: [t] for t in terms}, answer_type, type_detail,
                       frozenset(words(question)), names=names, idf={t: 1.0 for t in terms},
                       word_vectors=word_vectors)  # type: ignore[arg-type]
    texts = documents or {p.source: p.text for p in passages}
    cands, matrix = build_candidates(ctx, passages, sentences, lambda s: document_words(texts.get(s, "")))
    assert matrix.shape == (len(cands), len(SENTENCE_FEATURES))
    return {c.sentence.text: c.features for c in cands}


def test_cosine_and_gap():
    text = "Alpha is here. Beta is there."
    f = _features("q", [_passage(text)], ["alpha"], vectors={"Alpha is here.": np.array([0.9, np.sqrt(0.19)])})
    assert f["Alpha is here."]["cosine"] == pytest.approx(0.9)
    assert f["Beta is there."]["cosine_gap"] == pytest.approx(0.5 - 0.9)


def test_overlap_uses_stems_and_neighbours():
    text = "The letters were verified by Grozev. He showed them to two officers."
    f = _features("Who verified the letter?", [_passage(text)], ["verified", "letter"])
    first, second = f["The letters were verified by Grozev."], f["He showed them to two officers."]
    assert first["overlap"] == pytest.approx(1.0)  # "letters" ~ "letter" through the Porter stem
    assert second["overlap"] == 0.0 and second["neighbour_overlap"] == pytest.approx(1.0)


def test_a_sentence_that_refers_back_counts_the_names_of_the_sentence_before():
    """"He said he showed the letter to ..." answers "Who did Christo Grozev show the letter to?": "he" is the
    Grozev of the sentence before. Without the names carried over it shares only "show" and "letter"."""
    text = ("The letter was analyzed by Christo Grozev, an expert. He said he showed the letter to two officers. "
            "Officials showed the letter to the press.")
    f = _features("Who did Christo Grozev show the letter to?", [_passage(text)],
                  ["christo", "grozev", "show", "letter"])
    refers = f["He said he showed the letter to two officers."]
    assert refers["overlap"] == pytest.approx(0.5) and refers["antecedent_overlap"] == pytest.approx(1.0)
    plain = f["Officials showed the letter to the press."]  # does not refer back: its own share
    assert plain["antecedent_overlap"] == plain["overlap"] == pytest.approx(0.5)
    first = f["The letter was analyzed by Christo Grozev, an expert."]
    assert first["antecedent_overlap"] == first["overlap"]
    assert load_model("sentence").weights[load_model("sentence").features.index("antecedent_overlap")] > 0


def test_passage_and_document_overlap():
    p = _passage("Grozev spoke. Nothing else.")
    f = _features("Did Grozev verify the letter?", [p], ["grozev", "letter"],
                  documents={"a.txt": "Grozev spoke. Nothing else. Later the letter appeared."})
    row = f["Nothing else."]
    assert row["passage_overlap"] == pytest.approx(0.5) and row["document_overlap"] == pytest.approx(1.0)


def test_answer_type_families():
    text = "The war began in 2022. It was a long war."
    f = _features("When did the war begin?", [_passage(text)], ["war", "begin"], answer_type=AnswerType.DATE)
    assert f["The war began in 2022."]["type_supplied"] == 1.0 and f["The war began in 2022."]["type_missing"] == 0.0
    assert f["It was a long war."]["type_supplied"] == 0.0 and f["It was a long war."]["type_missing"] == 1.0
    g = _features("What happened?", [_passage(text)], ["happened"])
    assert all(r["type_supplied"] == 0.0 and r["type_missing"] == 0.0 for r in g.values())


def test_a_question_word_said_in_other_words_is_credited_by_the_models_own_word_vectors():
    """"split" is not in "... proposed that Hokkaido be divided ...", so term overlap gives it nothing; the sentence
    model's input embedding table (kb.word_vectors) says "divided" is close to it and "music" is not, and the fitted
    sentence model counts that in the sentence's favour."""
    from kb.embedding import BUNDLED_MODEL
    from kb.word_vectors import word_vectors_for

    table = word_vectors_for(BUNDLED_MODEL)
    assert table is not None
    split = table.vector("split")
    assert float(split @ table.vector("divided")) > float(split @ table.vector("music")) + 0.2
    assert word_vectors_for("no/such-model-folder") is None  # a hub name or a missing folder: no soft match

    divided, played = "The Soviets proposed that Hokkaido be divided in two.", "The Soviets proposed that Hokkaido be played as music."
    question = "Did the Soviets propose to split Hokkaido?"
    terms = ["soviets", "split", "hokkaido"]
    f = _features(question, [_passage(f"{divided} {played}")], terms, word_vectors=table)
    assert f[divided]["overlap"] == f[played]["overlap"]  # the same question words, exactly
    assert f[divided]["soft_overlap"] > f[played]["soft_overlap"] + 0.05
    assert all(row["soft_overlap"] == 0.0 for row in _features(question, [_passage(divided)], terms).values())
    covered = _features("Was Hokkaido divided?", [_passage(divided)], ["hokkaido", "divided"], word_vectors=table)
    assert covered[divided]["soft_overlap"] == 0.0  # words the sentence has are term overlap's business
    w = dict(zip(load_model("sentence").features, load_model("sentence").weights))
    assert w["soft_overlap"] > 0.1


def test_a_missing_answer_is_measured_per_kind():
    """Which kind of answer a sentence lacks is a feature of its own: the fitted sentence model weighs a count
    question's missing number more than a "who" question's missing name (the name detector misses many right
    answers; a sentence with no number cannot say how many)."""
    text = "The war began in 2022. It was a long war."
    f = _features("When did the war begin?", [_passage(text)], ["war", "begin"], answer_type=AnswerType.DATE)
    lacking, holding = f["It was a long war."], f["The war began in 2022."]
    assert lacking["missing_date"] == 1.0 and holding["missing_date"] == 0.0
    assert all(lacking[f"missing_{k}"] == 0.0 for k in ("number", "quantity", "person", "organization", "place"))
    model = load_model("sentence")
    w = dict(zip(model.features, model.weights))
    assert w["missing_number"] < w["missing_person"] and w["missing_date"] < w["missing_person"]


def test_the_day_of_a_date_and_the_questions_own_numbers_are_not_amounts():
    from kb.answer_types import supplies

    def count(sentence: str, question: str = "How many emails has the agent sent?") -> bool:
        return supplies(sentence, AnswerType.NUMBER, set(words(question)))

    assert not count("The email, dated March 17, was sent by the agent.")
    assert not count("The agent wrote again on 4 May.")
    assert count("He sent 12 emails on March 17.") and count("Two men came on 4 May.")
    assert not count("The 150 troops left.", "How many of the 150 troops died?")
    assert count("Of the 150 troops, 40 died.", "How many of the 150 troops died?")
    # a number the question states in words is the question's own too
    assert not count("They landed on the Four northern islands.", "How many troops landed on the four islands?")
    assert count("Two of the four islands were taken.", "How many of the four islands were taken?")
    assert supplies("It cost 1,500 dollars in June 2021.", AnswerType.QUANTITY, set(words("How much did it cost?")))


def test_the_question_asks_each_text_for_its_answer_type_once(monkeypatch):
    """Retrieval asks it of every pooled sentence and the answerer of the best passages' again: one measurement a
    text, the same as supplies() gives."""
    import kb.query
    from kb.answer_types import supplies

    question = "How many of the 150 troops died?"
    calls: list[str] = []
    monkeypatch.setattr(kb.query, "supplies", lambda text, *a: calls.append(text) or supplies(text, *a))
    ctx = QueryContext(question, None, {}, *expected_type(question), question_words=frozenset(words(question)))
    texts = ["The 150 troops left.", "Of the 150 troops, 40 died.", "They left on 4 May."]
    assert [ctx.supplies(t) for t in texts + texts] == [False, True, False] * 2
    assert calls == texts
    assert QueryContext("Why did they leave?", None, {}).supplies(texts[1]) is None  # no kind asked for


def test_a_date_question_wants_its_unit_and_a_date_it_does_not_state_itself():
    """"On what day" is not answered by "the summer of 2021", "what year" not by "in June", and a question that
    says "in 2021" is not answered by another "in 2021"."""
    text = ("Putin prepared the attack in the summer of 2021. The invasion of Ukraine began on February 24, 2022. "
            "The talks failed in June. The army had moved in 2021. The army moved in March 2021.")

    def typed(question: str) -> dict[str, float]:
        kind, detail = expected_type(question)
        assert kind is AnswerType.DATE
        rows = _features(question, [_passage(text)], ["invasion"], answer_type=kind, type_detail=detail)
        return {s: r["type_supplied"] for s, r in rows.items()}

    day = typed("On what day did the invasion of Ukraine begin?")
    assert day["The invasion of Ukraine began on February 24, 2022."] == 1.0
    assert day["Putin prepared the attack in the summer of 2021."] == 0.0
    assert day["The army moved in March 2021."] == 0.0  # a month, not a day
    year = typed("In what year did the talks fail?")
    assert year["The talks failed in June."] == 0.0 and year["The army had moved in 2021."] == 1.0
    # A plural asks for the same unit: "In which years ..." wants years, "What dates ..." days.
    assert expected_type("In which years did Shinzo Abe serve as prime minister?") == (AnswerType.DATE, "year")
    assert expected_type("What dates did the talks fall on?") == (AnswerType.DATE, "day")
    assert expected_type("In what years did Spain and Portugal join?") == (AnswerType.DATE, "year")
    assert expected_type("Between which centuries was it built?") == (AnswerType.DATE, None)
    when = typed("When did the army move in 2021?")
    assert when["The army had moved in 2021."] == 0.0  # the question's own year
    assert when["The army moved in March 2021."] == 1.0 and when["The talks failed in June."] == 1.0
    # A season is a unit too: "In which season of 2021 ...?" (a tune seed question) had been quoted "Russia in 2021
    # was preparing to attack Japan ..." over the sentence with "the summer of 2021".
    season = typed("In which season of 2021 did Putin prepare the attack?")
    assert season["Putin prepared the attack in the summer of 2021."] == 1.0
    assert season["The army moved in March 2021."] == 0.0 and season["The army had moved in 2021."] == 0.0
    from kb.answer_types import supplies
    assert supplies("Most rain falls in the wet season.", AnswerType.DATE, {"rain"}, "season")


def test_full_name_for_who_and_spelled_out_acronym_for_stand_for():
    text = "The letter was checked by the FSB. It was analyzed by Christo Grozev, an expert. The Federal Security Service (FSB) declined."
    f = _features("Who verified the letter?", [_passage(text)], ["verified", "letter"], answer_type=AnswerType.PERSON)
    assert f["It was analyzed by Christo Grozev, an expert."]["person_name"] == 1.0
    assert f["The letter was checked by the FSB."]["person_name"] == 0.0  # an acronym is not a person
    assert f["The Federal Security Service (FSB) declined."]["person_name"] == 0.0  # an organization neither
    g = _features("What does FSB stand for?", [_passage(text)], ["fsb"], answer_type=AnswerType.EXPANSION)
    assert g["The Federal Security Service (FSB) declined."]["expands"] == 0.0  # acronym not set on the context
    from kb.answer.features import build_candidates  # with the acronym the question analysis sets:
    ctx = QueryContext("What does FSB stand for?", np.array([1.0, 0.0]), {"fsb": ["fsb"]}, AnswerType.EXPANSION, "FSB",
                       frozenset({"what", "does", "fsb", "stand", "for"}), idf={"fsb": 1.0})
    cands, _ = build_candidates(ctx, [_passage(text)], lambda p: [(s, np.array([0.5, 0.5])) for s in
                                                                  split_sentences(p.text)], lambda s: frozenset())
    expands = {c.sentence.text: c.features["expands"] for c in cands}
    assert expands["The Federal Security Service (FSB) declined."] == 1.0
    assert expands["The letter was checked by the FSB."] == 0.0


def test_an_acronym_is_asked_to_be_spelled_out_only_when_it_is_one():
    """The question is matched case-blind, so "it" and "isobaric" once read as acronyms: every sentence then lacked
    their "expansion", and a question about what something means could not be answered."""
    assert expected_type("What does FSB stand for?") == (AnswerType.EXPANSION, "FSB")
    assert expected_type("What does ATP mean?") == (AnswerType.EXPANSION, "ATP")
    assert expected_type("What does it mean when a harmonic series diverges?")[0] is not AnswerType.EXPANSION
    assert expected_type("What does isobaric mean?")[0] is not AnswerType.EXPANSION


def test_what_an_acronym_stands_for_is_abstained_on_where_nothing_spells_it_out(make_kb):
    """A sentence that only mentions the acronym cannot say what it stands for, however well it scores."""
    mentions = ("The FSB agent wrote to the activist in March. The FSB declined to comment on the letter, and the "
                "agent's name was not given.\n")
    kb = _asked_of(make_kb, {"letter.txt": mentions})
    answer = kb.ask("What does FSB stand for?")
    assert answer.abstained and not answer.citations
    kb = make_kb({"letter.txt": mentions, "agency.txt": "The Federal Security Service (FSB) is Russia's main "
                                                        "security agency.\n"}, abstain_threshold=0.0)
    kb.build(full=True)
    answer = kb.ask("What does FSB stand for?")
    assert not answer.abstained and "Federal Security Service" in answer.answer


def test_a_date_question_with_a_unit_is_abstained_on_where_no_statement_gives_one(make_kb):
    """"In what year ...?" is answered by a year, "On what date ...?" by a day: a sentence about the same event
    without one is no answer, however well it scores (the model weighs a missing date little, since SQuAD's "when"
    is often answered "after the war"). "When ...?" asks for no unit and is left to the model."""
    story = ("The research group was founded by a former analyst who now lives in Washington. The group translates "
             "the letters of a whistleblower into English and publishes them.\n")
    kb = _asked_of(make_kb, {"group.txt": story})
    assert_abstains(kb, "In what year was the research group founded?", "On what date was the research group founded?")
    kb = make_kb({"group.txt": story, "history.txt": "The research group was founded in 2019 and moved to Washington "
                                                     "on March 3, 2021.\n"}, abstain_threshold=0.0)
    kb.build(full=True)
    assert "2019" in kb.ask("In what year was the research group founded?").answer
    assert not kb.ask("When was the research group founded?").abstained



def test_a_question_about_the_past_is_not_answered_by_what_is_still_to_come(make_kb):
    """"When did Samuel Adeyemi join the utility?" of a staff update was quoted "Samuel Adeyemi oversees the Hollow Lake
    plant upgrade, which is due to finish in 2027." (tests/data/trust_staff, tune): a plan, a schedule or a deadline
    ahead says nothing of what was done. A question about a plan is answered by one."""
    from kb.answer_types import asks_of_the_past, instructs_what_is_asked, speaks_only_of_the_future

    update = ("# Staff update\n\nSamuel Adeyemi oversees the Hollow Lake plant upgrade, which is due to finish in "
              "2027.\n\nThe board will next meet on April 11, 2023, to review the budget.\n")
    kb = _asked_of(make_kb, {"update.md": update})
    assert_abstains(kb, "When did Samuel Adeyemi join the utility?",
                    "What did the board decide at the April 11, 2023 meeting?")
    assert_answers(kb, ("When is the Hollow Lake plant upgrade due to finish?", "2027"))
    done = _asked_of(make_kb, {"update.md": update + "\nSamuel Adeyemi joined the utility in 2016.\n"})
    assert_answers(done, ("When did Samuel Adeyemi join the utility?", "2016"))
    assert asks_of_the_past("What did the board decide at the April 11, 2023 meeting?")
    assert not asks_of_the_past("What did the treaty say would happen?")  # it asks what was to come
    assert not asks_of_the_past("Who chairs the board?")
    assert not asks_of_the_past("Who was given the task of splitting the values files?")  # "X will split them"
    assert speaks_only_of_the_future("The next regular meeting is scheduled for April 11, 2023.")
    assert not speaks_only_of_the_future("Apollo 20 was scheduled for 1972.")  # a plan that was made
    assert not speaks_only_of_the_future("The plant opened in 2019 and is due for an upgrade.")
    # An instruction to do what is asked is no report that it was done: "When was it installed?" of the Route 9 main
    # was quoted "Install corrosion protection ... by June 2024." at 0.91 (tests/data/trust_utility, tune).
    plan = _asked_of(make_kb, {"actions.md": "# Actions\n\n- Install corrosion protection on the Route 9 "
                                             "transmission main by June 2024.\n"})
    assert_abstains(plan, "When was corrosion protection installed on the Route 9 main?")
    assert instructs_what_is_asked("- Replace the valves by May.", "When were the valves replaced?")
    assert instructs_what_is_asked("Apply the coating.", "When was the coating applied?")
    assert not instructs_what_is_asked("Installed in 1978, the main broke.", "When was it installed?")
    assert not instructs_what_is_asked("Crews installed it in 1978.", "When was it installed?")
    assert not instructs_what_is_asked("Release date: 12 September 2023", "When was Ferrypoint 4.0 released?")


def test_how_long_is_answered_by_a_length(make_kb):
    """"how long is the northern tern" of a university's news was quoted "The Northern Tern cost CAD 14.2 million."
    (tests/data/trust_university, tune): a length of time or of space is said by its unit, a word of duration or
    two dates, and a price says none of them. So are how tall, far, heavy and loud: "How loud is the X300?" was quoted
    "The X300 weighs 3.8 kg." (tests/data/trust_siblings, tune)."""
    from kb.answer_types import asked_dimension, measured_as

    news = ("# The Northern Tern\n\nThe Northern Tern cost CAD 14.2 million.\n\nThe ship's first cruise took place "
            "in May.\n")
    kb = _asked_of(make_kb, {"news.md": news})
    assert_abstains(kb, "How long is the Northern Tern?")
    longer = _asked_of(make_kb, {"news.md": news + "\nThe Northern Tern is 38 metres long.\n"})
    assert_answers(longer, ("How long is the Northern Tern?", "38 metres"))
    assert asked_dimension("How long does the WHMIS course take?") == "long"
    assert asked_dimension("How many credits is it?") is None
    assert asked_dimension("How high are the fees?") is None  # a price or a rate is high too
    assert measured_as("Phillips managed Apollo from January 1964 until the landing in July 1969.", "long")  # two dates
    assert measured_as("The course takes about ninety minutes.", "long") and measured_as("It was brief.", "long")
    assert not measured_as("The Northern Tern cost CAD 14.2 million.", "long")
    assert measured_as("The lodge is 40 minutes by car from Marlow.", "far")
    assert measured_as("The tower is 52 storeys tall.", "tall") and not measured_as("The tower opened in 1990.", "tall")
    products = _asked_of(make_kb, {"x300.md": "# X300\n\nThe X300 weighs 3.8 kg. The X300 runs for 150 minutes.\n"})
    assert_abstains(products, "How loud is the X300?")
    assert_answers(products, ("How heavy is the X300?", "3.8 kg"))
    louder = _asked_of(make_kb, {"x300.md": "# X300\n\nThe X300 weighs 3.8 kg. The X300 runs at 58 dB.\n"})
    assert_answers(louder, ("How loud is the X300?", "58 dB"))


def test_a_price_question_is_abstained_on_where_no_statement_gives_a_sum(make_kb):
    """"How much does a water softener cost?" of a utility's notes was answered "Many customers choose not to use a
    water softener." (a tune trust corpus): a price is answered by a sum of money, a price list's number, or
    "free". A share ("How much of ...") or a change ("How much did prices rise?") is no price."""
    notes = ("Water hardness\n\nOur water is moderately hard. Many customers choose not to use a water softener.\n\n"
             "Repairs\n\nThe Route 9 main broke in March. Direct repair costs were $186,000, including overtime. "
             "After 8 weeks of work the road reopened.\n\nFees\n\n| Service | Price |\n|---|---|\n"
             "| Meter test | 45.00 |\n\nLeak checks cost nothing for residents.\n")
    kb = _asked_of(make_kb, {"notes.md": notes})
    assert_abstains(kb, "How much does a water softener cost?")
    assert_answers(kb, ("How much did the repairs cost?", "$186,000"), ("How much does a meter test cost?", "45.00"),
                   ("How much do residents pay for a leak check?", "nothing"))
    for question in ("What is the annual fee?", "What was the capital budget for fiscal year 2021?",
                     "How much is an engineer paid for the week?", "For how much was the stake sold?",
                     "What did the Business plan cost per user before the price update?",
                     "What did the North Plant UV project end up costing?",
                     # "How much is" a thing asks what it costs: a parking permit, a guided package, a fortune.
                     "How much is parking at Kessler Annex?", "How much is the guided onboarding package?",
                     "How much was the combined wealth of the ten richest families in 2008?",
                     # a bid, a tuition, an allowance asked "what was the ...": a sum
                     "What was the lowest bid for the Hilltop Station pump repairs?",
                     "What is the tuition for part-time students?"):
        assert expected_type(question) == (AnswerType.QUANTITY, "money"), question
    # Other amounts, found answered right before a looser pattern abstained on them (a user-style hunt): a share,
    # a change, a noun after "how much", a deficit or a growth rate.
    for question in ("How much of the budget went to repairs?", "How much did prices rise?",
                     "How much did nurses' pay increase?", "How much time do employees spend in meetings?",
                     "How much oil does Russia sell to India?", "What is the rent increase cap?",
                     "What is the budget deficit of France?", "What is the cost of living index?",
                     "What did the war cost the empire in lives?",
                     # "How much is" an action done asks an amount: distributed, known, left.
                     "How much is terra preta distributed over the Amazon forest?", "How much is known about it?",
                     "How much is left?"):
        assert expected_type(question)[1] is None, question
    kb_parking = _asked_of(make_kb, {"campus.md": "# Offices\n\nOffice: Kessler Annex B05.\n\nRoom: Kessler Annex "
                                                   "B07.\n"})
    assert_abstains(kb_parking, "How much is parking at Kessler Annex?")  # a room number is no price
    money = [supplies(t, AnswerType.QUANTITY, set(), "money") for t in (
        "Francovich could claim 6 million Lira.", "It costs 300 JPY.", "The fee is 40 per month.", "Entry is free.",
        "A day ticket costs five euros.", "The notebook costs $1999.", "They paid 75 bitcoin.",
        "After 8 weeks you shadow a full on-call week.", "The birth rate was 12 per 1,000.",
        "Chief executive Mark Hansen, 54, said so.", "Price scored from a free kick.", "Police filed charges against 12 men.")]
    assert money == [True] * 7 + [False] * 5


def test_an_age_question_is_abstained_on_where_no_statement_gives_a_number_of_years(make_kb):
    """"How old is Ruth Okafor?" of a team page was answered "Ruth Okafor joined the museum in 2011 ..." (the museum's
    questions, tests/data/trust_people), as a price without a sum: an age is a number, and a year is none."""
    page = ("# Team\n\nRuth Okafor joined the museum in 2011 as an assistant curator and was appointed Head of "
            "Collections in 2018.\n\nBella, the museum's cat, is three years old and sleeps in the shop.\n")
    kb = _asked_of(make_kb, {"team.md": page})
    assert_abstains(kb, "How old is Ruth Okafor?")
    assert_answers(kb, ("How old is Bella?", "three years old"))
    assert expected_type("How old most a person be to apply?") == (AnswerType.QUANTITY, "age")
    ages = [supplies(t, AnswerType.QUANTITY, set(), "age") for t in (
        "Members must be over the age of 18.", "Bella is a three-year-old beagle.", "They are 3.2 billion years old.",
        "She joined in 2011 and was promoted in 2018.", "He fought in World War II.")]
    assert ages == [True] * 3 + [False] * 2


def test_a_how_many_question_is_abstained_on_where_no_statement_gives_a_count(make_kb):
    """"How many emails in total has the Wind of Change sent to Osechkin?" (a tune seed question the articles do not
    answer) was quoted "The email, dated March 17, was sent by the agent ..." at 0.48, and "How many Soviet troops
    landed on the four northern islands ...?" the sentence saying they occupied the four islands at 0.98: a count is
    answered by a number the question does not state, as a price by a sum. "How many" in a clause before the question
    ("Since NASA didn't know how many ..., what did they use?") asks nothing of the kind."""
    story = ("The agent sent an email, dated March 17, to the activist in France. Soviet troops landed on the four "
             "northern islands after the surrender. The agency did not know how many tests each rocket would need, so "
             "letters were used instead of numbers for the trials.\n")
    kb = _asked_of(make_kb, {"story.txt": story})
    assert_abstains(kb, "How many emails has the agent sent to the activist?",
                    "How many Soviet troops landed on the four northern islands?")
    assert_answers(kb, ("Since the agency did not know how many tests each rocket would need, what was used instead "
                        "of numbers for the trials?", "letters"))
    kb = make_kb({"story.txt": story, "count.txt": "In all, the agent has sent twelve emails to the activist.\n"},
                 abstain_threshold=0.0)
    kb.build(full=True)
    assert_answers(kb, ("How many emails has the agent sent to the activist?", "twelve"))
    assert asks_count("In 1945, how many troops landed?") and not asks_count("Since nobody knew how many, what was used?")


def test_a_when_is_answered_by_a_date_or_a_word_of_time(make_kb):
    """"When is the first Route 12 bus?" was answered at 0.92 with "Route 12 serves the airport.", and "When did Jane
    Doe join the Gazette?" with "Jane Doe covers transport and city hall for the Gazette." (trust corpora, tune): a
    statement with no date and no word of time says nothing of when. A time, a period or a condition does ("at 6:15
    am", "on weekdays from 8am to 6pm", "under intense light"); "When ..., what ...?" asks what."""
    from kb.answer_types import asks_when, speaks_of_time

    kb = _asked_of(make_kb, {
        "routes.txt": "Route 12 serves the airport.\n",
        "timetable.txt": "Timetable\n\nThe first Route 14 bus leaves Central Station at 6:15 am.\n",
        "staff.txt": "Jane Doe covers transport and city hall for the Gazette.\n",
        "cells.txt": "Under intense light, chloroplasts align in vertical columns along the cell wall.\n"})
    assert_abstains(kb, "When is the first Route 12 bus?", "When did Jane Doe join the Gazette?")
    assert_answers(kb, ("When is the first Route 14 bus?", "6:15"),
                   ("When do chloroplasts align in vertical columns?", "intense light"))
    assert asks_when("When did she join?") and not asks_when("When people take on debt, what does it lead to?")
    assert speaks_of_time("Phone support is available on weekdays from 8am to 6pm.")
    assert speaks_of_time("The library opens at 9 and closes at 17.30.") and not speaks_of_time("It seats 9 people.")
    assert speaks_of_time("Some members emigrated in the 1890s.") and not speaks_of_time("Route 12 serves the airport.")
    # "after 4.0" names a version, not a time ("When did version 4.1 ship?", tests/data/trust_software); "after 4.30"
    # is a clock's time.
    assert not speaks_of_time("Version 4.1 is a smaller release focused on the feedback we received after 4.0.")
    assert speaks_of_time("The office reopens after 4.30.") and speaks_of_time("It shipped after 2019.")
    versions = _asked_of(make_kb, {"notes.md": "# Release notes\n\nVersion 4.1 is a smaller release focused on the "
                                               "feedback we received after 4.0.\n"})
    assert_abstains(versions, "When did version 4.1 ship?")
    # When something was done is no timetable: opening hours do not say when the office was built (tests/data/
    # trust_utility); a range of years, a day or "every Sunday until 1685" still do.
    hours = "It is open Monday through Friday, 8:00 a.m. to 5:00 p.m."
    assert speaks_of_time(hours) and not speaks_of_time(hours, past=True)
    for said in ("They fought intermittently from 1562 to 1598.", "It opened on a Monday.",
                 "They met every Sunday until 1685.", "The attack began at 5:30 a.m."):
        assert speaks_of_time(said, past=True), said
    from paths import ROOT

    name = "offices_and_hours.md"
    offices = {name: (ROOT / "tests" / "data" / "trust_utility" / name).read_text(encoding="utf-8")}
    assert_abstains(_asked_of(make_kb, offices), "When was the Main Office building on Canal Street built?")


def test_a_measure_or_a_sum_is_no_count(make_kb):
    """"How many Siberian divisions did Stalin transfer to the defence of Moscow?" (news2, tune) was quoted "... about
    ten weeks after the signing, and that winter Stalin could move divisions from Siberia ..." at 0.96: ten weeks say
    how long, not how many divisions. A count is a number that measures nothing else, unless the question counts the
    unit ("How many days after ...?" -> "one day after") or a share ("How many of the richest 400 ...?" -> "over 60
    percent")."""
    from kb.answer_types import states_count

    divisions = "How many Siberian divisions did Stalin transfer?"
    assert not states_count("About ten weeks later, Stalin could move divisions from Siberia.", divisions, set())
    assert states_count("Stalin moved 18 divisions from Siberia.", divisions, set())
    assert states_count("Stalin moved nine divisions, ten weeks later.", divisions, set())
    # A number that counts another thing the question names counts nothing asked (tests/data/trust_software): not a
    # share's ("how many of the electorate" -> "40% of the total electorate").
    tries = "Since the 4.2 release, how many times will the system try to deliver a webhook event?"
    assert not states_count("In total 2,716 webhook events failed after their retries.", tries, {"4.2"})
    assert states_count("Webhooks are now attempted up to 8 times.", tries, {"4.2"})
    assert states_count("It was 40% of the total electorate.", "How many of the electorate would need to vote?", set())
    # A code the question states is its own, however the text writes its letters: "Room C105" counts no one.
    seats = "How many people does Room C105 seat?"
    assert not states_count("Room C105 is a quiet study room.", seats, {"people", "room", "c105", "seat"})
    assert states_count("Room C105 seats 8 people.", seats, {"people", "room", "c105", "seat"})
    bidders = "How many companies bid on the Elm Street project?"
    assert not states_count("The lowest bid was $2.31 million, for 6,800 feet of main laid in 2023.", bidders, set())
    assert states_count("Four companies bid.", bidders, set())
    assert states_count("It came one day after the flight.", "How many days after the flight did they meet?", set())
    assert states_count("It holds about 90,790 tonnes of plants.", "How many tons of plants does it hold?", set())
    assert states_count("Over 60 percent grew up in privilege.", "How many of the richest 400 grew up in privilege?",
                        {"400"})
    assert not states_count("Over 60 percent grew up in privilege.", "How many heirs grew up in privilege?", set())
    assert not states_count("The 400 richest grew up in privilege.", "How many of the richest 400 did?", {"400"})
    story = ("The pact was signed in April 1941. About ten weeks later Germany invaded, and that winter Stalin could "
             "move divisions from Siberia to the defence of Moscow.\n")
    assert_abstains(_asked_of(make_kb, {"pact.txt": story}), divisions.replace("transfer?", "move from Siberia?"))
    kb = _asked_of(make_kb, {"pact.txt": story.replace("move divisions", "move nine divisions")})
    assert_answers(kb, (divisions.replace("transfer?", "move from Siberia?"), "nine divisions"))


def test_a_person_asked_for_by_their_post_is_answered_by_a_name_or_abstained_on(make_kb):
    """"Which lawmaker questioned Yoshimasa Hayashi during the National Diet debate ...?" (a tune seed question the
    articles do not answer) was quoted "During a debate in the National Diet (Parliament), he termed the region ..."
    at 0.85, and "Which Newsweek reporter wrote the story?" a sentence naming no one at 0.80: a person asked for by
    their post is answered by a name. "Who" alone is not such a question (SQuAD answers it with groups as often), nor
    a post that is a thing's name ("the password manager") or a possessive ("Which president's administration")."""
    story = ("During a debate in the National Diet, the foreign minister termed the islands Japanese territory. "
             "The report was published by the magazine Newsweek in November.\n\n"
             "Senator Maria Lopez questioned the minister about the budget during the hearing.\n")
    kb = _asked_of(make_kb, {"story.txt": story})
    assert_abstains(kb, "Which lawmaker questioned the foreign minister during the National Diet debate?",
                    "Which Newsweek reporter wrote the report?")
    assert_answers(kb, ("Which senator questioned the minister about the budget?", "Maria Lopez"))
    for question in ("Which Newsweek reporter wrote the story?", "What German poet was descended from Huguenots?",
                     "What is the name of the U.S. president who doubted it?", "Under which leader did they fight?",
                     "Who was the secondary on-call engineer during the outage?", "In 1950, which Chinese vice-premier came?"):
        assert asks_person_by_role(question), question
    for question in ("Who voted against the budget?", "What official language is spoken there?",
                     "What's the name of the password manager the company gives us?", "What year did the king die?",
                     "Which president's administration began the program?", "Since the minister resigned, what changed?"):
        assert not asks_person_by_role(question), question
    # Who leads, runs or owns something is someone with a name: "Who manages the Red team?" was quoted "The Red team
    # handles retail partners." at 0.93 (tests/data/trust_siblings).
    teams = {"teams.txt": "The Red team handles retail partners. It meets on Mondays in room 4.\n"}
    assert_abstains(_asked_of(make_kb, teams), "Who manages the Red team?")
    assert_answers(_asked_of(make_kb, {**teams, "staff.txt": "Maria Lopez manages the Red team.\n"}),
                   ("Who manages the Red team?", "Maria Lopez"))
    assert asks_who_leads("Who led the expedition?") and not asks_who_leads("Who does the pay gap favour?")
    # Who was given something to do is named too; a month, a weekday, a code with digits
    # or a common word opening a sentence names no one ("Who led the response to the March 2024 incident?" was quoted
    # "Date of incident: Wednesday 6 March 2024 (PM-2024-03)"; tests/data/trust_software).
    assert asks_who_leads("Who was given the task of splitting the files?") and asks_who_leads("Who was assigned it?")
    assert not asks_who_leads("Who signed the report?")  # "the auditors signed the report"
    incident = {"incident.md": "# Webhook outage\n\nDate of incident: Wednesday 6 March 2024 (PM-2024-03).\n\n"
                               "Split the staging and production values files for all services.\n"}
    assert_abstains(_asked_of(make_kb, incident), "Who led the response to the webhook outage?",
                    "Who was given the task of splitting the staging and production values files?")
    assert_answers(_asked_of(make_kb, {**incident, "actions.md": "Dmitri Halloran will split the staging and "
                                                                 "production values files.\n"}),
                   ("Who was given the task of splitting the staging and production values files?", "Dmitri Halloran"))
    # A name that opens the sentence is a name though the vocabulary holds it as a word, where the files write it with
    # its capital inside a sentence too ("Split" above is not).
    battle = "Napoleon commanded the army at Austerlitz. The victory made Napoleon master of central Europe.\n"
    assert_answers(_asked_of(make_kb, {"battle.txt": battle}), ("Who commanded the army at Austerlitz?", "Napoleon"))
    # A name as the rule reads one: with initials, hyphens or an apostrophe, after titles; not an organization's.
    names = [names_in_full(t, frozenset({"harvard"}), loose=True) for t in (
        "G. H. Hardy took pride in it.", "General Ban Ki-moon studied there.", "Conan O'Brien went to Harvard.",
        "NASA Deputy Administrator Hugh L. Dryden announced it.", "The U.S. Navy sailed.", "Euler proved it.",
        "US magazine Newsweek reported it.", "The Harvard Crimson Society met.")]
    assert names == [True] * 4 + [False] * 4


def test_an_organisation_or_a_place_asked_for_by_its_kind_is_answered_by_a_name(make_kb):
    """As a person asked for by their post: an organisation or a place asked for by its kind, and a name asked for
    in a language, are answered by a name."""
    # An organisation: "Which contractor will install the corrosion protection on
    # the Route 9 main?" was quoted "Install corrosion protection on the remaining 1.4 miles of the Route 9
    # transmission main by June 2024." at 0.97 (tests/data/trust_utility).
    works = {"plan.txt": "Install corrosion protection on the remaining 1.4 miles of the Route 9 main by June 2024.\n"}
    assert_abstains(_asked_of(make_kb, works), "Which contractor will install the corrosion protection on the Route 9 "
                                               "main?")
    works["award.txt"] = "Halvorsen Pipe & Excavation will install the corrosion protection on the Route 9 main.\n"
    assert_answers(_asked_of(make_kb, works), ("Which contractor will install the corrosion protection on the Route 9 "
                                               "main?", "Halvorsen"))
    assert not asks_named_by_kind("Which contract did the board approve?")
    # A place the same way, and a company's "Ltd." names nothing new ("Japan Luggage Express Ltd." was quoted at 0.69
    # for the city it is headquartered in, a tune seed question the articles do not answer).
    banner = {"banner.txt": "Japan Luggage Express Ltd.\n\nWe carry luggage between airports and hotels.\n"}
    assert_abstains(_asked_of(make_kb, banner), "In which city is Japan Luggage Express headquartered?")
    assert asks_named_by_kind("In which city is it headquartered?") and asks_named_by_kind("Which river ...?")
    # One word may stand before the kind: "Which identity providers did we test SAML single sign-on with?" was quoted
    # "... we have tested with the three most common ones." at 0.96 (tests/data/trust_software); no auxiliary does.
    sso = {"sso.txt": "Supported identity providers include any SAML 2.0 provider; we have tested with the three most "
                      "common ones.\n"}
    assert_abstains(_asked_of(make_kb, sso), "Which identity providers did we test SAML single sign-on with?")
    sso["sso.txt"] += "\nWe tested SAML single sign-on with Okta, Entra ID and Keycloak.\n"
    assert_answers(_asked_of(make_kb, sso), ("Which identity providers did we test SAML single sign-on with?", "Okta"))
    assert asks_named_by_kind("What other countries joined?") and asks_named_by_kind("Which customer reported it?")
    assert not asks_named_by_kind("What does state law say?") and not asks_named_by_kind("What is the city like?")
    # A kind someone has: "What was Marcus Adeyemi's previous employer?" was quoted "Marcus Adeyemi reported that
    # energy costs were 12% below budget ..." at 0.39 (tests/data/trust_people, tune); his own name, possessive in the
    # question, names no one new.
    minutes = {"minutes.txt": "Marcus Adeyemi reported that energy costs were 12% below budget following the roof "
                              "insulation work.\n"}
    assert_abstains(_asked_of(make_kb, minutes), "What was Marcus Adeyemi's previous employer?")
    minutes["bio.txt"] = "Before the museum, Marcus Adeyemi worked for Harland Water Trust as its finance officer.\n"
    assert_answers(_asked_of(make_kb, minutes), ("What was Marcus Adeyemi's previous employer?", "Harland"))
    assert asks_named_by_kind("What was Marcus Adeyemi's previous employer?")
    assert asks_named_by_kind("What is the country's capital city?")
    assert not asks_named_by_kind("What is the city's largest state park?")  # a park, whatever state it is in
    assert not asks_named_by_kind("What were the company's profits?")
    # A name asked for in a language is that name: the sentence saying a Russian name will be given is no answer to
    # which Russian name (three wordings of a tune seed question the articles do not answer, quoted at up to 0.99).
    kurils = {"kurils.txt": "Moscow responded saying that it would give a Russian name to the Kuril Islands.\n"}
    kb = _asked_of(make_kb, kurils)
    assert_abstains(kb, "What Russian name did Moscow say it would give the Kuril Islands?")
    assert_answers(kb, ("What name does Moscow say it will give the Kuril Islands?", "a Russian name"))
    kurils["kurils.txt"] = kurils["kurils.txt"].replace("a Russian name", "the Russian name Zelyony Khrebet")
    assert_answers(_asked_of(make_kb, kurils),
                   ("What Russian name did Moscow say it would give the Kuril Islands?", "Zelyony Khrebet"))


def test_a_surname_spelled_otherwise_counts_only_beside_the_same_given_name():
    from kb.answer.grounding import with_respelled_surnames

    def respelled(text: str, given: str, surname: str) -> bool:
        return surname in with_respelled_surnames(frozenset(words(text.lower())), [(given, surname)])

    assert respelled("Christo Grochev, an FSB expert, analyzed it.", "christo", "grozev")
    assert respelled("Vladimir Ozekin runs Gulagu.net.", "vladimir", "osechkin")
    assert not respelled("Grochev analyzed it.", "christo", "grozev")  # no given name: another Grochev may be meant
    assert not respelled("Vladimir Pushkin wrote it.", "vladimir", "putin")
    assert not respelled("Mark Jansen joined in 2019.", "mark", "hansen")  # another first letter: another person


def test_a_source_the_question_names_must_be_in_the_cited_document(make_kb):
    """"On what date did Japan surrender to the Allies, according to the fact-check?" asked of news without the
    fact check (tests/data/trust_news2) quoted a history of the neutrality pact: what a question says its answer
    comes from, a document that never mentions it cannot say. Words for the documents themselves or a part of them
    ("according to the report", "per a related headline") name no other source."""
    history = ("Japan announced its surrender to the Allies on August 15, 1945. The Soviet Union had declared war on "
               "Japan a week earlier.\n")
    kb = _asked_of(make_kb, {"history.txt": history})
    assert_abstains(kb, "On what date did Japan surrender to the Allies, according to the fact-check?",
                    "How does the whistleblower describe the date of Japan's surrender?")
    assert_answers(kb, ("On what date did Japan surrender to the Allies, according to the report?", "August 15"))
    kb = make_kb({"history.txt": history, "check.txt": "This fact check looks at the rumour. Japan announced its "
                                                      "surrender to the Allies on August 15, 1945.\n"},
                 abstain_threshold=0.0)
    kb.build(full=True)
    assert_answers(kb, ("On what date did Japan surrender to the Allies, according to the fact-check?", "August 15"))
    assert attributed_sources("Which missile, per a related headline, was tested?") == ()
    assert attributed_sources("What does the letter say, according to the FSB agent?") == (("letter",), ("agent",))
    assert attributed_sources("What does Zaini Majeed's report say, according to Newsweek?") == ()  # names: their own check


def test_a_when_question_is_not_answered_with_the_date_it_states_itself(make_kb):
    """"When is the engineering leads meeting after the one on 28 May 2024?" of notes whose last line is "Next
    meeting: Tue 28 May 2024." was answered with that line at 0.89: its only date is the question's own. A
    statement with a date the question does not state still answers."""
    notes = ("Engineering leads meeting, 14 May 2024\n\nAttendees: the platform, mobile and data leads.\n\n"
             "The code freeze for 4.3 moves to 17 June.\n\nThe old release train was used in the 19th century of "
             "software, the leads joked.\n\nNext meeting: Tue 28 May 2024.\n")
    kb = _asked_of(make_kb, {"notes.md": notes})
    assert_abstains(kb, "When is the engineering leads meeting after the one on 28 May 2024?")
    assert_answers(kb, ("When is the code freeze for 4.3 after the leads meeting of 14 May 2024?", "17 June"),
                   # "century" in both is no echo: "19th" is the answer (a held-out SQuAD question found it)
                   ("In what century of software was the old release train used?", "19th century"))


def test_a_statement_about_another_year_does_not_answer_a_question_about_this_one(make_kb):
    """"What was revenue in 2020?" was answered "Revenue in 2021 was 4.1 million euros." at 0.55, and a question about
    the Graz plant in 2021 with its 2023 figure at 0.9: a statement of another year, with the question's year
    nowhere around it, is about something else. The question's year in a neighbour keeps the statement."""
    kb = make_kb({"fin.txt": "Finance Summary\n\nRevenue in 2021 was 4.1 million euros.\nRevenue in 2023 was 5.6 "
                             "million euros.\n",
                  "report.txt": "Safety Report\n\nThe Graz plant recorded 3 incidents in 2023.\nThe Linz plant "
                                "recorded no incidents at all.\n",
                  "drought.txt": "Drought Notes\n\nIn 2010 the basin had a severe drought. The affected region "
                                 "was 1,160,000 square miles, compared to 734,000 square miles in 2005.\n"},
                 abstain_threshold=0.0)
    kb.build()
    assert_abstains(kb, "What was revenue in 2020?", "How many incidents did the Graz plant record in 2021?")
    assert_answers(kb, ("What was revenue in 2021?", "4.1 million"),
                   ("How many incidents did the Graz plant record in 2023?", "3 incidents"),
                   ("How many square miles were affected by the 2010 drought?", "1,160,000"))
    # A year named by what it is the year of: "fiscal year 2021" is not answered by "the Fiscal Year 2022 budget",
    # though the statement dates it June 14, 2021 (tests/data/trust_utility, tune).
    from kb.answer_types import labelled_years, labels_another_year

    budget = make_kb({"budget.txt": "Budget\n\nThe Board adopted the Fiscal Year 2022 budget on June 14, 2021, "
                                    "with a water rate of $4.10 per unit.\n"}, abstain_threshold=0.0)
    budget.build()
    assert_abstains(budget, "What was the water rate in fiscal year 2021?")
    assert_answers(budget, ("What was the water rate in fiscal year 2022?", "$4.10"))
    assert labelled_years("the 2022 budget of fiscal year 2022, adopted in June 2021") == {("budget", "2022"),
                                                                                         ("year", "2022")}
    assert not labels_another_year(labelled_years("What was revenue in 2020?"), "Revenue in 2021 was 4.1 million.")


def test_a_document_that_never_states_the_year_asked_about_does_not_answer_it(make_kb):
    """"How long was Route 9 closed during the 2021 main break?" of a report on the 2023 break was answered "31 hours"
    at 0.88, and "fiscal year 2024" with the 2022 budget. A document states a year as such, by its decade ("the
    1980s") or run into a label ("FY2023")."""
    kb = make_kb({"incident.txt": "Route 9 main break\n\nOn October 17, 2023, a transmission main failed at Route 9. "
                                  "Route 9 was closed to traffic for 31 hours.\n",
                  "history.txt": "Rail history\n\nIn the 1980s the line carried coal. Ridership grew by a third.\n",
                  "plan.txt": "Capital plan\n\nThe FY2023 plan funds 118 positions.\n"}, abstain_threshold=0.0)
    kb.build()
    assert kb.ask("How long was Route 9 closed during the 2021 main break?").abstained
    assert "31 hours" in kb.ask("How long was Route 9 closed during the 2023 main break?").answer
    assert "coal" in kb.ask("What did the line carry in 1985?").answer
    assert "118" in kb.ask("How many positions does the 2023 plan fund?").answer


def test_a_document_that_never_states_the_number_asked_about_does_not_answer_it(make_kb):
    """"When was Ferrypoint 3.0 released?" was answered with the 4.0 release notes' date at 0.58: a version, figure or
    count the question names that the cited document never states means the document is about something else. A
    number counts as written with separators or an ordinal ending, or spelled out."""
    kb = make_kb({"notes-4.0.md": "# Ferrypoint 4.0 release notes\n\nRelease date: 12 September 2023\n\nFerrypoint "
                                  "4.0 adds route optimisation for teams of 10,000 drivers.\n",
                  "bio.txt": "Plant notes\n\nUnstable six-carbon molecules become three-carbon sugars.\n"},
                 abstain_threshold=0.0)
    kb.build()
    assert_abstains(kb, "When was Ferrypoint 3.0 released?", "On what date was Ferrypoint 4.2 released?")
    assert_answers(kb, ("When was Ferrypoint 4.0 released?", "12 September 2023"),
                   ("What does Ferrypoint 4.0 add for teams of 10000 drivers?", "route optimisation"),
                   ("What do unstable 6-carbon molecules become?", "three-carbon"))
    # Only a number standing as a word of the question counts; a document's counts however it is written.
    from kb.answer_types import asked_numbers, numbers
    assert asked_numbers('Where is it? <img src=x onerror="window.x=5">') == frozenset()
    assert asked_numbers("Is 1,3 or 10,000 the 3rd figure for version 4.2 in 2023?") == {"1", "3", "10000", "4.2"}
    assert {"4.2", "5", "28", "10000"} <= numbers("Ferrypoint v4.2 covers 5km on the 28th for 10,000 drivers.")


def test_a_document_that_never_states_the_month_asked_about_does_not_answer_it(make_kb):
    """"How many webhook events failed during the customer load test on 2 May?" was answered with the March outage's
    total at 0.90 from its postmortem, which never says May. A month is stated by its name, a short form, or in a
    numeric date with its year ("published 13/03/2024")."""
    kb = make_kb({"postmortem.md": "# Webhook outage postmortem\n\nOn the morning of 6 March, outbound webhooks "
                                   "stopped.\n\nIn total 2,716 webhook events failed after exhausting their "
                                   "retries.\n",
                  "audit.md": "# Access audit\n\nStatus: final, signed off 14/11/2024.\n\nThe audit found 12 "
                              "dormant administrator accounts.\n",
                  "calendar.md": "# Board calendar\n\nThe board meets in July and in November.\n"},
                 abstain_threshold=0.0)
    kb.build()
    assert_abstains(kb, "How many webhook events failed during the customer load test on 2 May?",
                    "How many dormant administrator accounts did the audit of July 2024 find?")
    assert_answers(kb, ("How many webhook events failed during the outage in March?", "2,716"),
                   ("How many dormant administrator accounts did the November 2024 audit find?", "12"))
    from kb.answer.grounding import document_words
    assert {"march", "april"} <= document_words("Filed 03/04/2024; fixed 2024-07-01.") and "july" in document_words(
        "fixed 2024-07-01") and "may" not in document_words("version 1.5.2024a and 15:05")


def test_a_name_only_compared_with_is_not_what_the_statement_is_about(make_kb):
    """"How many crew members did the Sandpiper have?" was answered "The ship carries eight crew ..., twice as many as
    the Sandpiper could take." at 0.93: what something else is measured against is not what a statement says of it.
    A statement that does not name the asked one ("Unlike the Red Line, it runs ..." for the Blue Line) is not set
    aside by this, nor a comparison the question asks for."""
    kb = make_kb({"vessel.md": "# New research vessel\n\nThe department welcomed its new research vessel, the "
                               "Northern Tern, in March. The ship carries eight crew and up to eighteen students, twice "
                               "as many as the Sandpiper could take.\n\nThe Sandpiper was retired after thirty "
                               "years of service.\n",
                  "metro.md": "# Metro lines\n\n## Blue Line\n\nThe Blue Line runs from Harwick to the airport. "
                              "Unlike the Red Line, it runs every 10 minutes all day.\n"}, abstain_threshold=0.0)
    kb.build()
    assert_abstains(kb, "How many crew members did the Sandpiper have?")
    assert_answers(kb, ("How many crew members does the Northern Tern carry?", "eight crew"),
                   ("How often does the Blue Line run?", "every 10 minutes"),
                   ("How many more students than the Sandpiper can the Northern Tern take?", "twice"))


def test_a_contact_detail_asked_for_is_answered_by_one_or_not_at_all(make_kb):
    """"What is Wen Jie Thornbury's email address?" was answered "Payroll and expenses: Wen Jie Thornbury" at 0.82,
    and "What extension do I dial to reach the QA lead?" with how to dial an extension: an email address, a phone
    number or an extension asked for is answered by one, or kb abstains."""
    from kb.answer_types import asked_contact

    kb = make_kb({"contacts.md": "# Contacts\n\n- Payroll and expenses: Wen Jie Thornbury\n- QA lead: Omar Haddad\n\n"
                                 "Desk phones use four-digit dialling: dial the switchboard and then the extension.\n",
                  "desk.md": "# Service desk\n\nThe service desk manager is Ines Barros, extension 4410, "
                             "ines.barros@example.com.\n\nThe night line is (555) 230-4999.\n"},
                 abstain_threshold=0.0)
    kb.build()
    assert_abstains(kb, "What is Wen Jie Thornbury's email address?", "What extension do I dial to reach the QA lead?",
                     "What is Omar Haddad's phone number?")
    assert "ines.barros@example.com" in kb.ask("What is Ines Barros's email address?").answer
    assert "4410" in kb.ask("What is the service desk manager's extension?").answer
    assert "230-4999" in kb.ask("What is the night line's phone number?").answer
    # A web address the same way ("What's the web address of the anti-corruption site that Osechkin runs?", a tune seed
    # question, was quoted "... who runs the anti-corruption website, and is now exiled in France." at 0.71 of the
    # seeds without the one that gives it).
    sites = {"site.md": "# Sites\n\nThe activist runs an anti-corruption website and lives in exile in France.\n"}
    assert_abstains(_asked_of(make_kb, sites), "What's the web address of the anti-corruption site the activist runs?")
    sites["site.md"] = sites["site.md"].replace("website", "website, Gulagu.net,")
    assert_answers(_asked_of(make_kb, sites),
                   ("What's the web address of the anti-corruption site the activist runs?", "Gulagu.net"))
    assert asked_contact("What is the URL of the booking portal?") == "web address"
    assert asked_contact("What website does he run?") is None  # a site's name answers that too
    assert asked_contact("Which domain do chloroplasts belong to?") is None  # a domain of life is no address
    # A code of a kind that has digits the same way: "What is the course code for Dr. Carvalho's new waves course?" was
    # quoted "She will teach a new undergraduate course on waves and tides beginning in the fall of 2026." at 0.81
    # (tests/data/trust_university); a year is no code.
    courses = {"news.md": "# News\n\nDr. Carvalho will teach a new undergraduate course on waves and tides beginning "
                          "in the fall of 2026.\n"}
    assert_abstains(_asked_of(make_kb, courses), "What is the course code for Dr. Carvalho's new waves course?")
    courses["news.md"] = courses["news.md"].replace("tides", "tides (MGS 245)")
    assert_answers(_asked_of(make_kb, courses), ("What is the course code for Dr. Carvalho's new waves course?",
                                                 "MGS 245"))
    assert asked_contact("What's the door code for the third-floor entrance?") == "code"
    for concept in ("What is the genetic code?", "What code name was the insider given?", "What is the dress code?"):
        assert asked_contact(concept) is None, concept
    # A version asked for is a code too, and one the question states is not it: "What was the oldest Android version
    # Ferrypoint Field supported as of the 4.0 release?" was quoted "Ferrypoint 4.0 is the largest update since we
    # launched the product." at 0.76 (tests/data/trust_software). "Version 4.2" names one; "which version of" a text
    # has none.
    notes = {"notes.md": "# Release notes\n\nFerrypoint 4.0 is the largest update since we launched Ferrypoint Field "
                         "on Android.\n"}
    asked = "What was the oldest Android version Ferrypoint Field supported as of the 4.0 release?"
    assert_abstains(_asked_of(make_kb, notes), asked)
    notes["notes.md"] += "\nAs of 4.0, Ferrypoint Field supports Android 9 and later.\n"
    assert_answers(_asked_of(make_kb, notes), (asked, "Android 9"))
    assert asked_contact("Which iOS version does the field app need?") == "code"
    for named in ("What did version 4.2 introduce?", "Which version of the Bible did he translate?"):
        assert asked_contact(named) is None, named
    # Only a question asking what the detail is: an FAQ's "How can I update my phone number?" asks for steps (the
    # rule's first form read every question naming a phone number or an email address, and an FAQ benchmark's
    # right answers fell from 0.98 to 0.74).
    for steps in ("How can I update my phone number?", "Where do I find my email address?",
                  "What happens if I change my email address?", "Who can see my phone number?",
                  "What did the whistleblower's email say?"):
        assert asked_contact(steps) is None, steps


def test_a_year_of_the_next_century_is_a_year():
    """"By what year ...?" of a climate model is answered "by 2100": the year pattern once stopped at 2099."""
    kind, detail = expected_type("By what year would the forest be lost?")
    assert (kind, detail) == (AnswerType.DATE, "year")
    assert supplies("The model shows the forest could be lost by 2100.", kind, {"forest", "lost"}, detail)
    assert not supplies("The model shows the forest could be lost.", kind, {"forest", "lost"}, detail)


def test_novelty_heading_and_length():
    text = "Kuril Islands\n\nThe Kuril Islands were seized by the Soviet Union in 1945."
    f = _features("Who seized the Kuril Islands?", [_passage(text)], ["seized", "kuril", "islands"])
    heading, body = f["Kuril Islands"], f["The Kuril Islands were seized by the Soviet Union in 1945."]
    assert heading["heading"] == 1.0 and body["heading"] == 0.0
    assert heading["novelty"] == 0.0 and body["novelty"] > 0.4  # the body adds "soviet union 1945"
    assert body["log_words"] > heading["log_words"]


def test_a_list_item_and_a_labelled_value_are_statements_not_headings():
    """Notes state their facts without a full stop: an item of a list, or a short label with its value, is no
    heading. A headline with a colon keeps a long part before it and stays one."""
    text = ("Office info\n\n- Reception opens at 8 am\nWi-Fi password: tulip-4471\n2. Parking: level B2\n\n"
            "1. Introduction\n\nRussia Planned To Attack Japan: FSB")
    f = _features("When does reception open?", [_passage(text)], ["reception", "open"])
    assert f["Office info"]["heading"] == 1.0 and f["1. Introduction"]["heading"] == 1.0
    assert f["- Reception opens at 8 am"]["heading"] == 0.0  # plain text keeps the bullet
    assert f["Wi-Fi password: tulip-4471"]["heading"] == 0.0 and f["2. Parking: level B2"]["heading"] == 0.0
    assert f["Russia Planned To Attack Japan: FSB"]["heading"] == 1.0
    title = "Incident Report: Water Main Break at Route 9 and Miller Road"  # a long value: a title, not a label's value
    g = _features("What caused the main break?", [_passage(f"{title}\n\nThe pipe was corroded.")], ["caused", "break"])
    assert g[title]["heading"] == 1.0
    from kb.answer.features import list_item  # a Markdown item is stored without its bullet: the line says it
    start = text.index("Reception")
    item = Sentence(start, start + 23, "Reception opens at 8 am")
    assert text[item.start:item.end] == item.text and list_item(_passage(text), item)
    assert not list_item(_passage(text), Sentence(0, 11, "Office info"))


def test_a_markdown_heading_is_a_heading_whatever_its_words(make_kb):
    """"## Cost: $186,000 in repairs" reads like a label and its value, but the file marks it a heading; and "What
    caused the Route 9 main break?" was answered with the report's title, a label-like line."""
    report = ("# Incident Report: Water Main Break at Route 9 and Miller Road\n\n## Summary\n\nAt 4:38 a.m. on "
              "October 17, 2023, a 16-inch transmission main failed at Route 9 and Miller Road.\n\n## Cause\n\nThe "
              "pipe was installed in 1978. Inspection of the failed section found external corrosion caused by "
              "corrosive soil.\n")
    kb = _asked_of(make_kb, {"incident.md": report})
    answer = kb.ask("What caused the Route 9 main break?")
    assert "Incident Report" not in answer.answer


def test_the_values_of_a_fact_sheet_are_answered(make_kb):
    """Read as headings, none of these lines was ever quoted: "What is the Wi-Fi password?" was abstained on."""
    kb = make_kb({"office.md": "# Office info\n\n- Wi-Fi password: tulip-4471\n- Parking: level B2, spaces 10 to 40\n",
                  "support.html": "<ul><li>Support hours: 9am to 5pm</li></ul>",
                  "server.md": "Term | Value\n--- | ---\nMax upload size | 2 GB\nDefault port | 8443\n"})
    kb.build()
    assert "tulip-4471" in kb.ask("What is the Wi-Fi password?").answer
    assert "9am to 5pm" in kb.ask("What are the support hours?").answer
    # A table small enough to be as short as a heading is still a table: quoted, its header and the row asked about.
    assert kb.ask("What is the default port?").answer.startswith("Term | Value\nDefault port | 8443 [1]")


def test_a_statement_without_sentence_marks_is_quoted_as_its_part_about_the_question(make_kb):
    """A transcript typed without punctuation is one "sentence" of thousands of characters, and was quoted whole (a
    2,124-character answer). The quote and its citation are now the part around the question's words, with exact
    spans; "…" in the answer says where it was cut."""
    filler = " ".join(["we talked about the schedule and the budget"] * 40)
    text = "call transcript\n\n" + filler + " and the launch date was moved to october ninth " + filler + "\n"
    kb = _asked_of(make_kb, {"call.txt": text})
    answer = kb.ask("When is the launch date?")
    assert not answer.abstained and "launch date was moved to october ninth" in answer.answer
    assert answer.answer.startswith("… ") and " … [1]" in answer.answer and len(answer.answer) < 700
    (citation,) = answer.citations
    assert kb.document_text("call.txt")[citation.start:citation.end] == citation.text
    assert len(citation.text) <= 600 and "october ninth" in citation.text


#: A context model that quotes every neighbour it is shown: what the answerer's own rules keep from quoting.
_ALWAYS_QUOTES = LinearModel.constant(CONTEXT_FEATURES, 50.0)


def test_a_headline_on_its_own_line_is_a_heading_and_never_a_quoted_context():
    """A news headline runs past the short-line rule; standing on its own line without a sentence end it is a
    heading all the same, and the answerer does not glue it to the sentence below as that sentence's context."""
    from kb.answer.extractive import ScoredSentence, _attach_context
    from kb.answer.features import is_heading

    headline = "Russia Planned To Attack Japan in 2021: Leaked FSB Letters"
    body = "In August 2021, Russia prepared for a conflict with Japan, an agent wrote."
    p = _passage(f"{headline}\n\n{body}")
    f = _features("What did the leaked FSB letters say about Russia?", [p], ["leaked", "fsb", "letters", "russia"])
    assert f[headline]["heading"] == 1.0 and f[body]["heading"] == 0.0
    assert not is_heading(headline) and is_heading(headline, own_line=True)

    def scored(features: dict[str, float]) -> list[ScoredSentence]:
        head, text = split_sentences(p.text)
        return [ScoredSentence(p, head, 0.5, 0.9, 0.0, np.zeros(2), None, features=features, index=0),
                ScoredSentence(p, text, 0.5, 0.3, 1.0, np.zeros(2), None, features={"heading": 0.0}, index=1)]

    as_heading, as_sentence = scored({"heading": 1.0}), scored({"heading": 0.0})
    ctx = QueryContext("What did the leaked FSB letters say about Russia?", None,
                       {t: [t] for t in ("leaked", "fsb", "letters", "russia")})
    _attach_context(as_heading, ctx, _ALWAYS_QUOTES, 0.5)
    _attach_context(as_sentence, ctx, _ALWAYS_QUOTES, 0.5)
    assert as_heading[1].context is None  # a context model that quotes every neighbour, yet not the headline
    assert as_sentence[1].context is as_sentence[0]  # the same neighbour as a sentence is quoted


def _restating(scores: tuple[float, float, float]) -> tuple[QueryContext, list]:
    """"After the press discussed the documents in a new tone on August 16, what details of torture tools were
    mentioned?" restates one sentence and asks what the next says: the next sentence holds the question's terms the
    first lacks ("details", "torture"), though fewer of them in all."""
    from kb.answer.extractive import ScoredSentence

    said = "On August 16 the press discussed the documents in a new tone."
    then = "The details of the pans used to torture prisoners were shown."
    other = "Officials declined to comment on the report."
    p = _passage(f"{said} {then} {other}")
    terms = {t: [t] for t in ("august", "press", "discussed", "documents", "tone", "details", "torture", "tools")}
    ctx = QueryContext("After the press discussed the documents in a new tone on August 16, what details of torture "
                       "tools were mentioned?", None, terms, idf={t: 1.0 for t in terms})
    sentences = split_sentences(p.text)
    cosines = (0.6, 0.45, 0.1)
    return ctx, [ScoredSentence(p, s, c, ctx.term_share(s.text), score, np.zeros(2), None, features={}, index=i)
                 for i, (s, c, score) in enumerate(zip(sentences, cosines, scores))]


def test_context_rows_measure_what_the_neighbour_adds():
    from kb.answer.extractive import context_row, quotable_neighbours

    ctx, scored = _restating((2.0, 1.5, -1.0))
    pairs = quotable_neighbours(scored)
    assert (scored[0], scored[1]) in pairs and (scored[0], scored[2]) not in pairs  # neighbours only
    row = dict(zip(CONTEXT_FEATURES, context_row(ctx, scored[0], scored[1])))
    assert row["residual_share"] == pytest.approx(2 / 3)  # of "details", "torture", "tools" it holds two
    assert row["score_gap"] == pytest.approx(-0.5) and row["next"] == 1.0 and row["next_refers_back"] == 0.0
    back = dict(zip(CONTEXT_FEATURES, context_row(ctx, scored[1], scored[0])))
    assert back["next"] == 0.0 and back["residual_share"] == pytest.approx(5 / 6)  # all it lacks but "tools"


def test_the_context_model_quotes_the_neighbour_holding_what_the_question_asks_beyond_the_sentence():
    """The committed model (kb/answer/weights/context.json), at the threshold in use, quotes the next sentence
    with the one the question restates when the sentence model scores it close behind, and not when it scores it
    far below: the score gap and the share of the missing terms are what it learned to read."""
    from kb.answer.extractive import _attach_context

    close_ctx, close = _restating((2.0, 1.5, -1.0))
    _attach_context(close, close_ctx, load_model("context"), Settings.context_threshold)
    assert close[0].context is close[1] and "torture" in close[0].text()
    far_ctx, far = _restating((2.0, -4.0, -5.0))
    _attach_context(far, far_ctx, load_model("context"), Settings.context_threshold)
    assert far[0].context is None
    never_ctx, never = _restating((2.0, 1.5, -1.0))
    _attach_context(never, never_ctx, load_model("context"), 1.0)
    assert never[0].context is None


def test_a_question_in_the_document_is_never_a_candidate_yet_its_neighbour_reads_it():
    """A news article asks "Why did Russia plan to attack Japan?" before it answers. That sentence restates the
    user's question in the document's own words, ranked first, and was quoted back as the answer at confidence
    0.998. A question states nothing: it is no candidate, quoted or in quotes; the sentence after it still counts
    the question's words it holds as its neighbour's."""
    from kb.answer.features import asks

    text = ('Why did the council close the bridge? Engineers found cracks in its main span. '
            'Residents asked, "Is it safe?" The mayor said it was not.')
    f = _features("Why did the council close the bridge?", [_passage(text)], ["council", "close", "bridge"])
    assert set(f) == {"Engineers found cracks in its main span.", "The mayor said it was not."}
    assert f["Engineers found cracks in its main span."]["neighbour_overlap"] == pytest.approx(1.0)
    assert asks('Residents asked, "Is it safe?"') and asks("Why? ")
    assert not asks("The question may come now.") and not asks('He said "Who Framed Roger Rabbit?" was a film.')


def test_a_why_is_not_answered_by_a_statement_that_only_restates_it(make_kb):
    """"Why did Commissioner Ferreira vote for the rate adjustment?" was quoted "Commissioner Ferreira moved to approve
    the rate adjustment." at 0.93 (tests/data/trust_utility): it restates what the question takes as given and gives
    no cause. A statement that says more than the question may give the reason without a word for it."""
    minutes = {"minutes.txt": "Commissioner Ferreira moved to approve the rate adjustment. Commissioner Vance "
                              "seconded the motion.\n\nThe council's engineers had found deep cracks in the main span "
                              "of the River Bridge. The bridge will stay closed for two years.\n"}
    kb = _asked_of(make_kb, minutes)
    assert_abstains(kb, "Why did Commissioner Ferreira vote for the rate adjustment?")
    assert_answers(kb, ("Why did the council close the River Bridge?", "deep cracks"))
    assert_answers(_asked_of(make_kb, {"minutes.txt": "Commissioner Ferreira voted for the rate adjustment because "
                                                      "the reservoir needs repairs.\n"}),
                   ("Why did Commissioner Ferreira vote for the rate adjustment?", "reservoir needs repairs"))
    # When it happened and whom it was told to are no reason, nor "as" a role or "for" a length of time: "Why is Colin
    # Dart standing down as a trustee?" was quoted "Colin Dart informed the board that he will stand down as a trustee
    # at the annual meeting in June." at 0.99 (tests/data/trust_people, tune).
    from kb.answer_types import gives_a_reason

    board = {"board.txt": "Colin Dart informed the board that he will stand down as a trustee at the annual meeting "
                          "in June.\n"}
    assert_abstains(_asked_of(make_kb, board), "Why is Colin Dart standing down as a trustee?")
    board["board.txt"] += "\nColin Dart is standing down as a trustee because he is moving to Canada.\n"
    assert_answers(_asked_of(make_kb, board), ("Why is Colin Dart standing down as a trustee?", "moving to Canada"))
    assert not gives_a_reason("He will stand down as a trustee.") and not gives_a_reason("It closed for 31 hours.")
    assert gives_a_reason("Prices rose as the demand for housing increased.") and gives_a_reason("He left for fear.")


def test_a_statement_that_adds_nothing_to_the_question_is_no_answer(make_kb):
    """"prereqs for MGS 320?" was quoted "Prerequisite: MGS 320." at 0.74 (tests/data/trust_university): the line of
    another course's entry, every word of it the question's own. Yes or no is answered that way."""
    from kb.answer_types import adds_nothing

    courses = {"courses.md": "# Courses\n\n## MGS 420 Coastal Processes\n\nWaves, tides and sediment transport on "
                             "sandy coasts.\n\nPrerequisite: MGS 320.\n\nCourse fee: CAD 140.\n"}
    kb = _asked_of(make_kb, courses)
    assert_abstains(kb, "prereqs for MGS 320?")
    assert adds_nothing("Prerequisite: MGS 320.", "prereqs for MGS 320?")
    assert not adds_nothing("There are 131 seats in the debating chamber.", "How many seats are in the debating chamber?")
    assert not adds_nothing("The Graz plant recorded 3 incidents.", "How many incidents did the Graz plant record?")
    assert_answers(kb, ("Is MGS 320 a prerequisite?", "Prerequisite: MGS 320"))


def test_what_is_now_does_not_answer_what_was_before(make_kb):
    """"What was the minimum supported Android version before Ferrypoint 4.0?" was quoted "The minimum supported
    Android version is now Android 10." at 0.80 (tests/data/trust_software): it says what replaced the version asked
    about. A statement that says what it was before answers."""
    notes = {"notes.md": "# Ferrypoint 4.0\n\nThe minimum supported Android version is now Android 10.\n"}
    question = "What was the minimum supported Android version before Ferrypoint 4.0?"
    assert_abstains(_asked_of(make_kb, notes), question)
    notes["notes.md"] = notes["notes.md"].replace("is now Android 10", "is now Android 10 (previously Android 9)")
    assert_answers(_asked_of(make_kb, notes), (question, "Android 9"))
    assert answers_an_earlier_time("What is the minimum Android version?", "It is now Android 10.")


def test_a_question_the_document_asks_is_not_quoted_as_the_answer_to_it(make_kb):
    kb = make_kb({"bridge.txt": "The River Bridge\n\nWhy did the council close the River Bridge in March? The "
                                "council's engineers had found deep cracks in the main span of the bridge. Repairs "
                                "are expected to take two years.\n\nTraffic now goes through the northern "
                                "tunnel.\n"})
    kb.build()
    answer = kb.ask("Why did the council close the River Bridge?")
    assert not answer.abstained and "cracks" in answer.answer, answer.answer
    assert "Why did the council" not in answer.answer
    assert not any(c.text.rstrip().endswith("?") for c in answer.citations)


def test_a_heading_is_quoted_only_when_it_holds_the_kind_of_answer_asked_for(make_kb):
    """A title restates a topic: "Explain the Kuril Islands dispute" was answered with the seeds' two headings on it
    ("Kuril Islands dispute between Japan & Russia") at confidence 0.94. A heading is quoted only as the kind of
    answer the question asks for, such as a company's name in a site banner for "Which company published ...?"."""
    kb = make_kb({"bridge.txt": "Harbor Works Ltd.\n\nRiver Bridge closure dispute\n\nThe council closed the River "
                                "Bridge in March after its engineers found deep cracks in the main span. Shop owners "
                                "on both banks say the closure has halved their trade.\n"})
    kb.build()
    topic = kb.ask("Explain the River Bridge closure dispute")
    assert "River Bridge closure dispute [" not in topic.answer, topic.answer
    assert not any(c.text == "River Bridge closure dispute" for c in topic.citations)
    # A title in title case names no one, though its capitals have a name's shape ("Information Security Policy" as
    # given name, middle name, surname): it was quoted at 0.83 for who is responsible for the policy.
    from paths import ROOT

    name = "security-password-policy.md"
    policy = _asked_of(make_kb, {name: (ROOT / "tests" / "data" / "trust_software" / name).read_text(encoding="utf-8")})
    owner = policy.ask("Who is responsible for the password and device security policy?")
    assert not any(c.text.startswith("Information Security Policy") for c in owner.citations), owner.answer
    # A line on its own that only names someone and their post is a heading that says who they are.
    signed = {"email.txt": "Hi Marcus,\n\nThe scanners will be delivered on Friday.\n\nBest regards,\n\n"
                           "Kenji Watanabe, Senior Account Manager\n"}
    assert_answers(_asked_of(make_kb, signed), ("Who is Kenji Watanabe?", "Senior Account Manager"))


def test_names_in_document_and_sentence():
    p1 = _passage("Metsola presides. She was elected.", source="eu.txt", chunk_id=1)
    p2 = _passage("Johnstone presides. She was elected.", source="scot.txt", chunk_id=2)
    docs = {"eu.txt": "European Parliament. " + p1.text, "scot.txt": "Scottish Parliament. " + p2.text}
    f = _features("Who presides over the Scottish Parliament?", [p1, p2], ["presides", "scottish"],
                  names=("scottish",), documents=docs)
    assert f["Metsola presides."]["names_in_document"] == 0.0
    assert f["Johnstone presides."]["names_in_document"] == 1.0
    assert f["Johnstone presides."]["names_in_sentence"] == 0.0


def test_question_facts_pick_the_right_month():
    assert question_facts("What was revenue in March 2023?") == {"march", "2023"}
    notes = [_passage(f"Revenue in {m} 2023 was $1.{i} million.", source=f"{m}.txt", chunk_id=i)
             for i, m in enumerate(["January", "March", "June"], start=1)]
    f = _features("What was revenue in March 2023?", notes, ["revenue", "march", "2023"])
    assert f["Revenue in March 2023 was $1.2 million."]["question_facts"] == 1.0
    assert f["Revenue in June 2023 was $1.3 million."]["question_facts"] == 0.5


def test_passage_rank_and_cosine():
    a, b = _passage("First one.", "a.txt", 1, dense=0.7), _passage("Second one.", "b.txt", 2, dense=0.2)
    f = _features("q", [a, b], ["one"])
    assert f["First one."]["passage_rank"] == 1.0 and f["Second one."]["passage_rank"] == 0.5
    assert f["First one."]["passage_cosine"] == pytest.approx(0.7)


def test_confidence_row_carries_the_products_of_its_signals():
    passages = [_passage("Grozev showed the letter to two officers.", "a.txt", 1, dense=0.6),
                _passage("The weather was mild.", "b.txt", 2, dense=0.1)]
    ctx = QueryContext("who did Grozev show the letter to", np.array([1.0, 0.0]), {"letter": ["letter"]}, None,
                       None, frozenset(), names=("grozev",), idf={"letter": 1.0})
    from kb.answer.grounding import document_words

    texts = {p.source: p.text for p in passages}
    cands, _ = build_candidates(ctx, passages, lambda p: [(s, np.array([0.6, 0.8])) for s in split_sentences(p.text)],
                                lambda source: document_words(texts[source]))
    row = dict(zip(CONFIDENCE_FEATURES, confidence_row(ctx, cands, np.array([2.0, -1.0]))))
    assert len(CONFIDENCE_FEATURES) == len(CONFIDENCE_SIGNALS) + len(CONFIDENCE_PRODUCTS) + 1  # + follow_up
    assert row["follow_up"] == 0.0  # not a resolved follow-up
    for a, b in CONFIDENCE_PRODUCTS:
        assert row[f"{a}*{b}"] == pytest.approx(row[a] * row[b])
    assert row["overlap*names_in_document"] == pytest.approx(1.0) and row["top_logit*margin"] == pytest.approx(6.0)


def test_shared_words_count_for_more_when_the_document_names_the_questions_names():
    """The interaction the same-domain negatives taught: shared words raise the confidence where the document names
    the question's names, and count for much less (with the question-adapted model's fit: against) where it does
    not. Without the products (a purely additive model) the two differences below are equal, so this fails."""
    model = load_model("confidence")
    typical = dict(zip(model.features, model.mean))

    def logit(**changed: float) -> float:
        row = {name: typical[name] for name in CONFIDENCE_SIGNALS} | changed
        row |= {f"{a}*{b}": row[a] * row[b] for a, b in CONFIDENCE_PRODUCTS} | {"follow_up": 0.0}
        return float(model.logits(np.array([[row[name] for name in model.features]]))[0])

    named = logit(overlap=0.8, names_in_document=1.0) - logit(overlap=0.3, names_in_document=1.0)
    unnamed = logit(overlap=0.8, names_in_document=0.0) - logit(overlap=0.3, names_in_document=0.0)
    assert named > 0 and named - unnamed > 0.25  # fit on the adapted model: +0.39 against -0.25


# -- the models -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("folder, name, names", [(ANSWER_WEIGHTS, "sentence", SENTENCE_FEATURES),
                                                  (ANSWER_WEIGHTS, "confidence", CONFIDENCE_FEATURES),
                                                  (ANSWER_WEIGHTS, "context", CONTEXT_FEATURES),
                                                  (RETRIEVAL_WEIGHTS, "passage", None)])
def test_committed_models_load_and_name_known_features(folder, name, names):
    from kb.retrieval.retriever import PASSAGE_FEATURES

    model = load_model(name, folder)
    assert set(model.features) <= set(names or PASSAGE_FEATURES)
    assert np.all(np.isfinite(model.weights)) and np.all(model.scale > 0)
    meta = json.loads((folder / f"{name}.json").read_text())["meta"]
    assert "train_scorer.py" in meta.get("data", "")  # fit by the script, not set by hand


def test_learned_weights_have_the_expected_signs():
    """The families that must push a sentence up or down do so in the fitted model. A sentence's own term share
    is read twice, as ``overlap`` and as ``antecedent_overlap`` (the same share except for a sentence that refers
    back), so the fit may split their weight either way between the two (on the question-adapted model: -0.01 and
    +0.59): their sum is what must be positive."""
    sentence = load_model("sentence")
    w = dict(zip(sentence.features, sentence.weights))
    assert w["cosine"] > 0 and w["overlap"] + w["antecedent_overlap"] > 0 and w["type_missing"] < w["type_supplied"]
    confidence = load_model("confidence")
    c = dict(zip(confidence.features, confidence.weights))
    assert c["top_logit"] > 0
    context = load_model("context")
    q = dict(zip(context.features, context.weights))
    assert q["score_gap"] > 0 and q["residual_share"] > 0 and q["neighbour_cosine"] > 0


def test_listwise_fit_recovers_the_deciding_feature():
    rng = np.random.default_rng(0)
    x, y, g = [], [], []
    for q in range(200):
        rows = rng.normal(size=(6, 2))
        best = int(np.argmax(rows[:, 1]))  # the second column decides
        x.append(rows)
        y.append(np.eye(6)[best])
        g.append(np.full(6, q))
    model = fit_logistic(np.vstack(x), np.concatenate(y), ("noise", "signal"), groups=np.concatenate(g))
    assert model.weights[1] > 5 * abs(model.weights[0])
    pointwise = fit_logistic(np.vstack(x), np.concatenate(y), ("noise", "signal"))
    p = pointwise.probabilities(np.vstack(x))
    assert 0.0 < p.min() and p.max() < 1.0



def test_listwise_weights_let_a_small_set_of_questions_count():
    """Group weights are what lets a few seed-domain questions pull against many SQuAD ones (train_scorer.py
    --seed-weight): 150 questions decided by one column and 50 by the other learn the first column unweighted,
    the second when the 50 count four times as much."""
    rng = np.random.default_rng(1)
    x, y, g, w = [], [], [], []
    for q in range(200):
        rows = rng.normal(size=(6, 2))
        decides = 0 if q < 150 else 1
        x.append(rows)
        y.append(np.eye(6)[int(np.argmax(rows[:, decides]))])
        g.append(np.full(6, q))
        w.append(np.full(6, 1.0 if q < 150 else 4.0))
    args = (np.vstack(x), np.concatenate(y), ("first", "second"))
    plain = fit_logistic(*args, groups=np.concatenate(g))
    weighted = fit_logistic(*args, groups=np.concatenate(g), weights=np.concatenate(w))
    assert plain.weights[0] > plain.weights[1]
    assert weighted.weights[1] > weighted.weights[0]
    same = fit_logistic(*args, groups=np.concatenate(g), weights=np.full(1200, 3.0))
    assert same.weights == pytest.approx(plain.weights)


def test_model_json_round_trip(tmp_path):
    model = LinearModel(("a", "b"), np.array([1.0, -2.0]), 0.5, np.array([0.1, 0.2]), np.array([1.0, 2.0]), {"x": 1})
    model.save(tmp_path / "m.json")
    back = LinearModel.from_json(json.loads((tmp_path / "m.json").read_text()))
    row = np.array([[0.3, 0.4]])
    assert back.logits(row) == pytest.approx(model.logits(row))
    with pytest.raises(ValueError):
        LinearModel.from_json({"features": ["a"], "weights": [1, 2], "bias": 0, "mean": [0], "scale": [1]})


# -- follow-ups: about the person the pronoun stands for, never a mix of two -------------------------------------
TWO_PEOPLE = {
    "berg.txt": "Nordic Institute\n\nAnna Berg founded the Nordic Institute in 1990. Her institute is based in Oslo, "
                "Norway, and studies fisheries.",
    "dahl.txt": "Southern Group\n\nCarl Dahl leads the Southern Group, a trade association. The Southern Group is "
                "based in Madrid, Spain, and lobbies for farmers.",
}


def test_resolved_subject_is_read_back_from_the_rewritten_question():
    from kb.query import contextualize, resolved_subject

    query = contextualize("Where is her organization based?", [("Who founded the Nordic Institute?",
                                                               "Anna Berg founded the Nordic Institute in 1990. [1]")])
    assert "Anna Berg" in query
    assert {"anna", "berg"} <= set(resolved_subject(query))
    assert resolved_subject("What is the FSB (Federal Security Service)?") == ()  # not a follow-up
    assert resolved_subject("Who verified the letter?") == ()


def test_a_question_about_someone_it_does_not_name_without_a_conversation_abstains(make_kb):
    """"Where is his organization based?" asked first was answered about the one organization head the documents
    name, cited as if the question had named him. Resolved from a conversation, or with the name, it is answered;
    "they" is as often generic and is left to the model."""
    kb = make_kb({"staff.txt": "Staff\n\nIgor Sushko is the executive director of the Wind of Change Research "
                               "Group, a Washington-based non-profit organization.\n"})
    kb.build()
    first = kb.ask("Where is his organization based?")
    assert first.abstained and not first.citations
    assert "Washington" in kb.ask("Where is his organization based? (Igor Sushko)").answer
    assert "Washington" in kb.ask("Where is Igor Sushko's organization based?").answer


def test_follow_up_answers_about_the_resolved_person(make_kb):
    from kb.query import contextualize

    kb = make_kb(TWO_PEOPLE)
    kb.build()
    first = kb.ask("Who founded the Nordic Institute?")
    assert not first.abstained and "Anna Berg" in first.answer
    follow = kb.ask(contextualize("Where is her organization based?", [("Who founded the Nordic Institute?",
                                                                         first.answer)]))
    assert not follow.abstained, follow.answer
    assert "Oslo" in follow.answer and "Madrid" not in follow.answer and "Dahl" not in follow.answer
    assert {c.source for c in follow.citations} == {"berg.txt"}


def test_follow_up_about_someone_the_documents_do_not_describe_abstains(make_kb):
    from kb.query import contextualize

    kb = make_kb(TWO_PEOPLE)
    kb.build()
    # "his" resolves to Olaf Lund, whom no document names: no statement about him, so no answer.
    query = contextualize("Where is his organization based?", [("Who is Olaf Lund?", "")])
    answer = kb.ask(query)
    assert answer.abstained and not answer.citations



def test_a_follow_up_about_what_the_persons_report_says_is_answered_from_their_document(make_kb):
    """"According to his report, what kind of Russian exercises has Japan protested ...? (Zaini Majeed)" (a tune seed
    follow-up after "Who is Zaini Majeed?") was abstained on: the passage that answers is about the islands and names
    him only in the article's byline. His report is the document by him, so the answer comes from a document that
    names him, about whatever it reports. "His organization" is still his own, and an article by someone else is
    not his report."""
    from kb.query import QueryContext, by_the_person, contextualize

    filler = "".join(f"The council met on day {n} and discussed the budget for roads, schools and parks.\n\n"
                     for n in range(1, 25))  # the byline's passage ends long before the drills are reported
    story = ("Russia holds drills near disputed islands\n\nBy Zaini Majeed\n\n" + filler + "Japan has repeatedly "
             "protested against Russian military drills close to the islands after live firing near Kunashir.\n")
    other = ("Fishing season opens\n\nBy Lena Park\n\nJapan protested against the new fishing quotas near the "
             "northern islands, which the ministry set in May.\n")
    kb = _asked_of(make_kb, {"drills.txt": story, "fishing.txt": other})
    asked = contextualize("According to his report, what kind of exercises has Japan protested near the islands?",
                          [("Who is Zaini Majeed?", "")])
    answer = kb.ask(asked)
    assert not answer.abstained and "military drills" in answer.answer, answer.answer
    assert {c.source for c in answer.citations} == {"drills.txt"}
    asked = contextualize("According to her report, what kind of exercises has Japan protested near the islands?",
                          [("Who is Lena Park?", "")])
    answer = kb.ask(asked)
    assert answer.abstained or {c.source for c in answer.citations} == {"fishing.txt"}, answer.answer
    assert by_the_person("According to his report, what did Japan protest?") and by_the_person("In her article, why?")
    assert not by_the_person("Where is his organization based?")
    assert not by_the_person("What did he say in his report?")  # "he" is who is asked about too
    assert not QueryContext("According to his report, what?", None, {}).subject_is_source  # no one resolved


#: A person the documents describe, but not what the follow-up asks of them: where her organization is based.
#: Another document says where someone else's group is based.
NOT_SAID = {
    "review.txt": "Report review\n\nThe audit report was reviewed by Anna Berg, a fisheries economist. She said she had "
                  "shown the report to two former inspectors, who found no errors in it.",
    "group.txt": "Southern Group\n\nCarl Dahl translates the audit reports into Spanish. He is the director of the "
                 "Southern Group, a Madrid-based trade association.",
}


def test_a_follow_up_is_measured_on_what_it_asks_not_on_the_names_appended_to_it():
    from kb.query import QueryContext, asked_part, contextualize

    query = contextualize("Where is her organization based?", [("Who reviewed the audit report?",
                                                               "The audit report was reviewed by Anna Berg. [1]")])
    assert asked_part(query) == "Where is her organization based?"
    terms = {t: [t] for t in ("organization", "based", "anna", "berg")}
    ctx = QueryContext(query, None, terms, subject=("anna", "berg"))
    assert set(ctx.asked_terms) == {"organization", "based"}
    assert QueryContext("Where is Anna Berg based?", None, terms).asked_terms == terms  # not a follow-up
    assert set(QueryContext("Who is she? (Anna Berg)", None, {"anna": ["anna"], "berg": ["berg"]},
                            subject=("anna", "berg")).asked_terms) == {"anna", "berg"}  # asks nothing of its own
    # Term shares are measured once a question (retrieval and the answerer read the same texts) and kept apart
    # for all terms and for what is asked.
    text = "The organization of Anna Berg is based in Oslo."
    assert ctx.term_share(text) == 1.0 and ctx.term_share(text, asked=True) == 1.0
    assert ctx.term_share("Anna Berg reviewed it.") == 0.5 and ctx.term_share("Anna Berg reviewed it.", asked=True) == 0.0
    assert ctx.term_share("Anna Berg reviewed it.") == 0.5  # the memo keeps the two apart in either order
    weighted = QueryContext(query, None, terms, subject=("anna", "berg"),
                            idf={"organization": 3.0, "based": 1.0, "anna": 2.0, "berg": 2.0})
    assert weighted.term_share("Anna Berg is based in Oslo.") == pytest.approx(5 / 8)  # IDF-weighted
    assert weighted.term_share("Anna Berg is based in Oslo.", asked=True) == pytest.approx(1 / 4)


def test_a_follow_up_the_documents_do_not_answer_about_that_person_abstains(make_kb):
    """The issue's "Where is his organization based?" after an answer naming Christo Grozev: the sentence naming
    the person shares the appended name and nothing the question asks. Measured on every term, that sentence was
    quoted (confidence 0.17 against the 0.14 threshold); measured on what is asked, kb abstains, and still answers
    what the documents do say about her, and the other person's follow-up."""
    from kb.query import contextualize

    kb = make_kb(NOT_SAID)
    kb.build()

    def follow(first: str, question: str):  # type: ignore[no-untyped-def]
        answer = kb.ask(first)
        assert not answer.abstained
        return kb.ask(contextualize(question, [(first, answer.answer)]))

    unsaid = follow("Who reviewed the audit report?", "Where is her organization based?")
    assert unsaid.abstained and not unsaid.citations, unsaid.answer
    said = follow("Who reviewed the audit report?", "How many inspectors did she show the report to?")
    assert not said.abstained and "two former inspectors" in said.answer
    other = follow("Who translates the audit reports?", "Where is his organization based?")
    assert not other.abstained and "Madrid" in other.answer and "Berg" not in other.answer


def test_the_follow_up_weight_raises_a_resolved_follow_ups_confidence():
    """Measured on fewer of its words, a right follow-up answer scored below what the model saw in training; the
    learned follow-up weight (train_scorer.py, tune-half follow-ups) lifts it. Without the column both rows score
    the same and this fails."""
    from kb.answer.features import FOLLOW_UP

    model = load_model("confidence")
    assert FOLLOW_UP in model.features
    row = dict(zip(model.features, model.mean))
    plain = model.probabilities(np.array([[row[f] for f in model.features]]))[0]
    row[FOLLOW_UP] = 1.0
    follow_up = model.probabilities(np.array([[row[f] for f in model.features]]))[0]
    assert follow_up > plain + 0.2

def test_ask_lists_the_passage_holding_the_answer_first_and_the_rest_in_retrieval_order():
    """Retrieval put the passage that answers third; the answer's list starts with it (hit@1 is the list's first
    passage), and only that place moves."""
    from kb.answer.extractive import ExtractiveAnswerer

    q = np.array([1.0, 0.0])
    answer = "The lighthouse keeper Tova Lind painted the tower blue in 1921."
    passages = [_passage("Harbour fees rose twice that decade.", "fees.txt", 1),
                _passage("The pier was rebuilt after the storm.", "pier.txt", 2),
                _passage(answer, "lighthouse.txt", 3),
                _passage("Fishing boats moored in the north basin.", "boats.txt", 4)]
    close = {answer: np.array([0.95, np.sqrt(1 - 0.95 ** 2)])}

    def sentences(p: Passage) -> list[tuple[Sentence, np.ndarray]]:
        return [(s, close.get(s.text, np.array([0.2, np.sqrt(0.96)]))) for s in split_sentences(p.text, offset=p.start)]

    terms = ["painted", "lighthouse"]
    ctx = QueryContext("Who painted the lighthouse?", q, {t: [t] for t in terms}, AnswerType.PERSON, None,
                       frozenset(words("Who painted the lighthouse?")), idf={t: 1.0 for t in terms})
    result = ExtractiveAnswerer(None, abstain_threshold=0.0).run(ctx, passages, sentences)  # type: ignore[arg-type]
    assert not result.abstained and result.citations[0].source == "lighthouse.txt"
    assert [p.source for p in result.passages] == ["lighthouse.txt", "fees.txt", "pier.txt", "boats.txt"]


def test_a_who_answered_by_a_list_items_later_sentence_quotes_the_name_that_opens_the_item(make_kb):
    """A staff directory's "- **Daniel Cho**, Water Quality Supervisor. Responsible for daily laboratory testing at the
    South Plant." answered "Who does the daily lab testing at the South Plant?" with its second sentence alone, at
    0.97: no one named. The item's first sentence, which names him, is quoted with it. Not for a sentence that names
    someone itself, nor across items."""
    kb = make_kb({"staff.md": "# Staff directory\n\n## Water quality\n\n"
                              "- **Priya Natarajan**, Water Quality Manager, North Plant. Responsible for regulatory "
                              "sampling and the annual water quality report. Extension 4210.\n"
                              "- **Daniel Cho**, Water Quality Supervisor, South Plant. Responsible for daily "
                              "laboratory testing at the South Plant. Extension 4240.\n"
                              "- **Samuel Adeyemi**, Chief Engineer. Works with Lena Kowalczyk on the lead service "
                              "line inventory. Extension 4310.\n"}, abstain_threshold=0.0)
    kb.build()
    answer = kb.ask("Who does the daily lab testing at the South Plant?")
    assert "Daniel Cho" in answer.answer and "Responsible for daily laboratory testing" in answer.answer
    assert "Priya" not in answer.answer
    cited = answer.citations[0]
    assert kb.document_text("staff.md")[cited.start:cited.end] == cited.text  # one exact span: the item's two sentences
    said = kb.ask("Who works on the lead service line inventory?").answer
    assert "Lena Kowalczyk" in said and "Chief Engineer" not in said  # it names someone: quoted alone


def test_a_statement_about_another_person_is_no_answer_about_the_one_asked(make_kb):
    """A staff page names both Okafors, so the per-document names check passes for either: "Professor Okafor joined
    ... promoted to full professor in 2020." answered "When was Daniel Okafor promoted ...?" at 0.97, about Miriam
    Okafor named the sentence before; "Office hours: Fridays ..." answered Dr. Carvalho's office hours from Dr. Raman's
    entry, and "Extension 6140." (Ms. Delgado's) was quoted for Harold Marsh (a user-style hunt). A text refers to
    whom it last named; the one asked about is still answered."""
    news = ("# Staff news\n\nProfessor Miriam Okafor has won the 2025 Tessier Medal for her work on barrier islands. "
            "Professor Okafor joined the department in 2011 and was promoted to full professor in 2020.\n\n"
            "Daniel Okafor, the department's laboratory manager, has received the 2025 Staff Excellence Award. Daniel "
            "Okafor has worked at the university since 2016 and previously spent eight years as a technician.\n")
    directory = ("# Staff directory\n\n**Dr. Priya Raman**, Associate Professor. Research: ocean acidification. "
                 "Office: Castellan Hall 309. Office hours: Fridays 09:30-11:00.\n\n**Dr. Ines Carvalho**, Assistant "
                 "Professor. Research: coastal hydrodynamics. Office: Castellan Hall 316.\n\n**Ms. Aisha Delgado**, "
                 "Department Administrator. Handles room bookings. Extension 6140.\n\n**Dr. Harold Marsh**, Professor "
                 "Emeritus. He keeps a shared office in Castellan Hall 410A and may be reached by email.\n")
    kb = make_kb({"news.md": news, "directory.md": directory})
    kb.build()
    assert_abstains(kb, "When was Daniel Okafor promoted to full professor?", "What are Dr. Carvalho's office hours?",
                    "What is Harold Marsh's phone extension?")
    assert_answers(kb, ("When was Miriam Okafor promoted to full professor?", "2020"),
                   ("What are Dr. Raman's office hours?", "Fridays"),
                   ("Since when has Daniel Okafor worked at the university?", "2016"))

    # A table is read by its rows: one naming another Sorel does not stop the table that names her from answering.
    rows = ["| Name | Team | Room |", "|---|---|---|"]
    first = rows + ["| Marek Sorel | Support | Room 495 |", "| Tomoko Ekwall | Mobile | Room 298 |"]
    second = rows + ["| Tomoko Sorel | Search | Room 300 |", "| Hugo Orlov | Data | Room 426 |"]
    tables = make_kb({"a.md": "# Staff of division 7\n\n" + "\n".join(first) + "\n",
                      "b.md": "# Staff of division 8\n\n" + "\n".join(second) + "\n"})
    tables.build()
    assert_answers(tables, ("Which team is Tomoko Sorel in?", "Search"))


def test_a_statement_that_opens_with_another_person_is_no_answer_about_the_one_asked(make_kb):
    """A team page (tests/data/trust_staff): "When did Grace Lin join Brightpath?" was answered at 0.77 with "Mei
    Tanaka joined Brightpath in 2019 from a payments start-up.", a paragraph of its own about another person, and
    "When did Linda Osei join the utility?" with "Dr. Okafor joined the utility in 2009 ...". "Lin" and "Souza" are
    words of the embedding model's vocabulary, so their names count as people's by the page's own lines ("Grace Lin,
    Lead Designer."). What is said of the person who opens the statement still answers."""
    from kb.answer.grounding import about_someone_else
    from kb.text import Person
    from paths import ROOT

    folder = ROOT / "tests" / "data" / "trust_staff"
    kb = make_kb({f.name: f.read_text(encoding="utf-8") for f in folder.iterdir() if f.is_file()})
    kb.build()
    assert_abstains(kb, "When did Grace Lin join Brightpath?", "When did Rafael Souza join Brightpath?",
                    "When did Linda Osei join the utility?")
    assert_answers(kb, ("When did Mei Tanaka join Brightpath?", "2019"), ("When did Dr. Okafor join the utility?", "2009"))
    # A statement that refers to someone inside it is about them too: it decides nothing.
    assert not about_someone_else(Person("Mary", "Smith"), "John Brown married her in 1850.", "")
    assert about_someone_else(Person("Mary", "Smith"), "John Brown married in 1850.", "")


def test_who_is_answered_with_the_name_a_pronoun_stands_for(make_kb):
    """A team page (tests/data/trust_people): "Who is curating Threads of the Valley?" was answered "He is curating
    the 2024 exhibition Threads of the Valley." at 0.85, the name two sentences before. The sentence that names a
    person is quoted with it, within the paragraph; a museum's name is no person."""
    page = ("# Our team\n\n**Tomasz Wierzbicki, Curator of Textiles.**\nTomasz Wierzbicki joined in 2022. Before that "
            "he was a research assistant at the Halden Lace Museum. He is curating the 2024 exhibition Threads of the "
            "Valley.\n\n**Ruth Okafor, Head of Collections.**\nRuth Okafor joined the museum in 2011. She oversees the "
            "stores and the loans programme.\n")
    kb = make_kb({"team.md": page})
    kb.build()
    answer = kb.ask("Who is curating Threads of the Valley?")
    assert "Wierzbicki" in answer.answer and not answer.abstained, answer.answer
    assert answer.citations[0].text.startswith("Tomasz Wierzbicki joined")


def test_a_follow_up_means_the_person_a_list_gives_for_what_was_asked():
    """"In attendance: Dr Eleanor Brandt (Director), Marcus Adeyemi (Deputy Director for Operations), ..." answers
    "Who is the Deputy Director for Operations?"; "When did he join?" then asked of Dr Brandt too, and was answered
    with her joining date (tests/data/trust_people). "He" is the person whose part of the list holds the question."""
    from kb.query import contextualize

    answer = ("In attendance: Dr Eleanor Brandt (Director), Marcus Adeyemi (Deputy Director for Operations), Ruth "
              "Okafor (Head of Collections, for item 4) [1]")
    asked = contextualize("When did he join?", [("Who is the Deputy Director for Operations at the museum?", answer)])
    assert asked == "When did he join? (Marcus Adeyemi; Deputy Director for Operations)"
    # One person listed with a post, or no part holding more of the question: every name, as before.
    single = "Marcus Bell, Customer Service Supervisor, Main Office. [1]"
    assert "Marcus Bell" in contextualize("What is his extension?", [("Who supervises customer service?", single)])
    assert "Dr Eleanor Brandt" in contextualize("When did she join?", [("Who attended?", answer)])


def test_a_follow_up_is_not_answered_with_a_line_of_another_persons_entry(make_kb):
    """The utility's staff directory (tests/data/trust_utility): "When did he join the utility?" after "Who is the
    Chief Engineer?" (Samuel Adeyemi) quoted "Joined the utility in 2016 ...", a line of Dr. Miriam Okafor's entry,
    at 0.80 (a user-style hunt)."""
    from kb.query import contextualize
    from paths import ROOT

    folder = ROOT / "tests" / "data" / "trust_utility"
    kb = make_kb({f.name: f.read_text(encoding="utf-8") for f in folder.iterdir() if f.is_file()})
    kb.build()
    first = kb.ask("Who is the Chief Engineer?")
    assert "Samuel Adeyemi" in first.answer
    answer = kb.ask(contextualize("When did he join the utility?", [("Who is the Chief Engineer?", first.answer)]))
    assert not any("Joined the utility in 2016" in c.text for c in answer.citations), answer.answer


def test_a_line_that_only_names_someone_answers_only_for_a_person_or_a_post(make_kb):
    """The utility's staff list (tests/data/trust_utility): "When did Tomas Reyes join the utility?" quoted "Tomas
    Reyes, Deputy General Manager for Operations." at 0.67, and a follow-up about him the same line: its only match is
    the name, and it holds no date. It still answers who holds a post, and what someone's post is."""
    from kb.query import contextualize
    from paths import ROOT

    folder = ROOT / "tests" / "data" / "trust_utility"
    kb = make_kb({f.name: f.read_text(encoding="utf-8") for f in folder.iterdir() if f.is_file()})
    kb.build()
    assert_abstains(kb, "When did Tomas Reyes join the utility?", "Who is Tomas Reyes's boss?")
    first = kb.ask("Who is the Deputy General Manager for Operations?")
    assert "Tomas Reyes" in first.answer
    follow_up = kb.ask(contextualize("When did he join the utility?",
                                     [("Who is the Deputy General Manager for Operations?", first.answer)]))
    assert follow_up.abstained or "Tomas Reyes, Deputy General Manager for Operations." not in follow_up.answer
    assert_answers(kb, ("What is Tomas Reyes's job title?", "Deputy General Manager for Operations"),
                   ("Which department is Tomas Reyes in?", "Operations"), ("Who is the Chief Engineer?", "Samuel Adeyemi"))


def test_two_lines_of_a_staff_list_are_read_each_as_a_name_line(make_kb):
    """"Who is the Head of Marketing?" was answered "Priya Nair, Head of Customer Service - Linda Osei, water quality
    analyst" at 0.25: a list line quoted with the next one is no name line, so the post it gives went unread. Each of
    the two is read as one, and one must hold the post asked."""
    from paths import ROOT

    folder = ROOT / "tests" / "data" / "trust_staff"
    kb = make_kb({"staff_directory.md": (folder / "staff_directory.md").read_text(encoding="utf-8")},
                 abstain_threshold=0.0)
    kb.build()
    assert_abstains(kb, "Who is the Head of Marketing?")
    assert_answers(kb, ("Who is the Head of Customer Service?", "Priya Nair"),
                   ("What are the titles of Tomas Reyes and Priya Nair?", "Head of Customer Service"))


def test_a_name_line_is_a_name_and_a_post_only():
    from kb.answer.grounding import a_name_line, answered_by_name_line
    from kb.answer_types import AnswerType
    from kb.text import Person

    reyes = Person("Tomas", "Reyes")
    post = "Tomas Reyes, Deputy General Manager for Operations."
    assert a_name_line(post) == reyes
    for line, person in (("- **Dr. Helen Marsh**, Associate Professor", Person("Helen", "Marsh", True)),
                         ("Jane Doe, PhD, Chief Scientist", Person("Jane", "Doe")),
                         ("By Oliver Grant, Contributing Editor", Person("Oliver", "Grant")),
                         ("Media contact: Ana Ruiz - Communications Director", Person("Ana", "Ruiz")),
                         ("- **Linda Osei**, water quality analyst", Person("Linda", "Osei")),
                         ("- Chief Executive Officer: Laura Chen", Person("Laura", "Chen")),
                         # a line in the emphasis it opened with
                         ("**Eleanor Voss, Deputy Director for Programmes.**", Person("Eleanor", "Voss")),
                         ("__Chief Executive Officer: Laura Chen__", Person("Laura", "Chen"))):
        assert a_name_line(line) == person, line
    for statement in ("Kofi Adebayo-Marsh reports to Helen.", "In 2020, Okafor was promoted.", "Paris, France.",
                      "Tomas Reyes, who joined in 2016, leads Operations.", "The European Union, Council of Ministers.",
                      "Daniel Okafor, the lab manager, has received the award.", "Ana Ruiz, Director, 555-0100"):
        assert a_name_line(statement) is None, statement

    def answers(question: str, kind: AnswerType | None = None, supplied: bool = False, named: bool = True) -> bool:
        return answered_by_name_line(question, kind, supplied, post, reyes, named)

    # Who he is, what he does, which unit his post names; who holds a post the question does not name him for.
    assert answers("Who is Tomas Reyes?", AnswerType.PERSON) and answers("Who is he?", AnswerType.PERSON)
    assert answers("Who are Tomas Reyes and Priya Nair?", AnswerType.PERSON)
    assert answers("What is Tomas Reyes responsible for?") and answers("Tell me about Tomas Reyes.")
    assert answers("Which department is Tomas Reyes in?", AnswerType.ORGANIZATION)
    assert answers("Who runs operations?", AnswerType.PERSON, named=False)
    # Whom someone manages is no post: "Who manages Priya?" of his line or of hers; "Who runs Operations?" of his.
    assert not answers("Who manages Priya?", AnswerType.PERSON, named=False)
    assert not answered_by_name_line("Who manages Priya?", AnswerType.PERSON, True, "Priya Nair, Head of Customer "
                                     "Service", Person("Priya", "Nair"), False)
    assert answers("Who runs Operations?", AnswerType.PERSON, named=False)
    # No date, number or place it does not state, no other person, no company its post does not name, no reason.
    assert not answers("When did Tomas Reyes join the utility?", AnswerType.DATE)
    assert not answers("How long has Tomas Reyes worked here?", AnswerType.QUANTITY)
    assert not answers("Who is Tomas Reyes's boss?", AnswerType.PERSON)
    assert not answers("Who is his manager?", AnswerType.PERSON)
    assert not answered_by_name_line("Which company does Kenji Watanabe work for?", AnswerType.ORGANIZATION, False,
                                     "Kenji Watanabe, Senior Account Manager", Person("Kenji", "Watanabe"), True)
    assert not answers("Why did Tomas Reyes leave?") and not answers("How did Tomas Reyes get the job?")
    # Yes or no only to a word of its own: "an engineer" of "Chief Engineer", not "full-time" of any post.
    assert answers("Does Tomas Reyes work in operations?") and answers("Is Tomas Reyes a general manager?")
    assert not answers("Is Tomas Reyes's position full-time?") and not answers("Is Tomas Reyes a co-founder?")
    # The post it gives is the one held now, and the one asked: not an earlier one, not another of a similar name.
    assert not answers("What position did Tomas Reyes hold before?") and not answers("What was his previous job?")
    assert not answers("Which organisation did Tomas Reyes come from?", AnswerType.ORGANIZATION, True)
    assert not answers("Where did he join from?") and answers("Which department is Tomas Reyes in?",
                                                             AnswerType.ORGANIZATION)
    assert not answers("What did he do last year?")
    # A thing of a kind the line does not name is no post: "What project ...?", not "What is his title?".
    assert not answers("What project does he oversee?") and not answers("What degree does Tomas Reyes have?")
    assert not answers("Which kind of licence does he hold?")
    assert answers("What is his title?") and answers("Which area does he manage?") and answers("What role does he have?")
    assert answers("Which operations does he run?")  # the line names the thing asked for
    # What belongs to him, or what he does to something, only as far as the post says it: not his salary, not what
    # he oversees or chairs, not what he did about a complaint; his job title, what he does or works as.
    assert not answers("What is Tomas Reyes's salary?") and not answers("What are his office hours?")
    assert not answers("What is the budget of Tomas Reyes?")
    assert not answers("What does Tomas Reyes chair?") and not answers("What does he oversee?")
    assert not answers("What did Tomas Reyes do about the billing complaints?")
    assert answers("What is Tomas Reyes's job title?") and answers("What is his seniority?")
    assert answers("What does Tomas Reyes do?") and answers("What does he work as?")
    assert answers("What does Tomas Reyes do at the utility?") and answers("What does he manage?")
    # Of a post the question names instead of him, the line says who holds it; what follows may give the rest.
    assert answers("What's the phone extension of the Deputy General Manager?", named=False)
    assert not answers("What jobs is Tomas Reyes hiring for?")  # one post is no list of openings
    assert answers("What team is Tomas Reyes on?")  # "... for Operations"
    assert not answered_by_name_line("What team is Rafael Souza on?", None, False, "Rafael Souza, Product Designer.",
                                     Person("Rafael", "Souza"), True)
    assert answers("Who is the Deputy General Manager for Operations?", AnswerType.PERSON, named=False)
    assert not answers("Who is the Deputy Chief Engineer?", AnswerType.PERSON, named=False)
    assert not answers("Who is the Deputy General Manager of Finance?", AnswerType.PERSON, named=False)
    chen = Person("Laura", "Chen")
    for question, holds in (("Who is the Chief Operating Officer?", False), ("Who is the Chief Executive Officer?", True),
                            ("Who is the CEO?", True), ("Who is the company's chief executive officer?", True),
                            ("Who is the chief executive officer of the company?", True),
                            # what the post is "of", where the line's post is of nothing, is whom it belongs to
                            ("Who is the CEO of Brightpath?", True), ("Who is the Chief Operating Officer of Brightpath?",
                                                                      False)):
        assert answered_by_name_line(question, AnswerType.PERSON, True, "Chief Executive Officer: Laura Chen", chen,
                                     False) is holds, question
    # A post says which department or team (supplied by its capitals), not which company or paper.
    kenji = "Kenji Watanabe, Senior Account Manager"
    assert not answered_by_name_line("Which company does Kenji Watanabe work for?", AnswerType.ORGANIZATION, True,
                                     kenji, Person("Kenji", "Watanabe"), True)
    assert answered_by_name_line("Which team is Kenji Watanabe on?", AnswerType.ORGANIZATION, True, kenji,
                                 Person("Kenji", "Watanabe"), True)
    assert answered_by_name_line("Which company does Marcus Bell work for?", AnswerType.ORGANIZATION, True,
                                 "Marcus Bell, Procurement Manager, Harbor Health", Person("Marcus", "Bell"), True)


def test_a_thing_of_a_post_is_not_answered_by_name_lines_alone(make_kb):
    """"What are the General Manager's office hours?" of a staff list was quoted "Dr. Miriam Okafor, General
    Manager." with the next line at 0.22 (tests/data/trust_staff, tune). Of a post the question names, a name line
    says who holds it, and passes so that a statement beside it may give the rest; name lines alone say nothing of
    the thing asked for."""
    from kb.answer.grounding import thing_of_a_post

    staff = ("# Leadership\n\n- Dr. Miriam Okafor, General Manager.\n- Tomas Reyes, Deputy General Manager for "
             "Operations.\n- Priya Nair, Head of Customer Service.\n")
    kb = _asked_of(make_kb, {"staff.md": staff})
    assert_abstains(kb, "What are the General Manager's office hours?", "What is the Deputy General Manager's budget?")
    assert_answers(kb, ("What is the General Manager's name?", "Okafor"))
    hours = _asked_of(make_kb, {"staff.md": staff + "\nThe General Manager's office hours are Tuesdays from 2pm to "
                                                   "4pm.\n"})
    assert_answers(hours, ("What are the General Manager's office hours?", "Tuesdays"))
    assert thing_of_a_post("What are the General Manager's office hours?") == "hours"
    assert thing_of_a_post("What is the budget of the Deputy General Manager?") == "budget"
    assert thing_of_a_post("What is her job title?") is None and thing_of_a_post("Who is the General Manager?") is None


def test_a_statement_about_a_look_alike_is_no_answer_about_the_one_asked(make_kb):
    """One document covers every plan, plant or route, so the names check passes for any of them: "Do Business
    customers get a dedicated account manager?" was answered at 0.96 with the Enterprise plan's "A dedicated account
    manager is assigned to each Enterprise customer.", and "How many users does the Basic plan support?" with the
    Business section's "It supports up to 250 users." (a hunt, tests/data/trust_siblings). What is said of the asked
    one, of all of them, or in a comparison that names it, still answers."""
    from paths import ROOT

    folder = ROOT / "tests" / "data" / "trust_siblings"
    kb = make_kb({name: (folder / name).read_text(encoding="utf-8") for name in ("plans.md", "faq.md", "plants.md")})
    kb.build()
    assert_abstains(kb, "Do Business customers get a dedicated account manager?",
                    "How long are audit logs retained on the Basic plan?", "When was the North Plant certified to ISO 14001?")
    assert_answers(kb, ("How many users does the Business plan support?", "250 users"),
                   ("Do Enterprise customers get a dedicated account manager?", "dedicated account manager"),
                   ("How long are audit logs retained on the Enterprise plan?", "seven years"),
                   ("Does the Enterprise plan include single sign-on?", "single sign-on"),
                   ("How many shifts does the South Plant run?", "two shifts"))
    assert "250" not in kb.ask("How many users does the Basic plan support?").answer
    # A name is also of the kind the documents write after it: "Business customers" are on the Business plan, so the
    # Basic plan's section is a look-alike's, and its "two business days" names no Business plan (answered at 0.96).
    assert_abstains(kb, "What is the support response time for Business customers?")
    assert_answers(kb, ("What is the support response time for Basic customers?", "two business days"))


def test_the_minutes_of_a_time_of_day_name_no_look_alike(make_kb):
    """"When is the first Route 15 bus?" was answered at 0.96 with the timetable's Route 14 row, whose "6:15 am" read
    as naming Route 15: a time of day names no route, version or room."""
    from paths import ROOT

    folder = ROOT / "tests" / "data" / "trust_siblings"
    kb = make_kb({"routes.md": (folder / "routes.md").read_text(encoding="utf-8")})
    kb.build()
    assert_abstains(kb, "When is the first Route 15 bus?")
    assert_answers(kb, ("When is the first Route 14 bus?", "6:15 am"), ("When is the last Route 21 bus?", "7:00 pm"))


def test_a_sentence_that_refers_back_is_about_what_the_sentence_before_names(make_kb):
    """"Did version 4.1 remove support for Internet Explorer?" was answered at 0.99 with "It introduced offline sync and
    removed support for Internet Explorer." (said of 4.2, named in the sentence before), because the neighbour quoted
    after it compares 4.2 with 4.1. A sentence is about what it or the text before it names; a look-alike's line is
    still quoted when the line after it is about the asked one alone ("North Plant: staff park in Lot A ... - South
    Plant: staff and visitors share the Mill Road car park.")."""
    from paths import ROOT

    folder = ROOT / "tests" / "data" / "trust_siblings"
    kb = make_kb({name: (folder / name).read_text(encoding="utf-8")
                  for name in ("changelog.txt", "plants.md", "clinics.txt", "leave_policy.md")}, abstain_threshold=0.0)
    kb.build()
    assert_abstains(kb, "Did version 4.1 remove support for Internet Explorer?")
    # ... when that line says some of what is asked beyond the names: not the look-alike's count, nor physiotherapy
    # at Hilltop for the Riverside clinic because the next line is about Riverside's parking.
    assert_abstains(kb, "How many people does Room C105 seat?", "Does the Riverside clinic offer physiotherapy?")
    assert_answers(kb, ("Did version 4.2 remove support for Internet Explorer?", "Internet Explorer"),
                   ("Where do staff park at the South Plant?", "Mill Road"))


def test_look_alikes_are_read_from_the_question_and_the_pool():
    from kb.answer.grounding import about_a_sibling, sibling_families

    pool = ("Skylark is offered in three plans: Basic, Business and Enterprise.\n\n## Business plan\n\nThe Business "
            "plan costs 29 dollars. Business customers get 100 GB. It supports up to 250 users.\n\n## Enterprise plan"
            "\n\nEnterprise customers get unlimited storage. A manager is assigned to each Enterprise customer. The "
            "Enterprise plan is priced by quote.\n\nRoute 12 serves the airport. Route 14 and Route 21 do not.")
    (plan,) = sibling_families("Do Business customers get a manager?", pool)
    assert (plan.asked, plan.siblings) == ("business", frozenset({"enterprise"}))
    (route,) = sibling_families("Does Route 14 serve the airport?", pool)
    assert route.siblings == frozenset({"12", "21"}) and route.numeric
    # A name that ends the question is of the kind the pool writes after it: "at Hilltop" is the Hilltop clinic.
    clinics = ("Greenvale runs the Riverside clinic and the Hilltop clinic. The Riverside clinic has X-ray. The Hilltop "
               "clinic opens at 9am. Patients can book at Riverside by calling 555-0142.")
    (clinic,) = sibling_families("What number books appointments at Hilltop?", clinics)
    assert (clinic.asked, clinic.siblings) == ("hilltop", frozenset({"riverside"}))
    # A name's kind is also the one the pool writes after it, where the question gives another only when the pool
    # writes it after the name at least half the time: "Japanese" before an island, raids and propaganda is no island.
    islands = ("Hokkaido is the large Japanese island nearest the Kuril Islands. The Habomai Islands and the Kuril "
               "Islands were taken in 1945, and Japanese island towns were evacuated. Japanese raids followed, and "
               "Japanese propaganda, and Japanese settlers left the Habomai Islands.")
    assert sibling_families("How many Japanese ended up in captivity?", islands) == ()
    assert sibling_families("How many Japanese ended up in captivity?", islands.replace(
        "Japanese raids followed, and Japanese propaganda, and Japanese settlers", "Japanese island people"))[0].siblings \
        == frozenset({"kuril", "habomai"})
    # A name's later word, a year, a look-alike the question names too, one the pool writes once: no family.
    assert sibling_families("What does the Canal Street office do in 2023?", pool + " Main Office.") == ()
    assert sibling_families("Is the Business plan cheaper than the Enterprise plan?", pool) == ()
    rivers = "The Amazon Basin is vast; the Amazon Basin floods. Water flows west across the Amazonas Basin."
    assert sibling_families("Where does the Amazon Basin drain?", rivers) == ()
    before = pool[: pool.index("It supports")]
    assert about_a_sibling((plan,), "A manager is assigned to each Enterprise customer.", "")
    assert not about_a_sibling((plan,), "Unlike the Business plan, the Enterprise plan is priced by quote.", "")
    (basic,) = sibling_families("How many users does the Basic plan support?", pool + " The Business plan is popular.")
    assert about_a_sibling((basic,), "It supports up to 250 users.", before)  # the Business plan's section
    assert not about_a_sibling((plan,), "It supports up to 250 users.", before)
    assert not about_a_sibling((route,), "All routes accept contactless payment.", "")


def test_look_alikes_in_lower_case_are_ordinals_and_words_a_prefix_sets_apart(make_kb):
    """tests/data/trust_siblings' admissions page: "Do undergraduate applicants need letters of recommendation?" was
    answered at 0.97 with "Graduate applicants need a bachelor's degree and two letters of recommendation.", and a
    university's rules "What was the penalty for a third breach?" with the first breach's. Any two words before one
    noun are no look-alikes ("drainage basin" and "Amazonas Basin", "pay gap" and "income gap" cost SQuAD tune answers
    right): ordinals, and a word with a prefix that sets it apart ("undergraduate", "non-profit"), are."""
    from kb.answer.grounding import about_a_sibling, sibling_families

    pool = ("## Undergraduate programmes\n\nUndergraduate applicants must apply by 15 January. Applicants need a "
            "diploma.\n\n## Graduate programmes\n\nGraduate applicants must apply by 1 March. Graduate applicants "
            "need two letters of recommendation. Only graduate applicants submit a research proposal.")
    (level,) = sibling_families("Do undergraduate applicants need letters of recommendation?", pool)
    assert (level.asked, level.siblings) == ("undergraduate", frozenset({"graduate"}))
    assert about_a_sibling((level,), "Graduate applicants need two letters of recommendation.", "")
    assert not about_a_sibling((level,), "Only graduate applicants submit a research proposal.", "")  # so not they
    assert not about_a_sibling((level,), "Applicants need a diploma.", pool[: pool.index("Applicants need")])
    breaches = "A first breach leads to a warning. A second breach leads to a fail. The first breach is recorded."
    (third,) = sibling_families("What is the penalty for a third breach?", breaches)
    assert third.siblings == frozenset({"first"})  # "second" is written once
    gaps = "The pay gap is 12%. The income gap is wider. The income gap grew."
    assert sibling_families("How large is the pay gap?", gaps) == ()
    # Written once, a look-alike counts where the pool also writes the asked word: the documents tell them apart.
    once = "Graduate applicants must apply by 1 March. An interview is not required for undergraduate admission."
    (graduate,) = sibling_families("Is an interview required for graduate admission?", once)
    assert graduate.siblings == frozenset({"undergraduate"})
    assert about_a_sibling((graduate,), "An interview is not required for undergraduate admission.", "")
    assert sibling_families("Is an interview required for graduate admission?", once.replace("Graduate", "All")) == ()
    # "Last" and "final" are one place: "the final Prime Minister" is the last one.
    assert sibling_families("Who was the final Prime Minister?", "The final report came out. The last Prime "
                            "Minister was Lothar de Maizière.") == ()
    # Two words joined to one kind by a hyphen, written twice: "part-time" beside "full-time" students.
    modes = ("Full-time students take four modules and finish a master's degree in one year. Part-time students take "
             "two modules and finish in two years. Full-time students attend daytime lectures.")
    (part,) = sibling_families("How long does a part-time master's degree take?", modes)
    assert (part.asked, part.siblings, part.kind) == ("part", frozenset({"full"}), "time")
    assert about_a_sibling((part,), "Full-time students take four modules and finish a master's degree in one year.", "")
    assert not about_a_sibling((part,), "Part-time students take two modules and finish in two years.", "")
    assert sibling_families("How long does a part-time master's degree take?", modes.replace(
        "Full-time students attend", "Students attend")) == ()  # "full-time" written once

    kb = make_kb({"admissions.md": pool})
    kb.build()
    assert_abstains(kb, "Do undergraduate applicants need letters of recommendation?")
    assert_answers(kb, ("Do graduate applicants need letters of recommendation?", "two letters"))


def test_people_are_read_by_title_or_by_given_name_and_surname():
    from kb.answer.grounding import a_persons_name, about_someone_else
    from kb.text import Person, people_named

    assert people_named("What is Harold Marsh's phone extension?") == (Person("Harold", "Marsh"),)
    assert people_named("When did Dr. Helen Marsh retire? Ask Professor Okafor.") == (
        Person("Helen", "Marsh", True), Person(None, "Okafor", True))
    # A question word, a month, a place word or an office before a capital: no given name.
    assert people_named("When Okafor left, in March Madness, for Mount Kenya, Senator Adeyemi said") == ()
    assert people_named("Sean O'Brien and Daniel James Okafor met Anna van der Berg.") == (
        Person("Sean", "O'Brien"), Person("Daniel", "Okafor", middle="James"), Person("Anna", "Berg"))
    daniel = Person("Daniel", "Okafor")
    unknown = {"okafor", "carvalho", "raman", "hopkins", "okonkwo", "adeyemi", "rosenfield"}.isdisjoint  # not words of the vocabulary

    def other(person: Person, sentence: str, before: str) -> bool:
        known = lambda word: unknown({word})  # noqa: E731
        return a_persons_name(person, before + sentence, known) and about_someone_else(person, sentence, before)

    # The surname alone is whom the text last named by it, with a title or opening a sentence.
    assert other(daniel, "Professor Okafor was promoted in 2020.", "Miriam Okafor won a medal. ")
    assert not other(daniel, "Okafor was hired in 2016.", "Miriam Okafor won. Daniel Okafor manages it. ")
    assert not other(Person("Miriam", "Okafor"), "Professor Okafor was promoted.", "Professor Miriam Okafor won. ")
    # Another given name opening a sentence is another person; inside a sentence it may be anything.
    assert other(daniel, "Miriam Okafor was promoted in 2020.", "")
    # Named only as whom another of the surname is set against, the person is not what the statement is about
    # ("When did Dr. Helen Marsh retire?" was quoted this at 0.93, tests/data/trust_university), unless the question
    # sets them against each other itself.
    marsh = "Dr. Harold Marsh retired in 2019 and is not related to Dr. Helen Marsh."
    helen = Person("Helen", "Marsh", True)
    assert about_someone_else(helen, marsh, "") and not about_someone_else(helen, marsh, "", set_against=False)
    assert not about_someone_else(Person("Harold", "Marsh", True), marsh, "")
    assert not about_someone_else(helen, "Dr. Helen Marsh is not related to Dr. Harold Marsh.", "")
    assert not other(Person("Daniel", "Okonkwo"), "Daniel and Miriam Okonkwo founded the clinic in 2004.", "")
    assert not other(Person("Emily", "Hopkins"), "She trained at Johns Hopkins in Baltimore.", "Emily Hopkins. ")
    # A word before the given name is read as one ("Sociologist Jake Rosenfield"): either of the two agrees.
    assert not other(Person("Jake", "Rosenfield"), "Sociologist Jake Rosenfield asserts it.", "")
    assert other(daniel, "Miriam Grace Okafor was promoted in 2020.", "")
    # A line naming no one is about whom its record (paragraph, list item) names first.
    assert other(Person(None, "Carvalho", True), "Office hours: Fridays.", "Dr. Ines Carvalho.\n\nDr. Priya Raman. ")
    assert not other(Person(None, "Carvalho", True), "Office hours: Fridays.",
                     "Dr. Ines Carvalho. Shares an office with Dr. Priya Raman. ")
    assert other(Person("Samuel", "Adeyemi"), "Joined the utility in 2016.",
                 "- **Samuel Adeyemi**, Chief Engineer.\n- **Dr. Miriam Okafor**, General Manager. ")
    assert not other(daniel, "He was promoted to reader in 2016.", "He studied under Professor Jane Whitfield. ")
    # Only a person's name: "Scottish Parliament" has the shape of one, and "Scotland Parliament" is no other person;
    # a surname that is a word counts where a title says it is a name ("Dr. Harold Marsh").
    assert not other(Person("Scottish", "Parliament"), "Powers of the Scotland Parliament are reserved.", "")
    assert other(Person("Helen", "Marsh"), "Extension 6140.", "Dr. Helen Marsh.\n\nDr. Harold Marsh, emeritus. ")
    assert not other(Person("Helen", "Marsh"), "Extension 6140.", "Helen Marsh.\n\nHarold Marsh, emeritus. ")
    # A name the passage also writes as a word decides nothing: "Bird" of "Bird Clinic" among birds.
    assert not other(Person("Harnell", "Bird", True), "We refer birds elsewhere.", "Dr. Priya Raman. ")


def test_a_title_answers_who_only_with_a_persons_name(make_kb):
    """"Engineering Leads Sync - Tue 14 May 2024" was quoted at 0.94 for "Who sent apologies for the engineering leads
    sync on 14 May 2024?": a title's capitals are its own words, not a person the question asks for."""
    notes = ("# Engineering Leads Sync - Tue 14 May 2024\n\nAttendees: Priya Castellanos (chair), Tobias Venn, Aoife "
             "Brennick.\n\nApologies: Jonah Mbeki-Price.\n\nThe team agreed to move the release review to Thursday.\n")
    kb = make_kb({"notes.md": notes})
    kb.build()
    answer = kb.ask("Who sent apologies for the engineering leads sync on 14 May 2024?")
    assert not any(c.text.startswith("Engineering Leads Sync") for c in answer.citations), answer.answer


def test_what_a_question_states_is_quoted_with_the_answer_next_to_it(seed_kb):
    """"Sushko has been translating the correspondence ... since early March. What did he pass on to Newsweek?" was
    answered at 0.89 with the sentence saying he translates it: the question's own statement. The neighbour that
    holds what it asks beyond that is quoted with it (two questions of the fourth seed set, tests/data)."""
    from kb.query import given_part

    assert given_part("Sushko has been translating the correspondence since early March. What did he pass on?") == (
        "Sushko has been translating the correspondence since early March.")
    assert given_part("Osechkin published the letter; who translates it?") == "Osechkin published the letter;"
    for only_asks in ("Who verified the letter?", "What did the U.S. do in 1945?", "Is this true? Who wrote it?",
                      "Where is his organization based? (Christo Grozev)", "Tell me more. Who?"):
        assert given_part(only_asks) == "", only_asks
    for question, gold in (
            ("Sushko has been translating the correspondence from Russian into English since early March. What did "
             "he pass on to Newsweek?", "all the emails"),
            ("The agent calls the Kuril Islands a major obstacle between Moscow and Tokyo. What does the next line "
             "say the islands offer?", "military and political advantages")):
        answer = seed_kb.ask(question)
        assert not answer.abstained and gold in answer.answer, (question, answer.answer)
        assert any(gold in c.text for c in answer.citations)
