"""What each kind of evidence file is called on pages and in exports."""

from __future__ import annotations

from inspection.evidence.load import SOURCE_KINDS

SOURCE_KIND_LABELS: dict[str, str] = {
    "annex-a": "Annex A workbook",
    "cin-census": "CIN census",
    "agency": "Partner-agency extract",
}
assert set(SOURCE_KIND_LABELS) == set(SOURCE_KINDS)


def source_kind_label(kind: str) -> str:
    return SOURCE_KIND_LABELS.get(kind, kind)


# An upload's status as its tag on the evidence page says it.
UPLOAD_STATUS_LABELS: dict[str, str] = {
    "loaded": "Loaded",
    "superseded": "Superseded",
}


def upload_status_label(status: str) -> str:
    return UPLOAD_STATUS_LABELS.get(status, status.replace("_", " ").capitalize())
