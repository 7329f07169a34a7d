"""The issue's example questions, asked as a user would, with their citations checked."""

from conftest import source_text


def assert_verbatim(assistant, answer):
    for c in answer.citations:
        assert source_text(assistant, c)[c.start : c.end] == c.quote


def test_confirmed_orr_is_answered_with_its_ci_and_n(assistant):
    a = assistant.ask("What was the confirmed ORR with I-DXd 12 mg/kg in IDeate-Lung01?")
    assert not a.abstained
    first = a.answer.split("\n")[0]
    assert "48.2% (95% CI, 39.6%-56.9%)" in first and "n = 137" in first and first.endswith("[1]")
    assert a.citations[0].doc_id == "ideate-lung01-wclc2025-news"
    assert_verbatim(assistant, a)


def test_age_76_is_outside_ibi363_range(assistant):
    a = assistant.ask("Can a 76-year-old join the IBI363 small cell lung cancer study?")
    assert a.answer.startswith("No")
    assert any("Age 18 to 75 years" in c.quote for c in a.citations)
    assert {c.doc_id for c in a.citations} == {"nct07289048-ibi363-registry"}
    assert_verbatim(assistant, a)


def test_lvef_requirement(assistant):
    a = assistant.ask("What is the LVEF requirement in NCT07377643?")
    assert "≥ 50% within 28 days prior to randomization" in a.answer
    assert a.citations[0].section.endswith("Inclusion criteria")


def test_cost_is_not_in_the_documents(assistant):
    a = assistant.ask("How much does I-DXd cost?")
    assert a.abstained and not a.citations
    assert "do not answer" in a.answer
    assert "$" not in a.answer


def test_follow_up_resolves_to_the_trial_in_focus(assistant):
    history = [
        {"role": "user", "content": "Tell me about the IBI363 trial"},
        {"role": "assistant", "content": "It is a single-arm phase 2 study."},
    ]
    a = assistant.ask("What's the upper age limit?", history=history)
    assert "75 Years" in a.answer or "75 years" in a.answer
    assert {c.doc_id for c in a.citations} == {"nct07289048-ibi363-registry"}
    # without the history, the same question is not tied to that trial
    b = assistant.ask("What's the upper age limit?")
    assert b.abstained or {c.doc_id for c in b.citations} != {"nct07289048-ibi363-registry"}


def test_patient_answer_uses_plain_words_and_points_to_care_team(assistant):
    a = assistant.ask("I'm 76 and my lung cancer came back twice — can I join the IBI363 study?", audience="patient")
    assert a.answer.startswith("Probably not")
    assert "care team" in a.answer
    assert any("+86 13986252286" in c.quote for c in a.citations)  # the trial's contact, cited
    b = assistant.ask("What was the ORR and ECOG requirement in IDeate-Lung01?", audience="patient")
    assert "objective response rate" in b.answer or "ECOG performance status is a scale" in b.answer


def test_trial_filter_restricts_sources(assistant):
    a = assistant.ask("What ECOG performance status is required?", trial="NCT07377643")
    assert a.citations and {c.doc_id for c in a.citations} == {"nct07377643-ibi354-listing"}


def test_alias_finds_the_drug(assistant):
    a = assistant.ask("What dose of DS-7300 do most cohorts receive?")
    assert "12 mg/kg" in a.answer
    assert a.citations[0].doc_id == "idxd-pan-tumor-study-summary"


def test_conflicting_figures_are_both_cited_and_flagged(assistant):
    a = assistant.ask("What ORR has I-DXd shown at 12 mg/kg in ES-SCLC?")
    assert "48.2%" in a.answer and "55%" in a.answer
    assert "different figures" in a.answer


def test_cohort_criteria_list(assistant):
    a = assistant.ask("What are the inclusion criteria for HCC participants in the I-DXd study?")
    assert "Child-Pugh (CP) Class A" in a.answer
    assert "Common Inclusion Criteria for All Participants" in a.answer
    assert_verbatim(assistant, a)


def test_bad_questions_get_a_clear_answer(assistant):
    assert assistant.ask("").abstained
    assert "Please type a question" in assistant.ask("   ").answer
    huge = assistant.ask("ORR? " * 20_000)
    assert huge.abstained and "too long" in huge.answer
    unknown = assistant.ask("What are the results of NCT09999999?")
    assert unknown.abstained and "NCT09999999" in unknown.answer
