import csv
import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from inspection.cli import main
from inspection.evidence import agencies
from inspection.journey import kinds
from inspection.synthetic import FILES, generate
from inspection.synthetic.journeys import PARTNER_KINDS, birthday
from inspection.synthetic.truth import HELP_KINDS, NEED_KINDS
from tests.evidence.workbooks import TEMPLATE

SEED = 20261125
TEXT_FILES = [f for f in FILES if not f.endswith(".xlsx")]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("clean")
    return out, generate(200, SEED, out)


@pytest.fixture(scope="module")
def lists(clean: tuple[Path, dict]) -> dict[int, list[dict]]:
    wb = CalamineWorkbook.from_path(str(clean[0] / "annex_a.xlsx"))
    out = {}
    for n in range(1, 12):
        rows = wb.get_sheet_by_name(f"List_{n}").to_python()
        out[n] = [dict(zip(rows[1], row, strict=False)) for row in rows[2:]]
    return out


@pytest.fixture(scope="module")
def truth(clean: tuple[Path, dict]) -> dict:
    return json.loads((clean[0] / "truth.json").read_text())


def _ddmmyyyy(text: str) -> date | None:
    if not text:
        return None
    day, month, year = text.split("/")
    return date(int(year), int(month), int(day))


def _file_events(out: Path, lists: dict[int, list[dict]]) -> dict[tuple[str, str], set]:
    """Every event the files show, keyed by (agency, person id); LA records by la_child_id."""
    found: dict[tuple[str, str], set] = defaultdict(set)

    def add(child: str, kind: str, day: object) -> None:
        if isinstance(day, date):
            found[("social_care", child)].add((kind, day))

    for row in lists[1]:
        add(row["Child Unique ID"], "contact", row["Date of Contact"])
    for row in lists[2]:
        add(row["Child Unique ID"], "early_help_start", row["Assessment start date"])
        add(row["Child Unique ID"], "early_help_end", row["Assessment completion date"])
    for row in lists[3]:
        add(row["Child Unique ID"], "referral", row["Date of referral"])
    for row in lists[4]:
        add(row["Child Unique ID"], "assessment_start", row["Continuous Assessment Start Date"])
        add(
            row["Child Unique ID"],
            "assessment_authorised",
            row["Continuous Assessment Date of Authorisation"],
        )
    for row in lists[5]:
        child = row["Child Unique ID"]
        add(
            child,
            "strategy_discussion",
            row["Strategy discussion initiating Section 47 Enquiry Start Date"],
        )
        add(child, "icpc", row["Date of Initial Child Protection Conference"])
    for row in lists[7]:
        add(row["Child Unique ID"], "cp_plan_start", row["Child Protection Plan Start Date"])
        add(row["Child Unique ID"], "cp_plan_end", row["Child Protection Plan End Date"])
    for row in lists[8]:
        child, start = row["Child Unique ID"], row["Date Started to be Looked After"]
        add(child, "looked_after_start", start)
        add(child, "looked_after_end", row["Date Ceased to be Looked After "])
        if row["Start Date of Most Recent Placement"] > start:
            add(child, "placement_change", row["Start Date of Most Recent Placement"])
    for row in lists[9]:
        add(row["Child Unique ID"], "care_leaver", birthday(row["Date of Birth"], 18))
    for row in lists[10]:
        child = row["Child Unique ID"]
        add(child, "looked_after_start", row["Date the Child Entered Care"])
        for header, kind in (
            ("Date of Decision that Child Should be Placed for Adoption", "adoption_decision"),
            ("Date of Placement Order", "placement_order"),
            ("Date of Matching Child and Prospective Adopters", "adoption_match"),
            ("Date Placed for Adoption", "placed_for_adoption"),
            ("Date of Adoption Order ", "adoption_order"),
        ):
            add(child, kind, row[header])
    root = ET.parse(out / "cin_census.xml").getroot()  # noqa: S314 (our own file)
    paths = (
        ("CINreferralDate", "referral"),
        ("Assessments/AssessmentActualStartDate", "assessment_start"),
        ("Assessments/AssessmentAuthorisationDate", "assessment_authorised"),
        ("CINPlanDates/CINPlanStartDate", "cin_plan_start"),
        ("CINPlanDates/CINPlanEndDate", "cin_plan_end"),
        ("Section47/S47ActualStartDate", "strategy_discussion"),
        ("Section47/DateOfInitialCPC", "icpc"),
        ("ChildProtectionPlans/CPPstartDate", "cp_plan_start"),
        ("ChildProtectionPlans/CPPendDate", "cp_plan_end"),
    )
    for child in root.iter("Child"):
        la_id = child.findtext("ChildIdentifiers/LAchildID")
        for episode in child.iter("CINdetails"):
            for path, kind in paths:
                for element in episode.findall(path):
                    add(la_id, kind, date.fromisoformat(element.text))
    for agency in ("police", "health", "education", "early_help"):
        with open(out / f"{agency}.csv", newline="") as fh:
            for row in csv.DictReader(fh):
                key = (agency, row["person_id"])
                start, end = _ddmmyyyy(row["event_date"]), _ddmmyyyy(row["event_end_date"])
                if agency == "early_help":
                    found[key].add(("early_help_start", start))
                    if end:
                        found[key].add(("early_help_end", end))
                else:
                    found[key].add((PARTNER_KINDS[(agency, row["event_type"])], start))
    return found


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    generate(120, 7, tmp_path / "a")
    generate(120, 7, tmp_path / "b")
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_different_seed_gives_different_files(tmp_path: Path) -> None:
    generate(120, 7, tmp_path / "a")
    generate(120, 8, tmp_path / "b")
    for name in TEXT_FILES:
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "b" / name).read_bytes(), name


def test_every_list_has_the_template_title_and_headers(clean: tuple[Path, dict]) -> None:
    template = CalamineWorkbook.from_path(str(TEMPLATE))
    made = CalamineWorkbook.from_path(str(clean[0] / "annex_a.xlsx"))
    for n in range(1, 12):
        expected = template.get_sheet_by_name(f"List_{n}").to_python()[:2]
        got = made.get_sheet_by_name(f"List_{n}").to_python()[:2]
        assert got[0][0] == expected[0][0]
        assert got[1] == [h for h in expected[1] if h != ""]


def test_codes_come_from_the_template_codes_used_sheet(lists: dict[int, list[dict]]) -> None:
    rows = CalamineWorkbook.from_path(str(TEMPLATE)).get_sheet_by_name("Codes_used").to_python()
    allowed = {str(v) for row in rows[2:] for v in row if str(v).strip()}
    checked = 0
    for n, header in (
        (1, "Gender"),
        (1, "Ethnicity"),
        (1, "Contact Source"),
        (3, "Referral NFA?"),
        (6, "Primary Need Code"),
        (6, "Case status"),
        (6, "Reason for Closure"),
        (7, "Initial Category of Abuse"),
        (8, "Child's Legal Status"),
        (8, "Placement Type"),
    ):
        for row in lists[n]:
            if row[header] != "":
                assert row[header] in allowed, (n, header, row[header])
                checked += 1
    assert checked > 200


def test_lists_are_mutually_consistent(
    lists: dict[int, list[dict]], clean: tuple[Path, dict]
) -> None:
    cin = {row["Child Unique ID"]: row for row in lists[6]}
    referred = {row["Child Unique ID"] for row in lists[3]}
    root = ET.parse(clean[0] / "cin_census.xml").getroot()  # noqa: S314
    census = {
        c.findtext("ChildIdentifiers/LAchildID"): {e.text for e in c.iter("CINreferralDate")}
        for c in root.iter("Child")
    }
    assert len(lists[6]) == len(cin)  # one row per child
    assert lists[7] and lists[8]
    for row in lists[7]:
        assert row["Child Unique ID"] in cin
    for child, row in cin.items():
        start = row["CIN Start Date"].isoformat()
        assert child in referred or start in census[child]
    for row in lists[8]:
        assert cin[row["Child Unique ID"]]["Case status"] == "a) Looked after child"
    contacts = {(r["Child Unique ID"], r["Date of Contact"]) for r in lists[1]}
    window_start = date(2026, 5, 2)
    for row in lists[3]:
        day = row["Date of referral"]
        if day - timedelta(days=2) < window_start:
            continue  # its contact may fall before the window
        assert any((row["Child Unique ID"], day - timedelta(days=k)) in contacts for k in range(3))


def test_truth_events_are_exactly_the_events_in_the_files(
    clean: tuple[Path, dict], lists: dict[int, list[dict]], truth: dict
) -> None:
    found = _file_events(clean[0], lists)
    assert len(truth["children"]) == 200
    claimed = set()
    for child in truth["children"]:
        expected = {(e["kind"], date.fromisoformat(e["date"])) for e in child["events"]}
        shown: set = set()
        for agency, pid in child["records"]:
            shown |= found[(agency, pid)]
            claimed.add((agency, pid))
        assert shown == expected, child["key"]
        need = min((d for k, d in shown if k in NEED_KINDS), default=None)
        help_ = min((d for k, d in shown if k in HELP_KINDS), default=None)
        assert child["first_need"] == (need.isoformat() if need else None)
        assert child["first_help"] == (help_.isoformat() if help_ else None)
        assert child["first_need"] is not None
    assert set(found) == claimed  # no record in the files belongs to nobody


def test_siblings_twins_and_lookalikes_are_distinct_children(truth: dict) -> None:
    children = truth["children"]
    groups = defaultdict(list)
    for child in children:
        if child["sibling_group"]:
            groups[child["sibling_group"]].append(child)
    assert len(groups) >= 20
    twins = [c for c in children if c["twin"]]
    assert twins
    for twin in twins:
        pair = [
            c
            for c in groups[twin["sibling_group"]]
            if c["twin"] and c["date_of_birth"] == twin["date_of_birth"]
        ]
        assert len(pair) == 2
        assert pair[0]["family_name"] == pair[1]["family_name"]
        assert pair[0]["given_name"] != pair[1]["given_name"]
        assert pair[0]["key"] != pair[1]["key"]
    keys = [c["key"] for c in children]
    assert len(keys) == len(set(keys))
    la_ids = [c["la_child_id"] for c in children if c["la_child_id"]]
    assert len(la_ids) == len(set(la_ids))


def test_lookalikes_share_birth_date_and_surname(tmp_path: Path) -> None:
    summary = generate(1500, 3, tmp_path)
    assert summary["lookalikes"] > 0
    children = json.loads((tmp_path / "truth.json").read_text())["children"]
    by_dob_and_name = defaultdict(list)
    for child in children:
        by_dob_and_name[(child["date_of_birth"], child["family_name"])].append(child)
    unrelated = [
        group
        for group in by_dob_and_name.values()
        if len(group) > 1 and len({c["sibling_group"] for c in group}) > 1
    ]
    assert len(unrelated) >= summary["lookalikes"] // 2


def test_partner_agencies_use_their_own_ids(clean: tuple[Path, dict]) -> None:
    prefixes = {"police": "PP", "health": "H", "education": "EP", "early_help": "EH"}
    for agency, prefix in prefixes.items():
        with open(clean[0] / f"{agency}.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert rows, agency
        assert all(r["person_id"].startswith(prefix) for r in rows)
        assert list(rows[0]) == [
            "record_id",
            "person_id",
            "nhs_number",
            "upn",
            "la_child_id",
            "given_name",
            "family_name",
            "date_of_birth",
            "sex",
            "postcode",
            "address",
            "event_date",
            "event_end_date",
            "event_type",
            "details",
            "lead_professional",
        ]
    with open(clean[0] / "health.csv", newline="") as fh:
        health = list(csv.DictReader(fh))
    assert sum(1 for r in health if r["nhs_number"]) > len(health) * 0.8


def test_messy_workbook_records_its_mess(tmp_path: Path) -> None:
    summary = generate(200, SEED, tmp_path, messy=True)
    names = CalamineWorkbook.from_path(str(tmp_path / "annex_a.xlsx")).sheet_names
    assert "Contacts" in names and "Sec47 and ICPC" in names and "List 2" in names
    changes = {m["change"] for m in summary["mess"]}
    assert {
        "sheet renamed",
        "header variant",
        "blank row above headers",
        "title row removed (headers in row 1)",
        "duplicate rows",
    } <= changes
    wb = CalamineWorkbook.from_path(str(tmp_path / "annex_a.xlsx"))
    assert wb.get_sheet_by_name("Contacts").to_python()[1][4] == "Age"
    assert wb.get_sheet_by_name("List_4").to_python()[0][0] == "Child Unique ID"


def test_cli_synth_writes_files_and_prints_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["synth", "--children", "30", "--seed", "5", "--out", str(tmp_path / "la"), "--json"]
    )
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["children"] == 30
    assert sorted(p.name for p in (tmp_path / "la").iterdir()) == sorted(FILES)


def test_cli_synth_rejects_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["synth", "--children", "0", "--seed", "1", "--out", str(tmp_path)]) == 1
    assert capsys.readouterr().err == "--children must be at least 1 (got 0).\n"
    target = tmp_path / "file.txt"
    target.write_text("x")
    assert main(["synth", "--children", "5", "--seed", "1", "--out", str(target)]) == 1
    assert capsys.readouterr().err == f"--out {target} is a file, not a directory.\n"


def test_committed_demo_fixture_is_what_the_generator_writes(tmp_path: Path) -> None:
    fixture = Path(__file__).parents[2] / "fixtures" / "demo"
    generate(300, SEED, tmp_path, date(2026, 11, 2))
    for name in TEXT_FILES:
        assert (tmp_path / name).read_bytes() == (fixture / name).read_bytes(), name


def test_the_generator_speaks_only_the_importers_and_the_journeys_vocabulary(
    clean: tuple[Path, dict], truth: dict
) -> None:
    out = clean[0]
    typed = set()
    for agency in ("police", "health", "education", "early_help"):
        with open(out / f"{agency}.csv", newline="") as fh:
            typed |= {(agency, row["event_type"]) for row in csv.DictReader(fh)}
    known = {(agency, t) for agency, types in agencies.KINDS.items() for t in types}
    assert typed <= known
    assert {a for a, _ in typed} == {"police", "health", "education", "early_help"}
    told = {(e["agency"], e["kind"]) for child in truth["children"] for e in child["events"]}
    assert {kind for _, kind in told} <= set(kinds.LABELS)
    assert {agency for agency, _ in told} <= set(kinds.AGENCY_LABELS)
    assert set(PARTNER_KINDS.values()) <= set(kinds.LABELS)
