"""Small typed values passed between pipeline stages.

load/parse → ``ParsedDoc`` (text + ``Unit`` list + ``Identity``) → chunk → ``TextNode`` (llama-index) →
retrieve → ``Candidate`` → select → ``Evidence`` → compose → ``Answer`` with ``Citation`` list.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Unit:
    """The smallest quotable piece: a sentence, a criterion, a field, a result row. ``text[start:end]`` is its quote.

    ``attrs`` carries what the layout says about it (criterion type and cohort, a result row's measure, group and
    unit of measure…); ``context`` holds spans of other lines it cannot be read without (a result row's outcome
    title and group title), which are cited with it.
    """

    start: int
    end: int
    kind: str  # heading | sentence | criterion | field | result | adverse_event | contact | site | item
    section: tuple[str, ...] = ()
    label: str = ""  # criterion number, field key, …
    attrs: dict[str, str] = field(default_factory=dict)
    context: tuple[tuple[int, int], ...] = ()

    def to_json(self) -> list:
        return [self.start, self.end, self.kind, list(self.section), self.label, self.attrs, [list(c) for c in self.context]]

    @classmethod
    def from_json(cls, row: list) -> "Unit":
        start, end, kind, section, label, attrs, context = row
        return cls(start, end, kind, tuple(section), label, dict(attrs), tuple(tuple(c) for c in context))


@dataclass
class Identity:
    """What a document is about, read from the document itself (a manifest may override fields)."""

    title: str = ""
    kind: str = "document"  # registry record | results report | news report | sponsor summary | document
    trial_ids: tuple[str, ...] = ()  # the document's own trial IDs (NCT…, other registry numbers)
    mentioned_ids: tuple[str, ...] = ()  # trial IDs it only mentions (not its own trial)
    trial_names: tuple[str, ...] = ()  # study acronyms / protocol numbers
    phase: str | None = None
    drugs: tuple[str, ...] = ()  # interventions, with the codes and brand names the document gives
    conditions: tuple[str, ...] = ()
    sponsor: str | None = None
    dates: dict[str, str] = field(default_factory=dict)
    abbreviations: dict[str, str] = field(default_factory=dict)  # defined in the document: "ORR" → "objective response rate"
    drug_aliases: list[list[str]] = field(default_factory=list)  # names the document gives one drug: [["fexotamab vedotin", "F-Vd"]]

    @property
    def trial_id(self) -> str | None:
        return self.trial_ids[0] if self.trial_ids else None

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Identity":
        data = dict(data)
        for key in ("trial_ids", "mentioned_ids", "trial_names", "drugs", "conditions"):
            data[key] = tuple(data.get(key, ()))
        return cls(**data)


@dataclass
class ParseStats:
    lines: int = 0  # non-blank lines of the text
    quotable: int = 0  # of those, lines inside a unit
    noise: int = 0  # lines dropped as page chrome / repeated boilerplate

    @property
    def share(self) -> float:
        content = self.lines - self.noise
        return self.quotable / content if content else 1.0


@dataclass
class ParsedDoc:
    """A source document: its quotable text (the file verbatim, or a rendering of a structured record), its units
    in reading order and its identity."""

    doc_id: str
    path: str
    text: str
    fmt: str  # text | markdown | html | ctgov-json | nli4ct-json
    units: list[Unit]
    identity: Identity
    stats: ParseStats = field(default_factory=ParseStats)
    source: str = ""  # absolute path of the file it came from (internal: never shown to users)

    @property
    def title(self) -> str:
        return self.identity.title or self.doc_id

    def quote(self, start: int, end: int) -> str:
        return self.text[start:end]


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
    strategy: str = ""  # which selection strategy answered (fact, list, age, contact, cross-trial, guard…)
    docs: list[str] = field(default_factory=list)  # the documents in focus (carried to follow-ups)
    trace: dict = field(default_factory=dict, repr=False)  # what was retrieved and scored (for evaluation; not serialised)

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
    units_added: int = 0
    units_unchanged: int = 0
    units_removed: int = 0
    docs_added: int = 0
    docs_changed: int = 0
    docs_unchanged: int = 0
    docs_removed: int = 0
    embedded: int = 0  # units embedded in this run (the rest reused their stored vectors)
    skipped: list[SkippedFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
