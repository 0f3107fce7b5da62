"""Load test: N clients asking through `kb serve`'s /ask API for S seconds while the index is rebuilt.

A fresh `kb serve --no-build` answers over a small corpus whose every document is stamped with its edition
("This record is edition ALPHA"); meanwhile a separate `kb index` process rebuilds it again and again, each time
rewriting every document to the other edition (ALPHA <-> BRAVO). Each document is one chunk, so every passage
of an answer carries its edition: an answer whose passages carry two editions, or whose text names the other
edition's lighthouse builder, came from a mixed index. Reported: requests, errors, mixed answers, p50/p95/max
latency, rebuilds completed and editions seen.

    .venv/bin/python benchmarks/load_ask.py                     # 20 clients, 60 s
    .venv/bin/python benchmarks/load_ask.py --clients 5 --seconds 15
Exit status 1 when any request failed or any answer was mixed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "reliability"))

from test_reads_during_rebuild import BUILDER_NAME, QUESTIONS, edition_files, markers  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kb_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "kb.cli", *args]


def write(folder: Path, edition: str) -> None:
    for name, text in edition_files(edition).items():
        tmp = folder / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, folder / name)  # whole-file swaps: the builder never reads half a file


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()

    from gradio_client import Client

    tmp = Path(tempfile.mkdtemp(prefix="kb-load-"))
    sources, index = tmp / "sources", tmp / "index"
    sources.mkdir()
    write(sources, "ALPHA")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    subprocess.run(kb_cmd("index", "--sources", str(sources), "--index", str(index), "-q"), cwd=ROOT, env=env,
                   check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(kb_cmd("serve", "--sources", str(sources), "--index", str(index), "--port", str(port),
                                     "--no-build"), cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                Client(url, verbose=False).predict(QUESTIONS[0], api_name="/ask")
                break
            except Exception:
                if server.poll() is not None or time.monotonic() > deadline:
                    print("kb serve did not come up:", (server.stderr.read() or "")[-2000:], file=sys.stderr)
                    return 1
                time.sleep(1)

        stop = threading.Event()
        latencies: list[float] = []
        errors: list[str] = []
        mixed: list[str] = []
        seen_editions: set[str] = set()
        lock = threading.Lock()

        def client(n: int) -> None:
            api = Client(url, verbose=False)
            i = 0
            while not stop.is_set():
                question = QUESTIONS[(n + i) % len(QUESTIONS)]
                i += 1
                started = time.perf_counter()
                try:
                    result = api.predict(question, api_name="/ask")
                except Exception as exc:
                    with lock:
                        errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")
                    continue
                took = time.perf_counter() - started
                seen = markers([p["text"] for p in result["passages"]])
                problem = None
                if len(seen) != 1:
                    problem = f"{question!r}: passages from editions {sorted(seen)}"
                elif "lighthouse" in question and not result["abstained"]:
                    named = {e for e, name in BUILDER_NAME.items() if name in result["answer"]}
                    if named != seen:
                        problem = f"{question!r}: answer {result['answer'][:80]!r} vs passages {sorted(seen)}"
                with lock:
                    latencies.append(took)
                    seen_editions.update(seen)
                    if problem:
                        mixed.append(problem)

        rebuilds: list[tuple[str, int, float]] = []

        def rebuilder() -> None:
            edition = "ALPHA"
            while not stop.is_set():
                edition = "BRAVO" if edition == "ALPHA" else "ALPHA"
                write(sources, edition)
                started = time.perf_counter()
                done = subprocess.run(kb_cmd("index", "--sources", str(sources), "--index", str(index), "--wait",
                                             "120", "-q"), cwd=ROOT, env=env, capture_output=True, text=True)
                rebuilds.append((edition, done.returncode, time.perf_counter() - started))
                if done.returncode:
                    with lock:
                        errors.append(f"kb index exit {done.returncode}: {done.stderr.strip()[-200:]}")

        threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(args.clients)]
        builder = threading.Thread(target=rebuilder, daemon=True)
        begun = time.monotonic()
        builder.start()
        for t in threads:
            t.start()
        time.sleep(args.seconds)
        stop.set()
        for t in threads:
            t.join(timeout=120)
        wall = time.monotonic() - begun
        builder.join(timeout=300)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(tmp, ignore_errors=True)

    ms = sorted(x * 1000 for x in latencies)

    def pct(p: float) -> float:
        return ms[min(len(ms) - 1, int(p / 100 * len(ms)))] if ms else float("nan")

    print("| clients | seconds | answers | errors | mixed | p50 ms | p95 ms | max ms | answers/s | rebuilds | editions seen |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {args.clients} | {wall:.0f} | {len(ms)} | {len(errors)} | {len(mixed)} | {pct(50):.0f} | {pct(95):.0f} | "
          f"{(ms[-1] if ms else float('nan')):.0f} | {len(ms) / wall:.1f} | "
          f"{sum(1 for _, code, _ in rebuilds if code == 0)} of {len(rebuilds)} "
          f"(median {statistics.median([s for *_, s in rebuilds]) if rebuilds else float('nan'):.1f} s) | "
          f"{', '.join(sorted(seen_editions))} |")
    for line in (errors + mixed)[:10]:
        print("  ", line)
    print(f"cpu: {os.cpu_count()} cores; load average at end {os.getloadavg()[0]:.1f}")
    return 1 if errors or mixed else 0


if __name__ == "__main__":
    sys.exit(main())
