"""Subprocess for the SIGKILL test: loads the model once, then forks one child per rebuild and kills it.

Loading the model takes seconds; a rebuild of the tiny corpus much less. So this process loads it once (without
running it: a forked child of a process that has used torch's thread pool can hang), and each trial forks a
child that really rebuilds the index with that model while this process SIGKILLs it at the chosen moment.

The child reports each step of the build on a pipe just before taking it (the hooks only observe, then pause a
few milliseconds so the kill can land right before, during or after the step). Protocol on stdin/stdout, one
JSON object per line:

    in:  {"sources": DIR, "full": bool, "kill_after": EVENT|null, "delay": SECONDS, "pause": SECONDS}
    out: {"killed": bool, "events": [EVENT...], "exit": CODE|null, "seconds": S}

``kill_after: null`` kills ``delay`` seconds after the fork; an event name kills ``delay`` seconds after the
child reports that step (the first time). A child that finishes first is reported with ``killed: false``.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import time
from pathlib import Path


def _install_hooks(write_fd: int, pause: float) -> None:
    import kb.indexing as indexing
    from kb.embedding import Embedder
    from kb.store.database import IndexDatabase
    from kb.store.manifest import Manifest
    from kb.store.vectors import VectorIndex

    def emit(event: str) -> None:
        os.write(write_fd, (event + "\n").encode())
        if pause:
            time.sleep(pause)

    def observed(event, fn):
        def wrapper(*args, **kwargs):
            emit(event)
            return fn(*args, **kwargs)

        return wrapper

    indexing.scan_sources = observed("scan", indexing.scan_sources)
    indexing.read_document = observed("read", indexing.read_document)
    Embedder.embed = observed("embed", Embedder.embed)
    create = IndexDatabase.create
    IndexDatabase.create = classmethod(lambda cls, *a, **k: (emit("db-create"), create(*a, **k))[1])
    IndexDatabase.remove_document = observed("db-remove", IndexDatabase.remove_document)
    IndexDatabase.add_document = observed("db-add", IndexDatabase.add_document)
    IndexDatabase.commit = observed("db-commit", IndexDatabase.commit)
    VectorIndex.save = observed("faiss-save", VectorIndex.save)
    Manifest.write = observed("manifest", Manifest.write)
    os.fsync = observed("fsync", os.fsync)
    os.rename = observed("rename-version", os.rename)
    os.replace = observed("replace-current", os.replace)
    indexing.collect_garbage = observed("gc", indexing.collect_garbage)
    if os.environ.get("KB_STORE", "").startswith("milvus:"):
        _install_milvus_hooks(observed)


def _install_milvus_hooks(observed) -> None:
    """The Milvus build's steps, under the names of the FAISS steps they stand in for."""
    from pymilvus import MilvusClient

    from kb.store.milvus import MilvusBackend, MilvusWriter

    MilvusBackend.create_collection = observed("db-create", MilvusBackend.create_collection)
    MilvusWriter.remove_document = observed("db-remove", MilvusWriter.remove_document)
    MilvusWriter.add_document = observed("db-add", MilvusWriter.add_document)
    MilvusWriter._carry_over = observed("db-commit", MilvusWriter._carry_over)
    MilvusWriter._flush = observed("faiss-save", MilvusWriter._flush)
    MilvusClient.flush = observed("fsync", MilvusClient.flush)
    MilvusBackend.next_version = observed("rename-version", MilvusBackend.next_version)
    MilvusBackend.write_manifest = observed("manifest", MilvusBackend.write_manifest)
    MilvusBackend.point_live = observed("replace-current", MilvusBackend.point_live)


def _child(index: str, request: dict, write_fd: int) -> None:
    code = 0
    try:
        _install_hooks(write_fd, float(request.get("pause", 0)))
        from kb import KnowledgeBase

        KnowledgeBase(request["sources"], index).build(full=bool(request["full"]), lock_wait=30)
        os.write(write_fd, b"done\n")
    except BaseException as exc:  # reported to the test, which fails on it
        os.write(write_fd, f"error {type(exc).__name__}: {exc}".replace("\n", " ").encode() + b"\n")
        code = 3
    os._exit(code)


def _trial(index: str, request: dict) -> dict:
    read_fd, write_fd = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child(index, request, write_fd)
    os.close(write_fd)
    kill_after, delay = request.get("kill_after"), float(request.get("delay", 0))
    deadline = started + delay if kill_after is None else None
    events: list[str] = []
    buffer = b""
    killed = False
    eof = False
    while not eof:
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        ready, _, _ = select.select([read_fd], [], [], timeout)
        if ready:
            data = os.read(read_fd, 4096)
            eof = not data
            buffer += data
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                event = line.decode()
                events.append(event)
                if deadline is None and event == kill_after:
                    deadline = time.monotonic() + delay
        if deadline is not None and time.monotonic() >= deadline and not eof:
            os.kill(pid, signal.SIGKILL)
            killed = True
            break
    os.close(read_fd)
    _, status = os.waitpid(pid, 0)
    if killed and os.WIFEXITED(status):  # it finished between our last read and the kill
        killed = False
    return {
        "killed": killed,
        "events": events,
        "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "seconds": round(time.monotonic() - started, 4),
    }


def main() -> None:
    index = sys.argv[1]
    from kb.config import load_settings
    from kb.embedding import shared_embedder

    s = load_settings({"index": index})
    shared_embedder(s.model, s.device, s.batch_size)  # load only; never run it in this process
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        print(json.dumps(_trial(index, json.loads(line))), flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    main()
