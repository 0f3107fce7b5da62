"""Optional generative answers: an OpenAI-compatible LLM writes, kb checks every citation, extractive is the net.

Used by ``KnowledgeBase.ask`` when ``settings.llm_url`` is set, and by ``KnowledgeBase.ask_stream``.
Nothing here is imported unless an LLM is configured or a stream is requested.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Iterator


from kb.generation.answerer import Generation, GenerativeAnswerer, answerer_from_settings, assemble
from kb.generation.client import ChatClient, LLMError, chat_url
from kb.generation.verify import CitationVerifier, Claim, PassageEvidence, SentenceSource, split_claims
from kb.types import Answer

if TYPE_CHECKING:
    from kb.knowledge_base import KnowledgeBase, Retrieval


def generate(kb: "KnowledgeBase", retrieval: "Retrieval") -> Generation:
    """The LLM's verified answer for already retrieved passages, or the extractive one when it fails."""
    answerer = answerer_from_settings(kb.settings, kb.embedder)
    return answerer.run(retrieval.question, retrieval.passages, lambda: kb.extractive_answer(retrieval),
                        retrieval.sentences)


def stream_answer(kb: "KnowledgeBase", question: str, k: int | None = None,
                  mode: str | None = None) -> Iterator[str | Answer]:
    """Partial answer texts (each the whole verified text so far), then exactly one final Answer.

    Without a configured LLM this yields only ``kb.ask()``'s Answer, so callers need a single code path.
    Retrieval and the extractive fallback are exactly those of ``KnowledgeBase.ask``.
    """
    if not kb.settings.llm_url:
        yield kb.ask(question, k, mode)
        return
    retrieval = kb.retrieve(question, k, mode)  # one index version for the whole question, as in ask()
    answer = None
    for update in answerer_from_settings(kb.settings, kb.embedder).stream(
        retrieval.question, retrieval.passages, lambda: kb.extractive_answer(retrieval), retrieval.sentences
    ):
        if isinstance(update, Generation):
            answer = update.answer
        else:
            yield update
    assert answer is not None
    answer.ms = (time.perf_counter() - retrieval.started) * 1000
    yield answer


__all__ = [
    "ChatClient", "CitationVerifier", "Claim", "Generation", "GenerativeAnswerer", "LLMError", "PassageEvidence",
    "answerer_from_settings", "assemble", "chat_url", "generate", "split_claims", "stream_answer",
]
