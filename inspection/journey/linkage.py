"""Linking each child's records across agencies: people's decisions, then shared identifiers,
then probabilistic matching with Splink (Fellegi–Sunter on DuckDB).

Order of authority, highest first:

1. an inspector's decisions (accept/merge join records; reject/split keep them apart);
2. deterministic identifiers: the local authority's child id, NHS number, UPN, and the same
   agency's own person id;
3. Splink's match probability: at or above ``AUTO_LINK`` records are joined automatically, in
   ``[REVIEW_FLOOR, AUTO_LINK)`` the pair goes to the review queue.

Clusters are grown greedily from the most certain pair down, and a join is refused when it would
put two different child ids, NHS numbers or UPNs in one child, or join records a person has kept
apart. That is what keeps twins and siblings (same surname, address and often date of birth, but
different identifiers) from merging through a chain of plausible pairs.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import pandas as pd
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from inspection.evidence.identifiers import Scheme
from inspection.journey import names, person_ids
from inspection.journey.decision_kinds import DecisionKind
from inspection.models import Child, Event, LinkDecision, SourceRecord
from inspection.models.children import IDENTITY_FIELDS

AUTO_LINK = 0.95
REVIEW_FLOOR = 0.5
MAX_PRIOR = 0.001  # small inspections: too few pairs to estimate it, so stay sceptical
SCORE_FLOOR_WEIGHT = -6.0  # pairs scored below this (at the starting prior) are dropped
U_SAMPLE_MIN_RECORDS = 5000  # below this the u priors are used as they are
PREFERRED_AGENCY = "social_care"

# Brothers, sisters and twins share a family name, an address and sometimes a date of birth,
# which Fellegi–Sunter (fields independent) adds up as strong evidence. Given names that
# disagree outright (two names, not one name mistyped: a slip of a letter or two is a level of
# its own, GIVEN_TYPO) are never joined automatically, nor are two children holding such a pair;
# a record with no given name, or an initial only, is joined automatically only where its sex
# does not disagree and no twin could be meant (docs/linkage.md, "Siblings and twins").
GIVEN_DISAGREE = "different"
GIVEN_PARTIAL = ("missing", "initial only, agrees")
DOB_AGREES = (
    "same",
    "day and month swapped",
    "one day apart",
    "one digit different or two swapped",
)
PROBABILISTIC = "probabilistic"  # the link method of a record joined by the model
FAMILY_AGREES = ("same", "similar spelling", "shares a part (double-barrelled)")
# a record with no given name is told from its twin of the other sex by sex alone
SEX_DISAGREE = "different"
MANUAL_JOIN = (DecisionKind.ACCEPT, DecisionKind.MERGE)
MANUAL_APART = (DecisionKind.REJECT, DecisionKind.SPLIT)


@dataclass
class LinkResult:
    inspection_id: int
    records: int
    children: int
    deterministic_links: int
    auto_linked: int
    for_review: int
    manual: int
    agency_only_children: int
    refused_conflicts: int
    sources_per_child: dict[int, int]
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "inspection": self.inspection_id,
            "records": self.records,
            "children": self.children,
            "deterministic_links": self.deterministic_links,
            "auto_linked": self.auto_linked,
            "for_review": self.for_review,
            "manual": self.manual,
            "agency_only_children": self.agency_only_children,
            "refused_conflicts": self.refused_conflicts,
            "sources_per_child": {str(k): v for k, v in sorted(self.sources_per_child.items())},
            "seconds": round(self.seconds, 2),
        }


# --- the Splink model -------------------------------------------------------------------------


def _level(
    sql: str,
    label: str,
    m: float | None = None,
    u: float | None = None,
    null: bool = False,
    fixed: bool = False,
) -> dict[str, Any]:
    level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
    if null:
        level["is_null_level"] = True
    else:
        level["m_probability"] = m
        level["u_probability"] = u
    if fixed:  # too rare among random pairs to estimate: keep the stated values
        level["fix_m_probability"] = level["fix_u_probability"] = True
    return level


# Given and family names typed the wrong way round (both ways, allowing a typo in each).
_SWAPPED = (
    'jaro_winkler_similarity("given_l", "family_r") >= 0.9 '
    'AND jaro_winkler_similarity("family_l", "given_r") >= 0.9 '
    'AND length("given_l") > 1 AND length("given_r") > 1'
)
SWAPPED_GIVEN = "swapped with the family name"

# Given names one slip of the keyboard apart: one letter different, missing, added or two
# letters swapped (two such slips in names of five letters or more), or one name the start of
# the other (at least two letters).
_TYPO_GIVEN = (
    'length("given_l") > 1 AND length("given_r") > 1 AND ('
    'damerau_levenshtein("given_l", "given_r") <= 1 '
    'OR (damerau_levenshtein("given_l", "given_r") <= 2 '
    'AND length("given_l") >= 5 AND length("given_r") >= 5) '
    'OR starts_with("given_l", "given_r") OR starts_with("given_r", "given_l"))'
)
GIVEN_TYPO = "a letter or two different, or shortened"
_MIDDLE_GIVEN = (
    'length("given_l") > 1 AND length("given_r") > 1 AND ('
    'list_contains("given_parts_r", "given_l") OR list_contains("given_parts_l", "given_r"))'
)
GIVEN_MIDDLE = "another of the child's given names"
SWAPPED_FAMILY = "swapped with the given name"


def _checked(held: dict[Scheme, str], scheme: Scheme, standard: Callable[[str], str]) -> str:
    """A record's identifier of ``scheme`` as linkage compares it: only one kept as passing its
    check (``person_ids.checked_identifiers``); blank otherwise, because a mistyped identifier
    is never evidence that two records are one person."""
    return standard(held.get(scheme, ""))


def _identifier(column: str, label: str) -> dict[str, Any]:
    return {
        "output_column_name": column,
        "comparison_description": label,
        "comparison_levels": [
            _level(f'"{column}_l" IS NULL OR "{column}_r" IS NULL', "missing", null=True),
            _level(f'"{column}_l" = "{column}_r"', "same", 0.98, 0.0001),
            _level("ELSE", "different", 0.02, 0.9999),
        ],
    }


# m priors: how often a true match's fields fall in each level, from how agencies record
# children (spelling variants, nicknames, typos, swapped day and month, moves of address).
# u is re-estimated from random pairs of this inspection's records when there are enough.
COMPARISONS: list[dict[str, Any]] = [
    {
        "output_column_name": "given",
        "comparison_description": "given name",
        "comparison_levels": [
            _level('"given_l" IS NULL OR "given_r" IS NULL', "missing", null=True),
            _level('"given_l" = "given_r" AND length("given_l") > 1', "same", 0.82, 0.012),
            # both names at once: the weight of the pair of swapped names is carried here,
            # and the family name's matching level adds nothing
            _level(_SWAPPED, SWAPPED_GIVEN, 0.02, 0.00015, fixed=True),
            _level(
                '"given_canon_l" = "given_canon_r" AND length("given_l") > 1 '
                'AND length("given_r") > 1',
                "same name, another form",
                0.08,
                0.01,
            ),
            _level(
                'jaro_winkler_similarity("given_l", "given_r") >= 0.88 '
                'AND length("given_l") > 1 AND length("given_r") > 1',
                "similar spelling",
                0.06,
                0.006,
            ),
            # a typed name with a letter wrong, missing, doubled or two letters swapped, or cut
            # short (``Rxy``/``Roy``, ``Nde``/``Ned``, ``Wil``/``William``): one child's name
            # mistyped, not two children's names (docs/linkage.md, "Siblings and twins")
            # fixed at 3 bits against: a slip of a letter marks a mistyped name, and as often
            # a look-alike child born the same day (Jaden and Jayden), so it never counts for
            _level(_TYPO_GIVEN, GIVEN_TYPO, 0.02, 0.16, fixed=True),
            # one record's first name is a later given name of the other (``James`` for
            # ``Oliver James``): one child known by a middle name, never twins (twins do not
            # share a given name); siblings who share a middle name have two first names
            _level(_MIDDLE_GIVEN, GIVEN_MIDDLE, 0.01, 0.001, fixed=True),
            _level(
                '(length("given_l") = 1 OR length("given_r") = 1) '
                'AND substr("given_l", 1, 1) = substr("given_r", 1, 1)',
                "initial only, agrees",
                0.025,
                0.05,
            ),
            _level("ELSE", "different", 0.015, 0.931),
        ],
    },
    {
        "output_column_name": "family",
        "comparison_description": "family name",
        "comparison_levels": [
            _level('"family_l" IS NULL OR "family_r" IS NULL', "missing", null=True),
            _level('"family_l" = "family_r"', "same", 0.82, 0.012),
            _level(_SWAPPED, SWAPPED_FAMILY, 0.02, 0.02, fixed=True),
            _level(
                'jaro_winkler_similarity("family_l", "family_r") >= 0.9',
                "similar spelling",
                0.08,
                0.004,
            ),
            _level(
                'list_has_any("family_parts_l", "family_parts_r")',
                "shares a part (double-barrelled)",
                0.08,
                0.001,
            ),
            _level("ELSE", "different", 0.02, 0.983),
        ],
    },
    {
        "output_column_name": "dob",
        "comparison_description": "date of birth",
        "comparison_levels": [
            _level('"dob_l" IS NULL OR "dob_r" IS NULL', "missing", null=True),
            _level('"dob_l" = "dob_r"', "same", 0.955, 0.0003),
            _level('"dob_l" = "dob_swapped_r"', "day and month swapped", 0.015, 0.0002),
            _level(
                'abs(date_diff(\'day\', CAST("dob_l" AS DATE), CAST("dob_r" AS DATE))) <= 1',
                "one day apart",
                0.015,
                0.0006,
            ),
            _level(
                'damerau_levenshtein("dob_l", "dob_r") <= 1',
                "one digit different or two swapped",
                0.02,
                0.01,
            ),
            # a day not known is written as the 1st (and a day and month as 1 January)
            _level(
                'substr("dob_l", 1, 7) = substr("dob_r", 1, 7) '
                "AND (substr(\"dob_l\", 9, 2) = '01' OR substr(\"dob_r\", 9, 2) = '01')",
                "same month and year (day not known)",
                0.015,
                0.0003,
            ),
            _level(
                'substr("dob_l", 1, 4) = substr("dob_r", 1, 4) '
                "AND (substr(\"dob_l\", 6, 5) = '01-01' OR substr(\"dob_r\", 6, 5) = '01-01')",
                "same year (day and month not known)",
                0.005,
                0.0003,
            ),
            _level("ELSE", "different", 0.005, 0.9889),
        ],
    },
    {
        "output_column_name": "sex",
        "comparison_description": "sex",
        "comparison_levels": [
            _level('"sex_l" IS NULL OR "sex_r" IS NULL', "missing", null=True),
            _level('"sex_l" = "sex_r"', "same", 0.995, 0.5),
            _level("ELSE", "different", 0.005, 0.5),
        ],
    },
    {
        "output_column_name": "postcode",
        "comparison_description": "postcode",
        "comparison_levels": [
            _level('"postcode_l" IS NULL OR "postcode_r" IS NULL', "missing", null=True),
            _level('"postcode_l" = "postcode_r"', "same", 0.82, 0.003),
            _level('"sector_l" = "sector_r"', "same sector", 0.04, 0.05),
            _level(
                'damerau_levenshtein("postcode_l", "postcode_r") <= 1',
                "one character different or two swapped",
                0.03,
                0.01,
            ),
            _level("ELSE", "different (moved?)", 0.11, 0.937),
        ],
    },
    _identifier("nhs", "NHS number"),
    _identifier("upn", "UPN"),
    _identifier("la_id", "local authority child id"),
]

_NOT_SAME = '"l"."det" <> "r"."det"'
BLOCKING: list[Any] = [
    f"l.dob = r.dob AND {_NOT_SAME}",
    f"l.dob = r.dob_swapped AND {_NOT_SAME}",
    f"l.dob_swapped = r.dob AND {_NOT_SAME}",
    f"l.postcode = r.postcode AND l.given_canon = r.given_canon AND {_NOT_SAME}",
    f"l.postcode = r.postcode AND l.family_first = r.family_first AND {_NOT_SAME}",
    f"l.given_canon = r.given_canon AND l.family_first = r.family_first "
    f"AND l.birth_year = r.birth_year AND {_NOT_SAME}",
    f"l.given_canon = r.given_canon AND l.family_last = r.family_last "
    f"AND l.sector = r.sector AND {_NOT_SAME}",
    f"l.given = r.family AND l.family = r.given AND {_NOT_SAME}",
]


# --- clusters with constraints ----------------------------------------------------------------


class _Clusters:
    """Union-find over record ids that refuses joins putting two identities in one child."""

    def __init__(self, rows: dict[int, dict[str, Any]], apart: list[tuple[int, int]]) -> None:
        self.parent = {rid: rid for rid in rows}
        self.members: dict[int, list[int]] = {rid: [rid] for rid in rows}
        self.keys: dict[int, dict[str, str]] = {}
        for rid, row in rows.items():
            self.keys[rid] = {k: row[k] for k in ("la_id", "nhs", "upn") if row[k]}
        self.apart: dict[int, set[int]] = defaultdict(set)
        for a, b in apart:
            if a in self.parent and b in self.parent:
                self.apart[a].add(b)
                self.apart[b].add(a)
        self.refused = 0

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def conflict(self, ra: int, rb: int) -> bool:
        ka, kb = self.keys[ra], self.keys[rb]
        for key in ("la_id", "nhs", "upn"):
            if key in ka and key in kb and ka[key] != kb[key]:
                return True
        small, large = (ra, rb) if len(self.members[ra]) <= len(self.members[rb]) else (rb, ra)
        large_set = None
        for rid in self.members[small]:
            partners = self.apart.get(rid)
            if partners:
                large_set = large_set or set(self.members[large])
                if partners & large_set:
                    return True
        return False

    def holds_pair(self, ra: int, rb: int, pairs: dict[int, set[int]]) -> bool:
        """Whether a record of one cluster and a record of the other are one of ``pairs``."""
        small, large = (ra, rb) if len(self.members[ra]) <= len(self.members[rb]) else (rb, ra)
        large_set = None
        for rid in self.members[small]:
            partners = pairs.get(rid)
            if partners:
                large_set = large_set or set(self.members[large])
                if partners & large_set:
                    return True
        return False

    def any_member_in(self, root: int, records: dict[int, set[int]]) -> bool:
        return any(rid in records for rid in self.members[root])

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        if self.conflict(ra, rb):
            self.refused += 1
            return False
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra].extend(self.members.pop(rb))
        for key, value in self.keys.pop(rb).items():
            self.keys[ra].setdefault(key, value)
        return True


# --- loading and preparing records ------------------------------------------------------------


async def _load(inspection_id: int) -> dict[int, dict[str, Any]]:
    rows = await SourceRecord.filter(inspection_id=inspection_id).values(
        "id",
        *IDENTITY_FIELDS,
        "child_id",
        "link_method",
        "link_probability",
        "link_evidence",
    )
    checked = await person_ids.checked_identifiers(inspection_id)
    anchored = dict(
        await Child.filter(inspection_id=inspection_id, la_child_id__isnull=False).values_list(
            "id", "la_child_id"
        )
    )
    out: dict[int, dict[str, Any]] = {}
    for r in rows:
        # A record given its child by an identifier or by a person keeps that child's id as
        # firm; one joined by probability is decided again from its own details, so a run on
        # unchanged records gives the links the last run gave.
        inherited = "" if r["link_method"] == PROBABILISTIC else anchored.get(r["child_id"] or 0)
        la_id = (r["la_child_id"] or "").strip() or inherited or ""
        parts = names.family_parts(r["family_name"] or "")
        dob = r["dob"]
        postcode = names.postcode_std(r["postcode"] or "")
        sex = (r["sex"] or "").upper()[:1]
        out[r["id"]] = {
            **r,
            "la_id": la_id,
            "nhs": _checked(checked.get(r["id"], {}), Scheme.NHS_NUMBER, names.digits),
            "upn": _checked(checked.get(r["id"], {}), Scheme.UPN, names.upn_std),
            "given": names.given_std(r["given_name"] or "") or None,
            "given_canon": names.given_canonical(r["given_name"] or "") or None,
            "given_parts": names.given_parts(r["given_name"] or "") or None,
            "family": "".join(parts) or None,
            "family_parts": parts or None,
            "family_first": parts[0] if parts else None,
            "family_last": parts[-1] if parts else None,
            "dob_iso": dob.isoformat() if dob else None,
            "dob_swapped": names.dob_swapped(dob),
            "birth_year": dob.year if dob else None,
            "sex_std": sex if sex in ("M", "F") else None,
            "postcode_std": postcode or None,
            "sector": names.postcode_sector(postcode) or None,
        }
    return out


def _frame(rows: dict[int, dict[str, Any]], clusters: _Clusters) -> pd.DataFrame:
    data = {
        "unique_id": list(rows),
        "det": [clusters.find(rid) for rid in rows],
        "given": [r["given"] for r in rows.values()],
        "given_canon": [r["given_canon"] for r in rows.values()],
        "given_parts": [r["given_parts"] for r in rows.values()],
        "family": [r["family"] for r in rows.values()],
        "family_parts": [r["family_parts"] for r in rows.values()],
        "family_first": [r["family_first"] for r in rows.values()],
        "family_last": [r["family_last"] for r in rows.values()],
        "dob": [r["dob_iso"] for r in rows.values()],
        "dob_swapped": [r["dob_swapped"] for r in rows.values()],
        "birth_year": [r["birth_year"] for r in rows.values()],
        "sex": [r["sex_std"] for r in rows.values()],
        "postcode": [r["postcode_std"] for r in rows.values()],
        "sector": [r["sector"] for r in rows.values()],
        "nhs": [r["nhs"] or None for r in rows.values()],
        "upn": [r["upn"] or None for r in rows.values()],
        "la_id": [r["la_id"] or None for r in rows.values()],
    }
    frame = pd.DataFrame(data)
    for col in (
        "dob",
        "dob_swapped",
        "given",
        "given_canon",
        "family",
        "family_first",
        "family_last",
        "sex",
        "postcode",
        "sector",
        "nhs",
        "upn",
        "la_id",
    ):
        frame[col] = frame[col].astype(object)
    frame["birth_year"] = frame["birth_year"].astype("Int64")
    return frame


def _prior(n_records: int, clusters: _Clusters) -> float:
    """Chance two random records are the same child, from the deterministic clusters."""
    pairs = sum(len(m) * (len(m) - 1) / 2 for m in clusters.members.values())
    total = n_records * (n_records - 1) / 2
    if total <= 0:
        return 0.5
    # a starting value: _refine_prior re-estimates it from the scored pairs
    return min(MAX_PRIOR, max(pairs / total, 1 / max(n_records, 2)))


def predict_pairs(
    rows: dict[int, dict[str, Any]], clusters: _Clusters, seed: int = 1
) -> pd.DataFrame:
    """Splink's scored pairs between different clusters: every pair above
    ``SCORE_FLOOR_WEIGHT`` at the starting prior, rescored with the re-estimated priors."""
    from splink import DuckDBAPI, Linker, SettingsCreator

    if len(rows) < 2:
        return pd.DataFrame(columns=["unique_id_l", "unique_id_r", "match_probability"])
    frame = _frame(rows, clusters)
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[json.loads(json.dumps(c)) for c in COMPARISONS],
        blocking_rules_to_generate_predictions=BLOCKING,
        probability_two_random_records_match=_prior(len(rows), clusters),
        retain_matching_columns=True,  # keeps the gamma_ columns: which level each field reached
        retain_intermediate_calculation_columns=True,
    )
    api = DuckDBAPI()
    table = api.register(frame)
    linker = Linker(table, settings, log_level=None)
    if len(rows) >= U_SAMPLE_MIN_RECORDS:
        linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
    prior = settings.probability_two_random_records_match
    scored = linker.inference.predict(
        threshold_match_weight=SCORE_FLOOR_WEIGHT, warning_mode="never"
    )
    out = _refine_prior(scored.as_pandas_dataframe(), prior, clusters, rows)
    out.attrs["level_weights"] = _level_weights(linker.misc.save_model_to_json())
    api.duckdb_con.close()
    return out


def _logit(p: float) -> float:
    return math.log2(p / (1 - p))


def _refine_prior(
    out: pd.DataFrame,
    prior: float,
    clusters: _Clusters,
    rows: dict[int, dict[str, Any]],
) -> pd.DataFrame:
    """Re-estimate the prior (the share of pairs that are the same child) from the scored
    pairs, as the expectation step of EM would, and rescore every pair.

    Two priors, one for pairs of records from the same agency and one for pairs from two
    agencies: how often an agency holds one child twice is not how often two agencies both
    hold a child. The rule is about the two records compared, never about what else their
    children already hold."""
    if not len(out):
        return out
    agency = {rid: row["agency"] for rid, row in rows.items()}
    per_agency = Counter(agency.values())
    n = len(rows)
    totals = {True: sum(k * (k - 1) / 2 for k in per_agency.values())}
    totals[False] = n * (n - 1) / 2 - totals[True]
    known = {True: 0.0, False: 0.0}
    for members in clusters.members.values():
        if len(members) < 2:
            continue
        same = sum(k * (k - 1) / 2 for k in Counter(agency[r] for r in members).values())
        known[True] += same
        known[False] += len(members) * (len(members) - 1) / 2 - same
    same_agency = (
        out["unique_id_l"].map(agency).to_numpy() == out["unique_id_r"].map(agency).to_numpy()
    )
    evidence = out["match_weight"].to_numpy() - _logit(prior)
    weight = evidence.copy()
    priors = {}
    for stratum in (True, False):
        mask = same_agency == stratum
        lam = prior
        if totals[stratum] > 0:
            for _ in range(20):
                probs = 1 / (1 + 2 ** -(evidence[mask] + _logit(lam)))
                new = (known[stratum] + float(probs.sum())) / totals[stratum]
                new = min(MAX_PRIOR, max(new, 1e-9))
                done = abs(_logit(new) - _logit(lam)) < 0.01
                lam = new
                if done:
                    break
        priors["same_agency" if stratum else "two_agencies"] = lam
        weight[mask] = evidence[mask] + _logit(lam)
    out = out.copy()
    out["match_weight"] = weight
    out["match_probability"] = 1 / (1 + 2 ** -out["match_weight"])
    out["same_agency"] = same_agency
    out.attrs["prior"] = priors
    return out


def _level_weights(model: dict[str, Any]) -> dict[str, list[tuple[float, str]]]:
    """Comparison → (match weight, label) of each level of the trained model."""
    out: dict[str, list[tuple[float, str]]] = {}
    for comp in model["comparisons"]:
        levels = []
        for level in comp["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            weight = math.log2(m / u) if m and u else 0.0
            levels.append((weight, level["label_for_charts"]))
        out[comp["output_column_name"]] = levels
    return out


def _evidence(row: Any, weights: dict[str, list[tuple[float, str]]]) -> dict[str, Any]:
    """Which level each field reached, read from Splink's comparison vector (``gamma_``: -1
    for a missing value, then the levels numbered from the last, ``ELSE``, as 0)."""
    agreed: dict[str, str] = {}
    for column, levels in weights.items():
        gamma = int(getattr(row, f"gamma_{column}"))
        agreed[column] = "missing" if gamma < 0 else levels[len(levels) - 1 - gamma][1]
    return {
        "fields": agreed,
        "match_weight": round(float(row.match_weight), 2),
        "match_probability": round(float(row.match_probability), 6),
        "field_weights": {c: round(float(getattr(row, f"mw_{c}")), 2) for c in weights},
        "model": "splink",
    }


# --- the run ----------------------------------------------------------------------------------


async def _decisions(inspection_id: int) -> list[dict[str, Any]]:
    return (
        await LinkDecision.filter(
            inspection_id=inspection_id,
            decision__in=[*MANUAL_JOIN, *MANUAL_APART],
        )
        .order_by("id")
        .values("id", "decision", "left_record_id", "right_record_id", "evidence")
    )


def _gammas(weights: dict[str, list[tuple[float, str]]], column: str, labels: Any) -> list[int]:
    """The comparison-vector values (``gamma_``) of these levels of one comparison."""
    levels = weights[column]
    return [len(levels) - 1 - i for i, (_w, label) in enumerate(levels) if label in labels]


def _possible_twins(
    scored: pd.DataFrame, weights: dict[str, list[tuple[float, str]]]
) -> dict[int, set[int]]:
    """Possible twins: pairs of records whose given names are two names while their dates of
    birth agree, among the pairs more likely than not one child (a shared family name,
    address and birthday) and, however unlikely, the pairs whose family names agree too
    (twins of two sexes score low, yet a record with no given name could be either)."""
    given = scored["gamma_given"].isin(_gammas(weights, "given", (GIVEN_DISAGREE,)))
    dob = scored["gamma_dob"].isin(_gammas(weights, "dob", DOB_AGREES))
    family = scored["gamma_family"].isin(_gammas(weights, "family", FAMILY_AGREES))
    likely = scored["match_probability"] >= REVIEW_FLOOR
    twins = scored[given & dob & (likely | family)]
    out: dict[int, set[int]] = defaultdict(set)
    for a, b in zip(twins["unique_id_l"], twins["unique_id_r"], strict=True):
        out[int(a)].add(int(b))
        out[int(b)].add(int(a))
    return out


def _household(row: dict[str, Any]) -> tuple[str | None, str | None]:
    """A record's family name and date of birth: where twins would be told apart."""
    return row["family"], row["dob_iso"]


def _pair_key(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


async def link_inspection(inspection_id: int, seed: int = 1) -> LinkResult:
    """Link every source record of the inspection to a child; returns the counts."""
    started = datetime.now(UTC)
    rows = await _load(inspection_id)
    decisions = await _decisions(inspection_id)
    apart: list[tuple[int, int]] = []
    join: list[tuple[int, int, dict[str, Any]]] = []
    decided_pairs: set[tuple[int, int]] = set()
    for d in decisions:
        left, right = d["left_record_id"], d["right_record_id"]
        if d["decision"] == DecisionKind.SPLIT:
            for other in d["evidence"].get("kept_apart_from", []):
                apart.append((left, other))
        elif left is not None and right is not None:
            decided_pairs.add(_pair_key(left, right))
            if d["decision"] in MANUAL_APART:
                apart.append((left, right))
            else:
                join.append((left, right, {"decision": d["id"], "kind": d["decision"]}))

    clusters = _Clusters(rows, apart)
    link_info: dict[int, tuple[str, float | None, dict[str, Any]]] = {}

    def attach(a: int, b: int, method: str, prob: float | None, evidence: dict[str, Any]) -> bool:
        if not clusters.union(a, b):
            return False
        for rid, partner in ((a, b), (b, a)):
            if rid not in link_info and not rows[rid]["la_id"]:
                link_info[rid] = (method, prob, {**evidence, "linked_to_record": partner})
        return True

    manual = 0
    for a, b, ev in join:
        if a in rows and b in rows and attach(a, b, "manual", None, ev):
            manual += 1

    deterministic = 0
    for key, method in (("la_id", "la_child_id"), ("nhs", "nhs_number"), ("upn", "upn")):
        first: dict[str, int] = {}
        for rid, row in rows.items():
            value = row[key]
            if not value:
                continue
            if value in first:
                if attach(first[value], rid, method, 1.0, {"identifier": method}):
                    deterministic += 1
            else:
                first[value] = rid
    first_pid: dict[tuple[str, str], int] = {}
    for rid, row in rows.items():
        if row["person_id"]:
            pk = (row["agency"], row["person_id"])
            if pk in first_pid:
                if attach(first_pid[pk], rid, "agency_id", 1.0, {"identifier": "agency_id"}):
                    deterministic += 1
            else:
                first_pid[pk] = rid

    scored = predict_pairs(rows, clusters, seed=seed)
    pending: list[tuple[int, int, float, dict[str, Any]]] = []
    auto = 0
    weights = scored.attrs.get("level_weights", {})
    if len(scored):
        disagree = _possible_twins(scored, weights)
        twin_households = {_household(rows[r]) for r in disagree}
        scored = scored[scored["match_probability"] >= REVIEW_FLOOR]
        scored = scored.sort_values(
            ["match_weight", "unique_id_l", "unique_id_r"],
            ascending=[False, True, True],
            kind="stable",
        )
        found: list[tuple[int, int, float, dict[str, Any]]] = [
            (
                int(p.unique_id_l),
                int(p.unique_id_r),
                float(p.match_probability),
                _evidence(p, weights),
            )
            for p in cast(Any, scored.itertuples(index=False))
        ]
        for a, b, prob, evidence in found:
            if _pair_key(a, b) in decided_pairs:
                continue
            ra, rb = clusters.find(a), clusters.find(b)
            if ra == rb:
                continue
            given = evidence["fields"]["given"]
            automatic = (
                prob >= AUTO_LINK
                and given != GIVEN_DISAGREE
                and not clusters.holds_pair(ra, rb, disagree)
                and not (
                    given in GIVEN_PARTIAL
                    and (
                        evidence["fields"]["dob"] != "same"
                        or evidence["fields"]["sex"] == SEX_DISAGREE
                        or clusters.any_member_in(ra, disagree)
                        or clusters.any_member_in(rb, disagree)
                        or _household(rows[a]) in twin_households
                        or _household(rows[b]) in twin_households
                    )
                )
            )
            if automatic:
                if attach(a, b, PROBABILISTIC, prob, evidence):
                    auto += 1
            else:
                pending.append((a, b, prob, evidence))

    # Every write of the run in one transaction: a run that fails half-way (a crash, a lost
    # connection) leaves the children, links and queue exactly as the last run left them,
    # never events pointing at a child that was deleted.
    async with in_transaction() as conn:
        children, agency_only = await _save(inspection_id, rows, clusters, link_info, conn)
        for_review = await _save_pending(inspection_id, clusters, pending)
    sizes = Counter(
        len({rows[r]["agency"] for r in members}) for members in clusters.members.values()
    )
    return LinkResult(
        inspection_id=inspection_id,
        records=len(rows),
        children=children,
        deterministic_links=deterministic,
        auto_linked=auto,
        for_review=for_review,
        manual=manual,
        agency_only_children=agency_only,
        refused_conflicts=clusters.refused,
        sources_per_child=dict(sizes),
        seconds=(datetime.now(UTC) - started).total_seconds(),
    )


def _best(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The record whose identity details describe the child (the authority's own first)."""
    return sorted(
        records,
        key=lambda r: (
            r["agency"] != PREFERRED_AGENCY,
            not r["given_name"],
            r["dob"] is None,
            r["id"],
        ),
    )[0]


async def _save(
    inspection_id: int,
    rows: dict[int, dict[str, Any]],
    clusters: _Clusters,
    link_info: dict[int, tuple[str, float | None, dict[str, Any]]],
    conn: BaseDBAsyncClient,
) -> tuple[int, int]:
    existing = await Child.filter(inspection_id=inspection_id).values(
        "id", "la_child_id", "given_name", "family_name", "dob", "sex", "postcode"
    )
    by_la = {c["la_child_id"]: c for c in existing if c["la_child_id"]}
    agency_only_ids = {c["id"] for c in existing if not c["la_child_id"]}
    by_id = {c["id"]: c for c in existing}

    cluster_child: dict[int, int | None] = {}
    used: set[int] = set()
    to_create: list[tuple[int, Child]] = []
    for root, members in clusters.members.items():
        la_id = clusters.keys[root].get("la_id")
        records = [rows[r] for r in members]
        best = _best(records)
        if la_id and la_id in by_la:
            cluster_child[root] = by_la[la_id]["id"]
            continue
        reuse = sorted(
            r["child_id"]
            for r in records
            if r["child_id"] in agency_only_ids and r["child_id"] not in used
        )
        if reuse and not la_id:
            cluster_child[root] = reuse[0]
            used.add(reuse[0])
            continue
        cluster_child[root] = None
        to_create.append(
            (
                root,
                Child(
                    inspection_id=inspection_id,
                    la_child_id=la_id or None,
                    given_name=(best["given_name"] or "")[:100],
                    family_name=(best["family_name"] or "")[:100],
                    dob=best["dob"],
                    sex=best["sex_std"] or "",
                    postcode=(best["postcode"] or "")[:10],
                    attributes={"created_by": "linkage", "first_record": min(members)},
                ),
            )
        )
    if to_create:
        newest = max(by_id, default=0)
        await Child.bulk_create([c for _, c in to_create], batch_size=1000)
        made = await Child.filter(inspection_id=inspection_id, id__gt=newest).values(
            "id", "attributes"
        )
        by_first = {m["attributes"].get("first_record"): m["id"] for m in made}
        for root, _child in to_create:
            cluster_child[root] = by_first[min(clusters.members[root])]

    updates: list[tuple[int, str, float | None, str, int]] = []
    fill: list[Child] = []
    for root, members in clusters.members.items():
        child_id = cluster_child[root]
        assert child_id is not None
        for rid in members:
            prob: float | None
            row = rows[rid]
            if row["la_id"] and (row["la_child_id"] or "").strip():
                method, prob, evidence = "la_child_id", 1.0, {"identifier": "la_child_id"}
            elif rid in link_info:
                method, prob, evidence = link_info[rid]
            elif len(members) == 1:
                method, prob, evidence = "none", None, {"note": "no other record of this child"}
            else:
                method, prob, evidence = "la_child_id", 1.0, {"identifier": "la_child_id"}
            if (
                row["child_id"] != child_id
                or row["link_method"] != method
                or row["link_probability"] != prob
                or row["link_evidence"] != evidence
            ):
                updates.append((child_id, method, prob, json.dumps(evidence), rid))
        child = by_id.get(child_id)
        if child is not None and not child["given_name"] and not child["family_name"]:
            best = _best([rows[r] for r in members])
            if best["given_name"] or best["family_name"]:
                fill.append(
                    Child(
                        id=child_id,
                        given_name=(best["given_name"] or "")[:100],
                        family_name=(best["family_name"] or "")[:100],
                        dob=child["dob"] or best["dob"],
                        sex=child["sex"] or best["sex_std"] or "",
                        postcode=child["postcode"] or (best["postcode"] or "")[:10],
                    )
                )
    if fill:
        await Child.bulk_update(
            fill, fields=["given_name", "family_name", "dob", "sex", "postcode"], batch_size=500
        )
    await _write_links(conn, inspection_id, updates)

    keep = set(cluster_child.values())
    orphans = sorted(await unreferenced([c for c in agency_only_ids if c not in keep]))
    for start in range(0, len(orphans), 5000):
        # the database checks event.child_id and source_record.child_id (migration 0009):
        # unlink whatever still points at a child before it goes.
        chunk = orphans[start : start + 5000]
        await Event.filter(inspection_id=inspection_id, child_id__in=chunk).update(child_id=None)
        await SourceRecord.filter(inspection_id=inspection_id, child_id__in=chunk).update(
            child_id=None
        )
        await Child.filter(inspection_id=inspection_id, id__in=chunk).delete()
    agency_only = sum(1 for root in clusters.members if not clusters.keys[root].get("la_id"))
    return len(keep), agency_only


async def unreferenced(child_ids: list[int]) -> set[int]:
    """Of these agency-only children, those no sample, audit or concern refers to (the others
    are kept, even when empty, so nobody's work loses its child)."""
    from inspection.models import Audit, Concern, SampleMember

    left = set(child_ids)
    for start in range(0, len(child_ids), 5000):
        chunk = child_ids[start : start + 5000]
        for model in (SampleMember, Audit, Concern):
            used = await model.filter(child_id__in=chunk).values_list("child_id", flat=True)
            left -= set(used)
    return left


async def _write_links(
    conn: BaseDBAsyncClient,
    inspection_id: int,
    updates: list[tuple[int, str, float | None, str, int]],
) -> None:
    """Each changed record's child and link, then every event's child from its record (on the
    run's transaction)."""
    postgres = conn.capabilities.dialect == "postgres"
    if updates:
        if postgres:
            sql = (
                "UPDATE source_record SET child_id=$1, link_method=$2, link_probability=$3, "
                "link_evidence=$4::jsonb WHERE id=$5"
            )
        else:
            sql = (
                "UPDATE source_record SET child_id=?, link_method=?, link_probability=?, "
                "link_evidence=? WHERE id=?"
            )
        for start in range(0, len(updates), 5000):
            await conn.execute_many(sql, [list(u) for u in updates[start : start + 5000]])
    p = "$1" if postgres else "?"
    await conn.execute_query(
        "UPDATE event SET child_id = (SELECT s.child_id FROM source_record s "
        f"WHERE s.id = event.record_id) WHERE inspection_id = {p} AND record_id IS NOT NULL",
        [inspection_id],
    )


async def _save_pending(
    inspection_id: int,
    clusters: _Clusters,
    pending: list[tuple[int, int, float, dict[str, Any]]],
) -> int:
    """One question per pair of children (the strongest pair of their records), each with how
    many records the answer would join (the queue puts the largest first)."""
    await LinkDecision.filter(inspection_id=inspection_id, decision=DecisionKind.PENDING).delete()
    seen: set[tuple[int, int]] = set()
    objs: list[LinkDecision] = []
    for a, b, prob, evidence in pending:
        ra, rb = clusters.find(a), clusters.find(b)
        if ra == rb or clusters.conflict(ra, rb):
            continue
        key = _pair_key(ra, rb)
        if key in seen:  # one question per pair of children: the strongest pair of records
            continue
        seen.add(key)
        objs.append(
            LinkDecision(
                inspection_id=inspection_id,
                left_record_id=a,
                right_record_id=b,
                decision=DecisionKind.PENDING,
                probability=prob,
                evidence={
                    **evidence,
                    "records_joined": len(clusters.members[ra]) + len(clusters.members[rb]),
                },
            )
        )
    if objs:
        await LinkDecision.bulk_create(objs, batch_size=1000)
    return len(objs)


def probability_to_weight(p: float) -> float:
    return math.log2(p / (1 - p)) if 0 < p < 1 else float("inf")


logging.getLogger("splink").setLevel(logging.WARNING)

__all__ = ["AUTO_LINK", "REVIEW_FLOOR", "LinkResult", "link_inspection", "unreferenced"]
