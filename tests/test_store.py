"""Index updates are atomic, reuse unchanged vectors, drop stale and deleted documents, and refuse a second
concurrent ingest. A crash (simulated at each step, and a real kill -9) never leaves a half-written index in use."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.corpus import load_documents
from assistant.errors import IndexBusyError, IndexMissingError
from assistant.store import current_generation, ingest, ingest_lock, load_docs, read_meta

from .conftest import SYNTHETIC


def docs_of(folder: Path):
    res = load_documents([folder], use_manifest=False)
    assert not res.skipped
    return res.docs


@pytest.fixture
def folder(tmp_path) -> Path:
    f = tmp_path / "docs"
    f.mkdir()
    shutil.copy(SYNTHETIC / "zelvatinib-registry.txt", f)
    shutil.copy(SYNTHETIC / "orbit12-news.md", f)
    return f


def node_ids(settings, index_dir: Path) -> list[str]:
    a = Assistant.open(index_dir, settings)
    got = a.retriever.collection.get(include=[])
    return got["ids"]


def test_update_reuses_vectors_replaces_edited_and_prunes_deleted(settings, folder, tmp_path):
    idx = tmp_path / "idx"
    r1 = ingest(docs_of(folder), settings, idx, replace_sources=[folder], show_progress=False)
    assert r1.docs_added == 2 and r1.embedded > 0
    gen1 = current_generation(idx)
    r2 = ingest(docs_of(folder), settings, idx, replace_sources=[folder], show_progress=False)
    assert r2.embedded == 0 and current_generation(idx) == gen1  # nothing changed: same generation
    # edit one document: its old text must not survive anywhere
    p = folder / "orbit12-news.md"
    p.write_text(p.read_text().replace("41.5%", "44.4%"))
    r3 = ingest(docs_of(folder), settings, idx, replace_sources=[folder], show_progress=False)
    assert r3.docs_changed == 1 and 0 < r3.embedded < r1.embedded  # only changed units embedded again
    a = Assistant.open(idx, settings)
    texts = a.retriever.collection.get(include=["documents"])["documents"]
    assert not any("41.5%" in t for t in texts) and any("44.4%" in t for t in texts)
    assert len(set(node_ids(settings, idx))) == len(node_ids(settings, idx))
    # delete a document and ingest the folder (passed as an argument): it leaves the index
    (folder / "zelvatinib-registry.txt").unlink()
    r4 = ingest(docs_of(folder), settings, idx, replace_sources=[folder], show_progress=False)
    assert r4.docs_removed == 1
    stored = load_docs(current_generation(idx))
    assert list(stored) == ["orbit12-news"]
    assert not any(i.startswith("zelvatinib") for i in node_ids(settings, idx))


@pytest.mark.parametrize("step", ["embed", "docs", "chroma", "meta"])
def test_crash_before_switch_keeps_the_old_index(settings, folder, tmp_path, step):
    idx = tmp_path / "idx"
    ingest(docs_of(folder), settings, idx, replace_sources=[folder], show_progress=False)
    before = current_generation(idx)
    a = Assistant.open(idx, settings)
    answer_before = a.ask("What is the minimum platelet count for the zelvatinib study?").answer
    shutil.copy(SYNTHETIC / "ct-record.json", folder)
    with pytest.raises(SystemExit):
        ingest(docs_of(folder), settings, idx, replace_sources=[folder], show_progress=False, crash_after=step)
    assert current_generation(idx) == before
    assert Assistant.open(idx, settings).ask("What is the minimum platelet count for the zelvatinib study?").answer == answer_before
    # the next ingest completes: nothing lost, nothing duplicated
    ingest(docs_of(folder), settings, idx, replace_sources=[folder], show_progress=False)
    stored = load_docs(current_generation(idx))
    assert sorted(stored) == ["ct-record", "orbit12-news", "zelvatinib-registry"]
    ids = node_ids(settings, idx)
    assert len(ids) == len(set(ids)) == read_meta(idx)["nodes"]
    leftovers = [p.name for p in idx.iterdir() if p.name.startswith("g-")]
    assert len(leftovers) <= 2  # the current generation and the one before


def test_crash_after_switch_uses_the_new_index(settings, folder, tmp_path):
    idx = tmp_path / "idx"
    ingest(docs_of(folder), settings, idx, replace_sources=[folder], show_progress=False)
    shutil.copy(SYNTHETIC / "ct-record.json", folder)
    with pytest.raises(SystemExit):
        ingest(docs_of(folder), settings, idx, replace_sources=[folder], show_progress=False, crash_after="switch")
    assert "ct-record" in load_docs(current_generation(idx))


def test_missing_index_is_a_message_not_a_traceback(settings, tmp_path):
    with pytest.raises(IndexMissingError, match="assistant ingest"):
        Assistant.open(tmp_path / "nothing-here", settings)


def test_concurrent_ingest_is_refused(settings, folder, tmp_path):
    idx = tmp_path / "idx"
    with ingest_lock(idx):
        with pytest.raises(IndexBusyError, match="Another ingest"):
            ingest(docs_of(folder), settings, idx, show_progress=False)


def test_kill_9_during_ingest_then_rerun(settings, folder, tmp_path):
    """A real SIGKILL in the middle of an update: the old index keeps answering; the re-run completes."""
    idx = tmp_path / "idx"
    ingest(docs_of(folder), settings, idx, replace_sources=[folder], show_progress=False)
    before = current_generation(idx)
    big = tmp_path / "big"
    big.mkdir()
    for i in range(40):  # enough work that the kill lands mid-embedding
        (big / f"doc{i:02d}.txt").write_text(f"Study {i} of drug Qx-{1000 + i}\n\nBrief Summary\n\n" + " ".join(
            f"Sentence {j} about patients with condition {i} and outcome {j}." for j in range(60)))
    env = dict(os.environ, ASSISTANT_INDEX_DIR=str(idx))
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "ingest", str(big), "--quiet"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and not any(p.name.startswith("g-") and p != before for p in idx.iterdir()):
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert current_generation(idx) in (before, None) or (current_generation(idx) / "meta.json").is_file()
    a = Assistant.open(idx, settings)
    assert not a.ask("What is the minimum platelet count for the zelvatinib study?").abstained
    env_run = subprocess.run([sys.executable, "-m", "assistant", "ingest", str(big), "--quiet"], env=env, capture_output=True, text=True)
    assert env_run.returncode == 0, env_run.stderr
    stored = load_docs(current_generation(idx))
    assert len([d for d in stored if d.startswith("doc")]) == 40 and "zelvatinib-registry" in stored
    ids = node_ids(settings, idx)
    assert len(ids) == len(set(ids))
