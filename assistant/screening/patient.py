"""Patient facts from free text (clinician note or the patient's / a relative's own words).

Negation and context: a NegEx / ConText-style algorithm of our own (assistant/screening/context.py) with the
public trigger lists (NegEx, pyConText) in assistant/data/screening_context.yaml, rather than medspaCy.
medspaCy 1.3.1 (ConText) was tried offline in a separate venv:
  * install: spaCy 3.7 + thinc + blis + PyRuSH + quickumls, ~280 MB venv; it pins spacy<3.8, and pip would
    downgrade thinc to fit the project's numpy 2.4 - a fragile stack to add for one feature;
  * start-up 0.7 s, ~1 ms per sentence - fine;
  * accuracy on the 29 development notes (sigir-2014*), given the same 95 concept mentions as targets:
    negation agreed on 93/95; of the 2 disagreements ours was right on one ("not compliant with her diabetes
    medication": diabetes is not negated) and medspaCy on the other ("pregnancy test ... negative", which
    we handle with a dedicated pregnancy-test rule); it also missed "History of hepatitis B." (tokenised "B.");
  * it does not remove the real work: the concept vocabulary, drug classes, numbers and time windows.
So the algorithm is re-implemented here (~150 lines): no model, millisecond start-up, exact character spans,
trigger lists in a tested data file, and no new dependency.

Oncology history (therapy setting, timing per clause, prior lines, disease-free interval, graded adverse events,
sized lesions, platinum sensitivity, life expectancy) is read in onco.py; tumour types named by a site word next
to a cancer word ("sigmoid adenocarcinoma", "carcinoma of the right tonsil") in tumour.py. Named regimens
(FOLFOX, TCHP, ...) give a fact for each component drug. Test results override the bare mention ("HIV Ab neg",
"HBV/HCV/HIV negative", "anti-HBs pos (vaccinated)"); cured / controlled / treated viral infections are not
active infections; viral loads are kept as numbers.

Every fact keeps the verbatim patient words (`span`, `text`) it came from. Facts carry ConText flags
(negated, historical, hypothetical, uncertain, family) and, where the sentence says so, how long ago
(`days_ago`). Patient words are spell-corrected against the medical vocabulary ("hepatitus" -> hepatitis).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from . import labs as L
from .context import Assertion, assess, find_triggers
from .lexicon import Hit, get_lexicon
from .text import NUM, TIME_UNIT, Token, parse_number, split_sentences, to_days, tokenize
from .tumour import treated_cancers

RELATIONS = {
    "mum": "female", "mom": "female", "mother": "female", "mam": "female", "mummy": "female", "wife": "female",
    "daughter": "female", "sister": "female", "grandmother": "female", "grandma": "female", "nan": "female",
    "nana": "female", "aunt": "female", "auntie": "female", "partner": None, "dad": "male", "father": "male",
    "husband": "male", "son": "male", "brother": "male", "grandfather": "male", "grandpa": "male",
    "granddad": "male", "uncle": "male", "friend": None, "child": None, "baby": None, "kid": None,
}
_REL_RE = "|".join(sorted(RELATIONS, key=len, reverse=True))

# common English words that must not be "corrected" into a near medical word
_NO_CORRECT = {"cancel", "cancelled", "canceled", "patent", "parent", "parents", "lesson", "letter", "matter",
               "better", "latter", "walked", "talked", "enough", "worse", "stable", "steady", "recent", "second",
               "weeks", "months", "years", "taken", "taking", "given", "giving", "lives", "living", "brother",
               "mother", "father", "sister", "treated", "started", "stated", "states", "wanted", "tested",
               "needed", "rested", "slight", "though", "through", "dialed", "smoked", "varies", "varied", "series",
               "carries", "carried", "worried", "married", "buried", "hurried", "causes", "caused", "places", "placed"}


@dataclass
class Fact:
    kind: str
    value: Any
    start: int
    end: int
    text: str
    negated: bool = False
    historical: bool = False
    hypothetical: bool = False
    uncertain: bool = False
    family: bool = False
    days_ago: float | None = None
    detail: dict = field(default_factory=dict)

    @property
    def affirmed(self) -> bool:
        return not (self.negated or self.hypothetical or self.uncertain or self.family)

    @property
    def definite(self) -> bool:
        return not (self.hypothetical or self.uncertain or self.family)

    def to_json(self) -> dict:
        d = asdict(self)
        if isinstance(d.get("value"), (set, frozenset)):
            d["value"] = sorted(d["value"])
        return d


class PatientDoc:
    """Tokens, sentences, vocabulary hits and ConText triggers of one patient text."""

    def __init__(self, text: str, skip_family: frozenset[str] = frozenset()):
        self.text = text
        self.sentences = split_sentences(text)
        lex = get_lexicon()
        toks = tokenize(text, self.sentences)
        fixed: list[Token] = []
        for t in toks:
            if t.raw[:1].isalpha() and len(t.raw) >= 6 and t.norm not in _NO_CORRECT:
                c = lex.correct(t.norm)
                if c and c != t.stem:
                    t = Token(t.start, t.end, t.raw, t.norm, c, t.sent)
            fixed.append(t)
        self.tokens = fixed
        self.sent_tok: list[tuple[int, int]] = []
        k = 0
        for si in range(len(self.sentences)):
            a = k
            while k < len(fixed) and fixed[k].sent == si:
                k += 1
            self.sent_tok.append((a, k))
        self.skip_family = skip_family
        self._triggers: dict[int, list] = {}
        self.family_sentences = {si for si in range(len(self.sentences)) if self._family_subject(si)}
        self.hits: list[Hit] = lex.find(self.tokens)
        self.hits += [h for h in finding_hits(self) if not any(o.i <= h.i < o.j for o in self.hits)]
        self.negated_spans: list[tuple[int, int]] = []  # mentions a domain rule reads as absent (negative test, vaccination)
        self.resolved_spans: list[tuple[int, int]] = []  # conditions described as cured / controlled (not active)
        self.stem_index: dict[str, list[int]] = {}
        for i, t in enumerate(self.tokens):
            self.stem_index.setdefault(t.stem, []).append(i)

    def _family_subject(self, si: int) -> bool:
        s, e = self.sentences[si]
        m = re.match(r"\s*(?:both\s+)?(?:(?:his|her|their|the patient's|patient's|my)\s+)?(?:older\s+|younger\s+)?"
                     r"(mother|father|brother|sister|siblings?|parents?|grandmother|grandfather|aunt|uncle|cousin|"
                     r"daughter|son|mum|mom|dad|family)\b", self.text[s:e], re.I)
        return bool(m) and m.group(1).lower() not in self.skip_family

    def triggers(self, si: int) -> list:
        if si not in self._triggers:
            a, b = self.sent_tok[si]
            self._triggers[si] = find_triggers(self.tokens[a:b], self.skip_family)
        return self._triggers[si]

    def assertion(self, i: int, j: int) -> Assertion:
        """ConText assertion of tokens [i, j) (document token indices)."""
        si = self.tokens[i].sent
        a, _ = self.sent_tok[si]
        res = assess(self.tokens[a:self.sent_tok[si][1]], i - a, j - a, self.triggers(si))
        if si in self.family_sentences:
            res.family = True
        return res

    def sentence_of_char(self, pos: int) -> int:
        for si, (s, e) in enumerate(self.sentences):
            if s <= pos < e or (pos < s):
                return si
        return max(0, len(self.sentences) - 1)

    def token_range(self, start: int, end: int) -> tuple[int, int]:
        ids = [k for k, t in enumerate(self.tokens) if t.start < end and t.end > start]
        if not ids:
            return (0, 0)
        return ids[0], ids[-1] + 1

    def assertion_chars(self, start: int, end: int) -> Assertion:
        i, j = self.token_range(start, end)
        if j <= i:
            return Assertion()
        return self.assertion(i, j)

    def sentence_text(self, si: int) -> str:
        s, e = self.sentences[si]
        return self.text[s:e]

    def days_ago(self, si: int) -> float | None:
        return sentence_days_ago(self.sentence_text(si))


# Findings that name a condition without its word: a measured sign meeting the condition's definition, or a word
# that the setting makes specific (a lesion seen by a dermatologist is a skin lesion).
_URINE_OUTPUT = re.compile(r"\burine output\b[^.;\d]{0,30}?(?:less than|below|under|<)?\s*(\d+(?:\.\d+)?)\s*m[lL]\s*/\s*kg\s*/\s*h", re.I)
_OLIGURIA_ML_KG_H = 0.5  # KDIGO urine-output criterion of acute kidney injury
_LESION = re.compile(r"\blesions?\b", re.I)
_LVEF = re.compile(r"\b(?:(?-i:L?VEF|EF)|(?:left ventricular )?ejection fraction)(?:\s+(?:was|is|of|at|measured at|estimated at)|\s*[:=])?\s*(?:of\s+)?"
                   r"(\d{1,2})(?:\s*-\s*\d{1,2})?\s*%", re.I)
_HFREF_LVEF = 40  # heart failure with reduced ejection fraction: LVEF <= 40 % (ESC / ACC-AHA definitions)
_SKIN_WORDS = re.compile(r"\bskin\b|\bcutaneous\b|\bpedunculated\b|\bhyperpigment\w*|\bflesh[- ]colou?red\b", re.I)


def finding_hits(doc: "PatientDoc") -> list[Hit]:
    """Concept hits for findings described without the condition's name (see above)."""
    out = []
    for m in _URINE_OUTPUT.finditer(doc.text):
        if float(m.group(1)) < _OLIGURIA_ML_KG_H and not re.search(r"more|greater|above|over|>", m.group(0), re.I):
            out.append(("oliguria", m.start(), m.end()))
    for m in _LVEF.finditer(doc.text):
        if int(m.group(1)) <= _HFREF_LVEF:
            out.append(("heart_failure", m.start(), m.end()))
    seen_by_dermatologist = bool(re.search(r"\bdermatolog\w*", doc.text, re.I))
    for m in _LESION.finditer(doc.text):
        if seen_by_dermatologist or _SKIN_WORDS.search(doc.sentence_text(doc.sentence_of_char(m.start()))):
            out.append(("skin_lesion", m.start(), m.end()))
    return [Hit(*doc.token_range(s, e), "concept", cid) for cid, s, e in out]


_AGO_RE = re.compile(rf"\b({NUM})\s*-?\s*({TIME_UNIT})\s+(?:ago|earlier|before|prior|previously|back)\b", re.I)
_LAST_RE = re.compile(rf"\b(?:in|over|during|within)\s+the\s+(?:last|past|previous|preceding)\s+({NUM})?\s*({TIME_UNIT})", re.I)
_SINCE_WORDS = [(r"\byesterday\b", 1), (r"\blast night\b", 1), (r"\btoday\b|\bthis morning\b|\bearlier today\b", 0),
                (r"\blast week\b", 7), (r"\blast month\b", 30), (r"\blast year\b", 365), (r"\brecently\b", 30),
                (r"\bcurrently\b|\bnow\b|\bat present\b|\bongoing\b|\bstill\b", 0)]


def sentence_days_ago(s: str) -> float | None:
    m = _AGO_RE.search(s)
    if m:
        return to_days(m.group(1), m.group(2))
    m = _LAST_RE.search(s)
    if m:
        return to_days(m.group(1) or "1", m.group(2))
    for pat, d in _SINCE_WORDS:
        if re.search(pat, s, re.I):
            return float(d)
    return None


@dataclass
class PatientFacts:
    text: str
    perspective: str = "clinician"  # clinician | self | caregiver
    relation: str | None = None  # e.g. "dad" when a relative writes about the patient
    age: Fact | None = None
    sex: Fact | None = None
    conditions: list[Fact] = field(default_factory=list)
    drugs: list[Fact] = field(default_factory=list)
    labs: dict[str, list[Fact]] = field(default_factory=dict)
    lab_panels: list[Fact] = field(default_factory=list)  # "CBC normal" etc.
    ps: Fact | None = None  # value: (ecog_lo, ecog_hi)
    lines: Fact | None = None  # value: (lo, hi) prior lines of systemic anticancer therapy
    treatment_naive: Fact | None = None
    progression: list[Fact] = field(default_factory=list)
    mets: dict[str, list[Fact]] = field(default_factory=dict)
    brain: dict[str, Fact] = field(default_factory=dict)  # treated / stable / symptomatic / steroids / imaging_negative
    infections: list[Fact] = field(default_factory=list)
    pregnancy: list[Fact] = field(default_factory=list)
    consent: Fact | None = None
    compliance_issue: Fact | None = None
    biomarkers: dict[str, list[Fact]] = field(default_factory=dict)
    stage: Fact | None = None
    histology: list[Fact] = field(default_factory=list)
    allergies: list[Fact] = field(default_factory=list)
    transplants: list[Fact] = field(default_factory=list)
    steroid_doses: list[Fact] = field(default_factory=list)
    meds_reported: bool = False  # the text lists current medications (or says there are none)
    measurable: Fact | None = None
    # oncology history (assistant/screening/onco.py)
    advanced_naive: Fact | None = None  # no treatment yet for advanced / metastatic disease
    dfi: Fact | None = None  # disease-free interval (days) between early-setting therapy and recurrence
    adverse_events: list[Fact] = field(default_factory=list)  # graded toxicities; value {"grade", "term", ...}
    toxicity_summary: Fact | None = None  # "toxicities <= grade 1", "no residual toxicity": value = max grade
    lesions: list[Fact] = field(default_factory=list)  # sized lesions; value = size in mm
    viral_loads: dict[str, list[Fact]] = field(default_factory=dict)  # hbv / hcv / hiv -> IU/mL
    life_expectancy: Fact | None = None  # value = days
    platinum: dict[str, Fact] = field(default_factory=dict)  # refractory / resistant / sensitive / interval
    history_uncertain: Fact | None = None  # "unclear which agent", "records not yet received"
    last_therapy: Fact | None = None  # "last therapy 4 weeks ago" (days), whatever the drug
    doc: PatientDoc | None = None

    # ---------- queries ----------
    def concept_facts(self, cid: str) -> list[Fact]:
        """Condition facts whose concept is `cid` or narrower."""
        lex = get_lexicon()
        return [f for f in self.conditions if cid in lex.concept_ancestors(f.value)]

    @property
    def cancers(self) -> list[Fact]:
        return [f for f in self.concept_facts("cancer") if f.definite and not f.negated]

    @property
    def has_cancer(self) -> bool:
        return bool(self.cancers) or bool(self.mets_any()) or any(
            "anticancer_therapy" in f.value.get("classes", ()) for f in self.drugs if f.affirmed)

    def mets_any(self) -> list[Fact]:
        return [f for fs in self.mets.values() for f in fs if f.affirmed]

    def site_mets(self, site: str) -> tuple[list[Fact], list[Fact]]:
        """(affirmed, negated) facts for metastasis at a site."""
        fs = self.mets.get(site, [])
        return [f for f in fs if f.affirmed], [f for f in fs if f.negated and not f.family]

    def lab(self, aid: str) -> list[Fact]:
        return self.labs.get(aid, [])

    @property
    def is_female(self) -> bool | None:
        return None if self.sex is None else self.sex.value == "female"

    def age_range(self) -> tuple[float, float] | None:
        return None if self.age is None else self.age.value

    def all_facts(self) -> list[Fact]:
        out: list[Fact] = []
        for v in self.__dict__.values():
            if isinstance(v, Fact):
                out.append(v)
            elif isinstance(v, list):
                out.extend(x for x in v if isinstance(x, Fact))
            elif isinstance(v, dict):
                for x in v.values():
                    if isinstance(x, Fact):
                        out.append(x)
                    elif isinstance(x, list):
                        out.extend(y for y in x if isinstance(y, Fact))
        return out

    def to_json(self) -> dict:
        return {"perspective": self.perspective, "relation": self.relation,
                "facts": [f.to_json() for f in sorted(self.all_facts(), key=lambda f: f.start)]}


# ------------------------------------------------------------------ helpers

def _fact(doc: PatientDoc, kind: str, value: Any, start: int, end: int, assertion: Assertion | None = None,
          **detail) -> Fact:
    a = assertion if assertion is not None else doc.assertion_chars(start, end)
    si = doc.sentence_of_char(start)
    f = Fact(kind, value, start, end, doc.text[start:end], a.negated, a.historical, a.hypothetical, a.uncertain,
             a.family, doc.days_ago(si) if doc.sentences else None, dict(detail))
    return f


def _perspective(text: str) -> tuple[str, str | None]:
    m_rel = re.search(rf"\bmy\s+(?:\w+\s+)?({_REL_RE})\b", text, re.I) or \
        re.match(rf"\s*(mum|mom|dad|mother|father|husband|wife|son|daughter|sister|brother|grandma|grandpa|nan|nana)\b(?=\s*(?:is|has|had|was|\(|,|'s))", text, re.I)
    m_self = re.search(r"\b(?:I|I'm|I've|I am|I have|I had|I was)\b", text)
    self_clin = re.search(r"\bI\s+(?:have|had|was diagnosed|am on|'m on|am taking|got|'ve had|'ve been|was told)\b|"
                          r"\bI'm\s+\d|\bI am\s+\d|\bmy (?:cancer|tumou?r|oncologist|doctor|scan|chemo|treatment)",
                          text, re.I)
    if m_rel and (not self_clin or m_rel.start() < self_clin.start()):
        return "caregiver", m_rel.group(1).lower()
    if m_self or self_clin:
        return "self", None
    return "clinician", None


_AGE_PATTERNS = [
    (re.compile(r"\b(\d{1,3}(?:\.\d)?)\s*-?\s*(?:years?|yrs?|yo|y)\s*-?\s*old\b", re.I), 1.0),
    (re.compile(r"\b(\d{1,2})\s*-?\s*months?\s*-?\s*old\b", re.I), 1 / 12),
    (re.compile(r"\b(\d{1,2})\s*-?\s*weeks?\s*-?\s*old\b", re.I), 1 / 52),
    (re.compile(r"\b(\d{1,2})\s*-?\s*days?\s*-?\s*old\b", re.I), 1 / 365),
    (re.compile(r"\b(\d{1,3})\s*(?:y/o|y\.o\.?|yo|yrs?\.? old)\b", re.I), 1.0),
    (re.compile(r"\b(\d{1,3})\s*years?\s+of\s+age\b", re.I), 1.0),
    (re.compile(r"\baged?\s*(?:of\s*|is\s*|:\s*)?(\d{1,3})\b", re.I), 1.0),
    (re.compile(r"\b(\d{2})\s*(?-i:[MF])\b"), 1.0),
    (re.compile(rf"\b(?:I'm|I am|(?:he|she)(?:'s| is)|(?:my\s+)?(?:{_REL_RE})\s+is|turned|turns|just turned)\s+(\d{{1,3}})\b(?!\s*(?:%|kg|lb|cm|mg|weeks?|days?|months?|times?))", re.I), 1.0),
    (re.compile(rf"\bmy\s+(?:{_REL_RE})\s*(?:\(\s*(\d{{1,3}})\s*\)|,\s*(\d{{1,3}})\s*,)", re.I), 1.0),
]
_DECADE_RE = re.compile(r"\bin\s+(?:his|her|my|their|the)\s+(?:early\s+|late\s+|mid\s+)?(\d)0s\b", re.I)


_HAS_A = re.compile(r"\b(?:have|has|had|with|got|our|his|their)\s+(?:a\s+|an\s+)?$", re.I)
_PERSON_AFTER = re.compile(r"[\s-]*(?:woman|man|female|male|lady|gentleman|patient|pt|w|m|f)\b", re.I)


def _someone_elses_age(text: str, m: re.Match) -> bool:
    """"I have a 2 year old at home": the age of someone the patient has, not the patient's."""
    return bool(_HAS_A.search(text[max(0, m.start() - 25) : m.start()])) and not _PERSON_AFTER.match(text[m.end() : m.end() + 20])


def _extract_age(doc: PatientDoc, pf: PatientFacts) -> None:
    text = doc.text
    best = None
    for pat, mult in _AGE_PATTERNS:
        for m in pat.finditer(text):
            si = doc.sentence_of_char(m.start())
            if si in doc.family_sentences:
                continue
            pre = text[max(0, m.start() - 40):m.start()].lower()
            if re.search(r"\b(?:brother|sister|sibling|mother|father|son|daughter)\b[^.]*$", pre) and pf.perspective != "caregiver":
                continue
            if _someone_elses_age(text, m):
                continue
            v = float(next(g for g in m.groups() if g is not None)) * mult
            if not 0 <= v <= 120:
                continue
            if best is None or m.start() < best[0]:
                best = (m.start(), m.end(), v)
            break
    if best:
        s, e, v = best
        pf.age = Fact("age", (v, v), s, e, text[s:e])
        return
    m = _DECADE_RE.search(text)
    if m:
        d = int(m.group(1)) * 10
        pf.age = Fact("age", (float(d), float(d + 9)), m.start(), m.end(), m.group(0))


# clinical shorthand opening a note: "52M, …", "48 F", "60yo F" (not "fever 101 F" later on)
_AGE_SEX_RE = re.compile(r"^\W*(?:pt\.?\s*|patient\s*)?\d{1,3}\s*(?:y/?o|yo|-?year-old)?\s*-?([MF])\b", re.I)
_FEMALE = r"woman|women|female|girl|lady|mrs|ms|she|her|hers|herself|mother|wife|daughter|postmenopausal|premenopausal|pregnant"
_MALE = r"man|men|male|boy|gentleman|mr|he|his|him|himself|husband|father|son"


def _extract_sex(doc: PatientDoc, pf: PatientFacts) -> None:
    text = doc.text
    if pf.perspective == "caregiver" and pf.relation and RELATIONS.get(pf.relation):
        m = re.search(rf"\b{re.escape(pf.relation)}\b", text, re.I)
        if m:
            pf.sex = Fact("sex", RELATIONS[pf.relation], m.start(), m.end(), m.group(0))
            return
    m = _AGE_SEX_RE.search(text)
    if m:
        pf.sex = Fact("sex", "female" if m.group(1).upper() == "F" else "male", m.start(), m.end(), m.group(0))
        return
    nouns = re.compile(r"\b(woman|female|girl|lady|gentleman|man|male|boy|(?-i:Mrs|Ms|Mr))\b", re.I)
    for m in nouns.finditer(text):
        if doc.sentence_of_char(m.start()) in doc.family_sentences:
            continue
        w = m.group(1).lower()
        sex = "female" if re.fullmatch(_FEMALE, w) else "male"
        pf.sex = Fact("sex", sex, m.start(), m.end(), m.group(0))
        return
    counts = {"female": [], "male": []}
    for m in re.finditer(r"\b(she|her|he|his|him)\b", text, re.I):
        if doc.sentence_of_char(m.start()) in doc.family_sentences:
            continue
        counts["female" if m.group(1).lower() in ("she", "her") else "male"].append(m)
    for sex in ("female", "male"):
        other = "male" if sex == "female" else "female"
        if counts[sex] and len(counts[sex]) > 2 * len(counts[other]):
            m = counts[sex][0]
            pf.sex = Fact("sex", sex, m.start(), m.end(), m.group(0))
            return
    for m in re.finditer(r"\b(postmenopausal|premenopausal|pregnant|prostate|menstrua\w*|menses)\b", text, re.I):
        sex = "male" if m.group(1).lower() == "prostate" else "female"
        pf.sex = Fact("sex", sex, m.start(), m.end(), m.group(0), detail={"inferred": True})
        return


# ------------------------------------------------------------------ labs

_NUMV = r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
_UNIT = (r"((?:\s*[x×*]\s*10\s*(?:\^|\*\*|e)?\s*(?:9|3|³|⁹)\s*/\s*[lLuμµ]\w*)|(?:\s*(?:g\s*/\s*dl|g\s*/\s*l|mg\s*/\s*dl|"
         r"mg\s*/\s*l|[uμµ]mol\s*/\s*l|micro\s*mmol\s*/\s*l|mmol\s*/\s*l|u\s*/\s*l|iu\s*/\s*l|iu\s*/\s*ml|ml\s*/\s*min(?:\s*/\s*1\.73\s*m\s*(?:2|²))?|"
         r"%|ms(?:ec)?|mm\s*hg|bpm|/\s*min|/\s*mm3?|/\s*[uμµ]l|cells\s*/\s*(?:mm3?|[uμµ]l)|k\s*/\s*[uμµ]l|kg\s*/\s*m2|kg|lbs?|pounds|"
         r"°\s*[cf]|degrees?\s*[cf]?|c\b|f\b)))?")
_LAB_VAL_RE = re.compile(r"^\W{0,3}(?:\((?:[A-Za-z]{2,6})\)\s*)?(?:(?:level|count|value|concentration|of|is|are|was|were|at|=|:|"
                         r"measured|reported|found|noted|up to|to|around|about|approximately|~)\s*){0,3}"
                         r"(?:(<|>|<=|>=|≤|≥)\s*)?" + _NUMV + _UNIT, re.I)
_QUAL_RE = re.compile(r"^\W{0,3}(?:level|count|values?|levels|tests?)?\s*(?:is|was|are|were)?\s*"
                      r"(normal|within normal limits|wnl|unremarkable|elevated|raised|high|increased|low|decreased|"
                      r"reduced|abnormal)\b", re.I)
_QUAL_PRE_RE = re.compile(r"\b(normal|elevated|raised|high|increased|low|decreased|reduced|abnormal)\s+(?:serum\s+)?$", re.I)


def _extract_labs(doc: PatientDoc, pf: PatientFacts) -> None:
    text = doc.text
    for m in L.ANALYTE_RE.finditer(text):
        aid = L.analyte_of(m.group(0))
        if aid is None:
            continue
        tail = text[m.end():m.end() + 60]
        si = doc.sentence_of_char(m.start())
        vm = _LAB_VAL_RE.match(tail)
        if aid in ("sbp", "dbp"):
            continue
        if vm:
            v = parse_number(vm.group(2))
            if v is None:
                continue
            unit = (vm.group(3) or "").strip()
            if aid == "gcs":
                v = float(v)
            if aid == "hr" and "/" in tail[:vm.end()] and re.match(r"^\D{0,12}\d+\s*/\s*\d+", tail):
                pass
            canon = L.to_canonical(aid, v, unit)
            end = m.end() + vm.end()
            uln_ratio = None
            um = re.match(r"\s*(?:x|×|times)\s*(?:the\s+)?(?:uln|upper limit)", text[end:end + 25], re.I)
            if um:
                uln_ratio = v
                end += um.end()
            f = _fact(doc, "lab", canon, m.start(), end, analyte=aid, raw_value=v, unit=unit, uln_ratio=uln_ratio,
                      op=vm.group(1))
            f.negated = False
            pf.labs.setdefault(aid, []).append(f)
            continue
        qm = _QUAL_RE.match(tail)
        pre = _QUAL_PRE_RE.search(text[max(0, m.start() - 25):m.start()])
        q = (qm.group(1) if qm else pre.group(1) if pre else None)
        if q:
            q = q.lower()
            qual = "normal" if q in ("normal", "within normal limits", "wnl", "unremarkable") else (
                "high" if q in ("elevated", "raised", "high", "increased") else "low" if q in ("low", "decreased", "reduced") else "abnormal")
            s0 = m.start() - (len(pre.group(0)) if pre and not qm else 0)
            e0 = m.end() + (qm.end() if qm else 0)
            f = _fact(doc, "lab", None, s0, e0, analyte=aid, qual=qual)
            f.negated = False
            pf.labs.setdefault(aid, []).append(f)
    # blood pressure "BP 80/60", "blood pressure is 134/74 mm Hg"
    for m in re.finditer(r"\b(?:blood pressure|BP)\b\W{0,3}(?:(?:is|was|of|at|=|:|measured)\s*){0,2}(\d{2,3})\s*/\s*(\d{2,3})", text, re.I):
        sbp, dbp = float(m.group(1)), float(m.group(2))
        pf.labs.setdefault("sbp", []).append(_fact(doc, "lab", sbp, m.start(), m.end(), analyte="sbp"))
        pf.labs.setdefault("dbp", []).append(_fact(doc, "lab", dbp, m.start(), m.end(), analyte="dbp"))
    for m in re.finditer(r"\b(?:fever|temperature|temp)\s+(?:up to|of|to|at|reaching|peaking at)\s+(\d{2,3}(?:\.\d)?)\s*°?\s*(C|F|degrees)?", text, re.I):
        v = float(m.group(1))
        pf.labs.setdefault("temp", []).append(_fact(doc, "lab", L.to_canonical("temp", v, m.group(2) or ""), m.start(), m.end(), analyte="temp"))
    for m in re.finditer(r"\b(?:morbidly\s+)?obes(?:e|ity)\b", text, re.I):
        f = _fact(doc, "lab", None, m.start(), m.end(), analyte="bmi", qual="obese")
        if f.affirmed:
            pf.labs.setdefault("bmi", []).append(f)
    # qualitative vitals
    for pat, aid, qual in [(r"\btachycardi\w*", "hr", "high"), (r"\bbradycardi\w*", "hr", "low"),
                           (r"\btachypn\w*", "rr", "high"), (r"\bhypotensi\w*", "sbp", "low"),
                           (r"\bafebrile\b", "temp", "normal"), (r"\bfebrile\b|\bfever\b", "temp", "high"),
                           (r"\bhypoxi\w*|\bcyanotic\b", "spo2", "low"), (r"\banemi\w*|\banaemi\w*", "hb", "low"),
                           (r"\bthrombocytopeni\w*", "plt", "low"), (r"\bneutropeni\w*", "anc", "low"),
                           (r"\bleukocytosis\b", "wbc", "high"), (r"\bleukopeni\w*", "wbc", "low"),
                           (r"\bjaundice\w*", "bili", "high")]:
        for m in re.finditer(pat, text, re.I):
            f = _fact(doc, "lab", None, m.start(), m.end(), analyte=aid, qual=qual)
            if f.negated:
                if qual in ("high", "low"):
                    f.detail["qual"] = "not_" + qual
                    f.negated = False
                else:
                    continue
            if f.affirmed or f.detail["qual"].startswith("not_"):
                pf.labs.setdefault(aid, []).append(f)
    # panels reported normal
    panels = [
        (r"\b(?:cbc|complete blood counts?|full blood counts?|fbc|blood counts?|haematology|hematology)\b", ("anc", "wbc", "plt", "hb", "hct")),
        (r"\b(?:lfts?|liver function(?: tests?)?|liver enzymes|hepatic function|liver panel)\b", ("bili", "ast", "alt", "alp", "albumin")),
        (r"\b(?:renal function|kidney function|renal panel|u&es?|urea and electrolytes)\b", ("creat", "crcl", "gfr")),
        (r"\b(?:biochemical profile|biochemistry|chemistry panel|metabolic panel|bmp|cmp|chemistries)\b", ("bili", "ast", "alt", "alp", "creat", "albumin", "crcl", "gfr")),
        (r"\b(?:labs|laboratory (?:tests?|results?|values|work)|blood (?:tests?|work|results)|bloods)\b", ("anc", "wbc", "plt", "hb", "hct", "bili", "ast", "alt", "alp", "creat", "crcl", "gfr", "albumin")),
    ]
    for pat, ids in panels:
        for m in re.finditer(pat, text, re.I):
            si = doc.sentence_of_char(m.start())
            s, e = doc.sentences[si]
            seg = text[m.start():min(e, m.end() + 40)]
            pre = text[max(s, m.start() - 30):m.start()]
            if re.search(r"\b(?:are|is|were|was|all|came back|returned)?\s*(?:normal|within normal limits|unremarkable|fine|ok|okay|good)\b", seg[len(m.group(0)):], re.I) or re.search(r"\bnormal\s+$", pre, re.I):
                f = _fact(doc, "lab_panel", ids, m.start(), min(e, m.end() + 40) if len(seg) > len(m.group(0)) else m.end())
                f.text = text[m.start():m.end() + len(seg) - len(m.group(0))].split(".")[0]
                f.end = f.start + len(f.text)
                f.negated = False
                pf.lab_panels.append(f)


# ------------------------------------------------------------------ performance status

_PS_LAY = [
    (r"\bfully active\b|\bno (?:restrictions|limitations)\b|\bruns? marathons?\b|\bnormal activit(?:y|ies)\b", (0, 0)),
    (r"\b(?:still|is|are|am)\s+(?:working|at work)\b|\bworks? full[- ]time\b|\bplays? (?:golf|tennis)\b|\bdoes? (?:light )?housework\b|\bactive\b(?! (?:infection|disease|hepatitis|bleeding|tb|tuberculosis))", (0, 1)),
    (r"\b(?:can(?:not|'t)|unable to|not able to) work(?:ing)?\b|\b(?:I|he|she|had to|has|have)\s+(?:had to\s+)?stop(?:ped)? work(?:ing)?\b|\bgave up (?:his |her |my )?work\b|\bup and about more than half\b|\bable to (?:look after|care for) (?:himself|herself|myself|themselves)\b", (1, 2)),
    (r"\b(?:in|confined to) (?:bed|a chair) (?:most of|more than half)\b|\bspends? most of the day in (?:bed|a chair)\b|\bneeds? help (?:with |to )?(?:wash|dress|bath|shower|eat|get|go|walk|toilet)\w*\b|\blimited self[- ]care\b", (3, 3)),
    (r"\bbed[- ]?(?:bound|ridden)\b|\bcompletely disabled\b|\bcannot (?:get out of bed|care for (?:himself|herself))\b|\b(?:remained|stayed|has been) in bed\b", (3, 4)),
    (r"\basymptomatic\b", (0, 0)),
]


def _kps_to_ecog(k: float) -> tuple[int, int]:
    if k >= 90:
        return (0, 0)
    if k >= 70:
        return (1, 1)
    if k >= 50:
        return (2, 2)
    if k >= 30:
        return (3, 3)
    return (4, 4)


def _extract_ps(doc: PatientDoc, pf: PatientFacts) -> None:
    text = doc.text
    m = re.search(r"\b(?:ecog|who|zubrod)(?:\s*(?:performance status|performance score|ps|p\.s\.))?(?:\s*(?:score|grade))?"
                  r"\s*(?:of|is|was|=|:|at)?\s*([0-4])(?:\s*(?:-|to|or|/)\s*([0-4]))?\b", text, re.I) or \
        re.search(r"\b(?:performance status|PS)\s*(?:of|is|was|=|:)?\s*([0-4])(?:\s*(?:-|to|or)\s*([0-4]))?\b(?!\s*(?:mg|%|cm))", text)
    if m:
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else lo
        pf.ps = Fact("ps", (min(lo, hi), max(lo, hi)), m.start(), m.end(), m.group(0), detail={"scale": "ECOG"})
        return
    m = re.search(r"\b(?:kps|karnofsky(?:\s*performance\s*(?:status|score|scale))?)\s*(?:score)?\s*(?:of|is|was|=|:)?\s*(\d{2,3})\s*%?", text, re.I)
    if m:
        k = float(m.group(1))
        pf.ps = Fact("ps", _kps_to_ecog(k), m.start(), m.end(), m.group(0), detail={"scale": "KPS", "kps": k})
        return
    for pat, rng in _PS_LAY:
        for mm in re.finditer(pat, text, re.I):
            f = _fact(doc, "ps", rng, mm.start(), mm.end(), scale="ECOG", lay=True)
            if f.family or f.hypothetical:
                continue
            if f.negated:
                continue
            pf.ps = f
            return


# ------------------------------------------------------------------ therapy

_LINES_RE = [
    re.compile(rf"\b({NUM}|\d+)\s+(?:or more\s+)?(?:prior|previous|earlier|different|separate)?\s*(?:systemic\s+)?(?:lines?|regimens?|courses|types|kinds)\s+(?:of\s+)?(?:systemic\s+|prior\s+)?(?:therapy|therapies|treatments?|chemo\w*|immunotherapy|anti-?cancer)?", re.I),
    re.compile(rf"\b({NUM}|\d+)\s+(?:prior|previous)\s+(?:systemic\s+)?(?:therapies|treatments|regimens|lines)\b", re.I),
    re.compile(r"\b(?:chemo\w*|treatments?|therapy|therapies|regimens?)\s+(once|twice|two times|three times|thrice|four times|\d+ times)\b", re.I),
    re.compile(r"\b(?:had|received|done|tried|been through|gone through|did)\s+(two|three|four|\d+)\s+(?:different\s+|separate\s+)?(?:chemos?|chemotherapies|treatments|therapies|regimens)\b", re.I),
]
_LINE_ORD_RE = re.compile(r"\b(first|second|third|fourth|1st|2nd|3rd|4th)[- ]line\b", re.I)
_NAIVE_RE = re.compile(r"\btreatment[- ]na[iï]ve\b|\bchemo(?:therapy)?[- ]na[iï]ve\b|\b(?:no|not (?:had|received) any|never (?:had|received))\s+(?:prior\s+|previous\s+)?(?:systemic\s+)?(?:anti-?cancer\s+)?(?:treatment|therapy|chemo\w*)\b|\bnot (?:yet )?(?:been )?treated\b|\buntreated\b(?!\s+(?:brain|cns|metast))|\bnewly diagnosed\b|\bhas(?:n't| not) started (?:any )?treatment\b", re.I)
_PROG_RE = re.compile(r"\b(?:progress(?:ed|ion|ing)?|progressive(?= (?:disease|brain|liver|lung|bone|metasta\w*|mets|lesions?|cancer|tumou?r))|refractory|relaps\w*|recurr\w*|stopped working|not working|didn't work|did not work|no longer working|grew|growing|got worse|getting worse|spread(?:ing)? despite|failed|failure of|resistant|came back|come back|comes back|back again|enlarging)\b|\b(?-i:PD)\b", re.I)
_CURRENT_RE = re.compile(r"\b(?:currently|now(?!\s+(?:grade|resolved|normal|off|stopped|completed|finished|it|it's|its|the cancer|cancer|the disease|has|have|she|he|they|there)\b)|is on|are on|am on|still on|ongoing|taking|takes|receiving|on treatment with|being treated with)\b", re.I)


def _clause(text: str, sent: tuple[int, int], s: int, e: int) -> str:
    """The part of a sentence around [s, e) between ';' / ':' / parentheses boundaries."""
    s0, e0 = sent
    a = max(text.rfind(";", s0, s), text.rfind(":", s0, s), text.rfind("(", s0, s), s0 - 1) + 1
    ends = [x for x in (text.find(";", e, e0), text.find(")", e, e0)) if x >= 0]
    b = min(ends) if ends else e0
    return text[a:b]


def _extract_therapy(doc: PatientDoc, pf: PatientFacts) -> None:
    lex = get_lexicon()
    text = doc.text
    for h in doc.hits:
        if h.kind not in ("drug", "class"):
            continue
        s, e = doc.tokens[h.i].start, doc.tokens[h.j - 1].end
        a = doc.assertion(h.i, h.j)
        if h.kind == "drug":
            classes = set(lex.drug_classes(h.id))
            val = {"drug": h.id, "classes": classes}
        else:
            classes = set(lex.class_ancestors(h.id))
            val = {"drug": None, "class": h.id, "classes": classes}
        si = doc.tokens[h.i].sent
        sent = doc.sentence_text(si)
        f = _fact(doc, "drug", val, s, e, a)
        # allergy / intolerance mentions are not treatment
        pre = text[max(doc.sentences[si][0], s - 40):s].lower()
        if re.search(r"\b(?:allerg\w*|hypersensitiv\w*|intoleran\w*|reaction)\s+(?:to|with)\s+(?:\w+\s+){0,3}$", pre):
            continue
        # "T-DXd-naive", "naive to immunotherapy": never received
        post = text[e:e + 12]
        if re.match(r"\s*-?\s*na[iï]ve\b", post, re.I) or re.search(r"\bna[iï]ve to\s+(?:\w+\s+){0,2}$", pre):
            f.negated = True
        clause = _clause(text, doc.sentences[si], s, e)
        cl2 = re.split(r",\s*(?=although|but|though|while|whereas)|;", text[doc.sentences[si][0]:doc.sentences[si][1]])
        own = next((c for c in cl2 if text.find(c, doc.sentences[si][0]) <= s < text.find(c, doc.sentences[si][0]) + len(c)), clause)
        if re.search(r"\b(?:is|are|would be|was|were|remains?)\s+(?:the\s+)?(?:standard(?: of care)?|approved|available|recommended|indicated|an option|reimbursed)\b|\bstandard of care\b", own, re.I) \
                and not re.search(r"\b(?:received|receiving|given|had|has had|treated with|on|started|completed|after|cycles?|x\d)\b", own, re.I):
            f.hypothetical = True  # "nivolumab-chemo is standard of care here": not given
        f.detail["current"] = (bool(_CURRENT_RE.search(clause)) or bool(re.search(r"(?<!progressed )(?<!progression )(?<!relapsed )(?<!failed )\bon\s+(?:\w+\s+)?$", pre))) and not f.historical \
            and not (re.search(r"\b(?:finished|completed|stopped|ended|came off|discontinued)\b", clause, re.I) and not re.search(r"\b(?:still|currently)\b", clause, re.I))
        f.detail["progressed"] = bool(_PROG_RE.search(sent))
        f.detail["for_cancers"] = treated_cancers(text[e:min(doc.sentences[si][1], e + 80)].split(";")[0])  # "chemotherapy ... for lymphoma"
        pf.drugs.append(f)
        if h.kind == "drug":
            for comp in lex.components(h.id):  # FOLFOX: fluorouracil, leucovorin, oxaliplatin
                cf = Fact(f.kind, {"drug": comp, "classes": set(lex.drug_classes(comp)), "via": h.id}, f.start, f.end,
                          f.text, f.negated, f.historical, f.hypothetical, f.uncertain, f.family, f.days_ago, dict(f.detail))
                pf.drugs.append(cf)
        # steroid dose
        d = lex.drugs.get(h.id) if h.kind == "drug" else None
        if d and d.pred_equiv:
            dm = re.match(r"\W{0,3}(?:\w+\s+){0,3}?(\d+(?:\.\d+)?)\s*mg\b(?:\s*(?:/|per)\s*(?:day|d)\b|\s*(daily|a day|once daily|od|qd|bid|twice daily|tid|three times daily))?", text[e:e + 50], re.I)
            if dm:
                mg = float(dm.group(1))
                freq = (dm.group(2) or "").lower()
                mult = 2 if freq in ("bid", "twice daily") else 3 if freq in ("tid", "three times daily") else 1
                sd = _fact(doc, "steroid_dose", mg * mult * d.pred_equiv, s, e + dm.end(), a, drug=h.id, mg=mg * mult)
                pf.steroid_doses.append(sd)
    # medications reported
    if re.search(r"\b(?:takes|taking|on)\s+no\s+(?:regular\s+)?medications?\b|\bnot\s+(?:on|taking)\s+any\s+(?:regular\s+|other\s+)?medications?\b|\bno (?:current |regular )?medications?\b|\b(?:current )?medications? (?:include|are|:)|\bcurrently tak(?:es|ing)\b|\bmedications?\s*:", text, re.I):
        pf.meds_reported = True
    # lines of therapy
    lo = hi = None
    span = None
    source = None
    for rx in _LINES_RE:
        m = rx.search(text)
        if m:
            n = m.group(1).lower()
            n = {"two times": "2", "three times": "3", "four times": "4"}.get(n, n)
            n = re.sub(r"\s*times$", "", n)
            v = parse_number(n)
            if v is not None and 0 < v < 15:
                a = doc.assertion_chars(m.start(), m.end())
                if a.family or a.hypothetical:
                    continue
                lo = hi = int(v)
                if re.search(r"or more|at least|\+", m.group(0)):
                    hi = None
                span = (m.start(), m.end())
                source = "count"
                break
    if lo is None:
        m = _LINE_ORD_RE.search(text)
        if m:
            k = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}[m.group(1).lower()]
            sent = doc.sentence_text(doc.sentence_of_char(m.start()))
            if re.search(r"\b(?:after|progress\w*|failed|following|post)\b", sent, re.I):
                lo, hi = k, None
            else:
                lo, hi = k - 1, k
            span = (m.start(), m.end())
            source = "ordinal"
    nm = _NAIVE_RE.search(text)
    if nm:
        a = doc.assertion_chars(nm.start(), nm.end())
        if not (a.family or a.hypothetical):
            pf.treatment_naive = Fact("treatment_naive", True, nm.start(), nm.end(), nm.group(0))
            if lo is None:
                lo = hi = 0
                span = (nm.start(), nm.end())
                source = "naive"
    if lo is None:
        # count clauses naming distinct anticancer regimens
        regs = []
        for f in pf.drugs:
            if not f.affirmed or "anticancer_therapy" not in f.value["classes"] or "radiotherapy" in f.value["classes"]:
                continue
            regs.append(f)
        if regs:
            clauses = set()
            for f in regs:
                si = doc.sentence_of_char(f.start)
                s0 = doc.sentences[si][0]
                before = text[s0:f.start]
                k = len(re.findall(r"\bthen\b|\bfollowed by\b|\bswitched\b|\blater\b|\bafter that\b|;|\bsecond\b|\bnext\b", before, re.I))
                clauses.add((si, k))
            lo, hi = len(clauses), None
            span = (regs[0].start, regs[0].end)
            source = "regimens"
    if lo is not None and span:
        pf.lines = Fact("lines", (lo, hi), span[0], span[1], text[span[0]:span[1]], detail={"source": source})
    for m in _PROG_RE.finditer(text):
        a = doc.assertion_chars(m.start(), m.end())
        if a.negated or a.family or a.hypothetical:
            continue
        pf.progression.append(Fact("progression", True, m.start(), m.end(), m.group(0)))


# ------------------------------------------------------------------ metastases, brain status

_OFF_STEROIDS = (r"\boff (?:steroids|dexamethasone|corticosteroids)\b|\bno (?:longer )?(?:on |needs? |requir\w+ )?(?:steroids|dexamethasone)\b|\bwithout steroids\b|"
                 r"\b(?:dexamethasone|decadron|steroids?|corticosteroids?)\s+(?:was\s+|were\s+|has been\s+|have been\s+)?(?:stopped|discontinued|tapered(?: off)?|weaned(?: off)?|ceased|completed)\b|"
                 r"\b(?:stopped|discontinued|tapered off|weaned off|came off|finished)\s+(?:the\s+|her\s+|his\s+|my\s+)?(?:dexamethasone|decadron|steroids?|corticosteroids?)\b")
_SITES = {"liver": r"liver|hepatic", "brain": r"brain|cerebral|cerebellar|cerebellum|brain ?stem|pons|pontine|midbrain|medulla|intracranial|cns|head", "bone": r"bones?|osseous|skeletal|spine|vertebra\w*",
          "lung": r"lungs?|pulmonary", "lymph_node": r"lymph nodes?|nodes|nodal", "adrenal": r"adrenals?",
          "peritoneum": r"peritone\w+", "leptomeningeal": r"leptomening\w+|meninges|csf"}
_SITE_CONCEPT = {"liver_mets": "liver", "brain_mets": "brain", "bone_mets": "bone", "leptomeningeal": "leptomeningeal"}


def _extract_mets(doc: PatientDoc, pf: PatientFacts) -> None:
    text = doc.text
    for h in doc.hits:
        if h.kind != "concept":
            continue
        if h.id in _SITE_CONCEPT or h.id == "metastasis":
            s, e = doc.tokens[h.i].start, doc.tokens[h.j - 1].end
            f = _fact(doc, "metastasis", h.id, s, e, doc.assertion(h.i, h.j))
            site = _SITE_CONCEPT.get(h.id)
            if site is None:
                # "metastatic to the liver", "mets in the brain", "no mets" in a brain-imaging sentence
                si = doc.tokens[h.i].sent
                s0, e0 = doc.sentences[si]
                window = text[max(s0, s - 40):min(e0, e + 40)]
                site = None
                for sname, pat in _SITES.items():
                    if re.search(rf"\b(?:{pat})\b", window, re.I):
                        site = sname
                        break
                if site is None:
                    site = "any"
            f.value = site
            pf.mets.setdefault(site, []).append(f)
    # lay wording: "the cancer is in his liver now", "spread to the bones", "metastatic to liver"
    lay = re.compile(r"\b(?:(?:cancer|tumou?r|disease|it)\s+(?:\([^)]{0,30}\)\s+)?(?:is|was|has|had|'s)?\s*(?:now\s+)?(?:gone|spread|moved|travell?ed|got|went|is|found|came back|come back|comes back|returned|recurred|relapsed)?\s*(?:in|into|to)|"
                     r"(?:spread|came back|come back|comes back|returned|recurred|relapsed)\s+(?:in)?to|(?:came back|come back|comes back|returned|recurred|relapsed)\s+in|metastatic\s+to|metastasi[sz]ed\s+to|mets?\s+(?:to|in))\s+(?:the\s+|his\s+|her\s+|my\s+|their\s+|both\s+)?"
                     r"(liver|brain|bones?|lungs?|lymph nodes|adrenals?|peritoneum|spine)\b(?:\s*(?:,|and|&)\s*(?:the\s+|his\s+|her\s+|my\s+)?(liver|brain|bones?|lungs?|lymph nodes|adrenals?|peritoneum|spine)\b)?", re.I)
    site_recur = re.compile(r"\b(liver|brain|bones?|lungs?|adrenals?|peritoneum|spine)\s+(?:recurrence|relapse|metastatic recurrence)\b", re.I)  # "liver recurrence"
    for m in [*lay.finditer(text), *site_recur.finditer(text)]:
        for g in range(1, (m.re.groups or 0) + 1):
            if not m.group(g):
                continue
            w = m.group(g).lower()
            site = next(k for k, p in _SITES.items() if re.fullmatch(p, w, re.I))
            f = _fact(doc, "metastasis", site, m.start(), m.end())
            pf.mets.setdefault(site, []).append(f)
    # "(liver|brain) (lesions|nodules|masses)" in a cancer patient read as metastases (uncertain otherwise)
    cns_context = bool(re.search(r"\bbrain\b|\bcns\b|intracranial|leptomening|cerebr|\bmri\b", text, re.I))
    for m in re.finditer(r"\b(liver|hepatic|brain|bone|osseous|adrenal|cerebellar|intracranial|(?:intra)?parenchymal)\s+(?:brain\s+)?(lesions?|nodules?|masses|deposits|spots?|mets|metastas[ie]s|met)\b", text, re.I):
        w = m.group(1).lower()
        if w.endswith("parenchymal") and not cns_context:
            continue
        site = {"hepatic": "liver", "osseous": "bone", "cerebellar": "brain", "intracranial": "brain"}.get(w, w)
        if w.endswith("parenchymal"):
            site = "brain"
        f = _fact(doc, "metastasis", site, m.start(), m.end(), inferred=True)
        if not (pf.cancers or re.search(r"\bcancer|carcinoma|malignan|tumou?r|metasta", text, re.I)):
            f.uncertain = True
        pf.mets.setdefault(site, []).append(f)
    # brain imaging with a negative result -> brain metastases negated
    for m in re.finditer(r"\b(?:brain|head|cranial)\s+(?:mri|ct|scan|imaging|mr)\b|\b(?:mri|ct|scan|imaging)\s+(?:of\s+the\s+|of\s+)?(?:brain|head)\b", text, re.I):
        si = doc.sentence_of_char(m.start())
        s0, e0 = doc.sentences[si]
        seg = text[m.start():e0]
        if re.search(r"\b(?:negative|normal|clear|unremarkable|no (?:evidence of |signs? of )?(?:(?:brain|cns|intracranial|new)\s+)?(?:mets|metastas[ie]s|lesions?|disease|spread|tumou?rs?|abnormalit\w+)|nothing|did not show|didn't show|showed no)\b", seg, re.I) \
                and not re.search(r"\b(?:\d+|multiple|several|two|three|new)\s+(?:small\s+)?(?:parenchymal\s+)?(?:lesions?|metastas[ie]s|mets)\b", seg, re.I):
            f = Fact("metastasis", "brain", m.start(), e0, text[m.start():e0], negated=True,
                     days_ago=doc.days_ago(si), detail={"imaging": True})
            pf.mets.setdefault("brain", []).append(f)
            pf.brain["imaging_negative"] = f
        elif re.search(r"\b(?:\d+|multiple|several|a|an|new|two|three|few)?\s*(?:small\s+)?(?:lesions?|metastas[ie]s|mets|deposits|nodules|masses|mass)\b", seg, re.I):
            lm = re.search(r"\b(?:\d+|multiple|several|a|an|new|two|three|few)?\s*(?:small\s+)?(?:lesions?|metastas[ie]s|mets|deposits|nodules|masses|mass)\b", seg, re.I)
            f = _fact(doc, "metastasis", "brain", m.start(), m.start() + lm.end(), inferred=True)
            if not f.negated and not f.family:
                pf.mets.setdefault("brain", []).append(f)
        elif re.search(r"\b(?:shows?|showed|revealed|found|with)\b", seg, re.I):
            pf.brain.setdefault("imaging", Fact("brain_imaging", True, m.start(), e0, text[m.start():e0], days_ago=doc.days_ago(si)))
    # brain metastasis status
    brain_aff = [f for f in pf.mets.get("brain", []) + pf.mets.get("leptomeningeal", []) if f.affirmed]
    for f in brain_aff:
        si = doc.sentence_of_char(f.start)
        s0, e0 = doc.sentences[si]
        nxt = doc.sentences[si + 1] if si + 1 < len(doc.sentences) else (e0, e0)
        seg = text[s0:nxt[1]]
        for key, pat in [("treated", r"\b(?:treated|radiat\w+|radiotherapy|radiosurgery|srs|sbrt|wbrt|gamma knife|cyberknife|resect\w*|removed|surgery|irradiat\w+)\b"),
                         ("untreated", r"\buntreated\b|\bnot (?:been |yet )?treated\b|(?<!no )(?<!without )\bnew(?:ly)?\b(?!\s+or\s+enlarg)"),
                         ("stable", r"\bstable\b|\bno (?:new|progression|growth)\b|\bunchanged\b|\bcontrolled\b|\bshrunk|\bresolved\b|\bsmaller\b"),
                         ("progressing", r"(?<!no )(?<!no new or )(?<!without )\b(?:progress\w*|growing|grew|enlarg\w+|active)\b"),
                         ("symptomatic", r"\bsymptomatic\b|\bheadaches?\b|\bseizures?\b|\bweakness\b|\bconfusion\b|\bneurolog\w+ (?:symptoms|deficits?)\b"),
                         ("asymptomatic", r"\basymptomatic\b|\bno (?:neurolog\w+ )?symptoms\b"),
                         ("steroids", r"\bdexamethasone\b|\bsteroids?\b|\bcorticosteroids?\b|\bdecadron\b"),
                         ("off_steroids", _OFF_STEROIDS)]:
            mm = None
            for mx in re.finditer(pat, seg, re.I):
                if key not in ("off_steroids", "asymptomatic") and re.search(r"\b(?:no|not|without|never|denies|nor)\b[^.;:]{0,25}$", seg[max(0, mx.start() - 30):mx.start()], re.I):
                    continue  # "no surgery", "no new or enlarging lesions"
                mm = mx
                break
            if mm and key not in pf.brain:
                pf.brain[key] = Fact("brain_status", key, s0 + mm.start(), s0 + mm.end(), mm.group(0),
                                     days_ago=sentence_days_ago(seg[mm.start():mm.end() + 30]) if key == "off_steroids" else None)
    if "steroids" in pf.brain and "off_steroids" not in pf.brain:
        mm = re.search(_OFF_STEROIDS, text, re.I)
        if mm:
            pf.brain["off_steroids"] = Fact("brain_status", "off_steroids", mm.start(), mm.end(), mm.group(0),
                                            days_ago=sentence_days_ago(text[mm.start():mm.end() + 30]))
    # where the brain metastases are (brainstem / cerebellum / ... are excluded by some trials)
    locs: dict[str, Fact] = {}
    for f in brain_aff:
        si = doc.sentence_of_char(f.start)
        s0, e0 = doc.sentences[si]
        for mm in re.finditer(r"\b(cerebell\w*|brain ?stem|pons|pontine|midbrain|medulla(?: oblongata)?|spinal cord|meninges|meningeal)\b", text[s0:e0], re.I):
            a = doc.assertion_chars(s0 + mm.start(), s0 + mm.end())
            if a.negated:
                continue
            w = mm.group(1).lower()
            key = "cerebellum" if w.startswith("cerebell") else "brainstem" if w.replace(" ", "") == "brainstem" else \
                "pons" if w in ("pons", "pontine") else "medulla" if w.startswith("medulla") else "meninges" if w.startswith("mening") else w
            locs.setdefault(key, Fact("brain_location", key, s0 + mm.start(), s0 + mm.end(), mm.group(0)))
    if locs:
        pf.brain["locations"] = Fact("brain_location", frozenset(locs), min(x.start for x in locs.values()),
                                     max(x.end for x in locs.values()), ", ".join(x.text for x in locs.values()))


# ------------------------------------------------------------------ infections, pregnancy, consent, misc

_VIRUS_NAME = (r"HBsAg|HBV[- ]?DNA|hepatitis B surface antigen|(?:hepatitis B )?surface antigen|HBV|hepatitis B|"
               r"HCV[- ]?RNA|HCV (?:antibod\w+|Ab)|anti-?HCV(?: antibod\w+)?|HCV|hepatitis C(?: antibod\w+)?|"
               r"HIV(?:[- ]?1/2)?(?: (?:antibod\w+|Ab|test|serology|RNA))?|TB|tuberculosis|quantiferon|IGRA")
_SERO_RES = r"positive|negative|pos\b|neg\b|\+|-(?!\s*\w)|undetectable|detectable|not detected|reactive|non-?reactive"
_SERO_RE = re.compile(rf"\b({_VIRUS_NAME})\b\W{{0,3}}(?:(?:is|was|were|test(?:ed)?|result|pcr|by pcr|level|load|status)\s*){{0,3}}({_SERO_RES})", re.I)
_SERO_LIST_RE = re.compile(r"\b((?:HBV|HCV|HIV|HBsAg|hepatitis [BC])(?:\s*(?:/|,|and|or|&)\s*(?:HBV|HCV|HIV|HBsAg|hepatitis [BC]|[BC]\b))+)"
                           r"\s*(?:serolog\w+|tests?|screen\w*|status)?\s*(?:are|were|is|was|all)?\s*(?:both\s+|all\s+)?(negative|neg\b|non-?reactive)", re.I)
_VL_RE = re.compile(r"\b(HBV[- ]?DNA|HCV[- ]?RNA|HIV[- ]?RNA|viral load)\b[^.;\d]{0,30}?(?:<|>|about|approximately|around|~|of|was|is|:|=)?\s*"
                    r"(\d+(?:[.,]\d+)?(?:\s*[x×]\s*10\s*\^?\s*\d)?)\s*(IU\s*/\s*mL|IU|copies\s*/\s*mL|copies)", re.I)


def _virus_of(name: str, text: str = "") -> str:
    n = name.lower()
    if "hbs" in n or "hbv" in n or "hepatitis b" in n or "surface antigen" in n:
        return "hbv"
    if "hcv" in n or "hepatitis c" in n:
        return "hcv"
    if "hiv" in n:
        return "hiv"
    if n in ("tb", "tuberculosis", "quantiferon", "igra"):
        return "tb"
    if n == "viral load":  # the virus the note is about
        for v, pat in (("hbv", r"hepatitis b|\bhbv\b|hbsag|surface antigen"), ("hcv", r"hepatitis c|\bhcv\b"), ("hiv", r"\bhiv\b")):
            if re.search(pat, text, re.I):
                return v
    return "unknown"


def _infection_status(sent: str) -> str | None:
    if re.search(r"\b(?:undetectable|suppressed|not detected|negative (?:dna|rna|viral load))\b|\b(?:dna|rna|viral load)\s+(?:pcr\s+)?(?:is\s+|was\s+)?(?:undetectable|negative|not detected|<)", sent, re.I):
        return "controlled"
    if re.search(r"\b(?:cured|cleared|resolved|svr|sustained virologic)\b", sent, re.I):
        return "cured"
    if re.search(r"\bvaccinat\w+|\bimmuni[sz]ed\b", sent, re.I):
        return "vaccinated"
    if re.search(r"(?<!not )(?<!never )\b(?:on|taking|receiving|treated with)\s+(?:\w+\s+)?(?:entecavir|tenofovir|sofosbuvir\w*|antiviral\w*|art|haart|antiretroviral\w*|daas?)\b", sent, re.I):
        return "treated"
    return None


def _extract_infections(doc: PatientDoc, pf: PatientFacts) -> None:
    text = doc.text
    sero: list[Fact] = []
    for m in _SERO_RE.finditer(text):
        name = m.group(1)
        virus = _virus_of(name)
        if virus == "unknown" or (virus == "tb" and m.group(2) in ("+", "-")):
            continue
        res = m.group(2).lower()
        pos = res in ("positive", "pos", "+", "detectable", "reactive")
        nl = name.lower()
        dna = bool(re.search(r"dna|rna", nl))
        sent = doc.sentence_text(doc.sentence_of_char(m.start()))
        st = ("dna_undetectable" if dna and not pos else None) if not pos else (_infection_status(sent) if not dna else None)
        sero.append(Fact("infection", virus, m.start(), m.end(), m.group(0), negated=not pos,
                         detail={"status": st, "test": nl, "dna": dna}))
    for m in _SERO_LIST_RE.finditer(text):
        for part in re.split(r"\s*(?:/|,|and|or|&)\s*", m.group(1)):
            p = part.strip()
            if p.upper() in ("B", "C"):
                p = "hepatitis " + p
            v = _virus_of(p)
            if v != "unknown":
                sero.append(Fact("infection", v, m.start(), m.end(), m.group(0), negated=True, detail={"status": None, "test": p.lower()}))

    def in_sero(s: int, e: int) -> Fact | None:
        return next((f for f in sero if f.start <= s and e <= f.end), None)

    for h in doc.hits:
        if h.kind == "concept" and h.id in ("hbv", "hcv", "hiv", "tb"):
            s, e = doc.tokens[h.i].start, doc.tokens[h.j - 1].end
            if in_sero(s, e):
                continue  # the test result says it
            f = _fact(doc, "infection", h.id, s, e, doc.assertion(h.i, h.j))
            st = _infection_status(doc.sentence_text(doc.tokens[h.i].sent))
            f.detail["status"] = st
            if st == "vaccinated":
                continue
            if st in ("controlled", "cured", "treated"):
                doc.resolved_spans.append((s, e))  # not an active infection
            pf.infections.append(f)
    pf.infections.extend(sero)
    for f in sero:
        if not f.negated and f.detail.get("status") in ("controlled", "cured", "treated"):
            doc.resolved_spans.append((f.start, f.end))
    # a concept mention inside a negative test result / a vaccination is not the disease
    for f in pf.conditions:
        if f.value in ("hbv", "hcv", "hiv", "tb", "infection", "hepatitis"):
            sf = in_sero(f.start, f.end)
            if sf is not None and sf.negated:
                f.negated = True
                doc.negated_spans.append((f.start, f.end))
            elif f.value in ("hbv", "hepatitis") and re.search(r"\bvaccinat\w+|\bimmuni[sz]ed\b", doc.sentence_text(doc.sentence_of_char(f.start)), re.I):
                f.negated = True
                doc.negated_spans.append((f.start, f.end))
    for m in _VL_RE.finditer(text):
        raw = m.group(2).replace(",", "")
        mm = re.match(r"(\d+(?:\.\d+)?)(?:\s*[x×]\s*10\s*\^?\s*(\d))?", raw)
        v = float(mm.group(1)) * (10 ** int(mm.group(2)) if mm.group(2) else 1)
        virus = _virus_of(m.group(1), text)
        pre = text[max(0, m.start() - 3):m.start() + 60]
        f = _fact(doc, "viral_load", v, m.start(), m.end(), unit=m.group(3).lower().replace(" ", ""),
                  below=bool(re.search(r"<", pre[:m.end() - m.start() + 3])))
        if not f.family and not f.hypothetical:
            pf.viral_loads.setdefault(virus, []).append(f)


def _extract_pregnancy(doc: PatientDoc, pf: PatientFacts) -> None:
    text = doc.text
    for h in doc.hits:
        if h.kind == "concept" and h.id in ("pregnancy", "lactation", "postpartum", "menopause"):
            s, e = doc.tokens[h.i].start, doc.tokens[h.j - 1].end
            f = _fact(doc, "reproductive", h.id, s, e, doc.assertion(h.i, h.j))
            sent = doc.sentence_text(doc.tokens[h.i].sent)
            if h.id == "pregnancy" and re.search(r"\bpregnancy test\b", sent, re.I):
                if re.search(r"\bnegative\b", sent, re.I):
                    f.negated = True
                    f.detail["test"] = "negative"
                elif re.search(r"\bpositive\b", sent, re.I):
                    f.negated = False
                    f.detail["test"] = "positive"
                f.uncertain = False
                f.hypothetical = False
            if h.id == "pregnancy" and re.search(r"\b(?:three|two|some|several) of the women\b|\bdesire\w* pregnancy\b|\bplan\w* (?:a )?pregnancy\b|\bwant\w* to (?:get|become) pregnant\b", sent, re.I):
                f.hypothetical = True
            pf.pregnancy.append(f)
    for m in re.finditer(r"\b(?:serum\s+|urine\s+|urinary\s+)?(?:beta[- ]?)?(?:hcg|b-?hcg|human chorionic gonadotropin)\b\W{0,3}(?:(?:is|was|test|level)\s*){0,2}(negative|neg\b|positive|pos\b)", text, re.I):
        neg = m.group(1).lower().startswith("neg")
        pf.pregnancy.append(Fact("reproductive", "pregnancy", m.start(), m.end(), m.group(0), negated=neg,
                                 detail={"test": "negative" if neg else "positive"}))
    m = re.search(rf"\b(?:gave|given|give)\s+birth\b[^.]*?\b({NUM})\s+({TIME_UNIT})\s+(?:ago|before|earlier)", text, re.I)
    if m:
        d = to_days(m.group(1), m.group(2))
        pf.pregnancy.append(Fact("reproductive", "postpartum", m.start(), m.end(), m.group(0), days_ago=d))


def _extract_consent(doc: PatientDoc, pf: PatientFacts) -> None:
    text = doc.text
    m = re.search(r"\b(?:will|to|can|able to|willing to|has|have|had|did)\s+(?:provide|give|sign(?:ed)?|provided|given)\s+(?:written\s+)?(?:informed\s+)?consent\b|\bconsented\b|\bconsents? to\b|\bsigned (?:the )?(?:informed )?consent\b|\bwilling to (?:take part|participate|join)\b|\bwants? to (?:take part|participate|join|consent)\b|\bwill (?:consent|comply)\b|\bagrees? to (?:consent|participate|take part|a (?:fresh |new )?(?:core )?biopsy)\b|\b(?:happy|willing) to (?:have|undergo) (?:a |the )?(?:fresh |new |core )?biopsy\b", text, re.I)
    if m:
        neg = bool(re.search(r"\b(?:not|never|no|refus\w*|declin\w*|won't|doesn't|does not|unwilling)\b[\w\s]{0,15}$", text[max(0, m.start() - 25):m.start()], re.I))
        pf.consent = Fact("consent", not neg, m.start(), m.end(), m.group(0))
    m = re.search(r"\b(?:refus\w+|declin\w+|unwilling|does not want|doesn't want|won't)\s+(?:to\s+)?(?:sign|give|provide|participate|take part|consent)\b", text, re.I)
    if m:
        pf.consent = Fact("consent", False, m.start(), m.end(), m.group(0))
    m = re.search(r"\b(?:not|non|poorly|poor)[- ]?(?:compliant|complian\w+|adheren\w+|adherent)\b|\bnoncomplian\w+|\bdoes not take (?:his|her) (?:medications|medicine)\b|\bmisses? (?:appointments|doses)\b", text, re.I)
    if m:
        pf.compliance_issue = Fact("compliance_issue", True, m.start(), m.end(), m.group(0))


_HER2_IHC = re.compile(r"\bHER-?2(?:/neu)?\b[^.;]{0,25}?(?:IHC|immunohistochemistry|score)?\s*(?:of\s*)?\(?\s*([0-3])\s*\+|\bIHC\s*([0-3])\s*\+[^.;]{0,15}\bHER-?2|\bHER-?2\s*(?:IHC\s*)?(0|zero)\b", re.I)
_HER2_WORD = re.compile(r"\bHER-?2(?:/neu)?[- ]?(positive|negative|low|ultra-?low|zero|null|amplified|non-?amplified|overexpress\w*|enriched|\+|-)(?!\w)|\bHER-?2\s+(?:is\s+|was\s+)?(positive|negative|low|amplified|not amplified)\b", re.I)
_ISH = re.compile(r"\b(?:ISH|FISH|SISH|CISH|in situ hybridi[sz]ation)\b\s*(?:is\s+|was\s+|result\s+)?[(:]?\s*(positive|negative|amplified|non-?amplified|not amplified|\+|-)", re.I)
_ISH2 = re.compile(r"\b(?:ISH|FISH)\s*(\+|-|positive|negative)|\b(positive|negative|\+|-)\s*(?:by\s+)?(?:ISH|FISH)\b|\bISH[- ]?(positive|negative)", re.I)


def _extract_biomarkers(doc: PatientDoc, pf: PatientFacts) -> None:
    text = doc.text
    bm = pf.biomarkers

    def add(name: str, value: Any, m: re.Match, **d) -> None:
        a = doc.assertion_chars(m.start(), m.end())
        if a.family or a.hypothetical:
            return
        si = doc.sentence_of_char(m.start())
        ctx = _specimen_context(doc.sentence_text(si), text)
        bm.setdefault(name, []).append(Fact("biomarker", value, m.start(), m.end(), m.group(0), uncertain=a.uncertain,
                                            detail=dict(d, marker=name, **ctx)))

    for m in _HER2_IHC.finditer(text):
        v = m.group(1) or m.group(2) or ("0" if m.group(3) else None)
        if v is not None:
            add("her2_ihc", int(v), m)
    for m in _HER2_WORD.finditer(text):
        w = (m.group(1) or m.group(2)).lower().replace("-", "")
        w = {"+": "positive", "": "negative", "amplified": "positive", "overexpressed": "positive", "overexpressing": "positive",
             "overexpression": "positive", "enriched": "positive", "nonamplified": "negative", "not amplified": "negative",
             "null": "zero", "ultralow": "ultralow"}.get(w, w)
        if m.group(1) == "-":
            w = "negative"
        add("her2_status", w, m)
    for m in list(_ISH.finditer(text)) + list(_ISH2.finditer(text)):
        w = next(g for g in m.groups() if g).lower()
        add("her2_ish", w in ("positive", "amplified", "+"), m)
    for m in re.finditer(r"\btriple[- ]negative\b|\bTNBC\b", text, re.I):
        add("er", False, m)
        add("pr", False, m)
        add("her2_status", "negative", m)
    for m in re.finditer(r"\b(ER|PR|PgR|estrogen receptor|oestrogen receptor|progesterone receptor|hormone receptor|HR)\s*[-:]?\s*(?:status\s*)?(?:is\s+|was\s+)?(?:[(:]\s*)?(positive|negative|pos\b|neg\b|\+|-(?!\w))", text):
        name = m.group(1).lower()
        key = "er" if name in ("er", "estrogen receptor", "oestrogen receptor") else "pr" if name in ("pr", "pgr", "progesterone receptor") else "hr"
        add(key, m.group(2).lower() in ("positive", "+", "pos"), m)
    for m in re.finditer(r"\b(ER|PR|PgR)\s*:?\s*(\d{1,3}(?:\.\d+)?)\s*%", text):  # "ER 0%", "PgR 20%"
        key = "er" if m.group(1) == "ER" else "pr"
        add(key, float(m.group(2)) >= 1, m, percent=float(m.group(2)))
    for m in re.finditer(r"\b(?:ER|PR)\s*/\s*(?:PR|ER)\s*(positive|negative|\+|-)", text):
        v = m.group(1).lower() in ("positive", "+")
        add("er", v, m)
        add("pr", v, m)
    for m in re.finditer(r"\bPD-?L1\b[^.;]{0,30}?\b(TPS|CPS|TAP|IC|TC)?\s*(?:score\s*)?(?:of\s*|=\s*|:\s*|is\s*|was\s*)?(<|>|≥|≤|>=|<=)?\s*(\d{1,3}(?:\.\d+)?)\s*(%)?", text, re.I):
        kind = (m.group(1) or ("TPS" if m.group(4) else "CPS")).upper()
        add("pdl1", float(m.group(3)), m, score=kind, op=m.group(2))
    for m in re.finditer(r"\bPD-?L1[- ](?:is\s+)?(negative|positive|high|low)\b|\bPD-?L1\s+(?:expression\s+)?(?:is\s+|was\s+)?(negative|positive|high|low)\b", text, re.I):
        add("pdl1_status", (m.group(1) or m.group(2)).lower(), m)
    for m in re.finditer(r"\b(p16|HPV)[- ]?(?:status\s*)?(?:is\s+|was\s+)?(positive|negative|\+|-)(?!\w)", text, re.I):
        add(m.group(1).lower(), m.group(2).lower() in ("positive", "+"), m)
    genes = r"EGFR|ALK|ROS-?1|KRAS|NRAS|BRAF|RET|MET|NTRK|BRCA1|BRCA2|BRCA|HER2|ERBB2|PIK3CA|IDH1|IDH2|FGFR\d?|ESR1"
    for m in re.finditer(rf"\b({genes})\b[- ]?(?:gene\s+)?(?:exon\s*\d+\s*)?(?:[A-Z]\d+[A-Z]?\s*)?(mutant|mutated|mutation|mutations|positive|negative|wild[- ]?type|wt|rearranged|rearrangement|fusion|amplification|amplified|alteration|deletion|insertion|variant)\b", text):
        g = m.group(1).upper().replace("-", "")
        w = m.group(2).lower()
        neg = w in ("negative", "wild type", "wild-type", "wildtype", "wt")
        f_a = doc.assertion_chars(m.start(), m.end())
        if neg or f_a.negated:
            add("gene:" + g, False, m)
        else:
            add("gene:" + g, True, m)
    for m in re.finditer(r"\b(MSI-?H|MSI-?high|microsatellite instability[- ]high|dMMR|mismatch repair deficien\w+|MSS|microsatellite stable|pMMR)\b", text, re.I):
        w = m.group(1).lower()
        pos = not (w in ("mss", "microsatellite stable", "pmmr"))
        a = doc.assertion_chars(m.start(), m.end())
        add("msi_high", pos and not a.negated, m)
    for m in re.finditer(r"\b(?:no|without|negative for)\s+(?:known\s+|actionable\s+|targetable\s+|driver\s+)+(?:mutations?|alterations?|drivers?)\b|\bdriver[- ]negative\b|\bwild[- ]type for\b", text, re.I):
        add("no_driver", True, m)


def _specimen_context(sent: str, text: str) -> dict:
    """Where a tumour marker was tested: central lab, a specimen of metastatic / recurrent disease, the primary."""
    low = sent.lower()
    met = bool(re.search(r"\b(?:biops\w+|core|specimen|tissue|rebiopsy)\b[^.;]{0,40}\b(?:liver|lung|bone|node|nodule|rll|rul|lll|lul|metasta\w*|recurren\w*|relapse|lesion|pleura\w*|skin|brain)\b|"
                         r"\b(?:liver|lung|bone|nodal?|pleural|metasta\w*)(?:[- ](?:lesion|mass|nodule|met))?\s+(?:core\s+)?biops\w+|\bafter (?:relapse|recurrence|progression)\b|on metastatic (?:tissue|disease|specimen)", low))
    primary = bool(re.search(r"\bon the (?:\d{4} )?primary|\bprimary (?:tumou?r|specimen|biopsy)|\bat diagnosis\b", low))
    no_met_biopsy = bool(re.search(r"\bno (?:re-?)?biopsy of (?:the )?(?:metasta\w+|recurren\w+)|\bnot (?:yet )?(?:been )?re-?biopsied", text, re.I))
    return {"central": bool(re.search(r"\bcentral(?:ly)?\b", low)) and not re.search(r"\bno central\b", low),
            "local": bool(re.search(r"\blocal(?:ly)?\b", low)), "met_specimen": met and not primary,
            "primary": primary, "no_met_biopsy": no_met_biopsy}


_STAGE_RE = re.compile(r"\bstage\s*(0|IV|I{1,3}|[1-4])\s*([ABC])?\b", re.I)
_HIST = {
    "adenocarcinoma": r"adenocarcinoma|adeno\s*ca",
    "squamous": r"squamous(?:[- ]cell)?(?:\s+carcinoma)?|scc\b",
    "small_cell": r"(?<!non[- ])(?<!non)small[- ]cell(?! lung cancer cohort)",
    "neuroendocrine": r"neuroendocrine",
    "large_cell": r"large[- ]cell",
    "non_squamous": r"non[- ]?squamous",
    "ductal": r"ductal",
    "lobular": r"lobular",
    "serous": r"serous",
    "clear_cell": r"clear[- ]cell",
    "urothelial": r"urothelial|transitional cell",
    "mucinous": r"mucinous",
}


def _extract_disease(doc: PatientDoc, pf: PatientFacts) -> None:
    text = doc.text
    m = _STAGE_RE.search(text)
    if m:
        st = m.group(1).upper()
        st = {"1": "I", "2": "II", "3": "III", "4": "IV"}.get(st, st)
        pf.stage = Fact("stage", st + (m.group(2) or "").upper(), m.start(), m.end(), m.group(0))
    else:
        m = re.search(r"\b(extensive|limited)[- ]stage\b|(?<=\()(extensive|limited)(?=\))|\b(?:metastatic|stage iv|advanced|unresectable|locally advanced|recurrent|inoperable)\b", text, re.I)
        if m:
            w = m.group(0).lower()
            val = "ES" if w.startswith("extensive") else "LS" if w.startswith("limited") else (
                "IV" if w.startswith("metastatic") else "advanced")
            if w.startswith("locally advanced"):
                val = "locally_advanced"
            a = doc.assertion_chars(m.start(), m.end())
            if not a.negated and not a.family:
                pf.stage = Fact("stage", val, m.start(), m.end(), m.group(0))
    if pf.stage is not None and pf.stage.value not in ("IV", "ES") and re.search(r"\b(?:metastatic|metastases|recurren\w+|relapse\w*|spread)\b", text[pf.stage.end:], re.I):
        far = [f for site, fs in pf.mets.items() if site not in ("lymph_node",) for f in fs if f.affirmed and f.start > pf.stage.start]
        if far:  # stage at diagnosis, metastatic now
            pf.stage = Fact("stage", "IV", far[0].start, far[0].end, far[0].text, detail={"inferred": "distant metastases", "initial": pf.stage.text})
    if pf.stage is None or pf.stage.value == "advanced":
        mabbr = [f for f in pf.cancers if re.fullmatch(r"(?-i:m[A-Z]{2,4}|MBC)", f.text.strip())]  # MBC, mCRC, mCRPC
        if mabbr:
            pf.stage = Fact("stage", "IV", mabbr[0].start, mabbr[0].end, mabbr[0].text, detail={"inferred": "metastatic"})
    if pf.stage is None or pf.stage.value == "advanced":
        far = [f for site, fs in pf.mets.items() if site not in ("lymph_node",) for f in fs if f.affirmed]
        if far:
            pf.stage = Fact("stage", "IV", far[0].start, far[0].end, far[0].text, detail={"inferred": "distant metastases"})
    for name, pat in _HIST.items():
        for m in re.finditer(rf"\b(?:{pat})", text, re.I):
            a = doc.assertion_chars(m.start(), m.end())
            if a.family:
                continue
            pf.histology.append(Fact("histology", name, m.start(), m.end(), m.group(0), negated=a.negated,
                                     uncertain=a.uncertain))
    m = re.search(r"\bmeasurable (?:disease|lesions?)\b|\btarget lesions?\b", text, re.I)
    if m:
        a = doc.assertion_chars(m.start(), m.end())
        pf.measurable = Fact("measurable", not a.negated, m.start(), m.end(), m.group(0))


def _extract_conditions(doc: PatientDoc, pf: PatientFacts) -> None:
    from .tumour import lesion_site_cancers, site_cancers

    found = site_cancers(doc.text)
    named = {c for _, _, c in found}
    found += [x for x in lesion_site_cancers(doc.text) if x[2] not in named]
    for s, e, cid in found:  # "sigmoid adenocarcinoma", "carcinoma of the right tonsil", "a lesion in the stomach ... adenocarcinoma"
        f = _fact(doc, "condition", cid, s, e, doc.assertion_chars(s, e), site=True)
        pf.conditions.append(f)
    for h in doc.hits:
        if h.kind != "concept":
            continue
        s, e = doc.tokens[h.i].start, doc.tokens[h.j - 1].end
        f = _fact(doc, "condition", h.id, s, e, doc.assertion(h.i, h.j))
        pf.conditions.append(f)
        if h.id == "transplant":
            sent = doc.sentence_text(doc.tokens[h.i].sent)
            f.detail["allogeneic"] = bool(re.search(r"\ballo\w*|\bdonor\b|\bsolid organ\b|\b(?:kidney|renal|liver|heart|lung) transplant", sent, re.I))
            f.detail["autologous"] = bool(re.search(r"\bauto\w*", sent, re.I))
            pf.transplants.append(f)
        if h.id == "allergy":
            si = doc.tokens[h.i].sent
            s0, e0 = doc.sentences[si]
            after = doc.text[e:e0]
            allergens = [x for x in doc.hits if x.kind in ("drug", "class") and doc.tokens[x.i].sent == si and doc.tokens[x.i].start >= e]
            f.detail["allergens"] = [x.id for x in allergens]
            f.detail["allergen_text"] = after[:80]
            pf.allergies.append(f)
    pf.conditions.sort(key=lambda f: f.start)


@lru_cache(maxsize=256)
def extract_patient(text: str) -> PatientFacts:
    """All patient facts found in `text` (cached: the same text is parsed once)."""
    perspective, relation = _perspective(text)
    skip = frozenset({relation} if relation else set())
    if relation in ("mum", "mom", "mam", "mummy"):
        skip = frozenset({"mum", "mom", "mother", "mam"})
    elif relation in ("dad", "father"):
        skip = frozenset({"dad", "father"})
    doc = PatientDoc(text, skip)
    pf = PatientFacts(text=text, perspective=perspective, relation=relation, doc=doc)
    _extract_age(doc, pf)
    _extract_sex(doc, pf)
    _extract_conditions(doc, pf)
    _extract_labs(doc, pf)
    _extract_ps(doc, pf)
    _extract_therapy(doc, pf)
    _extract_mets(doc, pf)
    _extract_infections(doc, pf)
    _extract_pregnancy(doc, pf)
    _extract_consent(doc, pf)
    _extract_biomarkers(doc, pf)
    _extract_disease(doc, pf)
    from .onco import extract_oncology

    extract_oncology(doc, pf)
    return pf
