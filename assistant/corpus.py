"""Load stage: read corpus files verbatim, attach manifest metadata, report what was skipped."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from .types import SkippedFile, SourceDoc

MANIFEST = "manifest.json"
NCT_RE = re.compile(r"\bNCT\d{8}\b")


def load_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def doc_id_for(path: Path) -> str:
    return path.stem


def _read_text(path: Path) -> str:
    """Read a file as UTF-8 text; raise ValueError with a reason if it is not usable."""
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise ValueError("binary file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    if not text.strip():
        raise ValueError("empty file")
    return text


def _candidates(paths: Iterable[Path]) -> Iterable[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if (p.is_file() or p.is_symlink()) and not p.name.startswith(".") and p.name != MANIFEST
            )
        else:
            yield path


def load_documents(paths: Iterable[Path]) -> tuple[list[SourceDoc], list[SkippedFile]]:
    """Read every file under ``paths``. Bad files are skipped with a reason; the rest load."""
    docs: list[SourceDoc] = []
    skipped: list[SkippedFile] = []
    manifests: dict[Path, dict] = {}
    for path in _candidates(Path(p) for p in paths):
        try:
            text = _read_text(path)
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            skipped.append(SkippedFile(str(path), reason))
            continue
        folder = path.parent
        if folder not in manifests:
            manifests[folder] = load_manifest(folder)
        meta = manifests[folder].get(path.name, {})
        docs.append(make_doc(path, text, meta))
    return docs, skipped


def display_path(path: Path) -> str:
    """Path as shown in citations: relative to the project when inside it."""
    from .settings import ROOT

    resolved = path.resolve()
    return str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else str(resolved)


def make_doc(path: Path, text: str, meta: dict) -> SourceDoc:
    first_line = next((ln.strip() for ln in text.splitlines() if ln.strip()), path.stem)
    nct = NCT_RE.search(text)
    return SourceDoc(
        doc_id=meta.get("doc_id") or doc_id_for(path),
        path=display_path(path),
        text=text,
        title=meta.get("title") or first_line[:160],
        kind=meta.get("kind", "document"),
        trial_id=meta["trial_id"] if "trial_id" in meta else (nct.group(0) if nct else None),
        trial_names=tuple(meta.get("trial_names", ())),
        drugs=tuple(meta.get("drugs", ())),
        conditions=tuple(meta.get("conditions", ())),
        date=meta.get("date"),
    )
