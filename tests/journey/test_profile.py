from datetime import date

from inspection.journey.profile import age_label, display_name, legal_status

REF = date(2026, 11, 2)


def test_a_child_without_a_name_is_named_by_authority_id_and_date_of_birth():
    assert display_name("Amy", "Cole", "C1", date(2015, 1, 2)) == "Amy Cole"
    assert display_name("", "", "C1", date(2015, 1, 2)) == "Child C1, born 02/01/2015"
    assert display_name(None, None, "C1", None) == "Child C1"
    assert display_name("", "", None, date(2015, 1, 2)) == (
        "Unnamed child known to partner agencies, born 02/01/2015"
    )


def test_age_at_the_reference_date():
    assert age_label(date(2025, 11, 3), REF) == "Under 1"
    assert age_label(date(2010, 11, 2), REF) == "16"
    assert age_label(date(2010, 11, 3), REF) == "15"
    assert age_label(None, REF) == "Not known"


def test_legal_status_is_the_most_significant_open_episode():
    assert legal_status([], REF) == "No plan open"
    cin = ("cin_plan_start", date(2026, 1, 1), None)
    cp_ended = ("cp_plan_start", date(2025, 1, 1), date(2025, 6, 1))
    assert legal_status([cin, cp_ended], REF) == "Child in need"
    care = ("looked_after_start", date(2026, 2, 1), None)
    assert (
        legal_status([cin, care], REF, {"legal_status": "C2"}) == "Looked after (Full care order)"
    )
    assert legal_status([("cp_plan_start", date(2026, 12, 1), None)], REF) == "No plan open"
