"""Free-text criterion matching: criterion -> concept phrases -> patient mentions with ConText status.

A criterion's main clause is cut into AND-groups of OR-alternatives ("X with Y" = X and Y; "X, Y or Z" = any).
Each alternative becomes units: vocabulary concepts / drugs / drug classes (matched through the concept
hierarchy and the drug-class table) and remaining content-word stems (fuzzy-matched to tolerate
misspellings). An alternative matches a patient sentence that contains all of its units; the mention's
ConText status (negated, historical, uncertain, family...) comes from the patient document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .lexicon import get_lexicon
from .patient import Fact, PatientFacts
from .text import clean, edit_distance_le, stem, tokenize

_STOP = set("""a an the of with in on for to by at as be is are was were been being have has had who which that this these
those any all other others such etc eg e.g ie i.e or and nor not no their his her its from than per more less least most
within prior previous before after during since until into over under between both either each every must should may
might will would can could shall do does did patient patients subject subjects participant participants individual
individuals people person persons volunteer volunteers men women male female adult adults child children history hx
diagnosis diagnosed known documented evidence presence present clinical clinically current currently condition
conditions disease diseases disorder disorders illness illnesses syndrome problem problems investigator opinion
judgment judgement study trial protocol use using used receive received receiving require requiring required need
needed needing confirmed proven suspected year years month months week weeks day days hour hours time age aged old
include including includes included such like defined definition following follow type types kind any also
either whether where when while if then there here it they them he she him we our you your i me my within who whom
whose what whatever however other otherwise via e g i e s mg ml kg dl min l x per cent percent level levels value
values test tests result results normal based due because reason reasons factor factors sign signs symptom symptoms
case cases group groups part status state presence absence entry enrollment enrolment screening baseline visit
visits start first last one two three four five six seven eight nine ten new newly treatment treatments therapy
therapies medical medication medications drug drugs agent agents patient's subject's able unable ability inability
willing unwilling plan planned planning expected likely may affect affecting interfere interfering would could
make makes made purpose purposes duration period periods setting settings stage well likely cause caused causing
developed develop development significant significantly relevant important considered consider deemed judged
per investigator's physician physician's doctor interpret interpretation confound confounding safety risk risks
participate participation complete completed completion provide provided giving give sex sexes gender genders
inclusive both criteria according dsm icd code codes accompanied treated treat needed admitted admission admit
hospitalized hospitalised hospitalization presenting presentation presents presented referred undergo undergoes undergone underwent undergoing
experienced experiencing experience suffering suffer suffered evaluated assessed determined selected select
certain likely estimated approximately approx laboratory lab labs eligible regardless irrespective personnel staff comorbidity comorbidities comorbid associated""".split())

_QUALIFIERS = {
    "severe": {"severe", "severely", "serious", "seriously", "marked", "markedly", "grave", "critical", "critically"},
    "uncontrolled": {"uncontrolled", "poorly", "unstable", "decompensated", "refractory", "labile", "uncontrollable"},
    "active": {"active", "ongoing", "current", "acute", "untreated", "progressive", "progressing", "symptomatic", "persistent"},
    "chronic": {"chronic"},
    "major": {"major", "significant", "considerable", "extensive"},
    "recent": {"recent", "recently"},
    "mild": {"mild", "mildly", "minimal", "slight"},
    "advanced": {"advanced", "end", "terminal", "metastatic", "stage"},
}
_QUAL_WORDS = {w: k for k, ws in _QUALIFIERS.items() for w in ws}
_QUAL_STEMS = {stem(w): k for w, k in _QUAL_WORDS.items()}
_ADVANCED_PATIENT = {"relapsed", "relapse", "recurrent", "refractory", "disseminated", "widespread", "metastasized", "metastasised"}
_ORGANS = {stem(w) for w in """liver hepatic renal kidney kidneys cardiac heart cardiovascular pulmonary lung lungs respiratory
brain cerebral neurologic neurological neural gastrointestinal gi bowel intestinal skin cutaneous bone bones blood
hematologic haematologic hematological endocrine metabolic vascular thyroid pancreatic psychiatric mental
immune immunologic autoimmune infectious systemic organ organs""".split()}
_HEADS = {stem(w) for w in """disease dysfunction failure impairment insufficiency disorder condition cancer carcinoma
metastases metastasis injury surgery infection involvement abnormality abnormalities damage""".split()}
_GENERIC_STEMS = {stem(w) for w in _STOP} | {stem(w) for w in ("patient", "subject", "history", "disease", "diseas")}
_MEASURE_WORDS = re.compile(r"\b(?:score|scale|index|bmi|body mass|weight|weigh\w*|count|values?|test results?|"
                            r"measurement|measured|antibod\w*|serolog\w*|titer|titre|concentration|fev1|ejection fraction|"
                            r"gestation|apache|injury severity|percentile|size|sized?)\b", re.I)


_OWN_SUBJECT = re.compile(r"(?:patients|subjects|participants|those|individuals|people|persons|women|men)\b", re.I)


@dataclass
class Phrase:
    text: str
    units: list[tuple[str, str]]  # (kind, id): kind concept|drug|class|stem
    qualifiers: set[str] = field(default_factory=set)

    @property
    def matchable(self) -> bool:
        if not self.units:
            return False
        if all(k == "stem" and v in _ORGANS for k, v in self.units):
            return False
        return True


@dataclass
class Group:
    alternatives: list[Phrase]


def _split_top(text: str, seps: list[str]) -> list[str]:
    pat = "|".join(seps)
    return [p for p in re.split(pat, text, flags=re.I) if p and p.strip()]


@lru_cache(maxsize=4096)
def criterion_groups(text: str, ctype: str) -> tuple[Group, ...]:
    t = clean(text)
    t = re.sub(r"^\W*(?:\d{1,2}[.)]|[-•*·§])\s*", "", t)
    # parentheses: their content becomes extra alternatives of the group they follow
    # population scope clauses ("..., for all trauma patients") are not part of the condition
    t = re.sub(r"[,;]?\s*\b(?:for|among)\s+(?:all\s+)?(?:\w+\s+){0,2}(?:patients|subjects|participants)\b[^.;]*", " ", t, flags=re.I)
    # who assesses it is not part of the condition ("...; this will be determined by study personnel")
    t = re.sub(r"[,;.]?\s*\b(?:(?:this|which|that|as)\s+)?(?:(?:will|shall|is|are|to)\s+be\s+)?(?:determined|assessed|judged|evaluated|decided)\s+by\s+"
               r"(?:the\s+)?(?:study\s+|site\s+|treating\s+|research\s+)?(?:personnel|staff|team|investigators?|physicians?|clinicians?|doctors?)\b[^;]*", " ", t, flags=re.I)
    paren = re.findall(r"\(([^()]*)\)", t)
    t_main = re.sub(r"\([^()]*\)", " ", t)
    and_seps = [r"\bwith\b", r"\bwho (?:have|has|are|is|had)\b", r"\brequiring\b", r"\bundergoing\b", r"\bthat (?:is|are|has|have)\b",
                r"\bpresenting with\b", r"\bpresenting to\b", r"\bdue to\b", r"\bsecondary to\b", r"\bcaused by\b", r"\bassociated with\b"]
    if ctype == "inclusion":
        and_seps.append(r"\band\b(?!/)")
    or_seps = [r",", r";", r"\bor\b", r"\band/or\b", r"/", r"\bnor\b", r"\bincluding\b", r"\bsuch as\b", r"\be\.g\.?", r"\bi\.e\.?",
               r":", r"\bespecially\b", r"\bin particular\b", r"\bas well as\b", r"\bplus\b", r"§", r"\bof any\b"]
    if ctype == "exclusion":
        or_seps.append(r"\band\b")
    groups: list[Group] = []
    for gtext in _split_top(t_main, and_seps):
        alts = [a for a in (a.strip() for a in _split_top(gtext, or_seps)) if _phrase(a).units or _phrase(a).qualifiers]
        phrases = _distribute_heads(alts)
        # shared modifiers of a bare last noun: "central venous puncture or catheterization" -> "central venous catheterization"
        if len(phrases) == 2 and len(alts) == 2:
            p0, p1 = phrases
            if len(p1.units) == 1 and p1.units[0][0] == "stem" and len(p0.units) >= 2 and all(k == "stem" for k, _ in p0.units):
                words = [tk for tk in tokenize(alts[0]) if tk.is_word]
                mods = []
                for tk in reversed(words[:-1][-2:]):  # the (at most two) modifiers right before the first noun
                    if tk.norm in _STOP or tk.stem in _GENERIC_STEMS or tk.norm.endswith("ed"):
                        break
                    mods.insert(0, tk.raw)
                if mods:
                    phrases = [p0, _phrase(" ".join(mods) + " " + alts[1])]
        phrases = [p for p in phrases if p.matchable or p.qualifiers]
        if phrases and phrases[0].qualifiers:
            q0 = set(phrases[0].qualifiers)
            # ... except to an alternative that is a clause of its own ("critically ill patients, patients with CHF")
            phrases = [p if p.qualifiers or _OWN_SUBJECT.match(p.text) else Phrase(p.text, p.units, set(q0)) for p in phrases]
        phrases = [p for p in phrases if p.matchable]
        if phrases:
            groups.append(Group(phrases))
    if paren and groups:
        extra = []
        for ptxt in paren:
            if re.search(r"\d", ptxt) and not re.search(r"[a-z]{4,}", ptxt, re.I):
                continue
            for a in _split_top(ptxt, or_seps):
                p = _phrase(a)
                if p.matchable:
                    extra.append(p)
        if extra and ctype == "exclusion":
            groups[0].alternatives.extend(extra)
    return tuple(groups)


def _head_noun(alt: str) -> str | None:
    """The first head noun of an alternative ("disease" in "hepatic disease assessed by history")."""
    return next((tk.raw for tk in tokenize(alt) if tk.stem in _HEADS), None)


def _distribute_heads(alts: list[str]) -> list[Phrase]:
    """Phrases of the alternatives, a bare organ adjective taking the head noun of the next alternative that has
    one: "liver or renal dysfunction", "renal or hepatic disease assessed by history"."""
    out = []
    for k, a in enumerate(alts):
        p = _phrase(a)
        if p.units and all(kind == "stem" and v in _ORGANS for kind, v in p.units):
            head = next((h for h in map(_head_noun, alts[k + 1:]) if h), None)
            if head:
                p = _phrase(a + " " + head)
        out.append(p)
    return out


@lru_cache(maxsize=16384)
def _phrase(text: str) -> Phrase:
    lex = get_lexicon()
    toks = tokenize(text)
    hits = lex.find(toks)
    covered = set()
    units: list[tuple[str, str]] = []
    for h in hits:
        units.append((h.kind, h.id))
        covered.update(range(h.i, h.j))
    quals: set[str] = set()
    for k, tk in enumerate(toks):
        if k in covered or not tk.is_word:
            continue
        q = _QUAL_STEMS.get(tk.stem)
        if q:
            quals.add(q)
            continue
        if tk.norm in _STOP or tk.stem in _GENERIC_STEMS or not tk.raw[0].isalpha() or len(tk.norm) < 3:
            continue
        units.append(("stem", tk.stem))
    # de-duplicate
    seen = set()
    uniq = []
    for u in units:
        if u not in seen:
            seen.add(u)
            uniq.append(u)
    return Phrase(text.strip(), uniq, quals)


@dataclass
class Mention:
    phrase: Phrase
    start: int
    end: int
    sent: int
    negated: bool
    historical: bool
    uncertain: bool
    hypothetical: bool
    family: bool
    days_ago: float | None
    qualifiers_ok: bool
    partial: bool = False
    missing_quals: frozenset = frozenset()
    resolved: bool = False  # described as cured / controlled

    @property
    def affirmed(self) -> bool:
        return not (self.negated or self.uncertain or self.hypothetical or self.family)


def _unit_positions(pf: PatientFacts, unit: tuple[str, str]) -> list[tuple[int, int, int]]:
    """(token i, token j, sentence) occurrences of a unit in the patient document."""
    doc = pf.doc
    lex = get_lexicon()
    kind, uid = unit
    out = []
    if kind == "stem":
        for s in _similar_stems(pf, uid):
            for i in doc.stem_index.get(s, []):
                out.append((i, i + 1, doc.tokens[i].sent))
        return out
    for h in doc.hits:
        if kind == "concept" and h.kind == "concept" and uid in lex.concept_ancestors(h.id):
            out.append((h.i, h.j, doc.tokens[h.i].sent))
        elif kind == "drug" and h.kind == "drug" and h.id == uid:
            out.append((h.i, h.j, doc.tokens[h.i].sent))
        elif kind == "class" and ((h.kind == "drug" and uid in lex.drug_classes(h.id)) or (h.kind == "class" and uid in lex.class_ancestors(h.id))):
            out.append((h.i, h.j, doc.tokens[h.i].sent))
    # a class named in the criterion is also matched by the same word in the patient text (e.g. "steroids")
    return out


def _similar_stems(pf: PatientFacts, s: str) -> list[str]:
    """Patient stems equal to s, or sharing a long prefix (abdomen / abdominal), or one edit away."""
    cache = pf.doc.__dict__.setdefault("_sim_cache", {})
    if s in cache:
        return cache[s]
    out = [s] if s in pf.doc.stem_index else []
    if len(s) >= 5 and s.isalpha():
        for t in pf.doc.stem_index:
            if t == s or not t.isalpha() or len(t) < 5 or t[0] != s[0]:
                continue
            k = 0
            for a, b in zip(s, t):
                if a != b:
                    break
                k += 1
            if k >= 5 and k >= 0.7 * min(len(s), len(t)) and (k == min(len(s), len(t)) or k >= 6 or max(len(s), len(t)) <= 8):
                out.append(t)
            elif len(s) >= 6 and len(t) >= 6 and edit_distance_le(s, t, 1):
                out.append(t)
    cache[s] = out
    return out


USAGE_STEMS = ("concurr", "current", "ongo", "consum", "use", "usag", "intak", "regular", "habit", "chronic")
HABITUAL_RE = re.compile(r"\b(?:every (?:day|morning|night|evening|week)|daily|each (?:day|morning|night)|currently|regularly|still|"
                         r"drinks|takes|uses|smokes|eats|is on|am on|are on)\b", re.I)


def find_mentions(pf: PatientFacts, phrase: Phrase) -> list[Mention]:
    doc = pf.doc
    if doc is None or not phrase.units:
        return []
    pos = [(_unit_positions(pf, u), u) for u in phrase.units]
    by_sent: dict[int, list[list[tuple[int, int, int]]]] = {}
    for occs, _ in pos:
        for s in {o[2] for o in occs}:
            by_sent.setdefault(s, [])
    out: list[Mention] = []
    for s in sorted(by_sent):
        found = [[o for o in occs if o[2] == s] for occs, _ in pos]
        n_found = sum(1 for f in found if f)
        if n_found == 0:
            continue
        partial = n_found < len(phrase.units)
        if partial:
            missing_units = [u for (occs, u), f in zip(pos, found) if not f]
            s_start, s_end = doc.sentences[s]
            if all(u[0] == "stem" and str(u[1]).startswith(USAGE_STEMS) for u in missing_units) and HABITUAL_RE.search(doc.text[s_start:s_end]):
                partial = False  # "concurrent grapefruit juice consumption" / "drinks grapefruit juice every morning"
        if partial:
            strong = sum(1 for (occs, u), f in zip(pos, found) if f and u[0] != "stem")
            if strong == 0 and n_found < 2:
                continue  # one ordinary word in common is not a mention
        # head: first concept/drug/class unit found, else the last stem unit found
        head = None
        for (occs, u), f in zip(pos, found):
            if f and u[0] != "stem":
                head = f[0]
                break
        if head is None:
            for f in reversed(found):
                if f:
                    head = f[0]
                    break
        all_occ = [o for f in found for o in f[:1]]
        i0 = min(o[0] for o in all_occ)
        j0 = max(o[1] for o in all_occ)
        a = doc.assertion(head[0], head[1])
        hs, he = doc.tokens[head[0]].start, doc.tokens[head[1] - 1].end
        if any(s_ <= hs and he <= e_ for s_, e_ in getattr(doc, "negated_spans", ())):
            a.negated = True
        resolved = any(s_ <= hs and he <= e_ for s_, e_ in getattr(doc, "resolved_spans", ()))
        # assertion of any unit occurrence negated also counts ("no fever or chills")
        s0, e0 = doc.sentences[s]
        sent_text = doc.text[s0:e0].lower()
        qual_ok = True
        missing = set()
        for q in phrase.qualifiers:
            if q in ("chronic",):
                continue
            if q == "recent":
                continue
            if q == "mild":
                if re.search(r"\b(?:severe\w*|marked\w*|advanced|profound\w*|significant)\b", sent_text):
                    qual_ok = False
                    missing.add("mild-contradicted")
                    continue
                if not re.search(r"\b(?:mild\w*|minimal\w*|slight\w*|early)\b", sent_text):
                    qual_ok = False
                    missing.add("mild")
                continue
            words = {w for w, k in _QUAL_WORDS.items() if k == q}
            if q == "advanced":
                words |= _ADVANCED_PATIENT  # a relapsed / refractory cancer is an advanced one
            if q == "major" and re.search(r"laparotomy|thoracotomy|craniotomy|sternotomy|[a-z]{3,}ectomy|resection|transplant\w*|amputation|bypass|replacement", doc.text[doc.tokens[head[0]].start:doc.tokens[head[1] - 1].end].lower()):
                continue  # these operations are major surgery by definition
            if not any(re.search(rf"\b{re.escape(w)}\w*", sent_text) for w in words):
                qual_ok = False
                missing.add(q)
        start, end = doc.tokens[i0].start, doc.tokens[j0 - 1].end
        out.append(Mention(phrase, start, end, s, a.negated, a.historical, a.uncertain, a.hypothetical, a.family,
                           doc.days_ago(s), qual_ok, partial, frozenset(missing), resolved))
    return out


def units_summary(phrase: Phrase) -> str:
    return ", ".join(v for _, v in phrase.units)


def is_measure(text: str) -> bool:
    return bool(_MEASURE_WORDS.search(text))


def evidence_sentence(pf: PatientFacts, m: Mention) -> str:
    s, e = pf.doc.sentences[m.sent]
    return pf.text[s:e]


def fact_from_mention(pf: PatientFacts, m: Mention) -> Fact:
    return Fact("mention", m.phrase.text, m.start, m.end, pf.text[m.start:m.end], m.negated, m.historical,
                m.hypothetical, m.uncertain, m.family, m.days_ago)
