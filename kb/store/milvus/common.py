"""What the Milvus modules share: limits, names, the connection per URI, iteration and one-line errors."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sqlite3
import threading
import warnings
from contextlib import closing
from pathlib import Path
from typing import Any, Iterator

from pymilvus import MilvusClient
from pymilvus.exceptions import MilvusException

from kb.config import kb_cache_dir
from kb.errors import IndexBusyError, IndexCorruptError, KBError, UsageError
from kb.text import fts_tokens

KINDS = ("chunks", "sentences", "documents", "terms")

MAX_VARCHAR = 65_535  # bytes, Milvus' limit for one VARCHAR value
TEXT_PART = 16_000  # characters of document text per row: at most 4 bytes each, so always under MAX_VARCHAR
TITLE_BYTES = 4096  # a title is cut to fit this VARCHAR (``fit``)
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
    """A Milvus filter string literal. Its parser decodes only ``\\\\`` and ``\\"``: json.dumps' ``\\u001b`` comes back as
    six literal characters, so a source named with a control character matched nothing and its text read as empty.
    Every other character goes in raw, which Milvus matches, except CR and LF, which no literal can hold (see
    ``equals``)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def expressible(value: str) -> bool:
    """Whether ``quote(value)`` matches ``value`` exactly (no CR or LF)."""
    return "\n" not in value and "\r" not in value


def equals(field: str, value: str) -> str:
    """A filter for ``field == value``. For a value no literal can hold (``expressible``), a ``like`` on its part before
    the first CR, LF or wildcard, which can match more rows: callers keep only the rows whose field equals ``value``."""
    if expressible(value):
        return f"{field} == {quote(value)}"
    prefix = re.split(r"[\r\n\\%_]", value, maxsplit=1)[0]
    return f"{field} like {quote(prefix + '%')}"


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


def client_for(uri: str, private: bool = True) -> Any:
    """One MilvusClient per URI per process (gRPC channels are thread-safe and costly to open)."""
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(uri)
        if client is None:
            client = _connect(uri, private)
            _CLIENTS[uri] = client
        return client


def _connect(uri: str, private: bool) -> Any:
    token = os.environ.get("KB_MILVUS_TOKEN", "")
    target = _start_lite(uri, private) if is_lite(uri) else uri
    try:
        return MilvusClient(uri=target, token=token, timeout=30)
    except Exception as exc:  # pymilvus raises several types for an unreachable server
        raise UsageError(f"cannot reach Milvus at {uri}: {str(exc).splitlines()[0][:160]}") from None


def _start_lite(uri: str, private: bool) -> str:
    """Start milvus-lite (Milvus itself, run as a child process on a Unix socket) for a .db file; its address.

    milvus-lite writes the database, its lock and its socket with the umask of the process that starts it. The
    database holds every document's full text, so a private index (``index_mode``, the default) starts it under
    umask 077, as a private FAISS index is created 0700/0600 (kb.store.layout). The child stops by itself when
    this process ends, even by SIGKILL: it watches a lock this process holds.
    """
    if not uri.endswith(".db"):
        raise UsageError(f"a milvus-lite store is a file ending in .db, not {uri!r} (or give http://host:19530)")
    path = Path(uri).expanduser().resolve()
    if not path.parent.is_dir():
        raise UsageError(f"cannot create the milvus-lite database {uri}: {path.parent} does not exist")
    if not re.fullmatch(r"[A-Za-z0-9.\-_]{1,36}", path.name):
        raise UsageError(f"a milvus-lite file name has at most 36 letters, digits, '.', '-' or '_', not {path.name!r}")
    try:
        with warnings.catch_warnings():  # milvus-lite 2.5 imports pkg_resources, which warns on every import
            warnings.simplefilter("ignore", UserWarning)
            from milvus_lite.server_manager import server_manager_instance
    except ImportError as exc:
        raise UsageError(f"a milvus-lite file store needs milvus-lite: pip install 'milvus-lite<3' ({exc})") from None
    lite_log = logging.getLogger()  # milvus-lite logs its failures on the root logger; kb says them in one line
    level = lite_log.level
    lite_log.setLevel(logging.CRITICAL)
    # The umask is the process's: for the half second milvus-lite takes to start, other threads' new files are
    # private too, which errs on the safe side. (The child keeps 077 for everything it writes later.)
    umask = os.umask(0o077) if private else None
    _keep_lite_logs_in_a_folder()
    try:
        target = server_manager_instance.start_and_get_uri(str(path))
    except RuntimeError as exc:
        raise UsageError(f"cannot start milvus-lite for {uri}: {str(exc).splitlines()[0][:160]}") from None
    finally:
        if umask is not None:
            os.umask(umask)
        lite_log.setLevel(level)
    if target is None:
        damage = _damaged(path)
        if damage:
            raise IndexCorruptError(f"the milvus-lite database {uri} is damaged ({damage}); `kb index --full` cannot "
                                    "repair it: move it away, then run `kb index` to build it anew")
        raise IndexBusyError(
            f"the milvus-lite database {uri} is open in another process, or milvus-lite could not start there "
            "(milvus-lite serves one process; share an index between processes with a Milvus server, docs/milvus.md)"
        )
    return target


#: milvus-lite's own log files (glog: two per start, "milvus.<host>.<user>.log.INFO.<time>.<pid>") go to a folder of
#: kb's instead of /tmp, where they piled up by the thousand, and only the newest are kept. GLOG_log_dir set by the
#: user wins.
LITE_LOGS_KEPT = 40


def lite_log_dir() -> Path:
    return kb_cache_dir() / "milvus-lite-logs"


def _keep_lite_logs_in_a_folder() -> None:
    if "GLOG_log_dir" in os.environ:
        return
    folder = lite_log_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        logs = sorted((p for p in folder.iterdir() if p.is_file() or p.is_symlink()),
                      key=lambda p: p.lstat().st_mtime, reverse=True)
        for old in logs[LITE_LOGS_KEPT:]:
            old.unlink(missing_ok=True)
    except OSError:
        return  # an unwritable cache: milvus-lite logs where it always did
    os.environ["GLOG_log_dir"] = str(folder)  # the child inherits the environment


def _damaged(path: Path) -> str | None:
    """Why a milvus-lite file that would not start is no database (it is SQLite inside), or None: one that is fine
    is most likely open in another process. Both were reported as busy (exit 6), which no waiting mends."""
    try:
        with path.open("rb") as f:
            head = f.read(16)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot read it: {exc.strerror or exc}"
    if not head:
        return None
    if head != b"SQLite format 3\x00":
        return "not a milvus-lite database file"
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)) as db:
            result = db.execute("PRAGMA quick_check").fetchone()
    except sqlite3.OperationalError as exc:  # locked or busy: in use elsewhere, which says nothing of damage
        return None if any(word in str(exc) for word in ("locked", "busy")) else str(exc)
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return None if result and result[0] == "ok" else f"integrity check: {result[0] if result else 'no result'}"


def lite_server_uri(path: str | Path) -> str:
    """The Unix-socket address of a milvus-lite file's server: other processes reach it as a Milvus server (tests)."""
    return _start_lite(str(Path(path).resolve()), private=True)


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
    """Every row matching ``filter``: Milvus caps one query at 16,384 rows, so this pages with its iterator."""
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
