"""Standardising names, dates of birth and postcodes before records are compared.

The nickname table is general knowledge of English given names (diminutives and common
spellings), written here rather than learned, so a reviewer can read why two names agreed.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

# Each group: names that are the same given name for linkage (diminutives and spellings).
_NAME_GROUPS: tuple[tuple[str, ...], ...] = (
    ("alexander", "alex", "alexandr", "aleksander", "alexandra", "sasha", "xander"),
    ("thomas", "tom", "tommy", "thom"),
    ("daniel", "danny", "dan", "dani"),
    ("joshua", "josh"),
    ("samuel", "sam", "sammy", "samantha"),
    ("benjamin", "ben", "benji", "benny"),
    ("matthew", "matt", "matty", "mathew"),
    ("zachary", "zach", "zac", "zak", "zack"),
    ("callum", "calum"),
    ("connor", "conor", "conner"),
    ("reece", "rhys", "reese"),
    ("aiden", "aidan", "ayden", "aden"),
    ("jayden", "jaden", "jaiden", "jaydon", "jaydan"),
    ("mohammed", "muhammad", "mohammad", "mohamed", "muhammed", "mohamad"),
    ("yusuf", "yousef", "yusef", "yousuf", "joseph", "joe", "joey"),
    ("kacper", "kasper", "casper"),
    ("jakub", "jacob", "kuba", "jake"),
    ("sophie", "sophia", "sofie", "sofia", "zofia", "zosia"),
    ("katie", "katy", "kate", "katherine", "catherine", "kathryn", "cath", "kat"),
    ("kayleigh", "kayley", "kaylee", "kayla"),
    ("aaliyah", "aliyah", "aleeyah", "aliya"),
    ("fatima", "fatimah"),
    ("aisha", "ayesha", "aysha"),
    ("maryam", "mariam", "miriam", "mary"),
    ("ellie", "elle", "eleanor", "ella", "ellen"),
    ("caitlin", "katelyn", "kaitlyn", "caitlyn"),
    ("abigail", "abbie", "abby", "abi"),
    ("elizabeth", "beth", "lizzie", "liz", "eliza", "betty"),
    ("victoria", "tori", "vicky", "vicki"),
    ("rebecca", "becky", "becca"),
    ("charlotte", "lottie", "charli"),
    ("charlie", "charles", "chas", "chuck"),
    ("niamh", "neve", "niave"),
    ("lacey", "lacie", "lacy"),
    ("william", "will", "billy", "bill", "liam"),
    ("james", "jim", "jimmy", "jamie"),
    ("robert", "rob", "bob", "bobby", "robbie"),
    ("michael", "mike", "mikey", "mick"),
    ("christopher", "chris", "kit"),
    ("nicholas", "nick", "nicky"),
    ("anthony", "tony"),
    ("edward", "ed", "eddie", "ted", "teddy"),
    ("frankie", "frank", "francis", "frances"),
    ("harry", "henry", "hal"),
    ("jack", "john", "johnny", "jon", "jonathan"),
    ("nathan", "nate", "nathaniel"),
    ("isaac", "isaak", "izaak"),
    ("lewis", "louis", "lou"),
    ("olivia", "liv", "livvy", "livia"),
    ("oliver", "olly", "ollie"),
    ("george", "georgie"),
    ("freya", "freyja"),
    ("amelia", "millie", "amy", "emilia"),
    ("jessica", "jess", "jessie"),
    ("megan", "meg", "meghan"),
    ("hannah", "hanna"),
    ("leah", "lea", "leia"),
    ("teodor", "theodore", "theo", "teddy"),
)

NICKNAMES: dict[str, str] = {}
for _group in _NAME_GROUPS:
    for _name in _group:
        NICKNAMES.setdefault(_name, _group[0])

_LETTERS = re.compile(r"[^a-z]")
_SPACES = re.compile(r"[\s\-]+")


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("\u00a0", " "))
    return "".join(c for c in text if not unicodedata.combining(c)).lower().strip()


def given_std(text: str) -> str:
    """Lower case letters only of the first given name (``J.`` → ``j``)."""
    parts = _SPACES.split(_ascii(text))
    return _LETTERS.sub("", parts[0]) if parts else ""


def given_parts(text: str) -> list[str]:
    """Every given name of the record, letters only, initials left out (``Oliver James`` →
    ``oliver``, ``james``)."""
    parts = (_LETTERS.sub("", part) for part in _SPACES.split(_ascii(text)))
    return [part for part in parts if len(part) > 1]


def given_canonical(text: str) -> str:
    """The name group a given name belongs to (``Tommy`` → ``thomas``), or the name itself."""
    std = given_std(text)
    return NICKNAMES.get(std, std)


def family_parts(text: str) -> list[str]:
    """The parts of a family name: ``Smith-Khan`` → ``[smith, khan]``, ``O'Brien`` →
    ``[obrien]``."""
    parts = [_LETTERS.sub("", p) for p in _SPACES.split(_ascii(text))]
    return [p for p in parts if p]


def family_std(text: str) -> str:
    return "".join(family_parts(text))


def postcode_std(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", (text or "").upper())


def postcode_sector(postcode: str) -> str:
    """``XS12AB`` → ``XS12``: the postcode without its last two letters (outward code + sector)."""
    return postcode[:-2] if len(postcode) >= 5 else ""


def dob_swapped(dob: date | None) -> str | None:
    """The date of birth with day and month swapped, when that is a different valid date."""
    if dob is None or dob.day > 12 or dob.day == dob.month:
        return None
    return date(dob.year, dob.day, dob.month).isoformat()


def digits(text: str) -> str:
    return re.sub(r"\D", "", text or "")


def upn_std(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", (text or "").upper())
