"""Upkeep forgets set-password links that can no longer be used, and keeps the ones that can."""

from datetime import UTC, datetime, timedelta

from inspection.invitations import accept, invitation_for, invite_user, new_link
from inspection.models import Invitation
from inspection.upkeep import upkeep


async def test_used_ended_and_expired_links_are_deleted_and_working_ones_kept(db):
    fresh = await invite_user("fresh@example.org", "Fresh", "inspector", None)
    used = await invite_user("used@example.org", "Used", "inspector", None)
    assert await accept(used.token, "a long enough password") is not None
    expired = await invite_user("expired@example.org", "Expired", "inspector", None)
    await Invitation.filter(user_id=expired.user.id).update(
        expires_at=datetime.now(UTC) - timedelta(minutes=1)
    )
    ended = await invite_user("again@example.org", "Again", "inspector", None)
    newer = await new_link(ended.user, None)
    assert await Invitation.all().count() == 5

    report = await upkeep(db)

    assert report.invitations == 3
    kept = await Invitation.all().order_by("id").values_list("user__email", flat=True)
    assert kept == ["fresh@example.org", "again@example.org"]
    assert await invitation_for(fresh.token) is not None
    assert await invitation_for(newer.token) is not None
    for gone in (used, expired, ended):
        assert await invitation_for(gone.token) is None
    assert (await upkeep(db)).invitations == 0
