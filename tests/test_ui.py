from assistant.ui import build_app, render_markdown


def test_markdown_puts_answer_first_and_quotes_in_sources(assistant):
    a = assistant.ask("What is the LVEF requirement in NCT07377643?")
    md = render_markdown(a)
    assert md.startswith("Left ventricular ejection fraction")
    assert "<details><summary>[1]" in md and "≥ 50% within 28 days prior to randomization." in md


def test_app_builds(assistant):
    app = build_app(assistant)
    assert app is not None


def test_history_in_gradio_part_format_carries_the_trial(assistant):
    from assistant.ui import message_text

    history = [
        {"role": "user", "content": [{"type": "text", "text": "Tell me about the IBI363 trial"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "..."}]},
    ]
    turns = [{"role": h["role"], "content": message_text(h["content"])} for h in history]
    a = assistant.ask("What's the upper age limit?", history=turns)
    assert "75" in a.answer and {c.doc_id for c in a.citations} == {"nct07289048-ibi363-registry"}


def test_eligibility_question_without_a_trial_asks_which(assistant):
    a = assistant.ask("What's the upper age limit?")
    assert a.abstained and "Which trial" in a.answer
