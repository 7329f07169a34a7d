"""Text utilities shared by criterion parsing and patient-fact extraction.

Everything keeps character offsets into the original string, so that every fact can cite the verbatim
patient words it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

_STEMMER = Stemmer.Stemmer("english")

# British -> American spelling and common variants, applied per token before stemming.
_SPELLING = [
    ("haem", "hem"), ("oedem", "edem"), ("oesoph", "esoph"), ("tumour", "tumor"), ("anaem", "anem"),
    ("leukaem", "leukem"), ("paediatr", "pediatr"), ("faec", "fec"), ("oestr", "estr"), ("dyspnoe", "dyspne"),
    ("centre", "center"), ("fibre", "fiber"), ("randomis", "randomiz"), ("hospitalis", "hospitaliz"),
]

WORD_RE = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)?|[^\s\w]", re.UNICODE)

NUMBER_WORDS = {
    "zero": 0, "no": 0, "none": 0, "a": 1, "an": 1, "one": 1, "once": 1, "single": 1, "two": 2, "twice": 2,
    "both": 2, "three": 3, "thrice": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "several": 3, "couple": 2, "few": 3,
}

ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}


def norm_word(w: str) -> str:
    w = w.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    for a, b in _SPELLING:
        if a in w:
            w = w.replace(a, b)
    return w


@lru_cache(maxsize=50000)
def stem(w: str) -> str:
    w = norm_word(w)
    if not w or not w[0].isalpha():
        return w
    return _STEMMER.stemWord(w)


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    raw: str
    norm: str
    stem: str
    sent: int

    @property
    def is_word(self) -> bool:
        return self.raw[:1].isalnum()


def _add_trimmed(spans: list[tuple[int, int]], text: str, s: int, e: int) -> None:
    """Append text[s:e] without its surrounding whitespace, unless nothing is left."""
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e > s:
        spans.append((s, e))


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans. Newlines, '. ' + capital/digit, ';' inside long lines, and bullet markers split."""
    spans: list[tuple[int, int]] = []
    start = 0
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        cut = False
        if c == "\n":
            cut = True
        elif c in ".!?" and i + 1 < n and text[i + 1] in " \t":
            j = i + 1
            while j < n and text[j] in " \t":
                j += 1
            prev = text[max(0, i - 4):i].lower()
            # no split after common abbreviations / decimals
            if j < n and (text[j].isalpha() or text[j].isdigit() or text[j] in "\"'(") and not re.search(
                r"(?:\b(?:dr|mr|mrs|ms|vs|no|e\.g|i\.e|approx|fig|st|cf|incl|ca)|\b[a-z]|\d)$", prev
            ) and not (text[j].islower() and re.match(r"[a-z]\.", text[j:j + 2])):
                cut = True
        elif c in ".!?" and i + 1 == n:
            cut = True
        if cut:
            _add_trimmed(spans, text, start, i + 1 if c != "\n" else i)
            start = i + 1
        i += 1
    _add_trimmed(spans, text, start, n)
    # strip leading enumeration like "3. " from the sentence span (notes are sentence-numbered)
    out = []
    for s, e in spans:
        m = re.match(r"\s*(?:\d{1,3}[.)]|[-•*·§])\s+", text[s:e])
        if m and m.end() < e - s:
            s += m.end()
        out.append((s, e))
    return out


def tokenize(text: str, sentences: list[tuple[int, int]] | None = None) -> list[Token]:
    if sentences is None:
        sentences = split_sentences(text)
    toks: list[Token] = []
    for si, (s, e) in enumerate(sentences):
        for m in WORD_RE.finditer(text, s, e):
            raw = m.group(0)
            if raw in "-/–‐":
                continue  # hyphens and slashes join words: "anti-PD-1" == "anti PD 1"
            n = norm_word(raw)
            toks.append(Token(m.start(), m.end(), raw, n, stem(raw), si))
    return toks


def edit_distance_le(a: str, b: str, k: int) -> bool:
    """True when Levenshtein(a, b) <= k (small k, early exit)."""
    if abs(len(a) - len(b)) > k:
        return False
    if a == b:
        return True
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        best = cur[0]
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            best = min(best, cur[j])
        if best > k:
            return False
        prev = cur
    return prev[-1] <= k


def parse_number(s: str) -> float | None:
    s = s.strip().lower()
    if s in NUMBER_WORDS:
        return float(NUMBER_WORDS[s])
    s = s.replace("\u2009", "").replace(" ", "")
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", s):
        s = s.replace(",", "")
    elif re.fullmatch(r"\d+,\d{1,2}", s):  # European decimal comma
        s = s.replace(",", ".")
    try:
        return float(s)
    except ValueError:
        return None


UNIT_DAYS = {"day": 1, "days": 1, "d": 1, "week": 7, "weeks": 7, "wk": 7, "wks": 7, "w": 7, "month": 30.4,
             "months": 30.4, "mo": 30.4, "mos": 30.4, "year": 365, "years": 365, "yr": 365, "yrs": 365, "y": 365,
             "hour": 1 / 24, "hours": 1 / 24, "hrs": 1 / 24, "hr": 1 / 24, "h": 1 / 24}

NUM = r"(?:\d+(?:[.,]\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a|an|several|a few|a couple of)"
TIME_UNIT = r"(?:days?|weeks?|wks?|months?|mos?|years?|yrs?|hours?|hrs?)"


def to_days(num: str, unit: str) -> float | None:
    num = num.lower().replace("a few", "few").replace("a couple of", "couple")
    v = parse_number(num)
    u = UNIT_DAYS.get(unit.lower().rstrip("."))
    if u is None:
        u = UNIT_DAYS.get(unit.lower().rstrip("s"))
    if v is None or u is None:
        return None
    return v * u


def clean(s: str) -> str:
    """Normalise symbols for regex parsing (same length is NOT kept; use only for criteria)."""
    rep = {"≥": ">=", "≤": "<=", "⩾": ">=", "⩽": "<=", "–": "-", "—": "-", "‐": "-", "−": "-", "×": "x",
           "µ": "u", "μ": "u", "’": "'", "‘": "'", "“": '"', "”": '"', "\u00a0": " ", "³": "^3", "⁹": "^9",
           "²": "^2", "＞": ">", "＜": "<", "，": ",", "℃": "°C"}
    for a, b in rep.items():
        s = s.replace(a, b)
    return s
