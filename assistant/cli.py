"""Command line: ``assistant ingest | ask | serve | eval``. Errors become messages here, never tracebacks."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .errors import AssistantError
from .settings import Settings


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


def cmd_ingest(args, settings: Settings) -> int:
    from .corpus import load_documents
    from .store import ingest, read_meta

    index_dir = Path(args.index) if args.index else settings.index_dir
    paths = [Path(p) for p in args.paths] or [settings.corpus_dir]
    rebuild = args.rebuild
    if args.rebuild_if_stale:
        meta = read_meta(index_dir)
        rebuild = meta is not None and meta.get("fingerprint") != settings.fingerprint()
        if rebuild:
            print(f"Index settings changed ({meta.get('settings')} → {settings.shaping()}): rebuilding.")
    docs, skipped = load_documents(paths)
    for s in skipped:
        print(f"skipped {s.path}: {s.reason}", file=sys.stderr)
    if not docs:
        print("No readable documents to ingest.", file=sys.stderr)
        return 1
    whole_corpus = not args.paths or [p.resolve() for p in paths] == [settings.corpus_dir.resolve()]
    report = ingest(docs, settings, index_dir, rebuild=rebuild, delete_missing=whole_corpus, show_progress=not args.quiet)
    report.skipped = skipped
    print(
        f"Indexed {report.documents} documents into {index_dir} in {report.seconds:.1f} s: "
        f"documents {report.docs_added} added, {report.docs_changed} changed, {report.docs_unchanged} unchanged, "
        f"{report.docs_removed} removed; chunks {report.chunks_added} added, {report.chunks_unchanged} unchanged, "
        f"{report.chunks_removed} removed; {len(skipped)} files skipped."
    )
    return 0


def cmd_ask(args, settings: Settings) -> int:
    from .pipeline import Assistant

    assistant = Assistant.open(args.index, settings)
    if args.batch:
        lines = Path(args.batch).read_text(encoding="utf-8").splitlines()
        for lineno, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                answer = assistant.ask(
                    item.get("question", ""),
                    audience=item.get("audience") or args.audience,
                    trial=item.get("trial") or args.trial,
                    history=item.get("history") or [],
                    id=item.get("id"),
                )
                print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
            except (json.JSONDecodeError, AssistantError, AttributeError) as exc:
                print(json.dumps({"id": None, "line": lineno, "error": str(exc)}), flush=True)
        return 0
    if not args.question:
        print("Give a QUESTION or --batch FILE.jsonl.", file=sys.stderr)
        return 2
    answer = assistant.ask(" ".join(args.question), audience=args.audience, trial=args.trial)
    _print_answer(answer, args.json)
    return 0


def cmd_serve(args, settings: Settings) -> int:
    from .ui import serve

    serve(settings, index_dir=args.index, host=args.host, port=args.port)
    return 0


def cmd_eval(args, settings: Settings) -> int:
    from .evaluate import main as eval_main

    return eval_main(settings, index_dir=args.index, cases=args.cases, out=args.out)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistant", description="Cited answers about clinical trials.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="build or update the index from corpus files")
    p.add_argument("paths", nargs="*", help="files or folders (default: corpus/)")
    p.add_argument("--index", help="index folder (default: index/)")
    p.add_argument("--rebuild", action="store_true", help="drop the index and build it again")
    p.add_argument("--rebuild-if-stale", action="store_true", help="rebuild only if the index settings changed")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("ask", help="ask a question")
    p.add_argument("question", nargs="*")
    p.add_argument("--audience", choices=["clinician", "patient"], default="clinician")
    p.add_argument("--trial", help="restrict to a trial ID (e.g. NCT07289048) or document id")
    p.add_argument("--index", help="index folder (default: index/)")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.add_argument("--batch", help="JSONL file of questions; prints one JSON answer per line")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("serve", help="start the chat UI")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--index", help="index folder (default: index/)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("eval", help="score the answers against evals/")
    p.add_argument("--index", help="index folder (default: index/)")
    p.add_argument("--cases", help="cases file (default: evals/cases.jsonl)")
    p.add_argument("--out", help="write per-case rows as JSONL here")
    p.set_defaults(func=cmd_eval)
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
