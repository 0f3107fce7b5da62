"""SIGKILL during a Milvus build (milvus-lite served over gRPC from this process, the server code path):
the live row names the old version or the new one, never a half-written one, and the next build cleans up.

The same worker as test_crash_kill.py; its kills aim at the Milvus build's steps (collection creation, inserts,
the carry-over of unchanged rows, flushes, the manifest row, the live row, the clean-up).
"""

from __future__ import annotations

import random
import time
from collections import Counter

import pytest

from reliability_support import corpus_state, write_files
from store_checks import check_version
from test_crash_kill import BUILDER, CORPUS_A, CORPUS_B, TARGETS, Worker

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
    live = "A"
    assert _state(reader) == expected["A"]

    rng = random.Random(20240612)
    worker = Worker(index, tmp_path / "worker.log")
    outcomes: Counter[str] = Counter()
    phases: Counter[str] = Counter()
    build_seconds = 2.0
    t0 = time.monotonic()
    try:
        for n in range(TRIALS):
            target = "B" if live == "A" else "A"
            kill_after = TARGETS[n % len(TARGETS)]
            delay = rng.uniform(0, build_seconds) if kill_after is None else rng.uniform(0, 0.03)
            result = worker.trial(sources=str(corpora[target]), full=n % 2 == 1, kill_after=kill_after, delay=delay,
                                  pause=0.015)
            assert not any(e.startswith("error") for e in result["events"]), result
            if not result["killed"]:
                assert result["exit"] == 0, result
                build_seconds = result["seconds"]
            state = _state(reader)
            assert state in (expected[live], expected[target]), f"trial {n}: a mix of versions: {state}"
            now = live if state == expected[live] else target
            if not result["killed"]:
                assert now == target, f"trial {n}: a finished build did not publish"
            answer = reader.ask("Who built the Brannock lighthouse?")
            assert not answer.abstained and BUILDER[now] in answer.answer, (n, now, answer.answer)
            phases[result["events"][-1] if result["events"] else "fork"] += result["killed"]
            outcomes["killed" if result["killed"] else "finished"] += 1
            outcomes[f"killed, {'new' if now == target else 'old'} index live"] += result["killed"]
            live = now
        final = worker.trial(sources=str(corpora["A"]), full=False, kill_after=None, delay=3600, pause=0)
        assert not final["killed"] and final["exit"] == 0, final
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
