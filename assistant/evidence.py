"""Select-evidence stage: score the units of retrieved chunks against the question's concepts.

Scores are plain and inspectable: IDF-weighted coverage of the question's key concepts by the
unit (its text, field label and section path), plus a small bonus for retrieval rank. The best
unit must cover ``min_coverage`` of the concepts, or the assistant abstains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .compose import NUMBER_RE
from .parse import sentence_spans
from .query import QueryPlan, _compiled, concept_matches, unit_terms
from .types import Unit

PERCENT_RE = re.compile(r"\d+(?:\.\d+)?%")
MONEY_RE = re.compile(r"[$€£¥]\s?\d|\b\d[\d,.]*\s?(usd|dollars|euros?)\b", re.I)
AGE_RANGE = re.compile(r"\bages?\b[^.\d]{0,20}(\d{1,3})\s*(?:to|-|–)\s*(\d{1,3})\s*years", re.I)
AGE_MIN = [
    re.compile(r"(?:≥|>=|at least|aged?\s*≥)\s*(\d{1,3})\s*(?:years|yrs)", re.I),
    re.compile(r"(\d{1,3})\s*years?\s*(?:of age\s*)?(?:and|or)\s*(?:over|older|above)", re.I),
    re.compile(r"(\d{1,3})\+\s*years", re.I),
    re.compile(r"Minimum Eligible Age\s+(\d{1,3})\s*Years", re.I),
]
AGE_MAX = [
    re.compile(r"Maximum Eligible Age\s+(\d{1,3})\s*Years", re.I),
    re.compile(r"(?:≤|<=|up to|no older than)\s*(\d{1,3})\s*(?:years|yrs)", re.I),
]
CONTACT_RE = re.compile(r"contact", re.I)
FIRST_PERSON_RE = re.compile(r"\b(I'm|I'll|I am|I will|I've|my patients)\b")
LONG_QUOTE_WORDS = 60
TARGET_MISSING = 0.7
SHORT_QUOTE_WORDS = 6


@dataclass
class Evidence:
    doc_id: str
    start: int
    end: int
    section: str
    kind: str
    coverage: float = 0.0
    score: float = 0.0
    n: int = 0  # citation number, set when composed
    quote: str = ""


def coverage(plan: QueryPlan, text: str, context: str = "", title: str = "") -> float:
    """IDF-weighted share of the question's concepts found in a unit.

    Full credit for the unit's own text; half for its section heading or field label (``context``)
    and, except for the concept the question asks for, for its document's title.
    """
    concepts = plan.concepts
    if not concepts:
        return 1.0
    terms = unit_terms(text)
    context_terms = unit_terms(context) if context else set()
    title_terms = unit_terms(title) if title else set()
    total = sum(c.weight for c in concepts)
    got, factor = 0.0, 1.0
    for c in concepts:
        if concept_matches(c, text, terms):
            got += c.weight
        elif context and concept_matches(c, context, context_terms):
            got += 0.5 * c.weight
        elif c.target:
            factor = TARGET_MISSING  # the unit does not speak of what is asked
        elif title and concept_matches(c, title, title_terms):
            got += 0.5 * c.weight
    return factor * got / total if total else 0.0


def _best_sentence(plan: QueryPlan, source: str, unit: Unit, context: str) -> tuple[int, int]:
    """Within a long unit, the sentence that best covers the question."""
    spans = sentence_spans(source, unit.start, unit.end)
    if len(spans) <= 1:
        return unit.start, unit.end
    best = max(spans, key=lambda s: coverage(plan, source[s[0] : s[1]], context))
    return best


def states_new_number(text: str, question: str) -> bool:
    """True if ``text`` has a number that the question itself does not mention."""
    asked = set(NUMBER_RE.findall(question))
    return any(n not in asked for n in NUMBER_RE.findall(text))


def _mentions(plan: QueryPlan, text: str) -> int:
    return sum(len(_compiled(f).findall(text)) for c in plan.concepts for f in c.forms)


def score_hits(plan: QueryPlan, hits, index) -> list[Evidence]:
    """Every unit of every retrieved chunk, scored.

    Coverage counts a concept fully when the unit's text has it, half when only its section
    heading, field label or document title does. Small bonuses: retrieval rank, naming the drug or
    trial asked about, and repeated mentions of the concepts.
    """
    out: list[Evidence] = []
    n_hits = max(len(hits), 1)
    entity_patterns = [_compiled(name) for name in plan.entities]
    for hit in hits:
        chunk = index.chunks[hit.chunk_id]
        src = index.sources[chunk.doc_id]
        source = src.text
        for unit in chunk.units:
            label = unit.label if not unit.label[:1].isdigit() else ""
            context = f"{chunk.section_text} › {label}"
            text = source[unit.start : unit.end]
            start, end = unit.start, unit.end
            if len(text.split()) > LONG_QUOTE_WORDS:
                start, end = _best_sentence(plan, source, unit, context)
                text = source[start:end]
            if plan.answer_type == "number" and not states_new_number(text, plan.question):
                continue
            cov = coverage(plan, text, context, src.title)
            bonus = 0.08 * (1 - hit.rank / n_hits)
            bonus += 0.1 if any(p.search(text) for p in entity_patterns) else 0.0
            bonus += 0.02 * min(max(_mentions(plan, text) - len(plan.concepts), 0), 3)
            bonus -= 0.05 if unit.kind == "site" else 0.0
            bonus -= 0.15 if FIRST_PERSON_RE.search(text) else 0.0  # commentary, not trial evidence
            out.append(Evidence(chunk.doc_id, start, end, chunk.section_text, unit.kind, cov, cov + bonus))
    out.sort(key=lambda e: -e.score)
    return out


def select_facts(plan: QueryPlan, scored: list[Evidence], index, min_coverage: float, limit: int) -> list[Evidence]:
    """The units that answer the question (best first), or [] to abstain.

    Only units covering ``min_coverage`` of the question, and at least 80% of the best coverage,
    qualify; among those the score (coverage plus bonuses) orders them.
    """
    eligible = [e for e in scored if e.coverage >= min_coverage]
    if not eligible:
        return []
    top = max(e.coverage for e in eligible)
    eligible = [e for e in eligible if e.coverage >= 0.8 * top]
    if plan.answer_type == "money" and not any(MONEY_RE.search(index.quote(e)) for e in eligible[:limit]):
        return []
    chosen: list[Evidence] = []
    seen_text: set[str] = set()
    for e in eligible:
        if len(chosen) >= limit:
            break
        text = " ".join(index.quote(e).split())
        if text in seen_text or any(c.doc_id == e.doc_id and c.start <= e.start and e.end <= c.end for c in chosen):
            continue
        numbers = set(NUMBER_RE.findall(text))
        shown = {n for c in chosen if c.doc_id == e.doc_id for n in NUMBER_RE.findall(index.quote(c))}
        if chosen and numbers and numbers <= shown:
            continue  # restates figures already quoted from the same document
        seen_text.add(text)
        chosen.append(_with_next_if_short(e, index))
    return chosen


def figures_disagree(chosen: list[Evidence]) -> bool:
    """True when quotes from different documents state different percentages."""
    percents = {frozenset(PERCENT_RE.findall(e.quote)) for e in chosen if PERCENT_RE.search(e.quote)}
    return len({e.doc_id for e in chosen}) > 1 and len(percents) > 1


def _with_next_if_short(e: Evidence, index) -> Evidence:
    """A very short unit ("Group C Active Comparator group") is quoted with the unit after it,
    when that follows in the same section, so the quote carries its value."""
    source = index.sources[e.doc_id].text
    if len(source[e.start : e.end].split()) >= SHORT_QUOTE_WORDS:
        return e
    units = [u for c in index.doc_chunks.get(e.doc_id, []) if c.section_text == e.section for u in c.units]
    following = [u for u in units if u.start >= e.end]
    if following:
        nxt = min(following, key=lambda u: u.start)
        if source[e.end : nxt.start].count("\n") <= 2 and len(source[e.start : nxt.end].split()) <= 30:
            return Evidence(e.doc_id, e.start, nxt.end, e.section, e.kind, e.coverage, e.score)
    return e


def age_limits(doc_ids: list[str] | None, index) -> tuple[list[Evidence], int | None, int | None]:
    """Units that state age limits in the given documents, with the strictest bounds found."""
    found, lo, hi = [], None, None
    for doc_id in doc_ids or list(index.sources):
        source = index.sources[doc_id].text
        for chunk in index.doc_chunks.get(doc_id, []):
            for unit in chunk.units:
                text = " ".join(source[unit.start : unit.end].split())
                if len(text.split()) > 40:
                    continue
                u_lo = u_hi = None
                m = AGE_RANGE.search(text)
                if m:
                    u_lo, u_hi = int(m.group(1)), int(m.group(2))
                for i, p in enumerate(AGE_MIN):
                    if u_lo is None and (m := p.search(text)) and (i > 0 or re.search(r"\bage", text, re.I)):
                        u_lo = int(m.group(1))
                for p in AGE_MAX:
                    if u_hi is None and (m := p.search(text)):
                        u_hi = int(m.group(1))
                if u_lo is None and u_hi is None:
                    continue
                if re.search(r"median age|range,", text, re.I):
                    continue  # describes enrolled patients, not a criterion
                found.append(Evidence(doc_id, unit.start, unit.end, chunk.section_text, unit.kind, 1.0, 1.0))
                lo = u_lo if u_lo is not None and (lo is None or u_lo > lo) else lo
                hi = u_hi if u_hi is not None and (hi is None or u_hi < hi) else hi
    return found, lo, hi


def criteria_sections(plan: QueryPlan, index) -> tuple[list[Evidence], list[str]]:
    """For list questions: the criteria of the section(s) asked about, and the cohort blocks not chosen."""
    sections: dict[tuple[str, str], list[Evidence]] = {}
    for doc_id in plan.doc_ids or []:
        for chunk in index.doc_chunks.get(doc_id, []):
            for unit in chunk.units:
                if unit.kind != "criterion":
                    continue
                key = (doc_id, chunk.section_text)
                ev = sections.setdefault(key, [])
                if ev and ev[-1].start == unit.start:  # pieces of one split criterion
                    continue
                ev.append(Evidence(doc_id, unit.start, unit.end, chunk.section_text, unit.kind, 1.0, 1.0))
    if not sections:
        return [], []

    def kind_of(section: str) -> str:
        s = section.lower()
        return "exclusion" if "exclu" in s else "inclusion"

    wanted = {k: v for k, v in sections.items() if plan.list_kind in (None, kind_of(k[1]))}
    cohort_concepts = [c for c in plan.concepts if c.name not in {"inclusion", "exclusion", "exclusions", "inclusions"}]
    matched = {k: v for k, v in wanted.items() if cohort_concepts and any(concept_matches(c, k[1], unit_terms(k[1])) for c in cohort_concepts)}
    others: list[str] = []
    if matched:
        common = {k: v for k, v in wanted.items() if re.search(r"\ball participants\b|\bcommon\b", k[1], re.I)}
        wanted = {**common, **matched}
    else:
        cohort_blocks = {k for k in wanted if re.search(r"\bfor\b", k[1].split(" › ")[-1], re.I) and not re.search(r"\ball\b", k[1], re.I)}
        if cohort_blocks and len(cohort_blocks) < len(wanted):
            others = [k[1].split(" › ")[-1] for k in wanted if k in cohort_blocks]
            wanted = {k: v for k, v in wanted.items() if k not in cohort_blocks}
    items = [e for v in wanted.values() for e in v]
    return items, others


def contact(doc_ids: list[str] | None, index) -> Evidence | None:
    """The trial's contact block: a unit with an email or phone number, with its name line(s) before
    and the short phone/email lines after it (one contiguous, verbatim span)."""
    reach = re.compile(r"@|\bphone\b|\bemail\b|\btel\b|\+\d[\d ()#-]{6,}\d", re.I)
    for doc_id in doc_ids or []:
        if index.sources[doc_id].meta.get("kind") == "news report":
            continue  # a news site's own contact is not the trial's
        source = index.sources[doc_id].text
        units = [(c, u) for c in index.doc_chunks.get(doc_id, []) for u in c.units]
        hits = [i for i, (_, u) in enumerate(units) if reach.search(source[u.start : u.end]) and "No email / No phone" not in source[u.start : u.end]]
        named = [i for i, (c, u) in enumerate(units) if CONTACT_RE.search(c.section_text + " " + u.label + " " + source[u.start : u.end])]
        if not hits and not named:
            continue
        i = hits[0] if hits else named[0]
        chunk, unit = units[i]
        start, end = unit.start, unit.end

        def near(a: int, b: int, text: str) -> bool:
            return source[a:b].count("\n") <= 3 and len(text.split()) <= 8

        for _, prev in reversed(units[max(0, i - 2) : i]):
            t = source[prev.start : prev.end]
            if not near(prev.end, start, t) or re.search(r"responsib|principal|sponsor", t, re.I):
                break
            start = prev.start
        for _, nxt in units[i + 1 : i + 4]:
            t = source[nxt.start : nxt.end]
            if not near(end, nxt.start, t) or not reach.search(t):
                break
            end = nxt.end
        return Evidence(doc_id, start, end, chunk.section_text, "contact", 1.0, 1.0)
    return None
