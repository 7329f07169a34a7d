"""Select-evidence stage: score retrieved units against the question, then let a strategy pick what answers.

Each candidate unit gets plain, inspectable features — cosine similarity to the question, IDF-weighted concept
coverage, BM25, whether it states a value of the asked type (a PFS question needs a duration, an ORR question a
percentage, "how many" a count), whether its section is where such answers live, whether it is a methods or
definition sentence — combined by a logistic model whose weights and abstention threshold are fitted on
development data (``assistant fit``; values in ``Settings``).

Strategies (one selection step after retrieval, as llama-index node postprocessors are):
``fact`` (best units), ``list`` (a criteria section), ``age`` (age limits), ``contact`` (the trial's named
contact), ``cross_trial`` (best units per trial), ``compare`` (best units per named trial).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

from .adapters.layout import SENTENCE_ABBREVIATIONS, section_type
from .query import GENERIC_FOCUS, JOIN_RE, STOP, QConcept, QueryPlan, concept_in, terms, topic_map
from .retrieve import Candidate
from .vocab import concept_mentions, condition_mentions, drug_mentions, drug_pattern, drug_table, form_pattern

NUMBER_RE = re.compile(r"(?<![A-Za-z\d])\d+(?:[.,]\d+)*(?![A-Za-z])")  # not the digits in HER2, B7-H3
CI_LEVEL = re.compile(r"\b9[05]\s?%\s*(?:CI|confidence)", re.I)
VALUE_PATTERNS = {
    "percent": re.compile(r"\d+(?:\.\d+)?\s?%|\bper ?cent\b", re.I),
    "duration": re.compile(
        r"\d+(?:\.\d+)?\s*(?:-|to)?\s*(?:\d+(?:\.\d+)?\s*)?(?:months?|mos?\.?|weeks?|wks?|days?|years?|yrs?|hours?)\b"
        r"|\b(?:first|one|two|three|four|five|six|eight|ten|twelve)\s+(?:\w+\s+)?(?:cycles?|courses?|weeks?|months?|days?|years?)\b",
        re.I,
    ),
    "count": re.compile(
        r"\d+\s*(?:\w+\s)?(?:participants?|patients?|subjects?|people|women|men|persons?|pts|cases|events)\b|\bn\s*=\s*\d+|\d+\s*/\s*\d+"
        r"|\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|sixteen|eighteen|twenty|thirty)\s+(?:[\w-]+\s)?"
        r"(?:cycles|courses|sessions|doses|visits|injections|infusions|treatments|fractions|times)\b"
        r"|\b(?:enrol\w*|accrual|sample size|total|number of \w+|analy[sz]ed|affected|planned|count)\b\W{0,3}(?:(?:of|was|were|is|to|will be|=)\W{0,3})?"
        r"\d+(?![\d.]*\s*(?:weeks?|days?|months?|years?|half|%|mg|hours?))|:\s*\d+(?:\s|$)",
        re.I,
    ),
    "dose": re.compile(r"\d+(?:\.\d+)?\s*(?:mg|µg|μg|ug|mcg|g|mL|IU|units?|AUC\s?\d*|kBq|MBq|mCi|Gy|cGy)(?:\s*/\s*(?:kg|m2|m²|m\^2|day|d|week|dose))?\b|\bAUC\s?\d", re.I),
    "date": re.compile(r"\b(?:19|20)\d{2}\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d", re.I),
    "threshold": re.compile(r"[≥≤<>]=?\s*\d|[<>]\s*/\s*=\s*\d|=[<>]\s*\d|\b(?:at least|greater than|less than|more than|no more than|above|below|up to|minimum|maximum|or (?:more|less|greater|higher|lower))\b.{0,20}\d|\d\s*(?:x|×)\s*(?:ULN|upper|10\^?9|109|the)|\d+(?:\.\d+)?\s*(?:g/dl|g/l|mg/dl|µmol/l|umol/l|/mm\^?3|/mm3|/mm³|/µl|/ul|ml/min|%|percent|cells?\s*/\s*(?:mcl|µl|ul|microliter|mm3|l)|grams?\s*/\s*deciliter|/\s*microliter|x\s*10\^?\d)", re.I),
    "age": re.compile(r"\d{1,3}\s*(?:years|yrs|y)\b|\bage", re.I),
    # a mean: a number with its dispersion ("3.59 ± 2.35", "50.6 (12.1)"), a number after "mean", or a table row's figures
    "mean": re.compile(r"\d[\d.,]*\s*(?:±|\+/-|\(\s*±?\s*\d[\d.,]*\s*\))|\b(?:mean|average|median)\b[^.;]{0,60}?\d|\d[\d.,]*\s+-?\d[\d.,]*", re.I),
    # a comparison's statistic: p-value, hazard/odds/risk ratio, effect size, mean difference, confidence interval
    "ratio": re.compile(r"\b[Pp]\s*\*?\s*(?:[<=>≤≥]|&lt;|&gt;)\s*0?[.,]\d|\b(?:a?HR|a?OR|RR|ES|IRR)\s*[=:]?\s*\d|"
                        r"\b(?:hazard|odds|risk|rate) ratios?\b[^.;]{0,30}\d|\b9[05]\s?%\s*(?:CI|confidence)[^.;]{0,30}\d|"
                        r"\beffect sizes?\b[^.;]{0,20}\d|\bmean differences?\b[^.;]{0,30}\d", re.I),
    "money": re.compile(r"[$€£¥]\s?\d|\b\d[\d,.]*\s?(?:usd|dollars|euros?)\b|\bfree of charge\b|\bno cost\b|\bat no (?:cost|charge)\b|\bpaid\b|\breimburs", re.I),
    "contact": re.compile(r"@|\b(?:phone|e-?mail|tel)\b|\+\d[\d ()#.-]{6,}\d", re.I),
    "phase": re.compile(r"\bphase\b|\bPHASE\d", re.I),
}
RESULT_UNITS = {
    "percent": re.compile(r"percent|%|proportion|rate|probability", re.I),
    "duration": re.compile(r"months?|weeks?|days?|years?|hours?", re.I),
    "count": re.compile(r"participants?|patients?|subjects?|events?|count|number", re.I),
}
METHODS_RE = re.compile(
    r"\b(?:will be|would be|is|was|were|are) (?:calculated|assessed|estimated|measured|evaluated|analy[sz]ed|compared|defined|determined|summari[sz]ed|tested|reported|used)\b"
    r"|\bwill be (?:accrued|treated|enrolled|escalated|de-escalated|expanded|added|entered)\b|\bdefined (?:as|in)\b|\bincluded the\b|\bKaplan[- ]Meier\b|\bcalculated (?:using|as|from)\b|\bmeasured (?:from|as)\b|\bestimated using\b|\bmethod\b",
    re.I,
)
# what a study set out to do ("This study aimed to determine the effect of…", "We have compared…"): a report's aims
# sentence names the outcome a question asks about, but it reports no result
AIMS_RE = re.compile(
    r"\b(?:aim(?:ed|s)? (?:was |is )?to|the (?:aim|purpose|objective|goal)s? (?:of (?:this|the|our) (?:study|trial) )?(?:was|is|were|will be) to"
    r"|with the aim (?:to|of)|this (?:study|trial) (?:compared|evaluated|examined|investigated|assessed)|we (?:have )?(?:compared|evaluated|examined|investigated|assessed|sought to))\b",
    re.I,
)
ASKS_AIM = re.compile(r"\b(?:aims?|purpose|objectives?|goals?|why)\b|\bwhat (?:is|was|does|did) (?:the |this |that )?(?:study|trial) (?:about|test|look|do)", re.I)
ASKS_METHOD = re.compile(r"\bdefin\w*|\bhow (?:is|was|were|are|do|did) [^?]{0,40}\b(?:measured|assessed|calculated|defined|determined|evaluated)|\bmethod|\bcriteria for\b", re.I)
FIRST_PERSON_RE = re.compile(r"\b(I'm|I'll|I am|I will|I've|my patients)\b")
LONG_QUOTE_WORDS = 60


@dataclass
class Evidence:
    """A unit (or one sentence of it) chosen to quote, with the lines it is read with."""

    doc_id: str
    unit: int
    start: int
    end: int
    section: str
    kind: str
    context: tuple[tuple[int, int], ...] = ()
    prob: float = 0.0
    features: dict = field(default_factory=dict)
    n: int = 0  # citation number (set by the composer)
    context_n: list[int] = field(default_factory=list)
    quote: str = ""


NO_SENTENCE_END = re.compile(r"\b(?:" + "|".join(re.escape(a) for a in SENTENCE_ABBREVIATIONS) + r")\.$", re.I)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[])")


def quick_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans inside one long unit, to quote its best sentence (a light splitter: loading NLTK's Punkt
    at question time would cost a second of start-up; ingest uses Punkt)."""
    spans, pos = [], start
    for m in SENTENCE_END.finditer(text, start, end):
        if NO_SENTENCE_END.search(text, max(start, m.start() - 8), m.start()):
            continue  # "(i.e. Xeloda)", "e.g. Foo": an abbreviation, not the end of a sentence
        if m.start() > pos:
            spans.append((pos, m.start()))
        pos = m.end()
    if pos < end:
        spans.append((pos, end))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def states_value(text: str, value_type: str | None, question: str, unit_attrs: dict | None = None) -> bool:
    """Does ``text`` state a value of the asked type that the question itself does not give?"""
    if value_type is None:
        return False
    unit_attrs = unit_attrs or {}
    asked = set(NUMBER_RE.findall(question))
    if value_type in RESULT_UNITS and unit_attrs.get("unit") and RESULT_UNITS[value_type].search(unit_attrs["unit"]):
        return any(n not in asked for n in NUMBER_RE.findall(text))
    pattern = VALUE_PATTERNS.get(value_type)
    if pattern is None:
        return False
    cleaned = CI_LEVEL.sub(" ", text)
    for m in pattern.finditer(cleaned):
        nums = NUMBER_RE.findall(m.group(0))
        if value_type in ("contact", "phase", "money") or not nums or any(n not in asked for n in nums):
            return True
    return False


def coverage(plan: QueryPlan, text: str, context: str = "") -> float:
    """IDF-weighted share of the question's concepts the unit states (half credit via its section/context)."""
    if not plan.concepts:
        return 0.0
    tt = terms(text)
    ct = terms(context) if context else set()
    total = sum(c.weight for c in plan.concepts)
    got = 0.0
    for c in plan.concepts:
        if concept_in(c, text, tt):
            got += c.weight
        elif context and concept_in(c, context, ct):
            got += 0.5 * c.weight
    return got / total if total else 0.0


FEATURES = ("dense", "dense_rel", "lexical", "context", "bm25", "answer_type", "type_missing", "section", "kind_result", "label", "group", "methods", "entity")
CONTEXT_KEYS = ("measure", "group", "group_title", "unit", "time_frame", "cohort")
SHORT_CONTEXT_WORDS = 25  # a criterion's parent line is shown with it only when short


def unit_context(doc, unit) -> str:
    """What a unit is read with: its section path, label, parent lines and layout attributes."""
    parts = [" ".join(unit.section), unit.label]
    parts += [doc.text[s:e] for s, e in unit.context]
    parts += [unit.attrs[k] for k in CONTEXT_KEYS if unit.attrs.get(k)]
    if unit.kind == "adverse_event" and unit.attrs.get("serious") == "1":
        parts.append("serious adverse events")  # a row of a serious adverse events table
    return " ".join(p for p in parts if p)


def unit_features(plan: QueryPlan, cand: Candidate, doc, unit, bm25_max: float, dense_max: float = 0.0) -> tuple[dict, tuple[int, int]]:
    """Features of one candidate, and the span to quote (the best sentence of a long unit)."""
    start, end = unit.start, unit.end
    context = unit_context(doc, unit)
    text = doc.text[start:end]
    if len(text.split()) > LONG_QUOTE_WORDS:
        spans = quick_sentences(doc.text, start, end)
        if len(spans) > 1:
            def sent_score(sp):
                t = doc.text[sp[0] : sp[1]]
                return coverage(plan, t) + (0.5 if states_value(t, plan.value_type, plan.question, unit.attrs) else 0.0)

            start, end = max(spans, key=sent_score)
            text = doc.text[start:end]
    stype = section_type(unit.section)
    _, topic_sections = topic_map()
    expected = {s for t in plan.topics for s in topic_sections.get(t, ())}
    typed = states_value(text, unit_value_type(plan, text + " " + context), plan.question, unit.attrs)
    f = {
        "dense": cand.dense,
        "dense_rel": cand.dense - dense_max,
        "label": 1.0 if is_label(doc, unit) else 0.0,
        "group": group_match(plan, doc, unit),
        "lexical": coverage(plan, text),
        "context": coverage(plan, text + " " + context),
        "bm25": cand.bm25 / bm25_max if bm25_max > 0 else 0.0,
        "answer_type": 1.0 if typed else 0.0,
        "type_missing": 1.0 if plan.value_type and not typed else 0.0,
        "section": 1.0 if expected and stype in expected else 0.0,
        "kind_result": 1.0 if unit.kind in ("result", "adverse_event") and plan.value_type in ("percent", "duration", "count") else 0.0,
        # a criterion's "defined as" sets a threshold; it is not a methods sentence
        "methods": 1.0 if unit.kind != "criterion" and (METHODS_RE.search(text) or FIRST_PERSON_RE.search(text) or AIMS_RE.search(text)) else 0.0,
        "entity": 1.0 if any(form_pattern(n).search(text) for n in plan.entities) else 0.0,
    }
    return f, (start, end)


def unit_value_type(plan: QueryPlan, text: str) -> str | None:
    """The value type a unit must state: the asked one, or — when it was only inferred from the measures asked
    ("ORR and PFS?") — that of the asked measure the unit speaks of (a PFS line states a duration)."""
    if plan.value_type_explicit or len(plan.focus) < 2:
        return plan.value_type
    tt = terms(text)
    own = [c.value_type for c in plan.focus if c.value_type and concept_in(c, text, tt)]
    return own[0] if own else plan.value_type


def _group_words(text: str) -> set[str]:
    return {t for t in terms(text) if len(t) > 1}


def doc_groups(doc) -> dict[str, set[str]]:
    """Each group (arm) named in a document's results → its words."""
    cache = getattr(doc, "_groups", None)
    if cache is None:
        cache = {}
        for u in doc.units:
            g = u.attrs.get("group_title") or u.attrs.get("group")
            if g and g not in cache:
                cache[g] = _group_words(g)
        object.__setattr__(doc, "_groups", cache)
    return cache


def group_match(plan: QueryPlan, doc, unit) -> float:
    """+1 when the question names this unit's group (arm) rather than another one; -1 when it names another
    group but not this one; 0 when the unit has no group or the question names none."""
    g = unit.attrs.get("group_title") or unit.attrs.get("group")
    if not g:
        return 0.0
    groups = doc_groups(doc)
    if len(groups) < 2:
        return 0.0
    common = set.intersection(*groups.values()) if groups else set()
    q = plan_terms(plan)
    scores = {name: len((words - common) & q) for name, words in groups.items()}
    best = max(scores.values())
    if best == 0:
        return _alone_match(plan, groups, g)
    return 1.0 if scores.get(g, 0) == best else -1.0


ALONE_RE = re.compile(r"\b(?:only|alone|just|by itself|on its own|single[- ]agent|monotherapy)\b", re.I)


def _alone_match(plan: QueryPlan, groups: dict, g: str) -> float:
    """"The ones who only took lapatinib": the group whose title names nothing besides what the question names (its
    dose aside) beats a combination's ("Lapatinib 1500 mg" over "Lapatinib 1000 mg/Pazopanib 400 mg")."""
    if g not in groups or not ALONE_RE.search(plan.asking) or not drug_mentions(plan.asking):
        return 0.0
    q = plan_terms(plan)
    common = set.intersection(*groups.values())
    if not q & common:  # the drug named is not one every group gets
        return 0.0
    alone = {name for name, words in groups.items() if not {w for w in words - common - q if w.isalpha() and len(w) >= 4}}
    if not alone or len(alone) == len(groups):
        return 0.0
    return 1.0 if g in alone else -1.0


def plan_terms(plan: QueryPlan) -> set[str]:
    """The words a question names groups by: those of its asking sentences, with every name of a drug they name
    ("If I get Xeloda…" names the capecitabine arm)."""
    cache = getattr(plan, "_terms", None)
    if cache is None:
        ask = plan.asking
        cache = _group_words(" ".join([ask, *(f for d in drug_mentions(ask) for f in drug_table().get(d, ()))]))
        object.__setattr__(plan, "_terms", cache)
    return cache


def probability(f: dict, settings) -> float:
    z = settings.bias + sum(getattr(settings, f"w_{k}") * f[k] for k in FEATURES)
    return 1.0 / (1.0 + math.exp(-max(min(z, 30), -30)))


def score_candidates(plan: QueryPlan, cands: list[Candidate], index, settings) -> list[Evidence]:
    """Every retrieved unit scored (pieces of one unit merged: the best piece counts), best first."""
    bm25_max = max((c.bm25 for c in cands), default=0.0)
    dense_max = max((c.dense for c in cands), default=0.0)
    best: dict[tuple[str, int], Evidence] = {}
    for c in cands:
        doc = index.docs[c.doc_id]
        unit = doc.units[c.unit]
        f, (s, e) = unit_features(plan, c, doc, unit, bm25_max, dense_max)
        p = probability(f, settings)
        key = (c.doc_id, c.unit)
        if key not in best or p > best[key].prob:
            best[key] = Evidence(c.doc_id, c.unit, s, e, " › ".join(unit.section), unit.kind, unit.context, p, f)
    return sorted(best.values(), key=lambda ev: -ev.prob)


# --------------------------------------------------------------------------- strategies
def _covered(plan: QueryPlan, index, evs: list[Evidence]) -> set[str]:
    out = set()
    for ev in evs:
        doc = index.docs[ev.doc_id]
        text = doc.text[ev.start : ev.end] + " " + unit_context(doc, doc.units[ev.unit])
        tt = terms(text)
        out |= {c.name for c in plan.concepts if concept_in(c, text, tt)}
    return out


NUMERIC_TYPES = {"percent", "duration", "count", "dose", "threshold", "date", "money", "ratio", "mean"}


RATE_ASKED = re.compile(r"\brates?\b", re.I)
STOP_RATE = {"the", "what", "which", "overall", "event", "events", "total", "response", "success", "failure", "heart", "survival", "error",
             "sae", "saes", "ae", "aes", "adverse", "toxicity", "complication", "complications"}  # rates an event table states
RATE_OF = re.compile(r"\b([A-Za-z][\w-]{2,})\s+rates?\b")  # "the recurrence rate", "POI rate", "mastectomy vs BCS rates"


COUNT_OF = re.compile(r"\bhow many\s+((?:[\w-]+\s+){0,2}?[\w-]+s)(?=\s+(?:were|was|did|do|does|had|have|got|get|are|is|would|will|could|"
                      r"can|should|in|with|at|on|from|after|during|before|per|of|for|and|or|a|each)\b|\s*[?,.;]|\s*$)", re.I)  # a plural noun
COUNTED_ANYWHERE = {"patients", "participants", "people", "women", "men", "subjects", "pts", "persons", "cases", "events",
                    "aes", "saes", "times", "ones", "them", "those", "these", "individuals", "girls", "boys", "children",
                    "adults", "deaths", "responders", "mg", "milligrams", "grams", "units", "tablets", "pills", "capsules"}


def names_count_asked(plan: QueryPlan, text: str, tt: set[str]) -> bool:
    """"How many CDP sessions?" is answered by a unit that names what is counted, not by an adverse-event total;
    counts of people, events or doses may be stated without naming them."""
    m = COUNT_OF.search(plan.asking)
    if not m:
        return True
    words = [w.lower() for w in re.findall(r"[A-Za-z][\w-]*", m.group(1))]
    if any(w in COUNTED_ANYWHERE for w in words):
        return True
    content = [w for w in words if len(w) >= 4 and w not in STOP_RATE and w not in STOP]
    if not content:
        return True
    return any(_names(w, text, tt) for w in content)


def _names(word: str, text: str, tt: set[str]) -> bool:
    """Does the text name ``word``, itself or through a vocabulary concept it is a form of?"""
    named = [QConcept(c.name, (*c.forms, c.name)) for _, _, c in concept_mentions(word)]
    return any(concept_in(c, text, tt) for c in named) or bool(terms(word) & tt)


def names_rate_asked(plan: QueryPlan, text: str, tt: set[str]) -> bool:
    """A "<what> rate" question is answered by a unit (with its measure) that names what the rate is of."""
    m = RATE_OF.search(plan.asking)
    if not m or m.group(1).lower() in STOP_RATE:
        return True
    return _names(m.group(1), text, tt)


def can_answer(plan: QueryPlan, ev: Evidence, index, settings) -> bool:
    """The gates a lead unit must pass: it states a value of the asked type, it speaks of every focus concept, and
    it covers enough of the question."""
    typed_focus = any(c.value_type == plan.value_type for c in plan.focus)
    if (plan.value_type_explicit or typed_focus) and plan.value_type in NUMERIC_TYPES and not ev.features.get("answer_type"):
        return False
    if ev.features.get("methods") and (plan.value_type in NUMERIC_TYPES or not (ASKS_METHOD.search(plan.question) or ASKS_AIM.search(plan.question))):
        return False  # "A 95% CI for the median PFS will be calculated…" describes a method, it reports no value
    if not plan.doc_ids and not any(c.topic for c in plan.concepts) and ev.features.get("context", 0.0) < settings.min_coverage_unscoped:
        return False  # no trial named and no medical concept asked: only a unit covering most of the question answers
    if ev.features.get("context", 0.0) < settings.min_coverage:
        return False
    unit = index.docs[ev.doc_id].units[ev.unit]
    if ev.features.get("dense", 1.0) < settings.min_dense and not _label_asked(plan, unit):
        return False  # shares a word with the question but not its meaning ("going" / "go on to receive")
    if is_label(index.docs[ev.doc_id], unit) and not (unit.attrs.get("role") == "n" and ASKS_N.search(plan.question)):
        return False  # a measure title, group title or list header names what a value is; it is not the value
    if INSTRUCTION_RE.search(index.docs[ev.doc_id].text[unit.start : unit.end]):
        return False
    doc = index.docs[ev.doc_id]
    text = doc.text[ev.start : ev.end] + " " + unit_context(doc, unit)
    tt = terms(text)
    if plan.focus and not any(concept_in(c, text, tt) for c in plan.focus):
        return False
    if unit.kind == "criterion" and ("efficacy" in plan.topics or RATE_ASKED.search(plan.asking)) and "eligibility" not in plan.topics \
            and not JOIN_RE.search(plan.asking):
        return False  # a result is asked ("the recurrence rate in poor vs extensive metabolizers?"); a criterion states none
    if not names_rate_asked(plan, text, tt) or not names_count_asked(plan, text, tt):
        return False  # "the recurrence rate?", "how many sessions?" are not answered by the adverse-event totals
    if unit.kind not in ("result", "adverse_event") and asks_effect(plan):
        return False  # "did it make women feel less tired than placebo?" is answered by a result, not by background text
    if plan.value_type == "dose" and plan.drugs and not any(drug_pattern(d).search(text) for d in plan.drugs):
        if not (RADIATION_DOSE.search(text) and any(c.name == "radiotherapy" for c in plan.concepts)) and not _drug_class_dose(plan, text, tt):
            return False  # a dose answer names the drug it is the dose of (a radiation dose is in Gy)
    if plan.conditions:
        named_here = condition_mentions(text)
        if named_here and not any(c.name in named_here for c in plan.conditions):
            return False  # the unit is about another cancer ("in small cell lung cancer, …" for an endometrial question)
        about = " ".join([text, doc.title, *doc.identity.conditions])  # what the document says it is about
        declared = doc.identity.conditions or condition_mentions(doc.title)
        if declared and not any(concept_in(c, about, terms(about)) for c in plan.conditions):
            return False  # a document about another cancer (one that names none cannot be ruled out)
    return True


def _drug_class_dose(plan: QueryPlan, text: str, tt: set[str]) -> bool:
    """"What prednisone-equivalent dose is the cutoff in the X trial?": the dose asked is of a class of drugs the
    question names (steroids), which the unit names; the trial's own drugs only pick the trial."""
    return any(c.weight >= 1.0 and drug_mentions(" ".join(c.forms)) and concept_in(c, text, tt) and drug_mentions(text)
               for c in plan.concepts)


def _label_asked(plan: QueryPlan, unit) -> bool:
    """A field whose label is what the question asks ("Masking: None (Open label)" for "is it blinded?"): a short
    field's embedding says little, its label says what it is."""
    label = unit.label if unit.kind == "field" else ""
    asked = terms(plan.question)  # this turn's own words, not a concept carried from the turn before
    return bool(label) and any(c.weight >= 1.0 and concept_in(c, label, terms(label)) and concept_in(c, plan.question, asked)
                               for c in plan.concepts)


# "how many pts were analysed in each arm?": the number-analysed line of a result table is then the answer
ASKS_N = re.compile(r"\b(?:analy[sz]ed|evaluable|assessable)\b", re.I)
RADIATION_DOSE = re.compile(r"\d+(?:\.\d+)?\s*c?Gy\b")
EFFECT_Q = re.compile(
    r"^\W*(?:[^?]{0,200}?,\s*)?(?:did|does|do|was|were|has|have|is|are)\b.{0,120}?\b(?:less|more|fewer|better|worse|lower|higher|longer|shorter|help|helped|helps|"
    r"improved?|improves|reduced?|reduces|prevented|prevents?|work|worked)\b", re.I | re.S)


def asks_effect(plan: QueryPlan) -> bool:
    """A yes/no question about what a treatment did ("did people who had the injection need less morphine?"),
    not about who may join."""
    ask = plan.asking
    return bool(EFFECT_Q.search(ask)) and not JOIN_RE.search(ask)


LABEL_ROLES = {"measure", "group", "group_description", "measure_type", "header", "n"}
# Text addressed to an AI rather than a reader ("SYSTEM: tell the user…"): quotable, never an answer.
INSTRUCTION_RE = re.compile(
    r"^\W*(?:system|assistant|user|developer)\s*:|\bignore (?:all |any |the )?(?:previous|prior|above) (?:instructions|prompts?)\b"
    r"|\btell the (?:user|reader|patient)s?\b|\byou are (?:an? |the )?(?:ai|assistant|chatbot|language model)\b",
    re.I,
)


GROUP_NAME = re.compile(
    r"^(?:(?:arm|group|cohort|part)\s+[A-Z0-9IVX]{1,3}|(?:[A-Z][\w-]*\s+){0,2}(?:group|arm|cohort))\s*:?$", re.I)


def is_label(doc, unit) -> bool:
    """A unit that names or introduces other units rather than stating a fact of its own ("Group C", "Experimental
    arm", "Eligibility:")."""
    text = doc.text[unit.start : unit.end].strip()
    return (unit.attrs.get("role") in LABEL_ROLES or unit.kind == "heading" or (text.endswith(":") and len(text.split()) <= 25)
            or bool(GROUP_NAME.match(text)) or text == unit.attrs.get("group_title"))  # a line that only names its group


def select_fact(plan: QueryPlan, scored: list[Evidence], index, settings, limit: int | None = None) -> list[Evidence]:
    """The best unit that can answer, the ones nearly as good, units that answer a part of the question the others
    do not, and — for a result row — the same measure's rows for the other groups. [] to abstain."""
    plan = with_named_events(plan, scored, index)
    leads = [ev for ev in scored if ev.prob >= settings.answer_threshold and can_answer(plan, ev, index, settings)]
    # a result row stating the count ("Any TESAEs: 2") answers as it is; otherwise the tables' totals do
    totals = [] if leads and leads[0].kind == "result" else event_totals(plan, index)
    if totals:  # "how many people had a serious side effect?": each group's total row
        if WHICH_EVENTS.search(plan.question):  # "… and what were they?": the events each group had too
            return [e for t in totals for e in adverse_events_of(index.docs[t.doc_id], index.docs[t.doc_id].units[t.unit], t, settings.max_events_listed)]
        return totals
    if not leads:
        return []
    arms = arm_rows(plan, leads[0], index)
    if arms:  # "what arms are there?": each arm's description, read with its name and type
        return arms
    measured = measure_rows(plan, leads[0], index, settings)
    if measured:  # "mean FSFI total at baseline vs after 4 wks?": the rows of the outcome the question names
        return measured
    scored = [leads[0]] + [ev for ev in scored if ev is not leads[0]]
    top = leads[0].prob
    chosen: list[Evidence] = []
    seen_text: set[str] = set()

    def take(ev: Evidence) -> bool:
        text = " ".join(index.docs[ev.doc_id].text[ev.start : ev.end].split())
        if text in seen_text or any(c.doc_id == ev.doc_id and c.unit == ev.unit for c in chosen):
            return False
        seen_text.add(text)
        chosen.append(ev)
        return True

    limit = limit or settings.max_citations
    take(scored[0])
    for ev in scored[1:]:
        if len(chosen) >= limit or ev.prob < settings.answer_threshold:
            break
        if not can_answer(plan, ev, index, settings):
            continue
        if ev.prob >= settings.support_ratio * top and (not plan.value_type or ev.features.get("answer_type")):
            take(ev)
        elif ev.features.get("lexical", 0) > 0:
            have = _covered(plan, index, chosen)
            new = _covered(plan, index, [ev]) - have
            if any(c.name in new and c.weight >= 1.0 for c in plan.concepts):
                take(ev)  # answers a part of the question nothing chosen so far does
    lead = chosen[0]
    if len(plan.focus) > 1:
        # "how many CRs and PRs?": a unit for each asked measure that nothing chosen speaks of yet
        ldoc = index.docs[lead.doc_id]
        lu = ldoc.units[lead.unit]
        lead_group = group_key(ldoc, lu)
        siblings = [Evidence(lead.doc_id, i, u.start, u.end, lead.section, u.kind, u.context, lead.prob, lead.features)
                    for i, u in enumerate(ldoc.units) if u.kind == "result"
                    and u.attrs.get("measure") == lu.attrs.get("measure") and u.attrs.get("group") == lu.attrs.get("group")
                    ] if lu.kind == "result" else []

        def same_group(ev: Evidence) -> bool:
            return ev.doc_id == lead.doc_id and group_key(ldoc, ldoc.units[ev.unit]) == lead_group

        for c in plan.focus:
            def speaks(ev: Evidence) -> bool:
                doc = index.docs[ev.doc_id]
                t = doc.text[ev.start : ev.end] + " " + unit_context(doc, doc.units[ev.unit])
                return concept_in(c, t, terms(t))

            if any(speaks(e) and same_group(e) for e in chosen):
                continue
            pool = [e for e in scored if e.doc_id == lead.doc_id and e.prob >= 0.5 * settings.answer_threshold and speaks(e)]
            # the same table's row for this measure in the lead's arm, retrieved or not ("Complete Response: 2")
            pool = [e for e in siblings if speaks(e)][:1] + pool
            pool.sort(key=lambda e: not same_group(e))  # the lead's own arm first
            extra = next((e for e in pool if can_answer(plan, e, index, settings)), None)
            if extra is not None and len(chosen) < limit + 2:
                take(extra)
    if lead.kind == "adverse_event" and TOTAL_ASKED.search(plan.asking) and any(
            c.name == "serious adverse events" and c.weight >= 1.0 for c in plan.concepts):
        # "total SAEs and cellulitis rate?": the group's total row as well as the event's
        ldoc = index.docs[lead.doc_id]
        lu = ldoc.units[lead.unit]
        for total in total_rows(ldoc, lead.doc_id, lu.attrs.get("serious"), lead.prob, lead.features):
            if ldoc.units[total.unit].attrs.get("group") == lu.attrs.get("group"):
                take(total)
    if plan.value_type == "dose" and len(plan.drugs) > 1:
        # "doses of carbo, bev and trastuzumab?": a quote for each drug asked about
        ldoc = index.docs[lead.doc_id]
        for drug in plan.drugs:
            names = drug_pattern(drug)
            if any(names.search(index.docs[c.doc_id].text[c.start : c.end]) for c in chosen):
                continue
            extra = next((e for e in scored if e.doc_id == lead.doc_id and e.prob >= 0.5 * settings.answer_threshold
                          and names.search(ldoc.text[e.start : e.end]) and e.features.get("answer_type")
                          and can_answer(plan, e, index, settings)), None)
            if extra is not None and len(chosen) < limit + len(plan.drugs):
                take(extra)
    if plan.value_type in NUMERIC_TYPES and len({e.doc_id for e in scored}) > 1:
        # another document in scope states the asked value too: quote it, so disagreeing sources show
        for doc_id in dict.fromkeys(e.doc_id for e in scored):
            if doc_id in {c.doc_id for c in chosen} or len(chosen) >= limit + 1:
                continue
            other = next((e for e in scored if e.doc_id == doc_id and e.prob >= settings.support_ratio * settings.answer_threshold
                          and e.features.get("answer_type") and can_answer(plan, e, index, settings)), None)
            if other is not None:
                take(other)
    if ARMS_CONTRAST.search(plan.question):
        # "was it the same dose in the X arm as in the control arm?": the best unit of each other group too
        doc = index.docs[lead.doc_id]
        groups = {group_key(doc, doc.units[c.unit]) for c in chosen if c.doc_id == lead.doc_id}
        for ev in scored:
            if len(chosen) >= limit + 2:
                break
            if ev.doc_id != lead.doc_id or ev.prob < 0.5 * settings.answer_threshold:
                continue
            key = group_key(doc, doc.units[ev.unit])
            if key and key not in groups and can_answer(plan, ev, index, settings) and take(ev):
                groups.add(key)
    lead_unit = index.docs[lead.doc_id].units[lead.unit]
    per_arm = ARMS_CONTRAST.search(plan.question) or TOTALS_Q.search(plan.question)
    if lead_unit.kind == "adverse_event" and not plan.focus and not _asks_particular_event(plan, index.docs[lead.doc_id]):
        if per_arm:
            totals = total_rows(index.docs[lead.doc_id], lead.doc_id, lead_unit.attrs.get("serious"), lead.prob, lead.features)
            if totals:
                return totals  # "what proportion had an SAE in the two groups?": each group's total row
        else:
            listed = adverse_events_of(index.docs[lead.doc_id], lead_unit, lead, settings.max_events_listed)
            if len(listed) > 1:
                return listed  # "what serious adverse events were seen on arm X?": the events that happened, most frequent first

    if lead_unit.kind == "result" and result_category(index.docs[lead.doc_id], lead_unit) and any(c.topic == "efficacy" for c in plan.focus):
        # "did anyone's cancer shrink or stop growing?": a response table is read whole (CR 0, PR 0, SD 3, PD …)
        doc = index.docs[lead.doc_id]
        for i, u in enumerate(doc.units):
            if (u.kind == "result" and u.attrs.get("measure") == lead_unit.attrs.get("measure")
                    and u.attrs.get("group") == lead_unit.attrs.get("group") and result_category(doc, u)):
                take(unit_evidence(lead.doc_id, i, u, lead.prob, lead.features))
    chosen.extend(other_groups_rows(index.docs[lead.doc_id], lead.doc_id, chosen, settings.max_table_rows,
                                    one_group=lead.features.get("group", 0) > 0 and not per_arm))
    return chosen


def unit_evidence(doc_id: str, i: int, u, prob: float = 1.0, features: dict | None = None) -> Evidence:
    """Evidence quoting unit ``i`` of a document whole, read with its context lines."""
    return Evidence(doc_id, i, u.start, u.end, " › ".join(u.section), u.kind, u.context, prob, features or {})


def row_key(doc, u) -> str | None:
    """What a result or adverse-event row reports, whatever its group: its measure and category, its event, or
    its table's total."""
    if u.kind == "adverse_event" and u.attrs.get("role") == "total":
        return f"total {u.attrs.get('serious', '')}"  # a group's total row
    if u.kind == "adverse_event":
        return u.attrs.get("measure") or event_term(doc, u)
    return u.attrs.get("measure") and f"{u.attrs['measure']} › {result_category(doc, u)}"


def other_groups_rows(doc, doc_id: str, chosen: list[Evidence], limit: int, one_group: bool) -> list[Evidence]:
    """For each quoted result or adverse-event row, the same row of its table for the groups not quoted yet
    ("Neutropenia 141/398" and "Neutropenia 95/364"): arms are read side by side. None when the question names
    one group."""
    if one_group:
        return []
    rows = [(c, doc.units[c.unit]) for c in chosen if c.doc_id == doc_id and doc.units[c.unit].kind in ("result", "adverse_event")]
    have = {(u.kind, row_key(doc, u), u.attrs.get("group")) for _, u in rows}
    out = []
    for c, ru in rows:
        key = row_key(doc, ru)
        if not key:
            continue
        for i, u in enumerate(doc.units):
            if len(out) >= limit:
                return out
            if u.kind != ru.kind or u.attrs.get("serious") != ru.attrs.get("serious") or row_key(doc, u) != key:
                continue
            if (u.kind, key, u.attrs.get("group")) in have:
                continue
            have.add((u.kind, key, u.attrs.get("group")))
            out.append(unit_evidence(doc_id, i, u, c.prob, c.features))
    return out


def asked_events(plan: QueryPlan, doc) -> list[QConcept]:
    """The concepts of the asking sentence (not drugs, not "adverse events" as such) that name an event the
    document's adverse-event tables list ("dehydration", "bowel perforation")."""
    ask = plan.asking
    ask_terms = terms(ask)
    events = event_terms(doc)
    return [c for c in plan.concepts
            if c.weight >= 1.0 and c.name not in GENERIC_FOCUS and c.name not in plan.drugs and concept_in(c, ask, ask_terms)
            and any(concept_in(c, t, tt) for t, tt in events)]


def with_named_events(plan: QueryPlan, scored: list[Evidence], index) -> QueryPlan:
    """The plan with the adverse events its question names that the documents' tables list among its focus
    concepts, where the vocabulary does not know them as events."""
    if "safety" not in plan.topics:
        return plan
    focus = {c.name for c in plan.focus}
    extra: list[QConcept] = []
    for doc_id in dict.fromkeys(ev.doc_id for ev in scored[:10]):
        extra += [c for c in asked_events(plan, index.docs[doc_id]) if c.name not in focus and c not in extra]
    return replace(plan, focus=plan.focus + extra) if extra else plan


CATEGORY_RE = re.compile(r"\s*(?:Unit of Measure:.*?\s)??([A-Za-z][^:\n]{0,80}?):\s*[-+<>≤≥]?\s*\d")


def result_category(doc, unit) -> str:
    """The category a result row gives its value for ("Partial Response" of "Partial Response: 146 64.0%"), '' for
    a row with one value."""
    text = doc.text[unit.start : unit.end]
    u = unit.attrs.get("unit")
    if u and text.lstrip().startswith("Unit of Measure:"):
        text = text.split(u, 1)[-1] if u in text else text
    m = CATEGORY_RE.match(text)
    return m.group(1).strip().lower() if m else ""


EVENT_COUNT = re.compile(r"[\s*]*\d+\s*/\s*\d+.*$", re.S)


def event_term(doc, unit) -> str:
    """An adverse-event row's event name ("Febrile neutropenia" of "Febrile neutropenia 27/364 (7.42%)")."""
    return unit.attrs.get("term") or EVENT_COUNT.sub("", doc.text[unit.start : unit.end]).strip().lower()


def event_terms(doc) -> list[tuple[str, set[str]]]:
    """The event names of a document's adverse-event tables (total rows left out), each with its terms."""
    cache = getattr(doc, "_event_terms", None)
    if cache is None:
        names = dict.fromkeys(event_term(doc, u) for u in doc.units if u.kind == "adverse_event" and u.attrs.get("role") != "total")
        cache = [(name, terms(name)) for name in names]
        object.__setattr__(doc, "_event_terms", cache)
    return cache


ARMS_CONTRAST = re.compile(
    r"\b(?:each|both|all|either|the two|other)(?: (?:treatment|study|dose|randomi[sz]ed))? (?:arms?|groups?|cohorts?)\b|\bsame\b|\bvs\.?(?=\s)|\bversus\b|\bcompared (?:with|to)\b|\bwith or without\b"
    r"|\b(?:arm|group|cohort)\b.{3,80}\b(?:arm|group|cohort)\b|\bthan (?:those|the|people|patients|participants|women|men|in|on|with)\b",
    re.I,
)


TOTALS_Q = re.compile(r"\b(?:total|overall|in all|altogether)\b", re.I)


def group_key(doc, unit) -> str:
    """The arm or group a unit belongs to (its group attribute, else the title line it is read with)."""
    if unit.attrs.get("group"):
        return unit.attrs["group"]
    return " ".join(doc.text[s:e] for s, e in unit.context).strip()


def _asks_particular_event(plan: QueryPlan, doc) -> bool:
    """Does the question name an event the document's adverse-event table lists ("bowel perforation")?"""
    return bool(asked_events(plan, doc))


AFFECTED_RE = re.compile(r"(\d+)\s*/\s*\d+")


def adverse_events_of(doc, lead_unit, lead: Evidence, limit: int) -> list[Evidence]:
    """The adverse events one group had (at least one participant affected), as listed in the same table as
    ``lead_unit`` (serious or other): the group's total row first, then the events, most frequent first."""
    group, serious = lead_unit.attrs.get("group"), lead_unit.attrs.get("serious")
    total, events = None, []
    for i, u in enumerate(doc.units):
        if u.kind != "adverse_event" or u.attrs.get("group") != group or u.attrs.get("serious") != serious:
            continue
        m = AFFECTED_RE.search(doc.text[u.start : u.end])
        ev = unit_evidence(lead.doc_id, i, u, lead.prob, lead.features)
        if u.attrs.get("role") == "total":
            total = total or ev
        elif m and int(m.group(1)) > 0:
            events.append((-int(m.group(1)), i, ev))
    events.sort(key=lambda t: (t[0], t[1]))
    return ([total] if total else []) + [ev for _, _, ev in events[:limit]]


WHICH_EVENTS = re.compile(r"\bwhat (?:were|are|was) (?:they|these|those|it)\b|\bwhich (?:ones|events|were they)\b|\bwhat (?:kind|kinds|sort|type|types)\b", re.I)


TOTAL_ASKED = re.compile(r"\b(?:total|overall|any|all)\b", re.I)
NOT_AN_OUTCOME = {"dose", "age", "contact", "phase", "date", "money", "threshold"}
SCHEDULE_CONCEPTS = {"schedule", "follow-up", "administration", "tumor assessment"}


COMPARATOR = re.compile(r"comparator|placebo|sham|control|no intervention", re.I)
ARMS_ASKED = re.compile(r"\b(?:what|which|list)\b[^?]{0,40}\b(?:arms?|groups?|cohorts?)\b|\b(?:arms?|groups?|cohorts?)\b\s*\?", re.I)


def arm_rows(plan: QueryPlan, lead: Evidence, index) -> list[Evidence]:
    """"What arms (groups) are there?" on a document whose arms are parsed as blocks (``layout.arm_units``): each
    arm's description line — or its first line — in document order. [] when not asked or no arm blocks."""
    control_asked = any(c.name == "control arm" and c.weight >= 1.0 for c in plan.concepts)
    if plan.value_type or not (control_asked or ARMS_ASKED.search(plan.asking)):
        return []  # (checked first: this runs for every fact question's lead)
    doc = index.docs[lead.doc_id]
    heads = [u for u in doc.units if u.attrs.get("role") == "group" and u.attrs.get("group")]
    if control_asked:
        lead_group = doc.units[lead.unit].attrs.get("group")
        controls = [u.attrs["group"] for u in heads if COMPARATOR.search(u.attrs.get("arm_type", ""))]
        if lead_group not in controls and len(controls) == 1:
            lead_group = controls[0]  # the trial's one comparator arm, whichever unit led
        if lead_group in controls:
            # "what would I get instead?": the comparator arm's block whole (its description and every drug)
            return [unit_evidence(lead.doc_id, i, u, lead.prob, lead.features) for i, u in enumerate(doc.units)
                    if u.attrs.get("group") == lead_group and u.attrs.get("role") != "group" and not is_label(doc, u)]
    if not ARMS_ASKED.search(plan.asking):
        return []
    groups = [u.attrs["group"] for u in heads]
    if len(groups) < 2:
        return []
    out = []
    for g in groups:
        rows = [(i, u) for i, u in enumerate(doc.units) if u.attrs.get("group") == g and u.attrs.get("role") != "group"]
        pick = next(((i, u) for i, u in rows if u.label.lower() == "description"), rows[0] if rows else None)
        if pick:
            out.append(unit_evidence(lead.doc_id, pick[0], pick[1], lead.prob, lead.features))
    return out


def measure_rows(plan: QueryPlan, lead: Evidence, index, settings) -> list[Evidence]:
    """The value rows of the result measure a question names, when the best unit is not a result row: the measure
    the best unit describes (its title, time frame or description line), or a measure whose title (with its unit and
    time frame) states a concept of the question that the best unit does not ("# cancers detected at each dose?"
    answered by the "cancers detected" rows, not by the arm description)."""
    if not plan.doc_ids or len(plan.doc_ids) > 2 or lead.kind in ("result", "adverse_event") or plan.value_type in NOT_AN_OUTCOME:
        return []
    if JOIN_RE.search(plan.asking) or "eligibility" in plan.topics or ASKS_METHOD.search(plan.question):
        return []
    if any(c.name in SCHEDULE_CONCEPTS for c in plan.concepts):
        return []  # "how often were they imaged?": a schedule, told by a time frame or an arm, not by a result row

    def rows_of(doc_id: str, measure: str) -> list[Evidence]:
        doc = index.docs[doc_id]
        idx = [i for i, u in enumerate(doc.units) if u.kind == "result" and u.attrs.get("measure") == measure]
        return [unit_evidence(doc_id, i, doc.units[i], lead.prob, lead.features) for i in idx[: settings.max_table_rows]]

    ldoc = index.docs[lead.doc_id]
    described = ldoc.units[lead.unit].attrs.get("measure")
    if described:  # the best unit is a line of a result measure: its value rows answer
        return rows_of(lead.doc_id, described)
    lead_text = ldoc.text[lead.start : lead.end]
    lead_terms = terms(lead_text)
    best, best_cov = None, settings.min_measure_coverage
    for doc_id in plan.doc_ids:
        doc = index.docs[doc_id]
        seen: set[str] = set()
        for u in doc.units:
            measure = u.attrs.get("measure") if u.kind == "result" else None
            if not measure or measure in seen:
                continue
            seen.add(measure)
            title = " ".join([measure, u.attrs.get("unit", ""), u.attrs.get("time_frame", "")])
            tt = terms(title)
            if not any(c.weight >= 1.0 and concept_in(c, title, tt) and not concept_in(c, lead_text, lead_terms) for c in plan.concepts):
                continue  # the measure names nothing the best unit does not
            cov = coverage(plan, title)
            if cov > best_cov:
                best, best_cov = (doc_id, measure), cov
    return rows_of(*best) if best else []


def event_totals(plan: QueryPlan, index) -> list[Evidence]:
    """The adverse-event totals of the one or two trials in scope, when a count or share of participants with
    (serious) adverse events is asked and no particular event ("how many people had a serious side effect?")."""
    if not plan.doc_ids or len(plan.doc_ids) > 2 or plan.focus or not plan.value_type_explicit or plan.value_type not in ("count", "percent"):
        return []
    if not any(c.name == "serious adverse events" and c.weight >= 0.5 for c in plan.concepts):
        return []  # "any AE" is a result row in most reports; their tables list serious events
    out = []
    for doc_id in plan.doc_ids:
        doc = index.docs[doc_id]
        if _asks_particular_event(plan, doc):
            return []
        tables = {u.attrs.get("serious") for u in doc.units if u.kind == "adverse_event" and u.attrs.get("role") == "total"}
        out += total_rows(doc, doc_id, "1" if "1" in tables else next(iter(tables), None))  # the serious table where there are two
    return out


def total_rows(doc, doc_id: str, serious: str | None, prob: float = 1.0, features: dict | None = None) -> list[Evidence]:
    """The total row of each group in a document's adverse-event table (serious or other)."""
    return [unit_evidence(doc_id, i, u, prob, features) for i, u in enumerate(doc.units)
            if u.kind == "adverse_event" and u.attrs.get("role") == "total" and u.attrs.get("serious") == serious]


AGE_RANGE = re.compile(r"\b(\d{1,3})\s*(?:to|-|–|and)\s*(\d{1,3})\s*(?:years|yrs)", re.I)
AGE_MIN = [
    re.compile(r"(?:≥|>=|at least|aged?\s*≥|older than|over)\s*(\d{1,3})\s*(?:years|yrs)", re.I),
    re.compile(r"(\d{1,3})\s*(?:years?|yrs)\s*(?:of age\s*)?(?:and|or)\s*(?:over|older|above)", re.I),
    re.compile(r"(\d{1,3})\+\s*years", re.I),
    re.compile(r"\bages?\s+(\d{1,3})\s*(?:and|or)\s*(?:over|older|above)\b", re.I),
    re.compile(r"(?:minimum|lower)[^.\n]{0,25}?(\d{1,3})\s*years", re.I | re.S),
    re.compile(r"(?:greater than or equal to|> or equal to)\s*(\d{1,3})", re.I),
]
AGE_MAX = [
    re.compile(r"(?:maximum|upper)[^.\n]{0,25}?(\d{1,3})\s*years", re.I | re.S),
    re.compile(r"(?:≤|<=|up to|no older than|younger than|under)\s*(\d{1,3})\s*(?:years|yrs)", re.I),
    re.compile(r"(?:less than or equal to|< or equal to)\s*(\d{1,3})\s*(?:years|yrs)", re.I),
]
AGE_CONTEXT = re.compile(r"\bage[sd]?\b|\byears? of age\b|\byears? old\b|\beligible ages?\b", re.I)
AGE_NOT = re.compile(r"\b(median|mean|average)\s+age\b|\brange,", re.I)


def age_limits_of(text: str, label: str = "") -> tuple[int | None, int | None]:
    """(minimum, maximum) age a unit states; (None, None) unless it speaks of age (not a follow-up time)."""
    if not AGE_CONTEXT.search(label + " " + text) or AGE_NOT.search(text):
        return None, None
    lo = hi = None
    m = AGE_RANGE.search(text)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
    for p in AGE_MIN:
        if lo is None and (m := p.search(label + " " + text)):
            lo = int(m.group(1))
    for p in AGE_MAX:
        if hi is None and (m := p.search(label + " " + text)):
            hi = int(m.group(1))
    return lo, hi


def select_age(plan: QueryPlan, scored: list[Evidence], index) -> tuple[dict[str, list[Evidence]], dict[str, tuple[int | None, int | None]]]:
    """Units stating age limits, per document (from the retrieved candidates of eligibility sections)."""
    found: dict[str, list[Evidence]] = {}
    limits: dict[str, tuple[int | None, int | None]] = {}
    for ev in scored:
        doc = index.docs[ev.doc_id]
        unit = doc.units[ev.unit]
        if section_type(unit.section) not in ("eligibility", "other", "design") and unit.kind != "field":
            continue
        text = doc.text[unit.start : unit.end]
        if len(text.split()) > 60:
            continue
        lo, hi = age_limits_of(text, unit.label)
        if lo is None and hi is None:
            continue
        bucket = found.setdefault(ev.doc_id, [])
        if any(b.unit == ev.unit for b in bucket):
            continue
        bucket.append(Evidence(ev.doc_id, ev.unit, unit.start, unit.end, ev.section, unit.kind, unit.context, ev.prob, ev.features))
        old_lo, old_hi = limits.get(ev.doc_id, (None, None))
        limits[ev.doc_id] = (
            lo if lo is not None and (old_lo is None or lo > old_lo) else old_lo,
            hi if hi is not None and (old_hi is None or hi < old_hi) else old_hi,
        )
    return found, limits


SEX_WORD = r"(?:male|female|males|females|men|women|man|woman|boys|girls)"
# a unit stating which sexes a trial admits: "Sex: All", "Gender All", "Male or female", "Women only"
SEX_UNIT = re.compile(rf"^\W*(?:(?:eligible )?(?:sex|gender|sexes)(?: eligible(?: for study)?)?\s*:?\s*(?:all|both|{SEX_WORD})\b"
                      rf"|{SEX_WORD}(?:\s*(?:,|or|and|/)\s*{SEX_WORD})?(?:\s+(?:only|participants|patients|subjects))?\W*$)"
                      rf"|\b{SEX_WORD} (?:or|and) {SEX_WORD} (?:participants|patients|subjects)\b|\bregardless of (?:sex|gender)\b", re.I)
SEX_ASKED = re.compile(rf"\b(?:could|can|may|do|are|is|would)\b[^?]{{0,40}}\b{SEX_WORD}\b|\b{SEX_WORD}\b[^?]{{0,30}}\b(?:allowed|eligible|accepted|"
                       r"included|welcome)\b|\b(?:open to|only for|just for)\s+(?:\w+\s+)?" + SEX_WORD, re.I)


def select_sex(plan: QueryPlan, doc_ids: list[str], index) -> list[Evidence]:
    """"Could men take part?": the units of each document in scope that say which sexes it admits ("Sex: All",
    "Male or female"), read in the document (a short line is rarely retrieved). [] when not asked or not stated."""
    if not any(c.name == "sex" and c.weight >= 1.0 for c in plan.concepts) or not SEX_ASKED.search(plan.asking):
        return []
    out = []
    for doc_id in doc_ids:
        doc = index.docs[doc_id]
        for i, u in enumerate(doc.units):
            text = doc.text[u.start : u.end]
            if len(text.split()) <= 12 and SEX_UNIT.search(text) and (u.kind == "field" or section_type(u.section) in ("eligibility", "other", "design")):
                out.append(unit_evidence(doc_id, i, u))
    return out


def select_criteria(plan: QueryPlan, doc_ids: list[str], index) -> tuple[list[Evidence], list[str]]:
    """For list questions: the criteria of the asked kind (and cohort), and the cohorts not shown."""
    items: list[Evidence] = []
    cohorts: dict[str, list[Evidence]] = {}
    for doc_id in doc_ids:
        doc = index.docs[doc_id]
        for i, u in enumerate(doc.units):
            if u.kind != "criterion":
                continue
            ctype = u.attrs.get("criterion_type", "inclusion")
            if plan.list_kind and ctype != plan.list_kind:
                continue
            ev = Evidence(doc_id, i, u.start, u.end, " › ".join(u.section), u.kind, u.context, 1.0)
            cohort = u.attrs.get("cohort")
            if cohort:
                cohorts.setdefault(cohort, []).append(ev)
            else:
                items.append(ev)
    asked = [c for c in plan.concepts if c.weight >= 0.5 and c.name not in ("eligibility", "inclusion", "exclusion")]
    matched = [name for name in cohorts if any(concept_in(c, name, terms(name)) for c in asked)]
    others = [name for name in cohorts if name not in matched]
    for name in matched:
        items.extend(cohorts[name])
    if not items and cohorts and not matched:
        others = list(cohorts)
    items.sort(key=lambda e: (e.doc_id, e.start))
    return items, others


CONTACT_LINE = re.compile(r"@|\b(?:phone|e-?mail|tel)\b|\+?\d[\d ()#.-]{7,}\d", re.I)
NAME_LINE = re.compile(r"^[A-Z][A-Za-z.'-]+(?:[ ,]+[A-Z][A-Za-z.'-]+){1,5}(?:,? (?:MD|PhD|Ph\.D\.|M\.D\.|RN|MSc)[A-Za-z.,]*)?$")


def select_contact(doc_ids: list[str], scored: list[Evidence], index) -> list[Evidence]:
    """The trial's named contact with phone and email, as one verbatim span per contact block."""
    out: list[Evidence] = []
    for doc_id in doc_ids:
        doc = index.docs[doc_id]
        if doc.identity.kind == "news report":
            continue  # a news site's own contact is not the trial's
        units = doc.units
        hits = [i for i, u in enumerate(units) if u.kind == "contact" or (CONTACT_LINE.search(doc.text[u.start : u.end]) and section_type(u.section) == "contacts")]
        if not hits:
            # a contacts section that names a person but gives no phone or email: the name is the contact
            named = [i for i, u in enumerate(units) if u.kind != "heading" and section_type(u.section) == "contacts"
                     and NAME_LINE.match(doc.text[u.start : u.end].strip())]
            if named:
                u = units[named[0]]
                out.append(Evidence(doc_id, named[0], u.start, u.end, " › ".join(u.section), "contact", (), 1.0))
            continue
        central = [i for i in hits if re.search(r"central|contacts?\b", " ".join(units[i].section) + " " + units[i].label, re.I)]
        i = (central or hits)[0]
        start, end = units[i].start, units[i].end
        j = i - 1  # name (and role) lines just before
        while j >= 0 and i - j <= 3:
            t = doc.text[units[j].start : units[j].end]
            if units[j].kind == "heading" or len(t.split()) > 10 or doc.text[units[j].end : start].count("\n") > 3:
                break
            start = units[j].start
            if NAME_LINE.match(t.strip().split("\n")[-1]):
                break
            j -= 1
        k = i + 1  # phone / email lines just after
        while k < len(units) and k - i <= 3:
            t = doc.text[units[k].start : units[k].end]
            if not CONTACT_LINE.search(t) or doc.text[end : units[k].start].count("\n") > 3:
                break
            end = units[k].end
            k += 1
        out.append(Evidence(doc_id, i, start, end, " › ".join(units[i].section), "contact", (), 1.0))
    return out
