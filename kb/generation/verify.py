"""Citation checking: does the passage a sentence cites really say what the sentence says?

A model, especially a small one, cites passages that do not exist, cites the wrong passage, or writes
sentences without citations. Each sentence of a reply is checked on its own:

* every ``[n]`` must name a passage that was in the prompt (1..k);
* a cited passage must *support* the sentence: ``support = w * cosine + (1 - w) * overlap`` where ``cosine`` is
  the best embedding cosine between the sentence and one sentence of the passage, and ``overlap`` is the share
  of the sentence's content terms (stemmed, misspellings tolerated) found in the passage.
  Without an embedder only ``overlap`` is used, against its own threshold;
* similarity is not enough: a sentence that changes a figure, a date or a name, or adds or drops a "not", stays
  as similar to its passage as a faithful one. So the sentence's numbers, dates and names must all be stated in
  the passages that support it, and what it negates must be negated in each supporting passage's best-matching
  sentence, and the other way round (kb.answer.facts); a passage that fails is not a support;
* a passage that names two people says what each did: the sentence's names must be stated where it puts them,
  in the passage sentences it rests on, not just somewhere in the passage ("Christo Grozev translates the
  correspondence" on "Igor Sushko ... has been translating the correspondence"), and a "from A to B" the passage
  states only as "from B to A" is not supported (``misplaced_names``, ``unstated``).

The thresholds (settings ``citation_support`` and ``citation_lexical``, kb/config.py) were calibrated with ``python -m
kb.generation.calibrate`` on SQuAD statements against their own paragraph (supported) and the most similar other
paragraph of the same article (not supported); see docs/integrations.md for the numbers.

A sentence is kept when at least one of its citations is valid and supporting; only the supporting citations
are kept on it. Sentences with no valid, supporting citation are dropped. (The facts check is measured by
tests/reliability/test_llm_facts.py; docs/reliability.md.)
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Protocol

import numpy as np

from kb.answer.facts import misplaced_names, names_of, polarity_differs, unstated
from kb.config import Settings
from kb.text import Sentence, content_terms, split_sentences, stem, words
from kb.types import Passage

#: Weight of the cosine against the term overlap in a sentence's support (the thresholds were calibrated with it).
COSINE_WEIGHT = 0.5

# [1], [1][2], [1, 2], [1; 3], [Passage 2], [source 1] -- what models actually write.
MARKER = re.compile(
    r"\[\s*(?:(?:passages?|sources?|docs?|documents?)\s*)?(\d{1,3}(?:\s*(?:,|;|and|&)\s*\d{1,3})*)\s*\]",
    re.IGNORECASE,
)
_ONLY_MARKERS = re.compile(rf"^(?:\s*{MARKER.pattern})+", re.IGNORECASE)


class SentenceEmbedder(Protocol):
    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray: ...


@dataclass
class Support:
    n: int  # passage number in the prompt (1-based)
    passage: Passage
    sentence: Sentence  # the passage's sentence closest to the claim, in document coordinates
    score: float


@dataclass
class Claim:
    """One sentence of the model's reply, with what its citations turned out to be worth."""

    text: str  # the sentence without its [n] markers
    cited: list[int]  # passage numbers as the model wrote them
    supports: list[Support] = field(default_factory=list)
    reason: str | None = None  # why it was dropped

    @property
    def kept(self) -> bool:
        return bool(self.supports)


def term_overlap(terms: list[str], text: str) -> float:
    """Share of the claim's content terms found in the text (stem match, or a close spelling of a long word).

    Kept here rather than shared with the extractive answerer so that the calibrated thresholds only move
    when this module changes.
    """
    if not terms:
        return 0.0
    tokens = set(words(text))
    stems = {stem(t) for t in tokens}
    long_tokens = [t for t in tokens if len(t) >= 5]
    found = 0.0
    for term in terms:
        if term in tokens or stem(term) in stems:
            found += 1.0
        elif len(term) >= 5 and difflib.get_close_matches(term, long_tokens, n=1, cutoff=0.8):
            found += 0.8
    return found / len(terms)


def numbers(marker_body: str) -> list[int]:
    return [int(x) for x in re.findall(r"\d+", marker_body)]


def split_claims(reply: str) -> list[tuple[str, list[int]]]:
    """Sentences of a reply with their cited numbers; markers written after the full stop stay with their sentence."""
    pieces: list[tuple[str, list[int]]] = []
    for sentence in split_sentences(reply):
        text = sentence.text
        lead = _ONLY_MARKERS.match(text)
        if lead and pieces:
            pieces[-1][1].extend(n for m in MARKER.finditer(lead.group()) for n in numbers(m.group(1)))
            text = text[lead.end():]
        cited = [n for m in MARKER.finditer(text) for n in numbers(m.group(1))]
        clean = " ".join(MARKER.sub(" ", text).split())
        clean = re.sub(r"\s+([.,;:!?])", r"\1", clean)
        if not words(clean):
            if cited and pieces:
                pieces[-1][1].extend(cited)
            continue
        pieces.append((clean, cited))
    return [(text, list(dict.fromkeys(cited))) for text, cited in pieces]


#: Sentences of a passage with their stored vectors (KnowledgeBase keeps them from index time).
SentenceSource = Callable[[Passage], list[tuple[Sentence, np.ndarray]]]


class PassageEvidence:
    """The passages of one question, split and embedded once, so each reply sentence is cheap to check.

    With ``sentence_source`` the vectors stored at index time are reused instead of embedding again.
    """

    def __init__(self, passages: list[Passage], embedder: SentenceEmbedder | None = None,
                 sentence_source: SentenceSource | None = None) -> None:
        self.passages = passages
        self.embedder = embedder
        self.sentences: list[list[Sentence]] = []
        self.vectors: list[np.ndarray] | None = None
        stored = [sentence_source(p) for p in passages] if sentence_source and embedder is not None else []
        if stored and all(stored):
            self.sentences = [[s for s, _ in pairs] for pairs in stored]
            self.vectors = [np.stack([v for _, v in pairs]) for pairs in stored]
            return
        for p in passages:
            found = [s for s in split_sentences(p.text, offset=p.start) if words(s.text)]
            self.sentences.append(found or [Sentence(p.start, p.end, p.text)])
        if embedder is not None:
            flat = [s.text for group in self.sentences for s in group]
            matrix = embedder.embed(flat) if flat else np.zeros((0, 1), dtype=np.float32)
            self.vectors, i = [], 0
            for group in self.sentences:
                self.vectors.append(matrix[i : i + len(group)])
                i += len(group)

    @cached_property
    def names(self) -> frozenset[str]:
        """Every name the passages state: a claim that starts with one of them is checked for it."""
        return names_of(f"{p.title}\n{p.text}" for p in self.passages)

    def fact_text(self, n: int) -> str:
        """What passage ``n`` states, facts-wise: its title (often the only place a name or date appears) and text."""
        passage = self.passages[n - 1]
        return f"{passage.title}\n{passage.text}" if passage.title else passage.text

    def resting(self, support: Support) -> tuple[str, str]:
        """The sentence a claim rests on in its passage, with the one before it (a "He ..." sentence's subject)."""
        group = self.sentences[support.n - 1]
        i = next((i for i, s in enumerate(group) if s == support.sentence), 0)
        return support.sentence.text, group[i - 1].text if i > 0 else ""

    def passage_sentences(self, n: int) -> list[str]:
        """Passage ``n``'s title and sentences: where a name the claim's own sentence leaves out may come from."""
        passage = self.passages[n - 1]
        return ([passage.title] if passage.title else []) + [s.text for s in self.sentences[n - 1]]

    def claim_vector(self, text: str) -> np.ndarray | None:
        return None if self.embedder is None else self.embedder.embed([text])[0]

    def support(self, text: str, n: int, vector: np.ndarray | None = None) -> tuple[float, Sentence]:
        """Support of passage ``n`` (1-based) for the claim, and the passage sentence that best matches it."""
        passage = self.passages[n - 1]
        group = self.sentences[n - 1]
        overlap = term_overlap(content_terms(text), passage.text)
        if vector is None or self.vectors is None:
            best = max(group, key=lambda s: term_overlap(content_terms(text), s.text))
            return overlap, best
        cosines = self.vectors[n - 1] @ vector
        i = int(np.argmax(cosines))
        return COSINE_WEIGHT * float(cosines[i]) + (1 - COSINE_WEIGHT) * overlap, group[i]


class CitationVerifier:
    def __init__(self, support_threshold: float = Settings.citation_support,
                 lexical_threshold: float = Settings.citation_lexical) -> None:
        self.support_threshold = support_threshold
        self.lexical_threshold = lexical_threshold

    def check(self, evidence: PassageEvidence, text: str, cited: list[int]) -> Claim:
        claim = Claim(text, cited)
        if not cited:
            claim.reason = "no citation"
            return claim
        threshold = self.support_threshold if evidence.embedder is not None else self.lexical_threshold
        vector = evidence.claim_vector(text)
        problems = []
        similar: list[Support] = []
        for n in cited:
            if not 1 <= n <= len(evidence.passages):
                problems.append(f"cites [{n}], which does not exist")
                continue
            score, sentence = evidence.support(text, n, vector)
            if score >= threshold:
                similar.append(Support(n, evidence.passages[n - 1], sentence, score))
            else:
                problems.append(f"[{n}] does not support it (support {score:.2f} < {threshold:.2f})")
        # Facts: together, the similar passages must state every number, date, direction and name of the sentence
        # (one sentence may draw on two passages), each name where the sentence puts it; each must share its
        # polarity.
        if similar:
            stated = "\n".join(evidence.fact_text(s.n) for s in similar)
            problem = unstated(text, stated, evidence.names) or misplaced_names(
                text, [evidence.resting(s) for s in similar],
                [t for s in similar for t in evidence.passage_sentences(s.n)], evidence.names)
            if problem:
                problems.append(f"{''.join(f'[{s.n}]' for s in similar)} {problem}")
                similar = []
        for support in similar:
            problem = polarity_differs(text, support.sentence.text)
            if problem:
                problems.append(f"[{support.n}] {problem}")
            else:
                claim.supports.append(support)
        if not claim.supports:
            claim.reason = "; ".join(problems)
        return claim

    def verify(self, evidence: PassageEvidence, reply: str) -> list[Claim]:
        return [self.check(evidence, text, cited) for text, cited in split_claims(reply)]


__all__ = [
    "COSINE_WEIGHT", "MARKER", "CitationVerifier", "Claim",
    "PassageEvidence", "SentenceSource", "Support", "split_claims",
]
