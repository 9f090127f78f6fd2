"""The conversations sheet of an export: what the child, family and practitioner said, what it
tells us (as the person exporting may see it, ``inspection.audit.visibility``), and the audits
that cite each one."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from inspection.audit.conversations import Shown, conversations_seen
from inspection.models import Score


def cited_label(c: Shown) -> str:
    """How a score's cited conversation is named in an export: "12/11/2026: The child"."""
    return f"{c.held_on:%d/%m/%Y}: {c.who}"


async def cited_by(ctx: Any) -> dict[int, list[tuple[int, str]]]:
    """Conversation id → the (audit id, domain) of every score the viewer may see citing it."""
    out: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for audit_id, domain, cited in await Score.filter(
        inspection_id=ctx.inspection.id, audit_id__in=sorted(ctx.seen)
    ).values_list("audit_id", "domain", "cited_conversations"):
        for conversation_id in cited or []:
            out[int(conversation_id)].append((int(audit_id), str(domain)))
    return out


async def exported_conversations(ctx: Any) -> list[Shown]:
    """The conversations about the children the export names, as the viewer may see them."""
    return await conversations_seen(ctx.inspection.id, ctx.viewer, list(ctx.children))
