"""Free-text adapter: plain text or markdown pages → sections → units.

Headings are accepted only where the layout confirms them: a markdown ``#`` heading; a heading word registries
use ("Eligibility Criteria", "Adverse Events"…); a criteria heading ("Exclusion Criteria:"); or a short
title-like line with blank lines around it followed by content. A short label followed by a short value
("Recruitment Status" / "NOT_YET_RECRUITING") is a field, quoted as both lines. Page chrome and lines
repeated three or more times ("No email / No phone") are noise. Every other line lands in a quotable unit —
headings included — and the section type decides how a section's lines are read (see ``layout``).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from importlib import resources

from ..types import ParseStats, Unit
from .layout import (
    ARM_NAME,
    ARM_TYPE,
    DESIGN_FIELD,
    FIELD_RE,
    KNOWN_HEADINGS,
    LIST_RE,
    SITE_RE,
    TABLE_RULE,
    Line,
    arm_units,
    block_units,
    link_groups,
    criteria_heading,
    section_type,
    split_lines,
    table_units,
    words,
)

MD_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<title>\S.*?)\s*#*\s*$")
VALUE_WORDS = {"yes", "no", "all", "none", "male", "female", "n/a", "na", "both"}
SITES_SECTION = "Study sites"
MAX_FIELD_NOTES = 5  # explanation paragraphs a registry page may put between a field's label and its value
MAX_NOTE_WORDS = 25  # an explanation is one short sentence; a longer paragraph is content
FIELD_NOTE = re.compile(r"(?:the|an?|category|studies|phase \d)\b[^.]{0,80}\b(?:is|are|means|refers to|that|who|which)\b", re.I)
MAX_TABLE_HEADER_LINES = 3  # header lines above a table's rule
REPEATED_NOISE = 5  # a short line repeated this often is page boilerplate ("No email / No phone")


@lru_cache(maxsize=1)
def chrome_patterns() -> list[re.Pattern]:
    lines = resources.files("assistant.data").joinpath("chrome.txt").read_text(encoding="utf-8").splitlines()
    return [re.compile(ln.strip() + r"\Z") for ln in lines if ln.strip() and not ln.startswith("#")]


def _title_like(t: str) -> bool:
    if not t or words(t) > 10 or len(t) > 90 or t[-1] in ".;,!?" or LIST_RE.match(t) or FIELD_RE.match(t) or SITE_RE.match(t):
        return False
    return t[0].isupper() or t[0].isdigit()


def _value_strength(t: str) -> int:
    """2: clearly a value (digits, CODE_WORDS, yes/no…); 1: could be a short value; 0: not a value."""
    if not t or t.endswith(":") or LIST_RE.match(t) or FIELD_RE.match(t) or words(t) > 8 or KNOWN_HEADINGS.match(t):
        return 0
    if t[-1] == "." and words(t) > 3:
        return 0
    letters = re.sub(r"[^A-Za-z]", "", t)
    caps = any(len(w) > 1 and w.isupper() for w in re.findall(r"[A-Za-z_]+", t))
    if t.lower() in VALUE_WORDS or any(c.isdigit() for c in t) or caps or "_" in t:
        return 2
    if words(t) <= 4 and letters and section_type((t,)) == "other":
        return 1
    return 0


def parse_text(text: str) -> tuple[list[Unit], ParseStats]:
    """Units of a free-text document, and how much of it became quotable."""
    lines = split_lines(text)
    counts = Counter(ln.text for ln in lines if ln.text)
    chrome = chrome_patterns()

    is_chrome = [bool(ln.text) and any(p.match(ln.text) for p in chrome) for ln in lines]

    def repeated(t: str) -> bool:
        return counts[t] >= REPEATED_NOISE and ":" not in t and len(t) < 60 and not LIST_RE.match(t)

    is_noise = [is_chrome[i] or (bool(ln.text) and repeated(ln.text)) for i, ln in enumerate(lines)]
    content = [i for i, ln in enumerate(lines) if ln.text and not is_noise[i]]
    nxt: dict[int, int | None] = {}
    for a, b in zip(content, [*content[1:], None]):
        nxt[a] = b

    def blank_between(a: int, b: int | None) -> bool:
        if b is None:
            return True
        return any(not lines[k].text for k in range(a + 1, b))

    def starts_paragraph(i: int) -> bool:
        j = i - 1
        while j >= 0 and is_noise[j]:
            j -= 1
        return j < 0 or not lines[j].text

    def _far_value(i: int) -> int | None:
        """A registry page's field with the registry's explanation between label and value: "Lead Sponsor" /
        "The sponsor is the organization…" / "Acme University". The value line's index, or None."""
        t = lines[i].text
        if words(t) > 5 or not _title_like(t):
            return None
        notes, k, blank = 0, i + 1, False
        while k < len(lines):
            ln = lines[k]
            if not ln.text:
                blank = True
            elif blank and notes < MAX_FIELD_NOTES and (is_chrome[k] or (6 <= words(ln.text) <= MAX_NOTE_WORDS and FIELD_NOTE.match(ln.text))):
                notes, blank = notes + 1, False
            else:
                break
            k += 1
        if not notes or not blank or k >= len(lines) or is_noise[k]:
            return None
        v = lines[k].text
        return k if _value_strength(v) >= 1 and len(v) >= 2 and not v.endswith(".") and not _far_label_like(k) else None

    def _far_label_like(k: int) -> bool:
        """Is line k itself the label of the next field (a blank line, then an explanation, follows it)?"""
        return k + 1 < len(lines) and not lines[k + 1].text and words(lines[k].text) <= 5 and any(
            is_chrome[m] or FIELD_NOTE.search(lines[m].text) for m in range(k + 2, min(k + 4, len(lines))) if lines[m].text
        )

    # ---- pass 1: find tables, headings and label/value fields
    role: dict[int, str] = {}  # index -> table | heading | field_label | field_value | far_label | far_value
    tables: dict[int, tuple[int, int, int]] = {}  # first line -> (first line, rule, end) of a pandoc table
    for r in (i for i, ln in enumerate(lines) if TABLE_RULE.match(ln.text)):  # rules are page chrome, not content
        if role.get(r):
            continue
        a = r
        while a - 1 >= 0 and lines[a - 1].text and not is_noise[a - 1] and a - 1 not in role and r - a < MAX_TABLE_HEADER_LINES:
            a -= 1
        b = r + 1
        while b < len(lines) and lines[b].text and not TABLE_RULE.match(lines[b].text):
            b += 1
        if a < r and b > r + 1:
            tables[a] = (a, r, b)
            role.update({m: "table" for m in range(a, b)})
    def opens_arm(i: int) -> bool:  # "Group A" with "Experimental group" on the very next line
        return i + 1 < len(lines) and bool(ARM_NAME.match(lines[i].text)) and bool(ARM_TYPE.match(lines[i + 1].text))

    arms: dict[int, int] = {}  # an arm block's first line -> the line after it (see layout.arm_units)
    for i in content:
        if i in role or not opens_arm(i):
            continue
        b = i + 1
        while b < len(lines) and lines[b].text and not opens_arm(b):
            b += 1
        arms[i] = b
        role.update({m: "arm" for m in range(i, b)})
    far: dict[int, int] = {}  # far_label -> its value line
    level: dict[int, int] = {}
    after_heading = False
    for i in content:
        t = lines[i].text
        if i in role:
            after_heading = False
            continue
        md = MD_HEADING.match(t)
        if md:
            role[i], level[i] = "heading", len(md.group("hashes"))
        elif criteria_heading(t) and (t.endswith(":") or _title_like(t)):
            role[i], level[i] = "heading", 2
        elif KNOWN_HEADINGS.match(t):
            role[i], level[i] = "heading", 1
        if i in role:
            after_heading = True
            continue
        was_after_heading, after_heading = after_heading, False
        j = nxt.get(i)
        if not _title_like(t) or j is None or role.get(j) == "table":
            continue
        strength = _value_strength(lines[j].text)
        k2 = nxt.get(j)
        if (v := _far_value(i)) is not None:
            role[i], role[v], far[i] = "far_label", "far_value", v
        elif DESIGN_FIELD.match(t) and blank_between(i, j) and not any(is_noise[m] for m in range(i + 1, j)) \
                and 0 < words(lines[j].text) <= 6 and not lines[j].text.endswith((".", ":")) and not DESIGN_FIELD.match(lines[j].text):
            role[i], role[j] = "field_label", "field_value"  # "Masking" / "None (Open label)"
        elif blank_between(i, j) and blank_between(j, k2) and not any(is_noise[m] for m in range(i + 1, j)) and (
            strength == 2
            or (strength == 1 and starts_paragraph(i) and section_type((t,)) == "other" and (k2 is None or _value_strength(lines[k2].text) < 2))
        ):
            role[i], role[j] = "field_label", "field_value"
        elif (
            not was_after_heading
            and starts_paragraph(i)
            and _value_strength(t) < 2
            and (blank_between(i, j) or LIST_RE.match(lines[j].raw) or lines[j].indent > lines[i].indent)
        ):
            role[i], level[i] = "heading", 1
            after_heading = section_type((t,)) == "contacts"  # "Central contact" / "Jane Doe": the name is content

    # a heading directly followed by another heading is content, unless the layout marks it
    for i in content:
        if role.get(i) == "heading" and level.get(i) == 1:
            j = nxt.get(i)
            marked = KNOWN_HEADINGS.match(lines[i].text) or MD_HEADING.match(lines[i].text)
            if j is not None and role.get(j) == "heading" and level.get(j) == 1 and not marked:
                role.pop(i)

    # ---- pass 2: sections, then each section's lines through its block parser
    units: list[Unit] = []
    path: tuple[str, ...] = ()
    block: list[Line] = []
    md_stack: list[tuple[int, str]] = []
    far_labels: dict[int, tuple[int, int, str]] = {}

    def flush() -> None:
        nonlocal block
        if any(ln.text for ln in block):
            kind = section_type(path)
            if kind == "eligibility" or any(criteria_heading(ln.text) for ln in block if ln.text.endswith(":")):
                kind = "eligibility"
            units.extend(_eligibility_with_sites(text, block, path) if kind == "eligibility" else block_units(text, block, path, kind))
        block = []

    k = 0
    n = len(lines)
    while k < n:
        ln = lines[k]
        if is_noise[k]:
            k += 1
            continue
        r = role.get(k)
        if k in arms:
            flush()
            units.extend(arm_units(text, lines[k : arms[k]], path))
            k = arms[k]
            continue
        if k in tables:
            flush()
            a, rule, b = tables[k]
            units.extend(table_units(text, lines[a:rule], lines[rule], lines[rule + 1 : b], path))
            k = b
            continue
        if r == "heading":
            t = ln.text
            md = MD_HEADING.match(t)
            title = (md.group("title") if md else t).rstrip(":").strip()
            if level[k] == 2 and section_type(path) == "eligibility":
                block.append(ln)  # criteria sub-headings stay in the eligibility block
                k += 1
                continue
            flush()
            if md:
                lvl = len(md.group("hashes"))
                md_stack = [(lv, h) for lv, h in md_stack if lv < lvl] + [(lvl, title)]
                path = tuple(h for _, h in md_stack)
            else:
                path = (title,)
            units.append(Unit(ln.body_start, ln.body_end, "heading", path))
            k += 1
            continue
        if r == "far_label":
            flush()
            units.append(Unit(ln.body_start, ln.body_end, "sentence", path, attrs={"role": "header"}))  # quoted with its value
            v = far[k]
            far_labels[v] = (ln.body_start, ln.body_end, ln.text.rstrip(":"))
            k += 1
            continue
        if r == "far_value" and k in far_labels:
            flush()
            ls, le, label = far_labels[k]
            units.append(Unit(ln.body_start, ln.body_end, "field", path, label, context=((ls, le),)))
            k += 1
            continue
        if r == "field_label":
            flush()
            j = nxt[k]
            units.append(Unit(ln.body_start, lines[j].body_end, "field", path, ln.text.rstrip(":")))
            k = j + 1
            continue
        block.append(ln)
        k += 1
    flush()
    units.sort(key=lambda u: (u.start, u.end))
    link_groups(text, units)
    return units, _stats(lines, is_noise, units)


def _eligibility_with_sites(text: str, block: list[Line], path: tuple[str, ...]) -> list[Unit]:
    """An eligibility block, except that a run of site addresses after it is its own section."""
    sites = [i for i, ln in enumerate(block) if ln.text and SITE_RE.match(ln.text)]
    for idx in sites:
        if sum(1 for i in sites if idx <= i < idx + 8) >= 2:  # a run of addresses, not one odd criterion
            rest = block[idx:]
            return block_units(text, block[:idx], path, "eligibility") + block_units(text, rest, (SITES_SECTION,), "sites")
    return block_units(text, block, path, "eligibility")


def _stats(lines: list[Line], is_noise: list[bool], units: list[Unit]) -> ParseStats:
    spans = sorted((u.start, u.end) for u in units)
    stats = ParseStats()
    si = 0
    for i, ln in enumerate(lines):
        if not ln.text:
            continue
        stats.lines += 1
        if is_noise[i]:
            stats.noise += 1
            continue
        s, e = ln.body_start, ln.body_end
        while si < len(spans) and spans[si][1] <= s:
            si += 1
        j = si
        covered = False
        while j < len(spans) and spans[j][0] < e:
            if spans[j][1] > s:
                covered = True
                break
            j += 1
        stats.quotable += covered
    return stats
