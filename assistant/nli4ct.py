"""Convert NLI4CT trial reports (JSON) into plain-text documents, one line per source line.

Used by the benchmark and tests; the data set itself is never committed (see shared/data/nli4ct).
Each section becomes a heading followed by its lines, so a cited unit maps back to one line.
"""

from __future__ import annotations

import json
from pathlib import Path

from .types import SourceDoc

SECTIONS = ("Intervention", "Eligibility", "Results", "Adverse Events")


def to_text(record: dict) -> tuple[str, dict[tuple[str, int], tuple[int, int]]]:
    """The report as text, and each (section, line index) → its character span in that text."""
    parts, spans, pos = [], {}, 0
    for section in SECTIONS:
        header = f"{section}\n"
        parts.append(header)
        pos += len(header)
        for i, line in enumerate(record.get(section, [])):
            line = line.replace("\n", " ").rstrip()
            stripped = line.strip()
            if stripped:
                offset = len(line) - len(line.lstrip())
                spans[(section, i)] = (pos + offset, pos + offset + len(stripped))
            parts.append(line + "\n")
            pos += len(line) + 1
        parts.append("\n")
        pos += 1
    return "".join(parts), spans


def load_trials(folder: Path, limit: int | None = None) -> tuple[list[SourceDoc], dict]:
    docs, line_spans = [], {}
    for path in sorted(Path(folder).glob("NCT*.json"))[:limit]:
        record = json.loads(path.read_text(encoding="utf-8"))
        trial_id = record.get("Clinical Trial ID", path.stem)
        text, spans = to_text(record)
        first = next((ln.strip() for ln in record.get("Intervention", []) if ln.strip() and not ln.startswith("INTERVENTION")), "")
        docs.append(
            SourceDoc(
                doc_id=trial_id, path=str(path), text=text, title=f"{trial_id}: {first[:100]}", kind="registry record", trial_id=trial_id
            )
        )
        line_spans[trial_id] = spans
    return docs, line_spans
