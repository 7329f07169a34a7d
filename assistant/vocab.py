"""Medical vocabulary as data: clinical and lay concepts, cancer types, drug names and drug-name shapes.

Loaded from ``assistant/data/vocab.yaml`` (concepts, conditions, INN stems) and ``assistant/data/drugs.yaml``
(general drug-class table: generic names, brand names, codes). Documents add their own abbreviations at
ingest (Schwartz–Hearst, via the ``abbreviations`` package) and their own drug aliases ("X (A; B)").
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

DASHES = str.maketrans({"‑": "-", "–": "-", "—": "-", "−": "-", "’": "'", "‘": "'", "\u00a0": " ", "≥": "≥"})
TOKEN_RE = re.compile(r"[a-z0-9]+(?:[.][0-9]+)?%?")
DATA_FILES = ("vocab.yaml", "drugs.yaml", "chrome.txt")


def normalize(text: str) -> str:
    return text.translate(DASHES).lower()


def _read(name: str) -> str:
    path = resources.files("assistant.data").joinpath(name)
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def data_fingerprint() -> str:
    """Hash of the data files that shape parsing and the index."""
    h = hashlib.sha256()
    for name in DATA_FILES:
        h.update(name.encode())
        h.update(_read(name).encode())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class Concept:
    name: str
    forms: tuple[str, ...]
    value_type: str | None = None
    related: tuple[str, ...] = ()


# Acronyms that are also everyday words, or too short to be safe, keep their capitals when matched.
WORD_LIKE_ACRONYMS = {"ALL", "NET", "AIDS", "CAN", "MAY", "ARM", "AGE", "DOSE", "SAT", "PET", "CAT", "FIT", "RAT", "TAB", "SOB", "SAD", "AST"}


def is_acronym(form: str) -> bool:
    """Matched case-sensitively: two-letter acronyms (OS, PR, IT) and acronyms that are also words (ALL, NET).
    Longer acronyms (ORR, ANC, PLT) also match as people type them in lower case."""
    letters = re.sub(r"[^A-Za-z]", "", form)
    if not (len(form) <= 6 and len(letters) >= 1 and letters.isupper()):
        return False
    return len(letters) <= 2 or letters in WORD_LIKE_ACRONYMS


@lru_cache(maxsize=8192)
def form_pattern(form: str) -> re.Pattern:
    """Whole-word pattern for a surface form (acronyms case-sensitive; spaces and hyphens interchangeable)."""
    body = re.escape(form.translate(DASHES))
    body = body.replace(r"\ ", r"[\s-]+").replace(r"\-", r"[\s-]?")
    flags = 0 if is_acronym(form) else re.I
    end = r"(?![A-Za-z])" if form[-1:].isalpha() else r"(?![A-Za-z0-9])"  # "Neutropenia3/53", "FEC100": a glued number ends the word
    return re.compile(rf"(?<![A-Za-z0-9]){body}{CODE_TAIL if is_acronym(form) else ''}(?:s|es)?{end}", flags)


CODE_TAIL = r"(?!-\d)"  # an acronym followed by "-<digits>" is a drug code ("PD-0332991"), not the acronym


def _form_body(form: str) -> str:
    body = re.escape(form.translate(DASHES))
    body = body.replace(r"\ ", r"[\s-]+").replace(r"\-", r"[\s-]?")
    return body + CODE_TAIL if is_acronym(form) else f"(?i:{body})"


@lru_cache(maxsize=8192)
def forms_pattern(forms: tuple[str, ...]) -> re.Pattern:
    """One whole-word pattern for any of several surface forms (one search instead of one per form)."""
    alternation = "|".join(_form_body(f) for f in sorted(set(forms), key=len, reverse=True) if f)
    return re.compile(rf"(?<![A-Za-z0-9])(?:{alternation})(?:s|es)?(?![A-Za-z])")


@lru_cache(maxsize=1)
def _vocab() -> dict:
    return yaml.safe_load(_read("vocab.yaml")) or {}


@lru_cache(maxsize=1)
def concepts() -> dict[str, Concept]:
    out = {}
    for name, spec in (_vocab().get("concepts") or {}).items():
        spec = spec or {}
        out[name] = Concept(name, (name, *spec.get("forms", [])), spec.get("value_type"), tuple(spec.get("related", [])))
    return out


@lru_cache(maxsize=1)
def conditions() -> dict[str, tuple[str, ...]]:
    return {name: (name, *(aliases or [])) for name, aliases in (_vocab().get("conditions") or {}).items()}


@lru_cache(maxsize=1)
def drug_table() -> dict[str, tuple[str, ...]]:
    """generic name → (generic, aliases…) from the general drug-class table."""
    data = yaml.safe_load(_read("drugs.yaml")) or {}
    out = {}
    for name, spec in (data.get("drugs") or {}).items():
        aliases = (spec or {}).get("aliases", []) if isinstance(spec, dict) else []
        out[str(name)] = (str(name), *(str(a) for a in aliases))
    return out


@lru_cache(maxsize=4096)
def drug_pattern(name: str) -> re.Pattern:
    """A drug named by any of its forms in the drug table ("Ra-223" for radium-223 dichloride); other names as written."""
    forms = drug_table().get(name)
    return forms_pattern(forms) if forms else form_pattern(name)


@lru_cache(maxsize=1)
def drug_stem_re() -> re.Pattern:
    stems = sorted({s for s in _vocab().get("drug_stems", []) if s}, key=len, reverse=True)
    return re.compile(r"\b[A-Za-z][a-z]{2,}(?:" + "|".join(map(re.escape, stems)) + r")\b", re.I)


# A development code: letters then digits ("AB-1234", "XY5678", "ZQ321", "ABC-D123"); not lab or gene names.
CODE_RE = re.compile(r"\b(?:[A-Z]{1,5}-?[A-Z]?\d{3,6}[A-Z]?|[A-Z]{2,5}-\d{2,6})\b")
NOT_CODES = re.compile(r"^(?:CD\d+|IL-?\d+|HER\d|COVID-?19|ICD-?\d+|NCT\d+|ISO\d+|CTCAE\w*|RECIST\w*|UGT1A\d+|CYP\w+|BRCA\d|ECOG\d*|[A-Z]\d{3}[A-Z]?)$")
NCT_RE = re.compile(r"\bNCT\d{8}\b", re.I)
# A named study: "KEYNOTE-189", "DESTINY-Breast03", "CheckMate 227"
STUDY_NAME_RE = re.compile(
    r"\b(?=[A-Za-z]*[A-Z][a-z]*[A-Z])[A-Z][A-Za-z]{3,}(?:-[A-Z][a-z]+|-|\s)?\d{2,3}(?![\d.])(?!\s*(?:mg|%|months?|weeks?|days?|years?|kg|patients|participants))\b"
)


@lru_cache(maxsize=4096)
def drug_mentions(text: str) -> tuple[str, ...]:
    """Drug-like names in ``text``: known drugs (generic, brand, code), INN-shaped words, development codes. A name
    inside a longer one ("trastuzumab" and "deruxtecan" in "trastuzumab deruxtecan") is not a mention of its own."""
    found: list[tuple[str, int, int]] = []
    for name, forms in drug_table().items():
        for form in forms:
            m = form_pattern(form).search(text) if len(form) >= 3 else None
            if m:
                found.append((name, m.start(), m.end()))
                break
    for m in drug_stem_re().finditer(text):
        found.append((m.group(0), m.start(), m.end()))
    for m in CODE_RE.finditer(text):
        if not NOT_CODES.match(m.group(0)):
            found.append((m.group(0), m.start(), m.end()))
    kept = [f for f in found if not any(o[1] <= f[1] and f[2] <= o[2] and (o[2] - o[1]) > (f[2] - f[1]) for o in found)]
    return tuple(dict.fromkeys(name for name, _, _ in kept))


@lru_cache(maxsize=4096)
def condition_mentions(text: str) -> tuple[str, ...]:
    """Canonical cancer types named in ``text``."""
    out = []
    for name, forms in conditions().items():
        if any(form_pattern(f).search(text) for f in forms):
            out.append(name)
    return tuple(out)


@lru_cache(maxsize=4096)
def concept_mentions(text: str) -> tuple[tuple[int, int, Concept], ...]:
    """Concepts named in ``text`` with their spans, longest match first, no overlaps."""
    spans: list[tuple[int, int, Concept]] = []
    taken: list[tuple[int, int]] = []
    cands = []
    for c in concepts().values():
        for f in c.forms:
            for m in form_pattern(f).finditer(text):
                cands.append((m.end() - m.start(), m.start(), m.end(), c))
    for _, s, e, c in sorted(cands, key=lambda x: (-x[0], x[1])):
        if any(s < te and ts < e for ts, te in taken):
            continue
        taken.append((s, e))
        spans.append((s, e, c))
    return tuple(sorted(spans, key=lambda x: x[0]))


@lru_cache(maxsize=1)
def _schwartz_hearst():
    """The `abbreviations` package calls logging.basicConfig(INFO) at import, which would print every library's log
    lines to users: give the root logger a handler first so that call does nothing, and quieten its logger."""
    import logging

    root = logging.getLogger()
    guard = None
    if not root.handlers:
        guard = logging.NullHandler()
        root.addHandler(guard)
    try:
        from abbreviations import schwartz_hearst
    finally:
        if guard is not None:
            root.removeHandler(guard)
    logging.getLogger(schwartz_hearst.__name__).setLevel(logging.WARNING)
    return schwartz_hearst


def abbreviation_pairs(text: str) -> dict[str, str]:
    """Abbreviations a document defines ("overall response rate (ORR)"): Schwartz–Hearst."""
    schwartz_hearst = _schwartz_hearst()

    try:
        pairs = schwartz_hearst.extract_abbreviation_definition_pairs(doc_text=text, most_common_definition=True)
    except Exception:  # noqa: BLE001 - a library failure must not stop ingest; the document just adds no aliases
        return {}
    return {k: v for k, v in pairs.items() if 1 < len(k) <= 12 and len(v) <= 80}
