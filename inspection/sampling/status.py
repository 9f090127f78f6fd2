"""Where a sample member stands: drawn into the sample, held in reserve, replaced, chosen as a
replacement, or tracked (chosen on purpose); which of them are the children in the sample; and
how a sample was chosen."""

from __future__ import annotations

from enum import StrEnum


class MemberStatus(StrEnum):
    SELECTED = "selected"
    RESERVE = "reserve"
    REPLACED = "replaced"
    REPLACEMENT = "replacement"
    # A tracked case: a child chosen on purpose by an inspector, with a reason and a line of
    # enquiry (``inspection.sampling.tracking``); weight 0, never in a design-weighted estimate.
    TRACKED = "tracked"
    # A tracked case no longer tracked (who, when and why kept on the member).
    UNTRACKED = "untracked"

    @property
    def label(self) -> str:
        return MEMBER_STATUS_LABELS[self]


MEMBER_STATUS_LABELS = {
    MemberStatus.SELECTED: "Selected",
    MemberStatus.RESERVE: "Reserve",
    MemberStatus.REPLACED: "Replaced",
    MemberStatus.REPLACEMENT: "Replacement",
    MemberStatus.TRACKED: "Tracked case",
    MemberStatus.UNTRACKED: "No longer tracked",
}


# The children in the sample: those drawn and not replaced, and those who replaced them. Every
# check of the random sample (moderation plan, verification, weighted estimates) counts these.
IN_SAMPLE = (MemberStatus.SELECTED, MemberStatus.REPLACEMENT)
# The children audited: the children in a random sample and the tracked cases. The audits
# board, the audit lists and exports, the overview and the journey's audit links count these.
AUDITED = (*IN_SAMPLE, MemberStatus.TRACKED)


class SampleMethod(StrEnum):
    """How a sample was chosen: drawn at random (simply, or by strata with an allocation), or
    chosen on purpose (the inspection's tracked cases)."""

    SIMPLE_RANDOM = "simple-random"
    STRATIFIED_PROPORTIONAL = "stratified-proportional"
    STRATIFIED_EQUAL = "stratified-equal"
    STRATIFIED_MINIMUM = "stratified-minimum"
    STRATIFIED_QUOTA = "stratified-quota"
    PURPOSIVE = "purposive"

    @property
    def label(self) -> str:
        return SAMPLE_METHOD_LABELS[self]

    @property
    def random(self) -> bool:
        return self is not SampleMethod.PURPOSIVE


SAMPLE_METHOD_LABELS = {
    SampleMethod.SIMPLE_RANDOM: "Simple random sample",
    SampleMethod.STRATIFIED_PROPORTIONAL: "Stratified sample, proportional allocation",
    SampleMethod.STRATIFIED_EQUAL: "Stratified sample, the same number from each stratum",
    SampleMethod.STRATIFIED_MINIMUM: (
        "Stratified sample, proportional allocation with a minimum in each stratum"
    ),
    SampleMethod.STRATIFIED_QUOTA: "Stratified sample, a quota for each stratum",
    SampleMethod.PURPOSIVE: "Tracked cases",
}
