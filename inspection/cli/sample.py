"""``inspection sample draw|verify|size|replace``: seeded, verifiable case samples; and
``inspection sample track|untrack|tracked``: the tracked cases, chosen on purpose beside them."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from inspection import settings as settings_module
from inspection.audit.visibility import COMMAND_LINE, NotAMember, viewer_for
from inspection.cli.base import BadInput, add_json_flag, emit, run_with_db
from inspection.cli.progress import run_to_the_end
from inspection.jobs.runner import sample_check_work
from inspection.jobs.worker import start_here
from inspection.models import Child, Inspection, JobKind, User
from inspection.models.columns import fits
from inspection.sampling import population as pop
from inspection.sampling import service, tracking
from inspection.sampling.draw import ALLOCATIONS
from inspection.sampling.size import SizeError, sample_size, sizes_by_stratum
from inspection.sampling.status import MemberStatus
from inspection.sampling.verify import Verification


def register(sub: argparse._SubParsersAction) -> None:
    sample = sub.add_parser("sample", help="draw and verify case samples")
    samplesub = sample.add_subparsers(dest="sample_command", metavar="ACTION", required=True)

    draw = samplesub.add_parser("draw", help="draw a locked, seeded sample")
    draw.add_argument("--inspection", required=True, type=int)
    draw.add_argument(
        "--size", type=int, default=0, help="how many children to select (not needed with --quota)"
    )
    draw.add_argument("--cohort", choices=list(pop.COHORTS))
    draw.add_argument("--agency", action="append", default=[], help="only events of this agency")
    draw.add_argument("--from", dest="start", type=_iso_date, help="window start (event start)")
    draw.add_argument("--to", dest="end", type=_iso_date, help="window end (event start)")
    draw.add_argument("--age-band", action="append", default=[], choices=pop.AGE_BANDS)
    draw.add_argument("--disability", action="append", default=[], choices=pop.DISABILITY_VALUES)
    draw.add_argument(
        "--ethnicity-group", action="append", default=[], choices=pop.ETHNICITY_GROUP_NAMES
    )
    draw.add_argument("--team", action="append", default=[])
    draw.add_argument(
        "--indicator",
        action="append",
        default=[],
        type=_indicator,
        metavar="NAME>=VALUE",
        help="journey indicator filter, e.g. contacts_nfa>=3 (repeatable)",
    )
    draw.add_argument("--stratify-by", choices=pop.STRATIFY_FIELDS)
    draw.add_argument("--allocation", choices=[a for a in ALLOCATIONS if a != "simple"])
    draw.add_argument("--minimum", type=int, default=0, help="minimum per stratum")
    draw.add_argument(
        "--quota",
        action="append",
        default=[],
        type=_quota,
        metavar="TEAM=K",
        help="per-team quota (repeatable); implies --allocation quota by team",
    )
    draw.add_argument("--reserve", type=int, default=0, help="reserve members per stratum")
    draw.add_argument("--seed", type=_hex, help="hex seed (default: 32 random bytes)")
    draw.add_argument("--exclude-audited-months", type=int, default=service.DEFAULT_EXCLUDE_MONTHS)
    draw.add_argument("--purpose", default="")
    draw.add_argument("--drawn-by", help="e-mail of the user drawing the sample")
    add_json_flag(draw)
    draw.set_defaults(handler=_draw)

    verify = samplesub.add_parser("verify", help="recompute a sample from its stored record")
    verify.add_argument("--inspection", required=True, type=int)
    verify.add_argument("--sample", required=True, type=int)
    add_json_flag(verify)
    verify.set_defaults(handler=_verify)

    size = samplesub.add_parser("size", help="sample size for a proportion")
    size.add_argument("--margin", required=True, type=float, help="e.g. 0.10 for ±10 points")
    size.add_argument("--confidence", type=float, default=0.95)
    size.add_argument("--expected", type=float, default=0.5, help="expected proportion")
    size.add_argument("--population", type=int, help="population size (finite correction)")
    size.add_argument(
        "--stratum",
        action="append",
        default=[],
        type=_quota,
        metavar="NAME=N",
        help="a stratum and its population (repeatable): size per stratum",
    )
    add_json_flag(size)
    size.set_defaults(handler=_size)

    replace = samplesub.add_parser("replace", help="replace a member with the next reserve")
    replace.add_argument("--inspection", required=True, type=int)
    replace.add_argument("--sample", required=True, type=int)
    replace.add_argument("--member", required=True, type=int)
    replace.add_argument("--reason", required=True)
    replace.add_argument("--by", help="e-mail of the user making the replacement")
    add_json_flag(replace)
    replace.set_defaults(handler=_replace)

    track = samplesub.add_parser(
        "track", help="track a child chosen on purpose (kept out of the estimates)"
    )
    track.add_argument("--inspection", required=True, type=int)
    track.add_argument("--child", required=True, help="the child's local authority ID")
    track.add_argument("--reason", required=True, help="why this child was chosen")
    track.add_argument("--line-of-enquiry", default="", help="what their experience will test")
    track.add_argument("--by", required=True, help="e-mail of the inspector choosing the child")
    add_json_flag(track)
    track.set_defaults(handler=_track)

    untrack = samplesub.add_parser("untrack", help="stop tracking a child, with the reason")
    untrack.add_argument("--inspection", required=True, type=int)
    untrack.add_argument("--child", required=True, help="the child's local authority ID")
    untrack.add_argument("--reason", required=True, help="why the child is no longer tracked")
    untrack.add_argument("--by", help="e-mail of the person ending it")
    add_json_flag(untrack)
    untrack.set_defaults(handler=_untrack)

    tracked = samplesub.add_parser("tracked", help="list the tracked cases")
    tracked.add_argument("--inspection", required=True, type=int)
    tracked.add_argument(
        "--user",
        help="e-mail of a member: audit grades as they see them (without it, as every "
        "member may see them)",
    )
    add_json_flag(tracked)
    tracked.set_defaults(handler=_tracked)


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date in YYYY-MM-DD form") from None


def _hex(text: str) -> str:
    try:
        bytes.fromhex(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not hexadecimal") from None
    return text.lower()


def _quota(text: str) -> tuple[str, int]:
    name, sep, number = text.rpartition("=")
    if not sep or not name.strip() or not number.strip().isdigit():
        raise argparse.ArgumentTypeError(f"'{text}' is not NAME=NUMBER")
    return name.strip(), int(number)


def _indicator(text: str) -> dict[str, Any]:
    for op in (">=", "<=", "==", "!=", ">", "<"):
        name, sep, value = text.partition(op)
        if sep:
            try:
                number = float(value)
            except ValueError:
                break
            return {
                "name": name.strip(),
                "op": op,
                "value": int(number) if number.is_integer() else number,
            }
    raise argparse.ArgumentTypeError(f"'{text}' is not NAME>=VALUE (or >, <=, <, ==, !=)")


def _definition(args: argparse.Namespace) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "cohort": args.cohort,
        "agencies": args.agency,
        "from": args.start.isoformat() if args.start else None,
        "to": args.end.isoformat() if args.end else None,
        "age_bands": args.age_band,
        "disability": args.disability,
        "ethnicity_groups": args.ethnicity_group,
        "teams": args.team,
        "indicators": args.indicator,
    }
    return {k: v for k, v in definition.items() if v}


async def _user(email: str | None) -> User | None:
    if not email:
        return None
    user = await User.get_or_none(email=email.strip().lower())
    if user is None:
        raise BadInput(f"There is no user with e-mail {email}.")
    return user


def _draw(args: argparse.Namespace) -> int:
    allocation = args.allocation
    if args.quota:
        if allocation not in (None, "quota"):
            raise BadInput("--quota cannot be combined with another allocation.")
        allocation = "quota"
    elif allocation == "quota":
        raise BadInput("Quota allocation needs at least one --quota TEAM=K.")
    if allocation != "quota" and args.size < 1:
        raise BadInput("Give the sample size with --size N.")

    async def work() -> dict[str, Any]:
        try:
            sample = await service.draw_sample(
                args.inspection,
                _definition(args),
                size=args.size,
                stratify_by=args.stratify_by or ("team" if allocation == "quota" else None),
                allocation=allocation,
                minimum=args.minimum,
                quotas=dict(args.quota),
                reserve=args.reserve,
                seed=args.seed,
                exclude_audited_months=args.exclude_audited_months,
                purpose=args.purpose,
                drawn_by=await _user(args.drawn_by),
            )
            return await service.sample_document(args.inspection, sample.id)
        except service.SamplingError as exc:
            raise BadInput(str(exc)) from exc

    doc = run_with_db(work)
    emit(args, doc, lambda: _draw_text(doc))
    return 0


def _draw_text(doc: dict[str, Any]) -> str:
    selected = [m for m in doc["members"] if m["status"] == MemberStatus.SELECTED]
    reserves = [m for m in doc["members"] if m["status"] == MemberStatus.RESERVE]
    lines = [
        f"Sample {doc['id']}: {doc['method']}, {len(selected)} selected and "
        f"{len(reserves)} in reserve from a population of {doc['population']['size']}.",
        f"Seed: {doc['seed']}",
        f"Population hash: {doc['population']['hash']}",
        f"Verify with: {doc['verify_command']}",
    ]
    for m in doc["members"]:
        stratum = f" [{m['stratum']}]" if m["stratum"] else ""
        lines.append(
            f"  {m['status']:<9} {m['la_child_id'] or m['population_key']}{stratum} "
            f"weight {m['weight']:.4g}"
        )
    return "\n".join(lines)


def _verify(args: argparse.Namespace) -> int:
    config = settings_module.load()

    async def work() -> dict[str, Any]:
        if not await service.sample_exists(args.inspection, args.sample):
            raise BadInput(f"There is no sample {args.sample} in inspection {args.inspection}.")
        worker, jobs = await start_here(
            config,
            "inspection sample verify",
            args.inspection,
            JobKind.SAMPLE_CHECK,
            [("", sample_check_work(args.sample))],
        )
        ended = await run_to_the_end(worker, jobs[0])
        return {"sample": args.sample, **ended.outcome}

    doc = run_with_db(work)
    checks = Verification.from_dict(doc)

    def text() -> str:
        if checks.purposive:
            head = (
                f"Sample {doc['sample']} is the tracked cases: chosen on purpose, not drawn, so "
                "there is no draw to repeat."
            )
            return "\n".join([head] + [f"  {c.label}: {c.detail}" for c in checks.checks])
        if doc["identical"]:
            return f"Sample {doc['sample']} is identical to a fresh draw from its stored record."
        return "\n".join(
            [f"Sample {doc['sample']} does NOT match its stored record:"]
            + [f"  {c.label}: {c.detail}" for c in checks.failed]
        )

    emit(args, doc, text)
    return 0 if doc["identical"] else 1


def _size(args: argparse.Namespace) -> int:
    try:
        overall = sample_size(args.margin, args.confidence, args.expected, args.population)
        strata = (
            sizes_by_stratum(dict(args.stratum), args.margin, args.confidence, args.expected)
            if args.stratum
            else {}
        )
    except SizeError as exc:
        raise BadInput(str(exc)) from exc
    doc: dict[str, Any] = {
        "margin": overall.margin,
        "confidence": overall.confidence,
        "expected": overall.expected,
        "z": round(overall.z, 6),
        "population": overall.population,
        "size_infinite_population": overall.infinite,
        "size": overall.size,
    }
    if strata:
        doc["strata"] = [
            {"stratum": k, "population": v.population, "size": v.size} for k, v in strata.items()
        ]
        doc["strata_total"] = sum(v.size for v in strata.values())

    def text() -> str:
        where = f" from a population of {overall.population}" if overall.population else ""
        lines = [
            f"Sample {overall.size}{where} for ±{overall.margin:g} at "
            f"{overall.confidence:.0%} confidence (expected proportion {overall.expected:g})."
        ]
        lines += [
            f"  {s['stratum']}: {s['size']} of {s['population']}" for s in doc.get("strata", [])
        ]
        return "\n".join(lines)

    emit(args, doc, text)
    return 0


def _replace(args: argparse.Namespace) -> int:
    async def work() -> dict[str, Any]:
        try:
            replacement = await service.replace_member(
                args.inspection, args.sample, args.member, args.reason, await _user(args.by)
            )
        except service.SamplingError as exc:
            raise BadInput(str(exc)) from exc
        return {
            "sample": args.sample,
            "replaced": args.member,
            "replacement": replacement.id,
            "population_key": replacement.population_key,
            "stratum": replacement.stratum,
            "reason": replacement.reason,
        }

    doc = run_with_db(work)
    emit(
        args,
        doc,
        lambda: (
            f"Member {doc['replaced']} replaced by member {doc['replacement']} "
            f"(child {doc['population_key']}): {doc['reason']}"
        ),
    )
    return 0


async def _inspection_and_child(inspection_id: int, la_child_id: str) -> tuple[Inspection, Child]:
    inspection = await Inspection.get_or_none(id=inspection_id)
    if inspection is None:
        raise BadInput(f"There is no inspection {inspection_id}.")
    la_child_id = la_child_id.strip()
    child = (
        await Child.get_or_none(inspection_id=inspection.id, la_child_id=la_child_id)
        if fits(Child, "la_child_id", la_child_id)
        else None
    )
    if child is None:
        raise BadInput(
            f"Inspection {inspection_id} has no child with local authority ID {la_child_id}."
        )
    return inspection, child


def _track(args: argparse.Namespace) -> int:
    async def work() -> dict[str, Any]:
        inspection, child = await _inspection_and_child(args.inspection, args.child)
        try:
            member = await tracking.track(
                inspection, child, args.reason, args.line_of_enquiry, await _user(args.by)
            )
        except tracking.TrackingError as exc:
            raise BadInput(str(exc)) from exc
        return {
            "inspection": inspection.id,
            "sample": member.sample_id,
            "member": member.id,
            "child": child.la_child_id,
            "name": tracking.display_name(child),
            "reason": member.reason,
            "line_of_enquiry": member.line_of_enquiry,
        }

    doc = run_with_db(work)
    emit(
        args, doc, lambda: f"{doc['name']} ({doc['child']}) is now a tracked case: {doc['reason']}"
    )
    return 0


def _untrack(args: argparse.Namespace) -> int:
    async def work() -> dict[str, Any]:
        inspection, child = await _inspection_and_child(args.inspection, args.child)
        member = await tracking.tracked_member(inspection.id, child.id)
        if member is None:
            raise BadInput(f"{tracking.display_name(child)} is not a tracked case.")
        try:
            await tracking.untrack(inspection, member.id, args.reason, await _user(args.by))
        except tracking.TrackingError as exc:
            raise BadInput(str(exc)) from exc
        return {"child": child.la_child_id, "name": tracking.display_name(child)}

    doc = run_with_db(work)
    emit(args, doc, lambda: f"{doc['name']} ({doc['child']}) is no longer tracked.")
    return 0


def _tracked(args: argparse.Namespace) -> int:
    async def work() -> dict[str, Any]:
        if not await Inspection.exists(id=args.inspection):
            raise BadInput(f"There is no inspection {args.inspection}.")
        viewer = COMMAND_LINE
        if args.user:
            user = await _user(args.user)
            try:
                viewer = await viewer_for(user, args.inspection)
            except NotAMember as exc:
                raise BadInput(str(exc)) from exc
        return await tracking.tracked_cases(args.inspection, viewer)

    doc = run_with_db(work)

    def text() -> str:
        if not doc["tracked"]:
            return "No child is tracked."
        lines = [f"{len(doc['tracked'])} tracked case(s), in no estimate:"]
        for c in doc["tracked"]:
            audit = c["audit"]
            where = f"audit {audit['status_label'].lower()}" if audit else "not audited yet"
            line = f"; line of enquiry: {c['line_of_enquiry']}" if c["line_of_enquiry"] else ""
            lines.append(
                f"  {c['la_child_id'] or '(no local authority ID)'} {c['name']}: {c['reason']}"
                f"{line} (chosen by {c['tracked_by'] or 'someone no longer recorded'} on "
                f"{c['tracked_at'].strftime('%d/%m/%Y')}; {where})"
            )
        return "\n".join(lines)

    emit(args, doc, text)
    return 0
