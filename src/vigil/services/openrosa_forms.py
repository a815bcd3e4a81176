"""What phones read over OpenRosa: the forms to download now, a version's XForm, its manifest
and media files; only reporting roles may (they are the ones who fill the forms in)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from vigil.domain.roles import REPORTERS
from vigil.errors import VigilError
from vigil.queries import forms as forms_q
from vigil.services import forms
from vigil.services.access import Principal, require
from vigil.store.tables import FormMedia


@dataclass(frozen=True)
class ListedForm:
    """A form version as the form list names it."""

    form_id: str
    title: str
    version: str
    md5: str
    has_media: bool


def list_forms(
    session: Session,
    who: Principal | None,
    rules: forms.FormRules,
    form_id: str | None = None,
    now: datetime | None = None,
) -> list[ListedForm]:
    """The versions phones should have now (one per form), optionally only one form."""
    who = require(who, REPORTERS)
    current = forms.current_forms(session, who, now, rules)
    return [
        ListedForm(f.form_id, f.title, f.version, f.md5, bool(forms.form_media(session, f)))
        for f in current
        if form_id is None or f.form_id == form_id
    ]


def form_xml(session: Session, who: Principal | None, form_id: str, version: str) -> str:
    """A version's XForm, exactly the text whose MD5 the form list publishes."""
    require(who, REPORTERS)
    return forms.find_version(session, form_id, version).xform


def manifest(
    session: Session, who: Principal | None, form_id: str, version: str
) -> Sequence[FormMedia]:
    """The media files a version's manifest lists."""
    require(who, REPORTERS)
    return forms.form_media(session, forms.find_version(session, form_id, version))


def media_file(
    session: Session, who: Principal | None, form_id: str, version: str, name: str
) -> FormMedia:
    """One media file of a version (its bytes are in the file store under its sha256)."""
    require(who, REPORTERS)
    form = forms.find_version(session, form_id, version)
    media = forms_q.find_media(session, form.id, name)
    if media is None:
        raise VigilError("not_found", f"form {form_id!r} version {version!r} has no file {name!r}")
    return media
