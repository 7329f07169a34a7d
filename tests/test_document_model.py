"""The document model: adapters (free text, markdown, HTML, ClinicalTrials.gov v2 JSON, NLI4CT JSON) turn files
into quotable units with sections and layout attributes; identity comes from the document itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.adapters import ctgov, nli4ct
from assistant.adapters.html import html_to_text
from assistant.adapters.text import parse_text
from assistant.corpus import load_documents
from assistant.identity import drug_aliases
from assistant.settings import ROOT

from .conftest import NLI4CT, SYNTHETIC


def units_of(text):
    units, stats = parse_text(text)
    return units, stats, [(u, text[u.start : u.end]) for u in units]


def test_every_unit_is_a_verbatim_span_and_content_lines_are_quotable():
    for path in [*ROOT.joinpath("corpus").glob("*.txt"), SYNTHETIC / "zelvatinib-registry.txt"]:
        text = path.read_text(encoding="utf-8")
        units, stats, pairs = units_of(text)
        assert units and stats.share >= 0.95, (path.name, stats)
        for u, quote in pairs:
            assert quote == text[u.start : u.end] and quote.strip() == quote and quote


def test_headings_need_layout_and_short_lines_stay_quotable():
    text = ("Study Title Here\n\nRecruitment Status\n\nNOT_YET_RECRUITING\n\nBrief Summary\n\nThis study tests a drug. It is randomized."
            "\n\nStatus\n\nRecruiting\n")
    units, _, pairs = units_of(text)
    kinds = {q: u.kind for u, q in pairs}
    assert kinds["Brief Summary"] == "heading"
    assert any(u.kind == "field" and q.startswith("Recruitment Status") and q.endswith("NOT_YET_RECRUITING") for u, q in pairs)
    assert any(q.endswith("Recruiting") and u.kind != "heading" for u, q in pairs)  # a value line is never an unquotable heading


def test_criteria_without_list_markers_are_typed_and_numbered_restart_reads_as_exclusion():
    text = (SYNTHETIC / "zelvatinib-registry.txt").read_text()
    units, _, pairs = units_of(text)
    crit = [(u, q) for u, q in pairs if u.kind == "criterion"]
    assert any(q == "Platelet count of at least 123 x 10^9/L." and u.attrs["criterion_type"] == "inclusion" for u, q in crit)
    assert any(q == "Prior treatment with any kinase inhibitor." and u.attrs["criterion_type"] == "exclusion" for u, q in crit)
    restart = "Inclusion Criteria\n\n1. Adults.\n2. Consent given.\n\n1. Untreated brain metastases.\n2. Pregnancy.\n"
    _, _, pairs = units_of(restart)
    typed = {q: u.attrs.get("criterion_type") for u, q in pairs if u.kind == "criterion"}
    assert typed["Adults."] == "inclusion"
    # a list that starts again at 1 under the same inclusion heading, with no heading: read as a second list
    assert typed["Consent given."] == "inclusion"


def test_cohort_headings_and_criterion_sub_lists():
    text = ("Inclusion Criteria:\n1. Age 18 or over.\nAdditional Inclusion Criteria for HCC Participants\n1. Child-Pugh class A.\n"
            "Exclusion Criteria:\nDISEASE CHARACTERISTICS:\n  Active infection\n")
    _, _, pairs = units_of(text)
    cohort = [u for u, q in pairs if q == "Child-Pugh class A."][0]
    assert cohort.attrs["cohort"] == "HCC"
    inf = [u for u, q in pairs if q == "Active infection"][0]
    assert inf.attrs["criterion_type"] == "exclusion" and inf.context  # read with its "DISEASE CHARACTERISTICS:" line


def test_result_rows_keep_measure_group_and_unit():
    text = (SYNTHETIC / "zelvatinib-registry.txt").read_text()
    _, _, pairs = units_of(text)
    rows = [(u, q) for u, q in pairs if u.kind == "result"]
    assert len(rows) == 2
    u, q = rows[1]
    assert "4.1 (3.3 to 5.0)" in q
    assert u.attrs["measure"] == "Progression-Free Survival" and u.attrs["group"] == "Docetaxel" and u.attrs["unit"] == "months"
    assert [text[s:e] for s, e in u.context] == ["Progression-Free Survival", "Arm/Group Title: Docetaxel"]
    ae = [u for u, q in pairs if u.kind == "adverse_event" and q.startswith("Neutropenia 21/90")][0]
    assert ae.attrs["group"] == "Adverse Events 2" and ae.attrs["group_title"] == "Docetaxel"  # numbered groups linked to names


def test_markdown_and_html_headings():
    md = (SYNTHETIC / "orbit12-news.md").read_text()
    _, _, pairs = units_of(md)
    assert any(u.kind == "heading" and q == "## Safety" for u, q in pairs)
    assert any(u.section == ("ORBIT-12: orbelimab doubles response rate in relapsed ovarian cancer", "Results") for u, _ in pairs)
    text = html_to_text((SYNTHETIC / "hostile.html").read_text())
    assert "alert" not in text and "body{}" not in text and "# Velurastat (VLS-101) study in melanoma" in text
    assert "- No prior anti-PD-1 therapy." in text


def test_markdown_flattened_onto_one_line_is_cut_at_its_headings():
    # as PubMed Central exports are: headings run into their paragraphs, pandoc fences around tables
    md = ("# Abstract ## OBJECTIVE Moderate alcohol intake may raise adiponectin in women. "
          "## RESEARCH DESIGN AND METHODS A total of 72 healthy adults were randomised to wine or beer for 3 weeks. "
          "## Results Adiponectin rose by 29.8% with red wine (P < 0.01). It did not change with beer.\n"
          "::: caption\nTable 1 Adiponectin by beverage\n:::\n  ------- -------\n  Wine    29.8%\n")
    _, _, pairs = units_of(md)
    headings = [q for u, q in pairs if u.kind == "heading"]
    assert headings[:4] == ["# Abstract", "## OBJECTIVE", "## RESEARCH DESIGN AND METHODS", "## Results"]
    sentences = {q: u.section for u, q in pairs if u.kind != "heading"}
    assert sentences["Adiponectin rose by 29.8% with red wine (P < 0.01)."] == ("Abstract", "Results")
    assert "A total of 72 healthy adults were randomised to wine or beer for 3 weeks." in sentences
    assert not any(q.startswith(":::") or q.startswith("---") for q in sentences)


def test_ctgov_adapter_on_a_record_written_from_a_seed_page():
    record = json.loads((ROOT / "evals/corpora/ctgov/NCT07289048.json").read_text())
    text, units, ident = ctgov.parse(record)
    assert ident.trial_ids[0] == "NCT07289048" and ident.phase == "PHASE2"
    crit = [u for u in units if u.kind == "criterion"]
    assert len(crit) >= 25
    read_as_excl = [text[u.start : u.end] for u in crit if u.attrs.get("read_as_exclusion")]
    assert any(t.startswith("Untreated brain metastases") for t in read_as_excl)
    contact = [text[u.start : u.end] for u in units if u.kind == "contact"]
    assert contact and "+86 13986252286" in contact[0]
    assert any(text[u.start : u.end] == "Maximum age: 75 Years" for u in units)


def test_ctgov_results_one_unit_per_outcome_and_group():
    text, units, ident = ctgov.parse(json.loads((SYNTHETIC / "ct-record.json").read_text()))
    rows = [u for u in units if u.kind == "result"]
    assert len(rows) == 1
    q = text[rows[0].start : rows[0].end]
    assert "Objective Response Rate — Lumarasib + trastuzumab (n=64)" in q and "37.5" in q and "25.7 to 50.5" in q
    assert rows[0].attrs["unit"] == "percentage of participants" and rows[0].attrs["time_frame"] == "up to 12 months"
    ae = [text[u.start : u.end] for u in units if u.kind == "adverse_event"]
    assert "Pneumonitis (serious) — Lumarasib + trastuzumab: 2/64 participants affected" in ae
    assert "LMR-209" in ident.drugs and ident.trial_names == ("LUMEN-3",)


@pytest.mark.skipif(not NLI4CT.is_dir(), reason="NLI4CT data not available")
def test_nli4ct_units_map_back_to_report_lines():
    record = json.loads((NLI4CT / "trials" / "NCT00003199.json").read_text())
    text, spans, _ = nli4ct.render(record)
    _, units = nli4ct.parse(record)
    for (section, i), (s, e) in spans.items():
        assert text[s:e] == record[section][i].strip()
        assert any(u.start <= s and e <= u.end for u in units) or any(s <= u.start and u.end <= e for u in units)


def test_identity_from_the_document_own_ids_versus_mentions():
    loaded = load_documents([SYNTHETIC], use_manifest=False)
    docs = {d.doc_id: d for d in loaded.docs}
    zel = docs["zelvatinib-registry"].identity
    assert zel.trial_ids == ("NCT99000001",) and zel.phase == "Phase 2"
    assert "ZX-4411" in zel.drugs and any(d.lower() == "zelvatinib" for d in zel.drugs)
    news = docs["orbit12-news"].identity
    assert "ORBIT-12" in news.trial_names
    assert "NCT99000001" in news.mentioned_ids and "NCT99000001" not in news.trial_ids  # a mention, not its trial
    assert {"Orbelimab", "OBM-77"} <= set(news.drugs) or {"orbelimab", "OBM-77"} & set(news.drugs)
    assert news.abbreviations.get("ORR", "").lower() == "objective response rate"  # abbreviations the text defines


def test_drug_aliases_from_parentheses():
    groups = drug_aliases("Fexotamab vedotin (FXV; AB-1234) is an antibody. Later, FXV was compared with docetaxel.")
    assert any({"AB-1234", "FXV"} <= set(g) for g in groups)


def test_manifest_is_optional_and_validated(tmp_path):
    (tmp_path / "a.txt").write_text("A Study of Something\n\nBrief Summary\n\nThis study tests a thing in people.\n")
    (tmp_path / "b.txt").write_text("Another Study Title Here\n\nBrief Summary\n\nThis one tests something else.\n")
    (tmp_path / "manifest.json").write_text(json.dumps(["not", "an", "object"]))
    res = load_documents([tmp_path])
    assert len(res.docs) == 2 and any("must be an object" in w for w in res.warnings)
    (tmp_path / "manifest.json").write_text(json.dumps({"a.txt": "a string", "b.txt": {"title": "Better title", "trial_id": "NCT12345678"}}))
    res = load_documents([tmp_path])
    titles = {d.doc_id: d.identity for d in res.docs}
    assert titles["b"].title == "Better title" and titles["b"].trial_ids == ("NCT12345678",)
    assert titles["a"].title == "A Study of Something"
    assert any("'a.txt' ignored" in w for w in res.warnings)


def test_same_stem_files_get_distinct_ids_and_bad_json_is_skipped(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "report.txt").write_text("First Report Title Here\n\nSummary\n\nText of the first report.\n")
    (tmp_path / "x" / "report.txt").write_text("Second Report Title Here\n\nSummary\n\nText of the second report.\n")
    (tmp_path / "deep.json").write_text("[" * 5000 + "]" * 5000)
    (tmp_path / "other.json").write_text(json.dumps({"hello": "world"}))
    res = load_documents([tmp_path])
    ids = sorted(d.doc_id for d in res.docs)
    assert len(ids) == 2 and len(set(ids)) == 2 and all(i.startswith("report") for i in ids)
    reasons = {Path(s.path).name: s.reason for s in res.skipped}
    assert "unrecognised JSON" in reasons["other.json"]
    assert "deep.json" in reasons


def test_a_field_with_the_registrys_explanation_between_label_and_value():
    text = (
        "Trial Details\n\nPhase\n\nPhase 1: Studies that emphasize safety and how the drug is metabolized.\n\n"
        "Phase 2: Studies that gather preliminary data on effectiveness.\n\nPhase 2\nLead Sponsor\n\n"
        "The sponsor is the organization or person who oversees the clinical study.\n\nAcme University\n"
        "Principal Investigator\n\nThe person who is responsible for the scientific direction of the study.\n\nN/A\n"
    )
    units, _ = parse_text(text)
    fields = {u.label: text[u.start : u.end] for u in units if u.kind == "field"}
    assert fields.get("Lead Sponsor") == "Acme University" and fields.get("Phase") == "Phase 2" and fields.get("Principal Investigator") == "N/A"
    sponsor = next(u for u in units if u.label == "Lead Sponsor")
    assert [text[s:e] for s, e in sponsor.context] == ["Lead Sponsor"]  # quoted with its label, not the explanation
    # a long paragraph that only starts like an explanation is content, not a field note
    units, _ = parse_text("Drug X\n\nThe administration route of drug X is intravenous infusion over 30 minutes on day 1 of each cycle, "
                          "repeated every 21 days until progression or unacceptable toxicity, whichever comes first, as judged by the "
                          "investigator at each visit.\n\nIntervention Type DRUG\n")
    assert not any(u.kind == "field" and u.context for u in units)


def test_a_contact_name_under_a_contact_heading_is_quotable_content():
    text = "Study Title\n\nBrief Summary\n\nA study of a drug.\n\nCentral trial contact\n\nJane Doe\n\nData sourced from clinicaltrials.gov\n"
    units, _ = parse_text(text)
    name = next(u for u in units if text[u.start : u.end] == "Jane Doe")
    assert name.kind != "heading" and name.section == ("Central trial contact",)


def test_abbreviations_do_not_end_a_sentence_and_an_unindented_first_item_is_an_item():
    from assistant.adapters.layout import sentence_spans
    from assistant.select import quick_sentences

    t = "No prior capecitabine (i.e. Xeloda). Next criterion here."
    assert [t[a:b] for a, b in sentence_spans(t, 0, len(t))][0] == "No prior capecitabine (i.e. Xeloda)."
    assert [t[a:b] for a, b in quick_sentences(t, 0, len(t))][0] == "No prior capecitabine (i.e. Xeloda)."
    lines = ["Patients must have received prior treatment with a taxane (i.e. paclitaxel or docetaxel).",
             "Patients must have received no more than two prior chemotherapy regimens.",
             "Patients may not have had prior treatment with capecitabine (i.e. Xeloda)"]
    record = {"Clinical Trial ID": "NCT09999990", "Eligibility": [lines[0], "  " + lines[1], "  " + lines[2]]}
    text, units = nli4ct.parse(record)
    assert [text[u.start : u.end] for u in units if u.section == ("Eligibility",) and u.kind != "heading"] == lines


def test_nli4ct_adverse_events_are_the_serious_adverse_events_table():
    record = {"Clinical Trial ID": "NCT09999991", "Adverse Events": ["Adverse Events 1:", "  Total: 3/22 (13.64%)", "  urosepsis 1/22 (4.55%)"]}
    text, units = nli4ct.parse(record)
    rows = [u for u in units if u.kind == "adverse_event"]
    assert rows and all(u.attrs.get("serious") == "1" for u in rows)


def test_arm_descriptions_are_read_with_their_arm_label(tmp_path):
    (tmp_path / "registry.txt").write_text(
        "A study of drug X\n\nArms and Interventions\n\nExperimental: Phase II/Arm D\n\nHER2-low breast cancer with brain metastases\n\n"
        "Active Comparator: Arm E\n\nStandard chemotherapy\n", encoding="utf-8")
    doc = load_documents([tmp_path], use_manifest=False).docs[0]
    unit = next(u for u in doc.units if doc.text[u.start : u.end] == "HER2-low breast cancer with brain metastases")
    assert [doc.text[s:e] for s, e in unit.context] == ["Experimental: Phase II/Arm D"]
    other = next(u for u in doc.units if doc.text[u.start : u.end] == "Standard chemotherapy")
    assert other.attrs.get("group") == "Arm E"


def test_arm_stage_and_step_labels_are_not_drug_names():
    from assistant.identity import extract

    text = "Intervention\nStage 1: subjects will receive docetaxel every 3 weeks.\nStage 2: subjects will receive trastuzumab weekly.\n"
    ident = extract(text, parse_text(text)[0])
    assert not any(d.lower().startswith("stage") for d in ident.drugs)


def test_a_numbered_paper_section_run_into_its_paragraph_is_a_heading():
    md = "# Abstract ## Conclusions The stent may be unnecessary. # 4. Results Double stenting was used in 30 cases.\n"
    _, _, pairs = units_of(md)
    assert "# 4. Results" in [q for u, q in pairs if u.kind == "heading"]
    sections = {q: u.section for u, q in pairs if u.kind != "heading"}
    assert sections["Double stenting was used in 30 cases."] == ("4. Results",)


def test_pandoc_table_rows_are_read_with_their_column_headers():
    md = ("# Results\n\n"
          "  Post-Operative Course   With Stent (n = 30)   Without Stent (n = 52)   P Value\n"
          "  ----------------------- --------------------- ------------------------ ---------\n"
          "  **Urine analysis**\n"
          "  Hematuria               19/27                 32/32                    0.001\n"
          "  **Urinary symptoms**    24 (80)               2 (3.8)                  0.005\n\n"
          "^a^Data are presented as No. (%).\n")
    _, _, pairs = units_of(md)
    rows = {q: u for u, q in pairs if u.kind == "result"}
    header = "Post-Operative Course   With Stent (n = 30)   Without Stent (n = 52)   P Value"
    hematuria = rows["Hematuria               19/27                 32/32                    0.001"]
    assert [md[s:e] for s, e in hematuria.context] == [header, "**Urine analysis**"]
    symptoms = rows["**Urinary symptoms**    24 (80)               2 (3.8)                  0.005"]
    assert [md[s:e] for s, e in symptoms.context] == [header]  # a bold row is a row group of its own
    assert {u.attrs.get("role") for u, q in pairs if q in (header, "**Urine analysis**")} == {"header"}


REGISTRY_DESIGN = ("Exclusion criteria\n\n  27. Any illness that would interfere with compliance.\n\nTrial design\n\nPrimary purpose\n\nTreatment\n\n"
                   "Allocation\n\nRandomized\n\nMasking\n\nNone (Open label)\n\n300 participants in 2 patient groups\n\n"
                   "Group A\nExperimental group\nDescription:\nDrug X plus drug Y\nTreatment:\nDrug: Drug X\nDrug: Drug Y\n"
                   "Group B\nActive Comparator group\nDescription:\nStandard chemotherapy\nTreatment:\nDrug: Docetaxel\n\n"
                   "Central trial contact\n\nJane Doe\n")


def test_a_registry_design_block_is_fields_not_criteria():
    units, _ = parse_text(REGISTRY_DESIGN)
    quotes = {" ".join(REGISTRY_DESIGN[u.start : u.end].split()): u for u in units}
    assert quotes["Allocation Randomized"].kind == "field" and quotes["Allocation Randomized"].label == "Allocation"
    assert quotes["Masking None (Open label)"].section == ("Trial design",)
    assert not any(u.kind == "criterion" and "Allocation" in REGISTRY_DESIGN[u.start : u.end] for u in units)


def test_an_arm_block_is_read_with_its_name_and_type():
    units, _ = parse_text(REGISTRY_DESIGN)
    text = REGISTRY_DESIGN
    desc = next(u for u in units if text[u.start : u.end].startswith("Description:\nStandard"))
    assert desc.kind == "field" and desc.label == "Description" and desc.attrs["group"] == "Group B"
    assert [" ".join(text[s:e].split()) for s, e in desc.context] == ["Group B Active Comparator group"]
    drug = next(u for u in units if text[u.start : u.end] == "Drug: Drug Y")
    assert drug.attrs["group"] == "Group A"
    head = next(u for u in units if u.attrs.get("role") == "group" and u.attrs.get("group") == "Group B")
    assert head.attrs["arm_type"] == "Active Comparator group"


def test_a_lists_linking_word_is_not_part_of_a_drug_name_and_adverse_events_do_not_name_the_condition():
    from assistant.identity import extract

    text = ("Intervention\nFluorouracil 500mg, epirubicin 75mg and cyclophosphamide (FEC) every 3 weeks.\n\n"
            "Eligibility\nYou must have been diagnosed with breast cancer.\n\n"
            "Adverse Events\n  Gastric ulcer haemorrhage 0/42 (0.00%)\n  Gastric ulcer haemorrhage 1/61 (1.64%)\n")
    ident = extract(text, parse_text(text)[0])
    assert not any(d.lower().startswith("and ") for d in ident.drugs)
    assert "gastric cancer" not in ident.conditions
