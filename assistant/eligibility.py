"""Screening a patient against indexed trials: the document model supplies each trial's criteria (typed
inclusion / exclusion, per cohort, with their spans), ``assistant.screening`` gives the verdicts, and every
criterion verdict carries a citation of the criterion's verbatim text.

A trial is one document with at least ``MIN_CRITERIA`` criteria (its age / sex registry fields count as
inclusion criteria too). Across trials, possible matches come first (eligible, then uncertain with the fewest
open questions), then trials ruled out, each with the criterion that rules the patient out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .screening import CriterionInput, screen_criteria
from .types import Citation, ParsedDoc

MIN_CRITERIA = 3
AGE_SEX_FIELD = re.compile(r"\b(?:minimum|maximum)(?: eligible)? age\b|\beligible ages?\b|^\s*(?:sex|gender|eligible sex)\b", re.I)
ANY_SEX = re.compile(r"\b(?:all|both|any)\b", re.I)
VERDICT_ORDER = {"eligible": 0, "uncertain": 1, "not eligible": 2}
MAX_PATIENT_CHARS = 20_000


@dataclass
class TrialResult:
    trial: str
    title: str
    doc_id: str
    verdict: str
    cohort: str | None
    criteria: list[dict] = field(default_factory=list)
    follow_up: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"trial": self.trial, "title": self.title, "verdict": self.verdict, "cohort": self.cohort,
                "criteria": self.criteria, "follow_up": self.follow_up}

    @property
    def failing(self) -> list[dict]:
        return [c for c in self.criteria if c["status"] == "fails"]

    @property
    def unknown(self) -> list[dict]:
        return [c for c in self.criteria if c["status"] == "unknown"]


def trial_key(doc: ParsedDoc) -> str:
    """The trial's NCT ID where the document has one, otherwise the document's identity."""
    nct = next((t for t in doc.identity.trial_ids if t.upper().startswith("NCT")), None)
    return nct or doc.identity.trial_id or doc.doc_id


def criteria_of(doc: ParsedDoc) -> list[CriterionInput]:
    out = []
    opener = None  # the criterion line opening a sub-list ("… including any of the following:"), while it is open
    for i, u in enumerate(doc.units):
        text = doc.text[u.start : u.end]
        if u.kind == "criterion" and u.attrs.get("role") == "header":
            opener = u
        elif u.kind == "criterion":
            context = " ".join(doc.text[a:b] for a, b in u.context)
            out.append(CriterionInput(text, u.attrs.get("criterion_type", "inclusion"), u.attrs.get("cohort"), ref=i, context=context))
        elif u.kind in ("field", "sentence", "item") and AGE_SEX_FIELD.search(u.label + " " + text) and len(text.split()) <= 12:
            if ANY_SEX.search(text):
                continue  # "Sex: ALL" restricts nothing
            out.append(CriterionInput(text, "inclusion", None, ref=i))
        elif u.kind == "sentence" and opener is not None and u.section == opener.section:
            if text.rstrip().endswith(":"):
                opener = None  # a section label ("PATIENT CHARACTERISTICS:") closes the sub-list
            else:
                # a short line the layout left as a sentence ("Dipyridamole", "Aspirin or aspirin-containing
                # combinations") is an item of the open sub-list
                out.append(CriterionInput(text, opener.attrs.get("criterion_type", "inclusion"), opener.attrs.get("cohort"), ref=i,
                                          context=doc.text[opener.start : opener.end]))
    return out


def screenable(doc: ParsedDoc) -> bool:
    return sum(1 for u in doc.units if u.kind == "criterion") >= MIN_CRITERIA


def citation_for(doc: ParsedDoc, unit_index: int, n: int = 0) -> Citation:
    u = doc.units[unit_index]
    return Citation(n, doc.doc_id, doc.title, " › ".join(u.section), doc.text[u.start : u.end], doc.path, u.start, u.end)


def screen_doc(patient: str, doc: ParsedDoc, audience: str) -> TrialResult:
    inputs = criteria_of(doc)
    result = screen_criteria(patient, inputs, audience=audience)
    rows = []
    for ci, v in result.criteria:
        cit = citation_for(doc, ci.ref)
        rows.append({
            "text": ci.text,
            "type": v.effective_type if v.effective_type in ("inclusion", "exclusion") else ci.type,
            "cohort": ci.cohort,
            "status": v.status,
            "reason": v.reason,
            "patient_evidence": list(v.patient_evidence),
            "citation": {"doc_id": cit.doc_id, "title": cit.title, "section": cit.section, "quote": cit.quote,
                         "path": cit.path, "start": cit.start, "end": cit.end},
        })
    return TrialResult(trial_key(doc), doc.title, doc.doc_id, result.verdict, result.cohort, rows, list(result.follow_up))


def rank(results: list[TrialResult]) -> list[TrialResult]:
    return sorted(results, key=lambda r: (VERDICT_ORDER.get(r.verdict, 3), len(r.unknown), r.title.lower()))


CONCERN_MIN_SCORE = 3.0  # IDF-weighted concepts (a drug named counts 3) a criterion must share with what the user raised; set by hand (2.5 changed no development answer)
CONCERN_SKIP = {"eligibility", "age", "sex", "prior therapy", "relapse", "metastases"}


def _class_named(drug: str, text: str) -> bool:
    """The criterion names the drug's class ("Prozac" and "No concurrent selective serotonin reuptake inhibitors")."""
    from .screening.lexicon import get_lexicon
    from .vocab import form_pattern

    lex = get_lexicon()
    known = lex.lookup_drug(drug)  # generic, brand or code
    if known is None:
        return False
    aliases = (a for cls in lex.drug_classes(known.name) for a in lex.classes.get(cls, {}).get("aliases", []))
    return any(len(a) >= 4 and form_pattern(a).search(text) for a in aliases)


def concern_rows(plan, rows: list[dict], limit: int = 2) -> list[dict]:
    """The criteria that speak of what the question itself raises ("I take baby aspirin…" → the aspirin
    criterion), whatever their status: the user asked about them."""
    from .query import concept_in, terms
    from .vocab import drug_mentions, form_pattern

    told = {c.name: c for c in plan.told}  # what the user tells of themselves is what they ask about here
    concepts = [told.get(c.name, c) for c in plan.concepts]
    concepts = [c for c in concepts if c.weight >= 1.5 and c.name not in CONCERN_SKIP]
    drugs = drug_mentions(plan.question)
    scored = []
    for row in rows:
        text = row["text"]
        tt = terms(text)
        score = sum(c.weight for c in concepts if concept_in(c, text, tt))
        score += sum(3.0 for d in drugs if form_pattern(d).search(text) or _class_named(d, text))
        if score >= CONCERN_MIN_SCORE:
            scored.append((score, row))
    scored.sort(key=lambda x: -x[0])
    return [row for _, row in scored[:limit]]
