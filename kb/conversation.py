"""Turn a follow-up question into a standalone retrieval query.

Retrieval sees one question at a time, so "Where is his organization based?" finds nothing about the person
the previous turn was about. Rather than a generative rewriter (no model to run offline), we append the named
entities of the previous question and answer when the new question refers back to them (a pronoun, "the same",
"what about ..."). The extra names steer both the dense and the lexical retriever toward the right documents;
the question itself is kept first and unchanged so the answerer still scores sentences against it.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping, Sequence

#: Words that only make sense with an antecedent from the conversation.
REFERRING_WORDS = frozenset(
    "he him his himself she her hers herself it its itself they them their theirs themselves "
    "this that these those there same such former latter".split()
)
_FOLLOW_UP_OPENERS = ("and ", "what about ", "how about ", "also ", "then ")
_CITATION = re.compile(r"\[\d+\]")
_WORD = re.compile(r"[A-Za-z0-9][\w'’.-]*")
# Capitalized words, optionally joined by short lower-case connectors ("Wind of Change Research Group").
_ENTITY = re.compile(
    r"\b([A-Z][\w'’-]*(?:\s+(?:(?:of|the|for|and|de|von|van|al|bin|la|le|du|da)\s+)*[A-Z][\w'’-]*)*)"
)
_SENTENCE_START_WORDS = frozenset(
    "the a an what who whom whose which where when why how is are was were do does did can could will would "
    "should in on at of for to from by with and but or if this that these those it its he she they we i you "
    "there here according after before during while as also however meanwhile".split()
)
_STOPWORDS = _SENTENCE_START_WORDS | frozenset(
    "be been being has have had not no yes so than then into about over under between some any all more most "
    "other such only own same very just me my our your his her their them him us".split()
)
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


def is_follow_up(question: str) -> bool:
    """True when the question refers to something it does not name."""
    lowered = question.lower().strip()
    if lowered.startswith(_FOLLOW_UP_OPENERS):
        return True
    return any(w.lower().strip(".'’") in REFERRING_WORDS for w in _WORD.findall(question))


def named_entities(text: str) -> list[str]:
    """Capitalized names in order of appearance, without the capitalized first word of a sentence."""
    text = _CITATION.sub(" ", text)
    found: list[str] = []
    for match in _ENTITY.finditer(text):
        words = match.group(1).split()
        while words and words[0].lower() in _SENTENCE_START_WORDS:
            words = words[1:]
        while words and words[-1].lower() in ("of", "the", "for", "and"):
            words = words[:-1]
        if not words:
            continue
        name = " ".join(words).rstrip(".,;:'’")
        if len(name) < 2 or name.lower() in _STOPWORDS:
            continue
        if name not in found:
            found.append(name)
    return found


def content_terms(text: str) -> list[str]:
    """Lower-case content words, for when a turn names nothing."""
    terms: list[str] = []
    for word in _WORD.findall(_CITATION.sub(" ", text)):
        w = word.lower().strip(".'’-")
        if len(w) > 2 and w not in _STOPWORDS and w not in REFERRING_WORDS and w not in terms:
            terms.append(w)
    return terms


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
    candidates = named_entities(first_sentence) + named_entities(last_question) + named_entities(last_answer)
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
        extra = [t for t in content_terms(last_question) if t not in lowered][:MAX_ENTITIES]
    if not extra:
        return question
    return f"{question} ({'; '.join(extra)})"


__all__ = ["contextualize", "is_follow_up", "named_entities", "content_terms", "REFERRING_WORDS"]
