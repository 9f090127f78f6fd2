"""No child data in URLs (they end up in server and proxy logs and browser history), and no
template that could run injected script."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.routing import Route

from inspection.web.app import create_app
from inspection.web.params import DatabaseIdConvertor
from inspection.web.templating import TEMPLATES_DIR

# Path parameters that are not database ids, and why they carry no child data.
NON_ID_PARAMS = {
    "job_id": "a random token naming an import job",
    "linkage_job_id": "a random token naming a linkage job",
    "verification_id": "a random token naming a sample's verification job",
    "export_id": "a random token naming an export job",
    "agency": "one of the fixed template names (police, health...)",
    "table": "one of the fixed SSDA903 template names (header, episodes...)",
    "action": "respond or close",
    "token": "a random one-time token for setting a password, stored hashed",
}
# Every form that submits with GET (its fields land in the URL), and why that is safe.
GET_FORMS = {
    ("evidence_report.html", "/inspections/{{ inspection.id }}/evidence/uploads/"): (
        "list, severity and rule of validation issues"
    ),
    ("findings.html", "/inspections/{{ inspection.id }}/findings"): "a sample id",
}
CHILD_FIELDS = {
    "q",
    "name",
    "given_name",
    "family_name",
    "dob",
    "date_of_birth",
    "la_child_id",
    "nhs_number",
    "upn",
    "postcode",
    "address",
    "person_id",
}
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)


def _templates() -> list[Path]:
    return sorted(Path(TEMPLATES_DIR).rglob("*.html"))


def test_route_paths_hold_only_database_ids(db):
    app = create_app(db, manage_database=False)
    seen = set()
    for route in app.routes:
        if not isinstance(route, Route):
            continue
        for name, convertor in route.param_convertors.items():
            if name in NON_ID_PARAMS:
                seen.add(name)
                continue
            assert isinstance(convertor, DatabaseIdConvertor), (route.path, name)
            assert name.endswith("_id"), (route.path, name)
    assert seen == set(NON_ID_PARAMS)


def _forms() -> list[tuple[str, str, str, list[str]]]:
    forms = []
    for path in _templates():
        for match in FORM.finditer(path.read_text(encoding="utf-8")):
            attrs, body = match.groups()
            method = re.search(r'\bmethod="(\w+)"', attrs, re.I)
            action = re.search(r'\baction="([^"]*)"', attrs)
            forms.append(
                (
                    path.name,
                    method.group(1).lower() if method else "get",
                    action.group(1) if action else "",
                    re.findall(r'\bname="([^"{]+)"', body),
                )
            )
    return forms


def test_forms_that_put_their_fields_in_the_url_are_known_and_carry_no_child_data():
    forms = _forms()
    assert len(forms) > 20  # the scan finds the app's forms
    get_forms = [f for f in forms if f[1] == "get"]
    known = set()
    for template, _, action, names in get_forms:
        key = next((k for k in GET_FORMS if k[0] == template and action.startswith(k[1])), None)
        assert key is not None, f"{template} submits {action} with GET: use POST or list it"
        known.add(key)
        assert not CHILD_FIELDS & set(names), (template, names)
    assert known == set(GET_FORMS)
    assert {f[1] for f in forms} == {"get", "post"}


def test_child_search_is_a_post():
    """The children list's search, and its pages of results (which carry the search), post."""
    searches = [f for f in _forms() if "q" in f[3]]
    assert sorted(f[0] for f in searches) == [
        "_journey_children_rows.html",
        "journey_children.html",
    ]
    assert {f[1] for f in searches} == {"post"}


def test_templates_have_no_inline_script_or_unescaped_output():
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text, re.I):
            assert "src=" in tag, (path.name, tag)
        assert not re.search(r"\|\s*safe\b", text), path.name
        assert "autoescape false" not in text, path.name
        assert not re.search(r"\son[a-z]+\s*=", text, re.I), path.name  # onclick= etc.
        assert "javascript:" not in text.lower(), path.name
