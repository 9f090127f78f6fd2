"""What a person decided about a link (``journey.decisions``), or that a pair waits for them."""

from __future__ import annotations

from enum import StrEnum


class DecisionKind(StrEnum):
    PENDING = "pending"
    ACCEPT = "accept"
    REJECT = "reject"
    SPLIT = "split"
    MERGE = "merge"
