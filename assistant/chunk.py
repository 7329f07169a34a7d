"""Chunk stage: each quotable unit becomes a retrieval node (llama-index ``TextNode``) sized for the model.

Evidence is selected at the level of units (a sentence, a criterion, a result row), so units are what gets
retrieved: each node's text is the unit with the context it cannot be read without — the document's short
title, its section path, and the lines it depends on (a result row's outcome measure and group). A unit too long
for the embedding window is split into sentence pieces (or word runs), each its own node pointing at the same
unit. Headings are quotable but are not retrieved on their own (their words are in every node's section path).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator

from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

from .adapters.layout import section_type, sentence_spans
from .types import ParsedDoc, Unit

SECTION_SEP = " › "
TITLE_WORDS = 12  # words of the document title put in front of each node


def node_id(doc_id: str, unit_index: int, piece: int = 0) -> str:
    return f"{doc_id}#{unit_index:05d}" + (f".{piece}" if piece else "")


def short_title(doc: ParsedDoc) -> str:
    words = doc.title.split()
    return " ".join(words[:TITLE_WORDS])


def context_text(doc: ParsedDoc, unit: Unit) -> str:
    """The lines a unit is read with (outcome measure, group title…), joined."""
    parts = [" ".join(doc.text[s:e].split()) for s, e in unit.context]
    for key in ("measure", "group", "group_title", "unit", "time_frame"):
        value = unit.attrs.get(key)
        if value and not any(value in p for p in parts):
            parts.append(f"{key.replace('_', ' ')}: {value}")
    return "; ".join(parts)


def unit_header(doc: ParsedDoc, unit: Unit) -> str:
    head = f"{short_title(doc)} | {SECTION_SEP.join(unit.section)}"
    ctx = context_text(doc, unit)
    return f"{head} | {ctx}" if ctx else head


def _pieces(text: str, unit: Unit, count: Callable[[str], int], budget: int) -> list[tuple[int, int]]:
    """Spans of a unit that each fit ``budget`` word pieces: whole sentences, or word runs (linear time)."""
    spans: list[tuple[int, int]] = []
    for a, b in sentence_spans(text, unit.start, unit.end):
        if count(text[a:b]) <= budget:
            spans.append((a, b))
            continue
        run_start, run_tokens = None, 0
        prev_end = a
        for m in re.finditer(r"\S+", text[a:b]):
            ws, we = a + m.start(), a + m.end()
            size = count(m.group(0))
            if run_start is None:
                run_start, run_tokens = ws, size
            elif run_tokens + size > budget:
                spans.append((run_start, prev_end))
                run_start, run_tokens = ws, size
            else:
                run_tokens += size
            prev_end = we
        if run_start is not None:
            spans.append((run_start, prev_end))
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and count(text[merged[-1][0] : b]) <= budget:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged or [(unit.start, unit.end)]


def doc_nodes(doc: ParsedDoc, count: Callable[[str], int], window: int) -> Iterator[TextNode]:
    """Retrieval nodes of one document (every unit but headings)."""
    for i, unit in enumerate(doc.units):
        if unit.kind == "heading":
            continue
        header = unit_header(doc, unit)
        room = window - count(header) - 4
        body = doc.text[unit.start : unit.end]
        spans = [(unit.start, unit.end)] if count(body) <= room else _pieces(doc.text, unit, count, max(room, 32))
        for p, (a, b) in enumerate(spans):
            text = f"{header}\n{' '.join(doc.text[a:b].split())}"
            if count(text) > window - 2:  # header itself too long: keep the unit, drop the context
                text = " ".join(doc.text[a:b].split())
            node = TextNode(
                id_=node_id(doc.doc_id, i, p),
                text=text,
                metadata={
                    "doc_id": doc.doc_id,
                    "unit": i,
                    "kind": unit.kind,
                    "section": SECTION_SEP.join(unit.section),
                    "section_type": section_type(unit.section),
                    "start": a,
                    "end": b,
                    "h": hashlib.sha1(text.encode()).hexdigest()[:16],
                },
            )
            # the source relationship makes llama-index's own "doc_id"/"ref_doc_id" metadata equal to ours
            node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=doc.doc_id)
            node.excluded_embed_metadata_keys = list(node.metadata)
            node.excluded_llm_metadata_keys = list(node.metadata)
            yield node

