"""Audit instruments: versioned JSON data files, validated and registered by code, version, sha256.

An audit points at one ``Rubric`` row for ever. A changed file must carry a new version: the
same code and version with different content is refused, so old audits never change meaning.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from inspection.audit.definition import RubricDefinition, definition_of, stored_definition
from inspection.audit.frameworks import FrameworkOutcome, IlacsArea
from inspection.models import Inspection, Rubric

RUBRICS_DIR = Path(__file__).parent / "rubrics"
DEFAULT_RUBRIC = ("child_help", "2")


class RubricError(ValueError):
    pass


@dataclass(frozen=True)
class RubricFile:
    path: Path
    definition: dict[str, Any]
    sha256: str


def canonical_json(definition: dict[str, Any]) -> bytes:
    return json.dumps(
        definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def definition_sha256(definition: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(definition)).hexdigest()


def validate_definition(definition: Any) -> list[str]:
    """Every problem with a rubric definition, in plain English (empty when it is valid)."""
    problems: list[str] = []
    if not isinstance(definition, dict):
        return ["A rubric must be a JSON object."]
    for key in ("code", "version", "title"):
        if not isinstance(definition.get(key), str) or not definition.get(key):
            problems.append(f"'{key}' must be a non-empty string.")
    scale = definition.get("scale")
    values: list[str] = []
    if not isinstance(scale, list) or len(scale) < 2:
        problems.append("'scale' must list at least two grades.")
    else:
        ranks = []
        for grade in scale:
            if not isinstance(grade, dict) or not {"value", "label", "rank"} <= grade.keys():
                problems.append("Every grade needs value, label and rank.")
                continue
            values.append(grade["value"])
            ranks.append(grade["rank"])
        if sorted(ranks) != list(range(1, len(ranks) + 1)):
            problems.append("Grade ranks must run 1, 2, 3 ... from best to worst.")
        if len(set(values)) != len(values):
            problems.append("Grade values must be unique.")
    na = definition.get("not_applicable")
    if na is not None and (not isinstance(na, dict) or not na.get("value")):
        problems.append("'not_applicable' must be an object with a value.")
    for value in definition.get("evidence_required_for", []):
        if value not in values:
            problems.append(f"'evidence_required_for' names an unknown grade '{value}'.")
    domains = definition.get("domains")
    keys: list[str] = []
    if not isinstance(domains, list) or not domains:
        problems.append("'domains' must list at least one domain.")
    else:
        for domain in domains:
            if not isinstance(domain, dict):
                problems.append("Every domain must be an object.")
                continue
            for field in ("key", "title", "question"):
                if not isinstance(domain.get(field), str) or not domain.get(field):
                    problems.append(f"A domain is missing its '{field}'.")
            if not isinstance(domain.get("guidance", []), list):
                problems.append(f"Domain '{domain.get('key')}': guidance must be a list.")
            keys.append(str(domain.get("key")))
            problems.extend(_tag_problems(domain))
            if domain.get("key") == "overall":
                problems.append("'overall' is reserved and cannot be a domain key.")
        if len(set(keys)) != len(keys):
            problems.append("Domain keys must be unique.")
    rule = definition.get("overall_rule", {})
    if not isinstance(rule, dict):
        problems.append("'overall_rule' must be an object.")
    else:
        for part in ("inadequate_if_inadequate", "no_better_than"):
            for key in rule.get(part, []):
                if key not in keys:
                    problems.append(f"'overall_rule.{part}' names an unknown domain '{key}'.")
    return problems


def _tag_problems(domain: dict[str, Any]) -> list[str]:
    """An area or outcome a domain names must be one of the vocabulary's (``frameworks``)."""
    problems = []
    for field, vocabulary in (("area", IlacsArea), ("outcome", FrameworkOutcome)):
        value = domain.get(field)
        if value is not None and value not in {v.value for v in vocabulary}:
            known = ", ".join(v.value for v in vocabulary)
            problems.append(
                f"Domain '{domain.get('key')}': unknown {field} '{value}' (known: {known})."
            )
    return problems


def load_rubric_file(path: Path) -> RubricFile:
    try:
        definition = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RubricError(f"{path.name} is not readable JSON: {exc}") from exc
    problems = validate_definition(definition)
    if problems:
        raise RubricError(f"{path.name}: " + " ".join(problems))
    return RubricFile(path, definition, definition_sha256(definition))


@cache
def builtin_rubric_files() -> tuple[RubricFile, ...]:
    """The versioned rubric data files, read and validated once."""
    return tuple(load_rubric_file(p) for p in sorted(RUBRICS_DIR.glob("*.json")))


def _version_order(version: str) -> tuple[int, str]:
    return (int(version), "") if version.isdigit() else (1 << 30, version)


@cache
def current_rubric_files() -> tuple[RubricFile, ...]:
    """Each instrument's newest version: the ones offered for new rounds. Earlier versions stay
    registered for the audits that were made with them."""
    newest: dict[str, RubricFile] = {}
    for f in builtin_rubric_files():
        code = f.definition["code"]
        if code not in newest or _version_order(f.definition["version"]) > _version_order(
            newest[code].definition["version"]
        ):
            newest[code] = f
    return tuple(newest[c] for c in sorted(newest))


def is_current(code: str, version: str) -> bool:
    return any(
        (f.definition["code"], f.definition["version"]) == (code, version)
        for f in current_rubric_files()
    )


def default_definition() -> RubricDefinition:
    """The default rubric's definition, typed (from its data file)."""
    found = next(
        f
        for f in builtin_rubric_files()
        if (f.definition["code"], f.definition["version"]) == DEFAULT_RUBRIC
    )
    return stored_definition(found.sha256, found.definition)


async def register_rubric(definition: dict[str, Any]) -> Rubric:
    """The ``Rubric`` row for this definition, created if new. Same code+version must match."""
    problems = validate_definition(definition)
    if problems:
        raise RubricError(" ".join(problems))
    digest = definition_sha256(definition)
    existing = await Rubric.get_or_none(code=definition["code"], version=definition["version"])
    if existing is not None:
        if existing.sha256 != digest:
            raise RubricError(
                f"Rubric {definition['code']} version {definition['version']} is already "
                "registered with different content: give the changed instrument a new version."
            )
        return existing
    try:
        # In a savepoint of its own: a refused insert leaves a caller's transaction usable.
        async with in_transaction():
            return await Rubric.create(
                code=definition["code"],
                version=definition["version"],
                title=definition["title"],
                definition=definition,
                sha256=digest,
            )
    except IntegrityError:  # registered meanwhile by a concurrent request: check that one
        return await register_rubric(definition)


async def ensure_builtin_rubrics() -> list[Rubric]:
    return [await register_rubric(f.definition) for f in builtin_rubric_files()]


async def default_rubric() -> Rubric:
    await ensure_builtin_rubrics()
    code, version = DEFAULT_RUBRIC
    return await Rubric.get(code=code, version=version)


async def instrument_choices() -> list[Rubric]:
    """The current version of every shipped instrument, the default first, then by title: what
    a round may be audited with (the browser's and the command line's choice)."""
    await ensure_builtin_rubrics()
    rows = [r for r in await Rubric.all() if is_current(r.code, r.version)]
    return sorted(rows, key=lambda r: ((r.code, r.version) != DEFAULT_RUBRIC, r.title))


async def find_instrument(code: str, version: str | None = None) -> Rubric:
    """The instrument ``code`` (its current version unless ``version`` is given); a clear
    refusal naming the instruments there are when there is no such one."""
    await ensure_builtin_rubrics()
    code = code.strip()
    if version is None:
        found = next((r for r in await instrument_choices() if r.code == code), None)
    else:
        found = await Rubric.get_or_none(code=code, version=version.strip())
    if found is None:
        known = ", ".join(r.code for r in await instrument_choices())
        which = f"{code} version {version}" if version else code
        raise RubricError(f"There is no instrument {which}. The instruments are: {known}.")
    return found


async def round_rubric(inspection_id: int) -> Rubric:
    """The instrument a round's new audits are made with: the one chosen for the round, else
    the default."""
    chosen = await Inspection.filter(id=inspection_id).values_list("rubric_id", flat=True)
    if chosen and chosen[0] is not None:
        return await Rubric.get(id=chosen[0])
    return await default_rubric()


async def rubric_list() -> list[dict[str, Any]]:
    await ensure_builtin_rubrics()
    rows = await Rubric.all().order_by("code", "version")
    listed = []
    for r in rows:
        definition = definition_of(r)
        listed.append(
            {
                "id": r.id,
                "code": r.code,
                "version": r.version,
                "title": r.title,
                "sha256": r.sha256,
                "domains": [d.key for d in definition.domains],
                "default": (r.code, r.version) == DEFAULT_RUBRIC,
                "current": is_current(r.code, r.version),
                "areas": [a.label for a in definition.areas],
                "outcomes": [o.label for o in definition.outcomes],
            }
        )
    return listed
