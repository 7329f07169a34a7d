"""The query path, wired in one place: validate → plan → retrieve → select evidence → compose → cite → check."""

from __future__ import annotations

import json
import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from . import compose
from .eligibility import MAX_PATIENT_CHARS, TrialResult, concern_rows, rank, screen_doc, screenable
from .errors import AssistantError, BadInputError
from .adapters.layout import section_type
from .query import ASK_ANYWHERE, Catalog, plan_query, question_parts, terms
from .vocab import drug_mentions, form_pattern
from .select import (
    Evidence,
    event_terms,
    score_candidates,
    select_age,
    select_sex,
    select_contact,
    select_criteria,
    select_fact,
)
from .settings import Settings
from .store import check_fingerprint, chroma_client, collection_name, load_docs
from .types import Answer, ParsedDoc

AUDIENCES = ("clinician", "patient")
NOT_A_FIT = re.compile(r"\bnot applicable\b|\bassumed\b|\bnot mentioned\b", re.I)  # met only by default: not "what you told me fits"
NCT_IN = re.compile(r"\bNCT\d{8}\b", re.I)
DEPENDENT_PART = re.compile(
    r"\b(ahead|better|worse|higher|lower|longer|shorter|differ\w*|compare\w*|same|either|both|instead)\b"
    r"|\b(?:didn't|did not|don't|doesn't|weren't|wasn't|isn't|aren't|not)\W*$",  # "…and how many didn't?" leans on the other part
    re.I,
)
MAX_HISTORY_TURNS = 50
AGE_SEARCH_WORDS = "age aged years old minimum maximum eligible ages"
CONTACT_SEARCH_WORDS = "contact phone email telephone central contact"


@dataclass(frozen=True)
class DocInfo:
    doc_id: str
    trial_id: str | None
    title: str
    kind: str
    drugs: tuple[str, ...]
    conditions: tuple[str, ...]


def clean_text(value: str) -> str:
    """Drop control characters (NUL included) and replace lone surrogates; keep line breaks as spaces."""
    value = value.encode("utf-8", "replace").decode("utf-8") if _has_surrogates(value) else value
    out = []
    for ch in value:
        cat = unicodedata.category(ch)
        if ch in "\n\t\r\u2028\u2029":
            out.append(" ")
        elif cat in ("Cc", "Cs", "Co") or (cat == "Cf" and ch not in "\u200d"):
            continue
        else:
            out.append(ch)
    return "".join(out)


def _has_surrogates(value: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in value)


def message_text(content) -> str:
    """A chat message's content: a string, or Gradio-style typed parts ({"type": "text", "text": …})."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        text = content.get("text", "")
        return text if isinstance(text, str) else ""
    if isinstance(content, (list, tuple)):
        return " ".join(message_text(part) for part in content)
    return ""


def check_args(name: str, text, audience, trial) -> None:
    """The arguments every public entry point takes: text, an audience, an optional trial."""
    if not isinstance(text, str):
        raise BadInputError(f"{name} must be text, not {type(text).__name__}")
    if audience not in AUDIENCES:
        raise BadInputError(f"audience must be 'clinician' or 'patient', not {audience!r}")
    if trial is not None and not isinstance(trial, str):
        raise BadInputError(f"trial must be a trial ID or document id (text), not {type(trial).__name__}")


def validate_history(history) -> list[dict]:
    if history is None:
        return []
    if not isinstance(history, (list, tuple)):
        raise BadInputError(f"history must be a list of {{'role', 'content'}} messages, not {type(history).__name__}")
    out = []
    for i, turn in enumerate(list(history)[-MAX_HISTORY_TURNS:]):
        if not isinstance(turn, dict):
            raise BadInputError(f"history[{i}] must be an object with 'role' and 'content', not {type(turn).__name__}")
        role = turn.get("role")
        if role not in ("user", "assistant", "system"):
            raise BadInputError(f"history[{i}].role must be 'user' or 'assistant'")
        content = turn.get("content", "")
        if not isinstance(content, (str, list, tuple, dict)):
            raise BadInputError(f"history[{i}].content must be text")
        out.append({"role": role, "content": clean_text(message_text(content))[:4000]})
    return out


TRIAL_PHRASE = re.compile(
    r"\b(?:the|this|that|a|an|your)\s+(?P<a>[^.?!]{1,70}?)\s+(?:trial|study|studies|protocol|basket)\b"
    r"|\b(?:trial|study|protocol)\s+(?:of|with|testing|using|on)\s+(?P<b>[^.?!,;]{1,50})",
    re.I,
)


STUDY_OF = re.compile(r"\b(?:trial|study|protocol)\s+(?:of|with|testing|using|doing|giving|comparing|looking at|where they (?:give|gave|use|used|do|did)|"
                      r"that (?:gives|gave|tests|tested|uses|used|looks at|looked at|compares|compared))\s+(?P<b>[^.?!,;]{1,70})", re.I)
PERSONAL = re.compile(r"\s*(?:my|his|her|their|our|me|him|them|us|patients?|people)\b", re.I)


def trial_names_masked(text: str, names: list[str]) -> str:
    """The text with the names that identify a trial ("can I join the Avastin + docetaxel trial?") replaced, so
    that screening does not read the trial's own drugs as the patient's treatment history. Names elsewhere (the
    patient's own treatments) stay."""
    pats = [form_pattern(n) for n in sorted(set(names), key=len, reverse=True) if len(n) >= 3]

    def mask(m: re.Match) -> str:
        phrase = m.group(0)
        for p in pats:
            phrase = p.sub("named", phrase)
        return phrase

    def describes_study(m: re.Match) -> str:  # "the study of the HER2 vaccine given with lapatinib": what the study gives
        return m.group(0) if PERSONAL.match(m.group("b")) else m.group(0)[: m.start("b") - m.start()] + "it"

    return TRIAL_PHRASE.sub(mask, STUDY_OF.sub(describes_study, text))


def sparse_text(plan) -> str:
    """The keyword query: the question with its concepts' forms, and the words an age or contact answer uses."""
    return plan.search_text + {"age": " " + AGE_SEARCH_WORDS, "contact": " " + CONTACT_SEARCH_WORDS}.get(plan.strategy, "")


def treatment_text(doc: ParsedDoc) -> str | None:
    """A document's title and the text of its intervention and arm sections (and its results' group titles); None
    for a document without such sections (a news report, a summary): then every drug it names counts as its own."""
    parts = [doc.text[u.start : u.end] for u in doc.units if section_type(u.section) == "intervention" or u.attrs.get("role") == "group"]
    return "\n".join([doc.title, *parts]) if parts else None


class Assistant:
    """Answers questions from an index built by ``assistant ingest``. Open once, ask many times (thread-safe)."""

    def __init__(self, settings: Settings, index_dir: Path) -> None:
        from llama_index.core import VectorStoreIndex
        from llama_index.vector_stores.chroma import ChromaVectorStore

        from .embedding import get_encoder
        from .retrieve import HybridRetriever, ScopedBM25

        self.settings = settings
        self._event_words: set[str] | None = None
        self.index_dir = Path(index_dir)
        self.generation, self.meta = check_fingerprint(settings, self.index_dir)
        self.docs: dict[str, ParsedDoc] = {d: sd.doc for d, sd in load_docs(self.generation).items()}
        stats = json.loads((self.generation / "df.json").read_text())
        self.df, self.n_units = stats["df"], stats["n"]
        self.catalog = Catalog({d: doc.identity for d, doc in self.docs.items()}, {d: doc.text for d, doc in self.docs.items()},
                               {d: t for d, doc in self.docs.items() if (t := treatment_text(doc)) is not None})
        embed = get_encoder(settings.embed_model, self.index_dir, settings.onnx_encoder, settings.embed_batch_size, export=False, threads=settings.query_threads)
        collection = chroma_client(settings, self.generation).get_collection(collection_name(settings, self.generation))
        vector_index = VectorStoreIndex.from_vector_store(ChromaVectorStore(chroma_collection=collection), embed_model=embed)
        bm25 = ScopedBM25.from_persist_dir(str(self.generation / "bm25"))
        self.retriever = HybridRetriever(vector_index, collection, bm25, embed, settings)

    @classmethod
    def open(cls, index_dir: str | Path | None = None, settings: Settings | None = None) -> "Assistant":
        settings = settings or Settings()
        return cls(settings, Path(index_dir) if index_dir else settings.index_dir)

    # ------------------------------------------------------------------ what the index holds (for UIs)
    def documents(self) -> list[DocInfo]:
        out = [
            DocInfo(d.doc_id, d.identity.trial_id, d.title, d.identity.kind, d.identity.drugs, d.identity.conditions)
            for d in self.docs.values()
        ]
        return sorted(out, key=lambda d: d.title.lower())

    def document_text(self, doc_id: str) -> str:
        return self.docs[doc_id].text

    def section_span(self, doc_id: str, start: int, end: int) -> tuple[int, int]:
        """The character span of the section holding ``[start, end)``."""
        doc = self.docs[doc_id]
        holder = next((u for u in doc.units if u.start <= start and end <= u.end), None)
        if holder is None:
            return start, end
        same = [u for u in doc.units if u.section == holder.section]
        return min(u.start for u in same), max(u.end for u in same)

    # ------------------------------------------------------------------ the query path
    def ask(self, question, audience: str = "clinician", trial=None, history=None, id: str | None = None) -> Answer:
        """Answer ``question``; bad arguments raise ``BadInputError`` (an ``AssistantError``) with a clear message."""
        t0 = time.perf_counter()
        check_args("question", question, audience, trial)
        turns = validate_history(history)
        trace: dict = {}
        answer = self._answer(question, audience, clean_text(trial).strip() if trial else None, turns, trace)
        answer.trace = trace
        answer.id = id
        answer.timing_ms = (time.perf_counter() - t0) * 1000
        return answer

    def _answer(self, raw_question: str, audience: str, trial: str | None, history: list[dict], trace: dict) -> Answer:
        s = self.settings
        question = " ".join(clean_text(raw_question).split())
        shown = question[:300]
        if not question:
            return Answer(shown, compose.phrases()["empty_question"], abstained=True, strategy="invalid")
        if len(question) > s.max_question_chars:
            return Answer(shown, compose.phrases()["too_long"], abstained=True, strategy="invalid")
        plan = plan_query(question, self.catalog, self.df, self.n_units, history=history, trial=trial,
                          context_weight=self.settings.context_weight)
        citer = compose.Citer(self)
        if plan.unknown:
            names = ", ".join(plan.unknown)
            if plan.unknown_in_scope and plan.doc_ids:
                titles = "; ".join(self.docs[d].title for d in plan.doc_ids[:3])
                reason = compose.phrases()["not_in_scope"].format(names=names, titles=titles)
            else:
                reason = compose.phrases()["unknown_entity"].format(names=names)
            return self._abstain(question, audience, plan, citer, reason, strategy="guard")
        if plan.strategy == "empty":
            return Answer(shown, compose.phrases()["no_content"], abstained=True, strategy="empty")
        if plan.strategy == "screen":
            patient = " ".join([h["content"] for h in history if h["role"] == "user"] + [question])
            names = [*plan.entities, *drug_mentions(patient), *(n for n, _ in self.catalog.drug_forms_in(patient))]
            patient = trial_names_masked(patient, names)  # "the Perjeta trial": the trial's drug, not the patient's
            results = self._screen(patient, plan.doc_ids, audience)
            if results:
                return self._screen_answer(question, audience, results, plan)
        if plan.strategy in ("age", "list", "contact") and not plan.doc_ids and len(self.docs) > 1:
            return Answer(shown, compose.phrases()["which_trial"], abstained=True, strategy=plan.strategy)

        if plan.strategy in ("fact", "age", "contact"):
            parts = question_parts(question, self._asks_own_thing, self._names_value)
            if len(parts) > 1:
                return self._answer_parts(question, parts, audience, plan, history, trace)

        sparse = sparse_text(plan)
        top_k = s.cross_trial_top_k if plan.strategy == "cross_trial" else None
        if plan.strategy == "compare" and plan.doc_ids and len(plan.doc_ids) <= 4:
            cands = [c for d in plan.doc_ids for c in self.retriever.retrieve(question, sparse, [d])[0]]  # each trial its own candidates
        else:
            cands, _ = self.retriever.retrieve(question, sparse, plan.doc_ids, top_k)
        scored = score_candidates(plan, cands, self, s)
        trace.update(plan=plan, retrieved=[(c.doc_id, c.unit) for c in cands], scored=scored)

        if plan.strategy == "age":
            found, limits = select_age(plan, scored, self)
            doc_ids = [d for d in (plan.doc_ids or []) if d in found] or list(found)
            if doc_ids:
                evidence = [citer.cite(e) for d in doc_ids for e in found[d][:4]]
                lo = max((limits[d][0] for d in doc_ids if limits[d][0] is not None), default=None)
                hi = min((limits[d][1] for d in doc_ids if limits[d][1] is not None), default=None)
                verdict = None
                if plan.age is not None and (lo is not None or hi is not None):
                    verdict = "no" if (hi is not None and plan.age > hi) or (lo is not None and plan.age < lo) else "yes"
                text = compose.render(
                    "age.j2", audience=audience, verdict=verdict, age=plan.age, evidence=[citer.view(e) for e in evidence],
                    no_upper=hi is None, **self._patient_extras(audience, doc_ids, citer, evidence),
                )
                return self._finish(question, text, citer, plan, "age")

        if plan.strategy == "list":
            items, others = select_criteria(plan, plan.doc_ids or [], self)
            if items:
                items = [citer.cite(e) for e in items[: s.max_list_items]]
                groups: dict[str, list[dict]] = {}
                for e in items:
                    groups.setdefault(f"{self.docs[e.doc_id].title} › {e.section}", []).append(citer.view(e))
                kind_word = {"inclusion": "inclusion criteria", "exclusion": "exclusion criteria"}.get(plan.list_kind or "", "eligibility criteria")
                text = compose.render(
                    "list.j2", audience=audience, kind_word=kind_word, others=others,
                    groups=[{"section": k, "entries": v} for k, v in groups.items()],
                    **self._patient_extras(audience, plan.doc_ids or [], citer, items),
                )
                return self._finish(question, text, citer, plan, "list")

        if plan.strategy == "contact":
            docs = plan.doc_ids or list(dict.fromkeys(e.doc_id for e in scored[:5]))
            found = select_contact(docs, scored, self)
            if found:
                views = []
                for e in found:
                    citer.cite(e)
                    views.append(citer.view(e))
                text = compose.render("contact.j2", audience=audience, evidence=views)
                return self._finish(question, text, citer, plan, "contact")
            if plan.doc_ids:
                names = "; ".join(self.docs[d].title for d in plan.doc_ids)
                return self._abstain(question, audience, plan, citer, compose.phrases()["no_contact"].format(titles=names), strategy="contact")

        if plan.strategy in ("cross_trial", "compare"):
            docs = (plan.doc_ids or []) if plan.strategy == "compare" else list(dict.fromkeys(e.doc_id for e in scored))
            per_doc: dict[str, list[Evidence]] = {}
            # a comparison's words are shared between its trials: each trial's units need half the usual coverage
            per_doc_settings = s.model_copy(update={"min_coverage": s.min_coverage / 2}) if plan.strategy == "compare" else s
            for doc_id in docs:
                chosen = select_fact(plan, [e for e in scored if e.doc_id == doc_id], self, per_doc_settings, limit=2)
                if chosen:
                    per_doc[doc_id] = chosen
            if per_doc:
                ordered = sorted(per_doc.items(), key=lambda kv: -kv[1][0].prob)[: s.max_trials_listed]
                groups, quotes = [], {}
                for doc_id, evs in ordered:
                    id_ev = self._id_evidence(doc_id) if plan.strategy == "cross_trial" else None
                    cited = [citer.cite(e) for e in ([id_ev] if id_ev else []) + evs]
                    groups.append({"title": self.docs[doc_id].title, "entries": [citer.view(e) for e in cited]})
                    quotes[doc_id] = [e.quote for e in cited]
                missing = [self.docs[d].title for d in docs if d not in per_doc] if plan.strategy == "compare" else []
                all_ev = [e for _, evs in ordered for e in evs]
                text = compose.render(
                    "grouped.j2", audience=audience, intro="", groups=groups, missing=missing,
                    conflict=plan.strategy == "compare" and compose.figures_disagree(quotes),
                    **self._patient_extras(audience, [d for d, _ in ordered], citer, all_ev),
                )
                return self._finish(question, text, citer, plan, plan.strategy)
            return self._abstain(question, audience, plan, citer, "", strategy=plan.strategy)

        chosen = (select_sex(plan, plan.doc_ids, self) if plan.doc_ids and len(plan.doc_ids) <= 3 else []) or select_fact(plan, scored, self, s)
        if not chosen:
            return self._abstain(question, audience, plan, citer, "", strategy="fact")
        chosen = [citer.cite(e) for e in chosen]
        by_doc: dict[str, list[str]] = {}
        for e in chosen:
            by_doc.setdefault(e.doc_id, []).append(e.quote)
        views = [citer.view(e) for e in chosen]
        text = compose.render(
            "fact.j2", audience=audience, lead=views[0], support=views[1:], conflict=compose.figures_disagree(by_doc),
            **self._patient_extras(audience, list(by_doc), citer, chosen),
        )
        return self._finish(question, text, citer, plan, "fact")

    def _asks_own_thing(self, piece: str) -> bool:
        """Can this clause be answered alone: it asks for a value in so many words, or names a medical or trial
        concept; not a comparison of what the other parts ask ("which arm came out ahead?")."""
        if DEPENDENT_PART.search(piece) or (len(piece.split()) <= 2 and not NCT_IN.search(piece)):
            return False  # "which arm came out ahead?", "and how often?" lean on the other part
        sub = plan_query(piece, self.catalog, self.df, self.n_units)
        return (sub.value_type_explicit or sub.strategy in ("age", "contact") or any(c.topic and c.weight >= 0.5 for c in sub.concepts)
                or any(c.weight >= 1.0 and terms(c.name) <= self.event_words for c in sub.concepts))  # "were there any cardiac arrests?"

    def _names_value(self, piece: str) -> bool:
        """Does this clause name a value to give ("doses of carbo and bev", "daily doses")?"""
        sub = plan_query(piece, self.catalog, self.df, self.n_units)
        return sub.value_type is not None and sub.strategy == "fact"

    @property
    def event_words(self) -> set[str]:
        """The words of the events the documents' adverse-event tables list."""
        if self._event_words is None:
            self._event_words = {t for doc in self.docs.values() for _, ts in event_terms(doc) for t in ts}
        return self._event_words

    def _answer_parts(self, question: str, parts: list[str], audience: str, plan, history: list[dict], trace: dict) -> Answer:
        """A question asking several things ("what phase is it, and who sponsors it?"): each part is planned,
        retrieved and selected on its own, within the trials the whole question names, and answered under its own
        heading; parts the documents do not answer are named."""
        citer = compose.Citer(self)
        groups, missing, evidence = [], [], []
        retrieved, scored_all = [], []
        scope = plan.doc_ids
        lead = ASK_ANYWHERE.search(parts[0])
        context = parts[0][: lead.start()].strip(" ,;:–—-") if lead and lead.start() > 0 else ""
        for i, part in enumerate(parts):
            asked = f"{context}, {part}" if context and i else part  # "In the X arm, …": every part is asked of X
            asks = asked + "?" if "?" in question and not asked.endswith("?") else asked  # its context sentences stay context
            before = history + [{"role": "user", "content": parts[i - 1]}] if i else history  # a part follows the one before
            sub = plan_query(asks, self.catalog, self.df, self.n_units, history=before, context_weight=self.settings.context_weight)
            if not sub.named:  # a trial named once holds for every part
                sub.doc_ids, sub.carried = scope, plan.carried
            elif plan.doc_ids:  # a part naming a drug stays within the trials the whole question names
                sub.doc_ids = [d for d in sub.named if d in plan.doc_ids] or list(plan.doc_ids)
            sub.unknown = []  # the whole question passed the entity guard
            found, cands, scored = self._part_evidence(sub, asked)
            retrieved += [(c.doc_id, c.unit) for c in cands]
            scored_all += scored
            label = re.split(r"(?<=[.!?])\s+", part)[-1]  # the asking sentence; what the user told of themselves is not repeated
            label = label[:1].upper() + label[1:]
            if found:
                scope = scope or list(dict.fromkeys(e.doc_id for e in found))  # the trial that answered goes on
                cited = [citer.cite(e) for e in found]
                evidence += cited
                groups.append({"title": label, "entries": [citer.view(e) for e in cited]})
            else:
                missing.append(label)
        trace.update(plan=plan, parts=parts, retrieved=retrieved, scored=sorted(scored_all, key=lambda e: -e.prob))
        if not groups:
            return self._abstain(question, audience, plan, citer, "", strategy="parts")
        text = compose.render(
            "parts.j2", audience=audience, groups=groups, missing=missing,
            **self._patient_extras(audience, list(dict.fromkeys(e.doc_id for e in evidence)), citer, evidence),
        )
        return self._finish(question, text, citer, plan, "parts")

    def _part_evidence(self, sub, part: str) -> tuple[list[Evidence], list, list[Evidence]]:
        """Evidence answering one part of a question, by the part's own strategy (age, contact, or fact)."""
        s = self.settings
        if sub.strategy in ("empty", "screen") or (sub.strategy in ("age", "contact") and not sub.doc_ids and len(self.docs) > 1):
            return [], [], []
        cands, _ = self.retriever.retrieve(part, sparse_text(sub), sub.doc_ids)
        scored = score_candidates(sub, cands, self, s)
        if sub.strategy == "age":
            found, _ = select_age(sub, scored, self)
            return [e for evs in found.values() for e in evs[:2]], cands, scored
        if sub.strategy == "contact":
            return select_contact(sub.doc_ids or [], scored, self)[:2], cands, scored
        return select_fact(sub, scored, self, s, limit=2), cands, scored

    # ------------------------------------------------------------------ eligibility screening
    def screen(self, patient, trial=None, audience: str = "clinician") -> dict:
        """Screen a patient description against one trial (``trial``: NCT ID, document id or name) or all of them.

        Returns {"trials": [TrialResult.to_json()…]} ranked (possible matches first), or {"error": message}."""
        check_args("patient", patient, audience, trial)
        text = " ".join(clean_text(patient).split())
        if not text:
            return {"error": "Please describe the patient (age, diagnosis, treatments so far…)."}
        if len(text) > MAX_PATIENT_CHARS:
            return {"error": f"That description is too long ({len(text)} characters; at most {MAX_PATIENT_CHARS}). Please shorten it."}
        scope = None
        if trial:
            scope = self._resolve_trial(clean_text(trial).strip())
            if not scope:
                return {"error": compose.phrases()["unknown_trial"].format(trial=trial)}
        results = self._screen(text, scope, audience)
        if not results:
            return {"error": "None of the documents in scope lists eligibility criteria to screen against."}
        return {"trials": [r.to_json() for r in results]}

    def _resolve_trial(self, trial: str) -> list[str]:
        by_id = self.catalog.doc_for_id(trial)
        if by_id:
            return by_id
        if trial in self.docs:
            return [trial]
        return self.catalog.resolve(trial)[0]

    def _screen(self, patient: str, scope: list[str] | None, audience: str) -> list[TrialResult]:
        docs = [self.docs[d] for d in (scope or sorted(self.docs))]
        return rank([screen_doc(patient, d, audience) for d in docs if screenable(d)])

    def _screen_answer(self, question: str, audience: str, results: list[TrialResult], plan) -> Answer:
        import re as _re

        from .select import NUMBER_RE

        citer = compose.Citer(self)
        shown = results[:6]
        trials = []
        for r in shown:
            def cite_row(row: dict) -> dict:
                c = row["citation"]
                ev = Evidence(c["doc_id"], -1, c["start"], c["end"], c["section"], "criterion")
                citer.cite(ev)
                allowed = set(NUMBER_RE.findall(question + " " + row["text"]))
                reason = row["reason"] if set(NUMBER_RE.findall(row["reason"])) <= allowed else ""
                return {"quote": ev.quote, "n": ev.n, "reason": _re.sub(r"\s+", " ", reason)}

            failing = [cite_row(c) for c in r.failing[:3]]
            unknown = [] if failing else [cite_row(c) for c in r.unknown if c["type"] == "inclusion"][:3]
            shown_quotes = {c["quote"] for c in failing + unknown}
            asked = []
            for c in concern_rows(plan, r.criteria):
                row = cite_row(c)
                if row["quote"] not in shown_quotes:
                    row["status"] = c["status"]
                    asked.append(row)
                    shown_quotes.add(row["quote"])
            met = []
            for c in r.criteria:  # inclusion criteria the description itself satisfies (not assumed from silence)
                if len(met) < 3 and c["status"] == "meets" and c["type"] == "inclusion" and c.get("patient_evidence") \
                        and c["citation"]["quote"] not in shown_quotes and not NOT_A_FIT.search(c.get("reason") or ""):
                    row = cite_row(c)
                    shown_quotes.add(row["quote"])
                    met.append(row)
            follow = [] if failing else r.follow_up[:3]
            follow = [f for f in follow if set(NUMBER_RE.findall(f)) <= set(NUMBER_RE.findall(question + " " + " ".join(c["text"] for c in r.criteria)))]
            trials.append({"title": r.title, "trial_shown": r.trial if r.trial not in r.title else "", "verdict": r.verdict,
                           "failing": failing, "unknown": unknown, "asked": asked, "met": met, "follow_up": follow})
        more = ""
        if len(results) > len(shown):
            more = f"({len(results) - len(shown)} more trials screened; ask about one by name to see it.)"
        text = compose.render("screen.j2", audience=audience, trials=trials, more=more)
        titles = [r.title for r in shown]
        compose.check_grounding(text, citer.citations, question, titles + [more])
        docs = [r.doc_id for r in shown]
        return Answer(question[:300], text, abstained=False, citations=citer.citations, strategy="screen", docs=docs)

    def _id_evidence(self, doc_id: str) -> Evidence | None:
        """The unit that states a document's own trial ID (so a list of trials shows which is which)."""
        doc = self.docs[doc_id]
        tid = doc.identity.trial_id
        if not tid or tid in doc.title:
            return None
        for i, u in enumerate(doc.units):
            if tid in doc.text[u.start : u.end] and u.kind != "heading" and len(doc.text[u.start : u.end]) <= 120:
                return Evidence(doc_id, i, u.start, u.end, " › ".join(u.section), u.kind)
        return None

    def _patient_extras(self, audience: str, doc_ids: list[str], citer, evidence: list[Evidence]) -> dict:
        if audience != "patient":
            return {"glossary": [], "contact": None}
        found = select_contact(list(dict.fromkeys(doc_ids))[:1], [], self)
        contact = None
        if found:
            citer.cite(found[0])
            contact = citer.view(found[0])
        return {"glossary": compose.glossary_for([e.quote for e in evidence]), "contact": contact}

    def _abstain(self, question: str, audience: str, plan, citer, reason: str, strategy: str) -> Answer:
        contact = None
        if audience == "patient" and plan.doc_ids and not plan.unknown:
            found = select_contact(plan.doc_ids[:1], [], self)
            if found:
                citer.cite(found[0])
                contact = citer.view(found[0])
        text = compose.render("abstain.j2", audience=audience, reason=reason, contact=contact)
        return Answer(question[:300], text, abstained=True, citations=citer.citations, strategy=strategy, docs=list(plan.doc_ids or []))

    def _finish(self, question: str, text: str, citer, plan, strategy: str) -> Answer:
        titles = [d.title for d in self.docs.values() if d.title in text]
        compose.check_grounding(text, citer.citations, question, titles)
        docs = list(dict.fromkeys(c.doc_id for c in citer.citations))
        return Answer(question[:300], text, abstained=False, citations=citer.citations, strategy=strategy, docs=docs)


__all__ = ["Assistant", "AssistantError", "BadInputError", "DocInfo", "clean_text", "message_text"]
