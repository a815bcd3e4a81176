"""What goes over the wire about compliance: each provision's status as a whole and per party
with the incidents and flags behind it, breaches over time, and the timeline of deadlines."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from vigil.domain import compliance as rules
from vigil.domain import compliance_timeline as over_time
from vigil.services.compliance import ComplianceView

STATUS_HELP = "complied, partially, breached, not_yet_due or unknown (docs/compliance.md)"


class StatusOut(BaseModel):
    """A status with its evidence and why, in one line."""

    status: str = Field(description=STATUS_HELP)
    reason: str
    incident_ids: list[int] = Field(description="The incidents behind the status.")
    flag_ids: list[int] = Field(description="The flags behind the status.")

    @classmethod
    def of(cls, s: rules.Status) -> StatusOut:
        """From the domain's status."""
        return cls(
            status=s.status,
            reason=s.reason,
            incident_ids=list(s.incident_ids),
            flag_ids=list(s.flag_ids),
        )


class CountsOut(BaseModel):
    """Verified breaches (incidents), open flags and confirmed evidence of compliance."""

    verified_breaches: int
    open_flags: int
    evidence: int

    @classmethod
    def of(cls, c: rules.Counts) -> CountsOut:
        """From the domain's counts."""
        return cls(
            verified_breaches=c.verified_breaches, open_flags=c.open_flags, evidence=c.evidence
        )


class PartyStatusOut(StatusOut):
    """One binding party's status on a provision, with its counts."""

    party: str
    counts: CountsOut


class BucketOut(BaseModel):
    """Verified breaches whose incident started in [start, end)."""

    start: datetime
    end: datetime
    count: int


class ProvisionComplianceOut(BaseModel):
    """One provision: its dates, its status as a whole and per binding party, breaches over
    time."""

    id: int
    number: str
    title: str
    binding: list[str]
    in_force_from: datetime | None
    deadline: datetime | None
    in_force_until: datetime | None
    status: StatusOut
    counts: CountsOut
    parties: list[PartyStatusOut]
    breaches: list[BucketOut] = Field(description="Verified breaches per day or week.")


class MilestoneOut(BaseModel):
    """A date on the agreement's timeline."""

    at: datetime
    kind: str = Field(description="deadline, rule (a rule's own start) or end_of_force")
    provision_number: str
    label: str
    passed: bool = Field(description="At or before as_of.")


class ComplianceOut(BaseModel):
    """The compliance view as of an instant."""

    as_of: datetime
    window_days: int
    from_: datetime = Field(serialization_alias="from")
    to: datetime
    bucket: str = Field(description="day or week: the width of the breaches' buckets")
    parties: list[str] = Field(description="The parties shown, in order.")
    provisions: list[ProvisionComplianceOut]
    deadlines: list[MilestoneOut]

    @classmethod
    def of(cls, view: ComplianceView) -> ComplianceOut:
        """From the service's view."""
        series = {s.provision_id: s.buckets for s in view.series}
        return cls(
            as_of=view.as_of,
            window_days=view.window_days,
            from_=view.date_from,
            to=view.date_to,
            bucket=view.bucket,
            parties=view.parties,
            provisions=[_provision(p, series.get(p.provision.id, [])) for p in view.provisions],
            deadlines=[
                MilestoneOut(
                    at=m.at,
                    kind=m.kind,
                    provision_number=m.provision_number,
                    label=m.label,
                    passed=m.passed,
                )
                for m in view.timeline
            ],  # fmt: skip
        )


def _provision(p: rules.ProvisionStatus, buckets: list[over_time.Bucket]) -> ProvisionComplianceOut:
    f = p.provision
    return ProvisionComplianceOut(
        id=f.id,
        number=f.number,
        title=f.title,
        binding=list(f.binding),
        in_force_from=f.in_force_from,
        deadline=f.deadline,
        in_force_until=f.in_force_until,
        status=StatusOut.of(p.overall),
        counts=CountsOut.of(p.counts),
        parties=[
            PartyStatusOut(
                **StatusOut.of(s).model_dump(),
                party=code,
                counts=CountsOut.of(p.party_counts[code]),
            )
            for code, s in p.parties.items()
        ],  # fmt: skip
        breaches=[BucketOut(start=b.start, end=b.end, count=b.count) for b in buckets],
    )
