"""A minimal OpenAI-compatible chat client (Ollama, llama.cpp's server, vLLM, hosted APIs) on the standard library.

Standard library only, so the optional LLM path adds no dependency. Every failure mode a caller must survive
(refused connection, timeout, HTTP error, malformed JSON, empty reply) becomes one exception, ``LLMError``,
which the generative answerer turns into a fallback to the extractive answer.
"""

from __future__ import annotations

import json
import logging
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Iterator

from kb.errors import KBError

log = logging.getLogger(__name__)

Message = dict[str, str]


class LLMError(KBError):
    """The LLM server could not give a usable reply (down, slow, HTTP error, garbage)."""


def chat_url(base: str) -> str:
    """Accept the forms people paste: http://host:port, .../v1, or the full .../v1/chat/completions."""
    base = base.strip().rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise LLMError(f"LLM URL must start with http:// or https://, not {base!r}")
    if base.endswith("/chat/completions"):
        return base
    if base.endswith("/v1"):
        return base + "/chat/completions"
    return base + "/v1/chat/completions"


@dataclass
class ChatClient:
    url: str
    model: str = ""
    timeout: float = 30.0  # total seconds for one reply, streamed or not
    api_key: str | None = None
    max_tokens: int = 300
    temperature: float = 0.0

    def _request(self, messages: list[Message], stream: bool) -> urllib.request.Request:
        body: dict[str, Any] = {
            "model": self.model or "default",
            "messages": messages,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "stream": stream,
        }
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream" if stream else "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return urllib.request.Request(chat_url(self.url), json.dumps(body).encode("utf-8"), headers, method="POST")

    def _open(self, request: urllib.request.Request):
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            detail = exc.read(300).decode("utf-8", "replace").strip()
            raise LLMError(f"LLM server answered HTTP {exc.code}: {detail[:200]}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, (socket.timeout, TimeoutError)):
                raise LLMError(f"LLM server too slow (no reply within {self.timeout:g} s)") from None
            raise LLMError(f"LLM server unreachable at {request.full_url}: {reason}") from None

    def complete(self, messages: list[Message]) -> str:
        """The whole reply at once; LLMError past ``timeout`` seconds in total."""
        deadline = time.monotonic() + self.timeout
        started = time.monotonic()
        response = self._open(self._request(messages, stream=False))
        chunks: list[bytes] = []
        try:
            with response:
                while True:
                    if time.monotonic() > deadline:
                        raise LLMError(f"LLM server too slow (over {self.timeout:g} s)")
                    piece = response.read(65536)
                    if not piece:
                        break
                    chunks.append(piece)
        except (socket.timeout, TimeoutError, OSError) as exc:
            raise LLMError(f"LLM server too slow or dropped the connection: {exc}") from None
        try:
            data = json.loads(b"".join(chunks).decode("utf-8"))
            text = data["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise LLMError("LLM server returned something that is not an OpenAI chat completion") from None
        if not isinstance(text, str):
            raise LLMError("LLM server returned no text")
        log.info("llm reply", extra={"chars": len(text), "seconds": round(time.monotonic() - started, 3)})
        return text

    def stream(self, messages: list[Message]) -> Iterator[str]:
        """Text deltas from the server's SSE stream (``data: {...}`` lines, ended by ``data: [DONE]``)."""
        deadline = time.monotonic() + self.timeout
        response = self._open(self._request(messages, stream=True))
        produced = False
        try:
            with response:
                for raw in response:
                    if time.monotonic() > deadline:
                        raise LLMError(f"LLM server too slow (over {self.timeout:g} s)")
                    line = raw.decode("utf-8", "replace").strip()
                    if not line or line.startswith(":") or not line.startswith("data:"):
                        continue
                    payload = line[5:].strip()
                    if payload == "[DONE]":
                        break
                    try:
                        choice = json.loads(payload)["choices"][0]
                    except (ValueError, KeyError, IndexError, TypeError):
                        raise LLMError("LLM server sent a malformed stream event") from None
                    delta = (choice.get("delta") or {}).get("content") or choice.get("text") or ""
                    if delta:
                        produced = True
                        yield delta
        except (socket.timeout, TimeoutError) as exc:
            raise LLMError(f"LLM server too slow (over {self.timeout:g} s): {exc}") from None
        except OSError as exc:
            raise LLMError(f"LLM server dropped the connection: {exc}") from None
        if not produced:
            log.info("llm stream ended without text")


__all__ = ["ChatClient", "LLMError", "Message", "chat_url"]
