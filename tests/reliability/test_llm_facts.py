"""With an LLM, a sentence that changes its cited passage's facts is dropped; a faithful paraphrase is kept.

Finding 4 of issue 14: the citation check compared similarity only, so a model sentence that negated its
passage, changed a number or swapped a name was kept (negations 75/75, numbers 22/22, names 62/64). Here every
sentence of the seed documents that allows it is rewritten programmatically, four ways:

* negated: "not" inserted after an auxiliary ("was" -> "was not"), or an existing "not"/"never" removed;
* renumbered: a number or year changed to a value the document never states;
* name-swapped: a name replaced by a name from another seed document that this document never mentions;
* name-moved: a name replaced by one the cited passage states in another sentence ("Christo Grozev translates the
  correspondence" where the passage has Igor Sushko translate it and Grozev analyze a letter);
* faithful: leading phrase moved to the end, synonyms, adjectives dropped; every fact kept.

A fake OpenAI-compatible server (tests/test_generation.py's FakeLLM) replies with the rewritten sentence
citing the passage that holds the original; kb's real retrieval, embedder and verifier judge it. At least 95%
of each bad kind must be dropped and 95% of the faithful paraphrases kept.

A changed value that the passage states elsewhere (2019 -> 2020 in a passage that mentions both) is out of
reach of a facts check and is not generated; docs/reliability.md names the limit.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import pytest

from kb import KnowledgeBase
from kb.generation import answerer_from_settings
from kb.text import split_sentences
from test_generation import FakeLLM

MIN_CASES = 20
MONTHS = set("January February March April May June July August September October November December".split())
WEEKDAYS = set("Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split())
_AUX = re.compile(r"\b(is|was|were|are|has|had|have|will|can|could|would|should)\b (?!not\b|never\b)")
_NEGATION = re.compile(r"\b(not|never) ")
_NUMBER = re.compile(r"(?<![\w.,$])\d+(?:,\d{3})*(?:\.\d+)?(?![\w]|[.,]\d)")
_NAME = re.compile(r"(?<=[a-z,] )[A-Z][a-z]{3,}\b(?!['’])")
_LEAD = re.compile(r"^(In|On|During|After|Before|Since|By|At|For|Over|Under) ([^,]{3,40}), (.+?)\.+$")
SYNONYMS = {
    "said": "stated", "says": "states", "began": "started", "begin": "start", "bought": "purchased", "big": "large",
    "help": "assist", "helped": "assisted", "shows": "indicates", "showed": "indicated", "important": "significant",
    "people": "individuals", "many": "numerous", "after": "following", "before": "prior to", "because": "since",
    "started": "began", "wrote": "stated", "including": "among them", "largely": "mostly",
    "quite": "rather", "regular": "routine", "planned": "intended", "preparing": "getting ready",
}
ADJECTIVES = {"new", "former", "major", "large", "small", "several", "recent", "local", "senior", "top", "key",
              "huge", "serious", "full-scale", "official", "regular", "modern", "actual", "executive"}


@dataclass
class Case:
    kind: str  # negated | renumbered | name-swapped | name-moved | faithful
    original: str
    rewritten: str
    inserted: str = ""  # name-moved: the name put in, which the cited passage must state for the case to count


def _sentences(kb: KnowledgeBase) -> list[tuple[str, str]]:
    """(document text, sentence) for each plain sentence of the corpus: 8-45 words, no quotes or brackets."""
    found = []
    for doc in kb.documents():
        text = kb.document_text(doc.source) or ""
        for s in split_sentences(text):
            plain = " ".join(s.text.split())
            if 8 <= len(plain.split()) <= 45 and plain.endswith(".") and not re.search(r"[\"“”\[\]()]", plain):
                found.append((text, plain))
    return found


def _proper_names(texts: list[str]) -> set[str]:
    """Capitalised mid-sentence words that the corpus never writes in lower case: names, not title words."""
    lower = {w for t in texts for w in re.findall(r"\b[a-z]+\b", t)}
    return {m for t in texts for m in _NAME.findall(t) if m.lower() not in lower and m not in MONTHS | WEEKDAYS}


def negated(sentence: str, document: str, rng: random.Random) -> str | None:
    if m := _NEGATION.search(sentence):
        return sentence[: m.start()] + sentence[m.end():]
    if m := _AUX.search(sentence):
        return sentence[: m.end()] + rng.choice(("not ", "never ")) + sentence[m.end():]
    return None


def renumbered(sentence: str, document: str, rng: random.Random) -> str | None:
    for m in _NUMBER.finditer(sentence):
        old = m.group()
        for _ in range(20):
            if len(old) == 4 and old.isdigit() and 1900 <= int(old) <= 2099:
                new = str(int(old) + rng.choice((-3, -2, -1, 1, 2, 3)))
            else:
                new = old[:-1] + str((int(old[-1]) + rng.randrange(1, 9)) % 10)
            if not re.search(rf"(?<![\d,.]){re.escape(new)}(?![\d]|[.,]\d)", document) and new != old:
                return sentence[: m.start()] + new + sentence[m.end():]
    return None


def name_swapped(sentence: str, document: str, rng: random.Random, names: list[str]) -> str | None:
    own = [m for m in _NAME.finditer(sentence) if m.group() in names]
    if not own:
        return None
    m = rng.choice(own)
    # Not even inflected: kb reads "Russias" as "Russia" (possessive without its apostrophe), rightly.
    words = set(re.findall(r"\w+", document.lower()))
    others = [n for n in names if not any(w.startswith(n.lower()[:5]) for w in words)]
    return sentence[: m.start()] + rng.choice(others) + sentence[m.end():] if others else None


def name_moved(sentence: str, document: str, rng: random.Random, names: list[str]) -> tuple[str, str] | None:
    """A name of the sentence replaced by another name the document states, but not this sentence; with it."""
    own = [m for m in _NAME.finditer(sentence) if m.group() in names]
    here = set(re.findall(r"\w+", sentence.lower()))
    elsewhere = sorted(n for n in names if re.search(rf"\b{n}\b", document)
                       and not any(w.startswith(n.lower()[:5]) for w in here))
    if not own or not elsewhere:
        return None
    m, name = rng.choice(own), rng.choice(elsewhere)
    return sentence[: m.start()] + name + sentence[m.end():], name


def faithful(sentence: str, document: str, rng: random.Random) -> str | None:
    text = sentence
    if m := _LEAD.match(text):  # "In August 2021, Russia was ..." -> "Russia was ... in August 2021."
        rest = m.group(3)
        text = f"{rest[0].upper()}{rest[1:]} {m.group(1).lower()} {m.group(2)}."
    for word, synonym in SYNONYMS.items():
        text = re.sub(rf"(?<![\w-]){word}(?![\w-])", synonym, text)
    for adjective in ADJECTIVES:
        text = re.sub(rf"(?<=\w) {re.escape(adjective)} (?=[a-z])", " ", text)
    return text if text != sentence else None


def cases(kb: KnowledgeBase, seed: int = 14) -> list[Case]:
    rng = random.Random(seed)
    moving = random.Random(seed + 1)  # its own generator: the other kinds' cases stay those docs/reliability.md counts
    pairs = _sentences(kb)
    names = sorted(_proper_names([d for d, _ in pairs]))
    made = []
    for document, sentence in pairs:
        for kind, rewrite in (("negated", negated), ("renumbered", renumbered), ("faithful", faithful),
                              ("name-swapped", lambda s, d, r: name_swapped(s, d, r, names))):
            rewritten = rewrite(sentence, document, rng)
            if rewritten:
                made.append(Case(kind, sentence, rewritten))
        if moved := name_moved(sentence, document, moving, names):
            made.append(Case("name-moved", sentence, *moved))
    return made


@pytest.fixture(scope="module")
def fake() -> FakeLLM:
    server = FakeLLM()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_llm_sentences_that_change_facts_are_dropped(seed_kb, fake):
    kb = KnowledgeBase(settings=seed_kb.settings.replace(llm_url=fake.url))
    kept: dict[str, list[bool]] = {}
    wrong: list[str] = []
    for case in cases(kb):
        needle = case.original[:50]
        cited: list[int] = []

        def reply(passages: dict[int, str], question: str) -> str:
            n = next((n for n, text in passages.items() if needle in text), None)
            if n is None or not re.search(rf"\b{case.inserted}\b", passages[n]):
                return "I don't know."  # a moved name the passage does not state is a name-swapped case
            cited.append(n)
            return f"{case.rewritten} [{n}]"

        fake.reply = reply
        retrieval = kb.retrieve(case.original)
        generation = answerer_from_settings(kb.settings, kb.embedder).run(
            retrieval.question, retrieval.passages, lambda: kb.extractive_answer(retrieval), retrieval.sentences)
        if not cited:
            continue  # the original's passage was not retrieved: nothing to cite
        ok = any(c.kept for c in generation.claims)
        kept.setdefault(case.kind, []).append(ok)
        if ok != (case.kind == "faithful"):
            reasons = "; ".join(c.reason or "kept" for c in generation.claims)
            wrong.append(f"{case.kind}: {case.rewritten!r} (original {case.original!r}): {reasons}")
    counts = {kind: len(v) for kind, v in kept.items()}
    bad = ("negated", "renumbered", "name-swapped", "name-moved")
    assert all(counts.get(k, 0) >= MIN_CASES for k in (*bad, "faithful")), counts
    rates = {kind: sum(v) / len(v) for kind, v in kept.items()}
    summary = ", ".join(f"{kind} kept {sum(v)}/{len(v)}" for kind, v in sorted(kept.items()))
    print(summary)  # the numbers docs/reliability.md quotes (pytest -s)
    report = summary + "\n" + "\n".join(wrong)
    assert rates["faithful"] >= 0.95, report
    assert all(rates[k] <= 0.05 for k in bad), report
