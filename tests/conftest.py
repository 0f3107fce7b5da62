"""Shared fixtures. The seeds index is built once per test session; tests that mutate get their own copy."""

from __future__ import annotations

import shutil

import pytest

from paths import ROOT, SEEDS, SHARED_EVAL, seed_questions  # noqa: F401  (re-exported for tests)


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
        sources.mkdir(exist_ok=True)
        for name, content in (files or {}).items():
            path = sources / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return KnowledgeBase(sources, tmp_path / "index", **overrides)

    return _make
