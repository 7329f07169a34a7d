"""Query understanding: which trial(s) a question is about, what it asks, and its key concepts."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import yaml

UNSEEN_WEIGHT = 2.5
DASHES = str.maketrans({"‑": "-", "–": "-", "—": "-", "−": "-", "’": "'", "\u00a0": " "})
NCT_RE = re.compile(r"\bNCT\d{8}\b", re.I)
TOKEN_RE = re.compile(r"[a-z0-9]+(?:[.][0-9]+)?%?")
AGE_RE = re.compile(
    r"\b(\d{1,3})[- ]?(?:years?[- ]old|year[- ]old|yrs?[- ]old|yo)\b"
    r"|\b(?:i am|i'm|im|aged?|he is|she is|he's|she's|patient is)\s+(\d{1,3})\b",
    re.I,
)
AGE_TOPIC_RE = re.compile(
    r"\b(age limits?|minimum age|maximum age|upper age|lower age|age range|age requirements?|how old|old enough|too old|"
    r"too young|older|younger)\b|\bages?\b.*\b(join|eligib\w*|enrol\w*|qualif\w*|allowed|accept\w*|criteri\w*|limit)",
    re.I,
)
DESCRIPTIVE_AGE_RE = re.compile(r"\b(median|mean|average)\s+age\b", re.I)
LIST_RE = re.compile(
    r"\b(list|what are|which are|show|give|tell me|summari[sz]e)\b.*\b(criteria|exclusions|inclusions)\b"
    r"|\b(inclusion|exclusion|eligibility) criteria\b\??$",
    re.I,
)
FOLLOWUP_RE = re.compile(r"^\s*(what about|how about|and|and for|what of|same for)\b", re.I)
QUANTITY_RE = re.compile(r"\d+(?:\.\d+)?\s*(?:mg/kg|mg/m2|mg/m²|μg/kg|ug/kg|mg|g/L|mL/min|months|weeks|days)\b", re.I)
NUMERIC_Q_RE = re.compile(
    r"\b(how many|how much|how long|how often|what proportion|what percentage|what share|when|what dose|which dose|"
    r"what phase|which phase|median|rate|rates|percent|percentage|threshold|level)\b",
    re.I,
)
NUMERIC_CONCEPTS = {
    "objective response rate", "disease control rate", "progression-free survival", "overall survival",
    "duration of response", "time to response", "complete response", "partial response",
}
MONEY_Q_RE = re.compile(r"\b(cost|costs|price|prices|pay|afford|insurance|expensive|charge)\b", re.I)

STOP = set(
    """a about above after again all also am an and any are as at be been before being below between both but by can
    could did do does doing done during each few for from further get give had has have having he her here hers him his
    how i if in into is it its itself just me more most my no nor not now of off on once only or other our out over own
    same she should so some such than that the their them then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your yours tell show list please
    trial trials study studies patient patients participant participants people person subject subjects drug document
    documents source sources report reported data result results value number requirement requirements required require
    criteria criterion eligible eligibility join enroll enrol qualify participate allowed let know mean means find
    say says said according there's what's whats it's i'm im i've does anyone someone someone's mine proportion share
    percentage percent often frequency many long must call take part want well work works worked treatment because
    level levels threshold thresholds cutoff schedule amount details detail information info kind type types exactly
    specifically need needs needed registry page record listing website shown show showed seen see observed
    achieved yield yielded demonstrated produce produced expected expect assessed assess measured parameters""".split()
)


@dataclass(frozen=True)
class Concept:
    name: str
    forms: tuple[str, ...]  # normalized phrases; any one matching counts
    weight: float = 1.0
    target: bool = False  # what the question asks for ("What *phase* ...", "Which *dose* ...")


@dataclass
class QueryPlan:
    question: str
    doc_ids: list[str] | None = None
    entities: list[str] = field(default_factory=list)
    concepts: list[Concept] = field(default_factory=list)
    intent: str = "fact"  # fact | age | list | contact
    age: int | None = None
    list_kind: str | None = None  # inclusion | exclusion | None (both)
    answer_type: str | None = None  # money | number | None
    unknown_trial: str | None = None
    search_text: str = ""


def normalize(text: str) -> str:
    return text.translate(DASHES).lower()


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, tuple[str, ...]]:
    """canonical -> all surface forms (canonical first)."""
    data = yaml.safe_load(resources.files("assistant.data").joinpath("vocab.yaml").read_text(encoding="utf-8"))
    out: dict[str, tuple[str, ...]] = {}
    for group in data.values():
        for canonical, aliases in group.items():
            out[canonical] = (canonical, *aliases)
    return out


def _is_acronym(form: str) -> bool:
    letters = re.sub(r"[^A-Za-z]", "", form)
    return len(form) <= 5 and letters.isupper() and len(letters) >= 1


def form_pattern(form: str) -> re.Pattern:
    """Whole-word pattern for a surface form (acronyms case-sensitive)."""
    body = re.escape(form.translate(DASHES))
    body = body.replace(r"\ ", r"[\s-]+").replace(r"\-", r"[\s-]?")
    flags = 0 if _is_acronym(form) else re.I
    return re.compile(rf"(?<![A-Za-z0-9]){body}(?:s|es)?(?![A-Za-z0-9])", flags)


@lru_cache(maxsize=4096)
def _compiled(form: str) -> re.Pattern:
    return form_pattern(form)


def concept_in(concept: Concept, text: str) -> bool:
    return any(_compiled(f).search(text) for f in concept.forms)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def stem(word: str) -> str:
    return _stemmer().stemWord(word)


class Catalog:
    """What the index holds: per document, the names that identify its trial and drugs."""

    def __init__(self, docs: dict[str, dict]) -> None:
        self.docs = docs  # doc_id -> metadata (title, trial_id, trial_names, drugs, ...)
        vocab = vocabulary()
        self.trial_forms: list[tuple[str, str]] = []  # (form, doc_id)
        self.drug_forms: list[tuple[str, str]] = []
        self.trial_ids = {}
        for doc_id, meta in docs.items():
            if meta.get("trial_id"):
                self.trial_forms.append((meta["trial_id"], doc_id))
                self.trial_ids.setdefault(meta["trial_id"].upper(), []).append(doc_id)
            for name in filter(None, (n.strip() for n in meta.get("trial_names", "").split(","))):
                self.trial_forms.append((name, doc_id))
            for drug in filter(None, (d.strip() for d in meta.get("drugs", "").split(","))):
                forms = {drug}
                for canonical, aliases in vocab.items():
                    if drug.lower() in (a.lower() for a in aliases):
                        forms.update(aliases)
                for form in forms:
                    self.drug_forms.append((form, doc_id))

    def resolve(self, text: str) -> tuple[list[str], list[str], str | None]:
        """Documents named by ``text`` (trial IDs/names beat drug names), the names found, an unknown NCT ID."""
        found_trials, found_drugs, names = set(), set(), []
        for form, doc_id in self.trial_forms:
            if _compiled(form).search(text):
                found_trials.add(doc_id)
                names.append(form)
        for form, doc_id in self.drug_forms:
            if _compiled(form).search(text):
                found_drugs.add(doc_id)
                names.append(form)
        unknown = None
        for m in NCT_RE.finditer(text):
            if m.group(0).upper() not in self.trial_ids:
                unknown = m.group(0).upper()
        docs = found_trials or found_drugs
        return sorted(docs), sorted(set(names), key=len, reverse=True), unknown


def extract_concepts(text: str, skip: list[str], df: dict[str, int], n_chunks: int) -> list[Concept]:
    """Key concepts of a question: vocabulary phrases first, then remaining content words."""
    working = text.translate(DASHES)
    asks_phase = re.search(r"\b(what|which)\s+phase", working, re.I)
    descriptors = [] if asks_phase else [r"\bphase\s*(?:[1-4](?:[ab]|/[1-4])?|i{1,3}v?(?:/i{1,3})?)\b"]
    for pattern in [*(_compiled(n).pattern for n in skip), *descriptors]:
        # trial/drug names resolve the trial, "the phase 3 trial" describes it: neither is a concept
        working = re.sub(pattern, lambda m: " " * len(m.group(0)), working, flags=re.I)
    found: list[tuple[int, Concept]] = []
    vocab = vocabulary()
    for canonical, forms in sorted(vocab.items(), key=lambda kv: -max(len(f) for f in kv[1])):
        for form in sorted(forms, key=len, reverse=True):
            m = _compiled(form).search(working)
            if m:
                found.append((m.start(), Concept(canonical, forms)))
                working = working[: m.start()] + " " * (m.end() - m.start()) + working[m.end() :]
                break
    for m in QUANTITY_RE.finditer(working):  # "12 mg/kg" is one concept, not three words
        found.append((m.start(), Concept(m.group(0), (m.group(0),))))
        working = working[: m.start()] + " " * (m.end() - m.start()) + working[m.end() :]
    lowered = normalize(working)
    for m in TOKEN_RE.finditer(lowered):
        tok = m.group(0)
        if tok in STOP or (len(tok) < 2 and not tok.isdigit()):
            continue
        found.append((m.start(), Concept(tok, (tok,))))
    found.sort(key=lambda pc: pc[0])
    wh = re.match(r"\s*(what|which)\b(?:'s)?", text, re.I)
    glue = {"is", "was", "are", "were", "the", "a", "an", "does", "do", "did"}
    seen, unique = set(), []
    for i, (pos, c) in enumerate(found):
        if c.name in seen:
            continue
        seen.add(c.name)
        is_target = bool(wh) and i == 0 and all(w.lower() in glue for w in text[wh.end() : pos].split())
        unique.append(Concept(c.name, c.forms, target=is_target))
    return [_weighted(c, df, n_chunks) for c in unique]


def _weighted(c: Concept, df: dict[str, int], n: int) -> Concept:
    def freq(term: str) -> int:
        toks = [stem(t) for t in TOKEN_RE.findall(normalize(term))] or [term]
        return min(df.get(t, 0) for t in toks)

    seen = [f for f in (freq(form) for form in c.forms) if f > 0]
    if not seen:
        # a word the corpus never uses: weigh it moderately, not as the rarest word of all
        return Concept(c.name, c.forms, weight=UNSEEN_WEIGHT, target=c.target)
    weight = math.log((n + 1) / (max(seen) + 0.5))  # as rare as its most common wording
    return Concept(c.name, c.forms, weight=min(max(weight, 0.5), 8.0), target=c.target)


def unit_terms(text: str) -> set[str]:
    return {stem(t) for t in TOKEN_RE.findall(normalize(text))}


def concept_matches(concept: Concept, text: str, terms: set[str]) -> bool:
    """A concept is in a text if one of its phrases is, or (single words) its stem is."""
    if len(concept.forms) == 1 and " " not in concept.forms[0]:
        return stem(concept.forms[0]) in terms or concept_in(concept, text)
    return concept_in(concept, text)


def plan_query(
    question: str,
    catalog: Catalog,
    df: dict[str, int],
    n_chunks: int,
    history: list[dict] | None = None,
    trial: str | None = None,
) -> QueryPlan:
    plan = QueryPlan(question=question)
    doc_ids, names, unknown = catalog.resolve(question)
    plan.unknown_trial = unknown
    previous_user = [h.get("content", "") for h in (history or []) if h.get("role") == "user" and h.get("content")]
    if trial:
        by_id = catalog.trial_ids.get(trial.upper())
        doc_ids = by_id or ([trial] if trial in catalog.docs else catalog.resolve(trial)[0])
        if not doc_ids:
            plan.unknown_trial = trial
    elif not doc_ids and not unknown:
        for turn in reversed(previous_user):  # carry the trial in focus from earlier turns
            prev_docs, _, _ = catalog.resolve(turn)
            if prev_docs:
                doc_ids = prev_docs
                break
    plan.doc_ids = doc_ids or None
    plan.entities = names
    plan.concepts = extract_concepts(question, names, df, n_chunks)
    if FOLLOWUP_RE.match(question) and previous_user:
        prev = extract_concepts(previous_user[-1], catalog.resolve(previous_user[-1])[1], df, n_chunks)
        have = {c.name for c in plan.concepts}
        # carried-over concepts count, but less than the ones asked now
        plan.concepts += [Concept(c.name, c.forms, weight=0.35 * c.weight) for c in prev if c.name not in have]
    age = AGE_RE.search(question)
    if age:
        plan.age = int(age.group(1) or age.group(2))
    if (plan.age is not None or AGE_TOPIC_RE.search(question)) and not DESCRIPTIVE_AGE_RE.search(question):
        plan.intent = "age"
    elif LIST_RE.search(question):
        plan.intent = "list"
        q = question.lower()
        plan.list_kind = "exclusion" if "exclu" in q else ("inclusion" if "inclu" in q else None)
    if MONEY_Q_RE.search(question):
        plan.answer_type = "money"
    elif NUMERIC_Q_RE.search(question) or any(c.name in NUMERIC_CONCEPTS for c in plan.concepts[:1]):
        plan.answer_type = "number"  # the answer must state a number the question did not
    if any(c.name == "contact" for c in plan.concepts):
        plan.intent = "contact" if plan.intent == "fact" else plan.intent
    expansions = [f for c in plan.concepts for f in c.forms]
    plan.search_text = " ".join([question, *expansions])
    return plan
