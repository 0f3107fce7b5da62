"""HTTP protections in front of the Gradio app: Host names, cross-site writes, body sizes, uploads, login attempts.

Gradio serves whatever reaches its port. A web page the user visits can reach it too: through DNS rebinding (a
host name that first resolves to the attacker and then to 127.0.0.1, so the page talks to kb "same-origin" with
``Host: evil.example``), or with a plain cross-site form POST. ``RequestGuard`` is an ASGI middleware on the
FastAPI app that ``gr.Blocks.launch`` builds (passed through its ``app_kwargs``), so it runs before any Gradio
route:

- a Host header that is not an allowed name is refused (400): loopback names when bound to loopback; the
  bound address, IP literals (a rebinding attack needs a name), this machine's names and ``allowed_hosts``
  otherwise;
- a POST/PUT/PATCH/DELETE (or WebSocket) whose ``Sec-Fetch-Site`` or ``Origin`` says another site sent it is
  refused (403); scripts (gradio_client, curl) send neither header and are unaffected;
- a body over ``max_request_kb`` (``max_upload_mb`` for uploads) is refused with 413 as soon as its
  Content-Length, or the count of bytes streamed so far, says so; nothing bigger is ever read;
- an upload is read (to a spooled temporary file) and checked before Gradio sees it: only the document types
  kb reads, each file within ``max_file_mb``; otherwise 415 / 413 and Gradio writes no file;
- after ``login_max_failures`` failed logins from one address, further attempts get 429 with Retry-After for a
  lockout that doubles with each failure (up to 15 minutes). Every attempt counts as failed until Gradio
  accepts it, so parallel guesses cannot slip through before the count catches up.
"""

from __future__ import annotations

import io
import ipaddress
import logging
import math
import socket
import tempfile
import time
from dataclasses import dataclass, field
from typing import IO, Any, Awaitable, Callable
from urllib.parse import urlsplit

import anyio
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse

from kb.config import Settings
from kb.sources import SUPPORTED_SUFFIXES
from ui.uploads import ALLOWED_SUFFIXES

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("kb.serve.guard")  # under "kb", so `kb serve` prints refusals at the default level
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
UPLOAD_SUFFIXES = tuple(s for s in ALLOWED_SUFFIXES if s in SUPPORTED_SUFFIXES)
LOCKOUT_CAP_S = 15 * 60
FORGET_AFTER_S = 60 * 60
MAX_TRACKED_CLIENTS = 10_000
SPOOL_IN_MEMORY = 1024 * 1024  # an upload's first MB stays in memory, the rest goes to a temporary file
_CHUNK = 64 * 1024


def split_host(value: str) -> tuple[str, int | None]:
    """'Name:8080' -> ('name', 8080), '[::1]:7860' -> ('::1', 7860); ('', None) when it cannot be parsed."""
    value = value.strip().lower()
    if value.startswith("["):
        name, _, rest = value[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
        if rest and not rest.startswith(":"):
            return "", None
    else:
        name, sep, port_text = value.rpartition(":") if value.count(":") == 1 else (value, "", "")
        if not sep:
            name, port_text = value, ""
    if port_text and not port_text.isdigit():
        return "", None
    return name.rstrip("."), int(port_text) if port_text else None


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def is_loopback(bind_host: str) -> bool:
    address = _ip(bind_host.strip("[]"))
    return bind_host == "localhost" or (address is not None and address.is_loopback)


@dataclass(frozen=True)
class GuardPolicy:
    """What the guard lets through; built once per server from the settings and the bind address."""

    names: frozenset[str]  # exact host names accepted
    suffixes: tuple[str, ...] = ()  # ".example.org" accepts any sub-domain of example.org
    any_host: bool = False
    ip_literals: bool = False  # any IP address as Host (not only loopback ones)
    max_request_bytes: int = 1024 * 1024
    max_upload_bytes: int = 100 * 1024 * 1024
    max_file_bytes: int = 20 * 1024 * 1024
    upload_suffixes: tuple[str, ...] = UPLOAD_SUFFIXES
    login_max_failures: int = 5
    login_lockout_s: float = 2.0

    @classmethod
    def for_server(cls, settings: Settings, bind_host: str, share: bool = False) -> "GuardPolicy":
        extra = [h.strip().lower() for h in settings.allowed_hosts.split(",") if h.strip()]
        names = set(LOOPBACK_NAMES) | {h for h in extra if not h.startswith(".")}
        suffixes = [h for h in extra if h.startswith(".")]
        loopback = is_loopback(bind_host)
        if not loopback:
            names.add(bind_host.strip("[]").lower())
            for own in (socket.gethostname(), socket.getfqdn()):
                names.add(own.lower())
        if share:
            suffixes.append(".gradio.live")  # the share link's proxy keeps its own Host name (not testable offline)
        return cls(
            names=frozenset(n for n in names if n and n not in ("0.0.0.0", "::")),
            suffixes=tuple(suffixes),
            any_host="*" in extra,
            ip_literals=not loopback,
            max_request_bytes=settings.max_request_kb * 1024,
            max_upload_bytes=int(settings.max_upload_mb * 1024 * 1024),
            max_file_bytes=int(settings.max_file_mb * 1024 * 1024),
            login_max_failures=settings.login_max_failures,
            login_lockout_s=settings.login_lockout_s,
        )

    def host_allowed(self, header: str | None) -> bool:
        if header is None:
            return False
        if self.any_host:
            return True
        name, _ = split_host(header)
        if not name:
            return False
        if name in self.names or any(name.endswith(s) for s in self.suffixes):
            return True
        address = _ip(name)
        return address is not None and (self.ip_literals or address.is_loopback)


def cross_site(headers: Headers) -> bool:
    """True when a browser says another site (or origin) sent this request."""
    if headers.get("sec-fetch-site", "").lower() in ("cross-site", "same-site"):
        return True  # "same-site" includes another port of localhost, i.e. any other local web app
    origin = headers.get("origin")
    if origin is None:
        return False  # not sent by a browser page (or a same-origin GET); scripts never send it
    if origin == "null":
        return True  # sandboxed frames and file:// pages
    parts = urlsplit(origin)
    try:
        origin_port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return True
    name, port = split_host(headers.get("host", ""))
    if (parts.hostname or "").rstrip(".") != name:
        return True
    # A Host without a port (behind a proxy on 80/443) accepts the origin's default port only.
    return origin_port != port if port is not None else origin_port not in (80, 443)


@dataclass
class _Client:
    failures: int = 0
    locked_until: float = 0.0
    seen: float = 0.0


@dataclass
class LoginThrottle:
    """Failed-login bookkeeping per client address (in memory: a restart forgets it)."""

    max_failures: int = 5
    lockout_s: float = 2.0
    clock: Callable[[], float] = time.monotonic
    clients: dict[str, _Client] = field(default_factory=dict)

    def retry_after(self, client: str) -> float:
        """Seconds this client must still wait; 0 when it may try."""
        entry = self.clients.get(client)
        return max(0.0, entry.locked_until - self.clock()) if entry else 0.0

    def attempt(self, client: str) -> None:
        """Counted as a failure until ``succeeded``: concurrent guesses cannot outrun the count."""
        now = self.clock()
        self._forget_idle(now)
        entry = self.clients.setdefault(client, _Client())
        entry.failures += 1
        entry.seen = now
        if entry.failures >= self.max_failures:
            wait = self.lockout_s * 2 ** min(entry.failures - self.max_failures, 32)
            entry.locked_until = now + min(LOCKOUT_CAP_S, wait)

    def succeeded(self, client: str) -> None:
        self.clients.pop(client, None)

    def _forget_idle(self, now: float) -> None:
        if len(self.clients) < MAX_TRACKED_CLIENTS:
            return
        for key in [k for k, c in self.clients.items() if now - c.seen > FORGET_AFTER_S and c.locked_until < now]:
            del self.clients[key]
        while len(self.clients) >= MAX_TRACKED_CLIENTS:  # still full: drop the longest idle
            del self.clients[min(self.clients, key=lambda k: self.clients[k].seen)]


class _TooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


async def _read_body(receive: Receive, limit: int, sink: IO[bytes]) -> int:
    """Copy the request body into ``sink``; _TooLarge as soon as it passes ``limit`` (the rest is never read)."""
    total = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected()
        chunk = message.get("body", b"")
        total += len(chunk)
        if total > limit:
            raise _TooLarge()
        # Uploads spill to a temporary file past SPOOL_IN_MEMORY; at <= max_upload_mb per request a blocking
        # write here costs less than handing every 64 KiB chunk to a thread.
        sink.write(chunk)
        if not message.get("more_body", False):
            return total


def _replay(body: IO[bytes], receive: Receive) -> Receive:
    """A receive() that hands the app the body already read, then passes on (for the disconnect message)."""
    body.seek(0)
    done = False

    async def replay() -> Message:
        nonlocal done
        if done:
            return await receive()
        chunk = body.read(_CHUNK)
        more = len(chunk) == _CHUNK
        if not more:
            done = True
            body.close()
        return {"type": "http.request", "body": chunk, "more_body": more}

    return replay


def check_upload(content_type: str, body: IO[bytes], policy: GuardPolicy) -> tuple[int, str] | None:
    """(status, reason) when the multipart upload must be refused; parsed as Gradio's own parser does."""
    kind, params = parse_options_header(content_type)
    if kind != b"multipart/form-data" or b"boundary" not in params:
        return 400, "an upload must be multipart/form-data"
    problem: list[tuple[int, str]] = []
    state: dict[str, Any] = {"name": b"", "value": b"", "disposition": b"", "file": None, "size": 0}

    def on_part_begin() -> None:
        state.update(disposition=b"", file=None, size=0)

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["name"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]

    def on_header_end() -> None:
        if state["name"].lower() == b"content-disposition":
            state["disposition"] = state["value"]
        state.update(name=b"", value=b"")

    def on_headers_finished() -> None:
        _, options = parse_options_header(state["disposition"])
        if b"filename" not in options:
            return
        name = options[b"filename"].decode("utf-8", "replace")
        base = name.replace("\\", "/").rsplit("/", 1)[-1]
        suffix = "." + base.rsplit(".", 1)[-1].lower() if "." in base else ""
        state["file"] = base
        if suffix not in policy.upload_suffixes and not problem:
            problem.append((415, f"{base[:80]!r}: file type {suffix or '(none)'} is not accepted; use "
                                 f"{', '.join(policy.upload_suffixes)}"))

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state["file"] is None:
            return
        state["size"] += end - start
        if state["size"] > policy.max_file_bytes and not problem:
            problem.append((413, f"{state['file'][:80]!r} is over the {policy.max_file_bytes / 1e6:.1f} MB "
                                 "limit (max_file_mb)"))

    parser = MultipartParser(params[b"boundary"], {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field, "on_header_value": on_header_value,
        "on_header_end": on_header_end, "on_headers_finished": on_headers_finished, "on_part_data": on_part_data,
    })
    body.seek(0)
    try:
        while not problem and (chunk := body.read(_CHUNK)):
            parser.write(chunk)
    except MultipartParseError as exc:
        return 400, f"malformed upload ({exc})"
    return problem[0] if problem else None


class RequestGuard:
    """The ASGI middleware; see the module docstring for what it refuses and why."""

    def __init__(self, app: ASGIApp, policy: GuardPolicy) -> None:
        self.app = app
        self.policy = policy
        self.logins = LoginThrottle(policy.login_max_failures, policy.login_lockout_s)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        websocket = scope["type"] == "websocket"
        if not self.policy.host_allowed(headers.get("host")):
            if websocket:
                await send({"type": "websocket.close", "code": 1008})
                return
            await self._refuse(scope, receive, send, 400, "Invalid Host header: this server answers only to "
                               "its own names (setting allowed_hosts, kb serve --allowed-host)")
            return
        if websocket:
            if cross_site(headers):
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method not in SAFE_METHODS and cross_site(headers):
            await self._refuse(scope, receive, send, 403, "Cross-site request refused")
            return

        path = scope["path"].rstrip("/")
        login = method == "POST" and path.endswith("/login")
        client = (scope.get("client") or ("?", 0))[0]
        if login and await self._locked_out(scope, receive, send, client):
            return

        if method not in SAFE_METHODS or "content-length" in headers or "transfer-encoding" in headers:
            upload = path.endswith("/upload")
            limit = self.policy.max_upload_bytes if upload else self.policy.max_request_bytes
            declared = headers.get("content-length")
            if declared is not None and (not declared.isdigit() or int(declared) > limit):
                await self._too_large(scope, receive, send, limit)
                return
            sink: IO[bytes] = tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY) if upload else io.BytesIO()
            try:
                await _read_body(receive, limit, sink)
            except _TooLarge:
                sink.close()
                await self._too_large(scope, receive, send, limit)
                return
            except _Disconnected:
                sink.close()
                return
            # Parsing up to max_upload_mb of multipart is CPU work: off the event loop, so other requests go on.
            refusal = upload and await anyio.to_thread.run_sync(
                check_upload, headers.get("content-type", ""), sink, self.policy)
            if refusal:
                sink.close()
                await self._refuse(scope, receive, send, *refusal)
                return
            receive = _replay(sink, receive)

        if login:
            # Checked again with no await between the check and the count: reading the body above yields to the
            # event loop, so parallel guesses that all passed the first check would otherwise all be let through.
            if await self._locked_out(scope, receive, send, client):
                return
            self.logins.attempt(client)
            send = self._watch_login(send, client)
        await self.app(scope, receive, send)

    async def _locked_out(self, scope: Scope, receive: Receive, send: Send, client: str) -> bool:
        """Refuse with 429 while this client is locked out; False when it may try (nothing sent)."""
        wait = self.logins.retry_after(client)
        if wait <= 0:
            return False
        await self._refuse(scope, receive, send, 429, "Too many failed logins; try again later",
                           {"Retry-After": str(math.ceil(wait))})
        return True

    def _watch_login(self, send: Send, client: str) -> Send:
        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                self.logins.succeeded(client)
            await send(message)

        return watched

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        await self._refuse(scope, receive, send, 413, f"Request body over the {limit // 1024} KiB limit",
                           {"Connection": "close"})

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, reason: str,
                      headers: dict[str, str] | None = None) -> None:
        client = (scope.get("client") or ("?", 0))[0]
        log.warning("refused %s %s from %s: %d %s", scope.get("method", "WS"), scope.get("path"), client, status,
                    reason, extra={"host": Headers(scope=scope).get("host", "")})
        await PlainTextResponse(reason + "\n", status_code=status, headers=headers)(scope, receive, send)


def guard_middleware(settings: Settings, bind_host: str, share: bool = False) -> Middleware:
    """The middleware entry for ``gr.Blocks.launch(app_kwargs={"middleware": [...]})``."""
    return Middleware(RequestGuard, policy=GuardPolicy.for_server(settings, bind_host, share))


__all__ = ["GuardPolicy", "LoginThrottle", "RequestGuard", "check_upload", "cross_site", "guard_middleware",
           "split_host"]
