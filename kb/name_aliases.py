"""Other names of the same country: its name, official and other spellings, the word for its people, its capital.

News says "Tokyo" for Japan's government, "American" for something of the United States, "Moscow and Tokyo" for
the two states. A question that names a country one way is about a document that names it another, and kb's
name check (kb.answer.grounding.mentions: a cited document must mention every name the question is about) then
abstained on questions the document answers: on the seed paraphrase sets, every answerable question whose name
the cited document does not spell as the question does (11 of them) was abstained on or answered wrongly
(docs/quality.md, "A country named another way").

Word vectors were tried for this and not kept: they measure relatedness ("Huguenot" sits close to "French"), not
identity. This table is identity only: the forms countryinfo (PyPI, MIT) lists for one country. Codes of three
letters or fewer ("CAN", "ARE", "PER") are left out, as is any form that is a common English word.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from kb.text import STOPWORDS, fold, words

_MIN_CODE = 4  # an all-capitals spelling shorter than this is a code ("USA", "GBR", "CAN"), not a name in prose


def _forms(texts: list[object]) -> set[tuple[str, ...]]:
    """Names as tuples of folded words (ASCII ones only; one-letter words dropped: "D.C.")."""
    found: set[tuple[str, ...]] = set()
    for text in texts:
        if not isinstance(text, str) or not text.strip():
            continue
        if text.isupper() and len(text) < _MIN_CODE:
            continue
        form = tuple(w.removesuffix("'s") for w in words(fold(text)) if len(w) > 1)
        if not form or not all(w.isascii() for w in form):
            continue
        if len(form) == 1 and form[0] in STOPWORDS:
            continue
        found.add(form)
    return found


@lru_cache(maxsize=1)
def _credits() -> dict[str, tuple[tuple[str, ...], ...]]:
    """One-word name -> the forms that name the same country, read once from countryinfo's data.

    A capital or a people's word stands for the country, so it is credited by the country's names only: "Tokyo" by
    "Japan", not by "Japanese"; "American" by "United States", not by "Washington" (a "Washington-based" group says
    nothing of America). The country's own names are credited by every form (a document that says "Tokyo" decided
    is about Japan)."""
    folder = resources.files("countryinfo") / "data"
    countries = [json.loads(e.read_text(encoding="utf-8")) for e in folder.iterdir() if e.name.endswith(".json")]
    # A territory shares its people's word with the state it belongs to ("French": France, Reunion, Mayotte): the
    # word names the most populous country that uses it, so "French" never makes Reunion's capital an alias.
    people: dict[str, dict] = {}
    for country in countries:
        word = country.get("demonym")
        if isinstance(word, str) and (word not in people or (country.get("population") or 0) > (people[word].get("population") or 0)):
            people[word] = country
    credits: dict[str, set[tuple[str, ...]]] = {}
    for country in countries:
        names = _forms([country.get("name"), *(country.get("altSpellings") or [])])
        standing_for = _forms([country.get("capital")]
                              + ([country.get("demonym")] if people.get(country.get("demonym")) is country else []))
        standing_for -= names
        for form, by in [(f, names | standing_for) for f in names] + [(f, names) for f in standing_for]:
            if len(form) == 1:
                credits.setdefault(form[0], set()).update(by - {form})
    return {word: tuple(sorted(forms)) for word, forms in credits.items() if forms}


def other_names(name: str) -> tuple[tuple[str, ...], ...]:
    """The forms that name the country a one-word name stands for ("tokyo" -> ("japan",), ("nihon",), ...), as
    tuples of folded words; empty for a name that is not a country's, its people's or its capital's."""
    return _credits().get(name, ())


def named_otherwise(vocabulary: frozenset[str], name: str) -> bool:
    """The document's words hold another name of the same country (every word of it)."""
    return any(all(w in vocabulary for w in form) for form in other_names(name))


__all__ = ["named_otherwise", "other_names"]
