import re

import pytest

from assistant.compose import NUMBER_RE, PROMPTS, check_grounding, phrases
from assistant.errors import GroundingError
from assistant.types import Citation


def cite(quote):
    return Citation(1, "d", "Title", "Section", quote, "p", 0, len(quote))


def test_numbers_must_come_from_quotes_or_the_question():
    check_grounding("The ORR was 48.2% [1]", [cite("ORR was 48.2% (n = 137)")], "What was the ORR?")
    check_grounding("No: age 76 is outside [1]", [cite("Age 18 to 75 years")], "Can a 76-year-old join?")
    with pytest.raises(GroundingError, match="55"):
        check_grounding("The ORR was 55% [1]", [cite("ORR was 48.2%")], "What was the ORR?")


def test_templates_and_phrases_contain_no_numbers():
    for path in PROMPTS.glob("*"):
        if path.suffix in (".j2", ".yaml"):
            text = path.read_text(encoding="utf-8")
            body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
            assert not NUMBER_RE.search(re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", body)), path.name


def test_shared_cannot_answer_phrase_is_what_abstentions_say(assistant):
    a = assistant.ask("What is the dose of pembrolizumab in the IBI354 trial?")
    assert a.abstained and a.answer.startswith(phrases()["not_in_documents"])


def test_every_eval_answer_is_grounded(assistant):
    from assistant.evaluate import load_cases

    for case in load_cases():
        a = assistant.ask(case["question"], audience=case.get("audience", "clinician"), history=case.get("history"))
        check_grounding(a.answer, a.citations, case["question"])  # raises if a number is unsupported
        for c in a.citations:
            assert assistant.sources[c.doc_id].text[c.start : c.end] == c.quote
