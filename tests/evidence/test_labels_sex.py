"""A person's recorded sex in words, by the Annex A gender codes."""

from __future__ import annotations

import pytest

from inspection.evidence.codes import sex_label


@pytest.mark.parametrize(
    ("recorded", "shown"),
    [
        ("M", "Male"),
        ("f", "Female"),
        ("Female", "Female"),
        ("U", "Not stated/recorded"),
        ("", "Not recorded"),
        (None, "Not recorded"),
        ("Non-binary", "Non-binary"),
    ],
)
def test_sex_is_shown_in_words(recorded, shown):
    assert sex_label(recorded) == shown
