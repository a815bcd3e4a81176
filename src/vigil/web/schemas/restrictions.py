"""What goes over the wire about restrictions of movement: one as stored, a page of them,
the counts of a period, and the end of one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from vigil.domain import restrictions as rules
from vigil.store.tables import MovementRestriction


class RestrictionOut(BaseModel):
    """A restriction as stored, with its duration when it has ended."""

    id: int
    client_id: str
    kind: str
    kind_label: str
    occurred_at: datetime
    ended_at: datetime | None
    duration_s: float | None = Field(description="ended_at - occurred_at; null while open.")
    lat: float
    lon: float
    place: str
    zone: str | None = Field(description="The most specific zone it lies in, found when stored.")
    patrol: str
    stated_party: str | None = Field(description="Party code as stated; null: not stated.")
    stated_by: str
    description: str
    area: dict[str, Any] | None = Field(description="GeoJSON polygon closed to the mission.")
    reported_by: str | None
    reported_at: datetime

    @classmethod
    def of(
        cls, row: MovementRestriction, parties: dict[int, str], users: dict[int, str]
    ) -> RestrictionOut:
        """From the stored row, with party codes and usernames."""
        return cls(
            id=row.id,
            client_id=row.client_id,
            kind=row.kind,
            kind_label=rules.kind_label(row.kind),
            occurred_at=row.occurred_at,
            ended_at=row.ended_at,
            duration_s=rules.duration_s(row.occurred_at, row.ended_at),
            lat=row.lat,
            lon=row.lon,
            place=row.place,
            zone=row.zone_code,
            patrol=row.patrol,
            stated_party=parties.get(row.stated_party_id) if row.stated_party_id else None,
            stated_by=row.stated_by,
            description=row.description,
            area=row.area or None,
            reported_by=users.get(row.reported_by) if row.reported_by else None,
            reported_at=row.reported_at,
        )


class RestrictionPage(BaseModel):
    """A page of restrictions; follow next_cursor for more."""

    items: list[RestrictionOut]
    next_cursor: str | None


class EndIn(BaseModel):
    """When access reopened."""

    model_config = {"extra": "forbid"}
    ended_at: AwareDatetime


class TallyOut(BaseModel):
    """Restrictions in one group: how many, how many are still open, total duration of the
    ended ones."""

    key: str
    label: str
    count: int
    open: int
    duration_s: float


class CountsOut(BaseModel):
    """Restrictions that occurred in [from, to): per area, per stated party, per kind."""

    time_from: datetime = Field(alias="from")
    time_to: datetime = Field(alias="to")
    total: TallyOut
    by_area: list[TallyOut]
    by_party: list[TallyOut]
    by_kind: list[TallyOut]

    @classmethod
    def of(cls, time_from: datetime, time_to: datetime, c: rules.Counts) -> CountsOut:
        """From the domain's counts."""

        def rows(groups: dict[str, rules.Tally], label: Any = str) -> list[TallyOut]:
            return [tally(k, t, label(k)) for k, t in groups.items()]

        return cls.model_validate(
            {
                "from": time_from,
                "to": time_to,
                "total": tally("total", c.total, "All restrictions"),
                "by_area": rows(c.by_area),
                "by_party": rows(c.by_party),
                "by_kind": rows(c.by_kind, rules.kind_label),
            }
        )


def tally(key: str, t: rules.Tally, label: str) -> TallyOut:
    """One group's tally."""
    return TallyOut(key=key, label=label, count=t.count, open=t.open, duration_s=t.duration_s)
