"""Embed/store stage: llama-index ingestion into a persisted Chroma collection, plus a BM25 index.

Layout of the index folder::

    index_meta.json   fingerprint of the settings that shaped the index, counts, build time
    docstore.json     llama-index docstore: source texts and their hashes (drives upserts)
    chroma/           Chroma persistent client (dense vectors + chunk metadata)
    bm25/             llama-index BM25Retriever (bm25s) over the same chunks
    query_encoder/    ONNX export of the embedding model, for fast start-up at query time
"""

from __future__ import annotations

import json
import shutil
import time
import warnings
from pathlib import Path

from .embedding import ENCODER_DIR, export_query_encoder
from .errors import IndexMissingError, IndexStaleError
from .settings import Settings
from .types import IngestReport, SourceDoc

META = "index_meta.json"
DOCSTORE = "docstore.json"
DF = "term_frequencies.json"
INGEST_BATCH_DOCS = 100


def read_meta(index_dir: Path) -> dict | None:
    path = Path(index_dir) / META
    return json.loads(path.read_text()) if path.is_file() else None


def check_fingerprint(settings: Settings, index_dir: Path) -> dict:
    """Return the index metadata, or raise a clear error if missing or built with other settings."""
    meta = read_meta(index_dir)
    if meta is None:
        raise IndexMissingError(f"No index at {index_dir}. Build it with: assistant ingest --index {index_dir}")
    if meta.get("fingerprint") != settings.fingerprint():
        raise IndexStaleError(
            f"The index at {index_dir} was built with different settings "
            f"({meta.get('settings')}; now {settings.shaping()}). "
            f"Rebuild it with: assistant ingest --rebuild --index {index_dir}"
        )
    return meta


def chroma_client(settings: Settings, index_dir: Path):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    return chromadb.PersistentClient(path=str(Path(index_dir) / "chroma"), settings=chroma_settings)


def to_llama_document(doc: SourceDoc):
    from llama_index.core import Document

    metadata = {
        "title": doc.title,
        "kind": doc.kind,
        "trial_id": doc.trial_id or "",
        "trial_names": ", ".join(doc.trial_names),
        "drugs": ", ".join(doc.drugs),
        "conditions": ", ".join(doc.conditions),
        "date": doc.date or "",
        "path": doc.path,
    }
    return Document(id_=doc.doc_id, text=doc.text, metadata=metadata)


def _wipe(index_dir: Path) -> None:
    for name in (META, DOCSTORE, DF, "bm25", ENCODER_DIR):
        target = index_dir / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def ingest(
    docs: list[SourceDoc],
    settings: Settings,
    index_dir: Path,
    *,
    rebuild: bool = False,
    delete_missing: bool = False,
    show_progress: bool = True,
) -> IngestReport:
    """Upsert ``docs`` into the index: unchanged documents are skipped, changed ones replaced.

    With ``delete_missing``, documents in the index but not in ``docs`` are removed.
    """
    from llama_index.core.ingestion import DocstoreStrategy, IngestionPipeline
    from llama_index.core.storage.docstore import SimpleDocumentStore
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from .chunk import StructuredChunker
    from .embedding import load_embed_model

    t0 = time.perf_counter()
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    meta = read_meta(index_dir)
    if rebuild:
        _wipe(index_dir)
    elif meta is not None and meta.get("fingerprint") != settings.fingerprint():
        check_fingerprint(settings, index_dir)  # raises with the rebuild hint

    client = chroma_client(settings, index_dir)
    if rebuild and settings.collection in [c.name for c in client.list_collections()]:
        client.delete_collection(settings.collection)
    collection = client.get_or_create_collection(settings.collection, metadata={"hnsw:space": "cosine"})
    docstore_path = index_dir / DOCSTORE
    docstore = SimpleDocumentStore.from_persist_path(str(docstore_path)) if docstore_path.is_file() else SimpleDocumentStore()

    lldocs = [to_llama_document(d) for d in docs]
    before_hashes = {doc_id: h for h, doc_id in docstore.get_all_document_hashes().items()}
    report = IngestReport(documents=len(lldocs))
    to_run = []
    for d in lldocs:
        old = before_hashes.get(d.id_)
        if old == d.hash:
            report.docs_unchanged += 1
            continue
        report.docs_added += old is None
        report.docs_changed += old is not None
        to_run.append(d)
    removed = sorted(set(before_hashes) - {d.id_ for d in lldocs}) if delete_missing else []
    report.docs_removed = len(removed)

    count_before = collection.count()
    vector_store = ChromaVectorStore(chroma_collection=collection)
    for doc_id in removed:
        docstore.delete_document(doc_id, raise_error=False)
        vector_store.delete(doc_id)
    if to_run:
        pipeline = IngestionPipeline(
            transformations=[
                StructuredChunker(model_name=settings.embed_model, budget=settings.chunk_tokens, window=settings.max_embed_tokens),
                load_embed_model(settings.embed_model, settings.embed_batch_size),
            ],
            vector_store=vector_store,
            docstore=docstore,
            docstore_strategy=DocstoreStrategy.UPSERTS,  # changed documents replace their old chunks
            disable_cache=True,
        )
        from tqdm.auto import tqdm

        with tqdm(total=len(to_run), unit="doc", desc="Ingesting", disable=not show_progress) as bar:
            for i in range(0, len(to_run), INGEST_BATCH_DOCS):  # batches bound memory and Chroma's batch size
                batch = to_run[i : i + INGEST_BATCH_DOCS]
                report.chunks_added += len(pipeline.run(documents=batch))
                bar.update(len(batch))
    count_after = collection.count()
    report.chunks_removed = count_before + report.chunks_added - count_after
    report.chunks_unchanged = count_after - report.chunks_added

    docstore.persist(str(docstore_path))
    if to_run or removed or not (index_dir / "bm25").is_dir():
        build_bm25(collection, index_dir)
    if settings.onnx_query_encoder and not (index_dir / ENCODER_DIR / "config.json").is_file():
        try:
            export_query_encoder(settings.embed_model, index_dir / ENCODER_DIR, settings.embed_batch_size)
        except Exception as exc:  # noqa: BLE001 - questions then use sentence-transformers: slower start, same vectors
            warnings.warn(f"ONNX export of {settings.embed_model} failed ({exc}); questions will use sentence-transformers.")
    (index_dir / META).write_text(
        json.dumps(
            {
                "fingerprint": settings.fingerprint(),
                "settings": settings.shaping(),
                "documents": len(docstore.docs),
                "chunks": count_after,
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            },
            indent=2,
        )
    )
    report.seconds = time.perf_counter() - t0
    return report


def all_nodes(collection) -> list:
    """Every chunk node stored in the Chroma collection."""
    from llama_index.core.vector_stores.utils import metadata_dict_to_node

    nodes = []
    total = collection.count()
    for offset in range(0, total, 5000):
        got = collection.get(include=["metadatas", "documents"], limit=5000, offset=offset)
        for node_id, meta, text in zip(got["ids"], got["metadatas"], got["documents"]):
            node = metadata_dict_to_node(meta, text=text)
            node.id_ = node_id
            nodes.append(node)
    nodes.sort(key=lambda n: n.id_)
    return nodes


def build_bm25(collection, index_dir: Path) -> None:
    from llama_index.retrievers.bm25 import BM25Retriever

    target = Path(index_dir) / "bm25"
    if target.exists():
        shutil.rmtree(target)
    nodes = all_nodes(collection)
    if not nodes:
        return
    retriever = BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=10)
    retriever.persist(str(target), show_progress=False)
    (Path(index_dir) / DF).write_text(json.dumps(chunk_frequencies(nodes)))


def chunk_frequencies(nodes) -> dict:
    """How many chunks each stemmed term occurs in (section path included): IDF weights for concepts."""
    from collections import Counter

    from .query import unit_terms

    df: Counter = Counter()
    for node in nodes:
        df.update(unit_terms(node.metadata.get("section", "") + " " + node.get_content()))
    return {"n": len(nodes), "df": dict(df)}
