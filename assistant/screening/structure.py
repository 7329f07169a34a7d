"""Trial-level structure of a criteria list, before any criterion is checked.

* ``is_criterion``: registry fields, study descriptions and formulas that a document layout may list among the
  criteria ("Study Type", "Allocation: Randomized", "This is a randomized phase 3 study evaluating ...",
  "CrCl = (140 - age) x weight ...") are not eligibility requirements and are left out of the screen.
* ``repair_headings``: a cohort sub-heading merged into the text of the criterion before it ("...
  \\nAdditional Inclusion Criteria for HER2 IHC 0 BC Participants") still opens a new block: the criteria that
  follow it belong to that cohort, with the heading's type.
* ``prohibited_items``: the items of a sub-list opened by a prohibiting line ("At least 7 days since prior and no
  concurrent antiplatelet agents, including any of the following:" - "Aspirin or aspirin-containing combinations")
  name what the patient must not have: they are exclusions, whatever list they stand in. ``header_timing`` reads
  the time the prohibition covers (concurrent use, a window before enrolment) from that line.
* ``lettered_items``: an exclusion written as a header and a lettered list ("Following prior treatments are not
  eligible. A) ... B) ...") excludes each item; the header only names the population or the topic.
* ``cohort_concepts``: the tumour type(s) a cohort is for, from its label (concept terms, or tumour-type
  abbreviations used for basket-trial cohorts, e.g. "EC", "UC") or else from the diagnosis named in its first
  inclusion criterion.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .lexicon import get_lexicon
from .text import NUM, TIME_UNIT, clean, to_days, tokenize
from .tumour import site_cancers

_FIELD_ONLY = re.compile(
    r"^\W*(?:accepts? healthy volunteers?|healthy volunteers?|study type|study design|trial design|design|"
    r"interventional|observational|primary purpose|purpose|treatment|prevention|diagnostic|supportive care|"
    r"allocation|randomi[sz]ed|non-?randomi[sz]ed|n/a|interventional model|intervention model|"
    r"(?:parallel|single group|crossover|factorial|sequential) assignment|masking|none \(open label\)|open label|"
    r"phase\s*(?:[1-4]|i{1,3}v?)(?:\s*/\s*(?:[1-4]|i{1,3}v?))?|about|overview|summary|yes|no|enrollment|"
    r"(?:estimated|actual) enrollment|arms?|study arms?)\W*$", re.I)
_DESCRIPTION = re.compile(r"^\W*this\s+(?:is\s+an?|study|trial|phase)\b|^\W*(?:a|an)\s+(?:randomi[sz]ed|open-label|multicenter|multicentre|"
                          r"single-arm|phase)\b[^.]{0,120}\b(?:study|trial)\s+(?:evaluating|to evaluate|assessing|comparing|investigating)\b", re.I)
_HEADING_LINE = re.compile(r"\n\s*((?:additional\s+)?(?:inclusion|exclusion)\s+criteri(?:a|on)\s+(?:for|in)\s+(.+?))\s*:?\s*$", re.I)


def is_criterion(text: str) -> bool:
    """False for registry fields, study descriptions and formulas listed among the criteria."""
    t = clean(text).strip()
    flat = " ".join(t.split())
    if not flat:
        return False
    if _FIELD_ONLY.match(flat):
        return False
    # a counting rule or note, not a requirement ("Perioperative therapies will be counted as 1 line of therapy.")
    if re.search(r"\b(?:will|shall|may|can) (?:be )?(?:counted|considered) as\b|\bwill suffice\b|\bcounts? as (?:one|1|a) (?:line|regimen)\b", flat, re.I) \
            and not re.search(r"\b(?:must|required|excluded|not eligible|ineligible|(?:is|are) (?:not )?(?:allowed|permitted))\b", flat, re.I):
        return False
    if _DESCRIPTION.match(flat) and not re.search(r"\b(?:must|should|required|eligible|excluded|inclusion|exclusion)\b", flat, re.I):
        return False
    # a formula ("CrCl = (140 - age) x weight ... / 72 x serum creatinine") without any limit
    if re.search(r"\w\s*=\s*\(?\s*\d+\s*-\s*\w+", flat) and re.search(r"[x×*/]\s*\(?\s*\d", flat) \
            and not re.search(r"[<>≥≤]|\b(?:at least|more than|less than|greater than|or more|or less)\b", flat, re.I):
        return False
    return True


def _cohort_label(raw: str) -> str:
    c = re.sub(r"\s+(?:participants|subjects|patients|cohorts?|arms?|groups?)\s*$", "", raw.strip(), flags=re.I)
    return c.strip(" :")


# a cohort's label listed as an item of its own ("Melanoma Patients", "Breast Cancer Cohort"): no verb, a few words
_COHORT_ITEM = re.compile(r"^\W*(?P<label>(?:[A-Za-z0-9+/-]+\s+){0,4}?(?:[A-Za-z0-9+/-]+))\s+(?:patients|participants|subjects|cohorts?)\s*:?\s*$", re.I)
_VERBISH = re.compile(r"\b(?:is|are|has|have|had|must|with|without|who|not|no|any|all|prior|history)\b", re.I)


def cohort_item(text: str) -> str | None:
    """The cohort a criterion item only names ("Melanoma Patients" -> "Melanoma"), when it names a tumour type."""
    flat = " ".join(clean(text).split())
    m = _COHORT_ITEM.match(flat)
    if not m or _VERBISH.search(flat):
        return None
    label = m.group("label").strip()
    return label if cohort_concepts(label, []) else None


def repair_headings(criteria: list) -> list:
    """Criteria (CriterionInput) with cohort sub-headings applied: a heading merged into the text of the criterion
    before it, or a cohort's label listed as an item of its own ("Melanoma Patients"), opens a cohort block."""
    out = []
    override: tuple[str | None, str, str, bool] | None = None  # (old cohort, new cohort, new type, from an item label)
    for ci in criteria:
        orig = ci.cohort  # as the layout gave it
        label = cohort_item(ci.text)
        if label:
            override = (orig, label, ci.type, True)  # the criteria after it, in the same list, are that cohort's
            continue
        if override is not None:
            old, new, typ, item = override
            if ci.cohort == old and (not item or ci.type == typ):
                ci = replace(ci, cohort=new, type=typ)
            else:
                override = None
        m = _HEADING_LINE.search(ci.text)
        if m:
            typ = "exclusion" if re.search(r"exclusion", m.group(1), re.I) else "inclusion"
            override = (orig, _cohort_label(m.group(2)), typ, False)
            ci = replace(ci, text=ci.text[:m.start()].rstrip())
        out.append(ci)
    return out


_PROHIBITING = re.compile(r"^\W*(?:no|not)\b|\bno\s+(?:other\s+)?(?:concurrent|concomitant|prior|active|clinically)\b|"
                          r"\b(?:prohibited|not (?:allowed|permitted))\b", re.I)
_OPENS_LIST = re.compile(r"\bfollowing\b[^:]{0,20}:\W*$", re.I)
# an item written as a criterion of its own ("No concurrent active malignancy", "Prior malignancies allowed ...")
# ends the sub-list; the items proper are names ("Dipyridamole", "Cardiac arrhythmias not well controlled")
_OWN_CRITERION = re.compile(r"^\W*(?:no|not|none|without|at least|prior|previous|must|patients?|subjects?|participants?|history)\b|"
                            r"\b(?:must|should|allowed|permitted|required|eligible|ineligible|provided|unless)\b", re.I)


def _prohibiting_header(context: str) -> bool:
    c = clean(context or "").strip()
    return bool(c) and bool(_OPENS_LIST.search(c)) and bool(_PROHIBITING.search(c))


def prohibited_items(criteria: list) -> list:
    """Criteria (CriterionInput) with the items of a prohibiting sub-list read as exclusions."""
    out, closed = [], set()
    for ci in criteria:
        if ci.type == "inclusion" and ci.context not in closed and _prohibiting_header(ci.context):
            if _OWN_CRITERION.search(re.sub(r"\([^()]*\)", " ", clean(ci.text))):
                closed.add(ci.context)
            else:
                ci = replace(ci, type="exclusion", prohibited_item=True)
        out.append(ci)
    return out


# "A) ", "B)", "(c) " opening an item: after the start, a space or punctuation, never inside a word
_ITEM_MARK = re.compile(r"(?:^|(?<=[\s.;:,]))\(?([A-Za-z])\)\s*")
# an item that allows something ("Single visceral lesion < 2cm ... is permitted.") is not an exclusion
_PERMISSION = re.compile(r"\b(?:is|are)\s+(?:also\s+)?(?:permitted|allowed|acceptable|eligible)\b", re.I)


def lettered_items(text: str) -> list[str] | None:
    """The excluding items of "Header: A) item. B) item ..." (letters in order from A), without items that permit
    something; None when the text is no such list or its header sets a time window of its own."""
    t = clean(text)
    marks, want = [], "a"
    for m in _ITEM_MARK.finditer(t):
        if m.group(1).lower() == want:
            marks.append(m)
            want = chr(ord(want) + 1)
    if len(marks) < 2:
        return None
    header = t[:marks[0].start()]
    if re.search(rf"\b{NUM}\s*{TIME_UNIT}\b", header, re.I):
        return None  # "Any of the following within 6 months: a) ... b) ...": the items need the header's window
    items = []
    for m, nxt in zip(marks, marks[1:] + [None]):
        item = t[m.end():nxt.start() if nxt else len(t)].strip(" .;")
        first = re.split(r"(?<=\.)\s+(?=[A-Z])", item, maxsplit=1)[0]
        if re.search(r"[a-z]{3}", item, re.I) and not _PERMISSION.search(re.sub(r"\([^()]*\)", " ", first)):
            items.append(item)
    return items or None


def header_timing(context: str) -> tuple[bool, float | None] | None:
    """(concurrent use only, window in days before enrolment) a prohibiting sub-list covers; None if the line sets
    no time ("No clinically significant cardiac disease, including the following:")."""
    c = clean(context or "")
    if not _prohibiting_header(c) or not re.search(r"\b(?:concurrent|concomitant|current)\w*", c, re.I):
        return None
    m = re.search(rf"\bat least\s+({NUM})\s*({TIME_UNIT})\s+(?:since|from|after)\s+(?:the\s+)?(?:prior|previous|last)\b", c, re.I)
    return True, (to_days(m.group(1), m.group(2)) if m else None)


def cohort_concepts(cohort: str, texts: list[str]) -> set[str]:
    """Tumour concepts a cohort is for: from its label, else from its first inclusion criteria."""
    lex = get_lexicon()
    found: set[str] = set()
    for h in lex.find(tokenize(cohort), ("concept",)):
        if "cancer" in lex.concept_ancestors(h.id) and h.id != "cancer":
            found.add(h.id)
    found |= {c for _, _, c in site_cancers(cohort)}
    for w in re.findall(r"[A-Za-z][A-Za-z-]*", cohort):
        c = lex.cohort_abbreviations.get(w.lower())
        if c and (w.isupper() or "-" in w or len(w) > 3):
            found.add(c)
    if found:
        return found
    for t in texts[:2]:
        main = re.split(r"\b(?:excluding|except|other than|are not (?:eligible|allowed))\b|\(", clean(t), maxsplit=1, flags=re.I)[0]
        for h in lex.find(tokenize(main), ("concept",)):
            if "cancer" in lex.concept_ancestors(h.id) and h.id != "cancer":
                found.add(h.id)
        found |= {c for _, _, c in site_cancers(main)}
        if found:
            break
    return found
