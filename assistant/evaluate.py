"""Evaluation as plain code: metrics are functions of (case, answer); the runner aggregates them.

- fact accuracy: an answerable case is right when every expected fact (and expected phrase) is in the answer;
- citation support: an expected fact is supported when it appears in a cited verbatim quote from the
  expected document;
- abstention: unanswerable cases must abstain; answerable ones must not (false abstentions).
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .query import DASHES
from .settings import ROOT

CASES = ROOT / "evals" / "cases.jsonl"
THRESHOLDS = ROOT / "evals" / "thresholds.json"


def norm(text: str) -> str:
    return " ".join(text.translate(DASHES).lower().split())


def _docs(case: dict) -> set:
    d = case.get("expected_doc")
    return set(d) if isinstance(d, list) else {d}


def facts_in_answer(case: dict, answer) -> bool:
    text = norm(answer.answer)
    needed = case.get("expected_facts", []) + case.get("expected_phrases", [])
    return not answer.abstained and all(norm(f) in text for f in needed)


def supported_facts(case: dict, answer) -> tuple[int, int]:
    docs = _docs(case)
    quotes = [norm(c.quote) for c in answer.citations if c.doc_id in docs]
    facts = case.get("expected_facts", [])
    return sum(any(norm(f) in q for q in quotes) for f in facts), len(facts)


@dataclass
class EvalResult:
    rows: list[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    by_category: dict = field(default_factory=dict)


def run_eval(assistant, cases: list[dict]) -> EvalResult:
    result = EvalResult()
    cats: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    totals = defaultdict(int)
    for case in cases:
        ans = assistant.ask(case["question"], audience=case.get("audience", "clinician"), trial=case.get("trial"), history=case.get("history"), id=case["id"])
        cat = cats[case["category"]]
        cat["n"] += 1
        row = {"id": case["id"], "category": case["category"], "abstained": ans.abstained, "answer": ans.answer, "timing_ms": round(ans.timing_ms, 1)}
        if case.get("answerable", True):
            ok = facts_in_answer(case, ans)
            sup, tot = supported_facts(case, ans)
            row.update(correct=ok, supported=sup, facts=tot)
            cat["correct"] += ok
            cat["answerable"] += 1
            cat["supported"] += sup
            cat["facts"] += tot
            totals["answerable"] += 1
            totals["correct"] += ok
            totals["supported"] += sup
            totals["facts"] += tot
            totals["false_abstentions"] += ans.abstained
        else:
            row.update(correct=ans.abstained)
            cat["unanswerable"] += 1
            cat["abstained"] += ans.abstained
            totals["unanswerable"] += 1
            totals["abstained"] += ans.abstained
        result.rows.append(row)

    def ratio(a, b):
        return a / b if b else None

    result.summary = {
        "cases": len(cases),
        "fact_accuracy": ratio(totals["correct"], totals["answerable"]),
        "citation_support": ratio(totals["supported"], totals["facts"]),
        "abstention_accuracy": ratio(totals["abstained"], totals["unanswerable"]),
        "false_abstentions": totals["false_abstentions"],
    }
    result.by_category = {
        name: {
            "n": c["n"],
            "fact_accuracy": ratio(c["correct"], c["answerable"]),
            "citation_support": ratio(c["supported"], c["facts"]),
            "abstention_accuracy": ratio(c["abstained"], c["unanswerable"]),
        }
        for name, c in sorted(cats.items())
    }
    return result


def load_cases(path: Path | None = None) -> list[dict]:
    return [json.loads(line) for line in Path(path or CASES).read_text(encoding="utf-8").splitlines() if line.strip()]


def failures(summary: dict, thresholds: dict) -> list[str]:
    out = []
    for key in ("fact_accuracy", "citation_support", "abstention_accuracy"):
        if summary[key] is not None and summary[key] < thresholds[key]:
            out.append(f"{key} {summary[key]:.3f} < {thresholds[key]}")
    if summary["false_abstentions"] > thresholds["false_abstentions"]:
        out.append(f"false_abstentions {summary['false_abstentions']} > {thresholds['false_abstentions']}")
    return out


def _fmt(v) -> str:
    return "   -  " if v is None else f"{v:6.1%}"


def report(result: EvalResult) -> str:
    lines = [f"{'category':14} {'n':>3}  {'facts':>6}  {'cited':>6}  {'abstain':>7}"]
    for name, c in result.by_category.items():
        lines.append(f"{name:14} {c['n']:>3}  {_fmt(c['fact_accuracy'])}  {_fmt(c['citation_support'])}  {_fmt(c['abstention_accuracy']):>7}")
    s = result.summary
    lines.append(
        f"{'overall':14} {s['cases']:>3}  {_fmt(s['fact_accuracy'])}  {_fmt(s['citation_support'])}  {_fmt(s['abstention_accuracy']):>7}"
        f"   false abstentions: {s['false_abstentions']}"
    )
    return "\n".join(lines)


def main(settings, index_dir=None, cases=None, out=None) -> int:
    from .pipeline import Assistant

    assistant = Assistant.open(index_dir, settings)
    result = run_eval(assistant, load_cases(Path(cases) if cases else None))
    for row in result.rows:
        if not row["correct"]:
            print(f"FAIL {row['id']}: {row['answer'][:160]!r}")
    print(report(result))
    if out:
        Path(out).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in result.rows))
    problems = failures(result.summary, json.loads(THRESHOLDS.read_text()))
    for p in problems:
        print(f"below threshold: {p}", file=sys.stderr)
    return 1 if problems else 0
