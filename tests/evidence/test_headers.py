from inspection.evidence.headers import LISTS, header_key


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
