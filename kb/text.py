"""Text primitives shared by the lexical retriever and the answerer: sentences with spans, terms, stopwords.

Sentences keep their exact character spans, because every citation must point at text that is really there.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Iterator, Sequence

STOPWORDS = frozenset(
    """a about above after again against all am an and any are aren't as at be because been before being below
    between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each
    few for from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself
    him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most
    mustn't my myself no nor not of off on once only or other ought our ours ourselves out over own same shan't
    she she'd she'll she's should shouldn't so some such than that that's the their theirs them themselves then
    there there's these they they'd they'll they're they've this those through to too under until up very was
    wasn't we we'd we'll we're we've were weren't what what's when when's where where's which while who who's
    whom why why's with won't would wouldn't you you'd you'll you're you've your yours yourself yourselves
    also did does many much may might must shall will whose one ones s t said say says tell told
    kind name type called us just yes according however meanwhile""".split()
)

#: Numbers written as words (a sentence holding one can answer "how many": kb.answer_types).
CARDINAL_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred thousand".split())
#: Counting words. In a name ("Second World War", "Seven Years' War", "First Minister") they are not what the
#: question is about: a document may write the same name as "World War II" (kb.retrieval.retriever._names).
NUMBER_WORDS = CARDINAL_WORDS | frozenset(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth twentieth hundredth".split())

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


# Capitalized words, optionally joined by short lower-case connectors ("Wind of Change Research Group").
_ENTITY = re.compile(
    r"\b([A-Z][\w'’-]*(?:\s+(?:(?:of|the|for|and|de|von|van|al|bin|la|le|du|da)\s+)*[A-Z][\w'’-]*)*)"
)
_CITATION_MARK = re.compile(r"\[\d+\]")


def named_entities(text: str) -> list[str]:
    return list(_named_entities(text))


@lru_cache(maxsize=100_000)
def _named_entities(text: str) -> tuple[str, ...]:
    """Capitalized names in order of appearance ("Igor Sushko", "Wind of Change Research Group"), without a
    capitalized function word that only starts a sentence ("The", "What"). kb's one name detector: the question's
    names (retrieval, grounding), the names a sentence adds (answer types) and a conversation's (follow-ups)."""
    text = _CITATION_MARK.sub(" ", text)
    found: list[str] = []
    for match in _ENTITY.finditer(text):
        parts = match.group(1).split()
        while parts and fold(parts[0]) in STOPWORDS:
            parts = parts[1:]
        while parts and parts[-1].lower() in ("of", "the", "for", "and"):
            parts = parts[:-1]
        if not parts:
            continue
        name = " ".join(parts).rstrip(".,;:'’")
        if len(name) < 2 or fold(name) in STOPWORDS:
            continue
        if name not in found:
            found.append(name)
    return tuple(found)


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


@dataclass(frozen=True)
class Sentence:
    start: int  # offsets into the text that was split
    end: int
    text: str


def fold(text: str) -> str:
    """Lowercase and strip accents, so 'Grozév' and 'grozev' compare equal."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("’", "'")


#: A pronoun for one person ("he", "her", "himself"): a question that refers to someone it does not name, a sentence
#: that refers to someone besides whom it opens with.
PERSON_PRONOUN = re.compile(r"\b(?:he|him|his|himself|she|her|hers|herself)\b", re.IGNORECASE)


def without_possessive(word: str) -> str:
    """A word without its possessive "'s", straight or curly ("Reyes's", "Okafor’s"): the name it belongs to."""
    return word.removesuffix("'s").removesuffix("’s")


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


#: Month names and their abbreviations, folded, with the month's number.
MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
    "nov": 11, "dec": 12,
}
_MONTH = re.compile(r"(?<!^)\b(January|February|March|April|May|June|July|August|September|October|November|December)\b")


def month_names(text: str) -> list[str]:
    """Month names written as such: capitalized and not the text's first word ("revenue in May 2023", not "May I
    ask" or "they may"), folded."""
    return [m.lower() for m in _MONTH.findall(text.strip())]


#: Titles a person's name follows ("Dr. Helen Marsh", "Professor Okafor"): personal honorifics only, so the name
#: after one is a person's and not a street's or a company's.
PERSON_TITLES = ("Mr", "Mrs", "Ms", "Mx", "Miss", "Dr", "Prof", "Professor", "Sir", "Dame")
_TITLE = rf"(?:{'|'.join(PERSON_TITLES)})\.?"
_UPPER, _LOWER = "A-ZÀ-ÖØ-ÞĀ-Ž", "a-zß-öø-ÿā-ž"  # Latin letters with their accents ("Émile", "Łukasz")
_NAME_PART = rf"[{_UPPER}](?:[{_LOWER}]|['’][{_UPPER}])[\w’'-]*"  # "Okafor", "O'Brien", "Vasquez-Reid"
_PARTICLES = r"(?:(?:de|da|di|du|del|della|van|von|der|den|la|le|ter|bin|ibn|al)\s)*"  # "de la Cruz", "van der Berg"
#: A person as a text names them: a title with up to two names ("Dr. Carvalho", "Dr. Helen Marsh"), or a given name,
#: perhaps a middle name or initial, and a surname ("Daniel Okafor", "Daniel James Okafor"), not two words of a
#: longer name ("Harnell Bird Clinic"): one space joins the words of a name, more set a column apart ("Douglas
#: Fairbairn      Practice Manager" in a staff list).
_PERSON = re.compile(
    rf"\b(?P<title>{_TITLE} )?(?:(?P<given>{_NAME_PART}) (?:(?!{_TITLE} )(?P<middle>[A-Z]\.|{_NAME_PART}) )?)?"
    rf"{_PARTICLES}"
    rf"(?P<surname>{_NAME_PART})(?! [A-Z&])(?![\w-])")

_AFTER_NAME = re.compile(rf"[{_UPPER}][\w’'-]* $")
#: The first word of a name that is a place's or an office's, not a given name ("Mount Kilimanjaro", "Fort Collins",
#: "Senator Adeyemi"), and a question's opening verb ("Describe Okafor's previous job").
_NO_GIVEN = frozenset("""mount mt lake port fort cape saint st san santa sao new north south east west upper lower
    great little old royal national general president senator judge justice governor mayor minister chancellor
    secretary ambassador captain colonel major lieutenant sergeant officer inspector detective agent father brother
    sister reverend rev bishop king queen prince princess lord lady chief director chair chairman dean coach
    ask describe explain list name tell give show summarize summarise compare define identify find contact yesterday
    today previously meanwhile later earlier""".split())
#: Capitalized words that are no given name before a surname, nor a surname: function words, months, titles, and
#: the words above ("When Okafor", "March Madness", "Mount Kilimanjaro").
_NOT_A_NAME = STOPWORDS | frozenset(MONTHS) | _NO_GIVEN | {title.lower() for title in PERSON_TITLES}


@dataclass(frozen=True)
class Person:
    """A person a text names: a surname, with the given name where the text gives one, and whether a title says it
    is a person's name ("Dr. Carvalho"; "Scottish Parliament" has the shape of "Daniel Okafor" too)."""

    given: str | None
    surname: str
    titled: bool = False
    middle: str | None = None  # or a word before the given name: "Sociologist Jake Rosenfield" reads as Sociologist

    def same_given(self, other: "Person") -> bool:
        """The two given names agree, accents aside ("José" and "Jose"), the one of either among the other's two
        names ("Daniel James Okafor" is Daniel Okafor, "Economist Simon Kuznets" Simon Kuznets); a missing one agrees
        with any."""
        if self.given is None or other.given is None:
            return True
        mine = {fold(n) for n in (self.given, self.middle) if n}
        theirs = {fold(n) for n in (other.given, other.middle) if n}
        return fold(self.given) in theirs or fold(other.given) in mine


@lru_cache(maxsize=4096)
def person_mentions(text: str) -> tuple[tuple[int, Person], ...]:
    """Where a text names people, in order: (offset of the name, title included, person). A title with up to two
    names ("Dr. Carvalho", "Dr. Helen Marsh"), or a given name and a surname ("Daniel Okafor"). Two capitalized
    words with no title are taken for a person only when the first is no function word, month, place word or
    office ("When Okafor", "March Madness", "Mount Kilimanjaro", "Senator Adeyemi" name no one by a given name)
    and they do not end a longer name ("Harnell Bird Clinic"). Cached: the answerer asks it of the same passages for
    each statement it weighs."""
    found: list[tuple[int, Person]] = []
    for m in _PERSON.finditer(text):
        titled = m.group("title") is not None
        if not titled and _AFTER_NAME.search(text, 0, m.start()):
            continue
        given, surname = m.group("given"), without_possessive(m.group("surname"))
        if given is not None and not titled and fold(given) in _NOT_A_NAME:
            continue
        if (given is None and not titled) or fold(surname) in _NOT_A_NAME:
            continue
        middle = m.group("middle") if given is not None else None
        found.append((m.start(), Person(given, surname, titled, middle)))
    return tuple(found)


def people_named(text: str) -> tuple[Person, ...]:
    """The people a text names (person_mentions), each once."""
    return tuple(dict.fromkeys(person for _, person in person_mentions(text)))


def content_terms(text: str) -> list[str]:
    """Words that carry meaning: not stopwords, not single characters; order kept, duplicates dropped. A month
    name is meaning even where the word is a stopword ("May")."""
    months = set(month_names(text))
    seen: dict[str, None] = {}
    for w in words(text):
        w = w.removesuffix("'s")
        if len(w) > 1 and (w not in STOPWORDS or w in months):
            seen.setdefault(w, None)
    return list(seen)


#: SQLite FTS5 tokenizer of the lexical index (kb.store.database); ``stem`` runs the same one, so the stems the
#: answerer compares agree with the terms BM25 matched.
FTS_TOKENIZE = "porter unicode61 remove_diacritics 2"
_PORTER_LOCK = threading.Lock()
_PORTER: sqlite3.Connection | None = None


@lru_cache(maxsize=100_000)
def fts_terms(word: str) -> tuple[str, ...]:
    """The terms the lexical index stores for a word ('islands' -> ('island',), "o'brien" -> ('o', 'brien'))."""
    return tuple(fts_tokens(word))


def fts_tokens(text: str) -> list[str]:
    """Every term the lexical index stores for ``text``, in order: one tokenizer pass for a whole passage (the
    Milvus store indexes these, kb.store.milvus).

    Runs SQLite's own FTS5 tokenizer on a private in-memory table, so the stems always agree with the index.
    """
    global _PORTER
    with _PORTER_LOCK:
        if _PORTER is None:
            conn = sqlite3.connect(":memory:", check_same_thread=False)
            conn.execute(f"CREATE VIRTUAL TABLE words USING fts5(w, tokenize='{FTS_TOKENIZE}')")
            conn.execute("CREATE VIRTUAL TABLE word_terms USING fts5vocab(words, 'instance')")
            _PORTER = conn
        _PORTER.execute("INSERT INTO words(rowid, w) VALUES (1, ?)", (text,))
        try:
            rows = _PORTER.execute("SELECT term FROM word_terms ORDER BY offset").fetchall()
        finally:
            _PORTER.execute("DELETE FROM words")
    return [r[0] for r in rows]


def one_edit(a: str, b: str, transposed: bool = False) -> bool:
    """Spellings at most one substitution, insertion or deletion apart: transliterations ("Itorofu"/"Etorofu") and
    most typing slips; with ``transposed``, two neighbouring letters swapped ("recieve") count as one slip too."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        differ = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
        return len(differ) <= 1 or (transposed and len(differ) == 2 and differ[1] == differ[0] + 1
                                    and a[differ[0]] == b[differ[1]] and a[differ[1]] == b[differ[0]])
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Porter stem of one word ('stored' and 'store' -> 'store', 'islands' -> 'island'), from SQLite's own
    FTS5 porter tokenizer rather than a second stemmer: question and text then match as the lexical index does.
    Measured on the SQuAD tune half (benchmarks/train_scorer.py): picking the answer sentence right went from
    0.794 to 0.799 against the suffix stripper used before."""
    terms = fts_terms(word)
    return terms[0] if len(terms) == 1 else word


@lru_cache(maxsize=4096)
def content_stems(text: str) -> frozenset[str]:
    """The stems of a text's content terms: what a question and a sentence are compared by where word order and
    spellings do not matter (whose part of a list a question asks about, whether a sentence restates what a question
    states). Cached: the answerer asks it of the same sentences question after question."""
    return frozenset(stem(w) for w in content_terms(text))


# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before whitespace, or at a blank
# line / line break that ends a heading-like line. Abbreviations and initials are not ends.
_BULLET = r"[-*•+][ \t]"  # "- Fast search": a bulleted line starts a statement of its own
_END = re.compile(r"""[.!?…]+["'”’»)\]]*(?=\s)|\n\s*\n|\n(?=\s*(?:[A-Z0-9“"‘'(\[]|""" + _BULLET + "))")
_ABBREV = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|Mt|vs|etc|e\.g|i\.e|Inc|Ltd|Co|Corp|Gen|Gov|Sen|Rep|No|Vol|Fig|Jan|Feb|Mar|Apr"
    r"|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)|\b[A-Z]|\b(?:[A-Za-z]\.){1,3}[A-Za-z])\.$"
)


# A list item starts a line of its own even in wrapped text ("2. Rebuild the index", "- Fast search").
_LIST_ITEM = re.compile(r"\s*(?:\d{1,3}[.)]\s|" + _BULLET + ")")
_LINE_END_MARK = (".", "!", "?", "…", ":", ";", '"', "”", "’", "'", ")")


def wrap_width(text: str) -> int | None:
    """The width a hard-wrapped text was wrapped at (plain-text mail, Markdown, books), or None.

    A line break is a sentence end in text laid out a line per paragraph, headline or byline (the news seeds,
    SQuAD), where a line that starts with a capital starts something new. Hard-wrapped text breaks lines inside
    sentences, and a wrapped line that happens to start with a name or a number would cut its sentence in two:
    kb quoted half a sentence of its own README. Such text is recognised by its lines: inside paragraphs (a line
    followed by another) most are filled close to one width of at most 200 characters, and most end without a
    sentence mark. Too few lines to tell (under four inside paragraphs) is not wrapped.
    """
    lines = text.split("\n")
    inner = [a.rstrip() for a, b in zip(lines, lines[1:]) if a.strip() and b.strip()]
    if len(inner) < 4:
        return None
    lengths = sorted(len(line) for line in inner)
    width = lengths[int(0.9 * (len(lengths) - 1))]
    if width > 200 or lengths[len(lengths) // 2] < 0.6 * width:
        return None
    if sum(line.endswith(_LINE_END_MARK) for line in inner) >= len(inner) / 2:
        return None  # a sentence a line: each line ends a sentence, the break is one too
    return width


def _soft_break(text: str, at: int, width: int) -> bool:
    """A line break of wrapped text at ``text[at]`` that continues the sentence: the line before is filled to near
    the width (a short one is a heading, a list item or a paragraph's last line) and the next one is no list
    item."""
    return len(_line_before(text, at).rstrip()) >= 0.6 * width and not _LIST_ITEM.match(text, at + 1)


def _line_before(text: str, at: int) -> str:
    """The part of ``text[at]``'s line that comes before it."""
    return text[text.rfind("\n", 0, at) + 1 : at]


def split_sentences(text: str, offset: int = 0, paragraph: bool = False) -> list[Sentence]:
    """Split into sentences with exact spans ``text[start-offset:end-offset] == sentence.text``.

    ``paragraph``: the text is one paragraph of a structured document (a Markdown paragraph, kb.sources.markdown),
    wrapped however its lines are filled, even in a file too short for wrap_width to tell. A line filled to near its
    longest is wrapped; a short one without a sentence mark is a line of its own (a headline in a file saved a
    paragraph a line with no blank lines between, which CommonMark would run into the next paragraph).
    """
    sentences: list[Sentence] = []
    begin = 0
    width = max(len(line.rstrip()) for line in text.split("\n")) if paragraph else wrap_width(text)
    for m in _END.finditer(text):
        end = m.end()
        piece = text[begin:end]
        if m.group().startswith((".",)) and _ABBREV.search(text[max(begin, end - 12) : end].rstrip("\"'”’»)]")):
            continue
        if width is not None and m.group() == "\n" and _soft_break(text, m.start(), width):
            continue
        if m.group() == "." and _line_before(text, m.start()).strip().isdigit():
            continue  # "2. Start it again.": a numbered item's number, not a sentence of its own
        if piece.strip():
            sentences.extend(_trimmed(text, begin, end, offset))
        begin = end
    if text[begin:].strip():
        sentences.extend(_trimmed(text, begin, len(text), offset))
    return sentences


def _trimmed(text: str, begin: int, end: int, offset: int) -> list[Sentence]:
    while begin < end and text[begin].isspace():
        begin += 1
    while end > begin and text[end - 1].isspace():
        end -= 1
    if end <= begin:
        return []
    return [Sentence(begin + offset, end + offset, text[begin:end])]


@lru_cache(maxsize=100_000)
def _match_forms(text: str) -> frozenset[str]:
    """The words of a text and their stems: what a question term is looked up in. Cached because the same
    sentences come back for question after question."""
    tokens = words(text)
    return frozenset(tokens) | frozenset(stem(t) for t in tokens)


def term_spellings(aliases: Sequence[str]) -> frozenset[str]:
    """Every form under which a question term counts as present in a text's ``_match_forms``: each accepted
    spelling and its stem. The one definition of "the text has this term", for term share in a sentence, a
    passage or a whole document, and for the terms a soft match credits instead (kb.answer.features)."""
    return _spellings(tuple(aliases))


@lru_cache(maxsize=100_000)
def _spellings(aliases: tuple[str, ...]) -> frozenset[str]:
    return frozenset(f for a in aliases for f in (a, stem(a)))


@dataclass(frozen=True)
class WeightedTerms:
    """A question's terms made ready to be looked up in many texts (term_overlap): each term's spellings and
    weight, and their total. One question measures ~180 sentences and passages, so this is done once, not per text."""

    spellings: tuple[frozenset[str], ...]
    weights: tuple[float, ...]
    total: float


def weighted_terms(terms: dict[str, list[str]], weights: dict[str, float] | None = None) -> WeightedTerms:
    """``terms`` maps each question term to the spellings that count for it (itself and, for a term the index
    has never seen, its close indexed spellings), so "Osekin" is found in a sentence naming "Osechkin". Without
    ``weights`` every term counts 1."""
    spellings = tuple(term_spellings(aliases) for aliases in terms.values())
    if weights is None:
        return WeightedTerms(spellings, (1.0,) * len(terms), float(len(terms)))
    counts = tuple(weights.get(t, 1.0) for t in terms)
    return WeightedTerms(spellings, counts, sum(counts) or 1.0)


def share_in(terms: WeightedTerms, text: str) -> float:
    """Weighted share of the terms present in the text: any accepted spelling, light stemming."""
    if not terms.spellings:
        return 0.0
    forms = _match_forms(text)
    return sum(w for spelled, w in zip(terms.spellings, terms.weights) if not forms.isdisjoint(spelled)) / terms.total


def term_overlap(terms: dict[str, list[str]], text: str, weights: dict[str, float] | None = None) -> float:
    """Share of the question's content terms present in the text (weighted_terms, share_in)."""
    return share_in(weighted_terms(terms, weights), text)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def asks(text: str) -> bool:
    """The sentence is a question ("Why did Russia plan to attack Japan?", '... he asked, "Is this true?"'). It
    states nothing, so it can support no answer; yet, restating the question in the document's own words, it
    ranked first for that very question and kb quoted it back as the answer at confidence 0.998. Its neighbours
    still read it (neighbour_overlap, neighbour_cosine), and a Markdown heading that asks is read with the sentence
    below it (kb.sentences)."""
    return text.rstrip().rstrip("\"'”’)»").endswith("?")


def table_rows(text: str) -> list[str] | None:
    """The lines of a quoted table (kb.sentences quotes one a row a line, cells apart by "|"), spaces tidied; None
    for any other text, whose line breaks are only where it was wrapped."""
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    return lines if len(lines) > 1 and all("|" in line for line in lines) else None


def shown(text: str, keep_newlines: bool = False) -> str:
    """Text from documents and file names, safe to print on a terminal: control characters written as \\xNN.

    A file name may hold a newline (a fake second "skipped ..." line) or escape sequences that clear the screen
    or retitle the window; printed raw, a document would control the user's terminal."""
    pattern = _CONTROL_BUT_NEWLINE if keep_newlines else _CONTROL
    return pattern.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
