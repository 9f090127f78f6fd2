import json

from tests.conftest import run_cli

HEADER = (
    "record_id,person_id,nhs_number,upn,la_child_id,given_name,family_name,date_of_birth,"
    "sex,postcode,address,event_date,event_end_date,event_type,details,lead_professional\n"
)
SOCIAL_CARE = (
    HEADER
    + """SC1,J100,4857773456,,J100,Thomas,Smith-Khan,03/04/2015,M,XS1 2AB,1 Elm Road,,,,,
"""
)
POLICE = (
    HEADER
    + """OCC1,PP1,,,,Tommy,Khan,04/03/2015,M,XS1 2AB,1 Elm Road,05/01/2024,,\
domestic_abuse_notification,Children present,
"""
)
EARLY_HELP = (
    HEADER
    + """EHE1,EH1,,,J100,Thomas,Smith-Khan,03/04/2015,M,XS1 2AB,1 Elm Road,01/02/2024,,\
early_help_episode,,Family support team
"""
)


def test_link_then_show_a_journey(cli_env, tmp_path):
    out = run_cli(["la", "add", "JRN", "Journey Council", "--json"], cli_env)
    assert out.returncode == 0, out.stderr
    out = run_cli(
        [
            "inspection",
            "create",
            "--la",
            "JRN",
            "--kind",
            "jtai",
            "--title",
            "J",
            "--reference-date",
            "2026-11-02",
            "--json",
        ],
        cli_env,
    )
    inspection = json.loads(out.stdout)["id"]
    for agency, text in (
        ("social_care", SOCIAL_CARE),
        ("police", POLICE),
        ("early_help", EARLY_HELP),
    ):
        path = tmp_path / f"{agency}.csv"
        path.write_text(text)
        out = run_cli(
            ["import", "agency", str(path), "--inspection", str(inspection), "--agency", agency],
            cli_env,
        )
        assert out.returncode == 0, out.stderr

    out = run_cli(["link", "--inspection", str(inspection), "--json"], cli_env)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["records"] == 3 and doc["children"] == 1
    assert doc["auto_linked"] == 1 and doc["for_review"] == 0
    assert doc["sources_per_child"] == {"3": 1}

    out = run_cli(
        ["journey", "show", "--inspection", str(inspection), "--child", "J100", "--json"], cli_env
    )
    assert out.returncode == 0, out.stderr
    journey = json.loads(out.stdout)
    assert journey["first_need"] == "2024-01-05"
    assert journey["first_help"] == "2024-02-01"
    assert [(e["date"], e["agency"], e["kind"], e["source_file"]) for e in journey["events"]] == [
        ("2024-01-05", "police", "police_domestic_abuse", "police.csv"),
        ("2024-02-01", "early_help", "early_help_start", "early_help.csv"),
    ]
    assert journey["indicators"]["days_to_help"] == 27
    assert journey["indicators"]["agencies_before_help"] == 1
    assert journey["events"][0]["detail_lines"] == [
        "The agency's record reference: OCC1",
        "What the agency recorded: Children present",
    ]
    # Every identifier each source gave, the NHS number (whose check digit is wrong) first.
    assert [
        (i["scheme"], i["value"], i["source"], i["valid"]) for i in journey["identifiers"]["held"]
    ] == [
        ("nhs_number", "4857773456", "Children's social care (social_care.csv)", False),
        ("la_child_id", "J100", "Early help (early_help.csv)", None),
        ("la_child_id", "J100", "Children's social care (social_care.csv)", None),
        ("police_id", "PP1", "Police (police.csv)", None),
        ("agency_id", "EH1", "Early help (early_help.csv)", None),
    ]

    out = run_cli(["journey", "show", "--inspection", str(inspection), "--child", "J100"], cli_env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[:13] == [
        "Child J100: first need 05/01/2024, help started 01/02/2024.",
        "Identifiers:",
        "  NHS number: 4857773456, from Children's social care (social_care.csv), does not pass "
        "the check",
        "  Local authority's child id: J100, from Early help (early_help.csv)",
        "  Local authority's child id: J100, from Children's social care (social_care.csv)",
        "  Police person id: PP1, from Police (police.csv)",
        "  Early help person id: EH1, from Early help (early_help.csv)",
        "05/01/2024  Police: Police domestic abuse notification  [Police extract]",
        "    The agency's record reference: OCC1",
        "    What the agency recorded: Children present",
        "01/02/2024  Early help: Early help started  [Early help extract]",
        "    The agency's record reference: EHE1",
        "    Lead professional: Family support team",
    ]
    assert "  Days from first sign of need to help starting (the child's wait): 27" in lines
    assert not any("2024-" in line for line in lines)


def test_unknown_child_is_bad_input(cli_env):
    out = run_cli(["journey", "show", "--inspection", "999999", "--child", "X"], cli_env)
    assert out.returncode == 1
    assert out.stderr.strip() == "There is no inspection 999999."
    out = run_cli(["journey", "show", "--inspection", "1"], cli_env)
    assert out.returncode == 2
