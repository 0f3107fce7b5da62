"""Generative answers with checked citations, falling back to the extractive answer.

The model writes from numbered passages; every sentence is verified (kb.generation.verify) and only sentences
whose citations hold are kept, renumbered into the same Citation records the extractive answerer produces, so
`kb ask --json`, the UI and the Python API see one shape whichever path answered. When the server is down,
slow, or says nothing grounded, the extractive answer is returned instead: the LLM can only ever make an
answer more fluent, never make the tool fail.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from typing import Callable, Iterator

from kb.generation.client import ChatClient, LLMError
from kb.generation.prompt import DONT_KNOW, build_messages
from kb.generation.verify import (
    CitationVerifier, Claim, PassageEvidence, SentenceEmbedder, SentenceSource, split_claims,
)
from kb.types import Answer, Citation, Passage

log = logging.getLogger(__name__)

_UNCLOSED_MARKER = re.compile(r"\[[^\]]{0,40}$")


@dataclass
class Generation:
    """An answer plus how it came about: what the model said and which sentences survived verification."""

    answer: Answer
    generated: bool  # False: the extractive fallback answered
    fallback_reason: str | None = None
    reply: str = ""
    claims: list[Claim] = field(default_factory=list)

    @property
    def dropped(self) -> list[Claim]:
        return [c for c in self.claims if not c.kept]


def assemble(question: str, claims: list[Claim], passages: list[Passage]) -> Answer:
    """Kept claims -> answer text with [n] markers numbered in order of first use, and their citations."""
    citations: list[Citation] = []
    numbered: dict[tuple[str, int, int], int] = {}
    parts: list[str] = []
    for claim in claims:
        if not claim.kept:
            continue
        markers: list[str] = []
        for support in claim.supports:
            key = (support.passage.source, support.sentence.start, support.sentence.end)
            if key not in numbered:
                numbered[key] = len(citations) + 1
                citations.append(Citation(
                    n=numbered[key], source=support.passage.source, title=support.passage.title,
                    start=support.sentence.start, end=support.sentence.end, text=support.sentence.text,
                    score=support.score, date=support.passage.date,
                ))
            marker = f"[{numbered[key]}]"
            if marker not in markers:
                markers.append(marker)
        parts.append(f"{claim.text} {''.join(markers)}")
    return Answer(question, " ".join(parts), False, citations, passages)


def _says_dont_know(reply: str) -> bool:
    folded = " ".join(reply.lower().replace("’", "'").split())
    return not folded or any(folded.startswith(p) for p in DONT_KNOW)


class GenerativeAnswerer:
    def __init__(self, client: ChatClient, embedder: SentenceEmbedder | None = None,
                 verifier: CitationVerifier | None = None, max_passage_chars: int = 1200) -> None:
        self.client = client
        self.embedder = embedder
        self.verifier = verifier or CitationVerifier()
        self.max_passage_chars = max_passage_chars

    def _fallback(self, fallback: Callable[[], Answer], reason: str, reply: str = "",
                  claims: list[Claim] | None = None) -> Generation:
        log.warning("llm answer not used; extractive answer instead", extra={"reason": reason})
        return Generation(fallback(), False, reason, reply, claims or [])

    def _finish(self, question: str, passages: list[Passage], reply: str, claims: list[Claim],
                fallback: Callable[[], Answer]) -> Generation:
        for claim in claims:
            if not claim.kept:
                log.info("dropped sentence", extra={"sentence": claim.text, "reason": claim.reason})
        if not any(c.kept for c in claims):
            reason = "the model did not know" if _says_dont_know(reply) else "no sentence had a verified citation"
            return self._fallback(fallback, reason, reply, claims)
        kept = sum(c.kept for c in claims)
        log.info("llm answer", extra={"kept": kept, "dropped": len(claims) - kept})
        return Generation(assemble(question, claims, passages), True, None, reply, claims)

    def run(self, question: str, passages: list[Passage], fallback: Callable[[], Answer],
            sentence_source: SentenceSource | None = None) -> Generation:
        if not passages:
            return self._fallback(fallback, "no passages retrieved")
        try:
            reply = self.client.complete(build_messages(question, passages, self.max_passage_chars))
        except LLMError as exc:
            return self._fallback(fallback, str(exc))
        evidence = PassageEvidence(passages, self.embedder, sentence_source)
        return self._finish(question, passages, reply, self.verifier.verify(evidence, reply), fallback)

    def stream(self, question: str, passages: list[Passage], fallback: Callable[[], Answer],
               sentence_source: SentenceSource | None = None) -> Iterator[str | Generation]:
        """Yield the verified answer text as it grows (cumulative), then the Generation.

        A sentence is shown only once the next one has begun (its trailing [n] markers have arrived) and it
        has passed verification, so nothing that is later dropped ever flashes on screen.
        """
        if not passages:
            yield self._fallback(fallback, "no passages retrieved")
            return
        evidence = PassageEvidence(passages, self.embedder, sentence_source)
        reply = ""
        done: list[Claim] = []
        shown = ""
        error: LLMError | None = None
        try:
            for delta in self.client.stream(build_messages(question, passages, self.max_passage_chars)):
                reply += delta
                pieces = split_claims(_UNCLOSED_MARKER.sub("", reply))
                while len(pieces) - 1 > len(done):  # every piece but the last is complete
                    text, cited = pieces[len(done)]
                    done.append(self.verifier.check(evidence, text, cited))
                    text_now = assemble(question, done, passages).answer
                    if text_now and text_now != shown:
                        shown = text_now
                        yield shown
        except LLMError as exc:
            error = exc
        if error is not None and not any(c.kept for c in done):
            yield self._fallback(fallback, str(error), reply, done)
            return
        if error is not None:
            log.warning("llm stream cut short; keeping the verified sentences", extra={"reason": str(error)})
        else:
            for text, cited in split_claims(reply)[len(done):]:
                done.append(self.verifier.check(evidence, text, cited))
        generation = self._finish(question, passages, reply, done, fallback)
        if generation.generated and generation.answer.answer != shown:
            yield generation.answer.answer
        yield generation


def client_from_settings(settings) -> ChatClient:
    """The chat client the settings describe; the API key comes from the environment, never from a file."""
    key_var = getattr(settings, "llm_api_key_env", "KB_LLM_API_KEY") or "KB_LLM_API_KEY"
    return ChatClient(
        url=settings.llm_url, model=settings.llm_model, timeout=settings.llm_timeout,
        api_key=os.environ.get(key_var) or None, max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature,
    )


def answerer_from_settings(settings, embedder: SentenceEmbedder | None) -> GenerativeAnswerer:
    verifier = CitationVerifier(settings.citation_support, settings.citation_lexical)
    return GenerativeAnswerer(client_from_settings(settings), embedder, verifier)


__all__ = ["Generation", "GenerativeAnswerer", "answerer_from_settings", "assemble", "client_from_settings"]
