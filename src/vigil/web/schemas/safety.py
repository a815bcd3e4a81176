"""What goes over the wire about patrol safety: check-ins logged, alarms raised and
acknowledged."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from vigil.store.tables import Alarm, CheckIn


class CheckInIn(BaseModel):
    """A check-in to log: the patrol's button (its members) or a radio call (duty officer)."""

    model_config = ConfigDict(extra="forbid")
    patrol_id: int = Field(ge=1)
    kind: Literal["button", "radio"]
    at: AwareDatetime | None = Field(None, description="When; default now.")
    note: str = Field("", max_length=2000)


class CheckInOut(BaseModel):
    """A check-in as stored."""

    id: int
    patrol_id: int
    patrol: str
    kind: str = Field(description="position, button or radio")
    at: datetime
    by: str | None
    note: str

    @classmethod
    def of(cls, row: CheckIn, patrols: dict[int, str], users: dict[int, str]) -> CheckInOut:
        """From the row, with the patrol's code and the logger's username."""
        return cls(id=row.id, patrol_id=row.patrol_id, patrol=patrols.get(row.patrol_id, ""),
                   kind=row.kind, at=row.at, by=users.get(row.by_user_id or 0),
                   note=row.note)  # fmt: skip


class CheckInList(BaseModel):
    """Check-ins, most recent first."""

    items: list[CheckInOut]


class AlarmOut(BaseModel):
    """A safety alarm: open until acknowledged."""

    id: int
    patrol_id: int
    patrol: str
    kind: str = Field(description="missed_check_in, overdue or forbidden_zone")
    raised_at: datetime
    detail: dict[str, Any]
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    note: str

    @classmethod
    def of(cls, row: Alarm, patrols: dict[int, str], users: dict[int, str]) -> AlarmOut:
        """From the row, with the patrol's code and the acknowledger's username."""
        return cls(id=row.id, patrol_id=row.patrol_id, patrol=patrols.get(row.patrol_id, ""),
                   kind=row.kind, raised_at=row.raised_at, detail=row.detail,
                   acknowledged_at=row.acknowledged_at,
                   acknowledged_by=users.get(row.acknowledged_by or 0), note=row.note)  # fmt: skip


class AlarmList(BaseModel):
    """Alarms: the open ones oldest first, or all most recent first."""

    items: list[AlarmOut]


class AcknowledgeIn(BaseModel):
    """What the duty officer is doing about the alarm."""

    model_config = ConfigDict(extra="forbid")
    note: str = Field("", max_length=2000)
