"""Where a sample member stands: drawn into the sample, held in reserve, replaced, or chosen as
a replacement; and which of them are the children in the sample."""

from __future__ import annotations

from enum import StrEnum


class MemberStatus(StrEnum):
    SELECTED = "selected"
    RESERVE = "reserve"
    REPLACED = "replaced"
    REPLACEMENT = "replacement"


# The children in the sample: those drawn and not replaced, and those who replaced them. Every
# audit list, export, moderation plan, overview and check of the sample counts these.
IN_SAMPLE = (MemberStatus.SELECTED, MemberStatus.REPLACEMENT)
