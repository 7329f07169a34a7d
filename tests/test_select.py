"""Evidence selection helpers on a small two-arm report (no index needed): arms read side by side, group totals,
events the vocabulary does not know, result categories."""

from types import SimpleNamespace

from assistant.adapters import nli4ct
from assistant.query import QConcept, QueryPlan, plan_query, question_parts
from assistant.select import Evidence, other_groups_rows, result_category, row_key, total_rows, with_named_events

RECORD = {
    "Clinical Trial ID": "NCT09999992",
    "Results": [
        "Outcome Measurement: ", "  Best Overall Response", "  Time frame: week 24",
        "Results 1: ", "  Arm/Group Title: Drug A", "  Overall Number of Participants Analyzed: 230", "  Measure Type: Count of Participants",
        "  Unit of Measure: Participants  Complete Response: 3 1.3%", "  Partial Response: 157 68.3%", "  Stable Disease: 49 21.3%",
        "Results 2: ", "  Arm/Group Title: Drug B", "  Overall Number of Participants Analyzed: 228", "  Measure Type: Count of Participants",
        "  Unit of Measure: Participants  Complete Response: 0 0.0%", "  Partial Response: 146 64.0%", "  Stable Disease: 50 21.9%",
    ],
    "Adverse Events": [
        "Adverse Events 1:", "  Total: 21/519 (4.05%)", "  Dehydration 5/519 (0.96%)", "  Neutropenia 7/519 (1.35%)",
        "Adverse Events 2:", "  Total: 119/532 (22.37%)", "  Dehydration 2/532 (0.38%)", "  Neutropenia 95/532 (17.86%)",
    ],
}


def _doc():
    text, units = nli4ct.parse(RECORD)
    return SimpleNamespace(text=text, units=units)


def _ev(doc, i):
    u = doc.units[i]
    return Evidence("d", i, u.start, u.end, "", u.kind, u.context, 0.9, {})


def _find(doc, needle):
    return next(i for i, u in enumerate(doc.units) if needle in doc.text[u.start : u.end] and u.kind in ("result", "adverse_event"))


def _catalog(texts: dict[str, str]):
    """A catalog of documents titled by their ids."""
    from assistant.query import Catalog
    from assistant.types import Identity

    return Catalog({d: Identity(title=d) for d in texts}, texts)


def _quotes(doc, evs):
    return [doc.text[e.start : e.end].strip() for e in evs]


def test_a_quoted_row_is_read_with_the_same_row_of_the_other_groups():
    doc = _doc()
    chosen = [_ev(doc, _find(doc, "Neutropenia 7/519"))]
    assert _quotes(doc, other_groups_rows(doc, "d", chosen, limit=6, one_group=False)) == ["Neutropenia 95/532 (17.86%)"]
    assert other_groups_rows(doc, "d", chosen, limit=6, one_group=True) == []  # the question names one group


def test_result_rows_of_one_measure_are_matched_by_category():
    doc = _doc()
    pr = doc.units[_find(doc, "Partial Response: 157")]
    assert result_category(doc, pr) == "partial response"
    assert result_category(doc, doc.units[_find(doc, "Complete Response: 3")]) == "complete response"
    chosen = [_ev(doc, _find(doc, "Partial Response: 157"))]
    assert _quotes(doc, other_groups_rows(doc, "d", chosen, limit=6, one_group=False)) == ["Partial Response: 146 64.0%"]
    assert row_key(doc, pr).endswith("› partial response")


def test_each_groups_total_row():
    doc = _doc()
    lead = _ev(doc, _find(doc, "Dehydration 5/519"))
    assert _quotes(doc, total_rows(doc, "d", doc.units[lead.unit].attrs.get("serious"))) == ["Total: 21/519 (4.05%)", "Total: 119/532 (22.37%)"]


def test_an_event_the_table_lists_becomes_a_focus_of_a_safety_question():
    doc = _doc()
    index = SimpleNamespace(docs={"d": doc})
    dehydration = QConcept("dehydration", ("dehydration",), 6.0)
    plan = QueryPlan(question="how many serious dehydration events?", concepts=[dehydration], topics=["safety"])
    scored = [_ev(doc, _find(doc, "Dehydration 5/519"))]
    assert [c.name for c in with_named_events(plan, scored, index).focus] == ["dehydration"]
    plan.topics = ["dosing"]  # not a safety question: nothing added
    assert with_named_events(plan, scored, index).focus == []


def test_statements_before_the_question_are_context_not_parts():
    q = "My mum has breast cancer that has spread, and she has had two treatments. In the X trial, did anyone get cardiomyopathy?"
    assert question_parts(q) == [q]
    assert question_parts("What filgrastim dose, and for how many days, was given in NCT01519700?") == [
        "What filgrastim dose, and for how many days, was given in NCT01519700?"]


def test_a_value_named_without_a_question_word_and_coordinated_with_a_question_is_a_part():
    def names_value(piece):
        return "dose" in piece

    q = "NCT01004172: doses of carbo, bev and trastuzumab, and how long is each cycle?"
    assert question_parts(q, names_value=names_value) == ["NCT01004172: doses of carbo, bev and trastuzumab", "how long is each cycle"]
    assert question_parts(q) == [q]  # without a judge of values, the clause stays context
    told = "For my mum with liver mets, and how long is each cycle?"  # names no value: context, not a part
    assert question_parts(told, names_value=names_value) == [told]


def test_a_programme_name_only_its_documents_use_names_the_trial():
    texts = {"a": "Participants get a password for the BRECOR website. HER2 status.", "b": "HER2 status. ECOG 0-1.", "c": "HER2 tests."}
    catalog = _catalog(texts)
    assert catalog.resolve_by_acronym("How often do I use the BRECOR website?") == ["a"]
    assert catalog.resolve_by_acronym("Is HER2 tested?") == []  # a word the vocabulary knows is not a name


def test_a_count_of_people_with_serious_side_effects_is_each_groups_total():
    from assistant.select import event_totals

    doc = _doc()
    index = SimpleNamespace(docs={"d": doc})
    sae = QConcept("serious adverse events", ("SAE", "serious side effects"), 3.0)
    plan = QueryPlan(question="how many people had a serious side effect?", doc_ids=["d"], concepts=[sae],
                     value_type="count", value_type_explicit=True)
    assert _quotes(doc, event_totals(plan, index)) == ["Total: 21/519 (4.05%)", "Total: 119/532 (22.37%)"]
    plan.focus = [QConcept("dehydration", ("dehydration",), 6.0)]  # a particular event is asked: its rows answer
    assert event_totals(plan, index) == []


def test_an_age_told_as_context_is_not_the_question():
    from assistant.query import age_asked

    told = QueryPlan(question="", ask_text="How many had no cancer left at surgery?", age=41)
    assert not age_asked(told)
    assert age_asked(QueryPlan(question="", ask_text="Could she have taken part?", age=81))
    assert age_asked(QueryPlan(question="", ask_text="Was she old enough to join?"))


def test_a_question_about_what_a_treatment_did_needs_a_result():
    from assistant.select import asks_effect

    assert asks_effect(QueryPlan(question="", ask_text="In NCT01740323, did curcumin make women feel less tired than placebo?"))
    assert not asks_effect(QueryPlan(question="", ask_text="Does the study allow more than one prior line?"))  # who may join
    assert not asks_effect(QueryPlan(question="", ask_text="What was the median PFS?"))


def test_words_that_describe_the_trial_are_not_what_is_asked():
    from assistant.query import described_only

    fatigue, curcumin = QConcept("fatigue", ("fatigue",), 5.0), QConcept("curcumin", ("curcumin",), 5.0)
    q = "In the curcumin study that looked at inflammation and fatigue, how much curcumin did people take?"
    assert described_only(q, [fatigue, curcumin]) == {"fatigue"}
    q = "I was offered a trial comparing Caelyx with Xeloda. If I get Xeloda, what dose is it?"
    assert described_only(q, [QConcept("capecitabine", ("capecitabine", "xeloda"), 3.0)]) == set()


def test_the_drug_a_study_is_named_by_picks_the_trial():
    from assistant.query import Catalog
    from assistant.types import Identity

    texts = {"bone": "Risedronate 35 mg weekly or placebo for women on aromatase inhibitors.",
             "neo": "Letrozole 2.5 mg daily before surgery.", "adj": "Letrozole 2.5 mg daily for five years."}
    idents = {d: Identity(title=t, drugs=tuple(w for w in ("risedronate", "letrozole") if w in t.lower())) for d, t in texts.items()}
    catalog = Catalog(idents, texts, texts)
    docs, _ = catalog.resolve("My aunt is on letrozole and her doctor mentioned the risedronate 35 mg weekly study.")
    assert docs == ["bone"]
    docs, _ = catalog.resolve("Steroids allowed: the risedronate study vs the letrozole one?")  # set against each other: both
    assert docs == ["adj", "bone", "neo"]


def test_a_dose_of_a_drug_class_the_question_names_is_not_gated_by_the_trials_drug():
    from assistant.select import can_answer
    from assistant.settings import Settings

    text = "Systemic corticosteroids (>10 mg/day prednisone equivalent) within 2 weeks before the first dose."
    doc = SimpleNamespace(text=text, units=[SimpleNamespace(start=0, end=len(text), kind="criterion", attrs={}, label="", section=(), context=())],
                          title="Drug X trial", identity=SimpleNamespace(conditions=()))
    index = SimpleNamespace(docs={"d": doc})
    ev = Evidence("d", 0, 0, len(text), "", "criterion", (), 0.9, {"context": 0.4, "dense": 0.6, "answer_type": 1.0})
    steroids = QConcept("steroids", ("steroids", "corticosteroids", "prednisone"), 4.0)
    plan = QueryPlan(question="Drug X trial: what prednisone-equivalent steroid dose is the cutoff?", doc_ids=["d"],
                     concepts=[steroids, QConcept("dose", ("dose",), 2.0)], value_type="dose", drugs=["drug x"])
    assert can_answer(plan, ev, index, Settings())
    plan.concepts = [QConcept("dose", ("dose",), 2.0)]  # the dose of drug X itself: the unit must name drug X
    assert not can_answer(plan, ev, index, Settings())


def test_a_camel_case_product_name_names_the_trial():
    texts = {"a": "Tumours were re-tested with the MammaTyper assay.", "b": "Luminal subtypes by IHC."}
    assert _catalog(texts).resolve_by_acronym("In the MammaTyper study, any side effects?") == ["a"]


def test_each_asked_measure_is_read_with_its_own_value_type():
    from assistant.select import unit_value_type

    orr = QConcept("objective response rate", ("ORR",), 3.0, "percent", "efficacy")
    pfs = QConcept("progression-free survival", ("PFS",), 3.0, "duration", "efficacy")
    plan = QueryPlan(question="ORR and PFS?", focus=[orr, pfs], value_type="percent")
    assert unit_value_type(plan, "The median PFS was 5.6 months") == "duration"
    assert unit_value_type(plan, "The ORR was 48.2%") == "percent"


def test_a_line_that_only_names_its_group_is_a_label():
    from assistant.select import is_label

    record = {"Clinical Trial ID": "NCT09999993", "Intervention": ["INTERVENTION 1: ", "  Extensive Metabolizers",
                                                                  "  Tamoxifen 20 mg daily"]}
    text, units = nli4ct.parse(record)
    doc = SimpleNamespace(text=text, units=units)
    name = next(u for u in units if text[u.start : u.end].strip() == "Extensive Metabolizers")
    dose = next(u for u in units if "Tamoxifen" in text[u.start : u.end])
    assert is_label(doc, name) and not is_label(doc, dose)


def test_a_word_few_documents_use_narrows_a_drug_many_trials_give():
    from assistant.query import Catalog
    from assistant.types import Identity

    texts = {f"t{i}": f"Weekly paclitaxel 80 mg/m2 with drug {i}." for i in range(4)}
    texts["mino"] = "Arm I (Minocycline Hydrochloride): minocycline with weekly paclitaxel to prevent pain."
    idents = {d: Identity(title=("Arm I (Minocycline Hydrochloride)" if d == "mino" else f"Paclitaxel study {d}"), drugs=("paclitaxel",))
              for d in texts}
    catalog = Catalog(idents, texts, texts)
    assert len(catalog.resolve("the taxol trial")[0]) == 5
    assert catalog.resolve_by_rare_title_word("Does that rule me out of the minocycline trial for taxol pain?") == ["mino"]
    assert catalog.resolve_by_rare_title_word("the weekly taxol trial") == []  # no rare title word: nothing narrowed


def test_a_description_with_words_only_one_document_uses_picks_it():
    texts = {f"d{i}": f"Randomised trial {i} of exercise advice in adults; outcome walking time at {i} months." for i in range(8)}
    texts["mi"] = "Motivational interviewing based on self-determination theory raised physical activity in women."
    catalog = _catalog(texts)
    assert catalog.resolve_by_description("in the trial where women got motivational interviewing, what changed?") == ["mi"]
    assert catalog.resolve_by_description("what was the walking time in the exercise trial?") == []


def test_a_name_given_with_its_alias_in_brackets_is_not_unknown():
    from assistant.query import guard_unknown

    texts = {"a": "Patients receive 300 mg PO daily PI3K inhibitor BYL719 and T-DM1.", "b": "Letrozole 2.5 mg daily."}
    catalog = _catalog(texts)
    assert "alpelisib" not in [u.lower() for u in guard_unknown("Alpelisib (BYL719) + T-DM1: what DLTs?", catalog, False)]


def test_a_group_given_the_named_drug_alone_beats_the_combination():
    from assistant.select import _alone_match

    groups = {"Cohort 1: Lapatinib 1500 mg": {"cohort", "1", "lapatinib", "1500", "mg"},
              "Cohort 1: Lapatinib 1000 mg/Pazopanib 400 mg": {"cohort", "1", "lapatinib", "1000", "mg", "pazopanib", "400"}}
    plan = QueryPlan(question="and the ones who only took lapatinib?")
    assert _alone_match(plan, groups, "Cohort 1: Lapatinib 1500 mg") == 1.0
    assert _alone_match(plan, groups, "Cohort 1: Lapatinib 1000 mg/Pazopanib 400 mg") == -1.0
    assert _alone_match(QueryPlan(question="and the ones who took lapatinib?"), groups, "Cohort 1: Lapatinib 1500 mg") == 0.0


def test_a_p_value_or_effect_size_is_a_statistic_answer():
    from assistant.select import states_value

    assert states_value("total PA increased (p<0.001, ES=4.77) compared to the control group", "ratio", "effect vs control (p, ES)?")
    assert states_value("HR 0.62 (95% CI 0.48-0.80)", "ratio", "hazard ratio?")
    assert not states_value("This study aimed to determine the effect of the intervention.", "ratio", "effect vs control (p, ES)?")


def test_a_question_naming_an_outcome_is_answered_by_its_rows_not_by_the_arm_description():
    from assistant.select import measure_rows
    from assistant.settings import Settings

    record = dict(RECORD, Intervention=["INTERVENTION 1: ", "  Drug A 5 mg daily for 24 weeks."])
    text, units = nli4ct.parse(record)
    doc = SimpleNamespace(text=text, units=units)
    index = SimpleNamespace(docs={"d": doc})
    arm = next(i for i, u in enumerate(units) if "5 mg daily" in text[u.start : u.end])
    lead = Evidence("d", arm, units[arm].start, units[arm].end, "", units[arm].kind, units[arm].context, 0.8, {"lexical": 0.3})
    resp = QConcept("best overall response", ("best overall response",), 3.0)
    drug = QConcept("drug a", ("drug a",), 2.0)
    plan = QueryPlan(question="Drug A 5 mg daily: best overall response?", doc_ids=["d"], concepts=[drug, resp])
    rows = measure_rows(plan, lead, index, Settings())
    assert rows and all(units[e.unit].kind == "result" for e in rows)
    assert "Complete Response: 3 1.3%" in text[rows[0].start : rows[0].end]
    dose = QueryPlan(question="Drug A: what dose?", doc_ids=["d"], concepts=[drug, resp], value_type="dose")
    assert measure_rows(dose, lead, index, Settings()) == []  # a dose is not an outcome


def test_a_rate_of_something_is_answered_only_by_a_unit_naming_it():
    from assistant.query import terms
    from assistant.select import names_rate_asked

    plan = QueryPlan(question="What was the recurrence rate in poor vs extensive metabolizers?")
    totals = "Total: 3/290 (1.03%) Adverse Events 2"
    assert not names_rate_asked(plan, totals, terms(totals))
    row = "Breast cancer recurrence: 4 of 120 (3.3%)"
    assert names_rate_asked(plan, row, terms(row))
    sae = QueryPlan(question="What overall SAE rates were reported for the two groups?")
    assert names_rate_asked(sae, totals, terms(totals))  # an event table's totals are its SAE rates


def test_total_saes_and_an_event_quote_the_groups_total_row_too():
    from assistant.select import select_fact
    from assistant.settings import Settings

    doc = _doc()
    index = SimpleNamespace(docs={"d": doc})
    i = _find(doc, "Dehydration 5/519")
    ev = Evidence("d", i, doc.units[i].start, doc.units[i].end, "", "adverse_event", doc.units[i].context, 0.9,
                  {"answer_type": 1.0, "context": 1.0, "lexical": 0.5, "dense": 0.8})
    sae = QConcept("serious adverse events", ("SAE", "SAEs"), 3.0, "count", "safety")
    dehydration = QConcept("dehydration", ("dehydration",), 3.0, None, "safety")
    plan = QueryPlan(question="Drug A arm: total SAEs and dehydration rate?", doc_ids=["d"], concepts=[sae, dehydration], focus=[dehydration])
    quotes = [doc.text[e.start : e.end] for e in select_fact(plan, [ev], index, Settings())]
    assert "Dehydration 5/519 (0.96%)" in quotes and "Total: 21/519 (4.05%)" in quotes
def test_a_reports_aims_sentence_is_not_a_result():
    from assistant.select import AIMS_RE, ASKS_AIM

    assert AIMS_RE.search("This study aimed to determine the effect of MI-based intervention on physical activity.")
    assert AIMS_RE.search("We have compared the surgical outcome of pyeloplasty with or without internal stenting.")
    assert not AIMS_RE.search("Four months after the intervention, total PA increased (p<0.001, ES=4.77).")
    assert ASKS_AIM.search("What was the aim of the study?") and not ASKS_AIM.search("What was the effect on total PA?")


def test_a_time_point_asked_in_months_matches_an_n_month_follow_up():
    from assistant.query import concept_in, extract_concepts, terms

    sentence = "At the 6-month follow-up, 69% of patients in the intervention group took antidepressants."
    point = next(c for c in extract_concepts("% on antidepressants at 6 months?", [], {}, 100) if c.name == "6 months")
    assert concept_in(point, sentence, terms(sentence))


def test_women_counted_are_not_the_sex_a_trial_admits():
    from assistant.query import plan_query

    texts = {"a": "Nausea 3/40 (7.5%). Male or female, 18 years or older.", "b": "Letrozole 2.5 mg daily."}
    catalog = _catalog(texts)
    names = lambda q: [c.name for c in plan_query(q, catalog, {}, 10).concepts]  # noqa: E731
    assert "sex" not in names("How many women had nausea?")
    assert "sex" in names("Could men take part?")


def test_an_abbreviation_the_document_defines_means_what_it_says():
    from types import SimpleNamespace as NS

    from assistant.query import own_abbreviations

    mi = QConcept("myocardial infarction", ("MI", "heart attack"), 3.0, None, "safety")
    out = own_abbreviations("MI/SDT trial: sedentary time?", [mi], NS(abbreviations={"MI": "motivational interviewing"}))
    assert out[0].name == "motivational interviewing" and "MI" in out[0].forms
    assert own_abbreviations("MI rate?", [mi], NS(abbreviations={"MI": "myocardial infarction"}))[0] is mi


def test_a_count_of_things_is_answered_only_by_a_unit_naming_them():
    from assistant.query import terms
    from assistant.select import names_count_asked

    plan = QueryPlan(question="CDP +/- kinesio taping RCT: how many CDP sessions were given?")
    total = "Total: 0/18 (0.00%)"
    assert not names_count_asked(plan, total, terms(total))
    row = "Patients received twenty sessions of CDP over four weeks."
    assert names_count_asked(plan, row, terms(row))
    people = QueryPlan(question="How many patients had a serious infection?")
    assert names_count_asked(people, total, terms(total))  # a count of people may be stated without naming them


def test_a_count_of_sessions_or_cycles_is_a_count():
    from assistant.select import states_value

    assert states_value("Patients received twenty sessions of complex decongestive physiotherapy.", "count", "how many sessions?")
    assert states_value("Neoadjuvant CT-P6 for 8 treatment cycles, then surgery.", "count", "how many cycles?")
    assert not states_value("Cycles were repeated until progression.", "count", "how many cycles?")


def test_what_arms_lists_each_arms_description_and_the_control_arm_is_quoted_whole():
    from assistant.adapters.text import parse_text
    from assistant.select import arm_rows

    from .test_document_model import REGISTRY_DESIGN

    units, _ = parse_text(REGISTRY_DESIGN)
    doc = SimpleNamespace(text=REGISTRY_DESIGN, units=units)
    index = SimpleNamespace(docs={"d": doc})
    lead_i = next(i for i, u in enumerate(units) if REGISTRY_DESIGN[u.start : u.end] == "Drug: Docetaxel")
    lead = _ev(doc, lead_i)
    arms = QueryPlan(question="What are the arms?", doc_ids=["d"], concepts=[QConcept("arms", ("arms",), 1.0)])
    assert [" ".join(q.split()) for q in _quotes(doc, arm_rows(arms, lead, index))] == [
        "Description: Drug X plus drug Y", "Description: Standard chemotherapy"]
    control = QueryPlan(question="If I don't get the new drug, what would I get instead?", doc_ids=["d"],
                        concepts=[QConcept("control arm", ("instead",), 3.0)])
    assert [" ".join(q.split()) for q in _quotes(doc, arm_rows(control, lead, index))] == [
        "Description: Standard chemotherapy", "Drug: Docetaxel"]
    dose = QueryPlan(question="What dose in each arm?", doc_ids=["d"], concepts=[], value_type="dose")
    assert arm_rows(dose, lead, index) == []


def test_a_field_label_naming_what_this_turn_asks_stands_for_its_meaning():
    from assistant.select import _label_asked

    masking = SimpleNamespace(kind="field", label="Masking")
    blinding = QConcept("blinding", ("masking", "blinded", "open label"), 5.0)
    assert _label_asked(QueryPlan(question="Is it blinded?", concepts=[blinding]), masking)
    # carried from the turn before ("… is it blinded?" then "what would I get instead?"): not this turn's question
    assert not _label_asked(QueryPlan(question="What would I get instead?", concepts=[QConcept("blinding", blinding.forms, 1.75)]), masking)


def test_sd_beside_a_mean_is_a_standard_deviation_not_stable_disease():
    from assistant.query import extract_concepts

    names = {c.name for c in extract_concepts("What was the mean (SD) fecal loss in the juice group?", [], {}, 100)}
    assert "stable disease" not in names and "fecal" in names
    assert "stable disease" in {c.name for c in extract_concepts("How many patients had SD or PR?", [], {}, 100)}


def test_a_mean_is_a_value_type_stated_with_its_dispersion():
    from assistant.query import VALUE_Q
    from assistant.select import states_value

    q = "What was the mean (SD) fecal loss in the juice group?"
    assert next(vt for vt, p in VALUE_Q if p.search(q)) == "mean"
    assert states_value("the mean ± SD fecal excretion was 3.94 ± 2.35 g/kg/h", "mean", q)
    assert states_value("White Grape Juice 3.59 2.35", "mean", q)
    assert not states_value("Fecal losses were higher in the juice groups.", "mean", q)


def test_a_rare_title_word_names_the_study_when_it_also_gives_a_drug_the_question_names():
    from assistant.query import Catalog
    from assistant.types import Identity

    texts = {"chemo": "Paclitaxel with trastuzumab and lapatinib.", "vax": "dHER2 + AS15 ASCI with lapatinib.",
             "other": "Letrozole daily."}
    idents = {"chemo": Identity(title="Paclitaxel With Trastuzumab and Lapatinib", drugs=("paclitaxel", "trastuzumab", "lapatinib")),
              "vax": Identity(title="dHER2 + AS15 ASCI + Lapatinib", drugs=("lapatinib",)),
              "other": Identity(title="Letrozole study", drugs=("letrozole",))}
    catalog = Catalog(idents, texts, texts)
    q = "She got worse after Herceptin. Is she ok for the study of the HER2 vaccine (dHER2 + AS15) given with lapatinib?"
    assert plan_query(q, catalog, {}, 10).doc_ids == ["vax"]


def test_could_men_take_part_quotes_the_units_that_say_which_sexes_are_admitted():
    from assistant.select import select_sex

    text = "Inclusion Criteria:\n  Breast cancer\n  Male or female\n  Age 18 or older\n"
    units = [SimpleNamespace(start=text.index(t), end=text.index(t) + len(t), kind="criterion", section=("Eligibility",), context=(), attrs={})
             for t in ("Breast cancer", "Male or female", "Age 18 or older")]
    index = SimpleNamespace(docs={"d": SimpleNamespace(text=text, units=units)})
    sex = QConcept("sex", ("men", "women", "male", "female"), 4.0)
    plan = QueryPlan(question="Could men take part in the study of the cream?", doc_ids=["d"], concepts=[sex])
    assert _quotes(index.docs["d"], select_sex(plan, ["d"], index)) == ["Male or female"]
    counted = QueryPlan(question="How many women had a skin reaction?", doc_ids=["d"], concepts=[sex])
    assert select_sex(counted, ["d"], index) == []  # women counted, not the sexes admitted


def test_an_acronym_no_document_uses_names_the_one_that_writes_it_out():
    from assistant.query import Catalog
    from assistant.types import Identity

    texts = {"sib": "Hypofractionated Simultaneous Integrated Boost Radiotherapy: 15 fractions.",
             "proton": "Conventional Photon Plan vs 3D-Proton Plan.", "other": "Letrozole daily."}
    catalog = Catalog({d: Identity(title=d) for d in texts}, texts, texts)
    assert catalog.resolve_by_acronym("does she qualify for the hypofx SIB protocol?") == ["sib"]
    assert catalog.resolve_by_acronym("what about the XYZ protocol?") == []


def test_a_title_word_loses_to_a_description_that_fits_another_document_far_better():
    from assistant.query import Catalog
    from assistant.types import Identity

    texts = {f"t{i}": f"Weekly paclitaxel with drug {i} in a control group." for i in range(8)}
    texts["ctrl"] = "Active Control Group vs a surgical success programme."
    texts["aero"] = "AeroForm tissue expansion: a remote control releases air to fill the expander after breast reconstruction."
    idents = {d: Identity(title=("Active Control Group vs Programme" if d == "ctrl" else "AeroForm Tissue Expansion" if d == "aero" else d))
              for d in texts}
    catalog = Catalog(idents, texts, texts)
    q = "If I got the remote control air-filled expander in that reconstruction study, would I still be allowed to fly?"
    assert catalog.resolve_by_title(q) == ["ctrl"]  # "control": a word few titles have
    assert catalog.title_checked(q, ["ctrl"]) == ["aero"]
