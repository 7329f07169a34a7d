"""Benchmark: ingest time, start-to-first-answer, warm answer latency, and the same on ~1,000
NLI4CT trial reports, compared with a plain llama-index VectorStoreIndex (default splitter, top-5).

Prints figures; writes nothing into the repository. Run: ``make bench`` or
``.venv/bin/python benchmarks/bench.py [--nli4ct-limit N] [--skip-nli4ct]``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.corpus import load_documents  # noqa: E402
from assistant.evaluate import load_cases  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.store import ingest  # noqa: E402

NLI4CT = ROOT.parent / "shared" / "data" / "nli4ct"
ASSISTANT = str(ROOT / ".venv" / "bin" / "assistant")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def timed_cmd(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - t0


def latencies(fn, questions, rounds: int = 1) -> list[float]:
    out = []
    for _ in range(rounds):
        for q in questions:
            t0 = time.perf_counter()
            fn(q)
            out.append((time.perf_counter() - t0) * 1000)
    return out


def baseline_index(docs, settings):
    """Plain llama-index: VectorStoreIndex, default SentenceSplitter, same embedding model, top-5."""
    from llama_index.core import Document, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter

    from assistant.embedding import load_embed_model

    embed = load_embed_model(settings.embed_model, settings.embed_batch_size)
    t0 = time.perf_counter()
    index = VectorStoreIndex.from_documents(
        [Document(text=d.text, id_=d.doc_id) for d in docs], embed_model=embed, transformations=[SentenceSplitter()]
    )
    return index.as_retriever(similarity_top_k=5), time.perf_counter() - t0, len(index.docstore.docs)


def line_metrics(answer, trial_id, section, gold, spans) -> tuple[float | None, float]:
    """Precision/recall of the cited lines of one section against gold evidence lines."""
    cited = set()
    for c in answer.citations:
        if c.doc_id != trial_id:
            continue
        for (sec, i), (s, e) in spans.items():
            if sec == section and s < c.end and c.start < e:
                cited.add(i)
    hit = len(cited & set(gold))
    return (hit / len(cited) if cited else None), (hit / len(gold) if gold else 0.0)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nli4ct-limit", type=int, default=None, help="use only the first N trial reports")
    parser.add_argument("--skip-nli4ct", action="store_true")
    args = parser.parse_args()
    settings = Settings()
    from assistant import Assistant

    questions = [c["question"] for c in load_cases()]
    print("== corpus/ (5 seed documents)")
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "index"
        cold = timed_cmd([ASSISTANT, "ingest", "--index", str(index), "--quiet"])
        warm = timed_cmd([ASSISTANT, "ingest", "--index", str(index), "--quiet"])
        print(f"ingest, fresh index (whole process, model load included): {cold:.1f} s")
        print(f"ingest again, nothing changed:                            {warm:.1f} s")
        starts = [timed_cmd([ASSISTANT, "ask", "--index", str(index), questions[0]]) for _ in range(3)]
        print(f"process start to first answer (median of 3):              {statistics.median(starts):.2f} s")
        assistant = Assistant.open(index, settings)
        latencies(assistant.ask, questions[:10])  # warm-up
        ours = latencies(assistant.ask, questions, rounds=3)
        print(f"warm answer latency over {len(questions)} eval questions x3: p50 {pct(ours, .5):.1f} ms, p95 {pct(ours, .95):.1f} ms")
        docs, _ = load_documents([settings.corpus_dir])
        base, build_s, n = baseline_index(docs, settings)
        latencies(base.retrieve, questions[:10])
        theirs = latencies(base.retrieve, questions, rounds=3)
        print(
            f"plain VectorStoreIndex ({n} chunks, built in {build_s:.1f} s) top-5 retrieval: p50 {pct(theirs, .5):.1f} ms, "
            f"p95 {pct(theirs, .95):.1f} ms; ratio ours/plain p50 {pct(ours, .5) / pct(theirs, .5):.2f}, "
            f"p95 {pct(ours, .95) / pct(theirs, .95):.2f}"
        )

    if args.skip_nli4ct or not NLI4CT.is_dir():
        print("NLI4CT data not found; skipped." if not NLI4CT.is_dir() else "NLI4CT skipped.")
        return 0
    from assistant.nli4ct import load_trials

    print(f"== NLI4CT trial reports ({NLI4CT})")
    docs, line_spans = load_trials(NLI4CT / "trials", args.nli4ct_limit)
    known = {d.doc_id for d in docs}
    dev = [v for v in json.loads((NLI4CT / "dev.json").read_text()).values() if v["Primary_id"] in known]
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "index"
        report = ingest(docs, settings, index, show_progress=False)
        total = report.chunks_added
        print(f"ingest {len(docs)} reports: {total} chunks in {report.seconds:.1f} s = {total / report.seconds:.1f} chunks/s")
        assistant = Assistant.open(index, settings)
        rng = random.Random(7)
        sample = rng.sample(dev, min(100, len(dev)))
        statements = [s["Statement"] for s in sample]
        latencies(assistant.ask, statements[:10])
        ours = latencies(assistant.ask, statements)
        scoped = latencies(lambda s: assistant.ask(s["Statement"], trial=s["Primary_id"]), sample)
        print(f"answer latency, 100 dev statements, whole corpus: p50 {pct(ours, .5):.1f} ms, p95 {pct(ours, .95):.1f} ms")
        print(f"answer latency, same, scoped to the trial:        p50 {pct(scoped, .5):.1f} ms, p95 {pct(scoped, .95):.1f} ms")
        base, build_s, n = baseline_index(docs, settings)
        theirs = latencies(base.retrieve, statements)
        print(
            f"plain VectorStoreIndex ({n} chunks, built in {build_s:.1f} s = {n / build_s:.1f} chunks/s) top-5: "
            f"p50 {pct(theirs, .5):.1f} ms, p95 {pct(theirs, .95):.1f} ms; ratio ours/plain p50 {pct(ours, .5) / pct(theirs, .5):.2f}, "
            f"p95 {pct(ours, .95) / pct(theirs, .95):.2f}"
        )
        # citation quality: single-trial statements, scoped to their trial
        precisions, recalls, abstained = [], [], 0
        singles = [s for s in dev if s["Type"] == "Single"]
        for s in singles:
            a = assistant.ask(s["Statement"], trial=s["Primary_id"])
            abstained += a.abstained
            p, r = line_metrics(a, s["Primary_id"], s["Section_id"], s["Primary_evidence_index"], line_spans[s["Primary_id"]])
            if p is not None:
                precisions.append(p)
            recalls.append(r)
        print(
            f"citation lines vs gold evidence, {len(singles)} single-trial dev statements: "
            f"precision {statistics.mean(precisions) if precisions else 0:.2f} (over {len(precisions)} answers citing that section), "
            f"recall {statistics.mean(recalls):.2f}, abstained {abstained}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
