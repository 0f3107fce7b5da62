"""`kb serve` under hostile HTTP: forged Host headers (DNS rebinding), cross-site writes, huge bodies, hostile
uploads, password guessing, passwords on the command line.

Each test talks real HTTP to a server started in this process on 127.0.0.1 (``ui.app.launch``), with raw
sockets or http.client so that the headers a browser or an attacker would send can be set exactly.
"""

from __future__ import annotations

import http.client
import json
import os
import select
import socket
import stat
import threading
import uuid
from pathlib import Path

import psutil
import pytest

from net import free_port
from reliability_support import built_tiny_index, TINY_QUESTIONS, run_cli

from kb.config import Settings
from ui.security import GuardPolicy, LoginThrottle

MAX_FILE_MB = 0.05  # 52 KB per uploaded file
MAX_UPLOAD_MB = 0.5


def _launch(base: Path, auth=None, **overrides):
    from kb import KnowledgeBase
    from ui.app import launch
    from ui.service import KBService

    port = free_port()
    kb = KnowledgeBase(base / "sources", base / "index", max_file_mb=MAX_FILE_MB, max_upload_mb=MAX_UPLOAD_MB,
                       **overrides)
    demo = launch(KBService(kb), port=port, auth=auth, prevent_thread_lock=True, quiet=True)
    return demo, port


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return built_tiny_index(tmp_path_factory.mktemp("guard"))


@pytest.fixture(scope="module")
def server(built):
    uploads = built / "gradio-uploads"
    with pytest.MonkeyPatch.context() as patch:  # where Gradio keeps uploads, for this server's life
        patch.setenv("GRADIO_TEMP_DIR", str(uploads))
        demo, port = _launch(built)
        try:
            yield port, uploads
        finally:
            demo.close()


def request(port: int, method: str, path: str, host: str | None = None, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host if host is not None else f"127.0.0.1:{port}")
        for key, value in (headers or {}).items():
            conn.putheader(key, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        conn.close()


def join_body() -> bytes:
    return json.dumps({"data": ["Who built the Brannock lighthouse?"], "fn_index": 0,
                       "session_hash": uuid.uuid4().hex[:10]}).encode()


def multipart(files: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        (f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
         f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + b"\r\n"
        for name, data in files
    ]
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def stored_uploads(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


# -- Host header (DNS rebinding) -----------------------------------------------------------------------------
@pytest.mark.parametrize("host", ["evil.example:{port}", "evil.example", "127.0.0.1.evil.example:{port}",
                                  "localhost.evil.example", "192.168.1.20:{port}", "", "[::1]x"])
def test_forged_host_header_is_refused_before_gradio(server, host):
    port, _ = server
    host = host.format(port=port)
    status, body, _ = request(port, "GET", "/", host=host)
    assert status == 400 and b"Invalid Host header" in body
    # What a rebound page would do: a same-origin POST, as far as the browser knows.
    status, body, _ = request(port, "POST", "/gradio_api/queue/join", host=host, body=join_body(),
                              headers={"Content-Type": "application/json", "Origin": f"http://{host}"})
    assert status == 400 and b"Invalid Host header" in body
    status, _, _ = request(port, "GET", "/gradio_api/info", host=host)
    assert status == 400


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}", "LOCALHOST"])
def test_loopback_host_names_are_served(server, host):
    port, _ = server
    status, body, _ = request(port, "GET", "/", host=host.format(port=port))
    assert status == 200 and b"<html" in body.lower()


def test_scripts_still_ask_through_the_api(server):
    from gradio_client import Client

    port, _ = server
    question, source = next(iter(TINY_QUESTIONS.items()))
    result = Client(f"http://127.0.0.1:{port}/", verbose=False).predict(question, api_name="/ask")
    assert not result["abstained"] and result["citations"][0]["source"] == source


def test_host_policy_when_the_server_is_opened_up():
    settings = Settings(allowed_hosts="kb.lan, .corp.example")
    opened = GuardPolicy.for_server(settings, "0.0.0.0")
    for good in ("kb.lan:7860", "docs.corp.example", "192.168.1.20:7860", "[fe80::1]:7860", "localhost:7860",
                 socket.gethostname()):
        assert opened.host_allowed(good), good
    for bad in ("evil.example:7860", "corp.example.evil.example", "kb.lan.evil.example", None):
        assert not opened.host_allowed(bad), bad
    local = GuardPolicy.for_server(Settings(), "127.0.0.1")
    assert local.host_allowed("127.0.0.1:7860") and not local.host_allowed("192.168.1.20:7860")
    assert not local.host_allowed("kb.lan")
    assert GuardPolicy.for_server(Settings(allowed_hosts="*"), "127.0.0.1").host_allowed("anything.example")


def test_allowed_host_flag_reaches_the_policy():
    from kb.cli import build_parser
    from kb.commands.serve import with_allowed_hosts

    args = build_parser().parse_args(["serve", "--host", "0.0.0.0", "--allowed-host", "kb.lan",
                                      "--allowed-host", ".corp.example"])
    settings = with_allowed_hosts(Settings(allowed_hosts="wiki.home"), args.allowed_host)
    assert settings.allowed_hosts == "wiki.home,kb.lan,.corp.example"
    policy = GuardPolicy.for_server(settings, args.host)
    assert all(policy.host_allowed(h) for h in ("wiki.home", "kb.lan:7860", "a.corp.example"))
    assert not policy.host_allowed("evil.example")


# -- body sizes ----------------------------------------------------------------------------------------------
def _rss() -> int:
    return psutil.Process().memory_info().rss


def test_200mb_body_is_refused_without_being_read(server):
    port, _ = server
    before = _rss()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"POST /gradio_api/queue/join HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                     f"Content-Type: application/json\r\nContent-Length: {200_000_000}\r\n\r\n".encode())
        sock.sendall(b'{"data": ["' + b"a" * 10_000)  # the guard answers from the length alone
        reply = sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert _rss() - before < 50 * 1024 * 1024


def test_streamed_body_is_cut_off_at_the_limit(server):
    """No Content-Length (chunked): the guard counts what arrives and answers 413 once it passes 1 MB."""
    port, _ = server
    before = _rss()
    chunk = b"%x\r\n%s\r\n" % (65536, b"a" * 65536)
    sent = 0
    reply = b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"POST /gradio_api/queue/join HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                     "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
        sock.settimeout(5)
        while sent < 200_000_000:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(chunk)
            except (TimeoutError, OSError):
                break  # the server stopped reading
            sent += len(chunk)
        try:
            reply = sock.recv(4096)
        except OSError:
            pass
    assert sent < 20_000_000  # the sender was stopped long before 200 MB
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert _rss() - before < 50 * 1024 * 1024
    status, _, _ = request(server[0], "GET", "/")  # and the server is fine
    assert status == 200


def test_small_json_body_still_accepted(server):
    port, _ = server
    status, body, _ = request(port, "POST", "/gradio_api/queue/join", body=join_body(),
                              headers={"Content-Type": "application/json"})
    assert status == 200 and b"event_id" in body


# -- uploads -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"},
    {"Origin": "http://localhost:3000"},  # another web app on this machine
    {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1:1"},
])
def test_cross_site_upload_refused(server, headers):
    port, uploads = server
    before = stored_uploads(uploads)
    body, content_type = multipart([("notes.txt", b"hello from another site")])
    status, reply, _ = request(port, "POST", "/gradio_api/upload", body=body,
                               headers={"Content-Type": content_type, **headers})
    assert status == 403 and b"Cross-site" in reply
    assert stored_uploads(uploads) == before


def test_cross_site_ask_refused(server):
    port, _ = server
    status, _, _ = request(port, "POST", "/gradio_api/queue/join", body=join_body(),
                           headers={"Content-Type": "application/json", "Origin": "http://evil.example"})
    assert status == 403


@pytest.mark.parametrize(("files", "code"), [
    ([("payload.exe", b"MZ\x90\x00")], 415),
    ([("notes.txt.sh", b"#!/bin/sh\nrm -rf ~\n")], 415),
    ([("good.txt", b"fine"), ("no-suffix", b"x")], 415),
    ([("big.txt", b"a" * 60_000)], 413),  # over max_file_mb (52 KB)
])
def test_bad_uploads_refused_and_nothing_stored(server, files, code):
    port, uploads = server
    before = stored_uploads(uploads)
    body, content_type = multipart(files)
    status, reply, _ = request(port, "POST", "/gradio_api/upload", body=body,
                               headers={"Content-Type": content_type, "Origin": f"http://127.0.0.1:{port}",
                                        "Sec-Fetch-Site": "same-origin"})
    assert status == code, reply
    assert stored_uploads(uploads) == before


def test_upload_over_the_request_limit_refused_by_its_length(server):
    port, uploads = server
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"POST /gradio_api/upload HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                     f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {10**9}\r\n\r\n".encode())
        reply = sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 413")


def test_same_origin_document_upload_accepted(server):
    port, uploads = server
    body, content_type = multipart([("notes.md", b"# Notes\n\nA short note.")])
    status, reply, _ = request(port, "POST", "/gradio_api/upload", body=body,
                               headers={"Content-Type": content_type, "Origin": f"http://127.0.0.1:{port}"})
    assert status == 200, reply
    (path,) = json.loads(reply)
    assert Path(path).read_bytes() == b"# Notes\n\nA short note." and Path(path).is_relative_to(uploads)


def test_upload_temp_files_are_deleted(built, tmp_path, monkeypatch):
    """Gradio's delete_cache is on: the temp copies of uploads go (all of them when the server stops)."""
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "up"))
    demo, port = _launch(built)
    try:
        assert demo.delete_cache == (600, 600)
        body, content_type = multipart([("notes.txt", b"temporary")])
        status, reply, _ = request(port, "POST", "/gradio_api/upload", body=body,
                                   headers={"Content-Type": content_type})
        assert status == 200
        (path,) = json.loads(reply)
        assert Path(path).is_file()
    finally:
        demo.close()
    assert not Path(path).exists()


# -- logins --------------------------------------------------------------------------------------------------
def _login(port: int, password: str) -> tuple[int, dict[str, str]]:
    body = f"username=ann&password={password}".encode()
    status, _, headers = request(port, "POST", "/login", body=body,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    return status, headers


def _parallel_logins(port: int, count: int) -> list[int]:
    """The status codes of ``count`` wrong-password logins sent at once."""
    results: list[int] = []
    threads = [threading.Thread(target=lambda i=i: results.append(_login(port, f"p{i}")[0])) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_password_guessing_is_locked_out(built):
    demo, port = _launch(built, auth=[("ann", "s3cret-pw")], login_max_failures=3, login_lockout_s=30)
    try:
        assert _login(port, "s3cret-pw")[0] == 200  # a right password resets the count
        assert [_login(port, f"guess{i}")[0] for i in range(3)] == [400, 400, 400]
        status, headers = _login(port, "guess3")
        assert status == 429 and 1 <= int(headers["retry-after"]) <= 30
        assert _login(port, "s3cret-pw")[0] == 429  # even the right one waits: the lockout is not an oracle
        # 40 guesses in parallel: at most the remaining budget (none) reaches the password check.
        assert _parallel_logins(port, 40).count(429) == 40
    finally:
        demo.close()


def test_parallel_guesses_cannot_outrun_the_count(built):
    demo, port = _launch(built, auth=[("ann", "s3cret-pw")], login_max_failures=5, login_lockout_s=30)
    try:
        results = _parallel_logins(port, 60)
        assert results.count(400) <= 5 and results.count(429) >= 55
    finally:
        demo.close()


def test_guesses_whose_bodies_arrive_late_are_still_counted():
    """Every guess passes the first check before any body has arrived: the count must still stop at the limit."""
    import asyncio
    from ui.security import RequestGuard

    reached_app: list[int] = []

    async def app(scope, receive, send):
        reached_app.append(1)
        await send({"type": "http.response.start", "status": 400, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    guard = RequestGuard(app, GuardPolicy(names=frozenset({"localhost"}), login_max_failures=5, login_lockout_s=30))

    async def guess(gate: asyncio.Event, statuses: list[int]) -> None:
        async def receive():
            await gate.wait()  # the body comes only after all 30 guesses have been admitted to the body read
            return {"type": "http.request", "body": b"username=ann&password=x", "more_body": False}

        async def send(message):
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        scope = {"type": "http", "method": "POST", "path": "/login", "client": ("10.1.2.3", 5000),
                 "headers": [(b"host", b"localhost"), (b"content-length", b"23"),
                             (b"content-type", b"application/x-www-form-urlencoded")]}
        await guard(scope, receive, send)

    async def main() -> list[int]:
        gate, statuses = asyncio.Event(), []
        tasks = [asyncio.create_task(guess(gate, statuses)) for _ in range(30)]
        await asyncio.sleep(0.05)
        gate.set()
        await asyncio.gather(*tasks)
        return statuses

    statuses = asyncio.run(main())
    assert len(reached_app) == 5 and statuses.count(400) == 5 and statuses.count(429) == 25


def test_lockout_doubles_and_resets():
    now = [1000.0]
    throttle = LoginThrottle(max_failures=3, lockout_s=2.0, clock=lambda: now[0])
    waits = []
    for _ in range(8):
        assert throttle.retry_after("10.0.0.9") == 0
        throttle.attempt("10.0.0.9")
        wait = throttle.retry_after("10.0.0.9")
        waits.append(wait)
        now[0] += wait
    assert waits == [0, 0, 2, 4, 8, 16, 32, 64]
    assert throttle.retry_after("10.0.0.8") == 0  # per address
    throttle.succeeded("10.0.0.9")
    assert throttle.retry_after("10.0.0.9") == 0
    for _ in range(60):
        throttle.attempt("10.0.0.7")
    assert throttle.retry_after("10.0.0.7") == 15 * 60  # capped


# -- passwords on the command line ---------------------------------------------------------------------------
def test_auth_on_the_command_line_is_refused(built, monkeypatch):
    monkeypatch.delenv("KB_AUTH", raising=False)
    code, out, err = run_cli(["serve", "--sources", str(built / "sources"), "--index", str(built / "index"),
                              "--no-build", "--auth", "ann:s3cret"])
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "--auth-file" in err and "KB_AUTH" in err and "ps" in err and "s3cret" not in err


def test_auth_file_read_and_checked(tmp_path):
    from kb.commands.serve import read_auth_file
    from kb.errors import UsageError
    import io

    path = tmp_path / "logins"
    path.write_text("# who may log in\nann:pa:ss\n\nbob:hunter2\n", encoding="utf-8")
    os.chmod(path, 0o600)
    err = io.StringIO()
    assert read_auth_file(path, err) == [("ann", "pa:ss"), ("bob", "hunter2")] and err.getvalue() == ""
    os.chmod(path, 0o644)
    read_auth_file(path, err)
    assert "can be read by other users" in err.getvalue() and "chmod 600" in err.getvalue()
    path.write_text("ann:ok\nbroken-line\n", encoding="utf-8")
    with pytest.raises(UsageError, match="line 2: expected USER:PASSWORD"):
        read_auth_file(path)
    with pytest.raises(UsageError, match="cannot read it"):
        read_auth_file(tmp_path / "missing")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
