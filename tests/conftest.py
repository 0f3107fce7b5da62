"""Shared fixtures. The seeds index is built once per test session; tests that mutate get their own copy."""

from __future__ import annotations

import shutil

import pytest

from paths import ROOT, SEEDS, SHARED_EVAL, seed_questions, write_files  # noqa: F401  (re-exported for tests)


@pytest.fixture(scope="session")
def seed_kb(tmp_path_factory):
    """A KnowledgeBase over a copy of seeds/, built once. Do not mutate its folders."""
    from kb import KnowledgeBase

    base = tmp_path_factory.mktemp("seedkb")
    sources = base / "sources"
    shutil.copytree(SEEDS, sources)
    kb = KnowledgeBase(sources, base / "index")
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
