"""Embed/store stage: a crash-safe index of parsed documents, unit nodes in Chroma and a BM25 index.

Layout of an index folder::

    CURRENT              name of the complete generation in use (replaced atomically with os.replace)
    LOCK                 held (flock) by the one ingest allowed to run at a time
    encoders/<model>/    ONNX export of the embedding model (made once, shared by generations)
    g-<time>-<id>/       one complete generation:
        meta.json        settings fingerprint, counts, build time (written last: a generation without it is
                         incomplete and is never used)
        docs.jsonl       every document: text, units, identity, path, content hash
        chroma/          Chroma persistent store, collection of unit nodes with their vectors
        bm25/            llama-index BM25Retriever over the same nodes

An ingest builds a new generation beside the current one, reusing the vectors of unchanged nodes from it, and
switches ``CURRENT`` only when the new generation is complete. A crash at any moment leaves the previous
generation in use (or no index, if there never was one) — never a half-written one. The generation before the
current one is kept so that a running server reading it is not pulled from under; older ones are removed.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import IndexBusyError, IndexMissingError, IndexStaleError
from .settings import Settings
from .types import Identity, IngestReport, ParsedDoc, ParseStats, Unit

CURRENT = "CURRENT"
LOCK = "LOCK"
META = "meta.json"
DOCS = "docs.jsonl"
COLLECTION_BATCH = 2000


@dataclass
class StoredDoc:
    """A document as the index holds it."""

    doc: ParsedDoc
    hash: str


def doc_hash(doc: ParsedDoc) -> str:
    payload = json.dumps([doc.text, [u.to_json() for u in doc.units], doc.identity.to_json(), doc.path], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def current_generation(index_dir: Path) -> Path | None:
    """The complete generation ``CURRENT`` names, or None."""
    index_dir = Path(index_dir)
    try:
        name = (index_dir / CURRENT).read_text().strip()
    except OSError:
        return None
    gen = index_dir / name
    if not name or "/" in name or not (gen / META).is_file():
        return None
    return gen


def read_meta(index_dir: Path) -> dict | None:
    gen = current_generation(index_dir)
    if gen is None:
        return None
    try:
        return json.loads((gen / META).read_text())
    except (OSError, ValueError):
        return None


def check_fingerprint(settings: Settings, index_dir: Path) -> tuple[Path, dict]:
    """The current generation and its metadata, or a clear error saying how to build or rebuild."""
    gen = current_generation(index_dir)
    meta = read_meta(index_dir) if gen else None
    if gen is None or meta is None:
        raise IndexMissingError(f"No complete index at {index_dir}. Build it with: assistant ingest --index {index_dir}")
    if meta.get("fingerprint") != settings.fingerprint():
        raise IndexStaleError(
            f"The index at {index_dir} was built with different settings. Rebuild it with: assistant ingest --rebuild --index {index_dir}"
        )
    return gen, meta


def load_docs(gen: Path) -> dict[str, StoredDoc]:
    out: dict[str, StoredDoc] = {}
    with open(gen / DOCS, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            doc = ParsedDoc(
                doc_id=row["doc_id"],
                path=row["path"],
                text=row["text"],
                fmt=row["fmt"],
                units=[Unit.from_json(u) for u in row["units"]],
                identity=Identity.from_json(row["identity"]),
                stats=ParseStats(**row.get("stats", {})),
                source=row.get("source", ""),
            )
            out[doc.doc_id] = StoredDoc(doc, row["hash"])
    return out


def _write_docs(gen: Path, docs: dict[str, StoredDoc]) -> None:
    with open(gen / DOCS, "w", encoding="utf-8") as fh:
        for sd in docs.values():
            d = sd.doc
            row = {
                "doc_id": d.doc_id, "path": d.path, "source": d.source, "fmt": d.fmt, "hash": sd.hash, "text": d.text,
                "units": [u.to_json() for u in d.units], "identity": d.identity.to_json(),
                "stats": {"lines": d.stats.lines, "quotable": d.stats.quotable, "noise": d.stats.noise},
            }
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def chroma_client(settings: Settings, gen: Path):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    return chromadb.PersistentClient(path=str(Path(gen) / "chroma"), settings=chroma_settings)


def collection_name(settings: Settings, gen: Path) -> str:
    """Embedded: one collection per generation folder. Server: one per generation, named after it."""
    if settings.chroma_host:
        return f"{settings.collection}-{Path(gen).name}"[:60]
    return settings.collection


@contextmanager
def ingest_lock(index_dir: Path):
    """Refuse a second concurrent ingest of the same index instead of interleaving them."""
    index_dir.mkdir(parents=True, exist_ok=True)
    fh = open(index_dir / LOCK, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise IndexBusyError(f"Another ingest is updating {index_dir} right now; wait for it to finish, then run this again.") from None
    try:
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def ingest(
    docs: list[ParsedDoc],
    settings: Settings,
    index_dir: Path,
    *,
    rebuild: bool = False,
    replace_sources: list[Path] | None = None,
    show_progress: bool = True,
    crash_after: str | None = None,
) -> IngestReport:
    """Build a new generation holding ``docs`` plus the current documents they do not replace, then switch to it.

    ``replace_sources``: folders/files whose previously indexed documents are dropped when absent from ``docs``
    (so a document deleted from a folder leaves the index when that folder is ingested again).
    ``crash_after`` (tests only): raise SystemExit after the named step, to check crash safety.
    """
    from tqdm.auto import tqdm

    from .chunk import doc_nodes
    from .embedding import TokenCounter, embed_texts, get_encoder

    t0 = time.perf_counter()
    index_dir = Path(index_dir)
    report = IngestReport(documents=len(docs))
    with ingest_lock(index_dir):
        old_gen = None if rebuild else current_generation(index_dir)
        old_meta = read_meta(index_dir) if old_gen else None
        if old_gen is not None and (old_meta or {}).get("fingerprint") != settings.fingerprint():
            raise IndexStaleError(
                f"The index at {index_dir} was built with different settings. Rebuild it with: assistant ingest --rebuild --index {index_dir}"
            )
        old_docs = load_docs(old_gen) if old_gen else {}

        # ---- the new document set
        new_docs: dict[str, StoredDoc] = {}
        replaced_roots = [Path(p).absolute() for p in (replace_sources or [])]

        def under_replaced(source: str) -> bool:
            return any(Path(source) == r or r in Path(source).parents for r in replaced_roots)

        for d in docs:
            new_docs[d.doc_id] = StoredDoc(d, doc_hash(d))
        for doc_id, sd in old_docs.items():
            if doc_id in new_docs:
                continue
            if under_replaced(sd.doc.source):
                report.docs_removed += 1
                continue
            new_docs[doc_id] = sd
        for doc_id, sd in new_docs.items():
            old = old_docs.get(doc_id)
            if old is None:
                report.docs_added += 1
            elif old.hash != sd.hash:
                report.docs_changed += 1
            elif doc_id in {d.doc_id for d in docs}:
                report.docs_unchanged += 1

        if old_gen is not None and not report.docs_added and not report.docs_changed and not report.docs_removed and len(new_docs) == len(old_docs):
            report.units_unchanged = (old_meta or {}).get("nodes", 0)
            report.seconds = time.perf_counter() - t0
            return report  # nothing changed: the current generation stays

        # ---- nodes, reusing vectors of unchanged nodes
        count = TokenCounter(settings.embed_model)
        nodes = [n for sd in new_docs.values() for n in doc_nodes(sd.doc, count, settings.max_embed_tokens)]
        old_vectors = _old_vectors(settings, old_gen, nodes) if old_gen else {}
        todo = [n for n in nodes if n.node_id not in old_vectors]
        report.embedded = len(todo)
        report.units_unchanged = len(nodes) - len(todo)
        report.units_added = len(todo)
        old_count = (old_meta or {}).get("nodes", 0) if old_gen else 0
        report.units_removed = max(0, old_count - report.units_unchanged)
        if todo:
            encoder = get_encoder(settings.embed_model, index_dir, settings.onnx_encoder, settings.embed_batch_size)
            with tqdm(total=len(todo), unit="unit", desc="Embedding", disable=not show_progress) as bar:
                vectors = embed_texts(encoder, [n.text for n in todo], settings.embed_batch_size, bar.update)
            for n, v in zip(todo, vectors):
                n.embedding = v
        else:
            get_encoder(settings.embed_model, index_dir, settings.onnx_encoder, settings.embed_batch_size)  # make sure the export exists
        for n in nodes:
            if n.embedding is None:
                n.embedding = old_vectors[n.node_id]
        if crash_after == "embed":
            raise SystemExit("crash after embed (test)")

        # ---- write the new generation beside the old one
        gen = index_dir / f"g-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        gen.mkdir(parents=True)
        _write_docs(gen, new_docs)
        if crash_after == "docs":
            raise SystemExit("crash after docs (test)")
        _write_vectors(settings, gen, nodes)
        if crash_after == "chroma":
            raise SystemExit("crash after chroma (test)")
        build_bm25(nodes, gen)
        _write_df(nodes, gen)
        meta = {
            "fingerprint": settings.fingerprint(),
            "settings": settings.shaping(),
            "documents": len(new_docs),
            "nodes": len(nodes),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        tmp = gen / (META + ".tmp")
        tmp.write_text(json.dumps(meta, indent=2))
        os.replace(tmp, gen / META)
        if crash_after == "meta":
            raise SystemExit("crash after meta (test)")
        _switch(index_dir, gen)
        if crash_after == "switch":
            raise SystemExit("crash after switch (test)")
        _prune(settings, index_dir, keep={gen.name, old_gen.name if old_gen else ""})
    report.seconds = time.perf_counter() - t0
    return report


def _old_vectors(settings: Settings, old_gen: Path, nodes) -> dict[str, list[float]]:
    """Vectors of nodes whose id and text are unchanged, from the current generation's store."""
    try:
        client = chroma_client(settings, old_gen)
        col = client.get_collection(collection_name(settings, old_gen))
    except Exception:  # noqa: BLE001 - no usable old store: everything is embedded again
        return {}
    want = {n.node_id: n.metadata["h"] for n in nodes}
    ids = list(want)
    out: dict[str, list[float]] = {}
    for i in range(0, len(ids), COLLECTION_BATCH):
        got = col.get(ids=ids[i : i + COLLECTION_BATCH], include=["embeddings", "metadatas"])
        for node_id, meta, vec in zip(got["ids"], got["metadatas"], got["embeddings"]):
            if meta and meta.get("h") == want.get(node_id):
                out[node_id] = [float(x) for x in vec]
    return out


def _write_vectors(settings: Settings, gen: Path, nodes) -> None:
    from llama_index.vector_stores.chroma import ChromaVectorStore

    client = chroma_client(settings, gen)
    name = collection_name(settings, gen)
    if settings.chroma_host:
        try:
            client.delete_collection(name)
        except Exception:  # noqa: BLE001 - not there yet
            pass
    col = client.get_or_create_collection(name, metadata={"hnsw:space": "cosine"})
    store = ChromaVectorStore(chroma_collection=col)
    for i in range(0, len(nodes), COLLECTION_BATCH):
        store.add(nodes[i : i + COLLECTION_BATCH])


def build_bm25(nodes, gen: Path) -> None:
    from llama_index.retrievers.bm25 import BM25Retriever

    target = Path(gen) / "bm25"
    if not nodes:
        return
    light = [_without_embedding(n) for n in nodes]
    BM25Retriever.from_defaults(nodes=light, similarity_top_k=10).persist(str(target), show_progress=False)


def _write_df(nodes, gen: Path) -> None:
    """How many unit nodes each stemmed term occurs in: IDF weights for question concepts."""
    from collections import Counter

    from .query import terms

    df: Counter = Counter()
    for n in nodes:
        df.update(terms(n.text))
    (Path(gen) / "df.json").write_text(json.dumps({"n": len(nodes), "df": dict(df)}))


def _without_embedding(node):
    copy = node.model_copy()
    copy.embedding = None
    return copy


def _switch(index_dir: Path, gen: Path) -> None:
    tmp = index_dir / (CURRENT + ".tmp")
    with open(tmp, "w") as fh:
        fh.write(gen.name)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, index_dir / CURRENT)
    dir_fd = os.open(index_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _prune(settings: Settings, index_dir: Path, keep: set[str]) -> None:
    """Remove generations other than the current and the previous one (and leftovers of crashed builds)."""
    for child in index_dir.iterdir():
        if child.is_dir() and child.name.startswith("g-") and child.name not in keep:
            if settings.chroma_host:
                try:
                    chroma_client(settings, child).delete_collection(collection_name(settings, child))
                except Exception:  # noqa: BLE001 - already gone
                    pass
            shutil.rmtree(child, ignore_errors=True)
    for legacy in ("index_meta.json", "docstore.json", "term_frequencies.json", "bm25", "chroma", "query_encoder"):
        target = index_dir / legacy
        if target.is_dir():
            shutil.rmtree(target, ignore_errors=True)
        elif target.exists():
            target.unlink()
