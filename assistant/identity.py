"""Document identity, read from the document itself: trial IDs, title, phase, drugs (with the codes and brand
names the document gives), conditions, sponsor, dates, kind. Structured adapters pass what their record states;
the rest is found in the text. A manifest may override fields (see ``corpus.Manifest``).

A trial ID is the document's own when the layout presents it as an identifier (an ID field, the title, the
first lines); an ID that only appears in running text is a mention, so a third-party document that cites a
trial is never merged into that trial.
"""

from __future__ import annotations

import re
from collections import Counter

from .adapters.layout import section_type
from .types import Identity, Unit
from .vocab import CODE_RE, NCT_RE, NOT_CODES, STUDY_NAME_RE, abbreviation_pairs, condition_mentions, drug_mentions, form_pattern
from .vocab import conditions as vocab_conditions

MIN_CONDITION_MENTIONS = 2  # a document with no conditions field is about the cancer type it names at least this often

ID_LABEL = re.compile(r"\b(?:nct|trial id|identifier|identifiers|registry|registration|clinical trial id|study id|protocol)\b", re.I)
PHASE_RE = re.compile(
    r"\bphase[\s:]*((?:[0-4][ab]?|i{1,3}v?[ab]?)(?:\s*(?:/|-|and|to)\s*(?:phase\s*)?(?:[0-4][ab]?|i{1,3}v?))?)\b", re.I
)
PHASE_CODE = re.compile(r"\bPHASE([0-4])\b")
SPONSOR_LABEL = re.compile(r"\b(?:lead )?sponsor\b", re.I)
DATE_LABEL = re.compile(r"\b(last updated|last update posted|start date|study start date|first posted|completion date)\b", re.I)
DRUG_LABEL = re.compile(r"^(?:drug|biological|intervention|treatment|treatments|combination product|other names)$", re.I)
ALIAS_RE = re.compile(r"(?P<name>[A-Za-z][\w-]*(?:\s[a-z][\w-]+)?)\s*\((?P<inner>[^()]{2,80})\)")
INTERVENTION_NAME = re.compile(r"^([A-Za-z][A-Za-z0-9 ,()/+-]{2,40}?)\s*:\s+\S")
NOT_A_NAME = re.compile(
    r"(?i)^(?:arm|group|arm/group \w+|intervention(?: type)?|other names?|description|dose|doses|route|schedule|type|cycle|cycles|"
    r"day|days|week|weeks|population|endpoint|note|experimental|active comparator|placebo comparator|no intervention|other|"
    r"behavioral|procedure|radiation|device|dietary supplement|genetic|biological|drug|combination product|diagnostic test|"
    r"stage|step|part|phase|period|cohort|level|dose level|treatment|regimen|course)\b"
)
NEWS_WORDS = re.compile(r"\b(said|says|according to|presented at|told|reported)\b|[“”]", re.I)


def _lines(text: str, units: list[Unit], kinds: set[str] | None = None) -> list[tuple[Unit, str]]:
    return [(u, text[u.start : u.end]) for u in units if kinds is None or u.kind in kinds]


def _field_value(t: str) -> str:
    """The value of a "Key: value" or "Label\\n\\nvalue" field."""
    if ":" in t.split("\n", 1)[0]:
        return t.split(":", 1)[1].strip()
    parts = [p.strip() for p in t.split("\n") if p.strip()]
    return parts[-1] if len(parts) > 1 else t.strip()


def _title(text: str, units: list[Unit]) -> str:
    for u, t in _lines(text, units, {"heading", "sentence", "item"})[:12]:
        t = " ".join(t.split()).lstrip("#").strip()
        n = len(t.split())
        if n >= 4 and not t.endswith(":"):
            return t if n <= 30 else " ".join(t.split()[:14]) + " …"
    first = next((" ".join(text[u.start : u.end].split()) for u in units), "")
    return first[:160]


def own_trial_ids(text: str, units: list[Unit], title: str) -> tuple[list[str], list[str]]:
    """(the document's own NCT IDs, IDs it only mentions)."""
    own: list[str] = []
    counts = Counter(m.group(0).upper() for m in NCT_RE.finditer(text))
    early = "\n".join(text[u.start : u.end] for u in units[:6])
    for u, t in _lines(text, units):
        ids = [m.group(0).upper() for m in NCT_RE.finditer(t)]
        if not ids:
            continue
        labelled = u.kind in ("field", "heading") and ID_LABEL.search(u.label + " " + t.split(":", 1)[0] + " " + " ".join(u.section))
        alone = t.strip().upper() in ids  # a line that is just the ID ("NCT01234567" under "Identifiers")
        if labelled or alone or ID_LABEL.search(" ".join(u.section)):
            own.extend(ids)
    for m in NCT_RE.finditer(title + "\n" + early):
        own.append(m.group(0).upper())
    own = list(dict.fromkeys(own))
    mentioned = [i for i in counts if i not in own]
    return own, mentioned


def _phase(text: str, units: list[Unit]) -> str | None:
    for u, t in _lines(text, units, {"field"}):
        if re.search(r"phase", u.label + t.split(":", 1)[0], re.I):
            codes = PHASE_CODE.findall(t)
            if codes:
                return "Phase " + "/".join(codes)
            m = PHASE_RE.search(t)
            if m:
                return "Phase " + m.group(1)
    m = PHASE_RE.search(text[:5000])
    return "Phase " + m.group(1) if m else None


def _drugs(text: str, units: list[Unit], title: str) -> tuple[list[str], list[list[str]]]:
    names: list[str] = []
    for u, t in _lines(text, units, {"field"}):
        key = t.split(":", 1)[0].strip() if ":" in t else u.label
        if DRUG_LABEL.match(key.strip()):
            value = _field_value(t).strip(" -•")
            if value and len(value.split()) <= 6:
                names.append(value)
    for u, t in _lines(text, units):
        if section_type(u.section) != "intervention" or u.kind == "heading":
            continue
        m = INTERVENTION_NAME.match(t.strip())
        if m and not NOT_A_NAME.match(m.group(1).strip()):
            names.append(m.group(1).strip())  # "Donepezil: 5 mg by mouth daily" → Donepezil
    scope = [title] + [text[u.start : u.end] for u in units if section_type(u.section) == "intervention"][:60]
    scope += [text[u.start : u.end] for u in units[:25]]
    for chunk in scope:
        names.extend(drug_mentions(chunk))
    aliases = drug_aliases(text)
    lowered = " ".join(n.lower() for n in names)
    for group in aliases:
        if any(g.lower() in lowered for g in group) or any(CODE_RE.fullmatch(g) for g in group):
            names.extend(group)  # the codes and short names the document gives its drugs
    names = [n for n in dict.fromkeys(LEADING_LINK.sub("", n.strip()) for n in names)
             if n and len(n) >= 3 and "(" not in n and n.lower() not in {"placebo", "drug", "none"}]
    return names, aliases


# "… epirubicin and cyclophosphamide (FEC)": a list's linking word is not part of the drug's name
LEADING_LINK = re.compile(r"^(?:(?:and|or|with|plus|then|followed by|of|the|to|in|by|on|at|vs\.?|versus)\s+)+", re.I)


def drug_aliases(text: str) -> list[list[str]]:
    """Names a document gives one drug: "fexotamab vedotin (F-Vd; AB-1234; CD-5678)", "F-Vd (AB-1234)"."""
    groups: list[list[str]] = []
    for m in ALIAS_RE.finditer(text):
        name = LEADING_LINK.sub("", m.group("name").strip())
        parts = [p.strip() for p in re.split(r"[;,/]| or ", m.group("inner")) if p.strip()]
        codes = [p for p in parts if _looks_like_drug_alias(p)]
        if not codes:
            continue
        if not (drug_mentions(name) or _looks_like_drug_alias(name)):
            continue
        groups.append([name, *codes])
    merged: list[set[str]] = []
    for g in groups:
        low = {x.lower() for x in g}
        hit = [s for s in merged if {x.lower() for x in s} & low]
        new = set(g)
        for s in hit:
            new |= s
            merged.remove(s)
        merged.append(new)
    return [sorted(s, key=lambda x: (-len(x), x)) for s in merged]


def _looks_like_drug_alias(p: str) -> bool:
    p = p.strip()
    if len(p) < 3 or len(p.split()) > 3:
        return False
    if CODE_RE.fullmatch(p) and not NOT_CODES.match(p):
        return True
    return bool(re.fullmatch(r"[A-Z]-?[A-Z][A-Za-z]{1,4}", p)) or bool(drug_mentions(p))  # "T-DXd", "F-Vd"


def extract(text: str, units: list[Unit], hint: Identity | None = None) -> Identity:
    """Identity of a parsed document; fields the structured ``hint`` gives are kept."""
    ident = hint or Identity()
    title = ident.title or _title(text, units)
    own, mentioned = own_trial_ids(text, units, title)
    trial_ids = list(dict.fromkeys([*ident.trial_ids, *own]))
    names = list(ident.trial_names)
    head = title + "\n" + "\n".join(text[u.start : u.end] for u in units[:20])
    for m in STUDY_NAME_RE.finditer(head):
        cand = m.group(0)
        letters = re.match(r"[A-Za-z]+", cand).group(0)
        if (len(letters) >= 4 or not CODE_RE.fullmatch(cand)) and not re.match(r"(?i)phase|cohort|arm|grade|stage|day|week|cycle|covid", cand):
            names.append(cand)
    drugs, aliases = _drugs(text, units, title)
    conditions = list(ident.conditions)
    for u, t in _lines(text, units):
        if section_type(u.section) == "conditions" and u.kind != "heading" and len(t.split()) <= 8:
            conditions.append(_field_value(t))
    conditions += condition_mentions(title)
    if not conditions:  # no conditions field and none in the title: the cancer type the text keeps naming
        counts = Counter()
        # not the adverse-event and result tables: "Gastric ulcer haemorrhage" names an organ, not the cancer studied
        about = "\n".join(text[u.start : u.end] for u in units if u.kind not in ("adverse_event", "result")) if units else text
        for name, forms in vocab_conditions().items():
            counts[name] = sum(len(form_pattern(f).findall(about)) for f in forms)
        top = counts.most_common(1)
        if top and top[0][1] >= MIN_CONDITION_MENTIONS:
            conditions.append(top[0][0])
    sponsor = ident.sponsor
    dates = dict(ident.dates)
    for u, t in _lines(text, units, {"field"}):
        key = u.label or t.split(":", 1)[0]
        if sponsor is None and SPONSOR_LABEL.search(key):
            sponsor = _field_value(t)
        dm = DATE_LABEL.search(key)
        if dm:
            dates.setdefault(dm.group(1).lower(), _field_value(t))
    kinds = Counter(u.kind for u in units)
    if ident.kind != "document":
        kind = ident.kind
    elif kinds["criterion"] >= 3 and trial_ids:
        kind = "registry record"
    elif kinds["result"] + kinds["adverse_event"] >= 5:
        kind = "results report"
    elif len(NEWS_WORDS.findall(text)) >= 3 and kinds["sentence"] > kinds["criterion"]:
        kind = "news report"
    elif kinds["criterion"] >= 3:
        kind = "study summary"
    else:
        kind = "document"
    return Identity(
        title=title,
        kind=kind,
        trial_ids=tuple(trial_ids),
        mentioned_ids=tuple(i for i in mentioned if i not in trial_ids),
        trial_names=tuple(dict.fromkeys(names)),
        phase=ident.phase or _phase(text, units),
        drugs=tuple(dict.fromkeys([*ident.drugs, *drugs])),
        conditions=tuple(dict.fromkeys(c for c in conditions if c)),
        sponsor=sponsor,
        dates=dates,
        abbreviations=abbreviation_pairs(text),
        drug_aliases=aliases,
    )
