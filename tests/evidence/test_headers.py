from inspection.evidence.headers import LISTS, header_key
from inspection.journey import kinds
from inspection.synthetic import codes as synthetic_codes


def test_header_key_ignores_case_spacing_quotes_question_mark_and_yn_typo():
    assert header_key("Referral NFA?") == header_key("referral  nfa ") == "referral nfa"
    assert header_key("Child’s Category of Need") == header_key("Child's Category of Need")
    assert header_key("Date Ceased to be Looked After ") == "date ceased to be looked after"
    assert (
        header_key("Subject to EPO (Y/N))")
        == header_key("Subject to EPO (Y/N)")
        == header_key("Subject to EPO")
    )
    assert header_key("Does the Child have a Disability?") == "does the child have a disability"


def test_known_variants_match_their_column():
    assert LISTS[1].match("Age").key == "age"
    assert LISTS[1].match("Date of Contact ").key == "contact_date"
    assert LISTS[3].match("Date of Referral").key == "referral_date"
    assert LISTS[3].match("Referral NFA").key == "nfa"
    assert (
        LISTS[4].match("Was the child assessed as requiring LA children's social care support").key
        == "requires_support"
    )
    assert LISTS[6].match("Case status").key == LISTS[6].match("Case Status").key == "case_status"
    assert (
        LISTS[7]
        .match(
            "Subject to Emergency Protection Order or Protected Under Police Powers "
            "in Last Six Months (Y/N))"
        )
        .key
        == "epo"
    )
    assert LISTS[8].match("Child’s Category of Need").key == "category_of_need"
    assert LISTS[9].match("LA In Touch ").key == LISTS[9].match("LA in Touch").key == "in_touch"


def test_unknown_header_does_not_match():
    assert LISTS[1].match("Favourite colour") is None


def test_each_list_names_its_events_and_date_order_from_its_own_columns():
    for number, schema in LISTS.items():
        keys = {c.key for c in schema.columns}
        for event in schema.events:
            assert event.kind in kinds.LABELS, (number, event)
            assert {event.date, event.end} - {""} <= keys, (number, event)
        for earlier, later in schema.order:
            assert {earlier, later} <= keys, (number, earlier, later)
    assert [e.kind for e in LISTS[6].events] == ["referral", "child_seen"]
    assert (LISTS[6].events[0].date, LISTS[6].events[0].end) == ("cin_start", "cin_closure")
    assert [e.kind for e in LISTS[9].events] == ["pathway_plan_review", "care_leaver_contact"]
    assert LISTS[9].placing_dates == () and not LISTS[11].events


def test_the_synthetic_workbook_writes_every_lists_columns_as_the_reader_knows_them():
    for number, schema in LISTS.items():
        written = [schema.match(h) for h in synthetic_codes.HEADERS[number]]
        assert None not in written, number
        current = [c for c in schema.columns if c.since <= 2019]
        assert written == current, number
