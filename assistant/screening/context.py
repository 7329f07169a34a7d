"""ConText-style assertion status of a mention: negated, historical, hypothetical, uncertain, other experiencer.

Algorithm (NegEx / ConText, Chapman et al. 2001; Harkema et al. 2009): find trigger phrases in the sentence,
mask pseudo-triggers, and let each trigger modify the mentions inside its scope - forward triggers the words
after them, backward triggers the words before them - until a terminator, the sentence end, or a maximum
number of words. Trigger lists live in assistant/data/screening_context.yaml.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from .lexicon import get_lexicon
from .text import Token, WORD_RE, norm_word

CATEGORIES = ("negated", "historical", "hypothetical", "uncertain", "family")


@dataclass(frozen=True)
class Trigger:
    i: int  # token index (inclusive) in the sentence token list
    j: int  # token index (exclusive)
    category: str  # one of CATEGORIES, "pseudo", "terminate"
    direction: str  # "forward" | "backward" | "none"
    text: str


@dataclass
class Assertion:
    negated: bool = False
    historical: bool = False
    hypothetical: bool = False
    uncertain: bool = False
    family: bool = False
    triggers: list[str] = field(default_factory=list)

    @property
    def affirmed(self) -> bool:
        return not (self.negated or self.hypothetical or self.uncertain or self.family)


def _key(phrase: str) -> tuple[str, ...]:
    return tuple(norm_word(m.group(0)) for m in WORD_RE.finditer(phrase) if m.group(0) not in "-/–‐")


@lru_cache(maxsize=1)
def _trigger_table() -> tuple[dict, int, int]:
    ctx = get_lexicon().context
    table: dict[tuple[str, ...], list[tuple[str, str]]] = {}

    def add(phrase: str, cat: str, direction: str) -> None:
        k = _key(str(phrase))
        if k:
            table.setdefault(k, []).append((cat, direction))

    for cat in CATEGORIES:
        spec = ctx.get(cat, {})
        for d in ("forward", "backward"):
            for p in spec.get(d, []) or []:
                add(p, cat, d)
    for p in ctx.get("pseudo", []):
        add(p, "pseudo", "none")
    for p in ctx.get("terminate", []):
        add(p, "terminate", "none")
    return table, int(ctx.get("max_scope", 12)), int(ctx.get("max_scope_backward", 6))


def find_triggers(sent_tokens: list[Token], skip_family: frozenset[str] = frozenset()) -> list[Trigger]:
    table, _, _ = _trigger_table()
    maxlen = max(len(k) for k in table)
    words = [t.norm for t in sent_tokens]
    out: list[Trigger] = []
    i = 0
    n = len(words)
    while i < n:
        found = None
        for L in range(min(maxlen, n - i), 0, -1):
            k = tuple(words[i:i + L])
            if k in table:
                found = (L, table[k])
                break
        if not found:
            i += 1
            continue
        L, entries = found
        text = " ".join(words[i:i + L])
        cats = {c for c, _ in entries}
        if "pseudo" in cats:
            out.append(Trigger(i, i + L, "pseudo", "none", text))
        else:
            for cat, d in entries:
                if cat == "family" and text in skip_family:
                    continue
                out.append(Trigger(i, i + L, cat, d, text))
        i += L
    return out


def assess(sent_tokens: list[Token], a: int, b: int, triggers: list[Trigger]) -> Assertion:
    """Assertion of the mention spanning sentence tokens [a, b)."""
    _, max_f, max_b = _trigger_table()
    res = Assertion()
    terms = [t for t in triggers if t.category == "terminate"]

    def blocked(lo: int, hi: int) -> bool:
        return any(lo <= t.i and t.j <= hi for t in terms)

    def leaves_bracket(lo: int, hi: int) -> bool:
        # a trigger inside brackets ("lung (24 mm, not irradiated) and brain mets") stops at the closing one
        depth = 0
        for t in sent_tokens[lo:hi]:
            depth += (t.norm == "(") - (t.norm == ")")
            if depth < 0:
                return True
        return False

    def nwords(lo: int, hi: int) -> int:
        return sum(1 for t in sent_tokens[lo:hi] if t.is_word)

    for tr in triggers:
        if tr.category in ("pseudo", "terminate"):
            continue
        hit = False
        if tr.direction == "forward" and tr.j <= a:
            if nwords(tr.j, a) <= max_f and not blocked(tr.j, a) and not leaves_bracket(tr.j, a):
                hit = True
        elif tr.direction == "backward" and tr.i >= b:
            if nwords(b, tr.i) <= max_b and not blocked(b, tr.i):
                hit = True
        if hit:
            setattr(res, tr.category, True)
            res.triggers.append(f"{tr.category}:{tr.text}")
    return res
