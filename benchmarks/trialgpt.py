"""External evaluation of the eligibility screener on the TrialGPT criterion annotations (SIGIR cohort).

Data (read-only, outside the repo): ../shared/data/external/trialgpt_criterion/ (see its SOURCE.md).
  * criterion level: yaki6_clinical-trial-matching-medgemma/data/hf_cache/trialgpt_criterion_annotations.json
    expert labels mapped: included / not excluded -> meets; not included / excluded -> fails;
    not enough information / not applicable -> unknown.
  * trial level: mikeS141618_TrialGPT/dataset/sigir/retrieved_trials.json, label 2 (eligible) vs 1 (excluded);
    the trial's inclusion / exclusion text is split into items and screened with screen_criteria; a trial is
    predicted "excluded" when the verdict is "not eligible".

Parts: --part dev = patients "sigir-2014*" (development, tune on it); --part test = "sigir-2015*" (held out:
run once for the report, never to tune); --part own = evals/screening/criteria.dev.jsonl, our own blind development
rows (TREC 2021/2022 patient notes × criteria of the development-part trials, labelled by a helper who had not seen the
code; the file stores ids and item numbers, the texts are read from ../shared); --part own-check =
evals/screening/criteria.check.jsonl, a blind check written the same way on oncology notes × NLI4CT eligibility
lines (report only: run at its arrival and at the end of the work, never tuned on).

    .venv/bin/python benchmarks/trialgpt.py --part dev
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.screening import CriterionInput, check_criterion, screen_criteria  # noqa: E402
from assistant.evaluate import wilson  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "external" / "trialgpt_criterion"
ANN = DATA / "yaki6_clinical-trial-matching-medgemma" / "data" / "hf_cache" / "trialgpt_criterion_annotations.json"
TRIALS = DATA / "mikeS141618_TrialGPT" / "dataset" / "sigir" / "retrieved_trials.json"
LABEL = {"included": "meets", "not excluded": "meets", "not included": "fails", "excluded": "fails",
         "not enough information": "unknown", "not applicable": "unknown"}
CLASSES = ("meets", "fails", "unknown")
PREFIX = {"dev": "sigir-2014", "test": "sigir-2015"}


def split_items(text: str) -> list[str]:
    text = text or ""
    parts = re.split(r"\n\s*\n|\n\s*(?:-|\*|•|\d{1,2}[.)])\s+", text)
    out = []
    for p in parts:
        p = " ".join(p.split()).strip()
        p = re.sub(r"^(?:inclusion|exclusion)\s+criteria\s*:?\s*", "", p, flags=re.I).strip(" :")
        if len(p) >= 3 and not re.fullmatch(r"(?:inclusion|exclusion)?\s*criteria\s*:?", p, re.I):
            out.append(p)
    return out


OWN = ROOT / "evals" / "screening" / "criteria.dev.jsonl"
CORPUS = DATA / "mikeS141618_TrialGPT" / "dataset" / "sigir" / "corpus.jsonl"
QUERIES = [DATA / "ncbi-nlp_TrialGPT" / "dataset" / c / "queries.jsonl" for c in ("trec_2021", "trec_2022")]


OWN_CHECK = ROOT / "evals" / "screening" / "criteria.check.jsonl"
NLI4CT_TRIALS = ROOT.parent / "shared" / "data" / "nli4ct" / "trials"


def own_rows(path: Path = OWN) -> list[dict]:
    """Our blind rows, their texts resolved from ../shared: the note by patient id; the criterion by item number of a
    SIGIR-corpus trial ("item") or by line of an NLI4CT report's eligibility section ("line")."""
    trials = {}
    for line in CORPUS.read_text().splitlines():
        d = json.loads(line)
        trials[d["_id"]] = d["metadata"]
    notes = {}
    for q in QUERIES:
        for line in q.read_text().splitlines():
            d = json.loads(line)
            notes[d["_id"]] = d["text"]
    rows = []
    for line in path.read_text().splitlines():
        r = json.loads(line)
        if "line" in r:
            record = json.loads((NLI4CT_TRIALS / f"{r['trial_id']}.json").read_text())
            text = re.sub(r"^\s*(?:\d{1,2}[.)]|[-•*])\s+", "", record["Eligibility"][r["line"]]).strip()
        else:
            text = split_items(trials[r["trial_id"]][f"{r['criterion_type']}_criteria"])[r["item"]]
        rows.append({"patient_id": r["patient_id"], "note": notes[r["patient_id"]], "criterion_text": text,
                     "criterion_type": r["criterion_type"], "gold": r["expected"]})
    return rows


def criterion_level(part: str, verbose: bool) -> None:
    if part in ("own", "own-check"):
        rows = own_rows(OWN if part == "own" else OWN_CHECK)
    else:
        rows = [dict(r, gold=LABEL[r["expert_eligibility"]]) for r in json.loads(ANN.read_text()) if r["patient_id"].startswith(PREFIX[part])]
    t0 = time.perf_counter()
    preds = []
    for r in rows:
        v = check_criterion(r["note"], r["criterion_text"], r["criterion_type"])
        preds.append(v)
    dt = time.perf_counter() - t0
    gold = [r["gold"] for r in rows]
    pred = [v.status for v in preds]
    n = len(rows)
    acc = sum(g == p for g, p in zip(gold, pred)) / n
    f1s = {}
    for c in CLASSES:
        tp = sum(g == c and p == c for g, p in zip(gold, pred))
        fp = sum(g != c and p == c for g, p in zip(gold, pred))
        fn = sum(g == c and p != c for g, p in zip(gold, pred))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1s[c] = (prec, rec, 2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    macro = sum(f[2] for f in f1s.values()) / 3
    lo, hi = wilson(sum(g == p for g, p in zip(gold, pred)), n)
    source = PREFIX[part] + "*" if part in PREFIX else (OWN if part == "own" else OWN_CHECK).name
    print(f"TrialGPT criterion level, part={part}: {n} rows ({source})")
    print(f"  accuracy           {acc:.3f}  (95% CI {lo:.3f}-{hi:.3f})")
    print(f"  macro-F1           {macro:.3f}")
    for c in CLASSES:
        p_, r_, f_ = f1s[c]
        print(f"  {c:8s} P {p_:.3f}  R {r_:.3f}  F1 {f_:.3f}  (gold {gold.count(c)}, predicted {pred.count(c)})")
    print(f"  fails recall {f1s['fails'][1]:.3f}, precision {f1s['fails'][0]:.3f}")
    print(f"  gold fails called meets: {sum(g == 'fails' and p == 'meets' for g, p in zip(gold, pred))}")
    print(f"  invented verdicts (gold unknown, predicted meets/fails): {sum(g == 'unknown' and p != 'unknown' for g, p in zip(gold, pred))}")
    for ty in ("inclusion", "exclusion"):
        idx = [i for i, r in enumerate(rows) if r["criterion_type"] == ty]
        a = sum(gold[i] == pred[i] for i in idx) / max(1, len(idx))
        print(f"  {ty:9s} accuracy {a:.3f} ({len(idx)} rows)")
    print("  confusion (rows gold, columns predicted):")
    print("             " + "".join(f"{c:>9s}" for c in CLASSES))
    cm = Counter(zip(gold, pred))
    for g in CLASSES:
        print(f"    {g:9s}" + "".join(f"{cm[(g, p)]:9d}" for p in CLASSES))
    print(f"  speed: {n / dt:.1f} rows/s ({dt:.1f} s for {n} rows)")
    if verbose:
        for r, g, v in zip(rows, gold, preds):
            if g != v.status:
                print(f"  [{r['patient_id']} {r['criterion_type'][:3]}] gold={g} pred={v.status} kind={v.kind} :: "
                      f"{r['criterion_text'][:110]!r} -> {v.reason[:110]} {v.patient_evidence[:2]}")


def trial_level(part: str) -> None:
    pats = [p for p in json.loads(TRIALS.read_text()) if p["patient_id"].startswith(PREFIX[part])]
    n = correct = 0
    counts = Counter()
    t0 = time.perf_counter()
    for p in pats:
        for label in ("2", "1"):
            for trial in p.get(label, []):
                crits = [CriterionInput(t, "inclusion") for t in split_items(trial.get("inclusion_criteria", ""))]
                crits += [CriterionInput(t, "exclusion") for t in split_items(trial.get("exclusion_criteria", ""))]
                ts = screen_criteria(p["patient"], crits)
                pred = "1" if ts.verdict == "not eligible" else "2"
                counts[(label, ts.verdict)] += 1
                n += 1
                correct += pred == label
    dt = time.perf_counter() - t0
    lo, hi = wilson(correct, n)
    print(f"TrialGPT trial level, part={part}: {n} labelled pairs (2 = eligible, 1 = excluded)")
    print(f"  eligible-vs-excluded accuracy {correct / max(1, n):.3f} (95% CI {lo:.3f}-{hi:.3f}); "
          f"predicted excluded = verdict 'not eligible'")
    for label in ("2", "1"):
        print(f"    label {label}: " + ", ".join(f"{v} {counts[(label, v)]}" for v in ("eligible", "uncertain", "not eligible")))
    print(f"  {dt / max(1, n) * 1000:.0f} ms per trial")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", choices=("dev", "test", "own", "own-check"), default="dev")
    ap.add_argument("--errors", action="store_true", help="list disagreements (development parts only)")
    args = ap.parse_args(argv)
    if not ANN.exists():
        print(f"data not found: {ANN}", file=sys.stderr)
        return 2
    criterion_level(args.part, args.errors and args.part in ("dev", "own"))
    if args.part in ("dev", "test"):
        trial_level(args.part)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
