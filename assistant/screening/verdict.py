"""Verdicts per criterion and per trial.

Per criterion: each typed check says whether the criterion's *statement* holds for the patient (True / False /
None = not enough information). Inclusion: True -> meets, False -> fails, None -> unknown. Exclusion: True ->
fails, False -> meets, None -> unknown, except *silence* on something a clinician would expect a reasonably
complete note to mention if present.

Silence rule for exclusions (documented choice):
  * assumed absent (-> meets): diseases and history (HIV, hepatitis, other cancers, transplant, heart disease,
    allergy to the study drug, named conditions), medications and prior treatments in a note that lists
    treatment or in a patient with no cancer, participation in another trial, pregnancy in men, children under
    10 and women of 55 or over (or postmenopausal).
  * not assumed (-> unknown): laboratory values, scores and test results (BMI, weight, HbA1c, LVEF ...),
    pregnancy / contraception in women who could be pregnant, brain metastases in a patient with metastatic
    cancer, prior anticancer therapy in a cancer patient whose treatment history is not given, and anything
    partly matched (the condition is there but its qualifier - "uncontrolled", "severe", a class / grade, a dose,
    a time window - is not stated), consent and compliance when the note does not speak to them, a measured size,
    a drug / vaccine exclusion windowed before the study's start in a note that lists no medications, and a
    criterion whose text is cut short.
An inclusion criterion is NEVER met on silence.

Per trial (`screen_criteria`): registry fields, study descriptions and formulas listed among the criteria are
left out and cohort headings merged into a criterion re-scope the criteria after them (structure.py); the
patient is screened against the cohort(s) for their tumour type (cohort label, tumour-type abbreviation or the
cohort's first inclusion criterion); a cohort for another tumour type fails on its first inclusion criterion.
"not eligible" if any criterion fails; "eligible" when nothing fails, every key
inclusion criterion is met and no key exclusion is unknown (laboratory values, pregnancy tests and consent
are confirmed at the screening visit and do not block "eligible", but are listed as follow-ups); otherwise
"uncertain", with follow-up questions for the unknowns that matter most.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from . import labs as L
from .criteria import Check, ParsedCriterion, parse_criterion
from .lexicon import get_lexicon
from .match import criterion_groups, evidence_sentence, find_mentions, is_measure
from .patient import _CURRENT_RE, Fact, PatientFacts, extract_patient, sentence_days_ago
from .structure import cohort_concepts, header_timing, is_criterion, lettered_items, prohibited_items, repair_headings
from .truth import Truth, _T
from . import onco_checks as OC
from .text import NUM, TIME_UNIT, clean, to_days, tokenize


# ------------------------------------------------------------------ public data types

@dataclass
class CriterionInput:
    text: str
    type: str  # "inclusion" | "exclusion"
    cohort: str | None = None
    ref: object = None
    context: str = ""  # the line that opens the sub-list the criterion is an item of ("… including the following:")
    prohibited_item: bool = False  # an item of a prohibiting sub-list, read as an exclusion (structure.prohibited_items)


@dataclass
class CriterionVerdict:
    status: str  # "meets" | "fails" | "unknown"
    reason: str
    patient_evidence: list[str] = field(default_factory=list)
    kind: str = "freetext"
    importance: str = "key"
    effective_type: str = "inclusion"
    question: str | None = None
    question_patient: str | None = None

    def to_json(self) -> dict:
        return {"status": self.status, "reason": self.reason, "patient_evidence": list(self.patient_evidence),
                "kind": self.kind, "importance": self.importance, "effective_type": self.effective_type}


@dataclass
class TrialScreen:
    verdict: str  # "eligible" | "not eligible" | "uncertain"
    cohort: str | None
    criteria: list[tuple[CriterionInput, CriterionVerdict]]
    failing: list[tuple[CriterionInput, CriterionVerdict]]
    follow_up: list[str]
    summary: str = ""

    def to_json(self) -> dict:
        def one(ci: CriterionInput, v: CriterionVerdict) -> dict:
            return {"text": ci.text, "type": ci.type, "cohort": ci.cohort, **v.to_json()}
        return {"verdict": self.verdict, "cohort": self.cohort, "summary": self.summary,
                "criteria": [one(c, v) for c, v in self.criteria],
                "failing": [one(c, v) for c, v in self.failing], "follow_up": list(self.follow_up)}




# ------------------------------------------------------------------ typed checks

def _age(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    lo, hi = c.params["lo"], c.params["hi"]
    if pf.age is None:
        return _T(None, "age not stated", silent=True)
    a_lo, a_hi = pf.age.value
    desc = f"age {a_lo:g}" if a_lo == a_hi else f"age {a_lo:g}–{a_hi:g}"
    ok_lo = lo is None or a_lo >= lo
    ok_hi = hi is None or a_hi <= hi
    bad = (lo is not None and a_hi < lo) or (hi is not None and a_lo > hi)
    need = (f"≥ {lo:g}" if hi is None else f"≤ {hi:g}" if lo is None else f"{lo:g}–{int(hi)}")
    if ok_lo and ok_hi:
        return _T(True, f"{desc} is within {need}", [pf.age])
    if bad:
        return _T(False, f"{desc} is outside {need}", [pf.age])
    return _T(None, f"{desc} may or may not be within {need}", [pf.age])


def _sex(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    want = c.params["sex"]
    if want == "any":
        return _T(True, "open to both sexes", [pf.sex])
    if pf.sex is None:
        return _T(None, "sex not stated", silent=True)
    ok = pf.sex.value == want
    return _T(ok, f"patient is {pf.sex.value}" + ("" if ok else f", criterion requires {want}"), [pf.sex])


def _consent(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    negative = crit.type == "exclusion"
    if pf.consent is not None:
        val = pf.consent.value if not negative else not pf.consent.value
        return _T(val, "patient " + ("agrees to consent and to follow the protocol" if pf.consent.value else "does not consent"), [pf.consent])
    if negative:
        # whether the patient can and will consent is settled at the enrolment visit, not in a clinical note: a note
        # silent on it leaves a refusal / inability exclusion open (it does not block "eligible": confirmed at screening)
        return _T(None, "consent not discussed in the note (confirmed at enrolment)", silent=True)
    return _T(None, "consent / willingness to take part not stated (confirmed at enrolment)", silent=True)


def _compliance(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    if pf.compliance_issue is not None:
        return _T(True, "a history of poor compliance is described", [pf.compliance_issue])
    if pf.consent is not None and pf.consent.value:
        return _T(False, "patient is expected to comply", [pf.consent])
    # adherence is the investigator's judgement at enrolment; a note silent on it does not settle it
    return _T(None, "compliance not discussed in the note (judged at enrolment)", silent=True)


def _participation(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    m = re.search(r"\b(?:another|other|current|ongoing) (?:clinical )?(?:trial|study)\b|\binvestigational (?:drug|agent|product)\b|\bstudy drug\b", pf.text, re.I)
    if m:
        a = pf.doc.assertion_chars(m.start(), m.end())
        f = Fact("mention", "trial", m.start(), m.end(), m.group(0), a.negated)
        return _T(not a.negated, "participation in another trial " + ("denied" if a.negated else "mentioned"), [f])
    if crit.type == "inclusion":
        return _T(None, "enrolment in the named study not stated", silent=True)
    return _T(None, "no other trial or investigational drug mentioned", silent=True, assumable=True)


def _childbearing_status(pf: PatientFacts) -> tuple[bool | None, str, list[Fact]]:
    """Could the patient become pregnant? (True / False / None)"""
    if pf.sex is not None and pf.sex.value == "male":
        return False, "patient is male", [pf.sex]
    meno = [f for f in pf.pregnancy if f.value == "menopause" and f.affirmed]
    if meno:
        return False, "postmenopausal", meno[:1]
    if pf.age is not None:
        lo, hi = pf.age.value
        if hi < 10:
            return False, f"a child of {hi:g}", [pf.age]
        if lo >= 55 and (pf.sex is None or pf.sex.value == "female"):
            if pf.sex is None:  # sex not given: say only what the age implies
                return False, f"age {lo:g}: past childbearing age for a woman", [pf.age]
            return False, f"a woman of {lo:g}", [pf.age, pf.sex]
    if re.search(r"\bhysterectomy\b|\bbilateral oophorectomy\b|\btubal ligation\b|\bsterili[sz]ed\b", pf.text, re.I):
        m = re.search(r"\bhysterectomy\b|\bbilateral oophorectomy\b|\btubal ligation\b|\bsterili[sz]ed\b", pf.text, re.I)
        return False, "surgically sterile", [Fact("mention", "sterile", m.start(), m.end(), m.group(0))]
    if pf.sex is not None and pf.sex.value == "female":
        return True, "a woman of childbearing age", [pf.sex] + ([pf.age] if pf.age else [])
    return None, "sex / age not stated", []


# gestational age stated in the note: "at 32+6 weeks of gestational age", "39 weeks pregnant", "GA 38 weeks"
_GEST_AGE = re.compile(r"\b(\d{1,2})\s*(?:\+\s*\d\s*)?-?\s*(?:weeks?|wks?)(?:\s+(?:and\s+)?\d\s+days?)?\s+(?:of\s+)?(?:gestation\w*|pregnan\w*|GA)\b|"
                       r"\b(?:GA|gestational age)(?:\s+of|:)?\s*(\d{1,2})\b", re.I)


def _pregnancy(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    p = c.params
    cb, cb_reason, cb_ev = _childbearing_status(pf)
    preg = [f for f in pf.pregnancy if f.value == "pregnancy" and f.definite]
    lact = [f for f in pf.pregnancy if f.value == "lactation" and f.definite]
    post = [f for f in pf.pregnancy if f.value == "postpartum" and not f.negated and f.definite]
    neg_stmt = p.get("negated_statement")
    if p.get("term") or (crit.type == "inclusion" and p.get("pregnancy") and not neg_stmt and not p.get("childbearing")):
        # inclusion requires a (term) pregnancy
        if cb is False:
            return _T(False, f"cannot be pregnant ({cb_reason})", cb_ev)
        aff = [f for f in preg if not f.negated]
        ga = _GEST_AGE.search(pf.text) if p.get("term") else None
        if ga and not post:
            weeks = int(ga.group(1) or ga.group(2))
            ev = [Fact("mention", "gestational age", ga.start(), ga.end(), ga.group(0))]
            if weeks < 37:
                return _T(False, f"{weeks} weeks of gestation: preterm, not a term pregnancy", ev)
            if weeks <= 42:
                return _T(True, f"{weeks} weeks of gestation: a term pregnancy", ev)
        if aff:
            return _T(True, "patient is pregnant", aff[:1])
        if post:
            return _T(False, "patient has already given birth", post[:1])
        if [f for f in preg if f.negated]:
            return _T(False, "patient is not pregnant", [f for f in preg if f.negated][:1])
        return _T(None, "pregnancy not stated", silent=True)
    if crit.type == "inclusion" and (p.get("contraception") or p.get("childbearing") or p.get("test") or neg_stmt):
        # a requirement on women who could become pregnant (contraception, negative test, not pregnant)
        if cb is False:
            return _T(True, f"not applicable ({cb_reason})", cb_ev)
        aff = [f for f in preg if not f.negated]
        if aff:
            return _T(False, "patient is pregnant", aff[:1])
        if neg_stmt and [f for f in preg if f.negated]:
            return _T(True, "patient is not pregnant", [f for f in preg if f.negated][:1])
        return _T(None, "childbearing potential: pregnancy test / contraception to be confirmed at screening", cb_ev, silent=True)
    if cb is False:
        val = False
        reason = f"pregnancy / breastfeeding not applicable ({cb_reason})"
        return _T((not val) if neg_stmt else val, reason, cb_ev)
    parts: list[bool | None] = []
    ev: list[Fact] = []
    reasons = []
    if p.get("pregnancy") or p.get("test"):
        aff = [f for f in preg if not f.negated]
        negs = [f for f in preg if f.negated]
        if aff:
            parts.append(True); ev += aff[:1]; reasons.append("pregnant")
        elif negs:
            parts.append(False); ev += negs[:1]; reasons.append("not pregnant")
        elif post:
            parts.append(False); ev += post[:1]; reasons.append("recently gave birth, not pregnant")
        else:
            parts.append(None); reasons.append("pregnancy status not stated")
    if p.get("breastfeeding"):
        aff = [f for f in lact if not f.negated]
        if aff:
            parts.append(True); ev += aff[:1]; reasons.append("breastfeeding")
        elif [f for f in lact if f.negated]:
            parts.append(False); ev += [f for f in lact if f.negated][:1]
        elif post:
            parts.append(None); ev += post[:1]; reasons.append("recently gave birth: breastfeeding not stated")
        else:
            parts.append(False if crit.type == "exclusion" else None); reasons.append("breastfeeding not mentioned")
    if p.get("childbearing") and not p.get("pregnancy"):
        if p.get("contraception"):
            parts.append(None); reasons.append("childbearing potential; contraception not stated")
        else:
            parts.append(cb); reasons.append(cb_reason)
    if not parts:
        parts.append(None)
    if any(x is True for x in parts):
        val: bool | None = True
    elif all(x is False for x in parts):
        val = False
    else:
        val = None
    if neg_stmt and val is not None:
        val = not val
    return _T(val, "; ".join(reasons) or cb_reason, ev + cb_ev, silent=(val is None and not ev))


# the criterion is about taking hormonal contraceptives (a drug the trial excludes), not about using contraception
_HORMONAL_USE = re.compile(r"\b(?:use|using|taking|receiv\w*|treatment with|on)\b[^.;]{0,60}\b(?:oral|hormonal)\s+contracept|"
                           r"\b(?:oral|hormonal) contraceptives?\b[^.;]{0,30}\b(?:not (?:be )?(?:allowed|permitted)|prohibited)", re.I)
_TAKES_PILL = re.compile(r"\b(?:birth[- ]control|contraceptive) (?:pills?|tablets?)\b|\b(?:on|take|takes|taking|use|using) the pill\b|"
                         r"\boral contracepti\w+|\bhormonal (?:contracepti\w+|birth[- ]control|IUD|implant)", re.I)
_NOT_NOW = re.compile(r"\b(?:no|not|never|stopped|quit|came off|off)\b[^.;]{0,25}$", re.I)


def _contraception(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    if _HORMONAL_USE.search(crit.text):
        for m in _TAKES_PILL.finditer(pf.text):
            if not _NOT_NOW.search(pf.text[max(0, m.start() - 30) : m.start()]):
                return _T(True, f"takes hormonal contraception (“{m.group(0)}”)", [Fact("mention", "hormonal contraception", m.start(), m.end(), m.group(0))])
    cb, reason, ev = _childbearing_status(pf)
    if cb is False and (pf.sex is None or pf.sex.value == "female" or (pf.age and pf.age.value[1] < 10)):
        return _T(crit.type == "inclusion", f"contraception not relevant ({reason})", ev)
    if crit.type == "exclusion":
        return _T(None, "no unwillingness to use contraception described", silent=True, assumable=True)
    return _T(None, "contraception use not stated (confirmed at screening)", silent=True)


_KPS_OF_ECOG = {0: (90, 100), 1: (70, 80), 2: (50, 60), 3: (30, 40), 4: (10, 20)}


def _ps(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    p = c.params
    if pf.ps is None:
        return _T(None, "performance status not stated", silent=True)
    lo, hi = pf.ps.value
    pdesc = f"ECOG {lo}" if lo == hi else f"ECOG {lo}–{hi}"
    if pf.ps.detail.get("lay"):
        pdesc += f" (from “{pf.ps.text}”)"
    if p["scale"] == "ECOG":
        allowed = set(p.get("allowed") or [])
        vals = set(range(lo, hi + 1))
        want = f"ECOG {min(allowed)}–{max(allowed)}" if len(allowed) > 1 else f"ECOG {next(iter(allowed))}"
        if vals <= allowed:
            return _T(True, f"{pdesc} within {want}", [pf.ps])
        if not (vals & allowed):
            return _T(False, f"{pdesc} outside {want}", [pf.ps])
        return _T(None, f"{pdesc} only partly within {want}", [pf.ps])
    # Karnofsky
    if pf.ps.detail.get("kps") is not None:
        k_lo = k_hi = pf.ps.detail["kps"]
    else:
        k_lo, k_hi = _KPS_OF_ECOG[lo][0], _KPS_OF_ECOG[hi][1]
    if p.get("kps_range"):
        a, b = p["kps_range"]
        ok = a <= k_lo and k_hi <= b
        bad = k_hi < a or k_lo > b
    else:
        op, v = p.get("op", ">="), p.get("value", 70)
        f = {">=": lambda x: x >= v, ">": lambda x: x > v, "<=": lambda x: x <= v, "<": lambda x: x < v}.get(op, lambda x: x >= v)
        ok = f(k_lo) and f(k_hi)
        bad = not f(k_lo) and not f(k_hi)
    if ok:
        return _T(True, f"{pdesc} corresponds to Karnofsky {k_lo:g}–{k_hi:g}", [pf.ps])
    if bad:
        return _T(False, f"{pdesc} corresponds to Karnofsky {k_lo:g}–{k_hi:g}, outside the limit", [pf.ps])
    return _T(None, f"{pdesc} is borderline for the Karnofsky limit", [pf.ps])


def _cmp(op: str, x: float, v: float) -> bool:
    return {">=": x >= v, ">": x > v, "<=": x <= v, "<": x < v, "=": abs(x - v) < 1e-9}.get(op, x >= v)


_PAIN_SCORE = re.compile(r"\bpain\b[^.;\d]{0,30}?(\d{1,2}(?:\.\d)?)\s*(?:/\s*10|out of 10)|(\d{1,2}(?:\.\d)?)\s*(?:/\s*10|out of 10)\s+pain", re.I)
# words for pain intensity and the 0-10 numeric-rating range each usually stands for
_PAIN_WORDS = [(r"excruciating|unbearable|agoni[sz]ing|intense|intolerable|severe|worst", (7.0, 10.0)),
               (r"moderate", (4.0, 6.0)), (r"mild|slight", (1.0, 3.0))]


def _pain(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    """Pain intensity against a 0-10 limit: a score the patient gives, else the words describing the pain."""
    op, v = c.params["op"], c.params["value"]
    want = f"pain {op} {v:g}/10"
    m = _PAIN_SCORE.search(pf.text)
    if m:
        x = float(m.group(1) or m.group(2))
        ok = _cmp(op, x, v)
        return _T(ok, f"pain {x:g}/10 {'meets' if ok else 'does not meet'} {want}", [Fact("pain", x, m.start(), m.end(), m.group(0))])
    for words, (lo, hi) in _PAIN_WORDS:
        w = re.search(rf"\b(?:{words})\w*\s+(?:\w+\s+)?pain\b|\bpain\b[^.;]{{0,20}}\b(?:{words})", pf.text, re.I)
        if w and not pf.doc.assertion_chars(w.start(), w.end()).negated:
            f = Fact("pain", None, w.start(), w.end(), w.group(0))
            if _cmp(op, lo, v) == _cmp(op, hi, v):
                ok = _cmp(op, lo, v)
                return _T(ok, f"“{w.group(0)}” {'meets' if ok else 'does not meet'} {want}", [f])
            return _T(None, f"“{w.group(0)}”: no score to compare with {want}", [f])
    return _T(None, "pain intensity not reported", silent=True)


def _lab_one(pf: PatientFacts, th: dict) -> Truth:
    aid = th["analyte"]
    a = L.ANALYTES[aid]
    op, v = th["op"], th["value"]
    label = a.label
    if th.get("uln") is not None:
        want = f"{label} {op} {v:g}× ULN"
    else:
        want = f"{label} {op} {v:g}{(' ' + th['unit']) if th['unit'] else ''}"
    facts = [f for f in pf.lab(aid) if not f.family]
    numeric = [f for f in facts if f.value is not None]
    if numeric:
        f = numeric[-1]
        if th.get("uln") is not None:
            if f.detail.get("uln_ratio") is not None:
                x = f.detail["uln_ratio"]
                note = ""
            else:
                uln = L.uln_of(aid)
                if uln is None:
                    return _T(None, f"{label} {f.text}: cannot compare with × ULN", [f])
                x = f.value / uln
                note = f" (assuming ULN {uln:g} {a.unit})"
            ok = _cmp(op, x, v)
            return _T(ok, f"{label} {x:.2g}× ULN{note} vs required {want}" if ok else f"{label} {x:.2g}× ULN{note} fails {want}", [f])
        thr = L.to_canonical(aid, v, th.get("unit") or "")
        if f.detail.get("uln_ratio") is not None and L.uln_of(aid):
            x = f.detail["uln_ratio"] * L.uln_of(aid)
        else:
            x = f.value
        if aid in ("anc", "wbc", "plt") and not th.get("unit") and v > 500:
            thr = v / 1000.0
        ok = _cmp(op, x, thr)
        return _T(ok, f"{label} {f.text.split(' ', 1)[-1] if len(f.text) < 40 else x} {'meets' if ok else 'does not meet'} {want}", [f])
    # qualitative
    qual = [f for f in facts if f.detail.get("qual")]
    panel = [p for p in pf.lab_panels if aid in p.value]
    rng = None
    ev = None
    if qual:
        f = qual[-1]
        q = f.detail["qual"]
        n = a.normal
        if q == "obese":
            rng = (30.0, 80.0)
        elif n:
            rng = {"normal": n, "high": (n[1], n[1] * 10), "low": (0.0, n[0]), "not_high": (0.0, n[1]),
                   "not_low": (n[0], n[1] * 10)}.get(q)
        ev = f
    elif panel:
        rng = a.normal
        ev = panel[-1]
    if rng and ev:
        if th.get("uln") is not None:
            uln = L.uln_of(aid) or (a.normal[1] if a.normal else None)
            if uln is None:
                return _T(None, f"{label} not given as a number", [ev])
            lo_x, hi_x = rng[0] / uln, rng[1] / uln
        else:
            thr = L.to_canonical(aid, v, th.get("unit") or "")
            if aid in ("anc", "wbc", "plt") and not th.get("unit") and v > 500:
                thr = v / 1000.0
            v_cmp = thr
            lo_x, hi_x = rng
            v = v_cmp
        a_ok, b_ok = _cmp(op, lo_x, v), _cmp(op, hi_x, v)
        word = ev.detail.get("qual", "normal") if ev.kind == "lab" else "normal"
        if a_ok and b_ok:
            return _T(True, f"{label} reported {word.replace('_', ' ')}, which satisfies {want}", [ev])
        if not a_ok and not b_ok:
            return _T(False, f"{label} reported {word.replace('_', ' ')}, which cannot satisfy {want}", [ev])
        return _T(None, f"{label} reported {word.replace('_', ' ')}, no value to compare with {want}", [ev])
    return _T(None, f"{label} not reported", silent=True)


def _too_old(r: Truth, window: float | None) -> Truth:
    """A passing value measured before the criterion's window ("LVEF >= 50% within 28 days") does not show it holds
    now: unknown until repeated."""
    old = [f for f in r.evidence if window is not None and f.days_ago is not None and f.days_ago > window]
    if r.value is True and old:
        return _T(None, f"{r.reason}, but measured about {old[0].days_ago:g} days ago (criterion: within {window:g} days)", r.evidence)
    return r


def _labs(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    ths = c.params["thresholds"]
    liver = bool(pf.site_mets("liver")[0]) or bool(pf.concept_facts("hcc"))
    gilbert = bool(re.search(r"gilbert", pf.text, re.I))
    by: dict[str, list[dict]] = {}
    for th in ths:
        by.setdefault(th["analyte"], []).append(th)
    results: list[Truth] = []
    for aid, lst in by.items():
        chosen = [t for t in lst if t["condition"] is None]
        if liver and any(t["condition"] == "liver_mets" for t in lst):
            chosen = [t for t in lst if t["condition"] == "liver_mets"]
        elif gilbert and any(t["condition"] == "gilbert" for t in lst):
            chosen = [t for t in lst if t["condition"] == "gilbert"]
        for t in chosen or lst[:1]:
            r = _lab_one(pf, t)
            if t["condition"] and chosen:
                r.reason += " (limit for patients with " + t["condition"].replace("_", " ") + ")"
            results.append(r)
    exclusion = crit.type == "exclusion"
    if not exclusion:
        results = [_too_old(r, c.params.get("window")) for r in results]
    ev = [e for r in results for e in r.evidence]
    if exclusion:  # the statement is "a value is out of range": any true -> true
        if any(r.value is True for r in results):
            r = next(r for r in results if r.value is True)
            return _T(True, r.reason, r.evidence)
        if all(r.value is False for r in results):
            return _T(False, "; ".join(r.reason for r in results), ev)
    else:
        if any(r.value is False for r in results):
            r = next(r for r in results if r.value is False)
            return _T(False, r.reason, r.evidence)
        if all(r.value is True for r in results):
            more = c.params.get("and_text")
            if more:
                ft = _freetext_eval(pf, more, crit)
                if ft.value is False:
                    return _T(False, ft.reason, ft.evidence + ev)
                if ft.value is not True:
                    return _T(None, "; ".join(r.reason for r in results) + f"; “{more.strip()}” is not stated", ev)
            return _T(True, "; ".join(r.reason for r in results), ev)
    missing = [r.reason for r in results if r.value is None]
    cond = c.params.get("condition_text")
    if exclusion and cond:
        ft = _freetext_eval(pf, cond, crit)
        if ft.value is True:
            return _T(None, ft.reason + "; the defining value (" + "; ".join(missing) + ") is not given", ft.evidence + ev)
        if ft.silent or ft.value is False:
            return _T(None, "; ".join(missing) + "; the condition itself is not described", ev, silent=not ev, assumable=True)
    return _T(None, "; ".join(missing), ev, silent=all(r.silent for r in results if r.value is None) and not ev)


_ASYMPTOMATIC_ALLOWED = re.compile(r"\basymptomatic\b(?:[^.]|\.\d){0,300}?\b(?:may be (?:considered|included|enrolled|eligible)|"
                                   r"(?:are|is) (?:allowed|permitted|eligible))", re.I)


def _brain(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    aff, neg = pf.site_mets("brain")
    lep_aff, _ = pf.site_mets("leptomeningeal")
    p = c.params
    if p.get("leptomeningeal") and lep_aff:
        return _T(True, "leptomeningeal disease is described", lep_aff[:1])
    if aff:
        b = pf.brain
        exc = p.get("exceptions", "") + " " + c.text.lower()
        restricted = p.get("untreated") or p.get("symptomatic") or re.search(r"treated|stable|asymptomatic", p.get("exceptions", ""))
        ev = aff[:1]
        # sites some trials exclude outright (brainstem, cerebellum, meninges ...)
        locs = b.get("locations")
        if locs is not None:
            named = {k for k, pat in (("cerebellum", r"cerebell"), ("brainstem", r"brain ?stem"), ("pons", r"\bpons\b|pontine"),
                                      ("midbrain", r"midbrain"), ("medulla", r"medulla"), ("meninges", r"meninge"),
                                      ("spinal cord", r"spinal cord")) if re.search(pat, c.text, re.I)}
            bad = set(locs.value) & named
            if bad:
                return _T(True, f"brain metastasis in the {', '.join(sorted(bad))} ({locs.text}), a site the criterion excludes", [locs] + ev)
        if not restricted:
            return _T(True, "brain metastases are described", ev)
        treated = "treated" in b and "untreated" not in b
        stable = "stable" in b and "progressing" not in b
        sympt = "symptomatic" in b and "asymptomatic" not in b
        steroids = "steroids" in b and "off_steroids" not in b
        off_need = re.search(r"(?:off|discontinued|stopped)\s+(?:\w+\s+){0,4}?(?:for\s+)?(?:>=|≥|at least|more than|over)?\s*(\d+)\s*(weeks?|days?)", exc)
        if not steroids and "off_steroids" in b and off_need and b["off_steroids"].days_ago is not None:
            if b["off_steroids"].days_ago < (to_days(off_need.group(1), off_need.group(2)) or 0):
                steroids = True  # stopped, but not long enough ago
        for k in ("treated", "stable", "symptomatic", "steroids", "untreated", "progressing", "asymptomatic", "off_steroids"):
            if k in b:
                ev.append(b[k])
        allows = _ASYMPTOMATIC_ALLOWED.search(exc)
        if allows and "asymptomatic" in b and not sympt and not steroids and "progressing" not in b:
            # "Participants with asymptomatic CNS metastases (..., all <= 1.5 cm) may be considered": untreated
            # is fine if they are asymptomatic (and small enough)
            lim = re.search(r"(?:≤|<=|<|up to|no (?:larger|greater|more) than)\s*(\d+(?:\.\d+)?)\s*(mm|cm)\b", allows.group(0))
            sizes = [f for f in pf.lesions if f.detail.get("brain")]
            if lim is None:
                return _T(False, "brain metastases are asymptomatic, which the criterion allows", ev)
            most = float(lim.group(1)) * (10 if lim.group(2) == "cm" else 1)
            if sizes and all(f.value <= most for f in sizes):
                return _T(False, f"brain metastases are asymptomatic and all ≤ {most:g} mm, which the criterion allows", ev + sizes)
            if not sizes:
                return _T(None, f"brain metastases are asymptomatic; whether all are ≤ {most:g} mm is not stated", ev)
        if "untreated" in b or "progressing" in b:
            return _T(True, "brain metastases are untreated or progressing", ev)
        if p.get("symptomatic") and sympt:
            return _T(True, "brain metastases are symptomatic", ev)
        need_stable = re.search(r"stable|no (?:evidence of )?progression|radiographically", exc)
        need_off_steroids = re.search(r"steroid|corticosteroid|dexamethasone", exc)
        if treated and (stable or not need_stable) and (not need_off_steroids or not steroids) and not sympt:
            return _T(False, "brain metastases are treated" + (" and stable" if stable else "") + ", which the criterion allows", ev)
        if treated and need_off_steroids and steroids:
            return _T(True if p.get("symptomatic") else None, "treated brain metastases but still on steroids", ev)
        return _T(None, "brain metastases are described but their treatment / stability is not stated", ev)
    if neg:
        return _T(False, "no brain metastases (" + neg[-1].text.strip()[:60] + ")", neg[-1:])
    if pf.has_cancer and (pf.mets_any() or (pf.stage and pf.stage.value in ("IV", "ES", "advanced"))):
        return _T(None, "brain imaging status not stated in a patient with metastatic cancer", silent=True)
    if pf.has_cancer:
        return _T(None, "brain metastases not mentioned", silent=True, assumable=True)
    return _T(None, "no cancer or brain metastases mentioned", silent=True, assumable=True)


def _lepto(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    aff, neg = pf.site_mets("leptomeningeal")
    if aff:
        return _T(True, "leptomeningeal disease is described", aff[:1])
    unc = [f for f in pf.mets.get("leptomeningeal", []) if f.uncertain and not f.negated and not f.family]
    if unc:
        return _T(None, f"leptomeningeal disease suspected but not confirmed ({unc[0].text})", unc[:1])
    if neg:
        return _T(False, "leptomeningeal disease denied", neg[:1])
    b_aff, b_neg = pf.site_mets("brain")
    if b_neg:
        return _T(False, "CNS imaging without metastases", b_neg[-1:])
    return _T(None, "leptomeningeal disease not mentioned", silent=True, assumable=True)


def _class_desc(classes: list[str], drugs: list[str]) -> str:
    lex = get_lexicon()
    names = [lex.class_label(c) for c in classes] + drugs
    return ", ".join(names[:4]) or "the named therapy"


def _matching_drugs(pf: PatientFacts, classes: list[str], drugs: list[str]) -> list[Fact]:
    out = []
    for f in pf.drugs:
        v = f.value
        if v.get("drug") and v["drug"] in drugs:
            out.append(f)
        elif set(classes) & set(v["classes"]):
            # a generic class word in the patient text ("chemo") only matches the same or a narrower class
            if v.get("drug") is None and v.get("class") not in classes and not (set(get_lexicon().class_ancestors(v["class"])) & set(classes)):
                continue
            out.append(f)
    return out


def _vague_drugs(pf: PatientFacts, classes: list[str]) -> list[Fact]:
    """Patient mentions of a broader class ("chemo", "immunotherapy") that might contain the criterion's class."""
    lex = get_lexicon()
    out = []
    for f in pf.drugs:
        v = f.value
        if v.get("drug") is None and v.get("class") and f.affirmed:
            for c in classes:
                if v["class"] in lex.class_ancestors(c) and v["class"] != c:
                    out.append(f)
                    break
    return out


_CONCURRENT_CRIT = re.compile(r"^(?!.*\b(?:prior|previous\w*|within|history|since|ever)\b).*\b(?:concurrent\w*|concomitant\w*|currently|ongoing)\b", re.I | re.S)


def _for_other_cancer(f: Fact, wanted: set[str]) -> bool:
    lex = get_lexicon()
    given_for = f.detail.get("for_cancers") or set()
    return bool(given_for) and not any(g == w or w in lex.concept_ancestors(g) or g in lex.concept_ancestors(w)
                                       for g in given_for for w in wanted)


def _therapy(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    p = c.params
    classes, drugs = p["classes"], p["drugs"]
    want = _class_desc(classes, drugs)
    hits = [f for f in _matching_drugs(pf, classes, drugs) if not f.family and not f.hypothetical]
    if p.get("for_cancers"):
        # "prior therapy for breast cancer": a drug the note says was for another cancer ("for lymphoma") does not count
        other = [f for f in hits if _for_other_cancer(f, p["for_cancers"])]
        hits = [f for f in hits if f not in other]
        if other and not hits and p["mode"] == "forbidden":
            f = other[0]
            given_for = ", ".join(sorted(f.detail["for_cancers"])).replace("_", " ")
            return _T(False, f"{f.text} was given for {given_for}, not for the cancer the criterion names", other[:1])
    for f in hits:  # "neuropathy from docetaxel" names a drug given in a regimen described elsewhere
        if f.detail.get("attribution") and f.detail.get("setting") is None:
            same = [g for g in pf.drugs if g is not f and g.value.get("drug") == f.value.get("drug") and not g.detail.get("attribution")]
            if same:
                f.detail["setting"] = same[0].detail.get("setting")
    aff = [f for f in hits if not f.negated and not f.uncertain]
    neg = [f for f in hits if f.negated]
    window = p.get("window")
    if not aff and window is not None and pf.last_therapy is not None and p["mode"] == "forbidden" and \
            "anticancer_therapy" in _ancestors_of_classes(classes) | {c for d in drugs for c in get_lexicon().drug_classes(d)}:
        if pf.last_therapy.value > window:
            return _T(False, f"last anticancer therapy {pf.last_therapy.text}, outside the {window:g}-day window", [pf.last_therapy])
        return _T(None, f"last therapy {pf.last_therapy.text}; which therapy is not stated", [pf.last_therapy])
    exc = p.get("exceptions", "")
    if p.get("all_required") and p["mode"] == "required":
        rq = _required_given(pf, drugs, classes)
        if rq.value is not True:
            return rq
    if p.get("setting") == "advanced" and aff:
        adv = [f for f in aff if f.detail.get("setting") != "early"]
        early = [f for f in aff if f.detail.get("setting") == "early"]
        if not adv:
            # given only as (neo)adjuvant / curative therapy, not for the advanced disease
            need = p.get("dfi_days")
            if need is not None:
                if pf.dfi is not None:
                    ok = pf.dfi.value > need
                    return _T(not ok, f"{want} only as early-stage therapy ({early[0].text}); disease-free interval "
                                      f"{pf.dfi.value / 30.4:.0f} months {'>' if ok else '≤'} {need / 30.4:.0f} months", early[:1] + [pf.dfi])
                return _T(None, f"{want} only as early-stage therapy ({early[0].text}); disease-free interval not stated", early[:1])
            return _T(False, f"{want} only as early-stage therapy ({early[0].text}), not for advanced disease", early[:1])
        aff = adv
    if aff and p.get("due_to_toxicity"):
        tox, other = [], []
        for f in aff:
            sent = pf.doc.sentence_text(pf.doc.sentence_of_char(f.start))
            if re.search(r"\b(?:stopped|stop|discontinued|held|ceased|came off|come off|taken off|took me off|quit)\b[^.;]{0,40}"
                         r"\b(?:toxicit\w*|adverse|intoleran\w*|side effects?|pneumonitis|\bild\b|neuropathy|reactions?|allerg\w*"
                         r"|inflam\w*|lungs?|made (?:me|him|her) (?:ill|sick)|(?:couldn't|could not|can't) (?:tolerate|take|handle) it|hospital\w*)", sent, re.I) \
                    and not re.search(r"\bno (?:dose[- ]limiting )?(?:toxicit\w*|ild|pneumonitis)", sent, re.I):
                tox.append(f)
            elif re.search(r"\b(?:stopped|discontinued)\s+(?:\w+\s+){0,2}(?:for|due to|because of|at)\s+(?:\w+\s+){0,2}(?:progression|pd|relapse)|\bno (?:dose[- ]limiting )?toxicit", sent, re.I):
                other.append(f)
        if tox:
            return _T(True, f"{want} stopped because of toxicity ({tox[0].text})", tox[:1])
        if other:
            return _T(False, f"{want} was not stopped for toxicity ({other[0].text})", other[:1])
        return _T(None, f"{want} received ({aff[0].text}); why it was stopped is not stated", aff[:1])
    if p.get("setting") == "advanced" and not aff and pf.advanced_naive is not None and (p["mode"] == "forbidden" or crit.type == "exclusion"):
        return _T(False, f"no {want} for advanced disease ({pf.advanced_naive.text})", [pf.advanced_naive])
    if aff and p["mode"] == "forbidden" and window is None and _CONCURRENT_CRIT.search(c.text) \
            and all(x.historical and not x.detail.get("current") for x in aff):
        # "No concurrent chemotherapy" and a patient whose chemotherapy is past ("two years ago")
        return _T(False, f"{want} given in the past ({aff[0].text}), not concurrently", aff[:1])
    if aff:
        f = aff[0]
        if window is not None and not f.detail.get("current"):
            known = [x for x in aff if x.days_ago is not None]
            if known and all(x.days_ago > window for x in known):
                return _T(False, f"{want}: last given more than {window:g} days ago", known[:1])
            if not known and p["mode"] == "forbidden":
                return _T(None, f"{want} received ({f.text}); timing relative to the {window:g}-day window not stated", [f])
        if exc and re.search(r"adjuvant|neoadjuvant", exc) and re.search(r"adjuvant", pf.text, re.I) and window is None and p.get("setting") != "advanced":
            return _T(None, f"{want} received; whether it falls under the criterion's exception is not clear", [f])
        if p.get("refractory") and p["mode"] == "required":
            prog = [x for x in aff if x.detail.get("progressed")]
            if prog:
                return _T(True, f"progressed on {want} ({prog[0].text})", prog[:1])
            return _T(None, f"received {want} ({f.text}); progression / refractoriness not stated", [f])
        return _T(True, f"received {want} ({f.text})", aff[:3])
    if neg:
        return _T(False, f"{want} denied", neg[:1])
    vague = _vague_drugs(pf, classes)
    if vague:
        return _T(None, f"had {vague[0].text}, but not which drugs (criterion names {want})", vague[:1])
    if pf.treatment_naive is not None and ("anticancer_therapy" in _ancestors_of_classes(classes) or drugs):
        return _T(False, "patient has had no prior anticancer treatment", [pf.treatment_naive])
    anticancer = "anticancer_therapy" in _ancestors_of_classes(classes) or any(
        "anticancer_therapy" in get_lexicon().drug_classes(d) for d in drugs)
    listed = [f for f in pf.drugs if f.affirmed]
    if anticancer:
        if not pf.has_cancer:
            return _T(None, "no cancer or anticancer treatment described", silent=True, assumable=True)
        if [f for f in listed if "anticancer_therapy" in f.value["classes"] and f.value.get("drug")]:
            return _T(None if crit.type == "inclusion" else False, f"treatment history given without {want}", listed[:2], silent=True, assumable=True)
        return _T(None, f"prior anticancer treatment not described ({want})", silent=True)
    if pf.meds_reported or listed:
        return _T(None if crit.type == "inclusion" else False, f"{want} not among the medications described", silent=True, assumable=True)
    return _T(None, f"{want} not mentioned", silent=True, assumable=True)


def _ancestors_of_classes(classes: list[str]) -> set[str]:
    lex = get_lexicon()
    out: set[str] = set()
    for c in classes:
        out |= lex.class_ancestors(c)
    return out


def _required_given(pf: PatientFacts, drugs: list[str], classes: list[str]) -> Truth:
    """Did the patient receive every required drug / class?"""
    lex = get_lexicon()
    names = [lex.class_label(x) for x in classes] + drugs
    got, missing, unsure = [], [], []
    for item in [("drug", d) for d in drugs] + [("class", x) for x in classes]:
        fs = _matching_drugs(pf, [item[1]] if item[0] == "class" else [], [item[1]] if item[0] == "drug" else [])
        aff = [f for f in fs if f.affirmed]
        if aff:
            got.append(aff[0])
        elif [f for f in fs if f.uncertain and not f.negated] or _vague_drugs(pf, [item[1]] if item[0] == "class" else list(lex.drug_classes(item[1]))):
            unsure.append(item[1])
        else:
            missing.append(item[1])
    if not missing and not unsure:
        return _T(True, "received " + ", ".join(f.text for f in got), got)
    if missing and pf.history_uncertain is None and (pf.lines is not None and pf.lines.detail.get("source") in ("explicit", "count") or
                                                     [f for f in pf.drugs if f.affirmed and "anticancer_therapy" in f.value["classes"] and f.value.get("drug")]):
        lbl = [lex.class_label(x) if x in lex.classes else x for x in missing]
        if pf.history_uncertain is None:
            return _T(False, "no " + ", ".join(lbl) + " among the treatments described", got)
    what = ", ".join(lex.class_label(x) if x in lex.classes else x for x in missing + unsure)
    return _T(None, f"whether the prior therapy included {what} is not clear", got + ([pf.history_uncertain] if pf.history_uncertain else []))


def _lines(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    req_d, req_c = c.params.get("req_drugs") or [], c.params.get("req_classes") or []
    base = _lines_count(pf, c, crit)
    if not (req_d or req_c) or base.value is False:
        return base
    rq = _required_given(pf, req_d, req_c)
    if rq.value is False:
        return rq
    if base.value is True and rq.value is True:
        return _T(True, base.reason + "; " + rq.reason, base.evidence + rq.evidence)
    return _T(None, "; ".join(r.reason for r in (base, rq) if r.value is not True), base.evidence + rq.evidence,
              silent=base.silent and rq.value is None)


def _lines_count(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    lo, hi = c.params["lo"], c.params["hi"]
    want = f"≥ {lo}" if hi is None else (f"≤ {hi}" if not lo else (f"{lo}" if lo == hi else f"{lo}–{hi}"))
    if pf.lines is None:
        if not pf.has_cancer:
            return _T(None, "no anticancer treatment described", silent=True, assumable=True)
        return _T(None, f"number of prior lines not stated (criterion: {want})", silent=True)
    p_lo, p_hi = pf.lines.value
    ok_lo = lo is None or p_lo >= lo
    ok_hi = hi is None or (p_hi is not None and p_hi <= hi)
    bad = (lo is not None and p_hi is not None and p_hi < lo) or (hi is not None and p_lo > hi)
    pdesc = f"{p_lo}" if p_hi == p_lo else f"≥ {p_lo}"
    if ok_lo and ok_hi:
        return _T(True, f"{pdesc} prior line(s), criterion {want}", [pf.lines])
    if bad:
        return _T(False, f"{pdesc} prior line(s), criterion {want}", [pf.lines])
    return _T(None, f"{pdesc} prior line(s) known, criterion {want}", [pf.lines])


def _steroids(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    p = c.params
    allowed_routes = p.get("exceptions", "")
    classes = set(p.get("classes") or [])
    if re.search(r"steroid|prednis|dexameth|glucocortic", c.text, re.I) or not classes:
        classes |= {"corticosteroid"}
    hits = [f for f in pf.drugs if (set(f.value["classes"]) & classes or f.value.get("drug") in (p.get("drugs") or [])) and not f.family]
    sys_hits = []
    for f in hits:
        sent = pf.doc.sentence_text(pf.doc.sentence_of_char(f.start)).lower()
        if re.search(r"inhal|topical|nasal|cream|ointment|eye drop|intra-?articular", sent) and re.search(r"inhal|topical|nasal", allowed_routes):
            continue
        sys_hits.append(f)
    aff = [f for f in sys_hits if f.affirmed]
    neg = [f for f in sys_hits if f.negated]
    aff_ns = [f for f in aff if "corticosteroid" not in f.value["classes"]]
    if aff_ns and set(aff_ns[0].value["classes"]) & (set(p.get("classes") or []) - {"corticosteroid"}):
        f = aff_ns[0]
        win = p.get("window")
        if win is not None and f.days_ago is not None and f.days_ago > win and not f.detail.get("current"):
            return _T(False, f"{f.text} stopped more than {win:g} days ago", [f])
        return _T(True, f"takes {f.text} (an immunosuppressant)", [f])
    if aff:
        f = aff[0]
        doses = [d for d in pf.steroid_doses if d.affirmed]
        if p.get("dose") is not None and doses:
            d = doses[0]
            ok = d.value > p["dose"]
            return _T(ok, f"{d.text} ≈ {d.value:.0f} mg/day prednisone equivalent vs limit {p['dose']:g} mg", [d])
        win = p.get("window")
        if win is not None and f.days_ago is not None and f.days_ago > win and not f.detail.get("current"):
            return _T(False, f"{f.text} stopped more than {win:g} days ago", [f])
        if p.get("dose") is not None:
            return _T(None, f"takes {f.text}; dose not stated (limit {p['dose']:g} mg/day)", [f])
        return _T(True, f"takes {f.text}", [f])
    if neg:
        return _T(False, "steroid / immunosuppressant use denied", neg[:1])
    return _T(None, "no steroid or immunosuppressant use described", silent=True, assumable=True)


def _infection(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    p = c.params
    vir = p["viruses"]
    facts = [f for f in pf.infections if f.value in vir and not f.family]
    exc = p.get("exceptions", "")
    aff = [f for f in facts if not f.negated and not f.uncertain and not f.hypothetical]
    neg = [f for f in facts if f.negated]
    unc = [f for f in facts if f.uncertain]
    names = {"hbv": "hepatitis B", "hcv": "hepatitis C", "hiv": "HIV", "tb": "tuberculosis"}
    if aff:
        f = aff[0]
        st = f.detail.get("status")
        allow_controlled = re.search(r"undetectable|suppress|controlled|antiviral|dna\s*(?:<|less|below)|rna\s*(?:<|less|below|negative|undetect)|cured|treated|resolved|eligible|allowed|negativ", exc)
        thr = _viral_threshold(c.text, f.value)
        if thr is not None and crit.type == "exclusion":
            loads = [x for x in pf.viral_loads.get(f.value, []) if not x.family]
            if st in ("controlled", "dna_undetectable", "cured") or any(x.detail.get("below") for x in loads):
                return _T(False, f"{names[f.value]} with undetectable / low viral load, below the criterion's limit", [f] + loads[:1])
            if loads:
                v = loads[-1].value / (5.6 if "copies" in loads[-1].detail.get("unit", "") else 1.0)
                return _T(v >= thr, f"{names[f.value]} viral load {loads[-1].text} {'≥' if v >= thr else '<'} {thr:g} IU/mL", [f, loads[-1]])
            return _T(None, f"{names[f.value]} reported ({f.text}); viral load not stated (limit {thr:g} IU/mL)", [f])
        if st in ("controlled", "dna_undetectable", "cured", "treated") and (allow_controlled or p.get("active")):
            return _T(False, f"{names[f.value]} {st.replace('_', ' ')}, which the criterion allows", [f])
        if crit.type == "inclusion":
            return _T(True, f"{names[f.value]} reported", [f])
        if f.historical and p.get("active") and st is None:
            return _T(None, f"history of {names[f.value]}; current activity (viral load) not stated", [f])
        return _T(True, f"{names[f.value]} reported ({f.text})", [f])
    if unc:
        return _T(None, f"{names[unc[0].value]} possible but not confirmed", unc[:1])
    if neg and set(vir) <= {f.value for f in neg}:
        return _T(False, "negative for " + ", ".join(names[v] for v in vir), neg[:3])
    if neg:
        return _T(None if crit.type == "inclusion" else False, "negative for " + ", ".join(sorted({names[f.value] for f in neg})), neg[:3], silent=False, assumable=True)
    if crit.type == "inclusion":
        return _T(None, "infection status not stated: " + ", ".join(names[v] for v in vir), silent=True)
    return _T(None, "no " + " / ".join(names[v] for v in vir) + " infection mentioned", silent=True, assumable=True)


def _viral_threshold(text: str, virus: str) -> float | None:
    """The viral load (IU/mL) at or above which the criterion calls an infection active."""
    t = clean(text).lower()
    key = {"hbv": r"hbv\)?[- ]?dna|hbv viral load", "hcv": r"hcv\)?[- ]?rna|hcv viral load", "hiv": r"hiv\)?[- ]?rna|hiv viral load"}.get(virus)
    if not key:
        return None
    best = None
    for m in re.finditer(rf"(?:{key})[^.;]{{0,40}}?(?:>=|≥|>|above|at least|of at least|exceeding|greater than)\s*(\d+(?:[.,]\d+)?)(?:\s*[x×]\s*10\s*\^?\s*(\d+))?\s*(iu/ml|iu|copies/ml|copies)?"
                         rf"(?:\s*or\s*(?:>=|≥|>)?\s*(\d+(?:[.,]\d+)?)(?:\s*[x×]\s*10\s*\^?\s*(\d+))?\s*(iu/ml|iu|copies/ml|copies))?", t):
        for num, exp, unit in ((m.group(1), m.group(2), m.group(3)), (m.group(4), m.group(5), m.group(6))):
            if not num:
                continue
            v = float(num.replace(",", "")) * (10 ** int(exp) if exp else 1)
            if unit and "cop" in unit:
                if best is None:
                    best = v / 5.6
                continue
            best = v
    return best


_SKIN_EXC = re.compile(r"basal|squamous cell (?:carcinoma )?of the skin|skin cancer|non-?melanoma|cutaneous|in situ|cis\b|dcis|cervical|prostate|superficial bladder|papillary thyroid|low[- ]risk", re.I)


def _other_malignancy(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    p = c.params
    cancers = [f for f in pf.concept_facts("cancer") if not f.family and not f.hypothetical]
    cancers = [f for f in cancers if f.value != "carcinoma_in_situ" or True]
    aff = [f for f in cancers if not f.negated and not f.uncertain]
    unc = [f for f in cancers if f.uncertain and not f.negated]
    if p.get("any_cancer"):
        if aff:
            f = aff[0]
            win = p.get("window")
            if win is not None and f.historical and f.days_ago is not None and f.days_ago > win:
                return _T(False, f"cancer ({f.text}) was more than {win / 365:.0f} years ago", [f])
            if p.get("current_only") and f.historical and not pf.mets_any():
                return _T(None, f"history of {f.text}; whether it is current is not stated", [f])
            return _T(True, f"cancer is described ({f.text})", [f])
        if unc:
            return _T(None, f"possible cancer ({unc[0].text}) not confirmed", unc[:1])
        neg = [f for f in cancers if f.negated]
        if neg:
            return _T(False, "cancer denied", neg[:1])
        return _T(None, "no cancer mentioned", silent=True, assumable=True)
    # another malignancy besides the one under study
    lex = get_lexicon()
    if not aff:
        return _T(None, "no other cancer mentioned", silent=True, assumable=True)
    specific = [f for f in aff if f.value != "cancer" and f.value not in ("carcinoma_in_situ",)]
    primary = None
    for f in specific:
        if not f.historical:
            primary = f
            break
    if primary is None and specific:
        primary = specific[-1]
    others = []
    for f in specific:
        if primary is not None and (f.value == primary.value or primary.value in lex.concept_ancestors(f.value) or f.value in lex.concept_ancestors(primary.value)):
            continue
        others.append(f)
    if not others:
        return _T(None, "no cancer other than the current one mentioned", silent=True, assumable=True)
    f = others[0]
    cured = p.get("cured_days")
    if cured is not None:
        # "except for those cured for >= 2 years": the kinds listed are examples; the time decides
        when = [x.days_ago for x in others if x.days_ago is not None]
        if when:
            ago = min(when)
            if ago < cured:
                return _T(True, f"other cancer ({f.text}) about {ago / 365:.1f} years ago, within the {cured / 365:.0f} years required cured", [f])
            return _T(False, f"other cancer ({f.text}) {ago / 365:.0f} years ago, cured for more than {cured / 365:.0f} years", [f])
        return _T(None, f"another cancer ({f.text}); how long it has been cured is not stated", [f])
    if _SKIN_EXC.search(f.text) or _SKIN_EXC.search(pf.doc.sentence_text(pf.doc.sentence_of_char(f.start))):
        if _SKIN_EXC.search(p.get("exceptions", "") + " " + c.text):
            return _T(False, f"other cancer ({f.text}) is of a kind the criterion allows", [f])
    win = p.get("window")
    if win is not None:
        if f.days_ago is not None:
            if f.days_ago > win:
                return _T(False, f"other cancer ({f.text}) more than {win / 365:.0f} years ago", [f])
            return _T(True, f"other cancer ({f.text}) within {win / 365:.0f} years", [f])
        return _T(None, f"another cancer ({f.text}); when it was treated is not stated", [f])
    return _T(True, f"another cancer is described ({f.text})", [f])


def _transplant(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    aff = [f for f in pf.transplants if f.affirmed and not f.hypothetical]
    if aff:
        f = aff[0]
        if c.params.get("allogeneic_only") and f.detail.get("autologous") and not f.detail.get("allogeneic"):
            return _T(False, f"autologous transplant ({f.text}) is not allogeneic / organ", [f])
        return _T(True, f"transplant reported ({f.text})", [f])
    neg = [f for f in pf.transplants if f.negated]
    if neg:
        return _T(False, "no transplant", neg[:1])
    return _T(None, "no transplant mentioned", silent=True, assumable=True)


def _hypersens(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    p = c.params
    lex = get_lexicon()
    aff = [f for f in pf.allergies if f.affirmed]
    want_classes = set(p.get("classes") or [])
    want_drugs = set(p.get("drugs") or [])
    for f in aff:
        for a in f.detail.get("allergens", []):
            cls = set(lex.drug_classes(a)) if a in lex.drugs else set(lex.class_ancestors(a))
            if a in want_drugs or cls & want_classes or any(wd in lex.drugs and set(lex.drug_classes(wd)) & cls - {"anticancer_therapy", "chemotherapy", "monoclonal_antibody", "targeted_therapy"} for wd in want_drugs):
                return _T(True, f"allergy described ({f.text} {f.detail.get('allergen_text', '')[:40].strip()})", [f])
        if not want_drugs and not want_classes and not p.get("study_drug"):
            allergen = f.detail.get("allergen_text", "") or ""
            words = {w.rstrip("s")[:5] for w in re.findall(r"[a-z]{3,}", allergen.lower())} - {"aller", "react", "sever", "the"}
            named = re.search(r"\b(?:allerg\w*|hypersensitiv\w*|reactions?|intoleran\w*)\b[^.;]{0,40}?\b(?:to|with|against)\s+\w", crit.text, re.I)
            if not named or any(w in crit.text.lower() for w in words):
                return _T(True, f"allergy described ({f.text})", [f])  # any allergy, or the one the criterion names
            continue  # "reaction to prior vaccination with vaccinia virus" is not "allergic to eggs"
    if aff:
        return _T(False, "the allergies described are to other substances", aff[:1])
    neg = [f for f in pf.allergies if f.negated]
    if neg:
        return _T(False, "no known allergies", neg[:1])
    return _T(None, "no allergy to the study drug mentioned", silent=True, assumable=True)


# a combined or transformed histology in the patient's words ("transformed", "mixed", "the cancer had turned into
# small cell", "changed to squamous")
_TRANSFORMED = re.compile(r"\b(?:transform\w*|combined|mixed|composite)\b|\b(?:turned|changed|converted|evolved|switched)\s+(?:in)?to\s+(?:an?\s+)?"
                          r"(?:small[- ]cell|sclc|non[- ]small[- ]cell|nsclc|squamous|neuroendocrine|large[- ]cell|adenocarcinoma|sarcomatoid)\b", re.I)


def _diagnosis(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    lex = get_lexicon()
    want = c.params["concepts"]
    cancers = [f for f in pf.concept_facts("cancer") if not f.family and not f.hypothetical]
    match = [f for f in cancers if any(w in lex.concept_ancestors(f.value) for w in want)]
    names = ", ".join(w.replace("_", " ") for w in want)
    aff = [f for f in match if not f.negated and not f.uncertain]
    if aff and c.params.get("qualifiers"):
        # "combined / mixed / transformed SCLC": the qualifier must hold too
        for m in _TRANSFORMED.finditer(pf.text):
            a = pf.doc.assertion_chars(m.start(), m.end())
            if not a.negated and not a.family and not a.hypothetical:
                return _T(True, f"{m.group(0)} histology ({pf.doc.sentence_text(pf.doc.sentence_of_char(m.start()))[:80]})",
                          [Fact("mention", "qualifier", m.start(), m.end(), m.group(0))] + aff[:1])
        m = re.search(r"\bpure\b[^.;]{0,20}|\bno [\w-]+(?: [\w-]+)? component\b|\bde novo\b", pf.text, re.I)
        if m:
            return _T(False, f"{m.group(0).strip()}: not combined or transformed", [Fact("mention", "pure", m.start(), m.end(), m.group(0))])
        return _T(None, f"{aff[0].text}: no combined or transformed histology described", aff[:1], silent=True, assumable=True)
    if aff and c.params.get("extent"):
        # "bilateral breast cancers or multiple tumours": the patient's cancer must be described so
        for m in re.finditer(r"\b(?:" + "|".join(map(re.escape, c.params["extent"])) + r")\w*", pf.text, re.I):
            a = pf.doc.assertion_chars(m.start(), m.end())
            if not a.negated and not a.family and not a.hypothetical:
                return _T(True, f"{m.group(0)} ({aff[0].text})", [Fact("mention", "extent", m.start(), m.end(), m.group(0))] + aff[:1])
        return _T(None, f"{aff[0].text}: not described as {' or '.join(c.params['extent'])}", aff[:1], silent=True, assumable=True)
    if aff:
        return _T(True, f"diagnosis matches ({aff[0].text})", aff[:1])
    if [f for f in match if f.uncertain and not f.negated]:
        f = [f for f in match if f.uncertain and not f.negated][0]
        return _T(None, f"{f.text} suspected but not confirmed", [f])
    if [f for f in match if f.negated]:
        return _T(False, f"{names} denied", [f for f in match if f.negated][:1])
    other = [f for f in cancers if not f.negated and not f.uncertain and f.value != "cancer"
             and f.value not in ("carcinoma_in_situ", "basal_cell_skin")
             and not any(f.value in lex.concept_ancestors(w) for w in want)]
    other = [f for f in other if not f.historical] or (other if pf.mets_any() or pf.progression else [])
    if other and "cancer" not in want:
        return _T(False, f"patient has {other[0].text}, not {names}", other[:1])
    generic = [f for f in cancers if f.value == "cancer" and not f.negated]
    if generic and "cancer" in want:
        return _T(True, f"cancer is described ({generic[0].text})", generic[:1])
    if generic:
        return _T(None, f"cancer described ({generic[0].text}) but its type is not stated", generic[:1])
    if crit.type == "exclusion":
        return _T(None, f"{names} not mentioned", silent=True, assumable=True)
    return _T(None, f"diagnosis of {names} not stated", silent=True)


_HIST_GROUPS = {
    "adenocarcinoma": {"adenocarcinoma"}, "squamous": {"squamous"}, "small cell": {"small_cell"},
    "small-cell": {"small_cell"}, "non small cell": {"adenocarcinoma", "squamous", "large_cell", "non_squamous"},
    "non squamous": {"non_squamous", "adenocarcinoma", "large_cell"}, "nonsquamous": {"non_squamous", "adenocarcinoma", "large_cell"},
    "neuroendocrine": {"neuroendocrine", "small_cell", "large_cell"}, "large cell": {"large_cell"}, "ductal": {"ductal"},
    "lobular": {"lobular"}, "serous": {"serous"}, "clear cell": {"clear_cell"}, "urothelial": {"urothelial"}, "mucinous": {"mucinous"},
}


def _histology(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    allowed: set[str] = set()
    for a in c.params["allowed"]:
        allowed |= _HIST_GROUPS.get(a.replace("-", " "), set())
    hist = [f for f in pf.histology if not f.negated and not f.uncertain]
    # SCLC / NSCLC named as diagnoses imply histology
    if not hist:
        for f in pf.conditions:
            if f.affirmed and f.value == "sclc":
                hist.append(Fact("histology", "small_cell", f.start, f.end, f.text))
            if f.affirmed and f.value == "nsclc":
                hist.append(Fact("histology", "non_small_cell", f.start, f.end, f.text))
    if not hist:
        return _T(None, "histology not stated", silent=crit.type == "inclusion", assumable=crit.type == "exclusion")
    vals = {f.value for f in hist}
    if "non_small_cell" in vals:
        vals = vals - {"non_small_cell"} | ({"adenocarcinoma", "squamous", "large_cell", "non_squamous"} if not (vals - {"non_small_cell"}) else set())
        if allowed & {"adenocarcinoma", "squamous"} and allowed != {"adenocarcinoma", "squamous", "large_cell", "non_squamous"} and not (vals - {"adenocarcinoma", "squamous", "large_cell", "non_squamous"}):
            if len(vals) > 1:
                return _T(None, "non-small cell histology; subtype not stated", hist[:1])
    if vals & allowed:
        return _T(True, f"histology: {hist[0].text}", hist[:1])
    return _T(False, f"histology is {hist[0].text}", hist[:1])


_ROMAN = {"0": 0, "i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def _stage_num(s: str) -> tuple[int, str] | None:
    m = re.fullmatch(r"(0|i{1,3}|iv|[1-4])([abc]?)", s.lower())
    if not m:
        return None
    return _ROMAN[m.group(1)], m.group(2)


def _stage(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    t = clean(c.params["text"]).lower()
    st = pf.stage
    if st is None:
        return _T(None, "stage / extent of disease not stated", silent=crit.type == "inclusion", assumable=crit.type == "exclusion")
    v = st.value
    want_meta = bool(re.search(r"metastatic|stage\s*iv\b|stage\s*4\b|distant", t))
    want_adv = bool(re.search(r"advanced|unresectable|inoperable|recurrent|not amenable", t))
    want_es = "extensive" in t
    want_ls = "limited" in t
    want_early = bool(re.search(r"early[- ]stage|resectable(?! )|operable", t)) and not want_adv
    stages = [(_stage_num(a + b)) for a, b in re.findall(r"stage\s*(0|iv|i{1,3}|[1-4])([abc]?)", t)]
    rng = re.search(r"stage\s*(i{1,3}v?|iv|[1-4])([abc]?)\s*(?:-|to|through)\s*(?:stage\s*)?(i{1,3}v?|iv|[1-4])([abc]?)", t)
    pv = _stage_num(v) if v not in ("ES", "LS", "advanced", "locally_advanced", "IV") else None
    is_iv = v in ("IV", "ES") or (pv is not None and pv[0] == 4)
    ev = [st]
    if want_es or want_ls:
        if v in ("ES", "LS"):
            ok = (v == "ES" and want_es) or (v == "LS" and want_ls)
            return _T(ok, f"{st.text}", ev)
        if is_iv:
            return _T(want_es, f"stage IV ({st.text})", ev)
        return _T(None, f"stage given as {st.text}", ev)
    if rng:
        a, b = _stage_num(rng.group(1) + rng.group(2)), _stage_num(rng.group(3) + rng.group(4))
        if a and b:
            pn = (4, "") if is_iv else pv
            if pn:
                lo, hi = (a[0], a[1] or "a"), (b[0], b[1] or "z")
                if pn[0] == a[0] and not pn[1] and a[1]:
                    return _T(None, f"stage {v} vs {rng.group(0)}: substage not stated", ev)
                ok = lo <= (pn[0], pn[1] or "m") <= hi
                return _T(ok, f"stage {v} {'within' if ok else 'outside'} {rng.group(0)}", ev)
    if stages and not want_adv:
        pn = (4, "") if is_iv else pv
        if pn:
            if any(s and s[0] == pn[0] and (not s[1] or s[1] == pn[1]) for s in stages):
                return _T(True, f"stage {v}", ev)
            if any(s and s[0] == pn[0] and s[1] and not pn[1] for s in stages):
                return _T(None, f"stage {v}: substage not stated", ev)
            if not want_meta:
                return _T(False, f"stage {v} is not among the stages listed", ev)
    if want_meta and not want_adv:
        if is_iv:
            return _T(True, f"metastatic disease ({st.text})", ev)
        if pv is not None:
            return _T(False, f"stage {v} is not metastatic", ev)
        return _T(None, f"{st.text}: metastatic status not clear", ev)
    if want_adv or want_meta:
        if is_iv or v in ("advanced", "locally_advanced") or (pv and pv[0] >= 3):
            return _T(True, f"advanced disease ({st.text})", ev)
        if pv is not None:
            return _T(False, f"stage {v} is early-stage disease", ev)
    if want_early:
        if is_iv or v in ("advanced",):
            return _T(False, f"{st.text} is not early-stage", ev)
        if pv is not None and pv[0] <= 2:
            return _T(True, f"stage {v}", ev)
    return _T(None, f"stage {st.text}; criterion extent unclear", ev)


def _her2_cats(pf: PatientFacts) -> tuple[set[str] | None, list[Fact]]:
    bm = pf.biomarkers
    ihc = [f for f in bm.get("her2_ihc", []) if not f.uncertain]
    ish = [f for f in bm.get("her2_ish", [])]
    st = [f for f in bm.get("her2_status", [])]
    if ihc:
        f = ihc[-1]
        v = f.value
        ev = [f]
        if v == 3:
            return {"positive"}, ev
        if v == 2:
            if ish:
                ev.append(ish[-1])
                return ({"positive"} if ish[-1].value else {"low"}), ev
            return {"positive", "low"}, ev
        if v == 1:
            return {"low"}, ev
        return {"zero", "ultralow"}, ev
    if st:
        f = st[-1]
        w = f.value
        return ({"positive": {"positive"}, "negative": {"low", "zero", "ultralow"}, "low": {"low"}, "zero": {"zero"},
                 "ultralow": {"ultralow"}}.get(w, None), [f])
    if ish:
        return ({"positive"} if ish[-1].value else {"low", "zero", "ultralow"}), [ish[-1]]
    return None, []


def _biomarker(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    t = re.sub(r"\bher-?2\s*/\s*neu\b|\b(?:c-?)?erbb-?2\b", "her2", clean(c.params["text"]).lower())  # "HER2/neu positive"
    parts: list[Truth] = []
    need_central = bool(re.search(r"\bcentral(?:ly)?\b[^.;]{0,20}\b(?:test\w*|lab\w*|confirm\w*|review\w*|assess\w*)|\bby central\b|\bcentrally\b", t))
    need_met = bool(re.search(r"specimens? (?:taken|obtained|collected) after|in the metastatic setting|metastatic (?:tissue|specimen|biops\w+)|after (?:confirmed )?(?:locally advanced or )?metastatic (?:disease|diagnosis)", t))

    def where_ok(facts: list[Fact], label: str) -> Truth | None:
        """A requirement on where / by whom the marker was tested (central lab, a specimen of metastatic disease)."""
        if need_central and not any(f.detail.get("central") for f in facts):
            return _T(None, f"{label} {facts[0].text}: not confirmed by central testing", facts[:1])
        if need_met and not any(f.detail.get("met_specimen") for f in facts):
            return _T(None, f"{label} {facts[0].text}: not shown on a specimen of the metastatic disease", facts[:1])
        return None
    if re.search(r"\bher-?2\b|erbb2", t):
        allowed: set[str] = set()
        if re.search(r"her-?2[- ]?(?:positive|\+|amplif|overexpress)|ihc\s*3\+|ish\s*(?:\+|positive)|her-?2[- ]?enriched", t):
            allowed |= {"positive"}
        if re.search(r"her-?2[- ]?low|low her-?2|ihc\s*1\+|ihc\s*2\+\s*(?:and|/|with)\s*(?:ish|fish)\s*(?:-|negative)", t):
            allowed |= {"low"}
        if re.search(r"her-?2[- ]?negative|her-?2\s*-(?!\w)|her-?2[- ]?non", t) and not re.search(r"negative for her-?2 expression", t):
            allowed |= {"low", "zero", "ultralow"}
        if re.search(r"ultra-?low", t):
            allowed |= {"ultralow"}
        if re.search(r"ihc\s*0\b|her-?2[- ]?(?:zero|null)|negative for her-?2 expression|no her-?2 expression", t):
            allowed |= {"zero"} if re.search(r"ultra-?low|null", t) else {"zero", "ultralow"}  # IHC 0 includes ultralow staining
        if not allowed and re.search(r"ihc\s*(?:>=|≥)\s*1\+|her-?2[- ]?expressing|her-?2 expression", t):
            allowed |= {"low", "positive"}
        cats, ev = _her2_cats(pf)
        if allowed:
            if cats is None:
                parts.append(_T(None, "HER2 status not stated", silent=True))
            elif cats <= allowed:
                fitting = [f for fs in (pf.biomarkers.get(k, []) for k in ("her2_ihc", "her2_status", "her2_ish")) for f in fs]
                parts.append(where_ok(fitting, "HER2") or _T(True, f"HER2 {ev[0].text} fits", ev))
            elif not (cats & allowed):
                parts.append(_T(False, f"HER2 {ev[0].text} does not fit", ev))
            else:
                parts.append(_T(None, f"HER2 {ev[0].text}: ISH result needed", ev))
    def recep(key: str, label: str, pat_pos: str, pat_neg: str) -> None:
        pos, negv = bool(re.search(pat_pos, t)), bool(re.search(pat_neg, t))
        if not pos and not negv:
            return
        fs = pf.biomarkers.get(key, []) + pf.biomarkers.get("pr", []) + pf.biomarkers.get("hr", [])
        fs = [f for f in fs if not f.uncertain]
        if not fs:
            parts.append(_T(None, f"{label} status not stated", silent=True))
            return
        if pos and negv:  # "HR-positive ... or HR-negative": a documented status of either kind
            w = where_ok(fs, "hormone receptor status")
            parts.append(w or _T(True, f"hormone receptor status documented ({fs[-1].text})", fs[-1:]))
            return
        fs = pf.biomarkers.get(key, []) or pf.biomarkers.get("hr", [])
        if not fs:
            parts.append(_T(None, f"{label} status not stated", silent=True))
            return
        f = fs[-1]
        parts.append(_T(f.value == pos, f"{label} {f.text}", [f]))
    recep("er", "ER", r"\b(?:er|estrogen receptor|oestrogen receptor|hormone receptor|hr)\)?[- ]?(?:positive|\+)", r"\b(?:er|estrogen receptor|hormone receptor|hr)\)?[- ]?(?:negative|-)(?!\w)|triple[- ]negative")
    m = re.search(r"pd-?l1[^.;]{0,40}?(tps|cps|tumor proportion score|combined positive score)?[^.;\d]{0,20}(>=|≥|>|<|<=|≤|at least|of at least)\s*(\d{1,3})\s*%?", t)
    if m:
        op = {"at least": ">=", "of at least": ">=", "≥": ">=", "≤": "<="}.get(m.group(2), m.group(2))
        thr = float(m.group(3))
        fs = pf.biomarkers.get("pdl1", [])
        if fs:
            f = fs[-1]
            parts.append(_T(_cmp(op, f.value, thr), f"PD-L1 {f.text} vs {op} {thr:g}", [f]))
        elif pf.biomarkers.get("pdl1_status"):
            f = pf.biomarkers["pdl1_status"][-1]
            val = None if f.value in ("positive", "high") and thr > 1 else (False if f.value == "negative" and op in (">=", ">") else True if f.value in ("positive",) and thr <= 1 else None)
            parts.append(_T(val, f"PD-L1 {f.text}", [f]))
        else:
            parts.append(_T(None, "PD-L1 result not stated", silent=True))
    elif re.search(r"pd-?l1[- ]?(?:positive|expressing|expression)", t):
        fs = pf.biomarkers.get("pdl1", []) + pf.biomarkers.get("pdl1_status", [])
        if fs:
            f = fs[-1]
            val = (f.value >= 1) if isinstance(f.value, float) else (f.value in ("positive", "high"))
            parts.append(_T(val, f"PD-L1 {f.text}", [f]))
        else:
            parts.append(_T(None, "PD-L1 result not stated", silent=True))
    for key, pat in [("p16", r"\bp16\b"), ("hpv", r"\bhpv\b")]:
        if re.search(pat, t):
            fs = pf.biomarkers.get(key, [])
            if re.search(pat + r"\s+status\b", t) and not re.search(pat + r"[- ]?(?:positive|negative|\+|-(?!\w))", t):
                # "documented p16 status (for oropharyngeal cancer)": any result, where it applies
                site = re.search(r"\bfor\s+(\w+)\s+(?:cancer|carcinoma|tumou?rs?)", t)
                if site and pf.cancers and not any(re.search(site.group(1)[:6], f.value + " " + f.text, re.I) for f in pf.cancers):
                    parts.append(_T(True, f"not applicable (no {site.group(1)} cancer)", []))
                elif fs:
                    parts.append(_T(True, f"{key} status documented ({fs[-1].text})", fs[-1:]))
                else:
                    parts.append(_T(None, f"{key} status not stated", silent=True))
                continue
            want = not re.search(pat + r"[- ]?(?:negative|-(?!\w))", t)
            if fs:
                parts.append(_T(fs[-1].value == want, f"{key} {fs[-1].text}", fs[-1:]))
            else:
                parts.append(_T(None, f"{key} status not stated", silent=True))
    for g in ["EGFR", "ALK", "ROS1", "KRAS", "BRAF", "RET", "MET", "NTRK", "BRCA1", "BRCA2", "BRCA"]:
        gp = g.lower().replace("ros1", "ros-?1")
        if re.search(rf"\b{gp}\b", t) and not (g == "EGFR" and re.search(r"egfr\s*(?:[<>=≥≤]|\d)", t)) and not (g == "MET" and not re.search(r"\bmet (?:exon|amplif|alteration|mutation)", t)):
            fs = pf.biomarkers.get("gene:" + g, [])
            if not fs and pf.biomarkers.get("no_driver"):
                fs = pf.biomarkers["no_driver"]
                parts.append(_T(False, f"no driver alteration ({fs[-1].text})", fs[-1:]))
                continue
            if fs:
                f = fs[-1]
                parts.append(_T(bool(f.value), f"{g} {f.text}", [f]))
            else:
                parts.append(_T(None, f"{g} status not stated", silent=True, assumable=crit.type == "exclusion" and not pf.has_cancer))
    if re.search(r"msi-?h|dmmr|mismatch repair|microsatellite", t) and not re.search(r"(?:irrespective|regardless) of (?:microsatellite|msi|mismatch|mmr)", t):
        want_high = not re.search(r"microsatellite[- ]stable|\bmss\b|pmmr|proficient", t)
        fs = pf.biomarkers.get("msi_high", [])
        if fs:
            parts.append(_T(bool(fs[-1].value) == want_high, f"{fs[-1].text}", fs[-1:]))
        else:
            parts.append(_T(None, "MSI / MMR status not stated", silent=True))
    if not parts:
        return _T(None, "biomarker requirement not recognised", silent=True)
    if crit.type == "exclusion" and len(parts) > 1:
        if any(p.value is True for p in parts):
            return next(p for p in parts if p.value is True)
        if all(p.value is False for p in parts):
            return _T(False, "; ".join(p.reason for p in parts), [e for p in parts for e in p.evidence])
        return _T(None, "; ".join(p.reason for p in parts if p.value is None), [e for p in parts for e in p.evidence],
                  silent=all(p.silent for p in parts if p.value is None), assumable=all(p.assumable for p in parts if p.value is None))
    return _combine_and(parts)


# ------------------------------------------------------------------ free text

_HIST_MODE = re.compile(r"\bhistory of\b|\bprior\b|\bprevious\w*\b|\bever\b|\bpast\b|\bhad\b|\bknown\b", re.I)
_CURRENT_MODE = re.compile(r"\bactive\b|\bcurrent\w*\b|\bongoing\b|\bat the time of\b|\bpresent\b|\bacute\b|\buncontrolled\b|\bunresolved\b", re.I)

# a functional class / grade the condition must have ("Class III or IV congestive heart failure", "heart failure
# (NYHA IV)", "COPD GOLD 3-4"): a mention of the condition without any class does not settle it
_CLASS_REQ = re.compile(r"\b(?:nyha|ccs|gold|functional\s+class|class|grade)\s*(?:[IV]{1,4}|[1-4])\b", re.I)
_CLASS_GIVEN = re.compile(r"\b(?:nyha|ccs|gold|class|grade|stage)\s*(?:[IV]{1,4}|[1-4]|[a-d])\b", re.I)


# a dose the criterion asks for ("at least 60 mg furosemide / 12 hours"): the drug alone does not settle it
_DOSE_RE = re.compile(r"\d\s*(?:mg|mcg|µg|ug|g|iu|units?|ml)\b", re.I)


def _class_required(text: str, phrase_text: str) -> bool:
    """Is this alternative of the criterion qualified by a class / grade (the marker inside it, right before it, or
    in brackets right after it)?"""
    if _CLASS_REQ.search(phrase_text):
        return True
    k = text.find(phrase_text)
    if k < 0:
        return False
    for m in _CLASS_REQ.finditer(text):
        if 0 <= k - m.end() <= 12 or 0 <= m.start() - (k + len(phrase_text)) <= 3:
            return True
    return False


def _top_level_parts(text: str, sep: str = ";") -> list[str]:
    out, depth, cur = [], 0, []
    for ch in text:
        depth += ch == "("
        depth -= ch == ")" and depth > 0
        if ch == sep and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return [p for p in out if re.search(r"[a-z]{3}", p, re.I)]


def _freetext_eval(pf: PatientFacts, text: str, crit: ParsedCriterion, window: float | None = None) -> Truth:
    # "history of, or current, X" / "current or past X": either one; "current" is no qualifier the condition must have
    text = re.sub(r"\b(?:(?:a\s+)?history\s+of|prior|previous|past)\s*,?\s*(?:or|and/or)\s+(?:current|active|ongoing|present)\s*,?\s*|"
                  r"\b(?:current|active|ongoing|present)\s*,?\s*(?:or|and/or)\s+(?:(?:a\s+)?history\s+of|prior|previous|past)\s*,?\s*",
                  "history of ", text, flags=re.I)
    if crit.type == "exclusion":
        parts = _top_level_parts(re.sub(r",?\s+or\s+(?=(?:a\s+)?(?:history|prior|previous|known|current|active|any|suspected)\b)", ";", text, flags=re.I))
        if len(parts) > 1:
            # "X requiring intervention; Y": independent excluding conditions
            rs = [_freetext_eval(pf, p_, crit, window) for p_ in parts]
            if any(r.value is True for r in rs):
                return next(r for r in rs if r.value is True)
            if all(r.value is False or (r.value is None and r.silent and r.assumable) for r in rs) and any(r.value is False for r in rs):
                return _T(False, "; ".join(r.reason for r in rs if r.value is False), [e for r in rs for e in r.evidence])
            unk = [r for r in rs if r.value is None]
            if all(r.silent and r.assumable for r in unk) and len(unk) == len(rs):
                return _T(None, "; ".join(r.reason for r in unk)[:300], silent=True, assumable=True)
            nz = [r for r in unk if not (r.silent and r.assumable)]
            return _T(None, "; ".join(r.reason for r in nz)[:300], [e for r in nz for e in r.evidence], silent=all(r.silent for r in nz))
    groups = criterion_groups(text, crit.type)
    if not groups:
        return _T(None, "criterion has no clinical terms to check", silent=True, assumable=True)
    hist_mode = bool(_HIST_MODE.search(text))
    cur_mode = bool(_CURRENT_MODE.search(text)) and not hist_mode
    if window is None:
        window = parse_window_cached(text)
    group_results: list[tuple[str, list, str]] = []  # (state, evidence mentions, reason)
    for g in groups:
        best_state = "silent"
        best_ev: list = []
        best_reason = ""
        # a severity that contradicts the criterion's ("severe" for "mild") outranks a mention silent on severity
        order = {"true": 5, "contra": 4.5, "qual": 4, "uncertain": 3, "time": 3, "partial": 2, "false": 1, "silent": 0}
        for ph in g.alternatives:
            for m in find_mentions(pf, ph):
                if m.family or m.hypothetical:
                    continue
                if m.partial:
                    st = "partial"
                    reason = f"only part of “{ph.text.strip()}” is described"
                    if crit.type == "exclusion":
                        st = "false"
                        reason = f"only part of “{ph.text.strip()}” applies (not the whole condition)"
                elif m.negated:
                    st = "false"
                    reason = f"“{ph.text}” denied"
                elif m.resolved and re.search(r"\b(?:active|uncontrolled|current|requiring|ongoing)\b", text, re.I):
                    st = "false"
                    reason = f"“{pf.text[m.start:m.end]}” is cured / controlled, not active"
                elif m.uncertain:
                    st = "uncertain"
                    reason = f"“{ph.text}” possible but not confirmed"
                elif "mild-contradicted" in m.missing_quals:
                    st = "contra"
                    reason = f"“{ph.text.strip()}”: the patient's condition is described as severe, not mild"
                elif not m.qualifiers_ok:
                    st = "qual"
                    reason = f"{ph.text.strip()}: described, but not as {' / '.join(sorted(m.missing_quals))}"
                    if crit.type == "exclusion" and m.missing_quals <= {"severe", "major"}:
                        st = "false"
                else:
                    st = "true"
                    reason = f"“{ph.text.strip()}” is described"
                    allow = _exception_allows(pf, m, crit) if crit.type == "exclusion" else None
                    if allow:
                        st, reason = "false", f"“{pf.text[m.start:m.end]}” is {allow}, which the criterion allows"
                    if st == "true" and _class_required(text, ph.text) and not _CLASS_GIVEN.search(evidence_sentence(pf, m)):
                        st, reason = "qual", f"{ph.text.strip()}: described, but its class / grade is not stated"
                    elif st == "true" and _DOSE_RE.search(ph.text) and not _DOSE_RE.search(evidence_sentence(pf, m)):
                        st, reason = "qual", f"{ph.text.strip()}: the drug is described, but not its dose"
                    dur = _min_duration(text) if st == "true" else None
                    pdur = _patient_duration(pf, m) if dur else None
                    if dur and pdur is not None and pdur < dur:
                        st, reason = "false", f"“{ph.text.strip()}” for {pdur:g} days, shorter than required"
                    elif window is not None:
                        if m.days_ago is not None and not (m.historical and m.days_ago < 1):
                            # ("prior MI" in a sentence about what happened "today": the day is the presentation's)
                            if m.days_ago > window:
                                st, reason = "false", f"“{ph.text.strip()}” was more than {window:g} days ago"
                        elif m.historical:
                            st, reason = "time", f"“{ph.text.strip()}” in the past; timing vs the {window:g}-day window not stated"
                    elif cur_mode and m.historical and m.days_ago is not None and m.days_ago > 180:
                        st, reason = "false", f"“{ph.text.strip()}” is past history, not current"
                if order[st] > order[best_state] or (order[st] == order[best_state] and st == "false"):
                    if order[st] > order[best_state]:
                        best_ev = []
                    best_state, best_reason = st, reason
                    best_ev.append(m)
        group_results.append(("false" if best_state == "contra" else best_state, best_ev, best_reason))
    states = [s for s, _, _ in group_results]
    ev_m = [m for _, ms, _ in group_results for m in ms[:2]]
    ev = [Fact("mention", m.phrase.text, m.start, m.end, pf.text[m.start:m.end], m.negated) for m in ev_m]
    reasons = [r for s, _, r in group_results if r]
    reason = "; ".join(dict.fromkeys(reasons))[:300]
    if all(s == "true" for s in states):
        return _T(True, reason, ev)
    if any(s == "false" for s in states) and not any(s == "true" for s in states):
        # for inclusion all groups must hold; for exclusion the statement needs all groups too
        return _T(False, reason, ev)
    if any(s == "false" for s in states) and crit.type == "inclusion":
        return _T(False, reason, ev)
    if all(s == "silent" for s in states):
        what = "; ".join(a.text.strip() for a in groups[0].alternatives[:3])
        has_concept = any(u[0] != "stem" for g in groups for a in g.alternatives for u in a.units)
        healthy = _declared_healthy(pf) if crit.type == "inclusion" else None
        if healthy is not None and _names_illness(groups[0]) and not _ABOUT_OTHERS.search(text) and not is_measure(text):
            # a required illness the note does not mention, in a patient it describes as free of medical history
            return _T(False, f"not mentioned: {what[:100]}, and the patient is described as having no medical history "
                             f"({healthy.group(0)})", [Fact("mention", "healthy", healthy.start(), healthy.end(), healthy.group(0))])
        assumable = crit.type == "exclusion" and (has_concept or not is_measure(text))
        return _T(None, f"not mentioned: {what[:120]}", silent=True, assumable=assumable)
    if crit.type == "exclusion" and all(s in ("silent", "false") for s in states):
        return _T(False, reason, ev)
    if crit.type == "exclusion" and states[0] in ("silent", "false"):
        # the excluding condition itself (first clause) is absent; a later clause alone does not exclude
        return _T(None if states[0] == "silent" else False, "not mentioned: " + "; ".join(a.text.strip() for a in groups[0].alternatives[:2])[:120],
                  silent=True, assumable=True)
    if crit.type == "exclusion" and any(s == "true" for s in states) and all(s in ("true", "silent") for s in states):
        # main condition present, its qualifier clause is not stated
        return _T(None, reason + "; the rest of the criterion is not stated", ev)
    return _T(None, reason or "partly described", ev)


# the note says the patient has no (other) medical history: an illness it does not name is absent
_HEALTHY_RE = re.compile(
    r"\bno (?:significant |relevant |known |other |prior |underlying |previous )*(?:past )?medical (?:history|problems|issues|conditions|illness\w*)\b|"
    r"\b(?:past )?medical history (?:is |was )?(?:unremarkable|non-?contributory|negative|not significant|insignificant)\b|"
    r"\bno (?:known )?(?:medical|health) problems\b|\b(?:otherwise|previously|generally) (?:healthy|well)\b|"
    r"\bno (?:positive )?history (?:for|of) any (?:underlying )?(?:disease|illness|condition)s?\b|\bno underlying (?:diseases?|conditions?|illness\w*|medical)\b|"
    r"\bhealthy (?:\d+[- ](?:year|yr)[- ]old\s+)?(?:man|woman|male|female|boy|girl|child|infant|adult)\b", re.I)
_ABOUT_OTHERS = re.compile(r"\bfamil\w*|\bparents?\b|\bsiblings?\b|\brelatives?\b|\bmother\b|\bfather\b|\bchild(?:ren)?\b|\bpartner\b|\bspouse\b", re.I)


def _declared_healthy(pf: PatientFacts):
    m = _HEALTHY_RE.search(pf.text)
    if m is None:
        return None
    a = pf.doc.assertion_chars(m.start(), m.end())
    return None if a.family or a.hypothetical else m


def _names_illness(g) -> bool:
    """The group names a disease or symptom of the vocabulary (not a state such as pregnancy, nor a procedure)."""
    return any(k == "concept" and v not in _NOT_ILLNESS and v not in _ACUTE_STATES for a in g.alternatives for k, v in a.units)


# acute states a note shows through vital signs and findings rather than by name: "no past medical history" says
# nothing about them
_ACUTE_STATES = ("trauma", "head_injury", "shock", "hypotension", "ards", "respiratory_failure", "respiratory_distress", "aki",
                 "oliguria", "infection", "pneumonia", "bleeding", "gi_bleeding", "dyspnea", "chest_pain", "surgery")


_EXC_QUALS = [("asymptomatic", r"\basymptomatic\b|\bno symptoms\b"), ("stable", r"\bstable\b"), ("minimal", r"\bminimal\b|\bsmall\b(?![- ]cell)|\btrace\b"),
               ("controlled", r"\b(?:well[- ])?controlled\b"), ("resolved", r"\bresolved\b"),
               ("not requiring intervention", r"\bnot requiring (?:\w+ )?(?:intervention|drainage|treatment)|\bno (?:intervention|drainage) (?:needed|required)")]


def _named_by_exception(pf: PatientFacts, m, exc: str) -> bool:
    """The patient's condition is (a kind of) the concept an exception names ("uterine pathology other than
    leiomyoma" and a patient with fibroids)."""
    lex = get_lexicon()
    named = {h.id for h in lex.find(tokenize(exc), ("concept",))}
    i, j = pf.doc.token_range(m.start, m.end)
    return any(h.kind == "concept" and i <= h.i < j and named & lex.concept_ancestors(h.id) for h in pf.doc.hits)


def _exception_allows(pf: PatientFacts, m, crit: ParsedCriterion) -> str | None:
    """A criterion's exception ("asymptomatic, minimal effusion not requiring intervention is allowed") that the
    patient's own sentence about the condition meets."""
    exc = " ".join(crit.exceptions).lower()
    if not exc:
        return None
    if _named_by_exception(pf, m, exc):
        return "named as an exception"
    s0, e0 = pf.doc.sentences[m.sent]
    sent = pf.text[s0:e0].lower()
    for name, pat in _EXC_QUALS:
        if re.search(pat, exc) and re.search(pat, sent) and not re.search(r"\b(?:symptomatic|requir\w+ (?:\w+ )?(?:drainage|intervention|pericardiocentesis|thoracentesis|paracentesis))", sent.replace("asymptomatic", "")):
            return name
    return None


_DUR_RE = re.compile(rf"\b(?:more than|at least|over|longer than|>=?|for at least|lasting(?: at least)?|for more than)\s+({NUM})\s*({TIME_UNIT})", re.I)
_PDUR_RE = re.compile(rf"\b(?:for(?: the (?:last|past))?|over(?: the (?:last|past))?|since)\s+({NUM})\s*({TIME_UNIT})|\b({NUM})\s*-?\s*({TIME_UNIT})\s+(?:of|history of)\b", re.I)


def _min_duration(text: str) -> float | None:
    t = clean(text)
    if re.search(r"\bwithin\b|\bprior to\b|\bbefore\b|\bago\b|\bsince\b", t, re.I):
        return None
    m = _DUR_RE.search(t)
    if not m:
        return None
    return to_days(m.group(1), m.group(2))


def _patient_duration(pf: PatientFacts, m) -> float | None:
    s0, e0 = pf.doc.sentences[m.sent]
    mm = _PDUR_RE.search(pf.text[s0:e0])
    if not mm:
        return None
    return to_days(mm.group(1) or mm.group(3), mm.group(2) or mm.group(4))


_window_cache: dict[str, float | None] = {}


def parse_window_cached(text: str) -> float | None:
    if text not in _window_cache:
        from .criteria import parse_window
        _window_cache[text] = parse_window(text)
    return _window_cache[text]


def _freetext(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    return _freetext_eval(pf, c.params["text"], crit, c.params.get("window"))


_HOME_PEOPLE = re.compile(r"\b(?:\d{1,2}|one|two|three)[- ]?(?:year|month)[- ]?olds?\b[^.;]{0,20}\b(?:at home|in the house)\b|\b(?:toddler|baby|infant|"
                          r"grandchild(?:ren)?|kids|children|pregnant (?:wife|daughter|partner))\b[^.;]{0,30}\b(?:at home|live with|living with|lives with)\b|"
                          r"\b(?:live|living|lives) with (?:my|his|her|their|our)\b[^.;]{0,40}", re.I)  # not "living with HIV"


def _household(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    """A criterion about the people the patient lives with: the study team asks; what the patient said of them is
    shown as the deciding words."""
    m = _HOME_PEOPLE.search(pf.text)
    if m:
        f = Fact("mention", "household", m.start(), m.end(), m.group(0))
        return _T(None, f"about the people at home ({m.group(0).strip()}): to be discussed with the study team", [f])
    return _T(None, "about the people the patient lives with: not described")


# ------------------------------------------------------------------ combination and verdicts

_EVAL = {"healthy": lambda pf, c, crit: _healthy(pf, c, crit), "age": _age, "sex": _sex, "consent": _consent, "compliance": _compliance, "trial_participation": _participation,
         "pregnancy": _pregnancy, "pain": _pain, "contraception": _contraception, "ps": _ps, "labs": _labs, "brain_mets": _brain,
         "leptomeningeal": _lepto, "therapy": _therapy, "lines": _lines, "steroids": _steroids, "infection": _infection,
         "other_malignancy": _other_malignancy, "transplant": _transplant, "hypersensitivity": _hypersens,
         "diagnosis": _diagnosis, "histology": _histology, "stage": _stage,
         "biomarker": _biomarker, "freetext": _freetext, "household": _household,
         "adverse_event": OC.adverse_event, "life_expectancy": OC.life_expectancy, "organ_function": OC.organ_function,
         "washout": OC.washout, "measurable": OC.measurable, "progression": OC.progression, "platinum": OC.platinum,
         "conditional": OC.conditional, "all_of": OC.all_of, "child_pugh": OC.child_pugh, "scale": OC.scale}


def _combine_and(rs: list[Truth]) -> Truth:
    if not rs:
        return _T(None, "nothing to check", silent=True)
    fails = [r for r in rs if r.value is False]
    if fails:
        return fails[0]
    if all(r.value is True for r in rs):
        return _T(True, "; ".join(r.reason for r in rs), [e for r in rs for e in r.evidence])
    unk = [r for r in rs if r.value is None]
    return _T(None, "; ".join(r.reason for r in unk), [e for r in rs for e in r.evidence],
              silent=all(r.silent for r in unk), assumable=all(r.assumable for r in unk))


def _evidence_texts(pf: PatientFacts, facts: list[Fact]) -> list[str]:
    out: list[str] = []
    for f in facts:
        if f is None or f.start is None:
            continue
        s = pf.text[f.start:f.end].strip()
        if s and s not in out:
            out.append(s)
    return out[:4]


# facts that do not by themselves make a person unwell ("healthy volunteers"): states, exposures, benign skin lesions
_NOT_ILLNESS = ("smoking", "pregnancy", "menopause", "postpartum", "lactation", "allergy", "surgery", "transplant", "skin_lesion")


def _healthy(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    ill = [f for f in pf.conditions if f.affirmed and not f.historical and f.value not in _NOT_ILLNESS]
    if ill:
        return _T(False, f"patient has {ill[0].text}", ill[:1])
    m = re.search(r"\b(?:generally |otherwise |previously )?healthy\b|\bno (?:past )?medical (?:history|problems)\b|\bno health problems\b", pf.text, re.I)
    if m:
        return _T(True, "described as healthy", [Fact("mention", "healthy", m.start(), m.end(), m.group(0))])
    return _T(None, "general health not described", silent=True)


def crit_truth(pf: PatientFacts, crit: ParsedCriterion) -> Truth:
    """Does the criterion's statement hold for the patient (its checks taken together)?"""
    results = []
    for c in crit.checks:
        fn = _EVAL.get(c.kind, _freetext)
        r = fn(pf, c, crit)
        if crit.type == "exclusion" and len(crit.checks) > 1 and r.value is None and r.silent and r.assumable:
            # one part of an excluding conjunction is assumed absent -> the whole statement is false
            r = _T(False, r.reason + " (assumed absent)", r.evidence)
        results.append((c, r))
        if c.kind == "contraception" and r.value is True and crit.type == "exclusion":
            return r  # hormonal contraceptives named among the drugs an exclusion lists: one of them is enough
    return _combine_and([r for _, r in results])


# Exclusions about the patient's prognosis or about events of the study itself (randomisation, imaging that
# could not be processed, a surgeon's intra-operative decision, death during admission): a note's silence does not
# mean they are absent - they are not yet known.
_UNSETTLED = re.compile(
    r"\bmoribund\b|\b(?:not|never)\s+(?:be\s+)?(?:expected|likely)\s+to\s+(?:survive|live)|\bwill\s+not\s+survive|\bnot\s+survive\b|"
    r"\bexpected\s+to\s+(?:die|recover)|\b(?:dies|died)\s+(?:during|before|within)|\bdead\s+on\s+arrival|\baffect\w*\s+(?:the\s+)?(?:patient'?s?\s+)?survival|"
    r"\bimminent(?:ly)?\s+(?:death|dying)|\b(?:not|cannot\s+be|unable\s+to\s+be)\s+randomi[sz]ed|\brandomi[sz]ed\s+(?:by|within|after)\b|"
    r"\b(?:images?|scans?|data|samples?)\s+(?:\w+\s+)?(?:unable|cannot|could not|can't)\s+(?:to\s+)?be\s+(?:processed|analy[sz]ed|evaluated|obtained)|"
    r"\btime\s*points?\s+not\s+(?:collected|obtained|available)|\bintra-?operative(?:ly)?\b|\bsurgeon\s+decides?\b|"
    r"\bwithdrawn\s+from\s+(?:further|the\s+study)|\bwill\s+not\s+be\s+(?:invited|contacted|recruited)|"
    r"(?-i:\b[cpy]?T(?:[0-4][a-d]?|is|x)\s*,?\s*N[0-3x])", re.I)  # a TNM stage needs the staging work-up


# a criterion cut short ("Taking certain types of medications may be an") or a list header whose items are not
# given ("... would preclude participation in the study or:"): its condition is not all there to assume absent
_INCOMPLETE = re.compile(r"(?:\b(?:a|an|the|of|to|or|and|be|with|for|may|by|in|than|such as|e\.g)|[:,(])\s*$", re.I)


def status_of(crit: ParsedCriterion, truth: Truth) -> tuple[str, str]:
    """(status, reason) of a criterion whose statement has this truth."""
    if crit.type == "inclusion":
        if truth.value is True:
            status, reason = "meets", truth.reason
        elif truth.value is False:
            status, reason = "fails", truth.reason
        else:
            status, reason = "unknown", truth.reason
    else:
        if truth.value is True:
            status, reason = "fails", truth.reason
        elif truth.value is False:
            status, reason = "meets", truth.reason
        elif truth.silent and truth.assumable and not crit.negated_inclusion and _UNSETTLED.search(crit.text):
            status, reason = "unknown", truth.reason + " (prognosis, staging or an event of the study itself: silence in the note does not settle it)"
        elif truth.silent and truth.assumable and not crit.negated_inclusion and _INCOMPLETE.search(crit.text.strip()):
            status, reason = "unknown", truth.reason + " (the criterion's text is incomplete: its condition cannot be assumed absent)"
        elif truth.silent and truth.assumable and not crit.negated_inclusion:
            status, reason = "meets", truth.reason + " (assumed absent)"
        else:
            status, reason = "unknown", truth.reason
    return status, reason


_NO_AND_NO = re.compile(r"\s*(?:[,;]\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+)(?=no\s+\w)", re.I)


def _exclusion_parts(crit: ParsedCriterion) -> list[str] | None:
    """The independent exclusions one criterion text holds: the items of a lettered list under a header
    ("Following prior treatments are not eligible. A) ... B) ..."), or the parts of "No adjuvant chemotherapy within
    6 months, and no taxane within 12 months"; None for a single exclusion."""
    if crit.type != "exclusion":
        return None
    items = lettered_items(crit.text)
    if items:
        return items
    if not re.match(r"\W*no\s", crit.text, re.I):
        return None
    parts = [p for p in _NO_AND_NO.split(crit.text) if p.strip()]
    if len(parts) < 2:
        return None
    return [re.sub(r"^\W*no\s+", "", part.strip(), flags=re.I).rstrip(" .;") for part in parts]


def _separate_exclusions(pf: PatientFacts, crit: ParsedCriterion) -> CriterionVerdict | None:
    """Each part of a criterion that holds several exclusions is checked on its own; any part that fails rules the
    patient out."""
    parts = _exclusion_parts(crit)
    if parts is None:
        return None
    crits = [parse_criterion(body, "exclusion") for body in parts]
    verdicts = [evaluate(pf, c) for c in crits]
    prefix = f"(read as an {crit.type}) " if crit.flipped else ""
    for wanted in ("fails", "unknown"):
        hit = next(((c, v) for c, v in zip(crits, verdicts) if v.status == wanted), None)
        if hit is not None:
            part, v = hit
            out = CriterionVerdict(wanted, prefix + v.reason, v.patient_evidence, v.kind, crit.importance, crit.type)
            if wanted == "unknown":
                out.question, out.question_patient = question_for(pf, part, v)  # asked about the part, not the whole text
            return out
    first = verdicts[0]
    return CriterionVerdict("meets", prefix + first.reason, [e for v in verdicts for e in v.patient_evidence], first.kind, crit.importance, crit.type)


def evaluate(pf: PatientFacts, crit: ParsedCriterion) -> CriterionVerdict:
    split = _separate_exclusions(pf, crit)
    if split is not None:
        return split
    main_kinds = [c.kind for c in crit.checks]
    truth = crit_truth(pf, crit)
    kind = next((k for k in main_kinds if k not in ("age", "sex")), main_kinds[0] if main_kinds else "freetext")
    ev = _evidence_texts(pf, truth.evidence)
    prefix = "" if not crit.flipped else f"(read as an {crit.type}) "
    status, reason = status_of(crit, truth)
    reason = prefix + (reason[:1].upper() + reason[1:] if reason else "")
    if crit.type == "inclusion" and status == "unknown" and truth.silent:
        other = _other_procedure_now(pf, crit.text)
        if other:
            status, reason, ev = other
    if crit.type == "exclusion" and status == "meets":
        named = _named_example_given(pf.text, crit.text) or _acute_illness_now(pf, crit.text)
        if named:
            status, reason, ev = named
    if crit.type == "exclusion" and status == "meets" and truth.silent and not ev and _recent_exposure_unsettled(pf, crit, main_kinds):
        status, reason = "unknown", prefix + (truth.reason[:1].upper() + truth.reason[1:] + " - the note lists no medications, so exposure in the weeks before the study "
                                     "cannot be assumed absent (confirmed at screening)")
    return CriterionVerdict(status, reason, ev, kind, crit.importance, crit.type)


# a washout window counted back from the study's start ("within 3 months prior to the first dose", "4 weeks preceding
# the administration of ...", "30 days prior to enrollment")
_STUDY_START_WINDOW = re.compile(
    r"\b(?:within|in|during)\s+(?:the\s+)?(?:last\s+|past\s+|preceding\s+)?\d+\s*(?:hours?|days?|weeks?|months?)\b[^.;]{0,40}?"
    r"\b(?:prior\s+to|before|preceding)\s+(?:the\s+)?(?:first\s+dose|study|trial|entry|enrol\w*|randomi[sz]\w*|screening|baseline|"
    r"administration|initiation|inclusion|start|day\s+1)|\b\d+\s*(?:hours?|days?|weeks?|months?)\s+(?:prior\s+to|before|preceding)\s+"
    r"(?:the\s+)?(?:first\s+dose|study|trial|entry|enrol\w*|randomi[sz]\w*|screening|baseline|administration|initiation|inclusion|start|day\s+1)", re.I)
_EXPOSURE_WORDS = re.compile(r"\b(?:vaccin\w*|immuni[sz]ation|transfusion|blood products?|medications?|drugs?|treatment|therapy|"
                             r"inhibitors?|inducers?|injections?|agents?)\b", re.I)


def _recent_exposure_unsettled(pf: PatientFacts, crit: ParsedCriterion, kinds: list[str]) -> bool:
    """A drug / vaccine / therapy exclusion bounded by a window before the study starts, in a note that gives no
    medication list: whether the patient had it in those weeks is a screening-visit question."""
    if pf.meds_reported or any(f.affirmed for f in pf.drugs):
        return False
    if "trial_participation" in kinds or not _STUDY_START_WINDOW.search(crit.text):
        return False
    for m in _EXAMPLES.finditer(crit.text):  # the note names one of the drugs the criterion lists: it speaks to them
        body = m.group(1) or m.group(2) or ""
        for name in (n.strip(" .") for n in re.split(r",|;|\bor\b|\band\b", body)):
            if len(name) >= 3 and set(re.findall(r"[a-z]+", name.lower())) - _GENERIC_NAME_WORDS and \
                    re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", pf.text, re.I):
                return False
    return any(k in ("therapy", "steroids", "washout") for k in kinds) or bool(_EXPOSURE_WORDS.search(crit.text))


_EXAMPLES = re.compile(r"\((?:e\.g\.|eg|such as|including|i\.e\.)[,:]?\s*([^()]{3,200})\)|\bsuch as\s+([^.;()]{3,200})", re.I)
_INVASION = re.compile(r"\b(?:invad\w*|invasion|infiltrat\w*|encas\w*|abut\w*)\b", re.I)
_NEG_BEFORE = re.compile(r"\b(?:no|not|never|denies|denied|without|nor)\b[^.;]{0,30}$", re.I)
_AGO = re.compile(r"^[^.;]{0,60}?\b(\d+(?:\.\d+)?)\s*(day|week|month|year)s?\s+ago", re.I)
_WINDOW = re.compile(r"\bwithin\s+(\d+(?:\.\d+)?)\s*(day|week|month|year)s?", re.I)
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}
_GENERIC_NAME_WORDS = set("""a an the of in on to with for by any other others history known prior previous current
    active severe significant disease diseases disorder disorders condition conditions patient patients use treatment therapy
    drugs drug medication medications agents agent etc e g ie""".split())


_ACUTE_CRIT = re.compile(r"\bacute(?:ly)?\s+(?:\w+\s+)?(?:disease|illness|ill|condition)s?\b|\b(?:acute\s+)?febrile\s+illness|\bintercurrent\s+illness", re.I)
_ACUTE_PT = re.compile(r"\b(?:presents?|presented|presenting|brought|admitted|comes?|came)\b[^.;]{0,60}?\b(?:ER|ED|emergency\s+(?:department|room|ward|unit)|A&E|ICU|intensive\s+care)\b|"
                       r"\b(?:immediately|urgently|acutely)\s+(?:hospitali[sz]ed|admitted)\b|\b(?:taken|transferred)\s+to\s+the\s+(?:ICU|intensive care)", re.I)


def _acute_illness_now(pf: PatientFacts, criterion: str):
    """An exclusion of an acute illness at enrolment ("acute disease at the time of enrolment", "acute febrile
    illness") and a patient described as presenting now with an acute problem (to the emergency department,
    admitted or hospitalised): fails."""
    m = _ACUTE_CRIT.search(criterion)
    if not m or re.search(r"\b(?:history of|prior|previous|within the (?:last|past))\b", criterion[:m.start()], re.I):
        return None
    for pm in _ACUTE_PT.finditer(pf.text):
        si = next((i for i, (a, b) in enumerate(pf.doc.sentences) if a <= pm.start() < b), None)
        if si is None or si in pf.doc.family_sentences:
            continue
        a = pf.doc.assertion_chars(pm.start(), pm.end())
        if a.negated or a.hypothetical or a.historical:
            continue
        return "fails", "The patient presents with an acute illness now, which this criterion excludes", [pf.text[pm.start():pm.end()]]
    return None


_UNDERGOING_CRIT = re.compile(r"^\W*(?:(?:adult\s+|adults\s+|all\s+)?(?:patients?|subjects?|participants?|individuals?)\s+(?:who\s+(?:are|is)\s+)?)?"
                              r"(?:undergoing|scheduled\s+(?:for|to\s+undergo)|planned\s+for|awaiting|listed\s+for)\s+(?:an?\s+)?(?P<proc>[^.;]{4,120})", re.I)
_PROC_WORD = r"\w*(?:ectomy|otomy|ostomy|plasty|scopy|ization|isation|surgery|repair|bypass|transplant\w*|intervention|operation|grafting|revasculari[sz]ation|resection|amputation)"
_PT_PROC = re.compile(rf"\b(?:underwent|undergoes|has\s+undergone|had|is\s+undergoing)\s+(?:an?\s+|the\s+)?(?:[\w-]+\s+){{0,3}}?(?P<p>{_PROC_WORD})\b", re.I)
_RECENT = re.compile(r"\b(?:earlier\s+(?:in\s+the\s+morning|today|this\s+morning|in\s+the\s+day)|this\s+morning|today|yesterday|just|shortly|hours?\s+(?:ago|earlier)|"
                     r"(?:a\s+few|\d+|one|two|three)\s+hours?\s+(?:ago|earlier|before))\b", re.I)


def _other_procedure_now(pf: PatientFacts, criterion: str):
    """An inclusion for patients undergoing a named procedure, and a note that documents the procedure the patient
    has just undergone - a different one (no content word in common): fails."""
    m = _UNDERGOING_CRIT.match(clean(criterion))
    if not m:
        return None
    want = {w[:5] for w in re.findall(r"[a-z]{4,}", m.group("proc").lower())} - {"elect", "emerg", "plann", "sched", "patie", "under"}
    if not want:
        return None
    for pm in _PT_PROC.finditer(pf.text):
        si = next((i for i, (a, b) in enumerate(pf.doc.sentences) if a <= pm.start() < b), None)
        if si is None or si in pf.doc.family_sentences:
            continue
        sent = pf.doc.sentence_text(si)
        if not _RECENT.search(sent):
            continue
        if pm.group("p").lower() in ("surgery", "surgeries", "operation", "operations", "intervention", "interventions"):
            continue  # an unnamed operation may be the very one the criterion names
        got = {w[:5] for w in re.findall(r"[a-z]{4,}", pm.group(0).lower())}
        if got & want:
            return None
        a = pf.doc.assertion_chars(pm.start(), pm.end())
        if a.negated or a.hypothetical:
            continue
        return ("fails", f"The patient has just undergone a different procedure ({pm.group('p')}), not the one this criterion requires",
                [pf.text[pm.start():pm.end()]])
    return None


def _named_example_given(patient: str, criterion: str):
    """An exclusion that names examples ("immunomodulatory drugs (e.g., thymosin, interferon) within 14 days") and a
    patient who names one of them: fails (or unknown when the timing cannot be placed), unless it was longer ago
    than the window."""
    if _INVASION.search(criterion):
        return None  # the examples are the sites a tumour invades: a patient naming the organ ("her heart") is not invasion
    names = []
    for m in _EXAMPLES.finditer(criterion):
        body = m.group(1) or m.group(2) or ""
        names += [n.strip(" .") for n in re.split(r",|;|\bor\b|\band\b", body) if 3 <= len(n.strip(" .")) <= 40]
    if not names:
        return None
    window = _WINDOW.search(criterion)
    window_days = float(window.group(1)) * _UNIT_DAYS[window.group(2).lower()] if window else None
    for name in names:
        if not set(re.findall(r"[a-z]+", name.lower())) - _GENERIC_NAME_WORDS:
            continue  # "history", "other", "any": coordination words, not named examples
        m = re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", patient, re.I)
        if not m or _NEG_BEFORE.search(patient[max(0, m.start() - 40) : m.start()]):
            continue
        ago = _AGO.match(patient[m.start() :])
        if window_days is not None and ago:
            days = float(ago.group(1)) * _UNIT_DAYS[ago.group(2).lower()]
            if days > window_days:
                return None
        status = "fails" if window_days is None or ago else "unknown"
        why = f"the patient names {name}, which this criterion lists" + ("" if status == "fails" else "; when was it last given?")
        return status, why[:1].upper() + why[1:], [patient[m.start() : m.end()]]
    return None


def check_criterion(patient: str, criterion: str, criterion_type: str) -> CriterionVerdict:
    """Verdict of one criterion for a patient description (raw strings, no index, no network)."""
    if not isinstance(criterion, str) or not criterion.strip():
        return CriterionVerdict("unknown", "no criterion text", [], "freetext", "minor", criterion_type)
    pf = extract_patient(patient if isinstance(patient, str) else "")
    crit = parse_criterion(criterion, criterion_type)
    v = evaluate(pf, crit)
    if v.status == "unknown":
        v.question, v.question_patient = question_for(pf, crit, v)
    return v


# ------------------------------------------------------------------ follow-up questions

def _who(pf: PatientFacts) -> tuple[str, str, str]:
    """(subject noun, pronoun, possessive) for patient-facing questions."""
    if pf.perspective == "caregiver" and pf.relation:
        sex = RELATION_SEX.get(pf.relation)
        pro = "he" if sex == "male" else "she" if sex == "female" else "they"
        pos = "his" if sex == "male" else "her" if sex == "female" else "their"
        return f"your {pf.relation}", pro, pos
    return "you", "you", "your"


RELATION_SEX = {"mum": "female", "mom": "female", "mother": "female", "wife": "female", "daughter": "female",
                "sister": "female", "grandmother": "female", "grandma": "female", "aunt": "female", "nan": "female",
                "dad": "male", "father": "male", "husband": "male", "son": "male", "brother": "male",
                "grandfather": "male", "grandpa": "male", "uncle": "male", "granddad": "male"}


def _has(subj: str) -> str:
    return "have" if subj == "you" else "has"


def _is(subj: str) -> str:
    return "are" if subj == "you" else "is"


def question_for(pf: PatientFacts, crit: ParsedCriterion, v: CriterionVerdict) -> tuple[str, str]:
    subj, pro, pos = _who(pf)
    has, is_ = _has(subj), _is(subj)
    k = v.kind
    short = crit.text.strip()
    if len(short) > 140:
        short = short[:137].rsplit(" ", 1)[0] + "…"
    lex = get_lexicon()
    if k == "brain_mets" or k == "leptomeningeal":
        return ("Brain imaging (MRI/CT) result: any brain or leptomeningeal metastases? If so, treated, stable, symptomatic, on steroids?",
                f"{has.capitalize()} {subj} had a brain scan (MRI or CT) since {pro} {'were' if subj == 'you' else 'was'} diagnosed, and did it show any spread to the brain? If so, was it treated?")
    if k == "ps":
        return ("ECOG performance status?",
                f"How active {is_} {subj} day to day: working or doing normal activities, up and about but unable to work, or resting in bed or a chair for much of the day?")
    if k == "labs":
        names = sorted({L.ANALYTES[t["analyte"]].label for c in crit.checks if c.kind == "labs" for t in c.params["thresholds"]})
        return (f"Recent laboratory values: {', '.join(names)}?",
                f"Do you have {pos if subj != 'you' else 'your'} most recent blood test results? The trial checks {', '.join(names[:5])}.")
    if k == "pregnancy" or k == "contraception":
        return ("Pregnancy / breastfeeding status and contraception (childbearing potential)?",
                f"{is_.capitalize()} {subj} pregnant or breastfeeding, or could {pro} become pregnant during the study?")
    if k == "therapy":
        c = next(c for c in crit.checks if c.kind == "therapy")
        names = [lex.class_label(x) for x in c.params["classes"]] + c.params["drugs"]
        what = ", ".join(names[:3]) or "the named treatment"
        return (f"Prior treatment with {what}: which drugs, dates of last dose, response?",
                f"{has.capitalize()} {subj} ever been treated with {what}? If so, which medicine, and when was the last dose?")
    if k == "lines":
        return ("Number of prior lines of systemic therapy (regimens and progression)?",
                f"How many different cancer treatments (chemotherapy, immunotherapy, targeted drugs) {has} {subj} had so far, and did the cancer grow on them?")
    if k == "steroids":
        return ("Current steroid / immunosuppressant use and dose?",
                f"{is_.capitalize()} {subj} taking steroids (such as prednisone or dexamethasone) or other medicines that calm the immune system? At what dose?")
    if k == "infection":
        return ("HBV / HCV / HIV status (HBsAg, HBV DNA, HCV RNA, HIV serology)?",
                f"{has.capitalize()} {subj} ever had hepatitis B, hepatitis C or HIV? If so, is it treated and under control?")
    if k == "other_malignancy":
        return ("Any other cancer in the past (type, when treated)?",
                f"{has.capitalize()} {subj} had any other kind of cancer before this one? If so, which and when?")
    if k in ("diagnosis", "histology"):
        return ("Confirmed diagnosis and histology (biopsy report)?",
                f"What exact type of cancer {'do' if subj == 'you' else 'does'} {subj} have — what did the biopsy show?")
    if k == "stage":
        return ("Stage / extent of disease (metastatic sites)?",
                "Has the doctor said what stage the cancer is, or where it has spread?")
    if k == "biomarker":
        return ("Tumour biomarker results (e.g. HER2 IHC/ISH, hormone receptors, PD-L1, driver mutations)?",
                "Do you know the results of the tests on the tumour sample (for example HER2, PD-L1 or gene tests)?")
    if k == "measurable":
        return ("Measurable disease per RECIST on recent imaging?",
                f"Do {pos if subj != 'you' else 'your'} recent scans show tumours the doctors can measure?")
    if k == "transplant":
        return ("Any prior organ or stem-cell transplant?", f"{has.capitalize()} {subj} ever had an organ or stem-cell transplant?")
    if k == "hypersensitivity":
        return ("Any known drug allergies or infusion reactions?", f"{has.capitalize()} {subj} ever had an allergic reaction to a medicine?")
    if k in ("consent", "compliance", "trial_participation"):
        return ("Willing and able to consent and attend study visits?",
                f"Would {subj} be willing and able to sign the consent form and come to the study visits?")
    if k == "adverse_event":
        return ("Side effects of earlier treatment: any still above grade 1, or any grade ≥ 3 / immune-related events?",
                f"{has.capitalize()} {subj} had serious side effects from earlier cancer treatment, and are any still there (for example numbness, tiredness)?")
    if k == "life_expectancy":
        return ("Expected survival (investigator's estimate)?", f"Has the doctor said how the outlook is for {pos if subj != 'you' else 'you'} over the next few months?")
    if k == "organ_function":
        return ("Recent blood counts, liver and kidney tests?",
                f"Do you have {pos if subj != 'you' else 'your'} most recent blood test results (blood counts, liver and kidney tests)?")
    if k == "washout":
        return ("Date of the last dose of each anticancer treatment?", f"When did {subj} last receive any cancer treatment?")
    if k == "progression":
        return ("Radiological progression on or after the last treatment (date, imaging)?",
                f"Did the latest scan show that the cancer has grown on or after {pos} last treatment?")
    if k == "platinum":
        return ("Timing of progression relative to the last platinum dose (during, < 6 months, later)?",
                f"How long after {pos} last platinum chemotherapy (carboplatin or cisplatin) did the cancer come back or grow?")
    if k == "child_pugh":
        return ("Child-Pugh class?", f"Has the doctor said how well {pos} liver is working (Child-Pugh score)?")
    if k == "age":
        return ("Patient's age?", f"How old {is_} {subj}?")
    if k == "sex":
        return ("Patient's sex?", "Is the patient male or female?")
    return (f"Does this apply: “{short}”?",
            f"Can you tell us whether this applies to {subj}: “{short}”?")


_KIND_RANK = {"diagnosis": 0, "histology": 1, "stage": 1, "biomarker": 1, "therapy": 2, "lines": 2, "ps": 3,
              "brain_mets": 3, "leptomeningeal": 4, "measurable": 4, "other_malignancy": 5, "infection": 5,
              "steroids": 5, "transplant": 6, "hypersensitivity": 7, "freetext": 6, "age": 2, "sex": 2,
              "labs": 8, "pregnancy": 9, "contraception": 9, "consent": 10, "compliance": 10, "trial_participation": 10}


# ------------------------------------------------------------------ trials

def _cohort_matches(pf: PatientFacts, concepts: set[str]) -> bool | None:
    """Does the patient's tumour type fit a cohort's (None: the cohort or the patient's type is not known)?"""
    lex = get_lexicon()
    if not concepts:
        return None
    pcs = [f for f in pf.cancers if f.value != "cancer" and f.value not in ("carcinoma_in_situ", "basal_cell_skin")]
    pcs = [f for f in pcs if not f.historical] or pcs  # "had breast cancer 6 years ago ... now it's come back"
    if not pcs:
        return None
    for h in concepts:
        for f in pcs:
            if h in lex.concept_ancestors(f.value) or f.value in lex.concept_ancestors(h):
                return True
    return False


_USE_NOW = re.compile(r"\b(?:daily|nightly|every\s+(?:day|morning|evening|night)|each\s+(?:day|morning|evening)|regularly|"
                      r"(?:once|twice|three times)\s+a\s+day|drinks?|uses?|using)\b", re.I)


def _concurrent_use(pf: PatientFacts, v: CriterionVerdict, timing: tuple[bool, float | None] | None) -> CriterionVerdict:
    """An item of a list of what may not be taken concurrently (or within a window before enrolment): the patient
    fails only on current use ("takes a daily aspirin"); past use dated before the window does not exclude; use the
    note does not place in time stays open."""
    if timing is None or not v.patient_evidence:
        return v
    _, window = timing
    ages = []
    for ev in v.patient_evidence:
        i = pf.text.find(ev)
        if i < 0:
            return v
        sent = pf.doc.sentence_text(pf.doc.sentence_of_char(i))
        days = sentence_days_ago(sent)
        past = pf.doc.assertion_chars(i, i + len(ev)).historical or days is not None
        if not past and (_CURRENT_RE.search(sent) or _USE_NOW.search(sent)):
            return v
        ages.append(days if past else "undated")
    if all(d != "undated" and (window is None or (d is not None and d > window)) for d in ages):
        return replace(v, status="meets", reason=f"{v.patient_evidence[0]} was used in the past, not concurrently"
                       + (f" or within {window:g} days" if window else ""))
    return replace(v, status="unknown", reason=f"{v.patient_evidence[0]} is mentioned; whether it is taken now"
                   + (f" or was within {window:g} days" if window else "") + " is not stated")


_OR_END = re.compile(r"[,;]?\s*\bor\W*$", re.I)


_ONE_OF = re.compile(r"\b(?:one or more of|at least one of|any (?:one )?of|one of|either of)\s+the\s+following\b", re.I)


def _one_of_groups(out: list) -> list[list[int]]:
    """Positions in ``out`` of the inclusion items under a header asking for "one or more of the following": the
    sub-list line the layout gives as their context, or a criterion of its own ending in ":" that opens them (then
    the next line ending in ":", another type or another cohort closes the group)."""
    groups: list[list[int]] = []
    k = 0
    while k < len(out):
        _, ci, _, crit = out[k]
        by_context = bool(ci.context and _ONE_OF.search(ci.context))
        opens = _ONE_OF.search(ci.text) and clean(ci.text).rstrip().endswith(":")
        if crit.type != "inclusion" or not (by_context or opens):
            k += 1
            continue
        start = k if by_context else k + 1

        def belongs(j: int) -> bool:
            _, cj, _, pj = out[j]
            if pj.type != "inclusion" or cj.cohort != ci.cohort:
                return False
            return cj.context == ci.context if by_context else not clean(cj.text).rstrip().endswith(":")

        j = start
        while j < len(out) and belongs(j):
            j += 1
        if j - start >= 2:
            groups.append(list(range(start, j)))
        k = max(j, k + 1)
    return groups


def _read_one_of(out: list) -> None:
    """"Participants must have one or more of the following:" — its items are alternatives: one met is enough, an
    item failing rules nothing out while another may still apply."""
    for group in _one_of_groups(out):
        items = [out[k] for k in group]
        met = next((ci for _, ci, v, _ in items if v.status == "meets"), None)
        open_ = any(v.status == "unknown" for _, _, v, _ in items)
        for k in group:
            idx, ci, v, crit = out[k]
            if v.status != "fails":
                continue
            if met is not None:
                v = replace(v, status="meets", reason=f"{v.reason}; one of the alternatives is met: “{met.text.strip()[:80]}”")
            elif open_:
                v = replace(v, status="unknown", reason=f"{v.reason}; only one of the alternatives is needed, and others are not settled")
            out[k] = (idx, ci, v, crit)


def _read_alternatives(pf: PatientFacts, out: list) -> None:
    """Sibling inclusion criteria that are alternatives are read together: one ending in "or" and the next; a
    population ("Leptomeningeal metastasis.") and the next criterion's other population ("Subjects with active brain
    metastases only must ..."). A patient who meets one alternative does not fail the other."""
    def met_by(v: CriterionVerdict, other: CriterionInput) -> CriterionVerdict:
        return replace(v, status="meets", reason=f"{v.reason}; but the patient meets its alternative “{other.text.strip()[:80]}”")

    _read_one_of(out)
    for k in range(len(out) - 1):
        (_, ca, va, pa), (_, cb, vb, pb) = out[k], out[k + 1]
        if pa.type != "inclusion" or pb.type != "inclusion" or ca.cohort != cb.cohort:
            continue
        if _OR_END.search(clean(ca.text)):
            if va.status == "fails" and vb.status == "meets":
                out[k] = (*out[k][:2], met_by(va, cb), pa)
            elif vb.status == "fails" and va.status == "meets":
                out[k + 1] = (*out[k + 1][:2], met_by(vb, ca), pb)
            continue
        only = next((c for c in pb.checks if c.kind == "conditional" and re.search(r"\bonly\b", c.params.get("cond_text", ""), re.I)), None)
        if only is not None and va.status == "fails" and vb.status == "meets" and "conditional" not in pa.kinds \
                and OC.condition_truth(pf, only).value is True:
            out[k] = (*out[k][:2], met_by(va, cb), pa)


def _screen_one(pf: PatientFacts, items: list[tuple[int, CriterionInput]], audience: str,
                mismatch: tuple[str, str] | None = None) -> tuple[str, list, list, list[str], int]:
    out = []
    first_cohort_incl = next((idx for idx, ci in items if ci.cohort and ci.type == "inclusion"), None)
    for idx, ci in items:
        crit = parse_criterion(ci.text, ci.type)
        v = evaluate(pf, crit)
        if v.status == "fails" and crit.type == "exclusion" and ci.prohibited_item:
            v = _concurrent_use(pf, v, header_timing(ci.context))
        if mismatch and idx == first_cohort_incl and v.status != "fails":
            # the cohort is for another tumour type than the patient's
            v = CriterionVerdict("fails", f"This cohort is for {mismatch[0]}; the patient has {mismatch[1]}", v.patient_evidence,
                                 "diagnosis", crit.importance, "inclusion")
        if v.status == "unknown" and v.question is None:
            v.question, v.question_patient = question_for(pf, crit, v)
        out.append((idx, ci, v, crit))
    _read_alternatives(pf, out)
    failing = [(ci, v) for _, ci, v, _ in out if v.status == "fails"]
    key_incl_unknown = [x for x in out if x[2].status == "unknown" and x[3].type == "inclusion" and x[3].importance == "key"]
    key_excl_unknown = [x for x in out if x[2].status == "unknown" and x[3].type == "exclusion" and x[3].importance == "key"]
    key_incl_met = [x for x in out if x[3].type == "inclusion" and x[3].importance == "key" and x[2].status == "meets"]
    if failing:
        verdict = "not eligible"
    elif not key_incl_unknown and not key_excl_unknown and key_incl_met:
        verdict = "eligible"
    else:
        verdict = "uncertain"
    unknowns = [x for x in out if x[2].status == "unknown"]
    unknowns.sort(key=lambda x: (x[3].importance != "key", x[3].type != "inclusion", _KIND_RANK.get(x[2].kind, 6), x[0]))
    qs: list[str] = []
    seen_kinds = set()
    for _, ci, v, crit in unknowns:
        q = v.question_patient if audience == "patient" else v.question
        if not q or q in qs:
            continue
        if v.kind != "freetext" and v.kind in seen_kinds:
            continue
        seen_kinds.add(v.kind)
        qs.append(q)
        if len(qs) >= 5:
            break
    return verdict, out, failing, qs, len(unknowns)


def screen_criteria(patient: str, criteria: list[CriterionInput], audience: str = "clinician") -> TrialScreen:
    """Screen a patient against a trial's criteria. Criteria with a cohort apply only to that cohort; criteria
    without one apply to all. The patient is screened against the cohort(s) matching their diagnosis (all
    cohorts if none matches) and the trial verdict is the best cohort's. `criteria` in the result holds the
    criteria that apply to the chosen cohort, in input order."""
    pf = extract_patient(patient)
    criteria = [ci for ci in prohibited_items(repair_headings(list(criteria))) if is_criterion(ci.text)]
    indexed = list(enumerate(criteria))
    cohorts = list(dict.fromkeys(ci.cohort for ci in criteria if ci.cohort))
    concepts_of: dict[str, set[str]] = {}
    fit: dict[str, bool | None] = {}
    if cohorts:
        concepts_of = {c: cohort_concepts(c, [ci.text for ci in criteria if ci.cohort == c and ci.type == "inclusion"]) for c in cohorts}
        fit = {c: _cohort_matches(pf, concepts_of[c]) for c in cohorts}
        matched = [c for c in cohorts if fit[c]]
        candidates = matched or [c for c in cohorts if fit[c] is not False] or cohorts
    else:
        candidates = [None]
    rank = {"eligible": 0, "uncertain": 1, "not eligible": 2}
    best = None
    for coh in candidates:
        items = [(i, ci) for i, ci in indexed if ci.cohort is None or ci.cohort == coh]
        mismatch = None
        if coh and fit.get(coh) is False:
            pc = next((f for f in pf.cancers if f.value != "cancer"), None)
            mismatch = (" / ".join(sorted(x.replace("_", " ") for x in concepts_of[coh])), pc.text if pc else "another cancer")
        verdict, out, failing, qs, n_unknown = _screen_one(pf, items, audience, mismatch)
        key = (rank[verdict], len(failing), n_unknown)
        if best is None or key < best[0]:
            best = (key, coh, verdict, out, failing, qs)
    _, coh, verdict, out, failing, qs = best
    pairs = [(ci, v) for _, ci, v, _ in sorted(out, key=lambda x: x[0])]
    if verdict == "not eligible":
        summary = "Not eligible: " + "; ".join(f"{'inclusion' if v.effective_type == 'inclusion' else 'exclusion'} “{ci.text[:80]}” — {v.reason}" for ci, v in failing[:3])
    elif verdict == "eligible":
        summary = "Eligible on the information given: no criterion fails and the key inclusion criteria are met."
    else:
        n = sum(1 for _, v in pairs if v.status == "unknown")
        summary = f"Uncertain: nothing fails, but {n} criteria cannot be decided from the description."
    if coh:
        summary += f" (cohort: {coh})"
    return TrialScreen(verdict, coh, pairs, failing, qs, summary)


def rescreen(patient: str, additions: list[str] | str, criteria: list[CriterionInput], audience: str = "clinician") -> TrialScreen:
    """Screen again after follow-up answers ("he had a brain MRI last week, no mets"): the new text is appended
    to the description, and later statements can settle what was unknown."""
    if isinstance(additions, str):
        additions = [additions]
    text = patient.rstrip()
    for a in additions:
        a = a.strip()
        if not a:
            continue
        if text and not text.endswith((".", "!", "?")):
            text += "."
        text += "\n" + a
    return screen_criteria(text, criteria, audience)
