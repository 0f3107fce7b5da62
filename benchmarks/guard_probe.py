"""Probe a `kb serve` app the way issue 14 did: a 200 MB body, a forged Host, a cross-site upload, 5 s of
password guessing. Starts the app in this process on 127.0.0.1 over a one-document index and prints a table.

    .venv/bin/python benchmarks/guard_probe.py
"""

from __future__ import annotations

import http.client
import socket
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _request(port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
             host: str | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest(method, path, skip_host=True)
        conn.putheader("Host", host or f"127.0.0.1:{port}")
        for key, value in (headers or {}).items():
            conn.putheader(key, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def main() -> None:
    from kb import KnowledgeBase
    from ui.app import launch
    from ui.service import KBService

    base = Path(tempfile.mkdtemp(prefix="kb-guard-"))
    (base / "sources").mkdir()
    (base / "sources" / "a.txt").write_text("The Brannock lighthouse was built in 1874 by Mara Velt.\n")
    kb = KnowledgeBase(base / "sources", base / "index")
    kb.build()
    port = socket.socket()
    port.bind(("127.0.0.1", 0))
    number = port.getsockname()[1]
    port.close()
    demo = launch(KBService(kb), port=number, auth=[("ann", "right-password")], prevent_thread_lock=True, quiet=True)
    rows = []
    try:
        rss = psutil.Process().memory_info().rss
        with socket.create_connection(("127.0.0.1", number)) as sock:
            sock.sendall(f"POST /gradio_api/queue/join HTTP/1.1\r\nHost: 127.0.0.1:{number}\r\nContent-Type: "
                         f"application/json\r\nContent-Length: 200000000\r\n\r\n".encode())
            status = sock.recv(64).split(b" ")[1].decode()
        delta = (psutil.Process().memory_info().rss - rss) / 2**20
        rows.append(("200 MB JSON body to /gradio_api/queue/join", status, f"server RSS +{delta:.1f} MiB"))
        forged = _request(number, "GET", "/", host=f"evil.example:{number}")
        rows.append(("GET / with Host: evil.example:PORT", str(forged), ""))
        boundary = "b0undary"
        upload = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"x.txt\"\r\n\r\nhi\r\n"
                  f"--{boundary}--\r\n").encode()
        rows.append(("upload with Origin: http://evil.example", str(_request(
            number, "POST", "/gradio_api/upload", upload,
            {"Content-Type": f"multipart/form-data; boundary={boundary}", "Origin": "http://evil.example"})), ""))
        counts: dict[int, int] = {}
        start = time.monotonic()
        while time.monotonic() - start < 5:
            code = _request(number, "POST", "/login", b"username=ann&password=guess",
                            {"Content-Type": "application/x-www-form-urlencoded"})
            counts[code] = counts.get(code, 0) + 1
        rows.append(("wrong passwords for 5 s", ", ".join(f"{n} x {c}" for c, n in sorted(counts.items())),
                     f"{counts.get(400, 0)} reached the password check"))
    finally:
        demo.close()
    width = max(len(r[0]) for r in rows)
    print(f"{'probe':<{width}} | status | note")
    for name, status, note in rows:
        print(f"{name:<{width}} | {status} | {note}")


if __name__ == "__main__":
    main()
