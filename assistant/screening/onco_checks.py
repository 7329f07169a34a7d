"""Checks for oncology criteria kinds: adverse events, life expectancy, organ function, washout, measurable disease,
progression on prior therapy, platinum sensitivity, and the structural kinds (conditional requirement, several
requirements in one criterion).

Each returns the Truth of the criterion's *statement* (see verdict.py): True / False / None.
"""

from __future__ import annotations

import re

from . import labs as L
from .criteria import Check, ParsedCriterion
from .patient import Fact, PatientFacts
from .truth import Truth, _T


# ------------------------------------------------------------------ adverse events

def _ae_allowed(f: Fact, p: dict) -> bool:
    term = f.value.get("term", "")
    for a in p.get("allowed", []):
        if a[:6] in term or term[:6] in a:
            if f.value["grade"] <= 1 or (p.get("stable_grade") and f.value["grade"] <= p["stable_grade"]
                                         and (f.detail.get("stable") or a in ("alopecia", "pigmentation", "vitiligo", "skin"))):
                return True
            if a in ("alopecia", "pigmentation", "vitiligo"):
                return True
    return False


def adverse_event(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    p = c.params
    aes = [f for f in pf.adverse_events if not f.family and not f.hypothetical]
    if p["mode"] == "residual":
        # statement X = "a toxicity above the limit persists"; the inclusion form ("must have resolved to") is not X
        limit = p["limit"]
        residual = [f for f in aes if not f.negated and not f.detail.get("resolved") and f.value.get("grade") is not None
                    and f.value["grade"] > limit and not _ae_allowed(f, p)]
        if residual:
            x = _T(True, f"{residual[0].text}: above grade {limit}", residual[:1])
        elif pf.toxicity_summary is not None and pf.toxicity_summary.value <= limit:
            x = _T(False, f"residual toxicity at most grade {pf.toxicity_summary.value} ({pf.toxicity_summary.text})", [pf.toxicity_summary])
        elif [f for f in aes if not f.negated and f.value.get("grade") is not None and (f.value["grade"] <= limit or f.detail.get("resolved") or _ae_allowed(f, p))]:
            ok = [f for f in aes if not f.negated and f.value.get("grade") is not None]
            allowed = [f for f in ok if f.value["grade"] > limit]
            why = f"{ok[0].text} ({'allowed by the criterion' if allowed else 'within the limit'})"
            x = _T(None, f"{why}; other residual toxicities not stated", ok[:1], silent=True, assumable=True)
        elif not pf.drugs or pf.treatment_naive is not None:
            x = _T(False, "no prior anticancer treatment described, so no residual toxicity", [pf.treatment_naive])
        else:
            x = _T(None, "residual toxicity of prior treatment not stated", silent=True, assumable=True)
        if p.get("residual_form"):
            return x
        return _T(None if x.value is None else not x.value, x.reason, x.evidence, x.silent, x.assumable)
    # history of graded events (immune-related / bleeding ...)
    want = p["min_grade"]
    cat = p.get("category")

    def fits(f: Fact, g: int, cat_: str | None, immune: bool) -> bool:
        term = f.value.get("term", "")
        if f.value.get("grade") is None or f.value["grade"] < g:
            return False
        if immune and not f.value.get("immune"):
            return False
        if cat_ == "bleeding" and not re.search(r"bleed|ha?emorrhag", term):
            return False
        if cat_ and cat_ != "bleeding" and cat_[:6] not in term:
            return False
        return True
    hits = [f for f in aes if not f.negated and fits(f, want, cat, p.get("immune"))]
    for g, organ in p.get("extra", []):
        hits += [f for f in aes if not f.negated and f.value.get("grade") is not None and f.value["grade"] >= g and organ[:6] in f.value.get("term", "")]
    if hits:
        return _T(True, f"{hits[0].text} (grade {hits[0].value['grade']})", hits[:1])
    negs = [f for f in aes if f.negated and (f.value.get("immune") == bool(p.get("immune")) or not p.get("immune"))]
    lower = [f for f in aes if not f.negated and f.value.get("grade") is not None and (not p.get("immune") or f.value.get("immune"))]
    if cat == "bleeding":
        m = re.search(r"\bno (?:history of |prior )?(?:bleeding|ha?emorrhag\w*)(?: events?| episodes?)?\b|\bnever bled\b", pf.text, re.I)
        if m:
            return _T(False, "no bleeding", [Fact("mention", "bleeding", m.start(), m.end(), m.group(0), negated=True)])
    if negs:
        return _T(False, f"{negs[0].text}", negs[:1])
    if lower:
        return _T(False, f"{lower[0].text}: below grade {want}", lower[:1])
    return _T(None, "no such adverse event described", silent=True, assumable=True)


# ------------------------------------------------------------------ life expectancy, organ function, washout

def life_expectancy(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    need = c.params.get("days")
    f = pf.life_expectancy
    if f is None:
        if re.search(r"\bhospice\b|\bend[- ]of[- ]life\b|\b(?:days|weeks) to live\b", pf.text, re.I):
            m = re.search(r"\bhospice\b|\bend[- ]of[- ]life\b|\b(?:days|weeks) to live\b", pf.text, re.I)
            return _T(False, "described as near the end of life", [Fact("mention", "eol", m.start(), m.end(), m.group(0))])
        return _T(None, "life expectancy not stated (judged at screening)", silent=True)
    if need is None:
        return _T(None, f"life expectancy {f.text}", [f])
    ok = f.value >= need
    return _T(ok, f"{f.text} {'meets' if ok else 'is below'} the required {need / 30.4:.0f} months", [f])


_OF_LIMITS = {"anc": (">=", 1.0), "plt": (">=", 75.0), "hb": (">=", 8.0), "bili": ("<=", 3.0), "ast": ("<=", 5.0),
              "alt": ("<=", 5.0), "creat": ("<=", 3.0), "albumin": (">=", 2.5)}  # clearly inadequate beyond these
_OF_USUAL = {"anc": (">=", 1.5), "plt": (">=", 100.0), "hb": (">=", 9.0), "bili": ("<=", 1.5), "ast": ("<=", 2.5),
             "alt": ("<=", 2.5), "creat": ("<=", 1.5), "albumin": (">=", 3.0)}  # usual protocol limits (x ULN for liver / renal)


def _of_value(f: Fact, aid: str) -> float | None:
    if f.value is None:
        return None
    if aid in ("bili", "ast", "alt", "creat"):
        if f.detail.get("uln_ratio") is not None:
            return f.detail["uln_ratio"]
        uln = L.uln_of(aid)
        return f.value / uln if uln else None
    return f.value


def organ_function(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    liver = bool(pf.site_mets("liver")[0])
    bad, ok = [], []
    for aid in _OF_USUAL:
        for f in pf.lab(aid):
            if f.family:
                continue
            v = _of_value(f, aid)
            if v is None:
                q = f.detail.get("qual")
                if q in ("normal", "not_low", "not_high"):
                    ok.append(f)
                continue
            op, lim = _OF_LIMITS[aid]
            if aid in ("ast", "alt") and liver:
                lim = 8.0
            if not (v >= lim if op == ">=" else v <= lim):
                bad.append(f)
                continue
            op2, lim2 = _OF_USUAL[aid]
            if aid in ("ast", "alt") and liver:
                lim2 = 5.0
            if v >= lim2 if op2 == ">=" else v <= lim2:
                ok.append(f)
    m = re.search(r"\b(?:labs?|laboratory (?:values|tests?|results?)|blood (?:tests?|counts?|work)|bloods|organ function|lfts?|liver function|renal function)\b[^.;]{0,25}?\b(?:adequate|normal|within normal limits|wnl|unremarkable|fine|ok)\b|"
                  r"\b(?:adequate|normal)\s+(?:labs?|organ function|bone marrow function|blood counts?|laboratory values)\b", pf.text, re.I)
    if bad:
        return _T(False, f"{bad[0].text} is outside adequate organ function", bad[:1])
    if m:
        a = pf.doc.assertion_chars(m.start(), m.end()) if pf.doc else None
        if a is None or not a.negated:
            return _T(True, f"reported: {m.group(0)}", [Fact("mention", "labs", m.start(), m.end(), m.group(0))] + ok[:2])
    if len({f.detail.get("analyte") for f in ok}) >= 3:
        return _T(True, "laboratory values given are within usual limits", ok[:3])
    if ok:
        return _T(None, "only some laboratory values are given", ok[:2])
    return _T(None, "organ function (laboratory values) not stated", silent=True)


def washout(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    anti = [f for f in pf.drugs if f.affirmed and ("anticancer_therapy" in f.value["classes"] or "radiotherapy" in f.value["classes"])]
    if not anti:
        return _T(False, "no prior anticancer therapy described", silent=True, assumable=True)
    if any(f.detail.get("current") for f in anti):
        f = next(f for f in anti if f.detail.get("current"))
        return _T(None, f"currently receiving {f.text}: washout to be confirmed", [f])
    known = [f for f in anti if f.days_ago is not None]
    if known:
        last = min(known, key=lambda f: f.days_ago)
        if last.days_ago >= 28:
            return _T(False, f"last anticancer therapy ({last.text}) about {last.days_ago / 7:.0f} weeks ago", [last])
        return _T(None, f"last anticancer therapy ({last.text}) {last.days_ago:.0f} days ago: washout per protocol to be confirmed", [last])
    return _T(None, "time since the last anticancer therapy not stated", silent=True, assumable=True)


# ------------------------------------------------------------------ measurable disease

def measurable(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    p = c.params
    lesions = [f for f in pf.lesions if not f.negated]
    if p.get("intracranial"):
        brain = [f for f in lesions if f.detail.get("brain")]
        meas = [f for f in brain if f.value >= 10]
        if meas:
            return _T(True, f"intracranial lesion {meas[0].value:g} mm (≥ 10 mm)", meas[:1])
        if brain:
            return _T(False, f"brain lesions all < 10 mm (largest {max(f.value for f in brain):g} mm)", brain[:1])
        return _T(None, "size of intracranial lesions not stated", silent=True)
    body = [f for f in lesions if not f.detail.get("brain") or not p.get("no_brain_only")]
    meas = [f for f in body if (f.value >= 15 if f.detail.get("node") else f.value >= 10)]
    rt_any = [f for f in pf.drugs if "radiotherapy" in f.value.get("classes", ()) and f.affirmed]
    if meas:
        if p.get("not_irradiated"):
            free = [f for f in meas if f.detail.get("irradiated") is False]
            if free:
                return _T(True, f"measurable lesion {free[0].value:g} mm, not irradiated", free[:1])
            if all(f.detail.get("irradiated") for f in meas):
                return _T(None, "the measurable lesions were irradiated; progression since not stated", meas[:1])
            if not rt_any or all(f.detail.get("brain") for f in lesions if f.detail.get("irradiated")):
                return _T(True, f"measurable lesion {meas[0].value:g} mm; no radiotherapy to it described", meas[:1])
            return _T(None, f"measurable lesion {meas[0].value:g} mm; whether it was irradiated is not stated", meas[:1])
        return _T(True, f"measurable lesion {meas[0].value:g} mm", meas[:1])
    if pf.measurable is not None:
        if pf.measurable.value and p.get("not_irradiated") and rt_any and not re.search(r"\b(?:never|not|none|non)[- ](?:previously )?irradiated\b", pf.text, re.I):
            return _T(None, "measurable disease reported; whether the lesion was irradiated is not stated", [pf.measurable])
        return _T(pf.measurable.value, "measurable disease " + ("reported" if pf.measurable.value else "denied"), [pf.measurable])
    if body and all(f.value < 10 for f in body):
        return _T(False, f"lesions all < 10 mm (largest {max(f.value for f in body):g} mm)", body[:1])
    return _T(None, "measurable disease (RECIST) not stated", silent=True)


# ------------------------------------------------------------------ progression on prior therapy, platinum

def progression(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    prog = [f for f in pf.progression]
    anti = [f for f in pf.drugs if f.affirmed and "anticancer_therapy" in f.value["classes"]]
    if pf.treatment_naive is not None and not anti:
        return _T(None, "no prior anticancer therapy described, so no progression on it", [pf.treatment_naive])
    if prog and (anti or pf.has_cancer):
        return _T(True, f"progression described ({prog[0].text})", prog[:1] + anti[:1])
    return _T(None, "progression on or after prior therapy not stated", silent=True)


def platinum(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    p = c.params
    pl = pf.platinum
    had = [f for f in pf.drugs if f.affirmed and "platinum" in f.value["classes"]]
    refr, res, sens, itv = pl.get("refractory"), pl.get("resistant"), pl.get("sensitive"), pl.get("interval")
    mode = p["mode"]
    if mode == "not_refractory":
        if refr:
            return _T(False, f"progressed during platinum ({refr.text})", [refr])
        if itv is not None:
            ok = itv.value >= 28
            return _T(ok, f"progression {itv.value / 30.4:.0f} months after platinum ({itv.text})", [itv])
        if sens or res:
            f = sens or res
            return _T(True, f"{f.text}: not primary platinum-refractory", [f])
        if not had:
            return _T(None, "no platinum therapy described", silent=True)
        return _T(None, "timing of progression relative to platinum not stated", had[:1])
    if mode == "resistant":
        days = p.get("days") or 180.0
        if refr:
            return _T(True, f"progressed during platinum ({refr.text})", [refr])
        if res:
            return _T(True, res.text, [res])
        if itv is not None:
            if itv.value < days:
                return _T(True, f"progression {itv.value:.0f} days after platinum ({itv.text})", [itv])
            return _T(None if p.get("alt_ineligible") else False, f"progression {itv.value / 30.4:.0f} months after platinum ({itv.text})", [itv])
        if sens:
            return _T(None if p.get("alt_ineligible") else False, sens.text, [sens])
        if not had:
            return _T(None, "no platinum therapy described", silent=True)
        return _T(None, "how soon the disease progressed after the last platinum dose is not stated", had[:1])
    if mode == "refractory":
        if refr:
            return _T(True, refr.text, [refr])
        if itv is not None or sens:
            f = itv or sens
            return _T(False, f.text, [f])
        return _T(None, "platinum refractoriness not stated", silent=True)
    if mode == "sensitive":
        if sens:
            return _T(True, sens.text, [sens])
        if refr or res:
            f = refr or res
            return _T(False, f.text, [f])
        if itv is not None:
            return _T(itv.value >= 180, itv.text, [itv])
        return _T(None, "platinum sensitivity not stated", silent=True)
    return _T(None, "platinum criterion not recognised", silent=True)


# ------------------------------------------------------------------ structural kinds

def _status_truth(status: str) -> bool | None:
    return True if status == "meets" else False if status == "fails" else None


def condition_truth(pf: PatientFacts, c: Check) -> Truth:
    """Does the patient belong to the population X of a conditional check ("Subjects with X must Y")?"""
    from .verdict import crit_truth

    p = c.params
    if p.get("only_brain"):
        b_aff, b_neg = pf.site_mets("brain")
        l_aff, l_neg = pf.site_mets("leptomeningeal")
        if l_aff:
            ct = _T(False, "leptomeningeal disease too, not brain metastases only", l_aff[:1])
        elif b_aff:
            ct = _T(True, "brain metastases without leptomeningeal disease", b_aff[:1] + l_neg[:1]) if l_neg else \
                _T(None, "brain metastases; leptomeningeal disease not stated", b_aff[:1])
        elif b_neg:
            ct = _T(False, "no brain metastases", b_neg[:1])
        else:
            ct = _T(None, "brain metastases not stated", silent=True)
        return ct
    return crit_truth(pf, p["cond"])


def conditional(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    """"Subjects with X must Y": not applicable without X; with X, Y decides."""
    from .verdict import crit_truth, status_of

    p = c.params
    ct = condition_truth(pf, c)
    if ct.value is False or (ct.value is None and ct.silent and ct.assumable):
        return _T(True, f"not applicable ({ct.reason})", ct.evidence)
    req: ParsedCriterion = p["req"]
    rtruth = crit_truth(pf, req)
    rt = _status_truth(status_of(req, rtruth)[0])
    if ct.value is True:
        return _T(rt, f"{ct.reason}; {rtruth.reason}", ct.evidence + rtruth.evidence, silent=rt is None and rtruth.silent)
    if rt is True:
        return _T(True, rtruth.reason, rtruth.evidence)
    return _T(None, f"whether it applies is not clear ({ct.reason}); {rtruth.reason}", ct.evidence + rtruth.evidence)


def all_of(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    """Several requirements in one inclusion criterion: all must be met."""
    from .verdict import crit_truth, status_of

    vs = []
    for part in c.params["parts"]:
        t = crit_truth(pf, part)
        vs.append((part, status_of(part, t), t))
    fails = [x for x in vs if x[1][0] == "fails"]
    if fails:
        part, (st, reason), t = fails[0]
        return _T(False, reason, t.evidence)
    unk = [x for x in vs if x[1][0] == "unknown"]
    if not unk:
        return _T(True, "; ".join(r for _, (_, r), _ in vs)[:300], [e for _, _, t in vs for e in t.evidence])
    return _T(None, "; ".join(r for _, (_, r), _ in unk)[:300], [e for _, _, t in unk for e in t.evidence],
              silent=all(t.silent for _, _, t in unk))


def child_pugh(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    allowed = set(c.params.get("allowed") or [])
    m = re.search(r"\bchild[- ]?pugh\W+(?:class|grade|score)?\s*\(?([ABCabc])\s*-?\s*(\d{1,2})?\b|\bCP[- ]?([ABC])\s*(\d{1,2})?\b|\bchild[- ]?pugh (?:score )?(?:of )?(\d{1,2})\b", pf.text, re.I)
    if not m:
        if not [f for f in pf.cancers if f.value == "hcc"] and not re.search(r"cirrho", pf.text, re.I):
            return _T(None, "Child-Pugh class not stated (no liver cirrhosis described)", silent=True)
        return _T(None, "Child-Pugh class not stated", silent=True)
    if m.group(5):
        sc = int(m.group(5))
        cls = "a" if sc <= 6 else "b" if sc <= 9 else "c"
    else:
        cls = (m.group(1) or m.group(3)).lower()
    f = Fact("child_pugh", cls, m.start(), m.end(), m.group(0))
    if not allowed:
        return _T(None, f"{m.group(0)}", [f])
    ok = cls in allowed
    return _T(ok, f"{m.group(0)} {'is' if ok else 'is not'} Child-Pugh {'/'.join(sorted(x.upper() for x in allowed))}", [f])


def scale(pf: PatientFacts, c: Check, crit: ParsedCriterion) -> Truth:
    """A named clinical scale ("ALBI grade 1", "BCLC stage C") compared with the values the criterion allows."""
    p = c.params
    abbr = re.escape(p["abbr"])
    m = re.search(rf"\b{abbr}\b\W{{0,3}}(?:{p['word']}|grade|class|stage|score)?\s*(?:of\s+|is\s+|was\s+|:\s*)?([0-9]|[A-Da-d]\b|IV|I{{1,3}}V?)\b", pf.text)
    if not m:
        return _T(None, f"{p['abbr']} {p['word']} not stated", silent=True)
    from .criteria import _scale_value
    v = _scale_value(m.group(1))
    f = Fact("scale", v, m.start(), m.end(), m.group(0))
    ok = v in [x.lower() for x in p["allowed"]]
    return _T(ok, f"{m.group(0)} {'is' if ok else 'is not'} {p['abbr']} {p['word']} {'/'.join(p['allowed'])}", [f])
