import json

from assistant.cli import main


def test_ask_json(corpus_index, capsys):
    assert main(["ask", "--index", str(corpus_index), "--json", "What is the LVEF requirement in NCT07377643?"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"id", "question", "answer", "abstained", "citations", "timing_ms"}
    c = out["citations"][0]
    assert set(c) == {"n", "doc_id", "title", "section", "quote", "path", "start", "end"}
    assert "LVEF" in c["quote"]


def test_ask_batch_keeps_order_and_history(corpus_index, tmp_path, capsys):
    batch = tmp_path / "q.jsonl"
    lines = [
        {"id": "a", "question": "How much does I-DXd cost?"},
        {"id": "b", "question": "What's the upper age limit?", "history": [{"role": "user", "content": "About the IBI363 study"}]},
        {"id": "c", "question": "What is the median PFS in IDeate-Lung01?", "audience": "patient"},
    ]
    batch.write_text("\n".join(json.dumps(x) for x in lines) + "\nnot json\n")
    assert main(["ask", "--index", str(corpus_index), "--batch", str(batch)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r.get("id") for r in rows[:3]] == ["a", "b", "c"]
    assert rows[0]["abstained"] is True
    assert "75" in rows[1]["answer"]
    assert "care team" in rows[2]["answer"]
    assert "error" in rows[3]


def test_text_output_shows_sources(corpus_index, capsys):
    main(["ask", "--index", str(corpus_index), "Can a 76-year-old join the IBI363 study?"])
    out = capsys.readouterr().out
    assert out.startswith("No")
    assert "Sources:" in out and "“Age 18 to 75 years (inclusive), male or female.”" in out


def test_missing_index_is_a_message_not_a_traceback(tmp_path, capsys):
    assert main(["ask", "--index", str(tmp_path / "none"), "hello"]) == 1
    err = capsys.readouterr().err
    assert "No index" in err and "Traceback" not in err


def test_ingest_reports_skipped_files(tmp_path, small_corpus, capsys):
    (small_corpus / "blob.bin").write_bytes(b"\x00\x00")
    assert main(["ingest", str(small_corpus), "--index", str(tmp_path / "ix"), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "skipped" in captured.err and "binary file" in captured.err
    assert "Indexed 2 documents" in captured.out and "1 files skipped" in captured.out
