"""Partner-agency extracts (docs/formats.md §3): one CSV per agency, one row per event, each
agency keyed by its own person id and recording the child its own way."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from inspection.evidence.agencies import COLUMNS as AGENCY_COLUMNS
from inspection.synthetic import noise as untidy
from inspection.synthetic.journeys import EH_ORGANISATIONS, Journey, PartnerEvent, age_on
from inspection.synthetic.noise import Noise
from inspection.synthetic.people import (
    Person,
    recorded_dob,
    recorded_family,
    recorded_given,
)
from inspection.synthetic.people import surname as any_surname

# The extract format is the importer's (docs/formats.md): one definition, used by both.
COLUMNS = AGENCY_COLUMNS
AGENCIES = ("police", "health", "education", "early_help", "social_care")


@dataclass(frozen=True, slots=True)
class Profile:
    """How well an agency records who a child is."""

    id_prefix: str
    id_digits: int
    record_prefix: str
    nhs: float
    upn: float
    la_child_id: float
    quality: float
    swap_dob: float
    missing_dob: float
    missing_address: float
    old_address: float
    duplicate: float


PROFILES = {
    "police": Profile("PP", 8, "OCC", 0.03, 0.01, 0.0, 0.78, 0.03, 0.04, 0.12, 0.15, 0.03),
    "health": Profile("H", 7, "ATT", 0.93, 0.0, 0.0, 0.90, 0.01, 0.005, 0.03, 0.10, 0.02),
    "education": Profile("EP", 6, "EDU", 0.04, 0.94, 0.0, 0.92, 0.01, 0.01, 0.05, 0.08, 0.01),
    "early_help": Profile("EH", 6, "EHE", 0.20, 0.30, 0.45, 0.85, 0.02, 0.02, 0.05, 0.10, 0.0),
    "social_care": Profile("", 0, "SC", 0.72, 0.65, 1.0, 0.97, 0.005, 0.0, 0.02, 0.0, 0.0),
}


def ddmmyyyy(day: date | None) -> str:
    return "" if day is None else f"{day.day:02d}/{day.month:02d}/{day.year}"


class AgencyExtracts:
    """Collects rows per agency while children are generated; writes sorted CSVs at the end."""

    def __init__(
        self,
        rng: random.Random,
        noise: Noise | None = None,
        noise_rng: random.Random | None = None,
        reference_date: date | None = None,
    ) -> None:
        self.rng = rng
        self.rows: dict[str, list[list[str]]] = {agency: [] for agency in AGENCIES}
        self.used_ids: set[str] = set()
        self.noise = noise or Noise()
        # The noise has a stream of its own, drawn only when a per-record rate is set, so the
        # basic generator's files stay byte-identical.
        self.noise_rng = noise_rng if self.noise.touches_records() else None
        self.latest = reference_date or date.max
        self.counts = dict.fromkeys(
            (
                "extra_records",
                "swapped_names",
                "dob_transposed",
                "dob_partial",
                "blank_fields",
                "name_changes",
            ),
            0,
        )

    def person_id(self, agency: str) -> str:
        profile = PROFILES[agency]
        while True:
            pid = profile.id_prefix + str(
                self.rng.randrange(10 ** (profile.id_digits - 1), 10**profile.id_digits)
            )
            if pid not in self.used_ids:
                self.used_ids.add(pid)
                return pid

    def identity(
        self, agency: str, pid: str, person: Person, family: str | None = None
    ) -> list[str]:
        """The identifier columns as this agency holds them (record_id left empty); ``family``
        is the family name this record knows the child by (a changed one)."""
        rng = self.rng
        p = PROFILES[agency]
        nhs = person.nhs_number if rng.random() < p.nhs else ""
        if nhs and agency == "health" and rng.random() < 0.3:
            nhs = f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}"
        upn = person.upn if person.upn and rng.random() < p.upn else ""
        la_id = person.la_child_id if person.la_child_id and rng.random() < p.la_child_id else ""
        dob = recorded_dob(rng, person.dob, p.swap_dob, p.missing_dob)
        roll = rng.random()
        if roll < p.missing_address:
            line, postcode = "", ""
        elif roll < p.missing_address + p.old_address and person.previous_address:
            line, postcode = person.previous_address.line, person.previous_address.postcode
        else:
            line, postcode = person.address.line, person.address.postcode
        if postcode and rng.random() < 0.05:
            postcode = postcode.replace(" ", "").lower()
        sex = person.sex
        if agency == "early_help" and rng.random() < 0.3:
            sex = "Male" if sex == "M" else "Female"
        elif agency == "police" and rng.random() < 0.05:
            sex = ""
        given = recorded_given(rng, person.given, p.quality)
        surname = recorded_family(rng, family or person.family, p.quality)
        if self.noise_rng is not None and agency != "social_care":
            given, surname, dob, postcode = self._untidy(person, given, surname, dob, postcode)
        return ["", pid, nhs, upn, la_id, given, surname, ddmmyyyy(dob), sex, postcode, line]

    def _untidy(
        self, person: Person, given: str, family: str, dob: date | None, postcode: str
    ) -> tuple[str, str, date | None, str]:
        """A partner agency's record made untidier by the noise rates (the authority's own
        person list is left as it is: it is the one list each child is on once)."""
        rng, n, counts = self.noise_rng, self.noise, self.counts
        assert rng is not None
        if rng.random() < n.swapped_names:
            given, family = family, given
            counts["swapped_names"] += 1
        if dob is not None:
            roll = rng.random()
            if roll < n.dob_transposed:
                moved = untidy.transposed(rng, dob, self.latest)
                if moved is not None:
                    dob = moved
                    counts["dob_transposed"] += 1
            elif roll < n.dob_transposed + n.dob_partial:
                dob = untidy.partial(rng, dob)
                counts["dob_partial"] += 1
        blanks = [rng.random() for _ in range(4)]
        if blanks[0] < n.blank_given:
            given = ""
        if blanks[1] < n.blank_family:
            family = ""
        if blanks[2] < n.blank_dob:
            dob = None
        if blanks[3] < n.blank_postcode:
            postcode = ""
        counts["blank_fields"] += sum(
            b < rate
            for b, rate in zip(
                blanks, (n.blank_given, n.blank_family, n.blank_dob, n.blank_postcode), strict=True
            )
        )
        return given, family, dob, postcode

    def _parts(self, agency: str, evs: list[PartnerEvent]) -> list[list[PartnerEvent]]:
        """The child's events in this agency split between the person ids it holds them under:
        a duplicate registration (the profile's rate), and more under the noise rates."""
        split = len(evs)
        if len(evs) >= 2 and self.rng.random() < PROFILES[agency].duplicate:
            split = self.rng.randrange(1, len(evs))  # a second, duplicate person record
        parts = [part for part in (evs[:split], evs[split:]) if part]
        rng = self.noise_rng
        if rng is None:
            return parts
        while rng.random() < self.noise.extra_record and len(parts) < 6:
            longest = max(range(len(parts)), key=lambda i: len(parts[i]))
            events = parts[longest]
            if len(events) < 2:  # one event entered under a second registration as well
                parts.append(list(events))
            else:
                cut = rng.randrange(1, len(events))
                parts[longest : longest + 1] = [events[:cut], events[cut:]]
            self.counts["extra_records"] += 1
        return parts

    def _family_names(self, person: Person) -> tuple[str, str | None]:
        """(the family name before, the changed one or None): decided once per child."""
        rng = self.noise_rng
        if rng is None or rng.random() >= self.noise.name_change:
            return person.family, None
        self.counts["name_changes"] += 1
        return person.family, untidy_surname(rng, person.family)

    def add(self, journey: Journey) -> None:
        """Give the child an id in every agency that holds events for them, and their rows."""
        person = journey.person
        if person.la_child_id:
            ident = self.identity("social_care", person.la_child_id, person)
            self.rows["social_care"].append(ident + ["", "", "", "", ""])
            person.person_ids.append(("social_care", person.la_child_id))
        by_agency: dict[str, list[PartnerEvent]] = {}
        for event in journey.partner:
            by_agency.setdefault(event.agency, []).append(event)
        before, changed = self._family_names(person)
        for agency in ("police", "health", "education"):
            evs = by_agency.get(agency)
            if not evs:
                continue
            evs.sort(key=lambda e: e.day)
            for part in self._parts(agency, evs):
                pid = self.person_id(agency)
                person.person_ids.append((agency, pid))
                family = before
                if changed is not None and self.noise_rng is not None:
                    family = changed if self.noise_rng.random() < 0.5 else before
                ident = self.identity(agency, pid, person, family)
                for e in part:
                    self.rows[agency].append(
                        ident + [ddmmyyyy(e.day), ddmmyyyy(e.end), e.event_type, e.details, ""]
                    )
        if journey.early_help:
            pid = self.person_id("early_help")
            person.person_ids.append(("early_help", pid))
            family = before
            if changed is not None and self.noise_rng is not None:
                family = changed if self.noise_rng.random() < 0.5 else before
            ident = self.identity("early_help", pid, person, family)
            for eh in journey.early_help:
                lead = eh.organisation if eh.organisation in EH_ORGANISATIONS else ""
                age = age_on(person.dob, eh.start)
                detail = "Family help plan" if age >= 5 else "Under-fives family support"
                self.rows["early_help"].append(
                    ident
                    + [ddmmyyyy(eh.start), ddmmyyyy(eh.end), "early_help_episode", detail, lead]
                )

    def write(self, out_dir: Path) -> dict[str, int]:
        counts = {}
        for agency in AGENCIES:
            rows = self.rows[agency]
            if agency == "social_care":
                rows.sort(key=lambda r: r[1])
            else:
                rows.sort(key=lambda r: (r[11][6:], r[11][3:5], r[11][:2], r[1]))
            prefix = PROFILES[agency].record_prefix
            with open(out_dir / f"{agency}.csv", "w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh, lineterminator="\n")
                writer.writerow(COLUMNS)
                for i, row in enumerate(rows, 1):
                    row[0] = f"{prefix}{i:07d}"
                    writer.writerow(row)
            counts[f"{agency}.csv"] = len(rows)
        return counts


def untidy_surname(rng: random.Random, old: str) -> str:
    """A new family name for a child whose name changed (another family's name)."""
    while True:
        new = any_surname(rng)
        if new != old:
            return new
