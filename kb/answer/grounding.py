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
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Callable, Iterable, Mapping

from kb.answer_types import EARLIER, AnswerType, asks_yes_or_no, months_of_numeric_dates, numbers, years
from kb.text import (_UPPER, MONTHS, PERSON_PRONOUN, PERSON_TITLES, STOPWORDS, Person, content_stems, defined_acronyms,
                     fold, person_mentions, stem, without_possessive, words)


def document_words(text: str) -> frozenset[str]:
    """A document's folded words with possessives cut ("Bertrand's" -> "bertrand") and their light stems: what
    names and question terms are looked up in. Its numbers too, whole ("4.2", "10000"; kb.answer_types.numbers):
    a question's version or figure is looked up as written."""
    found = frozenset(w.removesuffix("'s").rstrip("'") for w in words(text))
    return found | frozenset(stem(w) for w in found) | numbers(text) | months_of_numeric_dates(text)


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


#: What sets a name up as the measure of something else: "twice as many as the Sandpiper could take", "larger than
#: the Sandpiper", "unlike Plant B", "compared with 2019's budget". Read right before the name (after its article).
_COMPARED = r"than|unlike|compared\s+(?:with|to)"  # also what a person is set against (_SET_AGAINST)
_COMPARED_WITH = re.compile(rf"(?:\b(?:{_COMPARED})|\bas\s+[\w-]+\s+as)\s+(?:the\s+|a\s+|an\s+|"
                            r"that\s+of\s+|those\s+of\s+)?$", re.I)
_COMPARING = re.compile(r"\b(?:than|unlike|compared|comparison|as\s+[\w-]+\s+as)\b", re.I)


def only_compared_with(names: Iterable[str], question: str, text: str) -> bool:
    """The text names what the question asks about only as what something else is compared with: "The ship carries
    eight crew and up to eighteen scientists, twice as many as the Sandpiper could take." says how many the new ship
    carries, not how many crew the Sandpiper had. ``names``: the question's, folded (QueryContext.names), each of which
    the text must name; a question that compares itself ("... more than Greeks?") is answered by a comparison."""
    folded = fold(text)
    mentioned = [list(re.finditer(rf"\b{re.escape(name)}\b", folded)) for name in names]
    if _COMPARING.search(question) or not all(mentioned):
        return False  # "Unlike the Red Line, it runs every 10 minutes" does not name the Blue Line it is about
    for found in mentioned:
        for m in found:
            start = m.start()
            # back over the name's earlier capitalized words: "than the Northern Tern" for "tern"
            while True:
                prior = re.search(rf"([{_UPPER}][\w’'-]*)\s+$", text[:start])
                if prior is None:
                    break
                start = prior.start(1)
            if not _COMPARED_WITH.search(text[max(0, start - 40):start]):
                return False
    return True


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


#: How close another spelling of a surname must be (difflib's ratio) to stand for it beside the same given name:
#: "Grochev" for "Grozev" 0.77, "Ozekin" for "Osechkin" 0.71; "Pushkin" for "Putin" 0.67 is another name.
RESPELLED = 0.7


def with_respelled_surnames(vocabulary: frozenset[str], people: Iterable[tuple[str, str]]) -> frozenset[str]:
    """A document's words with a person's surname where it writes the same given name and the surname otherwise:
    news transliterates ("Christo Grozev" in one article, "Christo Grochev" in the next; "Vladimir Osechkin" and
    "Vladimir Ozekin"), and a question naming him is about the document that says Grochev too. Spelling alone cannot
    tell a transliteration from another person (Clinton / Clifton), so it counts only beside the given name, with
    the same first letter and at most two letters more or fewer (docs/quality.md, "A name spelled otherwise")."""
    added = set()
    for given, surname in people:
        if surname in vocabulary or given not in vocabulary:
            continue
        for word in vocabulary:
            if word[:1] != surname[:1] or abs(len(word) - len(surname)) > 2 or not word.isalpha():
                continue
            close = SequenceMatcher(None, word, surname)
            # the quick bounds first: a question's vocabulary lookups run for every document of its pool
            if (close.real_quick_ratio() >= RESPELLED and close.quick_ratio() >= RESPELLED
                    and close.ratio() >= RESPELLED):
                added.add(surname)
                break
    if not added:
        return vocabulary
    return vocabulary | added | frozenset(stem(w) for w in added)


class PoolWords:
    """A question's lookup of its documents' words: each document's own, with the acronyms its retrieved passages
    define (kb.text.defined_acronyms, kept on the QueryContext by retrieval) read both ways, and the surnames of the
    people the question names by a given name and surname where a document spells them otherwise
    (with_respelled_surnames). The definitions come from the question's own pool, not the whole index, so the same
    question asked of the same index always gets the same answer."""

    def __init__(self, document_words: Callable[[str], frozenset[str]],
                 acronyms: Mapping[str, tuple[frozenset[str], ...]], people: Iterable[Person] = ()) -> None:
        self._document_words = document_words
        self.acronyms = dict(acronyms)
        self._people = tuple((fold(p.given), fold(p.surname)) for p in people if p.given)
        self._known: dict[str, frozenset[str]] = {}

    def __call__(self, source: str) -> frozenset[str]:
        found = self._known.get(source)
        if found is None:
            found = with_acronyms(self._document_words(source), self.acronyms)
            found = self._known[source] = with_respelled_surnames(found, self._people)
        return found


def pool_words(document_words: Callable[[str], frozenset[str]],
               acronyms: Mapping[str, tuple[frozenset[str], ...]] | None, texts: Iterable[str],
               people: Iterable[Person] = ()) -> PoolWords:
    """``document_words`` with the pool's acronyms (PoolWords): those retrieval read (``acronyms``), or, for
    passages that did not come from retrieval, those ``texts`` define; and the question's ``people`` as their
    documents spell them. One already made is kept as it is."""
    if isinstance(document_words, PoolWords):
        return document_words
    return PoolWords(document_words, defined_acronyms(texts) if acronyms is None else acronyms, people)


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
            or (known_word is not None and not known_word(fold(person.surname)))
            or any(_named_by_line(person, line) for line in text.splitlines() if person.surname in line))


def _named_by_line(person: Person, line: str) -> bool:
    """A line that only names the person and a post ("Grace Lin, Lead Designer.") says the name is a person's, as a
    title does: "Lin" and "Souza" are words of the embedding model's vocabulary."""
    named = a_name_line(line)
    return named is not None and named.surname == person.surname and named.same_given(person)


#: Where a sentence or a line starts: a person named there is what it is about ("Miriam Okafor won ..."), unlike one
#: named inside it ("at Johns Hopkins", "Daniel and Miriam Okonkwo", "whose father Emeka Okafor").
_OPENS = re.compile(r"(?:^|[.!?:;]\s+|\n)[\s*_#>•-]*(?:\d+[.)]\s+)?$")
#: Where a record starts: a blank line, or a list item's or heading's line ("- **Dr. Miriam Okafor**, General Manager.").
_RECORD_START = re.compile(r"\n[ \t]*\n|\n(?=[ \t]*(?:[-*•]|\d+[.)]|#)\s)")
_REFERS_BACK = re.compile(r"[\s*_#>•-]*(?:he|she|his|her|they|their)\b", re.I)


def _opening(text: str) -> int:
    """Where a line's first word starts, past list and emphasis marks."""
    return len(text) - len(text.lstrip(" \t\n*_#>•-"))


def _decisive(text: str, at: int, person: Person) -> bool:
    """A mention that says whom a text is about: named with a title, or opening a sentence or a line."""
    return person.titled or _OPENS.search(text, 0, at) is not None


#: What a person is set against, right before their name: "is not related to Dr. Helen Marsh", "unlike", "than".
_SET_AGAINST = re.compile(rf"\b(?:{_COMPARED}|related\s+to|relation\s+(?:of|to)|confused\s+with|"
                          r"(?:not|no)\s+(?:the\s+same\s+(?:person\s+)?as))\s+(?:the\s+)?$", re.I)
#: A question that itself sets people against each other: "Are Daniel Okafor and Miriam Okafor related?".
SETS_AGAINST = re.compile(r"\b(?:related|relation|relatives?|unlike|than|compared?|comparison|same\s+person|"
                          r"confused)\b", re.I)


def about_someone_else(person: Person, sentence: str, before: str, set_against: bool = True) -> bool:
    """Is the statement about another person than the one the question names? The names check above is made per
    document, and a staff page names both Okafors: "Professor Okafor joined the department in 2011 and was promoted to
    full professor in 2020." answered "When was Daniel Okafor promoted to full professor?" at 0.97, about Miriam
    Okafor, named in the sentence before; "Office hours: Fridays 09:30-11:00." answered Dr. Carvalho's office hours
    from Dr. Priya Raman's entry (a user-style hunt, docs/reliability.md). ``before``: the passage's text before the
    statement.

    - A statement that names the person is about them, whoever else it names, unless it names them only as whom
      another person of their surname is set against ("... is not related to Dr. Helen Marsh", "unlike", "than";
      ``set_against``: False where the question itself asks so, "Is Helen Marsh related to Harold Marsh?").
    - One that names the surname with another given name, with a title or opening a sentence ("Miriam Okafor won"),
      is about that person; named inside a sentence ("at Johns Hopkins", "Daniel and Miriam Okonkwo") it says
      nothing.
    - One that names the surname alone ("Professor Okafor") is about whoever ``before`` last named by that surname,
      the same way.
    - One that names neither is about whom its record is about: the person its paragraph or list item names first,
      with a title or opening a sentence ("**Dr. Priya Raman**, Associate Professor. ... Office hours: Fridays.").
      A record that opens with "he" or "she" is about someone named before it, and says nothing here; so does one
      that names no one. A statement that opens its record is about whom it opens with ("Mei Tanaka joined
      Brightpath in 2019." for Grace Lin), unless it refers to a third person in it ("John Brown married her").

    For a person's name (a_persons_name). A surname or given name the passage also writes in lowercase is a word,
    not a person's name ("Bird" among "birds"): nothing is decided then."""
    passage = before + sentence
    if any(re.search(rf"\b{re.escape(name.lower())}(?:e?s)?\b", passage)
           for name in (person.given, person.surname) if name):
        return False
    in_sentence = [(at, p) for at, p in person_mentions(sentence) if p.surname == person.surname]
    own = [at for at, p in in_sentence if (p.given is not None or person.given is None) and p.same_given(person)]
    # Named only as whom another of the surname is set against ("Dr. Harold Marsh retired in 2019 ... and is not
    # related to Dr. Helen Marsh."), the person is not what the statement is about.
    set_apart = set_against and bool(person.given) and all(
        _SET_AGAINST.search(sentence[max(0, at - 30):at]) for at in own) and any(
        p.given and not p.same_given(person) and _decisive(sentence, at, p) for at, p in in_sentence)
    if own and not set_apart:
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
    if _REFERS_BACK.match(record or sentence):
        return False
    first = next((p for at, p in person_mentions(record) if _decisive(record, at, p)), None)
    if first is None and not PERSON_PRONOUN.search(sentence):
        # The statement opens its record: it is about whom it opens with ("Mei Tanaka joined Brightpath in 2019." for
        # Grace Lin), unless it refers to someone else in it ("John Brown married her in 1850.").
        opening = _opening(sentence)
        first = next((p for at, p in person_mentions(sentence) if at == opening and (p.given or p.titled)), None)
    if first is None:
        return False
    return first.surname != person.surname or not first.same_given(person)


#: A word of a post: capitalized ("Deputy", "PhD", "(Operations)"), a connector, or a lower-case word that is no
#: function word ("water quality analyst"; "who joined in 2016" is a clause, not a post).
_POST_WORD = rf"(?:[{_UPPER}(][\w’'&.()/-]*|[a-z][\w’'&-]*|&)"
_POST = rf"{_POST_WORD}(?:\s+{_POST_WORD}){{0,7}}"
_POST_CONNECTORS = frozenset("of for and the in at on to by".split())
#: A line that only names a person and their post: "Tomas Reyes, Deputy General Manager for Operations.", "Jane Doe,
#: PhD, Chief Scientist", "By Oliver Grant, Contributing Editor", "Media contact: Ana Ruiz, Communications Director",
#: "- **Linda Osei** - water quality analyst" (a staff list's entry, a byline, a signature), or the post first ("Chief
#: Executive Officer: Laura Chen"): nothing done, dated or counted.
_LABEL = r"^[\s#*_>|•-]*(?:By\s+|[\w’' ]{1,30}:\s+)?"
_SEPARATOR = r"\s*(?:,|—|–|\s-)\s*"
# A line may end in the emphasis it opened with ("**Eleanor Voss, Deputy Director for Programmes.**").
_NAME_LINE = re.compile(rf"{_LABEL}(?P<name>[^,:;\n—–]+?){_SEPARATOR}(?P<post>{_POST}(?:{_SEPARATOR}{_POST})*)"
                        r"\s*[*_]*\.?[*_]*\s*$")
_POST_FIRST = re.compile(rf"^[\s#*_>|•-]*(?P<post>{_POST}):\s+(?P<name>[^,:;\n—–]+?)\s*[*_]*\.?[*_]*\s*$")
#: "Who is Tomas Reyes?", "Who are Tomas Reyes and Priya Nair?", "Who is he?": who someone is, by name alone ("Who is
#: his manager?" asks for another person).
_ASKS_WHO = re.compile(r"^\s*who(?:['’]s|\s+is|\s+was|\s+are|\s+were)\s+(?P<name>[^?]+?)\s*\??\s*$", re.I)
_NAMED_ALONE = frozenset(fold(t) for t in PERSON_TITLES) | {"he", "she", "they", "him", "her", "them", "and"}
_WHY_OR_HOW = re.compile(r"^\s*(?:why|how)\b", re.I)
#: A part of an organisation, which a post names: "Which department is Ana Ruiz in?"
_WITHIN = re.compile(r"\b(?:department|team|group|division|unit|office|section|desk)s?\b", re.I)


def _names_a_unit(post: str) -> bool:
    """Does a name line say which department, team or company ("... for Operations", "Marcus Bell, Procurement
    Manager, Harbor Health")?"""
    return (re.search(rf"\b(?:of|for|at)\s+[{_UPPER}]", post) is not None
            or len(re.split(_SEPARATOR, post.strip().rstrip("."))) >= 3)


#: "What project ...?", "Which kind of degree ...?": the noun a what-question asks for an instance of.
_WHAT_THING = re.compile(r"^\s*(?:what|which)\s+(?:(?:kind|sort|type)\s+of\s+)?(?P<noun>[A-Za-z][\w-]*)\b", re.I)
#: Nouns a post answers: what someone does, is called or belongs to.
_A_POST = frozenset("title role roles job position post area areas occupation profession designation function "
                    "responsibility responsibilities rank grade level seniority field specialty speciality beat branch "
                    "capacity work line".split())
#: "What is Dmitri Volkov's salary?", "What are the General Manager's office hours?", "What is the budget of ...?":
#: the thing asked for, named after the person it belongs to (or before them, with "of").
_WHAT_OF_SOMEONE = re.compile(r"^\s*what(?:['’]s|\s+is|\s+are|\s+was|\s+were)\s+(?:"
                              r"[^?]*?['’]s?\s+(?P<owned>[\w\s-]+?)|(?:his|her|their)\s+(?P<own>[\w\s-]+?)|"
                              r"(?:the|his|her|their)\s+(?P<head>[\w\s-]+?)\s+of\b[^?]*"
                              r")\s*\??\s*$", re.I)
#: "What does Miriam Okafor chair?", "What did Priya Nair do about the billing complaints?": what a person does to
#: something, asked by its verb after the person (a pronoun, or capitalized words).
_WHAT_DOES_SOMEONE = re.compile(r"^\s*[Ww]hat\s+(?P<tense>does|do|did)\s+(?:(?:he|she|they)\s+|(?:[A-Z][\w.'’-]*\s+)+)"
                                r"(?P<verb>[a-z]\w*)(?P<rest>[^?]*)\??\s*$")
#: What "What does he do" may end with and still ask for a job: "for a living", "here", "at the utility".
_A_JOB = re.compile(r"\s*(?:for\s+a\s+living|here|now|as|on|(?:at|for|in)\s+.+)?", re.I)


@lru_cache(maxsize=4096)
def a_name_line(text: str) -> Person | None:
    """The person a statement names when it is only their name and post (_NAME_LINE, _POST_FIRST), else None.
    Cached as kb.text.person_mentions is: the answerer asks it of each candidate statement, and a_persons_name of the
    lines of each candidate's passage, for every statement it weighs."""
    for pattern in (_NAME_LINE, _POST_FIRST):
        m = pattern.match(text)
        if m is None or any(w in STOPWORDS and w not in _POST_CONNECTORS for w in words(m.group("post"))):
            continue
        name = m.group("name").strip().strip("*_").strip()
        found = [p for at, p in person_mentions(name) if at == 0]
        # The name part is the person's name and nothing more ("Tomas Reyes", "Dr. Miriam Okafor").
        if found and name.split()[-1] == found[0].surname:
            return found[0]
    return None


#: Where a person came from: "Which organisation did Eleanor Voss come from?", "Where did he join from?".
_CAME_FROM = re.compile(r"\b(?:come|came|comes|join|joined|joins|move|moved|moves|transfer|transferred)\s+"
                        r"(?:[\w'’-]+\s+){0,3}?from\b", re.I)


#: "Who manages Priya?", "Who heads Marketing?": who does something to someone or something named, by its capitals.
_WHO_DOES_TO = re.compile(r"^\s*[Ww]ho\s+(?!(?:is|was|are|were|has|have|had|will|would|does|did|do|can|could|should)\b)"
                          r"[a-z][\w’'-]*\s+(?:the\s+)?(?P<object>[A-Z][\w’'-]*(?:\s+(?:of\s+|and\s+)?[A-Z][\w’'-]*)*)")


def answered_by_name_line(question: str, kind: AnswerType | None, supplied: bool, post: str, person: Person,
                          named: bool) -> bool:
    """Can a line that only names ``person`` and their ``post`` answer the question? It gives a name and a post, so
    it answers who someone is ("Who is Tomas Reyes?", "Tell me about Priya Nair", "What does he do?", "Which
    department is she in?"), and who holds a post when the question does not name them (``named``: "Who is the Chief
    Engineer?", when the line's post is the one asked: not "Chief Executive Officer: ..." for the Chief Operating
    Officer), but no date, number, amount or place it does not state (``supplied``: "When did Tomas Reyes join the
    utility?"), no other person ("Who is Tomas Reyes's boss?", "Who hired him?"), no company its post does not
    name, no earlier post ("What did he do before?"), no thing of a kind it does not name ("What project does he
    oversee?"), no reason or manner ("Why ...?", "How ...?"), and yes or no only to a word of its own ("Is he an
    engineer?" of "Chief Engineer", not "Is he a co-founder?")."""
    if EARLIER.search(question) or _CAME_FROM.search(question):
        # "What position did Tomas Reyes hold before?", "Which organisation did Eleanor Voss come from?": the line gives
        # the post held now, not one held earlier or where the person came from.
        return False
    who = _ASKS_WHO.match(question)
    if who is not None:
        rest = words(who.group("name"))
        own = {fold(part) for part in (person.given, person.middle, person.surname) if part}
        if all(w in own or w in _NAMED_ALONE for w in rest) or all(
                w[:1].isupper() or fold(w) in _NAMED_ALONE for w in who.group("name").split()):
            return True
    if kind is AnswerType.PERSON:
        done_to = _WHO_DOES_TO.match(question)
        if done_to is not None:
            # "Who manages Priya?" is not answered by "Tomas Reyes, Deputy General Manager for Operations", nor by
            # "Priya Nair, Head of Customer Service": a line says who holds a post, not whom they manage. "Who heads
            # Marketing?" is answered by the line whose post names Marketing.
            held = {stem(w) for w in words(post)} - {stem(fold(p)) for p in (person.given, person.surname) if p}
            return all(stem(w) in held for w in words(done_to.group("object")) if w not in STOPWORDS)
        return not named and _holds_the_post(question, post)
    if kind is AnswerType.ORGANIZATION:
        # "... for Operations", "Marcus Bell, Procurement Manager, Harbor Health". A post says which department or
        # team ("Communications Director"), not for which company or paper ("Kenji Watanabe, Senior Account Manager").
        return _names_a_unit(post) or (supplied and _WITHIN.search(question) is not None)
    if kind is not None:
        return supplied
    held = {stem(w) for w in words(post)}  # what the line says, by stem, for every question below
    thing = _WHAT_THING.match(question)
    noun = fold(thing.group("noun")) if thing is not None else ""
    if noun and noun not in STOPWORDS:
        if _WITHIN.fullmatch(noun):
            return _names_a_unit(post)  # "What team is Rafael Souza on?" of "Rafael Souza, Product Designer."
        if noun not in _A_POST:
            # "What project does he oversee?", "What degree does Linda Osei have?": a thing of a kind the line does
            # not name is no post; "What is her title?", "Which area does he manage?" ask for what a post says.
            return stem(noun) in held
    owned = _owned_noun(question)
    if owned is not None and named:
        # "What is Dmitri Volkov's salary?" is not answered by "Dmitri Volkov, Staff Engineer."; "What is her job
        # title?" is. Of a post ("What's the phone extension of the Water Quality Manager?") the line says who holds
        # it, and the statement quoted after it may give the rest (thing_of_a_post).
        return bool(owned) and (owned in _A_POST or stem(owned) in held)
    does = _WHAT_DOES_SOMEONE.match(question)
    if does is not None:
        # "What does he do?" asks for a job; "What does Miriam Okafor chair?", "What does he oversee?" and "What did
        # Priya Nair do about the billing complaints?" ask what a post does not say, unless its words do ("What does
        # she manage?" of "Operations Manager").
        if does.group("verb") in ("do", "work"):  # "What does Tomas Reyes work as?"
            return does.group("tense") != "did" and _A_JOB.fullmatch(does.group("rest")) is not None
        return stem(does.group("verb")) in held
    if asks_yes_or_no(question):
        # "Is Samuel Adeyemi an engineer?" is answered by "Samuel Adeyemi, Chief Engineer.", "Is Laura Chen a
        # co-founder?" not by "Chief Executive Officer: Laura Chen": the line says yes only to a word of its own.
        own = {fold(part) for part in (person.given, person.middle, person.surname) if part}
        return any(stem(w) in held for w in words(question) if w not in own and w not in STOPWORDS)
    return not _WHY_OR_HOW.match(question)


def thing_of_a_post(question: str) -> str | None:
    """The thing a question asks for that belongs to someone or to a post and is no part of a post ("office hours" of
    "What are the General Manager's office hours?", "budget" of "What is the Deputy General Manager's budget?"), by
    its last word; None for any other question, and for "What is her job title?". A name line names who holds the
    post and says nothing of the thing, unless its words do."""
    noun = _owned_noun(question)
    return noun if noun and noun not in _A_POST and noun not in STOPWORDS else None


def _owned_noun(question: str) -> str | None:
    """The last word of what a question asks for that belongs to someone (_WHAT_OF_SOMEONE: "hours" of "What are the
    General Manager's office hours?"); "" where the phrase has no word, None where the question asks no such thing."""
    owned = _WHAT_OF_SOMEONE.match(question)
    if owned is None:
        return None
    noun = words(owned.group("owned") or owned.group("own") or owned.group("head"))[-1:]
    return noun[0] if noun else ""


#: "Who is the Chief Operating Officer?": the post a who-question names, up to what it belongs to ("... of the utility",
#: "... at Brightpath", "... for Harbor Health"; "Head of Marketing" is a post).
_ASKS_WHO_HOLDS = re.compile(r"^\s*who(?:['’]s|\s+is|\s+was)\s+(?:the|our|their|its)\s+(?P<post>.+?)"
                             r"(?:\s+(?:(?:at|in|for|on)\s|of\s+(?:the|this|our|their|its)\b).*)?\s*\??\s*$", re.I)


def _holds_the_post(question: str, line: str) -> bool:
    """A line answers "Who is the <post>?" only with that post: "Chief Executive Officer: Laura Chen" does not say
    who the Chief Operating Officer is, nor "Priya Nair, Head of Customer Service" who heads marketing. Each word of
    the post asked is in the line (by stem), or is the initials of its capitalized words ("CEO"); an owner before
    the post ("the company's") is no part of it."""
    m = _ASKS_WHO_HOLDS.match(question)
    if m is None:
        return True
    held = {stem(w) for w in words(line)}
    initials = "".join(w[0] for w in re.findall(rf"[{_UPPER}][\w’'-]*", line)).lower()
    post = m.group("post")
    head, of, _ = post.partition(" of ")
    if of and not re.search(r"\b(?:of|for)\b", line, re.I):
        # "Who is the CEO of Brightpath?" of "Chief Executive Officer: Laura Chen": where the line's post is of or for
        # nothing, what the asked one is "of" is whom it belongs to; "Head of Marketing" against "Head of Customer
        # Service" is read whole.
        post = head
    asked = [w for w in re.findall(r"[\w’'.-]+", post) if not w.endswith(("'s", "’s"))]
    return all(stem(fold(w)) in held or (len(w) > 1 and w.isupper() and w.lower() in initials)
               for w in asked if fold(w) not in STOPWORDS)


#: A word as a name or a number is written: "Business", "X300", "4.2", "B202".
_TOKEN = re.compile(r"[^\W_]+(?:[.’'][^\W_]+)*")
_CODE = re.compile(r"^([a-z]+)(\d+)$")  # "x300", "b202": a model's or a room's code
#: "All Greenvale clinics", "both plants": all of a kind; "each Enterprise customer" is every customer of one plan.
_EVERY = frozenset({"all", "both"})
_CONTRAST = frozenset({"unlike", "than", "whereas", "only"})
_MARKUP = " \t#*_>|•-[]()\"“”‘’"  # what may stand before a sentence's first word
_CONNECTORS = frozenset({"of", "de", "du", "des", "la", "le", "van", "von", "der"})
_ORDINAL = re.compile(r"^\d+(?:st|nd|rd|th)$")
_CLOCK_TIME = re.compile(r"(?<![\d.:])\d{1,2}:\d\d(?![\d:])")  # "6:15": a time of day, whose minutes name no route


@dataclass(frozen=True)
class Family:
    """A name the question asks about and the names the documents give things of the same kind, read from the
    question's own phrase: "the South Plant" -> North (the pool says "North Plant"), "Route 12" -> 14, 21, "the
    X200" -> x300, "Business customers" -> enterprise (the pool says "Enterprise customer")."""

    asked: str  # folded
    siblings: frozenset[str]  # folded
    numeric: bool  # a number or a code: siblings are matched as written
    kind: str | None = None  # a lower-case look-alike ("graduate" of "undergraduate"): named only before its kind
    #: A name's kinds (sibling_families): the asked one written in lower case is named only before one ("business
    #: customers"), not in "two business days".
    kinds: frozenset[str] = frozenset()


def _singular(word: str) -> str:
    """A folded word without a plural's "s" ("customers" -> "customer", "Plants" -> "plant"): how a kind and a name
    are compared, cheaply, over every word of the retrieved passages."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _name_like(token: str, first: bool) -> bool:
    """A capitalized word that is no function word and not only the text's first word, or a number or code."""
    if any(ch.isdigit() for ch in token):
        return True
    return not first and token[:1].isupper() and fold(token) not in STOPWORDS


@dataclass(frozen=True)
class _PoolWords:
    """The retrieved passages' words as sibling_families reads them: as written, folded, without a plural's "s", and
    whether each may be a name (_pool_words)."""

    tokens: list[str]
    naming: list[bool]
    folded: list[str]
    singular: list[str]


@lru_cache(maxsize=2048)
def _line_words(line: str) -> tuple[tuple[str, ...], tuple[bool, ...], tuple[str, ...], tuple[str, ...]]:
    """One line's words, folded, singular, and whether each stands inside a sentence on a line not written all in
    capitals or title case. Cached by line: the same passages come back question after question, and reading every
    word of ten passages was a sixth of a question's time in a profile (docs/performance.md, "The look-alike reading,
    once a line"). 2,048 lines: a few hundred questions' pools, some 20 KB a long paragraph's line at most."""
    found = list(_TOKEN.finditer(line))
    titled = not any(m.group(0)[:1].islower() and fold(m.group(0)) not in STOPWORDS for m in found)
    tokens: list[str] = []
    naming: list[bool] = []
    for m in found:
        k = m.start() - 1  # the last character before the word that is no markup (a slice a word was quadratic)
        while k >= 0 and line[k] in _MARKUP:
            k -= 1
        tokens.append(without_possessive(m.group(0)))
        naming.append(not titled and k >= 0 and line[k] not in ".!?:")
    folded = tuple(fold(t) for t in tokens)
    return tuple(tokens), tuple(naming), folded, tuple(_singular(f) for f in folded)


def _pool_words(pool: str) -> _PoolWords:
    """The pool's words as written, and whether each may be a name: not a sentence's first word ("Every plan ...")
    unless written so inside a sentence too, and not on a line written all in capitals or title case ("Skylark
    Subscription Plans")."""
    tokens: list[str] = []
    naming: list[bool] = []
    folded: list[str] = []
    singular: list[str] = []
    for line in pool.splitlines():
        if line:
            words_, naming_, folded_, singular_ = _line_words(line)
            tokens += words_
            naming += naming_
            folded += folded_
            singular += singular_
    # A sentence's first word is a name where the pool also writes it so inside a sentence ("Enterprise customers
    # receive ..." beside "each Enterprise customer").
    named = {t for t, n in zip(tokens, naming) if n and t[:1].isupper()}
    return _PoolWords(tokens, [n or t in named for t, n in zip(tokens, naming)], folded, singular)


def _later_word(tokens: list[str], i: int) -> bool:
    """A name's later word: after a capitalized word ("Street" of "Canal Street", "Health" of "Greenvale Health") or
    after one and a connector ("Change" of "Wind of Change")."""
    return i > 0 and (_name_like(tokens[i - 1], False) or (
        i > 1 and fold(tokens[i - 1]) in _CONNECTORS and _name_like(tokens[i - 2], False)))


def _countable(token: str) -> bool:
    """A number or code that names one of several things ("12" of "Route 12", "4.2", "B202"), not a year, a day or an
    ordinal: those are dates, which kb.answer's year rules weigh (a year as kb.answer_types.years reads one)."""
    folded = fold(token)
    return any(ch.isdigit() for ch in folded) and folded not in years(folded) and not _ORDINAL.match(folded)


def sibling_families(question: str, pool: str) -> tuple[Family, ...]:
    """The question's names that have look-alikes in the retrieved passages (Family). A name's kind is the word after
    it in the question ("Plant", "customers", "team") or, for a number or code, the word before it ("Route",
    "version", "Room"), and a code's shape ("X200", "X300"): the pool's other names written the same way are its
    siblings. Only names inside a sentence, numbers and codes take part ("graduate", "business days", a title's
    words, a year do not), and a word's look-alike only when the pool writes it so at least twice and at least a
    third as often as the asked one: the seeds' "FSB agent" is no sibling of "the Wind of Change agent", nor
    SQuAD's one "Amazonas Basin" of the "Amazon Basin" an article is about."""
    asked = [without_possessive(t) for t in _TOKEN.findall(question)]
    names = [i for i, token in enumerate(asked) if len(token) > 1 and (
        _countable(token) or (_name_like(token, i == 0) and not _later_word(asked, i)))]
    lowered_pool = pool.lower()
    lowered = _set_candidates(asked, lowered_pool, question.lower())
    if not names and not lowered:
        return ()
    read = _pool_words(pool)
    tokens, naming, folded, singular = read.tokens, read.naming, read.folded, read.singular
    families: list[Family] = []
    own_names = {fold(t) for t in asked}  # a look-alike the question names too is asked about as well
    for i in names:
        token = asked[i]
        numeric = _countable(token)
        name = fold(token)
        siblings: set[str] = set()
        after = fold(asked[i + 1]) if i + 1 < len(asked) else None
        before = fold(asked[i - 1]) if i > 0 else None
        kinds: list[str] = []
        if not numeric and after is not None and after not in STOPWORDS and not any(ch.isdigit() for ch in after):
            kinds.append(_singular(after))
        own_kind = bool(kinds)  # the question gives the name a kind; the pool's is then read only as a second one
        if not numeric:
            # A name is also of the kind the pool writes after it most often: "... appointments at Hilltop?" asks of the
            # Hilltop clinic, and "Business customers" are on the Business plan, whose look-alikes the documents
            # write as "the Basic plan".
            written_after = Counter(singular[j + 1] for j in range(len(tokens) - 1)
                                    if folded[j] == name and tokens[j + 1][:1].islower()
                                    and folded[j + 1] not in STOPWORDS and not any(ch.isdigit() for ch in folded[j + 1]))
            top = written_after.most_common(1)
            # Where the question gives a kind, the pool's is a second one only when the pool writes it after the name
            # at least half the time: "Business plan" is, but "Japanese" stands before islands, raids, propaganda and
            # a dozen other words, and is no island's name.
            if top and (not own_kind or 2 * top[0][1] >= sum(written_after.values())):
                kinds.append(top[0][0])
        for kind in dict.fromkeys(kinds):
            written: Counter[str] = Counter()
            for j in range(len(tokens) - 1):
                if (singular[j + 1] == kind and len(tokens[j]) > 1 and naming[j] and _name_like(tokens[j], False)
                        and not _later_word(tokens, j)
                        and not _EVERY.intersection(folded[max(0, j - 2):j])):  # "All Greenvale clinics": not one
                    written[folded[j]] += 1
            own = written.pop(name, 0)
            siblings.update(w for w, n in written.items() if n >= 2 and 3 * n >= own)
        if numeric and before is not None and before not in STOPWORDS and before not in MONTHS:
            siblings.update(folded[j] for j in range(1, len(tokens))
                            if folded[j - 1] == before and folded[j] != name and _countable(tokens[j]))
        code = _CODE.match(name)
        if code is not None:
            shape = re.compile(rf"^{code.group(1)}\d{{{len(code.group(2))}}}$")
            siblings.update(t for t in folded if shape.match(t) and t != name)
        siblings -= own_names
        if siblings:
            families.append(Family(name, frozenset(siblings), numeric, kinds=frozenset(kinds)))
    if lowered:
        families.extend(_lowercase_families(asked, lowered, tokens, folded, singular, naming, own_names,
                                            lowered_pool))
    return tuple(families)


#: Lower-case words that name one of a set and never another of it: ordinals ("the third breach" is not the first),
#: and a word beside itself with a prefix that sets it apart ("undergraduate" and "graduate", "non-profit" and
#: "profit").
_SERIAL = frozenset("first second third fourth fifth sixth seventh eighth ninth tenth last final".split())
_APART = ("under", "post", "pre", "non", "un", "sub")


def _set_apart(a: str, b: str) -> bool:
    """Two words of one set: two ordinals, or one the other with a prefix of _APART. "Last" and "final" are one
    place ("the final Prime Minister" is "the last Prime Minister")."""
    if a in _SERIAL and b in _SERIAL:
        return {a, b} != {"last", "final"}
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return any(longer == prefix + shorter or longer == prefix + "-" + shorter for prefix in _APART)


def _hyphen_heads(kind: str, text: str) -> list[str]:
    """The words the (lower-cased) text joins to a kind by a hyphen: "part" and "full" of "part-time" and
    "Full-time"."""
    return re.findall(rf"(?<![\w-])([^\W\d_]+)-{re.escape(kind)}s?\b", text)


def _set_candidates(asked: list[str], pool: str, question: str) -> list[int]:
    """Where the question has a lower-case word before a kind that may have a look-alike in the (lower-cased) pool:
    an ordinal, a word the pool also writes with a prefix of _APART or without one, or a word joined to its kind by a
    hyphen that the pool joins another word to ("part-time" beside "full-time"). A cheap look before the pool's
    words are read, which most questions end at."""
    found = []
    for i in range(len(asked) - 1):
        token, after = asked[i], fold(asked[i + 1])
        if not token.isalpha() or not token.islower() or after in STOPWORDS or not after.isalpha():
            continue
        if token in _SERIAL or any(prefix + token in pool or prefix + "-" + token in pool for prefix in _APART) or any(
                token.startswith(prefix) and len(token) - len(prefix) > 3 and token[len(prefix):] in pool
                for prefix in _APART) or (token in _hyphen_heads(after, question) and any(
                head != token and head not in STOPWORDS for head in _hyphen_heads(after, pool))):
            found.append(i)
    return found


def _lowercase_families(asked: list[str], at: list[int], tokens: list[str], folded: list[str], singular: list[str],
                        naming: list[bool], own_names: set[str], pool: str) -> list[Family]:
    """Look-alikes written in lower case, where words say they are of one set (_set_apart): "undergraduate
    applicants" beside "graduate applicants", "the third breach" beside "a first breach", and two words joined to one
    kind by a hyphen ("part-time" and "full-time" students). Any two words before a kind are not: on the SQuAD tune
    half "drainage basin" took "Amazonas Basin" for a look-alike, "poorer countries" "rich countries", "pay gap"
    "income gap" (docs/quality.md, "A statement about a look-alike"). A look-alike written once counts where the pool
    also writes the asked word ("Graduate applicants" beside "undergraduate admission"): the documents tell the two
    apart. ``at``: the question's words to read (_set_candidates); ``pool``: the passages lower-cased."""
    before_kind: dict[str, list[int]] = {}
    for j in range(len(tokens) - 1):
        before_kind.setdefault(singular[j + 1], []).append(j)
    families = []
    for i in at:
        token, kind = asked[i], _singular(fold(asked[i + 1]))
        written: Counter[str] = Counter()
        for j in before_kind.get(kind, ()):
            if ((tokens[j].islower() or not naming[j]) and _set_apart(folded[j], token)
                    and not _EVERY.intersection(folded[max(0, j - 2):j])):
                written[folded[j]] += 1
        joined = Counter(head for head in _hyphen_heads(fold(asked[i + 1]), pool)
                         if head != token and head not in STOPWORDS)
        least = 1 if token in folded else 2
        siblings = ({w for w, n in written.items() if n >= least} | {w for w, n in joined.items() if n >= 2}) - own_names
        if siblings:
            families.append(Family(token, frozenset(siblings), False, kind))
    return families


def _mentions(family: Family, text: str) -> tuple[bool, bool]:
    """(the text names the asked one, the text names a sibling). The asked one in any form ("Plants"), capitalized or
    in lower case before one of its kinds ("business customers"); a sibling as written, capitalized or a number:
    "two business days" names neither Business plan, nor "6:15 am" Route 15."""
    tokens = _TOKEN.findall(_CLOCK_TIME.sub(" ", text) if family.numeric else text)
    if family.kind is not None:  # "graduate applicants"; "graduate" alone may be anything
        folded = [fold(t) for t in tokens]
        return family.asked in folded, any(
            folded[i] in family.siblings and _singular(folded[i + 1]) == family.kind
            and not (_EVERY | _CONTRAST).intersection(folded[max(0, i - 3):i]) for i in range(len(folded) - 1))
    folded = [fold(t) for t in tokens]
    asked = any((f == family.asked or (not family.numeric and not any(ch.isdigit() for ch in f)
                                       and _singular(f) == _singular(family.asked)))
                and (family.numeric or not family.kinds or not tokens[i].islower()
                     or (i + 1 < len(folded) and _singular(folded[i + 1]) in family.kinds))
                for i, f in enumerate(folded))
    # "All Greenvale clinics ...", "both plants": what is said of all of them is said of the asked one too; "Unlike
    # the Red Line, it runs every 10 minutes": a look-alike set against the statement's subject is not its subject.
    sibling = any(folded[i] in family.siblings and (family.numeric or t[:1].isupper())
                  and not (_EVERY | _CONTRAST).intersection(folded[max(0, i - 3):i])
                  for i, t in enumerate(tokens))
    return asked, sibling


def _heading_before(before: str) -> str:
    """The nearest line above that stands alone as a heading: a Markdown heading, or a short line of its own with no
    sentence ending ("Model X300" of an HTML page, "Business plan")."""
    for block in reversed(before.split("\n\n")[:-1]):
        line = block.strip()
        if not line or "\n" in line and not line.startswith("#"):
            continue
        if line.startswith("#") or (len(line.split()) <= 8 and line[-1] not in ".!?:;,"):
            return line.splitlines()[-1]
    return ""


def _first_named(family: Family, text: str) -> str | None:
    """Which the text names first: "asked", "sibling" or None."""
    for t in _TOKEN.findall(_CLOCK_TIME.sub(" ", text) if family.numeric else text):
        asked, sibling = _mentions(family, t)
        if asked or sibling:
            return "asked" if asked else "sibling"
    return None


def asked_beyond_the_names(question: str, families: Iterable[Family]) -> frozenset[str]:
    """The stems of what the question asks beyond the names that have look-alikes and their kind ("seat", "people" of
    "How many people does Room C105 seat?"; "staff", "park" of "Where do staff park at the South Plant?"). A name's
    kind is the word after it, a number's or a code's the word before it (sibling_families)."""
    asked = [without_possessive(t) for t in _TOKEN.findall(question)]
    named: set[int] = set()
    for family in families:
        for i, token in enumerate(asked):
            if fold(token) == family.asked:
                named.update((i - 1, i) if family.numeric else (i, i + 1))
    return frozenset(content_stems(" ".join(t for i, t in enumerate(asked) if i not in named)))


def names_only_the_asked(families: Iterable[Family], text: str) -> bool:
    """Does the text name what the question asks about, and none of its look-alikes, in every family?"""
    return all(asked and not sibling for asked, sibling in (_mentions(family, text) for family in families))


def about_a_sibling(families: Iterable[Family], statement: str, before: str) -> bool:
    """Is the statement about a look-alike of a name the question asks about (sibling_families), not about it? One
    that names a sibling and not the asked one is ("The South Plant was certified ..." for the North Plant). One that
    names neither is about what its heading names ("It supports up to 250 users." in the Business plan's section,
    asked of the Basic plan: "MGS 215 ... Prerequisite: MGS 210 ... Course fee: CAD 140." is MGS 215's fee), or
    without a heading about look-alikes when its paragraph names only them. A statement that names the asked one is
    about it, whatever else it names ("Unlike the Business plan, the Enterprise plan ...")."""
    scope: tuple[str, str] | None = None  # (heading, paragraph), read only for a statement that names neither
    for family in families:
        asked, sibling = _mentions(family, statement)
        if asked:
            continue
        if sibling:
            return True
        if scope is None:
            scope = (_heading_before(before), before.rsplit("\n\n", 1)[-1])
        heading, paragraph = scope
        named = _first_named(family, heading)
        if named is None:  # no heading says: the paragraph, when it names only look-alikes
            asked, sibling = _mentions(family, paragraph)
            named = "sibling" if sibling and not asked else None
        if named == "sibling":
            return True
    return False
