"""Tumour type from anatomical site words: "sigmoid adenocarcinoma", "squamous cell carcinoma of the right tonsil",
"carcinoma of the oral cavity, oropharynx, hypopharynx, or larynx".

The site vocabulary is the ``sites`` list of each tumour concept in screening_concepts.yaml (general anatomy);
a site counts only when it qualifies a cancer word next to it, so "lung nodules" or "cervical lymph nodes"
do not name a tumour type.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .lexicon import get_lexicon

CANCER_WORD = (r"(?:squamous[- ]cell carcinomas?|squamous cell cancer|adenocarcinomas?|carcinosarcomas?|carcinomas?|cancers?|"
               r"(?-i:SCC)|tumou?rs?|malignanc(?:y|ies)|neoplasms?|adenocarcinoma|primary)")


@lru_cache(maxsize=1)
def _site_re() -> tuple[re.Pattern, re.Pattern, dict[str, str]]:
    lex = get_lexicon()
    sites = sorted(lex.sites, key=len, reverse=True)
    alt = "|".join(r"[\s-]+".join(re.escape(w) for w in s.split()) for s in sites)
    site = rf"(?:{alt})"
    before = re.compile(rf"\b({site})\s+(?:[\w-]+\s+){{0,2}}?{CANCER_WORD}\b", re.I)
    after = re.compile(rf"\b{CANCER_WORD}\s+(?:of|in|at|arising (?:in|from))\s+(?:the\s+)?(?:(?:left|right|bilateral)\s+)?"
                       rf"((?:{site})(?:\s*(?:,|/|\bor\b|\band\b|,\s*or|,\s*and)\s*(?:the\s+)?(?:{site}))*)\b", re.I)
    return before, after, {s.lower(): c for s, c in lex.sites.items()}


def _concept_of(site_text: str, table: dict[str, str]) -> str | None:
    key = re.sub(r"[\s-]+", " ", site_text.lower()).strip()
    return table.get(key)


def site_cancers(text: str) -> list[tuple[int, int, str]]:
    """(start, end, concept) of tumour types named by a site next to a cancer word."""
    before, after, table = _site_re()
    out: list[tuple[int, int, str]] = []
    for m in before.finditer(text):
        c = _concept_of(m.group(1), table)
        if c:
            out.append((m.start(), m.end(), c))
    for m in after.finditer(text):
        lst = m.group(1)
        base = m.start(1)
        for sm in re.finditer("|".join(sorted((re.escape(s).replace(r"\ ", r"[\s-]+") for s in table), key=len, reverse=True)), lst, re.I):
            c = _concept_of(sm.group(0), table)
            if c:
                out.append((m.start(), base + sm.end(), c))
    seen = set()
    uniq = []
    for s, e, c in out:
        if c not in seen:
            seen.add(c)
            uniq.append((s, e, c))
    return uniq


@lru_cache(maxsize=1)
def _lesion_re() -> re.Pattern:
    _, _, table = _site_re()
    alt = "|".join(sorted((re.escape(x).replace(r"\ ", r"[\s-]+") for x in table), key=len, reverse=True))
    return re.compile(rf"\b(?:lesion|mass|growth|ulcer|tumou?r)s?\s+(?:in|of|on|at)\s+(?:the\s+)?(?:(?:left|right|upper|lower|distal|proximal|mid)\s+)?"
                      rf"({alt})\b(?:(?!\bmetasta)[^.;]){{0,80}}?\b(?:adenocarcinoma|carcinoma|cancer|malignancy)\b", re.I)


def lesion_site_cancers(text: str) -> list[tuple[int, int, str]]:
    """(start, end, concept) of a tumour type named by the organ of a lesion shown to be a cancer in the same
    sentence: "a lesion in the stomach that shows features of adenocarcinoma" (not a metastasis)."""
    _, _, table = _site_re()
    out = []
    for m in _lesion_re().finditer(text):
        c = _concept_of(m.group(1), table)
        if c:
            out.append((m.start(), m.end(), c))
    return out


def cancer_concepts(text: str) -> set[str]:
    """Specific tumour types a text names, by a concept term ("lymphoma") or a site next to a cancer word."""
    from .text import tokenize

    lex = get_lexicon()
    found = {h.id for h in lex.find(tokenize(text), ("concept",)) if "cancer" in lex.concept_ancestors(h.id) and h.id != "cancer"}
    return found | {c for _, _, c in site_cancers(text)}


_FOR_DISEASE = re.compile(r"\bfor\s+(?:the\s+(?:treatment|management)\s+of\s+)?((?:[\w'-]+\s+){0,4}?[\w'-]+)(?=\s*(?:[,.;()]|$|\b(?:and|but|in|at|with|which|that|years?|months?)\b))", re.I)


def treated_cancers(text: str) -> set[str]:
    """The tumour types a treatment is said to be for: "chemotherapy years ago for lymphoma", "prior systemic
    therapy for breast cancer" (empty when none is named, or when "any malignancy" is)."""
    out: set[str] = set()
    for m in _FOR_DISEASE.finditer(text):
        out |= cancer_concepts(m.group(1))
    return out
