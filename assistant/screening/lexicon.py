"""Vocabulary: medical concepts, the drug-class table and ConText triggers, loaded once from assistant/data.

A single token trie over stemmed word sequences finds concept, drug and drug-class mentions in any text
(longest match wins). Abbreviations of up to three letters only match when written in capitals, so "all",
"cad" or "pe" in ordinary prose are not read as ALL, CAD or PE.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import yaml

from .text import Token, WORD_RE, edit_distance_le, norm_word, stem


def _load(name: str) -> dict:
    return yaml.safe_load(resources.files("assistant.data").joinpath(name).read_text(encoding="utf-8"))


def term_stems(term: str) -> tuple[str, ...]:
    return tuple(stem(m.group(0)) for m in WORD_RE.finditer(term) if m.group(0) not in "-/–‐'’()")


@dataclass(frozen=True)
class Hit:
    """A vocabulary mention: tokens [i, j) of a token list."""

    i: int
    j: int
    kind: str  # "concept" | "drug" | "class"
    id: str


@dataclass
class Drug:
    name: str
    aliases: list[str]
    classes: list[str]
    pred_equiv: float | None = None
    components: list[str] = field(default_factory=list)  # drugs or classes of a combination regimen


@dataclass(eq=False)
class Lexicon:
    concepts: dict[str, dict]
    concept_parents: dict[str, list[str]]
    drugs: dict[str, Drug]
    classes: dict[str, dict]
    class_parents: dict[str, list[str]]
    context: dict
    trie: dict = field(default_factory=dict)
    vocab: set[str] = field(default_factory=set)  # stems of all vocabulary words
    words: set[str] = field(default_factory=set)  # vocabulary words, unstemmed (for spelling correction)
    short_terms: set[tuple[str, ...]] = field(default_factory=set)
    sites: dict[str, str] = field(default_factory=dict)  # anatomical site phrase (lower case) -> tumour concept
    cohort_abbreviations: dict[str, str] = field(default_factory=dict)  # tumour-type cohort label -> concept

    # ---------- hierarchy ----------
    @lru_cache(maxsize=4096)
    def concept_ancestors(self, cid: str) -> frozenset[str]:
        out = {cid}
        for p in self.concept_parents.get(cid, []):
            out |= self.concept_ancestors(p)
        return frozenset(out)

    @lru_cache(maxsize=4096)
    def class_ancestors(self, cid: str) -> frozenset[str]:
        out = {cid}
        for p in self.class_parents.get(cid, []):
            out |= self.class_ancestors(p)
        return frozenset(out)

    @lru_cache(maxsize=4096)
    def drug_classes(self, drug: str) -> frozenset[str]:
        d = self.drugs.get(drug)
        if not d:
            return frozenset()
        out: set[str] = set()
        for c in d.classes:
            out |= self.class_ancestors(c)
        for comp in d.components:  # a regimen has its components' classes
            out |= self.drug_classes(comp) if comp in self.drugs else self.class_ancestors(comp)
        return frozenset(out)

    def components(self, drug: str) -> list[str]:
        """Component drugs of a combination regimen (empty for a single drug)."""
        d = self.drugs.get(drug)
        return [c for c in d.components if c in self.drugs] if d else []

    def class_label(self, cid: str) -> str:
        return self.classes.get(cid, {}).get("label", cid)

    def lookup_drug(self, name: str) -> Drug | None:
        """Generic name, brand name or code -> Drug (case, spaces and hyphens ignored)."""
        key = term_stems(name)
        for hit in self.trie_lookup(key):
            if hit[0] == "drug":
                return self.drugs[hit[1]]
        return None

    def lookup_class(self, name: str) -> str | None:
        key = term_stems(name)
        for hit in self.trie_lookup(key):
            if hit[0] == "class":
                return hit[1]
        return None

    def trie_lookup(self, key: tuple[str, ...]) -> list[tuple[str, str]]:
        node = self.trie
        for k in key:
            node = node.get(k)
            if node is None:
                return []
        return list(node.get("$", []))

    # ---------- matching ----------
    def find(self, tokens: list[Token], kinds: tuple[str, ...] = ("concept", "drug", "class")) -> list[Hit]:
        """Longest-match vocabulary hits over a token list (hits may not cross sentences)."""
        hits: list[Hit] = []
        n = len(tokens)
        i = 0
        while i < n:
            node = self.trie
            best: tuple[int, list] | None = None
            j = i
            while j < n and tokens[j].sent == tokens[i].sent:
                node = node.get(tokens[j].stem)
                if node is None:
                    break
                j += 1
                if "$" in node:
                    key = tuple(t.stem for t in tokens[i:j])
                    if key in self.short_terms and not _caps_ok(tokens[i:j]):
                        continue
                    best = (j, node["$"])
            if best:
                j, payload = best
                concepts = [cid for kind, cid in payload if kind == "concept"]
                for kind, cid in payload:
                    if kind not in kinds:
                        continue
                    if kind == "concept" and any(o != cid and cid in self.concept_ancestors(o) for o in concepts):
                        continue  # a more specific concept has the same term (IDDM: type 1 diabetes, not diabetes)
                    hits.append(Hit(i, j, kind, cid))
                i = j
            else:
                i += 1
        return hits

    def correct(self, word: str) -> str | None:
        """Spelling correction of a patient word (normalised, unstemmed) to a vocabulary word's stem
        (edit distance 1, or 2 for words of 9+ letters)."""
        if len(word) < 6 or word in self.words or not word.isalpha():
            return None
        k = 2 if len(word) >= 9 else 1
        best = None
        for v in self._vocab_by_first.get(word[0], ()):
            if abs(len(v) - len(word)) <= k and edit_distance_le(word, v, k):
                if best is None or len(v) > len(best):
                    best = v
        return stem(best) if best else None


def _caps_ok(toks: list[Token]) -> bool:
    return all(not t.raw.isalpha() or t.raw.isupper() or len(t.raw) > 3 for t in toks)


def _add(trie: dict, key: tuple[str, ...], payload: tuple[str, str]) -> None:
    if not key:
        return
    node = trie
    for k in key:
        node = node.setdefault(k, {})
    lst = node.setdefault("$", [])
    if payload not in lst:
        lst.append(payload)


@lru_cache(maxsize=1)
def get_lexicon() -> Lexicon:
    craw = _load("screening_concepts.yaml")
    cdata = craw["concepts"]
    ddata = _load("drugs.yaml")
    ctx = _load("screening_context.yaml")
    concept_parents = {k: list(v.get("parents", [])) for k, v in cdata.items()}
    classes = ddata["classes"]
    class_parents = {k: list(v.get("parents", [])) for k, v in classes.items()}
    drugs = {
        name: Drug(name, [str(a) for a in v.get("aliases", [])], list(v.get("classes") or []), v.get("pred_equiv"),
                   [str(c) for c in v.get("components", []) or []])
        for name, v in ddata["drugs"].items()
    }
    lex = Lexicon(cdata, concept_parents, drugs, classes, class_parents, ctx)
    for cid, v in cdata.items():
        for site in v.get("sites", []) or []:
            lex.sites[str(site).lower()] = cid
    lex.cohort_abbreviations = {str(k).lower(): v for k, v in (craw.get("cohort_abbreviations") or {}).items()}
    short: set[tuple[str, ...]] = set()

    def add(term: str, payload: tuple[str, str]) -> None:
        key = term_stems(term)
        _add(lex.trie, key, payload)
        lex.vocab.update(k for k in key if k.isalpha())
        lex.words.update(norm_word(m.group(0)) for m in WORD_RE.finditer(term) if m.group(0).isalpha())
        t = term.strip()
        if t.isalpha() and len(t) <= 3:
            short.add(key)

    for cid, v in cdata.items():
        for t in v.get("terms", []):
            add(str(t), ("concept", cid))
    for name, d in drugs.items():
        add(name, ("drug", name))
        for a in d.aliases:
            add(a, ("drug", name))
    for cid, v in classes.items():
        for a in v.get("aliases", []):
            add(str(a), ("class", cid))
    lex.short_terms = short
    by_first: dict[str, list[str]] = {}
    for v in lex.words:
        if len(v) >= 5:
            by_first.setdefault(v[0], []).append(v)
    lex._vocab_by_first = by_first  # type: ignore[attr-defined]
    return lex
