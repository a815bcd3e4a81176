"""What an observation is before it is stored, and the rules it must satisfy.

The same draft type validates the API, the web form, imports and the demo, so every
channel accepts and refuses exactly the same things.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from vigil.domain.admiralty import Credibility, Reliability
from vigil.domain.audit_chain import digest
from vigil.domain.geodesy import destination

Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Metres = Annotated[float, Field(ge=0, le=1_000_000, allow_inf_nan=False)]
ObserverKind = Literal["post", "patrol", "monitor", "third_party"]


class Strict(BaseModel):
    """Base for input: unknown fields are refused, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Observer(Strict):
    """Who saw or heard it, and from where."""

    kind: ObserverKind
    post: str | None = Field(None, max_length=64, description="Post code, for kind 'post'.")
    name: str | None = Field(None, max_length=200, description="Patrol, monitor or source name.")
    lat: Latitude | None = None
    lon: Longitude | None = None
    error_m: Metres | None = Field(None, description="Uncertainty of the observer's position.")

    @model_validator(mode="after")
    def _position_or_post(self) -> Observer:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon of the observer, or neither")
        if self.kind == "post" and not self.post:
            raise ValueError("an observer of kind 'post' needs the post code")
        if self.kind != "post" and self.lat is None:
            raise ValueError("give the observer's position (lat, lon)")
        return self


class Location(Strict):
    """Where the thing observed was, with the error of that estimate."""

    lat: Latitude
    lon: Longitude
    error_m: Metres | None = None


class Bearing(Strict):
    """Direction from the observer, degrees clockwise from true north."""

    deg: float = Field(ge=0, lt=360, allow_inf_nan=False)
    error_deg: float | None = Field(None, ge=0, le=180, allow_inf_nan=False)


class Distance(Strict):
    """Estimated distance from the observer along the bearing."""

    m: float = Field(gt=0, le=200_000, allow_inf_nan=False)
    error_m: Metres | None = None


class Grade(Strict):
    """NATO Admiralty grade: source reliability A-F, information credibility 1-6."""

    reliability: Reliability = "F"
    credibility: Credibility = "6"


class ObservationDraft(Strict):
    """One thing one observer saw or heard, once, as submitted."""

    client_id: str = Field(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")
    observed_at: AwareDatetime
    observed_to: AwareDatetime | None = Field(None, description="End, for a period of activity.")
    time_uncertainty_s: float = Field(0, ge=0, le=7 * 86400, allow_inf_nan=False)
    observer: Observer
    category: str = Field(min_length=1, max_length=100)
    weapon_class: str | None = Field(None, max_length=50)
    count: int = Field(1, ge=1, le=100_000)
    location: Location | None = None
    bearing: Bearing | None = None
    distance: Distance | None = None
    text: str = Field("", max_length=10_000)
    grade: Grade = Grade()

    @field_validator("observed_to")
    @classmethod
    def _period(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        start = info.data.get("observed_at")
        if value is not None and start is not None and value < start:
            raise ValueError("observed_to is before observed_at")
        return value

    @field_validator("distance")
    @classmethod
    def _along_bearing(cls, value: Distance | None, info: ValidationInfo) -> Distance | None:
        if value is not None and "bearing" in info.data and info.data["bearing"] is None:
            raise ValueError("a distance needs a bearing")
        return value

    @model_validator(mode="after")
    def _where(self) -> ObservationDraft:
        if self.location is None and self.bearing is None:
            raise ValueError("give a location, or a bearing (and distance) from the observer")
        return self

    def fingerprint(self) -> str:
        """SHA-256 of the submitted content: equal drafts have equal fingerprints."""
        return digest(self.model_dump(mode="json"))


def too_far_in_future(when: datetime, now: datetime, tolerance_s: int) -> bool:
    """True when a time lies further ahead than clock skew explains."""
    return when > now + timedelta(seconds=tolerance_s)


def estimated_point(
    draft: ObservationDraft, observer_lat: float | None, observer_lon: float | None
) -> tuple[float, float] | None:
    """Where the observed thing probably was, or None for a bearing without distance."""
    if draft.location is not None:
        return draft.location.lat, draft.location.lon
    if draft.bearing is None or draft.distance is None or observer_lat is None:
        return None
    assert observer_lon is not None
    return destination(observer_lat, observer_lon, draft.bearing.deg, draft.distance.m)
