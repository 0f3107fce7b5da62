"""kb.as_retriever() in a small LCEL chain: retriever | format_docs, no LLM needed."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda, RunnableParallel, RunnablePassthrough

from kb.errors import UsageError
from kb.integrations.langchain_retriever import KnowledgeBaseRetriever, format_docs
from langchain_tests.integration_tests import RetrieversIntegrationTests

from conftest import seed_questions

QUESTION = "Who verified the letter?"


def test_retriever_documents_carry_source_span_and_score(seed_kb):
    retriever = seed_kb.as_retriever(k=4)
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke(QUESTION)
    passages = seed_kb.search(QUESTION, k=4)
    assert len(docs) == 4 and all(isinstance(d, Document) for d in docs)
    for doc, passage in zip(docs, passages):
        meta = doc.metadata
        assert (meta["source"], meta["start"], meta["end"]) == (passage.source, passage.start, passage.end)
        assert meta["title"] == passage.title and meta["date"] == passage.date
        assert abs(meta["score"] - passage.score) < 1e-9
        # The span points into the real document text.
        assert seed_kb.document_text(meta["source"])[meta["start"] : meta["end"]] == doc.page_content
    assert [d.metadata["score"] for d in docs] == sorted((d.metadata["score"] for d in docs), reverse=True)


def test_mode_and_default_k(seed_kb):
    dense = seed_kb.as_retriever(mode="dense").invoke(QUESTION)  # every chunk has a cosine: a full list
    assert len(dense) == min(seed_kb.settings.search_k, seed_kb.chunk_count())
    lexical = seed_kb.as_retriever(mode="lexical").invoke(QUESTION)
    assert 0 < len(lexical) <= seed_kb.settings.search_k
    assert [d.metadata["chunk_id"] for d in lexical] == [p.chunk_id for p in seed_kb.search(QUESTION, mode="lexical")]
    assert [d.metadata["chunk_id"] for d in lexical] != [d.metadata["chunk_id"] for d in dense]


def test_lcel_chain_builds_a_cited_context(seed_kb):
    chain = RunnableParallel(context=seed_kb.as_retriever(k=3) | RunnableLambda(format_docs),
                             question=RunnablePassthrough())
    result = chain.invoke(QUESTION)
    assert result["question"] == QUESTION
    assert result["context"].startswith("[1] ") and "[3] " in result["context"] and "[4] " not in result["context"]
    # The context is made of the retrieved passages, each labelled with its source span.
    top = seed_kb.search(QUESTION, k=3)
    for p in top:
        assert f"({p.source}:{p.start}-{p.end})" in result["context"]
    # On the dev questions, the retriever's context contains a gold answer for most answerable questions.
    questions = [q for q in seed_questions() if not q.get("unanswerable")]
    batch = (seed_kb.as_retriever(k=5) | RunnableLambda(format_docs)).batch([q["q"] for q in questions])
    hits = sum(any(a.lower() in ctx.lower() for a in q["answers"]) for q, ctx in zip(questions, batch))
    assert hits >= 0.7 * len(questions), f"{hits}/{len(questions)}"


def test_k_per_call_overrides_the_constructor(seed_kb):
    retriever = seed_kb.as_retriever(k=4)
    assert len(retriever.invoke(QUESTION, k=1)) == 1 and len(retriever.invoke(QUESTION)) == 4
    with pytest.raises(UsageError):  # k=0 is an error, as from kb.search, not the constructor's k
        retriever.invoke(QUESTION, k=0)
    lexical = retriever.invoke(QUESTION, k=2, mode="lexical")
    assert [d.metadata["chunk_id"] for d in lexical] == [p.chunk_id for p in seed_kb.search(QUESTION, k=2, mode="lexical")]


class TestStandardRetriever(RetrieversIntegrationTests):
    """LangChain's own conformance suite (langchain-tests) run against kb.as_retriever() over the seeds."""

    @pytest.fixture(autouse=True)
    def _knowledge_base(self, seed_kb):
        # Autouse fixtures run before the suite's `retriever` fixture, which reads the constructor params.
        type(self).knowledge_base = seed_kb

    @property
    def retriever_constructor(self) -> type[BaseRetriever]:
        return KnowledgeBaseRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"knowledge_base": type(self).knowledge_base}

    @property
    def retriever_query_example(self) -> str:
        return QUESTION
