"""What kind of answer a question expects, and whether a sentence can supply it.

Classic question-answering signal: "How many ..." wants a number, "When ..." a date, "Who ..." a name,
"What does FSB stand for?" an expansion of FSB. A sentence that talks about the right subject but cannot
contain the expected kind of answer ("Hokkaido lies between ...") should not be quoted as the answer to
"What is the population of Hokkaido?", and the answerer uses this to rank sentences and to abstain.
"""

from __future__ import annotations

import re
from enum import Enum
from functools import lru_cache
from typing import Callable

from kb.text import CARDINAL_WORDS, MONTHS, STOPWORDS, content_stems, fold, named_entities, stem


class AnswerType(str, Enum):
    NUMBER = "number"  # a count: "four" will do
    QUANTITY = "quantity"  # a measured amount: digits or a magnitude word
    DATE = "date"
    PERSON = "person"
    ORGANIZATION = "organization"
    PLACE = "place"
    EXPANSION = "expansion"


_NUMBER_Q = re.compile(r"\bhow many\b|\bwhat number\b", re.I)
_QUANTITY_Q = re.compile(
    r"\b(how (much|old|far|long|large|big|tall|high|deep|wide|often|fast|heavy)|what (percentage|percent|proportion|"
    r"fraction|amount|size|population|distance|height|length|area|temperature|cost|price)|population of|"
    r"boiling point|melting point)\b", re.I)
_DATE_Q = re.compile(r"^\s*when\b|\b(what|which) (years?|dates?|days?|months?|seasons?|century|centuries|decades?|"
                     r"time|period|era)\b|\bin what years?\b", re.I)
# How precise a date the question asks for: "On what day did the invasion start?" is not answered by "in the summer
# of 2021", nor "What year ..." by "in June". "When" takes any date.
_DATE_UNIT_Q = re.compile(r"\b(?:what|which) (year|date|day|month|season)s?\b", re.I)  # "In which years ..." too
_PERSON_Q = re.compile(r"^\s*(who|whom|whose)\b|\b(which|what) (person|man|woman|king|president|author|writer|scientist)\b", re.I)
_ORG_Q = re.compile(
    r"\b(which|what) (company|companies|organi[sz]ation|agency|firm|group|newspaper|publication|publisher|website|"
    r"magazine|network|institution|university|party|team|club|corporation|business|outlet|department)\b", re.I)
_PLACE_Q = re.compile(r"^\s*where\b|\b(which|what) (country|city|town|region|state|place|continent|island|location|province)\b", re.I)
_EXPANSION_Q = re.compile(r"\bwhat (does|do|is) (?:the )?([A-Z][A-Za-z]{1,7}|[A-Z]{2,8}) (stand for|mean|short for)\b|\b(?:acronym|abbreviation)\b", re.I)

# What a price, a cost, a fee or a sum paid is asked for with: "How much did the repair cost?", "How much does the
# federation pay each year?", "What is the annual fee?", "How much money ...?". "How much" must be the sum itself
# (an auxiliary right after it): "How much time do they spend", "How much oil does Russia sell" ask for other
# amounts. Not "How much did nurses' pay increase?" (a change), "What is the rent increase cap?", "the cost of
# living index": a hunt found each of these answered right before and abstained on by a looser pattern.
_AUX = r"(?:do|does|did|will|would|is|was|are|were|has|have|had|can|could|should)"
_MONEY_Q = re.compile(
    rf"\bhow much money\b|\bfor how much\b|"
    rf"\bhow much {_AUX}\b[^?]*?\b(?:cost|costs|costing|worth)\b(?! of living)|"
    # "What did the repair cost?", not "What did the war cost the empire in lives?"
    rf"\bwhat (?:do|does|did|will|would)\b[^?]*?\b(?:cost|costing)\b(?! of living)(?![^?]*\bin (?:lives|terms)\b)|"
    rf"\bhow much {_AUX}\b[^?]*?\b(?:pay|pays|paid|charge|charges|charged|spend|spends|spent|earn|earns|earned|owe|"
    rf"owes|owed|bid|invest|invested)\b(?!\s+(?:increases?|rises?|grows?|falls?|drops?|changes?|went|go|goes)\b)|"
    rf"\bhow much\b[^?]*?\b(?:sell|sells|sold|selling) for\b|"
    rf"\bwhat (?:is|was|are|were|will be)(?: the)? (?:\w+ )?(?:cost|price|fee|fare|fine|rent|salary|wage|budget|revenue|"
    rf"bid|tuition|allowance|stipend|deposit)(?=\s+(?:of|for|to|per|on|at|in)\b|\s*\?|\s*$)(?! of living)", re.I)
# "How much is parking at Kessler Annex?", "How much was the combined wealth ...?": "how much" before "is" and a thing
# asks what it costs or is worth, unless a verb follows the thing ("How much is terra preta distributed over the
# forest?", "How much is left?" ask an amount). A verb here is a past participle (-ed, -en, -wn or a common irregular
# one) before a preposition or the question's end, not one before its noun ("the guided onboarding package").
_HOW_MUCH_IS = re.compile(r"\bhow much (?:is|are|was|were)\b(?P<rest>[^?]*)", re.I)
_PARTICIPLE = re.compile(r"\b(?:[a-z]+(?:ed|en|wn)|left|lost|kept|made|done|sold|held|built|spent|sent|lent|put|cut|set|"
                         r"brought|bought|caught|taught|thought|found|told|said|run|won|owed|grown)\b"
                         r"(?=\s*(?:$|\b(?:over|by|in|to|from|on|at|each|per|every|for|during|into|across|through|"
                         r"with|about|a|an|the)\b))", re.I)


def _asks_what_it_costs(question: str) -> bool:
    """"How much is X?" with X a thing, not an action (_HOW_MUCH_IS)."""
    m = _HOW_MUCH_IS.search(question)
    return m is not None and _PARTICIPLE.search(m.group("rest")) is None


# An age: "How old is Ruth Okafor?" is answered by a number of years ("3 years old", "over the age of 18", "4.6 billion
# years"), not by the years she joined and was promoted in.
_AGE_Q = re.compile(r"\bhow old\b", re.I)
_NUMBER_WORDS = "|".join(sorted(CARDINAL_WORDS | {"million", "billion", "dozen", "half", "third", "quarter"}))
# A year is a date, not a count: "in 2021" does not answer "how many helicopters".
_AMOUNT = r"(?<![\d.,])(?!(?:1[5-9]|20)\d\d(?![\d.,]\d))\d"
# A sum of money: a currency sign or code next to digits, or a number (digits or words, with a magnitude) right
# before a currency's name ("6 million Lira", "five euros", "75 bitcoin"). A currency's name alone is no sum: "Mark
# Hansen, 54", "won 31 fights", "Papua New Guinea has 10 million people".
_CURRENCY_NAMES = (
    "dollars?|euros?|pounds?|sterling|yen|yuan|renminbi|rubles?|roubles?|rupees?|francs?|marks?|pesos?|won|"
    "kron[aeo]r?|krone|lira|lire|shekels?|dinars?|dirhams?|riyals?|rials?|rand|zlotys?|forints?|baht|ringgit|"
    "cents?|pence|penny|pennies|guineas?|shillings?|livres?|ducats?|florins?|guilders?|bitcoins?|naira|cedis?|"
    "rupiah|dong|hryvnias?|leva|lev|lei|leu|kuna|tenge|taka|kwacha|birr")
_CURRENCY_CODES = ("USD|EUR|GBP|JPY|CNY|RMB|RUB|INR|CHF|CAD|AUD|NZD|HKD|SGD|SEK|NOK|DKK|PLN|KRW|BRL|MXN|ZAR|TRY|AED|"
                   "SAR|QAR|KWD|EGP|NGN|KES|IDR|THB|VND|PHP|PKR|BDT|UAH|CZK|HUF|RON|BGN|ILS|ARS|CLP|COP|PEN|TWD|MYR|"
                   "BTC|ETH")
_MAGNITUDE = r"(?:\s*(?i:hundred|thousand|million|billion|trillion|mn|bn|m|k))?"
_SUM = re.compile(
    rf"[$€£¥₹₽₩₺₪]\s?\d|\d\s?[€£¥₹₽₩₺₪¢]|"
    rf"(?:\d[\d,.]*|\b(?i:{_NUMBER_WORDS}|a|an)){_MAGNITUDE}[\s-]+(?:(?i:US|U\.S\.|Hong Kong|Canadian|Australian|"
    rf"New Zealand|Singapore|Taiwan)\s+)?\b(?i:{_CURRENCY_NAMES})\b|"
    rf"\b(?:{_CURRENCY_CODES})\s?\d|\d[\d,.]*{_MAGNITUDE}\s?(?:{_CURRENCY_CODES})\b")
# A number said to be a price, where the currency goes without saying ("Price | 52.00", "a fee of 40 per month").
_PRICE_WORD = re.compile(r"\b(price|prices|priced|cost|costs|fee|fees|fare|fares|tariff|tariffs)\b", re.I)
# Nothing to pay ("Entry is free", "free of charge", "at no cost"), not any "free" ("a free kick", "free trade").
_NO_CHARGE = re.compile(
    r"\b(free of (charge|cost)|for free|(is|are|was|were|be|been|stays?|remains?|enters?|entry|admission) free\b|"
    r"free (entry|admission|access|of cost)|at no (extra |additional )?(charge|cost)|no (extra |additional )?"
    r"(charge|cost|fee)s?\b|costs? nothing|pay nothing|without charge|complimentary)", re.I)
_HAS_NUMBER = re.compile(rf"{_AMOUNT}|\b({_NUMBER_WORDS})\b", re.I)
_HAS_QUANTITY = re.compile(
    rf"{_AMOUNT}|\b(hundreds?|thousands?|millions?|billions?|trillions?|dozens?|half|percent|per cent)\b", re.I)
_MONTHS = r"january|february|march|april|may|june|july|august|september|october|november|december"
_WEEKDAYS = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_YEAR = r"(1\d{3}|2[01]\d{2})"  # to 2199: "by 2100" is a year
_HAS_DATE = re.compile(
    rf"\b{_YEAR}s?\b|\b({_MONTHS}|{_WEEKDAYS}|century|centuries|decade|bc|ad|bce)\b", re.I)
_HAS_UNIT = {
    "year": re.compile(rf"\b{_YEAR}\b"),
    "month": re.compile(rf"\b({_MONTHS})\b", re.I),
    # a day of a month ("February 24", "24 February", "24th of February"), a numeric date, or a weekday
    "day": re.compile(rf"\b({_MONTHS})\.?\s+\d{{1,2}}(st|nd|rd|th)?\b|\b\d{{1,2}}(st|nd|rd|th)?\s+(of\s+)?({_MONTHS})\b|"
                      rf"\b\d{{4}}-\d{{2}}-\d{{2}}\b|\b\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}}\b|\b({_WEEKDAYS})\b", re.I),
}
#: A season, the unit "In which season of 2021 ...?" asks for, or one a word names ("the dry season", "the breeding
#: season"); not among _HAS_UNIT, whose units make a statement state a date (states_date): "fall" and "spring" are as
#: often a verb or a water source.
_SEASON = re.compile(r"\b(spring|summer|autumn|winter|fall|[\w-]+\s+seasons?)\b", re.I)
_ORG_WORD = re.compile(
    r"\b(Ltd|Inc|Corp|Corporation|Company|Co|LLC|GmbH|Group|Agency|Service|Organi[sz]ation|Association|Institute|"
    r"University|Council|Committee|Ministry|Department|Bureau|Foundation|Party|Times|Post|News|Press|Network|Bank|"
    r"Express|Airlines|Society|Commission|Federation|Union|Club)\b")
_PLACE_CUE = re.compile(r"\b(in|at|from|near|to|into|across|based|capital|city|country|region)\s+(the\s+)?[A-Z]|-based\b")


def expected_type(question: str) -> tuple[AnswerType | None, str | None]:
    """The answer type a question asks for, with its detail: the acronym of an expansion question, the unit of a
    date question ("year", "month", "day", "season"; None for "when"), "money" for a quantity that is a price or a sum
    paid, "age" for "How old ...?"."""
    m = _EXPANSION_Q.search(question)
    if m and m.group(2) and _is_acronym(m.group(2)):
        return AnswerType.EXPANSION, m.group(2)
    if _MONEY_Q.search(question) or _asks_what_it_costs(question):
        return AnswerType.QUANTITY, "money"
    if _AGE_Q.search(question):
        return AnswerType.QUANTITY, "age"
    if _QUANTITY_Q.search(question):
        return AnswerType.QUANTITY, None
    if _NUMBER_Q.search(question):
        return AnswerType.NUMBER, None
    if _DATE_Q.search(question):
        unit = _DATE_UNIT_Q.search(question)
        return AnswerType.DATE, unit.group(1).lower().replace("date", "day") if unit else None
    if _ORG_Q.search(question):
        return AnswerType.ORGANIZATION, None
    if _PERSON_Q.search(question):
        return AnswerType.PERSON, None
    if _PLACE_Q.search(question):
        return AnswerType.PLACE, None
    return None, None


def _asking_clause(question: str) -> str:
    """The clause a question asks with, its last: "Since NASA didn't know how many attempts each test would need, what
    did they use instead of numbers?" asks what, not how many."""
    return re.split(r"[,;:]", question)[-1]


def asks_count(question: str) -> bool:
    """The question asks how many, in the clause it asks with (_asking_clause)."""
    return bool(_NUMBER_Q.search(_asking_clause(question)))


#: Who a question asks for by the post or calling they hold: "Which Newsweek reporter wrote the story?", "Which
#: lawmaker questioned Hayashi?", "What German poet ...?", "the name of the U.S. president who ...". Nouns that name
#: one person's role, not ones that are as often a modifier or a thing ("general", "official", "student", "chair",
#: "manager", "editor", "explorer", "governor"): "What official language", "Which student newspaper", "the password
#: manager the company gives us" ask for no one; "vice-premier" and "co-founder" are posts. Not a role followed by
#: "of" or "for" ("Which minister of state ...") nor a possessive ("Which president's administration ...?": what is
#: asked is the thing).
_ROLES = (r"reporter|journalist|correspondent|columnist|lawmaker|legislator|senator|congressman|congresswoman|admiral|"
          r"president|prime minister|minister|premier|chancellor|founder|co-founder|author|writer|poet|"
          r"novelist|playwright|painter|composer|scientist|physicist|chemist|biologist|economist|historian|"
          r"philosopher|leader|politician|commander|spokesman|spokeswoman|spokesperson|chairman|chairwoman|ceo|king|"
          r"queen|emperor|empress|pope|bishop|mayor|ambassador|diplomat|architect|astronaut|actor|"
          r"actress|singer|monarch|pharaoh|prince|princess|duke|lawyer|judge|activist|inventor|mathematician|"
          r"professor|director|whistleblower|engineer|officer|administrator|secretary")
_NOT_A_MODIFIER = (r"(?!(?:is|was|are|were|did|does|do|has|have|had|can|could|will|would|should|may|might|of|to|in|"
                   r"the|a|an)\b)")
_ROLE_Q = re.compile(
    rf"(?:\b(?:which|what)\s+|\bnames?\s+of\s+(?:the\s+|a\s+|an\s+)?|^\s*who\s+(?:is|was)\s+(?:the|a|an)\s+)"
    rf"(?:{_NOT_A_MODIFIER}[\w.'’-]+\s+){{0,3}}?(?:\w+-)?(?:{_ROLES})\b(?!['’]s\b|\s+(?:of|for)\b)", re.I)


def asks_person_by_role(question: str) -> bool:
    """The question asks for a person by their post or calling, in the clause it asks with, so its answer is a name:
    "Which lawmaker ...?", "Who was the secondary on-call engineer ...?". Not any "who": SQuAD's are answered "the
    Huguenots", "political parties", "those who already hold wealth" as often."""
    return bool(_ROLE_Q.search(_asking_clause(question)))


#: Who leads, runs or owns something, or was given it to do: "Who manages the Red team?", "Who leads the utility?",
#: "Who led the response to the outage?", "Who was given the task of splitting the files?". A person or an organisation
#: answers, by name; SQuAD's nameless "who" answers ("political parties", "those who already hold wealth") answer other
#: verbs, and so do groups that sign, approve or are responsible ("the auditors signed the report").
_LEADS_Q = re.compile(r"^\s*who\s+(?:manages|managed|leads|led|heads|headed|runs|ran|chairs|chaired|directs|directed|"
                      r"oversees|oversaw|supervises|supervised|owns|owned|founded|commands|commanded|governs|governed|"
                      r"(?:is|was|has\s+been)\s+(?:assigned|tasked|given\s+the\s+(?:task|job))\b)\b",
                      re.I)


#: An organisation or a place asked for by its kind: "Which contractor will install the corrosion protection?", "In
#: which city is Japan Luggage Express headquartered?", "Which identity providers did we test SSO with?" (one word may
#: stand before the kind, no auxiliary: not "What does state law say?"). Its name answers: "Install corrosion
#: protection on the remaining 1.4 miles ... by June 2024." names no contractor, "Japan Luggage Express Ltd." no city,
#: "we have tested with the three most common ones" no provider.
_NOT_A_MODIFIER = r"(?:is|was|are|were|do|does|did|has|have|had|will|would|can|could|should|the|a|an)\b"
_KINDS_NAMED = (r"(?:company|companies|contractors?|firms?|vendors?|suppliers?|banks?|employers?|"
                r"agency|agencies|airlines?|manufacturers?|publishers?|newspapers?|universit(?:y|ies)|"
                r"colleges?|schools?|clubs?|part(?:y|ies)|organi[sz]ations?|charit(?:y|ies)|businesses|"
                r"corporations?|city|cities|countr(?:y|ies)|towns?|states?|provinces?|regions?|continents?|"
                r"islands?|rivers?|count(?:y|ies)|capitals?|nations?|villages?|customers?|clients?|"
                r"providers?)\b")
_NAMED_KIND_Q = re.compile(rf"\b(?:which|what)\s+(?:(?!{_NOT_A_MODIFIER})[\w-]+\s+)?{_KINDS_NAMED}", re.I)
#: The same kind as what someone has: "What was Marcus Adeyemi's previous employer?", "What is the firm's home city?".
_OWNED_KIND_Q = re.compile(rf"\b(?:which|what)(?:['’]s|\s+is|\s+was|\s+are|\s+were)\s+[^?]*?['’]s?\s+"
                           rf"(?:[a-z][\w-]*\s+)?{_KINDS_NAMED}(?=\s*\??\s*$|\s+(?:called|named|before|after|"
                           r"in|at|of|for|when|did|does|do|is|was|were|are)\b)", re.I)


def asks_named_by_kind(question: str) -> bool:
    """The clause the question asks with asks for an organisation or a place by its kind ("Which contractor ...?", "In
    which city ...?", "What was Marcus Adeyemi's previous employer?"), so a name answers it."""
    clause = _asking_clause(question)
    return bool(_NAMED_KIND_Q.search(clause) or _OWNED_KIND_Q.search(clause))


#: A name asked for in a language or a people's own words: "What Russian name did Moscow say it would give the Kuril
#: Islands?", "What is the Latin name for ...?". The name itself answers, a name the question does not hold (as
#: names_someone reads one): "Moscow responded saying that it would give a Russian name to the Kuril Islands." only
#: restates the question.
_QUALIFIED_NAME_Q = re.compile(r"\b(?:[Ww]hat|[Ww]hich)\s+(?:is\s+the\s+|was\s+the\s+)?(?:exact\s+|actual\s+)?"
                               r"[A-Z][a-z]+\s+names?\b")


def asks_a_qualified_name(question: str) -> bool:
    """The clause the question asks with asks for a name in a language or a people's words (_QUALIFIED_NAME_Q)."""
    return bool(_QUALIFIED_NAME_Q.search(_asking_clause(question)))


_EARLIER_WORDS = r"before|previous|previously|former|formerly|prior|earlier|used\s+to"
#: A question about an earlier time than now: "before", "previous job", "last year", "used to".
EARLIER = re.compile(rf"\b(?:{_EARLIER_WORDS}|last\s+year)\b", re.I)
#: A statement of how things are now, and of nothing earlier: "The minimum supported Android version is now Android
#: 10." says what replaced the earlier version, not which it was.
_NOW = re.compile(r"\b(?:now|currently|nowadays|presently)\b", re.I)
_THEN = re.compile(rf"\b(?:{_EARLIER_WORDS}|was|were|had|until|from|old|replac\w*|rais\w*|chang\w*|instead)\b", re.I)


def answers_an_earlier_time(question: str, text: str) -> bool:
    """False when the question asks about an earlier time (EARLIER, in the clause it asks with) and the text says only
    how things are now: "What was the minimum supported Android version before Ferrypoint 4.0?" is not answered by
    "The minimum supported Android version is now Android 10."."""
    return not (EARLIER.search(_asking_clause(question)) and _NOW.search(text) and not _THEN.search(text))


#: A question answered yes or no.
_YES_OR_NO = re.compile(r"^\s*(?:is|are|was|were|does|do|did|has|have|had|can|could|will|would)\b", re.I)


def asks_yes_or_no(question: str) -> bool:
    return _YES_OR_NO.match(question) is not None


def adds_nothing(text: str, question: str) -> bool:
    """Every word of meaning in the text is the question's own (a word that begins another counts: "Prerequisite"
    for "prereqs"), so it cannot say what the question asks: "Prerequisite: MGS 320." for "prereqs for MGS 320?" is a
    line of another course's entry. Only yes or no is answered that way ("Does Hilltop offer physiotherapy?" ->
    "Hilltop offers physiotherapy.")."""
    if numbers(text) - numbers(question):
        return False  # "3 incidents": a one-digit number is no word of meaning to content_stems
    asked = content_stems(question)
    return all(any(len(a) >= 4 and (word.startswith(a) or a.startswith(word)) for a in asked)
               for word in content_stems(text) - asked)


def asks_when(question: str) -> bool:
    """The clause the question asks with asks for a date or a time ("When people take on debt, it leads to what?"
    asks what)."""
    return expected_type(_asking_clause(question))[0] is AnswerType.DATE


#: Words that say when without a date: "after the war", "during the Oligocene", "at night", "in the 1890s", "on
#: weekdays from 8am to 6pm", "opens at 9", "every Monday", and the conditions a "when" is answered with ("if a plant is injured",
#: "under intense light"). Not "after 4.0": a version ("When did version 4.1 ship?"); "after 4.30" is a time.
_TIME_WORDS = re.compile(r"\b(?:(?:after|before|until|till|since)(?!\s+v?\d+\.\d\b)|during|while|when|whenever|once|"
                         r"if|unless|under|"
                         r"period|era|ages?|centur(?:y|ies)|seasons?|times?|days?|nights?|morning|evening|afternoon|"
                         r"weeks?|months?|years?|decades?|early|late|later|earlier|ago|now|then|soon|first|last|next|"
                         r"previous|following|end|"
                         r"beginning|start|onset|spring|summer|autumn|fall|winter|daily|weekly|annually|every|each|"
                         r"always|never|immediately|weekdays?|weekends?|holidays?|hours?|noon|midnight|overnight|today|"
                         r"tonight|tomorrow|yesterday|o['’]clock|a\.m\.|p\.m\.|\d{1,2}(?::\d\d)?\s?(?:am|pm)|"
                         r"\d{1,2}:\d\d|\d{4}s|at\s+\d{1,2}(?:\.\d\d)?)\b", re.I)


def speaks_of_time(text: str, past: bool = False) -> bool:
    """The text says when, by a date (states_date) or a word of time (_TIME_WORDS). ``past``: when something was
    done ("When was the Main Office built?"), which a timetable or opening hours do not say ("It is open Monday
    through Friday, 8:00 a.m. to 5:00 p.m."; _SCHEDULE)."""
    if past:
        text = _SCHEDULE.sub(" ", text)
    return states_date(text) or _TIME_WORDS.search(text) is not None


#: What a timetable says: days of the week in a range or in the plural, "every ...", opening hours, a span of clock times.
_CLOCK = r"(?<![\d.])(?:\d{1,2}:\d\d\s*(?:a\.m\.|p\.m\.|am|pm)?|\d{1,2}\s*(?:a\.m\.|p\.m\.|am|pm))"
_SCHEDULE = re.compile(rf"\b(?:{_WEEKDAYS})s?\s*(?:through|to|-|–|and)\s*(?:{_WEEKDAYS})s?\b|\b(?:{_WEEKDAYS})s\b|"
                       rf"\b(?:every|each)\s+\w+|\b(?:daily|weekly|weekdays?|weekends?|open|opens|opening|hours)\b|"
                       rf"{_CLOCK}\s*(?:to|-|–|until)\s*{_CLOCK}", re.I)
#: A "when" about something done once, in the past: "When was ...", "When did ...".
_PAST_WHEN = re.compile(r"^\s*when\s+(?:was|were|did|had)\b", re.I)


#: A question about what was done: its asking clause asks with "did" ("When did Samuel Adeyemi join the utility?",
#: "What did the board decide at the April 11 meeting?"), or "when was / were / had", and says nothing of a plan. Not
#: "Who was given the task of splitting the values files?": a task given is answered by what the person will do.
_PAST_Q = re.compile(r"^\s*(?:[\w'’-]+\s+){0,4}?did\b|^\s*when\s+(?:was|were|had)\b", re.I)
_WH = re.compile(r"\b(?:what|when|who|whom|whose|where|which|why|how)\b", re.I)
#: What is still to come: a plan, a schedule, a deadline ahead ("which is due to finish in 2027", "The next regular
#: meeting is scheduled for April 11, 2023.").
_FUTURE = re.compile(r"\b(?:will|shall|would|due|scheduled|planned|plans?|planning|expected|expects?|upcoming|next|"
                     r"intends?|intended|going\s+to|future)\b", re.I)
#: A word of something done: a past form of "be", "have" or "do", or a verb in -ed (not the plan's own words).
_DONE = re.compile(r"\b(?:was|were|had|did|been|ago|last|previously|formerly)\b|"
                   r"\b(?!(?:scheduled|planned|expected|intended)\b)[a-z]{3,}ed\b", re.I)


def asks_of_the_past(question: str) -> bool:
    """The question asks what was done (_PAST_Q, in its last clause with a question word: "April 11, 2023" splits
    none), not what was planned or expected (_FUTURE)."""
    clauses = [c for c in re.split(r"[,;:]", question) if _WH.search(c)]
    return _PAST_Q.search(clauses[-1] if clauses else question) is not None and _FUTURE.search(question) is None


#: A line's first word, after a list's marks: where an instruction has its verb ("Install ...", "- Replace ...").
_OPENING_WORD = re.compile(r"^[\s*_>•#|-]*(?:\d{1,2}[.)]\s+)?([A-Z][a-z]+)\b")
#: A line that opens with a label of up to four words: "Release date: ...", "**Install window:** ...".
_LABELLED = re.compile(r"^[\s*_>•#|-]*(?:[\w'’-]+\s+){0,3}[\w'’-]+[*_]*:")


def instructs_what_is_asked(text: str, question: str) -> bool:
    """The text tells someone to do what the question asks was done: "Install corrosion protection on the remaining
    1.4 miles of the Route 9 transmission main by June 2024." opens with the bare verb of "When was it installed?"
    (installed, replaced, stopped, applied): an instruction or a plan's action, not a report that it was done. Not a
    label's first word ("Release date: 12 September 2023" for "When was Ferrypoint 4.0 released?")."""
    m = _OPENING_WORD.match(text)
    if m is None or _LABELLED.match(text):
        return False
    verb = m.group(1).lower()
    done = {verb + "ed", verb + "d", verb + verb[-1] + "ed", verb[:-1] + "ied" if verb.endswith("y") else ""}
    return any(w.lower() in done for w in re.findall(r"[A-Za-z]+ed\b", question))


def speaks_only_of_the_future(text: str) -> bool:
    """The text says what is to come and nothing done (_FUTURE, no _DONE): "Samuel Adeyemi oversees the Hollow Lake
    plant upgrade, which is due to finish in 2027." says nothing of when he joined."""
    return _FUTURE.search(text) is not None and _DONE.search(text) is None


def asks_when_it_was(question: str) -> bool:
    """The question asks when something was done (_PAST_WHEN)."""
    return _PAST_WHEN.search(question) is not None


def asks_why(question: str) -> bool:
    """The question asks why ("Why did Commissioner Ferreira vote for the rate adjustment?")."""
    return re.match(r"\s*why\b", question, re.I) is not None


#: Words that tie a statement to a cause, a purpose or the circumstance it happened in: "because", "due to", "so
#: that", "which reflects the desire", "in protest against", "after the bill has been passed", "as the demand for
#: higher quality housing increased", "for fear of violence", "by using net wealth". A statement with none of them only
#: says that something is so ("Commissioner Ferreira moved to approve the rate adjustment.").
#: Not "as" before a role or in a set phrase ("will stand down as a trustee", "as well as", "as of"), nor "for" before
#: a length of time or a count ("closed to traffic for 31 hours"): those say in what capacity and for how long.
_NO_REASON_AFTER_AS = r"(?<!such\s)(?<!as\swell\s)(?!\s+(?:a|an|well|of|part|to|such|far|long|much|many|soon)\b)"
_NO_REASON_AFTER_FOR = (r"(?!\s+(?:\d|(?:a\s+(?:few|couple|while|period|day|week|month|year|decade)|about|over|nearly|"
                        r"almost|more|less|several|many|some|two|three|four|five|six|seven|eight|nine|ten|hours?|days?|"
                        r"weeks?|months?|years?|decades?)\b))")
_REASON_WORDS = re.compile(r"\b(?:because|since|due|owing|thanks|result(?:s|ed|ing)?|reasons?|caus(?:e|es|ed|ing)|"
                           r"lead|leads|led|so|therefore|thus|hence|purpose|aims?|order|fear|protest|reflect(?:s|ed|ing)?|"
                           rf"after|when|while|as\b{_NO_REASON_AFTER_AS}|for\b{_NO_REASON_AFTER_FOR}|by|if|unless|"
                           r"without|through|via)\b", re.I)


def gives_a_reason(text: str) -> bool:
    """The text holds a word that ties it to a cause, a purpose or a circumstance (_REASON_WORDS)."""
    return _REASON_WORDS.search(text) is not None


#: When something was said and to whom, which a statement may add to what a question states without giving its
#: reason: "Colin Dart informed the board that he will stand down as a trustee at the annual meeting in June." for
#: "Why is Colin Dart standing down as a trustee?". Dates, numbers, words of time, and the verbs of telling.
_TOLD_WHEN = re.compile(rf"\b(?:{_MONTHS}|{_WEEKDAYS}|annual|yearly|monthly|\d[\d,.]*(?:st|nd|rd|th)?|"
                        r"informed|informs|inform|told|tells|tell|reported|reports|said|says|announced|announces|"
                        r"confirmed|confirms|noted|notes|stated|states|wrote|writes)\b", re.I)


def without_when_told(text: str) -> str:
    """The text without its dates, words of time and verbs of telling (_TOLD_WHEN, _TIME_WORDS): what is left says
    what happened, or why."""
    return _TIME_WORDS.sub(" ", _TOLD_WHEN.sub(" ", text))


def asks_who_leads(question: str) -> bool:
    """The question asks who leads, runs, owns or founded something, in the clause it asks with."""
    return bool(_LEADS_Q.search(_asking_clause(question)))


def states_date(text: str) -> bool:
    """The text names a calendar date (a year, a month, a day or weekday), whoever else states it too. Not a bare
    "century" or "decade": "the 19th century" answers "In what century ...?" with a word the question has."""
    return any(pattern.search(text) for pattern in _HAS_UNIT.values())


def years(text: str) -> frozenset[str]:
    """The years a text states ("in 2021", "by 2100")."""
    return frozenset(m.group(0) for m in _HAS_UNIT["year"].finditer(text))


_WORD_BEFORE = re.compile(r"([A-Za-z][\w-]*) $")
_WORD_AFTER = re.compile(r" ([A-Za-z][\w-]*)")


def labelled_years(text: str) -> frozenset[tuple[str, str]]:
    """Each year the text states with the word that names what it is the year of, written right before or after it:
    ("year", "2021") for "fiscal year 2021", ("budget", "2022") for "the 2022 budget". Not a stopword ("in 2021")
    nor a month ("June 14, 2021" names a day of it)."""
    found: set[tuple[str, str]] = set()
    for m in _HAS_UNIT["year"].finditer(text):
        # the word before is looked for in the 40 characters before the year, not from the text's start
        for word in (_WORD_BEFORE.search(text, max(0, m.start() - 40), m.start()), _WORD_AFTER.match(text, m.end())):
            label = fold(word.group(1)) if word is not None else ""
            if label and label not in STOPWORDS and label not in MONTHS:
                found.add((label, m.group(0)))
    return frozenset(found)


def labels_another_year(asked: frozenset[tuple[str, str]], text: str) -> bool:
    """The text gives what the question names by a year ("fiscal year 2021") to another year, and never to the
    question's: "The Board adopted the Fiscal Year 2022 budget on June 14, 2021." is about fiscal year 2022, though it
    states 2021 too."""
    if not asked:
        return False
    stated = labelled_years(text)
    return any(any(other[0] == label and other[1] != year for other in stated) and (label, year) not in stated
               for label, year in asked)


#: A number as a text writes it ("4.2", "10,000", "28th", also in "v4.2" or "5km"), not part of a time ("9:30"). A
#: comma joins only groups of three digits: "1,3 and 7" is a list.
_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)*"
_NUMBER_TOKEN = re.compile(rf"(?<![\d.:]){_NUMBER}(?:st|nd|rd|th)?(?![\d:]|\.\d|,\d{{3}})")
#: ... and one a question states as a word of its own: after a space, a bracket, a quote or a currency sign, before a
#: space or punctuation. "6-carbon", "COVID-19" and markup pasted with a question ("window.x=5") name no figure the
#: cited document must state.
_ASKED_NUMBER = re.compile(rf"(?<![^\s(\[\"'“‘£$€#]){_NUMBER}(?:st|nd|rd|th)?(?![^\s,.;:!?)\]\"'”’%])")
_SPELLED = dict(zip((str(n) for n in range(1, 13)),
                    "one two three four five six seven eight nine ten eleven twelve".split()))
_SPELLED_ORDINAL = dict(zip((str(n) for n in range(1, 13)),
                            "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split()))


def numbers(text: str, pattern: re.Pattern[str] = _NUMBER_TOKEN) -> frozenset[str]:
    """The numbers a text states, each as one token without thousands separators or ordinal ending ("10,000" ->
    "10000", "28th" -> "28"), so a version ("4.2") stays whole where the word split makes it "4" and "2"."""
    return frozenset(re.sub(r"(st|nd|rd|th)$", "", m.group(0)).replace(",", "") for m in pattern.finditer(text))


def asked_numbers(question: str) -> frozenset[str]:
    """The numbers a question names as words of their own, other than years (those have their own checks:
    kb.answer.extractive)."""
    return numbers(question, _ASKED_NUMBER) - years(question)


def states_year(vocabulary: frozenset[str], year: str) -> bool:
    """The document's words state the year: as such, by its decade ("1980s"), or run into a label ("FY2023")."""
    return year in vocabulary or f"{year[:3]}0s" in vocabulary or any(
        w.endswith(year) and w[: -len(year)].isalpha() for w in vocabulary)


#: A date written in numbers with its year: "13/03/2024", "13.03.2024", "2024-03-06" (day or month first: both read).
#: Stricter than _HAS_UNIT's numeric date (a four-digit year): read over whole documents, "v1.2.24" is no date.
_NUMERIC_DATE = re.compile(r"\b(?:(\d{1,2})[/.](\d{1,2})[/.]\d{4}|\d{4}-(\d{1,2})-\d{1,2})\b")
_MONTH_NAME = {n: name for name, n in reversed(list(MONTHS.items()))}  # 3 -> "march", the full name last written


def months_of_numeric_dates(text: str) -> frozenset[str]:
    """The month names a text states only in numbers ("published 13/03/2024" states March), for a document's words
    (kb.answer.grounding.document_words), so that states_month finds them. Either of a date's first two numbers may be
    its month ("03/04/2024" is March or April, by the writer's country)."""
    found = set()
    for m in _NUMERIC_DATE.finditer(text):
        for part in (m.group(1), m.group(2)) if m.group(1) else (m.group(3),):
            if 1 <= int(part) <= 12:
                found.add(_MONTH_NAME[int(part)])
    return frozenset(found)


def states_month(vocabulary: frozenset[str], month: str) -> bool:
    """The document's words state the month: by its name, a short form ("Sept"), or in a numeric date
    (months_of_numeric_dates: "13/03/2024" states March)."""
    number = MONTHS[month]
    return any(name in vocabulary for name, n in MONTHS.items() if n == number)


def states_number(vocabulary: frozenset[str], number: str) -> bool:
    """The number among a document's words (kb.answer.grounding.document_words keeps numbers whole), or spelled
    out ("six" for 6, "third" for 3rd)."""
    return number in vocabulary or _SPELLED.get(number, "") in vocabulary or _SPELLED_ORDINAL.get(number, "") in vocabulary


#: Contact details a question can ask for, each with what states one: "What is Wen Jie Thornbury's email address?"
#: is answered by an address and nothing else, however well a sentence naming her matches. Only a question that asks
#: what the detail is ("What is ...", "Which ..." with the detail as what it asks for): "How can I update my phone
#: number?" or "What happens if I change my email address?" asks for steps, and an FAQ's answer holds no number.
#: Extension first: "phone extension" asks for the short number.
_NOT_THE_THING = (r"(?!(?:happens?|happened|if|when|where|how|do|does|did|should|can|could|would|will|to|i|we|you|they|"
                  r"he|she|it|of|for|with|about|after|before|change|changed|update|updated|find|reset|use|used)\b)")
_ASKS_WHAT = rf"^\s*(?:what|which)(?:['’]s|\s+is|\s+are|\s+was|\s+were)?(?:\s+{_NOT_THE_THING}[\w.'’-]+){{0,4}}?\s+"
CONTACT_DETAILS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {  # kind: (the question asks, a text states)
    "extension": (re.compile(_ASKS_WHAT + r"(?:phone\s+)?extension\b", re.I),
                  re.compile(r"(?<!\d)(?<!\d )\d{2,5}(?!\d)(?! \d)")),
    "email": (re.compile(_ASKS_WHAT + r"(?:e-?mail\s+address(?:es)?\b|e-?mail\s*(?:\?|$|for\b|of\b|to\s+(?:reach|"
                                      r"contact)\b))", re.I),
              re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")),
    "phone": (re.compile(_ASKS_WHAT + r"(?:(?:phone|telephone|mobile|cell|fax|contact|office|desk)\s+(?:number|no)\b|"
                                      r"number\s+(?:do\s+i\s+|should\s+i\s+|to\s+)(?:call|ring|dial)\b)", re.I),
              re.compile(r"\+?\d[\d ()./-]{5,}\d")),
    # "What's the web address of the site he runs?" is answered by an address ("Gulagu.net", "www.x.org"), not by
    # "... runs the anti-corruption website".
    "web address": (re.compile(_ASKS_WHAT + r"(?:web\s*(?:site\s+)?address(?:es)?|website\s+address(?:es)?|url|"
                                            r"domain\s+name|web\s*page\s+address)\b", re.I),
                    re.compile(r"\bhttps?://\S+|\bwww\.[\w-]+\.\S+|\b[\w-]+\.(?:com|org|net|gov|edu|io|info|co|"
                               r"[a-z]{2})(?:/\S*)?(?![\w.])", re.I)),
    # "What is the door code for the third-floor entrance?", "What is the course code for the new waves course?" are
    # answered by a code with digits ("MGS 650", "4821"), not by "Your fob opens the third-floor door." A code of a
    # kind that has digits: not "the genetic code", "the code name", "the dress code".
    "code": (re.compile(_ASKS_WHAT + r"(?:(?:door|access|entry|entrance|gate|course|module|class|postal|post|zip|area|"
                                     r"dialling|dialing|country|booking|reference|discount|promo|voucher|coupon|tracking|"
                                     r"product|alarm|lock|keypad|building|wi-?fi|network)\s+code|pin(?:\s+(?:code|number))?|"
                                     r"(?:id|serial|reference|account|order|course|room|flight|policy|case|ticket|badge|"
                                     r"employee|staff|invoice|model|part|version|build)\s+number)s?\b|"
                                     # "Which iOS version does the app need?", "What was the oldest Android version
                                     # it supported?": a version by its number; not "which version of the Bible".
                                     + _ASKS_WHAT + r"(?:[\w-]+\s+)?versions?\b(?!\s+(?:of\b|v?\d))", re.I),
             re.compile(r"\b(?!(?:1[6-9]|20)\d\d\b|\d+(?:st|nd|rd|th)\b)[A-Za-z]*\d[\w./-]*")),  # not a year, not "3rd"
}


def asked_contact(question: str) -> str | None:
    """Which contact detail or code the question asks for ("email", "phone", "extension", "web address", "code"), if
    any."""
    return next((kind for kind, (asks, _) in CONTACT_DETAILS.items() if asks.search(question)), None)


def states_contact(text: str, kind: str, question: str = "") -> bool:
    """The text states a contact detail or code of the kind. A code the question states is not the one it asks for:
    "Ferrypoint 4.0 is the largest update." gives no Android version asked "as of the 4.0 release"."""
    found = CONTACT_DETAILS[kind][1].finditer(text)
    if kind != "code":
        return next(found, None) is not None
    stated = {fold(m.group(0)).rstrip(".") for m in CONTACT_DETAILS[kind][1].finditer(question)}
    return any(fold(m.group(0)).rstrip(".") not in stated for m in found)


def _is_acronym(word: str) -> bool:
    """Two capitals or more ("FSB", "ATP", "GmbH"): the question matches case-blind, and "What does it mean when
    ...?" or "What does isobaric mean?" asks for a meaning, not for letters spelled out."""
    return sum(ch.isupper() for ch in word) >= 2


def _new_names(sentence: str, question_words: set[str], opening_name: Callable[[str], bool] | None = None,
               ) -> list[str]:
    """Capitalized words of the sentence that the question does not already contain. With ``opening_name``, a
    one-word name that opens the sentence counts only if it says so: a capital there may only start the sentence
    ("Responsible for daily laboratory testing ...")."""
    entities = named_entities(sentence)
    if opening_name is not None and entities and " " not in entities[0]:
        first = sentence.lstrip(" \t\"'“”‘’(*_[`#>-•").split(maxsplit=1)[:1]
        if first and first[0].startswith(entities[0]) and not opening_name(entities[0]):
            entities = entities[1:]
    return [w for entity in entities for w in entity.split()
            if w[:1].isupper() and fold(w) not in question_words and fold(w) not in STOPWORDS]


#: Words that make a run of capitalized words an organization's name, not a person's ("Japan Luggage Express" aside).
_ORGANIZATION_WORDS = frozenset(
    "agency association bank bureau club college commission committee company corporation council department "
    "foundation group institute ministry network news office organization organisation party press service society "
    "times union university".split())


#: A name with initials before it: "G. H. Hardy", "W. E. B. Du Bois" (not "U.S. Navy").
_INITIALLED = re.compile(r"(?<![\w.])(?:[A-Z]\.\s+){1,3}[A-Z][a-z]+")


def _name_word(word: str, loose: bool) -> bool:
    return word[:1].isupper() and (word.replace("'", "").replace("’", "").replace("-", "") if loose else word).isalpha()


def names_in_full(text: str, question_words: frozenset[str], loose: bool = False) -> bool:
    """The text names a person the question does not: two or three capitalized words in a row (not an organization,
    not the question's own names). ``loose``: also a name after its titles ("NASA Deputy Administrator Hugh L.
    Dryden"), with hyphens or an apostrophe ("Ban Ki-moon", "Conan O'Brien") or initials ("G. H. Hardy"); the
    sentence feature keeps the strict reading it was fit with."""
    if loose and _INITIALLED.search(text):
        return True
    for entity in named_entities(text):
        parts = entity.split()
        if loose and len(parts) > 3:
            parts = parts[-2:]
        if 2 <= len(parts) <= 3 and all(_name_word(p, loose) for p in parts):
            folded = [fold(p) for p in parts]
            if not any(w in _ORGANIZATION_WORDS for w in folded) and not all(w in question_words for w in folded):
                return True
    return False


#: Capitalized words that name a time, or only say a name is a company's, not anyone: "Date of incident: Wednesday 6
#: March 2024", "Japan Luggage Express Ltd.".
_NAMES_NO_ONE = re.compile(rf"(?:{_MONTHS}|{_WEEKDAYS}|ltd|inc|llc|plc|corp|co|gmbh)", re.I)


def names_someone(sentence: str, question_words: set[str], opening_name: Callable[[str], bool] | None = None) -> bool:
    """Does the sentence name someone the question does not (``opening_name`` as in _new_names)? A month, a weekday,
    a company's "Ltd." or a code with digits ("PM-2024-03") names no one."""
    return any(not _NAMES_NO_ONE.fullmatch(w.rstrip(".,;:'’")) and not any(ch.isdigit() for ch in w)
               for w in _new_names(sentence, _without_possessives(question_words), opening_name))


def _without_possessives(question_words: set[str] | frozenset[str]) -> set[str]:
    """The question's words, each also without its possessive: "Marcus Adeyemi's previous employer" names Adeyemi,
    so a sentence naming him names no one new. (The sentence features keep the reading they were fit with.)"""
    return set(question_words) | {re.sub(r"['’]s?$", "", w) for w in question_words}


#: A run of capitalized words with nothing but spaces and connectors between them: one name ("Chief Financial
#: Officer", "Department of Marine and Coastal Geoscience"), not words from both sides of a comma or a line break.
_CONNECTORS = frozenset(("of", "the", "and", "for", "de", "du", "la"))
_CAPITALIZED_RUN = re.compile(rf"[A-Z][\w'’-]*(?:[ \t]+(?:(?:{'|'.join(sorted(_CONNECTORS))})[ \t]+)*[A-Z][\w'’-]*)*")


def expands(sentence: str, acronym: str) -> bool:
    """True when the sentence spells the acronym out.

    Either the definitional pattern ("Federal Security Service (FSB)", "FSB (Federal Security Service)"),
    which also covers expansions from another language, or a run of capitalized words with its initials.
    """
    a = re.escape(acronym)
    phrase = r"(?:[A-Z][\w'’.-]*\s+(?:(?:of|the|and|for|de|du)\s+)*){1,8}"
    if re.search(phrase + r"\(\s*" + a + r"\s*\)", sentence) or re.search(r"\b" + a + r"\s*\(\s*[A-Z][\w'’-]*\s+[A-Z]", sentence):
        return True
    letters = acronym.upper()
    words = re.findall(r"[A-Za-z][\w'’-]*", sentence)
    significant = [w for w in words if w.lower() not in _CONNECTORS]
    for i in range(len(significant) - len(letters) + 1):
        window = significant[i : i + len(letters)]
        if all(w[0].isupper() for w in window) and "".join(w[0].upper() for w in window) == letters:
            if not any(w.upper() == letters for w in window):
                return True
    return False


def initials_of(text: str, acronym: str) -> tuple[str, ...] | None:
    """The words, as written, of a name in the text whose initials spell the acronym: the last words of a run of
    capitalized words (_CAPITALIZED_RUN; "Chief", "Financial", "Officer" for "CFO" in "Omar Haddad, Chief Financial
    Officer", "Distinguished", "Service", "Medal" for "DSM" in "the NASA Distinguished Service Medal"), connectors
    passed over. Stricter than expands, which reads any capitalized words in a row: an acronym the index never writes
    is looked for in the passages of a whole pool, where words from two lines of a list spell one by chance. None
    where there is none."""
    letters = acronym.upper()
    for m in _CAPITALIZED_RUN.finditer(text):
        parts = [w for w in m.group(0).split() if w.lower() not in _CONNECTORS]
        tail = parts[-len(letters):]
        if len(tail) == len(letters) and "".join(w[0] for w in tail) == letters and not any(
                w.upper() == letters for w in tail):
            return tuple(tail)
    return None


def _new_date(sentence: str, pattern: re.Pattern[str], question_words: set[str]) -> bool:
    """A date in the sentence that the question does not already state ("When ... in 2021?" is not answered by
    another "2021")."""
    return any(not set(fold(m.group(0)).replace(".", " ").split()) <= question_words for m in pattern.finditer(sentence))


#: What a number measures rather than counts: "ten weeks", "6,800 feet", "40 percent" say how long, far or much, not
#: how many divisions, companies or professors. A sum of money (_SUM) neither.
_MEASURE = re.compile(r"\s*(?:(?:hundred|thousand|million|billion)\s+)?(?P<unit>seconds?|minutes?|hours?|days?|weeks?|"
                      r"months?|years?|decades?|centur(?:y|ies)|mm|cm|km|kilomet(?:er|re)s?|met(?:er|re)s?|feet|foot|ft|"
                      r"inch(?:es)?|miles?|yards?|kg|grams?|pounds?|lbs?|tons?|tonnes?|percent|per\s+cent|%|degrees?|"
                      r"acres?|hectares?)(?![\w-])", re.I)
_MONEY_FIGURE = re.compile(r"[$€£¥₹₽₩₺₪]\s?\d[\d,.]*(?:\s*(?:hundred|thousand|million|billion|trillion|mn|bn|m|k)\b)?",
                           re.I)
_COUNT_TOKEN = re.compile(rf"{_AMOUNT}[\d,.]*|\b(?:{_NUMBER_WORDS})\b", re.I)
_COUNTED = re.compile(r"\bhow\s+many\s+(?P<share>of\s+(?:the|its|their|his|her)\s+)?(?P<counted>[\w-]+(?:\s+[\w-]+){0,2})",
                      re.I)


#: Units of distance, shared by a length and a height, a depth, a width or a distance.
_DISTANCE = (r"(?:kilo|centi|milli|micro|nano)?met(?:er|re)s?|km|cm|mm|[μµ]m|nm|microns?|miles?|feet|foot|ft|"
             r"inch(?:es)?|yards?|nautical|light-years?")
#: A length: a unit of time or of distance, a word of duration ("for a while", "briefly", "ages"), or a span between
#: two dates ("from January 1964 until July 1969"; measured_as).
_LENGTH = re.compile(r"\b(?:seconds?|minutes?|mins?|hours?|hrs?|days?|nights?|weeks?|fortnights?|months?|years?|yrs?|"
                     r"decades?|centur(?:y|ies)|millenni(?:um|a)|semesters?|terms?|sessions?|generations?|lifetimes?|"
                     rf"ages|eras?|periods?|{_DISTANCE}|long|short|brief|briefly|while|forever|permanent(?:ly)?|"
                     r"indefinite(?:ly)?)\b|\d\s*(?:m|h|s)\b|\b\d{1,2}:\d\d\b", re.I)
#: "How long ...?", "How tall ...?", "How heavy ...?", "How loud ...?": a question that asks how much of one
#: dimension, with what states an amount of it. "How long" asks a length of time or of space; "how far" a distance or
#: the time it takes ("40 minutes by car"); "how tall / deep / wide / thick" a distance or storeys; "how heavy" a
#: weight; "how loud" a sound level. Not "how high" (prices and rates are high) nor "how fast" ("how fast did it sell
#: out" asks a time).
_DIMENSIONS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "long": (re.compile(r"\bhow\s+long\b", re.I), _LENGTH),
    "far": (re.compile(r"\bhow\s+far\b", re.I), _LENGTH),
    "tall": (re.compile(r"\bhow\s+(?:tall|deep|wide|thick)\b", re.I),
             re.compile(rf"\b(?:{_DISTANCE}|stor(?:e?y|eys|ies)|floors?|levels?)\b|\d\s*m\b", re.I)),
    "heavy": (re.compile(r"\bhow\s+heavy\b", re.I),
              re.compile(r"\b(?:(?:kilo|milli)?grams?|kg|g|mg|pounds?|lbs?|tons?|tonnes?|ounces?|oz|stones?)\b|"
                         r"\d\s*(?:kg|g|lb)\b", re.I)),
    "loud": (re.compile(r"\bhow\s+loud\b", re.I), re.compile(r"\b(?:decibels?|db|dba|db\(a\))\b|\d\s*db", re.I)),
}


def asked_dimension(question: str) -> str | None:
    """The dimension the clause the question asks with asks an amount of (_DIMENSIONS: "long", "far", "tall",
    "heavy", "loud"), if any."""
    clause = _asking_clause(question)
    return next((name for name, (asks, _) in _DIMENSIONS.items() if asks.search(clause)), None)


def measured_as(text: str, dimension: str) -> bool:
    """The text states an amount of the dimension (_DIMENSIONS): "The Northern Tern cost CAD 14.2 million." says no
    length, "The X300 weighs 3.8 kg." no loudness. A length may also be the span between two dates."""
    if _DIMENSIONS[dimension][1].search(text) is not None:
        return True
    return dimension == "long" and (len(years(text)) >= 2 or len(_HAS_UNIT["month"].findall(text)) >= 2)


def states_count(sentence: str, question: str, question_words: set[str]) -> bool:
    """Can the sentence say how many, as a count question asks? A number that is no day, year, sum of money or one the
    question states, and no measure ("ten weeks", "6,800 feet") unless the question counts that unit ("How many days
    after ...?" -> "one day after")."""
    m = _COUNTED.search(_asking_clause(question))
    counted = {_unit(w) for w in m.group("counted").split()} if m else set()
    if m is not None and m.group("share"):
        counted |= {"percent", "per cent", "%"}  # "How many of the richest 400 Americans ...?" -> "over 60 percent"
    amounts = _SUM.sub(" ", _MONEY_FIGURE.sub(" ", _without_days(sentence)))
    for stated in _stated_numbers(frozenset(question_words), any_case=True):
        amounts = stated.sub(" ", amounts)
    # A number that counts another thing the question names counts nothing asked: "2,716 webhook events failed" for
    # "How many times will the system try to deliver a webhook event?". Not a share's: "how many of the electorate"
    # is answered by "40% of the total electorate".
    others = set() if m is None or m.group("share") else (
        content_stems(question) - {stem(fold(w)) for w in m.group("counted").split()})
    for number in _COUNT_TOKEN.finditer(amounts):
        unit = _MEASURE.match(amounts, number.end())
        if unit is not None and _unit(unit.group("unit")) not in counted:
            continue
        following = _FOLLOWING_WORD.match(amounts, number.end())
        if unit is None and following is not None and stem(fold(following.group(1))) in others:
            continue
        return True
    return False


_FOLLOWING_WORD = re.compile(r"\s+([A-Za-z][\w-]*)")


def _unit(word: str) -> str:
    """A unit's one spelling: "tonnes" and "tons", "metres" and "meters"."""
    return word.lower().rstrip("s").replace("tonne", "ton").replace("metre", "meter")


# Cached: every sentence of ~30 passages is asked about at each question, and the same sentences and question come
# back (retrieval and answering ask of the same texts; the snapshot keeps sentences across questions).
@lru_cache(maxsize=20_000)
def _without_days(sentence: str) -> str:
    return _HAS_UNIT["day"].sub(" ", sentence)


@lru_cache(maxsize=256)
def _stated_numbers(question_words: frozenset[str], any_case: bool = False) -> tuple[re.Pattern[str], ...]:
    """The question's own numbers as patterns that cut them out of a sentence, in digits or in words: "How many
    troops landed on the four northern islands?" is not answered by "... occupying the four northern Islands".
    ``any_case``: a code too as the text writes it ("Room C105" of the folded "c105"), as the count rule reads it;
    supplies, a feature the models were fit with, keeps the reading they were fit on ("CO2" supplies a quantity)."""
    digits = [w for w in sorted(question_words) if any(ch.isdigit() for ch in w)]
    spelled = [w for w in sorted(question_words) if w in CARDINAL_WORDS]
    flags = re.I if any_case else 0
    return tuple([re.compile(rf"(?<![\w.,]){re.escape(w)}(?![\w]|[.,]\d)", flags) for w in digits]
                 + [re.compile(rf"(?<![\w.,]){w}(?![\w]|[.,]\d)", re.I) for w in spelled])


def supplies(sentence: str, kind: AnswerType, question_words: set[str], detail: str | None = None) -> bool:
    """Can this sentence contain an answer of the expected kind (that the question itself does not give)?
    ``detail``: the acronym of an expansion question, the unit of a date question (kb.answer_types.expected_type)."""
    if kind in (AnswerType.NUMBER, AnswerType.QUANTITY):
        # The day of a date is not an amount ("on March 17" does not say how many emails), nor is a number the
        # question states itself.
        amounts = _without_days(sentence)
        for stated in _stated_numbers(frozenset(question_words)):
            amounts = stated.sub(" ", amounts)
        if detail == "age":  # a number, not a year ("in 2011"): _HAS_NUMBER's digits leave years out
            return bool(_HAS_NUMBER.search(amounts))
        if detail == "money":  # "How much did the repair cost?": a sum of money, or nothing to pay
            if _NO_CHARGE.search(sentence) or _SUM.search(sentence):
                return True
            return bool(_PRICE_WORD.search(amounts) and (_HAS_QUANTITY.search(amounts) or _HAS_NUMBER.search(amounts)))
        return bool((_HAS_NUMBER if kind is AnswerType.NUMBER else _HAS_QUANTITY).search(amounts))
    if kind is AnswerType.DATE:
        return _new_date(sentence, _SEASON if detail == "season" else _HAS_UNIT.get(detail or "", _HAS_DATE),
                         question_words)
    if kind is AnswerType.EXPANSION:
        return detail is not None and expands(sentence, detail)
    names = _new_names(sentence, question_words)
    if kind is AnswerType.ORGANIZATION:
        return bool(_ORG_WORD.search(sentence)) or len(names) >= 2
    if kind is AnswerType.PLACE:
        return bool(names) and bool(_PLACE_CUE.search(sentence))
    return bool(names)  # PERSON
