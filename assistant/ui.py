"""Chat UI (Gradio): the same Assistant as the CLI, with citations that open to their quotes.

Nothing typed into the chat is stored by the app: history lives in the browser session only,
flagging is off and questions are not logged.
"""

from __future__ import annotations

import html
from pathlib import Path

from .errors import AssistantError
from .settings import Settings

EXAMPLES = [
    "What was the confirmed ORR with I-DXd 12 mg/kg in IDeate-Lung01?",
    "Can a 76-year-old join the IBI363 small cell lung cancer study?",
    "What is the LVEF requirement in NCT07377643?",
    "What are the inclusion criteria for HCC participants in the I-DXd study?",
    "How much does I-DXd cost?",
]
ALL_TRIALS = "All documents"


def render_markdown(answer) -> str:
    """Answer first, then one collapsible block per citation with its verbatim quote."""
    parts = [html.escape(answer.answer, quote=False).replace("\n", "  \n")]
    if answer.citations:
        parts.append("\n\n**Sources**\n")
        for c in answer.citations:
            quote = html.escape(c.quote.strip())
            parts.append(
                f"<details><summary>[{c.n}] {html.escape(c.title)} — {html.escape(c.section or 'document')}</summary>\n\n"
                f"<blockquote style=\"white-space: pre-wrap\">{quote}</blockquote>\n"
                f"<small>{html.escape(c.path)}, characters {c.start}–{c.end}</small>\n</details>\n"
            )
    return "\n".join(parts)


def message_text(content) -> str:
    """Gradio gives a message's content as a string or as a list of typed parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text", ""))
    if isinstance(content, list):
        return " ".join(message_text(part) for part in content)
    return ""


def trial_choices(assistant) -> list[tuple[str, str]]:
    choices = [(ALL_TRIALS, "")]
    for doc_id, src in sorted(assistant.sources.items(), key=lambda kv: kv[1].title):
        choices.append((src.title, src.meta.get("trial_id") or doc_id))
    return choices


def build_app(assistant):
    import gradio as gr

    def respond(message: str, history: list[dict], audience: str, trial: str) -> str:
        turns = [{"role": h.get("role"), "content": message_text(h.get("content"))} for h in history]
        try:
            answer = assistant.ask(message, audience=audience, trial=trial or None, history=turns)
        except AssistantError as exc:
            return f"Sorry, I could not answer that: {exc}"
        return render_markdown(answer)

    return gr.ChatInterface(
        fn=respond,
        title="Clinical-trial evidence assistant",
        description=(
            "Answers come only from the trial documents in the corpus, quoted verbatim with numbered sources. "
            "When the documents do not say, the assistant says so. Not medical advice."
        ),
        additional_inputs=[
            gr.Radio(["clinician", "patient"], value="clinician", label="Answer for"),
            gr.Dropdown(choices=trial_choices(assistant), value="", label="Trial"),
        ],
        examples=[[q, "clinician", ""] for q in EXAMPLES],
        flagging_mode="never",
        save_history=False,
        chatbot=gr.Chatbot(height=560, sanitize_html=True),
    )


def serve(settings: Settings, index_dir: str | Path | None = None, host: str = "127.0.0.1", port: int = 7860) -> None:
    from .pipeline import Assistant

    assistant = Assistant.open(index_dir, settings)
    app = build_app(assistant)
    print(f"Chat UI on http://{host}:{port}")
    app.launch(server_name=host, server_port=port, show_error=True)
