"""Vigil's settings: one object, read from VIGIL_* environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an operator can configure; each field is documented in docs/configuration.md."""

    model_config = SettingsConfigDict(env_prefix="VIGIL_", extra="ignore")

    data_dir: Path = Field(
        Path("vigil-data"),
        description="Folder for the embedded database and evidence files.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the database; default SQLite at DATA_DIR/vigil.db. "
        "Production: postgresql+psycopg://user@host/dbname.",
    )
    max_body_bytes: int = Field(
        16 * 1024 * 1024,
        description="Largest request body the API accepts, in bytes; larger bodies get 413.",
    )
    max_batch: int = Field(10_000, description="Most observations one batch request may carry.")
    future_tolerance_s: int = Field(
        300,
        description="How far in the future (seconds) an observation time may be, for clock skew.",
    )
    session_hours: int = Field(12, description="How long a web login lasts, in hours.")
    fusion_auto: bool = Field(
        True, description="Fuse new observations into incidents in the background as they arrive."
    )
    fusion_interval_s: float = Field(
        2.0, gt=0, le=3600, description="Seconds between the background fusion's checks."
    )
    max_upload_bytes: int = Field(
        200 * 1024 * 1024,
        description="Largest file upload (OpenRosa submission, evidence file, import), in bytes.",
    )
    max_import_rows: int = Field(100_000, description="Most rows one imported file may hold.")
    max_image_pixels: int = Field(
        60_000_000,
        description="Largest image (width x height) decoded for EXIF and thumbnails; "
        "larger images are refused as decompression bombs.",
    )
    evidence_far_m: float = Field(
        5_000,
        description="A photo whose EXIF position lies further than this (metres) from the "
        "reported place is flagged far_from_report.",
    )
    evidence_time_gap_s: float = Field(
        3 * 3600,
        description="A photo whose EXIF time differs from the reported time by more than "
        "this (seconds) is flagged time_mismatch.",
    )
    form_grace_days: float = Field(
        7,
        ge=0,
        description="Days a replaced form version still accepts submissions, so phones that "
        "filled it offline can send.",
    )
    public_url: str | None = Field(
        None,
        description="The address phones reach Vigil at (e.g. https://vigil.example.org), used "
        "in the ODK Collect QR code; default: the address of the request.",
    )
    track_future_s: int = Field(
        300,
        ge=0,
        description="How far in the future (seconds) a tracked phone's position time may be.",
    )
    track_max_age_days: float = Field(
        30, gt=0, description="Oldest position (days before now) a phone or GPX import may send."
    )
    track_rate_per_s: float = Field(
        5, gt=0, description="Position reports per second one tracked phone may send, sustained."
    )
    track_burst: int = Field(
        20, ge=1, description="Position reports one tracked phone may send at once (a backlog)."
    )
    hotline_ack_s: float = Field(
        900,
        gt=0,
        description="A hotline message not acknowledged this many seconds after it "
        "was relayed is escalated to the duty officer.",
    )
    hotline_answer_s: float = Field(
        86_400,
        gt=0,
        description="A hotline request not answered this many seconds after it "
        "was relayed is escalated to the duty officer.",
    )
    hotline_auto: bool = Field(
        True, description="Check the hotline's response timers in the background."
    )
    hotline_interval_s: float = Field(
        60, gt=0, le=3600, description="Seconds between the background hotline timer checks."
    )
    secure_cookies: bool = Field(
        False, description="Mark session cookies Secure (set true when served over HTTPS)."
    )
    safety_auto: bool = Field(
        True, description="Run the patrol safety timer in the background, raising alarms."
    )
    safety_interval_s: float = Field(
        30.0, gt=0, le=3600, description="Seconds between the safety timer's checks."
    )
    safety_forbidden_kinds: str = Field(
        "no_access,buffer_zone",
        description="Zone kinds (comma-separated) a patrol must not stop in.",
    )
    alarm_webhook_url: str | None = Field(
        None, description="Where each new safety alarm is POSTed as JSON (SMS/e-mail gateway)."
    )

    @property
    def effective_database_url(self) -> str:
        """The database to use: VIGIL_DATABASE_URL, or SQLite inside the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'vigil.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
