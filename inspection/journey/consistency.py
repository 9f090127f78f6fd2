"""What does not add up on a child's journey, across every source: the ``journey`` rules of the
plausibility catalogue (``evidence.plausibility``), checked on the journey itself so that a
conference from Annex A List 5 and a referral from the CIN census are compared as the journey
shows them.

An inspector judges a child from the journey; a journey that contradicts itself must say so
where it is read (the journey page, the chronology, the command line's journey), naming the
events and dates that disagree. Nothing is changed or hidden: every event stays as recorded.
The same event recorded by two sources (``build.is_same_event``) is shown once and said so
(PL07, a notice rather than a disagreement); two records that start together but end apart
are two events, and said so (PL08).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from inspection.evidence import plausibility
from inspection.journey.build import SSDA903, Journey, JourneyEvent
from inspection.journey.profile import age_in_years

# A pregnancy's length: events before it are before there was a child to be concerned about
# (pre-birth referrals, assessments and conferences about an unborn child are ordinary).
BEFORE_BIRTH = timedelta(weeks=40)
# Steps that belong to an episode a referral opens, and how soon after one a referral would be
# the one that opened their episode.
OPENED_BY_REFERRAL = frozenset(
    {"assessment_start", "strategy_discussion", "icpc", "cin_plan_start", "cp_plan_start"}
)
OPENING_WINDOW = timedelta(days=90)
CARE_KINDS = frozenset(
    {"looked_after_start", "looked_after_end", "care_leaver", "care_leaver_status"}
)
# The sources whose care histories must agree: Annex A's children in care, and the return.
CHILDREN_IN_CARE = "Annex A List 8"
CHILDREN_IN_CARE_WORDS = "Annex A List 8 (children in care)"
RETURN_WORDS = "the SSDA903 return"
# Annex A's List 8 lists the children looked after at any time in the six months before its
# reference date (a child adopted since is in List 10, with the date they entered care).
CHILDREN_IN_CARE_WINDOW = timedelta(days=183)
CHILD_UP_TO = 18  # children's services serve children until they are 18 ...
CARE_LEAVER_UP_TO = 25  # ... and care leavers until they are 25


@dataclass(frozen=True)
class Finding:
    """One rule a journey breaks: the rule's id and severity, and what is wrong in words."""

    rule: str
    severity: str
    message: str

    @property
    def disagreement(self) -> bool:
        """Records that contradict each other (a warning), not a notice such as PL07's."""
        return self.severity != "info"


def _uk(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def _finding(rule_id: str, **values: str) -> Finding:
    rule = plausibility.rule(rule_id)
    return Finding(rule.id, rule.severity, rule.message(**values))


def check(journey: Journey) -> list[Finding]:
    """Every journey rule the journey breaks, in the order of the catalogue, then of dates."""
    return list(_check(journey))


def _check(journey: Journey) -> Iterator[Finding]:
    child, events = journey.child, journey.events
    born, died = child.dob, child.death_date
    if born is not None:
        for e in events:
            if e.start < born - BEFORE_BIRTH:
                yield _finding("PL01", event=e.label, when=_uk(e.start), born=_uk(born))
    if died is not None:
        for e in events:
            if e.start > died:
                yield _finding("PL02", event=e.label, when=_uk(e.start), died=_uk(died))
    reference = journey.reference_date
    if born is not None and reference is not None:
        age = age_in_years(born, min(reference, died) if died else reference)
        care = any(e.kind in CARE_KINDS for e in events)
        limit = CARE_LEAVER_UP_TO if care else CHILD_UP_TO
        if age is not None and age > limit:
            whom = "a care leaver is supported" if care else "children's services serve"
            yield _finding(
                "PL03", age=str(age), reference=_uk(reference), limit=str(limit), whom=whom
            )
    referrals = [e for e in events if e.kind == "referral"]
    for e in events:
        if e.kind in OPENED_BY_REFERRAL and not any(_covers(r, e.start) for r in referrals):
            opening = [r for r in referrals if e.start < r.start <= e.start + OPENING_WINDOW]
            if opening:
                yield _finding(
                    "PL04", event=e.label, when=_uk(e.start), referral=_uk(opening[0].start)
                )
    for e in events:
        if e.kind == "assessment_start" and e.end is not None:
            closed = [r for r in referrals if _covers(r, e.start) and r.end is not None]
            if closed and all(r.end is not None and e.end > r.end for r in closed):
                last = max(r.end for r in closed if r.end is not None)
                yield _finding("PL05", when=_uk(e.end), closed=_uk(last))
    for e in events:
        if e.recorded_twice:
            yield _finding("PL07", event=e.label, when=_uk(e.start), sources=e.recorded_by)
    yield from _different_ends(events)
    yield from _care_agrees(journey)


def _different_ends(events: list[JourneyEvent]) -> Iterator[Finding]:
    """Events of one kind and start day whose recorded ends cannot be one event's."""
    together: dict[tuple[str, date], list[JourneyEvent]] = {}
    for e in events:
        together.setdefault((e.kind, e.start), []).append(e)
    for group in together.values():
        ends = sorted({e.end for e in group if e.end is not None})
        if len(ends) < 2:  # two ends recorded, and different: not compatible_ends
            continue
        first = group[0]
        yield _finding(
            "PL08",
            event=first.label,
            when=_uk(first.start),
            ends=" and ".join(_uk(end) for end in ends),
            count=str(len(group)),
        )


def _sources(e: JourneyEvent) -> set[str]:
    return {r.source for r in e.recordings}


def _care_agrees(journey: Journey) -> Iterator[Finding]:
    """Annex A's children in care list and the SSDA903 return give the same starts of care:
    a start Annex A List 8 gives for a child the return holds must be the return's too, and a
    start the return gives, of care in List 8's six months, for a child Annex A holds must be
    Annex A's (List 8's, or List 10's date the child entered care)."""
    sources = {source for e in journey.events for source in _sources(e)}
    in_return = SSDA903 in sources
    in_annex_a = any(source.startswith("Annex A") for source in sources)
    if not (in_return and in_annex_a):
        return
    reference = journey.reference_date
    for e in journey.events:
        if e.kind != "looked_after_start":
            continue
        given = _sources(e)
        if CHILDREN_IN_CARE in given and SSDA903 not in given:
            yield _finding(
                "PL09", first=CHILDREN_IN_CARE_WORDS, when=_uk(e.start), second=RETURN_WORDS
            )
        elif SSDA903 in given and not any(source.startswith("Annex A") for source in given):
            in_window = reference is None or (
                e.start <= reference
                and (e.end is None or e.end > reference - CHILDREN_IN_CARE_WINDOW)
            )
            if in_window:
                yield _finding(
                    "PL09",
                    first=RETURN_WORDS[:1].upper() + RETURN_WORDS[1:],
                    when=_uk(e.start),
                    second=CHILDREN_IN_CARE_WORDS,
                )


def _covers(referral: JourneyEvent, day: date) -> bool:
    """Whether ``day`` falls in the episode ``referral`` opened (to its closure, if closed)."""
    return referral.start <= day and (referral.end is None or day <= referral.end)
