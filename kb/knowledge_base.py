"""The one entry point the CLI, the UI and Python users share: build, search, ask.

It keeps the model loaded and follows the live index version: when a rebuild swaps in a new version, the
next question opens it, while questions already running finish on the version they started with.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from pathlib import Path
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator

from kb.answer.extractive import ExtractiveAnswerer
from kb.answer.grounding import document_words
from kb.config import SEARCH_MODES, Settings, load_settings
from kb.embedding import Embedder, embedder_for
from kb.errors import IndexMismatchError, KBError, UsageError
from kb.indexing import Indexer, ProgressFn
from kb.retrieval import Retriever
from kb.query import QueryContext, Retrieval, asked_question
from kb.store import DocumentRow
from kb.store.base import Store, StoreBackend, open_backend
from kb.store.manifest import require_compatible
from kb.sources.scan import changed_since
from kb.types import Answer, BuildReport, Passage

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# What a copy from a web page or a PDF carries unseen: a soft hyphen, zero-width spaces and joiners (not the ZWJ and
# ZWNJ that some scripts spell with), direction marks, a byte-order mark. The embedding model reads them: "Who
# verified the letter?" with a zero-width space was answered at confidence 0.33 instead of 0.37.
_INVISIBLE = re.compile("[\u00ad\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# Full-width forms of ASCII ("？", "ＦＳＢ"), as an East Asian keyboard types them: the ASCII they stand for.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


def clean_question(question: str) -> str:
    """Reject what cannot be a question; drop control and invisible characters, read full-width forms as ASCII and
    fold whitespace."""
    if not isinstance(question, str):
        raise UsageError("the question must be text")
    question = question.encode("utf-8", "replace").decode("utf-8")  # lone surrogates (from JSON) -> "?"
    text = " ".join(_CONTROL.sub(" ", _INVISIBLE.sub("", question)).translate(_FULL_WIDTH).split())
    if not text:
        raise UsageError("the question is empty")
    if len(text) > MAX_QUESTION_CHARS:
        raise UsageError(f"the question is {len(text)} characters long; the limit is {MAX_QUESTION_CHARS}")
    return text


class _Live:
    """A snapshot with its retriever: swapped as one object so a question never mixes two versions."""

    def __init__(self, snapshot: Store, settings: Settings) -> None:
        self.snapshot = snapshot
        self.retriever = Retriever(snapshot, settings)
        # The words of one document of this version (kb.answer.grounding), kept for the next questions.
        self.document_words: Callable[[str], frozenset[str]] = lru_cache(maxsize=64)(self._read_words)

    def _read_words(self, source: str) -> frozenset[str]:
        return document_words(self.snapshot.document_text(source) or "")


class KnowledgeBase:
    def __init__(
        self,
        sources: str | Path | None = None,
        index: str | Path | None = None,
        settings: Settings | None = None,
        **overrides: Any,
    ) -> None:
        base = settings or load_settings({"sources": sources, "index": index, **overrides})
        if settings is not None:
            changes = {k: v for k, v in {"sources": sources, "index": index, **overrides}.items() if v is not None}
            base = base.replace(**changes).validate()
        # Folders as they were meant when the object was made: a script that changes its working directory later
        # (os.chdir) found "no index in idx", and its changed-file check silently compared nothing.
        self.settings = base.replace(sources=Path(base.sources).absolute(), index=Path(base.index).absolute())
        self._live: _Live | None = None
        self._lock = threading.Lock()
        self._backend: StoreBackend | None = None

    @property
    def backend(self) -> StoreBackend:
        """Where the index lives (the ``store`` setting); connected on first use."""
        if self._backend is None:
            with self._lock:
                if self._backend is None:
                    self._backend = open_backend(self.settings)
        return self._backend

    # -- model ------------------------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        return embedder_for(self.settings)

    @property
    def answerer(self) -> ExtractiveAnswerer:
        s = self.settings
        return ExtractiveAnswerer(self.embedder, s.abstain_threshold, s.max_answer_sentences, s.duplicate_similarity,
                                  s.second_sentence_margin, context_threshold=s.context_threshold,
                                  max_quote_chars=s.max_quote_chars)

    # -- index ------------------------------------------------------------------------------------
    def build(self, full: bool = False, progress_bar: bool = False, on_progress: ProgressFn | None = None,
              lock_wait: float = 0.0) -> BuildReport:
        report = Indexer(self.settings, lambda: self.embedder, self.backend).run(full, progress_bar, on_progress,
                                                                                lock_wait)
        return report

    def _current(self) -> _Live:
        backend = self.backend
        name = backend.live_version()
        live = self._live
        if live is not None and live.snapshot.version == name:
            return live
        with self._lock:
            if self._live is not None and self._live.snapshot.version == name:
                return self._live
            snapshot = backend.open()
            try:
                require_compatible(snapshot.manifest,
                                   Indexer(self.settings, lambda: self.embedder, backend).wanted_signature())
            except IndexMismatchError:
                snapshot.close()
                raise
            self._live = _Live(snapshot, self.settings)
            return self._live

    @property
    def version(self) -> str:
        return self._current().snapshot.version

    def documents(self) -> list[DocumentRow]:
        return self._current().snapshot.documents()

    def document_text(self, source: str) -> str | None:
        return self._current().snapshot.document_text(source)

    def changed_since_indexed(self, sources: str | Iterable[str]) -> list[str]:
        """Which of these indexed documents (an answer's cited sources) the sources folder no longer holds as they
        were indexed: an answer quotes the indexed text, which an edited file may no longer say, until `kb index`
        runs. Empty when the index keeps no sources folder to compare with."""
        wanted = {sources} if isinstance(sources, str) else set(sources)  # one name, or several
        recorded = self.indexed_from()
        folder = recorded if recorded is not None and recorded.is_dir() else self.settings.sources  # moved: here
        if not wanted or not Path(folder).is_dir():
            return []
        rows = [(r.source, r.size, r.sha256) for r in self.documents() if r.source in wanted]
        return changed_since(Path(folder), sorted(rows))

    def answer_json(self, answer: Answer, changed: list[str] | None = None) -> dict[str, Any]:
        """An answer as `kb ask --json` and the server's /ask print it: Answer.to_json() and which cited files changed
        since they were indexed (``changed``, when the caller has already asked)."""
        if changed is None:
            changed = self.changed_since_indexed(c.source for c in answer.citations)
        return {**answer.to_json(), "changed_since_indexed": changed}

    def indexed_from(self) -> Path | None:
        """The sources folder the live index was built from, or None (no index, or one from before it was
        recorded). `kb ask` run where ./seeds is another folder compared every cited file with it and warned that
        each had changed."""
        try:
            recorded = self._current().snapshot.manifest.sources
        except KBError:
            return None
        return Path(recorded) if recorded else None

    def chunk_count(self) -> int:
        return self._current().snapshot.count_chunks()

    # -- questions --------------------------------------------------------------------------------
    def _analysed(self, live: _Live, question: str, embed: bool = True) -> QueryContext:
        """The question's analysis, then its vector (answering always needs one; lexical search does not): the
        vector reads the question with its slips respelled (QueryContext.embedding_text), which only the analysis
        knows."""
        query = live.retriever.context(question, None)
        if embed:
            query.vector = self.embedder.embed_one(query.embedding_text)
        return query

    def _request(self, k: int | None, mode: str | None, default_k: int) -> tuple[int, str]:
        """The k and mode of one question: a script's bad value is a UsageError (one line), not a crash deep in
        retrieval (a string k) or a silently different request (k=0 or a negative k slicing the list)."""
        if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 1):
            raise UsageError(f"k must be a whole number of at least 1, not {k!r}")
        mode = mode or self.settings.mode
        if mode not in SEARCH_MODES:
            raise UsageError(f"mode must be one of {', '.join(SEARCH_MODES)}, not {mode!r}")
        return k or default_k, mode

    def search(self, question: str, k: int | None = None, mode: str | None = None) -> list[Passage]:
        question = asked_question(clean_question(question))
        k, mode = self._request(k, mode, self.settings.search_k)
        live = self._current()
        query = self._analysed(live, question, embed=mode != "lexical")
        return live.retriever.run(question, query.vector, k, mode, query)

    def retrieve(self, question: str, k: int | None = None, mode: str | None = None) -> Retrieval:
        """Everything answering needs, from one index version: ask(), ask_stream() and the LLM path share it."""
        started = time.perf_counter()
        question = asked_question(clean_question(question))  # "Can you tell me who ...?" asks "Who ...?"
        k, mode = self._request(k, mode, self.settings.top_k)
        live = self._current()
        query = self._analysed(live, question)
        passages = live.retriever.run(question, query.vector, k, mode, query)
        return Retrieval(query, passages, live.retriever.sentences, started, live.document_words)

    def extractive_answer(self, retrieval: Retrieval) -> Answer:
        """The quoted answer or an abstention: every decision is the answerer's (kb.answer)."""
        r = retrieval
        return self.answerer.run(r.query, r.passages, r.sentences, r.document_words)

    def ask(self, question: str, k: int | None = None, mode: str | None = None) -> Answer:
        retrieval = self.retrieve(question, k, mode)
        if self.settings.llm_url:  # optional generative answer with verified citations (kb.generation)
            from kb.generation import generate

            answer = generate(self.settings, self.embedder, retrieval, lambda: self.extractive_answer(retrieval)).answer
        else:
            answer = self.extractive_answer(retrieval)
        answer.ms = (time.perf_counter() - retrieval.started) * 1000
        log.info("answered", extra={"ms": round(answer.ms, 1), "abstained": answer.abstained,
                                    "confidence": None if answer.confidence is None else round(answer.confidence, 3),
                                    "citations": len(answer.citations), "passages": len(answer.passages)})
        return answer

    def ask_stream(self, question: str, k: int | None = None, mode: str | None = None) -> Iterator[str | Answer]:
        """Growing answer texts (LLM only), then exactly one final Answer; without an LLM only ``ask()``'s Answer,
        so callers need a single code path. Retrieval and the extractive fallback are those of ``ask``."""
        if not self.settings.llm_url:
            yield self.ask(question, k, mode)
            return
        from kb.generation import Generation, stream_generation

        retrieval = self.retrieve(question, k, mode)  # one index version for the whole question, as in ask()
        answer = None
        for update in stream_generation(self.settings, self.embedder, retrieval,
                                        lambda: self.extractive_answer(retrieval)):
            if isinstance(update, Generation):
                answer = update.answer
            else:
                yield update
        assert answer is not None
        answer.ms = (time.perf_counter() - retrieval.started) * 1000
        yield answer

    def as_retriever(self, k: int | None = None, mode: str | None = None) -> Any:
        """A LangChain BaseRetriever over this knowledge base (kb.integrations.langchain_retriever)."""
        from kb.integrations.langchain_retriever import KnowledgeBaseRetriever

        return KnowledgeBaseRetriever(knowledge_base=self, k=k, mode=mode)
