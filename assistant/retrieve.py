"""Retrieve stage: dense (Chroma, through llama-index) and BM25 (llama-index ``BM25Retriever``) over unit nodes,
fused by reciprocal rank. Returns candidates with both scores and the cosine similarity of every candidate, so
evidence selection can weigh them. No per-question state is shared between threads: the BM25 document mask is a
local argument, not an attribute set on the shared retriever.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from llama_index.core import QueryBundle, VectorStoreIndex
from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters
from llama_index.retrievers.bm25 import BM25Retriever

RRF_K = 60  # the constant of reciprocal-rank fusion (as llama-index's QueryFusionRetriever uses)


@dataclass
class Candidate:
    node_id: str
    doc_id: str
    unit: int  # index of the unit in its document
    start: int  # span of this node (a whole unit, or a piece of a long one)
    end: int
    dense: float = 0.0  # cosine similarity to the question
    bm25: float = 0.0  # BM25 score (0 if BM25 did not retrieve it)
    rrf: float = 0.0
    rank: int = 0


_BM25_LOCK = threading.Lock()  # the retriever's PyStemmer instance must not be used by two threads at once


class ScopedBM25(BM25Retriever):
    """llama-index's BM25 retriever, queried with a per-call document mask (thread-safe)."""

    def search(self, query: str, k: int, mask: np.ndarray | None) -> list[tuple[dict, float]]:
        import bm25s

        with _BM25_LOCK:
            tokens = bm25s.tokenize(query, stemmer=self.stemmer if not self.skip_stemming else None, token_pattern=self.token_pattern, show_progress=False)
        k = min(k, len(self.corpus))
        if k <= 0:
            return []
        indexes, scores = self.bm25.retrieve(tokens, k=k, show_progress=False, weight_mask=mask)
        out = []
        for idx, score in zip(indexes[0], scores[0]):
            if score <= 0:
                continue
            out.append((idx if isinstance(idx, dict) else self.corpus[int(idx)], float(score)))
        return out


class HybridRetriever:
    def __init__(self, vector_index: VectorStoreIndex, collection, bm25: ScopedBM25, embed_model, settings) -> None:
        self.vector_index = vector_index
        self.collection = collection
        self.bm25 = bm25
        self.embed_model = embed_model
        self.settings = settings
        self.row_docs = np.array([row.get("doc_id", "") for row in bm25.corpus])

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self.embed_model.get_query_embedding(text), dtype=np.float32)

    def retrieve(self, dense_text: str, sparse_text: str, doc_ids: list[str] | None, top_k: int | None = None) -> tuple[list[Candidate], np.ndarray]:
        s = self.settings
        k = top_k or s.fused_top_k
        qvec = self.embed_query(dense_text)
        filters = None
        if doc_ids:
            filters = MetadataFilters(filters=[MetadataFilter(key="doc_id", value=list(doc_ids), operator=FilterOperator.IN)])
        dense_k = max(s.dense_top_k, k)
        dense = self.vector_index.as_retriever(similarity_top_k=dense_k, filters=filters).retrieve(
            QueryBundle(query_str=dense_text, embedding=qvec.tolist())
        )
        mask = np.isin(self.row_docs, doc_ids).astype(np.float32) if doc_ids else None
        sparse = self.bm25.search(sparse_text, max(s.sparse_top_k, k), mask)
        cands: dict[str, Candidate] = {}

        def cand(node_id: str, meta: dict) -> Candidate:
            if node_id not in cands:
                cands[node_id] = Candidate(node_id, meta["doc_id"], int(meta["unit"]), int(meta["start"]), int(meta["end"]))
            return cands[node_id]

        for rank, hit in enumerate(dense):
            c = cand(hit.node.node_id, hit.node.metadata)
            c.dense = float(hit.score or 0.0)
            c.rrf += 1.0 / (RRF_K + rank + 1)
        allowed = set(doc_ids) if doc_ids else None
        for rank, (row, score) in enumerate(sparse):
            if allowed is not None and row.get("doc_id") not in allowed:
                continue
            c = cand(row["node_id"], row)
            c.bm25 = score
            c.rrf += 1.0 / (RRF_K + rank + 1)
        out = sorted(cands.values(), key=lambda c: -c.rrf)[:k]
        missing = [c for c in out if c.dense == 0.0]
        if missing:  # BM25-only candidates: their cosine from the stored vectors
            got = self.collection.get(ids=[c.node_id for c in missing], include=["embeddings"])
            vecs = {i: np.asarray(v, dtype=np.float32) for i, v in zip(got["ids"], got["embeddings"])}
            for c in missing:
                v = vecs.get(c.node_id)
                if v is not None:
                    c.dense = float(v @ qvec / (np.linalg.norm(v) * np.linalg.norm(qvec) + 1e-9))
        for rank, c in enumerate(out):
            c.rank = rank
        return out, qvec
