"""Fit the evidence scorer's weights and the abstention threshold on development data (never on held-out cases).

Labelled (question, unit) pairs come from two sources:

1. the development split of the project's own eval questions (``split: dev``): a retrieved unit is positive when
   it holds an expected fact of an expected document;
2. NLI4CT ``train.json`` statements about single trials (not the eval reports, not the test part): a retrieved
   unit is positive when it quotes one of the statement's gold evidence lines.

A logistic regression over the features of ``select.FEATURES`` gives the weights; the threshold is then chosen
on the development questions by running the whole pipeline, minimising wrong answers (counted twice) plus false
abstentions. ``assistant fit`` prints the values to put in ``Settings`` and the figures it measured.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np

from .evaluate import NLI4CT_DIR, ROOT, build_suite_index, gold_units, load_cases, load_suites, run_cases, aggregate
from .select import FEATURES, unit_features
from .settings import Settings

NLI4CT_TRAIN = NLI4CT_DIR.parent / "train.json"
FIT_SECTIONS = {"Eligibility", "Results", "Adverse Events", "Intervention"}


def candidate_rows(assistant, question: str, history: list[dict], gold: set[tuple[str, int]], scope: list[str] | None = None) -> list[tuple[list[float], int]]:
    from .query import plan_query

    plan = plan_query(question, assistant.catalog, assistant.df, assistant.n_units, history=history,
                      context_weight=assistant.settings.context_weight)
    if scope is not None:
        plan.doc_ids = scope
    cands, _ = assistant.retriever.retrieve(question, plan.search_text, plan.doc_ids)
    bm25_max = max((c.bm25 for c in cands), default=0.0)
    dense_max = max((c.dense for c in cands), default=0.0)
    rows, seen = [], set()
    for c in cands:
        key = (c.doc_id, c.unit)
        if key in seen:
            continue
        seen.add(key)
        doc = assistant.docs[c.doc_id]
        f, _ = unit_features(plan, c, doc, doc.units[c.unit], bm25_max, dense_max)
        rows.append(([f[k] for k in FEATURES], int(key in gold)))
    return rows


def dev_question_rows(settings: Settings, work: Path) -> tuple[list, dict]:
    from .pipeline import Assistant

    rows, assistants = [], {}
    for name, spec in load_suites().items():
        idx = build_suite_index(name, settings, work)
        if idx is None:
            continue
        a = Assistant.open(idx, settings)
        assistants[name] = a
        for case in load_cases([ROOT / f for f in spec["cases"]], "dev"):
            if not case.get("answerable", True):
                continue
            gold = gold_units(case, a)
            if gold:
                rows += candidate_rows(a, case["question"], case.get("history") or [], gold)
    return rows, assistants


def nli4ct_rows(settings: Settings, work: Path, n_trials: int, seed: int = 7) -> list:
    """Pairs from NLI4CT train statements about trials that are not in the eval corpus."""
    from .adapters.nli4ct import render
    from .corpus import load_documents
    from .pipeline import Assistant
    from .store import ingest

    if not NLI4CT_TRAIN.is_file():
        return []
    eval_ids = set()
    for spec in load_suites().values():
        nl = spec.get("nli4ct") or {}
        eval_ids |= set(nl.get("text", [])) | set(nl.get("json", []))
    statements = [s for s in json.loads(NLI4CT_TRAIN.read_text()).values() if s["Type"] == "Single" and s["Section_id"] in FIT_SECTIONS]
    trials = sorted({s["Primary_id"] for s in statements} - eval_ids)
    random.Random(seed).shuffle(trials)
    trials = trials[:n_trials]
    folder = work / "fit-nli4ct"
    folder.mkdir(parents=True, exist_ok=True)
    for t in trials:
        (folder / f"{t}.json").write_text((NLI4CT_DIR / f"{t}.json").read_text())
    loaded = load_documents([folder])
    idx = work / "fit-index"
    from .store import read_meta

    meta = read_meta(idx)
    ingest(loaded.docs, settings, idx, rebuild=meta is not None and meta.get("fingerprint") != settings.fingerprint(), replace_sources=[folder], show_progress=False)
    a = Assistant.open(idx, settings)
    rows = []
    wanted = set(trials)
    for s in statements:
        tid = s["Primary_id"]
        if tid not in wanted or tid not in a.docs:
            continue
        record = json.loads((NLI4CT_DIR / f"{tid}.json").read_text())
        _, spans, _ = render(record)
        doc = a.docs[tid]
        gold_spans = [spans[(s["Section_id"], i)] for i in s.get("Primary_evidence_index", []) if (s["Section_id"], i) in spans]
        gold = {(tid, i) for i, u in enumerate(doc.units) if any(gs <= u.start and u.end <= ge for gs, ge in gold_spans)}
        if gold:
            rows += candidate_rows(a, s["Statement"], [], gold, scope=[tid])
    return rows


def fit_weights(dev_rows: list, nli_rows: list, dev_weight: float = 3.0) -> dict:
    from sklearn.linear_model import LogisticRegression

    X = np.array([r[0] for r in dev_rows + nli_rows], dtype=float)
    y = np.array([r[1] for r in dev_rows + nli_rows])
    w = np.array([dev_weight] * len(dev_rows) + [1.0] * len(nli_rows))
    model = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced")
    model.fit(X, y, sample_weight=w)
    out = {f"w_{k}": round(float(v), 2) for k, v in zip(FEATURES, model.coef_[0])}
    out["bias"] = round(float(model.intercept_[0]), 2)
    return out


def fit_threshold(assistants: dict, settings: Settings, grid=None, coverages=None) -> tuple[tuple[float, float], list]:
    """Choose (answer_threshold, min_coverage) on the development questions: fewest wrong answers (counted twice)
    plus false abstentions; ties go to the stricter setting."""
    grid = grid or [round(x, 2) for x in np.arange(0.3, 0.85, 0.05)]
    coverages = coverages or [0.1, 0.15, 0.2]
    table = []
    cases = {name: load_cases([ROOT / f for f in load_suites()[name]["cases"]], "dev") for name in assistants}
    for cov in coverages:
        for t in grid:
            s2 = settings.model_copy(update={"answer_threshold": t, "min_coverage": cov})
            rows = []
            for name, a in assistants.items():
                a.settings = s2
                a.retriever.settings = s2
                rows += run_cases(a, cases[name])
            g = aggregate(rows)["all"]
            cost = 2 * g["wrong_count"] + g["false_abstention_count"]
            table.append(((t, cov), cost, g["right"], g["wrong_count"], g["false_abstention_count"], g["unanswerable_abstained"]))
    for a in assistants.values():
        a.settings = settings
        a.retriever.settings = settings
    best = min(table, key=lambda r: (r[1], -r[0][0], -r[0][1]))
    return best[0], table


def main(settings: Settings, work: str | None = None, n_trials: int = 120, dev_weight: float = 3.0) -> int:
    work_root = Path(work) if work else settings.index_dir / "evals"
    dev_rows, assistants = dev_question_rows(settings, work_root)
    nli_rows = nli4ct_rows(settings, work_root, n_trials)
    print(f"pairs: {len(dev_rows)} from development questions ({sum(r[1] for r in dev_rows)} positive), "
          f"{len(nli_rows)} from NLI4CT train statements ({sum(r[1] for r in nli_rows)} positive)")
    weights = fit_weights(dev_rows, nli_rows, dev_weight)
    print("fitted weights:", json.dumps(weights))
    fitted = settings.model_copy(update=weights)
    for a in assistants.values():
        a.settings = fitted
        a.retriever.settings = fitted
    (threshold, coverage), table = fit_threshold(assistants, fitted)
    print("threshold  coverage  cost  right  wrong  false-abst  unans-abst   (development questions)")
    for (t, cov), cost, right, wrong, fa, ua in table:
        print(f"  {t:5.2f}  {cov:5.2f}  {cost:5d}  {right:5.1%}  {wrong:5d}  {fa:9d}  {ua if ua is None else f'{ua:6.1%}'}")
    print(f"answer_threshold: {threshold}  min_coverage: {coverage}")
    return 0
