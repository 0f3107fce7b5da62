"""Generative answers against a fake OpenAI-compatible server started on 127.0.0.1 in the test.

The fake "model" reads the numbered passages from the prompt it receives and writes a reply chosen by each
test: true sentences citing the right passage, invented sentences, non-existent passage numbers, missing
citations, garbage, slowness. The assertions check what kb keeps, drops and falls back to.
"""

from __future__ import annotations

import io
import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

import pytest

from kb import KnowledgeBase
from kb.generation import ChatClient, GenerativeAnswerer, LLMError, chat_url, split_claims
from kb.types import Answer
from paths import built_kb

DOCS = {
    "harbor.txt": (
        "Velmora harbor news\n\n"
        "The Port of Velmora reopened in March 2021 after a two-year renovation. "
        "The renovation was paid for by the regional council of Ostmark. "
        "Cargo volumes at the port doubled within a year of the reopening.\n"
    ),
    "bees.txt": (
        "Honey harvest report\n\n"
        "Beekeepers in the Drava valley reported that honey production fell by forty percent this year. "
        "Researchers blamed a cold spring and the spread of the varroa mite. "
        "The beekeepers' association asked the government for emergency support.\n"
    ),
}
TRUE_HARBOR = "The Port of Velmora reopened in March 2021 after a two-year renovation"
QUESTION = "When did the Port of Velmora reopen?"

Reply = Callable[[dict[int, str], str], str]


class FakeLLM:
    """One OpenAI-compatible /v1/chat/completions endpoint whose behaviour a test sets."""

    def __init__(self) -> None:
        self.reply: Reply = lambda passages, question: "I don't know."
        self.delay = 0.0  # seconds before answering
        self.stall_after: int | None = None  # streaming: stop sending after this many chunks, then sleep
        self.mode = "ok"  # ok | garbage | http500
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                fake.headers.append(dict(self.headers))
                time.sleep(fake.delay)
                if fake.mode == "http500":
                    self._send(500, b'{"error": "model crashed"}', "application/json")
                    return
                if fake.mode == "garbage":
                    self._send(200, b"<html>502 bad gateway</html>", "text/html")
                    return
                passages, question = parse_prompt(body["messages"][-1]["content"])
                text = fake.reply(passages, question)
                if not body.get("stream"):
                    data = {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]}
                    self._send(200, json.dumps(data).encode(), "application/json")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                pieces = [text[i : i + 7] for i in range(0, len(text), 7)]
                for i, piece in enumerate(pieces):
                    if fake.stall_after is not None and i == fake.stall_after:
                        time.sleep(3)
                        return
                    event = {"choices": [{"index": 0, "delta": {"content": piece}}]}
                    self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")

            def _send(self, code: int, payload: bytes, kind: str) -> None:
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def parse_prompt(prompt: str) -> tuple[dict[int, str], str]:
    """The numbered passages and the question, read back from kb's prompt like a model would."""
    blocks = re.findall(r"^\[(\d+)\] [^\n]*\n(.*?)(?=\n\n\[\d+\] |\n\nQuestion: )", prompt, re.S | re.M)
    question = re.search(r"Question: (.*)", prompt).group(1)
    return {int(n): text for n, text in blocks}, question


def number_of(passages: dict[int, str], needle: str) -> int:
    return next(n for n, text in passages.items() if needle in text)


@pytest.fixture(scope="module")
def base_kb(tmp_path_factory) -> KnowledgeBase:
    root = tmp_path_factory.mktemp("genkb")
    for name, text in DOCS.items():
        (root / "sources").mkdir(exist_ok=True)
        (root / "sources" / name).write_text(text, encoding="utf-8")
    kb = KnowledgeBase(root / "sources", root / "index")
    kb.build()
    return kb


@pytest.fixture
def fake() -> FakeLLM:
    server = FakeLLM()
    yield server
    server.server.shutdown()
    server.server.server_close()


def with_llm(kb: KnowledgeBase, url: str, **more) -> KnowledgeBase:
    return KnowledgeBase(settings=kb.settings.replace(llm_url=url, **more))


def same_answer(a: Answer, b: Answer) -> bool:
    """Same text, same cited spans, same passages (sentence scores may differ in the last digits: batching)."""
    def key(x: Answer):
        cites = [(c.n, c.source, c.start, c.end, c.text) for c in x.citations]
        return x.answer, x.abstained, cites, [(p.source, p.start, p.end) for p in x.passages]

    return key(a) == key(b)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mixed_reply(passages: dict[int, str], question: str) -> str:
    h = number_of(passages, "Velmora")
    missing = max(passages) + 5
    return (
        f"{TRUE_HARBOR} [{h}]. "
        f"The port was built by ancient Romans to export purple dye [{h}]. "  # cites a real passage that does not say it
        f"Cargo volumes doubled within a year [{missing}]. "  # cites a passage that does not exist
        "The regional council of Ostmark paid for the renovation."  # true, but uncited
    )


# -- the mechanics -------------------------------------------------------------------------------------------------
def test_split_claims_keeps_markers_with_their_sentence():
    claims = split_claims("Alpha beta gamma [1]. Delta epsilon. [2][3] Zeta eta [Passage 4] theta. Iota [1, 2].")
    assert claims == [
        ("Alpha beta gamma.", [1]), ("Delta epsilon.", [2, 3]), ("Zeta eta theta.", [4]), ("Iota.", [1, 2]),
    ]


def test_chat_url_accepts_common_forms():
    assert chat_url("http://h:1") == chat_url("http://h:1/v1/") == "http://h:1/v1/chat/completions"
    assert chat_url("https://api.x/v1/chat/completions") == "https://api.x/v1/chat/completions"
    with pytest.raises(LLMError):
        chat_url("localhost:11434")


def test_valid_citations_kept_invalid_and_missing_dropped(base_kb, fake):
    fake.reply = mixed_reply
    kb = with_llm(base_kb, fake.url)
    passages = kb.search(QUESTION, k=5)
    generation = GenerativeAnswerer(ChatClient(fake.url), kb.embedder).run(QUESTION, passages, lambda: None)

    assert generation.generated and generation.fallback_reason is None
    answer = generation.answer
    assert answer.answer == f"{TRUE_HARBOR}. [1]"
    assert [c.n for c in answer.citations] == [1]
    cited = answer.citations[0]
    assert cited.source == "harbor.txt"
    assert base_kb.document_text("harbor.txt")[cited.start : cited.end] == cited.text
    assert TRUE_HARBOR in cited.text
    reasons = {c.text.split()[1]: c.reason for c in generation.dropped}
    assert "does not support" in reasons["port"]
    assert "does not exist" in reasons["volumes"]
    assert reasons["regional"] == "no citation"
    # The prompt really numbered the retrieved passages and asked for [n] citations.
    prompt = fake.requests[0]["messages"]
    assert "[1]" in prompt[0]["content"] and len(parse_prompt(prompt[1]["content"])[0]) == len(passages)


def test_ask_uses_llm_and_keeps_json_shape(base_kb, fake):
    fake.reply = mixed_reply
    answer = with_llm(base_kb, fake.url).ask(QUESTION)
    assert answer.answer.startswith(TRUE_HARBOR) and "Romans" not in answer.answer
    assert set(answer.to_json()) == set(base_kb.ask(QUESTION).to_json())
    assert fake.requests and fake.requests[0]["stream"] is False


def test_citation_of_the_wrong_passage_falls_back_to_extractive(base_kb, fake):
    def wrong(passages, question):
        return f"{TRUE_HARBOR} [{number_of(passages, 'varroa')}]."

    fake.reply = wrong
    assert same_answer(with_llm(base_kb, fake.url).ask(QUESTION), base_kb.ask(QUESTION))


@pytest.mark.parametrize("case", ["timeout", "refused", "garbage", "nonsense", "http500", "dont_know"])
def test_fallback_to_extractive(base_kb, fake, case, caplog):
    url = fake.url
    if case == "timeout":
        fake.delay, fake.reply = 3.0, mixed_reply
    elif case == "refused":
        url = f"http://127.0.0.1:{free_port()}"
    elif case == "garbage":
        fake.mode = "garbage"
    elif case == "nonsense":
        fake.reply = lambda p, q: "zxq vlorp [[ ]] banana banana 42 ~~~"
    elif case == "http500":
        fake.mode = "http500"
    kb = with_llm(base_kb, url, llm_timeout=0.5)
    started = time.monotonic()
    with caplog.at_level("WARNING", logger="kb"):
        answer = kb.ask(QUESTION)
    assert same_answer(answer, base_kb.ask(QUESTION))
    assert not answer.abstained and "March 2021" in answer.answer  # the extractive answer, not an error
    assert any("extractive" in r.getMessage() for r in caplog.records)
    if case == "timeout":
        assert time.monotonic() - started < 2.5  # gave up before the server (3 s) answered
        assert "slow" in caplog.records[-1].reason


def test_stream_yields_only_verified_growing_text(base_kb, fake):
    fake.reply = lambda p, q: mixed_reply(p, q) + f" Cargo volumes at the port doubled [{number_of(p, 'Velmora')}]."
    kb = with_llm(base_kb, fake.url)
    updates = list(kb.ask_stream(QUESTION))
    texts, final = updates[:-1], updates[-1]
    assert isinstance(final, Answer) and all(isinstance(t, str) for t in texts)
    assert len(texts) >= 2  # the first sentence was shown before the reply ended
    assert all(final.answer.startswith(t) for t in texts)
    assert not any("Romans" in t or "Ostmark" in t for t in texts)
    assert final.answer == f"{TRUE_HARBOR}. [1] Cargo volumes at the port doubled. [2]"
    assert fake.requests[-1]["stream"] is True
    # Streaming and non-streaming agree.
    fake.reply = fake.reply
    assert same_answer(kb.ask(QUESTION), final)


def test_stream_cut_short_keeps_verified_sentences(base_kb, fake):
    fake.reply = lambda p, q: f"{TRUE_HARBOR} [{number_of(p, 'Velmora')}]. Cargo volumes doubled within a year [1]."
    fake.stall_after = (len(TRUE_HARBOR) + 12) // 7  # the second sentence has begun, then the server hangs
    final = list(with_llm(base_kb, fake.url, llm_timeout=0.5).ask_stream(QUESTION))[-1]
    assert final.answer == f"{TRUE_HARBOR}. [1]"


def test_stream_falls_back_when_server_down(base_kb):
    kb = with_llm(base_kb, f"http://127.0.0.1:{free_port()}", llm_timeout=0.5)
    updates = list(kb.ask_stream(QUESTION))
    assert len(updates) == 1 and same_answer(updates[0], base_kb.ask(QUESTION))


def test_stream_without_llm_is_the_extractive_answer(base_kb):
    updates = list(base_kb.ask_stream(QUESTION))
    assert len(updates) == 1 and same_answer(updates[0], base_kb.ask(QUESTION))


def test_api_key_from_env_is_sent_and_never_printed(base_kb, fake, monkeypatch):
    from kb.cli import main

    monkeypatch.setenv("KB_LLM_API_KEY", "sk-test-123")
    fake.reply = mixed_reply
    out, err = io.StringIO(), io.StringIO()
    args = ["ask", QUESTION, "--json", "--sources", str(base_kb.settings.sources), "--index",
            str(base_kb.settings.index), "--llm", fake.url, "--llm-model", "tiny", "--llm-timeout", "5"]
    assert main(args, out, err) == 0, err.getvalue()
    data = json.loads(out.getvalue())
    assert data["answer"] == f"{TRUE_HARBOR}. [1]" and data["citations"][0]["source"] == "harbor.txt"
    assert fake.headers[0]["Authorization"] == "Bearer sk-test-123"
    assert fake.requests[0]["model"] == "tiny"
    out = io.StringIO()
    main(["config", "--sources", str(base_kb.settings.sources)], out, io.StringIO())
    assert "sk-test-123" not in out.getvalue() and 'llm_api_key_env = "KB_LLM_API_KEY"' in out.getvalue()


def test_cli_reports_fallback_on_stderr(base_kb):
    from kb.cli import main

    out, err = io.StringIO(), io.StringIO()
    args = ["ask", QUESTION, "--sources", str(base_kb.settings.sources), "--index", str(base_kb.settings.index),
            "--llm", f"http://127.0.0.1:{free_port()}", "--llm-timeout", "0.5"]
    assert main(args, out, err) == 0
    assert "March 2021" in out.getvalue()
    assert "level=warning" in err.getvalue() and "unreachable" in err.getvalue()


@pytest.mark.parametrize("flags", [["--log-format", "json", "-v"], ["-q"]])
def test_logs_explain_dropped_sentences_or_stay_quiet(base_kb, fake, flags):
    from kb.cli import main

    fake.reply = mixed_reply
    out, err = io.StringIO(), io.StringIO()
    where = ["--sources", str(base_kb.settings.sources), "--index", str(base_kb.settings.index)]
    assert main(["ask", QUESTION, *where, "--llm", fake.url, *flags], out, err) == 0
    assert out.getvalue().startswith(TRUE_HARBOR)
    if "-q" in flags:
        assert err.getvalue() == ""
        return
    records = [json.loads(line) for line in err.getvalue().splitlines()]
    dropped = {r["sentence"].split()[1]: r["reason"] for r in records if r["msg"] == "dropped sentence"}
    assert set(dropped) == {"port", "volumes", "regional"}
    assert all(r["level"] == "info" and r["logger"].startswith("kb.") for r in records)
    assert any(r["msg"] == "llm answer" and r["kept"] == 1 and r["dropped"] == 3 for r in records)


def test_serve_llm_flag_reaches_the_chat_service(base_kb, fake, monkeypatch):
    """`kb serve --llm URL` answers in the UI with the model, like `kb ask --llm` (no KB_LLM_URL needed)."""
    import io

    import ui.app
    from kb.cli import main

    monkeypatch.delenv("KB_LLM_URL", raising=False)
    fake.reply = lambda passages, question: f"{TRUE_HARBOR} [{number_of(passages, 'Velmora')}]."
    served = {}
    monkeypatch.setattr(ui.app, "launch", lambda service, **kwargs: served.setdefault("service", service))
    out = io.StringIO()
    code = main(["serve", "--sources", str(base_kb.settings.sources), "--index", str(base_kb.settings.index),
                 "--no-build", "--llm", fake.url, "--llm-model", "tiny", "--llm-timeout", "7"], out=out, err=io.StringIO())
    assert code == 0 and fake.url in out.getvalue()
    service = served["service"]
    settings = service.kb.settings
    assert (settings.llm_url, settings.llm_model, settings.llm_timeout) == (fake.url, "tiny", 7.0)
    *_, answer = list(service.ask_stream(QUESTION))
    assert answer.answer.startswith(TRUE_HARBOR) and answer.citations
    assert fake.requests and fake.requests[-1]["model"] == "tiny"


# -- names in their role, directions ------------------------------------------------------------------------------
LETTERS = {
    "letters.txt": (
        "FSB whistleblower letters\n\n"
        "Vladimir Osechkin, a human rights activist in exile in France, publishes letters from an analyst of the "
        "Federal Security Service (FSB). "
        "Igor Sushko, the executive director of the Wind of Change Research Group, has been translating the "
        "correspondence from Russian to English since it began on March 4. "
        "He has shared all the emails in full with Newsweek. "
        "One letter, published by Osechkin, was analyzed by Christo Grozev, an expert on the FSB. "
        "He showed it to two FSB contacts.\n"
    ),
}
LETTERS_QUESTION = "Who translates the whistleblower's correspondence?"


@pytest.fixture(scope="module")
def letters_kb(tmp_path_factory) -> KnowledgeBase:
    return built_kb(tmp_path_factory.mktemp("letterskb"), LETTERS)




@pytest.mark.parametrize("wrong, reason", [
    # The passage names Grozev, but as the one who analyzed a letter: Sushko translates.
    ("Christo Grozev translates the correspondence from Russian to English", "names"),
    ("Grozev's team has been translating the correspondence from Russian to English", "names"),
    # Right person, direction reversed.
    ("Igor Sushko translates the correspondence from English to Russian", "from English to Russian"),
])
def test_claim_naming_the_wrong_person_or_reversing_a_direction_is_dropped(letters_kb, fake, wrong, reason):
    fake.reply = lambda passages, question: f"{wrong} [{number_of(passages, 'Sushko')}]."
    kb = with_llm(letters_kb, fake.url)
    passages = kb.search(LETTERS_QUESTION, k=5)
    extractive = kb.extractive_answer(kb.retrieve(LETTERS_QUESTION))
    generation = GenerativeAnswerer(ChatClient(fake.url), kb.embedder).run(
        LETTERS_QUESTION, passages, lambda: extractive)

    [claim] = generation.claims
    assert not claim.kept and reason in claim.reason
    # Nothing survived: kb answers as it does for any unsupported reply, with the extractive answer.
    assert not generation.generated and generation.fallback_reason == "no sentence had a verified citation"
    assert generation.answer is extractive
    answer = kb.ask(LETTERS_QUESTION)
    assert "Grozev translates" not in answer.answer and "English to Russian" not in answer.answer
    assert same_answer(answer, letters_kb.ask(LETTERS_QUESTION))


@pytest.mark.parametrize("right", [
    "Sushko has been translating the correspondence from Russian into English",  # surname only, "into"
    "Igor Sushko's job is translating the correspondence from Russian to English",  # possessive
    "Sushko shared all the emails with Newsweek",  # "He has shared ...": the name is in the sentence before
    "Grozev showed the letter to two FSB contacts",  # "He" after "..., published by Osechkin, ... Christo Grozev"
    "Grozev, an FSB expert, analyzed one of the letters",
    "Christo Grozev is an expert on the Federal Security Service",  # the acronym the passage defines
])
def test_claim_naming_the_right_person_is_kept(letters_kb, fake, right):
    fake.reply = lambda passages, question: f"{right} [{number_of(passages, 'Sushko')}]."
    kb = with_llm(letters_kb, fake.url)
    passages = kb.search(LETTERS_QUESTION, k=5)
    generation = GenerativeAnswerer(ChatClient(fake.url), kb.embedder).run(LETTERS_QUESTION, passages, lambda: None)
    [claim] = generation.claims
    assert claim.kept, claim.reason
    assert generation.generated and generation.answer.answer == f"{right}. [1]"
