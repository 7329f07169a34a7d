"""The truth of a criterion's statement for a patient: True / False / None (not enough information)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .patient import Fact


@dataclass
class Truth:
    value: bool | None
    reason: str
    evidence: list[Fact] = field(default_factory=list)
    silent: bool = False  # nothing about it in the description
    assumable: bool = False  # silence may be read as absence (a note would mention it)


def _T(value, reason, ev=None, silent=False, assumable=False) -> Truth:
    return Truth(value, reason, [e for e in (ev or []) if e is not None], silent, assumable)
