"""Where an uploaded file stands: loaded (its rows are the evidence) or superseded by a later
upload of the same source (its rows are kept but no longer read). A module of its own because
the models import it."""

from __future__ import annotations

from enum import StrEnum


class UploadStatus(StrEnum):
    LOADED = "loaded"
    SUPERSEDED = "superseded"

    @property
    def label(self) -> str:
        return self.value.capitalize()
