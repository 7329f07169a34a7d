"""Eligibility screening: patient description x trial criteria -> cited verdicts per criterion and per trial.

Public API:
    check_criterion(patient, criterion, criterion_type) -> CriterionVerdict
    screen_criteria(patient, criteria: list[CriterionInput], audience="clinician") -> TrialScreen
    rescreen(patient, additions, criteria, audience="clinician") -> TrialScreen
    extract_patient(text) -> PatientFacts
    parse_criterion(text, criterion_type) -> ParsedCriterion
    reads_as_exclusion(text) -> bool

Everything runs on raw strings, offline, with no model: vocabulary and rules live in assistant/data
(drugs.yaml, screening_concepts.yaml, screening_context.yaml).
"""

from .criteria import ParsedCriterion, parse_criterion, reads_as_exclusion
from .patient import Fact, PatientFacts, extract_patient
from .verdict import CriterionInput, CriterionVerdict, TrialScreen, check_criterion, rescreen, screen_criteria

__all__ = [
    "CriterionInput", "CriterionVerdict", "Fact", "ParsedCriterion", "PatientFacts", "TrialScreen",
    "check_criterion", "extract_patient", "parse_criterion", "reads_as_exclusion", "rescreen", "screen_criteria",
]
