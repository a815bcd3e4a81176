"""What goes over the wire: the Out models. A field reaches a caller only if it is named here."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from vigil.domain.observation import Bearing, Distance, Grade, Location, ObservationDraft, Observer
from vigil.store.tables import Incident, Party, Place, Post, Provision, Zone


class Point(BaseModel):
    """A WGS84 position."""

    lat: float
    lon: float


class ObservationOut(BaseModel):
    """An observation as stored, with where Vigil estimates the observed thing was."""

    id: int
    client_id: str
    observed_at: datetime
    observed_to: datetime | None
    time_uncertainty_s: float
    observer: Observer
    category: str
    weapon_class: str | None
    count: int
    location: Location | None
    bearing: Bearing | None
    distance: Distance | None
    estimated: Point | None = Field(description="Location, or the point at bearing + distance.")
    text: str
    grade: Grade
    status: str
    channel: str
    submitted_by: str
    submitted_at: datetime

    @classmethod
    def of(cls, v: dict[str, Any], posts: dict[int, str], users: dict[int, str]) -> ObservationOut:
        """Build from stored column values."""
        return cls.model_construct(
            id=v["id"],
            client_id=v["client_id"],
            observed_at=v["observed_at"],
            observed_to=v["observed_to"],
            time_uncertainty_s=v["time_uncertainty_s"],
            observer=Observer.model_construct(
                kind=v["observer_kind"],
                post=posts.get(v["post_id"]) if v["post_id"] else None,
                name=v["observer_name"],
                lat=v["observer_lat"],
                lon=v["observer_lon"],
                error_m=v["observer_error_m"],
            ),
            category=v["category"],
            weapon_class=v["weapon_class"],
            count=v["count"],
            location=None
            if v["lat"] is None
            else Location.model_construct(
                lat=v["lat"], lon=v["lon"], error_m=v["location_error_m"]
            ),
            bearing=None
            if v["bearing_deg"] is None
            else Bearing.model_construct(deg=v["bearing_deg"], error_deg=v["bearing_error_deg"]),
            distance=None
            if v["distance_m"] is None
            else Distance.model_construct(m=v["distance_m"], error_m=v["distance_error_m"]),
            estimated=None if v["est_lat"] is None else Point(lat=v["est_lat"], lon=v["est_lon"]),
            text=v["text"],
            grade=Grade.model_construct(reliability=v["reliability"], credibility=v["credibility"]),
            status=v["status"],
            channel=v["channel"],
            submitted_by=users.get(v["submitted_by"], str(v["submitted_by"])),
            submitted_at=v["submitted_at"],
        )


class ObservationBatch(BaseModel):
    """Up to 10,000 observations stored in one transaction: all or none."""

    model_config = {"extra": "forbid"}
    observations: list[ObservationDraft]


class BatchItemOut(BaseModel):
    """One item of a batch answer: its client id, its stored id, and whether this request
    created it (false: stored before with identical content). GET it for the full record."""

    client_id: str
    id: int
    created: bool


class BatchOut(BaseModel):
    """The answer to a batch: counts, and each item in the order sent."""

    created: int
    existing: int
    items: list[BatchItemOut]


class ObservationPage(BaseModel):
    """A page of observations; pass next_cursor back as `cursor` for the next page."""

    items: list[ObservationOut]
    next_cursor: str | None


class Ellipse(BaseModel):
    """A 95 % uncertainty ellipse: semi-axes in metres, major axis azimuth in degrees."""

    major_m: float
    minor_m: float
    angle_deg: float


class IncidentOut(BaseModel):
    """An incident, with the client ids of the observations it was fused from."""

    id: int
    category: str
    status: str
    started_at: datetime
    ended_at: datetime
    location: Point | None
    ellipse: Ellipse | None
    count: int
    attribution: dict[str, Any] | None
    killed: int
    injured: int
    damage: str
    summary: str
    observation_ids: list[int]
    client_ids: list[str]

    @classmethod
    def of(cls, i: Incident, links: list[tuple[int, str]], parties: dict[int, str]) -> IncidentOut:
        """Build from a row and its (observation id, client id) links."""
        attribution = None
        if i.attribution_party_id is not None:
            attribution = {
                "party": parties.get(i.attribution_party_id),
                "confidence": i.attribution_confidence,
                "evidence": i.attribution_evidence,
            }
        return cls(
            id=i.id,
            category=i.category,
            status=i.status,
            started_at=i.started_at,
            ended_at=i.ended_at,
            location=None if i.lat is None else Point(lat=i.lat, lon=i.lon),  # type: ignore[arg-type]
            ellipse=None
            if i.ellipse_major_m is None
            else Ellipse(
                major_m=i.ellipse_major_m,
                minor_m=i.ellipse_minor_m or 0.0,
                angle_deg=i.ellipse_angle_deg or 0.0,
            ),
            count=i.count,
            attribution=attribution,
            killed=i.killed,
            injured=i.injured,
            damage=i.damage,
            summary=i.summary,
            observation_ids=[o for o, _ in links],
            client_ids=[c for _, c in links],
        )


class IncidentPage(BaseModel):
    """A page of incidents."""

    items: list[IncidentOut]
    next_cursor: str | None


class ZoneOut(BaseModel):
    """A zone with its GeoJSON geometry and bounding box."""

    id: int
    code: str
    kind: str
    names: dict[str, str]
    description: str
    geometry: dict[str, Any]
    bbox: tuple[float, float, float, float]

    @classmethod
    def of(cls, z: Zone) -> ZoneOut:
        """Build from a row."""
        return cls(
            id=z.id,
            code=z.code,
            kind=z.kind,
            names=z.names,
            description=z.description,
            geometry=z.geometry,
            bbox=(z.min_lon, z.min_lat, z.max_lon, z.max_lat),
        )


class PlaceOut(BaseModel):
    """A gazetteer entry with every spelling."""

    id: int
    code: str
    kind: str
    names: dict[str, str]
    aliases: list[str]
    lat: float
    lon: float

    @classmethod
    def of(cls, p: Place) -> PlaceOut:
        """Build from a row."""
        return cls(
            id=p.id,
            code=p.code,
            kind=p.kind,
            names=p.names,
            aliases=p.aliases,
            lat=p.lat,
            lon=p.lon,
        )


class PostOut(BaseModel):
    """A fixed observation post, camera or sensor."""

    id: int
    code: str
    name: str
    kind: str
    lat: float
    lon: float
    elevation_m: float | None
    view_from_deg: float | None
    view_to_deg: float | None
    range_m: float | None
    active: bool

    @classmethod
    def of(cls, p: Post) -> PostOut:
        """Build from a row."""
        return cls.model_validate(p, from_attributes=True)


class PartyOut(BaseModel):
    """A party, with its name in every language."""

    code: str
    names: dict[str, str]
    role: str

    @classmethod
    def of(cls, p: Party) -> PartyOut:
        """Build from a row."""
        return cls(code=p.code, names=p.names, role=p.role)


class ProvisionOut(BaseModel):
    """One provision of the agreement."""

    number: str
    title: str
    text: str
    binding: list[str]
    in_force_from: datetime | None
    deadline: datetime | None
    zones: list[str]

    @classmethod
    def of(cls, p: Provision) -> ProvisionOut:
        """Build from a row."""
        return cls.model_validate(p, from_attributes=True)


class MissionOut(BaseModel):
    """The mission and its mandate."""

    name: str
    mandate_start: date
    mandate_end: date | None
    renewal_terms: str
    timezone: str


class CategoryOut(BaseModel):
    """A taxonomy entry."""

    code: str
    label: str
    parent_code: str | None


class MeOut(BaseModel):
    """Who the caller is."""

    username: str
    role: str
    party: str | None
    csrf_token: str | None


class AuditEventOut(BaseModel):
    """One audit event, as stored (before/after are canonical JSON text)."""

    seq: int
    at: str
    actor: str
    action: str
    entity_type: str
    entity_id: str
    before: str | None
    after: str | None
    prev_hash: str
    hash: str


class VerifyOut(BaseModel):
    """The result of checking the audit chain and every audited row."""

    ok: bool
    events: int
    rows: int
    problems: list[str]
