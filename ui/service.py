"""What the UI does, without the UI: ask, rebuild (one at a time, in the background or with progress),
upload and delete documents, and report the index's state for the status bar.

Questions never wait for a rebuild: KnowledgeBase follows the CURRENT version, and a build writes a new
version that is swapped in only when complete, so asking while building reads the previous index.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from kb.errors import IndexBusyError, IndexMissingError, KBError, UsageError
from kb.knowledge_base import KnowledgeBase
from kb.sources import ReadLimits, parse_document
from kb.store.database import DocumentRow
from kb.types import Answer, BuildReport, SourceFailure
from ui import uploads

ProgressFn = Callable[[float, str], None]


@dataclass
class BuildState:
    running: bool = False
    fraction: float = 0.0
    message: str = ""
    reason: str = ""
    last_summary: str = ""
    last_error: str = ""
    last_finished: float | None = None
    failures: list[SourceFailure] = field(default_factory=list)  # files the last build could not index
    builds: int = 0


@dataclass
class UploadOutcome:
    """What an upload did: the files to index, one-line errors, notes for the user (a file saved under another
    name, one already there unchanged), and each earlier version replaced with where it went in the trash."""

    saved: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    replaced: list[tuple[str, Path]] = field(default_factory=list)


class KBService:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.state = BuildState()
        self._build_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def sources(self) -> Path:
        return self.kb.settings.sources

    @property
    def max_bytes(self) -> int:
        return int(self.kb.settings.max_file_mb * 1024 * 1024)

    # -- building ---------------------------------------------------------------------------------
    def rebuild(self, full: bool = False, on_progress: ProgressFn | None = None, reason: str = "rebuild") -> BuildReport:
        """Run an incremental (or full) build now; a second caller waits for the running one, then builds."""
        if not self._build_lock.acquire(blocking=False):
            if on_progress:
                on_progress(0.0, "waiting for the running rebuild to finish")
            self._build_lock.acquire()
        st = self.state
        st.running, st.fraction, st.message, st.reason, st.last_error = True, 0.0, "starting", reason, ""

        def progress(fraction: float, message: str) -> None:
            st.fraction, st.message = fraction, message
            if on_progress:
                on_progress(fraction, message)

        try:
            report = self.kb.build(full=full, on_progress=progress, lock_wait=60.0)
            st.last_summary = report.summary()
            st.failures = list(report.errors)
            return report
        except KBError as exc:
            st.last_error = str(exc)
            raise
        except Exception as exc:  # reported in the UI rather than lost in a thread
            st.last_error = f"rebuild failed: {exc}"
            raise
        finally:
            st.running, st.last_finished = False, time.time()
            st.builds += 1
            self._build_lock.release()

    def rebuild_in_background(self, reason: str = "startup") -> threading.Thread:
        def target() -> None:
            try:
                self.rebuild(reason=reason)
            except Exception:
                pass  # recorded in state.last_error and shown by the status bar

        self._thread = threading.Thread(target=target, name="kb-build", daemon=True)
        self._thread.start()
        return self._thread

    def wait_idle(self, timeout: float = 600.0) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.state.running

    # -- asking -----------------------------------------------------------------------------------
    def ask(self, question: str, k: int | None = None, mode: str | None = None) -> Answer:
        try:
            return self.kb.ask(question, k=k, mode=mode)
        except IndexMissingError:
            if self.state.running:
                raise self._still_building() from None
            raise

    def ask_stream(self, question: str, k: int | None = None, mode: str | None = None) -> Iterator[str | Answer]:
        """Partial answer texts (when a generative answerer streams them), then the final Answer."""
        try:
            yield from self.kb.ask_stream(question, k=k, mode=mode)
        except IndexMissingError:
            if self.state.running:
                raise self._still_building() from None
            raise

    def _still_building(self) -> IndexBusyError:
        """No index yet while the first build runs: say so instead of 'run kb index'."""
        return IndexBusyError(
            f"the index is still being built ({self.state.fraction:.0%}: {self.state.message}); ask again in a moment"
        )

    # -- documents --------------------------------------------------------------------------------
    def documents(self) -> list[DocumentRow]:
        try:
            return self.kb.documents()
        except KBError:
            return []

    def failures(self) -> list[SourceFailure]:
        """Files the last build could not index that are still in the sources folder (a removed one is gone)."""
        return [f for f in self.state.failures if (self.sources / f.source).is_file()]

    def save_uploads(self, files: list[tuple[str, str]]) -> UploadOutcome:
        """(temp path, original name) pairs, saved into the sources folder: a file named like a document already
        there is its new version (ui.uploads), if the indexer can read it."""
        out = UploadOutcome()
        limits = ReadLimits.from_settings(self.kb.settings)

        def readable(path: Path, name: str) -> None:
            parse_document(path.read_bytes(), name, Path(name).suffix.lower(), limits)

        for path, name in files:
            try:
                if uploads.safe_name(name) in out.saved:
                    # Which of two files of one name is the document? Neither is guessed: the first is kept.
                    raise UsageError(f"{name}: another file of this name is in the same upload; it was not added")
                result = uploads.save_upload(path, name, self.sources, self.max_bytes, readable)
            except KBError as exc:
                out.errors.append(str(exc))
                continue
            target = result.path.name
            if result.unchanged:
                out.notes.append(f"{target} is already there with the same content: nothing changed")
                continue
            out.saved.append(target)
            if result.replaced is not None:
                out.replaced.append((target, result.replaced))
            elif target.lower() != name.lower():  # a suffix's case is no news: "Doc.TXT" is saved as "Doc.txt"
                why = ("a file of that name is already there" if uploads.safe_name(name) != target
                       else "its name held characters a file name should not")
                out.notes.append(f"{name} was saved as {target}: {why}")
        return out

    def delete(self, source: str) -> Path | None:
        """Move a document (or a file that failed to index) to the trash; returns its path there, for undo. A document
        the index still holds whose file is already gone from the folder (removed outside the UI, no watcher) has
        nothing to move: None, and the rebuild that follows drops it. It was refused ("'x.md' is not a file in the
        sources folder"), and its passages stayed citable."""
        if not (self.sources / source).exists() and not (self.sources / source).is_symlink() and \
                any(row.source == source for row in self.kb.documents()):
            return None
        return uploads.delete_source(source, self.sources)

    def restore(self, trashed: Path, source: str, replace: bool = False) -> Path:
        return uploads.restore_source(trashed, source, self.sources, replace=replace)

    def discard(self, source: str) -> None:
        uploads.discard_upload(source, self.sources)

    # -- status -----------------------------------------------------------------------------------
    def status(self) -> tuple[str, str, float | None]:
        """(text, kind, progress fraction or None) for the status bar."""
        st = self.state
        if st.running:
            return f"Building the index ({st.reason}): {st.message}", "busy", st.fraction
        try:
            docs = self.kb.documents()
            chunks = self.kb.chunk_count()
            version = self.kb.version
        except IndexMissingError:
            if st.last_error:
                return f"No index: {st.last_error}", "error", None
            return "No index yet: press “Rebuild index” in the Documents tab", "error", None
        except KBError as exc:
            return str(exc), "error", None
        text = f"{len(docs)} documents · {chunks} passages · index {version}"
        if st.last_error:
            return f"{text} · last rebuild failed: {st.last_error}", "error", None
        if st.last_summary and st.last_finished:
            text += f" · updated {time.strftime('%H:%M:%S', time.localtime(st.last_finished))} ({st.reason})"
        failed = self.failures()
        if failed:  # not a green light while files sit in the folder unsearched
            files = f"{len(failed)} file{'s' if len(failed) > 1 else ''}"
            return f"{text} · {files} not indexed (see Documents)", "warn", None
        return text, "ok", None


__all__ = ["KBService", "BuildState", "UploadOutcome"]
