"""``inspection multi-agency`` (the agencies' auditors, setting up a multi-agency audit) and
``inspection authority-agreement`` (the authority's audits against the inspectors')."""

from __future__ import annotations

import argparse
from typing import Any

from inspection.audit import multi_agency
from inspection.audit.agency import Agency
from inspection.audit.audits import AuditError
from inspection.audit.authority_agreement import authority_agreement
from inspection.audit.visibility import COMMAND_LINE, NotAMember, viewer_for
from inspection.cli.base import BadInput, add_json_flag, emit, run_with_db
from inspection.inspections import membership_role
from inspection.models import Child, Inspection, SampleMember, User
from inspection.models.columns import fits
from inspection.sampling.status import AUDITED


def register(sub: argparse._SubParsersAction) -> None:
    group = sub.add_parser("multi-agency", help="multi-agency audits: each agency audits its part")
    msub = group.add_subparsers(dest="multi_agency_command", metavar="ACTION", required=True)
    names = ", ".join(a.label for a in Agency)

    auditor = msub.add_parser("auditor", help="record the agency a member audits for")
    auditor.add_argument("--inspection", required=True, type=int)
    auditor.add_argument("--user", required=True, help="e-mail of the member")
    auditor.add_argument(
        "--agency", required=True, help=f"the agency ({names}), or 'none' for no agency"
    )
    add_json_flag(auditor)
    auditor.set_defaults(handler=_auditor)

    auditors = msub.add_parser("auditors", help="list each agency's auditors")
    auditors.add_argument("--inspection", required=True, type=int)
    add_json_flag(auditors)
    auditors.set_defaults(handler=_auditors)

    set_up = msub.add_parser("set-up", help="set up a child's audit as multi-agency")
    set_up.add_argument("--inspection", required=True, type=int)
    set_up.add_argument("--child", required=True, help="the child's local authority ID")
    set_up.add_argument(
        "--agencies", required=True, help=f"two or more agencies, comma-separated ({names})"
    )
    set_up.add_argument("--by", required=True, help="e-mail of the lead inspector")
    add_json_flag(set_up)
    set_up.set_defaults(handler=_set_up)

    agree = sub.add_parser(
        "authority-agreement",
        help="how far the authority's own audits agree with the inspectors' audits",
    )
    agree.add_argument("--inspection", required=True, type=int)
    agree.add_argument(
        "--user",
        help="e-mail of a member: the figures as they see them (without it, from the audits "
        "every member may see)",
    )
    add_json_flag(agree)
    agree.set_defaults(handler=_agreement)


async def _inspection(inspection_id: int) -> Inspection:
    inspection = await Inspection.get_or_none(id=inspection_id)
    if inspection is None:
        raise BadInput(f"There is no inspection {inspection_id}.")
    return inspection


async def _user(email: str) -> User:
    user = await User.get_or_none(email=email.strip().lower())
    if user is None:
        raise BadInput(f"There is no user with e-mail {email}.")
    return user


def _auditor(args: argparse.Namespace) -> int:
    async def work() -> dict[str, Any]:
        inspection = await _inspection(args.inspection)
        user = await _user(args.user)
        agency = "" if args.agency.strip().lower() == "none" else args.agency
        try:
            membership = await multi_agency.set_agency(inspection.id, user, agency)
        except AuditError as exc:
            raise BadInput(str(exc)) from exc
        value = membership.agency
        return {
            "inspection_id": inspection.id,
            "user": user.email,
            "agency": value,
            "agency_label": Agency(value).label if value else "",
            "name": user.name,
        }

    doc = run_with_db(work)
    emit(
        args,
        doc,
        lambda: (
            f"{doc['name']} audits for {doc['agency_label']} in inspection {doc['inspection_id']}."
            if doc["agency"]
            else f"{doc['name']} audits for no agency in inspection {doc['inspection_id']}."
        ),
    )
    return 0


def _auditors(args: argparse.Namespace) -> int:
    async def work() -> dict[str, Any]:
        inspection = await _inspection(args.inspection)
        found = await multi_agency.agency_auditors(inspection.id)
        return {
            "inspection_id": inspection.id,
            "agencies": [
                {
                    "agency": a.value,
                    "label": a.label,
                    "auditors": [{"name": u["name"], "email": u["email"]} for u in found[a.value]],
                }
                for a in Agency
            ],
        }

    doc = run_with_db(work)

    def text() -> str:
        return "\n".join(
            f"{a['label']}: "
            + (", ".join(f"{u['name']} <{u['email']}>" for u in a["auditors"]) or "no auditor")
            for a in doc["agencies"]
        )

    emit(args, doc, text)
    return 0


def _set_up(args: argparse.Namespace) -> int:
    async def work() -> dict[str, Any]:
        inspection = await _inspection(args.inspection)
        by = await _user(args.by)
        role = await membership_role(by, inspection.id)
        if role is None:
            raise BadInput(f"{by.email} is not a member of inspection {inspection.id}.")
        la_child_id = args.child.strip()
        child = (
            await Child.get_or_none(inspection_id=inspection.id, la_child_id=la_child_id)
            if fits(Child, "la_child_id", la_child_id)
            else None
        )
        if child is None:
            raise BadInput(
                f"Inspection {inspection.id} has no child with local authority ID {la_child_id}."
            )
        member = (
            await SampleMember.filter(
                inspection_id=inspection.id, child_id=child.id, status__in=AUDITED
            )
            .order_by("id")
            .first()
        )
        if member is None:
            raise BadInput(
                f"Child {la_child_id} is not in a sample or tracked in inspection {inspection.id}."
            )
        agencies = [a for a in args.agencies.split(",") if a.strip()]
        try:
            joint = await multi_agency.set_up(inspection.id, member.id, agencies, by, role)
        except AuditError as exc:
            raise BadInput(str(exc)) from exc
        return {
            "inspection_id": inspection.id,
            "child": la_child_id,
            "agencies": list(joint.agencies),
        }

    doc = run_with_db(work)
    emit(
        args,
        doc,
        lambda: (
            f"The audit of child {doc['child']} is multi-agency: "
            + ", ".join(Agency(a).label for a in doc["agencies"])
            + " each audit their part, then a joint discussion."
        ),
    )
    return 0


def _pct(value: float | None) -> str:
    return "not defined" if value is None else f"{value * 100:.1f}%"


def _agreement_text(doc: dict[str, Any]) -> str:
    lines = [
        f"Inspection {doc['inspection_id']}: {doc['children']} "
        + ("child has" if doc["children"] == 1 else "children have")
        + " both the authority's audit and the inspectors' audit."
    ]
    for r in doc["rubrics"]:
        lines.append(f"{r['rubric']}:")
        for d in r["domains"]:
            kappa = "not defined" if d["kappa"] is None else f"{d['kappa']:.3f}"
            lines.append(
                f"  {d['title']}: same grade {d['agreed']}/{d['pairs']} ({_pct(d['exact'])}), "
                f"within one grade {d['within_one']}/{d['pairs']} "
                f"({_pct(d['within_one_share'])}), kappa {kappa}; authority better "
                f"{d['authority_better']}, worse {d['authority_worse']}"
                + (f"; {d['left_out']} left out (not applicable)" if d["left_out"] else "")
                + (f" (too few to say much: fewer than {doc['few_pairs']})" if d["few"] else "")
            )
    return "\n".join(lines)


def _agreement(args: argparse.Namespace) -> int:
    async def work() -> dict[str, Any]:
        inspection = await _inspection(args.inspection)
        viewer = COMMAND_LINE
        if args.user:
            try:
                viewer = await viewer_for(await _user(args.user), inspection.id)
            except NotAMember as exc:
                raise BadInput(str(exc)) from exc
        return await authority_agreement(inspection.id, viewer)

    doc = run_with_db(work)
    emit(args, doc, lambda: _agreement_text(doc))
    return 0
