"""Shared fixtures. The seeds index is built once per test session; tests that mutate get their own copy.

``KB_TEST_STORE=milvus`` runs the suite against the Milvus store: every test gets its own milvus-lite database,
served over gRPC from this process (so the test's subprocesses reach it too) and named by ``KB_STORE``, which
every ``KnowledgeBase`` of the test then uses. Tests that look inside FAISS/SQLite files are marked
``faiss_only`` and skipped there. Default: the FAISS + SQLite store.
"""

from __future__ import annotations

import os
import shutil

import pytest

from paths import ROOT, SEEDS, SHARED_EVAL, seed_questions, write_files  # noqa: F401  (re-exported for tests)


TEST_STORE = os.environ.get("KB_TEST_STORE", "faiss")


def pytest_collection_modifyitems(config, items):
    if TEST_STORE == "faiss":
        return
    skip = pytest.mark.skip(reason=f"looks inside the FAISS + SQLite files; KB_TEST_STORE={TEST_STORE}")
    for item in items:
        if "faiss_only" in item.keywords:
            item.add_marker(skip)


#: The suite's own database name, apart from the ``kb-milvus.db`` that tests of the Milvus store create themselves.
SUITE_DB = "kb-test-store.db"


def milvus_store_for(folder) -> str:
    """A ``store`` setting naming a fresh milvus-lite database in ``folder``, served from this process.

    milvus-lite's own start only waits half a second for the child not to exit; it never checks that the server
    answers. In one full Milvus run on a loaded 2-core machine a module's server never did (all 62 tests of the
    module failed with "cannot reach Milvus", and passed when run alone). So the suite waits until a client gets
    through, and starts the server once more if none does: a server that still does not answer fails the test.
    """
    from pymilvus import MilvusClient

    from kb.store.milvus import lite_server_uri

    for attempt in range(2):
        uri = lite_server_uri(folder / SUITE_DB)
        try:
            MilvusClient(uri=uri, timeout=60).close()
            return "milvus:" + uri
        except Exception:
            if attempt:
                raise
            _release(folder)
    raise AssertionError("unreachable")


def _release(folder) -> None:
    from milvus_lite.server_manager import server_manager_instance

    server_manager_instance.release_server(str(folder / SUITE_DB))


@pytest.fixture(scope="module", autouse=True)
def _module_store(tmp_path_factory):
    """Under KB_TEST_STORE=milvus: the database of the module's shared fixtures (they run before a test's own)."""
    if TEST_STORE == "faiss":
        yield None
        return
    folder = tmp_path_factory.mktemp("milvus-module")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KB_STORE", milvus_store_for(folder))
        yield folder
    _release(folder)


_OWN = {"_module_store", "_test_store"}


def _shared_fixture(definitions) -> bool:
    """A module- or session-scoped fixture of this test suite (not of pytest or a plugin)."""
    code = getattr(definitions[-1].func, "__code__", None)
    return (definitions[-1].scope != "function" and code is not None
            and code.co_filename.startswith(str(ROOT / "tests")))


@pytest.fixture(autouse=True)
def _test_store(request, monkeypatch, _module_store):
    """Under KB_TEST_STORE=milvus: KB_STORE names this test's own Milvus database (see the module docstring),
    or the module's, when the test uses an index a module- or session-scoped fixture built."""
    if TEST_STORE == "faiss":
        yield
        return
    if "seed_kb" in request.fixturenames:  # the CLI in a test over seed_kb must read seed_kb's database
        monkeypatch.setenv("KB_STORE", request.getfixturevalue("seed_kb").settings.store)
        yield
        return
    definitions = request._pyfuncitem._fixtureinfo.name2fixturedefs
    shared = any(_shared_fixture(defs) for name, defs in definitions.items() if name not in _OWN)
    if shared:
        yield  # KB_STORE stays the module's
        return
    folder = request.getfixturevalue("tmp_path")
    monkeypatch.setenv("KB_STORE", milvus_store_for(folder))
    yield
    _release(folder)


@pytest.fixture(scope="session")
def seed_kb(tmp_path_factory):
    """A KnowledgeBase over a copy of seeds/, built once. Do not mutate its folders."""
    from kb import KnowledgeBase

    base = tmp_path_factory.mktemp("seedkb")
    sources = base / "sources"
    shutil.copytree(SEEDS, sources)
    store = "faiss" if TEST_STORE == "faiss" else milvus_store_for(base)
    kb = KnowledgeBase(sources, base / "index", store=store)
    kb.build()
    return kb


@pytest.fixture
def make_kb(tmp_path):
    """Factory: a KnowledgeBase over a fresh folder with the given {name: text or bytes} files."""
    from kb import KnowledgeBase

    def _make(files: dict[str, str | bytes] | None = None, copy_seeds: bool = False, **overrides):
        sources = tmp_path / "sources"
        if copy_seeds:
            shutil.copytree(SEEDS, sources)
        write_files(sources, files or {})
        return KnowledgeBase(sources, tmp_path / "index", **overrides)

    return _make
