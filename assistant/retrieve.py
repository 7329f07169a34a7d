"""Retrieve stage: BM25 and dense retrieval over the same chunks, fused by reciprocal rank."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from llama_index.core import QueryBundle, VectorStoreIndex
from llama_index.core.llms import MockLLM
from llama_index.core.retrievers import QueryFusionRetriever
from llama_index.core.retrievers.fusion_retriever import FUSION_MODES
from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    score: float
    rank: int


class HybridRetriever:
    """Dense (Chroma) + sparse (BM25), fused with llama-index's reciprocal-rank fusion."""

    def __init__(self, vector_index: VectorStoreIndex, bm25, chunk_doc_ids: list[str], settings) -> None:
        self.vector_index = vector_index
        self.bm25 = bm25
        self.settings = settings
        self._doc_of_row = np.array(chunk_doc_ids)
        self._lock = threading.Lock()

    def retrieve(self, dense_text: str, sparse_text: str, doc_ids: list[str] | None) -> list[Hit]:
        s = self.settings
        filters = None
        if doc_ids:
            filters = MetadataFilters(filters=[MetadataFilter(key="doc_id", value=list(doc_ids), operator=FilterOperator.IN)])
        dense = self.vector_index.as_retriever(similarity_top_k=s.dense_top_k, filters=filters)
        with self._lock:  # the BM25 mask is per query
            mask = np.isin(self._doc_of_row, doc_ids).astype(int).tolist() if doc_ids else None
            self.bm25.corpus_weight_mask = mask
            self.bm25.similarity_top_k = min(s.sparse_top_k, len(self._doc_of_row))
            fusion = QueryFusionRetriever(
                retrievers=[dense, self.bm25],
                llm=MockLLM(),
                mode=FUSION_MODES.RECIPROCAL_RANK,
                num_queries=1,
                use_async=False,
                similarity_top_k=2 * s.fused_top_k,
            )
            bundle = QueryBundle(query_str=sparse_text, custom_embedding_strs=[dense_text])
            results = fusion.retrieve(bundle)
        allowed = set(doc_ids) if doc_ids else None
        # BM25 returns masked rows with score 0 when few rows match: drop them
        results = [r for r in results if allowed is None or r.node.metadata.get("doc_id") in allowed]
        keep = results[: s.fused_top_k]
        if allowed and len(allowed) > 1:  # each named document gets its best chunks in
            for doc_id in allowed:
                own = [r for r in results if r.node.metadata.get("doc_id") == doc_id][: s.per_doc_min]
                keep += [r for r in own if r not in keep]
        return [Hit(r.node.node_id, float(r.score or 0.0), rank) for rank, r in enumerate(keep)]
