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


def kill_trials(worker: Worker, reader, corpora: dict[str, Path], expected: dict, live: str, state, trials: int,
                seed: int, build_seconds: float) -> tuple[Counter[str], Counter[str]]:
    """Builds that switch the index between corpora A and B, SIGKILLed at the steps in TARGETS (or at random).

    After each trial the live index (``state()``) is exactly the old corpus or exactly the new one, a finished
    build has published, and the long-lived ``reader`` answers from that corpus alone; then an ordinary build
    back to A must work. Returns (outcomes, kills by the last step reported).
    """
    rng = random.Random(seed)
    outcomes: Counter[str] = Counter()
    phases: Counter[str] = Counter()
    for n in range(trials):
        target = "B" if live == "A" else "A"
        kill_after = TARGETS[n % len(TARGETS)]
        delay = rng.uniform(0, build_seconds) if kill_after is None else rng.uniform(0, 0.03)
        result = worker.trial(sources=str(corpora[target]), full=n % 2 == 1, kill_after=kill_after, delay=delay,
                              pause=0.015)
        assert not any(e.startswith("error") for e in result["events"]), result
        if not result["killed"]:
            assert result["exit"] == 0, result
            build_seconds = result["seconds"]
        now_state = state()
        assert now_state in (expected[live], expected[target]), f"trial {n}: a mix of versions: {now_state}"
        now = live if now_state == expected[live] else target
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
    return outcomes, phases


@pytest.mark.slow
@pytest.mark.faiss_only  # checks the index folder; the Milvus variant: test_milvus_crash.py
def test_sigkill_during_rebuild_leaves_old_or_new_index(tmp_path):
    from kb import KnowledgeBase

    corpora = {"A": tmp_path / "A", "B": tmp_path / "B"}
    write_files(corpora["A"], CORPUS_A)
    write_files(corpora["B"], CORPUS_B)
    expected = {name: corpus_state(folder) for name, folder in corpora.items()}
    index = tmp_path / "index"

    reader = KnowledgeBase(corpora["A"], index)  # one long-lived reader follows every swap, like a server
    reader.build()
    assert state_of(check_index(index)) == expected["A"]

    t0 = time.monotonic()
    worker = Worker(index, tmp_path / "worker.log")
    started = time.monotonic() - t0
    try:
        # each state() opens the index, and FAISS, FTS and SQLite must agree chunk by chunk
        outcomes, phases = kill_trials(worker, reader, corpora, expected, "A", lambda: state_of(check_index(index)),
                                       TRIALS, seed=20240611, build_seconds=1.0)
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


@pytest.mark.faiss_only  # looks for the build folder in the index folder
def test_sigterm_during_a_build_unwinds_it_and_the_old_index_stays(tmp_path):
    """SIGTERM (`timeout`, systemd, docker stop) ended `kb index` where it stood: exit 143 and its half-written build
    folder left in the index folder, holding disk space until a build succeeded. It now unwinds like Ctrl-C."""
    import os
    import signal

    from reliability_support import ROOT, env_without_kb, run_cli

    sources, index = tmp_path / "sources", tmp_path / "index"
    write_files(sources, TINY_CORPUS)
    assert run_cli(["index", "--sources", str(sources), "--index", str(index)])[0] == 0
    live = (index / CURRENT).read_text()
    before = state_of(check_index(index))
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    for n in range(40):  # enough text that the build is still writing when it is told to stop
        source = seeds[n % len(seeds)]
        (sources / f"copy-{n:02d}.txt").write_text(f"Copy {n}.\n\n" + source.read_text(encoding="utf-8"),
                                                    encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "kb.cli", "index", "--sources", str(sources), "--index",
                             str(index)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env_without_kb())
    deadline = time.monotonic() + 120
    while not list(index.glob(".build-*")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    if proc.poll() is not None:
        pytest.skip("the build finished before it could be stopped")
    os.kill(proc.pid, signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 143 and "kb index: terminated" in err, (proc.returncode, err[-2000:])
    assert "Traceback" not in err
    assert not list(index.glob(".build-*"))
    assert (index / CURRENT).read_text() == live and state_of(check_index(index)) == before
