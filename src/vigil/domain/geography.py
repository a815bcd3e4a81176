"""The mission's geography as submitted: zones, gazetteer places and posts."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from vigil.domain.geometry import ZONE_KINDS, GeometryError, validate_geometry
from vigil.domain.observation import Latitude, Longitude, Strict

Code = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
Names = Field(min_length=1, description="Name by language code (en, az, hy, ru, ...)")
POST_KINDS = ("observation_post", "camera", "acoustic_sensor")


def _names_ok(names: dict[str, str]) -> dict[str, str]:
    cleaned = {k.strip(): v.strip() for k, v in names.items() if v and v.strip()}
    if not cleaned:
        raise ValueError("give at least one name")
    if any(not (1 < len(k) <= 12) for k in cleaned):
        raise ValueError("name keys are language codes such as en, az, hy")
    return cleaned


class ZoneDraft(Strict):
    """A zone to add: a code, a kind, names and a valid GeoJSON geometry."""

    code: str = Code
    kind: str
    names: dict[str, str] = Names
    description: str = Field("", max_length=5000)
    geometry: dict[str, Any]

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in ZONE_KINDS:
            raise ValueError(f"kind must be one of {', '.join(ZONE_KINDS)}")
        return value

    _names = field_validator("names")(_names_ok)

    def bbox(self) -> tuple[float, float, float, float]:
        """The validated geometry's bounding box."""
        return validate_geometry(self.geometry)

    @model_validator(mode="after")
    def _geometry(self) -> ZoneDraft:
        try:
            validate_geometry(self.geometry)
        except GeometryError as exc:
            raise PydanticCustomError(
                "invalid_geometry", "invalid geometry: {reason}", {"reason": str(exc)}
            ) from exc
        return self


class PlaceDraft(Strict):
    """A gazetteer entry: every spelling in `names` and `aliases`."""

    code: str = Code
    kind: Literal["settlement", "landmark"] = "settlement"
    names: dict[str, str] = Names
    aliases: list[str] = Field(default_factory=list, max_length=50)
    lat: Latitude
    lon: Longitude

    _names = field_validator("names")(_names_ok)

    def search_text(self) -> str:
        """Every spelling, lower-cased, for searching by any of them."""
        return "|".join(s.casefold() for s in [*self.names.values(), *self.aliases])


class PostDraft(Strict):
    """A fixed post, camera or acoustic sensor."""

    code: str = Code
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["observation_post", "camera", "acoustic_sensor"]
    lat: Latitude
    lon: Longitude
    elevation_m: float | None = Field(None, ge=-500, le=9000, allow_inf_nan=False)
    view_from_deg: float | None = Field(None, ge=0, lt=360, allow_inf_nan=False)
    view_to_deg: float | None = Field(None, ge=0, lt=360, allow_inf_nan=False)
    range_m: float | None = Field(None, gt=0, le=100_000, allow_inf_nan=False)
