"""Chat UI (Gradio Blocks): the same Assistant as the CLI, with numbered sources shown in a side panel.

Layout: who the answer is for (clinician / patient) and which trial to ask about sit at the top;
two tabs sit under them. "Ask a question": the chat scrolls inside its own box with the question
box under it; each answer's sources are listed beside the chat, every quote highlighted inside its
section of the document, and the [n] markers in an answer open their source there. "Screen a
patient": a clinician's note or a patient's own words screened against one trial or all of them
(Assistant.screen): a short verdict per trial, then the chosen trial's checklist (criterion verbatim,
inclusion/exclusion, ✓/✗/?, the deciding patient words, the reason, and a link that opens the
criterion highlighted in its section in the same kind of source panel), then the follow-up questions
for the unknowns; a fact added in the second box re-screens the description with it appended.

Safety: document text is data, never markup. Everything taken from a document (answers quote
documents) is escaped before it reaches the browser, so a document holding ``<script>``, an
``<img onerror=…>``, a ``javascript:`` link or a Markdown image shows as text and fetches nothing.
Errors show a short generic message; file paths are shown relative to the corpus (or as a file
name). The server binds 127.0.0.1 unless told otherwise, serves no files (uploads and Gradio's
file and proxy routes are closed), sends no analytics and serves requests concurrently.

Nothing typed into the chat or the screening boxes is stored by the app: each session's turns and
screening live in server memory for that browser session only; flagging, example caching and run
history are off and questions are not logged.
"""

from __future__ import annotations

import html
import logging
import os
import re
from dataclasses import asdict
from pathlib import Path

# Before Gradio and onnxruntime are imported: no analytics or version look-ups, no Hugging Face
# telemetry, and no onnxruntime telemetry (it looks up its collector host a few seconds after import;
# disable_telemetry_events() does not stop that, this variable does).
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["ORT_DISABLE_TELEMETRY"] = "1"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_SSR_MODE", "False")

from .pipeline import message_text  # noqa: F401  (the chat's message parts, read as the pipeline reads them)
from .settings import Settings
from .types import Citation

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
ALL_TRIALS = "All documents"
AUDIENCES = [("Clinician", "clinician"), ("Patient (plain words)", "patient")]
DISCLAIMER = (
    "Answers quote the trial documents in this collection and nothing else, with numbered sources. "
    "They are not medical advice: talk with your care team about your own situation."
)
GENERIC_ERROR = "Sorry, something went wrong while answering. Please try again, or rephrase the question."
MAX_QUESTION_CHARS = 4000  # the pipeline refuses long questions itself; this only bounds what is kept
MAX_TURNS = 30  # per session, in memory
MAX_EXAMPLES = 4  # per audience
CONTEXT_CHARS = 700  # section text shown on each side of a highlighted quote...
CONTEXT_BUDGET = 12_000  # ...at most this much per side for all of one answer's sources together
PANEL_TURNS = 8  # answers whose sources the panel holds (older [n] markers no longer open a source)
MAX_EXAMPLE_TRIES = 24  # questions tried per audience when building the examples
CHAT_HEIGHT = "calc(100dvh - 425px)"  # the chat scrolls inside this; the page does not
CONCURRENCY = 8  # requests answered at once (Gradio's default is 1 per event); the work is mostly GIL-bound
MAX_QUEUE = 512
STATUS_EVERY = 5  # seconds between queue-position updates ("auto" sends one to every waiting client per finished job)
MAX_FILE_SIZE = "1kb"  # nothing is uploaded; the upload routes are closed as well

# Routes this app never needs: file serving (local paths, and remote URLs fetched by the server),
# the reverse proxy, uploads, recordings, monitoring, run history, the MCP server, the vibe editor.
_CLOSED_PATH = re.compile(
    r"^/(?:gradio_api/)?(?:file[=/]|proxy=|upload|process_recording|run-history|runs\b|mcp\b|vibe|undo-vibe|"
    r"dev/reload)|^/monitoring",
    re.I,
)
_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' blob: data:; font-src 'self' data:; connect-src 'self'; "
    "worker-src 'self' blob:; frame-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'self'"
)


# --------------------------------------------------------------------------- escaping
def esc(text: object) -> str:
    """HTML-escape text for the source panel (also ``$ { } `` ` so no template syntax survives)."""
    s = html.escape(str(text), quote=True)
    return s.replace("$", "&#36;").replace("{", "&#123;").replace("}", "&#125;").replace("`", "&#96;")


# Characters that can start Markdown or HTML anywhere in a line: HTML and entities (< > &), links and
# images ([ ]), emphasis and code (* _ ` ~), tables (|), escapes (\\), math ($), and the ':' and '@' that
# bare autolinks (http:, javascript:, mailto:, emails) need. Line-start syntax is handled separately.
_MD_ALWAYS = re.compile(r"[\\`*_\[\]<>&|~$:@#=]")
_MD_LINE_START = re.compile(r"^(\d{1,9})([.)])|^([-+])")
_WWW = re.compile(r"(?i)\b(www)\.")


def _entity(ch: str) -> str:
    return f"&#{ord(ch)};"


def _md_inline(text: str) -> str:
    text = _MD_ALWAYS.sub(lambda m: _entity(m.group()), text)
    return _WWW.sub(lambda m: m.group(1) + "&#46;", text)


def md_text(text: str) -> str:
    """Text for a Markdown-rendered chat message that stays text: the characters that could form
    Markdown (images, links, autolinks, emphasis, code, tables, headings, lists, quotes) or HTML become
    numeric entities, and leading spaces are dropped so no code block forms. Readable punctuation
    (. , ; ? ' " / ( ) -) is kept where it cannot start anything."""
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(_md_line(line.strip()) for line in lines)


def _md_line(line: str) -> str:
    m = _MD_LINE_START.match(line)
    if not m:
        return _md_inline(line)
    if m.group(1):  # "1." or "1)" would start an ordered list
        return m.group(1) + _entity(m.group(2)) + _md_inline(line[m.end() :])
    return _entity(m.group(3)) + _md_inline(line[1:])  # "-" / "+" would start a list or a rule


def display_path(path: str) -> str:
    """A citation's file as shown to users: relative to the corpus, never an absolute path."""
    if not path:
        return ""
    p = Path(path)
    if p.is_absolute() or ".." in p.parts:
        return p.name
    parts = p.parts[1:] if len(p.parts) > 1 and p.parts[0] == "corpus" else p.parts
    return "/".join(parts)


# --------------------------------------------------------------------------- state of one session
Cite = Citation  # a cited quote kept in the session state


def _turn(turn_id: int, question: str, audience: str, trial: str, answer, trial_of: dict | None = None) -> dict:
    trial_of = trial_of or {}
    cites = [
        {**asdict(Cite(c.n, c.doc_id, c.title, c.section or "", c.quote, c.path, c.start, c.end)),
         "trial_id": trial_of.get(c.doc_id) or ""}
        for c in answer.citations
    ]
    return {
        "id": turn_id,
        "question": question,
        "audience": audience,
        "trial": trial,
        "answer": answer.answer,
        "abstained": bool(answer.abstained),
        "citations": cites,
        "error": False,
        "strategy": str(getattr(answer, "strategy", "") or ""),
    }


def _error_turn(turn_id: int, question: str, audience: str, trial: str) -> dict:
    return {
        "id": turn_id,
        "question": question,
        "audience": audience,
        "trial": trial,
        "answer": GENERIC_ERROR,
        "abstained": True,
        "citations": [],
        "error": True,
    }


def history_for(turns: list[dict]) -> list[dict]:
    """Earlier turns as the pipeline takes them (plain text, in order)."""
    out = []
    for t in turns:
        out.append({"role": "user", "content": t["question"]})
        if not t.get("error"):
            out.append({"role": "assistant", "content": t["answer"]})
    return out


# --------------------------------------------------------------------------- rendering
_MARKER = re.compile(r"\[(\d{1,3})\]")


def _quoted_tail(seg: str, quote: str) -> tuple[int, int] | None:
    """Where ``seg`` ends with ``quote`` (whitespace may differ): (start, end) in ``seg``, else None."""
    words = quote.split()
    if not words or len(quote) > 5000:
        return None
    m = re.search(r"\s+".join(map(re.escape, words)) + r"\s*$", seg)
    return (m.start(), m.start() + len(m.group().rstrip())) if m else None


def render_answer(turn: dict) -> str:
    """An answer as chat Markdown: plain text (escaped), '- ' lines as bullets, each cited quote shown
    as a quotation (so a document's words, instructions included, read as quoted, never as the
    assistant's own), and [n] markers as links to their source in the panel."""
    cites = {c["n"]: c for c in turn["citations"]}
    out_lines = []
    for raw in turn["answer"].replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()
        bullet = line.startswith("- ")
        if bullet:
            line = line[2:].lstrip()
        pieces, pos = [], 0
        for m in _MARKER.finditer(line):
            n = int(m.group(1))
            if n not in cites:
                continue
            c = cites[n]
            seg = line[pos : m.start()]
            found = _quoted_tail(seg, c["quote"])
            if found:
                a, b = found
                pieces += [seg[:a], ('<q class="doc-quote">',), seg[a:b], ("</q>",), seg[b:]]
            else:
                pieces.append(seg)
            label = f"Source {n}: {c['title']}" + (f" — {c['section']}" if c["section"] else "")
            pieces.append((f'<a class="cite" href="#src-{turn["id"]}-{n}" title="{esc(label)}">&#91;{n}&#93;</a>',))
            pos = m.end()
        pieces.append(line[pos:])
        text = "".join(
            p[0] if isinstance(p, tuple) else (_md_line(p) if i == 0 and not bullet else _md_inline(p))
            for i, p in enumerate(pieces)
        )
        out_lines.append(("• " + text) if bullet else text)
    return "\n".join(out_lines)


def chat_messages(turns: list[dict]) -> list[dict]:
    msgs = []
    for t in turns:
        msgs.append({"role": "user", "content": md_text(t["question"])})
        answer = render_answer(t)
        if t.get("strategy") == "screen" and not t.get("error"):
            answer += "\n\n" + SCREEN_HINT.get(t.get("audience"), SCREEN_HINT["clinician"])
        msgs.append({"role": "assistant", "content": answer})
    return msgs


def _context(text: str, s: int, e: int, start: int, end: int, window: int = CONTEXT_CHARS) -> tuple[str, str, str, bool, bool]:
    """Section text around the quote, ``window`` characters each side at most:
    (before, quote, after, cut_before, cut_after)."""
    s, e = max(0, min(s, start)), min(len(text), max(e, end))
    lo, hi = max(s, start - window), min(e, end + window)
    if lo > s:  # start at a line or word boundary
        nl = text.find("\n", lo, start)
        lo = nl + 1 if nl != -1 else (text.find(" ", lo, start) + 1 or lo)
    if hi < e:
        nl = text.rfind("\n", end, hi)
        hi = nl if nl != -1 else (text.rfind(" ", end, hi) if text.rfind(" ", end, hi) != -1 else hi)
    return text[lo:start], text[start:end], text[end:hi], lo > s, hi < e


def source_block(assistant, turn_id: int, c: dict, open_: bool = False, window: int = CONTEXT_CHARS,
                 anchor: str | None = None, attrs: dict | None = None, current: bool = False) -> str:
    """One source: the quote highlighted inside its section, with its file and character span.
    ``anchor`` is the element id the citation links point at (the chat's ``src-<turn>-<n>`` by default)."""
    where = " › ".join(x for x in (c["title"], c["section"]) if x)
    try:
        text = assistant.document_text(c["doc_id"])
        s, e = assistant.section_span(c["doc_id"], c["start"], c["end"])
        before, quote, after, cut_b, cut_a = _context(text, s, e, c["start"], c["end"], window)
    except Exception:  # the quote alone is still worth showing
        log.warning("source context unavailable for a citation", exc_info=True)
        before, quote, after, cut_b, cut_a = "", c["quote"], "", False, False
    body = (
        ("… " if cut_b else "")
        + esc(before)
        + f'<mark class="quote">{esc(quote)}</mark>'
        + esc(after)
        + (" …" if cut_a else "")
    )
    file = display_path(c["path"])
    anchor = anchor or f"src-{turn_id}-{c['n']}"
    extra = "".join(f' data-{k}="{esc(v)}"' for k, v in (attrs or {"turn": turn_id, "n": c["n"]}).items())
    return (
        f'<details class="src{" current" if current else ""}" id="{esc(anchor)}"{extra} '
        f'data-doc="{esc(c["doc_id"])}" data-trial="{esc(c.get("trial_id", ""))}"{" open" if open_ else ""}>'
        f'<summary><span class="n">[{esc(c["n"])}]</span><span class="where">{esc(where)}</span></summary>'
        f'<div class="ctx">{body}</div>'
        f'<div class="file">{esc(file)}{", " if file else ""}characters {esc(c["start"])}–{esc(c["end"])}</div>'
        "</details>"
    )


EMPTY_PANEL = (
    '<div id="sources" class="sources-panel"><p class="empty">Sources appear here: each answer’s quotes, highlighted in their '
    "section of the document. Click a [n] marker in an answer to open its source.</p></div>"
)


def render_sources(assistant, turns: list[dict]) -> str:
    """The source panel: the latest answer's sources first (the first one open), earlier ones folded
    (the last PANEL_TURNS answers)."""
    if not turns:
        return EMPTY_PANEL
    parts = ['<div id="sources" class="sources-panel">']
    for i, t in enumerate(reversed(turns[-PANEL_TURNS:])):
        latest = i == 0
        head = f"Sources for: {t['question'][:120]}{'…' if len(t['question']) > 120 else ''}"
        if not t["citations"]:
            body = '<p class="empty">No sources for this answer.</p>'
        else:
            window = max(120, min(CONTEXT_CHARS, CONTEXT_BUDGET // len(t["citations"])))
            body = "".join(
                source_block(assistant, t["id"], c, open_=latest and j == 0, window=window)
                for j, c in enumerate(t["citations"])
            )
        if latest:
            parts.append(f'<section class="turn latest" data-turn="{t["id"]}"><h3>{esc(head)}</h3>{body}</section>')
        else:
            parts.append(f'<details class="turn" data-turn="{t["id"]}"><summary>{esc(head)}</summary>{body}</details>')
    parts.append("</div>")
    return "".join(parts)


# --------------------------------------------------------------------------- what the index holds
def _docs(assistant) -> list:
    return list(assistant.documents())


_PLAIN_NAME = re.compile(r"^[\w][\w\s\-–/(),.+':]{1,78}$")


def _plain(name: str | None) -> str | None:
    """A name fit to put in an example question (document text is not trusted to be plain)."""
    name = " ".join((name or "").split())
    return name if name and _PLAIN_NAME.match(name) else None


def _short_title(title: str) -> str | None:
    head = re.split(r"[:(]", title, maxsplit=1)[0].strip()
    return _plain(head if len(head) >= 4 else title)


def trial_choices(assistant) -> list[tuple[str, str]]:
    """The trial picker: one entry per trial (documents without a trial ID by themselves)."""
    choices: dict[str, str] = {}
    for d in _docs(assistant):
        value = d.trial_id or d.doc_id
        if value in choices:
            continue
        title = " ".join(d.title.split())
        label = f"{d.trial_id} — {title}" if d.trial_id and d.trial_id not in title else title
        choices[value] = label if len(label) <= 110 else label[:107] + "…"
    return [(ALL_TRIALS, "")] + sorted(((lbl, v) for v, lbl in choices.items()), key=lambda x: x[0].lower())


CLINICIAN_TEMPLATES = (
    "What are the main eligibility criteria of {name}?",
    "What is the age range for {name}?",
    "What is the primary endpoint of {name}?",
    "What response rate was reported in {name}?",
)
PATIENT_TEMPLATES = (
    "Who can join the {drug} study?",
    "Is there an age limit for the {drug} study?",
    "How is {drug} given in the study?",
    "Who can I contact about the {drug} study?",
)


def example_questions(assistant, limit: int = MAX_EXAMPLES) -> dict[str, list[str]]:
    """Example questions for each audience, built from the indexed documents' titles, trial IDs and
    drugs, and kept only if the assistant answers them from that document's trial."""
    docs = _docs(assistant)
    group = {}
    for d in docs:
        group.setdefault(d.trial_id or d.doc_id, set()).add(d.doc_id)
    out: dict[str, list[str]] = {"clinician": [], "patient": []}
    for audience, templates in (("clinician", CLINICIAN_TEMPLATES), ("patient", PATIENT_TEMPLATES)):
        seen: set[str] = set()
        for k in range(len(templates)):  # round-robin: one question per document, then the next
            for i, d in enumerate(docs):
                if len(out[audience]) >= limit or len(seen) >= MAX_EXAMPLE_TRIES:
                    break
                name = d.trial_id if d.trial_id and _plain(d.trial_id) else _short_title(d.title)
                drug = next((p for p in (_plain(x) for x in d.drugs) if p), None) or name
                if not name:
                    continue
                q = templates[(i + k) % len(templates)].format(name=name, drug=drug)
                if q in seen:
                    continue
                seen.add(q)
                allowed = group[d.trial_id or d.doc_id]
                try:
                    a = assistant.ask(q, audience=audience)
                except Exception:
                    continue
                if not a.abstained and a.citations and all(c.doc_id in allowed for c in a.citations):
                    out[audience].append(q)
    return out


# --------------------------------------------------------------------------- one turn
def answer_turn(assistant, question, audience, trial, turns: list[dict] | None, trial_of: dict | None = None) -> list[dict]:
    """Ask the assistant, with the session's earlier turns as history; returns the turns with this one
    added (at most MAX_TURNS). A failure becomes a turn with a generic message: exception text can
    hold paths or internals, so it is logged on the server and never shown."""
    turns = list(turns or [])
    question = message_text(question)[:MAX_QUESTION_CHARS]
    audience = audience if audience in ("clinician", "patient") else "clinician"
    trial = trial if isinstance(trial, str) else ""
    turn_id = (turns[-1]["id"] + 1) if turns else 1
    try:
        answer = assistant.ask(question, audience=audience, trial=trial or None, history=history_for(turns))
        turn = _turn(turn_id, question, audience, trial, answer, trial_of)
    except Exception:
        log.error("answering failed", exc_info=True)
        turn = _error_turn(turn_id, question, audience, trial)
    return (turns + [turn])[-MAX_TURNS:]


def trials_of_documents(assistant) -> dict[str, str]:
    return {d.doc_id: d.trial_id or "" for d in _docs(assistant)}


# --------------------------------------------------------------------------- screening a patient
# The "Screen a patient" tab: a description (a clinician's note or a patient's own words) screened against
# one trial or all of them with Assistant.screen(). A short verdict per trial comes first (ranked, each
# ruled-out trial naming the criterion that rules the patient out), then a checklist for the chosen trial
# (criterion verbatim, inclusion/exclusion, ✓/✗/?, the deciding patient words, the reason and a link that
# opens the criterion highlighted in its section in a source panel), then the follow-up questions.
# Everything in it (criteria, reasons, the patient's words, titles) is escaped; the description lives in
# the session's memory only.
SCREEN_ERROR = "Sorry, something went wrong while screening. Please try again."
MAX_PATIENT_INPUT = 20_000  # characters the description box takes (the engine's own limit)
MAX_ADDITION_INPUT = 2_000
SCREEN_CONTEXT_BUDGET = 24_000  # section text shown around the criteria of one checklist, per side...
SCREEN_CONTEXT_CHARS = 400  # ...and around each criterion (its neighbours in the list)
REASON_CHARS = 240  # a reason is one line
VERDICT_QUOTE_CHARS = 150  # a ruling criterion in the verdict list is cut after this many characters
STATUSES = ("fails", "unknown", "meets")  # checklist order: what rules out, what is open, what is met
ICON = {"meets": "✓", "fails": "✗", "unknown": "?"}
VERDICT_ICON = {"eligible": "✓", "not eligible": "✗", "uncertain": "?"}
SCREEN_WORDS = {
    "clinician": {
        "verdict": {"eligible": "Eligible", "not eligible": "Not eligible", "uncertain": "Uncertain"},
        "status": {"meets": "meets", "fails": "fails", "unknown": "unknown"},
        "type": {"inclusion": "Inclusion", "exclusion": "Exclusion"},
        "ruled_out": "Ruled out by",
        "open": "Needs information on",
        "all_met": "Meets every criterion that could be checked.",
        "more": "and {n} more",
        "columns": ("Status", "Type", "Criterion (verbatim)", "Patient's words", "Reason", "Source"),
        "follow_up": "Follow-up questions for the unknowns",
        "no_follow_up": "No open questions.",
        "checklist": "Checklist",
        "cohort": "Cohort",
        "counts": "✓ {meets} met · ✗ {fails} failed · ? {unknown} unknown",
        "note": "Screening from the trial documents only, on the information given; the study team confirms "
                "eligibility.",
    },
    "patient": {
        "verdict": {"eligible": "You may be able to join", "not eligible": "Not a match",
                    "uncertain": "Not sure yet"},
        "status": {"meets": "fits", "fails": "rules you out", "unknown": "not known yet"},
        "type": {"inclusion": "Must have", "exclusion": "Must not have"},
        "ruled_out": "What rules you out",
        "open": "Still to find out",
        "all_met": "Nothing you wrote rules you out.",
        "more": "and {n} more",
        "columns": ("Fits?", "Kind", "What the study says", "Your words", "Why", "Source"),
        "follow_up": "Questions to answer (your care team can help)",
        "no_follow_up": "Nothing more to ask.",
        "checklist": "Checklist",
        "cohort": "Group",
        "counts": "✓ {meets} fit · ✗ {fails} do not · ? {unknown} not known yet",
        "note": "This only compares what you wrote with the study documents. It is not medical advice: the study "
                "team decides who can join. Talk with your care team.",
    },
}
SCREEN_HINT = {
    "clinician": '<a class="to-screen" href="#screen">Open “Screen a patient” for the full checklist of every '
                 "criterion.</a>",
    "patient": '<a class="to-screen" href="#screen">Open “Screen a patient” to see every requirement, one by '
               "one.</a>",
}
EMPTY_SCREEN = (
    '<div id="verdicts" class="verdicts-box"><p class="empty">Paste a clinician’s note, or describe the patient '
    "in your own words (age, diagnosis, treatments so far, scans and test results), pick a trial or leave "
    "“All documents”, and press Screen.</p></div>"
)
EMPTY_CHECKLIST = '<div id="checklist"></div>'
EMPTY_SCREEN_PANEL = (
    '<div id="screen-sources" class="sources-panel"><p class="empty">The source of a criterion appears here, '
    "highlighted in its section of the document. Click a criterion’s [n] to open it.</p></div>"
)
_NCT = re.compile(r"^NCT\d{8}$", re.I)


def combine_patient_text(note: str, addition: str) -> str:
    """The description with a follow-up fact added ("he had a brain MRI last week, no mets"), as the
    engine's rescreen() joins them: the addition goes on a new sentence at the end."""
    text, add = (note or "").rstrip(), (addition or "").strip()
    if not add:
        return text
    if text and not text.endswith((".", "!", "?")):
        text += "."
    return (text + "\n" + add) if text else add


def _str(value, limit: int = 20_000) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _clean_row(row) -> dict | None:
    """A checklist row as the UI uses it (anything unexpected from the engine is dropped or blanked)."""
    if not isinstance(row, dict):
        return None
    c = row.get("citation") if isinstance(row.get("citation"), dict) else {}
    cite_ok = isinstance(c.get("doc_id"), str) and isinstance(c.get("start"), int) and isinstance(c.get("end"), int)
    return {
        "text": _str(row.get("text")),
        "type": row.get("type") if row.get("type") in ("inclusion", "exclusion") else "inclusion",
        "cohort": _str(row.get("cohort"), 200),
        "status": row.get("status") if row.get("status") in ICON else "unknown",
        "reason": _str(row.get("reason"), 2000),
        "patient_evidence": [_str(x, 500) for x in (row.get("patient_evidence") or []) if isinstance(x, str)][:8],
        "citation": {
            "doc_id": c["doc_id"], "title": _str(c.get("title"), 500), "section": _str(c.get("section"), 500),
            "quote": _str(c.get("quote")), "path": _str(c.get("path"), 1000), "start": c["start"], "end": c["end"],
        } if cite_ok else None,
    }


def _clean_trial(t) -> dict | None:
    if not isinstance(t, dict):
        return None
    rows = [r for r in (_clean_row(x) for x in (t.get("criteria") or [])) if r]
    return {
        "trial": _str(t.get("trial"), 200),
        "title": _str(t.get("title"), 1000),
        "verdict": t.get("verdict") if t.get("verdict") in VERDICT_ICON else "uncertain",
        "cohort": _str(t.get("cohort"), 200),
        "criteria": rows,
        "follow_up": [_str(q, 1000) for q in (t.get("follow_up") or []) if isinstance(q, str)][:12],
    }


def screen_patient(assistant, note, audience, trial, previous: dict | None = None) -> dict:
    """Screen ``note`` with the assistant; returns the session's screening state: the description, the
    audience and trial it was screened for, the ranked trials (or an error message) and which trial's
    checklist is shown. A failure becomes a generic message (exception text can hold paths or internals;
    it is logged on the server and never shown); the engine's own {"error": …} messages are shown."""
    note = note if isinstance(note, str) else ""
    audience = audience if audience in ("clinician", "patient") else "clinician"
    trial = trial if isinstance(trial, str) else ""
    sid = ((previous or {}).get("id") or 0) + 1
    state = {"id": sid, "note": note, "audience": audience, "trial": trial, "trials": [], "view": 0, "error": None}
    if len(note) > MAX_PATIENT_INPUT * 2:  # the engine refuses long descriptions too; this bounds what is kept
        state["note"] = ""
        state["error"] = f"That description is too long (at most {MAX_PATIENT_INPUT} characters). Please shorten it."
        return state
    try:
        result = assistant.screen(note, trial=trial or None, audience=audience)
    except Exception:
        log.error("screening failed", exc_info=True)
        state["error"] = SCREEN_ERROR
        return state
    if not isinstance(result, dict) or ("error" in result and not isinstance(result.get("error"), str)):
        state["error"] = SCREEN_ERROR
    elif result.get("error"):
        state["error"] = result["error"][:500]
    else:
        state["trials"] = [t for t in (_clean_trial(x) for x in (result.get("trials") or [])) if t]
        if not state["trials"]:
            state["error"] = SCREEN_ERROR
    # after a re-screen (facts added, audience switched) the checklist stays on the same trial
    prev_trials = (previous or {}).get("trials") or []
    prev_view = (previous or {}).get("view", 0)
    if prev_trials and isinstance(prev_view, int) and 0 <= prev_view < len(prev_trials):
        key = (prev_trials[prev_view]["trial"], prev_trials[prev_view]["title"])
        state["view"] = next((i for i, t in enumerate(state["trials"]) if (t["trial"], t["title"]) == key), 0)
    return state


def _trial_name(t: dict, limit: int = 110) -> str:
    title = " ".join(t["title"].split())
    name = f"{t['trial']} — {title}" if _NCT.match(t["trial"]) and t["trial"] not in title else title or t["trial"]
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _anchor(state: dict, t: int, i: int) -> str:
    return f"crit-{state['id']}-{t}-{i}"


def _ordered(rows: list[dict]) -> list[tuple[int, dict]]:
    """(row index, row) in checklist order: failing criteria first, then unknown, then met."""
    return sorted(enumerate(rows), key=lambda x: (STATUSES.index(x[1]["status"]), x[0]))


def _counts(rows: list[dict]) -> dict:
    return {s: sum(1 for r in rows if r["status"] == s) for s in ICON}


def _cite_link(state: dict, t: int, i: int, row: dict, label: str) -> str:
    c = row["citation"]
    if not c:
        return ""
    where = " › ".join(x for x in (c["title"], c["section"]) if x)
    return f'<a class="cite" href="#{_anchor(state, t, i)}" title="{esc("Source: " + where)}">{label}</a>'


def view_index(state: dict | None) -> int:
    trials = (state or {}).get("trials") or []
    v = (state or {}).get("view", 0)
    return v if isinstance(v, int) and 0 <= v < len(trials) else 0


def render_verdicts(state: dict | None) -> str:
    """The short verdict per trial, ranked as the engine ranks them (possible matches first); a trial
    ruled out names the criterion (or criteria) that rule the patient out, each linked to its source."""
    if not state:
        return EMPTY_SCREEN
    words = SCREEN_WORDS[state["audience"]]
    if state.get("error"):
        return (f'<div id="verdicts" class="verdicts-box" data-screen="{state["id"]}">'
                f'<p class="screen-error">{esc(state["error"])}</p></div>')
    items = []
    for t, tr in enumerate(state["trials"]):
        rows = tr["criteria"]
        counts = _counts(rows)
        if tr["verdict"] == "not eligible":
            decide = [(i, r) for i, r in enumerate(rows) if r["status"] == "fails"]
            head = words["ruled_out"]
        elif tr["verdict"] == "uncertain":
            decide = [(i, r) for i, r in _ordered(rows) if r["status"] == "unknown"]
            decide = [x for x in decide if x[1]["type"] == "inclusion"] or decide
            head = words["open"]
        else:
            decide, head = [], ""
        why = ""
        if decide:
            shown = [
                f'<span class="crit-type">{esc(words["type"][r["type"]])}:</span> '
                f'<q>{esc(_cut(r["text"], VERDICT_QUOTE_CHARS))}</q> {_cite_link(state, t, i, r, "source")}'
                for i, r in decide[:2]
            ]
            more = f' <span class="more">{esc(words["more"].format(n=len(decide) - 2))}</span>' if len(decide) > 2 else ""
            why = f'<div class="why">{esc(head)}: ' + "; ".join(shown) + more + "</div>"
        elif tr["verdict"] == "eligible":
            why = f'<div class="why">{esc(words["all_met"])}</div>'
        cls = tr["verdict"].replace(" ", "-")
        cohort = f' <span class="cohort">({esc(words["cohort"])}: {esc(tr["cohort"])})</span>' if tr["cohort"] else ""
        items.append(
            f'<li class="verdict {cls}{" shown" if t == view_index(state) else ""}" data-verdict="{esc(tr["verdict"])}" '
            f'data-trial="{esc(tr["trial"])}"><span class="icon" aria-hidden="true">{VERDICT_ICON[tr["verdict"]]}</span>'
            f'<span class="label">{esc(words["verdict"][tr["verdict"]])}</span> — '
            f'<span class="name">{esc(_trial_name(tr))}</span>'
            f'{cohort}'
            f' <span class="counts">{esc(words["counts"].format(**counts))}</span>{why}</li>'
        )
    return (
        f'<div id="verdicts" class="verdicts-box" data-screen="{state["id"]}" data-audience="{state["audience"]}">'
        f'<p class="screen-note">{esc(words["note"])}</p><ol class="verdicts">{"".join(items)}</ol></div>'
    )


def render_checklist(state: dict | None) -> str:
    """The chosen trial's checklist: one row per criterion, failing first, then unknown, then met;
    then the follow-up questions that would settle the unknowns."""
    if not state or state.get("error") or not state.get("trials"):
        return EMPTY_CHECKLIST
    words = SCREEN_WORDS[state["audience"]]
    t = view_index(state)
    tr = state["trials"][t]
    body = []
    for k, (i, r) in enumerate(_ordered(tr["criteria"]), 1):
        st = r["status"]
        cohort = f'<span class="row-cohort">{esc(words["cohort"])}: {esc(r["cohort"])}</span>' if r["cohort"] else ""
        evidence = ", ".join(f"<q>{esc(_cut(x, 200))}</q>" for x in r["patient_evidence"]) or '<span class="none">—</span>'
        body.append(
            f'<tr class="row {st}" data-status="{st}" data-type="{r["type"]}" data-n="{k}">'
            f'<td class="status"><span class="icon" aria-hidden="true">{ICON[st]}</span> {esc(words["status"][st])}</td>'
            f'<td class="type">{esc(words["type"][r["type"]])}</td>'
            f'<td class="crit">{esc(r["text"].strip())}{cohort}</td>'
            f'<td class="evidence">{evidence}</td>'
            f'<td class="reason">{esc(_cut(r["reason"], REASON_CHARS))}</td>'
            f'<td class="source">{_cite_link(state, t, i, r, f"&#91;{k}&#93;")}</td></tr>'
        )
    head = "".join(f"<th>{esc(c)}</th>" for c in words["columns"])
    follow = "".join(f"<li>{esc(q)}</li>" for q in tr["follow_up"])
    follow_html = f'<ul>{follow}</ul>' if follow else f'<p class="empty">{esc(words["no_follow_up"])}</p>'
    cohort = f' <span class="cohort">({esc(words["cohort"])}: {esc(tr["cohort"])})</span>' if tr["cohort"] else ""
    return (
        f'<div id="checklist" data-screen="{state["id"]}" data-trial="{esc(tr["trial"])}">'
        f'<h3><span class="icon" aria-hidden="true">{VERDICT_ICON[tr["verdict"]]}</span> {esc(words["checklist"])}: '
        f'{esc(_trial_name(tr, 160))}{cohort} — {esc(words["verdict"][tr["verdict"]])}</h3>'
        f'<table class="checklist"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
        f'<div class="follow-up"><h4>{esc(words["follow_up"])}</h4>{follow_html}</div></div>'
    )


def render_screen_sources(assistant, state: dict | None) -> str:
    """The screening source panel: every criterion of the chosen trial (and the criteria that rule the
    other trials out), each highlighted in its section; one is shown at a time, the first failing one
    (or the first row) to begin with, and a criterion's [n] link shows its own."""
    if not state or state.get("error") or not state.get("trials"):
        return EMPTY_SCREEN_PANEL
    chosen = view_index(state)
    wanted: list[tuple[int, int, int | str, dict]] = []  # (trial, row, label, row)
    for k, (i, r) in enumerate(_ordered(state["trials"][chosen]["criteria"]), 1):
        wanted.append((chosen, i, k, r))
    for t, tr in enumerate(state["trials"]):
        if t != chosen and tr["verdict"] == "not eligible":
            wanted += [(t, i, "✗", r) for i, r in enumerate(tr["criteria"]) if r["status"] == "fails"][:2]
    wanted = [w for w in wanted if w[3]["citation"]]
    if not wanted:
        return EMPTY_SCREEN_PANEL
    window = max(120, min(SCREEN_CONTEXT_CHARS, SCREEN_CONTEXT_BUDGET // len(wanted)))
    blocks = []
    for j, (t, i, label, r) in enumerate(wanted):
        c = {**r["citation"], "n": label, "trial_id": state["trials"][t]["trial"]}
        try:
            blocks.append(source_block(
                assistant, state["id"], c, open_=j == 0, window=window, anchor=_anchor(state, t, i),
                attrs={"screen": state["id"], "status": r["status"]}, current=j == 0,
            ))
        except Exception:
            log.error("rendering a criterion's source failed", exc_info=True)
    return (
        f'<div id="screen-sources" class="sources-panel" data-screen="{state["id"]}" data-key="{state["id"]}-{chosen}">'
        f'<h3>{esc("Source of the criterion")}</h3>{"".join(blocks)}</div>'
    )


def view_choices(state: dict | None) -> list[tuple[str, int]]:
    """The "checklist for" picker: the screened trials in ranked order, each with its verdict icon."""
    trials = (state or {}).get("trials") or []
    return [(f"{VERDICT_ICON[t['verdict']]} {_trial_name(t, 100)}", i) for i, t in enumerate(trials)]


# --------------------------------------------------------------------------- the app
def _asset(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def build_app(assistant):
    import gradio as gr

    examples = example_questions(assistant)
    choices = trial_choices(assistant)
    trial_values = {v for _, v in choices}

    trial_of = trials_of_documents(assistant)

    def respond(question, audience, trial, turns):
        if not message_text(question).strip():
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        trial = trial if isinstance(trial, str) and trial in trial_values else ""
        turns = answer_turn(assistant, question, audience, trial, turns, trial_of)
        try:
            panel = render_sources(assistant, turns)
        except Exception:
            log.error("rendering sources failed", exc_info=True)
            panel = EMPTY_PANEL
        return chat_messages(turns), turns, panel, ""

    def pick_example(index, audience):
        qs = examples.get(audience if audience in examples else "clinician", [])
        return qs[index] if isinstance(index, int) and 0 <= index < len(qs) else ""

    def switch_audience(audience):
        qs = examples.get(audience if audience in examples else "clinician", [])
        return gr.Dataset(samples=[[q] for q in qs])

    def clear():
        return [], [], EMPTY_PANEL, ""

    def carry_to_screen(turns, note):
        """A chat question that was answered by screening (it describes a patient) fills the empty
        description box of the "Screen a patient" tab, ready for its full checklist."""
        last = (turns or [{}])[-1]
        if last.get("strategy") != "screen" or last.get("error") or (isinstance(note, str) and note.strip()):
            return gr.skip()
        return last["question"][:MAX_PATIENT_INPUT]

    def screen_outputs(state):
        try:
            panel_html = render_screen_sources(assistant, state)
            verdicts_html, checklist_html = render_verdicts(state), render_checklist(state)
        except Exception:
            log.error("rendering a screening failed", exc_info=True)
            state = {**(state or {}), "id": (state or {}).get("id", 0), "audience": "clinician", "trials": [],
                     "error": SCREEN_ERROR}
            panel_html, verdicts_html, checklist_html = EMPTY_SCREEN_PANEL, render_verdicts(state), EMPTY_CHECKLIST
        choices = view_choices(state)
        picker = gr.Dropdown(choices=choices, value=view_index(state) if choices else None, visible=len(choices) > 1)
        return verdicts_html, picker, checklist_html, panel_html, state

    def do_screen(note, audience, trial, previous):
        trial = trial if isinstance(trial, str) and trial in trial_values else ""
        return screen_outputs(screen_patient(assistant, note, audience, trial, previous))

    def add_and_screen(note, addition, audience, trial, previous):
        note = combine_patient_text(note if isinstance(note, str) else "", addition if isinstance(addition, str) else "")
        return (*do_screen(note, audience, trial, previous), note, "")

    def rescreen(audience, trial, previous):
        """The audience or the trial changed after a screening: screen the same description again."""
        if not previous or not (previous.get("note") or "").strip():
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return do_screen(previous["note"], audience, trial, previous)

    def change_view(view, state):
        if not state or not state.get("trials") or not isinstance(view, int) or view == state.get("view"):
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        state = {**state, "view": view}
        verdicts_html, _, checklist_html, panel_html, state = screen_outputs(state)
        return verdicts_html, gr.skip(), checklist_html, panel_html, state

    with gr.Blocks(title="Clinical-trial evidence assistant", analytics_enabled=False, fill_width=True) as app:
        gr.HTML(
            '<div id="app-header"><h1>Clinical-trial evidence assistant</h1>'
            f'<p class="disclaimer" id="disclaimer">{esc(DISCLAIMER)}</p></div>',
            js_on_load=None,
        )
        with gr.Row(elem_id="controls", equal_height=True):
            audience = gr.Radio(
                AUDIENCES, value="clinician", label="Answer for", elem_id="audience", scale=2, min_width=260
            )
            trial = gr.Dropdown(
                choices=choices, value="", label="Trial (optional)", elem_id="trial", scale=3, min_width=260,
                filterable=True,
            )
        with gr.Tabs(elem_id="views"):
            with gr.Tab("Ask a question", id="ask", elem_id="ask-tab"):
                with gr.Row(elem_id="main", equal_height=False):
                    with gr.Column(scale=3, min_width=420, elem_id="chat-col"):
                        chatbot = gr.Chatbot(
                            elem_id="chat",
                            show_label=False,
                            height=CHAT_HEIGHT,
                            min_height=240,
                            sanitize_html=True,
                            render_markdown=True,
                            latex_delimiters=[],
                            line_breaks=True,
                            allow_tags=False,
                            buttons=[],
                            feedback_options=None,
                            group_consecutive_messages=False,
                            placeholder="Ask about the trials in this collection. Every answer quotes the documents, "
                            "with numbered sources that open beside the chat.",
                        )
                        with gr.Row(elem_id="ask-row", equal_height=True):
                            question = gr.Textbox(
                                elem_id="question", show_label=False, placeholder="Ask a question about a trial…",
                                lines=1, max_lines=4, scale=5, autofocus=True, submit_btn=False,
                                max_length=MAX_QUESTION_CHARS, container=False,
                            )
                            send = gr.Button("Ask", variant="primary", elem_id="send", scale=0, min_width=80)
                        example_set = gr.Dataset(
                            components=[question],
                            samples=[[q] for q in examples["clinician"]],
                            label="Example questions",
                            type="index",
                            samples_per_page=MAX_EXAMPLES,
                            elem_id="examples",
                        )
                    with gr.Column(scale=2, min_width=320, elem_id="sources-col"):
                        panel = gr.HTML(EMPTY_PANEL, elem_id="sources-box", js_on_load=None)
            with gr.Tab("Screen a patient", id="screen", elem_id="screen-tab"):
                with gr.Row(elem_id="screen-main", equal_height=False):
                    with gr.Column(scale=3, min_width=420, elem_id="screen-col"):
                        note = gr.Textbox(
                            label="Patient description: paste a clinician's note, or describe the patient in your own words",
                            placeholder="e.g. 62-year-old man with extensive-stage small cell lung cancer, progressed "
                            "after carboplatin and etoposide; ECOG 1; no brain metastases on MRI last month…",
                            lines=4, max_lines=12, max_length=MAX_PATIENT_INPUT, elem_id="patient-note",
                        )
                        with gr.Row(elem_id="screen-row", equal_height=True):
                            addition = gr.Textbox(
                                label="Add a fact and screen again",
                                placeholder="e.g. he had a brain MRI last week, no metastases",
                                lines=1, max_lines=3, max_length=MAX_ADDITION_INPUT, scale=4, elem_id="patient-add",
                            )
                            add_btn = gr.Button("Add and screen again", elem_id="add-btn", scale=0, min_width=230)
                            screen_btn = gr.Button("Screen", variant="primary", elem_id="screen-btn", scale=0,
                                                   min_width=100)
                        verdicts = gr.HTML(EMPTY_SCREEN, elem_id="verdicts-out", js_on_load=None)
                        view = gr.Dropdown(choices=[], value=None, label="Show the checklist for", visible=False,
                                           elem_id="screen-view", filterable=False)
                        checklist = gr.HTML(EMPTY_CHECKLIST, elem_id="checklist-out", js_on_load=None)
                    with gr.Column(scale=2, min_width=320, elem_id="screen-sources-col"):
                        screen_panel = gr.HTML(EMPTY_SCREEN_PANEL, elem_id="screen-sources-box", js_on_load=None)
        turns = gr.State([])
        screened = gr.State(None)

        ask_io = dict(inputs=[question, audience, trial, turns], outputs=[chatbot, turns, panel, question])
        # one pool for every way of asking or screening; requests are answered concurrently (Gradio's default is 1)
        pool = dict(concurrency_limit=CONCURRENCY, concurrency_id="answer")
        ask_io.update(show_progress="minimal", **pool)
        carry = dict(fn=carry_to_screen, inputs=[turns, note], outputs=note, api_visibility="private", queue=False)
        question.submit(respond, api_name="ask", **ask_io).then(**carry)
        send.click(respond, api_visibility="private", **ask_io).then(**carry)
        example_set.click(pick_example, [example_set, audience], question, api_visibility="private", queue=False).then(
            respond, api_visibility="private", **ask_io
        ).then(**carry)
        audience.change(switch_audience, audience, example_set, api_visibility="private", queue=False)
        chatbot.clear(clear, None, [chatbot, turns, panel, question], api_visibility="private", queue=False)

        screen_out = [verdicts, view, checklist, screen_panel, screened]
        screen_btn.click(do_screen, [note, audience, trial, screened], screen_out, api_name="screen",
                         show_progress="minimal", **pool)
        add_io = dict(fn=add_and_screen, inputs=[note, addition, audience, trial, screened],
                      outputs=[*screen_out, note, addition], api_visibility="private", show_progress="minimal", **pool)
        add_btn.click(**add_io)
        addition.submit(**add_io)
        for control in (audience, trial):
            control.change(rescreen, [audience, trial, screened], screen_out, api_visibility="private",
                           show_progress="minimal", **pool)
        view.input(change_view, [view, screened], screen_out, api_visibility="private", show_progress="minimal", **pool)
    return app


def _guard_middleware():
    """ASGI middleware: closes the routes this app does not use and adds a Content-Security-Policy."""

    class Guard:
        def __init__(self, app) -> None:
            self.app = app

        async def __call__(self, scope, receive, send):
            if scope["type"] not in ("http", "websocket"):
                return await self.app(scope, receive, send)
            path = scope.get("path", "")
            root = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            if _CLOSED_PATH.search(path):
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                    return
                await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]})
                await send({"type": "http.response.body", "body": b"Not found"})
                return
            if scope["type"] != "http":
                return await self.app(scope, receive, send)

            async def send_with_headers(message):
                if message["type"] == "http.response.start":
                    headers = list(message.get("headers", []))
                    names = {k.lower() for k, _ in headers}
                    for k, v in (
                        (b"content-security-policy", _CSP.encode()),
                        (b"x-content-type-options", b"nosniff"),
                        (b"referrer-policy", b"no-referrer"),
                    ):
                        if k not in names:
                            headers.append((k, v))
                    message = {**message, "headers": headers}
                await send(message)

            return await self.app(scope, receive, send_with_headers)

    return Guard


def launch(app, host: str = "127.0.0.1", port: int = 7860, block: bool = True, blocked_paths: list[str] | None = None):
    """Start the server (127.0.0.1 unless told otherwise). With ``block=False`` it runs in a thread;
    call ``app.close()`` to stop it."""
    from starlette.middleware import Middleware

    from .settings import ROOT

    app.queue(default_concurrency_limit=CONCURRENCY, max_size=MAX_QUEUE, status_update_rate=STATUS_EVERY)
    blocked = sorted({str(Path(p).resolve()) for p in [ROOT, Path.cwd(), *(blocked_paths or [])]})
    app.launch(
        server_name=host,
        server_port=port,
        share=False,
        inbrowser=False,
        show_error=False,
        quiet=True,
        prevent_thread_lock=not block,
        max_threads=max(40, CONCURRENCY + 8),
        max_file_size=MAX_FILE_SIZE,
        allowed_paths=[],
        blocked_paths=blocked,
        enable_monitoring=False,
        run_history=False,
        mcp_server=False,
        pwa=False,
        ssr_mode=False,
        footer_links=[],
        app_kwargs={"docs_url": None, "redoc_url": None, "middleware": [Middleware(_guard_middleware())]},
        css=_asset("app.css"),
        js=_asset("app.js"),
    )
    return app


def disable_telemetry() -> None:
    """onnxruntime's telemetry events off (the query encoder runs on onnxruntime)."""
    try:
        import onnxruntime

        onnxruntime.disable_telemetry_events()
    except Exception:  # not installed, or a build without telemetry
        pass


def serve(settings: Settings, index_dir: str | Path | None = None, host: str = "127.0.0.1", port: int = 7860) -> None:
    from .pipeline import Assistant

    disable_telemetry()
    assistant = Assistant.open(index_dir, settings)
    index = Path(index_dir) if index_dir else settings.index_dir
    if settings.serve_workers > 1:
        from .workers import PooledAssistant

        assistant = PooledAssistant(assistant, settings, index, settings.serve_workers)
    app = build_app(assistant)
    print(f"Chat UI on http://{host}:{port}", flush=True)
    launch(app, host, port, block=True, blocked_paths=[index, settings.corpus_dir])

