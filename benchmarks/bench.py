"""Benchmark: ingest, start-up, answer and screening latency, and the same on ~1,000 NLI4CT trial reports.

Prints figures; writes nothing into the repository (indexes go to a temp dir). Run: ``make bench`` or
``.venv/bin/python benchmarks/bench.py [--nli4ct-limit N] [--skip-nli4ct] [--skip-load]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.corpus import load_documents  # noqa: E402
from assistant.evaluate import load_cases, load_suites  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.store import ingest  # noqa: E402

NLI4CT = ROOT.parent / "shared" / "data" / "nli4ct"
TRIALGPT = ROOT.parent / "shared" / "data" / "external" / "trialgpt_criterion" / "yaki6_clinical-trial-matching-medgemma" / "data" / "hf_cache" / "trialgpt_criterion_annotations.json"
ASSISTANT = str(ROOT / ".venv" / "bin" / "assistant")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def timed(args: list[str], env: dict | None = None) -> float:
    import os

    t0 = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, env={**os.environ, **(env or {})})
    return time.perf_counter() - t0


def lat(fn, items, rounds: int = 1) -> list[float]:
    out = []
    for _ in range(rounds):
        for it in items:
            t0 = time.perf_counter()
            fn(it)
            out.append((time.perf_counter() - t0) * 1000)
    return out


def show(name: str, value: str) -> None:
    print(f"{name:62} {value}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nli4ct-limit", type=int, default=None)
    ap.add_argument("--skip-nli4ct", action="store_true")
    ap.add_argument("--skip-load", action="store_true")
    args = ap.parse_args()
    from assistant import Assistant

    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    idx = tmp / "corpus-index"
    env = {"ASSISTANT_INDEX_DIR": str(idx)}
    t_fresh = timed([ASSISTANT, "ingest", str(ROOT / "corpus"), "--quiet"], env)
    t_again = timed([ASSISTANT, "ingest", str(ROOT / "corpus"), "--quiet"], env)
    show("ingest corpus/ into a fresh index (whole process)", f"{t_fresh:.1f} s")
    show("ingest corpus/ again, nothing changed", f"{t_again:.1f} s")
    starts = sorted(timed([ASSISTANT, "ask", "What is the minimum platelet count?"], env) for _ in range(3))
    show("process start to first answer (assistant ask, median of 3)", f"{starts[1]:.2f} s")

    settings = Settings(index_dir=idx)
    a = Assistant.open(idx, settings)
    cases = load_cases([ROOT / f for f in load_suites()["seeds"]["cases"]])
    questions = [(c["question"], c.get("history") or [], c.get("audience", "clinician")) for c in cases]
    for q, h, au in questions[:5]:
        a.ask(q, audience=au, history=h)
    ms = lat(lambda x: a.ask(x[0], history=x[1], audience=x[2]), questions, rounds=3)
    show(f"warm answer latency, {len(questions)} seed questions x 3", f"p50 {pct(ms, .5):.1f} ms, p95 {pct(ms, .95):.1f} ms")

    screen_cases = load_cases([ROOT / "evals" / "screening" / "cases.jsonl"])
    one = [c for c in screen_cases if c.get("trial")]
    every = [c for c in screen_cases if not c.get("trial")]
    a.screen(one[0]["patient"], trial=one[0]["trial"])
    ms = lat(lambda c: a.screen(c["patient"], trial=c["trial"]), one)
    show(f"screen one patient vs one trial, warm ({len(one)} cases)", f"p50 {pct(ms, .5):.1f} ms, p95 {pct(ms, .95):.1f} ms")
    ms = lat(lambda c: a.screen(c["patient"]), every)
    show(f"screen one patient vs all corpus trials, warm ({len(every)} cases)", f"p50 {pct(ms, .5):.1f} ms, p95 {pct(ms, .95):.1f} ms")

    if TRIALGPT.is_file():
        rows = [r for r in json.loads(TRIALGPT.read_text()) if r["patient_id"].startswith("sigir-2015")]
        batch = tmp / "criteria.jsonl"
        batch.write_text("".join(json.dumps({"id": r["annotation_id"], "patient": r["note"], "criterion": r["criterion_text"],
                                             "criterion_type": r["criterion_type"]}) + "\n" for r in rows))
        t = timed([ASSISTANT, "screen", "--batch", str(batch)], env)
        show(f"criterion batch, {len(rows)} rows (assistant screen --batch, whole process)", f"{t:.1f} s")

    if not args.skip_nli4ct and (NLI4CT / "trials").is_dir():
        from assistant.chunk import doc_nodes
        from assistant.embedding import TokenCounter

        files = sorted((NLI4CT / "trials").glob("NCT*.json"))[: args.nli4ct_limit]
        folder = tmp / "nli4ct"
        folder.mkdir()
        for f in files:
            (folder / f.name).write_bytes(f.read_bytes())
        t0 = time.perf_counter()
        loaded = load_documents([folder])
        units = sum(len(d.units) for d in loaded.docs)
        nidx = tmp / "nli4ct-index"
        report = ingest(loaded.docs, settings, nidx, show_progress=False)
        secs = time.perf_counter() - t0
        count = TokenCounter(settings.embed_model)
        nodes = sum(1 for d in loaded.docs for _ in doc_nodes(d, count, settings.max_embed_tokens))
        show(f"NLI4CT: ingest {len(loaded.docs)} reports ({units} units, {nodes} embedded nodes)",
             f"{secs:.0f} s = {nodes / secs:.1f} nodes/s, {units / secs:.1f} units/s ({report.embedded} embedded)")
        b = Assistant.open(nidx, settings)
        dev = json.loads((NLI4CT / "dev.json").read_text())
        stmts = [s["Statement"] for s in list(dev.values())[:100]]
        ms = lat(b.ask, stmts)
        show("NLI4CT: answer latency, 100 dev statements, whole corpus", f"p50 {pct(ms, .5):.1f} ms, p95 {pct(ms, .95):.1f} ms")

    if not args.skip_load:
        res = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "load.py"), "--index", str(idx)], capture_output=True, text=True)
        print(res.stdout.strip())
        if res.returncode:
            print(res.stderr.strip()[-2000:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
