"""The records that flow through the pipeline: sources -> chunks -> passages -> answers.

Plain dataclasses so they serialize to the JSON of ``kb ask --json`` with ``dataclasses.asdict``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class Block:
    """A span of a document's text that is one unit, of one of five kinds (kb.sentences reads them):
    ``paragraph``, split at its sentence marks (its wrapped line breaks are spaces); ``heading``, the same, and a
    question there is one statement with the first sentence below it; ``text``, split as plain text; ``table``, a
    row a line; ``verbatim``, quoted whole (a stanza of code, a line of front matter)."""

    start: int
    end: int
    kind: Literal["paragraph", "heading", "text", "table", "verbatim"]


@dataclass(frozen=True)
class SourceDocument:
    """A readable source file, with the text that every chunk span refers to."""

    source: str  # path relative to the sources folder, POSIX separators: the stable id
    title: str
    text: str
    sha256: str
    date: str | None = None  # ISO date stated in the text, when there is one
    size: int = 0
    # What the reader knows of the text's structure, in order (kb.sentences reads it): a Markdown file's blocks, or
    # the tables of an HTML or .docx file with the text between them. With blocks, text outside them is markup (a
    # code fence, a table's border) and is not quoted; without, the text is plain. Read at indexing, not stored.
    blocks: tuple[Block, ...] = ()


@dataclass(frozen=True)
class Chunk:
    source: str
    ordinal: int
    start: int
    end: int
    text: str


@dataclass
class Passage:
    """A retrieved span of a document, with its place in the ranking."""

    chunk_id: int
    source: str
    title: str
    start: int
    end: int
    text: str
    score: float
    date: str | None = None
    dense_score: float | None = None
    lexical_rank: int | None = None
    # (Sentence, vector) pairs stored at index time; filled by the retriever when it reads them, reused by
    # the answerer. Not part of the JSON.
    sentences: list[Any] | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "title": self.title,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "score": round(float(self.score), 6),
            "date": self.date,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Passage":
        """The passage ``to_json`` wrote, for showing again; its chunk id and ranks are not in the JSON."""
        return cls(0, str(data["source"]), str(data["title"]), int(data["start"]), int(data["end"]), str(data["text"]),
                   float(data["score"]), _optional_str(data.get("date")))


@dataclass
class Citation:
    n: int
    source: str
    title: str
    start: int
    end: int
    text: str
    score: float
    date: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["score"] = round(float(self.score), 6)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Citation":
        return cls(int(data["n"]), str(data["source"]), str(data["title"]), int(data["start"]), int(data["end"]),
                   str(data["text"]), float(data["score"]), _optional_str(data.get("date")))


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


def shown_probability(probability: float) -> float:
    """A probability as kb shows it to a reader: at most 0.99, since a model's probability is not a certainty."""
    return min(float(probability), 0.99)


@dataclass
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    ms: float = 0.0
    # Probability that the answer is right, from the learned confidence model (kb.answer; compared with
    # abstain_threshold, measured in docs/quality.md "Calibration"): what a script or reader needs to weigh a cited
    # answer. 0 when a rule abstained before the model; None for an answer an LLM wrote, which has no calibrated
    # probability.
    confidence: float | None = None

    @property
    def shown_confidence(self) -> float | None:
        """The confidence as the CLI and the chat show it (shown_probability); to_json keeps the value itself."""
        return None if self.confidence is None else shown_probability(self.confidence)

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_json() for c in self.citations],
            "passages": [p.to_json() for p in self.passages],
            "confidence": None if self.confidence is None else round(float(self.confidence), 3),
            "ms": round(self.ms, 3),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Answer":
        """The answer ``to_json`` wrote (the chat keeps a conversation that way); KeyError, TypeError or
        ValueError for anything else."""
        confidence = data.get("confidence")
        return cls(str(data["question"]), str(data["answer"]), bool(data["abstained"]),
                   [Citation.from_json(c) for c in data["citations"]], [Passage.from_json(p) for p in data["passages"]],
                   float(data.get("ms") or 0.0), None if confidence is None else float(confidence))


@dataclass
class SourceFailure:
    source: str
    error: str

    def to_json(self) -> dict[str, str]:
        return {"source": self.source, "error": self.error}


@dataclass
class BuildReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    chunks: int = 0
    embedded_chunks: int = 0  # chunks whose vectors were computed in this build
    seconds: float = 0.0
    errors: list[SourceFailure] = field(default_factory=list)
    full: bool = False
    version: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "chunks": self.chunks,
            "embedded_chunks": self.embedded_chunks,
            "seconds": round(self.seconds, 3),
            "errors": [e.to_json() for e in self.errors],
            "full": self.full,
        }

    def summary(self) -> str:
        return (
            f"added {len(self.added)}, updated {len(self.updated)}, removed {len(self.removed)}, "
            f"unchanged {len(self.unchanged)}, {self.chunks} chunks, {self.seconds:.1f} s"
        )
