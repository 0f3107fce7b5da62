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
from typing import Callable, Iterable, Mapping

from kb.answer_types import numbers
from kb.text import Person, defined_acronyms, fold, person_mentions, stem, words


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


def a_persons_name(person: Person, text: str, known_word: Callable[[str], bool] | None = None) -> bool:
    """Is the name a person's? Named with a title in the question or in ``text`` (the passage), or with a surname the
    embedding model's vocabulary does not hold as a word (``known_word``): "Scottish Parliament" and "Associate
    Administrator" have the shape of "Daniel Okafor", and "the Scotland Parliament" is no other person. Where it is
    not known to be a person's, about_someone_else is not asked."""
    return (person.titled or any(p.titled and p.surname == person.surname for _, p in person_mentions(text))
            or (known_word is not None and not known_word(fold(person.surname))))


#: Where a sentence or a line starts: a person named there is what it is about ("Miriam Okafor won ..."), unlike one
#: named inside it ("at Johns Hopkins", "Daniel and Miriam Okonkwo", "whose father Emeka Okafor").
_OPENS = re.compile(r"(?:^|[.!?:;]\s+|\n)[\s*_#>•-]*(?:\d+[.)]\s+)?$")
#: Where a record starts: a blank line, or a list item's or heading's line ("- **Dr. Miriam Okafor**, General Manager.").
_RECORD_START = re.compile(r"\n[ \t]*\n|\n(?=[ \t]*(?:[-*•]|\d+[.)]|#)\s)")
_REFERS_BACK = re.compile(r"[\s*_#>•-]*(?:he|she|his|her|they|their)\b", re.I)


def _decisive(text: str, at: int, person: Person) -> bool:
    """A mention that says whom a text is about: named with a title, or opening a sentence or a line."""
    return person.titled or _OPENS.search(text, 0, at) is not None


def about_someone_else(person: Person, sentence: str, before: str) -> bool:
    """Is the statement about another person than the one the question names? The names check above is made per
    document, and a staff page names both Okafors: "Professor Okafor joined the department in 2011 and was promoted to
    full professor in 2020." answered "When was Daniel Okafor promoted to full professor?" at 0.97, about Miriam
    Okafor, named in the sentence before; "Office hours: Fridays 09:30-11:00." answered Dr. Carvalho's office hours
    from Dr. Priya Raman's entry (a user-style hunt, docs/reliability.md). ``before``: the passage's text before the
    statement.

    - A statement that names the person is about them, whoever else it names.
    - One that names the surname with another given name, with a title or opening a sentence ("Miriam Okafor won"),
      is about that person; named inside a sentence ("at Johns Hopkins", "Daniel and Miriam Okonkwo") it says
      nothing.
    - One that names the surname alone ("Professor Okafor") is about whoever ``before`` last named by that surname,
      the same way.
    - One that names neither is about whom its record is about: the person its paragraph or list item names first,
      with a title or opening a sentence ("**Dr. Priya Raman**, Associate Professor. ... Office hours: Fridays.").
      A record that opens with "he" or "she" is about someone named before it, and says nothing here; so does one
      that names no one.

    For a person's name (a_persons_name). A surname or given name the passage also writes in lowercase is a word,
    not a person's name ("Bird" among "birds"): nothing is decided then."""
    passage = before + sentence
    if any(re.search(rf"\b{re.escape(name.lower())}(?:e?s)?\b", passage)
           for name in (person.given, person.surname) if name):
        return False
    in_sentence = [(at, p) for at, p in person_mentions(sentence) if p.surname == person.surname]
    if any((p.given is not None or person.given is None) and p.same_given(person) for _, p in in_sentence):
        return False
    if person.given and any(p.given and _decisive(sentence, at, p) for at, p in in_sentence):
        return True  # another given name: the ones that agree returned above
    if re.search(rf"\b{re.escape(person.surname)}\b", sentence):
        named = [p for at, p in person_mentions(before)
                 if p.surname == person.surname and p.given and _decisive(before, at, p)]
        return bool(person.given and named and not named[-1].same_given(person))
    if person.given and re.search(rf"\b{re.escape(person.given)}\b", sentence):
        return False
    starts = [m.end() for m in _RECORD_START.finditer(before)]
    record = before[starts[-1] if starts else 0:]
    if _REFERS_BACK.match(record):
        return False
    first = next((p for at, p in person_mentions(record) if _decisive(record, at, p)), None)
    if first is None:
        return False
    return first.surname != person.surname or not first.same_given(person)
