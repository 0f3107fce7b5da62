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

from typing import Callable, Iterable

from kb.text import stem, words


def document_words(text: str) -> frozenset[str]:
    """A document's folded words with possessives cut ("Bertrand's" -> "bertrand") and their light stems: what
    names and question terms are looked up in."""
    found = frozenset(w.removesuffix("'s").rstrip("'") for w in words(text))
    return found | frozenset(stem(w) for w in found)


def mentions(vocabulary: frozenset[str], name: str) -> bool:
    """The name, or a word of about its length sharing all but its last two letters (at least four): "African"
    is found in a document that says "Africa", "Huguenot" in one that says "Huguenots", "Bert" not in "Bertrand"."""
    if name in vocabulary:
        return True
    prefix = name[: max(4, len(name) - 2)]
    return any(word.startswith(prefix) and abs(len(word) - len(name)) <= 3 for word in vocabulary)


def missing_names(names: Iterable[str], cited_sources: Iterable[str],
                  vocabulary_of: Callable[[str], frozenset[str]]) -> list[str]:
    """Question names that none of the cited documents mentions; empty when the answer is about them."""
    vocabularies = [vocabulary_of(source) for source in set(cited_sources)]
    return [name for name in names if not any(mentions(v, name) for v in vocabularies)]
