"""The command line, in-process: ingest refuses hostile files with reasons, batches survive bad lines, and every
failure is a one-line message (no traceback)."""

from __future__ import annotations

import json
import os
import shutil
import signal

import pytest

from assistant import cli

from .conftest import SYNTHETIC


def run(capsys, *argv):
    code = cli.main(list(argv))
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return code, out.out, out.err


def test_ingest_skips_hostile_files_with_reasons(tmp_path, capsys, settings):
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(SYNTHETIC / "zelvatinib-registry.txt", folder)
    os.symlink("/dev/zero", folder / "zero.txt")
    os.mkfifo(folder / "pipe.txt")
    outside = tmp_path / "secret.txt"
    outside.write_text("root:x:0:0:secret")
    os.symlink(outside, folder / "passwd.txt")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    (folder / "latin1.txt").write_bytes("caf\xe9 trial".encode("latin-1"))
    (folder / "manifest.json").write_text('["not", "valid"]')
    signal.alarm(120)  # a regression that blocks on the FIFO fails instead of hanging
    try:
        code, out, err = run(capsys, "ingest", str(folder), "--index", str(tmp_path / "idx"), "--quiet")
    finally:
        signal.alarm(0)
    assert code == 0
    assert "Indexed 1 documents" in out
    for name in ("zero.txt", "pipe.txt", "passwd.txt", "binary.txt", "latin1.txt"):
        assert f"skipped {folder.name}/{name}" in err or name in err
    assert "manifest.json" in err and "must be an object" in err
    code, out, _ = run(capsys, "ask", "--index", str(tmp_path / "idx"), "What is in the secret file root?")
    assert "root:x" not in out


BAD_LINES = [
    "not json",
    "[1, 2]",
    '{"id": "a", "question": 5}',
    '{"id": "b", "question": "platelets?", "history": 5}',
    '{"id": "c", "question": "platelets?", "history": [{"role": "user", "content": {"x": 1}}]}',
    '{"id": "d", "question": "platelets?", "trial": ["x"]}',
    '{"id": "e", "question": "platelets?", "audience": "doctor"}',
    '{"id": "f", "question": "\\ud800 lone surrogate platelets zelvatinib"}',
    "[" * 5000 + "]" * 5000,
    '{"id": "g", "question": "' + "x" * 300_000 + '"}',
]


def test_ask_batch_goes_on_after_bad_lines(tmp_path, capsys, synthetic_index):
    batch = tmp_path / "q.jsonl"
    good = json.dumps({"id": "ok", "question": "What platelet count does the zelvatinib study require? \u2028 (line separator inside)"})
    batch.write_bytes(("\n".join([*BAD_LINES, good]) + "\n").encode("utf-8") + b"\xff\xfe bad bytes\n")
    code, out, _ = run(capsys, "ask", "--index", str(synthetic_index), "--batch", str(batch))
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == len(BAD_LINES) + 2  # one output per input line, in order; U+2028 did not split a line
    assert rows[-2]["id"] == "ok" and not rows[-2]["abstained"]
    assert "error" in rows[-1] and "UTF-8" in rows[-1]["error"]
    errors = [r for r in rows[:-2] if "error" in r]
    assert len(errors) >= 8 and all("line" in r for r in errors)
    assert rows[7].get("id") == "f"  # a lone surrogate is cleaned, not fatal


@pytest.mark.parametrize("target", ["missing.jsonl", "a_dir", "binary.bin"])
def test_bad_batch_files_are_a_message(tmp_path, capsys, synthetic_index, target):
    (tmp_path / "a_dir").mkdir()
    (tmp_path / "binary.bin").write_bytes(b"\x00" * 64)
    code, out, err = run(capsys, "ask", "--index", str(synthetic_index), "--batch", str(tmp_path / target))
    assert code == 1 and err.startswith("error:")


def test_screen_batch_criterion_and_trial_lines(tmp_path, capsys, synthetic_index):
    batch = tmp_path / "s.jsonl"
    lines = [
        {"id": 1, "patient": "72 year old man with COPD", "criterion": "Age 18 years or older.", "criterion_type": "inclusion"},
        {"id": 2, "patient": "45 yo woman, pregnant", "criterion": "Pregnancy or breastfeeding.", "criterion_type": "exclusion"},
        {"id": 3, "patient": "58M gastric adenocarcinoma after FOLFOX, ECOG 1", "trial": "NCT99000001"},
        {"id": 4, "patient": "x", "trial": "NCT00000000"},
        {"id": 5, "patient": "", "criterion": "Age 18", "criterion_type": "inclusion"},
        {"id": 6, "patient": "a", "criterion": "b", "criterion_type": "maybe"},
    ]
    batch.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    code, out, _ = run(capsys, "screen", "--index", str(synthetic_index), "--batch", str(batch))
    rows = [json.loads(x) for x in out.splitlines()]
    assert [r["id"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert rows[0]["status"] == "meets" and rows[1]["status"] == "fails"
    assert rows[2]["trials"][0]["trial"] == "NCT99000001" and rows[2]["trials"][0]["criteria"][0]["citation"]["quote"]
    assert "error" in rows[3] and "error" in rows[4] and "error" in rows[5]


def test_ask_and_screen_single(capsys, synthetic_index):
    code, out, _ = run(capsys, "ask", "--index", str(synthetic_index), "What platelet count does the zelvatinib study require?")
    assert code == 0 and "Sources:" in out and "123 x 10^9/L" in out
    code, out, _ = run(capsys, "screen", "--index", str(synthetic_index), "--trial", "NCT99000001", "16 year old with gastric cancer")
    assert code == 0 and "NOT ELIGIBLE" in out


def test_missing_index_is_a_message(tmp_path, capsys):
    code, _, err = run(capsys, "ask", "--index", str(tmp_path / "none"), "anything?")
    assert code == 1 and "assistant ingest" in err
