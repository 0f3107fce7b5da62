"""What the Milvus modules share: limits, names, the connection per URI, iteration and one-line errors."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
from pathlib import Path
from typing import Any, Iterator

from pymilvus import MilvusClient
from pymilvus.exceptions import MilvusException

from kb.errors import IndexBusyError, KBError, UsageError
from kb.text import fts_tokens

KINDS = ("chunks", "sentences", "documents", "terms")

MAX_VARCHAR = 65_535  # bytes, Milvus' limit for one VARCHAR value
TEXT_PART = 16_000  # characters of document text per row: at most 4 bytes each, so always under MAX_VARCHAR
MAX_TERM_BYTES = 256  # longer "terms" (a run of letters with no space) stay searchable but out of the vocabulary
INSERT_BATCH = 1000
LEASE_SECONDS = 30.0  # a server build's lock record expires this long after its last renewal
DUMMY = [0.0, 0.0]  # Milvus wants a vector field in every collection; documents, terms and meta have none
ROW_FIELDS = ["id", "source", "title", "date", "start", "stop", "text", "vector"]

# pymilvus logs every failed call at ERROR with a traceback before raising it; kb turns the exception into one
# line (kb.errors), so its log would only repeat that in a wall of text. (Set after importing pymilvus, whose
# import configures its loggers.)
logging.getLogger("pymilvus").setLevel(logging.CRITICAL)


def quote(value: str) -> str:
    """A Milvus filter string literal (escapes quotes and backslashes; no \\u escapes, which Milvus rejects)."""
    return json.dumps(value, ensure_ascii=False)


def fit(text: str, limit: int = MAX_VARCHAR) -> str:
    """Cut ``text`` to at most ``limit`` UTF-8 bytes (never needed for chunks of kb's sizes; a guard)."""
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", "ignore")


def analyzed(text: str) -> list[str]:
    """The FTS5 terms of ``text`` in order (what Milvus' BM25 function indexes)."""
    return fts_tokens(text)


def milvus_error(exc: Exception) -> type[Exception] | None:
    return MilvusException if isinstance(exc, MilvusException) else None


# -- connection ---------------------------------------------------------------------------------------------
_CLIENTS: dict[str, Any] = {}
_CLIENTS_LOCK = threading.Lock()


def is_lite(uri: str) -> bool:
    return not re.match(r"^(https?|tcp|unix)://", uri) and not uri.startswith("unix:")


def client_for(uri: str) -> Any:
    """One MilvusClient per URI per process (gRPC channels are thread-safe and costly to open)."""
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(uri)
        if client is None:
            client = _connect(uri)
            _CLIENTS[uri] = client
        return client


def _connect(uri: str) -> Any:
    token = os.environ.get("KB_MILVUS_TOKEN", "")
    target = uri
    if is_lite(uri):
        if not uri.endswith(".db"):
            raise UsageError(f"a milvus-lite store is a file ending in .db, not {uri!r} (or give http://host:19530)")
        path = Path(uri).expanduser().resolve()
        if not path.parent.is_dir():
            raise UsageError(f"cannot create the milvus-lite database {uri}: {path.parent} does not exist")
        try:
            from milvus_lite.server_manager import server_manager_instance
        except ImportError:
            raise UsageError("a milvus-lite file store needs milvus-lite: pip install milvus-lite") from None
        # milvus-lite serves one process (it flocks its folder); say so in one line instead of its traceback.
        lite_log = logging.getLogger("milvus_lite")
        level = lite_log.level
        lite_log.setLevel(logging.CRITICAL)
        try:
            target = server_manager_instance.start_and_get_uri(str(path))
        finally:
            lite_log.setLevel(level)
        if target is None:
            raise IndexBusyError(
                f"the milvus-lite database {uri} is open in another process (milvus-lite serves one process; "
                "share an index between processes with a Milvus server, docs/milvus.md)"
            )
    try:
        client = MilvusClient(uri=target, token=token, timeout=30)
        client.kb_embedded = is_lite(uri)  # see iterate
        return client
    except Exception as exc:  # pymilvus raises several types for an unreachable server
        raise UsageError(f"cannot reach Milvus at {uri}: {str(exc).splitlines()[0][:160]}") from None


def lite_server_uri(path: str | Path) -> str:
    """The in-process gRPC address of a milvus-lite file: lets other processes reach it as a server (tests)."""
    from milvus_lite.server_manager import server_manager_instance

    uri = server_manager_instance.start_and_get_uri(str(Path(path).resolve()))
    if uri is None:
        raise IndexBusyError(f"the milvus-lite database {path} is open in another process")
    return uri


def collection_prefix(index: Path) -> str:
    """``kb_`` + the ``index`` setting as given, in the letters Milvus allows in a name ("index" -> "kb_index").

    The index setting names the index inside Milvus as it names the folder of the FAISS store: several kb
    indexes share one Milvus without mixing, and every kb process with the same settings reads the same one.
    """
    text = re.sub(r"[^A-Za-z0-9]+", "_", os.path.normpath(str(index))).strip("_") or "index"
    if len(text) > 48:  # collection names are limited (255); keep them readable and unique
        text = text[-40:].strip("_") + "_" + hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"kb_{text}"


def iterate(client: Any, collection: str, filter: str, fields: list[str], batch: int = 4000) -> Iterator[dict]:
    """Every row matching ``filter``: a server caps one query at 16,384 rows, so it takes an iterator there;
    embedded milvus-lite answers one query with all rows, faster than its iterator."""
    if getattr(client, "kb_embedded", False):
        yield from client.query(collection, filter=filter, output_fields=fields)
        return
    iterator = client.query_iterator(collection, batch_size=batch, filter=filter, output_fields=fields)
    try:
        while True:
            rows = iterator.next()
            if not rows:
                return
            yield from rows
    finally:
        iterator.close()


class MilvusError(KBError):
    """A Milvus call failed (server down, timeout, refused request): one line, exit code 1."""


def wrap(what: str) -> Any:
    """Decorator: a Milvus error becomes one line naming ``what`` instead of pymilvus' traceback."""

    def decorate(fn: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except KBError:
                raise
            except Exception as exc:
                if milvus_error(exc) is None:
                    raise
                raise MilvusError(f"Milvus {what} failed: {str(exc).splitlines()[0][:200]}") from None

        wrapper.__name__ = fn.__name__
        wrapper.__doc__ = fn.__doc__
        return wrapper

    return decorate
