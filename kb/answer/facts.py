"""The checkable facts of a sentence: its numbers, dates, names and whether it is negated.

Embedding similarity cannot tell "Revenue in March 2023 was $1.4 million." from "Revenue in June 2023 was
$1.5 million." (cosine ~0.95), nor "The board approved the budget" from "The board did not approve the budget".
Templated documents (monthly reports, regional notes, minutes) are full of such look-alikes, and a language model
that changes a figure or drops a "not" stays just as similar to its source. So wherever two texts must *say the
same thing* (several sources cited for one statement, a model's sentence checked against its cited passage),
kb also compares what can be compared exactly:

* numbers, normalised: "$1.3 million" == "1,300,000" == "1.30 million"; "forty percent" == "40%";
* dates: years, months, days of a month, weekdays, quarters ("Q3" == "third quarter"), halves, decades;
* names: capitalised words that do not start a sentence (folded: "Grozév" == "grozev"); a sentence's first word
  cannot be told from an ordinary word by its capital, so it counts only where the caller knows it as a name. A
  model's sentence must also state a name where its passage does (``misplaced_names``): a passage that names two
  people says what each of them did;
* directions: "from Russian to English" is an ordered pair, and its reverse is another fact ("between A and B" is
  not ordered and is not compared);
* negation: cues (not, no, never, n't, without, none, neither, nor, fails to, denied...). Two sources' sentences
  must agree on the parity of their cues ("did not deny" reads as positive); a model's sentence is held to the
  word each negation is about (``polarity_differs``), so that it may restate a sentence in other words.

Rules of thumb, not a parser: they err towards "different", which costs an extra citation, never a wrong one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Iterable, Sequence

from kb.answer.grounding import document_words, mentions, with_acronyms
from kb.text import (
    MONTHS, NAME_LINKS, STOPWORDS, content_terms, defined_acronyms, fold, named_entities, one_edit, stem,
    words,
)

_FULL_MONTHS = frozenset(list(MONTHS)[:12])
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
_UNITS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000,
           "trillion": 1_000_000_000_000}
# Attached abbreviations ("$1.4m", "€2bn") count only after a currency sign: "100 m" is a distance.
_SHORT_SCALES = {"k": 1_000, "m": 1_000_000, "mn": 1_000_000, "bn": 1_000_000_000, "b": 1_000_000_000}

_MONTH = r"(?:january|february|march|april|may|june|july|august|september|october|november|december|" \
         r"jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_ISO_DATE = re.compile(r"(?<![\d.])(\d{4})-(\d{2})-(\d{2})(?!\d)")
_DAY_MONTH = re.compile(rf"(?<![\w.]){_DAY}\s+(?:of\s+)?({_MONTH})(?![a-z])(?:,?\s+(\d{{4}})(?!\d))?", re.I)
_MONTH_DAY = re.compile(rf"(?<![\w.])({_MONTH})\s+{_DAY}(?![\d:.]\d|\d)"
                        rf"(?!\s*(?:%|percent|per cent|million|billion|thousand))(?:,?\s+(\d{{4}})(?!\d))?", re.I)
_MONTH_YEAR = re.compile(rf"(?<![\w.])({_MONTH}),?\s+(\d{{4}})(?!\d)", re.I)
_MONTH_ALONE = re.compile(rf"(?<![\w.])({_MONTH})(?![\w])", re.I)
_QUARTER = re.compile(r"(?<![\w.])(?:Q([1-4])|(first|second|third|fourth|1st|2nd|3rd|4th)[\s-]+quarter)(?![\w])", re.I)
_HALF = re.compile(r"(?<![\w.])H([12])(?![\w])")
_WEEKDAY = re.compile(rf"(?<![\w.])({'|'.join(WEEKDAYS)})(?![\w])", re.I)
_DECADE = re.compile(r"(?<![\w.])(1\d|20)(\d)0['’]?s(?![\w])")
_NUMBER = re.compile(
    r"(?<![\w.,])([$€£¥])?\s?(\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.(\d+))?(?![.,]?\d)"
    r"(?:(k|mn|bn|m|b)(?![\w])|\s*(hundred|thousand|million|billion|trillion)(?![\w]))?"
    r"(\s*(?:%|percent|per cent)(?![\w]))?",
    re.I,
)
_NUMBER_WORD = re.compile(
    rf"(?<![\w-])(?:({'|'.join(_TENS)})(?:[\s-]({'|'.join(_UNITS)}))?|({'|'.join(_UNITS)})|(one|a))"
    rf"(?:\s+({'|'.join(_SCALES)}))?(\s*(?:%|percent|per cent))?(?![\w])",
    re.I,
)
_NAME_WORD = re.compile(r"[^\W\d_][^\W_]*(?:['’][^\W_]+)*")
_TITLES = frozenset("mr mrs ms dr prof st mt gen gov sen rep rev col lt capt sgt jr sr".split())
_OPENERS = "\"'“‘«([{—–-*•"


@dataclass(frozen=True)
class Direction:
    """An ordered pair a text states: "from Russian to English" -> ({"russian"}, {"english"}), as stems."""

    source: frozenset[str]
    target: frozenset[str]
    said: str  # "from Russian to English", for messages


@dataclass(frozen=True)
class Facts:
    """What a text states that can be compared exactly."""

    numbers: frozenset[str]  # canonical decimals, "40%" for percentages
    dates: frozenset[str]  # "year:2023", "month:3", "day:3-14", "weekday:monday", "quarter:3", "half:1", "decade:1990"
    names: frozenset[str]  # folded capitalised words that do not start a sentence
    initials: frozenset[str]  # folded capitalised first words of sentences: names only where known as names
    negated: bool
    surface: tuple[tuple[str, str], ...]  # (fact, the text that stated it), for messages
    directions: tuple[Direction, ...] = ()  # its "from A to B" pairs

    def said(self, fact: str) -> str:
        """The words that stated a fact: "March 2023" rather than "month:3"."""
        return next((text for key, text in self.surface if key == fact), fact.split(":", 1)[-1])


def _canonical(value: Decimal, percent: bool) -> str:
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text + ("%" if percent else "")


def _is_initial(text: str, start: int) -> bool:
    """Does the word at ``start`` begin a sentence (or a quote, a heading, a list item)? Not after "Mr." or an
    initial ("J. Smith")."""
    i = start - 1
    while i >= 0 and (text[i] in " \t" or text[i] in _OPENERS):
        i -= 1
    if i < 0 or text[i] in "!?:;\n\r…":
        return True
    if text[i] != ".":
        return False
    before = re.search(r"([^\W\d_]+)$", text[max(0, i - 12) : i])
    return not (before and (len(before.group(1)) == 1 or before.group(1).lower() in _TITLES))


class _Reader:
    """One pass over a text: each rule takes its matches out (blanks them) so later rules do not read them again."""

    def __init__(self, text: str) -> None:
        self.original = text
        self.text = text
        self.numbers: set[str] = set()
        self.dates: set[str] = set()
        self.surface: list[tuple[str, str]] = []

    def add(self, kind: set[str], fact: str, said: str) -> None:
        kind.add(fact)
        self.surface.append((fact, " ".join(said.split())))

    def take(self, match: re.Match) -> None:
        a, b = match.span()
        self.text = self.text[:a] + " " * (b - a) + self.text[b:]

    def month(self, token: str, match: re.Match, alone: bool = False) -> int | None:
        """The month a token names. "may" and "march" are also verbs, "Jan" a name: alone (no day or year
        beside it) a month must be capitalised, and "May" must not start the sentence."""
        number = MONTHS.get(fold(token).rstrip("."))
        if number is None or not alone:
            return number
        if fold(token).rstrip(".") not in _FULL_MONTHS or not token[0].isupper():
            return None  # "Jan" alone is more often a name than January
        if fold(token).startswith("may") and _is_initial(self.original, match.start()):
            return None
        return number

    def year(self, digits: str | None, said: str) -> None:
        if digits:
            self.add(self.dates, f"year:{int(digits)}", said)

    def read(self) -> None:
        for m in list(_ISO_DATE.finditer(self.text)):
            mo, d = int(m.group(2)), int(m.group(3))
            if 1 <= mo <= 12 and 1 <= d <= 31:
                self.year(m.group(1), m.group())
                self.add(self.dates, f"month:{mo}", m.group())
                self.add(self.dates, f"day:{mo}-{d}", m.group())
                self.take(m)
        for pattern, day_group, month_group, year_group in ((_DAY_MONTH, 1, 2, 3), (_MONTH_DAY, 2, 1, 3)):
            for m in list(pattern.finditer(self.text)):
                month, day = self.month(m.group(month_group), m), int(m.group(day_group))
                if month is None or not 1 <= day <= 31:
                    continue
                self.add(self.dates, f"month:{month}", m.group())
                self.add(self.dates, f"day:{month}-{day}", m.group())
                self.year(m.group(year_group), m.group())
                self.take(m)
        for m in list(_MONTH_YEAR.finditer(self.text)):
            month = self.month(m.group(1), m)
            if month is not None:
                self.add(self.dates, f"month:{month}", m.group())
                self.year(m.group(2), m.group())
                self.take(m)
        for m in list(_MONTH_ALONE.finditer(self.text)):
            month = self.month(m.group(1), m, alone=True)
            if month is not None:
                self.add(self.dates, f"month:{month}", m.group())
                self.take(m)
        for m in list(_QUARTER.finditer(self.text)):
            n = int(m.group(1)) if m.group(1) else _ORDINALS[m.group(2).lower()]
            self.add(self.dates, f"quarter:{n}", m.group())
            self.take(m)
        for m in list(_HALF.finditer(self.text)):
            self.add(self.dates, f"half:{m.group(1)}", m.group())
            self.take(m)
        for m in list(_WEEKDAY.finditer(self.text)):
            self.add(self.dates, f"weekday:{m.group(1).lower()}", m.group())
            self.take(m)
        for m in list(_DECADE.finditer(self.text)):
            self.add(self.dates, f"decade:{m.group(1)}{m.group(2)}0", m.group())
            self.take(m)
        for m in list(_NUMBER.finditer(self.text)):
            self.number(m)
        for m in list(_NUMBER_WORD.finditer(self.text)):
            self.number_word(m)

    def number(self, m: re.Match) -> None:
        currency, whole, fraction, short, scale, percent = m.groups()
        if short and not currency:
            short = None  # "100m", "5k run": a distance, not a sum of money; the bare number is the fact
        try:
            value = Decimal(whole.replace(",", "") + ("." + fraction if fraction else ""))
        except InvalidOperation:
            return
        plain = not (currency or fraction or short or scale or percent or "," in whole)
        if plain and len(whole) == 4 and 1800 <= value <= 2100:
            self.year(whole, m.group())  # a bare four-digit number in that range is read as a year
            self.take(m)
            return
        if short:
            value *= _SHORT_SCALES[short.lower()]
        if scale:
            value *= _SCALES[scale.lower()]
        self.add(self.numbers, _canonical(value, bool(percent)), m.group())
        self.take(m)

    def number_word(self, m: re.Match) -> None:
        tens, unit_after_tens, unit, one, scale, percent = m.groups()
        if one and not scale:
            return  # "one" and "a" alone are rarely quantities ("one of the", "a report")
        value = Decimal(_TENS.get((tens or "").lower(), 0) + _UNITS.get((unit_after_tens or unit or "").lower(), 0)
                        + (1 if one else 0))
        if scale:
            value *= _SCALES[scale.lower()]
        self.add(self.numbers, _canonical(value, bool(percent)), m.group())
        self.take(m)


@lru_cache(maxsize=50_000)
def facts(text: str) -> Facts:
    """The numbers, dates, names and negation of a text (cached: the same sentences come back question after
    question)."""
    reader = _Reader(text)
    reader.read()
    names: set[str] = set()
    initials: set[str] = set()
    for m in _NAME_WORD.finditer(reader.text):
        token = m.group()
        if not token[0].isupper():
            continue
        word = fold(token).removesuffix("'s").rstrip("'")
        if len(word) < 2 or word in STOPWORDS or word in MONTHS or word in WEEKDAYS or word in _TITLES:
            continue
        initial = _is_initial(text, m.start())
        # A sentence's first word is a name when it could not be an ordinary word: "NASA", "McDonald".
        if initial and not (token.isupper() or any(c.isupper() for c in token[1:])):
            initials.add(word)
            continue
        names.add(word)
        reader.surface.append((f"name:{word}", token))
    return Facts(
        numbers=frozenset(reader.numbers), dates=frozenset(reader.dates), names=frozenset(names),
        initials=frozenset(initials), negated=term_polarity(text).cues % 2 == 1,
        surface=tuple(reader.surface), directions=_directions(text),
    )


_WORDS_WITH_CASE = re.compile(r"[^\W\d_][\w'’-]*|&")


def spelled_out(acronym: str, text: str) -> bool:
    """Does the text write the acronym out ("EU": "European Union", "LOR": "lunar orbit rendezvous")?

    Two-letter acronyms need capitalised words: "every user" is not the EU.
    """
    acronym = re.sub(r"['’]s$", "", acronym)
    if not (acronym.isupper() and acronym.isalpha() and 2 <= len(acronym) <= 6):
        return False
    tokens = _WORDS_WITH_CASE.findall(text)
    letters = acronym.lower()
    for i, token in enumerate(tokens):
        j, k = 0, i
        while k < len(tokens) and j < len(letters):
            word = tokens[k]
            if j > 0 and word.lower() in NAME_LINKS:
                k += 1
                continue
            if word[0].lower() != letters[j] or (len(letters) == 2 and not word[0].isupper()):
                break
            j, k = j + 1, k + 1
        if j == len(letters):
            return True
    return False


# "from Russian to English", "from $1.4 million to $1.5 million": a number keeps its decimals.
_DIRECTION_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)*|[^\w\s]")
_DIRECTION_SPAN = 6  # words from "from" to "to" at most: a longer run is rarely one end of a pair
_DIRECTION_END = 4  # content words of the "to" end at most


def _in_direction(token: str) -> bool:
    """Can the token be part of an end of a pair? Words, numbers and the signs around numbers ("$1.4", "40%")."""
    return token[0].isalnum() or token in "$€£¥%"


def _direction_term(token: str) -> str:
    token = fold(token).removesuffix("'s")
    return token.replace(",", "") if token[0].isdigit() else stem(token)


@lru_cache(maxsize=50_000)
def _directions(text: str) -> tuple[Direction, ...]:
    """The "from A to B" (or "into B") pairs of a text. An end is its content words; the "to" end stops at its
    first small word or punctuation after a content word ("from Russian to English since it began": English).
    Words both ends share are left out ("from $1.4 million to $1.5 million": 1.4 and 1.5); a pair with an end
    left empty ("from time to time") is no pair."""
    tokens = _DIRECTION_TOKEN.findall(text)
    found: list[Direction] = []
    for i, token in enumerate(tokens):
        if fold(token) != "from":
            continue
        j = i + 1
        while j < len(tokens) and j - i <= _DIRECTION_SPAN and _in_direction(tokens[j]) \
                and fold(tokens[j]) not in ("to", "into"):
            j += 1
        if j >= len(tokens) or j - i > _DIRECTION_SPAN or fold(tokens[j]) not in ("to", "into"):
            continue
        source_words = [t for t in tokens[i + 1 : j] if t[0].isalnum() and fold(t) not in STOPWORDS]
        target_words: list[str] = []
        for t in tokens[j + 1 :]:
            small = fold(t) in STOPWORDS or fold(t) in _SCOPE_ENDS
            if not _in_direction(t) or (target_words and small) or len(target_words) == _DIRECTION_END:
                break
            if not small and t[0].isalnum():
                target_words.append(t)
        source = frozenset(_direction_term(t) for t in source_words)
        target = frozenset(_direction_term(t) for t in target_words)
        if source - target and target - source:
            said = f"from {' '.join(source_words)} {fold(tokens[j])} {' '.join(target_words)}"
            found.append(Direction(source - target, target - source, said))
    return tuple(found)


def _reversal(claim: Facts, other: Facts) -> tuple[Direction, Direction] | None:
    """A pair of the claim that the other text states only the other way round ("from English to Russian"
    against "from Russian to English"), with the other text's pair."""
    for mine in claim.directions:
        if any(mine.source & d.source and mine.target & d.target for d in other.directions):
            continue
        back = next((d for d in other.directions if mine.source & d.target and mine.target & d.source), None)
        if back is not None:
            return mine, back
    return None


def _unmatched_names(names: frozenset[str], other_text: str, other_names: frozenset[str]) -> list[str]:
    vocabulary = document_words(other_text)
    return [
        name for name in names
        if not mentions(vocabulary, name)
        and not (len(name) >= 6 and any(one_edit(name, o) for o in other_names if len(o) >= 6))
    ]


def same_facts(a: str, b: str) -> bool:
    """Do two sentences state the same numbers, dates and names, with the same polarity?

    Used before citing a second source for a statement: similar wording is not the same claim when a month,
    a figure, a region or a "not" differs. Numbers, dates and polarity must be identical. Names are the least
    exact fact: two reports of one event spell and name things differently ("Itorofu"/"Etorofu", "the Soviet
    Union"/"the USSR", one adds "of Japan"), so a name counts as stated when the other text has the word anywhere
    (or a one-letter variant of a long name), and up to a third of a sentence's names may be unmatched. A
    sentence with one or two names must match them all: the template "the Northern region sold" never merges
    with "the Southern region sold". A "from A to B" that the other sentence states reversed is another fact.
    """
    fa, fb = facts(a), facts(b)
    if fa.numbers != fb.numbers or fa.dates != fb.dates or fa.negated != fb.negated:
        return False
    if _reversal(fa, fb) or _reversal(fb, fa):
        return False
    all_a, all_b = fa.names | fa.initials, fb.names | fb.initials
    return (3 * len(_unmatched_names(fa.names, b, all_b)) <= len(fa.names)
            and 3 * len(_unmatched_names(fb.names, a, all_a)) <= len(fb.names))


def _claim_names(claim: Facts, known: frozenset[str]) -> set[str]:
    """The claim's names: its capitalised words, and a capitalised first word where it is known as a name."""
    return set(claim.names) | {w for w in claim.initials if w in known}


def _states_name(name: str, said: str, text: str, vocabulary: frozenset[str]) -> bool:
    """Does the text (its words: ``vocabulary``) state the name ("Grozev's" states grozev), or write out the
    acronym the name is (``said``: "EU" in "European Union law")?"""
    return mentions(vocabulary, name) or spelled_out(said, text)


def unstated(claim: str, passage: str, known_names: Iterable[str] = ()) -> str | None:
    """The claim's numbers, dates, directions or names that the passage does not state, as a reason; None when
    all are there.

    A name that starts the claim counts only when ``known_names`` (names seen in the other passages) holds it:
    a swapped name at the start of a sentence looks like any capitalised first word. A "from A to B" that the
    passage states only as "from B to A" is not stated.
    """
    fc, fp = facts(claim), facts(passage)
    for kind, stated in (("number", fc.numbers - fp.numbers), ("date", fc.dates - fp.dates)):
        if stated:
            return f"states {kind} {', '.join(sorted(fc.said(f) for f in stated))}, which the passage does not"
    reversal = _reversal(fc, fp)
    if reversal:
        return f"states {reversal[0].said}, where the passage says {reversal[1].said}"
    vocabulary = document_words(passage)
    missing = [name for name in sorted(_claim_names(fc, frozenset(known_names)))
               if not _states_name(name, fc.said(f"name:{name}"), passage, vocabulary)]
    if missing:
        return f"names {', '.join(missing)}, which the passage does not"
    return None


#: A sentence that starts with one of these is about someone or something the sentence before it names.
_REFERS_BACK = frozenset("he she they it his her its their".split())


def _name_units(text: str, known: frozenset[str]) -> list[tuple[str, frozenset[str]]]:
    """The names of a text as written (kb.text.named_entities), each with its words that are names here
    ("Igor Sushko" -> {"sushko"} where "Igor" only starts sentences); a run with no such word ("Cargo") is none."""
    found = facts(text)
    named = found.names | (found.initials & known)
    units = []
    for entity in named_entities(text):
        parts = frozenset(fold(t).removesuffix("'s").rstrip("'") for t in _NAME_WORD.findall(entity)) & named
        if parts:
            units.append((entity, parts))
    return units


def _subject(text: str, known: frozenset[str]) -> frozenset[str]:
    """The name words a sentence begins with, after small words ("The Port of Velmora's ..." -> port, velmora);
    none when it begins otherwise ("He shared ... with Newsweek")."""
    units = _name_units(text, known)
    if not units:
        return frozenset()
    entity, parts = units[0]
    return parts if all(w in STOPWORDS for w in words(text[: text.find(entity)])) else frozenset()


def misplaced_names(claim: str, resting: Sequence[tuple[str, str]], passage: Sequence[str],
                    known_names: Iterable[str] = ()) -> str | None:
    """A reason when the claim puts a name where its passage does not; None when each name is where it says.

    ``unstated`` only asks whether a passage mentions a name anywhere, and a passage that names two people
    ("Igor Sushko has been translating the correspondence ... One letter was analyzed by Christo Grozev")
    mentions both: "Christo Grozev translates the correspondence" passed it. So each name of the claim must be
    stated by the sentences the claim rests on (``resting``: its best-matching passage sentences, each with the
    sentence before it). Where such a sentence starts with "He", "It", "Their"..., the claim's first name, which
    a model puts in the pronoun's place ("Grozev said ..." for "He said ..."), may be one the sentence before it
    states. A name they leave out may come from elsewhere in the passage (``passage``: its sentences and title),
    as a restated subject does ("Velmora's renovation was paid for by Ostmark" on "The renovation was paid for by
    ... Ostmark"), but only

    * when the sentences it rests on name no one the claim leaves out: that one is who the passage says it was;
    * and from a sentence that states the name with a word of what the claim says about it, and names no one the
      claim leaves out.

    A name is stated as ``unstated`` reads it (possessives; "Grozev" for "Christo Grozev"; acronyms written out)
    and through the acronyms the passage defines ("FSB" states the Federal Security Service). The question is no
    help: it may itself presuppose the wrong name, and a model restating it is the failure this catches.
    """
    known = frozenset(known_names)
    fc = facts(claim)
    names = _claim_names(fc, known)
    if not names:
        return None
    acronyms = defined_acronyms(passage)

    def vocabulary(text: str) -> frozenset[str]:
        return with_acronyms(document_words(text), acronyms)

    def states(text: str, name: str) -> bool:
        return _states_name(name, fc.said(f"name:{name}"), text, vocabulary(text))

    # The claim's own capitalised words: "the islands" does not mention the Kuril Islands.
    capitalised = names | fc.initials
    claim_names = with_acronyms(frozenset(capitalised | {stem(n) for n in capitalised}), acronyms)

    def left_out(text: str) -> list[str]:
        """The names of the text that the claim does not mention, as written."""
        return [entity for entity, parts in _name_units(text, known)
                if not any(mentions(claim_names, p) for p in parts) and not spelled_out(entity, claim)]

    here = "\n".join(sentence for sentence, _ in resting)
    # Who "He ..." is: the sentences before, for the claim's subject only.
    before = "\n".join(b for sentence, b in resting if words(sentence)[:1] and words(sentence)[0] in _REFERS_BACK)
    subject = _subject(claim, known)
    missing = [name for name in sorted(names)
               if not states(here, name) and not (name in subject and before and states(before, name))]
    if not missing:
        return None
    instead = list(dict.fromkeys(entity for sentence, _ in resting for entity in left_out(sentence)))
    if instead:
        return f"names {', '.join(missing)} where the passage's sentence names {', '.join(instead)}"
    said_about = {stem(t) for t in content_terms(claim) if t not in names} - {stem(n) for n in names}
    for name in missing:
        if not any(states(text, name) and not left_out(text) and said_about & {stem(t) for t in content_terms(text)}
                   for text in passage):
            return f"names {name}, which the passage does not state with what the claim says about it"
    return None


_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|[,;:.!?()\[\]—–\"“”]")
_CUE_WORDS = frozenset("not no never none neither nor nobody nothing nowhere without cannot unable deny denies denied "
                       "denying".split())
_CUE_BEFORE_TO = frozenset("fail fails failed failing refuse refuses refused refusing decline declines declined "
                           "declining".split())
# A negation's scope ends with its clause or at a preposition: "was not paid | for by the city".
_SCOPE_ENDS = frozenset("but although though while whereas because since which who whom and or yet so by for of in on "
                        "at to with from into about against between through during under over after before".split())
_CLAUSE_ENDS = frozenset("but although though while whereas because since which who whom and or yet so".split())
SCOPE_WORDS = 3  # content words a negation reaches at most: "no major mass media", "did not approve the budget"


@dataclass(frozen=True)
class Polarity:
    """Per clause, each content word's polarity (stemmed word -> {True if negated, False if not}); and the
    heads of the negations: the word each one is about ("approve" in "did not approve the budget", and the
    "-ly" adverbs before it)."""

    clauses: tuple[dict[str, frozenset[bool]], ...]
    heads: frozenset[str]
    cues: int  # how many negations: an odd count reads the whole text as negated


@lru_cache(maxsize=50_000)
def term_polarity(text: str) -> Polarity:
    """Word-level polarity: a cue ("not", "never", "failed to", "denied", "n't", ...) negates the next few
    content words of its clause, up to a preposition; two cues over one word cancel ("did not deny approving":
    "approving" is positive)."""
    clauses: list[dict[str, set[bool]]] = [{}]
    heads: set[str] = set()
    active: list[list[int]] = []  # per cue: [content words it still reaches, 1 while it waits for its head]
    tokens = [fold(t) for t in _TOKEN.findall(text)]
    neither = after_cue = False
    cues = 0
    for i, token in enumerate(tokens):
        if after_cue and token == "to":  # "failed to approve", "never to return"
            continue
        after_cue = False
        if not token[0].isalnum() or token in _SCOPE_ENDS:
            active = []
            neither = neither and token not in ".!?"
            if (not token[0].isalnum() or token in _CLAUSE_ENDS) and clauses[-1]:
                clauses.append({})
            continue
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        cue = token in _CUE_WORDS or token.endswith("n't") or (token in _CUE_BEFORE_TO and following == "to")
        if (token == "not" and following == "only") or (token == "nor" and neither):
            cue = False  # "not only" negates nothing; "neither ... nor" is one negation
        if cue:
            neither = neither or token == "neither"
            after_cue = True
            cues += 1
            active.append([SCOPE_WORDS, 1])
            continue
        if len(token) < 2 or token in STOPWORDS:
            continue
        # The light stemmer leaves "approve" and "approv(ed)" apart; without a final "e" they meet.
        term = stem(token.removesuffix("'s"))
        term = term.rstrip("e") or term
        live = [c for c in active if c[0] > 0]
        clauses[-1].setdefault(term, set()).add(len(live) % 2 == 1)
        for c in live:
            c[0] -= 1
            if c[1]:
                heads.add(term)
                c[1] = 0 if not token.endswith("ly") else 1  # an adverb heads it together with the next word
    return Polarity(tuple({t: frozenset(v) for t, v in clause.items()} for clause in clauses if clause),
                    frozenset(heads), cues)


def _negated_in_best(term: str, clause: dict[str, frozenset[bool]],
                     others: tuple[dict[str, frozenset[bool]], ...]) -> set[bool]:
    """Is ``term`` negated in the clauses of ``others`` that restate ``clause`` best (ties kept)? Empty: no
    clause states it."""
    holding = [o for o in others if term in o]
    if not holding:
        return set()
    most = max(len(clause.keys() & o.keys()) for o in holding)
    return {True in o[term] for o in holding if len(clause.keys() & o.keys()) == most}


def polarity_differs(claim: str, sentence: str) -> str | None:
    """A reason when the claim negates the sentence it rests on, or drops its negation; None when they agree.

    Only the words a negation is about are compared ("approve" in "did not approve the budget"), each clause
    of the claim against the sentence's clause that restates it best: "approved the budget" contradicts "did
    not approve the budget", while "rejected the budget" does not, nor does "a peace treaty was never signed"
    against "they never signed a peace treaty", nor a claim that leaves out a negated clause of its sentence
    ("Denmark joined in 1972" from "Denmark joined in 1972, though Norway did not join"). A negation of the
    claim about words the sentence does not state at all counts only when the sentence has no negation.
    """
    c, s = term_polarity(claim), term_polarity(sentence)
    for clause in c.clauses:
        for term in sorted(clause.keys() & (c.heads | s.heads)):
            negated = True in clause[term]
            found = _negated_in_best(term, clause, s.clauses)
            if found and negated not in found:
                return f"negates what the passage says ({term})" if negated else (
                    f"drops the passage's negation ({term})")
    stated = {t for clause in s.clauses for t in clause}
    if not s.heads and c.heads and not c.heads & stated:
        return "negates what the passage says"
    return None


def contradiction(claim: str, passage: str, matching_sentence: str | None = None,
                  known_names: Iterable[str] = ()) -> str | None:
    """Why the passage does not back the claim's facts, or None when it does.

    Every number, date and name of the claim must be stated somewhere in the passage, and the claim's polarity
    must equal that of the passage sentence it matches best (``matching_sentence``; the whole passage without
    one).
    """
    return unstated(claim, passage, known_names) or polarity_differs(claim, matching_sentence or passage)


def contradicts(claim: str, passage: str, matching_sentence: str | None = None,
                known_names: Iterable[str] = ()) -> bool:
    """``contradiction`` as a yes/no."""
    return contradiction(claim, passage, matching_sentence, known_names) is not None


def names_of(texts: Iterable[str]) -> frozenset[str]:
    """Every name the texts state (not counting sentence-initial words): the known names for ``contradiction``."""
    found: set[str] = set()
    for text in texts:
        found |= facts(text).names
    return frozenset(found)


__all__ = [
    "Direction", "Facts", "Polarity", "contradiction", "contradicts", "facts", "misplaced_names", "names_of",
    "polarity_differs", "same_facts", "spelled_out", "term_polarity", "unstated",
]
