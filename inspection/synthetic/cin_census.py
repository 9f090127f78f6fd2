"""A DfE Children in Need census-style XML: years of episodes of need per child (ISO dates).

Element names are listed in docs/synthetic.md; they follow the DfE CIN census specification.
"""

from __future__ import annotations

from datetime import date
from typing import IO

from inspection.evidence.cin_census import school_age
from inspection.synthetic import codes
from inspection.synthetic.journeys import ABUSE_CIN, Journey

LA_NUMBER = "990"


def _code(prefixed: str) -> str:
    """``q) 6: Police`` → ``6``; ``N1 - Abuse or neglect`` → ``N1``; ``RC8 - …`` → ``RC8``."""
    text = prefixed.split(") ", 1)[1] if ") " in prefixed[:4] else prefixed
    return text.replace(" -", ":").split(":", 1)[0].strip()


SOURCE_CODES = tuple(_code(s) for s in codes.SOURCE)
NEED_CODES = tuple(_code(n) for n in codes.PRIMARY_NEED)
CLOSURE_CODES = tuple(_code(r) for r in codes.CLOSURE_REASON)
ETHNICITY_CODES = tuple(_code(e) for e in codes.ETHNICITY)


def _d(day: date | None) -> str:
    return day.isoformat() if day is not None else ""


class CinCensusWriter:
    def __init__(self, fh: IO[str], reference: date) -> None:
        self.reference = reference
        self.fh = fh
        self.count = 0
        fh.write(
            '<?xml version="1.0" encoding="utf-8"?>\n<Message>\n<Header>\n'
            "<CollectionDetails><Collection>CIN</Collection>"
            f"<Year>{reference.year + (1 if reference.month > 3 else 0)}</Year>"
            f"<ReferenceDate>{reference.isoformat()}</ReferenceDate></CollectionDetails>\n"
            f"<Source><SourceLevel>L</SourceLevel><LEA>{LA_NUMBER}</LEA>"
            "<SoftwareCode>inspection.synthetic</SoftwareCode><Release>1</Release>"
            f"<SerialNo>1</SerialNo><DateTime>{reference.isoformat()}T00:00:00</DateTime>"
            "</Source>\n</Header>\n<Children>\n"
        )

    def _no_upn_reason(self, dob: date) -> str:
        """UN1 (aged under 6, no UPN yet) for a child not yet of school age by the 31 August
        after the census day, else UN2 (never attended a maintained school in England)."""
        return "UN1" if dob > school_age(self.reference)[1] else "UN2"

    def child(self, journey: Journey) -> None:
        if not journey.episodes:
            return
        p = journey.person
        out = ["<Child>\n<ChildIdentifiers>", f"<LAchildID>{p.la_child_id}</LAchildID>"]
        if p.upn:
            out.append(f"<UPN>{p.upn}</UPN>")
        else:  # the reason a return gives (rule 8770Q): too young for one, or never at school
            out.append(f"<UPNunknown>{self._no_upn_reason(p.dob)}</UPNunknown>")
        out.append(
            f"<PersonBirthDate>{p.dob.isoformat()}</PersonBirthDate>"
            f"<Sex>{p.sex}</Sex></ChildIdentifiers>\n<ChildCharacteristics>"
            f"<Ethnicity>{ETHNICITY_CODES[p.ethnicity]}</Ethnicity><Disabilities>"
            f"<Disability>{'LD' if p.disabled else 'NONE'}</Disability></Disabilities>"
            "</ChildCharacteristics>\n"
        )
        for ep in journey.episodes:
            out.append(
                f"<CINdetails><CINreferralDate>{_d(ep.referral)}</CINreferralDate>"
                f"<ReferralSource>{SOURCE_CODES[ep.source]}</ReferralSource>"
                f"<PrimaryNeedCode>{NEED_CODES[ep.need]}</PrimaryNeedCode>"
            )
            if ep.closure is not None:
                out.append(f"<CINclosureDate>{_d(ep.closure)}</CINclosureDate>")
                if ep.reason is not None:
                    out.append(f"<ReasonForClosure>{CLOSURE_CODES[ep.reason]}</ReasonForClosure>")
            out.append(f"<ReferralNFA>{'true' if ep.nfa else 'false'}</ReferralNFA>")
            for a in ep.assessments:
                out.append(
                    "<Assessments>"
                    f"<AssessmentActualStartDate>{_d(a.start)}</AssessmentActualStartDate>"
                )
                if a.authorised is not None:
                    out.append(
                        "<AssessmentAuthorisationDate>"
                        f"{_d(a.authorised)}</AssessmentAuthorisationDate>"
                        "<FactorsIdentifiedAtAssessment>"
                    )
                    out.extend(f"<AssessmentFactors>{f}</AssessmentFactors>" for f in a.factors)
                    out.append("</FactorsIdentifiedAtAssessment>")
                out.append("</Assessments>")
            for plan in ep.cin_plans:
                out.append(f"<CINPlanDates><CINPlanStartDate>{_d(plan.start)}</CINPlanStartDate>")
                if plan.end is not None:
                    out.append(f"<CINPlanEndDate>{_d(plan.end)}</CINPlanEndDate>")
                out.append("</CINPlanDates>")
            for s in ep.s47s:
                out.append(
                    f"<Section47><S47ActualStartDate>{_d(s.start)}</S47ActualStartDate>"
                    f"<InitialCPCtarget>{_d(s.icpc_target)}</InitialCPCtarget>"
                )
                if s.icpc is not None:
                    out.append(f"<DateOfInitialCPC>{_d(s.icpc)}</DateOfInitialCPC>")
                out.append(
                    f"<ICPCnotRequired>{'true' if s.not_required else 'false'}"
                    "</ICPCnotRequired></Section47>"
                )
            for cp in ep.cp_plans:
                out.append(f"<ChildProtectionPlans><CPPstartDate>{_d(cp.start)}</CPPstartDate>")
                if cp.end is not None:
                    out.append(f"<CPPendDate>{_d(cp.end)}</CPPendDate>")
                out.append(
                    f"<InitialCategoryOfAbuse>{ABUSE_CIN[cp.initial]}"
                    "</InitialCategoryOfAbuse>"
                    f"<LatestCategoryOfAbuse>{ABUSE_CIN[cp.latest]}</LatestCategoryOfAbuse>"
                    f"<NumberOfPreviousCPP>{cp.previous}</NumberOfPreviousCPP><Reviews>"
                )
                out.extend(f"<CPPreviewDate>{_d(r)}</CPPreviewDate>" for r in cp.reviews)
                out.append("</Reviews></ChildProtectionPlans>")
            out.append("</CINdetails>\n")
        out.append("</Child>\n")
        self.fh.write("".join(out))
        self.count += 1

    def close(self) -> None:
        self.fh.write("</Children>\n</Message>\n")
