"""The other names a country goes by in a question: its capital and its people's name.

News writing and the questions people write about it swap these freely: "Tokyo protested" is Japan's government,
"the Japanese foreign minister" is Japan's, and a question asked in other words than its source says "When did
Moscow take the four islands from Japan?" of articles that say "Russia". kb's names check (a cited document must
mention every name of the question, kb.answer.grounding) and its term shares (kb.query.QueryContext.terms) read a
question's place name as found where the text gives:

* the country, for its capital ("Tokyo" in a text that says "Japan");
* the capital or the people's name, for the country ("Japan" in a text that says "Tokyo" or "the Japanese").

Not the country for a people's name: in "In which French city does he live?" the word says what kind of answer is
asked for, and "exiled in France" does not answer it. Never one city for another. Measured in docs/quality.md,
"A capital for its country".

The data is the countryinfo package's (MIT), read through its API. Only countries of at least a million people, so
that the capitals of small territories that are also common words or given names ("Victoria", "Hamilton",
"Douglas", "Stanley", "Malé") stand for nothing; and only names of one word, since a term share matches one word
at a time ("South Korea", "Washington D.C." are left out).
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from kb.text import fold

log = logging.getLogger(__name__)

#: Countries smaller than this are left out (see the module docstring).
MIN_POPULATION = 1_000_000


def _one_word(name: object) -> str | None:
    """The folded name when it is one word of letters, else None."""
    if not isinstance(name, str):
        return None
    word = fold(name.strip())
    return word if word.isalpha() and len(word) >= 3 else None


@lru_cache(maxsize=1)
def _table() -> dict[str, frozenset[str]]:
    """Folded word -> the other names it is found as. Empty, with one warning, where the countryinfo package is
    not installed (a virtual environment made before kb depended on it): every name is then read as written."""
    try:
        from countryinfo import all_countries  # ~10 ms once; most questions name no country
    except ImportError:
        log.warning("countryinfo is not installed: a capital is not read as its country (pip install -e .)")
        return {}

    links: dict[str, set[str]] = {}

    def link(a: str | None, b: str | None) -> None:
        if a and b and a != b:
            links.setdefault(a, set()).add(b)

    for country in all_countries():
        if int(country.population() or 0) < MIN_POPULATION:
            continue
        country_word = _one_word(country.name())
        capital_word = _one_word(country.capital())  # a list for the Vatican: no link
        demonym = country.demonym()
        demonyms = [_one_word(d) for d in demonym.split(",")] if isinstance(demonym, str) else []
        link(capital_word, country_word)
        link(country_word, capital_word)
        for people in demonyms:  # the country in "the Japanese ..."; never a people's name as its country
            link(country_word, people)
    return {word: frozenset(others) for word, others in links.items()}


def other_names(name: str) -> frozenset[str]:
    """The folded words that a question's (folded) place name is found as: empty for anything else."""
    return _table().get(name, frozenset())


#: A place named after one of these is the place itself: "the population of Tokyo", "the unemployment rate in
#: Paris", "How many people live in Berlin?" ask about the city, and a figure for Japan, France or Germany does not
#: answer them. A hunt found each answered with the country's figure at 0.4-0.99 before this.
_LOCATIVE = ("in", "of", "at", "near", "from", "to", "into", "around", "outside", "across", "within", "throughout",
             "inside", "through", "between", "via")


def standing_for(question: str, name: str) -> frozenset[str]:
    """The other names of a (folded) place name as this question uses it: none where it is named as a place
    ("in Tokyo", "the population of Paris", "the city of Sofia"), its country's other names where it stands for a
    government or a people ("Tokyo's top diplomat", "the insistence of Tokyo's minister", "When did Moscow take
    the islands?")."""
    others = other_names(name)
    if not others:
        return others
    folded = fold(question)
    before = rf"\b(?:{'|'.join(_LOCATIVE)})\s+(?:the\s+(?:\w+\s+){{0,2}}of\s+)?"
    if re.search(before + rf"{re.escape(name)}\b(?!['’]s\b)", folded):  # "of Tokyo's foreign minister" stands
        return frozenset()
    return others
