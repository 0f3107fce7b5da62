"""Candidate answers and the measurements the learned scorers read.

A candidate is one stored sentence of a retrieved passage. What it is measured on is what kb already computes
(its cosine to the question, the IDF-weighted share of the question's terms in it, in its neighbours, its
passage and its whole document, whether it holds the kind of answer asked for, the passage's retrieval
signals) plus a few cheap ones that measured well (novelty: an answer says something the question does not;
the question's own numbers and dates: "revenue in March 2023" is answered by the March note, not June's).
The columns are named; a model file lists the names it was fit on and is read in that order
(kb.answer.model), so adding a feature never silently shifts another's weight.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations
from typing import Callable

import numpy as np

from kb.answer.grounding import mentions_name
from kb.answer_types import AnswerType, labels_another_year, names_in_full, years
from kb.query import REFERRING_WORDS, QueryContext
from kb.text import (Sentence, _match_forms, asks, content_terms, month_names, named_entities, stem,
                     table_rows, term_spellings, words)
from kb.types import Passage
from kb.word_vectors import WordVectors

SentenceSource = Callable[[Passage], list[tuple[Sentence, np.ndarray]]]
DocumentWords = Callable[[str], frozenset[str]]

#: Answer kinds with their own "missing" weight (an expansion question has ``expands``).
_KINDS_MISSED = (AnswerType.NUMBER, AnswerType.QUANTITY, AnswerType.DATE, AnswerType.PERSON, AnswerType.ORGANIZATION,
                 AnswerType.PLACE)


#: Features of one candidate sentence, in the order models were fit on (kb/answer/weights/sentence.json).
SENTENCE_FEATURES = (
    "cosine",  # sentence vector . question vector
    "overlap",  # IDF-weighted share of the question's terms in the sentence
    "neighbour_overlap",  # the same for the better of the sentences before and after it (same passage)
    "neighbour_cosine",
    "passage_overlap",
    "document_overlap",  # ... in the whole document: is the document about the question at all?
    "passage_cosine",
    "passage_rank",  # 1 / rank of the passage after retrieval
    "type_supplied",  # the question asks for a kind of answer (number, date, name...) and the sentence holds one
    "type_missing",  # it asks for one and the sentence holds none
    # ... and which kind it lacks: a missing day for "on what day" weighs otherwise than a missing name for "who"
    *(f"missing_{k.value}" for k in _KINDS_MISSED),
    "person_name",  # "who" question and the sentence names someone new in full ("Christo Grozev")
    "expands",  # "what does FSB stand for" and the sentence spells the acronym out
    "novelty",  # share of the sentence's content words that the question does not contain
    "heading",  # a short line with no sentence end: a title restates the topic, it rarely answers
    "log_words",
    "names_in_document",  # share of the question's names that the document mentions
    "names_in_sentence",
    "question_facts",  # share of the question's numbers and dates found in the sentence or its neighbours
    "cosine_gap",  # cosine minus the best cosine among the candidates
    "overlap_gap",
    "soft_overlap",  # question terms the sentence lacks, credited by their closest word in it (kb.word_vectors)
    # ... and the term share of a sentence that opens by referring back ("He said he showed the letter to ...") with
    # the names of the sentence before it counted as its own: who "he" is (a light stand-in for coreference)
    "antecedent_overlap",
)


#: Measurements of a sentence and one of its neighbours that decide whether the neighbour is quoted with it
#: (kb/answer/weights/context.json; kb.answer.extractive reads them off the scored candidates): the question often
#: restates one sentence and asks what the next says ("After the FSB declassified the files, what was it tasked
#: with?"), or the answer follows the sentence that names what it is about ("He said he showed the letter to ...").
CONTEXT_FEATURES = (
    "residual_share",  # IDF-weighted share of the question's terms the sentence lacks that the neighbour holds
    "neighbour_overlap",  # the neighbour's term share of the question
    "sentence_overlap",
    "neighbour_cosine",
    "sentence_cosine",
    "score_gap",  # the neighbour's sentence-model score minus the sentence's
    "neighbour_supplies_type",  # the question asks for a kind of answer the neighbour holds and the sentence lacks
    "next",  # the neighbour follows the sentence (1) or comes before it (0)
    "next_refers_back",  # ... and opens by referring back ("He", "This", "However,"): it continues the sentence
    "sentence_lacks_type",
)


@dataclass
class Candidate:
    passage: Passage
    sentence: Sentence
    vector: np.ndarray
    index: int  # position among its passage's sentences
    features: dict[str, float] = field(default_factory=dict)




def question_facts(question: str) -> frozenset[str]:
    """The question's numbers, years and month names (capitalized and not its first word, so "may" the verb and
    "March" opening a question are not months): facts a right answer repeats."""
    found = {re.sub(r"[,.]", "", w) for w in words(question) if any(ch.isdigit() for ch in w)}
    found |= set(month_names(question))
    return frozenset(found)


def _fact_share(facts: frozenset[str], text: str) -> float:
    if not facts:
        return 1.0
    present = {re.sub(r"[,.]", "", w) for w in words(text)}
    return sum(f in present for f in facts) / len(facts)


def _soft_overlaps(ctx: QueryContext, texts: list[str], forms: list[frozenset[str]]) -> list[float]:
    """IDF-weighted credit for the question's terms a sentence lacks, each by its closest word in the sentence
    (cosine of static word vectors, floored at 0; kb.word_vectors): "divided" for "split". Terms the sentence has
    are term overlap's business. Without word vectors, 0. All candidates in one matrix product, not one a
    sentence: this runs at every question."""
    vectors, terms = ctx.word_vectors, ctx.asked_terms
    if vectors is None or not terms or not texts:
        return [0.0] * len(texts)
    weights = ctx.idf or {}
    names = list(terms)
    idf = np.array([weights.get(t, 1.0) for t in names])
    total = float(idf.sum()) or 1.0
    spellings = [term_spellings(terms[t]) for t in names]
    missing = np.array([[f.isdisjoint(spelled) for spelled in spellings] for f in forms], dtype=bool)
    blocks = [_sentence_vectors(vectors, text) for text in texts]
    lengths = np.array([len(b) for b in blocks])
    scored = missing.any(axis=1) & (lengths > 0)
    shares = np.zeros(len(texts))
    if scored.any():
        asked = vectors.matrix(tuple(names)).T  # dimension x terms
        kept = [b for b, keep in zip(blocks, scored) if keep]
        closest = np.concatenate(kept) @ asked  # every word of every scored sentence x every term
        starts = np.concatenate(([0], np.cumsum([len(b) for b in kept])[:-1]))
        best = np.maximum(np.maximum.reduceat(closest, starts, axis=0), 0.0)  # each term's closest word, per sentence
        shares[scored] = (best * missing[scored]) @ idf / total
    return shares.tolist()


@lru_cache(maxsize=100_000)
def _sentence_vectors(vectors: WordVectors, text: str) -> np.ndarray:
    """The sentence's content words as word vectors. Cached: the same sentences come back question after question."""
    return vectors.matrix(tuple(content_terms(text)))


def _document_overlap(ctx: QueryContext, vocabulary: frozenset[str]) -> float:
    """IDF-weighted share of the question's terms that the document contains (in any accepted spelling)."""
    terms = ctx.asked_terms
    if not terms:
        return 0.0
    weights = ctx.idf or {}
    total = sum(weights.get(t, 1.0) for t in terms) or 1.0
    found = sum(weights.get(t, 1.0) for t, aliases in terms.items()
                if not vocabulary.isdisjoint(term_spellings(aliases)))
    return found / total


def _names_in(forms: frozenset[str], ctx: QueryContext) -> float:
    """Share of the question's names the sentence states, a place by the names it stands for too (ctx.places)."""
    if not ctx.names:
        return 1.0
    return sum(n in forms or not forms.isdisjoint(ctx.places.get(n, ())) for n in ctx.names) / len(ctx.names)


def is_heading(text: str, own_line: bool = False, list_item: bool = False, marked: bool = False) -> bool:
    """A title or a section heading: no sentence end, and short, or a line of its own (a news headline runs to
    a dozen words: "Russia Planned To Attack Japan in 2021: Leaked FSB Letters"). Not an item of a list, nor a
    short label with what it labels ("Wi-Fi password: tulip-4471", "Reported by: Zaini Majeed"): the lines of notes,
    READMEs and fact sheets state their facts without a full stop, and read as headings none of them was ever
    quoted ("What is the Wi-Fi password?" was abstained on with the answer in the index). ``marked``: the file marks
    the line as a heading (Markdown's "# ", which the stored sentence leaves out), whatever its words."""
    if marked:
        return True
    if text.rstrip("\"'”’)»").endswith((".", "!", "?", ":")) or list_item or _BULLET.match(text):
        return False
    if table_rows(text) is not None:  # a table quoted whole: a small one is as short as a heading, and was never quoted
        return False
    if _labelled(_NUMBERED.sub("", text)):
        return False
    n = len(text.split())
    return n < 8 or (own_line and n <= 20)


def _labelled(text: str) -> bool:
    """A label of one to four words, a colon, and a short value (six words at most): "Parking: level B2". A title
    runs longer on one side of its colon or the other ("Russia Planned To Attack Japan in 2021: Leaked FSB Letters",
    "Incident Report: Water Main Break at Route 9 and Miller Road")."""
    label, colon, value = text.partition(": ")
    return (bool(colon) and 1 <= len(value.split()) <= 6 and 1 <= len(label.split()) <= 4
            and label[:1].isalpha())


#: What opens a list item's line: a bullet ("- ", "* ", "• "). A number ("1. ", "2) ") opens a numbered section's
#: heading as often ("1. Introduction"), so it makes no list item; its label and value still make a statement.
_BULLET_MARK = r"[-*•+–]"
_LIST_MARKER = re.compile(rf"^\s*{_BULLET_MARK}\s+$")  # all the line before the sentence (a Markdown item's)
_BULLET = re.compile(rf"^{_BULLET_MARK}\s+\S")  # opening the sentence itself (a plain text file's)
_NUMBERED = re.compile(r"^\d{1,3}[.)]\s+")


def _line_around(passage: Passage, sentence: Sentence) -> tuple[str, str]:
    """The text of the sentence's line in the passage before it and after it."""
    text = passage.text
    start = min(max(sentence.start - passage.start, 0), len(text))
    end = min(max(sentence.end - passage.start, start), len(text))
    before, after = text[max(0, text.rfind("\n", 0, start) + 1):start], text[end:]
    return before, after[: (after.find("\n") + 1) or len(after)]


def _line_kind(passage: Passage, sentence: Sentence) -> tuple[bool, bool, bool]:
    """Where the sentence stands on its line in the passage, from one read of the line: (all of its line: only
    whitespace between it and the line breaks around it; an item of a list: list_item; the whole of a Markdown
    heading's line: only its marks before the sentence ("## Cause"), nothing after it; a question heading's statement
    runs on to the answer below it, kb.sentences, and is no heading)."""
    before, after = _line_around(passage, sentence)
    own_line = not before.strip() and not after.strip()
    marked = bool(_HEADING_MARKS.match(before)) and not after.strip() and "\n" not in sentence.text
    return own_line, bool(_LIST_MARKER.match(before)), marked


_HEADING_MARKS = re.compile(r"^\s{0,3}#{1,6}\s+$")


def list_item(passage: Passage, sentence: Sentence) -> bool:
    """The sentence is an item of a list: only a list marker before it on its line (in the file; a Markdown item is
    quoted without its marker, kb.sources.markdown)."""
    return _line_kind(passage, sentence)[1]


@lru_cache(maxsize=100_000)
def _sentence_facts(text: str) -> tuple[frozenset[str], float, frozenset[str]]:
    """What a sentence is measured on whatever the question: its content-word stems, log length and word forms.
    Cached: the same sentences come back for question after question (ask p50 budget: 15 ms)."""
    content = frozenset(stem(t) for t in content_terms(text))
    return content, math.log(1 + len(text.split())), _match_forms(text)


def _antecedent_overlap(ctx: QueryContext, texts: list[Sentence], i: int, own: float) -> float:
    """Term share of sentence ``i`` with the names of the sentence before it, when it opens by referring back (with
    one of the words that make a question a follow-up: kb.query.REFERRING_WORDS)."""
    first = words(texts[i].text[:12])[:1]
    if i == 0 or not first or first[0] not in REFERRING_WORDS:
        return own
    carried = " ".join(named_entities(texts[i - 1].text))
    return ctx.term_share(carried + " " + texts[i].text, asked=True) if carried else own


def _states_another_year(asked_years: frozenset[str], sentence: str, window: str) -> bool:
    """The question names a year, and the sentence states another while neither it nor its neighbours state the
    question's: "Revenue in 2021 was 4.1 million." says nothing of revenue in 2020."""
    return bool(asked_years) and bool(years(sentence) - asked_years) and not (asked_years & years(window))


def build_candidates(ctx: QueryContext, passages: list[Passage], sentence_source: SentenceSource,
                     document_words: DocumentWords) -> tuple[list[Candidate], np.ndarray]:
    """Every distinct sentence of the passages with its feature row (columns: SENTENCE_FEATURES)."""
    seen: set[tuple[str, int, int]] = set()
    candidates: list[Candidate] = []
    forms_of: list[frozenset[str]] = []  # each candidate's word forms, for the soft term match below
    rows: list[list[Sentence]] = []
    terms = ctx.asked_terms  # a follow-up's appended names are whom it is about, not what it asks
    q_stems = {stem(t) for t in terms} | set(terms)
    facts = question_facts(ctx.question)
    doc_cache: dict[str, tuple[float, float]] = {}
    for rank, passage in enumerate(passages, start=1):
        found = sentence_source(passage)
        texts = [s for s, _ in found]
        rows.append(texts)
        if passage.source not in doc_cache:
            vocab = document_words(passage.source)
            names = ctx.names
            share = sum(mentions_name(vocab, n, ctx.places) for n in names) / len(names) if names else 1.0
            doc_cache[passage.source] = (_document_overlap(ctx, vocab), share)
        doc_overlap, doc_names = doc_cache[passage.source]
        p_overlap = ctx.term_share(passage.text, asked=True)
        overlaps = [ctx.term_share(s.text, asked=True) for s in texts]
        cosines = (np.stack([v for _, v in found]) @ ctx.vector).tolist() if found else []
        for i, (sentence, vector) in enumerate(found):
            key = (passage.source, sentence.start, sentence.end)
            content, log_words, forms = _sentence_facts(sentence.text)
            if key in seen or not content or asks(sentence.text):
                continue
            heading = float(is_heading(sentence.text, *_line_kind(passage, sentence)))
            seen.add(key)
            nb = [j for j in (i - 1, i + 1) if 0 <= j < len(found)]
            kind = ctx.answer_type
            typed = ctx.supplies(sentence.text)
            window = " ".join(texts[j].text for j in range(max(0, i - 1), min(len(texts), i + 2))) if facts else ""
            features = {
                "cosine": cosines[i],
                "overlap": overlaps[i],
                "neighbour_overlap": max((overlaps[j] for j in nb), default=0.0),
                "neighbour_cosine": max((cosines[j] for j in nb), default=0.0),
                "passage_overlap": p_overlap,
                "document_overlap": doc_overlap,
                "passage_cosine": passage.dense_score or 0.0,
                "passage_rank": 1.0 / rank,
                "type_supplied": float(typed is True),
                "type_missing": float(typed is False),
                **{f"missing_{k.value}": float(typed is False and kind is k) for k in _KINDS_MISSED},
                "person_name": float(kind is AnswerType.PERSON and names_in_full(sentence.text, ctx.question_words)),
                "expands": float(kind is AnswerType.EXPANSION and typed is True),
                "novelty": len(content - q_stems) / len(content),
                "heading": heading,
                "log_words": log_words,
                "names_in_document": doc_names,
                "names_in_sentence": _names_in(forms, ctx),
                "question_facts": _fact_share(facts, window),
                "antecedent_overlap": _antecedent_overlap(ctx, texts, i, overlaps[i]),
                # not a model column: kb.answer.extractive's rule reads it (_states_another_year; a year by its label,
                # "Fiscal Year 2022" for "fiscal year 2021": kb.answer_types.labels_another_year)
                "other_year": float(_states_another_year(ctx.asked_years, sentence.text, window)
                                    or labels_another_year(ctx.asked_year_labels, sentence.text)),
            }
            candidates.append(Candidate(passage, sentence, vector, i, features))
            forms_of.append(forms)
    if not candidates:
        return [], np.zeros((0, len(SENTENCE_FEATURES)))
    # for all candidates at once: one matrix product
    for c, value in zip(candidates, _soft_overlaps(ctx, [c.sentence.text for c in candidates], forms_of)):
        c.features["soft_overlap"] = value
    best_cos = max(c.features["cosine"] for c in candidates)
    best_ov = max(c.features["overlap"] for c in candidates)
    for c in candidates:
        c.features["cosine_gap"] = c.features["cosine"] - best_cos
        c.features["overlap_gap"] = c.features["overlap"] - best_ov
    matrix = np.array([[c.features[name] for name in SENTENCE_FEATURES] for c in candidates], dtype=np.float64)
    return candidates, matrix


#: Measurements of the best candidate that decide whether to answer at all (kb/answer/weights/confidence.json).
CONFIDENCE_SIGNALS = (
    "top_logit",  # the sentence scorer's score of the best candidate
    "margin",  # its lead over the best candidate from another passage
    "cosine",
    "overlap",
    "neighbour_overlap",
    "passage_overlap",
    "document_overlap",
    "names_in_document",
    "question_facts",
    "type_supplied",
    "type_missing",
    "person_name",
    "expands",
    "expects_type",
    "best_passage_cosine",  # how close the index comes to the question at all
    "log_terms",  # how much the question says
)

#: Signals whose agreement is the evidence, so the confidence model also reads their pairwise products. A linear
#: model adds its evidence up, so a sentence sharing many of the question's words is trusted the same whether or
#: not the document knows the question's people and places; that is the same-domain failure (another article that
#: shares "translated" and "Russian" but not the name asked about). With the products the weight of one signal
#: depends on the others, learned rather than hand-set: in the fitted model the words a sentence shares with the
#: question count about four times as much when the document names the question's names (tests/test_answer_scorer.py;
#: same-domain abstention 0.901 / 0.916 -> 0.929 / 0.937 held out at the same answer accuracy, docs/quality.md).
CONFIDENCE_INTERACTING = ("top_logit", "margin", "cosine", "overlap", "passage_overlap", "document_overlap",
                          "names_in_document", "best_passage_cosine")
CONFIDENCE_PRODUCTS = tuple(combinations(CONFIDENCE_INTERACTING, 2))
#: A resolved follow-up ("Where is his organization based? (Christo Grozev)"). Its statements are measured on what
#: it asks, not on the names appended for whom it is about (QueryContext.asked_terms), so a right answer shares
#: fewer of the question's words than the questions the rest of the model was fit on; this column's weight, fit on
#: the tune-half follow-ups with every other weight held fixed (benchmarks/train_scorer.py), recalibrates them.
FOLLOW_UP = "follow_up"
CONFIDENCE_FEATURES = CONFIDENCE_SIGNALS + tuple(f"{a}*{b}" for a, b in CONFIDENCE_PRODUCTS) + (FOLLOW_UP,)


def confidence_row(ctx: QueryContext, candidates: list[Candidate], logits: np.ndarray) -> np.ndarray:
    """The abstention model's input for the best candidate (candidates must be non-empty)."""
    order = np.argsort(-logits)
    top = candidates[int(order[0])]
    other = next((float(logits[i]) for i in order[1:] if candidates[int(i)].passage is not top.passage), None)
    f = top.features
    row = {
        "top_logit": float(logits[order[0]]),
        "margin": float(logits[order[0]]) - other if other is not None else 5.0,
        "cosine": f["cosine"],
        "overlap": f["overlap"],
        "neighbour_overlap": f["neighbour_overlap"],
        "passage_overlap": f["passage_overlap"],
        "document_overlap": f["document_overlap"],
        "names_in_document": f["names_in_document"],
        "question_facts": f["question_facts"],
        "type_supplied": f["type_supplied"],
        "type_missing": f["type_missing"],
        "person_name": f["person_name"],
        "expands": f["expands"],
        "expects_type": float(ctx.answer_type is not None),
        "best_passage_cosine": max((c.passage.dense_score or 0.0) for c in candidates),
        "log_terms": math.log(1 + len(ctx.asked_terms)),
    }
    for a, b in CONFIDENCE_PRODUCTS:
        row[f"{a}*{b}"] = row[a] * row[b]
    row[FOLLOW_UP] = float(bool(ctx.subject))
    return np.array([row[name] for name in CONFIDENCE_FEATURES], dtype=np.float64)


__all__ = ["CONFIDENCE_FEATURES", "Candidate", "SENTENCE_FEATURES", "build_candidates", "confidence_row",
           "is_heading", "list_item", "question_facts"]
