"""Laboratory / vital-sign analytes: names, canonical units, unit conversion, normal ranges and typical ULNs.

Canonical units: cell counts 10^9/L; haemoglobin, albumin g/dL; bilirubin, creatinine, BUN mg/dL; enzymes U/L;
clearances mL/min; LVEF, haematocrit, SpO2, HbA1c %; QTc ms; temperature degrees C; weight kg.
Typical ULNs (used only to compare an absolute value with an "x ULN" threshold, and said so in the reason)
are common adult reference limits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Analyte:
    id: str
    label: str
    names: tuple[str, ...]
    unit: str
    normal: tuple[float, float] | None = None
    uln: float | None = None


ANALYTES: dict[str, Analyte] = {a.id: a for a in [
    Analyte("anc", "absolute neutrophil count", ("absolute neutrophil count", "absolute neutrophils", "neutrophil count",
            "neutrophils", "neutrophil", "anc", "agc", "absolute granulocyte count"), "x10^9/L", (1.8, 7.5)),
    Analyte("wbc", "white blood cell count", ("white blood cell count", "white blood cells", "white blood cell",
            "white cell count", "wbc count", "wbc", "leukocyte count", "leukocytes", "leucocytes", "white count"),
            "x10^9/L", (4.0, 11.0)),
    Analyte("plt", "platelet count", ("platelet count", "platelets", "platelet", "plts", "plt"), "x10^9/L", (150, 400)),
    Analyte("hb", "haemoglobin", ("hemoglobin", "haemoglobin", "hgb", "hb"), "g/dL", (12.0, 17.0)),
    Analyte("hct", "haematocrit", ("hematocrit", "haematocrit", "hct"), "%", (36, 50)),
    Analyte("bili", "total bilirubin", ("total serum bilirubin", "serum total bilirubin", "total bilirubin",
            "serum bilirubin", "bilirubin", "tbil", "t bili", "tbili"), "mg/dL", (0.2, 1.2), 1.2),
    Analyte("ast", "AST", ("aspartate aminotransferase", "aspartate transaminase", "ast", "sgot"), "U/L", (10, 40), 40),
    Analyte("alt", "ALT", ("alanine aminotransferase", "alanine transaminase", "alt", "sgpt"), "U/L", (7, 40), 40),
    Analyte("alp", "alkaline phosphatase", ("alkaline phosphatase", "alk phos", "alp"), "U/L", (40, 120), 120),
    Analyte("creat", "serum creatinine", ("serum creatinine", "creatinine level", "creatinine", "scr"), "mg/dL",
            (0.6, 1.2), 1.2),
    Analyte("crcl", "creatinine clearance", ("calculated creatinine clearance", "creatinine clearance",
            "measured creatinine clearance", "crcl", "cr cl"), "mL/min", (90, 140)),
    Analyte("gfr", "eGFR", ("estimated glomerular filtration rate", "glomerular filtration rate", "egfr", "gfr"),
            "mL/min/1.73m2", (90, 140)),
    Analyte("albumin", "albumin", ("serum albumin", "albumin"), "g/dL", (3.5, 5.0)),
    Analyte("inr", "INR", ("international normalized ratio", "international normalised ratio", "inr"), "", (0.8, 1.2), 1.2),
    Analyte("lvef", "LVEF", ("left ventricular ejection fraction", "ejection fraction", "lvef", "ef"), "%", (55, 70)),
    Analyte("qtc", "QTc", ("qtcf", "qtcb", "qtc interval", "qtc", "corrected qt interval", "qt interval", "qt/qtc"),
            "ms", (350, 450)),
    Analyte("sbp", "systolic blood pressure", ("systolic blood pressure", "systolic bp", "sbp", "systolic"), "mmHg",
            (90, 139)),
    Analyte("dbp", "diastolic blood pressure", ("diastolic blood pressure", "diastolic bp", "dbp", "diastolic"),
            "mmHg", (60, 89)),
    Analyte("hr", "heart rate", ("heart rate", "pulse rate", "pulse", "hr"), "/min", (60, 100)),
    Analyte("rr", "respiratory rate", ("respiratory rate", "respirations", "respiration rate", "rr"), "/min", (12, 20)),
    Analyte("temp", "temperature", ("body temperature", "temperature", "temp"), "C", (36.0, 37.5)),
    Analyte("spo2", "oxygen saturation", ("oxygen saturation", "o2 saturation", "o2 sat", "spo2", "sao2"), "%", (95, 100)),
    Analyte("bmi", "BMI", ("body mass index", "bmi"), "kg/m2", None),
    Analyte("weight", "body weight", ("body weight", "weight", "weighing", "weighs"), "kg", None),
    Analyte("hba1c", "HbA1c", ("hba1c", "hemoglobin a1c", "haemoglobin a1c", "a1c", "glycated hemoglobin"), "%", (4.0, 5.6)),
    Analyte("bun", "blood urea nitrogen", ("blood urea nitrogen", "bun"), "mg/dL", (7, 20)),
    Analyte("cd4", "CD4 count", ("cd4 count", "cd4 cell count", "cd4"), "cells/uL", (500, 1500)),
    Analyte("gcs", "Glasgow Coma Scale", ("glasgow coma scale", "glasgow coma score", "gcs"), "", (15, 15)),
    Analyte("lactate", "lactate", ("serum lactate", "plasma lactate", "lactate"), "mmol/L", (0.5, 2.0), 2.0),
    Analyte("potassium", "potassium", ("serum potassium", "potassium"), "mmol/L", (3.5, 5.0)),
    Analyte("sodium", "sodium", ("serum sodium", "sodium"), "mmol/L", (135, 145)),
]}

# name -> analyte id, longest names first for regex alternation
_NAMES = sorted(((n, a.id) for a in ANALYTES.values() for n in a.names), key=lambda x: -len(x[0]))
NAME_TO_ID = {n: i for n, i in _NAMES}


def _name_re(n: str) -> str:
    return r"\s*[-/ ]?\s*".join(re.escape(p) for p in n.split())


# Names matched case-insensitively, except the short ambiguous ones below, which must be upper case.
_CASE_SENSITIVE = {"ef", "hr", "rr", "hb", "alt", "ast", "alp", "scr", "inr", "plt", "gfr", "egfr", "anc", "wbc",
                   "bun", "hct", "agc", "dbp", "sbp"}
def _case_forms(n: str) -> list[str]:
    if n == "egfr":
        return ["eGFR", "EGFR(?=\\s*(?:[<>=≥≤]|of|is|was|:|\\d))"]
    if n == "hr":  # heart rate, not hormone receptor ("HR+", "(HR)-positive", "HR status")
        return ["HR(?!\\)?\\s*[+-]|\\)?[- ]?(?:positive|negative|status|\\+)|/)"]
    return sorted({n.upper(), n[:1].upper() + n[1:]})


_ALTS = []
for _n, _ in _NAMES:
    if _n in _CASE_SENSITIVE:
        _ALTS.extend("(?-i:" + (_name_re(f) if "(" not in f else f) + ")" for f in _case_forms(_n))
    else:
        _ALTS.append(_name_re(_n))
ANALYTE_RE = re.compile(r"(?<![\w-])(?:" + "|".join(_ALTS) + r")(?![\w])", re.IGNORECASE)
# eGFR is written "eGFR"; the gene EGFR is handled by excluding "EGFR" followed by mutation words (see callers)


def analyte_of(name: str) -> str | None:
    key = re.sub(r"[\s\-/]+", " ", name.lower()).strip()
    if key in NAME_TO_ID:
        return NAME_TO_ID[key]
    key2 = key.replace(" ", "")
    for n, i in _NAMES:
        if n.replace(" ", "") == key2:
            return i
    return None


def to_canonical(aid: str, value: float, unit: str) -> float:
    """Convert value in `unit` (free text, may be empty) to the analyte's canonical unit."""
    u = unit.lower().replace(" ", "").replace("µ", "u").replace("μ", "u")
    if aid in ("anc", "wbc", "plt"):
        if re.search(r"10\^?\*?(9|³|3)|10e9|10e3|x10|giga|k/ul|thou", u):
            return value
        if re.search(r"/mm|/ul|cells|/cmm|permm|perul|/l$|/ml", u) and "10" not in u:
            return value / 1000.0
        if u in ("", "/mm3", "/mm", "/ul"):
            if aid == "plt":
                return value / 1000.0 if value >= 2000 else value
            return value / 1000.0 if value >= 100 else value
        return value
    if aid == "hb":
        if "mmol" in u:
            return value * 1.611
        if "g/l" in u and "dl" not in u:
            return value / 10.0
        if not u and value > 25:
            return value / 10.0
        return value
    if aid == "albumin":
        if ("g/l" in u and "dl" not in u) or (not u and value > 10):
            return value / 10.0
        return value
    if aid == "bili":
        if "mol" in u or (not u and value > 15):
            return value / 17.1
        return value
    if aid == "creat":
        if "mol" in u or (not u and value > 20):
            return value / 88.4
        return value
    if aid == "temp":
        if "f" in u or value > 50:
            return (value - 32) * 5 / 9
        return value
    if aid == "weight":
        if "lb" in u or "pound" in u:
            return value * 0.4536
        return value
    if aid == "hct" and value < 1:
        return value * 100
    return value


def uln_of(aid: str) -> float | None:
    a = ANALYTES.get(aid)
    return a.uln if a else None
