"""Criterion understanding: each inclusion / exclusion text becomes typed checks where its meaning allows.

`parse_criterion(text, type)` returns a ParsedCriterion whose `checks` are evaluated conjunctively (the
criterion's statement holds when every check holds). Kinds:

  age, sex, consent, compliance, pregnancy, contraception, ps (ECOG/Karnofsky/WHO), labs (thresholds with units,
  x ULN and conditions such as "with liver metastases"), brain_mets, leptomeningeal, therapy (prior / current
  drug classes, washout windows, refractoriness), lines (number of prior lines), steroids (dose, prednisone
  equivalent), infection (HBV / HCV / HIV / TB, with DNA/RNA exceptions), other_malignancy (window + exceptions),
  transplant, hypersensitivity, diagnosis (tumour type), histology, stage, biomarker (HER2 IHC/ISH, ER/PR, PD-L1,
  p16/HPV, driver genes, MSI; central / metastatic-specimen testing; "HR-positive or HR-negative" = any documented
  status), measurable (size, not irradiated, brain-only, intracranial RANO-BM), trial_participation, freetext
  (concept phrases matched against the patient text, with qualifiers, time windows and exceptions), and the
  oncology kinds checked in onco_checks.py: adverse_event (residual toxicity above a grade / history of graded or
  immune-related events), life_expectancy, organ_function ("adequate organ function" without thresholds),
  washout ("as specified in the protocol"), progression (on or after prior therapy), platinum (refractory /
  resistant / sensitive), child_pugh, scale (a named scale such as "ALBI grade 1").

Structural forms: "Subjects with X must / should Y" and "If the participant has X, ... must Y" (conditional: not
applicable without X); an inclusion criterion made of several requirement sentences (all_of: each is checked,
notes such as "... will be counted as 1 line" are left out). Therapy checks know the setting a criterion asks
about ("for metastatic disease" leaves out (neo)adjuvant therapy, with a disease-free-interval exception), the
drugs a prior line must have included ("including a fluoropyrimidine plus oxaliplatin", "gemcitabine-based"),
"discontinued due to toxicity", and "X and Y" both required.

Exceptions ("except ...", "unless ...", "... are eligible if ...", "other than ...") and time windows
("within 4 weeks", "in the last 6 months", "< 3 months prior to") are parsed into the checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from . import labs as L
from .lexicon import get_lexicon
from .text import NUM, TIME_UNIT, clean, parse_number, to_days, tokenize
from .tumour import site_cancers, treated_cancers


@dataclass
class Check:
    kind: str
    params: dict = field(default_factory=dict)
    text: str = ""


@dataclass
class ParsedCriterion:
    text: str
    type: str  # effective type: inclusion | exclusion
    listed_type: str
    checks: list[Check]
    window_days: float | None = None
    exceptions: list[str] = field(default_factory=list)
    importance: str = "key"  # key | screening | boilerplate
    flipped: bool = False  # listed as inclusion but reads as an exclusion (or the reverse)
    negated_inclusion: bool = False  # "No X" listed as inclusion: checked as an exclusion of X, never met on silence

    @property
    def kinds(self) -> list[str]:
        return [c.kind for c in self.checks]


# ------------------------------------------------------------------ small parsers

_WINDOW_RES = [
    re.compile(rf"\bwithin\s+(?:the\s+)?(?:last\s+|past\s+|previous\s+|preceding\s+|prior\s+)?({NUM})\s*({TIME_UNIT})", re.I),
    re.compile(rf"\b(?:in|during|over|for)\s+the\s+(?:last|past|previous|preceding|prior)\s+({NUM})?\s*({TIME_UNIT})", re.I),
    re.compile(rf"(?:<|<=|less than|fewer than|up to|in <|in less than)\s*({NUM})\s*({TIME_UNIT})", re.I),
    re.compile(rf"\b({NUM})\s*({TIME_UNIT})\s+(?:or less\s+)?(?:prior to|before|preceding|of|from)\s+(?:the\s+)?(?:first|study|start|initiation|enrol|randomi|screening|baseline|treatment|inclusion|entry|day 1|protocol|registration|cycle|admission|the)", re.I),
    re.compile(rf"\b(?:last|past|previous|preceding)\s+({NUM})\s*({TIME_UNIT})", re.I),
]


def parse_window(text: str) -> float | None:
    t = clean(text)
    for rx in _WINDOW_RES:
        m = rx.search(t)
        if m:
            d = to_days(m.group(1) or "1", m.group(2))
            if d is not None:
                return d
    if re.search(r"\bhalf[- ]lives\b", t, re.I):
        return None
    return None


_EXC_RE = re.compile(r"(?:\bexcept(?:\s+for)?|\bwith the exception of|\bexcluding|\bother than|\bapart from|\bunless|\bbut not(?! limited)|"
                     r"\b(?:are|is|will be|may be)\s+(?:eligible|allowed|permitted)\b|\bmay (?:be )?(?:enrolled|included|participate)|"
                     r"\bis not an? exclusion|\bare not excluded|\bexceptions?:)", re.I)


def split_exceptions(text: str) -> tuple[str, list[str]]:
    """Main clause and exception clauses."""
    t = text
    parts: list[str] = []
    m = _EXC_RE.search(t)
    if not m:
        return t, parts
    # "Patients with X are eligible if ..." -> the clause before is the exception subject
    if re.match(r"(?:are|is|will be|may be)\s+(?:eligible|allowed|permitted)|may (?:be )?(?:enrolled|included|participate)|is not an? exclusion|are not excluded", m.group(0), re.I):
        # find start of that sentence / clause (an opening parenthesis only if it is still open)
        op = t.rfind("(", 0, m.start())
        if op >= 0 and t.find(")", op, m.start()) >= 0:
            op = -1
        start = max(t.rfind(". ", 0, m.start()), t.rfind(".\n", 0, m.start()), t.rfind("\n", 0, m.start()), t.rfind("; ", 0, m.start()), op)
        if start < 0:
            return t, parts
        if start == op:
            # "(subjects with stable effusion ... may be eligible); pericardial effusion ...": the exception is the
            # parenthesis, the criterion goes on after it
            close = t.find(")", m.end())
            if close > 0:
                parts.append(t[op + 1:close].strip(" .;()"))
                rest, more = split_exceptions(t[close + 1:])
                return t[:op] + " " + rest, parts + more
        parts.append(t[start + 1:].strip(" .;()"))
        return t[:start + 1], parts
    depth = t[:m.start()].count("(") - t[:m.start()].count(")")
    if depth > 0:
        # "(... excluding needle biopsy and vascular access) or ... within 4 weeks": the exception ends with the parenthesis
        close = t.find(")", m.end())
        if close > 0:
            parts.append(t[m.end():close].strip(" .;():"))
            rest, more = split_exceptions(t[close + 1:])
            return t[:m.start()] + " " + rest, parts + more
    parts.append(t[m.end():].strip(" .;():"))
    return t[:m.start()], parts


# ------------------------------------------------------------------ age / sex

_AGE_UNIT = r"(?:years?|yrs?|y/o|yo|y)"


def _spelled_ops(t: str) -> str:
    """"less than or equal to 50 years", "equal to or greater than 18 years": the operator written out, as a sign."""
    t = re.sub(r"\b(?:less than or equal to|equal to or less than|no (?:more|older) than)\b", "<=", t, flags=re.I)
    return re.sub(r"\b(?:greater than or equal to|equal to or greater than|equal to or more than|no (?:less|younger) than)\b", ">=", t, flags=re.I)


def parse_age(text: str) -> tuple[float | None, float | None, str] | None:
    """(lo, hi, matched text): the ages for which the criterion's age clause is true."""
    t = clean(text)
    t = re.sub(r"(\d)\s*-\s*(\d)", r"\1 to \2", t)
    t = _spelled_ops(t)
    months = r"(?:months?|mos?)"
    pats = [
        # registry fields: "Minimum age: 18 Years", "Maximum Eligible Age 75 Years"
        (rf"\bminimum (?:eligible )?age\s*:?\s*(\d{{1,3}})\s*(?:{_AGE_UNIT})", "min"),
        (rf"\bmaximum (?:eligible )?age\s*:?\s*(\d{{1,3}})\s*({_AGE_UNIT})", "max"),
        (rf"\b(?:aged?|ages)?\s*(?:between\s+)?(\d{{1,3}})\s*({_AGE_UNIT}|{months})?\s*(?:and|to|through|-)\s*(\d{{1,3}})\s*({_AGE_UNIT}|{months})(?:\s*of age|\s*old)?(?:\s*\(?inclusive\)?)?", "range"),
        (r"\b(?:aged?|ages)\s*(?:between\s+)?(\d{1,3})\s*(?:and|to)\s*(\d{1,3})\b", "range2"),
        (rf"\b(?:age[ds]?|aged)\s*(>=|>|<=|<|=)\s*(\d{{1,3}})\s*({months})?", "opnum"),
        (rf"(>=|>|<=|<)\s*(\d{{1,3}})\s*({_AGE_UNIT}|{months})", "opnum"),
        (rf"\b(?:aged?\s*)?(\d{{1,3}})\s*{_AGE_UNIT}\s*(?:of age\s*|old\s*)?(?:or|and)\s*(older|over|above|greater|more|younger|less|under|below)", "numwordafter"),
        (r"\bage[ds]?\s*(?:of\s*)?(\d{1,3})\s*(?:or|and)\s*(older|over|above|younger|under|below)\b", "numwordafter"),  # "Age 65 or younger"
        (rf"\b(?:at least|minimum(?: age)?(?: of)?|over|above|older than|greater than|more than|>)\s*(?:the age of\s*)?(\d{{1,3}})\s*(?:{_AGE_UNIT}|{months})?(?:\s*of age|\s*old)?", "min"),
        (rf"\b(?:under|below|younger than|less than|<)\s*(?:the age of\s*)?(\d{{1,3}})\s*({_AGE_UNIT}|{months})?(?:\s*of age|\s*old)?", "max"),
        (r"\bage\s*(\d{1,3})\s*\+", "plus"),
        (rf"\b(\d{{1,3}})\s*\+\s*{_AGE_UNIT}", "plus"),
    ]
    for pat, kind in pats:
        for m in re.finditer(pat, t, re.I):
            ctx = t[max(0, m.start() - 30):m.end() + 30].lower()
            if not re.search(r"\bage|\byears?\b|\byrs?\b|\bold\b|\by/o\b|\badults?\b|\bmonths? (?:of age|old)", ctx):
                continue
            if re.search(r"\b(?:years?|months?)\s+(?:ago|prior|before|after|since|of (?:follow|treatment|therapy)|from)", t[m.end():m.end() + 20], re.I):
                continue
            g = m.groups()
            if kind == "range":
                lo, u1, hi, u2 = float(g[0]), g[1], float(g[2]), g[3]
                if u2 and re.match(months, u2, re.I):
                    hi /= 12
                    if not u1 or re.match(months, u1, re.I):
                        lo /= 12
                elif u1 and re.match(months, u1, re.I):
                    lo /= 12
                if lo > hi:
                    continue
                return lo, hi + 0.999, m.group(0)
            if kind == "range2":
                lo, hi = float(g[0]), float(g[1])
                if lo > hi:
                    continue
                return lo, hi + 0.999, m.group(0)
            if kind == "opnum":
                op, v = g[0], float(g[1])
                if g[2] and re.match(months, g[2], re.I):
                    v /= 12
                return {">=": (v, None), ">": (v, None), "<=": (None, v + 0.999), "<": (None, v), "=": (v, v + 0.999)}[op] + (m.group(0),)
            if kind == "numwordafter":
                v, w = float(g[0]), g[1].lower()
                if w in ("older", "over", "above", "greater", "more"):
                    return v, None, m.group(0)
                return None, v, m.group(0)
            if kind == "min":
                v = float(g[0])
                strict = re.search(r"over|above|older than|greater than|more than|>", m.group(0), re.I) and not re.search(r"at least", m.group(0), re.I)
                return (v + (0.999 if strict and v >= 18 and False else 0)), None, m.group(0)
            if kind == "max":
                v = float(g[0])
                if g[1] and re.match(months, g[1], re.I):
                    v /= 12
                return None, v, m.group(0)
            if kind == "plus":
                return float(g[0]), None, m.group(0)
    if re.search(r"\badults?\b(?!\s+(?:with|patients))|\badult patients\b", t, re.I) and not re.search(r"\bchild|\bpediatric", t, re.I):
        return 18.0, None, "adult"
    if re.search(r"\bchildren\b|\bpediatric\b|\bpaediatric\b", t, re.I) and not re.search(r"\badult", t, re.I):
        return None, 18.0, "child"
    return None


def parse_sex(text: str) -> tuple[str | None, str] | None:
    t = clean(text).lower()
    if re.fullmatch(r"\W*(?:eligible\s+)?(?:sex|gender)s?\W*(?:all|both|any)\W*", t):  # registry field "Sex: All"
        return "any", "both sexes"
    if re.search(r"\b(?:male|men|man)\s*(?:and|or|&|/)\s*(?:non-pregnant\s+)?(?:female|women|woman)s?\b|\b(?:female|women)\s*(?:and|or|/)\s*(?:male|men)\b|\bboth sexes\b|\bboth genders\b|\beither sex\b|\bany gender\b|\bregardless of (?:sex|gender)\b", t):
        return "any", "both sexes"
    m = re.search(r"^\W*(?:patients?:?\s*)?(female|women|woman|girls?|postmenopausal (?:female|women|woman)s?)\b|\bfemale (?:sex|patients|subjects|participants)\b|^\W*female\b|\bwomen (?:aged|age|between|with|who)\b", t)
    if m and not re.search(r"childbearing|child-bearing|pregnan|lactat|breast[- ]?feed|nursing", t):
        return "female", m.group(0)
    m = re.search(r"^\W*(?:patients?:?\s*)?(male|men|man|boys?)\b|\bmale (?:sex|patients|subjects|participants)\b|\bmen (?:aged|age|between|with|who)\b", t)
    if m and not re.search(r"\bmale (?:partner|contracept)", t):
        return "male", m.group(0)
    return None


# ------------------------------------------------------------------ labs

_OPS = [
    (r"(?:>=|=>|≥|greater than or equal to|more than or equal to|equal to or greater than|equal or greater than|at least|not less than|no less than|of at least|minimum(?: of)?)", ">="),
    (r"(?:<=|=<|≤|less than or equal to|equal to or less than|equal or less than|not more than|no more than|not greater than|not exceeding|up to|maximum(?: of)?|not above|not higher than)", "<="),
    (r"(?:>|greater than|more than|higher than|above|over|exceeding|in excess of|elevat\w+\s+(?:of\s+\w+\s+)?(?:greater|more) than)", ">"),
    (r"(?:<|less than|lower than|below|under|fewer than)", "<"),
    (r"(?:=|of|is)", "="),
]
_OP_RE = "|".join(f"(?P<op{i}>{p})" for i, (p, _) in enumerate(_OPS))
_THRESH_RE = re.compile(
    rf"(?:{_OP_RE})\s*(?P<num>\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?)\s*(?P<unit>(?:x|times)?\s*(?:the\s+)?(?:institutional\s+)?(?:uln|upper limits? of (?:the\s+)?normal(?: range)?|upper normal limit|standard range|upper level of normal|x\s*uln|ULN)|"
    rf"(?:x|\*)\s*10\s*(?:\^|\*\*|e)?\s*(?:9|3)\s*/\s*(?:l|ul|mm3?)|cells\s*/\s*(?:mm3?|ul)|/\s*(?:mm3?|ul|l)|g\s*/\s*dl|g\s*/\s*l|mg\s*/\s*dl|"
    rf"(?:u|micro\s*m?)mol\s*/\s*l|mmol\s*/\s*l|u\s*/\s*l|iu\s*/\s*l|ml\s*/\s*min(?:\s*/\s*1\.73\s*m\s*\^?2)?|%|ms(?:ec)?|mm\s*hg|bpm|/\s*min|kg\s*/\s*m\s*\^?2|kg|lbs?|mg)?",
    re.I,
)
_COND_LIVER = re.compile(r"liver metasta|hepatic metasta|liver involvement|hepatic involvement|liver mets|hcc|hepatocellular|liver tumou?r", re.I)
_COND_GILBERT = re.compile(r"gilbert", re.I)
_COND_BONE = re.compile(r"bone metasta|bone involvement|bone marrow involvement", re.I)


def _op_of(m: re.Match) -> str:
    for i, (_, op) in enumerate(_OPS):
        if m.group(f"op{i}"):
            return op
    return ">="


_PAIN_CRIT = re.compile(rf"\bpain\b[^.;]{{0,40}}?(?:{_OP_RE})\s*(?P<num>\d{{1,2}}(?:\.\d)?)\s*(?:/\s*10\b|out of 10\b|on a (?:0|1)\s*(?:-|to)\s*10)", re.I)


def parse_pain(text: str) -> dict | None:
    """A pain-intensity limit on the 0-10 numeric rating scale ("pain greater than or equal to 3 out of 10")."""
    m = _PAIN_CRIT.search(text)
    return {"op": _op_of(m), "value": float(m.group("num"))} if m else None


_BP_RE = re.compile(r"(?:hypertension|blood pressure|\bbp\b)[^.;]{0,30}?(>=|>|<=|<|greater than|more than|above|over|of)\s*(\d{2,3})\s*/\s*(\d{2,3})\s*(?:mm\s*(?:of\s*)?hg)?", re.I)


def parse_labs(text: str) -> list[dict]:
    """Thresholds: [{analyte, op, value, unit, uln (multiple or None), condition}]."""
    t = clean(text)
    out: list[dict] = []
    mentions = [m for m in L.ANALYTE_RE.finditer(t)]
    for k, m in enumerate(mentions):
        aid = L.analyte_of(m.group(0))
        if aid is None:
            continue
        if aid == "gfr" and re.match(r"\s*(?:mutation|mutant|exon|tki|inhibitor|wild|status|positive|negative|alteration)", t[m.end():m.end() + 20], re.I):
            continue
        if aid in ("alt", "ast") and re.search(r"\b(?:ast|alt)\s*(?:and|/|or|,)\s*$", t[max(0, m.start() - 8):m.start()], re.I):
            pass
        nxt = mentions[k + 1].start() if k + 1 < len(mentions) else len(t)
        # a shared threshold: "AST/ALT <= 2.5 x ULN" -> the next mention is joined by / or 'and'
        seg_end = nxt
        joined = re.fullmatch(r"\s*(?:\([^)]*\)\s*)?(?:/|and|or|,|&)\s*(?:serum\s+)?", t[m.end():nxt], re.I) is not None
        if joined:
            # look past the following analyte(s) for the threshold
            j = k + 1
            while j + 1 < len(mentions) and re.fullmatch(r"\s*(?:\([^)]*\)\s*)?(?:/|and|or|,|&)\s*", t[mentions[j].end():mentions[j + 1].start()], re.I):
                j += 1
            seg_start = mentions[j].end()
            seg_end = mentions[j + 1].start() if j + 1 < len(mentions) else len(t)
        else:
            seg_start = m.end()
        seg = t[seg_start:seg_end]
        first = True
        for tm in _THRESH_RE.finditer(seg):
            if tm.start() > (90 if first else 200):
                break
            # skip time windows ("within 28 days") and dosing
            after = seg[tm.end():tm.end() + 25].lower()
            unit = (tm.group("unit") or "").strip().lower()
            if re.match(r"\s*(?:days?|weeks?|months?|years?|hours?|half|standard dev|sd\b|fold|times the mean|percentile)", after):
                continue
            if _op_of(tm) == "=" and not (aid in ("gcs",) or re.match(r"\s*=", tm.group(0))):
                continue
            val = parse_number(tm.group("num"))
            if val is None:
                continue
            uln = None
            if re.search(r"uln|upper|standard range", unit, re.I):
                uln = val
            if unit == "%" and aid in ("gfr", "crcl"):
                continue
            pre = seg[max(0, tm.start() - 80):tm.start()]
            post = seg[tm.end():tm.end() + 80]
            cond = None
            ctxt = pre[-60:] + " " + post[:70]
            if not first:
                if _COND_LIVER.search(ctxt):
                    cond = "liver_mets"
                elif _COND_GILBERT.search(ctxt):
                    cond = "gilbert"
                elif _COND_BONE.search(ctxt):
                    cond = "bone_mets"
                else:
                    # a second threshold with no condition: stop (it belongs to something else)
                    break
            elif re.match(r"\s*\(?\s*(?:for|in|if)\s+(?:patients|subjects|participants)?\s*(?:with\s+)?(?:known\s+)?(?:liver|hepatic)", post, re.I):
                cond = "liver_mets"
            op = _op_of(tm)
            out.append({"analyte": aid, "op": op, "value": val, "unit": unit, "uln": uln, "condition": cond,
                        "text": t[m.start():seg_start + tm.end()] if first else tm.group(0)})
            first = False
        if joined:
            # copy the thresholds found for the last analyte of the group to this one
            pass
    bp = _BP_RE.search(t)
    if bp:
        op = {"greater than": ">", "more than": ">", "above": ">", "over": ">", "of": ">"}.get(bp.group(1).lower(), bp.group(1))
        out.append({"analyte": "sbp", "op": op, "value": float(bp.group(2)), "unit": "mmhg", "uln": None, "condition": None, "text": bp.group(0)})
        out.append({"analyte": "dbp", "op": op, "value": float(bp.group(3)), "unit": "mmhg", "uln": None, "condition": None, "text": bp.group(0)})
    # propagate shared thresholds to joined analytes with none of their own
    by_analyte: dict[str, list[dict]] = {}
    for th in out:
        by_analyte.setdefault(th["analyte"], []).append(th)
    for k, m in enumerate(mentions):
        aid = L.analyte_of(m.group(0))
        if aid is None or aid in by_analyte:
            continue
        j = k
        while j + 1 < len(mentions) and re.fullmatch(r"\s*(?:\([^)]*\)\s*)?(?:/|and|or|,|&)\s*(?:serum\s+)?", t[mentions[j].end():mentions[j + 1].start()], re.I):
            j += 1
            other = L.analyte_of(mentions[j].group(0))
            if other in by_analyte:
                for th in by_analyte[other]:
                    out.append(dict(th, analyte=aid))
                by_analyte[aid] = by_analyte[other]
                break
    return out


# ------------------------------------------------------------------ performance status

def parse_ps(text: str) -> dict | None:
    t = clean(text)
    m = re.search(r"\b(?:ecog|zubrod|eastern cooperative oncology group)\b|\b(?-i:WHO)\b|\bperformance (?:status|score)\b|\b(?-i:PS)\b", t, re.I)
    k = re.search(r"\b(?:karnofsky|kps|lansky)\b", t, re.I)
    if not m and not k:
        return None
    if k and (not m or k.start() < m.start()):
        seg = t[k.start():k.start() + 80]
        mm = re.search(r"(>=|>|<=|<|at least|of at least|greater than|less than|of|=|:)?\s*(\d{2,3})\s*%?(?:\s*(?:-|to)\s*(\d{2,3}))?", seg[5:])
        if mm:
            op = (mm.group(1) or ">=").strip().lower()
            v = float(mm.group(2))
            if mm.group(3):
                return {"scale": "KPS", "kps_range": (v, float(mm.group(3)))}
            op = {"at least": ">=", "of at least": ">=", "greater than": ">", "less than": "<", "of": ">=", "=": ">=", ":": ">="}.get(op, op)
            return {"scale": "KPS", "op": op, "value": v}
        return {"scale": "KPS"}
    seg = t[m.start():m.start() + 80]
    seg2 = re.sub(r"\b(?:ecog|who|zubrod|performance status|performance score|ps|of|score|grade|scale)\b", " ", seg, flags=re.I)
    mm = re.search(r"(>=|<=|>|<|at least|at most|no more than|less than|greater than|or less|or lower|or better)?\s*([0-4])\s*(?:(?:-|to|or|,|and)\s*(?:[0-4]\s*(?:,|or|and)\s*)*([0-4]))?\s*(or less|or lower|or better|or more|or higher|or greater)?", seg2, re.I)
    if not mm:
        return {"scale": "ECOG"}
    op = (mm.group(1) or "").lower()
    a = int(mm.group(2))
    b = int(mm.group(3)) if mm.group(3) else None
    post = (mm.group(4) or "").lower()
    if b is not None:
        allowed = set(range(min(a, b), max(a, b) + 1))
    elif op in ("<=", "at most", "no more than") or post in ("or less", "or lower", "or better"):
        allowed = set(range(0, a + 1))
    elif op == "<" or op == "less than":
        allowed = set(range(0, a))
    elif op in (">=", "at least") or post in ("or more", "or higher", "or greater"):
        allowed = set(range(a, 5))
    elif op in (">", "greater than"):
        allowed = set(range(a + 1, 5))
    else:
        allowed = {a}
    return {"scale": "ECOG", "allowed": sorted(allowed)}


# ------------------------------------------------------------------ therapy, lines

def therapy_mentions(text: str) -> tuple[list[str], list[str]]:
    """(drug names, class ids) named in a criterion."""
    lex = get_lexicon()
    # a spelled-out target with its abbreviation: "B7-homologue 3 (B7-H3)-targeted agents" -> "B7-H3-targeted agents"
    text = re.sub(r"\b[\w-]+(?:\s+[\w-]+){0,3}\s*\(([A-Za-z0-9][\w-]{1,12})\)-", r"\1-", text)
    toks = tokenize(text)
    drugs, classes = [], []
    for h in lex.find(toks, ("drug", "class")):
        if h.j < len(toks) and re.fullmatch(r"receptors?|status|expression|positiv\w*|negativ\w*|level\w*", toks[h.j].norm):
            continue  # "estrogen receptor", "HER2 expression": a marker, not a treatment
        (drugs if h.kind == "drug" else classes).append(h.id)
    classes = list(dict.fromkeys(classes))
    # "an ADC with a topoisomerase I inhibitor payload" names the intersection of two classes
    if len(classes) >= 2 and re.search(r"\b(?:with|containing|carrying|bearing|conjugated|linked|based on|-based|consist\w* of|compris\w*|composed of)\b|\bpayload", text, re.I):
        for a in list(classes):
            for b in list(classes):
                if a >= b or a not in classes or b not in classes:
                    continue
                if a in lex.class_ancestors(b) or b in lex.class_ancestors(a):
                    continue  # "an ADC with a topo I payload" already names the narrower class
                both = [c for c in lex.classes if c not in (a, b) and {a, b} <= lex.class_ancestors(c)]
                if both:
                    narrow = min(both, key=lambda c: len(lex.class_ancestors(c)))
                    classes = [c for c in classes if c not in (a, b)] + [narrow]
        # a broad class qualified by a narrower one ("ADC with a topo I payload") means the narrower one
        classes = [c for c in classes if not any(o != c and c in lex.class_ancestors(o) for o in classes)]
    return list(dict.fromkeys(drugs)), classes


def required_therapy(text: str) -> tuple[list[str], list[str]]:
    """Drugs / classes a prior-therapy criterion requires: "... including a fluoropyrimidine plus oxaliplatin with or
    without ...", "... which must have included PD-1/PD-L1 immunotherapy", "1 prior line of gemcitabine-based therapy"."""
    frags = []
    for m in re.finditer(r"\b(?:including|which must have included|must have included|that included|that must include|consisting of|comprising)\s+(.*?)(?=\bwith or without\b|,\s*as\b|,?\s*\bor\s+(?:relapse|progression|after)\b|[;.]|$)", text, re.I):
        frags.append(m.group(1))
    for m in re.finditer(r"\b([\w/()-]+?)[- ](?:based|containing)\b", text, re.I):
        frags.append(m.group(1))
    drugs: list[str] = []
    classes: list[str] = []
    for fr in frags:
        d, c = therapy_mentions(fr)
        drugs += [x for x in d if x not in drugs]
        classes += [x for x in c if x not in classes and x not in ("anticancer_therapy",)]
    return drugs, classes


_LINES_CRIT = [
    (re.compile(rf"(?:\b(?:at least|a minimum of|minimum)|>=|≥)\s*({NUM}|\d)\s*(?:\(\d\)\s*)?(?:or more\s+)?(?:prior|previous|line|lines|regimens?|systemic|standard)", re.I), "min"),
    (re.compile(rf"\b({NUM}|\d)\s*(?:\(\d\)\s*)?(?:or more|\+)\s*(?:prior|previous)?\s*(?:lines?|regimens?|systemic|therap)", re.I), "min"),
    (re.compile(rf"(?:\b(?:no more than|not more than|at most|maximum of|up to)|<=|≤)\s*({NUM}|\d)\s*(?:\(\d\)\s*)?(?:prior|previous|lines?|regimens?|systemic)", re.I), "max"),
    (re.compile(rf"(?:\bmore than|>(?!=))\s*({NUM}|\d)\s*(?:\(\d\)\s*)?(?:prior|previous|lines?|regimens?|systemic)", re.I), "gt"),
    (re.compile(rf"\b({NUM}|\d)\s*(?:-|to|or)\s*({NUM}|\d)\s*(?:prior|previous)?\s*(?:lines?|regimens?)", re.I), "range"),
    (re.compile(rf"\b(?:only\s+|exactly\s+)?({NUM}|\d)\s*(?:\(\d\)\s*)?(?:prior|previous)\s+(?:lines?|regimens?|systemic)", re.I), "exact"),
]


def parse_lines(text: str) -> tuple[int | None, int | None] | None:
    t = clean(text)
    if not re.search(r"\blines?\b|\bregimens?\b|\bprior (?:systemic )?(?:therap|treatment)", t, re.I):
        if re.search(r"\b(?:first|second|third)[- ]line\b", t, re.I):
            m = re.search(r"\b(first|second|third)[- ]line\b", t, re.I)
            k = {"first": 1, "second": 2, "third": 3}[m.group(1).lower()]
            if re.search(r"\b(?:after|following|progress\w* (?:on|after)|failure of|failed)\b[^.]{0,30}" + m.group(0), t, re.I):
                return (k, None)
            if re.search(r"\b(?:as|for|in the)\s+(?:the\s+)?" + m.group(0), t, re.I):
                return (k - 1, k - 1)
        return None
    rg = re.search(rf"(?:\b(?:at least|a minimum of|minimum of)|>=|≥)\s*({NUM}|\d)\s*(?:and|to|-)\s*(?:a\s+)?(?:maximum of|max(?:imum)?\.?(?: of)?|at most|up to|<=|≤)\s*({NUM}|\d)\s+(?:prior\s+|previous\s+)?(?:therapy\s+)?(?:lines?|regimens?)", t, re.I)
    if rg and parse_number(rg.group(1)) is not None and parse_number(rg.group(2)) is not None:
        return (int(parse_number(rg.group(1))), int(parse_number(rg.group(2))))  # "at least 2 and a maximum of 3 prior lines"
    ex = re.search(rf"\b(?:after|following|received|of)\s+({NUM}|\d)\s+(?:prior|previous)\s+(?:lines?|regimens?)\b", t, re.I)
    mx = re.search(rf"\b(?:with\s+)?(?:a\s+)?(?:maximum of|max(?:imum)?\.? of|at most|no more than|up to)\s+({NUM}|\d)\s+(?:prior\s+)?(?:therapy\s+)?(?:lines?|regimens?)", t, re.I)
    if ex and mx and parse_number(ex.group(1)) is not None and parse_number(mx.group(1)) is not None and parse_number(ex.group(1)) <= parse_number(mx.group(1)) \
            and not re.search(r"\bat least\b|>=", t[:ex.end()], re.I):
        return (int(parse_number(ex.group(1))), int(parse_number(mx.group(1))))  # "after 1 prior line ..., with a maximum of 2 prior lines"
    alt = re.search(rf"\bor\s+(?:relapse\s+or\s+progression\s+|progression\s+|relapse\s+)?(?:after|following)\s+({NUM}|\d)\s+(?:prior\s+)?(?:lines?|regimens?)\b", t, re.I)
    alt_n = parse_number(alt.group(1)) if alt else None
    for rx, kind in _LINES_CRIT:
        m = rx.search(t)
        if not m:
            continue
        a = parse_number(m.group(1))
        if a is None:
            continue
        a = int(a)
        if kind == "min":
            mx = re.search(rf"\b(?:maximum of|max(?:imum)?\.? of|at most|no more than|up to)\s+({NUM}|\d)\b", t[m.end():], re.I)
            if mx and parse_number(mx.group(1)) is not None and parse_number(mx.group(1)) >= a:
                return (a, int(parse_number(mx.group(1))))
            return (a, None)
        if kind == "exact" and alt_n is not None and alt_n > a:
            return (a, int(alt_n))
        if kind == "max":
            return (0, a)
        if kind == "gt":
            return (a + 1, None)
        if kind == "range":
            b = parse_number(m.group(2))
            return (a, int(b) if b is not None else None)
        if kind == "exact":
            return (a, a)
    return None


# ------------------------------------------------------------------ reads_as_exclusion

_INCL_START = re.compile(r"^\W*(?:\d+[.)]\s*)?(?:patients?|subjects?|participants?|must|has|have|having|be|is|are|able|willing|"
                         r"signed|provision|written|adequate|measurable|histolog|cytolog|confirmed|documented|age|aged|male|female|"
                         r"men|women|ecog|life expectancy|at least|prior|previous|received|progress|disease progression|"
                         r"eligible|expected)\b", re.I)
_EXCL_PAT = re.compile(
    r"^\W*(?:\d+[.)]\s*)?(?:(?:known|active|untreated|symptomatic|unstable|uncontrolled|current|concurrent|"
    r"clinically significant|significant|severe|serious)\s+)*"
    r"(?:brain metasta\w*|cns metasta\w*|central nervous system metasta\w*|leptomeningeal|meningeal carcinomatosis|"
    r"spinal cord compression|pregnan\w*|lactat(?!es?\b)\w*|breast[- ]?feeding|nursing|women who are pregnant|"
    r"(?:known\s+)?hypersensitivity|allerg\w+|history of (?:another|other|a second|second) (?:primary )?malignan\w+|"
    r"(?:another|other|second|additional) (?:primary )?malignan\w+|(?:hiv|hepatitis [bc]|hbv|hcv)\b(?!\s*(?:sero-?status|status|test|serolog|negative|screening))|"
    r"(?:prior|previous) (?:allogeneic|organ|solid organ|stem cell) transplant\w*|organ transplant\w*|"
    r"participation in (?:another|other)|interstitial lung disease|pneumonitis|inability|unable|refus\w+|"
    r"contraindication|any (?:condition|other condition)|uncontrolled|major surgery)", re.I)


def reads_as_exclusion(text: str) -> bool:
    """True for a criterion that states an excluding condition although listed under an inclusion heading,
    e.g. "Untreated brain metastases; leptomeningeal metastasis..." or "Pregnancy or lactation."."""
    t = clean(text).strip()
    if re.match(r"^\W*(?:\d+[.)]\s*)?(?:no|not|without|absence of|free of|never)\b", t, re.I):
        return False
    if re.search(r"\b(?:must|should|need to|are required to)\s+(?:have|be|receive|undergo)\b", t, re.I):
        return False  # "Subjects with brain metastases only must have ...": a requirement
    if re.fullmatch(r"\W*(?:\d+[.)]\s*)?(?:brain|cns|central nervous system|leptomeningeal|intracranial)\s+(?:metastas[ie]s|metastatic disease|disease|carcinomatosis)\W*", t, re.I):
        return False  # a bare disease named under inclusion is the population the trial is for
    if _INCL_START.match(t) and not re.match(r"^\W*(?:\d+[.)]\s*)?(?:patients?|subjects?|participants?)\s+(?:with|who (?:have|are))\s+(?:known\s+|active\s+|untreated\s+|symptomatic\s+)*(?:brain|cns|leptomeningeal|pregnan|hiv|hepatitis|another malig|other malig|hypersensitiv|allerg)", t, re.I):
        return False
    if re.search(r"\b(?:are|is) (?:eligible|allowed|permitted)\b", t, re.I) and not _EXCL_PAT.match(t):
        return False
    return bool(_EXCL_PAT.match(t)) or bool(re.match(r"^\W*(?:\d+[.)]\s*)?(?:patients?|subjects?|participants?)\s+(?:with|who (?:have|are))\s+(?:known\s+|active\s+|untreated\s+|symptomatic\s+)*(?:brain metasta|cns metasta|leptomeningeal|pregnan|hiv|hepatitis [bc]|another malig|other malig|hypersensitiv|allerg)", t, re.I))


# ------------------------------------------------------------------ main parser

_CONSENT = re.compile(r"informed consent|consent form|written consent|\bconsent\b|\bassent\b|"
                      r"comply|compliance with|complian(?:t|ce) with (?:the )?(?:study|protocol|trial)|willing(?:ness)? (?:and able )?to (?:participate|comply|follow|attend|return|undergo)|able to (?:comply|attend|understand|follow|complete|communicate)|"
                      r"follow[- ]?up (?:visits|evaluations)|geographic\w*|available for (?:the )?(?:duration|follow)|study (?:visits|procedures)|"
                      r"understand\w* (?:the )?(?:study|nature|purpose)|legally authori[sz]ed|surrogate", re.I)
_NONCOMPLIANCE = re.compile(r"non[- ]?complian\w*|poor complian\w*|history of (?:poor |non-?)?(?:compliance|adherence)|unlikely to comply|unable or unwilling to comply|not (?:be )?(?:able|willing) to comply|foreseeable non-?compliance|noncomplian\w*|poor adherence", re.I)
_PREG = re.compile(r"pregnan\w*|lactat(?!es?\b)\w*|breast[- ]?feed\w*|nursing (?:women|mothers|females)|\bnursing\b|lactif\w*|child[- ]?bearing|childbearing|\bwocbp\b|beta[- ]?hcg|chorionic gonadotrop", re.I)
# a wish or plan to conceive ("who desire pregnancy within 12 months") is not a pregnancy status
_WISH_PREG = re.compile(r"\b(?:desir\w*|wish\w*|want\w*|hop\w*|intend\w*|seek\w*|trying)\s+(?:to\s+(?:become|get|be)\s+)?(?:a\s+)?pregnan\w*|\bfuture pregnan\w*|\bfertility (?:wish|desire)\w*", re.I)
_CONTRA = re.compile(r"contracept\w*|birth control|abstinen\w*|barrier method|sterili[sz]ed|effective method", re.I)
_BRAIN = re.compile(r"brain metasta\w*|cns metasta\w*|central nervous system (?:\(cns\) )?metasta\w*|brain mets|metastases (?:to|in) the (?:brain|cns)|spread (?:of (?:the |his |her )?(?:cancer|disease|tumou?rs?) )?to the (?:brain|cns)|(?:cancer|tumou?rs?) (?:that has )?spread to the brain|intracranial metasta\w*|cerebral metasta\w*|(?<!ischemic )(?<!ischaemic )(?<!vascular )(?<!demyelinating )(?<!inflammatory )(?<!degenerative )cns (?:disease|involvement)|brain lesions", re.I)
_LEPTO = re.compile(r"leptomening\w*|meningeal carcinomatosis|carcinomatous meningitis|meningeosis", re.I)
_INFECT = re.compile(r"\bhiv\b|human immunodeficiency|\bhepatitis\s*[bc]\b|\bhbv\b|\bhcv\b|hbsag|hepatitis b surface|\bhep\s*[bc]\b|\btuberculosis\b|\btb\b|\baids\b", re.I)
_OTHER_MALIG = re.compile(r"(?:another|other|second|additional|prior|previous|concurrent|concomitant|history of|active)\s+(?:primary\s+|invasive\s+|active\s+)?(?:malignan\w+|cancers?|neoplasms?|tumou?rs?)|malignan\w+ (?:other than|within|in the (?:last|past))|(?:current|active) malignan\w+|^\W*malignan\w+\W*$|cancer[- ]free|disease[- ]free (?:for|period)", re.I)
_TRANSPLANT = re.compile(r"transplant\w*|\bhsct\b|\ballo-?sct\b", re.I)
_HYPERSENS = re.compile(r"hypersensitiv\w+|allerg\w+|anaphyla\w+|intoleran\w+ to|infusion reaction", re.I)
_STEROID = re.compile(r"corticosteroid|steroid|glucocorticoid|prednis\w+|dexamethasone|immunosuppress\w+|immune[- ]modifying|immunomodulat", re.I)
_THERAPY_WORDS = re.compile(r"\b(?:prior|previous|previously|received|receiving|current|currently|concurrent|concurrently|concomitant|treated|treatment|therapy|therapies|exposure|exposed|administered|administration|use|using|taking|progress\w*|refractory|failed|failure|naive|naïve|regimen|line|lines|given|after|following|on|within|chemotherapy|chemo)\b", re.I)
_PARTICIPATION = re.compile(r"(?:participat\w+|enrol\w+|involve\w*)\s+(?:in\s+)?(?:another|other|an?\s+other|any other|a concurrent|an ongoing|ongoing)?\s*(?:interventional\s+|clinical\s+)*(?:clinical\s+)?(?:trial|study|studies|research)|investigational (?:drug|agent|product|device|therapy)|biomedical research", re.I)
_MEASURABLE = re.compile(r"measurable (?:disease|lesion)|recist|evaluable disease|target lesion", re.I)
_EXTENT = re.compile(r"\b(bilateral|multifocal|multicentric|synchronous|multiple (?:primary )?(?:tumou?rs|cancers|carcinomas|lesions|foci))\b", re.I)
_HIST_CRIT = re.compile(r"\b(adenocarcinoma|squamous|small[- ]cell|non[- ]small[- ]cell|non[- ]?squamous|neuroendocrine|large[- ]cell|ductal|lobular|serous|clear[- ]cell|urothelial|mucinous)\b", re.I)
_STAGE_CRIT = re.compile(r"\bstage\s*(?:0|iv|i{1,3}|[1-4])[abc]?\b|\bextensive[- ]stage\b|\blimited[- ]stage\b|\bmetastatic\b|\badvanced\b|\bunresectable\b|\blocally advanced\b|\brecurrent\b|\binoperable\b|\bearly[- ]stage\b", re.I)
_BIOMARKER = re.compile(r"\bher-?2\b|\berbb2\b|\bestrogen receptor|\boestrogen receptor|\bprogesterone receptor|\bhormone receptor|\b(?:er|pr|hr)[+-]|\b(?:er|pr|hr)[- ](?:positive|negative)|\bpd-?l1\b|\bp16\b|\bhpv\b|\begfr\b(?!\s*(?:[<>=≥≤]|of\s*\d|\d))|\balk\b|\bros-?1\b|\bkras\b|\bbraf\b|\bntrk\b|\bmsi-?h\b|\bdmmr\b|\bmismatch repair\b|\bmicrosatellite\b|\bmss\b|\bpmmr\b|\bbrca\d?\b|\btriple[- ]negative\b|\bmet (?:exon|amplification)\b|\bret (?:fusion|rearrangement)\b", re.I)


def _importance(kinds: list[str], text: str) -> str:
    if set(kinds) <= {"consent", "compliance", "contraception", "trial_participation"}:
        return "boilerplate"
    if kinds and set(kinds) <= {"life_expectancy", "organ_function", "washout", "labs", "age", "sex"} and not {"age", "sex"} >= set(kinds):
        return "screening"  # judged / measured at the screening visit
    if set(kinds) <= {"labs", "pregnancy", "consent", "contraception", "compliance", "age", "sex"} and "labs" in kinds:
        return "screening"
    if set(kinds) <= {"pregnancy", "contraception"}:
        return "screening"
    return "key"



# ------------------------------------------------------------------ special forms

_COND_RE = re.compile(r"^\W*(?:patients?|subjects?|participants?|those|individuals)\s+(?:with|who\s+(?:have|has|had|are|were))\s+(?P<cond>.+?)\s+"
                      r"(?:must|should|need to|are required to|will need to|have to)\s+(?P<req>.+)$", re.I | re.S)
_IF_RE = re.compile(r"^\W*if\s+(?:the\s+)?(?:participant|subject|patient)s?\s+(?:has|have|had|is|are)\s+(?P<cond>.+?),\s*(?:then\s+)?"
                    r"(?:(?:the\s+)?(?:participant|subject|patient)s?|they|he or she)\s+(?:must|should)\s+(?P<req>.+)$", re.I | re.S)
_NOTE_SENT = re.compile(r"^\W*note\b|\b(?:will|may|shall|can) (?:be )?count(?:ed)?\b|\bcounted as\b|\bis (?:also )?acceptable\b|\bare (?:also )?acceptable\b|"
                        r"\bwill be used\b|\bare (?:women|men|participants|subjects) who\b|\bis defined as\b|\bare defined as\b|\bshould be monitored\b|"
                        r"\bwill not be considered\b|\bplease note\b", re.I)
_EXC_SENT = re.compile(r"\b(?:are|is|will be|may be)\s+(?:eligible|allowed|permitted|considered for inclusion)\b|\bmay (?:be )?(?:enrolled|included|participate)\b", re.I)
_NOT_ALLOWED = re.compile(r"\s+(?:are|is)\s+(?:not\s+(?:allowed|eligible|permitted)|excluded)\b", re.I)
_REQ_SENT = re.compile(r"^\W*(?:no|not)\s+(?:prior|previous)\b|^\W*(?:patients?|subjects?|participants?)\s+(?:must|should)\b|^\W*must\s+(?:have|not)\b", re.I)


_FOR_TYPE = re.compile(r"^\W*(?P<req>[^.;]{6,160}?)\s+(?:for|in)\s+(?:(?:patients?|participants?|subjects?|those)\s+with\s+)?"
                       r"(?P<cond>(?:an?\s+)?[\w/-]+(?:\s+[\w/-]+){0,3}?\s+(?:cancers?|carcinomas?|tumou?rs?))\s*(?:\([^()]*\))?\s*\.?\s*$", re.I)


# "prior chemotherapy for breast cancer": the cancer a treatment was for, not the patients a requirement is for
_THERAPY_FOR = re.compile(r"\b(?:therap\w*|treat\w*|chemo\w*|radiation|radiotherapy|irradiation|surgery|resection|regimens?|lines?|agents?|"
                          r"drugs?|inhibitors?|antibod\w*|vaccines?|transplant\w*)\b", re.I)


def _names_cancer_type(text: str) -> bool:
    """Does the text name a tumour type (not just "cancer")?"""
    lex = get_lexicon()
    hits = [h for h in lex.find(tokenize(text), ("concept",)) if "cancer" in lex.concept_ancestors(h.id) and h.id != "cancer"]
    return bool(hits or site_cancers(text))


def _sentences(t: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"(?<=[.;])\s+(?=[A-Z(])|\n+", t) if p.strip()]
    out: list[str] = []
    for p in parts:
        if out and _EXC_SENT.search(p) and not _COND_RE.match(p):
            out[-1] = out[-1] + " " + p  # "Participants who ... are eligible.": an exception of the sentence before
        elif _NOTE_SENT.search(p):
            continue
        else:
            out.append(p)
    return out


def _special_form(t: str, listed: str) -> ParsedCriterion | None:
    """Conditional requirements ("Subjects with X must Y") and inclusion criteria made of several requirements."""
    if not _PREG.search(t) and not _CONSENT.search(re.sub(r"\([^)]*\)", " ", t)):
        m = _COND_RE.match(t) or _IF_RE.match(t)
        if m and len(re.sub(r"\([^()]*(?:\([^()]*\)[^()]*)*\)", "", m.group("cond"))) < 160 and len(re.split(r"(?<=[.;])\s+(?=[A-Z])", t)) == 1:
            cond_text = m.group("cond").strip(" ,")
            req_text = m.group("req").strip()
            only_brain = bool(re.search(r"\bonly\b", cond_text, re.I) and _BRAIN.search(cond_text))
            cond = parse_criterion(re.sub(r"\s+only\b", "", cond_text), "exclusion")
            req = parse_criterion(req_text, "inclusion")
            chk = Check("conditional", {"cond": cond, "req": req, "only_brain": only_brain, "cond_text": cond_text}, t)
            # "Subjects with X must Y" is a requirement (an inclusion) whatever list the layout put it in
            return ParsedCriterion(t, "inclusion", listed, [chk], importance="key", flipped=listed != "inclusion")
    m = _FOR_TYPE.match(clean(t))
    if m and _names_cancer_type(m.group("cond")) and not _names_cancer_type(m.group("req")) and not _THERAPY_FOR.search(m.group("req")):
        # "Documented p16 status for oropharyngeal cancer": a requirement of the patients with that cancer only
        cond_text, req_text = m.group("cond").strip(" ,"), m.group("req").strip(" ,")
        cond = parse_criterion(cond_text, "exclusion")
        req = parse_criterion(req_text, listed)
        chk = Check("conditional", {"cond": cond, "req": req, "only_brain": False, "cond_text": cond_text}, t)
        return ParsedCriterion(t, listed, listed, [chk], importance="key")
    if listed == "inclusion":
        sents = _sentences(t)
        req = [x for x in sents[1:] if _COND_RE.match(x) or _IF_RE.match(x) or _REQ_SENT.match(x)]
        banned = [x for x in sents[1:] if _NOT_ALLOWED.search(x) and x not in req]
        if len(sents) > 1 and (req or banned):
            # the first sentence and the further requirements; descriptive sentences in between are left out;
            # "X are not allowed (even if ...)" inside an inclusion is an exclusion of X
            parts = [parse_criterion(x, "inclusion") for x in [sents[0]] + req] + \
                    [parse_criterion(_NOT_ALLOWED.sub(" ", x).strip(" ."), "exclusion") for x in banned]
            return ParsedCriterion(t, "inclusion", listed, [Check("all_of", {"parts": parts}, t)],
                                   importance="key" if any(p.importance == "key" for p in parts) else parts[0].importance)
    return None


def _grade_limit(text: str) -> int | None:
    m = re.search(r"(?:<=|≤|=<|<)\s*grade\s*([0-4])|grade\s*(?:<=|≤|=<)\s*([0-4])|grade\s*([0-4])\s*(?:or (?:less|lower|baseline|below)|or baseline)|to\s+grade\s*([0-4])|"
                  r"(?:<=|≤)\s*g([0-4])\b|\bgrade\s*([0-4])\b", text, re.I)
    if not m:
        return None
    g = next(x for x in m.groups() if x is not None)
    v = int(g)
    if m.group(0).strip().startswith("<") and not m.group(0).strip().startswith("<="):
        v -= 1
    return v


def _ae_check(main: str, low: str, exceptions: list[str], full: str) -> dict | None:
    """Adverse-event criteria: residual toxicity above a grade, or a history of graded (immune-related) events."""
    if not re.search(r"\bgrade\b|\bctcae\b", low):
        return None
    ae = re.search(r"toxicit|adverse (?:event|reaction)|\baes?\b|\birae|side effect|bleed|ha?emorrhag|myocarditis|pneumonitis|colitis|hepatitis|neuropath", low)
    if not ae:
        return None
    exc = (" ".join(exceptions) + " " + (full.split("Note:", 1)[1] if "Note:" in full else "")).lower()
    allowed = sorted({m.group(0) for m in re.finditer(r"alopecia|pigmentation|fatigue|insomnia|hypomagnes\w*|neuropath\w*|hypothyroid\w*|hypertension|vitiligo|endocrinopath\w*|skin", exc)})
    stable_grade = 2 if re.search(r"(?:stable|chronic)[^.]{0,40}grade\s*2|grade\s*2[^.]{0,40}(?:stable|chronic)", exc + " " + low) else None
    if re.search(r"resolv|resolution|recover|reliev|remission|returned to|baseline", low):
        limit = _grade_limit(low)
        if limit is None:
            return None
        residual_form = bool(re.search(r"\bfail\w* to (?:achieve|resolve|recover)|\bnon-?remission|\bnot (?:been )?(?:relieved|resolved|recovered)|\bunresolved|\bpersistent|\bongoing|\bhave not (?:been )?(?:relieved|resolved)", low))
        return {"mode": "residual", "limit": limit, "residual_form": residual_form, "allowed": allowed, "stable_grade": stable_grade}
    m = re.search(r"(?:>=|≥|=>|>)\s*grade\s*([0-4])|grade\s*(?:>=|≥|=>|>)\s*([0-4])|grade\s*([0-4])\s*(?:or (?:higher|greater|more|above))|grade\s*([3-4])", low)
    if not m:
        return None
    g = int(next(x for x in m.groups() if x is not None))
    if m.group(0).lstrip().startswith(">") and not m.group(0).lstrip().startswith(">="):
        g += 1
    immune = bool(re.search(r"\birae|immune[- ](?:related|mediated)|immunotherapy", low))
    cat = None
    for name, pat in (("bleeding", r"bleed|ha?emorrhag"), ("myocarditis", r"myocarditis"), ("pneumonitis", r"pneumonitis|\bild\b"),
                      ("infusion", r"infusion"), ("neuropathy", r"neuropath")):
        if re.search(pat, low) and not (name == "myocarditis" and immune and re.search(r"irae|immune[- ]related adverse", low)):
            cat = name
            break
    extra = []
    for mm in re.finditer(r"(?:>=|≥)\s*grade\s*([0-4])\s+(?:immune[- ]related\s+)?(myocarditis|pneumonitis|colitis|hepatitis|nephritis)", low):
        extra.append((int(mm.group(1)), mm.group(2)))
    return {"mode": "history", "min_grade": g, "immune": immune, "category": cat, "extra": extra}


def _platinum_check(t: str) -> dict | None:
    low = t.lower()
    if not re.search(r"platinum", low):
        return None
    if re.search(r"not (?:considered )?(?:primary )?platinum[- ]refractory|(?:has )?not progressed (?:during|on) platinum", low):
        return {"mode": "not_refractory"}
    m = re.search(r"progress\w*\s+(?:less than|within|<)\s*(\d+)\s*(days?|weeks?|months?)\s+(?:after|of|from)\s+(?:the\s+)?(?:last|final|completion)", low)
    if m:
        d = to_days(m.group(1), m.group(2))
        return {"mode": "resistant", "days": d, "alt_ineligible": bool(re.search(r"no longer (?:considered )?eligible for platinum|not (?:a )?candidate for platinum|ineligible for platinum", low))}
    if re.search(r"platinum[- ]resistant|resistant to platinum", low):
        return {"mode": "resistant", "days": 180.0, "alt_ineligible": False}
    if re.search(r"platinum[- ]refractory|refractory to platinum", low):
        return {"mode": "refractory"}
    if re.search(r"platinum[- ]sensitive|sensitive to platinum", low):
        return {"mode": "sensitive"}
    return None


_ROMAN_VAL = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


def _scale_value(v: str) -> str:
    v = v.strip().lower()
    return str(_ROMAN_VAL[v]) if v in _ROMAN_VAL else v


def _scale_check(text: str) -> dict | None:
    """A named clinical scale with required values: "Albumin-Bilirubin (ALBI) Grade 1", "BCLC Stage B or C",
    "NYHA class I-II" (Child-Pugh, ECOG and Karnofsky have their own checks)."""
    m = re.search(r"(?:\(([A-Z][A-Za-z0-9-]{1,8})\)|\b([A-Z]{2,8})\b)\s+((?i:grade|class|stage|score|category))\s+"
                  r"((?:[0-9]|[A-D]|I{1,3}V?|IV)\b(?:\s*(?:or|,|/|to|-|and)\s*(?:[0-9]|[A-D]|I{1,3}V?|IV)\b)*)", text)
    if not m:
        return None
    abbr = m.group(1) or m.group(2)
    if abbr.upper() in ("ECOG", "WHO", "KPS", "CTCAE", "RECIST", "HER2", "IHC", "ISH", "PS", "TNM", "AJCC", "FIGO", "CP"):
        return None
    vals = [_scale_value(x) for x in re.findall(r"[0-9]|[A-D]\b|IV|I{1,3}V?", m.group(4))]
    rng = re.search(r"(\w+)\s*(?:to|-)\s*(\w+)", m.group(4))
    if rng and _scale_value(rng.group(1)).isdigit() and _scale_value(rng.group(2)).isdigit():
        vals = [str(v) for v in range(int(_scale_value(rng.group(1))), int(_scale_value(rng.group(2))) + 1)]
    name = text[:m.start()].strip(" ,;:(").split(",")[-1].strip()
    return {"abbr": abbr, "word": m.group(3).lower(), "allowed": vals, "name": name[-40:]}


def _measurable_params(text: str) -> dict:
    low = clean(text).lower()
    return {"not_irradiated": bool(re.search(r"not (?:have been |been )?(?:previously )?irradiated|non-?irradiated|not previously irradiated|not been irradiated|outside (?:of )?(?:the |any )?(?:prior )?radiation field", low)),
            "no_brain_only": bool(re.search(r"solely within the brain|only in the brain|(?:cns|brain) lesions (?:will|are) not (?:be )?(?:considered|acceptable)|brain[^.]{0,30}not (?:be )?acceptable as target", low)),
            "intracranial": bool(re.search(r"intracranial\w*(?: measurable)?|rano[- ]?bm|\brano\b", low))}


_HOUSEHOLD = re.compile(r"\b(?:close\s+)?household\s+contacts?\b|\bshare\s+(?:housing|a\s+household)\b", re.I)  # not "close contact with TB": an exposure


@lru_cache(maxsize=4096)
def parse_criterion(text: str, criterion_type: str = "inclusion") -> ParsedCriterion:
    listed = "exclusion" if criterion_type.lower().startswith("ex") else "inclusion"
    ctype = listed
    flipped = False
    t = clean(text).strip()
    t = re.sub(r"^\W*(?:\d{1,2}[.)]|[-•*·§])\s*", "", t)
    if _HOUSEHOLD.search(t):
        # "Able to avoid close household contact … with pregnant women, children 3 years of age and under …": about
        # the people the patient lives with, never decided by the patient's own pregnancy, steroids or age
        return ParsedCriterion(text, listed, listed, [Check("household", {}, t)])
    sp = _special_form(t, listed)
    if sp is not None:
        sp.text = text
        return sp
    plat = _platinum_check(t)
    if plat is not None:
        crit = ParsedCriterion(text, listed, listed, [Check("platinum", plat, t)])
        return crit
    if listed == "inclusion" and reads_as_exclusion(text):
        ctype, flipped = "exclusion", True
    elif listed == "exclusion" and len(t) <= 200 and len(re.split(r"(?<=[.;])\s+(?=[A-Z])", t)) == 1 \
            and not re.match(r"\W*(?:history|known|active|prior|previous|uncontrolled|any|current|presence|evidence|diagnosis|participants?|patients?|subjects?)\b", t, re.I) and re.search(r"\b(?:must|should)\s+(?:have\s+been\s+|have\s+|be\s+)?(?:include|included|received|receive|treated|have|be)\b", t, re.I) \
            and not re.search(r"\b(?:must|should)\s+not\b|\bexclud\w*|\bnot (?:be )?(?:eligible|allowed|permitted|enrolled)|\bineligible\b|\bcannot\b|\bunable\b|\bunwilling\b|\bwho (?:must|should)\b|\brequir\w+\b", t, re.I):
        ctype, flipped = "inclusion", True  # a requirement listed among the exclusions
    main, exceptions = split_exceptions(t)
    if ctype == "inclusion" and exceptions and re.fullmatch(r"\W*(?:(?:histolog\w*|patholog\w*|tumou?r|cancer)\s+)?(?:sub)?types?\W*|\W*histolog(?:y|ies)\W*", main, re.I):
        # "Histological subtypes other than ampullary cancer, small cell cancer, ...": those subtypes are excluded
        main, exceptions = re.sub(r"\(?\s*please note[^)]*\)?", " ", exceptions[0], flags=re.I), []
        ctype, flipped = "exclusion", True
    # negatively phrased criteria: "No X" (inclusion) is an exclusion of X; "Patients without X" (exclusion)
    # is an inclusion of X
    neg = re.match(r"^\W*((?:patients?|subjects?|participants?|individuals?)\s+(?:is|are|who are|who have|who has|that are|that have|with)?\s*)?"
                   r"(?:no|not(?:\s+an?)?|without|absence of|free of|never had|never|must not (?:have|be))\b(?!\s+(?:more|less|greater|fewer|later|earlier|longer|older|younger|other than|able|willing|capable|(?:upper\s+)?limit|restriction|maximum)\b)\s*", main, re.I)
    negated_inclusion = False
    if neg and len(main) > neg.end() + 2:
        main = main[neg.end():]
        if ctype == "inclusion":
            ctype, flipped, negated_inclusion = "exclusion", True, True
        elif neg.group(1):  # "Patients without X" listed as an exclusion = X is required
            ctype, flipped = "inclusion", True
    if ctype == "inclusion" and re.search(r"\b(?:discontinue|stop|wash ?out|refrain from|abstain from|avoid)\b", main, re.I) and any(therapy_mentions(main)):
        ctype, flipped = "exclusion", True
    window = parse_window(main)
    checks: list[Check] = []
    low = main.lower()

    def add(kind: str, **params: Any) -> None:
        checks.append(Check(kind, params, main))

    if re.search(r"\b(?:in good (?:general )?health|healthy (?:volunteers?|subjects?|adults?|individuals?|participants?)|generally healthy|good general health)\b", main, re.I) and ctype == "inclusion":
        add("healthy")
    ae = _ae_check(main, low, exceptions, t)
    le = re.search(r"\b(?:life expectancy|expected survival|survival expectancy|expected to (?:live|survive))\b[^.;]{0,40}?(?:>=|>|at least|of at least|greater than|more than|over|minimum of|of)?\s*(\d+(?:\.\d+)?)\s*(weeks?|months?|years?|days?)", main, re.I)
    # boilerplate first: consent, compliance, participation
    if checks:
        pass
    elif le:
        add("life_expectancy", days=to_days(le.group(1), le.group(2)))
    elif pain := parse_pain(main):
        add("pain", **pain)
    elif ctype == "inclusion" and len(main) < 160 and _scale_check(main) is not None:
        add("scale", **_scale_check(main))
    elif ctype == "inclusion" and re.search(r"child[- ]pugh", low):
        cls = set()
        for m in re.finditer(r"child[- ]pugh\W+(?:\(cp\)\s*)?(?:class|grade|category|score)?\s*([abc])\b(\d{1,2})?((?:\s*(?:or|/|,|and)\s*(?:class\s*)?[abc]\d{0,2})*)(\s*or (?:above|higher|worse|better|less|lower))?", low):
            found = [m.group(1)] + re.findall(r"\b([abc])\d{0,2}\b", m.group(3) or "")
            cls |= set(found)
            if m.group(4):
                cls |= {"b", "c"} if re.search(r"above|higher|worse", m.group(4)) else {"a"}
        add("child_pugh", allowed=sorted(cls))
    elif ae:
        add("adverse_event", **ae)
    elif re.search(r"\bwash-?out\b", low) and re.search(r"\b(?:protocol|inadequate|insufficient|appropriate|adequate)\b", low) and not parse_window(main):
        add("washout")
    elif re.search(r"\badequate\b[^.;]{0,50}\b(?:organ|bone marrow|hepatic|renal|ha?ematologic\w*|liver|kidney|marrow)\b[^.;]{0,30}\bfunction", low) and not parse_labs(main):
        add("organ_function")
    elif _MEASURABLE.search(main) and ctype == "inclusion" and not _BRAIN.search(re.sub(r"(?i)lesions? solely within the brain[^.]*|brain[^.]{0,30}not (?:be )?acceptable[^.]*", " ", main)) and not re.search(r"\bif\b", low):
        add("measurable", **_measurable_params(t))
    elif re.search(r"\b(?:disease progression|progressive disease|(?:radiolog\w+|radiographic|objective)\s+(?:disease\s+)?progression|documented progression)\b[^.;]{0,60}\b(?:on or after|after|following|during|while on)\b[^.;]{0,80}\b(?:therapy|regimen|treatment)\b", low) \
            and parse_lines(main) is None and not [c for c in therapy_mentions(main)[1] if c not in ("anticancer_therapy",)] and not therapy_mentions(main)[0]:
        add("progression")
    elif _NONCOMPLIANCE.search(main):
        add("compliance")
    elif _CONSENT.search(re.sub(r"\([^)]*\)", " ", main)) and not re.search(r"\bdementia\b|\bcognitive\b", low):
        add("consent", negative=bool(re.search(r"\b(?:refus\w*|inability|unable|unwilling|not (?:able|willing)|no informed|missing|lack of|without|cannot|can not|incapable|not provided|opted out)\b", low)))
    elif any(not re.search(r"\bthe\s+$", main[max(0, m.start() - 6):m.start()], re.I) for m in _PARTICIPATION.finditer(main)) \
            and not _TRANSPLANT.search(main):
        # "the investigational product(s)" is this study's own drug, not participation in another trial
        add("trial_participation")

    if not checks:
        age = parse_age(main)
        sex = parse_sex(main)
        if _PREG.search(_WISH_PREG.sub(" ", main)):
            add("pregnancy", breastfeeding=bool(re.search(r"lactat(?!es?\b)|breast[- ]?feed|nursing|lactif", low)),
                pregnancy=bool(re.search(r"pregnan|hcg|gonadotrop", low)),
                childbearing=bool(re.search(r"child[- ]?bearing|wocbp", low)),
                contraception=bool(_CONTRA.search(main)),
                term=bool(re.search(r"\bterm pregnan", low)),
                test=bool(re.search(r"pregnancy test|hcg|gonadotrop", low)),
                negated_statement=bool(re.search(r"\bnon[- ]?pregnant|\bnot pregnant|\bnot (?:be )?(?:pregnant|breast)", low)))
        elif _CONTRA.search(main):
            add("contraception")
        ps = parse_ps(main) if re.search(r"ecog|performance status|karnofsky|kps|zubrod|lansky|\b(?-i:PS)\b|\b(?-i:WHO)\b", main, re.I) else None
        if ps and (ps.get("allowed") is not None or ps.get("op") or ps.get("kps_range")):
            add("ps", **ps)
        th = parse_labs(main)
        if th:
            # "LVEF >= 50% within 28 days prior to randomization": how recent the value must be (a window inside
            # brackets, "(no transfusion within 1 week ...)", is about something else)
            add("labs", thresholds=th, window=parse_window(re.sub(r"\([^()]*\)", " ", main)))
        if _LEPTO.search(main) and not _BRAIN.search(main):
            add("leptomeningeal")
        elif _BRAIN.search(main):
            add("brain_mets", leptomeningeal=bool(_LEPTO.search(main)),
                untreated=bool(re.search(r"untreated|not (?:been )?(?:previously )?treated|active|progressive|progressing|new|unstable|growing", low)),
                symptomatic=bool(re.search(r"(?<!a)symptomatic|neurologic\w* (?:symptoms|deficit)|require\w* (?:steroid|corticosteroid)", low)),
                exceptions=" ".join(exceptions).lower(), known=bool(re.search(r"\bknown\b|\bhistory\b", low)))
        if not any(c.kind in ("ps", "labs") for c in checks):
            drugs, classes = therapy_mentions(main)
            lines = parse_lines(main)
            steroid_only = bool(_STEROID.search(main)) and set(classes) <= {"corticosteroid", "immunosuppressant", "tnf_inhibitor", "anti_cd20"} and not re.search(r"chemo|radiation|radiotherapy", low) \
                and not re.search(r"(?:requir\w*|needing|needed|treated with)\s+(?:\w+\s+){0,3}(?:steroids?|corticosteroids?|glucocorticoids?)", low)
            if re.search(r"(?:requir\w*|needing|needed)\s+(?:\w+\s+){0,3}(?:steroids?|corticosteroids?|glucocorticoids?|treatment|therapy)", low):
                drugs, classes = [], []
            if steroid_only and (classes or drugs) and not _BRAIN.search(main):
                dm = re.search(r"(>|>=|<=|<|more than|greater than|exceeding|above|in excess of|of)?\s*(\d+(?:\.\d+)?)\s*mg", main, re.I)
                add("steroids", dose=float(dm.group(2)) if dm else None, classes=classes, drugs=drugs,
                    exceptions=" ".join(exceptions).lower() + " " + low, window=window)
            elif lines is not None and not any(c.kind == "brain_mets" for c in checks):
                req_d, req_c = required_therapy(main)
                add("lines", lo=lines[0], hi=lines[1], classes=classes, req_drugs=req_d, req_classes=req_c,
                    setting="advanced" if re.search(r"metastatic|advanced|unresectable|recurrent", low) else None)
            elif (drugs or classes) and _THERAPY_WORDS.search(main) and not _HYPERSENS.search(main) and not _BRAIN.search(main):
                mode = "required"
                if ctype == "exclusion":
                    mode = "forbidden"
                if re.search(r"^\W*(?:no|not|without|never)\b|\bno (?:prior|previous)\b|\bnaive\b|\bnaïve\b|\bmust not\b|\bnot (?:have )?(?:been )?(?:previously )?(?:received|treated)", low):
                    mode = "forbidden" if ctype == "inclusion" else "required"
                exc_text = " ".join(exceptions).lower()
                dfi = re.search(rf"\b(?:dfi|disease[- ]free interval|treatment[- ]free interval)\b[^.;]{{0,30}}?(?:>=|>|of|at least|more than|≥)*\s*({NUM})\s*({TIME_UNIT})", exc_text + " " + low, re.I)
                add("therapy", drugs=drugs, classes=classes, mode=mode, window=window, for_cancers=treated_cancers(main),
                    refractory=bool(re.search(r"refractory|progress\w*|failed|failure|relapsed|resistant", low)),
                    current=bool(re.search(r"\b(?:currently|concurrent|concomitant|ongoing|on|taking|receiving)\b", low)) and not re.search(r"\bprior|previous|history\b", low),
                    exceptions=exc_text,
                    setting="advanced" if re.search(r"\bfor\s+(?:the\s+)?(?:unresectable|locally advanced|advanced|metastatic|recurrent)|\bin the (?:metastatic|advanced|recurrent)(?:/\w+)? setting|\bfor (?:metastatic|advanced) disease", low) else None,
                    dfi_days=to_days(dfi.group(1), dfi.group(2)) if dfi else None,
                    due_to_toxicity=bool(re.search(r"\bdue to (?:treatment[- ]related |drug[- ]related |unacceptable )?(?:toxicit|adverse|intoleran|side effect)|\bbecause of (?:toxicit|adverse|intoleran)", low)),
                    all_required=mode == "required" and len(drugs) + len(classes) > 1 and bool(re.search(r"\band\b|\bplus\b|\+", low)) and not re.search(r"\bor\b", low))
        if _INFECT.search(main) and not any(c.kind == "therapy" for c in checks):
            viruses = []
            for v, pat in [("hiv", r"\bhiv\b|human immunodeficiency|\baids\b"), ("hbv", r"hepatitis\s*b|\bhbv\b|hbsag|\bhep\s*b\b"),
                           ("hcv", r"hepatitis\s*c|\bhcv\b|\bhep\s*c\b"), ("tb", r"tuberculosis|\btb\b")]:
                if re.search(pat, main, re.I):
                    viruses.append(v)
            add("infection", viruses=viruses, active=bool(re.search(r"\bactive|uncontrolled|\bdna\b|\brna\b|viral load|detectable|replicat", low)),
                exceptions=(" ".join(exceptions) + " " + low).lower(), test=bool(re.search(r"positive|serolog|screening|test|antibod|antigen|seropositiv", low)),
                cd4=bool(re.search(r"cd4", low)), stage=bool(re.search(r"stage (?:iii|iv|3|4)|who stage", low)))
        if _OTHER_MALIG.search(main) and not any(c.kind in ("brain_mets", "therapy") for c in checks):
            yrs = re.search(rf"(?:within|in the (?:last|past|previous|preceding)|<|less than)\s*(?:the\s+)?(?:last\s+|past\s+)?({NUM})\s*({TIME_UNIT})|({NUM})[- ]\s*(?:{TIME_UNIT})\s*(?:cancer|disease)[- ]free|({NUM})\s*({TIME_UNIT})", main, re.I)
            wd = None
            if yrs:
                if yrs.group(1):
                    wd = to_days(yrs.group(1), yrs.group(2))
                elif yrs.group(3):
                    wd = to_days(yrs.group(3), "years")
                elif yrs.group(4):
                    wd = to_days(yrs.group(4), yrs.group(5))
            cured = re.search(rf"\b(?:cured|disease[- ]free|in (?:complete )?remission|without (?:evidence of )?(?:disease|recurrence))\s+(?:for\s+)?(?:>=|≥|>|at least|more than|over|of)?\s*({NUM})\s*({TIME_UNIT})", " ".join(exceptions) + " " + main, re.I)
            if cured and wd is not None and abs(wd - (to_days(cured.group(1), cured.group(2)) or -1)) < 1:
                wd = None  # the years belong to the exception, not to a look-back window
            add("other_malignancy", window=wd, exceptions=(" ".join(exceptions)).lower(),
                cured_days=to_days(cured.group(1), cured.group(2)) if cured else None,
                current_only=bool(re.search(r"\b(?:current|active|concurrent|concomitant|advanced|progressing|requir\w+ (?:active )?treatment)\b", low)) and not re.search(r"history|prior|previous|within", low),
                # a malignancy "concurrent" with the one under study is another one
                any_cancer=not re.search(r"another|other|second|additional|concurrent|concomitant|synchronous", low))
        if _TRANSPLANT.search(main) and not checks:
            add("transplant", allogeneic_only=bool(re.search(r"allogen\w*|\ballo\b|organ", low)) and not re.search(r"autolog", low))
        if _HYPERSENS.search(main) and not checks:
            drugs, classes = therapy_mentions(main)
            add("hypersensitivity", drugs=drugs, classes=classes, study_drug=bool(re.search(r"study (?:drug|treatment|medication|intervention)|investigational|any (?:of the )?(?:components|excipients)|excipient|component|formulation|ingredient", low)))
        if _MEASURABLE.search(main) and ctype == "inclusion" and not checks:
            add("measurable")
        # tumour diagnosis / histology / stage / biomarkers
        if not any(c.kind in ("brain_mets", "leptomeningeal", "other_malignancy", "therapy", "lines", "labs", "infection", "transplant", "hypersensitivity", "steroids") for c in checks):
            lex = get_lexicon()
            toks = tokenize(main)
            cancer_hits = [h for h in lex.find(toks, ("concept",)) if "cancer" in lex.concept_ancestors(h.id) and h.id != "cancer"]
            site_hits = [cid for _, _, cid in site_cancers(main)]
            bio = _BIOMARKER.search(re.sub(r"\b(?:irrespective|regardless) of [^,.;]*", " ", main, flags=re.I))
            if cancer_hits or site_hits or bio or (re.search(r"histolog|cytolog|patholog", low) and re.search(r"carcinoma|cancer|tumou?r|malignan|neoplasm", low)):
                concepts = list(dict.fromkeys([h.id for h in cancer_hits] + site_hits))
                # a site-specific type named next to its umbrella ("squamous cell carcinoma of the oral cavity, ...,
                # hnscc") keeps the specific ones
                concepts = [x for x in concepts if not any(o != x and x in lex.concept_ancestors(o) for o in concepts)] if site_hits else concepts
                # "other non-adenocarcinoma histology" names what is not adenocarcinoma, not adenocarcinoma
                hm = _HIST_CRIT.findall(re.sub(r"\bnon[- ]?(?=adenocarcinoma|ductal|lobular|serous|mucinous|urothelial|neuroendocrine|clear[- ]cell|large[- ]cell)\w+", " ", main, flags=re.I))
                if concepts and not (ctype == "exclusion" and hm and re.search(r"\beven (?:if|when|with|as)\b[^.;]{0,25}\b(?:mixed|component)", main, re.I)):
                    # ("X tumours even if mixed histology": any X component excludes, whatever the main type)
                    bare = re.sub(r"\([^)]*\)|[^.;,]*\b(?:are|is) not (?:eligible|allowed)[^.;]*", " ", main)
                    qual = sorted({q.lower()[:6] for q in re.findall(r"\b(combined|mixed|transform\w*|composite)\b", bare, re.I)})
                    # "bilateral primary breast cancers or multiple tumours within the breast": the extent must hold too
                    extent = sorted({q.lower().split()[0] for q in _EXTENT.findall(bare)})
                    add("diagnosis", concepts=concepts, qualifiers=qual, extent=extent)
                if hm:
                    add("histology", allowed=[h.lower().replace("-", " ") for h in hm])
                if _STAGE_CRIT.search(main):
                    add("stage", text=main)
                if bio:
                    add("biomarker", text=main)
                if not any(c.kind in ("diagnosis", "histology", "stage", "biomarker") for c in checks):
                    add("diagnosis", concepts=["cancer"])
        if age and not any(c.kind == "pregnancy" for c in checks):
            add("age", lo=age[0], hi=age[1], matched=age[2])
        if sex and sex[0] != "any" and not any(c.kind == "pregnancy" for c in checks):
            add("sex", sex=sex[0])
        elif sex and sex[0] == "any":
            add("sex", sex="any")
        # the rest of the text as concept phrases
        rest = main
        if sex:
            rest = re.sub(r"\b(?:eligible\s+)?(?:sex|gender)s?\W*(?:all|both|any)\b|\bregardless of (?:sex|gender)\b|\birrespective of (?:sex|gender)\b|"
                          r"\b(?:male|men)\s*(?:and|or|&|/)\s*(?:female|women)\b|\b(?:female|women)\s*(?:and|or|&|/)\s*(?:male|men)\b|\bboth (?:sexes|genders)\b", " ", rest, flags=re.I)
        for c in checks:
            if c.kind == "age" and c.params.get("matched") not in ("adult", "child"):
                rest = _spelled_ops(rest).replace(c.params["matched"], " ")
                rest = re.sub(r"^\W*(?:eligible\s+)?ages?\W*$", " ", rest, flags=re.I)  # "Eligible Ages 18 Years and Over"
        # procedural follow-on sentences ("If QTcF is > 480 ms ..., 3 ECGs should be performed") are not conditions
        sents = re.split(r"(?<=[.;])\s+(?=[A-Z])", rest)
        if len(sents) > 1:
            rest = " ".join([sents[0]] + [x for x in sents[1:] if not re.match(r"\W*(?:if|note|when|in case)\b", x, re.I)
                                          and not re.search(r"\b(?:must|should|will|shall) be (?:completed|performed|calculated|monitored|used|repeated|obtained|done)\b", x, re.I)])
        typed = {c.kind for c in checks} - {"age", "sex"}
        if not typed:
            from .match import criterion_groups
            if criterion_groups(rest, ctype) or not checks:
                add("freetext", text=rest, window=window)
        elif typed <= {"labs"} and ctype == "inclusion":
            # "GCS <= 8 and an abnormal CT scan": a value that meets its limit does not settle a second,
            # non-laboratory requirement joined by "and"
            cond = _THRESH_RE.sub(" ", L.ANALYTE_RE.sub(" ", re.sub(r"\([^()]*\)", " ", rest)))
            extra = re.search(r"\band\s+(?:an?\s+|the\s+)?((?:abnormal|normal|positive|negative|evidence|signs?|documented|confirmed|presence|clinical|radiolog\w*|histolog\w*)\b[^;]*?)(?=\s+\bor\b|[;.]|$)", cond, re.I)
            if extra and re.search(r"[a-z]{4,}", extra.group(1), re.I):
                checks[0].params["and_text"] = extra.group(1)
        elif typed <= {"labs"} and ctype == "exclusion":
            # "Severe renal impairment (creatinine > 3 mg/dL)": the named condition also counts
            cond = re.sub(r"\b(?:in|for|among)\s+(?:patients|subjects|participants|those)\b.*$", " ", rest, flags=re.I)
            cond = L.ANALYTE_RE.sub(" ", cond)
            cond = _THRESH_RE.sub(" ", cond)
            from .match import criterion_groups
            if any(u[0] != "stem" for g in criterion_groups(cond, ctype) for a in g.alternatives for u in a.units) and not re.search(r"laborator|\blab\b|\blabs\b|screening", cond, re.I):
                checks[0].params["condition_text"] = cond
    crit = ParsedCriterion(text=text, type=ctype, listed_type=listed, checks=checks, window_days=window,
                           exceptions=exceptions, flipped=flipped, negated_inclusion=negated_inclusion)
    crit.importance = _importance(crit.kinds, text)
    return crit
