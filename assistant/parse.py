"""Parse stage: turn a document's text into quotable units with section paths.

The parser reads lines and recognises headings, ``Key: value`` fields, numbered and bulleted
criteria (nested by indentation or by a numbering restart at 1), continuation lines, site
addresses and prose (split into sentences with NLTK's Punkt, as shipped by llama-index).
Page chrome and lines repeated three or more times (the site list's "No email / No phone")
are left out. Every unit keeps its character span, so ``text[u.start:u.end]`` is its quote.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .types import Unit

LIST_RE = re.compile(r"^(?P<indent>[ \t]*)(?:(?P<num>\d{1,2})[.)]|[•·▪]\s*-|[•·▪]|[-*])[ \t]+(?P<body>\S.*)$")
FIELD_RE = re.compile(r"^(?P<key>[A-Z][\w /&()'’-]{0,48}):\s+(?P<value>\S.*)$")
SITE_RE = re.compile(r"^[^:•\d][^:•]{1,60},[^:•]*\d[^:•]*,\s*[A-Za-zÀ-ÿ ()\-]+$")
CRITERIA_RE = re.compile(r"criteri|eligib|inclusion|exclusion|disqualif", re.I)
EXCLUSION_RE = re.compile(r"disqualif|not be included|exclu", re.I)
VALUE_WORDS = {"yes", "no", "all", "none", "male", "female", "n/a", "na"}
SENT_SPLIT_WORDS = 40  # prose lines longer than this are split into sentences


@dataclass
class _Line:
    start: int
    end: int  # exclusive, without the newline
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


@lru_cache(maxsize=1)
def _chrome_patterns() -> list[re.Pattern]:
    lines = resources.files("assistant.data").joinpath("chrome.txt").read_text(encoding="utf-8").splitlines()
    return [re.compile(ln.strip() + r"\Z") for ln in lines if ln.strip() and not ln.startswith("#")]


@lru_cache(maxsize=1)
def _sentence_tokenizer():
    import nltk
    import llama_index.core

    cache = os.path.join(os.path.dirname(llama_index.core.__file__), "_static", "nltk_cache")
    if cache not in nltk.data.path:
        nltk.data.path.append(cache)
    from nltk.tokenize import PunktTokenizer

    return PunktTokenizer("english")


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans (absolute offsets) of ``text[start:end]``."""
    piece = text[start:end]
    return [(start + a, start + b) for a, b in _sentence_tokenizer().span_tokenize(piece)]


def _split_lines(text: str) -> list[_Line]:
    out, pos = [], 0
    for raw in text.split("\n"):
        out.append(_Line(pos, pos + len(raw), raw.rstrip("\r")))
        pos += len(raw) + 1
    return out


def _words(s: str) -> int:
    return len(s.split())


def _is_heading(t: str) -> bool:
    if not t or LIST_RE.match(t) or SITE_RE.match(t):
        return False
    if t.endswith(":") and CRITERIA_RE.search(t):
        return True  # "Participants must meet all of the following criteria ...:"
    if FIELD_RE.match(t) or _words(t) > 12 or len(t) > 100 or t[-1] in ".;,!?":
        return False
    return t[0].isupper() or t[0].isdigit()


def _is_value(t: str) -> bool:
    if not t or LIST_RE.match(t) or FIELD_RE.match(t) or t.endswith(":") or t[-1] == ".":
        return False
    if _words(t) > 6:
        return False
    return t.lower() in VALUE_WORDS or any(c.isdigit() for c in t) or t.replace("_", "").replace(" ", "").isupper()


def _canonical(heading: str) -> str:
    h = heading.rstrip(":").strip()
    if _words(h) >= 6 and heading.endswith(":") and CRITERIA_RE.search(h):
        return "Exclusion criteria" if EXCLUSION_RE.search(h) else "Inclusion criteria"
    return h


class _Sections:
    """Tracks the section path: a top-level heading and, under criteria, a sub-heading."""

    def __init__(self) -> None:
        self.path: tuple[str, ...] = ()
        self.top_is_intro = False

    def push(self, heading: str, empty_before: bool = False) -> None:
        """Enter a heading; a heading right under an empty top-level heading nests below it."""
        name = _canonical(heading)
        is_intro = name != heading.rstrip(":").strip()
        top = self.path[0] if self.path else ""
        criteria_top = bool(top) and CRITERIA_RE.search(top) and not self.top_is_intro
        if CRITERIA_RE.search(name) and self.path and (criteria_top or (self.top_is_intro and not is_intro)):
            self.path = (top, name)
        elif empty_before and len(self.path) == 1 and not CRITERIA_RE.search(top + name):
            self.path = (top, name)
        else:
            self.path = (name,)
            self.top_is_intro = is_intro

    def sub(self, leaf: str) -> None:
        self.path = (*self.path, leaf)

    @property
    def in_criteria(self) -> bool:
        return any(CRITERIA_RE.search(p) for p in self.path)


def parse(text: str) -> list[Unit]:
    """Split ``text`` into units in reading order."""
    lines = _split_lines(text)
    counts = Counter(ln.text for ln in lines if ln.text)
    chrome = _chrome_patterns()

    def is_noise(ln: _Line) -> bool:
        t = ln.text
        if not t:
            return False
        if any(p.match(t) for p in chrome):
            return True
        return counts[t] >= 3 and ":" not in t and len(t) < 60 and not LIST_RE.match(t)

    units: list[Unit] = []
    sections = _Sections()
    item: dict | None = None  # the open list item: {"start", "end", "indent", "label", "num", "kind"}
    numbering: dict[int, int] = {}  # indent -> last number seen
    top_label: str | None = None  # label of the last top-level numbered item
    blank_since_item = False
    heading_since_item = False
    units_at_push = -1
    last_heading: _Line | None = None
    sub_run: int | None = None  # numbering of sub-items that restarted at 1

    def close_item() -> None:
        nonlocal item
        if item is not None:
            units.append(Unit(item["start"], item["end"], item["kind"], sections.path, item["label"]))
            item = None

    def add_prose(ln: _Line) -> None:
        s, e = ln.body_start, ln.body_end
        if _words(ln.text) > SENT_SPLIT_WORDS or ". " in ln.text:
            for a, b in sentence_spans(text, s, e):
                units.append(Unit(a, b, "sentence", sections.path))
        else:
            units.append(Unit(s, e, "sentence", sections.path))

    i, n = 0, len(lines)
    while i < n:
        ln = lines[i]
        t = ln.text
        if not t:
            blank_since_item = True
            i += 1
            continue
        if is_noise(ln):
            i += 1
            continue
        m = LIST_RE.match(ln.raw)
        if m:
            close_item()
            indent = len(m.group("indent"))
            num = int(m.group("num")) if m.group("num") else None
            base = min(numbering) if numbering else indent
            label = ""
            if num is not None:
                if indent > base and top_label:
                    label = f"{top_label}.{num}"
                else:
                    prev = numbering.get(indent)
                    restart_at_1 = prev is not None and num == 1 and top_label and not heading_since_item
                    if restart_at_1 or (sub_run is not None and num == sub_run + 1):
                        # numbering restarts at 1 with no heading: sub-items of the previous item
                        label = f"{top_label}.{num}"
                        sub_run = num
                        indent = base + 1
                    else:
                        sub_run = None
                        leaf = sections.path[-1] if sections.path else ""
                        if prev is not None and 1 < num <= prev and re.search("inclusion", leaf, re.I):
                            sections.sub(f"items after numbering restarts at {num} (read as exclusions)")
                        label = str(num)
                        top_label = label
                numbering[indent] = num
            kind = "criterion" if sections.in_criteria else "item"
            body = ln.start + m.start("body")  # quote the criterion without its list marker
            item = {"start": body, "end": ln.body_end, "indent": indent, "label": label, "kind": kind}
            blank_since_item = False
            heading_since_item = False
            i += 1
            continue
        # continuation of an open list item
        if item is not None and (
            (not blank_since_item and not _is_heading(t) and not SITE_RE.match(t) and (not FIELD_RE.match(t) or t.startswith("Note:")))
            or (blank_since_item and ln.indent > item["indent"] and ln.indent > 0)
        ):
            item["end"] = ln.body_end
            i += 1
            continue
        close_item()
        if SITE_RE.match(t):
            if sections.in_criteria or not sections.path:
                sections.path = ("Study sites",)
                sections.top_is_intro = False
            end = ln.body_end
            j = i + 1
            while j < n and lines[j].text and (is_noise(lines[j]) or lines[j].text.startswith("Status:")):
                if lines[j].text.startswith("Status:"):
                    end = lines[j].body_end
                j += 1
            units.append(Unit(ln.body_start, end, "site", sections.path))
            i = j
            continue
        if _is_heading(t):
            # heading followed by a short value: a field ("Maximum Eligible Age" / "75 Years")
            j, chrome_between = i + 1, False
            while j < n and (not lines[j].text or is_noise(lines[j])):
                chrome_between |= is_noise(lines[j])
                j += 1
            nxt = lines[j] if j < n else None
            if nxt is not None and _is_value(nxt.text) and not t.endswith(":") or (
                nxt is not None and t.endswith(":") and not CRITERIA_RE.search(t) and _is_value(nxt.text)
            ):
                if units and units[-1].kind == "criterion" and len(sections.path) > 1:
                    sections.path = sections.path[:1]  # a field after a criteria list ends that list
                start = nxt.body_start if chrome_between else ln.body_start
                units.append(Unit(start, nxt.body_end, "field", sections.path, t.rstrip(":")))
                i = j + 1
                continue
            prev = last_heading
            if (
                prev is not None
                and len(units) == units_at_push
                and _words(t) <= 6
                and not CRITERIA_RE.search(prev.text + t)
            ):
                # "Allocation" / "Randomized": a heading whose only content is a short label line
                units.append(Unit(prev.body_start, ln.body_end, "field", sections.path, prev.text.rstrip(":")))
                last_heading = None
                i += 1
                continue
            sections.push(t, empty_before=len(units) == units_at_push)
            units_at_push = len(units)
            last_heading = ln
            numbering.clear()
            top_label = sub_run = None
            heading_since_item = True
            i += 1
            continue
        fm = FIELD_RE.match(t)
        if fm and _words(fm.group("value")) <= 12:
            units.append(Unit(ln.body_start, ln.body_end, "field", sections.path, fm.group("key")))
        elif fm:
            saved = sections.path
            sections.path = (fm.group("key"),)
            add_prose(ln)
            sections.path = saved
        else:
            add_prose(ln)
        i += 1
    close_item()
    return units

