"""Eligibility screening engine: criterion parsing, patient facts, drug classes, verdicts (synthetic examples only)."""

from __future__ import annotations

import json

import pytest

from assistant.screening import (
    CriterionInput,
    check_criterion,
    extract_patient,
    parse_criterion,
    reads_as_exclusion,
    rescreen,
    screen_criteria,
)
from assistant.screening.criteria import parse_age, parse_labs, parse_lines, parse_ps, parse_window
from assistant.screening.lexicon import get_lexicon
from assistant.screening.text import tokenize

NOTE = (
    "62-year-old man with extensive-stage small cell lung cancer diagnosed in January. "
    "He received carboplatin, etoposide and atezolizumab and progressed in May. "
    "ECOG 1. Liver metastases. No brain metastases on MRI last month. "
    "ANC 2.1 x 10^9/L, platelets 180,000/mm3, AST 95 U/L, ALT 80 U/L, bilirubin 1.1 mg/dL. "
    "Creatinine clearance 72 mL/min. HIV negative. He denies any other cancer."
)


# ------------------------------------------------------------------ drug-class table

def test_drug_table_maps_generic_brand_and_code_to_classes():
    lex = get_lexicon()
    for name, cls in [("Keytruda", "anti_pd1"), ("pembrolizumab", "anti_pd1"), ("MK-3475", "anti_pd1"),
                      ("Tecentriq", "anti_pdl1"), ("T-DXd", "topo1_adc"), ("Enhertu", "her2_adc"),
                      ("trastuzumab deruxtecan", "topo1_inhibitor"), ("topotecan", "topo1_inhibitor"),
                      ("CPT-11", "topo1_inhibitor"), ("Paraplatin", "platinum"), ("nab-paclitaxel", "taxane"),
                      ("dexamethasone", "corticosteroid"), ("tacrolimus", "immunosuppressant")]:
        d = lex.lookup_drug(name)
        assert d is not None, name
        assert cls in lex.drug_classes(d.name), (name, cls)


def test_drug_class_hierarchy_and_aliases():
    lex = get_lexicon()
    assert "checkpoint_inhibitor" in lex.drug_classes("nivolumab")
    assert "anti_pd1_pdl1" in lex.drug_classes("durvalumab")
    assert "chemotherapy" in lex.drug_classes("cisplatin")
    assert "anti_her2" in lex.drug_classes("trastuzumab")
    assert "topo1_inhibitor" not in lex.drug_classes("trastuzumab emtansine")
    assert lex.lookup_class("PD-1 inhibitor") == "anti_pd1"
    assert lex.lookup_class("topoisomerase I inhibitors") == "topo1_inhibitor"
    assert lex.drugs["dexamethasone"].pred_equiv == pytest.approx(6.67)


def test_drug_table_is_consistent():
    lex = get_lexicon()
    for d in lex.drugs.values():
        for c in d.classes:
            assert c in lex.classes, (d.name, c)
    for cid, parents in lex.class_parents.items():
        for p in parents:
            assert p in lex.classes, (cid, p)


# ------------------------------------------------------------------ typed criterion parsing

def test_age_parsing():
    assert parse_age("Age ≥ 18 years")[:2] == (18.0, None)
    lo, hi, _ = parse_age("Patients aged 18-75 years")
    assert lo == 18 and 75 <= hi < 76
    assert parse_age("Less than 18 years of age")[:2] == (None, 18.0)
    lo, hi, _ = parse_age("Male age 2 months to 20 years of age")
    assert lo == pytest.approx(2 / 12) and 20 <= hi < 21


def test_lab_thresholds_with_units_uln_and_liver_condition():
    th = parse_labs("AST and ALT ≤ 3 × ULN (≤ 5 × ULN for patients with liver metastases); "
                    "ANC ≥ 1,500/mm³; platelets ≥ 100 × 10^9/L; haemoglobin ≥ 9 g/dL; creatinine clearance ≥ 50 mL/min")
    by = {(t["analyte"], t["condition"]): t for t in th}
    assert by[("ast", None)]["uln"] == 3 and by[("ast", None)]["op"] == "<="
    assert by[("ast", "liver_mets")]["uln"] == 5
    assert by[("alt", "liver_mets")]["uln"] == 5
    assert by[("anc", None)]["value"] == 1500 and by[("anc", None)]["op"] == ">="
    assert by[("plt", None)]["value"] == 100
    assert by[("hb", None)]["value"] == 9
    assert by[("crcl", None)]["value"] == 50


def test_ps_lines_window_parsing():
    assert parse_ps("ECOG performance status 0-1")["allowed"] == [0, 1]
    assert parse_ps("ECOG PS ≤ 2")["allowed"] == [0, 1, 2]
    k = parse_ps("Karnofsky performance status ≥ 70%")
    assert k["scale"] == "KPS" and k["value"] == 70
    assert parse_lines("Received at least 2 prior lines of systemic therapy") == (2, None)
    assert parse_lines("No more than 3 prior regimens") == (0, 3)
    assert parse_window("Major surgery within 4 weeks before the first dose") == pytest.approx(28)
    assert parse_window("Myocardial infarction in the last 6 months") == pytest.approx(182.4)


def test_typed_criterion_kinds_and_exceptions():
    c = parse_criterion("Untreated or symptomatic brain metastases; patients with treated, stable brain metastases are eligible", "exclusion")
    assert c.kinds[0] == "brain_mets"
    assert c.exceptions and "treated" in c.exceptions[0]
    c = parse_criterion("Prior treatment with a topoisomerase I inhibitor within 4 weeks", "exclusion")
    assert c.kinds == ["therapy"] and "topo1_inhibitor" in c.checks[0].params["classes"]
    assert c.checks[0].params["window"] == pytest.approx(28)
    c = parse_criterion("History of another malignancy within 5 years, except adequately treated basal cell carcinoma of the skin", "exclusion")
    assert c.kinds == ["other_malignancy"] and c.checks[0].params["window"] == pytest.approx(5 * 365)
    assert "basal cell" in c.checks[0].params["exceptions"]
    assert parse_criterion("HER2-positive (IHC 3+ or IHC 2+/ISH+) breast cancer", "inclusion").kinds[:1] == ["diagnosis"]
    assert "biomarker" in parse_criterion("HER2-positive (IHC 3+ or IHC 2+/ISH+) breast cancer", "inclusion").kinds
    assert parse_criterion("Systemic corticosteroids > 10 mg/day prednisone equivalent", "exclusion").kinds == ["steroids"]
    assert parse_criterion("Active hepatitis B (HBV DNA > 500 IU/mL) or hepatitis C (HCV RNA positive)", "exclusion").kinds == ["infection"]
    assert parse_criterion("Pregnancy or lactation.", "exclusion").kinds == ["pregnancy"]
    assert parse_criterion("Signed informed consent", "inclusion").kinds == ["consent"]
    assert parse_criterion("Prior allogeneic stem cell or solid organ transplant", "exclusion").kinds == ["transplant"]
    assert parse_criterion("Known hypersensitivity to the study drug or any excipient", "exclusion").kinds == ["hypersensitivity"]
    assert parse_criterion("LVEF ≥ 50% by echocardiogram", "inclusion").kinds == ["labs"]


def test_reads_as_exclusion():
    assert reads_as_exclusion("Untreated brain metastases; leptomeningeal metastasis or spinal cord compression")
    assert reads_as_exclusion("Pregnancy or lactation.")
    assert reads_as_exclusion("Known hypersensitivity to any component of the study drug")
    assert not reads_as_exclusion("Patients with measurable disease per RECIST 1.1")
    assert not reads_as_exclusion("ECOG performance status 0 or 1")
    assert not reads_as_exclusion("No untreated brain metastases")
    c = parse_criterion("Pregnancy or lactation.", "inclusion")
    assert c.type == "exclusion" and c.flipped


# ------------------------------------------------------------------ patient facts

def test_patient_facts_clinician_note():
    pf = extract_patient(NOTE)
    assert pf.age.value == (62, 62) and pf.sex.value == "male"
    assert pf.ps.value == (1, 1)
    drugs = {f.value["drug"] for f in pf.drugs if f.value.get("drug")}
    assert {"carboplatin", "etoposide", "atezolizumab"} <= drugs
    assert pf.site_mets("liver")[0] and not pf.site_mets("brain")[0]
    assert pf.site_mets("brain")[1], "brain metastases are negated"
    anc = pf.lab("anc")[0]
    assert anc.value == pytest.approx(2.1)
    assert pf.lab("plt")[0].value == pytest.approx(180)
    hiv = [f for f in pf.infections if f.value == "hiv"]
    assert hiv and all(f.negated for f in hiv)
    for f in pf.all_facts():
        assert NOTE[f.start:f.end] == f.text  # every fact keeps its verbatim span


def test_patient_facts_lay_words_misspelling_negation_family():
    text = ("my mum is 70, she had chemo twice for her breast cancer and the cancer is in her liver now. "
            "she had hepatitus B years ago. no heart problems. her sister has lung cancer.")
    pf = extract_patient(text)
    assert pf.perspective == "caregiver" and pf.relation == "mum"
    assert pf.age.value == (70, 70) and pf.sex.value == "female"
    assert pf.lines.value == (2, 2)
    assert pf.site_mets("liver")[0]
    hbv = [f for f in pf.infections if f.value == "hbv"]
    assert hbv and hbv[0].affirmed and hbv[0].historical and hbv[0].text == "hepatitus B"
    heart = pf.concept_facts("cardiac_disease")
    assert heart and heart[0].negated
    lung = pf.concept_facts("lung_cancer")
    assert lung and lung[0].family
    assert not [f for f in pf.concept_facts("breast_cancer") if f.family]


def test_context_uncertain_and_history():
    pf = extract_patient("Chest CT: possible pneumonia. History of myocardial infarction 3 years ago. She denies smoking.")
    pn = pf.concept_facts("pneumonia")[0]
    assert pn.uncertain and not pn.negated
    mi = pf.concept_facts("mi")[0]
    assert mi.historical and mi.days_ago == pytest.approx(3 * 365)
    assert pf.concept_facts("smoking")[0].negated


def test_biomarkers_and_stage():
    pf = extract_patient("Metastatic breast cancer, ER-positive, PR-negative, HER2 IHC 2+ with FISH negative. PD-L1 CPS 12.")
    assert pf.biomarkers["her2_ihc"][0].value == 2
    assert pf.biomarkers["her2_ish"][0].value is False
    assert pf.biomarkers["er"][0].value is True and pf.biomarkers["pr"][0].value is False
    assert pf.biomarkers["pdl1"][0].value == 12
    assert pf.stage.value == "IV"


# ------------------------------------------------------------------ per-criterion verdicts

def test_never_meets_on_silence_for_inclusion():
    v = check_criterion("A 60-year-old woman with metastatic colorectal cancer.", "ECOG performance status 0-1", "inclusion")
    assert v.status == "unknown"
    v = check_criterion("A 60-year-old woman.", "Histologically confirmed hepatocellular carcinoma", "inclusion")
    assert v.status == "unknown"
    v = check_criterion("A 60-year-old woman.", "Adequate bone marrow function: ANC ≥ 1.5 × 10^9/L", "inclusion")
    assert v.status == "unknown"
    v = check_criterion("A 60-year-old woman.", "Signed informed consent", "inclusion")
    assert v.status == "unknown"


def test_exclusion_silence_rules():
    man = "A 70-year-old man with COPD."
    assert check_criterion(man, "Pregnant or breastfeeding women", "exclusion").status == "meets"
    assert check_criterion(man, "Known HIV infection", "exclusion").status == "meets"
    assert check_criterion("A 30-year-old woman with asthma.", "Pregnancy", "exclusion").status == "unknown"
    assert check_criterion(man, "Serum creatinine > 2 mg/dL", "exclusion").status == "unknown"
    assert check_criterion(man, "History of myocardial infarction", "exclusion").status == "meets"


def test_age_sex_lab_and_ps_verdicts_with_evidence():
    v = check_criterion(NOTE, "Age 18 to 75 years", "inclusion")
    assert v.status == "meets" and "62-year-old" in v.patient_evidence
    assert check_criterion("An 80-year-old man.", "Age 18-75 years", "inclusion").status == "fails"
    assert check_criterion(NOTE, "Female patients only", "inclusion").status == "fails"
    assert check_criterion(NOTE, "ECOG performance status 0 or 1", "inclusion").status == "meets"
    assert check_criterion("ECOG 2.", "ECOG performance status 0 or 1", "inclusion").status == "fails"
    v = check_criterion(NOTE, "ANC ≥ 1.5 × 10^9/L and platelets ≥ 100,000/mm3", "inclusion")
    assert v.status == "meets"
    for e in v.patient_evidence:
        assert e in NOTE
    # AST 95 U/L is 2.4x ULN: fails a 2 x ULN limit; the liver-metastases limit (5 x ULN) applies to this patient
    assert check_criterion("AST 95 U/L.", "AST ≤ 2 × ULN", "inclusion").status == "fails"
    v = check_criterion(NOTE, "AST and ALT ≤ 2 × ULN (≤ 5 × ULN if liver metastases are present)", "inclusion")
    assert v.status == "meets" and "liver" in v.reason
    assert check_criterion("Bilirubin 3.5 x ULN.", "Total bilirubin > 3 × ULN", "exclusion").status == "fails"
    assert check_criterion("Haemoglobin 85 g/L.", "Haemoglobin ≥ 9 g/dL", "inclusion").status == "fails"


def test_prior_therapy_classes_windows_and_lines():
    assert check_criterion(NOTE, "Prior treatment with anti-PD-1 or anti-PD-L1 antibody", "exclusion").status == "fails"
    assert check_criterion(NOTE, "Prior treatment with a topoisomerase I inhibitor", "exclusion").status == "meets"
    assert check_criterion(NOTE, "Disease progression on or after platinum-based chemotherapy", "inclusion").status == "meets"
    assert check_criterion(NOTE, "At least 2 prior lines of systemic therapy", "inclusion").status != "meets"
    v = check_criterion("She had chemo for her ovarian cancer.", "Prior topotecan or irinotecan", "exclusion")
    assert v.status == "unknown"  # "chemo" does not say which drugs
    assert check_criterion("Previously treated with Enhertu.", "Prior trastuzumab deruxtecan or other topoisomerase I inhibitor ADC", "exclusion").status == "fails"
    v = check_criterion("Last dose of pembrolizumab 10 weeks ago.", "Anti-PD-1 therapy within 4 weeks before the first dose", "exclusion")
    assert v.status == "meets"
    assert check_criterion("had chemo twice", "No more than 1 prior line of chemotherapy", "inclusion").status == "fails"
    assert check_criterion("Treatment-naive metastatic NSCLC.", "No prior systemic therapy for metastatic disease", "inclusion").status == "meets"


def test_brain_metastases_status():
    crit = "Untreated or symptomatic brain metastases (treated, stable brain metastases allowed)"
    assert check_criterion("Brain metastases treated with SRS, stable on MRI, off steroids.", crit, "exclusion").status == "meets"
    assert check_criterion("New untreated brain metastases found last week.", crit, "exclusion").status == "fails"
    assert check_criterion("Metastatic SCLC with liver metastases.", crit, "exclusion").status == "unknown"
    assert check_criterion(NOTE, crit, "exclusion").status == "meets"
    assert check_criterion("Known brain metastases.", "Known brain metastases", "exclusion").status == "fails"


def test_infection_steroid_malignancy_transplant_allergy():
    assert check_criterion("Chronic hepatitis B, HBV DNA undetectable on entecavir.",
                           "Active hepatitis B (HBV DNA > 500 IU/mL); patients with controlled HBV on antivirals are eligible",
                           "exclusion").status == "meets"
    assert check_criterion("HIV positive.", "Known HIV infection", "exclusion").status == "fails"
    assert check_criterion("On dexamethasone 4 mg twice daily.", "Systemic corticosteroids > 10 mg/day prednisone or equivalent", "exclusion").status == "fails"
    assert check_criterion("Prednisone 5 mg daily.", "Systemic corticosteroids > 10 mg/day prednisone or equivalent", "exclusion").status == "meets"
    other = "Another malignancy within 3 years, except basal cell carcinoma of the skin"
    assert check_criterion("NSCLC. Prostate cancer treated 10 years ago.", other, "exclusion").status == "meets"
    assert check_criterion("NSCLC. Breast cancer treated 1 year ago.", other, "exclusion").status == "fails"
    assert check_criterion("NSCLC. Basal cell carcinoma of the skin excised last year.", other, "exclusion").status == "meets"
    assert check_criterion("Kidney transplant in 2015.", "Prior solid organ transplant", "exclusion").status == "fails"
    assert check_criterion("Allergic to penicillin.", "Known hypersensitivity to trastuzumab", "exclusion").status == "meets"
    assert check_criterion("Anaphylaxis to carboplatin.", "Hypersensitivity to platinum compounds", "exclusion").status == "fails"


def test_diagnosis_histology_stage_biomarkers():
    her2 = "HER2-low (IHC 1+ or IHC 2+/ISH-negative) breast cancer"
    assert check_criterion("Breast cancer, HER2 IHC 1+.", her2, "inclusion").status == "meets"
    assert check_criterion("Breast cancer, HER2 3+.", her2, "inclusion").status == "fails"
    assert check_criterion("Breast cancer, HER2 IHC 2+, ISH pending.", her2, "inclusion").status == "unknown"
    assert check_criterion("Stage IIIA NSCLC.", "Stage IV non-small cell lung cancer", "inclusion").status == "fails"
    assert check_criterion(NOTE, "Extensive-stage small cell lung cancer", "inclusion").status == "meets"
    assert check_criterion("Gastric adenocarcinoma.", "Histologically confirmed hepatocellular carcinoma", "inclusion").status == "fails"
    assert check_criterion("NSCLC, PD-L1 TPS 60%.", "PD-L1 TPS ≥ 50%", "inclusion").status == "meets"
    assert check_criterion("Oropharyngeal SCC, p16 positive.", "p16-positive oropharyngeal cancer", "inclusion").status == "meets"


def test_pregnancy_and_negated_inclusions():
    assert check_criterion("A 33-year-old woman. Pregnancy test negative.", "Pregnant or breastfeeding", "exclusion").status == "meets"
    assert check_criterion("A 33-year-old woman, 20 weeks pregnant.", "Pregnant or breastfeeding", "exclusion").status == "fails"
    v = check_criterion("A 50-year-old man.", "No untreated brain metastases", "inclusion")
    assert v.status == "unknown"  # a negated inclusion is never met on silence
    assert check_criterion("Brain MRI negative.", "No brain metastases", "inclusion").status == "meets"


# ------------------------------------------------------------------ trials

CRITERIA = [
    CriterionInput("Histologically confirmed small cell lung cancer", "inclusion", ref="i1"),
    CriterionInput("ECOG performance status 0-1", "inclusion", ref="i2"),
    CriterionInput("Progression after platinum-based chemotherapy", "inclusion", ref="i3"),
    CriterionInput("Adequate organ function: ANC ≥ 1.5 × 10^9/L, platelets ≥ 100 × 10^9/L", "inclusion", ref="i4"),
    CriterionInput("Untreated or symptomatic brain metastases", "exclusion", ref="e1"),
    CriterionInput("Prior topoisomerase I inhibitor", "exclusion", ref="e2"),
    CriterionInput("Known HIV infection", "exclusion", ref="e3"),
]


def test_trial_eligible_and_not_eligible():
    ts = screen_criteria(NOTE, CRITERIA)
    assert ts.verdict == "eligible", ts.to_json()
    assert [ci.ref for ci, _ in ts.criteria] == ["i1", "i2", "i3", "i4", "e1", "e2", "e3"]
    ts = screen_criteria(NOTE + " He also received topotecan in June.", CRITERIA)
    assert ts.verdict == "not eligible"
    assert [ci.ref for ci, _ in ts.failing] == ["e2"]
    assert "topo" in ts.summary.lower()
    json.dumps(ts.to_json())


def test_trial_uncertain_with_followups_and_patient_wording():
    text = "my dad is 67 and has small cell lung cancer, it spread to his liver. he had carboplatin and etoposide but it grew again."
    ts = screen_criteria(text, CRITERIA, audience="patient")
    assert ts.verdict == "uncertain"
    assert ts.follow_up
    assert any("your dad" in q and "brain scan" in q for q in ts.follow_up)
    assert not any(q.startswith("ECOG") for q in ts.follow_up)
    tc = screen_criteria(text, CRITERIA, audience="clinician")
    assert any("ECOG" in q for q in tc.follow_up)
    # follow-up turn settles the brain-imaging question
    ts2 = rescreen(text, "he had a brain MRI last week, no mets", CRITERIA, audience="patient")
    brain = [v for ci, v in ts2.criteria if ci.ref == "e1"][0]
    assert brain.status == "meets"
    assert not any("brain scan" in q for q in ts2.follow_up)


def test_cohorts_pick_matching_diagnosis():
    crits = [
        CriterionInput("Age ≥ 18 years", "inclusion"),
        CriterionInput("Histologically confirmed hepatocellular carcinoma", "inclusion", cohort="HCC cohort"),
        CriterionInput("Child-Pugh class A", "inclusion", cohort="HCC cohort"),
        CriterionInput("Histologically confirmed small cell lung cancer", "inclusion", cohort="SCLC cohort"),
        CriterionInput("ECOG performance status 0-1", "inclusion", cohort="SCLC cohort"),
    ]
    ts = screen_criteria(NOTE, crits)
    assert ts.cohort == "SCLC cohort"
    assert ts.verdict == "eligible"
    assert all(ci.cohort in (None, "SCLC cohort") for ci, _ in ts.criteria)


def test_a_cohort_label_listed_as_an_item_opens_that_cohorts_block():
    from assistant.screening.structure import cohort_item, repair_headings

    assert cohort_item("Melanoma Patients") == "Melanoma" and cohort_item("Patients must be 18 or older") is None
    crits = [
        CriterionInput("The patient is at least 18 years of age.", "inclusion"),
        CriterionInput("Melanoma Patients", "inclusion"),
        CriterionInput("The patient has a diagnosis of primary melanoma.", "inclusion"),
        CriterionInput("Breast Cancer Patients", "inclusion"),
        CriterionInput("The patient has a diagnosis of primary breast cancer.", "inclusion"),
        CriterionInput("The patient is pregnant or lactating.", "exclusion"),
        CriterionInput("Breast Cancer Patients", "exclusion"),
        CriterionInput("Patients that have had prior breast implants.", "exclusion"),
    ]
    fixed = repair_headings(crits)
    assert [(c.cohort, c.type) for c in fixed] == [(None, "inclusion"), ("Melanoma", "inclusion"), ("Breast Cancer", "inclusion"),
                                                  (None, "exclusion"), ("Breast Cancer", "exclusion")]
    ts = screen_criteria("58-year-old woman with breast cancer; she had breast implants put in years ago.", crits)
    assert ts.verdict == "not eligible" and ts.cohort == "Breast Cancer"
    assert [ci.text for ci, v in ts.criteria if v.status == "fails"] == ["Patients that have had prior breast implants."]


def test_an_excluded_extent_of_the_cancer_must_be_described():
    crit = "The patient has bilateral primary breast cancers or multiple tumors within their breast."
    assert check_criterion("Woman with breast cancer, 2 cm, node negative.", crit, "exclusion").status == "meets"
    assert check_criterion("Woman with bilateral breast cancer.", crit, "exclusion").status == "fails"


def test_speed_one_trial_warm():
    import time
    screen_criteria(NOTE, CRITERIA)
    crits = CRITERIA * 4
    t = time.perf_counter()
    screen_criteria(NOTE + " ", crits)
    assert time.perf_counter() - t < 0.3


def test_context_triggers_from_data_file():
    from assistant.screening.context import _trigger_table, find_triggers
    from assistant.screening.text import tokenize

    table, fwd, back = _trigger_table()
    assert ("no",) in table and ("denies",) in table and ("ruled", "out") in table
    assert fwd >= 5 and back >= 1
    trig = find_triggers(tokenize("No evidence of pneumonia but possible effusion."))
    cats = {(t.category, t.text) for t in trig}
    assert ("negated", "no evidence of") in cats and ("terminate", "but") in cats and ("uncertain", "possible") in cats
    pf = extract_patient("No evidence of pneumonia but possible pleural effusion. Gram negative bacteremia.")
    assert pf.concept_facts("pneumonia")[0].negated
    bac = pf.concept_facts("infection")
    assert bac and not bac[-1].negated  # "gram negative" is a pseudo-trigger


def test_verdict_json_and_reason():
    v = check_criterion("A 45-year-old woman.", "Age ≥ 50 years", "inclusion")
    assert v.status == "fails" and v.reason and v.patient_evidence == ["45-year-old"]
    d = v.to_json()
    assert d["status"] == "fails" and d["effective_type"] == "inclusion"


def test_class_intersection_and_wocbp_requirement():
    crit = "Prior treatment with any ADC with a topoisomerase I inhibitor payload"
    assert check_criterion("Progressed on T-DM1.", crit, "exclusion").status == "meets"
    assert check_criterion("Progressed on sacituzumab govitecan.", crit, "exclusion").status == "fails"
    wocbp = "Women of childbearing potential must agree to use highly effective contraception"
    assert check_criterion("A 63-year-old postmenopausal woman.", wocbp, "inclusion").status == "meets"
    assert check_criterion("A 34-year-old woman.", wocbp, "inclusion").status == "unknown"
    v = check_criterion("Brain MRI: 2 lesions treated with SRS 3 months ago, stable, no steroids.",
                        "Clinically active brain metastases (untreated or symptomatic, or requiring corticosteroids)", "exclusion")
    assert v.status == "meets"
    ild = "History of ILD/pneumonitis that required steroids, or current ILD/pneumonitis"
    assert check_criterion("No history of ILD or pneumonitis.", ild, "exclusion").status == "meets"
    assert check_criterion("Grade 2 pneumonitis on durvalumab treated with prednisone.", ild, "exclusion").status == "fails"


# ------------------------------------------------------------------ oncology history, cohorts, structure (general rules)

def _st(patient: str, criterion: str, ctype: str = "inclusion") -> str:
    return check_criterion(patient, criterion, ctype).status


def test_non_criteria_are_left_out_and_merged_headings_open_a_cohort():
    from assistant.screening.structure import is_criterion, repair_headings

    for t in ("Study Type", "Accepts Healthy Volunteers", "No", "Allocation", "Parallel Assignment", "About",
              "This is a randomized, open-label, phase 3 study evaluating drug A versus drug B.",
              "CrCl = (140 - Age) × Weight (kg) / 72 × serum creatinine (mg/dL)",
              "Perioperative systemic therapies will be counted as 1 line of therapy."):
        assert not is_criterion(t), t
    assert is_criterion("ECOG performance status 0 or 1")
    crits = [CriterionInput("Metastatic breast cancer.", "inclusion", "Cohort A"),
             CriterionInput("At least 2 prior lines.\nAdditional Inclusion Criteria for Melanoma Participants", "inclusion", "Cohort A"),
             CriterionInput("Histologically confirmed melanoma.", "exclusion", "Cohort A"),
             CriterionInput("Prior B7-H3-directed therapy.", "exclusion", None)]
    fixed = repair_headings(crits)
    assert fixed[1].text == "At least 2 prior lines."
    assert (fixed[2].cohort, fixed[2].type) == ("Melanoma", "inclusion")
    assert fixed[3].cohort is None and fixed[3].type == "exclusion"


def test_basket_cohort_chosen_by_tumour_type_abbreviation_or_site():
    crits = [CriterionInput("ECOG 0 or 1.", "inclusion"),
             CriterionInput("Documented unresectable or metastatic CRC with microsatellite stable status.", "inclusion", "CRC"),
             CriterionInput("Documented metastatic EC of any histological subtype.", "inclusion", "EC"),
             CriterionInput("Documented metastatic pancreatic adenocarcinoma.", "inclusion", "PDAC")]
    ts = screen_criteria("61M, ECOG 1, metastatic sigmoid adenocarcinoma, MSS by PCR.", crits)
    assert ts.cohort == "CRC" and ts.verdict == "eligible"
    # a tumour type no cohort is for: not eligible, with the cohort's diagnosis criterion as the reason
    ts = screen_criteria("58M, ECOG 1, metastatic prostate adenocarcinoma.", crits)
    assert ts.verdict == "not eligible" and ts.failing


def test_site_words_type_the_tumour_and_excluded_subsites_fail():
    crit = ("Documented unresectable or metastatic squamous cell carcinoma of the oral cavity, oropharynx, hypopharynx, "
            "or larynx, excluding nasopharynx, nasal cavity and paranasal sinuses.")
    assert _st("55M, metastatic squamous cell carcinoma of the right tonsil.", crit) == "meets"
    assert _st("54M with nasopharyngeal cancer (squamous type) spread to the liver.", crit) == "fails"


def test_serology_abbreviations_vaccination_and_viral_load():
    pt = "HBsAg neg / anti-HBs pos (hepatitis B vaccinated), HCV Ab neg, HIV Ab neg. Metastatic lung cancer."
    assert _st(pt, "Known HIV infection", "exclusion") == "meets"
    assert _st(pt, "Active hepatitis B or hepatitis C", "exclusion") == "meets"
    assert _st(pt, "Active infection requiring intravenous anti-infective therapy", "exclusion") == "meets"
    assert _st("HBV/HCV/HIV negative.", "History of immunodeficiency, including a positive HIV test.", "exclusion") == "meets"
    crit = "Active HBV (HBsAg+ with HBV DNA ≥500 IU/mL) or HCV infection."
    assert _st("Chronic hepatitis B, surface antigen positive, viral load about 800 IU/mL.", crit, "exclusion") == "fails"
    assert _st("Chronic hepatitis B, surface antigen positive, viral load about 300 IU/mL.", crit, "exclusion") == "meets"
    crit = "Known HCV infection. HCV antibody-positive subjects are eligible only if PCR confirms HCV RNA negativity."
    assert _st("HCV Ab positive, treated with sofosbuvir in 2019, HCV RNA PCR undetectable.", crit, "exclusion") == "meets"


def test_treated_brain_metastases_off_steroids_and_excluded_sites():
    crit = ("Untreated brain metastases (subjects with treated brain metastases are eligible if clinically stable for ≥4 weeks, "
            "off steroid therapy for ≥2 weeks); brainstem metastasis; cerebellum metastasis")
    ok = "Brain: 3 metastases treated with SRS 8 weeks ago, stable on MRI, asymptomatic; dexamethasone stopped 5 weeks ago."
    assert _st(ok, crit, "exclusion") == "meets"
    assert _st("Single cerebellar metastasis treated with SRS 6 weeks ago, stable; dexamethasone stopped 4 weeks ago.", crit, "exclusion") == "fails"
    assert _st("Brain MRI last week: no brain mets. No leptomeningeal disease.", "Leptomeningeal metastasis", "exclusion") == "meets"
    assert _st("MRI: cannot exclude leptomeningeal disease; first CSF cytology negative.", "Leptomeningeal metastasis.", "inclusion") == "unknown"
    assert _st("MRI shows leptomeningeal enhancement; CSF cytology positive for malignant cells.", "Leptomeningeal metastasis.", "inclusion") == "meets"


def test_steroid_routes_and_immunomodulators():
    crit = "Systemic corticosteroids (>10 mg/day prednisone) within 14 days, except inhaled or topical corticosteroids."
    assert _st("COPD on inhaled budesonide/formoterol only. No systemic steroids.", crit, "exclusion") == "meets"
    assert _st("Put on prednisone 30 mg a day for a COPD flare, last tablet 4 days ago.", crit, "exclusion") == "fails"
    assert _st("Asthma on inhaled fluticasone.", "Use of immunomodulatory drugs (e.g., interleukin-2, interferon) within 14 days.",
               "exclusion") == "meets"


def test_lab_units_g_per_l_and_umol_per_l():
    assert _st("Hb 88 g/L.", "Hemoglobin ≥ 90 g/L", "inclusion") == "fails"
    assert _st("Hb 112 g/L.", "Hemoglobin ≥ 9 g/dL", "inclusion") == "meets"
    assert _st("Creatinine 78 umol/L, T bili 12 umol/L.", "Total bilirubin ≤ 1.5 × ULN", "inclusion") == "meets"
    pt = "ANC 2.4 x10^9/L, Hb 112 g/L, plt 190 x10^9/L, creatinine 78 umol/L, ALT 34 U/L."
    assert _st(pt, "Adequate organ function.", "inclusion") == "meets"
    assert _st("ANC 0.6 x10^9/L, platelets 40 x10^9/L.", "Adequate organ and bone marrow function.", "inclusion") == "fails"
    assert _st("Metastatic SCLC.", "Adequate organ function.", "inclusion") == "unknown"


def test_prior_lines_explicit_maintenance_and_required_class():
    crit = "Extensive-stage SCLC refractory to 2 to 3 prior lines of systemic therapy, which must have included PD-1/PD-L1 immunotherapy."
    pt = ("ES-SCLC. Line 1: carboplatin/etoposide + atezolizumab x4 then atezolizumab maintenance, PD at 7 mo. "
          "Line 2: topotecan x5, PD on CT 2 wk ago; last topotecan 3 wk ago.")
    assert extract_patient(pt).lines.value == (2, 2)
    assert _st(pt, crit) == "meets"
    assert _st("ES-SCLC. 1L carboplatin/etoposide only, no immunotherapy given. 2L topotecan, PD.", crit) == "fails"
    assert _st("ES-SCLC. 1L carboplatin/etoposide plus 'an antibody' per the patient, records not yet received, "
               "unclear which agent. 2L topotecan, PD.", crit) == "unknown"
    assert parse_lines("Relapse or progression after at least 2 and a maximum of 3 prior lines of systemic therapy") == (2, 3)
    assert parse_lines("Progression after 1 prior line of an ICI-containing regimen, with a maximum of 2 prior lines") == (1, 2)


def test_regimen_components_and_topoisomerase_inhibitors():
    lex = get_lexicon()
    assert "topo1_inhibitor" in lex.drug_classes("folfiri") and "platinum" in lex.drug_classes("folfox")
    crit = "No prior treatment with topoisomerase I inhibitors, such as irinotecan or topotecan."
    assert _st("Metastatic rectal cancer. Line 1: FOLFIRI + cetuximab, PD.", crit) == "fails"
    assert _st("Metastatic colon cancer. FOLFOX + bevacizumab, PD. Never received irinotecan or topotecan.", crit) == "meets"
    crit = "Relapse or progression after 1 prior line of systemic therapy including a fluoropyrimidine plus oxaliplatin."
    assert _st("Metastatic colon cancer. One prior line in the metastatic setting: FOLFOX + bevacizumab, PD.", crit) == "meets"
    assert _st("Metastatic colon cancer. Line 1: FOLFIRI + cetuximab, PD after 11 months.", crit) == "fails"


def test_adc_payload_classes():
    camptothecin = "Prior treatment with antibody-drug conjugates containing camptothecin or its derivatives (topoisomerase I inhibitors)."
    exatecan = "Prior discontinuation of an antibody drug conjugate (ADC) that consists of an exatecan derivative due to treatment-related toxicities."
    assert _st("Progressed on sacituzumab govitecan.", camptothecin, "exclusion") == "fails"
    assert _st("Adjuvant T-DM1 completed 2 years ago.", camptothecin, "exclusion") == "meets"
    assert _st("Sacituzumab govitecan stopped for progression.", exatecan, "exclusion") == "meets"
    assert _st("T-DXd stopped for grade 2 pneumonitis.", exatecan, "exclusion") == "fails"
    assert _st("T-DXd x10 stopped for intracranial progression, no dose-limiting toxicity.", exatecan, "exclusion") == "meets"
    c = parse_criterion("Prior treatment with orlotamab, enoblituzumab, or other B7-homologue 3 (B7-H3)-targeted agents.", "exclusion")
    assert c.checks[0].params["classes"] == ["b7h3_targeted"]
    assert _st("Prior bevacizumab.", "Prior treatment with enoblituzumab or other B7-homologue 3 (B7-H3)-targeted agents.", "exclusion") == "meets"


def test_therapy_setting_adjuvant_versus_metastatic_and_disease_free_interval():
    crit = ("No prior chemotherapy or HER2-targeted therapy for unresectable or metastatic breast cancer. Participants who received "
            "chemotherapy or HER2-directed therapy in the neoadjuvant or adjuvant setting and have a DFI of >6 months are eligible.")
    adj = "HER2+ breast cancer: neoadjuvant TCHP 2021, adjuvant T-DM1 completed March 2023. Metastatic recurrence Sept 2025, i.e. DFI ~30 months. No systemic therapy since recurrence."
    assert _st(adj, crit) == "meets"
    assert _st("HER2+ breast cancer; adjuvant TCHP completed 4 months before liver metastases were found. No treatment for metastatic disease.", crit) == "fails"
    assert _st("HER2-positive metastatic breast cancer. At the start she had THP, later trastuzumab deruxtecan, which stopped working.", crit) == "fails"
    assert _st("Her breast cancer came back in her lungs about 4 years after she finished chemo and Herceptin. She hasn't started any treatment yet.", crit) == "meets"


def test_adverse_event_criteria():
    resolved = "All prior treatment-related toxicities must have resolved to ≤Grade 1."
    assert _st("Persistent grade 2 sensory peripheral neuropathy from docetaxel, stable for over a year.", resolved) == "fails"
    assert _st("Capecitabine hand-foot syndrome now grade 1; no other residual toxicity.", resolved) == "meets"
    assert _st("Metastatic breast cancer after three lines of chemotherapy.", resolved) == "unknown"
    irae = "Prior history of ≥ Grade 3 immune-related adverse event (irAE) or ≥ Grade 2 immune-related myocarditis associated with prior immunotherapy."
    assert _st("Durvalumab stopped for grade 3 immune-mediated hepatitis, now fully resolved.", irae, "exclusion") == "fails"
    assert _st("Atezolizumab for 8 cycles. No irAEs.", irae, "exclusion") == "meets"
    assert _st("Grade 2 immune-related myocarditis on atezolizumab last year.", irae, "exclusion") == "fails"
    nonrem = ("Non-remission of AEs after previous anti-cancer treatment, defined as AEs not relieved to ≤ grade 1 (except alopecia). "
              "Note: participants with chronic, stable Grade 2 toxicities such as chemotherapy-induced peripheral neuropathy are eligible.")
    assert _st("Chronic stable grade 2 peripheral neuropathy from docetaxel for over a year.", nonrem, "exclusion") == "meets"
    assert _st("Residual grade 3 fatigue.", nonrem, "exclusion") == "fails"


def test_combined_or_transformed_histology_and_cured_other_cancer():
    crit = "Histological diagnosis of combined small cell lung cancer (mixed SCLC and NSCLC) or transformed SCLC."
    assert _st("Histologically confirmed pure SCLC (no NSCLC component).", crit, "exclusion") == "meets"
    assert _st("EGFR-mutant lung adenocarcinoma; rebiopsy showed small cell transformation.", crit, "exclusion") == "fails"
    other = "History of other malignancies, except for those cured for ≥2 years, such as localized prostate cancer."
    assert _st("ES-SCLC. Prostate cancer removed about a year ago, all gone.", other, "exclusion") == "fails"
    assert _st("ES-SCLC. Prostate cancer treated with prostatectomy 6 years ago, cured.", other, "exclusion") == "meets"


def test_conditional_and_multi_sentence_criteria():
    cond = "Subjects with actionable target tumor mutation should have been previously treated with targeted therapy."
    assert _st("Metastatic colon cancer, no actionable alteration. FOLFOX, PD.", cond) == "meets"
    crit = ("Documented metastatic pancreatic adenocarcinoma that has progressed after 1 prior line of gemcitabine-based therapy. "
            "No prior treatment with topoisomerase I inhibitors, such as irinotecan or topotecan.")
    assert parse_criterion(crit, "inclusion").kinds == ["all_of"]
    assert _st("Pancreatic cancer with liver metastases. First FOLFIRINOX, then gemcitabine and Abraxane, now growing.", crit) == "fails"
    only = "Subjects with active brain metastases only must have at least one intracranially measurable lesion (RANO-BM criteria)."
    assert _st("Leptomeningeal enhancement, CSF cytology positive; two parenchymal lesions (14 mm, 8 mm).", only) == "meets"
    assert _st("5 new parenchymal brain lesions, largest 7 mm; no leptomeningeal enhancement.", only) == "fails"


def test_platinum_sensitivity():
    not_refr = "Participant is not considered primary platinum refractory and has not progressed during platinum treatment."
    assert _st("High-grade serous ovarian cancer. Progressed during first-line carboplatin/paclitaxel (after cycle 4).", not_refr) == "fails"
    resist = "Participant has progressed less than 180 days after the last dose of platinum therapy."
    assert _st("Ovarian cancer, carboplatin and paclitaxel, then carboplatin again and now it's back again.", resist) == "unknown"
    assert _st("Ovarian cancer that progressed 2 months after the last carboplatin.", resist) == "meets"


def test_measurable_lesions_by_size_irradiation_and_site():
    crit = ("At least one measurable target lesion per RECIST 1.1, not previously irradiated. "
            "Lesions solely within the brain are not acceptable as target lesions.")
    assert _st("Target: segment VII liver met 34 mm, never irradiated.", crit) == "meets"
    assert _st("Only brain metastases, largest 15 mm.", crit) == "unknown"
    assert _st("Largest lung nodule 6 mm.", "At least 1 measurable lesion per RECIST v1.1.") == "fails"


def test_her2_and_hormone_receptor_requirements():
    crit = ("Metastatic breast cancer confirmed HER2-positive (IHC 3+ or ISH+) on specimens taken after metastatic disease "
            "by central testing.")
    assert _st("HER2+ metastatic breast cancer (central IHC 3+ on liver biopsy after relapse).", crit) == "meets"
    assert _st("ER+ HER2+ metastatic breast cancer (IHC 3+ on the primary, local lab); no biopsy of metastatic disease yet.", crit) == "unknown"
    assert _st("Metastatic breast cancer, HER2 1+ and ER positive.", crit) == "fails"
    zero = "Negative for HER2 expression, defined as IHC 0 (ISH- or untested)."
    assert _st("Metastatic TNBC, HER2 IHC 0 on the most recent biopsy.", zero) == "meets"
    assert _st("HER2-low (IHC 1+) metastatic breast cancer.", zero) == "fails"
    hr = "Documented hormone receptor (HR)-positive or HR-negative status after local testing in the metastatic setting."
    assert _st("Metastatic breast cancer. Core biopsy of a lung nodule after recurrence: HER2 IHC 3+, ER 0%, PgR 0% (local).", hr) == "meets"


def test_negation_scope_and_marker_results():
    pf = extract_patient("Adjuvant T-DXd x14, no ILD during T-DXd.")
    assert any(f.affirmed and f.value.get("drug") == "trastuzumab deruxtecan" for f in pf.drugs)
    pf = extract_patient("61F metastatic gastric adenocarcinoma, HER2 negative (IHC 1+).")
    assert [f for f in pf.cancers if f.value == "gastric_cancer"]
    pf = extract_patient("History of non-infectious pneumonitis treated with prednisone.")
    assert pf.concept_facts("ild") and pf.concept_facts("ild")[0].affirmed
    pf = extract_patient("Dad is 80, small cell lung cancer, had chemo with immunotherapy.")
    assert pf.perspective == "caregiver" and pf.age.value == (80, 80)


def test_life_expectancy_and_registry_sex_fields():
    assert _st("Expected survival >6 mo.", "Life expectancy ≥ 3 months.") == "meets"
    assert _st("Metastatic SCLC.", "Life expectancy ≥ 3 months.") == "unknown"
    assert parse_criterion("Life expectancy ≥ 3 months.", "inclusion").importance == "screening"
    assert _st("63M with SCLC.", "Eligible Sex\n\nALL") == "meets"
    assert _st("63M with SCLC.", "Age ≥18 years, regardless of gender.") == "meets"


def test_named_scales_and_latest_platinum_interval():
    assert _st("HCC, Child-Pugh A5, ALBI grade 1, BCLC stage C.", "Albumin-Bilirubin (ALBI) Grade 1 within 7 days prior to the first dose.") == "meets"
    assert _st("HCC, ALBI grade 2.", "Albumin-Bilirubin (ALBI) Grade 1 within 7 days prior to the first dose.") == "fails"
    assert _st("HCC, Child-Pugh B8.", "Liver function status should be Child-Pugh (CP) Class A.") == "fails"
    pt = ("Ovarian cancer. Line 1: carboplatin/paclitaxel; progression 14 months after the last carboplatin. "
          "Line 2: carboplatin/PLD; progression 3 months after the last carboplatin dose.")
    assert _st(pt, "Participant has progressed less than 180 days after the last dose of platinum therapy.") == "meets"


def test_an_exclusion_naming_example_drugs_catches_them_within_its_window():
    from assistant.screening import check_criterion

    c = "Use of immunomodulatory drugs (e.g., thymosin, interleukin-2, interferon) within 14 days prior to the first dose."
    assert check_criterion("He received thymosin injections 10 days ago.", c, "exclusion").status == "fails"
    assert check_criterion("She had interferon 3 months ago.", c, "exclusion").status == "meets"
    assert check_criterion("No thymosin or interferon ever.", c, "exclusion").status == "meets"
    assert check_criterion("She takes thymosin.", c, "exclusion").status == "unknown"


# ------------------------------------------------------------------ general-medicine notes (non-oncology)

def _cc(patient: str, criterion: str, ctype: str) -> str:
    return check_criterion(patient, criterion, ctype).status


def test_age_ranges_written_as_between_and_plus():
    assert parse_age("age between 18 and 65")[:2] == (18.0, 65.999)
    assert parse_age("Age 18+")[:2] == (18.0, None)
    assert _cc("A 30-year-old woman with a cough.", "age between 18 and 65", "inclusion") == "meets"
    assert _cc("A 70-year-old woman with a cough.", "age between 18 and 65", "inclusion") == "fails"
    assert _cc("A 15-year-old girl with abdominal pain.", "Age 18+", "inclusion") == "fails"


def test_coordination_words_are_not_named_examples():
    c = "Contraindication to endoscopy such as Boerhaave's syndrome, or history or bleeding disorder or elevated INR"
    assert _cc("A 52-year-old man with a history of heavy smoking and progressive dysphagia.", c, "exclusion") == "meets"
    assert _cc("A 52-year-old man with Boerhaave's syndrome.", c, "exclusion") == "fails"


def test_common_verbs_are_not_spell_corrected_into_diagnoses():
    pt = "A 43-year-old woman with neck lesions. The colour of the lesions varies from flesh coloured to pink."
    assert not [f for f in extract_patient(pt).conditions if f.value == "cirrhosis"]
    assert _cc(pt, "Cirrhosis", "exclusion") == "meets"


def test_a_wish_to_conceive_is_not_a_pregnancy_status():
    pt = "A 36-year-old woman with uterine fibroids. Pregnancy test is negative."
    assert _cc(pt, "Women with uterine fibroids who desire pregnancy within 12 months", "inclusion") != "fails"
    assert _cc(pt, "Pregnant women", "exclusion") == "meets"


def test_prognosis_study_events_and_staging_are_not_assumed_absent_on_silence():
    pt = "An 8-year-old boy fell from his bike and hit his head. GCS 6."
    for c in ("Patients who are moribund.", "Patients that according to the surgeon estimates will not survive 24 hours.",
              "are not randomized by 6 hours after injury", "MRI images unable to be processed", "Stage cT1N0 and cT4b"):
        assert _cc(pt, c, "exclusion") == "unknown", c
    # an ordinary condition the note would mention is still assumed absent
    assert _cc(pt, "Cystic fibrosis", "exclusion") == "meets"


def test_an_acute_presentation_meets_an_acute_illness_exclusion():
    c = ("Acute disease at the time of enrolment. Acute disease is defined as the presence of any acute condition that "
         "may interfere with safety assessment of the investigational products")
    acute = "A 28-year-old woman was brought in to the ER with agitation and difficulty swallowing and was immediately hospitalized."
    calm = "A 51-year-old woman is seen in clinic for advice on osteoporosis prevention."
    v = check_criterion(acute, c, "exclusion")
    assert v.status == "fails" and v.patient_evidence
    assert check_criterion(calm, c, "exclusion").status == "meets"
    assert check_criterion(calm, c, "exclusion").kind != "trial_participation"  # "the investigational product" is this study's
    assert _cc("She presented to the ER 10 years ago with a fracture. Now well, seen in clinic.", "Acute febrile illness", "exclusion") == "meets"


def test_a_different_procedure_just_undergone_fails_an_undergoing_inclusion():
    c = "Patients undergoing elective carotid endarterectomy"
    other = "A 67-year-old woman underwent cardiac catheterization via the right femoral artery earlier in the morning."
    same = "A 67-year-old woman underwent carotid endarterectomy this morning."
    old = "A 67-year-old woman underwent cholecystectomy 20 years ago. She has a carotid bruit."
    assert _cc(other, c, "inclusion") == "fails"
    assert _cc(same, c, "inclusion") != "fails"
    assert _cc(old, c, "inclusion") == "unknown"
    assert _cc("A 67-year-old woman with a carotid bruit.", c, "inclusion") == "unknown"


def test_shared_modifiers_of_a_bare_last_noun():
    c = "Had been performed central venous puncture or catheterization before."
    assert _cc("She underwent cardiac catheterization via the femoral artery this morning.", c, "exclusion") == "meets"
    assert _cc("She had central venous catheterization last year.", c, "exclusion") == "fails"


def test_a_met_value_does_not_settle_a_second_requirement_joined_by_and():
    c = "Severe traumatic brain injury defined as GCS ≤ 8 and an abnormal CT scan"
    assert _cc("An 8-year-old boy after a fall. The Glasgow Coma Scale (GCS) was 6/15.", c, "inclusion") == "unknown"
    assert _cc("An 8-year-old boy after a fall. The Glasgow Coma Scale (GCS) was 13/15.", c, "inclusion") == "fails"
    assert _cc("Woman, 50. Hemoglobin 12 g/dL.", "Hemoglobin ≥ 9 g/dL and platelets ≥ 100,000/mm3", "inclusion") == "unknown"
    assert _cc("Woman, 50. Hemoglobin 12 g/dL, platelets 200,000/mm3.", "Hemoglobin ≥ 9 g/dL and platelets ≥ 100,000/mm3", "inclusion") == "meets"


def test_planned_admissions_and_unnamed_operations_are_not_over_read():
    assert _cc("A 60-year-old man was admitted to hospital for an elective knee replacement.", "Acute illness at the time of enrolment",
               "exclusion") == "meets"
    assert _cc("A 70-year-old woman had surgery this morning.", "Patients undergoing elective hip replacement", "inclusion") == "unknown"


def test_stopping_a_drug_because_of_a_side_effect_in_plain_words():
    crit = "Prior discontinuation of an antibody drug conjugate (ADC) that consists of an exatecan derivative (eg, T-DXd) due to treatment-related toxicities."
    assert check_criterion("I had to come off Enhertu because it inflamed my lungs.", crit, "exclusion").status == "fails"
    assert check_criterion("He received Enhertu for 6 months.", crit, "exclusion").status == "unknown"


def test_treatment_around_surgery_is_early_stage_and_a_finished_treatment_is_not_current():
    note = "I had Taxotere after my surgery about 8 months ago and now the cancer has come back in my liver."
    assert check_criterion(note, "Previous chemotherapy for metastatic or locally recurrent breast cancer.", "exclusion").status == "meets"
    note = "I had chemo and Herceptin around my surgery and finished about 2 years ago, now it's come back in my liver."
    assert check_criterion(note, "Antibody-based anticancer therapy within 4 weeks.", "exclusion").status == "meets"
    crit = ("No prior chemotherapy for metastatic breast cancer. Participants who have received chemotherapy in the neoadjuvant or "
            "adjuvant setting and have a DFI of >6 months from completion of chemotherapy to metastatic diagnosis are eligible.")
    assert check_criterion(note, crit, "inclusion").status == "meets"  # 2 years disease-free, then "now" it came back


def test_no_x_and_no_y_is_two_exclusions():
    crit = "No adjuvant chemotherapy within 6 months before randomization, and no taxane-based chemotherapy within 12 months before randomization."
    assert check_criterion("I had Taxotere after my surgery about 8 months ago; it has now come back.", crit, "inclusion").status == "fails"
    assert check_criterion("I had Taxotere after my surgery 3 years ago.", crit, "inclusion").status == "meets"
    assert check_criterion("A 50-year-old woman with metastatic breast cancer.", crit, "inclusion").status == "unknown"


def test_an_allergy_counts_only_against_the_substance_a_criterion_names():
    note = "I'm allergic to eggs."
    assert check_criterion(note, "Serious hypersensitivity reaction to egg products", "exclusion").status == "fails"
    assert check_criterion(note, "History of allergy or untoward reaction to prior vaccination with vaccinia virus.", "exclusion").status == "meets"
    assert check_criterion(note, "Known allergies", "exclusion").status == "fails"


def test_habitual_use_satisfies_concurrent_use():
    crit = "No concurrent grapefruit juice consumption"
    assert check_criterion("He drinks grapefruit juice every morning.", crit, "inclusion").status == "fails"
    assert check_criterion("He had grapefruit juice once last year.", crit, "inclusion").status == "meets"


def test_a_severe_description_anywhere_contradicts_a_mild_requirement():
    crit = "Participants must be experiencing symptoms of mild cognitive impairment"
    note = "A 62-year-old man has progressive memory loss. Examination confirms severe cognitive deficits."
    assert _cc(note, crit, "inclusion") == "fails"
    assert _cc("A 62-year-old man has progressive memory loss.", crit, "inclusion") == "unknown"
    assert _cc("A 62-year-old man has mild memory loss.", crit, "inclusion") == "meets"


def test_a_bare_organ_adjective_takes_the_head_noun_of_the_next_alternative():
    crit = "Renal or hepatic disease assessed by history and by pre-drug blood tests"
    assert _cc("A 50-year-old man with chronic kidney disease.", crit, "exclusion") == "fails"
    assert _cc("A 50-year-old man with cirrhosis.", crit, "exclusion") == "fails"
    assert _cc("A 50-year-old man with a sprained ankle.", crit, "exclusion") == "meets"


def test_oliguria_by_urine_output_is_acute_kidney_injury_not_chronic_renal_failure():
    note = "A 6-month-old infant has a urine output of less than 0.2 mL/kg/hr after major surgery."
    assert _cc(note, "Renal disease", "exclusion") == "fails"
    assert _cc(note, "Chronic renal failure with chronic renal replacement therapy", "exclusion") == "meets"
    assert _cc("A 6-month-old infant has a urine output of 1.5 mL/kg/hr after surgery.", "Renal disease", "exclusion") == "meets"
    assert _cc("A 6-month-old infant has a urine output of more than 0.3 mL/kg/hr.", "Renal disease", "exclusion") == "meets"
    assert _cc("A 70-year-old man with oliguria.", "Acute kidney injury", "inclusion") == "meets"


def test_lesions_seen_by_a_dermatologist_are_skin_lesions_but_not_ill_health():
    crit = "Subjects with visible skin disease, tattoos, skin condition, or abnormal skin color"
    note = "A 43-year-old woman visits her dermatologist for lesions on her neck. Each lesion is small and pedunculated."
    assert _cc(note, crit, "exclusion") == "fails"
    assert _cc(note, crit, "inclusion") == "meets"
    assert _cc("A 43-year-old woman has a lesion in the liver on CT. Her skin is pale.", crit, "exclusion") == "meets"
    assert _cc(note, "Healthy subjects", "inclusion") != "fails"


def test_uterine_pathology_and_an_exception_naming_a_kind_of_it():
    crit = "Evidence of uterine pathology other than leiomyoma"
    assert _cc("Ultrasound reports an enlarged uterus with multiple cystic areas.", crit, "exclusion") == "fails"
    assert _cc("A 40-year-old woman with uterine fibroids on ultrasound.", crit, "exclusion") == "meets"
    assert _cc("Ultrasound reports an enlarged uterus with multiple cystic areas.", "Patients with adenomyosis", "exclusion") == "meets"


def test_pain_intensity_limit_read_from_a_score_or_from_the_words_for_the_pain():
    crit = "Reported pain greater than or equal to 3 out of 10"
    assert _cc("A 40-year-old woman with excruciating pain in her right arm.", crit, "inclusion") == "meets"
    assert _cc("A 40-year-old woman with mild pain in her knee.", crit, "inclusion") == "unknown"
    assert _cc("A 40-year-old woman rates her knee pain 2/10.", crit, "inclusion") == "fails"
    assert _cc("A 40-year-old woman with knee pain.", crit, "inclusion") == "unknown"
    assert _cc("A 40-year-old woman with moderate pain.", "Pain score below 3/10", "exclusion") == "meets"


def test_age_sex_shorthand_gives_the_sex_and_a_unit_of_ms_does_not():
    crit = "Pregnancy or lactation."
    assert check_criterion("52M, ES-SCLC. QTcF 425 ms.", crit, "exclusion").status == "meets"  # a man: not applicable
    assert extract_patient("48F, metastatic breast cancer.").sex.value == "female"
    assert extract_patient("Stage IV NSCLC. QTcF 418 ms.").sex is None  # "ms" is milliseconds, not "Ms"
    assert extract_patient("Fever 101 F since yesterday.").sex is None  # only an opening "52M" / "48 F" is read


def test_lay_performance_status_and_a_treatment_that_stopped_working():
    crit = "Eastern Cooperative Oncology Group (ECOG) performance status of 0 or 1."
    note = "Both chemos stopped working. These past few weeks she's in bed most of the day and needs help getting to the bathroom."
    assert check_criterion(note, crit, "inclusion").status == "fails"
    assert extract_patient("The chemo stopped working and the scan shows growth.").ps is None  # the drug stopped, not the patient
    assert extract_patient("He stopped working last year because of fatigue.").ps.value == (1, 2)


def test_a_lesion_that_received_radiotherapy_is_not_a_non_irradiated_target():
    crit = ("At least one measurable target lesion as per RECIST 1.1 that has not been previously irradiated, "
            "or has demonstrated clear progression after local therapy.")
    note = "ECOG 1. Only measurable lesion: 27 mm lung mass that received palliative RT 10 wk ago; no restaging since."
    assert check_criterion(note, crit, "inclusion").status == "unknown"
    assert check_criterion("ECOG 1. Measurable 27 mm lung mass, never irradiated.", crit, "inclusion").status == "meets"


def test_bc_abbreviation_and_a_recurrence_named_by_its_site_are_metastatic_breast_cancer():
    crit = "Unresectable, locally advanced or metastatic breast cancer."
    note = "48F. Early HER2+ BC 4 yr ago, adjuvant T-DM1 completed 2.5 yr ago. Now biopsy-proven liver recurrence."
    assert check_criterion(note, crit, "inclusion").status == "meets"
    assert check_criterion("48F. Early HER2+ BC, resected 2 years ago.", crit, "inclusion").status == "unknown"


def test_a_biopsy_of_a_named_lesion_is_a_specimen_of_the_metastatic_disease():
    crit = "HER2-positive (IHC 3+ or ISH+) confirmed on specimens taken after confirmed metastatic disease by central testing."
    note = "51M, HER2-positive metastatic breast cancer (ISH amplified, central lab on bone-lesion biopsy)."
    assert check_criterion(note, crit, "inclusion").status == "meets"


def test_disease_free_interval_from_finished_adjuvant_therapy_to_new_metastases():
    crit = ("No prior chemotherapy or HER2-targeted therapy for metastatic breast cancer. Participants who have received HER2-directed "
            "therapy in the adjuvant setting and have a DFI of >6 months from completion of HER2-targeted therapy to metastatic diagnosis are eligible.")
    note = "55F, HER2+ early BC; adjuvant trastuzumab + pertuzumab, completed {} ago. Now new lung and bone mets."
    assert check_criterion(note.format("4 months"), crit, "inclusion").status == "fails"
    assert check_criterion(note.format("2 years"), crit, "inclusion").status == "meets"


def test_antibody_based_anticancer_therapy_is_a_class_of_antibodies_not_every_anticancer_drug():
    crit = ("Antibody-based anticancer therapy within 4 weeks, except for receptor activator of nuclear factor-κb ligand "
            "(RANKL) inhibitors (eg, denosumab for the treatment of bone metastases).")
    assert check_criterion("51M. 1L tamoxifen x10 mo -> PD; tamoxifen stopped 4 wk ago.", crit, "exclusion").status == "meets"
    assert check_criterion("He had pembrolizumab, last dose 2 weeks ago.", crit, "exclusion").status == "fails"
    assert check_criterion("Bevacizumab with FOLFOX, last dose 10 days ago.", crit, "exclusion").status == "fails"
    lex = get_lexicon()
    assert "anticancer_antibody" in lex.drug_classes("trastuzumab deruxtecan")
    assert "anticancer_antibody" not in lex.drug_classes("denosumab")


def test_an_organ_named_as_a_site_of_tumour_invasion_is_not_matched_by_a_mention_of_the_organ():
    crit = "Tumor invades surrounding important tissues and organs (such as mediastinal great vessels, pericardium, heart, trachea, esophagus, etc.)."
    note = "During the Herceptin her heart pumping dropped for a while but then came back. Now there are spots in both lungs."
    assert check_criterion(note, crit, "exclusion").status != "fails"
    assert check_criterion("CT shows the tumour invading the pericardium and heart.", crit, "exclusion").status == "fails"


def test_an_exception_sentence_in_an_inclusion_does_not_turn_a_met_diagnosis_into_a_failure():
    crit = ("Pathologically or cytologically documented unresectable or metastatic UC of the bladder, renal pelvis, ureter, or urethra. "
            "Participants with histological variants are allowed if urothelial histology is predominant.")
    note = "68M, metastatic urothelial carcinoma of the bladder, pure UC histology (no small cell component)."
    assert check_criterion(note, crit, "inclusion").status == "meets"


def test_subtypes_not_allowed_even_if_mixed_inside_an_inclusion_exclude_a_component():
    crit = ("Pathologically or cytologically documented unresectable or metastatic UC of the bladder, renal pelvis, ureter, or urethra. "
            "Small cell/neuroendocrine tumors are not allowed even if mixed histology.")
    note = "Metastatic bladder cancer; pathology: urothelial carcinoma with small cell neuroendocrine component (about 30%)."
    assert check_criterion(note, crit, "inclusion").status == "fails"
    assert check_criterion("68M, metastatic urothelial carcinoma of the bladder.", crit, "inclusion").status == "meets"


def test_progressing_on_a_drug_whose_last_dose_is_dated_is_not_current_treatment():
    crit = "No chemotherapy, targeted therapy, immunotherapy or surgery within 2 weeks prior to enrollment."
    note = "50F, HER2+ MBC. Progressive brain mets on T-DXd. Last T-DXd {} ago."
    assert check_criterion(note.format("3 wk"), crit, "inclusion").status == "meets"
    assert check_criterion(note.format("5 days"), crit, "inclusion").status == "fails"


def test_a_child_at_home_is_not_the_patients_age():
    from assistant.screening.patient import extract_patient

    assert extract_patient("I have a 2 year old at home. Is that a problem for the vaccine study?").age is None
    assert extract_patient("She is a 45-year-old woman with metastatic breast cancer.").age.value == (45.0, 45.0)

# ------------------------------------------------------------------ concurrent substances, disease-qualified therapy, siblings

PROHIBITED = "At least 7 days since prior and no concurrent antiplatelet agents, including any of the following:"
CONCURRENT_ONLY = "No other concurrent antineoplastic therapy, including any of the following:"


def _statuses(note: str, criteria: list[CriterionInput]) -> dict[str, str]:
    return {ci.text: v.status for ci, v in screen_criteria(note, criteria).criteria}


def test_items_under_a_prohibiting_list_line_are_exclusions_of_current_use():
    items = [CriterionInput("Aspirin or aspirin-containing combinations", "inclusion", context=PROHIBITED),
             CriterionInput("Clopidogrel", "inclusion", context=PROHIBITED),
             CriterionInput("Chemotherapy", "inclusion", context=CONCURRENT_ONLY),
             CriterionInput("No concurrent grapefruit juice consumption", "inclusion", context=CONCURRENT_ONLY)]
    now = _statuses("58F, metastatic breast cancer. She drinks grapefruit juice every morning and takes a daily aspirin.", items)
    assert now["Aspirin or aspirin-containing combinations"] == "fails"
    assert now["No concurrent grapefruit juice consumption"] == "fails"
    assert now["Clopidogrel"] == "meets"  # not mentioned: an exclusion assumed absent
    past = _statuses("58F, metastatic breast cancer. She had chemotherapy two years ago and took clopidogrel in 2015.", items)
    assert past["Chemotherapy"] == "meets" and past["Clopidogrel"] == "meets"  # past use, before the window


def test_an_item_written_as_a_criterion_of_its_own_ends_the_prohibited_list():
    from assistant.screening.structure import prohibited_items

    header = "No clinically significant cardiac disease, including the following:"
    out = prohibited_items([CriterionInput("Congestive heart failure", "inclusion", context=header),
                            CriterionInput("Prior malignancies allowed provided the patient is currently disease-free", "inclusion", context=header),
                            CriterionInput("Myocardial infarction", "inclusion", context=header)])
    assert [ci.type for ci in out] == ["exclusion", "inclusion", "inclusion"]


def test_short_items_under_an_including_the_following_line_are_screened(tmp_path):
    from assistant.corpus import load_documents
    from assistant.eligibility import criteria_of

    page = tmp_path / "report.txt"
    page.write_text("Eligibility\n\nDISEASE CHARACTERISTICS:\n  Metastatic breast cancer\n  Measurable disease by RECIST 1.1\n"
                    "  At least 7 days since prior and no concurrent antiplatelet agents, including any of the following:\n"
                    "  Aspirin or aspirin-containing combinations\n  Dipyridamole\n  PATIENT CHARACTERISTICS:\n  Male or female\n")
    doc = load_documents([page]).docs[0]
    crit = {ci.text: ci for ci in criteria_of(doc)}
    assert "Aspirin or aspirin-containing combinations" in crit and "Dipyridamole" in crit and "Male or female" not in crit
    assert crit["Dipyridamole"].context.startswith("At least 7 days")
    screen = screen_criteria("58F, metastatic breast cancer. She takes a daily aspirin.", list(crit.values()))
    assert {ci.text: v.status for ci, v in screen.criteria}["Aspirin or aspirin-containing combinations"] == "fails"


def test_concurrent_therapy_exclusion_is_not_met_by_past_therapy():
    past = "A 58-year-old woman with metastatic breast cancer. She had chemotherapy two years ago."
    assert check_criterion(past, "Concurrent chemotherapy", "exclusion").status == "meets"
    assert check_criterion(past, "Prior or concurrent chemotherapy", "exclusion").status == "fails"
    assert check_criterion("Metastatic breast cancer, currently on chemotherapy.", "Concurrent chemotherapy", "exclusion").status == "fails"


def test_concurrent_malignancy_means_another_cancer_than_the_one_under_study():
    note = "62F with metastatic breast cancer to bone."
    assert check_criterion(note, "No concurrent active malignancy", "inclusion").status != "fails"


def test_prior_therapy_for_a_named_cancer_does_not_count_therapy_given_for_another_cancer():
    note = "A 45-year-old woman had doxorubicin years ago for lymphoma and now has breast cancer."
    assert check_criterion(note, "Prior systemic anticancer therapy for breast cancer (immunotherapy, hormonotherapy, chemotherapy).",
                           "exclusion").status == "meets"
    assert check_criterion(note, "Prior anthracycline therapy or taxoids (paclitaxel, docetaxel) for any malignancy.",
                           "exclusion").status == "fails"
    bc = "A 45-year-old woman with breast cancer had doxorubicin and cyclophosphamide."
    assert check_criterion(bc, "Prior systemic anticancer therapy for breast cancer (chemotherapy).", "exclusion").status == "fails"


def test_spread_of_cancer_to_the_brain_is_brain_metastases_in_lay_words():
    crit = "Uncontrolled/symptomatic spread of cancer to the brain"
    v = check_criterion("Her triple-negative breast cancer has spread to her brain and it's giving her headaches.", crit, "exclusion")
    assert v.status == "fails" and v.kind == "brain_mets"
    assert check_criterion("Metastatic breast cancer; brain MRI negative.", crit, "exclusion").status == "meets"


def test_a_population_and_the_next_criterions_only_population_are_alternatives():
    criteria = [CriterionInput("HER2-expressing metastatic breast cancer.", "inclusion"),
                CriterionInput("Leptomeningeal metastasis.", "inclusion"),
                CriterionInput("Subjects with active brain metastases only must have at least one intracranially measurable lesion (RANO-BM criteria).", "inclusion")]
    brain_only = "50F, HER2+ metastatic breast cancer. Progressive brain mets, largest 16 mm, RANO-BM measurable; no leptomeningeal disease on MRI/CSF."
    assert _statuses(brain_only, criteria)["Leptomeningeal metastasis."] == "meets"
    neither = "50F, HER2+ metastatic breast cancer to the liver. No brain metastases and no leptomeningeal disease on MRI."
    assert _statuses(neither, criteria)["Leptomeningeal metastasis."] == "fails"


def test_criteria_ending_in_or_are_alternatives():
    criteria = [CriterionInput("Histologically confirmed metastatic breast cancer; or", "inclusion"),
                CriterionInput("Histologically confirmed metastatic ovarian cancer", "inclusion")]
    st = _statuses("45-year-old woman with metastatic breast cancer to the liver.", criteria)
    assert st == {"Histologically confirmed metastatic breast cancer; or": "meets", "Histologically confirmed metastatic ovarian cancer": "meets"}
    assert "fails" in _statuses("45-year-old woman with metastatic melanoma.", criteria).values()


def test_lay_words_for_braf_inhibitors_and_a_denied_braf_targeted_therapy():
    lex = get_lexicon()
    for name in ("BRAF pills", "BRAF-targeted therapy"):
        assert any(h.id == "braf_inhibitor" for h in lex.find(tokenize(name), ("class",))), name
    note = ("I'm 67. My melanoma has spread to my lungs and liver. I had Opdivo plus Yervoy and it stopped working. "
            "My tumor has a BRAF mutation but my doctor never gave me the BRAF pills.")
    crit = "If the subject had BRAF mutated melanoma or other actionable target tumor mutation, they must have had disease progression on targeted therapy as well."
    assert check_criterion(note, crit, "inclusion").status == "fails"


def test_an_age_limit_without_a_unit():
    assert check_criterion("My mum is 68.", "Age 65 or younger", "inclusion").status == "fails"
    assert check_criterion("She is 60.", "Age 65 or younger", "inclusion").status == "meets"

def test_an_exclusion_list_header_is_not_a_condition_its_lettered_items_are():
    from assistant.screening.structure import lettered_items
    crit = ("Following breast cancer disease conditions are not eligible: A) Single bone lesion. B) Presence of brain "
            "metastases C) Single visceral lesion < 2cm without symptoms is permitted. D) Imminent spinal cord compression")
    assert lettered_items(crit) == ["Single bone lesion", "Presence of brain metastases", "Imminent spinal cord compression"]
    bones = "Her breast cancer has spread to several bones. Brain MRI negative last week."
    assert check_criterion(bones, crit, "exclusion").status == "meets"
    assert check_criterion("Breast cancer with brain metastases on MRI.", crit, "exclusion").status == "fails"
    # a header that sets its own window keeps the criterion whole
    assert lettered_items("Any of the following within 6 months: A) myocardial infarction B) stroke") is None


def test_concurrent_item_of_a_lettered_list_is_not_failed_by_past_chemotherapy():
    crit = ("Excluded therapies and medications, previous and concomitant: A) Concurrent anti-cancer therapy (chemotherapy, "
            "surgery, immunotherapy) other than the study drug. B) Prior use of samarium-153.")
    assert check_criterion("She has already had one chemo for her breast cancer.", crit, "exclusion").status != "fails"
    assert check_criterion("She is currently receiving chemotherapy for her breast cancer.", crit, "exclusion").status == "fails"


def test_radionuclide_therapy_is_its_own_class_not_any_chemotherapy():
    lex = get_lexicon()
    assert "radiopharmaceutical" in lex.drug_classes("radium-223 dichloride")
    crit = "Received systemic therapy with radionuclides (e.g., samarium-153) for the treatment of bony metastases."
    assert check_criterion("Breast cancer in the bones; she had chemo last year.", crit, "exclusion").status != "fails"
    assert check_criterion("Prostate cancer in the bones treated with radium-223 last year.", crit, "exclusion").status == "fails"


def test_a_counting_note_that_also_allows_a_number_of_prior_therapies_is_a_criterion():
    from assistant.screening.structure import is_criterion
    t = ("No limit in number of prior hormonal agents in metastatic breast cancer; only one prior chemotherapy is allowed "
         "in metastatic setting. Targeted therapy in combination with hormonal treatment will be counted as one hormonal agent.")
    assert is_criterion(t)
    assert parse_criterion(t, "inclusion").type == "inclusion"  # "No limit" is not "No X"
    assert not is_criterion("Perioperative therapies will be counted as 1 line of therapy.")


def test_failure_to_achieve_ae_resolution_is_residual_toxicity_not_prior_chemotherapy():
    crit = "Failure to achieve </= Grade 2 AE resolution from cytotoxic chemotherapy administered more than 4 weeks previous"
    assert check_criterion("She had chemotherapy 3 months ago.", crit, "exclusion").status == "meets"
    assert check_criterion("She had chemotherapy 3 months ago; residual grade 3 diarrhoea.", crit, "exclusion").status == "fails"


def test_a_cancer_that_turned_into_small_cell_is_transformed_histology():
    crit = "Histological diagnosis of transformed SCLC (e.g., NSCLC transformed to SCLC)."
    note = "She had lung adenocarcinoma with an EGFR mutation; a new biopsy said the cancer had turned into small cell."
    assert check_criterion(note, crit, "exclusion").status == "fails"
    assert check_criterion("Lung adenocarcinoma with an EGFR mutation, on osimertinib.", crit, "exclusion").status == "meets"


def test_a_passing_value_measured_before_the_criterions_window_is_unknown():
    crit = "Left ventricular ejection fraction (LVEF) >= 50% within 28 days prior to randomization."
    assert check_criterion("Last LVEF 52% on echo 9 weeks ago.", crit, "inclusion").status == "unknown"
    assert check_criterion("LVEF 60% on echo 1 week ago.", crit, "inclusion").status == "meets"
    assert check_criterion("LVEF 40% on echo 9 weeks ago.", crit, "inclusion").status == "fails"
    # a window inside brackets is about something else
    hb = "Hemoglobin >= 90 g/L (no transfusion within 1 week prior to the screening assessment)"
    assert check_criterion("Hb 126 g/L 3 weeks ago.", hb, "inclusion").status == "meets"


def test_a_negation_inside_brackets_stops_at_the_closing_bracket():
    pf = extract_patient("Relapse: lung (24 mm, measurable, not irradiated) and liver mets, plus 2 new brain mets.")
    aff, _ = pf.site_mets("brain")
    assert aff


def test_asymptomatic_small_brain_metastases_allowed_by_the_criterion():
    crit = ("Known symptomatic CNS metastasis. Participants with asymptomatic CNS metastases (without neurological symptoms, "
            "without corticosteroids, and with metastases all <= 1.5 cm in diameter) may be considered for inclusion.")
    small = "Breast cancer with 2 new untreated asymptomatic brain mets 6 mm and 9 mm, no steroids."
    big = "Breast cancer with 2 new untreated asymptomatic brain mets 6 mm and 22 mm, no steroids."
    assert check_criterion(small, crit, "exclusion").status == "meets"
    assert check_criterion(big, crit, "exclusion").status == "fails"


def test_taking_the_pill_fails_an_exclusion_of_oral_contraceptive_use():
    crit = "Current or planned use of methoxyflurane, oral contraceptives, isotretinoin, penicillin, or ergot alkaloids"
    assert check_criterion("I take birth control pills.", crit, "exclusion").status == "fails"
    assert check_criterion("I stopped the birth control pills last year.", "Current use of oral contraceptives", "exclusion").status == "meets"
    assert check_criterion("I take birth control pills.", "Women of childbearing potential must use effective contraception",
                           "inclusion").status != "fails"


def test_who_assesses_a_criterion_is_not_part_of_it():
    crit = "Participants must be experiencing symptoms of mild cognitive impairment; this will be determined by study personnel."
    assert check_criterion("A 70-year-old person with hypertension.", crit, "inclusion").status != "meets"


def test_an_organ_word_the_condition_implies_and_alzheimer_abbreviation():
    assert check_criterion("History of atrial fibrillation.", "Cardiac arrhythmias or II or III degree AV block", "exclusion").status == "fails"
    assert check_criterion("MRI shows hippocampal atrophy; the diagnosis of AD is made.", "Diagnosis of dementia", "exclusion").status == "fails"


def test_history_of_or_current_ischemic_cns_disease_is_a_stroke_not_brain_metastases():
    crit = "History of, or current, ischemic CNS disease."
    assert parse_criterion(crit, "exclusion").checks[0].kind != "brain_mets"
    assert check_criterion("62 yo male with hx of CVA and neurogenic bladder.", crit, "exclusion").status == "fails"


def test_term_pregnancy_reads_the_gestational_age():
    assert check_criterion("G2P1 at 33+2 weeks of gestation with headache.", "Term pregnancy", "inclusion").status == "fails"
    assert check_criterion("G2P1 at 39 weeks of gestation, in labour.", "Term pregnancy", "inclusion").status == "meets"


def test_a_lesion_in_an_organ_shown_to_be_cancer_names_the_tumour_type():
    pt = "Endoscopy shows a mass in the stomach, and its biopsy is consistent with adenocarcinoma."
    assert check_criterion(pt, "Gastric carcinoma", "exclusion").status == "fails"
    assert check_criterion(pt, "Histologically verified adenocarcinoma of the esophagus", "inclusion").status == "fails"
    assert check_criterion(pt, "Tumors of squamous or other non-adenocarcinoma histology", "exclusion").status == "meets"


def test_a_required_illness_is_absent_in_a_patient_with_no_medical_history():
    pt = "A 30-year-old woman with a sprained ankle. Her past medical history is unremarkable."
    assert check_criterion(pt, "Patients with bipolar disorder", "inclusion").status == "fails"
    assert check_criterion(pt, "Family history of bipolar disorder", "inclusion").status == "unknown"
    assert check_criterion(pt, "Positive antibodies against thyroid peroxidase", "inclusion").status == "unknown"
    # acute states show through vital signs, not through the history
    assert check_criterion("A 40-year-old woman with no past medical history; BP 80/60, tachycardic.",
                           "Diagnosed with shock", "inclusion").status == "unknown"
    neg = "He has no positive history for any underlying disease such as DM."
    assert check_criterion(neg, "Patients with comorbidities associated as diabetes mellitus, hypertension, stroke",
                           "inclusion").status == "fails"


def test_severity_of_one_listed_clause_is_not_given_to_the_next_clause():
    crit = "Critically ill patients, patients with congestive heart failure, renal or liver insufficiency"
    assert check_criterion("Diagnosed with cardiomyopathy, NYHA class 2.", crit, "exclusion").status == "fails"


def test_relapsed_cancer_is_advanced_and_a_low_ejection_fraction_is_heart_failure():
    assert check_criterion("Multiple myeloma, s/p transplant with recurrent disease.", "Advanced cancer patients.", "exclusion").status == "fails"
    assert check_criterion("Severe aortic stenosis. EF was 25%.", "Congestive cardiac failure", "exclusion").status == "fails"
    assert check_criterion("Echo normal, EF 60%.", "Congestive cardiac failure", "exclusion").status == "meets"


def test_a_consent_or_compliance_exclusion_is_open_when_the_note_is_silent_on_it():
    pt = "A 60-year-old man with COPD on home oxygen."
    assert check_criterion(pt, "Inability to provide informed consent", "exclusion").status == "unknown"
    assert check_criterion(pt, "History of poor compliance with physician's recommendations", "exclusion").status == "unknown"
    agreed = pt + " The patient will provide informed consent, and will comply with the trial protocol."
    assert check_criterion(agreed, "Inability to provide informed consent", "exclusion").status == "meets"


def test_a_condition_without_the_class_the_criterion_names_is_not_settled():
    crit = "Class III or IV congestive heart failure or stroke."
    assert check_criterion("Past medical history: CHF, EF 55%; COPD.", crit, "exclusion").status == "unknown"
    assert check_criterion("Known CHF, NYHA class IV.", crit, "exclusion").status == "fails"
    assert check_criterion("No heart disease. Appendicitis.", crit, "exclusion").status == "meets"


def test_a_history_mention_does_not_take_the_day_of_the_presentation():
    pt = "65 yo man with history of CAD and prior MI was admitted earlier today for syncope."
    assert check_criterion(pt, "Myocardial infarction in < 6 months", "exclusion").status == "unknown"
    assert check_criterion("He had an MI 2 weeks ago.", "Myocardial infarction in < 6 months", "exclusion").status == "fails"


def test_a_dose_the_criterion_asks_for_is_not_met_by_the_drug_alone():
    crit = "at least 60 mg furosemide/12 hours iv to maintain diuresis"
    assert check_criterion("He was sent home with Lasix.", crit, "inclusion").status == "unknown"


def test_a_cut_short_criterion_or_a_bare_list_header_is_not_assumed_absent():
    pt = "A 2-year-old boy with 5 days of fever."
    assert check_criterion(pt, "Taking certain types of medications may be an", "exclusion").status == "unknown"
    assert check_criterion(pt, "Any laboratory toxicity that would preclude participation in the study or:", "exclusion").status == "unknown"


def test_hashimoto_disease_is_thyroiditis_whose_stage_is_not_given():
    pt = "She was diagnosed with Hashimoto disease."
    assert check_criterion(pt, "having evidence of end-stage thyroiditis", "exclusion").status == "unknown"


def test_a_drug_exclusion_windowed_before_the_study_is_open_in_a_note_without_medications():
    crit = "Intravenous corticosteroids within 3 months prior to the first dose of study medication."
    assert check_criterion("A 21-year-old woman with arthralgias and a malar rash.", crit, "exclusion").status == "unknown"
    assert check_criterion("A 21-year-old woman with a malar rash. She is not on any medications.", crit, "exclusion").status == "meets"
    assert check_criterion("A 21-year-old woman with a malar rash.", "Vaccination within 4 weeks prior to the first dose.",
                           "exclusion").status == "unknown"


def test_plasma_lactate_is_a_lab_value_not_lactation():
    crit = "at least 1 of 3 signs of hypoperfusion (urine output < 0.5mL/kg per hour; plasma lactate higher than the upper limit of normal)"
    v = check_criterion("55yo woman with sepsis.", crit, "inclusion")
    assert v.kind != "pregnancy" and v.status == "unknown"


def test_a_size_a_note_does_not_measure_is_not_assumed_absent():
    assert check_criterion("A 43-year-old woman with painful menses.", "Uterus size exceeding the umbilical level",
                           "exclusion").status == "unknown"


def test_a_preventive_mastectomy_is_a_prophylactic_one():
    v = check_criterion("I had a preventive mastectomy on my left side years ago.", "Women who have undergone prophylactic mastectomy", "exclusion")
    assert v.status != "meets"
    assert check_criterion("I had a lumpectomy.", "Women who have undergone prophylactic mastectomy", "exclusion").status == "meets"


def test_a_drug_matches_its_class_named_in_a_criterion():
    crit = "No concurrent selective serotonin reuptake inhibitors"  # listed under the inclusion criteria
    assert check_criterion("I take Prozac for depression.", crit, "inclusion").status == "fails"
    assert check_criterion("I take Prozac for depression.", "Concurrent antidepressants", "exclusion").status == "fails"
    assert check_criterion("I have no other illnesses.", crit, "inclusion").status != "fails"


def test_a_lab_value_linked_by_are():
    pf = extract_patient("Her platelets are 90,000.")
    assert pf.labs["plt"][0].value == 90.0


def test_her2_neu_written_with_its_old_name():
    note = "Breast cancer, ER-positive, about 2 cm; it is also HER2-positive."
    assert check_criterion(note, "HER2/neu positive by IHC and/or another FDA approved HER2 testing method", "exclusion").status == "fails"
    assert check_criterion("ER-positive, HER2-negative breast cancer.", "HER2/neu positive by IHC", "exclusion").status == "meets"


def test_one_or_more_of_the_following_items_are_alternatives():
    crits = [
        CriterionInput("Participants must have one or more of the following characteristics:", "inclusion"),
        CriterionInput("Prior chemotherapy for breast cancer", "inclusion"),
        CriterionInput("Less than or equal to 50 years of age", "inclusion"),
        CriterionInput("Requiring regional nodal irradiation", "inclusion"),
        CriterionInput("Pregnant or nursing women", "exclusion"),
    ]
    ts = screen_criteria("58-year-old woman, no prior chemotherapy.", crits)
    assert ts.verdict != "not eligible"  # failing two alternatives rules nothing out while the third is open
    young = screen_criteria("45-year-old woman, no prior chemotherapy.", crits)
    status = {ci.text: v.status for ci, v in young.criteria}
    assert status["Less than or equal to 50 years of age"] == "meets" and status["Prior chemotherapy for breast cancer"] == "meets"
    plain = screen_criteria("58-year-old woman, no prior chemotherapy.", [crits[2]])
    assert plain.verdict == "not eligible"  # alone, the age limit is a requirement


def test_an_age_limit_with_its_operator_written_out():
    assert parse_age("Less than or equal to 50 years of age")[:2] == (None, 50.999)
    assert parse_age("Greater than or equal to 18 years of age")[:2] == (18.0, None)
    assert check_criterion("A 45-year-old woman.", "Less than or equal to 50 years of age", "inclusion").status == "meets"


def test_a_requirement_for_one_cancer_type_does_not_apply_to_another():
    crit = "Documented p16 status for oropharyngeal cancer (historical results are acceptable if available)."
    assert check_criterion("My dad has cancer at the back of the nose.", crit, "inclusion").status == "meets"  # not applicable
    assert check_criterion("Oropharyngeal cancer, p16 positive.", crit, "inclusion").status == "meets"
    assert check_criterion("Oropharyngeal cancer.", crit, "inclusion").status == "unknown"


def test_a_cancer_at_a_site_in_lay_words():
    pf = extract_patient("My dad has cancer at the back of the nose.")
    assert "nasopharyngeal_cancer" in {f.value for f in pf.cancers}


def test_a_criterion_about_the_people_at_home_is_asked_not_decided_by_the_patients_own_facts():
    crit = ("Able to avoid close household contact for at least two weeks after vaccination with pregnant or nursing women; "
            "children 3 years of age and under; and immunosuppressed persons.")
    v = check_criterion("I have a 2 year old at home.", crit, "inclusion")
    assert v.status == "unknown" and v.kind == "household" and v.patient_evidence == ["2 year old at home"]
    assert check_criterion("62-year-old woman, not on steroids.", crit, "inclusion").status == "unknown"  # never met by default
    assert check_criterion("58-year-old woman.", "Close contact with a patient with TB", "exclusion").status == "meets"  # an exposure


def test_people_at_home_are_a_concept():
    from assistant.vocab import concept_mentions

    assert "household contacts" in {c.name for _, _, c in concept_mentions("I have a 2 year old at home.")}
