"""SIGKILL during a Milvus build (milvus-lite served over gRPC from this process, the server code path):
the live row names the old version or the new one, never a half-written one, and the next build cleans up.

The same worker as test_crash_kill.py; its kills aim at the Milvus build's steps (collection creation, inserts,
the carry-over of unchanged rows, flushes, the manifest row, the live row, the clean-up).
"""

from __future__ import annotations

import time

import pytest

from reliability_support import corpus_state, write_files
from store_checks import check_version
from test_crash_kill import CORPUS_A, CORPUS_B, Worker, kill_trials

TRIALS = 10  # ~7 s each on 2 cores: the kills still land in most steps


def _state(kb) -> dict[str, tuple[str, int]]:
    with kb.backend.open() as store:
        check_version(store)
        return {d.source: (d.sha256, d.chunks) for d in store.documents()}


@pytest.mark.slow
def test_sigkill_during_milvus_build_leaves_old_or_new_version(tmp_path, monkeypatch):
    from kb import KnowledgeBase
    from kb.store.milvus import lite_server_uri

    store = "milvus:" + lite_server_uri(tmp_path / "kb-milvus.db")
    monkeypatch.setenv("KB_STORE", store)  # the worker's builds use it
    corpora = {"A": tmp_path / "A", "B": tmp_path / "B"}
    write_files(corpora["A"], CORPUS_A)
    write_files(corpora["B"], CORPUS_B)
    expected = {name: corpus_state(folder) for name, folder in corpora.items()}
    index = tmp_path / "index"
    reader = KnowledgeBase(corpora["A"], index, store=store)  # one long-lived reader follows every swap
    reader.build()
    assert _state(reader) == expected["A"]

    worker = Worker(index, tmp_path / "worker.log")
    t0 = time.monotonic()
    try:
        outcomes, phases = kill_trials(worker, reader, corpora, expected, "A", lambda: _state(reader), TRIALS,
                                       seed=20240612, build_seconds=2.0)
    finally:
        worker.close()

    assert _state(reader) == expected["A"]
    prefix = reader.backend.prefix
    versions = {n.rsplit("_", 1)[1] for n in reader.backend.client.list_collections()
                if n.startswith(tuple(f"{prefix}_{kind}_" for kind in ("chunks", "sentences", "documents", "terms")))}
    assert len(versions) <= 2 and reader.version in versions  # killed builds' collections were dropped
    assert outcomes["killed"] >= 7, outcomes
    assert len({phase for phase, count in phases.items() if count}) >= 4, phases
    print(f"\nMilvus SIGKILL trials: {dict(outcomes)}; kills by last step: {dict(phases)}; "
          f"{time.monotonic() - t0:.1f} s")
