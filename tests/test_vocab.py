"""The clinical and lay vocabulary is data about medicine, tested: lay words and abbreviations map to concepts,
drug names map to the general drug table, and no data file names a corpus trial or its drugs."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from assistant import vocab
from assistant.query import extract_concepts
from assistant.settings import Settings


@pytest.mark.parametrize(
    "text, concept",
    [
        ("what's the ANC cutoff", "absolute neutrophil count"),
        ("what HbA1c excludes?", "blood sugar"),
        ("did anyone get weakened heart muscle", "cardiotoxicity"),
        ("how many stayed stable", "stable disease"),
        ("how many got worse", "progressive disease"),
        ("did anyone's heart stop, like the heart stopping", "cardiac arrest"),
        ("did people get skin problems", "skin toxicity"),
        ("did anyone have serious breathing problems?", "dyspnea"),
        ("how many were still free of the cancer after 2 years?", "disease-free survival"),
        ("baseline 25(OH)D cutoff", "vitamin D"),
        ("plt over 100?", "platelet count"),
        ("how are his liver numbers", "liver function"),
        ("she had chemo twice", "chemotherapy"),
        ("mets in the bones", "bone metastases"),
        ("given through a drip", "intravenous"),
        ("is it a pill", "oral"),
        ("how well did it work", "objective response rate"),
        ("what was the PFS", "progression-free survival"),
        ("ECOG 0-1 only?", "performance status"),
        ("upper limit of normal", "upper limit of normal"),
        ("ALT and AST under 3x ULN", "alanine aminotransferase"),
        ("the cancer came back", "relapse"),
        ("blood counts", "blood counts"),
        ("any blood clots?", "thromboembolism"),
        ("would she need any heart tests to get in?", "left ventricular ejection fraction"),
        ("Clinical Response (Complete or Partial Response) Rate", "objective response rate"),
    ],
)
def test_lay_and_clinical_words_map_to_concepts(text, concept):
    assert concept in {c.name for _, _, c in vocab.concept_mentions(text)}


def test_two_letter_acronyms_keep_their_capitals_longer_ones_do_not():
    assert not vocab.form_pattern("OS").search("it was os")
    assert vocab.form_pattern("PLT").search("plt count")
    assert not vocab.form_pattern("ALL").search("all patients")


def test_drug_table_and_shapes():
    table = vocab.drug_table()
    assert "trastuzumab deruxtecan" in table and "enhertu" in [a.lower() for a in table["trastuzumab deruxtecan"]]
    assert set(vocab.drug_mentions("she had Enhertu then zelvatinib and AB-1234")) >= {"trastuzumab deruxtecan", "zelvatinib", "AB-1234"}
    assert not vocab.drug_mentions("HER2 IHC 3+ and CD34 count with COVID-19")


def test_topics_refer_to_defined_concepts():
    concepts = set(vocab.concepts())
    for topic, spec in vocab._vocab()["topics"].items():
        assert set(spec["concepts"]) <= concepts, topic


def test_data_files_name_no_corpus_trial_or_drug():
    banned = re.compile(r"IBI ?36\d|IBI ?35\d|ifinatamab|I-DXd|DS-?7300|MK-?2400|IDeate|NCT0728904|NCT0737764|NCT0713415|NCT0528047|Veeva|Tongji|Innovent|Fudan", re.I)
    for f in resources.files("assistant.data").iterdir():
        if f.name.endswith((".yaml", ".txt", ".json")):
            assert not banned.search(f.read_text(encoding="utf-8")), f.name


def test_document_abbreviations_are_read_from_the_text():
    pairs = vocab.abbreviation_pairs("The objective response rate (ORR) and time to progression (TTP) were reported.")
    assert pairs.get("ORR", "").lower() == "objective response rate" and "TTP" in pairs


def test_data_files_shape_the_index_fingerprint(monkeypatch):
    from assistant import settings as settings_module

    before = Settings().fingerprint()
    assert before == Settings().fingerprint()
    assert "code_and_data" in Settings().shaping()
    original = vocab._read
    monkeypatch.setattr(vocab, "_read", lambda name: original(name) + ("\n# edited\n" if name == "vocab.yaml" else ""))
    settings_module._code_and_data_hash.cache_clear()
    try:
        assert Settings().fingerprint() != before  # an edited data file makes the index stale
    finally:
        monkeypatch.undo()
        settings_module._code_and_data_hash.cache_clear()
    assert Settings().fingerprint() == before


def test_unknown_words_are_weighted_and_phase_descriptors_dropped():
    cs = extract_concepts("What is the phase 3 trial's ORR for zorbaflux?", [], {"orr": 3}, 100)
    names = [c.name for c in cs]
    assert "objective response rate" in names and "zorbaflux" in names and "3" not in names


def test_question_parts():
    from assistant.query import question_parts

    assert question_parts("NCT01234567 - what phase, how many pts, and is it blinded?") == [
        "NCT01234567 - what phase", "how many pts", "is it blinded"]
    assert question_parts("What is the ORR? And the PFS?") == ["What is the ORR", "And the PFS"]
    # context before the question, and a statement after it, are read with it: one question
    assert len(question_parts("In the XYZ trial (NCT01234567), what % of patients stayed on?")) == 1
    assert len(question_parts("Is this trial recruiting? I live in Ohio.")) == 1
    assert len(question_parts("What dose is used and how often?", asks=lambda p: len(p.split()) > 2)) == 1


def test_a_salt_form_drug_is_asked_about_by_its_base_name():
    from assistant.query import Catalog
    from assistant.types import Identity

    cat = Catalog({"d1": Identity(title="Arm I vs Arm II", drugs=("donepezil hydrochloride",))}, {"d1": "Donepezil hydrochloride 5 mg daily."})
    assert cat.resolve("Could I join the donepezil study?")[0] == ["d1"]


def test_a_drug_name_inside_a_longer_one_is_not_a_mention_of_its_own():
    from assistant.vocab import drug_mentions

    found = drug_mentions("the intrathecal trastuzumab deruxtecan study")
    assert "trastuzumab deruxtecan" in found and "trastuzumab" not in found and "deruxtecan" not in found
    assert "trastuzumab" in drug_mentions("trastuzumab deruxtecan after trastuzumab")  # named again on its own


def test_patient_words_that_ask_about_eligibility_route_to_screening():
    from assistant.query import SCREEN_INTENT

    assert SCREEN_INTENT.search("He drinks grapefruit juice and takes a daily aspirin – is either of those a problem?")
    assert SCREEN_INTENT.search("Is there a head and neck group in the study he could go into?")
    assert SCREEN_INTENT.search("Could I have joined this trial?")
    assert not SCREEN_INTENT.search("What was the ORR in the study?")


def test_group_names_are_labels_not_answers():
    from assistant.select import GROUP_NAME

    for name in ["Group C", "Active Comparator group", "Arm A", "Cohort 2", "Placebo Comparator arm"]:
        assert GROUP_NAME.match(name), name
    for value in ["Fudan University", "None (Open label)", "Phase 1/Phase 2", "Stage II", "Stage B or C"]:
        assert not GROUP_NAME.match(value), value


def test_an_acronym_followed_by_digits_is_a_drug_code_not_the_acronym():
    from assistant.vocab import concept_mentions

    assert "progressive disease" not in [c.name for _, _, c in concept_mentions("How do you take PD-0332991 capsules?")]
    assert "progressive disease" in [c.name for _, _, c in concept_mentions("How many had PD at week 8?")]


def test_a_drug_is_matched_by_any_of_its_names():
    from assistant.vocab import drug_pattern

    assert drug_pattern("radium-223 dichloride").search("Ra-223 dichloride: 55 kBq/kg by vein")
