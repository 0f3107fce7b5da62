"""A question, analysed once for retrieval and answering: its vector, terms, names, the kind of answer it wants,
and, for a follow-up, the standalone query it stands for.

Retrieval and the answer scorers read the same analysis, so a term or a name is found by one piece of code
(the stopwords and the name detector are kb.text's).

Follow-ups: retrieval sees one question at a time, so "Where is his organization based?" finds nothing about the
person the previous turn was about. Rather than a generative rewriter (no model to run offline), the named
entities of the previous question and answer are appended when the new question refers back to them (a
pronoun, "the same", "what about ..."); the question itself is kept first and unchanged. The answerer then
treats the appended names as names the question is about (kb.answer.grounding): it answers about that person,
or abstains, and never mixes in a statement about someone else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from kb.answer_types import (AnswerType, asked_contact, asked_numbers, initials_of, labelled_years, supplies,
                             years)
from kb.text import (MONTHS, PERSON_PRONOUN, STOPWORDS, Person, WeightedTerms, content_stems, content_terms, fold,
                     month_names, named_entities, people_named, person_mentions, share_in, stem, weighted_terms)
from kb.types import Passage

if TYPE_CHECKING:
    from kb.word_vectors import WordVectors


#: A name that may be an acronym, as kb folds it: two to six letters.
_ACRONYM_NAME = re.compile(r"[a-z]{2,6}")


@dataclass
class QueryContext:
    """What one question needs across retrieval and answering, computed once."""

    question: str
    vector: np.ndarray | None
    terms: dict[str, list[str]]  # content term -> accepted spellings (misspellings expanded)
    answer_type: AnswerType | None = None  # what kind of answer the question asks for (kb.answer_types)
    type_detail: str | None = None  # the acronym of "what does X stand for", the unit of "what year/month/day"
    question_words: frozenset[str] = frozenset()
    absent_names: tuple[str, ...] = ()  # names of the question found nowhere in the index: nothing can answer it
    names: tuple[str, ...] = ()  # names of the question the index has: a cited document must mention each
    # A name that stands for a country here, with the other names of it the index has ("tokyo" -> {"japan"};
    # kb.place_names): a document that says one of them mentions the name. Not a place asked about as a place.
    places: dict[str, frozenset[str]] = field(default_factory=dict)
    idf: dict[str, float] | None = None  # term -> inverse document frequency: weights terms in rescoring and answering
    chunks: int = 0  # passages in the index the question is asked of
    subject: tuple[str, ...] = ()  # a follow-up's resolved names ("his" -> Christo Grozev): the answer must be about them
    word_vectors: WordVectors | None = None  # the embedding model's static word vectors, for a soft term match
    # Words of the question typed with a slip, each with the word it was probably meant as ("leter" -> "letter";
    # respellings): the query vector is made from the question spelled that way (embedding_text).
    respelled: dict[str, str] = field(default_factory=dict)
    # The acronyms the retrieved pool defines (kb.text.defined_acronyms), set by count_acronyms: the answerer's name
    # checks read the same definitions as retrieval's term shares. None until retrieval has read a pool.
    acronyms: dict[str, tuple[frozenset[str], ...]] | None = None
    # The question's acronyms the index never writes, with the long form the pool spells each out by, as written
    # (spell_out_absent): the answerer reads the question with it, and the quoted answer must state it.
    spelled_out: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # term_share's memo: retrieval measures every pooled passage and sentence, and the answerer the best passages'
    # sentences again (the same texts, the same terms unless a follow-up); ~240 measurements a question.
    _shares: dict[tuple[str, bool], float] = field(default_factory=dict, repr=False, compare=False)
    _weighted: dict[bool, WeightedTerms] = field(default_factory=dict, repr=False, compare=False)  # the terms, ready
    _supplied: dict[str, bool] = field(default_factory=dict, repr=False, compare=False)  # supplies' memo, the same way

    def spelled_out_question(self, question: str) -> str:
        """The question with each acronym spell_out_absent found written as its long form ("Who is the CFO?" ->
        "Who is the Chief Financial Officer?"): what the answerer's rules read, so that a post asked for by its
        initials asks for a person as the post does (kb.answer_types.asks_person_by_role)."""
        for name, written in self.spelled_out.items():
            question = re.sub(rf"\b{name.upper()}\b", " ".join(written), question)
        return question

    @property
    def embedding_text(self) -> str:
        """The question as the query vector reads it: each slip as the word it was meant as (``respelled``).
        A misspelling is no word to the embedding model: "Who verified the leter?" was 0.39 in cosine from the
        sentence that answers "Who verified the letter?" at 0.57, and kb abstained (docs/quality.md). Terms and
        names are read from the question as typed; lexical search already looks up each spelling."""
        if not self.respelled:
            return self.question
        return _WORD_OF_QUESTION.sub(lambda m: _respelled_as(m.group(0), self.respelled), self.question)

    @cached_property
    def asked_terms(self) -> dict[str, list[str]]:
        """The terms a statement must share to answer the question. For a resolved follow-up ("Where is his
        organization based? (Christo Grozev)") only those of what it asks ("organization", "based"): the appended
        names say whom it is about (retrieval, and the answer must be about them), and a statement that repeats the
        name without saying where is no answer, however many of the question's words it then shares. A follow-up
        that asks nothing of its own ("Who is he?") keeps every term."""
        if not self.subject:
            return self.terms
        own = set(content_terms(asked_part(self.question)))
        return {t: spellings for t, spellings in self.terms.items() if t in own} or self.terms

    @cached_property
    def asked_years(self) -> frozenset[str]:
        """The years the question names (a follow-up's appended names left out): a statement about another year, or
        a document that never states one of them, does not answer it (kb.answer)."""
        return years(asked_part(self.question))

    @cached_property
    def asked_year_labels(self) -> frozenset[tuple[str, str]]:
        """The question's years with the word each is the year of ("fiscal year 2021": ("year", "2021")): a statement
        that gives that word another year is about another year (kb.answer_types.labels_another_year)."""
        return labelled_years(asked_part(self.question))

    @cached_property
    def asked_months(self) -> frozenset[str]:
        """The months the question names (kb.text.month_names; a follow-up's appended names left out): a document
        that never states one of them says nothing of what happened then (kb.answer)."""
        return frozenset(month_names(asked_part(self.question)))

    @cached_property
    def subject_is_source(self) -> bool:
        """A follow-up whose person is only the author of what it asks about ("According to his report, what kind of
        exercises has Japan protested?" after "Who is Zaini Majeed?"): the answer is from a document by them, not
        about them (kb.answer)."""
        return bool(self.subject) and by_the_person(asked_part(self.question))

    @cached_property
    def attributed_to(self) -> tuple[tuple[str, ...], ...]:
        """What the question says its answer comes from, by a common noun ("according to the fact-check", "per the
        letter", "how does the whistleblower describe ...?"), each as its words: a document that never mentions it
        cannot say what it says (kb.answer)."""
        return attributed_sources(asked_part(self.question))

    @cached_property
    def asked_numbers(self) -> frozenset[str]:
        """The other numbers the question names ("When was Ferrypoint 3.0 released?"), the same way: a document
        that never states one of them is about something else (kb.answer)."""
        return asked_numbers(asked_part(self.question))

    @cached_property
    def asked_people(self) -> tuple[Person, ...]:
        """The people the question names by a given name and surname or with a title, a follow-up's resolved ones
        too ("Daniel Okafor", "Dr. Carvalho"): a statement about another person is no answer about them (kb.answer)."""
        return people_named(self.question)

    @cached_property
    def asked_contact(self) -> str | None:
        """The contact detail the question asks for ("email", "phone", "extension"; kb.answer_types)."""
        return asked_contact(asked_part(self.question))

    def term_share(self, text: str, asked: bool = False) -> float:
        """IDF-weighted share of the question's terms in the text (kb.text.term_overlap): of all its terms, or with
        ``asked`` of the terms a statement must share to answer it (asked_terms)."""
        terms = self.asked_terms if asked else self.terms
        key = (text, terms is self.terms)
        found = self._shares.get(key)
        if found is None:
            prepared = self._weighted.get(key[1])
            if prepared is None:
                prepared = self._weighted[key[1]] = weighted_terms(terms, self.idf)
            found = self._shares[key] = share_in(prepared, text)
        return found


    def count_acronyms(self, acronyms: Mapping[str, tuple[frozenset[str], ...]]) -> None:
        """A question that spells out a name the retrieved passages define by an acronym ("Federal Security
        Service (FSB)") finds that name in a text that says "FSB": the acronym becomes a spelling of each word of
        the long form, for every term share after this (kb.text.defined_acronyms). Retrieval calls it once the
        pool is read, before it measures the pool; a question that names only part of a long form is unchanged.
        The definitions are kept (``acronyms``) for the answerer's name checks."""
        self.acronyms = dict(acronyms)
        changed = False
        for acronym, long_forms in acronyms.items():
            for long_form in long_forms:
                if long_form and long_form <= self.terms.keys():
                    for term in long_form:
                        if acronym not in self.terms[term]:
                            self.terms[term].append(acronym)
                            changed = True
        if changed:  # the spellings changed: nothing measured before counts
            self._shares.clear()
            self._weighted.clear()

    def spell_out_absent(self, texts: Iterable[str]) -> None:
        """An acronym the question writes in capitals that the index never does ("Who is the CFO?"), spelled out by a
        retrieved passage ("Omar Haddad, Chief Financial Officer"; kb.answer_types.initials_of), is no absent name:
        it is a name the cited document must mention, by its long form too (``acronyms``). In the term shares after
        this it is found by the long form's longest word ("financial", "presiding"; not "chief", which "Chief
        Executive Officer" has too). Retrieval calls it once the pool is read, after count_acronyms. Only the
        question's names the index lacks are looked for, so most questions do nothing here.

        Not a code with a number ("FY2022" for "Fiscal Year 2022"): the year rules read no year in it, and the
        utility's "What was the per-thousand-gallon water charge in FY2022?" was then quoted the next year's rate.
        Nor the other way round (a long form the question writes, "Chief Financial Officer", found by the pool's
        "CFO"): on "Laura Chen is the CEO. Omar Haddad is the CFO." it quoted the CEO's sentence (docs/quality.md, "The
        thirty-third stop")."""
        wanted = [n for n in self.absent_names
                  if _ACRONYM_NAME.fullmatch(n) and re.search(rf"\b{n.upper()}\b", self.question)]
        if not wanted:
            return
        spelled: dict[str, tuple[str, ...]] = {}
        for text in texts:
            for name in wanted:
                if name not in spelled:
                    written = initials_of(text, name)
                    if written is not None:
                        spelled[name] = written
        if not spelled:
            return
        self.absent_names = tuple(n for n in self.absent_names if n not in spelled)
        self.names = self.names + tuple(spelled)
        self.spelled_out = spelled
        # The question said the long form, by its initials: "Chief Financial Officer" in a statement is no name the
        # question lacks (kb.answer_types.names_in_full, names_someone).
        self.question_words = self.question_words | {fold(w) for written in spelled.values() for w in written}
        self.acronyms = dict(self.acronyms or {})
        for name, written in spelled.items():
            long_form = frozenset(fold(w) for w in written)
            self.acronyms[name] = self.acronyms.get(name, ()) + (long_form,)
            longest = max(sorted(long_form), key=len)
            if name in self.terms and longest not in self.terms[name]:
                self.terms[name] = self.terms[name] + [longest]
        self._shares.clear()
        self._weighted.clear()

    def supplies(self, text: str) -> bool | None:
        """Can the text hold the kind of answer the question asks for (kb.answer_types.supplies)? None when it asks
        for no particular kind. Memoized like term_share: retrieval asks it of the pooled passages' sentences, the
        answerer of the best passages' again."""
        if self.answer_type is None:
            return None
        found = self._supplied.get(text)
        if found is None:
            found = self._supplied[text] = supplies(text, self.answer_type, self.question_words, self.type_detail)
        return found


@dataclass
class Retrieval:
    """A question after retrieval: its analysis (vector, terms, answer type...), the ranked passages and their
    stored sentences, all from one index version."""

    query: QueryContext
    passages: list[Passage]
    sentences: Callable[[Passage], list[Any]]
    started: float  # perf_counter() when the question arrived, for Answer.ms
    document_words: Callable[[str], frozenset[str]]  # a cited document's words, from the same version

    @property
    def question(self) -> str:
        return self.query.question


#: Words that only make sense with an antecedent from the conversation.
REFERRING_WORDS = frozenset(
    "he him his himself she her hers herself it its itself they them their theirs themselves "
    "this that these those there same such former latter".split()
)
_FOLLOW_UP_OPENERS = ("and ", "what about ", "how about ", "also ", "then ")
_CITATION = re.compile(r"\[\d+\]")
_WORD = re.compile(r"[A-Za-z0-9][\w'’.-]*")
MAX_ENTITIES = 3


def _turns(history: Iterable[Any]) -> list[tuple[str, str]]:
    """Accept (question, answer) pairs or Gradio-style {"role", "content"} messages."""
    pairs: list[tuple[str, str]] = []
    pending: str | None = None
    for item in history or []:
        if isinstance(item, Mapping):
            role, content = item.get("role"), item.get("content")
            text = content if isinstance(content, str) else ""
            if role == "user":
                pending = text
            elif role == "assistant" and pending is not None:
                pairs.append((pending, text))
                pending = None
        elif isinstance(item, Sequence) and len(item) == 2:
            q, a = item
            pairs.append((q if isinstance(q, str) else "", a if isinstance(a, str) else ""))
    if pending is not None:
        pairs.append((pending, ""))
    return pairs


#: The question words: a request frame and a greeting are taken off only before one, and a text with one anywhere
#: ("By what name ...", "According to the fact-check, what ...") is a question (with_question_mark).
_QUESTION_WORDS = frozenset({"who", "whom", "whose", "what", "which", "when", "where", "why", "how"})
_QUESTION_WORD = "(?:" + "|".join(sorted(_QUESTION_WORDS)) + ")"


#: A request wrapped around a question, the way people type into a chat box: "Can you tell me who verified the
#: letter?", "I'd like to know when ...", "Do you know where ...", or a reference to the documents themselves
#: ("According to the article, who ...?", "Does the text say where ...?"; "the fact-check" names one document and
#: stays). The frame is no part of what is asked: its
#: words would count as terms the answer must share, and the kind of answer asked for is read from the
#: question word it hides (measured: docs/quality.md, "A question inside a request").
_THE_DOCUMENTS = (r"(?:the|these|this|those|your|my|our|any)\s+(?:articles?|documents?|docs|texts?|sources?|"
                  r"passages?|files|knowledge\s+base|context)")
_REQUEST = re.compile(
    r"^\s*(?:please[,]?\s+)?(?:"
    r"(?:can|could|would|will)\s+you\s+(?:please\s+)?(?:tell|show|explain\s+to|let)\s+me(?:\s+know)?"
    rf"|(?:do|does|did)\s+{_THE_DOCUMENTS}\s+(?:say|mention|state|tell(?:\s+(?:me|us))?|explain|show|describe)"
    r"|(?:do|does)\s+(?:you|anyone|anybody)\s+know"
    r"|i(?:'d|’d|\s+would)\s+(?:like|love)\s+to\s+know"
    r"|i\s+(?:want|wish|need)\s+to\s+know"
    r"|(?:please\s+)?tell\s+me"
    r"|i\s+(?:wonder|am\s+wondering|'m\s+wondering|’m\s+wondering)"
    r")[,:]?\s+(?=(?:(?:in|on|at|from|to|for|by|of|with|during|since|after|before|under|about|through)\s+)?"
    rf"{_QUESTION_WORD}\b)",
    re.IGNORECASE,
)

#: The documents referred to before or after the question ("According to the article, who ...?", "Who verified
#: the letter, according to the sources?"), whatever the question starts with.
_DOCUMENTS_AROUND = re.compile(rf"^\s*(?:according\s+to|based\s+on|in|from|per|using)\s+{_THE_DOCUMENTS}"
                               rf"(?:\s*[,:]\s*|\s+(?={_QUESTION_WORD}\b))"
                               rf"|,?\s+(?:according\s+to|based\s+on|in|per)\s+{_THE_DOCUMENTS}(?=\s*[?.!]*$)",
                               re.IGNORECASE)


_WORD_OF_QUESTION = re.compile(r"[^\W\d_]+")  # a run of letters: "Putin's" is "Putin" and "s", as terms are read


def _respelled_as(word: str, respelled: Mapping[str, str]) -> str:
    found = respelled.get(word.lower())
    if found is None:
        return word
    return found[:1].upper() + found[1:] if word[:1].isupper() else found


#: Endings of a word formed from another ("signer", "tiring", "enclaves"): a word the model knows only that way is a
#: word, not a slip (respellings).
_INFLECTIONS = ("ing", "ers", "ies", "ied", "er", "ed", "es", "ly", "s", "d")


def _formed_from_known(word: str, knows: Callable[[str], bool]) -> bool:
    for ending in _INFLECTIONS:
        base = word[: -len(ending)]
        if word.endswith(ending) and len(base) >= 3:
            bases = {base, base + "e", base[:-1] if base[-1] == base[-2] else base}
            if ending in ("ies", "ied"):
                bases.add(base + "y")
            if any(len(b) >= 4 and knows(b) for b in bases):  # "leter" is no "let" + "er"
                return True
    return False


def respellings(question: str, terms: Iterable[str], word_vectors: WordVectors | None,
                indexed: Callable[[str], bool]) -> dict[str, str]:
    """Each question word typed with a slip, with the word it was probably meant as ("leter" -> "letter",
    "seperated" -> "separated"): a lowercase word (or the first) of five letters or more that neither the index nor
    the embedding model knows, not formed from a word the model knows ("signer", "tiring"), one slip
    (kb.text.one_edit) from one of the model's whole words: the index's first, then the closest, then the most
    common. A capitalized word is a name: lexical search looks up its close indexed spellings
    (kb.retrieval.lexical.expand), and the name rules read it as typed. Without the model's word pieces, nothing
    is respelled."""
    if word_vectors is None:
        return {}
    typed = _WORD_OF_QUESTION.findall(question)
    names = {w.lower() for w in typed[1:] if w[:1].isupper()}
    found = {}
    for term in terms:
        if (len(term) < 5 or not term.isalpha() or term in names or word_vectors.knows(term) or indexed(term)
                or _formed_from_known(term, word_vectors.knows)):
            continue
        close = word_vectors.words_one_edit_from(term)
        if close:  # the index's words first, then the closest ("letter" before "later"), then the most common
            found[term] = max(close, key=lambda w: (indexed(w), SequenceMatcher(None, term, w).ratio(),
                                                    word_vectors.commonness(w)))
    return found


_LETTER_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")  # a typed word: "FSB's" is one, capitalized


def plain_case(question: str) -> str:
    """A question typed in capitals ("WHO VERIFIED THE LETTER?") or with every word capitalized ("Who Verified
    The Letter?"), in lowercase after its first letter; any other question as it is.

    Names are read off a question's capitals (kb.text.named_entities), and a name the index never mentions means
    nothing can answer (the absent-name rule). Capitals on every word say nothing of which words are names: read
    as written, "verified" and "letter" were names the documents had to mention, and kb abstained on nearly every
    such question (docs/quality.md, "Capitals and slips of the keyboard"). Lowercase, such a question is
    read like any question typed in lowercase. Every word capitalized means a small word too ("The", "Is"):
    "Who is Christo Grozev?" keeps its names. Headline style ("Who Verified the Letter?", headline_style) looks
    like that question; the retriever reads its names with the model's vocabulary (Retriever._names).
    """
    found = _LETTER_WORD.findall(question)
    if len(found) < 3:
        return question
    shouting = not any(c.islower() for c in question)
    rest = found[1:]
    titled = all(w[0].isupper() for w in rest) and any(w.lower() in STOPWORDS for w in rest)
    if not (shouting or titled):
        return question
    lowered = question.lower()
    return lowered[:1].upper() + lowered[1:]


_HYPHENATED_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def headline_style(question: str) -> bool:
    """Every word after the first capitalized but stopwords ("Who Verified the Letter?"; plain_case has read a
    question with a capitalized stopword in lowercase): what case alone cannot tell from a question about names
    ("Who is Christo Grozev?").
    Typed that way, the seed paraphrases were answered 4 times of 31 instead of 26 (docs/quality.md, "Marks,
    contractions and pasted questions")."""
    rest = _HYPHENATED_WORD.findall(question)[1:]  # "Post-war": one word, capitalized as headlines often do
    content = [w for w in rest if w.lower() not in STOPWORDS]
    return len(content) >= 2 and all(w[:1].isupper() for w in content)


def headline_names(question: str, names: set[str], knows: Callable[[str], bool]) -> set[str]:
    """The names of a question in headline style (headline_style): only the capitalized words the embedding model
    does not know whole, nor as a known word with an ending ("Advancements"). The others are read as words, as in a
    question typed in lowercase: "verified", in no seed article, was an absent name and kb abstained outright on
    "Who Verified the Letter?". A rarer word ("Grozev", "Huguenots") stays a name. Any other question's names as
    they are."""
    if not headline_style(question):
        return names
    return {name for name in names if not (knows(name) or _formed_from_known(name, knows))}


#: A verb that asks at the start ("Did ...", "Is ..."), or a question word anywhere (_QUESTION_WORDS), makes a text
#: a question.
_ASKING_VERBS = frozenset({"is", "are", "was", "were", "do", "does", "did", "can", "could", "will", "would", "should",
                           "has", "have", "had", "may", "might", "must", "shall"})


def with_question_mark(question: str) -> str:
    """A question typed without its question mark, or ending in a full stop ("Which country did Russia attack"),
    with one; any other text as it is ("FSB letter author" is a search, not a question). The mark is part of what
    the embedding model reads: the same seed question was answered at confidence 0.70 without it, 0.60 with a full
    stop and 0.79 with it (docs/quality.md, "Capitals and slips of the keyboard")."""
    if question.rstrip("\"”’')*_`").endswith("?"):  # '... say?"': the mark is there, inside a quote
        return question
    typed = [w.lower() for w in _WORD_OF_QUESTION.findall(question)]
    if not typed or not (typed[0] in _ASKING_VERBS or _QUESTION_WORDS.intersection(typed)):
        return question
    return question.rstrip(".!").rstrip() + "?"


#: What people type around a question in a chat box: a greeting or filler before it ("Hi!", "ok so", "Quick
#: question:"), taken off where punctuation ends it or a question (a question word, a verb that asks, a
#: preposition or a request) follows, so "Well water ..." keeps its "Well"; and thanks after it, once the
#: question has ended.
_FILLER = (r"(?:hi|hello|hey|ok|okay|so|well|um|uh|sorry|quick question|one more question|question|btw|by the way|"
           r"pls|plz)(?:\s+there)?")
_ASKING_VERB = "|".join(sorted(_ASKING_VERBS))
_PREAMBLE = re.compile(
    rf"^\s*(?:{_FILLER}(?:\s*[,!.:;]+\s*|\s+[-–—]+\s+|\s+(?={_FILLER}\b|{_QUESTION_WORD}\b|(?:{_ASKING_VERB}|"
    r"in|on|at|from|during|since|after|before|according|i|i'd|i’d|tell|please)\b))|please\s*[,:]+\s*)+",
    # "Please, who ...?" but "Please Please Me ..." stays
    re.IGNORECASE,
)
_THANKS = re.compile(r"(?<=[?.!,])\s*(?:thanks|thank you|thx|ty|cheers|many thanks)(?:\s+(?:so much|a lot|in advance))?"
                     r"[\s.!]*$", re.IGNORECASE)
#: "please" or "btw" at the end of the question, typed in lowercase ("Who sang Please?" asks about a title), and
#: not the verb ("... vote as they please?", "... to please?").
_PLEASE = re.compile(r"(?:,\s*|(?<!\bthey)(?<!\bwe)(?<!\byou)(?<!\bi)(?<!\bI)(?<!\bhe)(?<!\bshe)(?<!\bone)(?<!\bto)\s+)"
                     r"(?:please|pls|plz|btw|by the way)(?=[\s?.!]*$)")


def without_pleasantries(question: str) -> str:
    """The question without the greeting before it and the thanks or "please" after it ("Hi! Who verified the
    letter? Thanks" -> "Who verified the letter?"). Their words are no part of what is asked: read as terms and in
    the query vector, they cost 29 of 712 right tune answers (docs/quality.md, "Capitals and slips of the
    keyboard"), and "pls" 21 ("Marks, contractions and pasted questions")."""
    inner = _PLEASE.sub("", _THANKS.sub("", _PREAMBLE.sub("", question))).strip().rstrip(",")
    if not inner or inner == question:
        return question
    return inner[:1].upper() + inner[1:]


#: Emoji (pictographs, symbols, dingbats and what joins or varies them) and text emoticons (":)", ";-P"): they say
#: nothing a passage could share.
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D\u20E3]+"
                    r"|(?<!\S)[:;=][-']?[()DPpOo/\\|\[\]3]+(?!\S)")
_END_MARKS = re.compile(r"\s*(?:[?!…]|\.{2,})*\?(?:[?!…]|\.{2,})*$")  # "??", "?!", "...?": one mark; "U.S.?" stays


def plain_marks(question: str) -> str:
    """The question without emoji and with one question mark at its end ("Who verified the letter?? 🤔" -> "Who
    verified the letter?"). The embedding model reads both: "Who verified the letter? 🤔" was answered at
    confidence 0.16 and "... letter?!" at 0.29, the question alone at 0.37 (docs/quality.md, "Marks, contractions
    and pasted questions")."""
    text = " ".join(_EMOJI.sub(" ", question).split())
    text = _END_MARKS.sub("?", text)
    return text if text else question


#: What a question pasted from a list, a document or a chat carries before it: a number ("1.", "2)", "(3)"), a
#: bullet or a quote mark of a reply ("-", "*", "•", ">"), a "Q:" label.
# A bullet typed without its space ("-What is FSB?") counts before a capital: a dash before a number is a minus.
_LIST_MARKER = re.compile(r"^\s*(?:\(?\d{1,3}[.)]\s+|[-*•>]+\s+|[-•>]+(?=(?-i:[A-Z]))|q\d{0,3}\s*:\s*|q\d{1,3}[.)]\s+)",
                          re.IGNORECASE)
#: What can wrap a whole question: quotes, backticks, markdown emphasis (the longer marks first).
_WRAPS = (("**", "**"), ("__", "__"), ('"', '"'), ("“", "”"), ("„", "“"), ("«", "»"), ("‘", "’"), ("'", "'"),
          ("`", "`"), ("*", "*"), ("_", "_"))


def without_markup(question: str) -> str:
    """The question without what pasting it brought along: a list number or bullet, a "Q:" label, and quotes,
    backticks or markdown emphasis around the whole of it ("1. **Who verified the letter?**" -> "Who verified the
    letter?"). The embedding model reads the marks as words: "1) Who verified the letter?" and "**Who verified the
    letter?**" were abstained on (confidence 0.04 and 0.10) where the question alone is answered at 0.37
    (docs/quality.md, "Marks, contractions and pasted questions"). A mark inside the question ("What did
    "Wind of Change" say?") stays."""
    text = question.strip()
    while True:
        before = text
        text = _LIST_MARKER.sub("", text, count=1).strip()
        for opening, closing in _WRAPS:
            mark = "?" if text.endswith(closing + "?") else ""  # "Who verified the letter"?
            inner = text[len(opening):len(text) - len(closing) - len(mark)]
            if (text.startswith(opening) and len(text) > len(opening) + len(closing) + len(mark)
                    and text.endswith(closing + mark) and opening not in inner and closing not in inner):
                text = inner.strip() + mark
                break
        if text == before or not text:
            return text if text else question


#: A contraction and what it stands for: "n't", "'re", "'ve", "'ll", and "'s" after a question word ("What's": is or
#: has, both stopwords), with or without the apostrophe ("didnt", "whats"). "'s" after any other word (a
#: possessive, and "it's" is often typed for "its") and "'d" (would, had or did) are left as typed.
_CONTRACTION = re.compile(
    r"\b(?:(?P<cannot>can)['’]t|(?P<will>won)['’]t|(?P<shall>shan)['’]t|(?P<verb>[a-z]+)n['’]t"
    rf"|(?P<word>[a-z]+)['’](?P<short>re|ve|ll)|(?P<is>{_QUESTION_WORD})['’]s"
    # typed without the apostrophe, as in a chat box: only words that are nothing else ("cant", "wont" are)
    r"|(?P<bare>(?:did|does|do|is|are|was|were|has|have|had|could|would|should))nt|(?P<bare_is>what|who|where|how)s"
    r")\b",
    re.IGNORECASE,
)
_SPELLED_OUT = {"re": "are", "ve": "have", "ll": "will"}


def without_contractions(question: str) -> str:
    """The question with its contractions spelled out ("What're chromoplasts?" -> "What are chromoplasts?",
    "didn't" -> "did not"). Their halves were read as terms a passage must share ("re", "didn", "ve") and the
    embedding model reads them as other words: "What're chromoplasts?" was answered at confidence 0.20 against
    0.58 as "What are", "What's the final stage of a bill ...?" at 0.63 against 0.74 (docs/quality.md, "Marks,
    contractions and pasted questions")."""
    def spelled(m: re.Match[str]) -> str:
        if m.group("cannot"):
            typed, added = m.group("cannot"), "not"
        elif m.group("will"):
            typed, added = m.group("will")[0], "ill not"
        elif m.group("shall"):
            typed, added = m.group("shall")[:-1], "ll not"
        elif m.group("verb"):
            typed, added = m.group("verb"), " not"
        elif m.group("bare") or m.group("bare_is"):
            typed, added = (m.group("bare"), " not") if m.group("bare") else (m.group("bare_is"), " is")
            if m.start() > 0 and typed[:1].isupper() and not typed.isupper():
                return m.group(0)  # a capital inside the question: a name ("Dont Nod")
        elif m.group("word"):
            typed, added = m.group("word"), " " + _SPELLED_OUT[m.group("short").lower()]
        else:
            typed, added = m.group("is"), " is"
        shouted = m.group(0).replace("'", "").replace("’", "").isupper() and len(m.group(0)) > 3
        return typed + (added.upper() if shouted else added)
    return _CONTRACTION.sub(spelled, question)


#: An instruction in place of a question: "Name the person who verified the letter." asks "Who verified the
#: letter?", "Identify the company that published the fact check" asks "Which company published the fact check?"
#: (the kind of answer is read from "which company", kb.answer_types). One noun after "the", so "Name three ..."
#: and "List all ..." keep their words, and only verbs that ask for a name ("Show me the letter" wants the letter).
_PERSONS = frozenset({"person", "people", "persons", "man", "men", "woman", "women", "one", "individual",
                      "individuals"})
_COMMAND = re.compile(
    r"^\s*(?:please\s+)?(?:name|identify|list|give\s+me|tell\s+me)\s+(?:the\s+names?\s+of\s+)?the\s+"
    r"(?P<noun>[a-z]+)\s+(?:(?:that|which|who|whom)\s+)?(?=\S)",
    re.IGNORECASE,
)


def as_question(question: str) -> str:
    """The question an instruction asks ("Name the person who verified the letter." -> "Who verified the
    letter?"); any other text as it is."""
    m = _COMMAND.match(question)
    if m is None:
        return question
    noun = m.group("noun")
    rest = question[m.end():].strip().rstrip(".!?").rstrip()
    return ("Who " if noun.lower() in _PERSONS else f"Which {noun} ") + rest + "?"


def asked_question(question: str) -> str:
    """The question as asked, whatever way it was typed or pasted: without emoji and with one question mark
    (plain_marks), without a list number, label or quotes around it (without_markup), without a greeting or thanks
    (without_pleasantries), in plain case (plain_case; before the contractions are spelled out, whose added words
    are lowercase), with its contractions spelled out (without_contractions),
    without a reference to the documents after it, and the question a request or a reference to the documents
    wraps ("Can you tell me who verified the letter?" -> "Who verified the letter?"), starting with a capital and
    ending with a question mark (with_question_mark). Only a frame followed by a question word is taken off: "Tell
    me about the FSB" keeps its words. A follow-up ``contextualize`` wrote keeps the names appended to it as they
    are."""
    resolved = _resolved(question)
    if resolved is not None:
        return f"{asked_question(resolved.group('question'))} ({resolved.group('names')})"
    question = without_contractions(plain_case(without_pleasantries(without_markup(plain_marks(question)))))
    unreferred = _DOCUMENTS_AROUND.sub("", question)
    if unreferred and unreferred != question:
        question = unreferred[:1].upper() + unreferred[1:]
    m = _REQUEST.match(question)
    if m is None:
        return with_question_mark(as_question(question))
    inner = question[m.end():].strip().rstrip(".!?").rstrip()
    return inner[:1].upper() + inner[1:] + "?"


def is_follow_up(question: str) -> bool:
    """True when the question refers to something it does not name."""
    lowered = question.lower().strip()
    if lowered.startswith(_FOLLOW_UP_OPENERS):
        return True
    return any(w.lower().strip(".'’") in REFERRING_WORDS for w in _WORD.findall(question))


def _turn_terms(text: str) -> list[str]:
    """Lower-case content words, for when a turn names nothing."""
    terms: list[str] = []
    for word in _WORD.findall(_CITATION.sub(" ", text)):
        w = word.lower().strip(".'’-")
        if len(w) > 2 and w not in STOPWORDS and w not in REFERRING_WORDS and w not in terms:
            terms.append(w)
    return terms


_RESOLVED = re.compile(r"^(?P<question>.*\S)\s+\((?P<names>[^()]+)\)$")


def _resolved(query: str) -> re.Match[str] | None:
    """A follow-up as ``contextualize`` rewrote it: its own question and the names appended to it; else None."""
    m = _RESOLVED.match(query.strip())
    return m if m is not None and is_follow_up(m.group("question")) else None


def resolved_subject(query: str) -> tuple[str, ...]:
    """The names ``contextualize`` appended to a follow-up ("Where is his organization based? (Christo Grozev)"),
    folded word by word; empty for any other question. Parsed here, next to the code that writes them."""
    m = _resolved(query)
    if m is None:
        return ()
    names = [n.strip() for n in m.group("names").split(";")]
    return tuple(dict.fromkeys(fold(w).removesuffix("'s") for n in names for w in n.split() if w[:1].isupper()))


#: Where a question's statement ends and what it asks begins: "Sushko has been translating the correspondence
#: since early March. What did he pass on to Newsweek?", "Osechkin published the letter; who ... translates it?".
_STATEMENT_END = re.compile(r"(?<=[a-z0-9)\"'”’][.;])\s+(?=[A-Z\"'“‘(]|(?:besides|apart|and|so|then|but|"
                            + "|".join(sorted(_QUESTION_WORDS)) + r")\b)")


#: How a question says where its answer comes from: "according to (some) X", "per the X" ("per capita", "per year"
#: are no source), "how does the X describe ...?", and "the X argues ..." opening a clause ("Whose agencies, the
#: fact-check argues, ...?"; not "the final say", "that the member states' rights").
_DETERMINER = r"(?:the|a|an|one|this|that|some|many|most|several|his|her|their|its) "
_SAYS = r"argues|says|claims|notes|speculates|wonders|describes|mentions|suggests|writes|reports|characteri[sz]es|states"
_SAY = r"argue|say|claim|note|speculate|wonder|describe|mention|suggest|write|report|characteri[sz]e|state|call"
_ATTRIBUTED = re.compile(rf"\b[Aa]ccording to (?:{_DETERMINER})?(?:[A-Z][\w-]* )?(?P<by>[a-z][\w-]*(?: [a-z][\w-]*){{0,2}})"
                         rf"|\b[Pp]er {_DETERMINER}(?:[A-Z][\w-]* )?(?P<per>[a-z][\w-]*(?: [a-z][\w-]*){{0,2}})"
                         rf"|\b(?:does|did|do) the (?P<asked>[a-z][\w-]*) (?:{_SAY})\b"
                         rf"|(?:^|[,;:] )[Tt]he (?P<says>[a-z][\w-]*) (?:{_SAYS})\b(?!')")
#: Words that name the documents themselves, or any part of them: "according to the report", "per one account",
#: "per a related headline" (a part of a page, found after the held-out run: docs/quality.md, "A source the question
#: names").
_ANY_SOURCE = frozenset("article articles report reports document documents source sources text texts story stories "
                        "piece pieces passage passages author authors writer writers reporter reporters news account "
                        "accounts information media press file files record records data it them headline headlines "
                        "title titles caption captions paragraph paragraphs section sections line lines link links "
                        "page pages".split())


def attributed_sources(question: str) -> tuple[tuple[str, ...], ...]:
    """The common nouns a question attributes what it asks to, each split into its words ("fact-check" -> fact,
    check), the last word of an "according to" phrase as its head ("a linked story" -> story): those that name a
    kind of document in general (_ANY_SOURCE) are left out."""
    found = []
    for m in _ATTRIBUTED.finditer(question):
        phrase = m.group("by") or m.group("per") or m.group("asked") or m.group("says")
        words = []
        for word in phrase.split():  # the noun phrase ends where its function words begin ("the theory what ...")
            if word in STOPWORDS:
                break
            words.append(word)
        if not words or words[-1] in _ANY_SOURCE:
            continue
        found.append(tuple(w for w in re.split(r"-+", words[-1]) if w))
    return tuple(found)


#: A person's pronoun before a word for a document: "according to his report", "in her article", "per his piece".
_THEIR_DOCUMENT = re.compile(r"\b(?:his|her)\s+(?:own\s+|latest\s+|new\s+)?(?P<document>[a-z]+)\b", re.I)


def by_the_person(question: str) -> bool:
    """Every person's pronoun of the question stands before a word for a document (_ANY_SOURCE): the person is whose
    report it is, not what it is about."""
    pronouns = PERSON_PRONOUN.findall(question)
    owned = [m for m in _THEIR_DOCUMENT.finditer(question) if m.group("document").lower() in _ANY_SOURCE]
    return bool(owned) and len(owned) == len(pronouns)


def given_part(question: str) -> str:
    """What a question states before it asks, as given ("" when it only asks): the statements before its last
    sentence, when that sentence is the question (a question word in its first words, a question mark at its end)
    and they are not questions themselves. What the question tells is not its answer: a sentence restating it is
    where the answer is next to, not the answer (kb.answer.extractive, docs/quality.md "What the question states")."""
    question = asked_part(question).strip()
    parts = _STATEMENT_END.split(question)
    if len(parts) < 2 or not parts[-1].rstrip().endswith("?"):
        return ""
    opening = [w.lower() for w in _WORD_OF_QUESTION.findall(parts[-1])[:6]]
    if not _QUESTION_WORDS.intersection(opening) and not (opening and opening[0] in _ASKING_VERBS):
        return ""
    given = " ".join(parts[:-1])
    first = _WORD_OF_QUESTION.findall(given)[:1]
    if "?" in given or (first and (first[0].lower() in _QUESTION_WORDS or first[0].lower() in _ASKING_VERBS)):
        return ""
    return given if len(content_terms(given)) >= 3 else ""


def asked_part(query: str) -> str:
    """A follow-up rewritten by ``contextualize`` without the names appended to it; any other question as is."""
    m = _resolved(query)
    return query if m is None else m.group("question")


def _numbered(name: str, text: str) -> str:
    """A name with the number that follows it in the text ("Well 4", "Route 9", "Apollo 11"): the name's words alone
    ("Well") left the follow-up "Which plant treats its water?" about every well, and it was answered about another.
    A month's number is a date, not part of a name ("October 17")."""
    if name.split()[-1].lower() in MONTHS:
        return name
    m = re.search(rf"(?<![\w-]){re.escape(name)}\s+(\d{{1,4}}[A-Za-z]?)(?![\w,.]\d)", text)
    return f"{name} {m.group(1)}" if m else name


_ONE_PERSON = re.compile(r"\b(?:he|him|his|she|her|hers)\b", re.I)
#: A person listed with a post: "Marcus Adeyemi (Deputy Director for Operations)", "Tomas Reyes, Deputy ...".
_LISTED = re.compile(r"[^,(]+?\s*[,(]")


def _others_than_asked(answer: str, asked: str) -> set[str]:
    """The people an answer names beside the one it gives for what was asked: "In attendance: Dr Eleanor Brandt
    (Director), Marcus Adeyemi (Deputy Director for Operations), ..." answers "Who is the Deputy Director for
    Operations?" with Marcus Adeyemi, the person whose part of the answer (up to the next person) holds the most of
    the question's words; "he" after it is not Dr Brandt. Only people listed so count: opening the answer or after a
    list's comma, colon or dash, with a post after them, and no word of the question's for a name ("Marcus Bell,
    Customer Service Supervisor, ..." for "Who supervises customer service?" lists one person). Every other name of
    the answer is returned: the other people's, their posts, and a list's label ("Attendees", "In attendance").
    Empty when the answer lists fewer than two people, or no one person's parts hold more than the others'."""
    asked_terms = content_stems(asked)
    mentioned = person_mentions(answer)
    people = [(at, person) for at, person in mentioned if _LISTED.match(answer[at:])
              and (at == 0 or answer[:at].rstrip().endswith((",", ":", ";", "-")))
              and not asked_terms & {stem(fold(w)) for w in (person.given, person.surname) if w}]
    if len(people) < 2:
        return set()
    ends = [min([other for other, _ in mentioned if other > at] + [len(answer)]) for at, _ in mentioned]
    parts = {at: answer[at:end] for (at, _), end in zip(mentioned, ends)}
    shares = [len(asked_terms & content_stems(parts[at])) for at, _ in people]
    best = max(shares)
    winners = {person for (_, person), share in zip(people, shares) if share == best}
    if best == 0 or len(winners) > 1:
        return set()
    won = {at for (at, _), share in zip(people, shares) if share == best}
    kept = {name for at in won for name in named_entities(parts[at])}
    return set(named_entities(answer)) - kept


def contextualize(question: str, history: Iterable[Any] | None) -> str:
    """The retrieval query for ``question`` given the earlier turns (oldest first).

    A question that refers to nothing earlier is returned unchanged. Otherwise the names from the latest
    answered turn are appended: first those of its answer (where "his"/"its" most likely points), then those
    of its question, skipping names the new question already contains.
    """
    pairs = [(q, a) for q, a in _turns(history or []) if q.strip()]
    if not pairs or not is_follow_up(question):
        return question
    last_question, last_answer = pairs[-1]
    first_sentence = re.split(r"(?<=[.!?])\s+", _CITATION.sub("", last_answer).strip(), maxsplit=1)[0]
    candidates = [_numbered(name, text) for text in (first_sentence, last_question, last_answer)
                  for name in named_entities(text)]
    others = _others_than_asked(first_sentence, last_question) if _ONE_PERSON.search(question) else set()
    candidates = [name for name in candidates if name not in others]
    # Multi-word names ("Igor Sushko") identify better than lone capitalized words ("March", "Russian").
    candidates.sort(key=lambda name: " " not in name)
    lowered = question.lower()
    extra: list[str] = []
    for name in candidates:
        if name.lower() in lowered or any(name in e for e in extra):
            continue
        extra = [e for e in extra if e not in name]  # keep the longer form of a name
        extra.append(name)
        if len(extra) == MAX_ENTITIES:
            break
    if not extra:
        extra = [t for t in _turn_terms(last_question) if t not in lowered][:MAX_ENTITIES]
    if not extra:
        return question
    return f"{question} ({'; '.join(extra)})"


__all__ = ["MAX_ENTITIES", "QueryContext", "REFERRING_WORDS", "Retrieval", "asked_part", "asked_question",
           "contextualize", "is_follow_up", "named_entities", "resolved_subject"]
