"""Reading a page as an inspector reads it: its visible text, and what in it is internal.

Visible text is every text node outside ``<script>``, ``<style>`` and ``<template>``; attributes
(hidden inputs, ``value``, ``href``, ``data-*``) are not read. The text of a GOV.UK details
component counts: it is one click away.

What counts as internal, and why:

- a database id where a child is named (a link to a child's page whose text is a bare number, or a
  bare number in a table column headed "Child");
- a hex string of 12 characters or more (hashes, seeds). One exception, decided here: inside the
  details component "How this sample was drawn" the sample's seed may be shown in full, because
  whoever verifies the draw has to type it. Hashes are shortened to their first 8 characters
  everywhere, so nothing else long and hex passes, there or anywhere. A unique pupil number
  whose check letter is right (a letter and 12 digits, such as ``D990272419297``) is an
  identifier the inspector reads, not a hash;
- raw JSON (``{}``, ``{"``, ``[{``);
- code slugs: snake_case words such as ``cp_not_in_cin`` (a file's own name, such as
  ``social_care.csv``, is what the user uploaded and is allowed);
- comparison operators ``==`` and ``!=``;
- ISO dates and timestamps (``2024-01-02``, ``2024-01-02T10:00``): dates are shown dd/mm/yyyy;
- ``None``, ``True`` and ``False`` printed as values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from inspection.evidence.identifiers import upn_problem
from inspection.models import Sample, User
from inspection.sampling.service import draw_sample

PROVENANCE_SUMMARY = "How this sample was drawn"
SKIPPED = {"script", "style", "template"}
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
FILE_NAME = r"[\w.-]*\.(?:csv|xlsx|xlsm|xls|ods|xml|zip|json)\b"
RULES: list[tuple[str, re.Pattern[str]]] = [
    ("hex string", re.compile(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{12,}\b", re.I)),
    ("raw JSON", re.compile(r"\{\}|\{\"|\[\{|\{'")),
    ("code slug", re.compile(rf"(?<![\w.@-])(?!{FILE_NAME})[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")),
    ("comparison operator", re.compile(r"==|!=")),
    ("ISO date", re.compile(r"\b\d{4}-\d{2}-\d{2}(?:T\d|\b)")),
    ("None/True/False", re.compile(r"\b(?:None|True|False)\b(?! (?:of|yet)\b)")),
]
CHILD_HREF = re.compile(r"/inspections/\d+/children/\d+$")


# Links to downloads, which a crawl does not open as pages.
DOWNLOADS = re.compile(r"\.(csv|xlsx|zip)$")
# The page types of an inspection a lead inspector reaches by following links (ids as {id}).
LEAD_PAGES = {
    "/inspections/{id}",
    "/inspections/{id}/members/{id}/remove",
    "/inspections/{id}/evidence",
    "/inspections/{id}/evidence/uploads/{id}",
    "/inspections/{id}/children",
    "/inspections/{id}/children/{id}",
    "/inspections/{id}/children/{id}/chronology",
    "/inspections/{id}/linkage",
    "/inspections/{id}/samples",
    "/inspections/{id}/samples/{id}",
    "/inspections/{id}/samples/{id}/members/{id}",
    "/inspections/{id}/audits",
    "/inspections/{id}/audits/{id}",
    "/inspections/{id}/moderation",
    "/inspections/{id}/findings",
    "/inspections/{id}/findings/audits",
    "/inspections/{id}/concerns",
    "/inspections/{id}/concerns/{id}",
    "/inspections/{id}/exports",
}


@dataclass
class Offence:
    url: str
    rule: str
    snippet: str

    def __str__(self) -> str:
        return f"{self.url}: {self.rule}: {self.snippet!r}"


@dataclass
class _Cell:
    column: int
    text: list[str] = field(default_factory=list)


class VisibleText(HTMLParser):
    """Collects visible text (with whether it is inside the provenance details) and checks
    children's names in links and in "Child" columns."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.skipping = 0
        self.details: list[list[str]] = []  # summary text of each open <details>
        self.in_summary = False
        self.chunks: list[tuple[str, bool]] = []
        self.child_links: list[str] = []
        self._link: list[str] | None = None
        self.links: list[str] = []
        # tables: header texts and the cell being read
        self._headers: list[list[str]] = []
        self._header: list[str] | None = None
        self._column = -1
        self._cell: _Cell | None = None
        self.child_cells: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in SKIPPED:
            self.skipping += 1
        if tag in VOID:
            return
        self.stack.append(tag)
        if tag == "details":
            self.details.append([])
        elif tag == "summary":
            self.in_summary = True
        elif tag == "a":
            href = a.get("href") or ""
            self.links.append(href)
            if CHILD_HREF.search(href.split("#")[0].split("?")[0]):
                self._link = []
        elif tag == "table":
            self._headers.append([])
        elif tag == "tr":
            self._column = -1
        elif tag == "th" and self._headers:
            self._column += 1
            if self._in("thead"):
                self._header = []
            else:
                self._cell = _Cell(self._column)
        elif tag == "td":
            self._column += 1
            self._cell = _Cell(self._column)

    def _in(self, tag: str) -> bool:
        return tag in self.stack

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED and self.skipping:
            self.skipping -= 1
        if tag in VOID:
            return
        while self.stack:
            top = self.stack.pop()
            self._close(top)
            if top == tag:
                break

    def _close(self, tag: str) -> None:
        if tag == "details" and self.details:
            self.details.pop()
        elif tag == "summary":
            self.in_summary = False
        elif tag == "a" and self._link is not None:
            self.child_links.append(" ".join("".join(self._link).split()))
            self._link = None
        elif tag == "table" and self._headers:
            self._headers.pop()
        elif tag == "th" and self._header is not None and self._headers:
            self._headers[-1].append(" ".join("".join(self._header).split()))
            self._header = None
        elif tag in ("td", "th") and self._cell is not None:
            headers = self._headers[-1] if self._headers else []
            if self._cell.column < len(headers) and headers[self._cell.column] == "Child":
                self.child_cells.append(" ".join("".join(self._cell.text).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.in_summary and self.details:
            self.details[-1].append(data)
        provenance = any(PROVENANCE_SUMMARY in "".join(d) for d in self.details)
        self.chunks.append((data, provenance))
        if self._link is not None:
            self._link.append(data)
        if self._header is not None:
            self._header.append(data)
        if self._cell is not None:
            self._cell.text.append(data)


def _snippet(text: str, start: int, end: int) -> str:
    return " ".join(text[max(0, start - 30) : end + 30].split())


def offences(url: str, html: str, allowed_seeds: set[str]) -> list[Offence]:
    """Everything internal in the visible text of ``html``."""
    inspection_page = url.split("?")[0].startswith("/inspections/")
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    found: list[Offence] = []
    for text, provenance in parser.chunks:
        for rule, pattern in RULES:
            for match in pattern.finditer(text):
                if rule == "hex string" and provenance and match.group(0) in allowed_seeds:
                    continue
                if rule == "hex string" and upn_problem(match.group(0)) is None:
                    continue
                found.append(Offence(url, rule, _snippet(text, match.start(), match.end())))
        if inspection_page:
            for match in OBJECT_BY_ID.finditer(text):
                found.append(
                    Offence(
                        url, "object named by its id", _snippet(text, match.start(), match.end())
                    )
                )
    for name in parser.child_links:
        if name.isdigit():
            found.append(Offence(url, "database id as a child's name", name))
    for cell in parser.child_cells:
        if cell.isdigit():
            found.append(Offence(url, "bare number in a Child column", cell))
    return found


def links(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.links


# Headings and link texts that name an object by its database id ("Sample 3", "Audit 12",
# "Concern 4"): an inspection's pages name samples by purpose or when drawn, audits by child and
# marking, concerns by child or when raised. (The access log, an audit trail outside the
# inspection, records which object each entry touched; the verify command's ``--sample 3``
# is an argument.)
OBJECT_BY_ID = re.compile(r"(?<![\w-])(?:[Ss]ample|[Aa]udit|[Cc]oncern) \d+\b")


async def draw_children_in_need(inspection_id: int, drawn_by: User, seed: str) -> Sample:
    """The sample the page crawls walk: six children in need by age band, one reserve."""
    return await draw_sample(
        inspection_id,
        {"cohort": "children_in_need"},
        size=6,
        stratify_by="age_band",
        reserve=1,
        seed=seed,
        purpose="Children in need",
        drawn_by=drawn_by,
    )
