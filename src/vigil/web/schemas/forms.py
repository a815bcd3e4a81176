"""What goes over the wire about forms: each version, whether it still accepts submissions,
where to download it, and its media."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from pydantic import BaseModel, Field

from vigil.services.forms import VersionView, is_open
from vigil.store.tables import FormMedia


class FormMediaOut(BaseModel):
    """A media file attached to a form version (listed in its OpenRosa manifest)."""

    name: str = Field(
        description="The name the form refers to it by (jr://images/<name>, jr://file-csv/<name>)."
    )
    sha256: str
    md5: str = Field(description="MD5 of the bytes, as the manifest publishes it.")
    media_type: str = Field(description="The type detected from the content (text/csv, ...).")
    size: int

    @classmethod
    def of(cls, m: FormMedia) -> FormMediaOut:
        """Build from the stored row."""
        return cls(name=m.name, sha256=m.sha256, md5=m.md5, media_type=m.media_type, size=m.size)


class FormVersionOut(BaseModel):
    """One version of a form phones download."""

    form_id: str
    version: str
    title: str
    source: str = Field(description="generated (from the taxonomy and posts) or uploaded")
    md5: str = Field(description="MD5 of the XForm's bytes, as the OpenRosa form list has it.")
    created_at: datetime
    replaced_at: datetime | None = Field(description="When a newer version replaced it.")
    closes_at: datetime | None = Field(description="From then on, submissions are refused.")
    open: bool = Field(description="True while it accepts submissions.")
    xform_url: str
    xlsform_url: str
    media: list[FormMediaOut]
    missing_media: list[str] = Field(description="Files the form refers to, not attached yet.")

    @classmethod
    def of(cls, view: VersionView, now: datetime) -> FormVersionOut:
        """Build from a version and its media."""
        f = view.form
        base = f"/api/v1/forms/{quote(f.form_id, safe='')}/versions/{quote(f.version, safe='')}"
        return cls(
            form_id=f.form_id,
            version=f.version,
            title=f.title,
            source=f.source,
            md5=f.md5,
            created_at=f.created_at,
            replaced_at=f.replaced_at,
            closes_at=f.closes_at,
            open=is_open(f, now),
            xform_url=f"{base}/xform",
            xlsform_url=f"{base}/xlsform",
            media=[FormMediaOut.of(m) for m in view.media],
            missing_media=view.missing_media,
        )


class FormVersionList(BaseModel):
    """Every version of every form, newest first per form."""

    items: list[FormVersionOut]
