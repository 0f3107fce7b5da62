"""Optional generative answers: an OpenAI-compatible LLM writes, kb checks every citation, extractive is the net.

Used by ``KnowledgeBase.ask`` when ``settings.llm_url`` is set, and by ``KnowledgeBase.ask_stream``.
Nothing here is imported unless an LLM is configured or a stream is requested.
"""

from __future__ import annotations

from typing import Callable, Iterator

from kb.generation.answerer import Generation, GenerativeAnswerer, answerer_from_settings, assemble
from kb.generation.client import ChatClient, LLMError, chat_url
from kb.generation.verify import CitationVerifier, Claim, PassageEvidence, SentenceEmbedder, SentenceSource, split_claims
from kb.query import Retrieval
from kb.types import Answer


def generate(settings: object, embedder: SentenceEmbedder | None, retrieval: Retrieval,
             fallback: Callable[[], Answer]) -> Generation:
    """The LLM's verified answer for already retrieved passages, or ``fallback()`` (the extractive answer) when it
    fails. Takes the retrieval and the fallback rather than the facade, so nothing here imports kb.knowledge_base."""
    answerer = answerer_from_settings(settings, embedder)
    return answerer.run(retrieval.question, retrieval.passages, fallback, retrieval.sentences)


def stream_generation(settings: object, embedder: SentenceEmbedder | None, retrieval: Retrieval,
                      fallback: Callable[[], Answer]) -> Iterator[str | Generation]:
    """Partial answer texts (each the whole verified text so far), then exactly one Generation."""
    answerer = answerer_from_settings(settings, embedder)
    yield from answerer.stream(retrieval.question, retrieval.passages, fallback, retrieval.sentences)


__all__ = [
    "ChatClient", "CitationVerifier", "Claim", "Generation", "GenerativeAnswerer", "LLMError", "PassageEvidence",
    "answerer_from_settings", "assemble", "chat_url", "generate", "split_claims", "stream_generation",
]
