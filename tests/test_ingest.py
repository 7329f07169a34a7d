import json

import pytest

from assistant.corpus import load_documents
from assistant.errors import IndexStaleError
from assistant.settings import Settings
from assistant.store import META, chroma_client, ingest


def run(folder, index, **kw):
    settings = kw.pop("settings", Settings(index_dir=index))
    docs, _ = load_documents([folder])
    return ingest(docs, settings, index, delete_missing=True, show_progress=False, **kw)


def stored_ids(index):
    return chroma_client(Settings(), index).get_collection("trial_chunks").get()["ids"]


def test_ingest_is_incremental(tmp_path, small_corpus):
    index = tmp_path / "index"
    first = run(small_corpus, index)
    assert first.docs_added == 2 and first.chunks_added > 0 and first.chunks_removed == 0
    ids = stored_ids(index)
    assert len(ids) == len(set(ids)) == first.chunks_added

    again = run(small_corpus, index)
    assert (again.docs_unchanged, again.chunks_added, again.chunks_removed) == (2, 0, 0)
    assert again.chunks_unchanged == first.chunks_added

    # a changed document replaces its old chunks; no duplicates
    path = small_corpus / "nct07289048-ibi363-registry.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("Total Enrollment\n\n35 participants", "Total Enrollment\n\n36 participants"), encoding="utf-8")
    changed = run(small_corpus, index)
    assert changed.docs_changed == 1 and changed.docs_unchanged == 1
    assert changed.chunks_removed == changed.chunks_added > 0
    ids = stored_ids(index)
    assert len(ids) == len(set(ids)) == first.chunks_added

    # a removed document leaves the index
    (small_corpus / "nct07134153-intrathecal-tdxd-registry.txt").unlink()
    removed = run(small_corpus, index)
    assert removed.docs_removed == 1 and removed.chunks_removed > 0
    assert all(i.startswith("nct07289048") for i in stored_ids(index))


def test_settings_fingerprint_mismatch_needs_rebuild(tmp_path, small_corpus):
    index = tmp_path / "index"
    run(small_corpus, index)
    meta = json.loads((index / META).read_text())
    assert meta["fingerprint"] == Settings().fingerprint()
    other = Settings(index_dir=index, chunk_tokens=120)
    with pytest.raises(IndexStaleError, match="--rebuild"):
        run(small_corpus, index, settings=other)
    from assistant import Assistant

    with pytest.raises(IndexStaleError, match="assistant ingest --rebuild"):
        Assistant.open(index, other)
    rebuilt = run(small_corpus, index, settings=other, rebuild=True)
    assert rebuilt.docs_added == 2
    assert json.loads((index / META).read_text())["fingerprint"] == other.fingerprint()
