"""What goes over the wire about tracked phones and positions: never an identifier, except
once when a device is registered."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from vigil.services.positions import Imported
from vigil.services.trackers import Device
from vigil.store.tables import Position


class TrackerIn(BaseModel):
    """A phone to register: the person it tracks, a label, and the phone's own identifier
    when the app's cannot be changed (else Vigil issues one)."""

    username: str = Field(max_length=64, description="The person carrying the phone.")
    label: str = Field("", max_length=200, description="Which phone, e.g. 'PL-2 Pixel'.")
    identifier: str | None = Field(
        None, max_length=128, description="The phone's own id (8-128 of A-Z a-z 0-9 . _ ~ -)."
    )


class PositionOut(BaseModel):
    """One stored position."""

    id: int
    device_id: int
    patrol_id: int | None
    recorded_at: datetime
    received_at: datetime
    lat: float
    lon: float
    speed_kn: float | None
    bearing_deg: float | None
    altitude_m: float | None
    accuracy_m: float | None
    battery_pct: float | None
    source: str

    @classmethod
    def of(cls, p: Position) -> PositionOut:
        """From the stored row."""
        return cls(
            id=p.id, device_id=p.device_id, patrol_id=p.patrol_id, recorded_at=p.recorded_at,
            received_at=p.received_at, lat=p.lat, lon=p.lon, speed_kn=p.speed_kn,
            bearing_deg=p.bearing_deg, altitude_m=p.altitude_m, accuracy_m=p.accuracy_m,
            battery_pct=p.battery_pct, source=p.source,
        )  # fmt: skip


class TrackerOut(BaseModel):
    """A tracked phone: whose it is, its label, when registered and revoked, its last
    position."""

    id: int
    username: str
    member: str
    label: str
    created_at: datetime
    revoked_at: datetime | None
    last_position: PositionOut | None

    @classmethod
    def of(cls, d: Device) -> TrackerOut:
        """From the service's view of a device."""
        return cls(
            id=d.id, username=d.username, member=d.display_name or d.username, label=d.label,
            created_at=d.created_at, revoked_at=d.revoked_at,
            last_position=PositionOut.of(d.last) if d.last else None,
        )  # fmt: skip


class RegisteredTrackerOut(TrackerOut):
    """A device just registered, with its identifier: in this answer only."""

    identifier: str = Field(description="What the app sends as id; shown only now.")
    server_url: str = Field(description="The app's server URL (Traccar Client, OsmAnd).")


class ImportedOut(BaseModel):
    """What a GPX import stored."""

    device_id: int
    stored: int
    already_there: int = Field(description="Points with a time the device had already sent.")
    without_time: int = Field(description="Track points without <time>: not imported.")

    @classmethod
    def of(cls, i: Imported) -> ImportedOut:
        """From the service's result."""
        return cls(device_id=i.device_id, stored=i.stored, already_there=i.already_there,
                   without_time=i.without_time)  # fmt: skip
