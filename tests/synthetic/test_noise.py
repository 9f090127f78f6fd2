"""The noisy generator's answer key and the kinds of untidiness each noise level stands for,
on a fixed seed: truth lists which records are one child, and every difference between a
partner's record and the child is one of the stated kinds."""

import csv
import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from inspection.synthetic import generate
from inspection.synthetic.noise import NOISE

SEED = 4242
PARTNERS = ("police", "health", "education", "early_help")


def _load(out: Path) -> tuple[dict, dict[tuple[str, str], list[dict]]]:
    truth = json.loads((out / "truth.json").read_text())
    rows: dict[tuple[str, str], list[dict]] = {}
    for agency in ("social_care", *PARTNERS):
        with (out / f"{agency}.csv").open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                rows.setdefault((agency, row["person_id"]), []).append(row)
    return truth, rows


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict, dict, dict]]:
    out = {}
    for noise in ("basic", "severe"):
        path = tmp_path_factory.mktemp(noise)
        summary = generate(300, SEED, path, noise=noise)
        out[noise] = (summary, *_load(path))
    return out


def _dob(text: str) -> date | None:
    if not text:
        return None
    d, m, y = text.split("/")
    return date(int(y), int(m), int(d))


def _kind(true: date, recorded: date | None) -> str:
    """How a recorded date of birth differs from the child's."""
    if recorded is None:
        return "blank"
    if recorded == true:
        return "same"
    if (recorded.day, recorded.month) == (true.month, true.day):
        return "day and month swapped"
    if abs((recorded - true).days) == 1:
        return "one day apart"
    if recorded == date(true.year, true.month, 1) or recorded == date(true.year, 1, 1):
        return "day not known"
    a = f"{true.day:02d}{true.month:02d}{true.year:04d}"
    b = f"{recorded.day:02d}{recorded.month:02d}{recorded.year:04d}"
    diff = [i for i in range(8) if a[i] != b[i]]
    if len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]:
        return "two digits transposed"
    return f"other: {true} {recorded}"


def _kinds(truth: dict, rows: dict) -> Counter:
    """Across partner records: dates of birth by kind, swapped names, records per agency."""
    found: Counter = Counter()
    for child in truth["children"]:
        true = date.fromisoformat(child["date_of_birth"])
        per_agency = Counter(a for a, _ in child["records"] if a != "social_care")
        found["children with two records in one agency"] += any(n > 1 for n in per_agency.values())
        for agency, pid in child["records"]:
            if agency == "social_care":
                continue
            row = rows[(agency, pid)][0]
            found["dob " + _kind(true, _dob(row["date_of_birth"]))] += 1
            given, family = row["given_name"].lower(), row["family_name"].lower()
            if given == child["family_name"].lower() and family == child["given_name"].lower():
                found["names swapped"] += 1
    return found


def test_truth_names_every_record_once_and_each_record_holds_one_child(runs) -> None:
    for noise, (_summary, truth, rows) in runs.items():
        listed = [tuple(r) for c in truth["children"] for r in c["records"]]
        assert len(listed) == len(set(listed)), noise
        assert set(listed) == set(rows), noise
        for child in truth["children"]:
            for key in child["records"]:
                # every row of one person id is the same identity (one child per record)
                identities = {
                    (r["given_name"], r["family_name"], r["date_of_birth"])
                    for r in rows[tuple(key)]
                }
                assert len(identities) == 1, (noise, key)


def test_basic_noise_holds_none_of_the_new_untidiness(runs) -> None:
    summary, truth, rows = runs["basic"]
    kinds = _kinds(truth, rows)
    assert "untidy" not in summary and "noise" not in summary
    assert kinds["dob two digits transposed"] == 0
    assert kinds["dob day not known"] == 0
    assert kinds["names swapped"] == 0
    assert not [k for k in kinds if k.startswith("dob other")]


def test_severe_noise_produces_each_stated_kind_and_nothing_else(runs) -> None:
    summary, truth, rows = runs["severe"]
    kinds = _kinds(truth, rows)
    untidy = summary["untidy"]
    assert summary["noise"] == {"name": "severe", **NOISE["severe"].as_dict()}
    # every recorded date of birth is the child's, blank, or differs in one stated way
    assert not [k for k in kinds if k.startswith("dob other")]
    assert kinds["dob two digits transposed"] >= 1
    assert kinds["dob day not known"] >= 1
    assert kinds["dob blank"] >= 1
    # the generator counts what it did; the files show at least that much of each kind (a
    # transposition or partial date can be blanked afterwards, a swap can meet a typo)
    assert untidy["dob_transposed"] >= kinds["dob two digits transposed"] >= 1
    assert 1 <= kinds["names swapped"] <= untidy["swapped_names"]
    assert untidy["extra_records"] >= 1 and untidy["name_changes"] >= 1
    assert (
        kinds["children with two records in one agency"]
        > (_kinds(*runs["basic"][1:])["children with two records in one agency"])
    )


def test_twins_are_pairs_sharing_family_birth_and_address_with_two_given_names(runs) -> None:
    _summary, truth, rows = runs["severe"]
    twins = [c for c in truth["children"] if c["twin"]]
    assert twins and len(twins) % 2 == 0
    pairs = Counter((c["sibling_group"], c["date_of_birth"]) for c in twins)
    assert set(pairs.values()) == {2}
    by_pair: dict = {}
    for c in twins:
        by_pair.setdefault((c["sibling_group"], c["date_of_birth"]), []).append(c)
    for a, b in by_pair.values():
        assert a["family_name"] == b["family_name"]
        assert a["given_name"] != b["given_name"]
        assert not set(map(tuple, a["records"])) & set(map(tuple, b["records"]))
