"""Who may use each route: the policy the access matrix enforces (and docs/security.md shows).

Scopes:
- ``public``: no sign-in needed;
- ``signed-in``: anyone signed in, nothing of an inspection is involved;
- ``account``: decided by the user's own account role (``roles``);
- ``inspection``: decided by the user's role in the inspection named in the path
  (``roles``); an admin holds the admin role in every inspection.

``roles`` is what succeeds on the test world (tests/security/world.py); ``note`` says which
object-level rule narrows a role set further.
"""

from __future__ import annotations

from dataclasses import dataclass

from inspection.models.core import Role

A, L, I, LA, Q = (  # noqa: E741
    Role.ADMIN,
    Role.LEAD_INSPECTOR,
    Role.INSPECTOR,
    Role.LA_AUDITOR,
    Role.QA_VIEWER,
)
EVERYONE = frozenset(Role)
READERS = EVERYONE
EDITORS = frozenset({A, L, I, LA})
LEADS = frozenset({A, L})
ADMIN = frozenset({A})


@dataclass(frozen=True)
class Policy:
    scope: str
    roles: frozenset[Role] = frozenset()
    note: str = ""


_I = "/inspections/{inspection_id:id}"

POLICY: dict[tuple[str, str], Policy] = {
    ("GET", "/health"): Policy("public"),
    ("GET", "/login"): Policy("public"),
    ("POST", "/login"): Policy("public", note="throttled per account and per address"),
    ("POST", "/logout"): Policy("signed-in", EVERYONE),
    ("GET", "/"): Policy("signed-in", EVERYONE),
    ("GET", "/inspections"): Policy("signed-in", EVERYONE, "lists only the user's inspections"),
    ("GET", "/inspections/new"): Policy("account", LEADS),
    ("POST", "/inspections"): Policy("account", LEADS),
    ("GET", "/admin/access-log"): Policy("account", ADMIN),
    ("POST", "/admin/access-log"): Policy(
        "account", ADMIN, "filter (POST keeps names out of URLs)"
    ),
    ("GET", "/admin/access-log.csv"): Policy("account", ADMIN),
    ("POST", "/admin/access-log.csv"): Policy("account", ADMIN),
    ("GET", "/admin/authorities"): Policy("account", ADMIN),
    ("POST", "/admin/authorities"): Policy("account", ADMIN),
    ("GET", "/admin/users"): Policy("account", ADMIN),
    ("GET", "/admin/users/new"): Policy("account", ADMIN),
    ("POST", "/admin/users"): Policy("account", ADMIN, "invites: shows a one-time link"),
    ("GET", "/admin/users/{user_id:id}"): Policy("account", ADMIN),
    ("POST", "/admin/users/{user_id:id}/password-link"): Policy("account", ADMIN),
    ("GET", "/admin/users/{user_id:id}/deactivate"): Policy("account", ADMIN),
    ("POST", "/admin/users/{user_id:id}/deactivate"): Policy(
        "account", ADMIN, "never the admin's own account"
    ),
    ("POST", "/admin/users/{user_id:id}/reactivate"): Policy("account", ADMIN),
    ("POST", "/admin/users/{user_id:id}/memberships"): Policy("account", ADMIN),
    ("POST", "/admin/users/{user_id:id}/memberships/{inspection_id:id}/remove"): Policy(
        "account", ADMIN
    ),
    ("GET", "/invitations/{token}"): Policy("public", note="a one-time, expiring token"),
    ("POST", "/invitations/{token}"): Policy("public", note="a one-time, expiring token"),
    ("GET", _I): Policy("inspection", READERS),
    ("POST", f"{_I}/members"): Policy("inspection", LEADS),
    ("GET", f"{_I}/members/{{person_id:id}}/remove"): Policy("inspection", LEADS),
    ("POST", f"{_I}/members/{{person_id:id}}/remove"): Policy(
        "inspection", LEADS, "never the only lead inspector"
    ),
    ("GET", f"{_I}/purge"): Policy(
        "inspection", ADMIN, "asks for the title and a reason, or says when purging is allowed"
    ),
    ("POST", f"{_I}/purge"): Policy(
        "inspection", ADMIN, "only after the retention period, with the title and a reason"
    ),
    ("GET", f"{_I}/evidence"): Policy("inspection", READERS),
    ("POST", f"{_I}/evidence"): Policy("inspection", EDITORS),
    ("GET", f"{_I}/evidence/jobs/{{job_id}}"): Policy("inspection", EDITORS),
    ("GET", f"{_I}/evidence/uploads/{{upload_id:id}}"): Policy("inspection", READERS),
    ("GET", f"{_I}/evidence/uploads/{{upload_id:id}}/issues.xlsx"): Policy("inspection", READERS),
    ("GET", f"{_I}/evidence/templates/agency_{{agency}}.csv"): Policy("inspection", READERS),
    ("GET", f"{_I}/evidence/templates/ssda903_{{table}}.csv"): Policy("inspection", READERS),
    ("GET", f"{_I}/instrument"): Policy("inspection", LEADS),
    ("POST", f"{_I}/instrument"): Policy("inspection", LEADS),
    ("GET", "/instruments"): Policy("signed-in", EVERYONE),
    ("GET", "/programmes"): Policy(
        "signed-in", EVERYONE, "lists only programmes the user started or has a round's team in"
    ),
    ("GET", "/programmes/new"): Policy("account", LEADS),
    ("POST", "/programmes/new"): Policy("account", LEADS),
    ("GET", "/programmes/{programme_id:id}"): Policy(
        "signed-in", EVERYONE, "only a programme the user started or has a round's team in"
    ),
    ("GET", "/programmes/{programme_id:id}/trend.csv"): Policy(
        "signed-in", EVERYONE, "only a programme the user started or has a round's team in"
    ),
    ("GET", "/programmes/{programme_id:id}/rounds/new"): Policy(
        "account", LEADS, "only a programme the user started or has a round's team in"
    ),
    ("POST", "/programmes/{programme_id:id}/rounds/new"): Policy(
        "account", LEADS, "only a programme the user started or has a round's team in"
    ),
    ("GET", f"{_I}/children"): Policy("inspection", READERS),
    ("POST", f"{_I}/children"): Policy(
        "inspection", READERS, "search (POST keeps names out of URLs)"
    ),
    ("GET", f"{_I}/children/{{child_id:id}}"): Policy("inspection", READERS),
    ("GET", f"{_I}/children/{{child_id:id}}/chronology"): Policy("inspection", READERS),
    ("GET", f"{_I}/children/{{child_id:id}}/chronology.csv"): Policy("inspection", READERS),
    ("GET", f"{_I}/children/{{child_id:id}}/conversations"): Policy(
        "inspection", READERS, "a reading hidden where its recorder's marking is"
    ),
    ("GET", f"{_I}/children/{{child_id:id}}/conversations/new"): Policy("inspection", EDITORS),
    ("POST", f"{_I}/children/{{child_id:id}}/conversations/new"): Policy(
        "inspection", EDITORS, "only a complete conversation"
    ),
    ("GET", f"{_I}/children/{{child_id:id}}/records/{{record_id:id}}/not-this-child"): Policy(
        "inspection", EDITORS
    ),
    ("POST", f"{_I}/children/{{child_id:id}}/records/{{record_id:id}}/not-this-child"): Policy(
        "inspection", EDITORS, "only with a reason, after the confirmation page"
    ),
    ("POST", f"{_I}/children/{{child_id:id}}/merge"): Policy("inspection", EDITORS),
    ("POST", f"{_I}/children/{{child_id:id}}/link-search"): Policy("inspection", EDITORS),
    ("GET", f"{_I}/children/{{child_id:id}}/link/{{other_id:id}}"): Policy("inspection", EDITORS),
    ("GET", f"{_I}/linkage"): Policy("inspection", READERS),
    ("POST", f"{_I}/linkage/run"): Policy("inspection", EDITORS),
    ("GET", f"{_I}/linkage/jobs/{{linkage_job_id}}"): Policy("inspection", EDITORS),
    ("POST", f"{_I}/linkage/blind"): Policy("inspection", LEADS),
    ("POST", f"{_I}/linkage/{{decision_id:id}}"): Policy("inspection", EDITORS),
    ("GET", f"{_I}/samples"): Policy("inspection", READERS),
    ("POST", f"{_I}/samples"): Policy("inspection", EDITORS),
    ("POST", f"{_I}/samples/preview"): Policy("inspection", EDITORS),
    ("GET", f"{_I}/samples/{{sample_id:id}}"): Policy("inspection", READERS),
    ("POST", f"{_I}/samples/{{sample_id:id}}/verify"): Policy("inspection", READERS),
    ("GET", f"{_I}/samples/{{sample_id:id}}/verifications/{{verification_id}}"): Policy(
        "inspection", READERS
    ),
    ("GET", f"{_I}/actions"): Policy(
        "inspection", READERS, "an action from an audit only to those who may see the audit"
    ),
    ("POST", f"{_I}/actions"): Policy("inspection", EDITORS),
    ("POST", f"{_I}/actions/follow-up-days"): Policy("inspection", LEADS),
    ("GET", f"{_I}/actions/{{action_id:id}}"): Policy("inspection", READERS),
    ("POST", f"{_I}/actions/{{action_id:id}}/complete"): Policy(
        "inspection", EDITORS, "only its owner or a lead, with the evidence"
    ),
    ("POST", f"{_I}/actions/{{action_id:id}}/drop"): Policy(
        "inspection", LEADS, "only with a reason"
    ),
    ("GET", f"{_I}/reaudits"): Policy("inspection", EDITORS),
    ("POST", f"{_I}/reaudits"): Policy("inspection", EDITORS, "only with a reason"),
    ("GET", f"{_I}/self-evaluation"): Policy("inspection", READERS),
    ("GET", f"{_I}/tracked"): Policy("inspection", READERS),
    ("POST", f"{_I}/tracked"): Policy("inspection", EDITORS, "only with a reason"),
    ("GET", f"{_I}/tracked/{{tracked_id:id}}/untrack"): Policy("inspection", EDITORS),
    ("POST", f"{_I}/tracked/{{tracked_id:id}}/untrack"): Policy(
        "inspection", EDITORS, "only with a reason, never once the child's audit has started"
    ),
    ("GET", f"{_I}/samples/{{sample_id:id}}/members/{{member_id:id}}"): Policy(
        "inspection", READERS
    ),
    ("POST", f"{_I}/samples/{{sample_id:id}}/members/{{member_id:id}}/replace"): Policy(
        "inspection", EDITORS
    ),
    ("GET", f"{_I}/audits"): Policy(
        "inspection", EDITORS, "grades only of the audits the user may see; each child logged"
    ),
    ("POST", f"{_I}/audits"): Policy("inspection", EDITORS),
    ("GET", f"{_I}/audits/feedback.csv"): Policy(
        "inspection", EDITORS, "only the audits the user may see"
    ),
    ("GET", f"{_I}/audits/{{audit_id:id}}"): Policy(
        "inspection", EDITORS, "hidden: an unfinished blind pair's other marking, others' drafts"
    ),
    ("POST", f"{_I}/audits/{{audit_id:id}}/save"): Policy(
        "inspection", EDITORS, "only a draft, by its auditor or a lead"
    ),
    ("POST", f"{_I}/audits/{{audit_id:id}}/submit"): Policy(
        "inspection", EDITORS, "only a draft, by its auditor or a lead"
    ),
    ("POST", f"{_I}/audits/{{audit_id:id}}/concerns"): Policy("inspection", EDITORS),
    ("GET", f"{_I}/audits/members/{{member_id:id}}/multi-agency"): Policy(
        "inspection", EDITORS, "grades only of the parts the user may see; the child logged"
    ),
    ("POST", f"{_I}/audits/members/{{member_id:id}}/multi-agency"): Policy("inspection", LEADS),
    ("POST", f"{_I}/audits/members/{{member_id:id}}/multi-agency/discussion"): Policy(
        "inspection", EDITORS, "once every part is submitted, by a lead or a part's auditor"
    ),
    ("GET", f"{_I}/members/agencies"): Policy("inspection", READERS),
    ("POST", f"{_I}/members/agencies"): Policy("inspection", LEADS),
    ("GET", f"{_I}/findings/authority"): Policy(
        "inspection", READERS, "computed from the audits the user may see"
    ),
    ("GET", f"{_I}/moderation"): Policy("inspection", LEADS, "each child shown is logged"),
    ("POST", f"{_I}/moderation/plan"): Policy("inspection", LEADS),
    ("POST", f"{_I}/moderation/agree"): Policy("inspection", LEADS),
    ("GET", f"{_I}/findings"): Policy(
        "inspection", READERS, "computed from the audits the user may see"
    ),
    ("GET", f"{_I}/findings/judgement"): Policy("inspection", LEADS),
    ("POST", f"{_I}/findings/judgement"): Policy("inspection", LEADS),
    ("GET", f"{_I}/findings/audits"): Policy(
        "inspection", READERS, "lists only audits the user may see"
    ),
    ("GET", f"{_I}/concerns"): Policy(
        "inspection",
        READERS,
        "lists only concerns the user raised, unless lead or LA contact; each child logged",
    ),
    ("GET", f"{_I}/concerns/{{concern_id:id}}"): Policy(
        "inspection",
        frozenset({A, L, I, LA}),
        "leads, the authority's named contacts and whoever raised it",
    ),
    ("POST", f"{_I}/concerns/{{concern_id:id}}/{{action:str}}"): Policy(
        "inspection",
        frozenset({A, L, I, LA}),
        "as viewing; respond: leads and LA contacts; close: leads",
    ),
    ("GET", f"{_I}/exports"): Policy("inspection", READERS),
    ("POST", f"{_I}/exports/workbook"): Policy(
        "inspection", READERS, "what the user may see; pseudonymised unless identifiable chosen"
    ),
    ("POST", f"{_I}/exports/tables"): Policy(
        "inspection", READERS, "what the user may see; pseudonymised unless identifiable chosen"
    ),
    ("POST", f"{_I}/exports/samples/{{sample_id:id}}/offline-pack/make"): Policy(
        "inspection", EDITORS, "children whose first marking the user may not see are left out"
    ),
    ("GET", f"{_I}/exports/downloads/{{export_id}}"): Policy(
        "inspection", frozenset({L}), "only its maker (here the lead), while they may make it"
    ),
    ("GET", f"{_I}/exports/downloads/{{export_id}}/file"): Policy(
        "inspection",
        frozenset({L}),
        "only its maker (here the lead), in the role they made it in; each download logged",
    ),
    ("POST", f"{_I}/exports/samples/{{sample_id:id}}/offline-pack"): Policy("inspection", EDITORS),
    ("GET", "/static"): Policy("public", note="the stylesheet, scripts and fonts"),
}


def route_keys(app: object) -> set[tuple[str, str]]:
    """(method, path) of every route and mount of the app (HEAD goes with GET)."""
    keys = set()
    for route in app.routes:  # type: ignore[attr-defined]
        methods = getattr(route, "methods", None) or {"GET"}
        for method in methods - {"HEAD"}:
            keys.add((method, route.path))
    return keys


ROLE_ORDER = (A, L, I, LA, Q)


def policy_table() -> str:
    """The policy as the Markdown table in docs/security.md (a test keeps the two equal)."""
    lines = [
        "| method | path | who | admin | lead | inspector | LA auditor | QA viewer | rule |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (method, path), p in sorted(POLICY.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        marks = ["yes" if r in p.roles else "" for r in ROLE_ORDER]
        if p.scope == "public":
            marks = ["yes"] * len(ROLE_ORDER)
        shown = path.replace(":id", "").replace(":str", "")
        lines.append(f"| {method} | `{shown}` | {p.scope} | {' | '.join(marks)} | {p.note} |")
    return "\n".join(lines) + "\n"
