"""Chunk stage: group a document's units into chunks that fit the embedding window.

Chunks never cross a section. A unit too long for the window on its own (a very long criterion)
is split into sentence pieces that keep the criterion's label. Noise lines are not in chunk text;
every unit keeps its span into the verbatim source.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from llama_index.core.schema import BaseNode, Document, NodeRelationship, TextNode, TransformComponent
from pydantic import PrivateAttr

from .embedding import TokenCounter
from .parse import parse, sentence_spans
from .types import Chunk, Unit

SECTION_SEP = " › "
EMBED_KEYS = ("title", "section")


def _split_long(text: str, unit: Unit, count, budget: int) -> list[Unit]:
    """Split an over-long unit into pieces that fit ``budget``: whole sentences where possible,
    word runs for a single sentence that is itself too long."""
    spans: list[tuple[int, int]] = []
    for a, b in sentence_spans(text, unit.start, unit.end):
        if count(text[a:b]) <= budget:
            spans.append((a, b))
            continue
        words = [m.span() for m in re.finditer(r"\S+", text[a:b])]
        run_start = None
        for ws, we in words:
            ws, we = a + ws, a + we
            if run_start is None:
                run_start = ws
            elif count(text[run_start:we]) > budget:
                spans.append((run_start, prev_end))
                run_start = ws
            prev_end = we
        if run_start is not None:
            spans.append((run_start, prev_end))
    merged: list[tuple[int, int]] = []
    for a, b in spans:  # merge neighbours back while they fit
        if merged and count(text[merged[-1][0] : b]) <= budget:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return [Unit(a, b, unit.kind, unit.section, unit.label) for a, b in merged]


def chunk_units(
    doc_id: str, text: str, units: Sequence[Unit], count, header_tokens: int, budget: int, window: int
) -> list[Chunk]:
    """Pack consecutive same-section units into chunks of about ``budget`` word pieces (header included).

    A unit is split only if it cannot fit the model ``window`` on its own.
    """
    room = budget - header_tokens - 2  # [CLS]/[SEP]
    hard = window - header_tokens - 2
    chunks: list[Chunk] = []
    current: list[Unit] = []
    used = 0

    def flush() -> None:
        nonlocal current, used
        if current:
            chunks.append(Chunk(f"{doc_id}#{len(chunks):04d}", doc_id, current[0].section, current))
        current, used = [], 0

    for unit in units:
        size = count(text[unit.start : unit.end]) + 1
        pieces = [unit] if size <= hard else _split_long(text, unit, count, hard - 1)
        for piece in pieces:
            size = count(text[piece.start : piece.end]) + 1
            if current and (piece.section != current[0].section or used + size > room):
                flush()
            current.append(piece)
            used += size
    flush()
    return chunks


def chunk_to_node(chunk: Chunk, text: str, doc: Document) -> TextNode:
    meta = doc.metadata
    node = TextNode(
        id_=chunk.chunk_id,
        text="\n".join(text[u.start : u.end] for u in chunk.units),
        metadata={
            "doc_id": chunk.doc_id,
            "title": meta.get("title", ""),
            "trial_id": meta.get("trial_id", ""),
            "section": SECTION_SEP.join(chunk.section),
            "start": chunk.start,
            "end": chunk.end,
            "units": json.dumps([[u.start, u.end, u.kind, u.label] for u in chunk.units]),
        },
    )
    node.excluded_embed_metadata_keys = [k for k in node.metadata if k not in EMBED_KEYS]
    node.excluded_llm_metadata_keys = list(node.excluded_embed_metadata_keys)
    node.relationships[NodeRelationship.SOURCE] = doc.as_related_node_info()
    return node


class StructuredChunker(TransformComponent):
    """llama-index transformation: Documents in, structure-aware TextNodes out."""

    model_name: str
    budget: int = 160
    window: int = 256
    _count: Any = PrivateAttr()

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        self._count = TokenCounter(self.model_name)

    def __call__(self, nodes: Sequence[BaseNode], **kwargs: Any) -> list[BaseNode]:
        out: list[BaseNode] = []
        for doc in nodes:
            assert isinstance(doc, Document)
            text = doc.text
            header = f"title: {doc.metadata.get('title', '')}\nsection: "
            units = parse(text)
            by_section: dict[tuple[str, ...], int] = {}
            for u in units:
                if u.section not in by_section:
                    by_section[u.section] = self._count(header + SECTION_SEP.join(u.section)) + 4
            header_tokens = max(by_section.values(), default=0)
            for chunk in chunk_units(doc.doc_id, text, units, self._count, header_tokens, self.budget, self.window):
                out.append(chunk_to_node(chunk, text, doc))
        return out
