"""The query path, wired in one place: plan → retrieve → select evidence → compose → cite → check."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from . import compose
from .embedding import ENCODER_DIR, load_embed_model, load_query_encoder
from .errors import AssistantError
from .evidence import Evidence, age_limits, contact, criteria_sections, figures_disagree, score_hits, select_facts
from .query import Catalog, plan_query
from .settings import Settings
from .store import DF, DOCSTORE, check_fingerprint, chroma_client
from .types import Answer, Unit

@dataclass
class SourceRec:
    doc_id: str
    text: str
    title: str
    path: str
    meta: dict


@dataclass
class ChunkRec:
    chunk_id: str
    doc_id: str
    section_text: str
    units: list[Unit]


class Assistant:
    """Answers questions from an index built by ``assistant ingest``. Open once, ask many times."""

    def __init__(self, settings: Settings, index_dir: Path) -> None:
        self.settings = settings
        self.index_dir = Path(index_dir)
        self.meta = check_fingerprint(settings, self.index_dir)
        encoder = self.index_dir / ENCODER_DIR
        if settings.onnx_query_encoder and (encoder / "config.json").is_file():
            embed = load_query_encoder(encoder)
        else:
            embed = load_embed_model(settings.embed_model, settings.embed_batch_size)

        from llama_index.core import VectorStoreIndex
        from llama_index.core.storage.docstore import SimpleDocumentStore
        from llama_index.retrievers.bm25 import BM25Retriever
        from llama_index.vector_stores.chroma import ChromaVectorStore

        from .retrieve import HybridRetriever

        docstore = SimpleDocumentStore.from_persist_path(str(self.index_dir / DOCSTORE))
        self.sources = {
            doc_id: SourceRec(doc_id, d.text, d.metadata.get("title", doc_id), d.metadata.get("path", ""), d.metadata)
            for doc_id, d in docstore.docs.items()
        }
        bm25 = BM25Retriever.from_persist_dir(str(self.index_dir / "bm25"), show_progress=False)
        self.chunks: dict[str, ChunkRec] = {}
        self.doc_chunks: dict[str, list[ChunkRec]] = {}
        row_doc_ids = []
        for row in bm25.corpus:  # node metadata, flattened by llama-index, one row per chunk
            units = [Unit(s, e, kind, (), label) for s, e, kind, label in json.loads(row["units"])]
            rec = ChunkRec(row["node_id"], row["doc_id"], row.get("section", ""), units)
            self.chunks[rec.chunk_id] = rec
            self.doc_chunks.setdefault(rec.doc_id, []).append(rec)
            row_doc_ids.append(rec.doc_id)
        for recs in self.doc_chunks.values():
            recs.sort(key=lambda r: r.chunk_id)
        freqs = json.loads((self.index_dir / DF).read_text())
        self.df, self.n_chunks = freqs["df"], freqs["n"]
        self.catalog = Catalog({d: s.meta for d, s in self.sources.items()})
        collection = chroma_client(settings, self.index_dir).get_collection(settings.collection)
        vector_index = VectorStoreIndex.from_vector_store(ChromaVectorStore(chroma_collection=collection), embed_model=embed)
        self.retriever = HybridRetriever(vector_index, bm25, row_doc_ids, settings)

    @classmethod
    def open(cls, index_dir: str | Path | None = None, settings: Settings | None = None) -> "Assistant":
        settings = settings or Settings()
        return cls(settings, Path(index_dir) if index_dir else settings.index_dir)

    def quote(self, e: Evidence) -> str:
        return self.sources[e.doc_id].text[e.start : e.end]

    # ------------------------------------------------------------------ the query path
    def ask(
        self,
        question: str,
        audience: str = "clinician",
        trial: str | None = None,
        history: list[dict] | None = None,
        id: str | None = None,
    ) -> Answer:
        t0 = time.perf_counter()
        answer = self._answer(question if isinstance(question, str) else "", audience, trial, history or [])
        answer.id = id
        answer.timing_ms = (time.perf_counter() - t0) * 1000
        return answer

    def _answer(self, question: str, audience: str, trial: str | None, history: list[dict]) -> Answer:
        if audience not in ("clinician", "patient"):
            raise AssistantError(f"audience must be 'clinician' or 'patient', not {audience!r}")
        question_clean = " ".join(question.split())
        if not question_clean:
            return Answer(question, compose.phrases()["empty_question"], abstained=True)
        if len(question_clean) > self.settings.max_question_chars:
            return Answer(question[:200], compose.phrases()["too_long"], abstained=True)
        plan = plan_query(question_clean, self.catalog, self.df, self.n_chunks, history=history, trial=trial)
        citer = compose.Citer(self)
        if plan.unknown_trial:
            reason = compose.phrases()["unknown_trial"].format(trial=plan.unknown_trial)
            return self._abstain(question, audience, plan, citer, reason)

        if plan.intent in ("age", "list") and not plan.doc_ids and len(self.sources) > 1:
            # eligibility differs by trial: ask which one rather than mix trials
            return Answer(question, compose.phrases()["which_trial"], abstained=True)

        if plan.intent == "age":
            found, lo, hi = age_limits(plan.doc_ids, self)
            if found:
                verdict = None
                if plan.age is not None:
                    verdict = "no" if (hi is not None and plan.age > hi) or (lo is not None and plan.age < lo) else "yes"
                evidence = [citer.cite(e) for e in found[:4]]
                text = compose.render(
                    "age.j2", audience=audience, verdict=verdict, age=plan.age, evidence=evidence,
                    no_upper=hi is None, **self._patient_extras(audience, plan, citer, evidence),
                )
                return self._finish(question, text, citer, plan)

        if plan.intent == "list":
            items, others = criteria_sections(plan, self)
            if items:
                items = items[: self.settings.max_list_items]
                groups: dict[str, list[Evidence]] = {}
                for e in items:
                    groups.setdefault(f"{self.sources[e.doc_id].title} › {e.section}", []).append(citer.cite(e))
                kind_word = {"inclusion": "inclusion criteria", "exclusion": "exclusion criteria"}.get(plan.list_kind or "", "eligibility criteria")
                text = compose.render(
                    "list.j2", audience=audience, kind_word=kind_word, others=others,
                    groups=[{"section": s, "entries": v} for s, v in groups.items()],
                    **self._patient_extras(audience, plan, citer, items),
                )
                return self._finish(question, text, citer, plan)

        if plan.intent == "contact" and plan.doc_ids:
            found = contact(plan.doc_ids, self)
            if found:
                lead = citer.cite(found)
                text = compose.render("fact.j2", audience=audience, lead=lead, support=[], conflict=False, glossary=[], contact=None)
                return self._finish(question, text, citer, plan)

        hits = self.retriever.retrieve(question_clean, plan.search_text, plan.doc_ids)
        scored = score_hits(plan, hits, self)
        chosen = select_facts(plan, scored, self, self.settings.min_coverage, self.settings.max_citations)
        if not chosen:
            return self._abstain(question, audience, plan, citer, "")
        chosen = [citer.cite(e) for e in chosen]
        conflict = figures_disagree(chosen)
        text = compose.render(
            "fact.j2", audience=audience, lead=chosen[0], support=chosen[1:], conflict=conflict,
            **self._patient_extras(audience, plan, citer, chosen),
        )
        return self._finish(question, text, citer, plan)

    def _patient_extras(self, audience: str, plan, citer, evidence: list[Evidence]) -> dict:
        if audience != "patient":
            return {"glossary": [], "contact": None}
        docs = plan.doc_ids or sorted({e.doc_id for e in evidence})
        found = contact(docs, self)
        return {
            "glossary": compose.glossary_for([e.quote for e in evidence]),
            "contact": citer.cite(found) if found else None,
        }

    def _abstain(self, question: str, audience: str, plan, citer, reason: str) -> Answer:
        found = contact(plan.doc_ids, self) if audience == "patient" and plan.doc_ids else None
        text = compose.render("abstain.j2", audience=audience, reason=reason, contact=citer.cite(found) if found else None)
        return Answer(question, text, abstained=True, citations=citer.citations)

    def _finish(self, question: str, text: str, citer, plan) -> Answer:
        compose.check_grounding(text, citer.citations, question)
        return Answer(question, text, abstained=False, citations=citer.citations)
