"""External efficacy-figures benchmark: numbers per arm from published RCT reports (Yun et al., MLHC 2024).

Data (read-only, outside the repo): ../shared/data/external/rct_numeric_extraction/ (see its SOURCE.md).
  * hyesunyun_llm-meta-analysis/evaluation/data/annotated_rct_dataset.json: 699 intervention-comparator-outcome
    triplets with human-extracted figures per arm: binary outcomes -> events / group size, continuous outcomes ->
    mean / SD / group size; an empty string means the report does not give that figure.
  * .../no_attributes_markdown_files/PMC<pmcid>.md: the report (abstract + results section) as Markdown.

Parts: --part dev = split DEV (43 triplets, 10 reports; develop and debug on it freely); --part test = split TEST
(656 triplets, 110 reports) is HELD OUT: run it to report a figure, never read its rows or documents to tune anything;
per-row output is disabled for it (only aggregate figures are printed).

The part's documents (those of the selected rows) are copied to <work>/docs/ and indexed with the project's own ingest
(no manifest), so each file PMC<pmcid>.md becomes document id "PMC<pmcid>". Every question is asked with
trial="PMC<pmcid>", i.e. scoped to the row's own report: this measures extraction within the right report, not
finding the report in the corpus.

Questions, generated mechanically from each row (its strings used as they are, trimmed), one per arm
(arm = the row's intervention, then its comparator):
  binary:     "How many participants in the {arm} group had {outcome}, out of how many?"
              -> gold {side}_events, {side}_group_size
  continuous: "What was the mean (SD) {outcome} in the {arm} group, and how many were analysed?"
              -> gold {side}_mean, {side}_standard_deviation, {side}_group_size

Scoring per field: a number token of the answer text (citation markers "[n]" and echoed sub-questions, i.e. lines
ending in "?", removed) and a number token of at least one cited quote must equal the gold value after float
conversion (93 = "93" = "93.0"; "930" is not 93; no percent or rounding tolerance); how many of those right fields
have the number in the lead answer (before the answerer's "Also reported:" list) is printed too. Gold reported: right / abstained (a false abstention) / wrong or missing. Gold empty: right if
the answer abstained, otherwise "answered a figure the report does not give" (counted apart). A triplet is all-right
when every field is right; one answer per arm cannot both give a figure and abstain, so a triplet mixing reported and
unreported figures is never all-right: the share among fully reported triplets is printed too.

    PYTHONPATH=. .venv/bin/python benchmarks/rct_numeric.py --part dev --show-failures
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

from assistant.corpus import load_documents  # noqa: E402
from assistant.evaluate import wilson  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.store import ingest, read_meta  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "external" / "rct_numeric_extraction" / "hyesunyun_llm-meta-analysis" / "evaluation" / "data"
ROWS = DATA / "annotated_rct_dataset.json"
DOCS = DATA / "no_attributes_markdown_files"
SPLIT = {"dev": "DEV", "test": "TEST"}
FIELDS = {"binary": ("events", "group_size"), "continuous": ("mean", "standard_deviation", "group_size")}
TEMPLATE = {"binary": "How many participants in the {arm} group had {outcome}, out of how many?",
            "continuous": "What was the mean (SD) {outcome} in the {arm} group, and how many were analysed?"}
BASELINES = """  published baselines (authors' metric files: TEST part, GPT-4 / Mistral-7B given the whole report text and the
  ICO triplet, no retrieval, exact match; a DIFFERENT setting, for context only):
    binary     fields (int. events / int. n / comp. events / comp. n)        GPT-4 74.9 / 84.2 / 73.7 / 83.0 %
               all fields of a triplet                                       GPT-4 65.5 %, Mistral-7B 16.4 %
    continuous fields (int. mean / SD / n, comp. mean / SD / n)             GPT-4 72.0 / 75.1 / 73.4 / 72.0 / 73.8 / 69.1 %
               all fields of a triplet                                       GPT-4 48.7 %, Mistral-7B 9.5 %"""

NUMBER = re.compile(r"(?<![\w.])(?:[-\u2212\u2013](?=\d))?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
MARKER = re.compile(r"\[\d+(?:\s*[,\u2013-]\s*\d+)*\]")
ALSO = re.compile(r"^\s*Also reported:", re.I | re.M)


def numbers(text: str) -> list[float]:
    """Every number token of ``text``: "93/103" -> [93, 103], "-0.7" / "\u22120.7" -> [-0.7], "1,831" -> [1831]."""
    return [float(t.replace(",", "").replace("\u2212", "-").replace("\u2013", "-")) for t in NUMBER.findall(text)]


def has_number(text: str, value) -> bool:
    """Whether some number token of ``text`` equals ``value`` exactly (after float conversion)."""
    gold = numbers(str(value))  # the gold written as the report writes it ("6,032.37")
    return len(gold) == 1 and gold[0] in numbers(text)


def is_empty(value) -> bool:
    return value is None or str(value).strip() == ""


def questions(row: dict) -> list[dict]:
    """One question per arm, with its gold fields ({field name: gold value or ""})."""
    out = []
    kind = row["outcome_type"]
    for side in ("intervention", "comparator"):
        q = TEMPLATE[kind].format(arm=str(row[side]).strip(), outcome=str(row["outcome"]).strip())
        out.append({"question": q, "side": side, "gold": {f"{side}_{f}": row[f"{side}_{f}"] for f in FIELDS[kind]}})
    return out


def answer_text(answer, lead: bool = False) -> str:
    """The answer without citation markers and without lines ending in "?" (the answerer echoes each part of a
    compound question as a heading; its numbers are the question's, not the report's). ``lead``: only the text
    before the answerer's "Also reported:" list."""
    text = ALSO.split(answer.answer)[0] if lead else answer.answer
    return "\n".join(line for line in MARKER.sub(" ", text).splitlines() if not line.rstrip().endswith("?"))


def score_field(gold, answer, lead: bool = False) -> str:
    """right | abstained | wrong (gold reported); right | invented (gold empty)."""
    if is_empty(gold):
        return "right" if answer.abstained else "invented"
    if answer.abstained:
        return "abstained"
    ok = has_number(answer_text(answer, lead), gold) and any(has_number(c.quote, gold) for c in answer.citations)
    return "right" if ok else "wrong"


def load_rows(part: str, limit: int | None) -> list[dict]:
    rows = [r for r in json.loads(ROWS.read_text(encoding="utf-8")) if r["split"] == SPLIT[part]]
    return rows[:limit] if limit else rows


def sync_docs(pmcids: list, folder: Path) -> None:
    """Copy the reports into ``folder`` (only when changed) and drop files no longer wanted."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {f"PMC{p}.md" for p in pmcids}
    for name in wanted:
        data = (DOCS / name).read_bytes()
        target = folder / name
        if not target.is_file() or target.read_bytes() != data:
            target.write_bytes(data)
    for stale in folder.iterdir():
        if stale.name not in wanted:
            stale.unlink()


def build_index(folder: Path, settings: Settings, index_dir: Path) -> int:
    """Ingest ``folder`` as build_suite_index does (no manifest); returns the number of loader warnings."""
    loaded = load_documents([folder], use_manifest=False)
    meta = read_meta(index_dir)
    stale = meta is not None and meta.get("fingerprint") != settings.fingerprint()
    ingest(loaded.docs, settings, index_dir, rebuild=stale, replace_sources=[folder], show_progress=False)
    return len(loaded.warnings) + len(loaded.skipped)


def pct(k: int, n: int) -> str:
    if not n:
        return "n/a (none)"
    lo, hi = wilson(k, n)
    return f"{k}/{n} = {k / n:5.1%} (95% CI {lo:.1%}-{hi:.1%})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", choices=("dev", "test"), default="dev")
    ap.add_argument("--limit", type=int, default=None, help="only the first N triplets of the part")
    ap.add_argument("--work", default=None, help="working folder (default index/evals/rct_<part>)")
    ap.add_argument("--show-failures", action="store_true", help="print wrong/abstained questions (dev part only)")
    args = ap.parse_args(argv)
    if not ROWS.exists():
        print(f"data not found: {ROWS}", file=sys.stderr)
        return 2
    show = args.show_failures and args.part == "dev"
    if args.show_failures and not show:
        print("--show-failures is disabled for the held-out test part", file=sys.stderr)
    from assistant.pipeline import Assistant

    settings = Settings()
    work = Path(args.work) if args.work else ROOT / "index" / "evals" / f"rct_{args.part}"
    rows = load_rows(args.part, args.limit)
    pmcids = sorted({r["pmcid"] for r in rows})
    t0 = time.perf_counter()
    sync_docs(pmcids, work / "docs")
    warnings = build_index(work / "docs", settings, work / "index")
    assistant = Assistant.open(work / "index", settings)
    t_index = time.perf_counter() - t0

    fields: list[tuple[str, str, str, bool]] = []  # (outcome type, field name, result, gold empty?)
    empty_q = Counter()  # questions whose gold fields are all empty: abstained or not
    triplets = Counter()  # (type, fully reported?, all right?)
    n_questions, lead_right, t0 = 0, 0, time.perf_counter()
    for row in rows:
        kind, results = row["outcome_type"], []
        for q in questions(row):
            ans = assistant.ask(q["question"], audience="clinician", trial=f"PMC{row['pmcid']}", history=[])
            n_questions += 1
            res = {name: score_field(g, ans) for name, g in q["gold"].items()}
            results += res.values()
            for name, r in res.items():
                fields.append((kind, name, r, is_empty(q["gold"][name])))
                lead_right += r == "right" and not is_empty(q["gold"][name]) and score_field(q["gold"][name], ans, lead=True) == "right"
            if all(is_empty(g) for g in q["gold"].values()):
                empty_q["abstained" if ans.abstained else "answered"] += 1
            if show and any(r in ("wrong", "abstained", "invented") for r in res.values()):
                gold = ", ".join(f"{k.split('_', 1)[1]}={g if not is_empty(g) else '-'}" for k, g in q["gold"].items())
                print(f"{'ABSTAINED' if ans.abstained else 'WRONG':9} PMC{row['pmcid']} {q['question']!r}\n"
                      f"          gold {gold}; {res}\n          -> {' '.join(ans.answer.split())[:200]!r}")
        full = all(not is_empty(row[f"{s}_{f}"]) for s in ("intervention", "comparator") for f in FIELDS[kind])
        triplets[(kind, full, all(r == "right" for r in results))] += 1
    dt = time.perf_counter() - t0

    print(f"RCT numeric extraction, part={args.part}: {len(rows)} triplets from {len(pmcids)} reports, {n_questions} "
          f"questions, each scoped to its report (index {t_index:.0f} s, {warnings} loader warnings)")
    for label, kinds in (("all", ("binary", "continuous")), ("binary", ("binary",)), ("continuous", ("continuous",))):
        rep = [r for k, _, r, e in fields if k in kinds and not e]
        c = Counter(rep)
        print(f"  {label:10s} reported fields right {pct(c['right'], len(rep))}; false abstentions {c['abstained']}, "
              f"wrong or missing {c['wrong']}")
    n_right = sum(1 for _, _, r, e in fields if r == "right" and not e)
    print(f"  right fields whose number is in the lead answer (before 'Also reported:'): {lead_right}/{n_right}")
    for kind in ("binary", "continuous"):
        names = [f"{s}_{f}" for s in ("intervention", "comparator") for f in FIELDS[kind]]
        cells = []
        for name in names:
            c = Counter(r for k, n, r, e in fields if k == kind and n == name and not e)
            n = c["right"] + c["abstained"] + c["wrong"]
            cells.append(f"{name.replace('intervention', 'int').replace('comparator', 'comp').replace('standard_deviation', 'sd')}"
                         f" {c['right'] / n:.0%} ({n})" if n else f"{name} -")
        print(f"    {kind}: " + ", ".join(cells))
    n_empty = sum(empty_q.values())
    print(f"  questions with no figure reported: {n_empty}; abstained {pct(empty_q['abstained'], n_empty)}, "
          f"answered a figure the report does not give {empty_q['answered']}")
    gold_empty = [r for _, _, r, e in fields if e]
    print(f"  gold-empty fields: {len(gold_empty)}; abstained {gold_empty.count('right')}, answered a figure the report "
          f"does not give {gold_empty.count('invented')} (incl. fields of partly reported questions)")
    for kind in ("binary", "continuous"):
        allr = sum(v for (k, _, ok), v in triplets.items() if k == kind and ok)
        tot = sum(v for (k, _, _), v in triplets.items() if k == kind)
        fr = sum(v for (k, f, ok), v in triplets.items() if k == kind and f and ok)
        ftot = sum(v for (k, f, _), v in triplets.items() if k == kind and f)
        print(f"  {kind:10s} triplets all fields right {allr}/{tot}" + (f" ({allr / tot:.1%})" if tot else "")
              + f"; among fully reported triplets {fr}/{ftot}" + (f" ({fr / ftot:.1%})" if ftot else ""))
    print(f"  speed: {n_questions / dt:.1f} questions/s ({dt:.1f} s for {n_questions} questions)")
    print(BASELINES)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
