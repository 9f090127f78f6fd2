"""The true story of each synthetic child: signals, contacts, early help, episodes of need, plans,
care, adoption, leaving care.

A family's story is simulated once and lived by every child born by then (siblings are referred
together). Only what some output file can show is kept: contacts only inside the Annex A window,
periods of care only when open or ended inside the window (or an adoption inside the last 12
months). See docs/synthetic.md.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from inspection.evidence.agencies import KINDS as AGENCY_KINDS
from inspection.synthetic import codes
from inspection.synthetic.people import Person

DAY = timedelta(days=1)

# Partner-agency event types → journey kinds: the importer's table (docs/formats.md), for the
# three agencies whose events the generator tells as partner events.
PARTNER_KINDS: dict[tuple[str, str], str] = {
    (agency, event_type): kind
    for agency in ("police", "health", "education")
    for event_type, kind in AGENCY_KINDS[agency].items()
}

ABUSE_CIN = {
    "a) Neglect": "NEG",
    "b) Physical abuse": "PHY",
    "c) Sexual abuse": "SAB",
    "d) Emotional abuse": "EMO",
    "e) Multiple/not recommended": "MUL",
}


@dataclass(slots=True)
class Window:
    reference: date
    start: date  # six months before
    year_start: date  # twelve months before (List 10, counts in the last 12 months)

    @classmethod
    def before(cls, reference: date) -> Window:
        return cls(reference, months_before(reference, 6), months_before(reference, 12))

    def holds(self, day: date | None) -> bool:
        return day is not None and self.start <= day <= self.reference


def months_before(day: date, months: int) -> date:
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)


def birthday(dob: date, years: int) -> date:
    try:
        return dob.replace(year=dob.year + years)
    except ValueError:  # 29 February
        return date(dob.year + years, 3, 1)


def age_on(dob: date, day: date) -> int:
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


@dataclass(slots=True)
class PartnerEvent:
    agency: str
    event_type: str
    day: date
    end: date | None = None
    details: str = ""


@dataclass(slots=True)
class Assessment:
    start: date
    authorised: date | None
    seen: str
    factors: tuple[str, ...]
    support: bool


@dataclass(slots=True)
class Section47:
    start: date
    icpc_target: date
    icpc: date | None
    not_required: bool
    plan: bool


@dataclass(slots=True)
class CPPlan:
    start: date
    end: date | None
    initial: str
    latest: str
    reviews: list[date]
    previous: int
    last_visit: date
    seen_alone: str


@dataclass(slots=True)
class CINPlan:
    start: date
    end: date | None


@dataclass(slots=True)
class Adoption:
    decision: date
    placement_order: date | None
    match: date | None
    placed: date | None
    order: date | None
    family_id: str = ""
    ffa: date | None = None


@dataclass(slots=True)
class CarePeriod:
    start: date
    end: date | None
    legal_status: str
    legal_start: date
    category: str
    placement_start: date
    placement_type: str
    provider: str
    placement_postcode: str
    location: str
    placements_12m: int
    ceased_reason: str
    permanence: str
    uasc: bool
    second_period: bool
    adoption: Adoption | None = None


@dataclass(slots=True)
class Episode:
    referral: date
    source: int  # index into codes.SOURCE
    need: int  # index into codes.PRIMARY_NEED
    nfa: bool
    closure: date | None
    reason: int | None  # index into codes.CLOSURE_REASON
    team: str
    worker: str
    plan_team: str = ""
    plan_worker: str = ""
    assessments: list[Assessment] = field(default_factory=list)
    cin_plans: list[CINPlan] = field(default_factory=list)
    s47s: list[Section47] = field(default_factory=list)
    cp_plans: list[CPPlan] = field(default_factory=list)
    care: CarePeriod | None = None


@dataclass(slots=True)
class EarlyHelp:
    start: date
    end: date | None
    organisation: str


@dataclass(slots=True)
class CareLeaver:
    eligibility: str
    in_touch: str
    accommodation: str
    suitability: str
    activity: str
    team: str
    worker: str


@dataclass(slots=True)
class Journey:
    person: Person
    contacts: list[tuple[date, int]] = field(default_factory=list)  # (date, source index)
    early_help: list[EarlyHelp] = field(default_factory=list)
    episodes: list[Episode] = field(default_factory=list)
    partner: list[PartnerEvent] = field(default_factory=list)
    care_leaver: CareLeaver | None = None
    last_seen: date | None = None

    @property
    def known_to_la(self) -> bool:
        return bool(self.contacts or self.early_help or self.episodes)


# Source codes (indexes into codes.SOURCE).
SRC_FAMILY, SRC_ACQ, SRC_SELF, SRC_OTHER_IND = 0, 1, 2, 3
SRC_SCHOOL, SRC_EDUCATION = 4, 5
SRC_GP, SRC_HV, SRC_NURSE, SRC_HEALTH_OTHER, SRC_AE = 6, 7, 8, 9, 10
SRC_HOUSING, SRC_LA, SRC_POLICE, SRC_LEGAL, SRC_OTHER, SRC_ANON = 12, 13, 16, 17, 18, 19
OTHER_SOURCES = (
    SRC_FAMILY,
    SRC_ACQ,
    SRC_OTHER_IND,
    SRC_EDUCATION,
    SRC_GP,
    SRC_HEALTH_OTHER,
    SRC_HOUSING,
    SRC_LA,
    SRC_LA + 1,
    SRC_LEGAL,
    SRC_OTHER,
    SRC_ANON,
    SRC_SELF,
)
RC_CAO, RC_SGO, RC_CEASED, RC_NFA, RC_ADOPTED = 2, 3, 6, 7, 0

EH_ORGANISATIONS = (
    "Family Support Service",
    "Children's Centre",
    "School (lead professional)",
    "Health visiting (lead professional)",
    "Youth Service",
    "Targeted Family Help",
)
FACTORS_BY_THEME = {
    "da": ("3B", "3A", "4B", "1B"),
    "neglect": ("16A", "2B", "4B", "1B"),
    "physical": ("18B", "3B", "4B"),
    "sexual": ("19B", "19C", "11A"),
    "emotional": ("17A", "3B", "4B"),
    "teen": ("10A", "11A", "24A", "13A", "14A", "15A", "1A", "2A"),
    "family": ("4B", "5B", "6B", "7A", "21", "20"),
}
CATEGORY_BY_THEME = {
    "da": 3,
    "neglect": 0,
    "physical": 1,
    "sexual": 2,
    "emotional": 3,
    "teen": 3,
    "family": 0,
}


@dataclass(slots=True)
class Staff:
    """Teams and workers of the synthetic authority."""

    front_door: tuple[str, list[str]]
    assessment: list[tuple[str, list[str]]]
    safeguarding: list[tuple[str, list[str]]]
    in_care: tuple[str, list[str]]
    leaving_care: tuple[str, list[str]]
    disabled: tuple[str, list[str]]

    @classmethod
    def hire(cls, rng: random.Random) -> Staff:
        from inspection.synthetic.people import BOYS, GIRLS, SURNAMES

        def team(name: str, size: int) -> tuple[str, list[str]]:
            workers = []
            for _ in range(size):
                given = rng.choice(BOYS if rng.random() < 0.25 else GIRLS)
                workers.append(f"{given} {rng.choice(SURNAMES)}")
            return name, workers

        return cls(
            front_door=team("MASH and Front Door", 8),
            assessment=[team("Assessment Team North", 9), team("Assessment Team South", 9)],
            safeguarding=[
                team("Safeguarding Team 1", 8),
                team("Safeguarding Team 2", 8),
                team("Safeguarding Team 3", 8),
            ],
            in_care=team("Children in Care Team", 10),
            leaving_care=team("Leaving Care Team", 6),
            disabled=team("Disabled Children's Team", 6),
        )


def _pick(rng: random.Random, teams: list[tuple[str, list[str]]]) -> tuple[str, str]:
    name, workers = rng.choice(teams)
    return name, rng.choice(workers)


class Storyteller:
    """Simulates families from their first signal of need to the reference date."""

    def __init__(self, rng: random.Random, window: Window, staff: Staff) -> None:
        self.rng = rng
        self.w = window
        self.staff = staff
        self.adopter_families = 0

    # --- helpers -------------------------------------------------------------------------
    def days(self, low: int, high: int) -> timedelta:
        return timedelta(days=self.rng.randint(low, high))

    def cut(self, day: date | None) -> date | None:
        """A planned date that has not happened by the reference date is not (yet) a fact."""
        return day if day is not None and day <= self.w.reference else None

    def born(self, kids: list[Journey], day: date, max_age: int = 17) -> list[Journey]:
        return [j for j in kids if j.person.dob < day and age_on(j.person.dob, day) <= max_age]

    def partner(
        self,
        j: Journey,
        agency: str,
        event_type: str,
        day: date,
        end: date | None = None,
        details: str = "",
    ) -> None:
        if j.person.dob <= day <= self.w.reference:
            j.partner.append(PartnerEvent(agency, event_type, day, end, details))

    # --- families ------------------------------------------------------------------------
    def partner_only(self, kids: list[Journey]) -> None:
        """Children the authority never heard of: signals that never reached social care."""
        rng = self.rng
        ref = self.w.reference
        if rng.random() < 0.25:  # domestic abuse the police knew of, never referred
            eldest = min(j.person.dob for j in kids)
            start = max(eldest + DAY * 30, ref - timedelta(days=365 * 6))
            if start < ref:
                day = start + timedelta(days=rng.randrange((ref - start).days + 1))
                for j in kids:
                    self.partner(
                        j,
                        "police",
                        "domestic_abuse_notification",
                        day,
                        details="Standard risk DASH, children present",
                    )
        for j in kids:
            for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
                self.random_signal(j)
            if not j.partner:
                self.partner(j, "health", "ed_attendance", self.some_day(j), details="Minor injury")

    def some_day(self, j: Journey) -> date:
        start = max(j.person.dob, self.w.reference - timedelta(days=365 * 8))
        span = (self.w.reference - start).days
        return start + timedelta(days=self.rng.randrange(span + 1))

    def need_before(self, j: Journey, day: date) -> None:
        """A partner-agency concern shortly before ``day`` (the one that led to early help)."""
        signal = max(j.person.dob, day - self.days(1, 40))
        age = age_on(j.person.dob, signal)
        if 5 <= age <= 16:
            self.partner(
                j,
                "education",
                "safeguarding_concern",
                signal,
                details=_education_detail("safeguarding_concern"),
            )
        elif age < 5:
            self.partner(
                j, "health", "health_visitor_concern", signal, details="Parenting support needed"
            )
        else:
            self.partner(j, "health", "gp_concern", signal, details="Low mood, family stress")

    def random_signal(self, j: Journey) -> None:
        rng = self.rng
        day = self.some_day(j)
        age = age_on(j.person.dob, day)
        roll = rng.random()
        if roll < 0.35:
            self.partner(
                j,
                "health",
                "ed_attendance",
                day,
                details=rng.choice(
                    ("Head injury", "Fall", "Burn", "Ingestion", "Minor injury", "Fracture")
                ),
            )
        elif roll < 0.5 and age < 5:
            self.partner(
                j, "health", "health_visitor_concern", day, details="Missed development checks"
            )
        elif roll < 0.6:
            self.partner(j, "health", "gp_concern", day, details="Missed appointments")
        elif roll < 0.8 and 5 <= age <= 16:
            kind = rng.choice(
                (
                    "attendance_concern",
                    "attendance_concern",
                    "safeguarding_concern",
                    "exclusion",
                    "child_missing_education",
                    "elective_home_education",
                )
            )
            self.partner(j, "education", kind, day, details=_education_detail(kind))
        else:
            self.partner(
                j, "police", "child_concern_notification", day, details="Child present at incident"
            )

    def la_family(self, kids: list[Journey]) -> None:
        """A family known to children's services: a loop of episodes of need."""
        rng = self.rng
        ref = self.w.reference
        eldest = min(j.person.dob for j in kids)
        earliest = max(eldest + DAY * 20, ref - timedelta(days=365 * 8))
        if earliest >= ref - DAY * 5:
            earliest = ref - DAY * 30
        if rng.random() < 0.35:  # recent arrivals make the Annex A window busy
            earliest = max(earliest, ref - timedelta(days=270))
        t = earliest + timedelta(days=rng.randrange(max(1, (ref - earliest).days - 3)))
        theme = rng.choice(
            (
                "da",
                "da",
                "da",
                "neglect",
                "neglect",
                "physical",
                "emotional",
                "teen",
                "family",
                "sexual",
            )
        )
        first = True
        for _ in range(6):
            if t > ref:
                break
            present = self.born(kids, t)
            if not present:
                t = t + self.days(30, 365)
                continue
            source = self.signals(present, t, theme)
            if first and rng.random() < 0.2:  # early help before any referral
                end = self.early_help(present, t)
                if end is None or rng.random() > 0.35:
                    if end is None:
                        break
                    t = end + self.days(60, 700)
                    first = False
                    continue
                t = end + self.days(0, 30)  # stepped up to social care
                source = SRC_OTHER
            first = False
            if rng.random() < 0.3:  # contacts that went nowhere
                for _ in range(rng.choice((1, 1, 2, 3))):
                    for j in present:
                        if self.w.holds(t):
                            j.contacts.append((t, source))
                    t = t + self.days(7, 120)
                    source = self.signals(present, t, theme) if rng.random() < 0.5 else source
                if t > ref or rng.random() < 0.5:
                    t = t + self.days(60, 500)
                    continue
                present = self.born(kids, t)
            if t > ref or not present:
                break
            closure, in_care = self.episode(present, t, source, theme)
            if in_care or closure is None:
                break
            if rng.random() < 0.22:  # re-referral within 12 months
                t = closure + self.days(20, 330)
            elif rng.random() < 0.35:
                t = closure + self.days(365, 1100)
            else:
                break

    def signals(self, present: list[Journey], t: date, theme: str) -> int:
        """Partner-agency signals just before a contact; returns the contact source."""
        rng = self.rng
        roll = rng.random()
        if theme == "da" and roll < 0.8 or roll < 0.3:
            for k in range(rng.choice((1, 1, 2, 3))):
                day = t - self.days(0, 2) - timedelta(days=k * rng.randint(20, 150))
                for j in present:
                    self.partner(
                        j,
                        "police",
                        "domestic_abuse_notification",
                        day,
                        details=rng.choice(
                            (
                                "Standard risk DASH, children present",
                                "Medium risk DASH",
                                "High risk DASH, MARAC",
                                "Verbal argument, children in house",
                            )
                        ),
                    )
            return SRC_POLICE
        school_age = [j for j in present if 5 <= age_on(j.person.dob, t) <= 16]
        if roll < 0.55 and school_age:
            j = rng.choice(school_age)
            kind = (
                "attendance_concern"
                if theme == "neglect" and rng.random() < 0.5
                else "safeguarding_concern"
            )
            self.partner(j, "education", kind, t - self.days(0, 5), details=_education_detail(kind))
            return SRC_SCHOOL
        young = [j for j in present if age_on(j.person.dob, t) < 5]
        if roll < 0.7 and young:
            j = rng.choice(young)
            if rng.random() < 0.5:
                self.partner(
                    j,
                    "health",
                    "ed_attendance",
                    t - self.days(0, 3),
                    details=rng.choice(
                        (
                            "Unexplained bruising",
                            "Head injury",
                            "Ingestion",
                            "Fracture, delayed presentation",
                        )
                    ),
                )
                return SRC_AE
            self.partner(
                j,
                "health",
                "health_visitor_concern",
                t - self.days(0, 10),
                details="Home conditions poor",
            )
            return SRC_HV
        if theme == "teen" and rng.random() < 0.6:
            teens = [j for j in present if age_on(j.person.dob, t) >= 12]
            for j in teens:
                start = t - self.days(0, 4)
                self.partner(
                    j,
                    "police",
                    "missing_episode",
                    start,
                    start + self.days(0, 3),
                    details="Missing from home overnight",
                )
                if rng.random() < 0.4:
                    self.partner(
                        j,
                        "police",
                        "exploitation_concern",
                        t - self.days(0, 30),
                        details=rng.choice(("County lines concern", "CSE concern")),
                    )
            if teens:
                return SRC_POLICE
        return rng.choice(OTHER_SOURCES)

    def early_help(self, present: list[Journey], t: date) -> date | None:
        end = self.cut(t + self.days(60, 300))
        organisation = self.rng.choice(EH_ORGANISATIONS)
        for j in present:
            j.early_help.append(EarlyHelp(t, end, organisation))
        return end

    def episode(
        self, present: list[Journey], r: date, source: int, theme: str
    ) -> tuple[date | None, bool]:
        """One episode of need from referral to closure; returns (closure, went into care)."""
        rng = self.rng
        team, worker = _pick(rng, self.staff.assessment)
        need = (
            0
            if theme in ("physical", "sexual", "neglect", "emotional")
            else rng.choice((0, 0, 3, 4, 4, 5, 7, 2, 6, 1))
        )
        episodes = []
        for j in present:
            if self.w.holds(r - DAY * 2) or self.w.holds(r):
                contact = r - self.days(0, 2)
                if self.w.holds(contact):
                    j.contacts.append((contact, source))
            ep = Episode(r, source, need, False, None, None, team, worker)
            j.episodes.append(ep)
            episodes.append(ep)
        roll = rng.random()
        if roll < 0.12:  # referral, no further action
            nfa_closure = self.cut(r + self.days(0, 2))
            for ep in episodes:
                ep.nfa, ep.closure = True, nfa_closure
                ep.reason = RC_NFA if nfa_closure else None
            return nfa_closure, False
        factors = self.factors(theme)
        s47_route = roll > 0.62
        a_start = r + self.days(0, 4)
        authorised = self.cut(a_start + self.days(10, 45))
        if a_start > self.w.reference:
            a_start = r
        plan_team, plan_worker = _pick(rng, self.staff.safeguarding)
        for j, ep in zip(present, episodes, strict=True):
            ep.assessments.append(
                Assessment(
                    a_start,
                    authorised,
                    rng.choice(("a) Yes", "a) Yes", "a) Yes", "a) Yes", "b) No", "c) Unknown")),
                    factors,
                    roll > 0.5,
                )
            )
            ep.plan_team, ep.plan_worker = plan_team, plan_worker
            j.last_seen = a_start
        if s47_route:
            return self.section47(present, episodes, r, theme)
        if authorised is None:
            return None, False
        if roll < 0.5:  # assessed: no services needed; sometimes stepped down to early help
            closure = self.cut(authorised + self.days(0, 3))
            for ep in episodes:
                ep.closure, ep.reason = closure, (RC_NFA if closure else None)
            if closure and rng.random() < 0.4:
                self.early_help(present, closure + self.days(0, 14))
            return closure, False
        return self.cin_plan(present, episodes, authorised + self.days(0, 10)), False

    def cin_plan(self, present: list[Journey], episodes: list[Episode], start: date) -> date | None:
        rng = self.rng
        start_c = self.cut(start)
        if start_c is None:
            return None
        end = self.cut(start_c + self.days(90, 420))
        for ep in episodes:
            ep.cin_plans.append(CINPlan(start_c, end))
        if end is None:
            return None
        closure = end
        for ep in episodes:
            ep.closure, ep.reason = closure, rng.choice((RC_CEASED, RC_CEASED, RC_CEASED, RC_CAO))
        if rng.random() < 0.3:  # step down to early help
            self.early_help(present, closure + self.days(0, 21))
        return closure

    def section47(
        self, present: list[Journey], episodes: list[Episode], r: date, theme: str
    ) -> tuple[date | None, bool]:
        rng = self.rng
        s = r + self.days(0, 3)
        if s > self.w.reference:
            s = r
        target = s + DAY * 15
        not_required = rng.random() < 0.3
        icpc = None if not_required else self.cut(s + self.days(8, 20))
        plan = icpc is not None and rng.random() < 0.85
        for ep in episodes:
            ep.s47s.append(Section47(s, target, icpc, not_required, plan))
        if rng.random() < 0.08 and not plan:  # straight into care
            return None, self.into_care(present, episodes, s + self.days(0, 2), theme)
        if not_required:
            return self.cin_plan(present, episodes, s + self.days(10, 30)), False
        if icpc is None:
            return None, False
        if not plan:
            closure = self.cut(icpc + self.days(0, 10))
            for ep in episodes:
                ep.closure, ep.reason = closure, (RC_CEASED if closure else None)
            return closure, False
        initial = codes.ABUSE_CATEGORY[CATEGORY_BY_THEME.get(theme, 0)]
        latest = initial if rng.random() < 0.85 else rng.choice(codes.ABUSE_CATEGORY[:4])
        end = self.cut(icpc + self.days(90, 700))
        last_day = end or self.w.reference
        reviews = []
        review = icpc + DAY * 90
        while review <= last_day:
            reviews.append(review)
            review = review + DAY * 182
        for j, ep in zip(present, episodes, strict=True):
            previous = sum(len(e.cp_plans) for e in j.episodes)
            ep.cp_plans.append(
                CPPlan(
                    icpc,
                    end,
                    initial,
                    latest,
                    reviews,
                    previous,
                    last_day - self.days(0, 20),
                    rng.choice(("a) Yes", "a) Yes", "b) No", "c) Unknown")),
                )
            )
            j.last_seen = max(j.last_seen or icpc, last_day - self.days(0, 20))
        if end is None:
            return None, False
        roll = rng.random()
        babies = any(age_on(j.person.dob, end) < 3 for j in present)
        if roll < (0.3 if babies else 0.12):  # babies are more often removed
            return None, self.into_care(present, episodes, end, theme)
        if roll < 0.6:  # stepped down to a child in need plan
            return self.cin_plan(present, episodes, end), False
        for ep in episodes:
            ep.closure, ep.reason = end, RC_CEASED
        return end, False

    def factors(self, theme: str) -> tuple[str, ...]:
        pool = FACTORS_BY_THEME[theme]
        count = self.rng.choice((1, 2, 2, 3))
        return tuple(sorted(set(self.rng.sample(pool, min(count, len(pool)))), key=pool.index))

    # --- care ----------------------------------------------------------------------------
    def into_care(
        self, present: list[Journey], episodes: list[Episode], start: date, theme: str
    ) -> bool:
        rng = self.rng
        start_c = self.cut(start)
        if start_c is None:
            return False
        protected = rng.random() < 0.35
        for j, ep in zip(present, episodes, strict=True):
            if protected:
                self.partner(
                    j,
                    "police",
                    "police_protection",
                    start_c - self.days(0, 1),
                    details="Police powers of protection used",
                )
            ep.care = self.care_period(j, start_c, protected, theme)
            if ep.care.end is not None:
                ep.closure = ep.care.end
                ep.reason = (
                    RC_ADOPTED
                    if ep.care.adoption and ep.care.adoption.order
                    else rng.choice((RC_CEASED, RC_SGO, RC_CAO))
                )
        return True

    def care_period(self, j: Journey, start: date, protected: bool, theme: str) -> CarePeriod:
        rng = self.rng
        ref = self.w.reference
        age = age_on(j.person.dob, start)
        legal = 5 if protected and rng.random() < 0.5 else rng.choice((0, 0, 0, 4, 4, 1))
        legal_start = start
        if legal in (0, 5) and start + DAY * 60 < ref and rng.random() < 0.5:
            legal, legal_start = 1, start + self.days(50, min(400, (ref - start).days))
        adoption = None
        end: date | None = None
        ceased = ""
        placement_type = (
            rng.choice((5, 5, 5, 3, 3, 2, 15, 13)) if age >= 12 else rng.choice((5, 5, 3, 2, 0, 10))
        )
        placement_start = start
        if age < 4 and rng.random() < 0.75:
            adoption = self.adoption(start)
        if adoption is not None and adoption.order is not None:
            end = adoption.order
            ceased = codes.CEASED_REASON[rng.choice((0, 1, 1))]
        elif adoption is None and rng.random() < 0.35:
            planned = start + self.days(90, 700)
            if self.w.holds(planned):  # a return home inside the window; earlier ones unseen
                end = planned
                ceased = codes.CEASED_REASON[rng.choice((4, 4, 5, 6, 10))]
        if adoption is not None and adoption.placed is not None:
            placement_start = adoption.placed
            placement_type = rng.choice((8, 9))
            legal, legal_start = 3, adoption.placement_order or legal_start
        elif (end or ref) - start > timedelta(days=60) and rng.random() < 0.5:
            latest = end or ref
            placement_start = start + timedelta(days=rng.randint(14, (latest - start).days))
        moved_recently = placement_start > start and placement_start > self.w.year_start
        permanence = (
            codes.PERMANENCE_PLAN[1]
            if adoption
            else rng.choice(codes.PERMANENCE_PLAN[:1] + codes.PERMANENCE_PLAN[2:])
        )
        if age >= 11 and rng.random() < 0.4:  # missing from placement
            first = max(start, ref - timedelta(days=700))
            last = end or ref
            for _ in range(rng.randint(1, 6)):
                if last <= first:
                    break
                day = first + timedelta(days=rng.randrange((last - first).days + 1))
                self.partner(
                    j,
                    "police",
                    "missing_episode",
                    day,
                    self.cut(day + self.days(0, 3)),
                    details="Missing from placement",
                )
        return CarePeriod(
            start=start,
            end=end,
            legal_status=codes.LEGAL_STATUS[legal],
            legal_start=legal_start,
            category=codes.CATEGORY_OF_NEED[0 if theme != "family" else rng.choice((3, 4, 7))],
            placement_start=placement_start,
            placement_type=codes.PLACEMENT_TYPE[placement_type],
            provider=codes.PLACEMENT_PROVIDER[rng.choice((1, 1, 1, 4, 4, 5))],
            placement_postcode=f"XS{rng.randint(1, 11)}"
            if rng.random() < 0.7
            else rng.choice(("LS6", "M14", "B23", "NG7", "S10")),
            location="a) In" if rng.random() < 0.7 else "b) Out",
            placements_12m=1
            + int(moved_recently)
            + (rng.choice((0, 0, 0, 1, 2)) if start < self.w.year_start else 0),
            ceased_reason=ceased,
            permanence=permanence,
            uasc=False,
            second_period=False,
            adoption=adoption,
        )

    def adoption(self, start: date) -> Adoption | None:
        """Adoption milestones; kept only when the child is still in the process or the order
        was made in the last 12 months (List 10's window)."""
        decision = start + self.days(90, 220)
        order_po = decision + self.days(40, 150)
        match = order_po + self.days(60, 220)
        placed = match + self.days(14, 42)
        order = placed + self.days(90, 280)
        if order < self.w.year_start or decision > self.w.reference:
            return None
        self.adopter_families += 1
        return Adoption(
            decision,
            self.cut(order_po),
            self.cut(match),
            self.cut(placed),
            self.cut(order),
            family_id="",
        )

    def care_leaver(self, j: Journey) -> None:
        """A young person aged 18-21 who was in care at 18."""
        rng = self.rng
        dob = j.person.dob
        eighteen = birthday(dob, 18)
        r = birthday(dob, rng.randint(12, 15)) + self.days(0, 300)
        self.signals([j], r, "teen")
        team, worker = _pick(rng, self.staff.assessment)
        ep = Episode(
            r, SRC_POLICE, rng.choice((0, 0, 4, 5, 7)), False, eighteen, RC_CEASED, team, worker
        )
        a = r + self.days(0, 4)
        ep.assessments.append(
            Assessment(a, a + self.days(10, 40), "a) Yes", self.factors("teen"), True)
        )
        care_start = a + self.days(50, 500)
        if rng.random() < 0.4:
            plan_end = care_start
            ep.cin_plans.append(CINPlan(a + self.days(41, 49), plan_end))
        else:
            plan_end = a + self.days(120, 300)
            ep.cin_plans.append(CINPlan(a + self.days(41, 49), plan_end))
            care_start = plan_end + self.days(10, 200)
        ep.plan_team = self.staff.in_care[0]
        ep.plan_worker = rng.choice(self.staff.in_care[1])
        if self.w.holds(eighteen):  # left care inside the window: List 8 shows the period
            ep.care = self.care_period(j, care_start, False, "teen")
            ep.care.end = eighteen
            ep.care.adoption = None
            if ep.care.placement_start > eighteen:
                ep.care.placement_start = care_start
            ep.care.ceased_reason = codes.CEASED_REASON[rng.choice((12, 12, 13, 6))]
            ep.care.permanence = codes.PERMANENCE_PLAN[3]
        j.episodes.append(ep)
        j.last_seen = eighteen - self.days(5, 60)
        name, workers = self.staff.leaving_care
        j.care_leaver = CareLeaver(
            eligibility=codes.ELIGIBILITY[1],
            in_touch=codes.IN_TOUCH[rng.choice((0, 0, 0, 0, 1, 3))],
            accommodation=codes.ACCOMMODATION[rng.choice((0, 3, 3, 2, 10, 10, 15, 9, 6, 13))],
            suitability=codes.SUITABILITY[0 if rng.random() < 0.88 else 1],
            activity=codes.ACTIVITY[rng.choice((2, 2, 4, 4, 5, 7, 7, 8, 0))],
            team=name,
            worker=rng.choice(workers),
        )


def _education_detail(kind: str) -> str:
    return {
        "attendance_concern": "Attendance below 80%",
        "safeguarding_concern": "DSL concern: disclosure",
        "exclusion": "Suspension, 3 days",
        "child_missing_education": "Not on any school roll",
        "elective_home_education": "Parent elected home education",
    }[kind]
