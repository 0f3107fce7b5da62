"""A rebuild SIGKILLed at random moments leaves the old index or the new one, never a mix, and the next build works.

crash_worker.py loads the model once and forks a child per trial that really rebuilds the index; it kills the
child with SIGKILL a random few milliseconds after a chosen build step (or at a random time), so kills land in
every phase: scanning, reading, embedding, writing SQLite, writing FAISS, the manifest, fsync, the version
rename, the CURRENT swap and the clean-up. After each kill this process checks the live index.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from reliability_support import TINY_CORPUS, check_index, corpus_state, state_of, write_files

from kb.store.layout import CURRENT

WORKER = Path(__file__).with_name("crash_worker.py")

#: Build steps the kill is aimed at (None: a random time since the fork).
#: The publishing steps come first, so that with 24 trials each of them is aimed at twice.
TARGETS = [None, "replace-current", "gc", "rename-version", "fsync", "manifest", "faiss-save", "db-commit", "db-add",
           "db-remove", "db-create", "embed", "read", "scan"]
TRIALS = 24

CORPUS_A = dict(TINY_CORPUS, **{"extra-a.txt": "The Brannock keepers kept a logbook of every storm from 1874 to 1961."})
CORPUS_B = {
    "lighthouse.txt": TINY_CORPUS["lighthouse.txt"].replace("engineer Mara Velt", "architect Jon Ruell"),
    "orchard.md": TINY_CORPUS["orchard.md"],
    "ferry.txt": "The Tessaly ferry has a blue hull and a red funnel, and it sails every hour from the north pier.",
}
BUILDER = {"A": "Velt", "B": "Ruell"}  # who built the lighthouse, according to each corpus


class Worker:
    def __init__(self, index: Path, log: Path) -> None:
        self._log = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, str(WORKER), str(index)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._log, text=True, bufsize=1,
        )
        assert json.loads(self.proc.stdout.readline() or "{}").get("ready"), log.read_text()[-2000:]

    def trial(self, **request) -> dict:
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "crash worker died"
        return json.loads(line)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
        self._log.close()


@pytest.mark.slow
@pytest.mark.faiss_only  # checks the index folder; the Milvus variant: tests/test_milvus_store.py
def test_sigkill_during_rebuild_leaves_old_or_new_index(tmp_path):
    from kb import KnowledgeBase

    corpora = {"A": tmp_path / "A", "B": tmp_path / "B"}
    write_files(corpora["A"], CORPUS_A)
    write_files(corpora["B"], CORPUS_B)
    expected = {name: corpus_state(folder) for name, folder in corpora.items()}
    index = tmp_path / "index"

    reader = KnowledgeBase(corpora["A"], index)  # one long-lived reader follows every swap, like a server
    reader.build()
    live = "A"
    assert state_of(check_index(index)) == expected["A"]

    rng = random.Random(20240611)
    t0 = time.monotonic()
    worker = Worker(index, tmp_path / "worker.log")
    started = time.monotonic() - t0
    outcomes: Counter[str] = Counter()
    phases: Counter[str] = Counter()
    build_seconds = 1.0
    try:
        for n in range(TRIALS):
            target = "B" if live == "A" else "A"
            kill_after = TARGETS[n % len(TARGETS)]
            full = n % 2 == 1
            delay = rng.uniform(0, build_seconds) if kill_after is None else rng.uniform(0, 0.03)
            result = worker.trial(sources=str(corpora[target]), full=full, kill_after=kill_after, delay=delay,
                                  pause=0.015)
            assert not any(e.startswith("error") for e in result["events"]), result
            if not result["killed"]:
                assert result["exit"] == 0, result
                build_seconds = result["seconds"]

            state = state_of(check_index(index))  # opens, and FAISS, FTS and SQLite agree chunk by chunk
            assert state in (expected[live], expected[target]), f"trial {n}: a mix of versions: {state}"
            now = live if state == expected[live] else target
            if not result["killed"]:
                assert now == target, f"trial {n}: a finished build did not publish"
            answer = reader.ask("Who built the Brannock lighthouse?")
            assert not answer.abstained and BUILDER[now] in answer.answer, (n, now, answer.answer)
            assert {p.source for p in answer.passages} <= set(expected[now])

            phases[result["events"][-1] if result["events"] else "fork"] += result["killed"]
            outcomes["killed" if result["killed"] else "finished"] += 1
            outcomes[f"killed, {'new' if now == target else 'old'} index live"] += result["killed"]
            live = now

        # After all that, an ordinary build works and cleans up what the killed builds left behind.
        final = worker.trial(sources=str(corpora["A"]), full=False, kill_after=None, delay=3600, pause=0)
        assert not final["killed"] and final["exit"] == 0, final
    finally:
        worker.close()

    assert state_of(check_index(index)) == expected["A"]
    leftovers = sorted(p.name for p in index.iterdir() if p.name.startswith(".build-") or p.name.startswith(f".{CURRENT}."))
    assert leftovers == []
    assert len([p for p in index.iterdir() if p.name.startswith("v")]) <= 2
    assert outcomes["killed"] >= 20, outcomes
    killed_in = {phase for phase, count in phases.items() if count}
    assert len(killed_in) >= 8, phases  # kills spread over the build's steps, not bunched in one
    assert outcomes["killed, old index live"] and outcomes["killed, new index live"], outcomes
    print(f"\nSIGKILL trials: {dict(outcomes)}; kills by last step reported: {dict(phases)}; "
          f"worker start {started:.1f} s, trials {time.monotonic() - t0:.1f} s")
