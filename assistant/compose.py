"""Compose and cite stages: number the evidence, render answer templates from ``prompts/``, check grounding.

Templates live in the top-level ``prompts/`` folder, shipped inside the package as ``assistant.prompts``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import yaml
from jinja2 import BaseLoader, Environment, StrictUndefined, TemplateNotFound

from .errors import GroundingError
from .select import NUMBER_RE, Evidence
from .types import Citation

MARKER_RE = re.compile(r"\[\d+\]")
PERCENT_RE = re.compile(r"\d+(?:\.\d+)?%")


@lru_cache(maxsize=1)
def prompts_dir():
    """``assistant.prompts`` in an installed wheel; the repository's ``prompts/`` in a source checkout."""
    try:
        return resources.files("assistant.prompts")
    except ModuleNotFoundError:
        from .settings import ROOT

        return ROOT / "prompts"


def _prompt_text(name: str) -> str:
    path = prompts_dir().joinpath(name)
    if not path.is_file():
        raise TemplateNotFound(name)
    return path.read_text(encoding="utf-8")


class _PackageLoader(BaseLoader):
    def get_source(self, environment, template):
        return _prompt_text(template), template, lambda: True


@lru_cache(maxsize=1)
def environment() -> Environment:
    # autoescape is off: answers are plain text; the UI escapes everything it shows.
    return Environment(loader=_PackageLoader(), undefined=StrictUndefined, keep_trailing_newline=False, autoescape=False)


@lru_cache(maxsize=1)
def phrases() -> dict:
    return yaml.safe_load(_prompt_text("phrases.yaml"))


@lru_cache(maxsize=1)
def glossary() -> list:
    return yaml.safe_load(_prompt_text("glossary.yaml"))


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


def one_line(text: str) -> str:
    """A quote as shown inside an answer: whitespace runs (blank lines included) become single spaces."""
    return " ".join(text.split())


class Citer:
    """Numbers quoted spans in order of first use; the same span keeps its number."""

    def __init__(self, index) -> None:
        self.index = index
        self.citations: list[Citation] = []
        self._by_span: dict[tuple[str, int, int], int] = {}

    def _cite_span(self, doc_id: str, start: int, end: int, section: str) -> int:
        key = (doc_id, start, end)
        if key not in self._by_span:
            doc = self.index.docs[doc_id]
            n = len(self.citations) + 1
            self._by_span[key] = n
            self.citations.append(Citation(n, doc_id, doc.title, section, doc.text[start:end], doc.path, start, end))
        return self._by_span[key]

    def shown_context(self, ev: Evidence) -> list[tuple[int, int]]:
        """Parent lines quoted with a unit: a result row's measure and group always; a criterion's parent line
        only when it is short."""
        doc = self.index.docs[ev.doc_id]
        out = []
        for s, e in ev.context:
            if (s, e) == (ev.start, ev.end):
                continue
            if ev.kind == "criterion" and len(doc.text[s:e].split()) > 25:
                continue
            out.append((s, e))
        return out

    def cite(self, ev: Evidence) -> Evidence:
        doc = self.index.docs[ev.doc_id]
        ev.context = tuple(self.shown_context(ev))
        ev.context_n = [self._cite_span(ev.doc_id, s, e, ev.section) for s, e in ev.context]
        ev.n = self._cite_span(ev.doc_id, ev.start, ev.end, ev.section)
        ev.quote = one_line(doc.text[ev.start : ev.end])
        return ev

    def view(self, ev: Evidence) -> dict:
        """What templates see of a cited unit."""
        doc = self.index.docs[ev.doc_id]
        ctx = [{"quote": one_line(doc.text[s:e]), "n": n} for (s, e), n in zip(ev.context, ev.context_n)]
        return {"quote": ev.quote, "n": ev.n, "context_quotes": ctx, "title": doc.title, "doc_id": ev.doc_id}


def figures_disagree(quotes_by_doc: dict[str, list[str]]) -> bool:
    """True when quotes from different documents state different percentages."""
    sets = {frozenset(PERCENT_RE.findall(" ".join(q))) for q in quotes_by_doc.values() if PERCENT_RE.search(" ".join(q))}
    return len(quotes_by_doc) > 1 and len(sets) > 1


def check_grounding(answer: str, citations: list[Citation], question: str, titles: list[str] = ()) -> None:
    """Every number in the answer must appear in a cited quote (or the cited document's title or section heading,
    which answers show), in the title of a document the answer names, or in the question itself."""
    body = MARKER_RE.sub(" ", answer)
    pool = " ".join(f"{one_line(c.quote)} {c.title} {c.section}" for c in citations) + " " + question + " " + " ".join(titles)
    allowed = set(NUMBER_RE.findall(pool))
    for num in NUMBER_RE.findall(body):
        if num not in allowed:
            raise GroundingError(f"The answer states {num!r}, which is in none of its cited quotes.")
