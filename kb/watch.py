"""`kb serve --watch`: notice files added, edited or deleted in the sources folder and re-index them.

Polling (size + mtime of each candidate file every ``interval`` seconds) instead of inotify: it works the same on
every OS, network drive and container, needs no extra dependency, and a folder of documents is small enough to
stat in milliseconds. A change only triggers a rebuild once the folder has been quiet for ``debounce`` seconds, so
an editor's save-rename dance or a batch copy gives one rebuild, not ten.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from kb.sources.readers import SUPPORTED_SUFFIXES
from kb.sources.scan import is_ignored_name

Fingerprint = dict[str, tuple[int, int]]  # source id -> (size, mtime_ns)


@dataclass
class Changes:
    added: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.edited or self.deleted)

    def summary(self) -> str:
        parts = [f"{label} {', '.join(names)}" for label, names in
                 (("added", self.added), ("edited", self.edited), ("deleted", self.deleted)) if names]
        return "; ".join(parts) or "no changes"


def fingerprint(root: Path) -> Fingerprint:
    """What the index cares about, cheaply: the same files the indexer would consider, by size and mtime."""
    result: Fingerprint = {}
    if not root.is_dir():
        return result
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if not is_ignored_name(d)]
        for name in filenames:
            if is_ignored_name(name) or Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            path = Path(dirpath) / name
            try:
                st = path.stat()
            except OSError:  # vanished between listing and stat: treat as absent
                continue
            result[path.relative_to(root).as_posix()] = (st.st_size, st.st_mtime_ns)
    return result


def diff(old: Fingerprint, new: Fingerprint) -> Changes:
    return Changes(
        added=sorted(set(new) - set(old)),
        edited=sorted(k for k in set(new) & set(old) if new[k] != old[k]),
        deleted=sorted(set(old) - set(new)),
    )


class Debouncer:
    """Decides when to fire, given polls: pure logic with an injectable clock, so it is testable without sleeping."""

    def __init__(self, baseline: Fingerprint, debounce: float) -> None:
        self.baseline = baseline
        self.debounce = debounce
        self._last_seen = baseline
        self._quiet_since: float | None = None

    def poll(self, current: Fingerprint, now: float) -> Changes | None:
        """Feed one observation; returns the accumulated changes once the folder has been quiet long enough."""
        if current != self._last_seen:
            self._last_seen = current
            self._quiet_since = now
            return None
        if current == self.baseline:
            self._quiet_since = None
            return None
        if self._quiet_since is not None and now - self._quiet_since >= self.debounce:
            changes = diff(self.baseline, current)
            self.baseline = current
            self._quiet_since = None
            return changes
        return None


class SourceWatcher:
    """Background thread calling ``on_change(changes)`` after each settled batch of changes."""

    def __init__(self, root: Path, on_change: Callable[[Changes], None], interval: float = 1.0,
                 debounce: float = 2.0) -> None:
        self.root = Path(root)
        self.on_change = on_change
        self.interval = interval
        self._debouncer = Debouncer(fingerprint(self.root), debounce)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "SourceWatcher":
        self._thread = threading.Thread(target=self._loop, name="kb-watch", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            changes = self._debouncer.poll(fingerprint(self.root), time.monotonic())
            if changes:
                try:
                    self.on_change(changes)
                except Exception:  # a failed rebuild must not kill the watcher; the callback reports it
                    pass


__all__ = ["Changes", "Debouncer", "SourceWatcher", "diff", "fingerprint"]
