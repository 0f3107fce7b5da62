"""Passages -> a short answer made of the source sentences that answer the question, each with citations.

No language model: the answer is the best-scored sentence(s), quoted, so it can never say something the
sources do not. Sentences are scored by a learned model over measurements kb already makes (kb.answer.features);
a second learned model turns the best candidate into a probability that it answers the question, and below the
threshold (set for a stated precision, docs/quality.md) the answerer abstains and cites nothing. Sentences from
other sources that say the same thing become extra citations of one statement instead of repeated text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Callable, Protocol

import numpy as np

from kb.answer.features import (CONFIDENCE_FEATURES, CONTEXT_FEATURES, SENTENCE_FEATURES, Candidate, DocumentWords,
                                SentenceSource, build_candidates, confidence_row, list_item)
from kb.answer.facts import same_facts
from kb.answer.grounding import (SETS_AGAINST, Family, a_name_line, a_persons_name, about_a_sibling, about_someone_else,
                                 answered_by_name_line, asked_beyond_the_names, document_words, mentions, missing_names,
                                 names_only_the_asked, names_share_a_row, only_compared_with, pool_words,
                                 sibling_families, thing_of_a_post, with_acronyms)
from kb.linear_model import LinearModel, load_model
from kb.answer_types import (AnswerType, adds_nothing, answers_an_earlier_time, asked_dimension, asks_a_qualified_name,
                             asks_count, asks_named_by_kind, asks_of_the_past, asks_person_by_role, asks_when,
                             asks_when_it_was, asks_who_leads, asks_why, asks_yes_or_no, gives_a_reason,
                             instructs_what_is_asked, measured_as, names_in_full, names_someone, speaks_of_time,
                             speaks_only_of_the_future, states_contact, states_count, states_date, states_month,
                             states_number, states_year, without_when_told)
from kb.config import Settings
from kb.sources.formats import MARKDOWN_SUFFIXES
from kb.query import REFERRING_WORDS, QueryContext, asked_part, given_part
from kb.text import (PERSON_PRONOUN, Sentence, _match_forms, content_stems, fold, named_entities, person_mentions,
                     split_sentences, stem, table_rows, term_overlap, term_spellings, without_possessive, words)
from kb.types import Answer, Citation, Passage

ABSTAIN_TEXT = "The indexed documents do not cover this question, so there is no answer to cite."


class SentenceEmbedder(Protocol):
    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray: ...


@dataclass
class ScoredSentence:
    passage: Passage
    sentence: Sentence  # span in document coordinates
    cosine: float
    overlap: float
    score: float
    vector: np.ndarray
    supplies_type: bool | None = None  # None: the question expects no particular kind of answer
    context: "ScoredSentence | None" = None  # the neighbour quoted with it (kb/answer/weights/context.json)
    features: dict[str, float] = field(default_factory=dict, repr=False)  # kb.answer.features.SENTENCE_FEATURES
    index: int = 0  # position among its passage's sentences

    def span(self) -> tuple[int, int]:
        """Document span of the statement: the sentence, plus its context sentence when it has one."""
        if self.context is None:
            return self.sentence.start, self.sentence.end
        return min(self.sentence.start, self.context.sentence.start), max(self.sentence.end, self.context.sentence.end)

    def text(self) -> str:
        if self.context is None:
            return self.sentence.text
        start, end = self.span()  # inside the passage: checked when the context was attached
        return self.passage.text[start - self.passage.start : end - self.passage.start]


class ExtractiveAnswerer:
    """Scores every candidate sentence with the learned sentence model, answers with the best one(s) when the
    learned confidence model says the best is likely right, and otherwise abstains.

    The models (kb/answer/weights/*.json: sentence, confidence, and context, which neighbour to quote with a
    sentence) are fit by benchmarks/train_scorer.py on the tune half of the SQuAD sample plus negatives of every
    kind; docs/quality.md has the record.
    """

    def __init__(
        self,
        embedder: SentenceEmbedder,
        abstain_threshold: float = Settings.abstain_threshold,
        max_sentences: int = Settings.max_answer_sentences,
        duplicate_similarity: float = Settings.duplicate_similarity,
        second_sentence_margin: float = Settings.second_sentence_margin,
        sentence_model: LinearModel | None = None,
        confidence_model: LinearModel | None = None,
        context_model: LinearModel | None = None,
        context_threshold: float = Settings.context_threshold,
        max_quote_chars: int = Settings.max_quote_chars,
    ) -> None:
        self.embedder = embedder
        self.abstain_threshold = abstain_threshold
        self.max_sentences = max_sentences
        self.duplicate_similarity = duplicate_similarity
        self.second_sentence_margin = second_sentence_margin
        self.context_threshold = context_threshold
        self.max_quote_chars = max_quote_chars
        self.sentence_model = sentence_model or load_model("sentence")
        self.confidence_model = confidence_model or load_model("confidence")
        self.context_model = context_model or load_model("context")

    def _stored_or_embedded(self, sentence_source: SentenceSource | None) -> SentenceSource:
        """Sentences with their index-time vectors, or (without an index) split and embedded here."""
        if sentence_source is not None:
            return sentence_source

        def embed_now(passage: Passage) -> list[tuple[Sentence, np.ndarray]]:
            found = [s for s in split_sentences(passage.text, offset=passage.start) if words(s.text)]
            if not found:
                return []
            return list(zip(found, self.embedder.embed([s.text for s in found])))

        return embed_now

    def candidates(
        self, query: QueryContext, passages: list[Passage], sentence_source: SentenceSource | None = None,
        document_words: DocumentWords | None = None,
    ) -> list[ScoredSentence]:
        """Every distinct sentence of the passages, scored by the sentence model, best first."""
        words_of = pool_words(document_words or _passage_words(passages), query.acronyms, (p.text for p in passages),
                              query.asked_people)
        found, matrix = build_candidates(query, passages, self._stored_or_embedded(sentence_source), words_of)
        if not found:
            return []
        logits = self.sentence_model.logits(matrix[:, _columns(self.sentence_model, SENTENCE_FEATURES)])
        scored = []
        for c, logit in zip(found, logits):
            f = c.features
            typed = None if query.answer_type is None else bool(f["type_supplied"])
            scored.append(ScoredSentence(c.passage, c.sentence, f["cosine"], f["overlap"], float(logit), c.vector,
                                         typed, features=f, index=c.index))
        scored.sort(key=lambda c: -c.score)
        # A title restates a topic, so it answers only as the kind of answer asked for (a company's name in a site
        # banner for "Which company ...?"): "Explain the Kuril Islands dispute" was answered with the seeds' two
        # headings on it at confidence 0.94. Rare in the question sets (docs/quality.md, "Headings").
        scored = [c for c in scored if not (c.features.get("heading") and not _heading_answers(c, query))]
        _attach_context(scored, query, self.context_model, self.context_threshold)
        return scored

    def confidence(self, query: QueryContext, scored: list[ScoredSentence]) -> float:
        """Calibrated probability that the best candidate answers the question (kb/answer/weights/confidence.json)."""
        if not scored:
            return 0.0
        logits = np.array([c.score for c in scored])
        row = confidence_row(query, [_as_candidate(c) for c in scored], logits)
        return float(self.confidence_model.probabilities(row[_columns(self.confidence_model, CONFIDENCE_FEATURES)])[0])

    def run(self, query: QueryContext, passages: list[Passage], sentence_source: SentenceSource | None = None,
            document_words: DocumentWords | None = None) -> Answer:
        question = query.question
        # without a follow-up's appended names, and with an acronym the documents only spell out written as they do
        # ("Who is the CFO?" -> "... Chief Financial Officer?"): what the rules below read
        asked = query.spelled_out_question(asked_part(question))
        if query.absent_names:  # the index never mentions what the question is about: nothing can answer it
            return Answer(question, ABSTAIN_TEXT, True, [], passages, confidence=0.0)
        if not query.subject and _someone_unnamed(question):
            # "Where is his organization based?" asked first, with no conversation to say whose: any answer would be
            # about a person kb picked, cited as if the question had named them.
            return Answer(question, ABSTAIN_TEXT, True, [], passages, confidence=0.0)
        # Names are looked up as the retrieved pool defines them (PoolWords); without an index, not at all.
        pool = (pool_words(document_words, query.acronyms, (p.text for p in passages), query.asked_people)
                if document_words is not None else None)
        scored = self.candidates(query, passages, sentence_source, pool)
        passages = _by_best_sentence(passages, scored)
        confidence = self.confidence(query, scored)
        if not scored or confidence < self.abstain_threshold:
            return Answer(question, ABSTAIN_TEXT, True, [], passages, confidence=confidence)
        top = scored[0]
        if query.names and pool is not None and missing_names(query.names, [top.passage.source], pool,
                                                              query.places):
            # The best sentence comes from a document that never mentions a name the question is about.
            return Answer(question, ABSTAIN_TEXT, True, [], passages, confidence=0.0)
        kind = query.answer_type
        if kind is AnswerType.EXPANSION and not top.supplies_type:
            # "What does FSB stand for?" is answered by the words FSB's letters stand for, and nothing else: a
            # sentence that only mentions FSB cannot be it, however well it scores. Asked of documents that never
            # spell it out, the model (which sees a handful of such questions) quoted one at 0.19.
            return Answer(question, ABSTAIN_TEXT, True, [], passages, confidence=0.0)
        acronyms = pool.acronyms if pool is not None else None
        families = sibling_families(asked, "\n\n".join(p.text for p in passages))
        beyond = asked_beyond_the_names(asked, families) if families else frozenset()
        replaced = False  # the best statement was about a look-alike, or a line that only names someone
        given = _given_terms(question)
        chosen: list[ScoredSentence] = []
        for candidate in scored:
            if len(chosen) == self.max_sentences or candidate.score < top.score - self.second_sentence_margin:
                break
            if any(_overlaps(candidate, c) or float(candidate.vector @ c.vector) >= self.duplicate_similarity for c in chosen):
                continue
            if chosen and candidate.features.get("question_facts", 1.0) < chosen[0].features.get("question_facts", 1.0):
                # A second statement repeating fewer of the question's own numbers and dates than the first is a
                # look-alike about another period or figure ("Q1" for a question about Q2), not more of the answer.
                # Cosine alone cannot tell: templated sentences sit near duplicate_similarity on either side.
                continue
            if chosen and query.names and pool is not None and missing_names(
                    query.names, [candidate.passage.source], pool, query.places):
                continue  # a second statement about someone else: an answer never mixes two subjects
            if query.subject_is_source:
                if pool is not None and missing_names(query.subject, [candidate.passage.source], pool):
                    # "According to his report, ...? (Zaini Majeed)" is answered from a document that names him (its
                    # byline), about whatever the report is about.
                    continue
            elif query.subject and not _about(candidate, query.subject, strict=bool(chosen), acronyms=acronyms):
                continue  # a follow-up ("his organization") is answered about the person it refers to, or not at all
            rows = table_rows(candidate.sentence.text)
            if rows is not None and query.names and not names_share_a_row(query.names, rows[1:], query.places):
                continue  # the question's names are on different rows: the table says nothing of whom it asks
            if rows is None and query.asked_people and _about_others(candidate, query):
                if not chosen:
                    # The best statement is about another person than the question names ("Professor Okafor ..."
                    # after "Miriam Okafor", for Daniel Okafor): its confidence was the model's for that statement.
                    # A table is read by its rows, above.
                    return Answer(question, ABSTAIN_TEXT, True, [], passages, confidence=0.0)
                continue
            if query.names and only_compared_with(query.names, asked, candidate.sentence.text):
                # "How many crew members did the Sandpiper have?" is not answered by "The ship carries eight crew ...,
                # twice as many as the Sandpiper could take.": what something else is measured against is not what the
                # statement is about (docs/quality.md, "The thirty-first stop"). As a look-alike's statement is.
                replaced = replaced or not chosen
                continue
            if candidate.context is not None and query.asked_people and _about_others(candidate.context, query):
                candidate.context = None  # "Extension 6140." ends the entry before "Dr. Harold Marsh, ..."
            if families and _about_a_sibling(candidate, families, beyond):
                # "The South Plant was certified to ISO 14001 in 2021." for "When was the North Plant certified ...?":
                # one document covers both plants, so the names check passes (docs/quality.md, "A statement about a
                # look-alike"). Left out, first or not: a statement close enough to the best to be quoted beside it
                # may still answer, though the confidence was the look-alike's; so in its place only one that holds
                # the kind of answer asked for ("It runs two shifts" for "How many shifts ...?"), below.
                replaced = replaced or not chosen
                continue
            if candidate.context is not None and families and _about_a_sibling(candidate.context, families, beyond):
                candidate.context = None
            if given is not None and candidate.context is None and _restates(candidate, *given):
                # "Sushko has been translating the correspondence since early March. What did he pass on to
                # Newsweek?" is not answered by the sentence saying he translates it: what a question states as
                # given, it already knows. The answer is next to that sentence ("He has shared all the emails in
                # full to Newsweek"), so the neighbour holding what is asked is quoted with it. Not set aside when
                # no neighbour holds it: the sentence may say more than the question states ("... largely because of
                # disputes over a group of islands"), and two right tune answers were lost that way
                # (docs/quality.md, "What the question states").
                candidate.context = _beyond(candidate, _neighbours(scored), given[1])
            if not _name_line_answers(candidate, query):
                # "Tomas Reyes, Deputy General Manager for Operations." for "When did Tomas Reyes join the utility?": a
                # staff list's line matches the name and says nothing else (docs/quality.md, "A line that only names
                # someone"). Replaced as a look-alike's statement is ("Reported by: ..." before "Updated November
                # 25th, 2022" for the date of a report).
                replaced = replaced or not chosen
                continue
            chosen.append(candidate)
        if not chosen or (replaced and (kind is None or not any(query.supplies(c.text()) for c in chosen))):
            return Answer(question, ABSTAIN_TEXT, True, [], passages, confidence=0.0)
        if query.spelled_out and not all(any({fold(w) for w in written} <= {fold(w) for w in words(c.text())}
                                             for c in chosen) for written in query.spelled_out.values()):
            # "Who is the CFO?" of files that write only "Chief Financial Officer" is answered by a statement that says
            # it (kb.query.QueryContext.spell_out_absent): one that does not, found by the question's other words, is
            # about another post, or another thing.
            return Answer(question, ABSTAIN_TEXT, True, [], passages, confidence=0.0)
        thing = thing_of_a_post(asked)
        if thing is not None and all(a_name_line(c.text()) is not None and stem(thing) not in content_stems(c.text())
                                     for c in chosen):
            # "What are the General Manager's office hours?" is not answered by "Dr. Miriam Okafor, General Manager."
            # alone: a name line says who holds the post, and passes so that a statement quoted beside it may give the
            # rest (answered_by_name_line); with only name lines quoted, nothing says it.
            return Answer(question, ABSTAIN_TEXT, True, [], passages, confidence=0.0)
        if query.asked_years and pool is not None and not any(states_year(pool(chosen[0].passage.source), year)
                                                              for year in query.asked_years):
            # "How long was Route 9 closed during the 2021 main break?" of a report on the 2023 one, "What is the
            # budget for fiscal year 2024?" of the 2022 budget: a document that never states the year asked about
            # says nothing of it (its decade counts: "the 1980s" states 1985). One SQuAD tune answer of 51 that
            # name a year was cited from a document without it, and that one by its decade.
            return Answer(question, ABSTAIN_TEXT, True, [], passages, confidence=0.0)
        if query.asked_months and pool is not None and not all(
                states_month(pool(chosen[0].passage.source), m) for m in query.asked_months):
            # "How many webhook events failed during the customer load test on 2 May?" of the postmortem of a March
            # outage, which never says May: as for a year, a document that never states the month asked about says
            # nothing of what happened then (docs/quality.md, "The thirty-first stop", item 1).
            return Answer(question, ABSTAIN_TEXT, True, [], passages, confidence=0.0)
        if query.asked_numbers and pool is not None and not all(
                states_number(pool(chosen[0].passage.source), n) for n in query.asked_numbers):
            # "When was Ferrypoint 3.0 released?" of the 4.0 release notes, the same as a year: a document that never
            # states a number the question names (a version, a figure, a count) is about something else. On the
            # tune questions it cost no right answer (docs/quality.md, "A number the cited document never states").
            return Answer(question, ABSTAIN_TEXT, True, [], passages, confidence=0.0)
        if query.attributed_to and pool is not None and missing_names(
                [word for source in query.attributed_to for word in source], [chosen[0].passage.source], pool):
            # "On what date did Japan surrender to the Allies, according to the fact-check?" of a history of the
            # neutrality pact, "How does the whistleblower describe the Kurils' place ...?" of a poll: what the
            # question says its answer comes from, a document that never mentions it cannot say. On the tune
            # questions: 9 cited wrong answers caught (seed questions asked of other news of their domain, and of the
            # seeds without their gold sources), no right answer lost (docs/quality.md, "A source the question names").
            return Answer(question, ABSTAIN_TEXT, True, [], passages, confidence=0.0)
        if query.asked_contact and not any(states_contact(c.text(), query.asked_contact, asked) for c in chosen):
            # "What is Wen Jie Thornbury's email address?" is answered by an address, a phone number by digits: a
            # sentence that names her without one is no answer, however well it matches (docs/quality.md, "A contact
            # detail asked for").
            return Answer(question, ABSTAIN_TEXT, True, [], passages, confidence=0.0)
        if chosen[0].features.get("other_year"):
            # "What was revenue in 2020?" is not answered by "Revenue in 2021 was 4.1 million euros.", however well
            # the rest matches: a statement about another year than the question's, with the question's year nowhere
            # around it, is about something else (docs/quality.md, "A statement about another year"); nor is one that
            # gives what the question names by a year another year ("the Fiscal Year 2022 budget" for "fiscal year
            # 2021", though it states 2021 as the day it was adopted: "The thirty-third stop").
            return Answer(question, ABSTAIN_TEXT, True, [], passages, confidence=0.0)
        if kind is AnswerType.DATE and (query.type_detail or any(states_date(c.text()) for c in chosen)) and not any(
                query.supplies(c.text()) for c in chosen):
            # "In what year ...?", "On what date ...?" is answered by a year, a day or a month the question does not
            # state, and nothing else: a sentence about the same event without one is the story, not the date. The
            # model weighs a missing date little (SQuAD's "when" is often answered "after the war"), so with a unit
            # asked for this is a rule, keyed on the kind of question: on the tune questions, answered at the
            # threshold, no right answer lacked the unit and three seed questions with no answer did
            # (docs/quality.md, "A date question answered without its date"). A "when" whose statements state dates,
            # but only the question's own, echoes it ("When is the meeting after the one on 28 May 2024?" ->
            # "Next meeting: Tue 28 May 2024."): no tune SQuAD or seed answer had that form (docs/quality.md, "A date
            # question answered with its own date").
            return Answer(question, ABSTAIN_TEXT, True, [], passages, confidence=0.0)
        if kind is AnswerType.DATE and asks_when(asked) and not any(
                speaks_of_time(c.text(), past=asks_when_it_was(asked)) for c in chosen):
            # "When is the first Route 12 bus?" is not answered by "Route 12 serves the airport.", nor "When did Jane
            # Doe join the Gazette?" by "Jane Doe covers transport and city hall for the Gazette.": a statement with no
            # date and no word of time ("after the war", "during the Oligocene", "at night") says nothing of when. On
            # the tune questions one right SQuAD answer had neither ("Under intense light ...") (docs/quality.md, "A
            # when answered with no word of time"). Asked when something was done, a timetable does not say it: "When
            # was the Main Office building on Canal Street built?" was quoted its opening hours at 0.71 (docs/quality.md,
            # "The thirtieth stop", item 12).
            return Answer(question, ABSTAIN_TEXT, True, [], passages, confidence=0.0)
        if asks_of_the_past(asked) and all(speaks_only_of_the_future(c.sentence.text)
                                           or instructs_what_is_asked(c.sentence.text, asked) for c in chosen):
            # "When did Samuel Adeyemi join the utility?" is not answered by "Samuel Adeyemi oversees the Hollow Lake
            # plant upgrade, which is due to finish in 2027.", nor "What did the board decide at the April 11, 2023
            # meeting?" by "The next regular meeting is scheduled for April 11, 2023.": what is still to come says
            # nothing of what was done. No tune answer to a question about the past was such a statement. Nor an
            # instruction to do what is asked: "When was it installed?" of the Route 9 main was quoted "Install
            # corrosion protection on the remaining 1.4 miles of the Route 9 transmission main by June 2024." at 0.91.
            return Answer(question, ABSTAIN_TEXT, True, [], passages, confidence=0.0)
        if not any(answers_an_earlier_time(asked, c.text()) for c in chosen):
            # "What was the minimum supported Android version before Ferrypoint 4.0?" was quoted "The minimum supported
            # Android version is now Android 10." at 0.80: what is now is no answer about before (docs/quality.md,
            # "The thirtieth stop", item 10).
            return Answer(question, ABSTAIN_TEXT, True, [], passages, confidence=0.0)
        if asks_why(asked) and all(_only_restates(c, content_stems(asked)) and not gives_a_reason(c.text())
                                   for c in chosen):
            # "Why did Commissioner Ferreira vote for the rate adjustment?" is not answered by "Commissioner Ferreira
            # moved to approve the rate adjustment.", nor "Why didn't the queue depth alert go off?" by "We have an
            # alert on the webhook queue depth.": a statement that restates what the question takes as given, with no
            # word of a cause, a purpose or a circumstance, says only that it is so. One that says more may give the
            # reason without such a word ("The council's engineers had found deep cracks in the main span."), as
            # SQuAD's do (docs/quality.md, "The thirtieth stop", item 4).
            return Answer(question, ABSTAIN_TEXT, True, [], passages, confidence=0.0)
        dimension = asked_dimension(asked)
        if dimension is not None and not any(measured_as(c.text(), dimension) for c in chosen):
            # "How long is the Northern Tern?" is not answered by "The Northern Tern cost CAD 14.2 million.": a length
            # of time or of space is said by its unit, a word of duration or two dates. One SQuAD tune answer says it
            # by two dates ("from January 1964, until ... July 1969"), none without. The same for how tall, far, heavy
            # or loud: "How loud is the X300?" was quoted "The X300 weighs 3.8 kg." at 0.77 (docs/quality.md, "The
            # thirty-third stop").
            return Answer(question, ABSTAIN_TEXT, True, [], passages, confidence=0.0)
        counted = kind is AnswerType.NUMBER and asks_count(asked)
        if (query.type_detail in ("money", "age") or counted) and not any(
                query.supplies(c.text()) and (not counted or states_count(c.text(), asked, query.question_words))
                for c in chosen):
            # "How much does a water softener cost?" is answered by a sum of money (or "free"), as "In what year?" by
            # a year: "Many customers choose not to use a water softener." names the thing and not its price. On the
            # tune questions, answered at the threshold, no right answer lacked a sum and four with no answer did. Not
            # the best statement that gives a sum instead: that quoted "Direct repair costs were $186,000." for the
            # water softener at 0.45 (docs/quality.md, "A price asked for"). An age the same way: "How old is Ruth
            # Okafor?" is not answered by the years she joined and was promoted in (docs/quality.md, "People and posts").
            # A count too: "How many Soviet troops landed on the four northern islands ...?" was quoted the sentence
            # saying they occupied the four islands at 0.98; on the tune questions this caught four seed questions
            # with no answer and lost no right answer (docs/quality.md, "A count asked for"). A measure or a sum is no
            # count: "How many Siberian divisions did Stalin transfer ...?" was quoted "... about ten weeks after the
            # signing, and that winter Stalin could move divisions from Siberia ..." at 0.96 (states_count).
            return Answer(question, ABSTAIN_TEXT, True, [], passages, confidence=0.0)

        if kind is AnswerType.PERSON:
            _name_the_item(chosen, scored, query)
        if not asks_yes_or_no(asked) and all(adds_nothing(c.text(), asked) for c in chosen):
            # "prereqs for MGS 320?" was quoted "Prerequisite: MGS 320." at 0.74, a line of another course's entry: a
            # statement that holds nothing but the question's own words cannot say what it asks (docs/quality.md,
            # "The thirtieth stop", item 13). On the tune questions no answer had that form. After the item's naming
            # sentence is attached to a "who" answer, which then says who.
            return Answer(question, ABSTAIN_TEXT, True, [], passages, confidence=0.0)
        if asks_person_by_role(asked) and not any(
                names_in_full(c.text(), query.question_words, loose=True) for c in chosen):
            # "Which Newsweek reporter wrote the story?", "Which lawmaker questioned Hayashi ...?" ask for a person by
            # their post, so a name answers them: "US magazine Newsweek reported in a report." and "During a debate
            # in the National Diet, he termed the region ..." were quoted at 0.80 and 0.85 (docs/quality.md, "A person
            # asked for by their post"). Not "who", which SQuAD answers with groups as often ("political parties").
            return Answer(question, ABSTAIN_TEXT, True, [], passages, confidence=0.0)
        if asks_who_leads(asked) or asks_named_by_kind(asked) or asks_a_qualified_name(asked):
            opening = _opening_name(query, passages)  # once: it reads every passage
            if not any(names_someone(c.text(), query.question_words, opening) for c in chosen):
                # "Who manages the Red team?" was quoted "The Red team handles retail partners." at 0.93: who leads,
                # runs or owns something is someone with a name, a person's or an organisation's (docs/quality.md, "A
                # person asked for by their post"). So is an organisation or a place asked for by its kind ("Which
                # contractor will install ...?", "In which city is Japan Luggage Express headquartered?"), and a name
                # asked for in a language ("What Russian name did Moscow say it would give the Kuril Islands?" was
                # quoted "... it would give a Russian name to the Kuril Islands." at 0.99; docs/quality.md, "The
                # thirtieth stop", items 1, 8, 9).
                return Answer(question, ABSTAIN_TEXT, True, [], passages, confidence=0.0)
        citations: list[Citation] = []
        cited: dict[tuple[str, int, int], int] = {}
        parts: list[str] = []
        for statement in chosen:
            support = [statement] + [
                other
                for other in scored
                if other is not statement
                and other.passage.source != statement.passage.source
                and (
                    # Similar wording is the same statement only when the numbers, dates, names and polarity agree.
                    (float(other.vector @ statement.vector) >= self.duplicate_similarity
                     and same_facts(other.sentence.text, statement.sentence.text))
                    # Every sentence that spells the acronym out states the same answer.
                    or (kind is AnswerType.EXPANSION and other.supplies_type and statement.supplies_type)
                )
            ]
            markers: list[int] = []
            sources_done: set[str] = set()
            quoted = statement.text()
            cut = _quoted_part(quoted, query, self.max_quote_chars)  # the statement's, for its citation and the answer
            for item in support:
                if item.passage.source in sources_done:
                    continue
                sources_done.add(item.passage.source)
                start, end = item.span() if item is statement else (item.sentence.start, item.sentence.end)
                text = quoted if item is statement else item.sentence.text
                cut_start, cut_end = cut if item is statement else _quoted_part(text, query, self.max_quote_chars)
                start, end, text = start + cut_start, start + cut_end, text[cut_start:cut_end]
                key = (item.passage.source, start, end)
                if key not in cited:
                    cited[key] = len(citations) + 1
                    citations.append(
                        Citation(
                            n=cited[key], source=item.passage.source, title=item.passage.title, start=start, end=end,
                            text=text, score=item.score, date=item.passage.date,
                        )
                    )
                markers.append(cited[key])
            cut_start, cut_end = cut
            shown = _flowed(quoted[cut_start:cut_end], query)
            if statement.passage.source.lower().endswith(tuple(MARKDOWN_SUFFIXES)):
                shown = _without_inline_marks(shown)
            shown = ("… " if cut_start else "") + shown + (" …" if cut_end < len(quoted) else "")
            # In number order: a statement whose own passage is cited after another document that states it too
            # read "[2][1]" ("What does FSB stand for?").
            parts.append(shown + " " + "".join(f"[{n}]" for n in sorted(markers)))
        return Answer(question, " ".join(parts), False, citations, passages, confidence=confidence)


def _quoted_part(text: str, query: QueryContext, limit: int) -> tuple[int, int]:
    """Where the quote of a statement starts and ends in it: all of it, or for one longer than ``limit`` characters
    about ``limit`` characters of whole words centred on the run of words (a third as long) that holds the most of the
    question's terms, the first such run on a tie: the answer is most often just after the words the question
    repeats. A text without sentence marks (a transcript, a note typed without punctuation) is one statement of
    thousands of characters, and was quoted whole: a 2,124-character answer. A table is quoted whole (kb.sentences
    caps it)."""
    if len(text) <= limit or table_rows(text) is not None:
        return 0, len(text)
    spans = [m.span() for m in _WORD_SPAN.finditer(text)]
    if not spans:
        return 0, len(text)
    width = limit // 3
    best, best_share, j = (spans[0][0], spans[0][1]), -1.0, 0
    for i in range(0, len(spans), 5):  # a window starts every fifth word
        j = max(j, i)
        while j + 1 < len(spans) and spans[j + 1][1] - spans[i][0] <= width:
            j += 1
        share = query.term_share(text[spans[i][0]:spans[j][1]], asked=True)
        if share > best_share:
            best, best_share = (spans[i][0], spans[j][1]), share
        if spans[j][1] == spans[-1][1]:
            break
    centre = (best[0] + best[1]) // 2
    low = min(max(centre - limit // 2, 0), max(len(text) - limit, 0))
    inside = [(a, b) for a, b in spans if a >= low and b <= low + limit]
    return (inside[0][0], inside[-1][1]) if inside else best


_WORD_SPAN = re.compile(r"\S+")
_QUOTED_LINE = re.compile(r"\n[ \t]*(?:>[ \t]?)+")


#: Markdown's inline marks as an answer shows them: strong emphasis, code, a link (its text kept, the citation keeps
#: the address). Single "*" and "_" are left: they are as often a product or a snake_case name.
_INLINE_MARKS = ((re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"), r"\1"), (re.compile(r"__(?=\S)(.+?)(?<=\S)__"), r"\1"),
                 (re.compile(r"`([^`\n]+)`"), r"\1"), (re.compile(r"!?\[([^\]\n]+)\]\([^)\s]+(?:\s+\"[^\"]*\")?\)"), r"\1"))


def _without_inline_marks(text: str) -> str:
    """A quote from a Markdown file as it reads: "The **Gull observatory** was built by [Maria Lopez](https://...)"
    -> "The Gull observatory was built by Maria Lopez". The citation is the file's text, marks and all."""
    for pattern, kept in _INLINE_MARKS:
        text = pattern.sub(kept, text)
    return text


def _flowed(text: str, query: QueryContext) -> str:
    """A quote as one line of words; a table (quoted whole, kb.sentences) as its header and the row that holds the
    question's terms best, a row a line, or all of it when no one row does. The citation is the whole table, so the
    row is checked against the rows around it; run together on one line, rows hid which cells were whose. The quote
    marks that open a quoted paragraph's later lines (a Markdown blockquote, an e-mail reply) are the file's, not
    the words': "> She signs all > release tags." read as it was typed."""
    lines = table_rows(text)
    if lines is None:
        return " ".join(_QUOTED_LINE.sub("\n", text).split())
    rows = [line for line in lines[1:] if any(ch.isalnum() for ch in line)]  # not a Markdown |---| line
    shares = [query.term_share(row, asked=True) for row in rows]
    best = max(shares, default=0.0)
    if best > 0 and shares.count(best) == 1 and len(rows) > 1:
        return lines[0] + "\n" + rows[shares.index(best)]
    return "\n".join(lines)


def _columns(model: LinearModel, names: tuple[str, ...]) -> list[int]:
    """Where the model's features sit in rows of ``names`` (a model lists the names it was fit on)."""
    unknown = [f for f in model.features if f not in names]
    if unknown:
        raise ValueError(f"model file names unknown features {unknown}: refit with benchmarks/train_scorer.py")
    return [names.index(f) for f in model.features]


def _as_candidate(item: ScoredSentence) -> Candidate:
    return Candidate(item.passage, item.sentence, item.vector, item.index, item.features)


def _passage_words(passages: list[Passage]) -> DocumentWords:
    """Without an index to read whole documents from, a document is known by its retrieved passages."""
    by_source: dict[str, list[str]] = {}
    for p in passages:
        by_source.setdefault(p.source, []).append(p.text)
    return lambda source: document_words(" ".join(by_source.get(source, [])))


#: Candidates, by score, that may be quoted with a neighbour: only the best few are ever quoted, and measuring
#: what each lacks costs time.
_CONTEXT_CHECKED = 3
#: A sentence opening with one of these continues the one before it ("He said ...", "However, the U.S. opposed").
_CONTINUING = REFERRING_WORDS | frozenset("however but thus therefore instead so then also as".split())


def _residual_share(query: QueryContext, sentence: str, neighbour: str) -> float:
    """IDF-weighted share of the question's asked terms that the sentence lacks and the neighbour holds."""
    forms = _match_forms(sentence)
    lacking = {t: a for t, a in query.asked_terms.items() if forms.isdisjoint(term_spellings(a))}
    return term_overlap(lacking, neighbour, query.idf) if lacking else 0.0


def quotable_neighbours(scored: list[ScoredSentence], depth: int = _CONTEXT_CHECKED,
                        ) -> list[tuple[ScoredSentence, ScoredSentence]]:
    """(sentence, neighbour) pairs for the ``depth`` best candidates: the sentence before and after each, in the
    same passage, so the quote is one exact span of the document. A title above a sentence is not part of what
    it says; a question in the document is no candidate at all (kb.text.asks)."""
    neighbour = _neighbours(scored)
    pairs = []
    for item in scored[:depth]:
        for step in (-1, 1):
            found = neighbour(item, step)
            if found is not None and not found.features.get("heading"):
                pairs.append((item, found))
    return pairs


def _neighbours(scored: list[ScoredSentence]) -> Callable[[ScoredSentence, int], ScoredSentence | None]:
    """The candidate ``step`` sentences before or after one, in the same passage and inside its span (so the two
    quoted together are one exact span of the document), or None."""
    by_place = {(c.passage.chunk_id, c.index): c for c in scored}

    def neighbour(item: ScoredSentence, step: int) -> ScoredSentence | None:
        found = by_place.get((item.passage.chunk_id, item.index + step))
        if found is None or (min(item.sentence.start, found.sentence.start) < item.passage.start
                             or max(item.sentence.end, found.sentence.end) > item.passage.end):
            return None
        return found

    return neighbour


def context_row(query: QueryContext, item: ScoredSentence, neighbour: ScoredSentence) -> list[float]:
    """The CONTEXT_FEATURES of quoting ``neighbour`` together with ``item``."""
    after = neighbour.index > item.index
    first = neighbour.sentence.text.split()[:1]
    opens = bool(first) and first[0].lower().strip(",.;:\"'“”‘’(") in _CONTINUING
    return [_residual_share(query, item.sentence.text, neighbour.sentence.text), neighbour.overlap, item.overlap,
            neighbour.cosine, item.cosine, neighbour.score - item.score,
            float(bool(neighbour.supplies_type) and item.supplies_type is False), float(after), float(after and opens),
            float(item.supplies_type is False)]


def _attach_context(scored: list[ScoredSentence], query: QueryContext, model: LinearModel,
                    threshold: float) -> None:
    """Quote each of the best sentences together with the neighbour the context model (kb/answer/weights/
    context.json) finds likeliest to hold the answer the sentence lacks, when that probability reaches
    ``threshold``. ``scored``: best first.

    "He said he showed the letter to two FSB employees." answers "Who did Grozev show the letter to?" only with
    the sentence before it, which names Grozev; "After the FSB declassified the files, what was it tasked with?"
    restates one sentence and asks what the next one says. A hand rule (the neighbour shares more of the
    question, holds the kind of answer the sentence lacks, or half the terms it lacks) quoted neighbours as often
    for 17 fewer right answers of 1,450 tune questions, two-fold by article (docs/quality.md).
    """
    pairs = quotable_neighbours(scored)
    if not pairs:
        return
    rows = np.array([context_row(query, item, neighbour) for item, neighbour in pairs])
    chance = model.probabilities(rows[:, _columns(model, CONTEXT_FEATURES)])
    best: dict[int, tuple[ScoredSentence | None, float]] = {}
    for (item, neighbour), p in zip(pairs, chance):
        if p >= threshold and p > best.get(id(item), (None, -1.0))[1]:
            best[id(item)] = (neighbour, float(p))
    for item, _ in pairs:
        item.context = best.get(id(item), (None, 0.0))[0]


def _name_the_item(chosen: list[ScoredSentence], scored: list[ScoredSentence], query: QueryContext) -> None:
    """A "who" answered by a list item's later sentence names no one: "- **Daniel Cho**, Water Quality Supervisor.
    Responsible for daily laboratory testing at the South Plant." answers "Who does the daily lab testing?" with its
    first sentence. The item's sentence before it, on the same line, is quoted with it when that one names someone
    and the statement does not (a capital opening a sentence is a name only when it is no common word). The context
    model does not: the naming sentence shares none of the question's words, and SQuAD, which it is fit on, has no
    lists (docs/quality.md, "A list item's subject")."""
    opening = _opening_name(query)
    neighbour = _neighbours(scored)
    for statement in chosen:
        lead = neighbour(statement, -1)
        if lead is not None and _HE_OR_SHE_FIRST.match(statement.sentence.text) and (
                statement.context is None or statement.context.index < statement.index):
            _name_the_subject(statement, neighbour, query)
            continue
        if statement.context is not None or lead is None or not list_item(statement.passage, lead.sentence):
            continue
        between = statement.passage.text[lead.sentence.end - statement.passage.start:
                                         statement.sentence.start - statement.passage.start]
        if "\n" in between:
            continue  # not the same item
        if (not names_someone(statement.sentence.text, query.question_words, opening)
                and names_someone(lead.sentence.text, query.question_words, opening)):
            statement.context = lead


def _opening_name(query: QueryContext, passages: list[Passage] | None = None) -> Callable[[str], bool] | None:
    """Is a capitalized word that opens a sentence a name? Only when it is no word of the embedding model's
    vocabulary: "Split the staging and production Helm values files ..." and "Responsible for daily laboratory
    testing ..." name no one. With ``passages``, a word of the vocabulary is a name too where they write it with its
    capital inside a sentence: "Napoleon commanded the army." names Napoleon ("napoleon" is a word of the
    vocabulary) beside "The victory made Napoleon master of Europe.", as kb.answer.grounding reads the pool's names."""
    vectors = query.word_vectors
    if vectors is None:
        return None
    if passages is None:
        return lambda word: not vectors.knows(word.lower())
    inside = {m.group(1) for p in passages for m in _CAPITAL_INSIDE.finditer(p.text)}
    return lambda word: not vectors.knows(word.lower()) or word in inside


#: A capitalized word inside a sentence: after a word in lower case, a comma or a semicolon, on the same line.
_CAPITAL_INSIDE = re.compile(r"(?<=[a-z,;])[ \t]+([A-Z][\w'’-]*)")


#: A sentence whose subject is someone named before it: "He is curating the 2024 exhibition Threads of the Valley."
_HE_OR_SHE_FIRST = re.compile(r"[\s*_>•-]*(?:he|she)\b", re.I)


def _name_the_subject(statement: ScoredSentence, neighbour: Callable[[ScoredSentence, int], ScoredSentence | None],
                      query: QueryContext) -> None:
    """A "who" answered by "He is curating the 2024 exhibition Threads of the Valley." names no one: the sentence
    that names a person (with a title, or a surname that is no word of the embedding model's vocabulary, as
    kb.answer.grounding.a_persons_name reads one), up to three before it in the same paragraph, is quoted with it
    ("Tomasz Wierzbicki joined in 2022. Before that he was ... He is curating ..."), when what is quoted names no
    one the question does not. The context model weighs only the sentence right before it, which here named no one
    (tests/data/trust_people, the museum's questions)."""
    known = query.word_vectors.knows if query.word_vectors is not None else (lambda word: False)

    def names_a_person(item: ScoredSentence) -> bool:  # "the Halden Lace Museum" has a person's shape, not a name
        return any(fold(p.surname) not in query.question_words and (p.titled or not known(fold(p.surname)))
                   for _, p in person_mentions(item.sentence.text))

    first = statement.context or statement
    if names_a_person(statement) or names_a_person(first):
        return
    for step in (1, 2, 3):
        lead = neighbour(first, -step)
        if lead is None:
            return
        between = statement.passage.text[lead.sentence.end - statement.passage.start:
                                         first.sentence.start - statement.passage.start]
        if re.search(r"\n[ \t]*\n", between):
            return  # another paragraph
        if names_a_person(lead):
            statement.context = lead
            return


#: A sentence restates what the question states when it holds this share of the stated words, and at most a third of
#: the words the question asks with beyond them.
_RESTATED = 0.6


def _given_terms(question: str) -> tuple[frozenset[str], frozenset[str]] | None:
    """The stems of what a question states as given (kb.query.given_part) and of the words it asks with beyond them,
    or None for a question that only asks (SQuAD's, nearly all)."""
    given = given_part(question)
    if not given:
        return None
    stated = content_stems(given)
    return stated, content_stems(asked_part(question)) - stated


def _restates(item: ScoredSentence, stated: frozenset[str], own: frozenset[str]) -> bool:
    """The sentence says what the question states, and little of what it asks beyond that."""
    held = content_stems(item.sentence.text)
    return len(stated & held) >= _RESTATED * len(stated) and 3 * len(own & held) <= len(own)


def _only_restates(item: ScoredSentence, asked: frozenset[str]) -> bool:
    """The statement (with the neighbour quoted beside it) holds most of the question's words and no more words of its
    own than of the question's: "Commissioner Ferreira moved to approve the rate adjustment." for why he voted for it;
    not "The council's engineers had found deep cracks in the main span of the River Bridge." for why it closed."""
    held = content_stems(item.text())
    said = len(held & asked)
    # Its own words are those beyond when it happened and who was told: "... informed the board that he will stand
    # down as a trustee at the annual meeting in June." restates why-is-he-standing-down (docs/quality.md, "The
    # thirty-third stop").
    return said >= _RESTATED * len(asked) and len(content_stems(without_when_told(item.text())) - asked) <= said


def _beyond(item: ScoredSentence, neighbour: Callable[[ScoredSentence, int], ScoredSentence | None],
            own: frozenset[str]) -> ScoredSentence | None:
    """The sentence right after or before ``item`` that holds the most of what the question asks beyond what it
    states (after first on a tie: "the next line"), or None when neither holds any of it."""
    best, most = None, 0
    for step in (1, -1):
        found = neighbour(item, step)
        if found is None or found.features.get("heading"):
            continue
        held = len(own & content_stems(found.sentence.text))
        if held > most:
            best, most = found, held
    return best


def _by_best_sentence(passages: list[Passage], scored: list[ScoredSentence]) -> list[Passage]:
    """The passage that holds the best-scored sentence first, the rest in retrieval order. The sentence model has
    read every sentence of these passages with each passage's own measurements (rank, cosine) among its features,
    so its best score is the better judge of which passage answers: held-out SQuAD hit@1 0.865 -> 0.869 with
    sentences embedded on their own (`benchmarks/scorer_probes.py rerank`; with pooled sentence vectors it put a
    wrong article first on the seed questions, docs/quality.md). Only the first place moves, so hit@5 keeps the
    passage model's order."""
    if not scored:
        return passages
    first = scored[0].passage.chunk_id  # scored is best first
    return sorted(passages, key=lambda p: p.chunk_id != first)  # stable: the rest keep their order


def _someone_unnamed(question: str) -> bool:
    """The question refers to a person ("he", "his", "her") and names no one it could mean: a follow-up asked without
    the conversation it follows. "They" and "it" are left alone: they are as often generic ("What do they call the
    islands?")."""
    return bool(PERSON_PRONOUN.search(question)) and not named_entities(question)


def _about(item: ScoredSentence, subject: tuple[str, ...], strict: bool,
           acronyms: dict[str, tuple[frozenset[str], ...]] | None = None) -> bool:
    """The follow-up's resolved person or thing is named by the passage the statement comes from (its first
    statement: "The group is based in Washington" answers "his organization" from a passage about him), or by
    the statement itself (a second statement: it must not bring in someone else); an acronym the passages define
    names it too ("the FSB" for "it" resolved to the Federal Security Service)."""
    vocabulary = with_acronyms(document_words(item.text() if strict else item.passage.text), acronyms or {})
    return any(mentions(vocabulary, name) for name in subject)


#: A headline whose subject is a name: capitalized words, then the rest in lower case ("Vestas to supply Harwick wind
#: farm turbines", "BAE Systems wins ..."); a title in title case ("Engineering Leads Sync") has no such subject.
_HEADLINE_SUBJECT = re.compile(r"[\s#*_>-]*((?:[A-ZÀ-ÖØ-ÞĀ-Ž][\w'’&.-]*\s+)+)(?=[a-zß-öø-ÿ])")


def _heading_answers(item: ScoredSentence, query: QueryContext) -> bool:
    """A heading holds the kind of answer asked for. For "who", a person it names (kb.text.person_mentions) that the
    question does not, or the name a headline is about ("Vestas to supply ..."): a title's own capitals are no name
    ("Engineering Leads Sync - Tue 14 May 2024" was quoted at 0.94 for "Who sent apologies for the engineering leads
    sync on 14 May 2024?"). A headline's subject is a name when it is no word of the embedding model's vocabulary
    or is written in capitals ("Vestas", "BAE"; "Replaces the 2023 fee schedule" names no one)."""
    if item.supplies_type is not True:
        return False
    if query.answer_type is not AnswerType.PERSON:
        return True
    text = item.sentence.text
    if a_name_line(text) is not None:
        return True  # "Kenji Watanabe, Senior Account Manager": what a name line answers is _name_line_answers's
    known = query.word_vectors.knows if query.word_vectors is not None else (lambda word: False)
    if any(not query.question_words.issuperset(fold(part) for part in filter(None, (p.given, p.surname)))
           and a_persons_name(p, item.passage.text, known) for _, p in person_mentions(text)):
        return True  # a person's name as grounding reads one: "Information Security Policy" has the shape only
    subject = _HEADLINE_SUBJECT.match(text)
    if subject is None:
        return False
    words_of_subject = [w.strip(".,:;'’") for w in subject.group(1).split()]
    return any(w and not any(ch.isdigit() for ch in w) and fold(w) not in query.question_words
               and (len(w) > 1 and w.isupper() or not known(fold(w))) for w in words_of_subject)


def _about_others(item: ScoredSentence, query: QueryContext) -> bool:
    """The statement is about someone other than each person the question names (kb.answer.grounding)."""
    before = item.passage.text[: max(0, item.sentence.start - item.passage.start)]
    known = query.word_vectors.knows if query.word_vectors is not None else None
    people = [person for person in query.asked_people if a_persons_name(person, item.passage.text, known)]
    set_against = SETS_AGAINST.search(asked_part(query.question)) is None
    return bool(people) and all(about_someone_else(person, item.sentence.text, before, set_against)
                                for person in people)


def _about_a_sibling(item: ScoredSentence, families: tuple[Family, ...], beyond: frozenset[str]) -> bool:
    """The statement is about a look-alike of what the question names (kb.answer.grounding.about_a_sibling). A
    sentence is about what it or the text before it names, not what the neighbour quoted after it names: "It
    introduced offline sync and removed support for Internet Explorer." after "Version 4.2 was released ..." is about
    4.2, though the next sentence compares 4.2 with the 4.1 asked about."""
    before = item.passage.text[: max(0, item.span()[0] - item.passage.start)]
    if item.context is None or item.context.sentence.start < item.sentence.start:
        return about_a_sibling(families, item.text(), before)
    # A look-alike's line followed by one about the asked alone is quoted for the second ("North Plant: staff park in
    # Lot A ... - South Plant: staff and visitors share the Mill Road car park." for the South Plant), when the second
    # says some of what is asked beyond the names: "Room B202 seats 12 people ... Room C105 is a quiet study room with
    # no bookings allowed." gives the look-alike's count for how many Room C105 seats.
    following = item.context.sentence.text
    return about_a_sibling(families, item.sentence.text, before) and not (
        names_only_the_asked(families, following) and (not beyond or bool(beyond & content_stems(following))))


def _name_line_answers(item: ScoredSentence, query: QueryContext) -> bool:
    """A statement that only names a person and their post (with what is quoted beside it) answers only what a name
    and a post can (kb.answer.grounding.answered_by_name_line); any other statement passes."""
    text = item.text()
    person = a_name_line(text)
    if person is None:
        if item.context is not None and query.answer_type is AnswerType.PERSON and all(
                a_name_line(part.text) is not None for part in (item.sentence, item.context.sentence)):
            # Two lines of a list, each a name and a post ("Priya Nair, Head of Customer Service" with "Linda Osei,
            # water quality analyst" for who heads marketing): asked who someone is, each is read as a name line, and
            # one must answer.
            return any(_name_line_answers(replace(part, context=None), query) for part in (item, item.context))
        return True
    said = {without_possessive(w) for w in query.question_words}
    named = fold(person.surname) in said or any(
        p.surname == person.surname and p.same_given(person) for p in query.asked_people)
    supplied = query.answer_type is not None and bool(query.supplies(text))
    return answered_by_name_line(asked_part(query.question), query.answer_type, supplied, text, person, named)


def _overlaps(a: ScoredSentence, b: ScoredSentence) -> bool:
    (a0, a1), (b0, b1) = a.span(), b.span()
    return a.passage.source == b.passage.source and a0 < b1 and b0 < a1


def answer_contains(answer: str, gold: str) -> bool:
    """Whole-word, case- and accent-insensitive containment (the evaluation's notion of a correct answer)."""
    def norm(text: str) -> str:  # possessives fold to the noun: "Bellingcat's" contains "Bellingcat"
        return " " + " ".join(w.removesuffix("'s") for w in words(text)) + " "

    a, g = norm(answer), norm(gold)
    return bool(g.strip()) and g in a


__all__ = ["ABSTAIN_TEXT", "ExtractiveAnswerer", "ScoredSentence", "answer_contains"]
