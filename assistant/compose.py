"""Compose and cite stages: render answer templates from ``prompts/`` and check grounding."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .errors import GroundingError
from .settings import ROOT
from .types import Citation

PROMPTS = ROOT / "prompts"
NUMBER_RE = re.compile(r"(?<![A-Za-z\d])\d+(?:[.,]\d+)*(?![A-Za-z])")  # not the digits in HER2, B7-H3
MARKER_RE = re.compile(r"\[\d+\]")


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(PROMPTS)), undefined=StrictUndefined, keep_trailing_newline=False)


@lru_cache(maxsize=1)
def phrases() -> dict:
    return yaml.safe_load((PROMPTS / "phrases.yaml").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def glossary() -> dict:
    return yaml.safe_load((PROMPTS / "glossary.yaml").read_text(encoding="utf-8"))


def render(template: str, **context) -> str:
    text = environment().get_template(template).render(phrases=phrases(), **context)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def glossary_for(quotes: list[str]) -> list[str]:
    """Plain-language notes for terms that appear in the quotes shown to a patient."""
    joined = "\n".join(quotes)
    notes = []
    for entry in glossary():
        for term in entry["terms"]:
            flags = 0 if term.isupper() else re.I
            if re.search(rf"(?<![A-Za-z-]){re.escape(term)}(?![A-Za-z])", joined, flags):
                notes.append(entry["note"])
                break
    return notes


class Citer:
    """Numbers evidence in order of first use; the same span keeps its number."""

    def __init__(self, index) -> None:
        self.index = index
        self.citations: list[Citation] = []
        self._by_span: dict[tuple[str, int, int], int] = {}

    def cite(self, evidence) -> object:
        key = (evidence.doc_id, evidence.start, evidence.end)
        if key not in self._by_span:
            src = self.index.sources[evidence.doc_id]
            n = len(self.citations) + 1
            self._by_span[key] = n
            self.citations.append(
                Citation(
                    n=n,
                    doc_id=evidence.doc_id,
                    title=src.title,
                    section=evidence.section,
                    quote=src.text[evidence.start : evidence.end],
                    path=src.path,
                    start=evidence.start,
                    end=evidence.end,
                )
            )
        evidence.n = self._by_span[key]
        evidence.quote = " ".join(self.index.quote(evidence).split())
        return evidence


def check_grounding(answer: str, citations: list[Citation], question: str) -> None:
    """Every number in the answer must appear in a cited quote (or the cited document's title or
    section heading, which list answers show) or in the question itself."""
    body = MARKER_RE.sub(" ", answer)
    pool = " ".join(f"{' '.join(c.quote.split())} {c.title} {c.section}" for c in citations) + " " + question
    allowed = set(NUMBER_RE.findall(pool))
    for num in NUMBER_RE.findall(body):
        if num not in allowed:
            raise GroundingError(f"The answer states {num!r}, which is in none of its cited quotes.")
