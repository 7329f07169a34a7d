"""Section-level layout shared by every adapter: what a section is, and how its lines become units.

A document adapter (free text, NLI4CT JSON, ClinicalTrials.gov JSON) decides where sections start; the
block parsers here turn the lines of one section into units:

- ``criteria_units``: eligibility lines, with or without list markers, typed inclusion / exclusion, with the
  cohort a sub-heading names ("Additional Inclusion Criteria for HCC Participants") and items that follow a
  numbering restart under an inclusion heading read as exclusions;
- ``results_units``: ClinicalTrials.gov-style result listings ("Outcome Measurement:", "Arm/Group Title:",
  "Unit of Measure:" and value rows): every value row keeps its measure, group, unit and time frame;
- ``adverse_event_units``: per-group event rows ("Neutropenia 3/25 (12.00%)") with their group;
- ``plain_units``: everything else — fields ("Key: value"), list items, prose split into sentences.

Every unit is a verbatim span of the document text.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache

from ..types import Unit

LIST_RE = re.compile(
    r"^(?P<indent>[ \t]*)(?:(?P<num>\d{1,2})[.)](?!\d)|\(?(?P<alpha>[a-z])\)|[•·▪●◦]\s*-|[•·▪●◦]|[-*+])[ \t]+(?P<body>\S.*)$"
)
FIELD_RE = re.compile(r"^(?P<key>[A-Z][\w /&()'’,.-]{0,48}?):[ \t]+(?P<value>\S.*)$")
SITE_RE = re.compile(r"^(?=.{5,140}$)[^:•\d][^:•]{1,60},[^:•;]*\d[^:•;]*,\s*[A-Za-zÀ-ÿ()\-]+(?:\s[A-Za-zÀ-ÿ()\-]+){0,3}$")
CONTACT_RE = re.compile(r"@|\b(?:phone|e-?mail|tel|telephone)\b|\+\d[\d ()#.-]{6,}\d|\(\d{3}\)\s?\d{3}-\d{4}", re.I)
NO_CONTACT_RE = re.compile(r"\bno (?:e-?mail|phone)\b", re.I)

SENT_SPLIT_WORDS = 40  # prose lines longer than this (or with ". ") are split into sentences

# Section types, from the words registries and reports use for their headings (general, not per site).
SECTION_TYPES: list[tuple[str, re.Pattern]] = [
    ("adverse_events", re.compile(r"adverse events?|side effects|safety results|toxicit", re.I)),
    ("eligibility", re.compile(r"eligib|inclusion|exclusion|criteri|who can (?:join|take part)|participation requirements", re.I)),
    ("results", re.compile(r"\bresults?\b|outcome measurement|efficacy|findings|data", re.I)),
    ("outcomes", re.compile(r"outcome|endpoint|end point", re.I)),
    ("intervention", re.compile(r"intervention(?!(?:al)? model)|arms?\b|study groups?|treatment|dosing|regimen|drug", re.I)),
    ("contacts", re.compile(r"contact", re.I)),
    ("sites", re.compile(r"\blocations?|sites?\b|facilit|centers?|centres?", re.I)),
    ("design", re.compile(r"design|phase|enrol|allocation|masking|status|dates?\b|classification|basic information", re.I)),
    ("sponsor", re.compile(r"sponsor|collaborator|responsible party|investigator", re.I)),
    ("summary", re.compile(r"summary|description|purpose|overview|background|goal|about", re.I)),
    ("conditions", re.compile(r"conditions?|diseases?|keywords", re.I)),
]

# Heading lines that registries use verbatim: accepted as headings even without blank lines around them.
KNOWN_HEADINGS = re.compile(
    r"^(?:brief summary|detailed description|summary|description|conditions?|keywords|interventions?|"
    r"arms? and interventions|study groups|study design|design|eligibility(?: criteria)?|criteria|"
    r"inclusion criteria|exclusion criteria|(?:primary |secondary )?outcome measures?|outcomes|results|"
    r"study results|adverse events|contacts?(?: and locations)?|central contacts?|locations|sponsors?"
    r"(?: and collaborators)?|collaborators|investigators|references|publications|more information|"
    r"participant flow|baseline characteristics|study (?:overview|details|description)|trial (?:details|design))\s*:?$",
    re.I,
)

# The field names of a registry's design block, each followed by its value on the next line ("Allocation" /
# "Randomized", "Masking" / "None (Open label)"): general registry vocabulary, not one site's.
DESIGN_FIELD = re.compile(
    r"^(?:allocation(?: method)?|masking|blinding(?: strategy)?|(?:primary )?(?:study )?purpose|intervention(?:al)? model|"
    r"study type|(?:study |trial )?phase|enrollment|enrolment|randomi[sz]ation|observational model|time perspective)\s*:?$", re.I)
# An arm's block on a registry page: its name, then its type on the next line ("Group A" / "Experimental group")
ARM_NAME = re.compile(r"^(?:group|arm|cohort)\s+[A-Z0-9]{1,3}\s*:?$", re.I)
ARM_TYPE = re.compile(r"^(?:experimental|active comparator|placebo comparator|sham comparator|no intervention|other)(?:\s+(?:group|arm))?\s*:?$", re.I)

CRITERIA_WORDS = re.compile(r"criteri|eligibility|inclusion|exclusion|disqualif", re.I)
EXCLUSION_WORDS = re.compile(r"exclu|disqualif|not be (?:included|eligible)|ineligib", re.I)
COHORT_RE = re.compile(r"\b(?:for|in)\s+(?:the\s+)?(?P<cohort>.+?)(?:\s+(?:participants|patients|subjects|cohorts?|arms?|only))?\s*:?\s*$", re.I)


def section_type(path: tuple[str, ...]) -> str:
    """The most specific known type of a section path ("other" when none applies)."""
    for name in reversed(path):
        for kind, pattern in SECTION_TYPES:
            if pattern.search(name):
                return kind
    return "other"


# abbreviations in trial text that never end a sentence ("capecitabine (i.e. Xeloda)", "vs. placebo"); also used by
# the light splitter that runs at question time (select.quick_sentences)
SENTENCE_ABBREVIATIONS = ("i.e", "e.g", "vs", "approx", "etc", "incl", "resp", "max", "min", "no", "cf", "al", "ca", "dr")


@lru_cache(maxsize=1)
def _sentence_tokenizer():
    import llama_index.core
    import nltk

    cache = os.path.join(os.path.dirname(llama_index.core.__file__), "_static", "nltk_cache")
    if cache not in nltk.data.path:
        nltk.data.path.append(cache)
    from nltk.tokenize import PunktTokenizer

    tok = PunktTokenizer("english")
    tok._params.abbrev_types.update(SENTENCE_ABBREVIATIONS)
    return tok


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans (absolute offsets) of ``text[start:end]`` (NLTK Punkt, as shipped with llama-index)."""
    piece = text[start:end]
    return [(start + a, start + b) for a, b in _sentence_tokenizer().span_tokenize(piece)]


@dataclass
class Line:
    start: int  # offset of the raw line
    raw: str

    @property
    def text(self) -> str:
        return self.raw.strip()

    @property
    def indent(self) -> int:
        return len(self.raw) - len(self.raw.lstrip())

    @property
    def body_start(self) -> int:
        return self.start + self.indent

    @property
    def body_end(self) -> int:
        return self.start + len(self.raw.rstrip())


# Markdown flattened onto one line (as PubMed Central exports often are): "... of the hip. ## Methods Patients were ..."
INLINE_MD_HEADING = re.compile(r"(?<=[.!?:;)\]*])[ \t]+(?=#{1,6}[ \t]+[A-Z*\d])")  # "## Results", "# 4. Results"
MD_MARK = re.compile(r"^#{1,6}[ \t]+")
# The section names of a paper's abstract and body (IMRaD), which end an inline heading: "## Results 891 patients..."
PAPER_SECTION = re.compile(
    r"(?:\d+(?:\.\d+)*\.?\s+)?(?:abstract|background|introduction|context|rationale|objectives?|aims?(?: of the study)?|purpose|hypothesis|"
    r"(?:materials|patients|subjects|participants) and methods|methods?(?: and (?:materials|patients))?|study design|"
    r"design(?:,? setting,? and participants)?|setting|participants|patients|interventions?|measurements|"
    r"(?:main )?outcome measures?|primary outcomes?|results?|findings|conclusions?(?: and relevance)?|interpretation|"
    r"discussion|limitations|significance|trial registration|registration|funding|summary)\b\s*:?(?=\s)",
    re.I,
)
INLINE_HEADING_MAX_WORDS = 10  # a longer "# ..." line is a heading run into its paragraph


CAPS_TITLE = re.compile(r"(?:[A-Z][A-Z&/,-]+\s+){1,8}(?=[A-Z]?[a-z\d(]|[A-Z]\s)")  # "RESEARCH DESIGN AND METHODS A total of..."


def _heading_end(raw: str) -> int | None:
    """Where a heading run into its paragraph ends ("# Abstract In order to..."), or None if the line is a heading."""
    mark = MD_MARK.match(raw)
    if not mark or (words(raw) <= INLINE_HEADING_MAX_WORDS + 1 and not raw.rstrip().endswith((".", "?", "!"))):
        return None  # a heading line (a short one that ends like a sentence is a heading run into its sentence)
    title = raw[mark.end():]
    lead = len(title) - len(title.lstrip("*_ "))
    if m := PAPER_SECTION.match(title, lead) or CAPS_TITLE.match(title, lead):
        return mark.end() + len(m.group().rstrip()) + lead
    colon = re.match(r"[^:.]{1,80}?:(?=\s)", title)
    if colon and words(colon.group()) <= INLINE_HEADING_MAX_WORDS:
        return mark.end() + colon.end()
    return mark.end()  # no title to tell apart: the marker alone is the heading's trace; the text is content


def _segments(pos: int, raw: str) -> list[Line]:
    """A physical line cut at inline markdown headings, each heading cut from the paragraph run into it."""
    cuts = [0] + [m.end() for m in INLINE_MD_HEADING.finditer(raw)]
    out = []
    for a, b in zip(cuts, cuts[1:] + [len(raw)]):
        piece = raw[a:b]
        while (end := _heading_end(piece)) is not None:  # "# Abstract ## Objective Moderate alcohol..."
            if piece[:end].strip("#*_ \t:"):
                out.append(Line(pos + a, piece[:end].rstrip()))
            skip = len(piece) - len(piece[end:].lstrip())
            a, piece = a + skip, piece[skip:]
        out.append(Line(pos + a, piece))
    return out


def split_lines(text: str, start: int = 0, end: int | None = None) -> list[Line]:
    """Lines of ``text[start:end]`` with absolute offsets (linear in the text size). A markdown heading run into its
    paragraph on one line is cut into a heading line and the paragraph."""
    end = len(text) if end is None else end
    out, pos = [], start
    while pos <= end:
        nl = text.find("\n", pos, end)
        stop = end if nl == -1 else nl
        raw = text[pos:stop].rstrip("\r")
        out.extend(_segments(pos, raw) if "#" in raw else [Line(pos, raw)])
        if nl == -1:
            break
        pos = nl + 1
    return out


def words(s: str) -> int:
    return len(s.split())


def prose_units(text: str, ln: Line, section: tuple[str, ...], kind: str = "sentence", **extra) -> list[Unit]:
    """A prose line as one unit, or its sentences when it is long."""
    s, e = ln.body_start, ln.body_end
    if s >= e:
        return []
    if words(ln.text) > SENT_SPLIT_WORDS or ". " in ln.text:
        return [Unit(a, b, kind, section, **extra) for a, b in sentence_spans(text, s, e)]
    return [Unit(s, e, kind, section, **extra)]


def plain_unit(text: str, ln: Line, section: tuple[str, ...]) -> list[Unit]:
    """One line outside the special blocks: a field, a contact line, a site, a list item or prose."""
    t = ln.text
    if CONTACT_RE.search(t) and not NO_CONTACT_RE.search(t) and words(t) <= 20:
        return [Unit(ln.body_start, ln.body_end, "contact", section)]
    fm = FIELD_RE.match(t)
    if fm and words(fm.group("value")) <= 12:
        return [Unit(ln.body_start, ln.body_end, "field", section, fm.group("key"))]
    if SITE_RE.match(t):
        return [Unit(ln.body_start, ln.body_end, "site", section)]
    m = LIST_RE.match(ln.raw)
    if m:
        return prose_units(text, Line(ln.start + m.start("body"), ln.raw[m.start("body"):]), section, "item")
    return prose_units(text, ln, section)


# --------------------------------------------------------------------------- eligibility
def criteria_heading(t: str) -> tuple[str, str | None] | None:
    """If ``t`` heads a criteria list: (criterion type, cohort or None).

    "Inclusion Criteria:", "Additional Inclusion Criteria for HCC Participants", "Participants who meet any of the
    following criteria will be disqualified…:" head lists; "Must have met 1 of the following criteria:" does not
    (it opens a sub-list inside a criterion).
    """
    body = t.strip().rstrip(":").strip()
    if not CRITERIA_WORDS.search(body) or words(body) > 20:
        return None
    if words(body) > 3 and not re.search(r"inclusion|exclusion|eligib|disqualif|included|excluded", body, re.I):
        return None
    if LIST_RE.match(t) and not t.rstrip().endswith(":"):
        return None
    named_list = re.match(r"(?i)(?:additional |common |key )?(?:inclusion|exclusion|eligibility) criteri(?:a|on)\b", body)
    if words(body) > 8 and not t.rstrip().endswith(":") and not named_list:
        return None
    kind = "exclusion" if EXCLUSION_WORDS.search(body) else "inclusion"
    cohort = None
    m = COHORT_RE.search(body)
    if m and not re.match(r"all\b", m.group("cohort"), re.I) and not re.search(r"\bstudy\b", m.group("cohort"), re.I):
        cohort = m.group("cohort").strip()
    return kind, cohort


def criteria_units(text: str, lines: list[Line], section: tuple[str, ...], default_type: str = "inclusion") -> list[Unit]:
    """Eligibility lines → criterion units (list markers optional; continuation lines merged)."""
    units: list[Unit] = []
    ctype, cohort = default_type, None
    path = section
    item: dict | None = None
    numbers: list[int] = []  # top-level numbering seen under the current heading
    restarted = False
    header: tuple[int, int] | None = None  # "… if they meet the following criteria:" line
    blank = False
    seen_heading = False
    sub: tuple[str, int] | None = None  # (parent label, last sub-item number) while numbering a sub-list

    def close() -> None:
        nonlocal item
        if item is not None:
            attrs = {"criterion_type": item["type"]}
            if cohort:
                attrs["cohort"] = cohort
            if item.get("read_as_exclusion"):
                attrs["read_as_exclusion"] = "1"
            units.append(Unit(item["start"], item["end"], "criterion", path, item["label"], attrs, item["context"]))
            item = None

    for ln in lines:
        t = ln.text
        if not t:
            blank = True
            continue
        head = criteria_heading(t)
        named_list = re.match(r"(?i)(?:additional |common |key )?(?:inclusion|exclusion|eligibility) criteri(?:a|on)\b", t)
        if head and (named_list or not (item and not blank and LIST_RE.match(ln.raw) is None and not t.endswith(":") and words(t) > 8)):
            close()
            seen_heading = True
            ctype, cohort = head
            numbers, restarted, header, sub = [], False, None, None
            label = t.rstrip(":").strip()
            if words(label) > 8:  # an introductory sentence: name the list by its type
                label = "Exclusion criteria" if ctype == "exclusion" else "Inclusion criteria"
            path = (*section[:1], label) if section else (label,)
            units.append(Unit(ln.body_start, ln.body_end, "heading", path))
            blank = False
            continue
        m = LIST_RE.match(ln.raw)
        marker = m is not None
        if not seen_heading and not marker and (words(t) <= 4 or FIELD_RE.match(t)) and not re.search(r"\d", t):
            close()  # a label or value before any inclusion/exclusion heading ("Accepts Healthy Volunteers", "No")
            units.extend(plain_unit(text, ln, path))
            blank = False
            continue
        if not marker and item is not None:
            cont = (not blank and (item["marker"] or ln.indent > item["indent"] or t.startswith("Note:"))) or (
                blank and ln.indent > item["indent"] > 0
            )
            if cont and not t.endswith(":"):
                item["end"] = ln.body_end
                continue
        close()
        body_start = ln.start + m.start("body") if marker else ln.body_start
        label = ""
        num = int(m.group("num")) if marker and m.group("num") else None
        if num is not None:
            if sub is not None and num == sub[1] + 1 and not (numbers and num == numbers[-1] + 1):
                sub = (sub[0], num)
                label = f"{sub[0]}.{num}"  # the sub-list goes on
            elif numbers and num == 1 and units and units[-1].kind == "criterion":
                sub = (units[-1].label or str(numbers[-1]), 1)
                label = f"{sub[0]}.1"  # numbering restarts at 1 right after an item: sub-items of it
            elif numbers and num <= numbers[-1] and num > 1 and ctype == "inclusion":
                sub = None
                restarted = True  # numbering restarts without a heading: the items read as exclusions
                numbers.append(num)
                label = str(num)
            else:
                sub = None
                numbers.append(num)
                label = str(num)
        if t.endswith(":"):  # "DISEASE CHARACTERISTICS:", "… if they meet the following criteria:" opens a sub-list
            header = (body_start, ln.body_end)
            units.append(Unit(body_start, ln.body_end, "criterion", path, label, {"criterion_type": ctype, "role": "header"}))
            blank = False
            continue
        item = {
            "start": body_start,
            "end": ln.body_end,
            "label": label,
            "type": "exclusion" if restarted else ctype,
            "read_as_exclusion": restarted and ctype == "inclusion",
            "marker": marker,
            "indent": ln.indent,
            "context": (header,) if header else (),
        }
        blank = False
    close()
    return units


# --------------------------------------------------------------------------- results
OUTCOME_KEY = re.compile(r"^(?:outcome measurement|outcome measure|outcome)\s*:\s*(?P<rest>.*)$", re.I)
GROUP_HEAD = re.compile(r"^(?:results|adverse events)\s+\d+\s*:?\s*$", re.I)
KEYS = {
    "group": re.compile(r"^arm/group title\s*:\s*(?P<v>.+)$", re.I),
    "group_description": re.compile(r"^arm/group description\s*:\s*(?P<v>.+)$", re.I),
    "n": re.compile(r"^overall number of participants analy[sz]ed\s*:\s*(?P<v>.+)$", re.I),
    "measure_type": re.compile(r"^measure type\s*:\s*(?P<v>.+)$", re.I),
    "unit": re.compile(r"^unit of measure\s*:\s*(?P<v>.+)$", re.I),
    "time_frame": re.compile(r"^time frame\s*:\s*(?P<v>.+)$", re.I),
}
VALUE_ROW = re.compile(r"\d")


def results_units(text: str, lines: list[Line], section: tuple[str, ...]) -> list[Unit]:
    """Result listings: every value row keeps its outcome measure, group, unit and time frame."""
    units: list[Unit] = []
    measure: tuple[int, int] | None = None
    measure_text = ""
    expect_title = False
    state: dict[str, str] = {}
    group_span: tuple[int, int] | None = None
    in_values = False
    for ln in lines:
        t = ln.text
        if not t:
            continue
        span = (ln.body_start, ln.body_end)
        m = OUTCOME_KEY.match(t)
        if m:
            state, group_span, in_values = {}, None, False
            if m.group("rest").strip():
                measure, measure_text, expect_title = span, m.group("rest").strip(), False
                units.append(Unit(*span, "field", section, "Outcome measure", {"role": "measure"}))
            else:
                expect_title = True
                units.append(Unit(*span, "heading", section))
            continue
        if expect_title:
            measure, measure_text, expect_title = span, t, False
            units.append(Unit(*span, "field", section, "Outcome measure", {"role": "measure"}))
            continue
        if GROUP_HEAD.match(t):
            group_span, in_values = None, False
            state = {k: v for k, v in state.items() if k == "time_frame"}
            units.append(Unit(*span, "heading", section))
            continue
        key = next((k for k, p in KEYS.items() if p.match(t)), None)
        if key:
            value = KEYS[key].match(t).group("v").strip()
            glued = None
            if key == "unit" and re.search(r"\s{2,}", value):
                value, glued = re.split(r"\s{2,}", value, maxsplit=1)  # "percentage of participants  30.0  (16.6 to 46.5)"
            state[key] = value
            if key == "group":
                group_span = span
            in_values = key == "unit" or in_values
            if glued is not None and VALUE_ROW.search(glued):
                attrs = {"measure": measure_text, **{k: v for k, v in state.items() if k in ("group", "unit", "n", "time_frame", "measure_type")}}
                units.append(Unit(*span, "result", section, "", attrs, tuple(s for s in (measure, group_span) if s)))
                continue
            attrs = {"role": key}
            if measure_text:
                attrs["measure"] = measure_text
            units.append(Unit(*span, "field", section, key.replace("_", " "), attrs, (measure,) if measure and key != "group" else ()))
            continue
        if in_values and VALUE_ROW.search(t):
            attrs = {"measure": measure_text, **{k: v for k, v in state.items() if k in ("group", "unit", "n", "time_frame", "measure_type")}}
            context = tuple(s for s in (measure, group_span) if s)
            units.append(Unit(*span, "result", section, "", attrs, context))
            continue
        if measure and not state and not in_values:
            # the outcome's description, before any group
            units.extend(prose_units(text, ln, section, "sentence", attrs={"measure": measure_text, "role": "description"}))
            continue
        if "group_description" in state and not in_values:
            # more lines of the group's description (its drugs and doses), before the counts: they describe the
            # group; they are not result values
            units.extend(prose_units(text, ln, section, "sentence", attrs={"measure": measure_text, "role": "group_description"}))
            continue
        units.extend(prose_units(text, ln, section, "sentence", attrs={"measure": measure_text} if measure_text else {}))
    return units


# --------------------------------------------------------------------------- pandoc tables
# A pandoc table as papers export it: header line(s), a rule of dash runs (one per column), rows of fixed-width
# columns. A row means nothing without its column headers: each is read with them.
TABLE_RULE = re.compile(r"^-{3,}(?:[ \t]+-{3,})+$")


def table_units(text: str, header: list[Line], rule: Line, rows: list[Line], section: tuple[str, ...]) -> list[Unit]:
    """Rows of a pandoc table, each read with the column headers and the row group ("**Drain removal**") it is in;
    a line under the rule with an empty first column continues the header."""
    first_col = len(rule.raw) - len(rule.raw.lstrip()) + len(rule.text.split()[0])
    heads = [(ln.body_start, ln.body_end) for ln in header if ln.text]
    units = [Unit(*span, "sentence", section, attrs={"role": "header"}) for span in heads]
    group: tuple[int, int] | None = None
    values = False
    for ln in rows:
        span = (ln.body_start, ln.body_end)
        cells = ln.raw[first_col:].strip()
        if not ln.raw[:first_col].strip() and not values:
            heads.append(span)  # "  *Placebo (n = 42)*  *Fluoxetine (n = 45)*" under a spanning header
            units.append(Unit(*span, "sentence", section, attrs={"role": "header"}))
        elif not cells or not VALUE_ROW.search(cells):
            group = span  # a row group's label ("Sex, n (%)"), the rows under it are its categories
            units.append(Unit(*span, "sentence", section, attrs={"role": "header"}))
        else:
            values = True
            if ln.text.startswith("**"):
                group = None  # a bold row is a row group of its own, not a category of the one above
            units.append(Unit(*span, "result", section, "", {"role": "table_row"}, tuple(heads) + ((group,) if group else ())))
    return units


# --------------------------------------------------------------------------- adverse events
AE_ROW = re.compile(r"(?P<n>\d+)\s*/\s*(?P<d>\d+)\s*(?:\((?P<p>[\d.]+)\s*%\))?")
AE_TOTAL = re.compile(r"^total\s*:", re.I)


def adverse_event_units(text: str, lines: list[Line], section: tuple[str, ...]) -> list[Unit]:
    """Adverse-event listings: rows "Term n/N (x%)" under per-group headings."""
    units: list[Unit] = []
    group = ""
    group_span: tuple[int, int] | None = None
    for ln in lines:
        t = ln.text
        if not t:
            continue
        span = (ln.body_start, ln.body_end)
        if GROUP_HEAD.match(t):
            group, group_span = t.rstrip(":").strip(), span
            units.append(Unit(*span, "heading", section))
            continue
        if AE_ROW.search(t):
            attrs = {"group": group} if group else {}
            if AE_TOTAL.match(t):
                attrs["role"] = "total"
            units.append(Unit(*span, "adverse_event", section, "", attrs, (group_span,) if group_span else ()))
            continue
        units.extend(plain_unit(text, ln, section))
    return units


# --------------------------------------------------------------------------- interventions
INTERVENTION_HEAD = re.compile(r"^(?:intervention|arm|group|cohort)\s*\d+\s*:?\s*$", re.I)


# a registry's arm label: "Experimental: Phase II/Arm D", "Active Comparator: Docetaxel"
ARM_LABEL = re.compile(r"^(?:experimental|active comparator|placebo comparator|sham comparator|no intervention)\s*:\s*(?P<v>\S.{0,150})$", re.I)


def intervention_units(text: str, lines: list[Line], section: tuple[str, ...]) -> list[Unit]:
    """Intervention lines, each read with the numbered group or arm label it comes under."""
    units: list[Unit] = []
    group_span = None
    group = ""
    for ln in lines:
        t = ln.text
        if not t:
            continue
        if INTERVENTION_HEAD.match(t):
            group, group_span = t.rstrip(":").strip(), (ln.body_start, ln.body_end)
            units.append(Unit(ln.body_start, ln.body_end, "heading", section))
            continue
        label = ARM_LABEL.match(t)
        if label:  # the label stays quotable; the lines after it are read with it
            group, group_span = label.group("v").strip(), (ln.body_start, ln.body_end)
            units.append(Unit(ln.body_start, ln.body_end, "field", section, "", {"role": "group"}))
            continue
        for u in plain_unit(text, ln, section):
            if group_span:
                u.attrs["group"] = group
                u.context = (group_span,)
            units.append(u)
    return units


def arm_units(text: str, lines: list[Line], section: tuple[str, ...]) -> list[Unit]:
    """An arm's block ("Group A" / "Experimental group" / "Description:" / "Drug X plus drug Y" / "Treatment:" /
    "Drug: X"): every line read with the arm's name and type; a "Label:" line is quoted with the line after it."""
    body = [ln for ln in lines if ln.text]
    name, kind = body[0], body[1]
    group = name.text.rstrip(":").strip()
    ctx = ((name.body_start, kind.body_end),)  # "Group A / Experimental group", quoted as one
    units = [Unit(name.body_start, kind.body_end, "field", section, "", {"role": "group", "group": group, "arm_type": kind.text.rstrip(":")})]
    k = 2
    while k < len(body):
        ln = body[k]
        t = ln.text
        if t.endswith(":") and words(t) <= 3 and k + 1 < len(body) and not body[k + 1].text.endswith(":") and not FIELD_RE.match(body[k + 1].text):
            nx = body[k + 1]
            units.append(Unit(ln.body_start, nx.body_end, "field", section, t.rstrip(":"), {"group": group}, ctx))
            k += 2
            continue
        for u in plain_unit(text, ln, section):
            u.attrs["group"] = group
            u.context = ctx
            units.append(u)
        k += 1
    return units


BLOCK_PARSERS = {
    "eligibility": criteria_units,
    "results": results_units,
    "adverse_events": adverse_event_units,
    "intervention": intervention_units,
}


def block_units(text: str, lines: list[Line], section: tuple[str, ...], kind: str | None = None) -> list[Unit]:
    """Units of one section's lines, by the section's type."""
    kind = kind or section_type(section)
    parser = BLOCK_PARSERS.get(kind)
    if parser is not None:
        return parser(text, lines, section)
    out: list[Unit] = []
    for ln in lines:
        if ln.text:
            out.extend(plain_unit(text, ln, section))
    return out


# --------------------------------------------------------------------------- linking numbered groups
GROUP_NUM = re.compile(r"^(?:results|adverse events|intervention|arm|group)\s+(\d+)\s*:?\s*$", re.I)


def link_groups(text: str, units: list[Unit]) -> None:
    """Registry result listings number their groups ("Results 1:", "Adverse Events 1:", "INTERVENTION 1:") and
    name them once ("Arm/Group Title: …", or the line after "INTERVENTION 1:"). Give every adverse-event row and
    intervention line the name of its group, so "how many on the X arm…" can find it."""
    names: dict[str, str] = {}
    pending: str | None = None
    for u in units:
        t = text[u.start : u.end].strip()
        m = GROUP_NUM.match(t)
        if u.kind == "heading" and m:
            kind = t.split()[0].lower()
            pending = m.group(1) if kind in ("results", "intervention", "arm", "group") else None
            continue
        if pending and pending not in names:
            value = t.split(":", 1)[1].strip() if u.attrs.get("role") == "group" and ":" in t else None
            if value is None and section_type(u.section) == "intervention" and u.kind != "heading":
                value = t
            if value:
                names[pending] = value
                pending = None
    if not names:
        return
    for u in units:
        g = u.attrs.get("group", "")
        m = re.match(r"(?i)(?:adverse events|intervention|arm|group)\s+(\d+)$", g)
        if m and m.group(1) in names:
            u.attrs["group_title"] = names[m.group(1)]
