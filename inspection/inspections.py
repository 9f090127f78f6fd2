"""Local authorities, inspections and who may see them."""

from __future__ import annotations

from datetime import date

from tortoise.expressions import F

from inspection.audit.rubric import RubricError, find_instrument
from inspection.models import AccessLog, Inspection, LocalAuthority, Membership, User
from inspection.models.columns import fits, max_length
from inspection.models.core import InspectionKind, Role


class InspectionError(ValueError):
    """Bad input, said in words; ``field`` names the input it is about, when there is one."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class NotAMember(InspectionError):
    """The person is not in the inspection's team."""


# Roles a person can hold in one inspection's team (admin is a whole-service role).
MEMBER_ROLES = (Role.LEAD_INSPECTOR, Role.INSPECTOR, Role.LA_AUDITOR, Role.QA_VIEWER)


async def add_local_authority(code: str, name: str) -> LocalAuthority:
    code = code.strip().upper()
    if not code or not name.strip():
        raise InspectionError("A local authority needs a code and a name.")
    for field, value in (("code", code), ("name", name.strip())):
        if not fits(LocalAuthority, field, value):
            limit = max_length(LocalAuthority, field)
            raise InspectionError(f"A local authority's {field} is {limit} characters at most.")
    if await LocalAuthority.filter(code=code).exists():
        raise InspectionError(f"Local authority {code} already exists.")
    return await LocalAuthority.create(code=code, name=name.strip())


async def create_inspection(
    la_code: str,
    kind: str,
    title: str,
    reference_date: date,
    created_by: User | None = None,
    *,
    instrument: str = "",
    theme: str = "",
    programme_id: int | None = None,
) -> Inspection:
    """A new inspection (a round); ``instrument``: the code of the instrument its audits are
    made with (the default when empty); ``theme``: what the round looks at."""
    code = la_code.strip().upper()
    la = await LocalAuthority.get_or_none(code=code) if fits(LocalAuthority, "code", code) else None
    if la is None:
        raise InspectionError(f"There is no local authority with code {la_code}.", "la")
    try:
        kind_value = InspectionKind(kind)
    except ValueError:
        kinds = ", ".join(k.value for k in InspectionKind)
        raise InspectionError(f"Unknown kind '{kind}'. Kinds are: {kinds}.", "kind") from None
    if not title.strip():
        raise InspectionError("An inspection needs a title.", "title")
    if not fits(Inspection, "title", title.strip()):
        limit = max_length(Inspection, "title")
        raise InspectionError(f"The title must be {limit} characters or fewer.", "title")
    if not fits(Inspection, "theme", theme.strip()):
        limit = max_length(Inspection, "theme")
        raise InspectionError(f"The theme must be {limit} characters or fewer.", "theme")
    rubric = None
    if instrument.strip():
        try:
            rubric = await find_instrument(instrument)
        except RubricError as exc:
            raise InspectionError(str(exc), "instrument") from None
    inspection = await Inspection.create(
        la=la,
        kind=kind_value,
        title=title.strip(),
        reference_date=reference_date,
        created_by=created_by,
        rubric=rubric,
        theme=theme.strip(),
        programme_id=programme_id,
    )
    if created_by is not None and created_by.role in MEMBER_ROLES:
        # an administrator sees every inspection without joining its team
        await add_member(inspection, created_by, created_by.role)
    return inspection


async def add_member(
    inspection: Inspection, user: User, role: Role | str, is_la_contact: bool | None = None
) -> Membership:
    """Give ``user`` a role in ``inspection``; the named-contact flag changes only when given."""
    defaults: dict[str, object] = {"role": Role(role)}
    if is_la_contact is not None:
        defaults["is_la_contact"] = is_la_contact
    membership, _ = await Membership.update_or_create(
        defaults=defaults, user=user, inspection=inspection
    )
    return membership


async def only_lead(inspection_id: int, user_id: int) -> bool:
    """True when ``user_id`` is the inspection's one lead inspector: the team would have no
    lead without them."""
    leads = await Membership.filter(
        inspection_id=inspection_id, role=Role.LEAD_INSPECTOR
    ).values_list("user_id", flat=True)
    return list(leads) == [user_id]


async def remove_member(inspection: Inspection, user_id: int) -> User:
    """Take a member off the team (they no longer see it, unless an admin), whoever asks: a
    lead on the inspection's page, an administrator, the command line. The one lead inspector
    stays: the team would have nobody to run it (add another lead first)."""
    membership = await Membership.get_or_none(
        inspection_id=inspection.id, user_id=user_id
    ).prefetch_related("user")
    if membership is None:
        person = await User.get_or_none(id=user_id)
        who = person.name if person else "That person"
        raise NotAMember(f"{who} is not in the team of {inspection.title}.")
    if await only_lead(inspection.id, user_id):
        raise InspectionError(
            f"{membership.user.name} is the only lead inspector: add another lead inspector "
            "to the team before removing them."
        )
    await membership.delete()
    return membership.user


async def removed_member_name(inspection_id: int, user_id: int) -> str:
    """The name of someone taken off the team from the inspection's page ("" unless the access
    log records that removal and they are no longer a member)."""
    removed = await AccessLog.exists(
        inspection_id=inspection_id, action="remove-member", object_id=str(user_id)
    )
    member = await Membership.exists(inspection_id=inspection_id, user_id=user_id)
    user = await User.get_or_none(id=user_id) if removed and not member else None
    return user.name if user else ""


async def visible_inspections(user: User) -> list[Inspection]:
    """Admins see every inspection; everyone else only those they are members of."""
    query = Inspection.all().prefetch_related("la").order_by("-reference_date", "-id")
    if user.role != Role.ADMIN:
        query = query.filter(memberships__user_id=user.id)
    return list(await query)


async def membership_role(user: User, inspection_id: int) -> Role | None:
    """The role a user holds in an inspection, or ``None`` if they may not see it."""
    found = await inspection_for(user, inspection_id)
    return found[1] if found is not None else None


async def inspection_for(user: User, inspection_id: int) -> tuple[Inspection, Role] | None:
    """The inspection and the user's role in it, in one query; or ``None`` if they may not see
    it (every request inside an inspection asks: a page that names the local authority reads
    it itself). An admin is an admin in every inspection, whatever membership they also
    hold."""
    if user.role == Role.ADMIN:
        inspection = await Inspection.filter(id=inspection_id).first()
        return (inspection, Role.ADMIN) if inspection is not None else None
    # The membership's role comes along as an annotation: a join without building a second model.
    inspection = (
        await Inspection.filter(id=inspection_id, memberships__user_id=user.id)
        .annotate(member_role=F("memberships__role"))
        .first()
    )
    if inspection is None:
        return None
    return inspection, Role(getattr(inspection, "member_role"))  # noqa: B009 (an annotation)
