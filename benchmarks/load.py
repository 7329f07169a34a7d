"""Load test of the chat UI's server: concurrent chat sessions over plain HTTP.

Starts ``assistant serve`` on 127.0.0.1 (a free port) over the index, then runs N concurrent chat
sessions of T turns each through Gradio's HTTP API (``POST /gradio_api/call/ask`` with a
session hash, then the event's result stream), the same event the chat box triggers. Each session
is about one trial, cycling over the trials in the UI's trial picker: the first turn names the
trial, the follow-up turns do not (a document without a trial ID is picked in the trial menu
instead). Reports errors, latency (p50/p95/max), and cross-talk: an answer citing a document of
another trial than its session's, or a session seeing another session's turns.

Bounded: at most 200 sessions × 10 turns, a deadline (default 120 s) after which the run stops,
traffic only to 127.0.0.1. Writes nothing. Exit code 1 if a target is missed (0 errors, 0
cross-talk, p95 ≤ 1 s).

Run: ``make bench`` or ``.venv/bin/python benchmarks/load.py [--sessions 50] [--turns 5] [--index DIR]``.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.ui import GENERIC_ERROR  # noqa: E402  (light: no model or index is loaded)

MAX_SESSIONS, MAX_TURNS = 200, 10
FOLLOW_UPS = [
    "What is the upper age limit?",
    "What is the primary endpoint?",
    "Who can I contact about the study?",
    "How is the treatment given?",
    "What are the exclusion criteria?",
    "How many participants are planned?",
    "What was the response rate?",
    "What are the main side effects?",
    "Where does the study take place?",
]
NCT = re.compile(r"^NCT\d{8}$")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(index: str | None, port: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1", "--port", str(port)]
    if index:
        cmd += ["--index", index]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_until_up(proc: subprocess.Popen, url: str, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            raise SystemExit(f"assistant serve exited with {proc.returncode}:\n{out[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise SystemExit(f"assistant serve did not answer on {url} within {timeout:.0f} s")


def trials_from_config(url: str) -> list[str]:
    """The trial picker's values (trial IDs, or document IDs for documents without one)."""
    config = httpx.get(url + "config", timeout=10).json()
    for comp in config.get("components", []):
        props = comp.get("props", {})
        if props.get("elem_id") == "trial":
            return [c[1] if isinstance(c, (list, tuple)) else c for c in props.get("choices", []) if (c[1] if isinstance(c, (list, tuple)) else c)]
    raise SystemExit("no trial picker in the app's config")


def message_text(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text", ""))
    if isinstance(content, list):
        return " ".join(message_text(p) for p in content)
    return ""


def plain(markdown: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markdown))


async def call_ask(client: httpx.AsyncClient, data: list, session_hash: str, timeout: float) -> list:
    r = await client.post("/gradio_api/call/ask", json={"data": data, "session_hash": session_hash}, timeout=timeout)
    r.raise_for_status()
    event_id = r.json()["event_id"]
    event = None
    async with client.stream("GET", f"/gradio_api/call/ask/{event_id}", timeout=timeout) as stream:
        stream.raise_for_status()
        async for line in stream.aiter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                payload = json.loads(line.split(":", 1)[1])
                if event == "error":
                    raise RuntimeError(f"event error: {str(payload)[:200]}")
                return payload
    raise RuntimeError("the result stream ended without a result")


async def run_session(client, i: int, trial: str, turns: int, stats: dict, timeout: float) -> None:
    session_hash = f"load-{i}-{uuid.uuid4().hex[:8]}"
    by_nct = bool(NCT.match(trial))
    audience = "clinician" if i % 2 == 0 else "patient"
    picker = "" if by_nct else trial
    questions = [f"What are the main eligibility criteria of {trial}?" if by_nct else "What are the main eligibility criteria?"]
    questions += [FOLLOW_UPS[(i + k) % len(FOLLOW_UPS)] for k in range(turns - 1)]
    for t, q in enumerate(questions, 1):
        t0 = time.perf_counter()
        try:
            out = await call_ask(client, [q, audience, picker], session_hash, timeout)
            chat = out[0]  # outputs: chat, (the session's state, over the raw API), source panel, question box
            panel = next(o for o in out if isinstance(o, str) and 'id="sources"' in o)
        except Exception as exc:  # noqa: BLE001 - counted and reported
            stats["errors"].append(f"session {i} turn {t}: {type(exc).__name__}: {str(exc)[:160]}")
            return
        stats["latency"].append((time.perf_counter() - t0) * 1000)
        answer = message_text(chat[-1]["content"]) if chat else ""
        if GENERIC_ERROR in plain(answer):
            stats["errors"].append(f"session {i} turn {t}: the app answered with its error message")
            continue
        # the session sees exactly its own questions, in order
        asked = [plain(message_text(m["content"])) for m in chat if m.get("role") == "user"]
        latest = re.search(r'class="turn latest" data-turn="(\d+)"', panel)
        if asked != questions[:t] or not latest or int(latest.group(1)) != t:
            stats["mixups"].append(f"session {i} turn {t}: saw {len(asked)} questions, latest turn {latest and latest.group(1)}")
        section = panel.split('class="turn latest"', 1)[-1].split('<details class="turn"', 1)[0]
        cited = re.findall(r'data-doc="([^"]*)" data-trial="([^"]*)"', section)
        if not cited:
            stats["abstained"] += 1
        foreign = [d for d, tr in cited if (tr != trial if by_nct else d != trial)]
        if foreign:
            stats["crosstalk"].append(f"session {i} ({trial}) turn {t} {q!r}: cites {sorted(set(foreign))}")


async def run_load(url: str, trials: list[str], sessions: int, turns: int, deadline: float, timeout: float) -> dict:
    stats = {"latency": [], "errors": [], "crosstalk": [], "mixups": [], "abstained": 0}
    limits = httpx.Limits(max_connections=4 * sessions, max_keepalive_connections=2 * sessions)
    async with httpx.AsyncClient(base_url=url.rstrip("/"), limits=limits) as client:
        await call_ask(client, ["What are the main eligibility criteria?", "clinician", trials[0]], "warm-up", timeout)
        t0 = time.perf_counter()
        tasks = [asyncio.create_task(run_session(client, i, trials[i % len(trials)], turns, stats, timeout)) for i in range(sessions)]
        done, pending = await asyncio.wait(tasks, timeout=deadline)
        for task in pending:
            task.cancel()
        if pending:
            stats["errors"].append(f"{len(pending)} sessions unfinished at the {deadline:.0f} s deadline")
        stats["seconds"] = time.perf_counter() - t0
    return stats


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=50)
    ap.add_argument("--turns", type=int, default=5)
    ap.add_argument("--index", help="index folder (default: the app's default, index/)")
    ap.add_argument("--url", help="test a server already running on 127.0.0.1 instead of starting one")
    ap.add_argument("--deadline", type=float, default=120.0, help="seconds before the run stops")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    args = ap.parse_args(argv)
    sessions = max(1, min(args.sessions, MAX_SESSIONS))
    turns = max(1, min(args.turns, MAX_TURNS))

    proc = None
    if args.url:
        url = args.url if args.url.endswith("/") else args.url + "/"
        if not re.match(r"^http://(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?/", url):
            raise SystemExit("--url must be a server on this machine (127.0.0.1)")
    else:
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        t0 = time.perf_counter()
        proc = start_server(args.index, port)
        wait_until_up(proc, url)
        print(f"assistant serve up on {url} in {time.perf_counter() - t0:.1f} s")
    try:
        trials = trials_from_config(url)
        stats = asyncio.run(run_load(url, trials, sessions, turns, args.deadline, args.timeout))
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()

    lat = stats["latency"]
    total = sessions * turns
    print(f"{sessions} sessions x {turns} turns = {total} requests, all sessions at once, over {len(trials)} trials: {', '.join(trials)}")
    print(f"completed {len(lat)} in {stats['seconds']:.1f} s ({len(lat) / max(stats['seconds'], 1e-9):.1f} answers/s)")
    if lat:
        print(f"latency ms: p50 {pct(lat, 0.5):.0f}  p95 {pct(lat, 0.95):.0f}  max {max(lat):.0f}  mean {statistics.mean(lat):.0f}")
    print(f"errors: {len(stats['errors'])}")
    for e in stats["errors"][:10]:
        print("   ", e)
    print(f"cross-talk: {len(stats['crosstalk'])} answers citing another trial's document; "
          f"{len(stats['mixups'])} sessions seeing other turns than their own")
    for e in (stats["crosstalk"] + stats["mixups"])[:10]:
        print("   ", e)
    print(f"answers without citations (abstentions): {stats['abstained']}")
    ok = not stats["errors"] and not stats["crosstalk"] and not stats["mixups"] and len(lat) == total and pct(lat, 0.95) <= 1000
    print("targets (0 errors, 0 cross-talk, p95 <= 1000 ms):", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    sys.exit(main())
