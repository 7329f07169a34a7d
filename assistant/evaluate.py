"""Evaluation as plain code: metrics are functions of (case, answer); the runner aggregates them per corpus, split,
category and style.

Suites (``evals/suites.yaml``) name a corpus (folders, plus NLI4CT reports read from ``../shared`` and written
as registry-style text pages or kept as JSON, or files of an external set copied from ``../shared``) and case files. For every case:

- retrieval recall — a gold unit (a unit of an expected document holding an expected fact) was retrieved;
- selection — a gold unit was quoted;
- right — answered, every expected fact is in the answer, inside a quote cited from an expected document;
- wrong — answered but not right (for an unanswerable case: answered at all). Worse than abstaining;
- false abstention — an answerable case abstained;
- unanswerable abstained — an unanswerable case abstained.

``assistant eval`` exits non-zero when a gated figure of ``evals/thresholds.json`` is missed.
"""

from __future__ import annotations

import json
import math
import sys
from collections import defaultdict
from pathlib import Path

import yaml

from .settings import ROOT, Settings
from .vocab import DASHES

SUITES = ROOT / "evals" / "suites.yaml"
THRESHOLDS = ROOT / "evals" / "thresholds.json"
NLI4CT_DIR = ROOT.parent / "shared" / "data" / "nli4ct" / "trials"


def norm(text: str) -> str:
    return " ".join(text.translate(DASHES).lower().split())


# --------------------------------------------------------------------------- corpora
def nli4ct_text_page(record: dict) -> str:
    """An NLI4CT report written as a plain registry-style text page (no manifest, no structure beyond the text)."""
    from .adapters.nli4ct import title

    parts = [title(record), ""]
    for section in ("Intervention", "Eligibility", "Results", "Adverse Events"):
        lines = record.get(section) or []
        parts.append(section)
        parts.extend(str(x).replace("\n", " ").rstrip() for x in lines)
        parts.append("")
    return "\n".join(parts)


def materialize(suite: dict, work: Path) -> list[Path] | None:
    """The suite's document paths; NLI4CT reports and external documents are copied/written under ``work``. None if
    data is missing."""
    paths = [ROOT / p for p in suite.get("paths", [])]
    spec = suite.get("nli4ct")
    if spec:
        if not NLI4CT_DIR.is_dir():
            return None
        folder = work / "nli4ct"
        folder.mkdir(parents=True, exist_ok=True)
        wanted = set()
        for trial_id in spec.get("text", []):
            record = json.loads((NLI4CT_DIR / f"{trial_id}.json").read_text(encoding="utf-8"))
            target = folder / f"{trial_id}.txt"
            page = nli4ct_text_page(record)
            if not target.is_file() or target.read_text(encoding="utf-8") != page:
                target.write_text(page, encoding="utf-8")
            wanted.add(target.name)
        for trial_id in spec.get("json", []):
            target = folder / f"{trial_id}.json"
            data = (NLI4CT_DIR / f"{trial_id}.json").read_text(encoding="utf-8")
            if not target.is_file() or target.read_text(encoding="utf-8") != data:
                target.write_text(data, encoding="utf-8")
            wanted.add(target.name)
        for stale in folder.iterdir():
            if stale.name not in wanted:
                stale.unlink()
        paths.append(folder)
    shared = suite.get("shared")
    if shared:  # documents of an external set, copied from ../shared (never committed)
        source = ROOT.parent / "shared" / shared["dir"]
        if not source.is_dir():
            return None
        folder = work / "shared"
        folder.mkdir(parents=True, exist_ok=True)
        for name in shared["files"]:
            data = (source / name).read_bytes()
            target = folder / name
            if not target.is_file() or target.read_bytes() != data:
                target.write_bytes(data)
        for stale in folder.iterdir():
            if stale.name not in shared["files"]:
                stale.unlink()
        paths.append(folder)
    return paths


def load_suites() -> dict:
    return yaml.safe_load(SUITES.read_text(encoding="utf-8"))


def build_suite_index(name: str, settings: Settings, work_root: Path, use_manifest: bool = True, quiet: bool = True) -> Path | None:
    """Build (or refresh) the index of a suite's corpus under ``work_root``; None if its data is absent."""
    from .corpus import load_documents
    from .store import ingest, read_meta

    suite = load_suites()[name]
    work = work_root / name
    paths = materialize(suite, work)
    if paths is None:
        return None
    loaded = load_documents(paths, use_manifest=use_manifest)
    index_dir = work / ("index" if use_manifest else "index-nomanifest")
    meta = read_meta(index_dir)
    stale = meta is not None and meta.get("fingerprint") != settings.fingerprint()
    ingest(loaded.docs, settings, index_dir, rebuild=stale, replace_sources=paths, show_progress=not quiet)
    return index_dir


def load_cases(files: list[Path], split: str | None = None) -> list[dict]:
    out = []
    for f in files:
        for line in Path(f).read_text(encoding="utf-8").splitlines():
            if line.strip():
                case = json.loads(line)
                if split in (None, "all") or case.get("split") == split:
                    out.append(case)
    return out


# --------------------------------------------------------------------------- metrics (plain functions)
def gold_units(case: dict, assistant) -> set[tuple[str, int]]:
    out = set()
    facts = [norm(f) for f in case.get("expected_facts", [])]
    for doc_id in case.get("expected_docs", []):
        doc = assistant.docs.get(doc_id)
        if doc is None:
            continue
        for i, u in enumerate(doc.units):
            text = norm(doc.text[u.start : u.end])
            if any(f in text for f in facts):
                out.add((doc_id, i))
    return out


def is_right(case: dict, answer) -> bool:
    if answer.abstained:
        return False
    text = norm(answer.answer)
    docs = set(case.get("expected_docs", []))
    quotes = [norm(c.quote) for c in answer.citations if c.doc_id in docs]
    for fact in case.get("expected_facts", []):
        f = norm(fact)
        if f not in text or not any(f in q for q in quotes):
            return False
    return True


def score_case(case: dict, answer, assistant) -> dict:
    row = {
        "id": case["id"], "split": case.get("split"), "corpus": case.get("corpus"), "category": case.get("category"),
        "style": case.get("style"), "answerable": case.get("answerable", True), "abstained": answer.abstained,
        "strategy": answer.strategy, "answer": answer.answer, "timing_ms": round(answer.timing_ms, 1),
    }
    if row["answerable"]:
        gold = gold_units(case, assistant)
        retrieved = set(map(tuple, answer.trace.get("retrieved", [])))
        cited = {(c.doc_id, u) for c in answer.citations for u in _units_of(assistant, c)}
        row["retrieved"] = bool(gold & retrieved) or (answer.strategy in ("list", "contact", "age") and bool(gold & cited))
        row["selected"] = bool(gold & cited)
        row["right"] = is_right(case, answer)
        row["wrong"] = not answer.abstained and not row["right"]
        row["false_abstention"] = answer.abstained
    else:
        row["right"] = answer.abstained
        row["wrong"] = not answer.abstained
    return row


def _units_of(assistant, citation) -> list[int]:
    doc = assistant.docs.get(citation.doc_id)
    if doc is None:
        return []
    return [i for i, u in enumerate(doc.units) if u.start < citation.end and citation.start < u.end]


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % Wilson score interval of a proportion k / n (the benchmarks print it beside their figures)."""
    if n == 0:
        return (0.0, 0.0)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (c - h, c + h)


def aggregate(rows: list[dict], key=lambda r: "all") -> dict:
    out: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        for k in (key(r), "all") if key(r) != "all" else ("all",):
            g = out[k]
            g["n"] += 1
            if r["answerable"]:
                g["answerable"] += 1
                g["retrieved"] += r["retrieved"]
                g["selected"] += r["selected"]
                g["right"] += r["right"]
                g["wrong"] += r["wrong"]
                g["false_abstentions"] += r["false_abstention"]
            else:
                g["unanswerable"] += 1
                g["unanswerable_abstained"] += r["right"]
                g["wrong"] += r["wrong"]
    result = {}
    for k, g in out.items():
        a, u = g["answerable"], g["unanswerable"]
        result[k] = {
            "n": g["n"],
            "answerable": a,
            "unanswerable": u,
            "retrieval_recall": g["retrieved"] / a if a else None,
            "selection": g["selected"] / a if a else None,
            "right": g["right"] / a if a else None,
            "wrong": g["wrong"] / g["n"] if g["n"] else None,
            "wrong_count": g["wrong"],
            "false_abstentions": g["false_abstentions"] / a if a else None,
            "false_abstention_count": g["false_abstentions"],
            "unanswerable_abstained": g["unanswerable_abstained"] / u if u else None,
        }
    return result


def run_cases(assistant, cases: list[dict]) -> list[dict]:
    rows = []
    for case in cases:
        ans = assistant.ask(case["question"], audience=case.get("audience", "clinician"), trial=case.get("trial"), history=case.get("history") or [], id=case["id"])
        rows.append(score_case(case, ans, assistant))
    return rows


def _pct(v) -> str:
    return "    - " if v is None else f"{v:6.1%}"


def report(title: str, groups: dict) -> str:
    lines = [f"{title}", f"  {'group':22} {'n':>4} {'retr.':>7} {'select':>7} {'right':>7} {'wrong':>7} {'f.abst':>7} {'unans.abst':>10}"]
    for k in sorted(groups, key=lambda k: (k != "all", k)):
        g = groups[k]
        lines.append(
            f"  {k:22} {g['n']:>4} {_pct(g['retrieval_recall'])} {_pct(g['selection'])} {_pct(g['right'])} {_pct(g['wrong'])}"
            f" {_pct(g['false_abstentions'])} {_pct(g['unanswerable_abstained']):>10}"
        )
    return "\n".join(lines)


def failures(groups: dict, thresholds: dict) -> list[str]:
    g = groups.get("all")
    if not g:
        return []
    out = []
    for key, limit in thresholds.items():
        value = g.get(key)
        if value is None:
            continue
        worse = value > limit if key in ("wrong", "false_abstentions") else value < limit
        if worse:
            out.append(f"{key} {value:.3f} (limit {limit})")
    return out


def main(settings: Settings, suite: str = "all", split: str = "all", cases_file: str | None = None, index_dir: str | None = None,
         out: str | None = None, no_manifest: bool = False, work: str | None = None, show_failures: bool = True) -> int:
    from .pipeline import Assistant

    suites = load_suites()
    names = list(suites) if suite == "all" else ([] if suite == "screening" else [suite])
    thresholds = json.loads(THRESHOLDS.read_text())
    work_root = Path(work) if work else settings.index_dir / "evals"
    all_rows, problems = [], []
    for name in names:
        spec = suites[name]
        if index_dir:
            idx = Path(index_dir)
        else:
            idx = build_suite_index(name, settings, work_root, use_manifest=not no_manifest)
            if idx is None:
                print(f"{name}: skipped (its data is not available under {ROOT.parent / 'shared'})")
                continue
        files = [Path(cases_file)] if cases_file else [ROOT / f for f in spec["cases"]]
        cases = load_cases(files, split)
        assistant = Assistant.open(idx, settings)
        rows = run_cases(assistant, cases)
        for r in rows:
            r["suite"] = name
        all_rows += rows
        if show_failures:
            for r in rows:
                if r["wrong"] or (r["answerable"] and r["false_abstention"]):
                    tag = "WRONG" if r["wrong"] else "ABSTAINED"
                    print(f"{tag:9} {name}/{r['id']}: {' '.join(r['answer'].split())[:150]!r}")
        for sp in ("dev", "heldout", "check", "legacy"):
            sub = [r for r in rows if r["split"] == sp]
            if not sub:
                continue
            groups = aggregate(sub, key=lambda r: f"{r['category']}")
            print(report(f"{name} / {sp}{' (no manifest)' if no_manifest else ''}", groups))
            limits = thresholds.get(name, {}).get(sp) if not cases_file and not no_manifest else None
            if limits:
                problems += [f"{name}/{sp}: {p}" for p in failures(groups, limits)]
    if suite in ("all", "screening") and not cases_file:
        rows, summary = screening_main(settings, split, index_dir if suite == "screening" else None, work)
        for r in rows:
            if not r["verdict_right"] or not r["deciding_right"]:
                print(f"SCREEN    {r['id']} [{r['trial']}]: expected {r['expected']}, got {r['verdict']}; deciding criteria {'right' if r['deciding_right'] else 'missed'}")
        for sp, g in summary.items():
            print(f"screening / {sp}: {g['trials']} trial verdicts, right {g['verdicts_right']:.1%}, deciding criteria right "
                  f"{g['deciding_right']:.1%}, failing patients called eligible: {g['failing_called_eligible']}")
        limits = thresholds.get("screening", {})
        for sp, lim in limits.items():
            g = summary.get(sp)
            if g and (g["verdicts_right"] < lim["verdicts_right"] or g["deciding_right"] < lim["deciding_right"] or g["failing_called_eligible"] > lim["failing_called_eligible"]):
                problems.append(f"screening/{sp}: {g}")
    if len(names) > 1 and all_rows:
        for sp in ("dev", "heldout", "check"):
            sub = [r for r in all_rows if r["split"] == sp]
            if sub:
                print(report(f"all suites / {sp}", aggregate(sub, key=lambda r: r["style"] or "?")))
    if out:
        Path(out).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in all_rows))
    for p in problems:
        print(f"below threshold: {p}", file=sys.stderr)
    return 1 if problems else 0


# --------------------------------------------------------------------------- screening cases
SCREENING_CASES = ROOT / "evals" / "screening" / "cases.jsonl"


def score_screening_case(case: dict, out: dict) -> list[dict]:
    """One row per expected trial: verdict right, deciding criteria right, failing patient called eligible."""
    rows = []
    got = {t["trial"]: t for t in out.get("trials", [])}
    for exp in case["expected"]:
        t = got.get(exp["trial"])
        verdict = t["verdict"] if t else None
        row = {"id": case["id"], "split": case.get("split"), "style": case.get("style"), "trial": exp["trial"],
               "expected": exp["verdict"], "verdict": verdict}
        row["verdict_right"] = verdict == exp["verdict"]
        deciding = [norm(d) for d in exp.get("deciding", [])]
        if not deciding:
            row["deciding_right"] = row["verdict_right"]
        else:
            status = "fails" if exp["verdict"] == "not eligible" else "unknown"
            named = [norm(c["text"]) for c in (t["criteria"] if t else []) if c["status"] == status]
            row["deciding_right"] = any(d in c for d in deciding for c in named)
        row["failing_called_eligible"] = exp["verdict"] == "not eligible" and verdict == "eligible"
        rows.append(row)
    return rows


def screening_main(settings: Settings, split: str = "all", index_dir: str | None = None, work: str | None = None) -> tuple[list[dict], dict]:
    from .pipeline import Assistant

    idx = Path(index_dir) if index_dir else build_suite_index("seeds", settings, Path(work) if work else settings.index_dir / "evals")
    a = Assistant.open(idx, settings)
    cases = load_cases([SCREENING_CASES], split)
    rows = []
    for case in cases:
        out = a.screen(case["patient"], trial=case.get("trial"), audience=case.get("audience", "clinician"))
        rows += score_screening_case(case, out)
    summary = {}
    for sp in ("dev", "heldout", "all"):
        sub = [r for r in rows if sp == "all" or r["split"] == sp]
        if sub:
            summary[sp] = {
                "trials": len(sub),
                "verdicts_right": sum(r["verdict_right"] for r in sub) / len(sub),
                "deciding_right": sum(r["deciding_right"] for r in sub) / len(sub),
                "failing_called_eligible": sum(r["failing_called_eligible"] for r in sub),
            }
    return rows, summary
