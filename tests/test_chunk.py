from llama_index.core.schema import MetadataMode

from assistant.chunk import StructuredChunker
from assistant.corpus import load_documents
from assistant.embedding import TokenCounter
from assistant.settings import Settings
from assistant.store import to_llama_document


def test_chunks_fit_the_model_window_and_keep_exact_spans():
    settings = Settings()
    docs, _ = load_documents([settings.corpus_dir])
    chunker = StructuredChunker(model_name=settings.embed_model, budget=settings.chunk_tokens, window=settings.max_embed_tokens)
    count = TokenCounter(settings.embed_model)
    import json

    for doc in docs:
        nodes = chunker([to_llama_document(doc)])
        assert nodes
        for node in nodes:
            embedded = node.get_content(metadata_mode=MetadataMode.EMBED)
            assert count(embedded) + 2 <= settings.max_embed_tokens, (node.id_, count(embedded))
            assert "title:" in embedded and "section:" in embedded
            units = json.loads(node.metadata["units"])
            # node text is its units' verbatim text, joined: boilerplate lines between them are dropped
            assert node.text == "\n".join(doc.text[s:e] for s, e, _, _ in units)
            assert node.metadata["start"] == units[0][0] and node.metadata["end"] == units[-1][1]
        assert len({n.id_ for n in nodes}) == len(nodes)


def test_chunks_do_not_carry_repeated_boilerplate():
    settings = Settings()
    docs, _ = load_documents([settings.corpus_dir / "idxd-pan-tumor-study-summary.txt"])
    chunker = StructuredChunker(model_name=settings.embed_model)
    nodes = chunker([to_llama_document(docs[0])])
    site_nodes = [n for n in nodes if n.metadata["section"] == "Study sites"]
    assert site_nodes
    # a site's quote spans its "No email / No phone" line, but that line never stands alone as a unit
    assert all(line != "No email / No phone" for n in nodes for line in n.text.split("\n") if n not in site_nodes)


def test_onnx_query_encoder_matches_sentence_transformers(corpus_index, assistant):
    import numpy as np

    from assistant.embedding import ENCODER_DIR, load_embed_model, load_query_encoder

    settings = Settings()
    onnx = load_query_encoder(corpus_index / ENCODER_DIR)
    st = load_embed_model(settings.embed_model, settings.embed_batch_size)
    questions = ["What is the LVEF requirement in NCT07377643?", "Can a 76-year-old join the IBI363 study?", "ORR " * 400]
    for q in questions:
        a, b = np.array(onnx.get_query_embedding(q)), np.array(st.get_query_embedding(q))
        assert float(a @ b) > 0.9999
    texts = ["short", "a much longer sentence about the confirmed objective response rate in ES-SCLC"]
    for a, b in zip(onnx.get_text_embedding_batch(texts), st.get_text_embedding_batch(texts)):  # padded batch
        assert float(np.array(a) @ np.array(b)) > 0.9999
    assert assistant.retriever.vector_index._embed_model.model_name.startswith("onnx:")
