"""The moderation page and the audits board as a lead sees them: warnings on figures from few
pairs, each child's second-marking status, and every action offered succeeds."""

from html.parser import HTMLParser

import pytest

from inspection.audit.audits import create_audit, submit_audit
from inspection.audit.moderation import set_plan
from inspection.models.core import Role
from tests.audit.helpers import ALL_GOOD, make_inspection, make_sample, make_user
from tests.audit.test_web_and_cli import _client

WORSE = {**ALL_GOOD, "grade:impact": "inadequate", "evidence:impact": "No change."}
FEW_WARNING = (
    '<span class="govuk-visually-hidden">Warning</span>\n  These figures come from {n} pair{s} '
    "of markings, fewer than 10: too few to say much about how far the markers agree."
)


class Forms(HTMLParser):
    """Every POST form of a page, filled in as a user would: hidden and typed values kept,
    ticked boxes sent, the first real option of each list chosen, each text area written;
    with the words of its button."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, str, dict[str, str]]] = []
        self._form: dict[str, str] | None = None
        self._select: str | None = None
        self._action = ""
        self._button: list[str] = []
        self._in_button = False

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method") == "post":
            self._form, self._action, self._button = {}, a["action"], []
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            if a.get("type") != "checkbox" or "checked" in a:
                self._form[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and a.get("value") and self._select not in self._form:
            self._form[self._select] = a["value"]
        elif tag == "textarea":
            self._form[a["name"]] = "Agreed after talking it through."
        elif tag == "button":
            self._in_button = True

    def handle_data(self, data):
        if self._in_button:
            self._button += data.split()

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "button":
            self._in_button = False
        elif tag == "form" and self._form is not None:
            self.forms.append((self._action, " ".join(self._button), self._form))
            self._form = None


def forms_of(page: str) -> list[tuple[str, str, dict[str, str]]]:
    parser = Forms()
    parser.feed(page)
    return parser.forms


def row_cells(board: str, child: str) -> list[str]:
    row = next(r for r in board.split("<tr ") if f">{child}<" in r)
    return [f"<td{c.split('</td>')[0]}</td>" for c in row.split("<td")[1:]]


def second_column(board: str, child: str) -> str:
    row = next(r for r in board.split("<tr ") if f">{child}<" in r)
    # the cells: sample, stratum, child, first marking, second marking, the authority's audit
    return row.split('<td class="govuk-table__cell">')[5]


async def test_the_lead_sees_each_childs_second_marking_and_every_offered_action_works(db):
    inspection = await make_inspection()
    sample, members = await make_sample(inspection, n=4)
    sample.purpose = "Children in need"
    await sample.save()
    a1 = await make_user(inspection, "a1@x.test", "inspector")
    a2 = await make_user(inspection, "a2@x.test", "inspector")
    lead = await make_user(inspection, "lead@x.test", "lead_inspector")
    await set_plan(inspection.id, sample.id, 1.0, False, lead)
    # Child0: both markings submitted, differing on impact. Child1: first-marked by the lead.
    # Child2: chosen, nobody has started it. Child3: first-marked by a1, waiting for a second.
    first = await create_audit(inspection.id, members[0].id, a1)
    await submit_audit(inspection.id, first.id, a1, Role.INSPECTOR, first.version, ALL_GOOD)
    second = await create_audit(inspection.id, members[0].id, a2, marking="second")
    await submit_audit(inspection.id, second.id, a2, Role.INSPECTOR, second.version, WORSE)
    await create_audit(inspection.id, members[1].id, lead)
    third = await create_audit(inspection.id, members[3].id, a1)
    await submit_audit(inspection.id, third.id, a1, Role.INSPECTOR, third.version, ALL_GOOD)
    base = f"/inspections/{inspection.id}"
    client = await _client(db, "lead@x.test")

    board = (await client.get(f"{base}/audits")).text
    first_cell = row_cells(board, "Child2 Test")[0]
    assert first_cell == '<td class="govuk-table__cell">Children in need</td>'
    assert "Chosen, waiting for the first marking" in second_column(board, "Child2 Test")
    assert "Start second marking" not in second_column(board, "Child2 Test")
    own = second_column(board, "Child1 Test")
    assert "Chosen: to be second-marked by someone other than you, the first auditor" in own
    assert "<button" not in own
    assert "Start second marking" in second_column(board, "Child3 Test")
    assert "Not chosen for second marking" not in board

    moderation = await client.get(f"{base}/moderation")
    assert moderation.status_code == 200
    assert FEW_WARNING.format(n=1, s="") in moderation.text
    assert "(audit " not in moderation.text
    assert "Child0 Test: " in moderation.text and "first marking by a1</a>" in moderation.text

    offered = [
        form
        for form in forms_of(board) + forms_of(moderation.text)
        if form[0].startswith(f"{base}/")  # not the header's sign-out
    ]
    assert sorted(button for _, button, _ in offered) == [
        "Record agreed grade",  # impact
        "Record agreed grade",  # the overall judgement
        "Set second marking for Children in need",
        "Start first marking of Child2 Test",
        "Start second marking of Child3 Test",
    ]
    for action, button, data in offered:
        done = await client.post(action, data=data)
        assert done.status_code == 303, (button, done.text[:500])
        assert (await client.get(done.headers["location"])).status_code == 200, button
    await client.aclose()


@pytest.mark.parametrize("last_assessment", ["good", "not_applicable"])
async def test_figures_from_ten_pairs_carry_no_warning_unless_a_domain_has_fewer(
    db, last_assessment
):
    inspection = await make_inspection()
    sample, members = await make_sample(inspection, n=10)
    a1 = await make_user(inspection, "a1@x.test", "inspector")
    a2 = await make_user(inspection, "a2@x.test", "inspector")
    lead = await make_user(inspection, "lead@x.test", "lead_inspector")
    await set_plan(inspection.id, sample.id, 1.0, False, lead)
    client = await _client(db, "lead@x.test")
    page = f"/inspections/{inspection.id}/moderation"
    for i, m in enumerate(members):
        first = await create_audit(inspection.id, m.id, a1)
        graded = {**ALL_GOOD, "grade:assessment": last_assessment} if i == 9 else ALL_GOOD
        await submit_audit(inspection.id, first.id, a1, Role.INSPECTOR, first.version, graded)
        second = await create_audit(inspection.id, m.id, a2, marking="second")
        grades = WORSE if i % 2 else ALL_GOOD
        await submit_audit(inspection.id, second.id, a2, Role.INSPECTOR, second.version, grades)
        if i == 8:
            assert FEW_WARNING.format(n=9, s="s") in (await client.get(page)).text
    text = (await client.get(page)).text
    assert "10 children have both markings submitted." in text
    if last_assessment == "good":
        assert "govuk-warning-text" not in text
    else:
        assert text.count("govuk-warning-text__text") == 1
        assert (
            '<span class="govuk-visually-hidden">Warning</span>\n  Quality of assessment and '
            "analysis: this figure comes from fewer than 10 pairs of markings (Not applicable "
            "grades are left out), too few to say much about how far the markers agree."
        ) in text
    await client.aclose()
