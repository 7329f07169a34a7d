"""Against a real Chroma server (`chroma run`, shipped with chromadb) on a loopback port: ingest and answer through
HttpClient, with the same citations as the embedded store."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from assistant import Assistant
from assistant.corpus import load_documents
from assistant.settings import Settings
from assistant.store import current_generation, ingest

from .conftest import SYNTHETIC

QUESTIONS = [
    "What minimum platelet count does the zelvatinib study require?",
    "Median progression-free survival in the docetaxel arm of NCT99000001?",
    "Who can I call about the LUMEN-3 trial?",
    "Which trials exclude patients with active brain metastases?",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    exe = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen([str(exe), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("chroma run did not start")
    yield port
    proc.terminate()
    proc.wait(timeout=20)


def test_server_store_answers_like_the_embedded_store(chroma_server, synthetic, tmp_path):
    settings = Settings(index_dir=tmp_path / "idx", chroma_host="127.0.0.1", chroma_port=chroma_server)
    docs = load_documents([SYNTHETIC], use_manifest=False).docs
    ingest(docs, settings, settings.index_dir, replace_sources=[SYNTHETIC], show_progress=False)
    assert not (current_generation(settings.index_dir) / "chroma").exists()  # vectors live in the server
    served = Assistant.open(settings.index_dir, settings)
    for q in QUESTIONS:
        a, b = served.ask(q), synthetic.ask(q)
        assert a.answer == b.answer
        assert [(c.doc_id, c.start, c.end) for c in a.citations] == [(c.doc_id, c.start, c.end) for c in b.citations]
    # an update through the server replaces the old generation's collection
    keep = [d for d in docs if d.doc_id in ("zelvatinib-registry", "ct-record")]
    ingest(keep, settings, settings.index_dir, rebuild=True, show_progress=False)
    again = Assistant.open(settings.index_dir, settings)
    assert len(again.docs) == 2 and again.ask(QUESTIONS[0]).citations
