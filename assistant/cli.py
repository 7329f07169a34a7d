"""Command line: ``assistant ingest | ask | screen | serve | eval | fit``.

Errors become one-line messages here, never tracebacks; a batch reports a bad line and goes on.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from .errors import AssistantError
from .settings import Settings

MAX_BATCH_LINE_BYTES = 200_000
MAX_JSON_DEPTH = 20


def _print_answer(answer, as_json: bool) -> None:
    if as_json:
        print(json.dumps(answer.to_json(), ensure_ascii=False))
        return
    print(answer.answer)
    if answer.citations:
        print("\nSources:")
        for c in answer.citations:
            quote = " ".join(c.quote.split())
            print(f"[{c.n}] {c.title} — {c.section or '(no section)'} ({c.path}, chars {c.start}-{c.end})")
            print(f"    “{quote}”")


def _index_dir(args, settings: Settings) -> Path:
    return Path(args.index) if getattr(args, "index", None) else settings.index_dir


def cmd_ingest(args, settings: Settings) -> int:
    from .corpus import load_documents
    from .files import FileLimits
    from .store import current_generation, ingest, load_docs, read_meta

    index_dir = _index_dir(args, settings)
    paths = [Path(p) for p in args.paths] or [settings.corpus_dir]
    rebuild = args.rebuild
    meta = read_meta(index_dir)
    if args.rebuild_if_stale and meta is not None and meta.get("fingerprint") != settings.fingerprint():
        print("The index was built with other settings or code: rebuilding.")
        rebuild = True
    taken = {}
    gen = current_generation(index_dir)
    if gen is not None and not rebuild and meta and meta.get("fingerprint") == settings.fingerprint():
        taken = {d: sd.doc.source for d, sd in load_docs(gen).items()}
    loaded = load_documents(paths, FileLimits(max_bytes=settings.max_file_bytes, read_timeout_s=settings.read_timeout_s), taken, use_manifest=not args.no_manifest)
    for s in loaded.skipped:
        print(f"skipped {s.path}: {s.reason}", file=sys.stderr)
    for w in loaded.warnings:
        print(f"warning: {w}", file=sys.stderr)
    if not loaded.docs:
        print("No readable documents to ingest.", file=sys.stderr)
        return 1
    if not args.quiet and (args.verbose or len(loaded.docs) <= 30):
        print(f"{'document':48} {'format':12} {'units':>6} {'quotable lines':>15}")
        for d in loaded.docs:
            print(f"{d.doc_id[:48]:48} {d.fmt:12} {len(d.units):>6} {d.stats.share:>14.0%}")
    report = ingest(loaded.docs, settings, index_dir, rebuild=rebuild, replace_sources=paths, show_progress=not args.quiet)
    print(
        f"Indexed {len(loaded.docs)} documents into {index_dir} in {report.seconds:.1f} s: "
        f"documents {report.docs_added} added, {report.docs_changed} changed, {report.docs_unchanged} unchanged, "
        f"{report.docs_removed} removed; units {report.units_added} embedded, {report.units_unchanged} reused; "
        f"{len(loaded.skipped)} files skipped."
    )
    return 0


def read_batch(path: str) -> Iterator[tuple[int, object]]:
    """(line number, parsed JSON object or an error message) for each non-blank line of a JSONL file.

    Lines are split on "\\n" only (a U+2028 inside a JSON string is text, not a line break); each line is
    decoded and parsed on its own, so one bad line never stops the rest.
    """
    p = Path(path)
    if not p.exists():
        raise AssistantError(f"batch file not found: {path}")
    if not p.is_file():
        raise AssistantError(f"batch file is not a regular file: {path}")
    with open(p, "rb") as fh:
        head = fh.read(8192)
        if b"\x00" in head:
            raise AssistantError(f"batch file looks binary, not JSON lines: {path}")
        fh.seek(0)
        for lineno, raw in enumerate(fh, 1):
            if len(raw) > MAX_BATCH_LINE_BYTES:
                yield lineno, f"line is longer than {MAX_BATCH_LINE_BYTES} bytes"
                continue
            try:
                line = raw.decode("utf-8").strip()
            except UnicodeDecodeError as exc:
                yield lineno, f"not valid UTF-8 ({exc.reason} at byte {exc.start})"
                continue
            if not line:
                continue
            if _depth(line) > MAX_JSON_DEPTH:
                yield lineno, f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
                continue
            try:
                item = json.loads(line)
            except (json.JSONDecodeError, RecursionError) as exc:
                yield lineno, f"not valid JSON ({getattr(exc, 'msg', 'too deep')})"
                continue
            if not isinstance(item, dict):
                yield lineno, f"each line must be a JSON object, not {type(item).__name__}"
                continue
            yield lineno, item


def _depth(line: str) -> int:
    depth = best = 0
    in_str = esc = False
    for ch in line:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            best = max(best, depth)
        elif ch in "]}":
            depth -= 1
    return best


def run_batch(path: str, handle: Callable[[dict], dict]) -> int:
    for lineno, item in read_batch(path):
        if isinstance(item, str):
            out = {"id": None, "line": lineno, "error": item}
        else:
            try:
                out = handle(item)
            except AssistantError as exc:
                out = {"id": _safe_id(item), "line": lineno, "error": str(exc)}
            except Exception as exc:  # noqa: BLE001 - one bad line never stops a batch; no traceback for users
                out = {"id": _safe_id(item), "line": lineno, "error": f"could not process this line ({type(exc).__name__})"}
        print(json.dumps(out, ensure_ascii=False), flush=True)
    return 0


def _safe_id(item: dict):
    value = item.get("id")
    return value if isinstance(value, (str, int)) and not isinstance(value, bool) else None


def cmd_ask(args, settings: Settings) -> int:
    from .pipeline import Assistant

    assistant = Assistant.open(args.index, settings)
    if args.batch:

        def handle(item: dict) -> dict:
            return assistant.ask(
                item.get("question", ""),
                audience=item.get("audience") or args.audience,
                trial=item.get("trial") or args.trial,
                history=item.get("history"),
                id=_safe_id(item),
            ).to_json()

        return run_batch(args.batch, handle)
    if not args.question:
        print("Give a QUESTION or --batch FILE.jsonl.", file=sys.stderr)
        return 2
    answer = assistant.ask(" ".join(args.question), audience=args.audience, trial=args.trial)
    _print_answer(answer, args.json)
    return 0


def cmd_screen(args, settings: Settings) -> int:
    from .screening import check_criterion

    def criterion_line(item: dict) -> dict:
        patient, criterion, ctype = item.get("patient"), item.get("criterion"), item.get("criterion_type", "inclusion")
        if not isinstance(patient, str) or not patient.strip():
            raise AssistantError("'patient' must be a non-empty text")
        if not isinstance(criterion, str) or not criterion.strip():
            raise AssistantError("'criterion' must be a non-empty text")
        if ctype not in ("inclusion", "exclusion"):
            raise AssistantError("'criterion_type' must be 'inclusion' or 'exclusion'")
        if len(patient) > 20_000 or len(criterion) > 5_000:
            raise AssistantError("'patient' or 'criterion' is too long")
        v = check_criterion(patient, criterion, ctype)
        return {"id": _safe_id(item), "status": v.status, "reason": v.reason, "patient_evidence": v.patient_evidence}

    assistant = None

    def get_assistant():
        nonlocal assistant
        if assistant is None:
            from .pipeline import Assistant

            assistant = Assistant.open(args.index, settings)
        return assistant

    def trial_line(item: dict) -> dict:
        trial = item.get("trial")
        if trial is not None and not isinstance(trial, str):
            raise AssistantError("'trial' must be a trial ID, a document id or null")
        out = get_assistant().screen(item.get("patient"), trial=trial, audience=item.get("audience") or args.audience)
        return {"id": _safe_id(item), **out}

    if args.batch:
        return run_batch(args.batch, lambda item: criterion_line(item) if "criterion" in item else trial_line(item))
    if not args.patient:
        print("Give PATIENT TEXT or --batch FILE.jsonl.", file=sys.stderr)
        return 2
    out = get_assistant().screen(" ".join(args.patient), trial=args.trial, audience=args.audience)
    if args.json or "error" in out:
        print(json.dumps(out, ensure_ascii=False, indent=None if args.json else 2))
        return 0 if "error" not in out else 1
    for t in out["trials"]:
        name = t["title"] if t["trial"] in t["title"] else f"{t['title']} ({t['trial']})"
        print(f"{name}: {t['verdict'].upper()}" + (f" — cohort {t['cohort']}" if t.get("cohort") else ""))
        icon = {"meets": "✓", "fails": "✗", "unknown": "?"}
        for c in t["criteria"]:
            if c["status"] != "meets" or args.all:
                ev = f" (patient: {'; '.join(c['patient_evidence'])})" if c["patient_evidence"] else ""
                print(f"  {icon[c['status']]} [{c['type']}] {' '.join(c['text'].split())[:160]}{ev}")
                print(f"      {c['reason']} — {c['citation']['path']}, chars {c['citation']['start']}-{c['citation']['end']}")
        for q in t["follow_up"]:
            print(f"  → {q}")
        print()
    return 0


def cmd_serve(args, settings: Settings) -> int:
    from .ui import serve

    serve(settings, index_dir=args.index, host=args.host, port=args.port)
    return 0


def cmd_eval(args, settings: Settings) -> int:
    from .evaluate import main as eval_main

    return eval_main(settings, suite=args.suite, split=args.split, cases_file=args.cases, index_dir=args.index, out=args.out,
                     no_manifest=args.no_manifest, work=args.work)


def cmd_fit(args, settings: Settings) -> int:
    from .fit import main as fit_main

    return fit_main(settings, work=args.work, n_trials=args.trials)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistant", description="Cited answers about clinical trials.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="build or update the index from trial documents (.txt, .md, .html, ClinicalTrials.gov / NLI4CT .json)")
    p.add_argument("paths", nargs="*", help="files or folders (default: corpus/)")
    p.add_argument("--index", help="index folder (default: index/)")
    p.add_argument("--rebuild", action="store_true", help="build the index from these documents only, dropping the rest")
    p.add_argument("--rebuild-if-stale", action="store_true", help="rebuild only if the index settings or code changed")
    p.add_argument("--no-manifest", action="store_true", help="ignore manifest.json files")
    p.add_argument("--quiet", action="store_true", help="no progress bar or per-document table")
    p.add_argument("--verbose", action="store_true", help="per-document table even for large folders")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("ask", help="ask a question")
    p.add_argument("question", nargs="*")
    p.add_argument("--audience", choices=["clinician", "patient"], default="clinician")
    p.add_argument("--trial", help="restrict to a trial ID (e.g. an NCT number) or document id")
    p.add_argument("--index", help="index folder (default: index/)")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.add_argument("--batch", help="JSONL file of questions; prints one JSON answer per line")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("screen", help="screen a patient description against one trial or all of them")
    p.add_argument("patient", nargs="*", help="the patient description")
    p.add_argument("--trial", help="a trial ID (NCT…), document id or name; default: every trial in the index")
    p.add_argument("--audience", choices=["clinician", "patient"], default="clinician")
    p.add_argument("--index", help="index folder (default: index/)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--all", action="store_true", help="also list the criteria that are met")
    p.add_argument("--batch", help='JSONL: {"id","patient","trial"} per trial, or {"id","patient","criterion","criterion_type"} per criterion')
    p.set_defaults(func=cmd_screen)

    p = sub.add_parser("serve", help="start the chat UI")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--index", help="index folder (default: index/)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("eval", help="score answers against evals/ (exits non-zero below evals/thresholds.json)")
    p.add_argument("--suite", default="all", help="seeds | dev | screening | all (default)")
    p.add_argument("--split", default="all", choices=["dev", "heldout", "legacy", "check", "all"])
    p.add_argument("--cases", help="a cases file instead of the suite's")
    p.add_argument("--index", help="an existing index instead of building the suite's")
    p.add_argument("--no-manifest", action="store_true", help="build the corpus index without manifest.json")
    p.add_argument("--work", help="where suite indexes are built (default: index/evals)")
    p.add_argument("--out", help="write per-case rows as JSONL here")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("fit", help="fit evidence-scorer weights and the abstention threshold on development data")
    p.add_argument("--work", help="where suite indexes are built (default: index/evals)")
    p.add_argument("--trials", type=int, default=120, help="NLI4CT train trials to draw labelled pairs from")
    p.set_defaults(func=cmd_fit)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
        return args.func(args, settings)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
