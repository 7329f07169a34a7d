"""NLI4CT trial reports (JSON: "Clinical Trial ID" and four lists of lines) → text, sections and units.

The record is rendered one source line per text line under its section heading, so every unit quotes a line
of the report verbatim and maps back to its (section, line index). Sections are known, so no layout guessing:
each section's lines go straight through the matching block parser (criteria, results, adverse events,
interventions).
"""

from __future__ import annotations

import re

from ..types import Unit
from .layout import Line, block_units, link_groups

HEADING_LIKE = re.compile(r":\s*$|^\s*(?:inclusion|exclusion|eligibility|key)\b|\b(?:criteria|intervention \d|results \d|adverse events \d)\b", re.I)
SECTIONS = (("Intervention", "intervention"), ("Eligibility", "eligibility"), ("Results", "results"), ("Adverse Events", "adverse_events"))


def is_nli4ct(data: object) -> bool:
    return isinstance(data, dict) and "Clinical Trial ID" in data and any(isinstance(data.get(s), list) for s, _ in SECTIONS)


def render(record: dict) -> tuple[str, dict[tuple[str, int], tuple[int, int]], list[tuple[str, str, list[Line]]]]:
    """The report as text; each (section, line index) → its span; and each section's lines."""
    parts: list[str] = []
    spans: dict[tuple[str, int], tuple[int, int]] = {}
    sections: list[tuple[str, str, list[Line]]] = []
    pos = 0
    trial_id = str(record.get("Clinical Trial ID", "")).strip()
    if trial_id:
        head = f"Clinical Trial ID: {trial_id}\n\n"
        parts.append(head)
        pos += len(head)
    for name, kind in SECTIONS:
        raw = record.get(name)
        if not isinstance(raw, list):
            continue
        header = f"{name}\n"
        parts.append(header)
        pos += len(header)
        lines: list[Line] = []
        items = [str(item).replace("\r", " ").replace("\n", " ").rstrip() for item in raw]
        indents = [len(x) - len(x.lstrip()) for x in items if x.strip()]
        typical = max(set(indents[1:]), key=indents[1:].count) if len(indents) > 2 else 0
        if items and items[0].strip() and indents[0] < typical and not HEADING_LIKE.search(items[0]):
            items[0] = " " * typical + items[0].lstrip()  # a first item the report left unindented is an item, not a parent
        for i, line in enumerate(items):
            stripped = line.strip()
            if stripped:
                offset = len(line) - len(line.lstrip())
                spans[(name, i)] = (pos + offset, pos + offset + len(stripped))
            lines.append(Line(pos, line))
            parts.append(line + "\n")
            pos += len(line) + 1
        parts.append("\n")
        pos += 1
        sections.append((name, kind, lines))
    return "".join(parts), spans, sections


def parse(record: dict) -> tuple[str, list[Unit]]:
    text, _, sections = render(record)
    units: list[Unit] = []
    if text.startswith("Clinical Trial ID: "):
        end = text.index("\n")
        units.append(Unit(0, end, "field", (), "Clinical Trial ID"))
    offset = text.find("\n\n") + 2 if units else 0
    for name, kind, lines in sections:
        head_start = lines[0].start - len(name) - 1 if lines else text.find(name + "\n", offset)
        units.append(Unit(head_start, head_start + len(name), "heading", (name,)))
        block = block_units(text, lines, (name,), kind)
        if kind == "adverse_events":
            for u in block:  # NLI4CT's adverse-event section is the registry's serious adverse events table
                if u.kind == "adverse_event":
                    u.attrs.setdefault("serious", "1")
        units.extend(block)
    units.sort(key=lambda u: (u.start, u.end))
    link_groups(text, units)
    return text, units


def title(record: dict) -> str:
    """"NCT…: <arm titles>" — the report's own words for what it compares."""
    trial_id = str(record.get("Clinical Trial ID", "")).strip()
    lines = [str(x).strip() for x in record.get("Intervention", []) if str(x).strip()]
    arms = [lines[i + 1] for i, ln in enumerate(lines[:-1]) if re.match(r"(?i)intervention\s*\d+\s*:?$", ln)]
    arms = list(dict.fromkeys(a for a in arms if len(a) <= 80))
    return f"{trial_id}: {' vs '.join(arms[:4])}" if arms else trial_id
