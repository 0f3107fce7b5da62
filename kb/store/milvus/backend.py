"""Where the versions of one index live in Milvus: naming, opening, schemas, publishing, clean-up, the lock."""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
import uuid
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Iterator

from pymilvus import DataType, Function, FunctionType
from pymilvus.exceptions import MilvusException

from kb.config import Settings
from kb.errors import IndexBusyError, IndexCorruptError, IndexMissingError, KBError, UsageError
from kb.store.base import StoreBackend
from kb.store.layout import CURRENT, file_lock, first_build_under_way
from kb.store.manifest import Manifest
from kb.store.milvus.common import (
    DUMMY, KINDS, LEASE_SECONDS, MAX_TERM_BYTES, MAX_VARCHAR, TITLE_BYTES, client_for, collection_prefix, is_lite,
    milvus_error, quote, wrap,
)
from kb.store.milvus.reader import MilvusStore
from kb.store.milvus.writer import MilvusWriter

class MilvusBackend(StoreBackend):
    kind = "milvus"

    def __init__(self, uri: str, settings: Settings) -> None:
        self.uri = uri.strip()
        self.settings = settings
        self.lite = is_lite(self.uri)
        self.private = settings.index_mode == "private"
        self.uri_for_messages = f"milvus:{self.uri}"
        # milvus-lite: exact FLAT search; a server picks its own (AUTOINDEX: HNSW-like).
        self.vector_index = "FLAT" if self.lite else "AUTOINDEX"
        self._client: Any = None
        self._loaded: set[str] = set()
        self.prefix = collection_prefix(settings.index)
        self.meta = f"{self.prefix}_meta"  # manifests of the versions, and a server's lock record
        self._name_re = re.compile(rf"^{self.prefix}_(chunks|sentences|documents|terms)_(v\d{{6,}})$")

    def name(self, kind: str, version: str) -> str:
        return f"{self.prefix}_{kind}_{version}"

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = client_for(self.uri, private=self.private)
        return self._client

    def describe(self) -> str:
        return self.uri_for_messages

    def load(self, name: str) -> None:
        """Load a collection into memory once per process: Milvus serves queries only from loaded collections,
        and a restarted milvus-lite (or server) starts with them released."""
        if name not in self._loaded:
            self.client.load_collection(name)
            self._loaded.add(name)

    # -- versions ------------------------------------------------------------------------------------
    def live_version(self) -> str | None:
        """The newest version named by a ``live:`` row of ``<prefix>_meta`` (see ``point_live``)."""
        if self.lite and self._client is None and not Path(self.uri).expanduser().exists():
            return None  # no database yet: connecting would create the file, and `kb ask` only reads
        try:
            if self.meta not in self._loaded:  # asked on every question: one round trip once the meta is loaded
                if not self.client.has_collection(self.meta):
                    return None
                self.load(self.meta)
            rows = self.client.query(self.meta, filter='key like "live:%"', output_fields=["key"],
                                     consistency_level="Strong")
        except Exception as exc:
            if milvus_error(exc) is None:
                raise
            raise UsageError(f"Milvus at {self.uri} failed: {str(exc).splitlines()[0][:160]}") from None
        versions = [row["key"][len("live:"):] for row in rows if re.fullmatch(r"live:v\d{6,}", row["key"])]
        return max(versions, key=lambda v: int(v[1:]), default=None)

    def _versions(self) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for name in self.client.list_collections():
            match = self._name_re.match(name)
            if match:
                found.setdefault(match.group(2), set()).add(match.group(1))
        return found

    def next_version(self) -> str:
        numbers = [int(v[1:]) for v in self._versions()]
        live = self.live_version()
        numbers += [int(live[1:])] if live else []
        return f"v{max(numbers, default=0) + 1:06d}"

    def _missing_message(self) -> str:
        building = first_build_under_way(self.uri_for_messages, self._lite_lock()) if self.lite else None
        if building:
            return building
        message = f"no index in {self.uri_for_messages}: run `kb index` first, with this store"
        if (self.settings.index / CURRENT).is_file():
            message += f" ({self.settings.index} holds an index built with store faiss: set store = faiss to use it)"
        return message

    @wrap("manifest read")
    def read_manifest(self, version: str) -> Manifest:
        self.load(self.meta)
        rows = self.client.query(self.meta, filter=f"key == {quote('manifest:' + version)}", output_fields=["value"])
        if not rows:
            raise IndexCorruptError(f"{self.uri_for_messages}: version {version} has no manifest: run `kb index --full`")
        try:
            return Manifest(**json.loads(rows[0]["value"]))
        except (ValueError, TypeError) as exc:
            raise IndexCorruptError(f"{self.uri_for_messages}: manifest of {version} is damaged ({exc}): "
                                    "run `kb index --full`") from None

    @wrap("opening the index")
    def open(self) -> MilvusStore:
        version = self.live_version()
        if version is None:
            raise IndexMissingError(self._missing_message())
        missing = [kind for kind in KINDS if not self.client.has_collection(self.name(kind, version))]
        if missing or not self.client.has_collection(self.meta):
            raise IndexCorruptError(f"{self.uri_for_messages}: collections of {version} are missing "
                                    f"({', '.join(missing) or self.meta}): run `kb index --full`")
        self._refuse_a_shared_name()
        for kind in KINDS:
            self.load(self.name(kind, version))
        return MilvusStore(self.client, version, self.read_manifest(version),
                           {kind: self.name(kind, version) for kind in KINDS})

    @wrap("manifest read")
    def live_manifest(self) -> Manifest | None:
        version = self.live_version()
        if version is None:
            return None
        if not self.client.has_collection(self.meta):
            raise IndexCorruptError(f"{self.uri_for_messages}: {self.meta} is missing: run `kb index --full`")
        return self.read_manifest(version)

    def _claimed_by(self) -> str | None:
        """The ``index`` setting that first wrote these collections (the ``name`` row of the meta), if another than
        this one's. ``collection_prefix`` keeps a name's letters and digits only, so "proj-a" and "proj_a" share
        ``kb_proj_a``: a build of one removed the other's documents ("removed 5")."""
        if not self.client.has_collection(self.meta):
            return None
        self.load(self.meta)
        rows = self.client.query(self.meta, filter=f"key == {quote('name')}", output_fields=["value"])
        claimed = rows[0]["value"] if rows else None
        return claimed if claimed is not None and claimed != self._own_name else None

    @property
    def _own_name(self) -> str:
        return os.path.normpath(str(self.settings.index))

    def _refuse_a_shared_name(self) -> None:
        other = self._claimed_by()
        if other is not None:
            raise UsageError(f"{self.uri_for_messages}: index {self._own_name!r} is stored as {self.prefix}, which holds "
                             f"index {other!r}: give --index a name whose letters and digits differ")

    def writer(self, full: bool, dimension: int) -> MilvusWriter:
        self._refuse_a_shared_name()
        previous = None
        if not full:
            version = self.live_version()
            if version is not None:
                previous = (version, self.read_manifest(version))
                dimension = dimension or previous[1].dimension
        return MilvusWriter(self, previous, dimension)

    # -- schema --------------------------------------------------------------------------------------
    def _ensure_meta(self) -> None:
        if self.client.has_collection(self.meta):
            self.load(self.meta)
            return
        schema = self.client.create_schema(auto_id=False)
        schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=512)
        schema.add_field("value", DataType.VARCHAR, max_length=MAX_VARCHAR)
        schema.add_field("_v", DataType.FLOAT_VECTOR, dim=2)
        self._create(self.meta, schema, {"_v": ("FLAT", "L2")})

    def _create(self, name: str, schema: Any, indexes: dict[str, tuple[str, str]]) -> None:
        params = self.client.prepare_index_params()
        for field, (index_type, metric) in indexes.items():
            params.add_index(field, index_type=index_type, metric_type=metric,
                             **({"params": {"bm25_k1": 1.2, "bm25_b": 0.75}} if metric == "BM25" else {}))
        # Strong: a reader in another process must see every row of a version the moment its live row appears.
        self.client.create_collection(name, schema=schema, index_params=params, consistency_level="Strong")
        self._loaded.add(name)  # created with indexes = loaded

    def create_collection(self, kind: str, version: str, dimension: int) -> None:
        schema = self.client.create_schema(auto_id=False)
        if kind == "terms":
            schema.add_field("term", DataType.VARCHAR, is_primary=True, max_length=MAX_TERM_BYTES)
            schema.add_field("df", DataType.INT64)
            schema.add_field("_v", DataType.FLOAT_VECTOR, dim=2)
            return self._create(self.name(kind, version), schema, {"_v": ("FLAT", "L2")})
        if kind == "documents":
            schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=8192)
        else:
            schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("source", DataType.VARCHAR, max_length=4096)
        if kind != "sentences":
            schema.add_field("title", DataType.VARCHAR, max_length=TITLE_BYTES)
            schema.add_field("date", DataType.VARCHAR, max_length=64)
        if kind == "documents":
            for field in ("part", "size", "chunks"):
                schema.add_field(field, DataType.INT64)
            schema.add_field("sha256", DataType.VARCHAR, max_length=64)
            schema.add_field("indexed_at", DataType.VARCHAR, max_length=64)
            schema.add_field("text", DataType.VARCHAR, max_length=MAX_VARCHAR)
            schema.add_field("_v", DataType.FLOAT_VECTOR, dim=2)
            return self._create(self.name(kind, version), schema, {"_v": ("FLAT", "L2")})
        if kind == "chunks":
            schema.add_field("ordinal", DataType.INT64)
        schema.add_field("start", DataType.INT64)
        schema.add_field("stop", DataType.INT64)
        schema.add_field("text", DataType.VARCHAR, max_length=MAX_VARCHAR)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
        if kind == "sentences":  # never searched by vector, but Milvus loads only indexed collections
            return self._create(self.name(kind, version), schema, {"vector": ("FLAT", "IP")})
        schema.add_field("terms", DataType.VARCHAR, max_length=MAX_VARCHAR, enable_analyzer=True)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["terms"],
                                     output_field_names=["sparse"]))
        self._create(self.name(kind, version), schema,
                     {"vector": (self.vector_index, "IP"), "sparse": ("SPARSE_INVERTED_INDEX", "BM25")})

    # -- publishing ----------------------------------------------------------------------------------
    def write_manifest(self, version: str, manifest: Manifest) -> None:
        from dataclasses import asdict

        self._ensure_meta()
        self.client.upsert(self.meta, [{"key": f"manifest:{version}", "value": json.dumps(asdict(manifest)), "_v": DUMMY},
                                       {"key": "name", "value": self._own_name, "_v": DUMMY}])
        self.client.flush(self.meta)

    def point_live(self, version: str) -> None:
        """The one atomic step of a build: one row, ``live:<version>``, inserted into ``<prefix>_meta``.

        Readers take the newest version with such a row (``live_version``) from their next question on; the
        older rows go afterwards, and a crash in between leaves them harmless. A single-row insert is atomic in
        Milvus, on a server and in milvus-lite alike; a collection alias would be too, but milvus-lite 2.5 does
        not implement aliases (UNIMPLEMENTED), and one mechanism for both keeps the tests honest.
        """
        self._ensure_meta()
        self.client.upsert(self.meta, [{"key": f"live:{version}", "value": version, "_v": DUMMY}])
        self.client.flush(self.meta)
        self._forget_older_live(version)

    def _forget_older_live(self, version: str) -> None:
        rows = self.client.query(self.meta, filter='key like "live:%"', output_fields=["key"],
                                 consistency_level="Strong")
        older = [row["key"] for row in rows if row["key"] != f"live:{version}"]
        if older:
            self.client.delete(self.meta, filter=f"key in {json.dumps(older, ensure_ascii=False)}")

    def drop_version(self, version: str) -> None:
        for kind in KINDS:
            self._loaded.discard(self.name(kind, version))
            try:
                self.client.drop_collection(self.name(kind, version))
            except Exception as exc:
                if milvus_error(exc) is None:
                    raise
        try:
            self.client.delete(self.meta, filter=f"key == {quote('manifest:' + version)}")
        except Exception as exc:
            if milvus_error(exc) is None:
                raise

    @wrap("clean-up of old versions")
    def collect_garbage(self, keep: int = 2) -> None:
        """Drop abandoned builds (newer than the live version) and all but the newest ``keep`` others."""
        live = self.live_version()
        if live is not None:
            self._forget_older_live(live)
        versions = sorted(self._versions(), key=lambda v: int(v[1:]))
        kept = [v for v in versions if live is not None and int(v[1:]) <= int(live[1:])][-keep:]
        for version in versions:
            if version not in kept:
                self.drop_version(version)

    # -- the one-writer lock -------------------------------------------------------------------------
    def lock(self, wait: float = 0.0) -> AbstractContextManager[None]:
        if self.lite:
            # milvus-lite serves one process anyway; the flock beside the file stops a second build in it.
            return file_lock(self._lite_lock(), f"index {self.uri_for_messages}", wait, private=self.private)
        return self._lease(wait)

    def _lite_lock(self) -> Path:
        path = Path(self.uri).expanduser().resolve()
        return path.with_name(path.name + ".kb-lock")

    @wrap("lock read")
    def _read_lock(self) -> dict[str, Any] | None:
        rows = self.client.query(self.meta, filter='key == "lock"', output_fields=["value"], consistency_level="Strong")
        try:
            return json.loads(rows[0]["value"]) if rows else None
        except ValueError:
            return None

    @staticmethod
    def _stale(record: dict[str, Any]) -> bool:
        if float(record.get("expires", 0)) < time.time():
            return True
        if record.get("host") == socket.gethostname():  # a writer on this machine that died: no need to wait
            try:
                os.kill(int(record.get("pid", 0)), 0)
            except ProcessLookupError:
                return True
            except (OSError, ValueError):
                return False
        return False

    @wrap("lock write")
    def _write_lock(self, record: dict[str, Any]) -> None:
        self.client.upsert(self.meta, [{"key": "lock", "value": json.dumps(record), "_v": DUMMY}])

    @contextmanager
    def _lease(self, wait: float) -> Iterator[None]:
        """A lock record with an expiry in the ``<prefix>_meta`` collection, renewed while the build runs.

        Milvus has no compare-and-set, so a writer that found the lock free writes its record, waits a moment
        and reads it back: of two writers racing, only the one whose record stayed proceeds.
        """
        wrap("lock setup")(self._ensure_meta)()
        me = {"id": uuid.uuid4().hex, "host": socket.gethostname(), "pid": os.getpid()}
        deadline = time.monotonic() + wait
        while True:
            held = self._read_lock()
            if held is None or held.get("id") == me["id"] or self._stale(held):
                self._write_lock(dict(me, expires=time.time() + LEASE_SECONDS))
                time.sleep(0.3)
                if (self._read_lock() or {}).get("id") == me["id"]:
                    break
            if time.monotonic() >= deadline:
                raise IndexBusyError(f"index {self.uri_for_messages} is being rebuilt by another process; "
                                     "try again when it finishes")
            time.sleep(0.5)
        stop = threading.Event()

        def renew() -> None:
            while not stop.wait(LEASE_SECONDS / 3):
                try:
                    if (self._read_lock() or {}).get("id") == me["id"]:
                        self._write_lock(dict(me, expires=time.time() + LEASE_SECONDS))
                except Exception:  # a missed renewal only shortens the lease
                    pass

        thread = threading.Thread(target=renew, name="kb-milvus-lease", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=5)
            try:
                if (self._read_lock() or {}).get("id") == me["id"]:
                    self.client.delete(self.meta, filter='key == "lock"')
            except (KBError, MilvusException):  # the lease expires on its own
                pass
