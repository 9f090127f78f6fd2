"""The answer key: every synthetic child, the source records that are truly them, and their
journey as events (``truth.json``, described in docs/synthetic.md)."""

from __future__ import annotations

import json
from datetime import date
from typing import IO, Any

from inspection.journey import kinds
from inspection.synthetic.journeys import PARTNER_KINDS, Journey, Window, birthday

# The event vocabulary is the journey's own (one definition): the kinds, their order on one
# day, and which are help, the end of help, or an outcome of care.
KINDS = tuple(kinds.LABELS)
HELP_KINDS = kinds.HELP_KINDS
END_KINDS = kinds.END_KINDS
OUTCOME_KINDS = kinds.OUTCOME_KINDS
# Signals of need: everything that is not help, the end of help, or an outcome of care.
NEED_KINDS = frozenset(KINDS) - kinds.NEED_EXCLUDED
_ORDER = kinds.ORDER

Event = tuple[date, date | None, str, str]  # (date, end, agency, kind)


def in_list_8(journey: Journey, window: Window) -> bool:
    care = journey.episodes[-1].care if journey.episodes else None
    return care is not None and (care.end is None or care.end >= window.start)


def events(journey: Journey, window: Window) -> list[Event]:
    """The child's journey: exactly the events some output file shows."""
    out: list[Event] = []
    add = out.append
    for day, _source in journey.contacts:
        add((day, None, "social_care", "contact"))
    for eh in journey.early_help:
        add((eh.start, eh.end, "early_help", "early_help_start"))
        if eh.end is not None:
            add((eh.end, None, "early_help", "early_help_end"))
    visible_care = in_list_8(journey, window)
    for ep in journey.episodes:
        add((ep.referral, None, "social_care", "referral"))
        for a in ep.assessments:
            add((a.start, a.authorised, "social_care", "assessment_start"))
            if a.authorised is not None:
                add((a.authorised, None, "social_care", "assessment_authorised"))
        for s in ep.s47s:
            add((s.start, None, "social_care", "strategy_discussion"))
            if s.icpc is not None:
                add((s.icpc, None, "social_care", "icpc"))
        for p in ep.cin_plans:
            add((p.start, p.end, "social_care", "cin_plan_start"))
            if p.end is not None:
                add((p.end, None, "social_care", "cin_plan_end"))
        for c in ep.cp_plans:
            add((c.start, c.end, "social_care", "cp_plan_start"))
            if c.end is not None:
                add((c.end, None, "social_care", "cp_plan_end"))
        care = ep.care
        if care is None:
            continue
        add((care.start, care.end, "social_care", "looked_after_start"))
        if visible_care and care.end is not None:
            add((care.end, None, "social_care", "looked_after_end"))
        if visible_care and care.placement_start > care.start:
            add((care.placement_start, None, "social_care", "placement_change"))
        ad = care.adoption
        if ad is not None:
            add((ad.decision, None, "social_care", "adoption_decision"))
            for milestone, kind in (
                (ad.placement_order, "placement_order"),
                (ad.match, "adoption_match"),
                (ad.placed, "placed_for_adoption"),
                (ad.order, "adoption_order"),
            ):
                if milestone is not None:
                    add((milestone, None, "social_care", kind))
    if journey.care_leaver is not None:
        add((birthday(journey.person.dob, 18), None, "social_care", "care_leaver"))
    for pe in journey.partner:
        add((pe.day, pe.end, pe.agency, PARTNER_KINDS[(pe.agency, pe.event_type)]))
    out.sort(key=lambda e: (e[0], _ORDER[e[3]], e[2]))
    return out


def first_need(evs: list[Event]) -> date | None:
    return min((e[0] for e in evs if e[3] in NEED_KINDS), default=None)


def first_help(evs: list[Event]) -> date | None:
    return min((e[0] for e in evs if e[3] in HELP_KINDS), default=None)


class TruthWriter:
    """Streams ``truth.json``: one JSON document, one child per line inside ``children``."""

    def __init__(self, fh: IO[str], meta: dict[str, Any]) -> None:
        self.fh = fh
        head = json.dumps(meta, sort_keys=True, indent=None)
        fh.write(head[:-1] + ', "children": [\n')
        self.first = True

    def child(self, journey: Journey, evs: list[Event]) -> None:
        p = journey.person
        need = first_need(evs)
        help_ = first_help(evs)
        doc = {
            "key": p.key,
            "la_child_id": p.la_child_id,
            "given_name": p.given,
            "family_name": p.family,
            "date_of_birth": p.dob.isoformat(),
            "sex": p.sex,
            "records": [list(r) for r in p.person_ids],
            "sibling_group": p.sibling_group,
            "twin": p.twin,
            "first_need": need.isoformat() if need else None,
            "first_help": help_.isoformat() if help_ else None,
            "events": [
                {
                    "date": d.isoformat(),
                    "end": e.isoformat() if e else None,
                    "agency": agency,
                    "kind": kind,
                }
                for d, e, agency, kind in evs
            ],
        }
        self.fh.write(("" if self.first else ",\n") + json.dumps(doc, sort_keys=False))
        self.first = False

    def close(self) -> None:
        self.fh.write("\n]}\n")
