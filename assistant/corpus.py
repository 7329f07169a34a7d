"""Load stage: the files a user names → parsed documents (text, units, identity), with reasons for every skip.

Files are found and read by ``files.discover`` (regular files only, size and time limits, links kept inside the
named folder). Each is parsed by its adapter: ClinicalTrials.gov v2 study JSON, NLI4CT report JSON, HTML, or
free text / markdown. Identity comes from the document (``identity.extract``); an optional ``manifest.json``
in a folder may override fields for its files, validated by a JSON schema (a bad manifest or entry is reported
and ignored, never fatal).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from .adapters import ctgov, nli4ct
from .adapters.html import html_to_text
from .adapters.text import parse_text
from .files import FileLimits, RawFile, decode_text, discover
from .identity import extract
from .types import Identity, ParsedDoc, ParseStats, SkippedFile

MANIFEST = "manifest.json"
MANIFEST_SCHEMA = {
    "type": "object",
    "description": "file name → fields that override what is read from the document",
    "additionalProperties": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "doc_id": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$"},
            "title": {"type": "string", "maxLength": 300},
            "kind": {"type": "string", "maxLength": 60},
            "trial_id": {"type": ["string", "null"], "pattern": r"^[A-Za-z0-9._/-]{3,40}$"},
            "trial_names": {"type": "array", "items": {"type": "string", "maxLength": 100}},
            "drugs": {"type": "array", "items": {"type": "string", "maxLength": 100}},
            "conditions": {"type": "array", "items": {"type": "string", "maxLength": 200}},
            "sponsor": {"type": ["string", "null"], "maxLength": 300},
            "phase": {"type": ["string", "null"], "maxLength": 40},
            "date": {"type": ["string", "null"], "maxLength": 40},
        },
    },
}
LOW_QUOTABLE_SHARE = 0.8  # ingest warns when less of a document's content than this became quotable units


@dataclass
class LoadResult:
    docs: list[ParsedDoc] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def display_path(path: Path, roots: list[Path]) -> str:
    """A path to show users: relative to the project, or to the folder the user named (never absolute)."""
    from .settings import ROOT

    resolved = Path(path).absolute()
    for base in [ROOT, *[r.parent for r in roots]]:
        try:
            return str(resolved.relative_to(base.absolute()))
        except ValueError:
            continue
    return Path(path).name


def load_manifest(folder: Path, result: LoadResult) -> dict:
    """The folder's manifest, validated; {} when absent or invalid (with a warning)."""
    import jsonschema

    path = folder / MANIFEST
    if not path.is_file():
        return {}
    files, skipped = discover([path], FileLimits(max_bytes=2_000_000), ignore_names=())
    if not files:
        result.warnings.append(f"{MANIFEST} in {folder.name}/ ignored: {skipped[0].reason if skipped else 'unreadable'}")
        return {}
    try:
        data = json.loads(decode_text(files[0]))
    except (ValueError, RecursionError) as exc:
        result.warnings.append(f"{MANIFEST} in {folder.name}/ ignored: not valid JSON ({str(exc)[:120]})")
        return {}
    if not isinstance(data, dict):
        result.warnings.append(f"{MANIFEST} in {folder.name}/ ignored: it must be an object mapping file names to fields, not a {type(data).__name__}")
        return {}
    good = {}
    validator = jsonschema.Draft202012Validator(MANIFEST_SCHEMA["additionalProperties"])
    for name, entry in data.items():
        errors = sorted(validator.iter_errors(entry), key=lambda e: list(e.path))
        if errors:
            where = "/".join(str(p) for p in errors[0].path) or "entry"
            result.warnings.append(f"{MANIFEST} entry {name!r} ignored: {where}: {errors[0].message[:160]}")
            continue
        good[name] = entry
    return good


def apply_manifest(ident: Identity, entry: dict) -> Identity:
    changes = {}
    for key in ("title", "kind", "sponsor", "phase"):
        if entry.get(key):
            changes[key] = entry[key]
    if "trial_id" in entry:
        changes["trial_ids"] = (entry["trial_id"],) if entry["trial_id"] else ()
    for key in ("trial_names", "drugs", "conditions"):
        if entry.get(key):
            changes[key] = tuple(dict.fromkeys([*entry[key], *getattr(ident, key)]))
    if entry.get("date"):
        changes["dates"] = {**ident.dates, "date": entry["date"]}
    return replace(ident, **changes)


def parse_raw(raw: RawFile, doc_id: str, path: str) -> ParsedDoc:
    """Parse one file's bytes; raises ValueError with a user-facing reason when it cannot be used."""
    text = decode_text(raw)
    hint = None
    if raw.suffix == ".json":
        try:
            data = json.loads(text)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
        if ctgov.is_ctgov(data):
            text, units, hint = ctgov.parse(data)
            fmt = "ctgov-json"
        elif nli4ct.is_nli4ct(data):
            text, units = nli4ct.parse(data)
            hint = Identity(title=nli4ct.title(data))
            fmt = "nli4ct-json"
        else:
            raise ValueError("unrecognised JSON (not a ClinicalTrials.gov v2 study or an NLI4CT trial report)")
        stats = ParseStats(lines=len(units), quotable=len(units))
    else:
        if raw.suffix in (".html", ".htm"):
            text = html_to_text(text)
            fmt = "html"
        else:
            fmt = "markdown" if raw.suffix in (".md", ".markdown") else "text"
        units, stats = parse_text(text)
    if not units:
        raise ValueError("no readable content")
    identity = extract(text, units, hint)
    return ParsedDoc(doc_id, path, text, fmt, units, identity, stats, source=str(Path(raw.path).absolute()))


def _slug(stem: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._")
    return slug[:100] or "document"


def assign_ids(raws: list[RawFile], taken: dict[str, str] | None = None) -> dict[str, str]:
    """source path → doc_id: the file stem, unless another file (now or already indexed) has it; then the
    stem plus a short hash of its path. Stable from run to run."""
    import hashlib

    taken = dict(taken or {})  # doc_id -> source path already in the index
    by_stem: dict[str, list[str]] = {}
    for raw in raws:
        by_stem.setdefault(_slug(raw.path.stem), []).append(str(Path(raw.path).absolute()))
    out = {}
    for stem, sources in by_stem.items():
        for src in sources:
            clash = len(sources) > 1 or (stem in taken and taken[stem] != src)
            out[src] = f"{stem}-{hashlib.sha1(src.encode()).hexdigest()[:6]}" if clash else stem
    return out


def load_documents(
    paths: Iterable[Path], limits: FileLimits | None = None, taken_ids: dict[str, str] | None = None, use_manifest: bool = True
) -> LoadResult:
    """Read and parse every usable file under ``paths``; the rest are skipped with a reason."""
    roots = [Path(p) for p in paths]
    result = LoadResult()
    raws, skipped = discover(roots, limits or FileLimits())
    result.skipped.extend(SkippedFile(s.path, s.reason) for s in skipped)
    manifests: dict[Path, dict] = {}
    ids = assign_ids(raws, taken_ids)
    for raw in raws:
        src = str(Path(raw.path).absolute())
        doc_id = ids[src]
        shown = display_path(raw.path, roots)
        if doc_id != _slug(raw.path.stem):
            result.warnings.append(f"{shown}: another document is also named {raw.path.stem!r}; this one is indexed as {doc_id!r}")
        try:
            doc = parse_raw(raw, doc_id, shown)
        except (ValueError, RecursionError) as exc:
            result.skipped.append(SkippedFile(shown, str(exc)))
            continue
        if use_manifest:
            folder = Path(raw.path).parent
            if folder not in manifests:
                manifests[folder] = load_manifest(folder, result)
            entry = manifests[folder].get(Path(raw.path).name)
            if entry:
                doc.identity = apply_manifest(doc.identity, entry)
                if entry.get("doc_id"):
                    doc.doc_id = entry["doc_id"]
        if doc.stats.share < LOW_QUOTABLE_SHARE:
            result.warnings.append(f"{shown}: only {doc.stats.share:.0%} of its lines became quotable units; check its layout")
        result.docs.append(doc)
    return result
