"""Shared fixtures: real indexes (real Chroma, real MiniLM embeddings through the ONNX export) built once per
session in temp dirs — the corpus without its manifest (as a user's own folder would be), and a small synthetic
corpus of documents that are not the corpus, so behaviour is tested on text the rules never saw."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.corpus import load_documents
from assistant.settings import ROOT, Settings
from assistant.store import ingest

NLI4CT = ROOT.parent / "shared" / "data" / "nli4ct"
SYNTHETIC = Path(__file__).parent / "fixtures" / "synthetic"


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    return Settings(index_dir=tmp_path_factory.mktemp("index"))


def build(settings: Settings, folder: Path, index_dir: Path, use_manifest: bool = False) -> Path:
    loaded = load_documents([folder], use_manifest=use_manifest)
    assert not loaded.skipped, loaded.skipped
    ingest(loaded.docs, settings, index_dir, replace_sources=[folder], show_progress=False)
    return index_dir


@pytest.fixture(scope="session")
def corpus_index(settings, tmp_path_factory) -> Path:
    """The seed corpus, ingested without manifest.json (identity read from the documents)."""
    folder = tmp_path_factory.mktemp("corpus")
    for p in (ROOT / "corpus").glob("*.txt"):
        shutil.copy(p, folder / p.name)
    return build(settings, folder, settings.index_dir)


@pytest.fixture(scope="session")
def assistant(settings, corpus_index):
    from assistant import Assistant

    return Assistant.open(corpus_index, settings)


@pytest.fixture(scope="session")
def synthetic_index(settings, tmp_path_factory) -> Path:
    return build(settings, SYNTHETIC, tmp_path_factory.mktemp("synthetic-index"))


@pytest.fixture(scope="session")
def synthetic(settings, synthetic_index):
    from assistant import Assistant

    return Assistant.open(synthetic_index, settings)
