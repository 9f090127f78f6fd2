"""The dates Annex A and the census now place on the journey (visits, the child seen, reviews,
checks, an expected birth, a death) are work with the child or a life's own dates: they are
drawn in their own colour and key, and never open an episode or move the first sign of need."""

from datetime import date

from inspection.journey import details, kinds
from inspection.journey.build import ChildSummary, Journey, JourneyEvent, episodes_of
from inspection.journey.timeline import timeline_for


def _event(n: int, kind: str, start: date) -> JourneyEvent:
    return JourneyEvent(n, start, None, "social_care", kind, kinds.label(kind), "a.xlsx", "", n, {})


def test_visits_and_checks_are_not_signs_of_need_and_have_their_own_key():
    events = [
        _event(1, "child_seen", date(2026, 1, 5)),
        _event(2, "statutory_visit", date(2026, 2, 5)),
        _event(3, "health_assessment", date(2026, 3, 5)),
        _event(4, "death", date(2026, 4, 5)),
        _event(5, "referral", date(2026, 5, 5)),
    ]
    (episode,) = episodes_of(events)
    assert (episode.need_start, episode.signals) == (date(2026, 5, 5), 1)
    assert [k for k in ("child_seen", "statutory_visit", "death") if kinds.is_need(k)] == []
    journey = Journey(
        ChildSummary(1, "C1", "Ava", "Cole", None, "", "", "", "", ""),
        date(2026, 11, 2),
        events,
        [episode],
        date(2026, 5, 5),
        None,
    )
    t = timeline_for(journey)
    marks = {m.kind: (m.category, m.colour) for lane in t.lanes for m in lane.marks}
    assert marks == {
        "child_seen": ("practice", "#28a197"),
        "statutory_visit": ("practice", "#28a197"),
        "health_assessment": ("practice", "#28a197"),
        "death": ("life", "#0b0c0c"),
        "referral": ("signal", "#d4351c"),
    }
    assert [words for category, _, words in t.legend] == [
        "Sign of need (from any agency)",
        "Work with the child (visit, the child seen, review, health or dental check)",
        "Expected birth or death",
    ]


def test_every_kind_has_a_plain_english_label():
    assert all(label and "_" not in label for label in kinds.LABELS.values())


def test_a_visits_details_do_not_repeat_its_own_date_but_keep_the_rows_others():
    attributes = {"last_visit": "2026-02-05", "cp_start": "2025-12-01", "seen_alone": "Y"}
    lines = details.lines_of("statutory_visit", date(2026, 2, 5), attributes)
    assert [label for label, _ in lines] == [
        details.label_of("statutory_visit", "cp_start"),
        details.label_of("statutory_visit", "seen_alone"),
    ]
    assert [words for _, words in lines] == ["01/12/2025", "Yes"]
