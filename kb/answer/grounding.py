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

import re
from typing import Callable, Iterable, Iterator

from kb.text import STOPWORDS, stem, words


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


#: An acronym in parentheses, the way a text defines one: "Russia's Federal Security Service (FSB)".
_ACRONYM = re.compile(r"\(([A-Z][A-Z0-9&]{1,7})\)")
#: The small words a name may have between its capitalized ones ("Treaty on the Functioning of the European Union");
#: kb.answer.facts.spelled_out reads acronyms' letters past them too.
NAME_LINKS = frozenset({"of", "the", "and", "for", "on", "in", "&"})
_LONG_FORM_WORDS = 10  # words looked at before the parenthesis


def acronym_definitions(text: str) -> Iterator[tuple[str, str]]:
    """Each acronym the text defines, with its long form as written: "Russia's Federal Security Service (FSB)" ->
    ("FSB", "Federal Security Service").

    The long form is the run of capitalized words (and joining words) right before the parenthesis, from the first
    one whose initial is the acronym's ("Russia's" is left out); at least two capitalized words and at most two more
    than the acronym has letters, so "Japan (JP)" or a sentence's capitalized opening is no definition. Only the
    initial is checked, as acronyms of translated names keep their own letters (FSB: Federalnaya Sluzhba
    Bezopasnosti). An acronym that folds to a common word ("WHO", "US") is left out: a document's folded words
    cannot tell it from the word.
    """
    for match in _ACRONYM.finditer(text):
        acronym = match.group(1)
        if acronym.lower() in STOPWORDS:
            continue
        before = text[max(0, match.start() - 120) : match.start()].split()[-_LONG_FORM_WORDS:]
        run: list[str] = []
        for token in reversed(before):
            word = token.strip("\"“”‘’")
            if not word or word[-1] in ",;:.!?":
                break  # a word the clause or sentence ends with is not part of the name after it
            if word[:1].isupper() or (run and word.lower() in NAME_LINKS):
                run.insert(0, word)
            else:
                break
        while run and (run[0].lower() in NAME_LINKS or run[0][:1].upper() != acronym[0]):
            run.pop(0)
        if 2 <= sum(w[:1].isupper() for w in run) <= len(acronym) + 2:
            yield acronym, " ".join(run)


def defined_acronyms(texts: Iterable[str]) -> dict[str, tuple[frozenset[str], ...]]:
    """The acronyms the texts define (acronym_definitions), folded, each with the words of every long form that
    names it: "Federal Security Service (FSB)" -> {"fsb": ({"federal", "security", "service"},)}. One article may
    write "Federal Security Service of the Russian Federation (FSB)" where the others leave the country out.

    News articles about one story name one agency both ways, often one way an article: a question that says
    "Federal Security Service" is about the FSB that another article quotes, and the sources say so themselves.
    """
    found: dict[str, list[frozenset[str]]] = {}
    for text in texts:
        for acronym, long_form in acronym_definitions(text):
            capitalized = " ".join(w for w in long_form.split() if w[:1].isupper())
            named = frozenset(w.removesuffix("'s").rstrip("'") for w in words(capitalized))
            forms = found.setdefault(acronym.lower(), [])
            if named not in forms:
                forms.append(named)
    return {acronym: tuple(forms) for acronym, forms in found.items()}


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
    """A question's lookup of its documents' words: each document's own, with the acronyms its passages define
    (defined_acronyms) read both ways. The definitions come from the passages the question retrieved, not the
    whole index, so the same question asked of the same index always gets the same answer."""

    def __init__(self, document_words: Callable[[str], frozenset[str]], texts: Iterable[str]) -> None:
        self._document_words = document_words
        self.acronyms = defined_acronyms(texts)
        self._known: dict[str, frozenset[str]] = {}

    def __call__(self, source: str) -> frozenset[str]:
        found = self._known.get(source)
        if found is None:
            found = self._known[source] = with_acronyms(self._document_words(source), self.acronyms)
        return found


def pool_words(document_words: Callable[[str], frozenset[str]], texts: Iterable[str]) -> PoolWords:
    """``document_words`` with the acronyms of ``texts`` (PoolWords); one already made is kept as it is."""
    return document_words if isinstance(document_words, PoolWords) else PoolWords(document_words, texts)


def missing_names(names: Iterable[str], cited_sources: Iterable[str],
                  vocabulary_of: Callable[[str], frozenset[str]]) -> list[str]:
    """Question names that none of the cited documents mentions; empty when the answer is about them."""
    vocabularies = [vocabulary_of(source) for source in set(cited_sources)]
    return [name for name in names if not any(mentions(v, name) for v in vocabularies)]
