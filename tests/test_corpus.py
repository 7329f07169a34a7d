import os

from assistant.corpus import load_documents


def test_bad_files_are_skipped_with_a_reason_and_the_rest_load(tmp_path, small_corpus):
    (small_corpus / "empty.txt").write_text("   \n")
    (small_corpus / "binary.bin").write_bytes(b"\x00\x01\x02PNG")
    (small_corpus / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    os.symlink(tmp_path / "missing.txt", small_corpus / "dangling.txt")
    docs, skipped = load_documents([small_corpus])
    reasons = {os.path.basename(s.path): s.reason for s in skipped}
    assert reasons["empty.txt"] == "empty file"
    assert reasons["binary.bin"] == "binary file"
    assert reasons["latin1.txt"].startswith("not UTF-8")
    assert "dangling.txt" in reasons
    assert len(docs) == 2


def test_manifest_metadata_is_attached():
    from assistant.settings import Settings

    docs, _ = load_documents([Settings().corpus_dir])
    by_id = {d.doc_id: d for d in docs}
    news = by_id["ideate-lung01-wclc2025-news"]
    assert news.kind == "news report" and news.trial_id == "NCT05280470"
    assert "IDeate-Lung01" in news.trial_names
    assert news.path == "corpus/ideate-lung01-wclc2025-news.txt"
    assert len(docs) == 5
