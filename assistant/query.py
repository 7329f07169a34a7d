"""Query understanding: which documents a question is about, what it asks for, and its key concepts.

- Documents are resolved from what they say about themselves (``Identity``): trial IDs, study names, drug names
  with the codes and brand names the documents give (plus the general drug table), then rare title words.
- The entity guard: a trial ID, study name, drug or cancer type named in the question that no document covers is
  reported ("None of the documents covers X") instead of answering with another trial's facts.
- Concepts: vocabulary concepts (clinical and lay forms, ``vocab.yaml``) and remaining content words, weighted
  by inverse document frequency over the index's units.
- The asked value type (percent, duration, count, dose, date, threshold, money, contact, age) decides what a
  unit must state to answer; the topic decides which sections are expected to hold the answer.
- The selection strategy: fact, criteria list, age check, contact, cross-trial, comparison.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from .vocab import (
    DASHES,
    NCT_RE,
    STUDY_NAME_RE,
    TOKEN_RE,
    _vocab,
    concept_mentions,
    concepts,
    condition_mentions,
    conditions,
    drug_mentions,
    drug_pattern,
    drug_table,
    form_pattern,
    forms_pattern,
    normalize,
)

UNSEEN_WEIGHT = 1.0  # a word no unit uses: it lowers coverage (off-topic questions) without dominating it
STOP = set(
    """a about above after again all also am an and any are as at be been before being below between both but by can
    could did do does doing done during each few for from further get got give had has have having he her here hers him his
    how i if in into is it its itself just me more most my no nor not now of off on once only or other our out over own
    same she should so some such than that the their them then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your yours tell show list please
    trial trials study studies patient patients participant participants people person subject subjects document
    documents source sources report reported data result results value number require required requirement requirements
    let know mean means find say says said according there's what's whats it's i'm im i've anyone someone mine
    many much long often well work works worked because kind type types exactly specifically need needs needed
    registry page record website shown showed seen see observed achieved yield yielded demonstrated assessed
    assess measured parameters thing things stuff like get getting gets anything something does doesn't don't
    mom mum dad mother father husband wife son daughter friend sister brother he's she's they're we're old
    hi hello thanks thank ok okay yes also still just really actually maybe could would should might pts pt ppl
    going go goes went gone gonna didn't wasn't weren't isn't aren't haven't hasn't won't wouldn't couldn't""".split()
)
WH_RE = re.compile(r"^\s*(?:so\s+|and\s+|ok,?\s+)?(what|which|how|when|where|who|whom|why|is|are|was|were|does|do|did|can|could|will|has|have)\b", re.I)
AGE_RE = re.compile(
    r"(?<!have a )(?<!had a )(?<!with a )\b(\d{1,3})[- ]?(?:years?[- ]old|yrs?[- ]old|yo|y/o)\b"
    r"(?!\s+(?:at home|child|children|kid|kids|son|daughter|grandchild|grandson|granddaughter|baby|boy|girl|toddler)\b)"
    r"|\b(?:i am|i'm|im|aged?|is|he's|she's|turning|turned|just turned)\s+(1[2-9]|[2-9]\d|10\d)\b"
    r"(?![\d%]|[.,]\d)(?!\s*(?:mg|kg|%|percent|months?|weeks?|days?|cm|mm|x|×|cycles?|patients|participants|people|lines?|times))",
    re.I,
)
AGE_TOPIC_RE = re.compile(
    r"\b(age limits?|minimum age|maximum age|upper age|lower age|age range|age requirements?|how old|old enough|too old|too young|age cut-?off)\b"
    r"|\bages?\b.{0,40}\b(join|eligib\w*|enrol\w*|qualif\w*|allowed|accept\w*|criteri\w*|limit)",
    re.I,
)
JOIN_RE = re.compile(r"\b(join|eligib\w*|qualif\w*|enrol\w*|take part|taken part|get into|accept\w*|allow\w*|included|sign(?:ed)? up|"
                     r"be (?:in|part of|on) (?:the|this|that|a|your) (?:[\w-]+ ){0,6}?(?:study|trial))\b", re.I)


def age_asked(plan) -> bool:
    """Is the age limit what is asked: the asking sentence speaks of age, or asks about joining with an age told
    ("My mum is 81. Could she take part?"); not "My daughter is 41. How many had no cancer left?"."""
    ask = plan.asking
    return bool(AGE_TOPIC_RE.search(ask) or AGE_RE.search(ask) or (plan.age is not None and JOIN_RE.search(ask)))


DESCRIPTIVE_AGE_RE = re.compile(r"\b(median|mean|average)\s+age\b", re.I)
LIST_RE = re.compile(
    r"\b(list|what are|which are|show|give|tell me|summari[sz]e|all)\b.{0,40}\b(criteria|exclusions|inclusions|requirements)\b"
    r"|^\s*(inclusion|exclusion|eligibility) criteria\b",
    re.I,
)
CROSS_RE = re.compile(
    r"\b(which|what|any|all|how many|list)\b.{0,30}\b(trials?|studies|studys|documents?)\b|\bacross (the )?(trials|studies)\b"
    r"|\b(trials?|studies) (that|which) (accept|allow|take|include|exclude|require|enrol|enroll)\b|\bcompare\b",
    re.I,
)
VERSUS = re.compile(r"\b(?:vs\.?|versus|compared (?:with|to))(?!\w)", re.I)
COMPARE_CUE = re.compile(r"\b(compare|compared|comparison|versus|vs\.?|or|both|each|which|differ\w*|higher|lower|better|worse|more|fewer|longer|shorter|between)\b", re.I)
FOLLOWUP_RE = re.compile(r"^\s*(what about|how about|and|and for|what of|same for|also)\b", re.I)
VALUE_Q = [
    ("dose", re.compile(r"\bhow many (?:mg|milligrams?|grams?|units?|mcg|µg)\b|\bhow much (?:drug|medicine|of the drug)\b"
                        r"|\bhow many (?:\w+ )?(?:tablets|pills|capsules|tabs|injections|shots|puffs)\b"
                        r"|\bhow much (?:[\w-]+ ){1,2}(?:do|does|did|will|would|should|is|was) (?:i|you|they|she|he|we|people|patients|one) "
                        r"(?:get|take|receive|have|need|be given)\b", re.I)),
    ("percent", re.compile(r"\b\d+[- ]?(?:yr|year|month|mo|week|wk)s?\b[- ]?(?:DFS|OS|PFS|EFS|RFS|iDFS|survival|disease[- ]free|overall surv|progression[- ]free|event[- ]free)", re.I)),
    ("dose", re.compile(r"\b(what|which) (?:[\w-]+ ){0,3}(?:dose|dosage|doses)\b|\bhow much (?:drug|medicine|of)\b|\bdose level\b|\bdosed at\b", re.I)),
    ("count", re.compile(r"\bhow many\b|\bnumber of (?:[\w-]+ ){0,2}(?:patients|participants|people|subjects|women|men|deaths|events|responders|pts)\b", re.I)),
    ("duration", re.compile(r"\bhow long\b|\b(?:median|mean|average) (?:time|duration)\b|\bduration of\b|\bfor how long\b", re.I)),
    # "the mean (SD) fecal loss?", "what was the average score?": a mean, with its dispersion where given
    ("mean", re.compile(r"\b(?:mean|average)\s*(?:\(\s*(?:±\s*)?(?:SDs?|standard deviations?)\s*\)|(?:±|\+/-|and)\s*(?:SDs?|standard deviations?)\b)"
                        r"|\b(?:what|which) (?:was|were|is|are) the (?:mean|average)\b", re.I)),
    ("money", re.compile(r"\b(cost|costs|price|prices|pay|afford|insurance|expensive|charge|fee|fees)\b", re.I)),
    ("date", re.compile(r"\bwhen (?:did|does|will|was|is)\b.{0,30}\b(start|begin|end|finish|complete|open|posted|updated)\b|\b(start|completion|end) date\b", re.I)),
    ("percent", re.compile(r"\b(what|which) (?:percentage|proportion|share|percent|fraction|rate)\b|%\s*of\b|\bpercent(?:age)? of\b|\bhow often\b.{0,20}\b(happen|occur)\b|\bwhat % |%\s*change\b|\bpercent(?:age)? change\b", re.I)),
    ("ratio", re.compile(r"\bp[- ]?values?\b|\(p\b|\bp\s*[,)]|\beffect sizes?\b|\b(?:hazard|odds|risk) ratios?\b|\b(?-i:HR|OR)s?\b(?! ?\+)|"
                         r"\bstatistically significant|\bsignificant(?:ly)? (?:difference|better|worse|more|less|higher|lower)|"
                         r"\bmean difference\b", re.I)),
    ("contact", re.compile(r"\b(phone|telephone|e-?mail|contact|who (?:do|can|should) (?:i|we) (?:call|ring|contact|talk|speak|reach|ask|write)|who to (?:call|ring|contact)|get in touch)\b", re.I)),
    ("phase", re.compile(r"\b(what|which) phase\b", re.I)),
]


ASK_START = r"(?:what|what's|whats|which|how|who|who's|whom|when|where|why|is|are|was|were|does|do|did|can|could|will|has|have|any)\b"
ASK_RE = re.compile(r"(?:(?:and|so|also|but|plus)\s+)?" + ASK_START + r"|(?:and\s+(?:the|for|in|with)|what about|how about)\b", re.I)
ASK_ANYWHERE = re.compile(r"(?:^|[\s:–—-])" + ASK_START, re.I)
PART_SPLIT = re.compile(
    r"\?\s+|\s*[,;]\s*(?:and\s+|or\s+|also\s+|plus\s+)?(?=" + ASK_START + r")|\s+(?:and|plus|also|&)\s+(?=" + ASK_START + r")"
    r"|\s*,?\s+(?=and\s+(?:the|its)\s)",
    re.I,
)


@dataclass(frozen=True)
class QConcept:
    name: str
    forms: tuple[str, ...]
    weight: float = 1.0
    value_type: str | None = None
    topic: str | None = None


@dataclass
class QueryPlan:
    question: str
    doc_ids: list[str] | None = None  # the documents in scope (None: all)
    named: list[str] = field(default_factory=list)  # documents named in this question
    carried: bool = False  # scope carried over from earlier turns
    entities: list[str] = field(default_factory=list)  # names in the question that resolved documents
    unknown: list[str] = field(default_factory=list)  # names no document covers (entity guard)
    unknown_in_scope: bool = False  # the names are missing from the documents in scope only
    concepts: list[QConcept] = field(default_factory=list)
    focus: list[QConcept] = field(default_factory=list)  # what an answering unit must speak of
    drugs: list[str] = field(default_factory=list)  # drug names in the question (a dose answer must name one)
    conditions: list[QConcept] = field(default_factory=list)  # cancer types the answer must be about
    value_type: str | None = None
    value_type_explicit: bool = False  # asked in so many words ("how many", "what percentage"), not inferred
    topics: list[str] = field(default_factory=list)
    strategy: str = "fact"  # fact | list | age | contact | cross_trial | compare | empty
    age: int | None = None
    list_kind: str | None = None
    search_text: str = ""
    ask_text: str = ""  # the sentences that ask, when others only tell context ("My mum is 70. Did anyone …?")
    told: list[QConcept] = field(default_factory=list)  # context concepts at full weight ("I take the pill." raises it)

    @property
    def asking(self) -> str:
        """What the question asks: its asking sentences, or the whole question."""
        return self.ask_text or self.question


@lru_cache(maxsize=1)
def topic_map() -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    topics = _vocab().get("topics") or {}
    by_concept = {c: t for t, spec in topics.items() for c in spec.get("concepts", [])}
    sections = {t: tuple(spec.get("sections", [])) for t, spec in topics.items()}
    return by_concept, sections


_local = threading.local()


def _stemmer():
    """PyStemmer objects must not be shared between threads: one per thread."""
    st = getattr(_local, "stemmer", None)
    if st is None:
        import Stemmer

        st = _local.stemmer = Stemmer.Stemmer("english")
    return st


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _stemmer().stemWord(word)


def terms(text: str) -> set[str]:
    return {stem(t) for t in TOKEN_RE.findall(normalize(text))}


SALT_RE = re.compile(
    r"(?:\s+(?:hydrochloride|dihydrochloride|hcl|sodium|disodium|potassium|calcium|mesylate|dimesylate|maleate|citrate|"
    r"sulfate|sulphate|acetate|tartrate|phosphate|besylate|tosylate|ditosylate|succinate|fumarate|bromide|chloride|"
    r"dichloride|monohydrate|hydrate|lactate|malate))+$",
    re.I,
)


# biomarkers and receptor names that drug-name patterns can pick up ("HER-2", "PD-L1"): never a trial's drug
NOT_A_DRUG = re.compile(r"^(?:placebo|vehicle|saline|control|her-?[1-4]|erbb-?[1-4]|er|pr|pgr|pd-?l?1|ctla-?4|egfr|brca-?[12]|ki-?67|cd-?\d+|b7-?h\d|trop-?2|cyp\w+)$", re.I)


@lru_cache(maxsize=1)
def vocabulary_forms() -> frozenset[str]:
    """Every surface form of the vocabulary's concepts, lower-cased."""
    return frozenset(f.lower() for c in concepts().values() for f in c.forms)


STUDY_AFTER = re.compile(r"[\s\w+/().,-]{0,30}?\b(?:study|trial)\b", re.I)  # "risedronate 35 mg weekly study"
STUDY_BEFORE = re.compile(r"\b(?:study|trial)\s+(?:of|with|on|giving|testing|using)\s+(?:[\w-]+\s+){0,2}$", re.I)
SHORT_ACRONYM = re.compile(r"\b[A-Z]{3}\b")  # "SIB": checked only against documents that write it out
ACRONYM_RE = re.compile(r"\b(?:[A-Z][A-Z0-9]{3,}|[A-Z][a-z]+[A-Z][A-Za-z0-9]*)\b")  # "BRECOR", "MammaTyper"


class Catalog:
    """What the index holds: for each document, the names that identify its trial and drugs."""

    def __init__(self, identities: dict[str, object], texts: dict[str, str], treatment_texts: dict[str, str] | None = None) -> None:
        """``treatment_texts``: per document, its title and intervention/arm sections — where the drugs the trial
        gives are named (criteria and results also name drugs the trial does not give)."""
        self.identities = identities
        self.texts = texts
        self.treatment_texts = treatment_texts or {}
        self.lower_texts = {d: normalize(t) for d, t in texts.items()}
        self._capitalised: dict[str, set[str]] | None = None
        self._spelled: dict[str, set[str]] = {}
        self.id_forms: list[tuple[str, str]] = []  # (form, doc_id): trial IDs and study names
        self.drug_forms: list[tuple[str, str]] = []
        self.by_trial_id: dict[str, list[str]] = {}
        table = drug_table()
        lowered_table = {n.lower(): forms for n, forms in table.items()}
        alias_to_generic = {a.lower(): n for n, forms in table.items() for a in forms}
        # names one document gives a drug hold for every document ("fexotamab vedotin (FXV; AB-1234)")
        all_groups: list[set[str]] = []
        for ident in identities.values():
            for group in ident.drug_aliases:
                low = {g.lower() for g in group}
                hit = [g for g in all_groups if {x.lower() for x in g} & low]
                merged = set(group).union(*hit) if hit else set(group)
                all_groups = [g for g in all_groups if g not in hit] + [merged]
        condition_forms = {f.lower() for forms in conditions().values() for f in forms}
        self._same_drug: dict[str, set[str]] = {}
        self._given: dict[tuple[str, str], bool] = {}
        for generic, aliases in table.items():
            group = {a.lower() for a in aliases} | {generic.lower()}
            for a in group:
                self._same_drug.setdefault(a, set()).update(group)
        for doc_id, ident in identities.items():
            for tid in ident.trial_ids:
                self.id_forms.append((tid, doc_id))
                self.by_trial_id.setdefault(tid.upper(), []).append(doc_id)
            for name in ident.trial_names:
                self.id_forms.append((name, doc_id))
            forms: set[str] = set()
            given = drug_mentions(self.treatment_texts.get(doc_id, ""))  # drugs its interventions name, from the drug table
            for drug in (*ident.drugs, *given):
                forms.add(drug)
                base = SALT_RE.sub("", drug)
                if base != drug and len(base) >= 4:
                    forms.add(base)  # "donepezil hydrochloride" is asked about as "donepezil"
                variant = re.fullmatch(r"([A-Za-z][A-Za-z0-9]{3,})-[A-Za-z]{1,2}", drug)
                if variant:
                    forms.add(variant.group(1))  # "PANVAC-V" and "PANVAC-F" are asked about as "PANVAC"
                generic = alias_to_generic.get(drug.lower()) or alias_to_generic.get(SALT_RE.sub("", drug).lower())
                if generic:
                    forms.update(lowered_table.get(generic.lower(), ()))
            for group in all_groups:
                if any(g.lower() in {f.lower() for f in forms} for g in group):
                    forms.update(group)
            for form in forms:
                if len(form) >= 3 and not NOT_A_DRUG.match(form) and form.lower() not in condition_forms:
                    self.drug_forms.append((form, doc_id))
        self.title_df: dict[str, int] = {}
        self.title_terms: dict[str, set[str]] = {}
        for doc_id, ident in identities.items():
            ts = {t for t in terms(ident.title) if len(t) >= 4 and not t.isdigit()}
            self.title_terms[doc_id] = ts
            for t in ts:
                self.title_df[t] = self.title_df.get(t, 0) + 1

    def _gives(self, doc_id: str, form: str) -> bool:
        """Is the drug named where the document describes what its trial gives (title, interventions, arms)? With
        no such text for the document, every drug it names counts."""
        key = (doc_id, form)
        if key not in self._given:  # computed once per (document, name), not at every question
            where = self.treatment_texts.get(doc_id)
            names = {form.lower()} | self._same_drug.get(form.lower(), set())
            self._given[key] = where is None or any(form_pattern(n).search(where) for n in names if len(n) >= 3)
        return self._given[key]

    def drug_forms_in(self, text: str) -> list[tuple[str, str]]:
        """Drug names of the indexed documents that ``text`` mentions: (form, doc_id)."""
        return [(form, doc_id) for form, doc_id in self.drug_forms if form_pattern(form).search(text)]

    def doc_for_id(self, ident: str) -> list[str]:
        return self.by_trial_id.get(ident.upper(), [])

    def resolve(self, text: str) -> tuple[list[str], list[str]]:
        """Documents named in ``text`` (trial IDs and study names beat drug names) and the names found."""
        by_id, by_drug, names = set(), set(), []
        for form, doc_id in self.id_forms:
            if form_pattern(form).search(text):
                by_id.add(doc_id)
                names.append(form)
        if not by_id:
            spans = {form: [m.span() for m in form_pattern(form).finditer(text)] for form in {f for f, _ in self.drug_forms}}
            every = [sp for sps in spans.values() for sp in sps]

            def stands_alone(a: int, b: int) -> bool:  # not inside a longer drug name ("trastuzumab" in "trastuzumab deruxtecan")
                return not any(c <= a and b <= d and d - c > b - a for c, d in every)

            mentions: dict[tuple[int, int], set[str]] = {}  # each place a drug is named -> documents with that drug
            own: dict[tuple[int, int], set[str]] = {}  # … of them, documents whose trial gives it
            for form, doc_id in self.drug_forms:
                for a, b in spans[form]:
                    if stands_alone(a, b):
                        mentions.setdefault((a, b), set()).add(doc_id)
                        if self._gives(doc_id, form):
                            own.setdefault((a, b), set()).add(doc_id)
                        names.append(form)
            for place in mentions:  # "the Taxol trial" is a trial that gives Taxol, not one whose criteria mention it
                if own.get(place):
                    mentions[place] = own[place]
            merged: list[tuple[int, int, set[str]]] = []  # overlapping places ("Xeloda (capecitabine)" aside) are one mention
            for (a, b), docs in sorted(mentions.items()):
                if merged and a < merged[-1][1]:
                    merged[-1] = (merged[-1][0], max(b, merged[-1][1]), merged[-1][2] | docs)
                else:
                    merged.append((a, b, set(docs)))
            by_drug = set().union(*(d for _, _, d in merged)) if merged else set()
            distinct = {frozenset(d) for _, _, d in merged}
            if len(distinct) > 1:
                # "the Avastin + docetaxel trial": the documents that give the most of the drugs named (every one, if any does)
                hits = {doc: sum(doc in d for d in distinct) for doc in by_drug}
                top = max(hits.values())
                if top >= 2:
                    by_drug = {doc for doc, k in hits.items() if k == top}
                elif not any(VERSUS.search(text[b1:a2]) for (_, b1, _), (a2, _, _) in zip(merged, merged[1:])):
                    # "she is on letrozole … the risedronate 35 mg weekly study": the drug the study is named by
                    # (not when the trials are set against each other: "the drug-X study vs the drug-Y one")
                    named = [d for a, b, d in merged if STUDY_AFTER.match(text, b) or STUDY_BEFORE.search(text[max(0, a - 30) : a])]
                    if len({frozenset(d) for d in named}) == 1:
                        by_drug = set(named[0])
        docs = by_id or by_drug
        return sorted(docs), sorted(set(names), key=len, reverse=True)

    def resolve_by_title(self, text: str) -> list[str]:
        """Documents whose title shares a word that few titles have ("the Ommaya study")."""
        q = {t for t in terms(text) if len(t) >= 4 and t not in STOP_STEMS}
        n = max(len(self.identities), 1)
        scores: dict[str, float] = {}
        for doc_id, ts in self.title_terms.items():
            for t in q & ts:
                df = self.title_df.get(t, n)
                if df <= max(1, n // 20) and df <= 3:
                    scores[doc_id] = scores.get(doc_id, 0) + math.log(1 + n / df)  # the rarer the word, the surer
        if not scores:
            return []
        best = max(scores.values())
        winners = [d for d, s in scores.items() if s == best]
        return winners if len(winners) <= 3 else []

    @cached_property
    def doc_terms(self) -> dict[str, set[str]]:
        """Each document's stemmed words (built at the first question that needs them)."""
        return {d: terms(t) for d, t in self.texts.items()}

    @cached_property
    def term_docs(self) -> Counter:
        """Stemmed word -> how many documents use it anywhere."""
        return Counter(w for ts in self.doc_terms.values() for w in ts)

    def description_scores(self, text: str) -> list[tuple[float, str]]:
        """Each document's fit to a description: the rarity-weighted words of ``text`` it uses (words at most a tenth
        of the documents use), best first."""
        n = len(self.texts)
        words = {t for t in terms(text) if len(t) >= 3 and t not in STOP_STEMS and 0 < self.term_docs.get(t, 0) <= max(2, n // 10)}
        scores = [(sum(math.log(n / self.term_docs[t]) for t in words & ts), d) for d, ts in self.doc_terms.items()]
        return sorted((sc, d) for sc, d in scores if sc > 0)[::-1]

    def title_checked(self, text: str, winners: list[str]) -> list[str]:
        """Title winners, unless the description fits another document far better ("the study that gave vitamin D3
        once a week at 20,000 or 30,000 IU" is not the "CoQ10 & Vitamin E" trial whose title shares "vitamin")."""
        if not winners or len(self.texts) < DESCRIBE_MIN_DOCS:
            return winners
        scores = self.description_scores(text)
        if not scores:
            return winners
        fit = dict((d, sc) for sc, d in scores)
        best, best_doc = scores[0]
        if best_doc not in winners and best >= DESCRIBE_MARGIN * max(fit.get(d, 0.0) for d in winners):
            return [best_doc]
        return winners

    def resolve_by_description(self, text: str) -> list[str]:
        """The one document a description fits ("the trial where women got motivational interviewing to be more
        active"): the words of ``text`` that few documents use, weighted by rarity, point to one document clearly more
        than to any other. [] when no document stands out."""
        n = len(self.texts)
        if n < DESCRIBE_MIN_DOCS:
            return []
        rare = {t for t in terms(text) if len(t) >= 3 and t not in STOP_STEMS and 0 < self.term_docs.get(t, 0) <= max(2, n // 50)}
        scores = []
        for d, ts in self.doc_terms.items():
            hit = rare & ts
            if len(hit) >= 2:
                scores.append((sum(math.log(n / self.term_docs[t]) for t in hit), d))
        if not scores:
            return []
        scores.sort(reverse=True)
        if len(scores) > 1 and scores[0][0] < DESCRIBE_MARGIN * scores[1][0]:
            return []
        return [scores[0][1]]

    def resolve_by_rare_title_word(self, text: str) -> list[str]:
        """Documents whose title has a word of ``text`` that at most two documents use at all ("the minocycline
        trial for taxol pain" among many paclitaxel trials)."""
        q = {t for t in terms(text) if len(t) >= 4 and t not in STOP_STEMS and self.term_docs.get(t, 0) <= 2} - self.drug_terms
        return sorted(d for d, ts in self.title_terms.items() if q & ts)

    @cached_property
    def drug_terms(self) -> set[str]:
        """Words of drug names (the drug table's and the documents'): a drug names a treatment, not a trial."""
        out: set[str] = set()
        for generic, aliases in drug_table().items():
            for name in (generic, *aliases):
                out |= terms(name)
        for form, _ in self.drug_forms:
            out |= terms(form)
        return out

    @cached_property
    def id_names(self) -> set[str]:
        """Trial IDs and study names, lower-cased."""
        return {f.lower() for f, _ in self.id_forms}

    def resolve_by_acronym(self, text: str) -> list[str]:
        """Documents naming a capitalised word the question uses that at most two documents use ("the BRECOR
        website"): a programme's or study's own name. Words the vocabulary knows (HER2, ECOG) are not names."""
        if self._capitalised is None:  # word -> documents using it, built at the first such question
            index: dict[str, set[str]] = {}
            for doc_id, t in self.texts.items():
                for w in set(ACRONYM_RE.findall(t)):
                    index.setdefault(w, set()).add(doc_id)
            self._capitalised = index
        out: list[str] = []
        for word in dict.fromkeys(ACRONYM_RE.findall(text) + SHORT_ACRONYM.findall(text)):
            if word.lower() in vocabulary_forms() or NCT_RE.fullmatch(word):
                continue
            known = self._capitalised.get(word, set())
            docs = known if ACRONYM_RE.fullmatch(word) else set()
            if not known:
                docs = self._spelled_out(word)
            if 1 <= len(docs) <= 2:
                out += [d for d in sorted(docs) if d not in out]
        return out

    def _spelled_out(self, word: str) -> set[str]:
        """Documents that write out an acronym no document uses ("SIB": "Simultaneous Integrated Boost")."""
        letters = [ch for ch in word if ch.isalpha()]
        if not 3 <= len(letters) <= 6 or len(letters) != len(word):
            return set()
        if word not in self._spelled:
            pattern = re.compile(r"\b" + r"[\s-]+".join(f"{ch.upper()}[a-z]+" for ch in letters) + r"\b")
            self._spelled[word] = {d for d, t in self.texts.items() if pattern.search(t)}
        return self._spelled[word]

    def covered(self, form: str, scope: list[str] | None = None) -> bool:
        """Does any document (in scope) mention ``form`` (or, for a known drug, one of its names)?"""
        forms = [form]
        for generic, aliases in drug_table().items():
            if form.lower() in (a.lower() for a in aliases):
                forms = list(aliases)
                break
        for name, aliases in conditions().items():
            if form.lower() in (a.lower() for a in aliases):
                forms = list(aliases)
                break
        pats = [form_pattern(f) for f in forms if len(f) >= 2]
        for doc_id in scope or list(self.texts):
            text = self.texts[doc_id]
            if any(p.search(text) for p in pats):
                return True
        return False


STOP_STEMS = {stem(w) for w in STOP} | {"studi", "trial", "cancer", "patient", "phase", "treatment", "therapi", "metastat", "advanc"}


def guard_unknown(question: str, catalog: Catalog, eligibility_like: bool) -> list[str]:
    """Names in the question that no document covers (a cancer type a named trial's documents do not mention is left
    to the answer gates: documents often do not restate their disease)."""
    unknown: list[str] = []
    for m in NCT_RE.finditer(question):
        if not catalog.doc_for_id(m.group(0)):
            unknown.append(m.group(0).upper())
    for m in STUDY_NAME_RE.finditer(question):
        name = m.group(0)
        if not re.match(r"(?i)phase|cohort|arm|grade|stage|day|week|cycle|covid|her|pd|cd|il", name) and not catalog.covered(name):
            unknown.append(name)
    if not eligibility_like:  # in an eligibility question, drugs and cancers are the patient's history
        for drug in drug_mentions(question):
            if not catalog.covered(drug):
                unknown.append(drug)
        for cond in condition_mentions(question):
            if not catalog.covered(cond):
                unknown.append(cond)
    return [n for n in dict.fromkeys(unknown) if not _aliased_covered(question, n, catalog)]


def _aliased_covered(question: str, name: str, catalog: Catalog) -> bool:
    """The question gives the name with another in brackets ("alpelisib (BYL719)", "BYL719 (alpelisib)") and the
    documents use that other name."""
    n = re.escape(name)
    for m in re.finditer(rf"(?i)\b{n}\s*\(([^()]{{2,40}})\)|([\w-]{{3,}}(?:\s[\w-]{{3,}})?)\s*\(\s*{n}\s*\)", question):
        other = (m.group(1) or m.group(2)).strip()
        if any(catalog.covered(w) for w in [other, *re.split(r"[,;/\s]+", other)] if len(w) >= 3):
            return True
    return False


MEAN_ASKED = re.compile(r"\b(?:mean|average|means)\b", re.I)
SD_OF_MEAN = re.compile(r"\(?\s*(?:±|\+/-|and|with)?\s*\b(?:SDs?|standard deviations?)\b\s*\)?")


def extract_concepts(text: str, skip: list[str], df: dict[str, int], n_units: int) -> list[QConcept]:
    """Key concepts of a question: vocabulary concepts first, then remaining content words, IDF-weighted."""
    working = text.translate(DASHES)
    for name in skip:  # names that resolved the trial are not concepts to find in its units
        working = form_pattern(name).sub(lambda m: " " * len(m.group(0)), working)
    working = re.sub(r"\bphase\s*(?:[1-4][ab]?(?:/[1-4])?|i{1,3}v?(?:/i{1,3})?)\b", lambda m: " " * len(m.group(0)), working, flags=re.I) if not re.search(r"\b(what|which) phase", working, re.I) else working
    # "with 95% CIs": how to report the value, not what to find (result rows show the interval without saying so)
    working = re.sub(r"\b(?:with\s+(?:the\s+)?)?(?:9[05]\s?%\s*)?(?:CIs?|confidence intervals?)\b|\b9[05]\s?%(?=\s*(?:CI|confidence))",
                     lambda m: " " * len(m.group(0)), working, flags=re.I)
    if MEAN_ASKED.search(working):  # "mean (SD)", "mean ± SD": a standard deviation is how to report it, not stable disease
        working = SD_OF_MEAN.sub(lambda m: " " * len(m.group(0)), working)
    by_topic, _ = topic_map()
    found: list[tuple[int, QConcept]] = []
    for s, e, c in concept_mentions(working):
        found.append((s, QConcept(c.name, c.forms, 1.0, c.value_type, by_topic.get(c.name))))
        working = working[:s] + " " * (e - s) + working[e:]
    table = drug_table()
    for name in drug_mentions(working):  # a drug is found by any of its names ("radium" in the question, "Ra-223" in the unit)
        m = drug_pattern(name).search(working) if name in table else None
        if m:
            found.append((m.start(), QConcept(name, table[name], 1.0)))
            working = working[: m.start()] + " " * (m.end() - m.start()) + working[m.end() :]
    for m in re.finditer(r"\d+(?:\.\d+)?\s*(?:mg/kg|mg/m2|mg/m²|μg/kg|ug/kg|mg|g/L|mL/min|months|weeks|days)\b", working, re.I):
        form = re.sub(r"(month|week|day)s$", r"\1", m.group(0), flags=re.I)  # "6 months" is also the "6-month follow-up"
        found.append((m.start(), QConcept(m.group(0), (form,))))
        working = working[: m.start()] + " " * (m.end() - m.start()) + working[m.end() :]
    for m in TOKEN_RE.finditer(normalize(working)):
        tok = m.group(0)
        if tok in STOP or (len(tok) < 2 and not tok.isdigit()) or tok.isdigit() and len(tok) > 3:
            continue
        found.append((m.start(), QConcept(tok, (tok,))))
    found.sort(key=lambda pc: pc[0])
    seen, out = set(), []
    for _, c in found:
        if c.name in seen:
            continue
        seen.add(c.name)
        out.append(_weighted(c, df, n_units))
    return out


def _weighted(c: QConcept, df: dict[str, int], n: int) -> QConcept:
    def freq(term: str) -> int:
        toks = [stem(t) for t in TOKEN_RE.findall(normalize(term))] or [term]
        return min(df.get(t, 0) for t in toks)

    seen = [f for f in (freq(form) for form in c.forms) if f > 0]
    if not seen:
        weight = UNSEEN_WEIGHT
    else:
        weight = min(max(math.log((n + 1) / (max(seen) + 0.5)), 0.5), 8.0)
    return QConcept(c.name, c.forms, weight, c.value_type, c.topic)


def concept_in(c: QConcept, text: str, text_terms: set[str]) -> bool:
    if len(c.forms) == 1 and " " not in c.forms[0]:
        return stem(c.forms[0]) in text_terms or bool(form_pattern(c.forms[0]).search(text))
    return bool(forms_pattern(c.forms).search(text))


SCREEN_INTENT = re.compile(
    r"\b(?:can|could|would|will|may|might|am|is|are|do|does|should)\s+(?:i|he|she|they|we|you|my \w+|the patient|a patient|this patient|"
    r"someone|somebody|patients?|people|a \d+[- ]year[- ]old|an? \w+)\b[^?.!]{0,60}?\b(?:join|have joined|have been (?:eligible|allowed|accepted)|be eligible|eligible|qualify|have qualified|"
    r"(?:get|go|be) (?:into|in on|in|on|onto|part of)\b[^?.!]{0,40}?\b(?:trial|study|basket|cohort|arm|it|nct\d+)|take part|have taken part|enrol\w*|be (?:accepted|considered|allowed|included)|have been included|"
    r"allowed|a candidate|a (?:good )?fit|fit (?:into|in)|still (?:ok|okay|allowed|eligible))\b"
    r"|\b(?:rule[sd]?|keep|kept|exclude[sd]?|stop|block) (?:me|him|her|them|us|my \w+)\b[^?.!]{0,15}\bout\b|\bdisqualif\w*"
    r"|\b(?:which|what|any) (?:of (?:these|the|your|those) )?(?:[\w+-]+ ){0,3}?(?:trials?|studies)\b[^?.!]{0,60}\b(?:join|fit|eligible|qualify|accept|take|turn \w+ away)\b"
    r"|\bscreen (?:me|him|her|this patient|the patient)\b"
    r"|\b(?:stop|keep|prevent|bar|exclude)\s+(?:me|him|her|them|us|my \w+)\s+(?:from\s+)?(?:join\w*|getting|taking part|being (?:in|on))\b"
    r"|\b(?:i|he|she|they|we)\s+(?:can|could|might|would)\s+(?:go|get|be put)\s+(?:into|in|on)\b"
    r"|\b(?:can|could|would|may|might)\s+(?:i|he|she|they|we|my \w+)\s+(?:go|be put|get)\s+(?:on|onto|into|in)\b[^?.!]{0,40}?\b(?:trial|study|basket|cohort|arm|it)\b"
    r"|\b(?:is|are|would|will|does|do)\s+(?:that|this|those|these|either|any|it|they)(?:\s+of\s+(?:those|these|them|that))?\s+"
    r"(?:be\s+)?(?:a problem|an issue|ok|okay|allowed|a concern|matter|count against)\b",
    re.I,
)
PATIENTS_DRUG = re.compile(r"\b(?:is|am|are|was|been|i'm|im|he's|she's|currently|still)\s+(?:on|taking|using|receiving)\b|\b(?:takes|taking|i take|had|received)\b", re.I)
PATIENT_WORDS = re.compile(r"\b(i|i'm|i've|im|my|me|he|she|his|her|he's|she's|patient|pt|mum|mom|dad|father|mother|husband|wife|son|daughter|sister|brother|friend|yo|y/o|year[- ]old)\b", re.I)


def describes_patient(question: str, follow_up: bool = False) -> bool:
    """Does the text describe a patient (beyond an age alone)? Then an eligibility question is a screening; in a
    screening conversation, any new patient fact is."""
    if not follow_up and not PATIENT_WORDS.search(question):
        return False
    from .screening import extract_patient

    pf = extract_patient(question)
    n = sum(bool(x) for x in (pf.conditions, pf.drugs, pf.labs, pf.ps, pf.lines, pf.mets, pf.brain, pf.infections, pf.biomarkers, pf.stage, pf.steroid_doses, pf.pregnancy))
    if follow_up:
        return n >= 1 or pf.age is not None
    return n >= 1 and (n >= 2 or pf.age is not None or len(question.split()) >= 12)


SCREENING_MARK = re.compile(r"^(?:Screening against the trial criteria|Based only on what you told me)", re.M)


def _screened_before(history: list[dict]) -> bool:
    """Was the last answer a screening (its opening words say so)?"""
    answers = [h.get("content") or "" for h in history if h.get("role") == "assistant"]
    return bool(answers) and bool(SCREENING_MARK.search(answers[-1]))


STUDY_WORD = re.compile(r"\b(stud(y|ies)|trials?|protocol|cohort)\b", re.I)


def _names_trial(names: list[str], catalog: Catalog) -> bool:
    """Is one of the names a trial ID or study name (not just a drug)?"""
    return any(n.lower() in catalog.id_names for n in names)


def _names_distinct_trials(question: str, catalog: Catalog, names: list[str]) -> bool:
    """Does the question name two different trials (names resolving to disjoint sets of documents)?"""
    sets = [frozenset(catalog.resolve(n)[0]) for n in names]
    sets = [x for x in sets if x]
    return any(not (a & b) for i, a in enumerate(sets) for b in sets[i + 1 :])


TOPIC_PRIORITY = {"efficacy": 0, "safety": 1, "eligibility": 2, "design": 3, "logistics": 4, "dosing": 5}
FOCUS_VALUE_TYPES = {"percent", "duration", "count", "dose", "threshold", "ratio"}
GENERIC_FOCUS = {"adverse events", "serious adverse events", "dose reduction", "discontinuation", "death", "dose", "schedule",
                 "administration", "eligibility", "arms", "enrollment", "phase", "age", "follow-up", "life expectancy"}


def focus_concepts(plan: QueryPlan) -> list[QConcept]:
    """The concepts an answering unit must speak of (one of them, in its text or what it is read with): the
    endpoint, adverse event or lab value the question asks about."""
    return [
        c for c in plan.concepts
        if c.weight >= 0.5 and c.name not in GENERIC_FOCUS and (c.value_type in FOCUS_VALUE_TYPES or c.topic == "safety")
    ]


def condition_focus(question: str) -> list[QConcept]:
    """Cancer types the question names: an answer must be about one of them (its unit, section or document)."""
    return [QConcept(name, conditions()[name], 1.0) for name in condition_mentions(question)]


def absent_drugs(question: str, catalog: Catalog, scope: list[str] | None, entity_names: list[str]) -> list[str]:
    """Drugs the question names that the documents in scope never mention ("the docetaxel arm" of a trial that
    has none): such a question cannot be answered from them."""
    if not scope:
        return []
    named = {n.lower() for n in entity_names}
    out = []
    for drug in drug_mentions(question):
        if drug.lower() in named:
            continue
        if not catalog.covered(drug, scope):
            out.append(drug)
    return out


def _user_turns(history: list[dict]) -> list[str]:
    return [h["content"] for h in history if h.get("role") == "user" and h.get("content")]


SEX_WORDS = re.compile(r"\b(?:sex|sexes|gender|male|female|males|females)\b", re.I)
MANY_NAMED = 3  # more documents than this give the drug named: a rarer word in the question may name the trial
DESCRIBE_MIN_DOCS = 8  # a description picks one document only among enough documents for rare words to mean something
DESCRIBE_MARGIN = 2.0  # … and only when its rare words point to it at least this much more than to the next document


def plan_query(
    question: str,
    catalog: Catalog,
    df: dict[str, int],
    n_units: int,
    history: list[dict] | None = None,
    trial: str | None = None,
    context_weight: float = 1.0,
) -> QueryPlan:
    plan = QueryPlan(question=question)
    history = history or []
    named, names = catalog.resolve(question)
    carried: list[str] = []
    for turn in reversed(_user_turns(history)):  # the trial in focus from earlier turns
        prev, _ = catalog.resolve(turn)
        prev = prev or (catalog.resolve_by_title(turn) if STUDY_WORD.search(turn) else [])
        if prev:
            carried = prev
            break
    if named and carried and not _names_trial(names, catalog) and set(named) & set(carried):
        named = [d for d in named if d in carried]  # "… and with Herceptin?" keeps the trial in focus
    if not named and not carried and trial is None and not CROSS_RE.search(question):
        named = catalog.resolve_by_acronym(question) or (catalog.title_checked(question, catalog.resolve_by_title(question))
                                                         if STUDY_WORD.search(question) else []) or catalog.resolve_by_description(question)
    elif len(named) > MANY_NAMED and trial is None and not _names_trial(names, catalog) and STUDY_WORD.search(question) \
            and not CROSS_RE.search(question):
        # a drug many trials give, and a word few titles have: "the minocycline trial for taxol pain", "the (Oraxol) study"
        narrow = catalog.resolve_by_rare_title_word(question)
        named = [d for d in named if d in narrow] or (narrow if 0 < len(narrow) <= 2 else named)
    elif named and trial is None and not _names_trial(names, catalog) and STUDY_WORD.search(question) and not CROSS_RE.search(question):
        # "got worse after Herceptin … the study of the HER2 vaccine (dHER2 + AS15) given with lapatinib": a word only
        # one or two titles use names the study, when that study also mentions a drug the question names
        narrow = catalog.resolve_by_rare_title_word(question)
        if 0 < len(narrow) <= 2 and not set(narrow) & set(named) and set(narrow) <= {d for f, d in catalog.drug_forms if f in names}:
            named = narrow
    plan.named, plan.entities = named, names
    patients_own = bool(PATIENT_WORDS.search(question) and PATIENTS_DRUG.search(question))  # "my patient is on dexamethasone"
    eligibility_like = bool(AGE_RE.search(question) or JOIN_RE.search(question) or patients_own)  # patients_own: the drugs named are the patient's history
    if trial:
        by_id = catalog.doc_for_id(trial)
        scope = by_id or ([trial] if trial in catalog.texts else catalog.resolve(trial)[0])
        if not scope:
            plan.unknown = [trial]
            return plan
        plan.doc_ids = scope
    elif named:
        plan.doc_ids = named
    elif carried:
        plan.doc_ids, plan.carried = carried, True
    plan.unknown = guard_unknown(question, catalog, eligibility_like)
    # trial IDs and study names only pick the trial; a drug that picked it is still asked about ("the Xeloda dose")
    skip = [n for n in names if n.lower() in catalog.id_names]
    plan.concepts = extract_concepts(question, skip, df, n_units)
    if not eligibility_like and not SEX_WORDS.search(question):
        # "how many women had nausea?": women are the people counted, not the sex a trial admits
        plan.concepts = [c for c in plan.concepts if c.name != "sex"]
    told = statements(question)
    plan.ask_text = asking_text(question) if told else ""
    # context, not what is asked: what the user tells ("My mum has … . Did anyone get X?") and words that describe
    # the trial ("the study that looked at fatigue"); weighted down, and never the focus of an answer
    context_only = described_only(question, plan.concepts)
    if told:
        asked = {c.name for c in extract_concepts(plan.ask_text, skip, df, n_units)}
        context_only |= {c.name for c in plan.concepts if c.name not in asked}
    plan.told = [c for c in plan.concepts if c.name in context_only]
    if context_only and context_weight != 1.0:
        plan.concepts = [QConcept(c.name, c.forms, context_weight * c.weight, c.value_type, c.topic) if c.name in context_only else c
                         for c in plan.concepts]
    users = _user_turns(history)
    own = {c.name for c in plan.concepts}
    # "And the ones who only took lapatinib?" names a group, not a measure: the measure asked before is asked again
    same_measure = bool(users and FOLLOWUP_RE.match(question) and not any(c.topic for c in plan.concepts))
    if users and (FOLLOWUP_RE.match(question) or len(plan.concepts) <= 1):
        prev = extract_concepts(users[-1], catalog.resolve(users[-1])[1], df, n_units)
        plan.concepts += [QConcept(c.name, c.forms, (1.0 if same_measure and c.topic else 0.35) * c.weight, c.value_type, c.topic)
                          for c in prev if c.name not in own]
    # what is asked
    age = AGE_RE.search(question)
    if age:
        plan.age = int(age.group(1) or age.group(2))
    for text in [question] + ([users[-1]] if same_measure else []):  # a same-measure follow-up asks as the turn before
        vt = next((vt for vt, pattern in VALUE_Q if pattern.search(text)), None)
        if vt:
            plan.value_type, plan.value_type_explicit = vt, True
            break
    if plan.value_type is None:
        typed = [c for c in plan.concepts if c.value_type and c.weight >= 0.5 and c.name not in context_only]
        typed.sort(key=lambda c: TOPIC_PRIORITY.get(c.topic or "", 9))
        if typed:
            plan.value_type = typed[0].value_type
    if plan.doc_ids and len(plan.doc_ids) == 1:
        plan.concepts = own_abbreviations(question, plan.concepts, catalog.identities.get(plan.doc_ids[0]))
    plan.topics = list(dict.fromkeys(c.topic for c in plan.concepts if c.topic))
    plan.focus = [c for c in focus_concepts(plan) if c.name not in context_only]
    if any(c.name in own for c in plan.focus):  # "And OS and ORR?" after a PFS question asks for OS and ORR only
        plan.focus = [c for c in plan.focus if c.name in own]
    plan.drugs = [] if patients_own else list(dict.fromkeys([*drug_mentions(question), *(n for n, _ in catalog.drug_forms_in(question))]))
    plan.conditions = [] if eligibility_like else condition_focus(question)
    if not eligibility_like and not plan.unknown:
        missing = [d for d in absent_drugs(question, catalog, plan.doc_ids, names) if not _aliased_covered(question, d, catalog)]
        if missing:
            plan.unknown = missing
            plan.unknown_in_scope = True
    if not plan.concepts and plan.value_type is None and plan.age is None:
        plan.strategy = "empty"
    elif (SCREEN_INTENT.search(question) and describes_patient(question)) or (_screened_before(history) and describes_patient(question, follow_up=True)):
        plan.strategy = "screen"
    elif age_asked(plan) and not DESCRIPTIVE_AGE_RE.search(question):
        plan.strategy = "age"
        plan.value_type = "age"
    elif LIST_RE.search(question):
        plan.strategy = "list"
        q = question.lower()
        plan.list_kind = "exclusion" if re.search(r"exclu|disqualif|rule[sd]? out|not allowed", q) else ("inclusion" if "inclu" in q else None)
    elif plan.value_type == "contact" or any(c.name == "contact" for c in plan.concepts if c.weight >= 0.5):
        plan.strategy = "contact"
        plan.value_type = "contact"
    elif len(named) > 1 and COMPARE_CUE.search(question) and _names_distinct_trials(question, catalog, names):
        plan.strategy = "compare"
    elif not plan.doc_ids and CROSS_RE.search(question):
        plan.strategy = "cross_trial"
    expansions = [f for c in plan.concepts if c.weight >= 0.5 for f in c.forms[:6]]
    plan.search_text = " ".join([question, *expansions])
    return plan


# "…, and for how many days, was given in X?": an auxiliary followed by a participle continues a clause, it asks nothing new
PASSIVE_CONTINUES = re.compile(r"(?:is|are|was|were|has|have|had)\s+(?:\w+ed|given|taken|seen|done|made|shown|known|written|begun|run)\b", re.I)
# "the study that looked at inflammation and fatigue", "the study of mometasone cream to prevent skin reactions"
STUDY_DESC = re.compile(
    r"\b(?:study|trial|studies|trials)\s+(?:that|which|where|of|on|in which|comparing|testing|using|giving|looking at|to)\b.*?"
    r"(?=[,;?]|\.\s|$|\b(?:how|what|which|did|do|does|were|was|is|are|could|can|would|if)\b)", re.I)


def own_abbreviations(question: str, concepts: list[QConcept], identity) -> list[QConcept]:
    """An abbreviation the trial's document defines its own way means what the document says ("MI" in a report that
    writes "motivational interviewing (MI)" is not myocardial infarction)."""
    defined = getattr(identity, "abbreviations", None) or {}
    if not defined:
        return concepts
    out = list(concepts)
    for m in re.finditer(r"\b[A-Z][A-Za-z0-9]{1,6}\b", question):
        abbr, expansion = m.group(0), defined.get(m.group(0))
        if not expansion:
            continue
        et = terms(expansion)
        for k, c in enumerate(out):
            if abbr in c.forms and not concept_in(QConcept(c.name, (*c.forms, c.name)), expansion, et):
                out[k] = QConcept(expansion.lower(), (abbr, expansion), c.weight)
    return out


def described_only(question: str, concepts: list[QConcept]) -> set[str]:
    """Concepts the question uses only to describe the trial it means, not to ask about."""
    spans = [m.span() for m in STUDY_DESC.finditer(question)]
    if not spans:
        return set()
    desc = " ".join(question[a:b] for a, b in spans)
    rest = question
    for a, b in spans:
        rest = rest[:a] + " " * (b - a) + rest[b:]
    dt, rt = terms(desc), terms(rest)
    return {c.name for c in concepts if concept_in(c, desc, dt) and not concept_in(c, rest, rt)}


SENTENCE_END = re.compile(r"(?<=\?)\s+|(?<=[.!])\s+(?=[A-Z])")


def statements(question: str) -> list[str]:
    """The sentences of a question that tell rather than ask ("My mum is 70."), when another sentence asks."""
    if "?" not in question:
        return []
    return [s for s in SENTENCE_END.split(question.strip()) if not s.endswith("?")]


def asking_text(question: str) -> str:
    return " ".join(s for s in SENTENCE_END.split(question.strip()) if s.endswith("?"))


COORDINATED_ASK = re.compile(r"^(?P<head>.+?)\s*,?\s+(?:and|plus)\s+(?=" + ASK_START + r")", re.I | re.S)


def question_parts(question: str, asks=None, names_value=None) -> list[str]:
    """The separate questions in one ("what phase is it, is it randomised, and how many will it enrol?"): clauses
    and sentences that each start with a question word (or "and the …?") and each ask something of their own —
    ``asks(piece)``, by default any content word. One question: ``[question]``. Context before the first such part
    ("In the X trial, what…", "I'm on Y. Can I…") is read with it; a clause asking nothing joins the one before."""
    asks = asks or (lambda piece: len(terms(piece) - STOP) >= 1)
    parts: list[str] = []
    prefix = ""
    asking = "?" in question
    for sentence in SENTENCE_END.split(question.strip()):
        head = COORDINATED_ASK.match(sentence)
        if names_value and head and not parts and not prefix and not ASK_ANYWHERE.search(head.group("head")) \
                and names_value(head.group("head")):
            # "NCT01004172: doses of carbo and bev, and how long is each cycle?": a value named without a question
            # word, coordinated with a question, is asked too
            parts.append(head.group("head").strip(" ,;"))
            sentence = sentence[head.end():]
        if asking and not sentence.endswith("?"):
            # a statement ("My mum has … . She's been offered …"): what the next part is asked about
            if parts and not prefix:
                parts[-1] = f"{parts[-1]}. {sentence}"
            else:
                prefix += sentence + " "
            continue
        for piece in (p.strip(" ,;?") for p in PART_SPLIT.split(sentence)):
            if not piece:
                continue
            starts = (ASK_RE.match(piece) and not PASSIVE_CONTINUES.match(piece)) or (not parts and ASK_ANYWHERE.search(piece))
            if starts and asks(piece):
                parts.append(f"{prefix}{piece}")
                prefix = ""
            elif parts:
                parts[-1] = f"{parts[-1]}, {piece}"
            else:
                prefix += piece + ", "
    if prefix and parts:
        parts[-1] += ", " + prefix.rstrip(", ")
    return parts if len(parts) > 1 else [question]
