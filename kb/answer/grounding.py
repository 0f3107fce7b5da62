"""Is the answer about what the question names? Word lookups in the cited documents.

A question naming something ("Who is the speaker of the Scottish Parliament?") can draw a confident answer from
a document about something else that shares its other words (a sentence about the European Parliament's
president). The absent-name rule (kb.retrieval.retriever) catches names the index has never seen; the answerer
(kb.answer.extractive) abstains when the best sentence's document never mentions a name the index knows, and the
share of the question's names a document mentions is also a feature of the learned scorers (kb.answer.features).
When the rule was added, each SQuAD half's questions asked of an index of the other half's articles were wrongly
answered 159 of 1,423 and 113 of 1,123 times; with it 118 and 102 (benchmarks/answer_quality.py measures it now).
"""

from __future__ import annotations

from typing import Callable, Iterable, Mapping

from kb.answer_types import numbers
from kb.text import defined_acronyms, stem, words


def document_words(text: str) -> frozenset[str]:
    """A document's folded words with possessives cut ("Bertrand's" -> "bertrand") and their light stems: what
    names and question terms are looked up in. Its numbers too, whole ("4.2", "10000"; kb.answer_types.numbers):
    a question's version or figure is looked up as written."""
    found = frozenset(w.removesuffix("'s").rstrip("'") for w in words(text))
    return found | frozenset(stem(w) for w in found) | numbers(text)


def mentions(vocabulary: frozenset[str], name: str) -> bool:
    """The name, or a word of about its length sharing all but its last two letters (at least four): "African"
    is found in a document that says "Africa", "Huguenot" in one that says "Huguenots", "Bert" not in "Bertrand"."""
    if name in vocabulary:
        return True
    prefix = name[: max(4, len(name) - 2)]
    return any(word.startswith(prefix) and abs(len(word) - len(name)) <= 3 for word in vocabulary)


def mentions_name(vocabulary: frozenset[str], name: str, places: Mapping[str, frozenset[str]] | None = None) -> bool:
    """A question's name in a document: as ``mentions`` finds it, or, where the question's place stands for its
    country (``places``, QueryContext.places), by another name of it, as written: "Tokyo" in a report that says
    "Japan". Not by ``mentions``' looser prefix: "Poland" is no "police", "Accra" no "accrued"."""
    return mentions(vocabulary, name) or not vocabulary.isdisjoint((places or {}).get(name, ()))


def with_acronyms(vocabulary: frozenset[str], acronyms: dict[str, tuple[frozenset[str], ...]]) -> frozenset[str]:
    """A document's words as its names are known by ``acronyms``: one that says "FSB" mentions the Federal
    Security Service (every long form the passages give it), one that spells a long form out mentions "FSB"."""
    added: set[str] = set()
    for acronym, long_forms in acronyms.items():
        if acronym in vocabulary:
            for long_form in long_forms:
                added |= long_form - vocabulary
        elif any(long_form <= vocabulary for long_form in long_forms):
            added.add(acronym)
    if not added:
        return vocabulary
    return vocabulary | added | frozenset(stem(w) for w in added)


class PoolWords:
    """A question's lookup of its documents' words: each document's own, with the acronyms its retrieved passages
    define (kb.text.defined_acronyms, kept on the QueryContext by retrieval) read both ways. The definitions come
    from the question's own pool, not the whole index, so the same question asked of the same index always gets
    the same answer."""

    def __init__(self, document_words: Callable[[str], frozenset[str]],
                 acronyms: Mapping[str, tuple[frozenset[str], ...]]) -> None:
        self._document_words = document_words
        self.acronyms = dict(acronyms)
        self._known: dict[str, frozenset[str]] = {}

    def __call__(self, source: str) -> frozenset[str]:
        found = self._known.get(source)
        if found is None:
            found = self._known[source] = with_acronyms(self._document_words(source), self.acronyms)
        return found


def pool_words(document_words: Callable[[str], frozenset[str]],
               acronyms: Mapping[str, tuple[frozenset[str], ...]] | None, texts: Iterable[str]) -> PoolWords:
    """``document_words`` with the pool's acronyms (PoolWords): those retrieval read (``acronyms``), or, for
    passages that did not come from retrieval, those ``texts`` define. One already made is kept as it is."""
    if isinstance(document_words, PoolWords):
        return document_words
    return PoolWords(document_words, defined_acronyms(texts) if acronyms is None else acronyms)


def names_share_a_row(names: Iterable[str], rows: list[str],
                      places: Mapping[str, frozenset[str]] | None = None) -> bool:
    """A table answers about the question's names only if one row holds every name the table holds: "Wanda
    Lindqvist" is not in a table that lists "Wanda Quist" and "Ada Lindqvist", though it holds both words."""
    row_words = [document_words(row) for row in rows]
    held = [name for name in names if any(mentions_name(w, name, places) for w in row_words)]
    return len(held) < 2 or any(all(mentions_name(w, name, places) for name in held) for w in row_words)


def missing_names(names: Iterable[str], cited_sources: Iterable[str], vocabulary_of: Callable[[str], frozenset[str]],
                  places: Mapping[str, frozenset[str]] | None = None) -> list[str]:
    """Question names that none of the cited documents mentions (a place by its ``places`` too); empty when the
    answer is about them."""
    vocabularies = [vocabulary_of(source) for source in set(cited_sources)]
    return [name for name in names if not any(mentions_name(v, name, places) for v in vocabularies)]
