"""The children of the synthetic authority, family by family: siblings at one address with one
surname, twins, care leavers, and unrelated look-alikes (similar name, same date of birth)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from inspection.synthetic import people
from inspection.synthetic.journeys import birthday
from inspection.synthetic.people import Person

FAMILY_SIZES = (1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5)
CARE_LEAVER_SHARE = 0.03
LOOKALIKE_SHARE = 0.02
TWIN_SHARE = 0.05  # of families with two or more children (the basic noise rate)


class Population:
    def __init__(self, rng: random.Random, reference: date, twin_share: float = TWIN_SHARE) -> None:
        self.rng = rng
        self.twin_share = twin_share
        self.reference = reference
        self.made = 0
        self.groups = 0
        self.recent: list[Person] = []
        self.used_nhs: set[str] = set()
        self.used_upn: set[str] = set()
        self.used_la: set[str] = set()

    def _key(self) -> str:
        self.made += 1
        return f"C{self.made:06d}"

    def _nhs(self) -> str:
        while True:
            value = people.nhs_number(self.rng)
            if value not in self.used_nhs:
                self.used_nhs.add(value)
                return value

    def _upn(self, dob: date) -> str | None:
        if (self.reference - dob).days < 4 * 365:
            return None
        while True:
            value = people.upn(self.rng, dob)
            if value not in self.used_upn:
                self.used_upn.add(value)
                return value

    def la_child_id(self) -> str:
        while True:
            value = str(self.rng.randrange(100000, 1000000))
            if value not in self.used_la:
                self.used_la.add(value)
                return value

    def _person(
        self,
        given: str,
        family: str,
        dob: date,
        sex: str,
        ethnicity: int,
        address: people.Address,
        previous: people.Address | None,
        group: str | None,
    ) -> Person:
        rng = self.rng
        person = Person(
            self._key(),
            given,
            family,
            dob,
            sex,
            ethnicity,
            address,
            previous,
            self._nhs(),
            self._upn(dob),
            group,
            disabled=rng.random() < 0.04,
        )
        self.recent.append(person)
        if len(self.recent) > 500:
            del self.recent[:250]
        return person

    def _dob(self, low_age: float, high_age: float) -> date:
        days = self.rng.randint(int(low_age * 365.25), int(high_age * 365.25))
        return self.reference - timedelta(days=days)

    def _ethnicity(self) -> int:
        return self.rng.choices(range(20), weights=people.ETHNICITY_WEIGHTS)[0]

    def family(self, limit: int) -> tuple[str, list[Person]]:
        """The next family: (kind, children) with kind ``family``, ``care_leaver`` or
        ``lookalike``; never more than ``limit`` children."""
        rng = self.rng
        roll = rng.random()
        address = people.address(rng)
        previous = people.address(rng) if rng.random() < 0.25 else None
        if roll < CARE_LEAVER_SHARE:
            sex = rng.choice("MF")
            dob = self.reference - timedelta(days=rng.randint(18 * 365 + 5, 21 * 365))
            if birthday(dob, 18) > self.reference:
                dob = dob - timedelta(days=10)
            person = self._person(
                people.given_name(rng, sex),
                people.surname(rng),
                dob,
                sex,
                self._ethnicity(),
                address,
                previous,
                None,
            )
            return "care_leaver", [person]
        if roll < CARE_LEAVER_SHARE + LOOKALIKE_SHARE and self.recent:
            other = rng.choice(self.recent)
            if other.dob > self.reference - timedelta(days=18 * 365):
                person = self._person(
                    people.similar_given(rng, other.given),
                    other.family,
                    other.dob,
                    other.sex,
                    self._ethnicity(),
                    address,
                    previous,
                    None,
                )
                return "lookalike", [person]
        size = min(limit, rng.choice(FAMILY_SIZES))
        surname = people.surname(rng)
        ethnicity = self._ethnicity()
        group = None
        if size > 1:
            self.groups += 1
            group = f"SG{self.groups:05d}"
        kids: list[Person] = []
        dob = self._dob(0.1, 17.9 if size == 1 else 17.5)
        twins_at = rng.randrange(size - 1) if size > 1 and rng.random() < self.twin_share else -1
        for i in range(size):
            sex = rng.choice("MF")
            given = people.given_name(rng, sex, avoid=tuple(k.given for k in kids))
            family = surname if i == 0 or rng.random() > 0.12 else people.surname(rng)
            kid = self._person(given, family, dob, sex, ethnicity, address, previous, group)
            kids.append(kid)
            if i == twins_at + 1 and twins_at >= 0:
                kid.family = kids[i - 1].family
                kid.twin = kids[i - 1].twin = True
            if i + 1 == twins_at + 1:
                continue  # the twin shares this date of birth
            step = timedelta(days=rng.randint(300, 1800))
            if self.reference - (dob + step) < timedelta(days=20):
                dob = self.reference - timedelta(days=rng.randint(20, 200))
            else:
                dob = dob + step
        return "family", kids
