"""The shell of the app in a real browser: sign-in, keyboard use, accessibility."""

from tests.e2e.conftest import PASSWORD, assert_accessible, sign_in


def test_sign_in_page_is_accessible(page):
    page.goto("/login")
    assert page.title() == "Sign in – Case audit platform"
    assert_accessible(page)


def test_sign_in_by_keyboard_alone(page):
    page.goto("/login")
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")  # service name
    page.keyboard.press("Tab")
    page.keyboard.type("lead@e2e.example")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/inspections")
    assert page.get_by_role("heading", level=1).inner_text() == "Inspections and audits"
    assert_accessible(page)


def test_wrong_password_shows_an_error_summary(page):
    page.goto("/login")
    page.get_by_label("E-mail address").fill("lead@e2e.example")
    page.get_by_label("Password").fill("not it at all")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().startswith("There is a problem")
    assert_accessible(page)


def test_create_inspection_form_is_accessible(page):
    sign_in(page)
    page.get_by_role("link", name="Create an inspection").click()
    page.wait_for_url("**/inspections/new")
    assert_accessible(page)
