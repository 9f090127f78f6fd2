"""Whether a typed value fits a model's text column, read from the model's own definition.

A value longer than its column can be no row's value: a filter on it matches nothing, and a
lookup by it finds nobody. Tortoise refuses to send such a value at all (``ValidationError``),
so every place a typed value meets a column asks here first.
"""

from __future__ import annotations

import functools

from tortoise.models import Model


@functools.cache
def _max_lengths(model: type[Model]) -> dict[str, int]:
    described = model.describe(serializable=False)
    return {
        f["name"]: int(f["constraints"]["max_length"])
        for f in described["data_fields"]
        if "max_length" in f["constraints"]
    }


def max_length(model: type[Model], field: str) -> int:
    """The longest value the text column ``field`` of ``model`` holds."""
    return _max_lengths(model)[field]


def fits(model: type[Model], field: str, value: str) -> bool:
    """Whether ``value`` is short enough to be in column ``field`` of ``model``."""
    return len(value) <= max_length(model, field)
