"""Small typed values passed between pipeline stages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class SourceDoc:
    """A corpus document, text verbatim."""

    doc_id: str
    path: str
    text: str
    title: str
    kind: str = "document"
    trial_id: str | None = None
    trial_names: tuple[str, ...] = ()
    drugs: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    date: str | None = None


@dataclass(frozen=True)
class Unit:
    """The smallest quotable piece: a sentence, a criterion, a field. ``text == source[start:end]``."""

    start: int
    end: int
    kind: str  # sentence | criterion | field | site | contact
    section: tuple[str, ...]
    label: str = ""  # e.g. criterion number "3.2"


@dataclass
class Chunk:
    """What gets embedded: consecutive units of one section, sized for the model window."""

    chunk_id: str
    doc_id: str
    section: tuple[str, ...]
    units: list[Unit]

    @property
    def start(self) -> int:
        return self.units[0].start

    @property
    def end(self) -> int:
        return self.units[-1].end


@dataclass(frozen=True)
class Citation:
    n: int
    doc_id: str
    title: str
    section: str
    quote: str
    path: str
    start: int
    end: int


@dataclass
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    timing_ms: float = 0.0
    id: str | None = None

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [asdict(c) for c in self.citations],
            "timing_ms": round(self.timing_ms, 1),
        }


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str


@dataclass
class IngestReport:
    documents: int = 0
    chunks_added: int = 0
    chunks_unchanged: int = 0
    chunks_removed: int = 0
    docs_added: int = 0
    docs_changed: int = 0
    docs_unchanged: int = 0
    docs_removed: int = 0
    skipped: list[SkippedFile] = field(default_factory=list)
    seconds: float = 0.0
