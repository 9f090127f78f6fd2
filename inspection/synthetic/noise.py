"""How untidy the agencies' records of a child are, beyond each agency's own profile.

Real extracts hold what a tidy generator does not: one agency holding the same child under
several person ids, given and family names typed the wrong way round, dates of birth with two
digits transposed or only the month and year known, blank fields, a family name that changed,
and more twins. Each is a rate, so the linkage benchmark can measure on noise rates other than
those the model was set against (docs/synthetic.md, docs/linkage.md).

``NOISE["basic"]`` is the generator as it was before these rates existed: it draws nothing from
the noise stream, so its files are byte-identical to earlier ones (the committed fixtures).
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True, slots=True)
class Noise:
    """Rates of each kind of untidiness (each a chance per record unless said otherwise)."""

    # chance that an agency with two or more events for a child holds them under one more
    # person id (drawn again for a third, and so on)
    extra_record: float = 0.0
    swapped_names: float = 0.0  # given and family names the wrong way round
    dob_transposed: float = 0.0  # two neighbouring digits of the date of birth swapped
    dob_partial: float = 0.0  # only month and year known: the day written as the 1st
    blank_given: float = 0.0
    blank_family: float = 0.0
    blank_dob: float = 0.0
    blank_postcode: float = 0.0
    name_change: float = 0.0  # per child: the family name changed; some records hold the new one
    twin_share: float = 0.05  # of families with two or more children (per family)

    def touches_records(self) -> bool:
        """Whether any per-record rate is set (``basic`` draws nothing from the noise stream)."""
        return any(v for k, v in asdict(self).items() if k != "twin_share")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


NOISE: dict[str, Noise] = {
    # The generator the linkage model's stated values were first set against.
    "basic": Noise(),
    # What real extracts hold, at rates seen in partner-agency data quality reports.
    "realistic": Noise(
        extra_record=0.12,
        swapped_names=0.03,
        dob_transposed=0.02,
        dob_partial=0.02,
        blank_given=0.02,
        blank_family=0.01,
        blank_dob=0.02,
        blank_postcode=0.04,
        name_change=0.03,
        twin_share=0.10,
    ),
    # Held out: other rates, mostly higher, for a second seed (never tuned on).
    "severe": Noise(
        extra_record=0.25,
        swapped_names=0.06,
        dob_transposed=0.04,
        dob_partial=0.05,
        blank_given=0.04,
        blank_family=0.03,
        blank_dob=0.05,
        blank_postcode=0.08,
        name_change=0.06,
        twin_share=0.15,
    ),
}


def transposed(rng: random.Random, dob: date, latest: date) -> date | None:
    """The date with two neighbouring digits of its DD/MM/YYYY form swapped (within the day,
    the month or the year), when that is another valid date no later than ``latest`` and
    within 20 years of the true one (None when there is none)."""
    text = f"{dob.day:02d}{dob.month:02d}{dob.year:04d}"
    options = []
    for i in range(len(text) - 1):
        if text[i] == text[i + 1] or i in (1, 3):  # keep swaps inside day, month or year
            continue
        swapped = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        try:
            made = date(int(swapped[4:]), int(swapped[2:4]), int(swapped[:2]))
        except ValueError:
            continue
        if made <= latest and abs(made.year - dob.year) <= 20:
            options.append(made)
    return rng.choice(options) if options else None


def partial(rng: random.Random, dob: date) -> date:
    """The date as a system records a birth date whose day is not known: the 1st of the month
    (and sometimes 1 January)."""
    return date(dob.year, 1, 1) if rng.random() < 0.25 else date(dob.year, dob.month, 1)
