"""Who the synthetic children are: names, dates of birth, addresses, NHS numbers, UPNs, families.

Also how each agency *records* a child: spelling variants, nicknames, typos, a hyphenated surname
kept as one part, day and month swapped, fields left empty.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

BOYS = (
    "Jayden",
    "Mohammed",
    "Alexander",
    "Oliver",
    "Harry",
    "Jack",
    "Charlie",
    "Thomas",
    "Jacob",
    "Noah",
    "Leo",
    "Oscar",
    "Riley",
    "Kai",
    "Tyler",
    "Daniel",
    "Joshua",
    "Liam",
    "Mason",
    "Ethan",
    "Aiden",
    "Callum",
    "Connor",
    "Kyle",
    "Bradley",
    "Jordan",
    "Reece",
    "Ibrahim",
    "Yusuf",
    "Ali",
    "Adam",
    "Isaac",
    "Lucas",
    "Logan",
    "Dylan",
    "Kacper",
    "Jakub",
    "Teodor",
    "Samuel",
    "Benjamin",
    "Matthew",
    "Lewis",
    "Nathan",
    "Ryan",
    "Zachary",
    "Ayaan",
    "Omar",
    "Kian",
    "Tommy",
    "Frankie",
)
GIRLS = (
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Mia",
    "Sophie",
    "Grace",
    "Lily",
    "Evie",
    "Ella",
    "Freya",
    "Poppy",
    "Ruby",
    "Chloe",
    "Jessica",
    "Katie",
    "Leah",
    "Megan",
    "Courtney",
    "Shannon",
    "Kayleigh",
    "Aaliyah",
    "Fatima",
    "Aisha",
    "Maryam",
    "Zara",
    "Hannah",
    "Ellie",
    "Caitlin",
    "Abigail",
    "Madison",
    "Summer",
    "Skye",
    "Tia",
    "Nevaeh",
    "Zofia",
    "Julia",
    "Amira",
    "Layla",
    "Niamh",
    "Rebecca",
    "Charlotte",
    "Elizabeth",
    "Victoria",
    "Scarlett",
    "Paige",
    "Demi",
    "Lacey",
    "Jade",
    "Maisie",
)
SURNAMES = (
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Johnson",
    "Roberts",
    "Robinson",
    "Thompson",
    "Wright",
    "Walker",
    "White",
    "Edwards",
    "Hughes",
    "Green",
    "Hall",
    "Lewis",
    "Harris",
    "Clarke",
    "Patel",
    "Jackson",
    "Wood",
    "Turner",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
    "Morris",
    "Moore",
    "Clark",
    "Lee",
    "King",
    "Baker",
    "Harrison",
    "Morgan",
    "Allen",
    "James",
    "Scott",
    "Phillips",
    "Watson",
    "Davis",
    "Parker",
    "Price",
    "Bennett",
    "Young",
    "Griffiths",
    "Mitchell",
    "Kelly",
    "Cook",
    "Carter",
    "Richardson",
    "Bailey",
    "Collins",
    "Bell",
    "Shaw",
    "Murphy",
    "Miller",
    "Cox",
    "Richards",
    "Khan",
    "Marshall",
    "Anderson",
    "Simpson",
    "Ellis",
    "Adams",
    "Singh",
    "Begum",
    "Wilkinson",
    "Foster",
    "Chapman",
    "Powell",
    "Webb",
    "Rogers",
    "Gray",
    "Mason",
    "Ali",
    "Hussain",
    "Campbell",
    "Matthews",
    "Owen",
    "Palmer",
    "Holmes",
    "Mills",
    "Barnes",
    "Knight",
    "Lloyd",
    "Butler",
    "Russell",
    "Barker",
    "Fisher",
    "Stevens",
    "Jenkins",
    "Murray",
    "Dixon",
    "Harvey",
    "Kowalski",
    "Nowak",
    "Okafor",
    "Mensah",
    "Ahmed",
    "Rahman",
    "O'Brien",
    "McDonald",
    "Graham",
    "Gordon",
)
# Given-name spellings and nicknames seen across agencies for the same child.
GIVEN_VARIANTS: dict[str, tuple[str, ...]] = {
    "Jayden": ("Jaden", "Jaiden", "Jaydon"),
    "Mohammed": ("Muhammad", "Mohammad", "Mohamed", "Mohammed"),
    "Alexander": ("Alex", "Alexandr", "Aleksander"),
    "Thomas": ("Tom", "Tommy"),
    "Daniel": ("Danny", "Dan"),
    "Joshua": ("Josh",),
    "Samuel": ("Sam", "Sammy"),
    "Benjamin": ("Ben", "Benji"),
    "Matthew": ("Matt",),
    "Zachary": ("Zach", "Zac"),
    "Callum": ("Calum",),
    "Connor": ("Conor",),
    "Reece": ("Rhys", "Reese"),
    "Aiden": ("Aidan", "Ayden"),
    "Yusuf": ("Yousef", "Yusef"),
    "Kacper": ("Kasper",),
    "Jakub": ("Jacob", "Kuba"),
    "Sophie": ("Sophia", "Sofie"),
    "Katie": ("Katy", "Kate"),
    "Kayleigh": ("Kayley", "Kaylee"),
    "Aaliyah": ("Aliyah", "Aleeyah"),
    "Fatima": ("Fatimah",),
    "Aisha": ("Ayesha", "Aysha"),
    "Maryam": ("Mariam", "Miriam"),
    "Ellie": ("Elle",),
    "Caitlin": ("Katelyn", "Kaitlyn"),
    "Abigail": ("Abbie", "Abby"),
    "Elizabeth": ("Beth", "Lizzie"),
    "Victoria": ("Tori", "Vicky"),
    "Rebecca": ("Becky",),
    "Charlotte": ("Charlie", "Lottie"),
    "Zofia": ("Sofia", "Zosia"),
    "Niamh": ("Neve",),
    "Lacey": ("Lacie",),
}
SURNAME_VARIANTS: dict[str, tuple[str, ...]] = {
    "Clarke": ("Clark",),
    "Davies": ("Davis",),
    "Begum": ("Begam",),
    "Hussain": ("Hussein", "Husain"),
    "Rahman": ("Rehman",),
    "Ahmed": ("Ahmad",),
    "O'Brien": ("OBrien", "O Brien"),
    "McDonald": ("MacDonald", "Mcdonald"),
    "Kowalski": ("Kowalska",),
    "Thompson": ("Thomson",),
    "Griffiths": ("Griffith",),
}
STREETS = (
    "Elm Road",
    "Station Road",
    "Church Lane",
    "Victoria Street",
    "Park Avenue",
    "Mill Lane",
    "Queens Road",
    "Kingsway",
    "Windsor Close",
    "Albert Terrace",
    "Chapel Street",
    "Meadow View",
    "Orchard Way",
    "Beech Grove",
    "Hollins Lane",
    "Bridge Street",
    "Canal Side",
    "Hawthorn Drive",
    "Ash Court",
    "Moorland Road",
    "Primrose Hill",
    "Granby Street",
    "Wellington Road",
    "Fern Walk",
)
# A fictional postcode area: format-valid, not a real place.
POSTCODE_DISTRICTS = ("XS1", "XS2", "XS3", "XS4", "XS5", "XS6", "XS7", "XS8", "XS9", "XS10", "XS11")
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
UPN_CHECK = "ABCDEFGHJKLMNPQRTUVWXYZ"
LA_NUMBER = "990"  # a fictional DfE local authority number for UPNs
ETHNICITY_WEIGHTS = (  # order of codes.ETHNICITY
    62,
    1,
    0.3,
    6,
    0.5,
    2,
    1,
    1.5,
    1.5,
    2.5,
    5,
    2,
    1.5,
    1.2,
    4,
    0.8,
    0.5,
    2,
    1,
    3,
)


@dataclass(slots=True)
class Address:
    line: str
    postcode: str


@dataclass(slots=True)
class Person:
    """One real child of the synthetic authority: the truth about who they are."""

    key: str
    given: str
    family: str
    dob: date
    sex: str  # M / F
    ethnicity: int  # index into codes.ETHNICITY
    address: Address
    previous_address: Address | None
    nhs_number: str
    upn: str | None
    sibling_group: str | None
    twin: bool = False
    disabled: bool = False
    la_child_id: str | None = None
    person_ids: list[tuple[str, str]] = field(default_factory=list)


def nhs_number(rng: random.Random) -> str:
    """A 10-digit NHS number with a valid modulus-11 check digit (9 prefix: never issued)."""
    while True:
        digits = [9] + [rng.randrange(10) for _ in range(8)]
        total = sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True))
        check = 11 - total % 11
        if check == 11:
            check = 0
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def upn(rng: random.Random, dob: date) -> str:
    """A Unique Pupil Number: check letter, LA number, school, year allocated, serial."""
    year = (dob.year + 4) % 100
    body = f"{LA_NUMBER}{rng.randrange(2000, 5000):04d}{year:02d}{rng.randrange(1000):03d}"
    total = sum(int(ch) * weight for ch, weight in zip(body, range(2, 14), strict=True))
    return UPN_CHECK[total % 23] + body


def address(rng: random.Random) -> Address:
    line = f"{rng.randrange(1, 180)} {rng.choice(STREETS)}"
    postcode = (
        f"{rng.choice(POSTCODE_DISTRICTS)} {rng.randrange(1, 10)}"
        f"{rng.choice(UNIT_LETTERS)}{rng.choice(UNIT_LETTERS)}"
    )
    return Address(line, postcode)


def given_name(rng: random.Random, sex: str, avoid: tuple[str, ...] = ()) -> str:
    pool = BOYS if sex == "M" else GIRLS
    while True:
        name = rng.choice(pool)
        if name not in avoid:
            return name


def surname(rng: random.Random) -> str:
    if rng.random() < 0.06:  # double-barrelled
        first, second = rng.sample(SURNAMES, 2)
        return f"{first}-{second}"
    return rng.choice(SURNAMES)


def similar_given(rng: random.Random, name: str) -> str:
    """A different child's name that looks like ``name`` (Jayden → Jaden)."""
    variants = GIVEN_VARIANTS.get(name)
    if variants:
        return rng.choice(variants)
    return typo(rng, name)


def typo(rng: random.Random, text: str) -> str:
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    roll = rng.random()
    if roll < 0.4:  # transpose
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if roll < 0.7:  # drop
        return text[:i] + text[i + 1 :]
    return text[:i] + text[i] + text[i:]  # double


def recorded_given(rng: random.Random, name: str, quality: float) -> str:
    """The given name as an agency typed it; ``quality`` is the chance it is exactly right."""
    roll = rng.random()
    if roll < quality:
        return name
    if roll < quality + (1 - quality) * 0.6 and name in GIVEN_VARIANTS:
        return rng.choice(GIVEN_VARIANTS[name])
    if roll < quality + (1 - quality) * 0.8:
        return typo(rng, name)
    return name.upper() if rng.random() < 0.5 else name[0] + "."


def recorded_family(rng: random.Random, name: str, quality: float) -> str:
    roll = rng.random()
    if "-" in name and roll > quality * 0.5:  # one part of a double-barrelled name, or a space
        first, second = name.split("-", 1)
        return rng.choice((first, second, f"{first} {second}"))
    if roll < quality:
        return name
    if name in SURNAME_VARIANTS and rng.random() < 0.6:
        return rng.choice(SURNAME_VARIANTS[name])
    return typo(rng, name) if rng.random() < 0.7 else name.upper()


def recorded_dob(rng: random.Random, dob: date, swap: float, missing: float) -> date | None:
    roll = rng.random()
    if roll < missing:
        return None
    if roll < missing + swap and dob.day <= 12 and dob.day != dob.month:
        return date(dob.year, dob.day, dob.month)
    if roll < missing + swap * 1.3:  # a one-day slip
        return dob + timedelta(days=rng.choice((-1, 1)))
    return dob
