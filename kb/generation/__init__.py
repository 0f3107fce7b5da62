"""Optional generative answers: an OpenAI-compatible LLM writes, kb checks every citation, extractive is the net.

Used by ``KnowledgeBase.ask`` when ``settings.llm_url`` is set, and by ``KnowledgeBase.ask_stream``.
Nothing here is imported unless an LLM is configured or a stream is requested.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Iterator

import numpy as np

from kb.generation.answerer import Generation, GenerativeAnswerer, answerer_from_settings, assemble
from kb.generation.client import ChatClient, LLMError, chat_url
from kb.generation.verify import CitationVerifier, Claim, PassageEvidence, split_claims
from kb.types import Answer, Passage

if TYPE_CHECKING:
    from kb.knowledge_base import KnowledgeBase


def generate(kb: "KnowledgeBase", question: str, vector: np.ndarray, passages: list[Passage]) -> Generation:
    """The LLM's verified answer for already retrieved passages, or the extractive one when it fails."""
    answerer = answerer_from_settings(kb.settings, kb.embedder)
    return answerer.run(question, passages, lambda: kb.answerer.run(question, vector, passages))


def stream_answer(kb: "KnowledgeBase", question: str, k: int | None = None,
                  mode: str | None = None) -> Iterator[str | Answer]:
    """Partial answer texts (each the whole verified text so far), then exactly one final Answer.

    Without a configured LLM this yields only the extractive Answer, so callers need a single code path.
    """
    from kb.knowledge_base import clean_question

    started = time.perf_counter()
    question = clean_question(question)
    mode = mode or kb.settings.mode
    vector = kb.embedder.embed_one(question)
    passages = kb.search(question, k=k or kb.settings.top_k, mode=mode)

    def extractive() -> Answer:
        return kb.answerer.run(question, vector, passages)

    if not kb.settings.llm_url:
        answer = extractive()
    else:
        answer = None
        for update in answerer_from_settings(kb.settings, kb.embedder).stream(question, passages, extractive):
            if isinstance(update, Generation):
                answer = update.answer
            else:
                yield update
        assert answer is not None
    answer.ms = (time.perf_counter() - started) * 1000
    yield answer


__all__ = [
    "ChatClient", "CitationVerifier", "Claim", "Generation", "GenerativeAnswerer", "LLMError", "PassageEvidence",
    "answerer_from_settings", "assemble", "chat_url", "generate", "split_claims", "stream_answer",
]
