"""A LangChain retriever over a KnowledgeBase, so the index drops into any LCEL chain.

Documents carry the passage text plus where it came from (source, title, start/end character span in the
document, score, date): enough for a chain to cite exactly like `kb ask` does. Depends only on
langchain-core, a runtime dependency of kb already (the chunker uses langchain-text-splitters).
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from kb.types import Passage


def passage_to_document(passage: Passage, rank: int) -> Document:
    return Document(
        page_content=passage.text,
        metadata={
            "source": passage.source,
            "title": passage.title,
            "start": passage.start,
            "end": passage.end,
            "score": float(passage.score),
            "date": passage.date,
            "rank": rank,
            "chunk_id": passage.chunk_id,
        },
    )


class KnowledgeBaseRetriever(BaseRetriever):
    """``kb.as_retriever(k, mode)``; ``k``/``mode`` default to the knowledge base's ``search_k``/``mode`` settings.

    Both can also be given per call, as LangChain's standard retriever tests expect:
    ``retriever.invoke(question, k=1)`` returns one document.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    knowledge_base: Any  # kb.KnowledgeBase (Any: pydantic need not know the class)
    k: int | None = None
    mode: str | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None, mode: str | None = None
    ) -> list[Document]:
        # Keyword arguments to invoke() reach this method only because its signature names them
        # (BaseRetriever checks for parameters beyond query and run_manager).
        # k=0 is an error the search reports, not a request for the default (`k or self.k` returned self.k documents)
        passages = self.knowledge_base.search(query, k=self.k if k is None else k, mode=mode or self.mode)
        return [passage_to_document(p, rank) for rank, p in enumerate(passages, start=1)]


def format_docs(documents: list[Document]) -> str:
    """Numbered passages with their sources: the usual "context" step of a RAG chain."""
    return "\n\n".join(
        f"[{i}] {d.metadata.get('title') or d.metadata.get('source')} ({d.metadata.get('source')}:"
        f"{d.metadata.get('start')}-{d.metadata.get('end')})\n{d.page_content}"
        for i, d in enumerate(documents, start=1)
    )


__all__ = ["KnowledgeBaseRetriever", "format_docs", "passage_to_document"]
