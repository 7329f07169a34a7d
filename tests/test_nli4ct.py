"""Real registry records from NLI4CT (read from ../shared, never committed); skipped when absent."""

import json

import pytest

from conftest import NLI4CT

pytestmark = pytest.mark.skipif(not (NLI4CT / "trials").is_dir(), reason="NLI4CT data not present")


def test_conversion_keeps_each_line_addressable():
    from assistant.nli4ct import load_trials

    docs, spans = load_trials(NLI4CT / "trials", limit=5)
    for doc in docs:
        record = json.loads((NLI4CT / "trials" / f"{doc.doc_id}.json").read_text())
        for (section, i), (s, e) in spans[doc.doc_id].items():
            assert doc.text[s:e] == record[section][i].strip()


def test_scoped_statement_cites_its_trial_verbatim(tmp_path):
    from assistant import Assistant
    from assistant.nli4ct import load_trials
    from assistant.settings import Settings
    from assistant.store import ingest

    docs, _ = load_trials(NLI4CT / "trials", limit=8)
    settings = Settings(index_dir=tmp_path / "ix")
    report = ingest(docs, settings, settings.index_dir, show_progress=False)
    assert report.docs_added == 8 and report.chunks_added > 0
    assistant = Assistant.open(settings.index_dir, settings)
    target = docs[0]
    a = assistant.ask("What are the inclusion criteria?", trial=target.trial_id)
    b = assistant.ask(f"What adverse events were reported in {target.trial_id}?")
    for answer in (a, b):
        assert answer.citations, answer.answer
        for c in answer.citations:
            assert c.doc_id == target.doc_id
            assert assistant.sources[c.doc_id].text[c.start : c.end] == c.quote
