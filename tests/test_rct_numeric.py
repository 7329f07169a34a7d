"""The pure helpers of benchmarks/rct_numeric.py: question generation and strict number matching (no data, no index)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

SPEC = importlib.util.spec_from_file_location("rct_numeric", Path(__file__).resolve().parents[1] / "benchmarks" / "rct_numeric.py")
rct = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(rct)

ROW = {"pmcid": 1, "outcome": " wound infection ", "intervention": "drug A ", "comparator": "placebo",
       "outcome_type": "binary", "intervention_events": 93, "intervention_group_size": 103,
       "comparator_events": "", "comparator_group_size": 97}


def test_questions_are_made_from_the_row_fields():
    qs = rct.questions(ROW)
    assert [q["question"] for q in qs] == [
        "How many participants in the drug A group had wound infection, out of how many?",
        "How many participants in the placebo group had wound infection, out of how many?",
    ]
    assert qs[0]["gold"] == {"intervention_events": 93, "intervention_group_size": 103}
    assert qs[1]["gold"] == {"comparator_events": "", "comparator_group_size": 97}
    cont = rct.questions(dict(ROW, outcome_type="continuous", intervention_mean=0.77, intervention_standard_deviation=1.37,
                              comparator_mean="", comparator_standard_deviation=""))
    assert cont[0]["question"] == "What was the mean (SD) wound infection in the drug A group, and how many were analysed?"
    assert set(cont[1]["gold"]) == {"comparator_mean", "comparator_standard_deviation", "comparator_group_size"}


def test_number_matching_is_exact():
    assert rct.has_number("93/103", 93) and rct.has_number("93/103", 103)
    assert rct.has_number("0.77 (1.37)", 0.77) and rct.has_number("0.77 (1.37)", "1.37")
    assert not rct.has_number("930", 93)
    assert not rct.has_number("PMC93", 93)
    assert rct.has_number("93.0 %", "93") and rct.has_number("n = 1,831", 1831)
    assert rct.has_number("change \u22120.7 kg", -0.7) and not rct.has_number("change 0.7 kg", -0.7)
    assert rct.has_number("10-15 days", 15)
    assert not rct.has_number("0.771", 0.77)


def test_scoring_needs_the_number_in_text_and_quote():
    cite = SimpleNamespace(quote="Infection: 93/103 vs 40/97")
    ans = SimpleNamespace(answer="93 of 103 patients [1]", abstained=False, citations=[cite])
    assert rct.score_field(93, ans) == "right"
    assert rct.score_field(1, ans) == "wrong"  # a citation marker is not a figure
    assert rct.score_field(97, ans) == "wrong"  # in the quote but not in the answer
    assert rct.score_field("", ans) == "invented"
    echo = SimpleNamespace(answer="How many had it in the 93 group?\n- none given [1]", abstained=False, citations=[cite])
    assert rct.score_field(93, echo) == "wrong"  # an echoed sub-question does not count
    none = SimpleNamespace(answer="The documents I have do not answer this.", abstained=True, citations=[])
    assert rct.score_field("", none) == "right" and rct.score_field(93, none) == "abstained"


def test_a_gold_figure_with_a_thousands_separator():
    assert rct.has_number("mean 6,032.37 (SD 812.1)", "6,032.37")
    assert rct.has_number("mean 6032.37", "6,032.37")
