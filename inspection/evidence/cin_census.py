"""Read a DfE Children in Need census XML return (2017 onwards), safely (no DTD, no entities).

The layout is the one the census has kept from the 2016 to 2017 collection to the 2025 to 2026
collection (``NEWEST_COLLECTION_YEAR``; docs/formats.md names the sources it was checked
against). The collection is the header's ``<Year>`` (2026: the 2025 to 2026 collection), or
the year of its ``<ReferenceDate>``. A return of a later collection is read as the newest
layout, with a note that says so; in any return, an element the layout does not have is a
warning naming it (``unknown_element``), never dropped in silence nor guessed at.

Each ``<Child>`` is one "row" (numbered from 1 in file order); it is rejected only when it has
no ``LAchildID``. ``GenderCurrent`` (1 male, 2 female, 0 not known, 9 not specified) and the
later ``Sex`` (M, F, U) are both understood. Events per episode: referral, assessments,
CIN plans, s47 (strategy discussion) and ICPC, CP plans and reviews, and closure (see
docs/evidence.md for the kinds).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError, fromstring  # noqa: S405

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring

from inspection.evidence import codes, identifiers, plausibility, values
from inspection.evidence.dated import BIRTH, DateField, end, event, issue, start
from inspection.evidence.decoding import check_declared_encoding
from inspection.evidence.files import check_size
from inspection.evidence.identifiers import Scheme
from inspection.evidence.staged import (
    ERROR,
    INFO,
    WARNING,
    ChildFacts,
    EventFacts,
    EvidenceFileError,
    IdentifierFacts,
    Issue,
    RecordFacts,
    Staged,
)

AGENCY = "social_care"
SHEET = "Child"
GENDER_CURRENT = {"1": "M", "2": "F", "0": "U", "9": "U"}
SEX = {"M": "M", "F": "F", "U": "U"}
UPN_UNKNOWN = "upn_unknown"  # the code list, and the child's attribute, of <UPNunknown>


def _element(path: str, *fates: Any) -> DateField:
    return DateField(path.rsplit("/", 1)[0], path.rsplit("/", 1)[-1], path, fates)


# Every date element of the return and what becomes of it (docs/formats.md is written from
# this; tests/evidence/test_dated_fields.py loads a return that fills each one).
DATE_ELEMENTS: tuple[DateField, ...] = (
    _element(
        "Header/CollectionDetails/ReferenceDate",
        issue("PL06", "when it is after the inspection's reference date"),
    ),
    _element("ChildIdentifiers/PersonBirthDate", BIRTH),
    _element("ChildIdentifiers/ExpectedPersonBirthDate", event("expected_birth")),
    _element("ChildIdentifiers/PersonDeathDate", event("death")),
    _element("CINdetails/CINreferralDate", start("referral")),
    _element("CINdetails/CINclosureDate", end("referral")),
    _element(
        "CINdetails/DateOfInitialCPC",
        event(
            "icpc", "unless a Section47 of the episode gives the same date (then it is that one)"
        ),
    ),
    _element("Assessments/AssessmentActualStartDate", start("assessment_start")),
    _element("Assessments/AssessmentInternalReviewDate", event("assessment_internal_review")),
    _element(
        "Assessments/AssessmentAuthorisationDate",
        end("assessment_start"),
        event("assessment_authorised"),
    ),
    _element("CINPlanDates/CINPlanStartDate", start("cin_plan_start")),
    _element("CINPlanDates/CINPlanEndDate", end("cin_plan_start"), event("cin_plan_end")),
    _element("Section47/S47ActualStartDate", event("strategy_discussion")),
    _element("Section47/InitialCPCtarget", event("icpc_due")),
    _element("Section47/DateOfInitialCPC", event("icpc")),
    _element("ChildProtectionPlans/CPPstartDate", start("cp_plan_start")),
    _element("ChildProtectionPlans/CPPendDate", end("cp_plan_start"), event("cp_plan_end")),
    _element("ChildProtectionPlans/Reviews/CPPreviewDate", event("cp_review")),
)

# The collections whose layout the reader was checked against, by the header's <Year>.
FIRST_COLLECTION_YEAR = 2017
NEWEST_COLLECTION_YEAR = 2026

# Every element of the layout (the XML schema of the 2017 to 2026 collections); <GenderCurrent>
# until the 2023 to 2024 collection, <Sex> from 2024 to 2025; <PersonSchoolYear> in early ones.
ELEMENTS = frozenset(
    {
        "Message",
        "Header",
        "CollectionDetails",
        "Collection",
        "Year",
        "ReferenceDate",
        "Source",
        "SourceLevel",
        "LEA",
        "SoftwareCode",
        "Release",
        "SerialNo",
        "DateTime",
        "Children",
        "Child",
        "ChildIdentifiers",
        "LAchildID",
        "UPN",
        "FormerUPN",
        "UPNunknown",
        "PersonBirthDate",
        "ExpectedPersonBirthDate",
        "GenderCurrent",
        "Sex",
        "PersonDeathDate",
        "PersonSchoolYear",
        "ChildCharacteristics",
        "Ethnicity",
        "Disabilities",
        "Disability",
        "CINdetails",
        "CINreferralDate",
        "ReferralSource",
        "PrimaryNeedCode",
        "CINclosureDate",
        "ReasonForClosure",
        "DateOfInitialCPC",
        "Assessments",
        "AssessmentActualStartDate",
        "AssessmentInternalReviewDate",
        "AssessmentAuthorisationDate",
        "FactorsIdentifiedAtAssessment",
        "AssessmentFactors",
        "CINPlanDates",
        "CINPlanStartDate",
        "CINPlanEndDate",
        "Section47",
        "S47ActualStartDate",
        "InitialCPCtarget",
        "ICPCnotRequired",
        "ReferralNFA",
        "ChildProtectionPlans",
        "CPPstartDate",
        "CPPendDate",
        "InitialCategoryOfAbuse",
        "LatestCategoryOfAbuse",
        "NumberOfPreviousCPP",
        "Reviews",
        "CPPreviewDate",
    }
)
# Assessment factors the census no longer takes, and the DfE rule that queries each.
RETIRED_FACTORS = {"18A": "8945Q", "19A": "8950Q"}
_ALPHANUMERIC = re.compile(r"^[A-Za-z0-9]*$")


def collection_year(root: Element) -> int | None:
    """The collection the return is for: its header's <Year>, else its <ReferenceDate>'s year
    (the census day, 31 March, closes the collection)."""
    details = root.find("Header/CollectionDetails")
    if details is None:
        return None
    year = (details.findtext("Year") or "").strip()
    if re.fullmatch(r"\d{4}", year):
        return int(year)
    reference = (details.findtext("ReferenceDate") or "").strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", reference):
        return int(reference[:4])
    return None


def _collection(year: int) -> str:
    return f"{year - 1} to {year}"


_ASCII_ENCODINGS = frozenset(
    {"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "windows-1252"}
)
_DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)""")


def _declared_encoding(data: bytes) -> str | None:
    """The encoding the XML declaration names, if it names one (an ASCII-compatible file)."""
    text = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    declared = _DECLARED_ENCODING.match(text[:300])
    return declared.group(1).decode() if declared else None


def _plainly_without_dtd(data: bytes) -> bool:
    """True when the file starts with an ASCII ``<``, declares no encoding or a UTF-8 / ASCII /
    Latin-1 one, and nowhere holds ``<!DOCTYPE`` or ``<!ENTITY``. Anything else (UTF-16,
    EBCDIC, a DTD…) goes through defusedxml, which refuses DTDs and entities."""
    text = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if text[:1] != b"<":
        return False
    declared = _DECLARED_ENCODING.match(text[:300])
    if declared and declared.group(1).decode().lower() not in _ASCII_ENCODINGS:
        return False
    return b"<!DOCTYPE" not in data and b"<!ENTITY" not in data


def _strip_namespaces(root: Element) -> None:
    """Element names without their namespace, so plain ``find`` works on any return."""
    for element in root.iter():
        tag = element.tag
        if isinstance(tag, str) and tag[:1] == "{":
            element.tag = tag.rsplit("}", 1)[-1]


class _Memo(dict[str, Any]):
    """Raw element text → ``values.text`` of it, each distinct text cleaned once (codes and
    dates repeat across tens of thousands of children)."""

    def __missing__(self, raw: str) -> str | None:
        cleaned = self[raw] = values.text(raw)
        return cleaned


def read_cin_census(
    path: Path, reference_date: date, max_bytes: int, filename: str | None = None
) -> Staged:
    name = filename or path.name
    check_size(path, max_bytes, name)
    data = path.read_bytes()
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<" or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        # Only a file that is XML at all (else the parser says it is not) has an encoding to
        # check.
        check_declared_encoding(data, _declared_encoding(data), name)
    try:
        if _plainly_without_dtd(data):
            # No DTD can be declared without the bytes "<!DOCTYPE" in an ASCII-compatible
            # file, so there are no entities to defuse: the C parser (twice as fast) is safe.
            root = fromstring(data)  # noqa: S314 - checked just above
        else:
            root = defused_fromstring(
                data, forbid_dtd=True, forbid_entities=True, forbid_external=True
            )
    except DefusedXmlException:
        raise EvidenceFileError(
            f"{name} declares a DTD or entities, which are refused for safety; export the "
            "census without them."
        ) from None
    except ParseError as exc:
        raise EvidenceFileError(f"{name} is not well-formed XML ({exc}).") from None
    except (LookupError, ValueError) as exc:  # an encoding the XML parser cannot read
        raise EvidenceFileError(
            f"{name} cannot be read in the encoding it declares ({exc}). Save the return as "
            "UTF-8 and upload it again."
        ) from None
    namespaced = b"xmlns" in data
    del data
    if namespaced:
        _strip_namespaces(root)
    children = list(root.iter("Child"))
    if not children:
        raise EvidenceFileError(f"{name} has no <Child> elements: it is not a CIN census return.")
    staged = Staged(source_kind="cin-census", agency=AGENCY)
    table = staged.table("Children", SHEET)
    reader = _ChildReader(staged, reference_date)
    reader.census_reference(root.find("Header/CollectionDetails"))
    reader.collection(collection_year(root))
    reader.unknown_elements(root, children)
    episodes = 0
    for number, child in enumerate(children, start=1):
        table.rows += 1
        accepted, child_episodes = reader.child(child, number)
        episodes += child_episodes
        if accepted:
            table.accepted += 1
        else:
            table.rejected += 1
    staged.extra["episodes"] = episodes
    return staged


# The DfE's rules (CIN census validation) that a date of an episode is not before its referral.
BEFORE_REFERRAL_RULES = (
    ("1103", "AssessmentActualStartDate"),
    ("4015", "CINPlanStartDate"),
    ("2889", "S47ActualStartDate"),
    ("1104", "DateOfInitialCPC"),
    ("1105", "CPPstartDate"),
)


def _uk(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def school_age(census_day: date) -> tuple[date, date]:
    """The 31 August after ``census_day``, and the last birthday of a child who is four by
    then, so of school age in the school year that follows (DfE rule 8770Q)."""
    school_year = date(census_day.year if census_day.month < 9 else census_day.year + 1, 8, 31)
    return school_year, date(school_year.year - 4, 8, 31)


class _ChildReader:
    def __init__(self, staged: Staged, reference_date: date) -> None:
        self.staged = staged
        self.reference_date = reference_date
        self.texts = _Memo()
        self.dates = values.DateMemo()

    def _text(self, parent: Element | None, name: str) -> str | None:
        if parent is None:
            return None
        raw = parent.findtext(name)
        return None if raw is None else self.texts[raw]

    def _issue(
        self,
        severity: str,
        rule: str,
        message: str,
        row: int | None,
        column: str,
        value: str = "",
        rejected: bool = False,
    ) -> None:
        self.staged.issues.append(
            Issue(severity, rule, message, SHEET, "Children", row, column, "", value, rejected)
        )

    def _date(
        self, parent: Element | None, name: str, row: int, future: bool = False
    ) -> date | None:
        """The date in ``parent``'s element ``name``; an issue when it is not one, or when it
        is after the reference date (unless ``future``: an unborn child's expected birth, a
        conference's target date)."""
        raw = self._text(parent, name)
        if raw is None:
            return None
        value, readable = self.dates[raw]
        if not readable:
            self._issue(
                WARNING,
                "unreadable_date",
                f"<{name}> '{raw}' is not a date (YYYY-MM-DD); it was left out.",
                row,
                name,
                raw,
            )
            return None
        if value is not None and value > self.reference_date and not future:
            self._issue(
                WARNING,
                "after_reference_date",
                f"<{name}> {value:%d/%m/%Y} is after "
                f"the inspection's reference date {self.reference_date:%d/%m/%Y}.",
                row,
                name,
                raw,
            )
        return value

    def census_reference(self, details: Element | None) -> None:
        """The return's own reference date (the census day): kept, and a warning when it is
        after the inspection's, so the census describes a later time than the inspection."""
        raw = self._text(details, "ReferenceDate")
        if raw is None:
            return
        value, readable = self.dates[raw]
        if not readable or value is None:
            self._header_issue(
                WARNING,
                "unreadable_date",
                f"<ReferenceDate> '{raw}' in the header is not a date (YYYY-MM-DD).",
                raw,
            )
            return
        self.staged.extra["census_reference_date"] = value.isoformat()
        if value > self.reference_date:
            rule = plausibility.rule("PL06")
            message = rule.message(census=_uk(value), reference=_uk(self.reference_date))
            self._header_issue(rule.severity, rule.issue_rule, message, raw)

    def _header_issue(
        self, severity: str, rule: str, message: str, value: str, column: str = "ReferenceDate"
    ) -> None:
        self.staged.issues.append(
            Issue(severity, rule, message, "Header", "Header", None, column, "", value)
        )

    def collection(self, year: int | None) -> None:
        """The collection year, kept; a note when it is one whose layout the reader was not
        checked against (it is read as the newest it was)."""
        if year is None:
            return
        self.staged.extra["census_collection_year"] = year
        if FIRST_COLLECTION_YEAR <= year <= NEWEST_COLLECTION_YEAR:
            return
        newest = _collection(NEWEST_COLLECTION_YEAR)
        if year > NEWEST_COLLECTION_YEAR:
            message = (
                f"The census is for the {_collection(year)} collection; the newest layout this "
                f"product has been checked against is the {newest} collection's. It was read as "
                f"that layout: any element that layout does not have is listed as not read."
            )
        else:
            message = (
                f"The census is for the {_collection(year)} collection, older than the "
                f"{_collection(FIRST_COLLECTION_YEAR)} layout this product reads. It was read as "
                f"the {newest} layout: any element that layout does not have is listed as not "
                "read."
            )
        self._header_issue(INFO, "unchecked_collection_year", message, str(year), "Year")

    def unknown_elements(self, root: Element, children: list[Element]) -> None:
        """One warning per element name the layout does not have, at the first child that
        holds it (or the header), with how many there are."""
        if not {element.tag for element in root.iter()} - ELEMENTS:
            return  # the usual case, found in one pass at C speed
        found: dict[str, list[int]] = {}  # name → [count, first row (0: outside a child)]
        rows = {id(child): number for number, child in enumerate(children, start=1)}
        stack: list[tuple[Element, int]] = [(root, 0)]
        while stack:
            element, row = stack.pop()
            for sub in element:
                tag = sub.tag
                if isinstance(tag, str) and tag not in ELEMENTS:
                    seen = found.setdefault(tag, [0, row])
                    seen[0] += 1
                    seen[1] = min(seen[1], row)
                stack.append((sub, rows.get(id(sub), row)))
        for tag, (count, row) in sorted(found.items(), key=lambda item: (item[1][1], item[0])):
            times = "once" if count == 1 else f"{count} times"
            message = (
                f"<{tag}> is not an element of the CIN census layout this product reads (the "
                f"collections from {_collection(FIRST_COLLECTION_YEAR)} up to "
                f"{_collection(NEWEST_COLLECTION_YEAR)}); it was not read (found {times})."
            )
            if row:
                self._issue(WARNING, "unknown_element", message, row, tag)
            else:
                self._header_issue(WARNING, "unknown_element", message, "", tag)

    def child(self, child: Element, row: int) -> tuple[bool, int]:
        ids = child.find("ChildIdentifiers")
        la_id = self._text(ids, "LAchildID")
        if la_id is None:
            self._issue(
                ERROR,
                "missing_identifier",
                "The child has no <LAchildID>, so it cannot "
                "be placed in any journey; it was not loaded.",
                row,
                "LAchildID",
                "",
                True,
            )
            return False, 0
        if len(la_id) > 20:
            self._rule("1570", row, "LAchildID", la_id, given=la_id)
        if not _ALPHANUMERIC.match(la_id):
            self._rule("1580", row, "LAchildID", la_id, given=la_id)
        dob = self._date(ids, "PersonBirthDate", row)
        died = self._date(ids, "PersonDeathDate", row)
        if died is not None and dob is not None and died < dob:
            self._rule("8535Q", row, "PersonDeathDate", died, died=_uk(died), born=_uk(dob))
        sex_raw = self._text(ids, "Sex")
        gender_raw = self._text(ids, "GenderCurrent")
        sex = ""
        if sex_raw is not None:
            sex = SEX.get(sex_raw.upper(), "")
            if not sex:
                self._issue(
                    WARNING,
                    "unknown_code",
                    f"<Sex> '{sex_raw}' is not M, F or U.",
                    row,
                    "Sex",
                    sex_raw,
                )
        elif gender_raw is not None:
            sex = GENDER_CURRENT.get(gender_raw, "")
            if not sex:
                self._issue(
                    WARNING,
                    "unknown_code",
                    f"<GenderCurrent> '{gender_raw}' is not 1, 2, 0 or 9.",
                    row,
                    "GenderCurrent",
                    gender_raw,
                )
        characteristics = child.find("ChildCharacteristics")
        stated = self._text(characteristics, "Ethnicity") or ""
        ethnicity = codes.canonical("ethnicity", stated) or ""
        facts = self.staged.children.get(la_id)
        if facts is None:
            facts = self.staged.children[la_id] = ChildFacts(
                la_id, sex=sex, ethnicity=ethnicity[:10], dob=dob, death_date=died
            )
            upn = self._checked(ids, "UPN", Scheme.UPN, row)
            former = self._checked(ids, "FormerUPN", Scheme.FORMER_UPN, row)
            self.staged.records[(AGENCY, la_id)] = RecordFacts(
                AGENCY,
                la_id,
                la_child_id=la_id,
                upn=upn,
                dob=dob,
                sex=sex,
                identifiers=[IdentifierFacts(Scheme.FORMER_UPN, former)] if former else [],
            )
            self._upn_unknown(ids, facts, row)
            self._school_age_upn(child, upn, dob, facts, row)
        else:
            if died is not None and facts.death_date is None:
                facts.death_date = died
            self._issue(
                WARNING,
                "duplicate_row",
                f"Child {la_id} appears more than once; the "
                "episodes of every occurrence were loaded.",
                row,
                "LAchildID",
                la_id,
            )
        expected = self._date(ids, "ExpectedPersonBirthDate", row, future=True)
        if expected is not None and dob is None:  # an unborn child: a child in their own right
            facts.attributes["expected_birth"] = expected.isoformat()
            if sex_raw is not None and sex_raw.upper() != "U":
                self._rule("8750", row, "Sex", sex_raw, sex=sex_raw)
        self._add(la_id, "expected_birth", expected, row, {})
        self._add(la_id, "death", died, row, {})
        episodes = child.findall("CINdetails")
        for episode in episodes:
            self._episode(la_id, episode, row, dob)
            self._episode_rules(episode, row)
        if died is None and (facts.death_date is None):
            for reason in child.iter("ReasonForClosure"):
                if reason.text is not None and self.texts[reason.text] == "RC2":
                    self._rule("8585Q", row, "ReasonForClosure", "RC2")
                    break
        return True, len(episodes)

    def _checked(self, ids: Element | None, name: str, scheme: Scheme, row: int) -> str:
        """The identifier in element ``name`` as given; a warning when it fails its check."""
        given = self._text(ids, name) or ""
        why = identifiers.problem(scheme, given)
        if why:
            self._issue(
                WARNING,
                "invalid_identifier",
                identifiers.message(scheme, given, why),
                row,
                name,
                given,
            )
        return given

    def _upn_unknown(self, ids: Element | None, facts: ChildFacts, row: int) -> None:
        """Why the child has no UPN (``<UPNunknown>``), kept as its code (shown by its label); a
        warning for a code the census does not have."""
        given = self._text(ids, "UPNunknown")
        if given is None:
            return
        code = codes.canonical(UPN_UNKNOWN, given)
        if code is None:
            self._issue(
                WARNING,
                "unknown_code",
                f"<UPNunknown> '{given}' is not one of the census's reasons for having no UPN "
                "(UN1 to UN7); it was left out.",
                row,
                "UPNunknown",
                given,
            )
            return
        facts.attributes[UPN_UNKNOWN] = code

    def _school_age_upn(
        self, child: Element, upn: str, dob: date | None, facts: ChildFacts, row: int
    ) -> None:
        """DfE rule 8770Q: a child of school age (four by the 31 August after the census's
        reference date) whose referral led to further action has a UPN or a reason for having
        none other than UN1 (which says the child is too young for one)."""
        census_day = self.staged.extra.get("census_reference_date")
        if dob is None or upn or not census_day:
            return
        school_year, born_by = school_age(date.fromisoformat(census_day))
        if dob > born_by:
            return
        further_action = any(
            (self._text(episode, "ReferralNFA") or "").strip().lower() in ("0", "false")
            for episode in child.findall("CINdetails")
        )
        reason = facts.attributes.get(UPN_UNKNOWN)
        if not further_action or (reason is not None and reason != "UN1"):
            return
        why = "no reason for it" if reason is None else "UN1 (aged under 6) as the reason"
        self._rule("8770Q", row, "UPN", "", born=_uk(dob), school=_uk(school_year), why=why)

    def _add(
        self,
        la_id: str,
        kind: str,
        start: date | None,
        row: int,
        attributes: dict[str, Any],
        end: date | None = None,
    ) -> None:
        if start is None:
            return
        self.staged.events.append(
            EventFacts((AGENCY, la_id), AGENCY, kind, start, end, SHEET, row, attributes)
        )

    def _rule(
        self, rule_id: str, row: int | None, column: str, value: object, **values: str
    ) -> None:
        """An issue of a rule of ``plausibility``'s catalogue."""
        found = plausibility.rule(rule_id)
        shown = value.isoformat() if isinstance(value, date) else str(value)
        self._issue(found.severity, found.issue_rule, found.message(**values), row, column, shown)

    def _episode_rules(self, episode: Element, row: int) -> None:
        """The DfE's rules that nothing in an episode starts before the referral opening it."""
        raw = episode.findtext("CINreferralDate")
        referral = self.dates[self.texts[raw]][0] if raw is not None else None
        if referral is None:
            return
        for rule_id, name in BEFORE_REFERRAL_RULES:
            for element in episode.iter(name):
                if element.text is None:
                    continue
                when = self.dates[self.texts[element.text]][0]
                if when is not None and when < referral:
                    self._rule(rule_id, row, name, when, later=_uk(when), referral=_uk(referral))

    def _episode(self, la_id: str, episode: Element, row: int, dob: date | None) -> None:
        referral = self._date(episode, "CINreferralDate", row)
        closure = self._date(episode, "CINclosureDate", row)
        base = {
            k: v
            for k, v in (
                ("referral_source", self._text(episode, "ReferralSource")),
                ("primary_need", self._text(episode, "PrimaryNeedCode")),
                ("referral_nfa", self._text(episode, "ReferralNFA")),
            )
            if v
        }
        if referral is None:
            self._issue(
                WARNING,
                "missing_value",
                "An episode (<CINdetails>) has no "
                "<CINreferralDate>; its other dates were still loaded.",
                row,
                "CINreferralDate",
            )
        elif dob is not None and dob > referral:
            self._issue(
                WARNING,
                "birth_after_event",
                f"<PersonBirthDate> {dob:%d/%m/%Y} is after <CINreferralDate> {referral:%d/%m/%Y}.",
                row,
                "PersonBirthDate",
            )
        if referral and closure and closure < referral:
            self._issue(
                WARNING,
                "end_before_start",
                f"<CINclosureDate> {closure:%d/%m/%Y} is "
                f"before <CINreferralDate> {referral:%d/%m/%Y}.",
                row,
                "CINclosureDate",
            )
        reason = self._text(episode, "ReasonForClosure")
        referral_attributes = {**base, "episode_start": True}
        if closure is not None or reason:
            referral_attributes["closure_reason"] = reason or ""
        # The episode's closure is the referral event's end, not an event of its own.
        self._add(la_id, "referral", referral, row, referral_attributes, closure)
        for assessment in episode.iter("Assessments"):
            texts = self.texts
            factors = [
                texts[f.text] if f.text is not None else None
                for f in assessment.iter("AssessmentFactors")
            ]
            attributes = {**base, "factors": [f for f in factors if f]}
            for factor in attributes["factors"]:
                retired = RETIRED_FACTORS.get(factor.upper())
                if retired:
                    self._rule(retired, row, "AssessmentFactors", factor)
            start = self._date(assessment, "AssessmentActualStartDate", row)
            reviewed = self._date(assessment, "AssessmentInternalReviewDate", row)
            authorised = self._date(assessment, "AssessmentAuthorisationDate", row)
            self._add(la_id, "assessment_start", start, row, attributes, authorised)
            self._add(la_id, "assessment_internal_review", reviewed, row, attributes)
            self._add(la_id, "assessment_authorised", authorised, row, attributes)
        for plan in episode.iter("CINPlanDates"):
            start = self._date(plan, "CINPlanStartDate", row)
            end = self._date(plan, "CINPlanEndDate", row)
            self._add(la_id, "cin_plan_start", start, row, {**base, "plan": True}, end)
            self._add(la_id, "cin_plan_end", end, row, {**base, "plan": True})
        conferences: set[date] = set()
        for s47 in episode.iter("Section47"):
            attributes = {
                **base,
                **{
                    k: v
                    for k, v in (
                        ("initial_cpc_target", self._text(s47, "InitialCPCtarget")),
                        ("icpc_not_required", self._text(s47, "ICPCnotRequired")),
                    )
                    if v
                },
            }
            self._add(
                la_id,
                "strategy_discussion",
                self._date(s47, "S47ActualStartDate", row),
                row,
                attributes,
            )
            # a conference due after the reference date is no mistake
            due = self._date(s47, "InitialCPCtarget", row, future=True)
            self._add(la_id, "icpc_due", due, row, attributes)
            conference = self._date(s47, "DateOfInitialCPC", row)
            self._add(la_id, "icpc", conference, row, attributes)
            if conference is not None:
                conferences.add(conference)
        # The episode's own conference date: once, when no enquiry of the episode gives it.
        conference = self._date(episode, "DateOfInitialCPC", row)
        if conference is not None and conference not in conferences:
            self._add(la_id, "icpc", conference, row, base)
        for plan in episode.iter("ChildProtectionPlans"):
            attributes = {
                **base,
                **{
                    k: v
                    for k, v in (
                        ("initial_category", self._text(plan, "InitialCategoryOfAbuse")),
                        ("latest_category", self._text(plan, "LatestCategoryOfAbuse")),
                        ("previous_plans", self._text(plan, "NumberOfPreviousCPP")),
                    )
                    if v
                },
            }
            start = self._date(plan, "CPPstartDate", row)
            end = self._date(plan, "CPPendDate", row)
            self._add(la_id, "cp_plan_start", start, row, attributes, end)
            self._add(la_id, "cp_plan_end", end, row, attributes)
            for review in plan.iter("CPPreviewDate"):
                cleaned = self.texts[review.text] if review.text is not None else None
                when, readable = (None, True) if cleaned is None else self.dates[cleaned]
                if not readable:
                    self._issue(
                        WARNING,
                        "unreadable_date",
                        f"<CPPreviewDate> '{review.text}' is not a date; it was left out.",
                        row,
                        "CPPreviewDate",
                        review.text or "",
                    )
                    continue
                self._add(la_id, "cp_review", when, row, attributes)
