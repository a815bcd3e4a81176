"""What goes over the wire: the Out models. A field reaches a caller only if it is named here."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import orjson
from pydantic import BaseModel, Field

from vigil.domain.observation import Bearing, Distance, Grade, Location, ObservationDraft, Observer
from vigil.store.tables import (
    FusionDecision,
    FusionRun,
    Incident,
    IncidentFusion,
    Party,
    Place,
    Post,
    Provision,
    Zone,
)


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


class Covariance(BaseModel):
    """The location's covariance in square metres, east and north."""

    ee: float
    en: float
    nn: float


class IncidentOut(BaseModel):
    """An incident, with the client ids of the observations it was fused from, and how
    fusion located it and why it grouped them (so outside tools can check the fusion)."""

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
    summary_observation_ids: list[int] = Field(
        description="Multi-count reports that cover this event as well as others."
    )
    summary_client_ids: list[str]
    location_kind: str | None = Field(
        description="point (with ellipse), wedge (one bearing only), degenerate, or none."
    )
    wedge: dict[str, Any] | None = Field(description="GeoJSON Polygon of a bearing-only area.")
    covariance: Covariance | None
    existence_p: float | None = Field(description="Chance the event is real and distinct.")
    alt_events: int | None = Field(description="Events under the runner-up grouping.")
    pinned: bool
    superseded_by: int | None
    explanation: dict[str, Any] | None

    @classmethod
    def of(
        cls,
        i: Incident,
        links: list[tuple[int, str]],
        parties: dict[int, str],
        fusion: IncidentFusion | None = None,
        summaries: list[tuple[int, str]] | None = None,
    ) -> IncidentOut:
        """Build from a row, its (observation id, client id) links and its fusion record."""
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
            summary_observation_ids=[o for o, _ in summaries or []],
            summary_client_ids=[c for _, c in summaries or []],
            **_fusion_fields(fusion),
        )


def _fusion_fields(f: IncidentFusion | None) -> dict[str, Any]:
    """The fusion part of an incident (all empty for an incident fusion never touched)."""
    if f is None:
        return {
            "location_kind": None, "wedge": None, "covariance": None, "existence_p": None,
            "alt_events": None, "pinned": False, "superseded_by": None, "explanation": None,
        }  # fmt: skip
    covariance = None
    if f.cov_ee is not None and f.cov_en is not None and f.cov_nn is not None:
        covariance = Covariance(ee=f.cov_ee, en=f.cov_en, nn=f.cov_nn)
    return {
        "location_kind": f.location_kind,
        "wedge": orjson.loads(f.wedge) if f.wedge else None,
        "covariance": covariance,
        "existence_p": f.existence_p,
        "alt_events": f.alt_events,
        "pinned": f.pinned,
        "superseded_by": f.superseded_by,
        "explanation": orjson.loads(f.explanation) if f.explanation else None,
    }


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


class FusionRunOut(BaseModel):
    """One fusion run: the period it fused and what it changed."""

    id: int
    trigger: str
    time_from: datetime
    time_to: datetime
    last_observation_id: int
    observations: int
    created: int
    changed: int
    superseded: int
    unchanged: int
    started_at: datetime
    finished_at: datetime

    @classmethod
    def of(cls, r: FusionRun) -> FusionRunOut:
        """Build from a row."""
        return cls.model_validate(r, from_attributes=True)


class DecisionOut(BaseModel):
    """An analyst's standing decision on fusion."""

    id: int
    kind: str
    incident_id: int | None
    groups: list[list[int]]
    lat: float | None
    lon: float | None
    error_m: float | None
    category: str | None
    reason: str
    active: bool
    created_by: int
    created_at: datetime

    @classmethod
    def of(cls, d: FusionDecision) -> DecisionOut:
        """Build from a row (groups stored as JSON)."""
        values = {k: getattr(d, k) for k in cls.model_fields if k != "groups"}
        return cls(**values, groups=orjson.loads(d.groups))
