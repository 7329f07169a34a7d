"""The guard: answers on the eval suite must stay above the thresholds kept in evals/."""

import json

from assistant.evaluate import THRESHOLDS, failures, load_cases, report, run_eval


def test_eval_suite_meets_thresholds(assistant):
    cases = load_cases()
    cats = {c["category"] for c in cases}
    assert len(cases) >= 60 and {"patient", "multiturn", "unanswerable"} <= cats
    assert sum(c["category"] == "unanswerable" for c in cases) >= 6
    result = run_eval(assistant, cases)
    print(report(result))
    assert not failures(result.summary, json.loads(THRESHOLDS.read_text())), report(result)
