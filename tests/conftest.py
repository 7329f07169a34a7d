"""Shared fixtures: a real index (real Chroma, real MiniLM embeddings) built once per session in a temp dir."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.corpus import load_documents
from assistant.settings import ROOT, Settings
from assistant.store import ingest

NLI4CT = ROOT.parent / "shared" / "data" / "nli4ct"


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    return Settings(index_dir=tmp_path_factory.mktemp("index"))


@pytest.fixture(scope="session")
def corpus_index(settings) -> Path:
    docs, skipped = load_documents([settings.corpus_dir])
    assert not skipped
    ingest(docs, settings, settings.index_dir, delete_missing=True, show_progress=False)
    return settings.index_dir


@pytest.fixture(scope="session")
def assistant(settings, corpus_index):
    from assistant import Assistant

    return Assistant.open(corpus_index, settings)


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    """Two short documents copied from the corpus into a temp folder."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in ("nct07289048-ibi363-registry.txt", "nct07134153-intrathecal-tdxd-registry.txt"):
        shutil.copy(ROOT / "corpus" / name, folder / name)
    return folder


def source_text(assistant, citation) -> str:
    return assistant.sources[citation.doc_id].text
