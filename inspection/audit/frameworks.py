"""The frameworks an instrument's domains inform: one vocabulary, with the words pages show.

Every domain of a current instrument names the ILACS judgement area it informs (Ofsted,
"Inspecting local authority children's services" framework) and the outcome, or enabler, of the
Children's Social Care National Framework (Department for Education, 2023) it informs. The
findings read every domain's figures by area and by outcome (``audit.by_framework``).
"""

from __future__ import annotations

from enum import StrEnum


class IlacsArea(StrEnum):
    """The ILACS judgements (overall effectiveness is drawn from these, not judged apart)."""

    HELP_AND_PROTECTION = "help_and_protection"
    CHILDREN_IN_CARE = "children_in_care"
    CARE_LEAVERS = "care_leavers"
    LEADERS = "leaders"

    @property
    def label(self) -> str:
        return AREA_LABELS[self]


AREA_LABELS = {
    IlacsArea.HELP_AND_PROTECTION: "The experiences and progress of children who need help and "
    "protection",
    IlacsArea.CHILDREN_IN_CARE: "The experiences and progress of children in care",
    IlacsArea.CARE_LEAVERS: "The experiences and progress of care leavers",
    IlacsArea.LEADERS: "The impact of leaders on social work practice with children and families",
}


class FrameworkOutcome(StrEnum):
    """The national framework's four outcomes, then its three enablers (what leaders, the
    workforce and agencies together make possible)."""

    HELP_THEY_NEED = "help_they_need"
    FAMILY_NETWORK = "family_network"
    SAFE = "safe"
    STABLE_HOMES = "stable_homes"
    MULTI_AGENCY = "multi_agency"
    LEADERS_CONDITIONS = "leaders_conditions"
    WORKFORCE = "workforce"

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self]

    @property
    def enabler(self) -> bool:
        return self in ENABLERS


OUTCOME_LABELS = {
    FrameworkOutcome.HELP_THEY_NEED: "Children, young people and families stay together and get "
    "the help they need",
    FrameworkOutcome.FAMILY_NETWORK: "Children and young people are supported by their family "
    "network",
    FrameworkOutcome.SAFE: "Children and young people are safe in and outside of their homes",
    FrameworkOutcome.STABLE_HOMES: "Children in care and care leavers have stable, loving homes",
    FrameworkOutcome.MULTI_AGENCY: "Enabler: multi-agency working is prioritised and effective",
    FrameworkOutcome.LEADERS_CONDITIONS: "Enabler: leaders drive conditions for effective practice",
    FrameworkOutcome.WORKFORCE: "Enabler: the workforce is equipped and effective",
}
ENABLERS = frozenset(
    {
        FrameworkOutcome.MULTI_AGENCY,
        FrameworkOutcome.LEADERS_CONDITIONS,
        FrameworkOutcome.WORKFORCE,
    }
)
