from assistant.ui import build_app, render_markdown


def test_markdown_puts_answer_first_and_quotes_in_sources(assistant):
    a = assistant.ask("What is the LVEF requirement in NCT07377643?")
    md = render_markdown(a)
    assert md.startswith("Left ventricular ejection fraction")
    assert "<details><summary>[1]" in md and "≥ 50% within 28 days prior to randomization." in md


def test_app_builds(assistant):
    app = build_app(assistant)
    assert app is not None
