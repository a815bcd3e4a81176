"""The forms phones download: the observation form generated from the taxonomy and posts
(a new version whenever they change), a mission's own uploaded XLSForms, and which versions
still accept submissions."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from vigil.config import Settings
from vigil.domain.roles import ADMINS, INTERNAL
from vigil.errors import VigilError
from vigil.formats import xform_instance, xlsform
from vigil.formats.xlsform_upload import UploadedForm, read_upload
from vigil.queries import forms as forms_q
from vigil.queries.accounts import user_by_name
from vigil.services.access import Principal, require, system_principal
from vigil.services.audit import Auditor
from vigil.store.snapshots import row_values
from vigil.store.tables import FormMedia, FormVersion

FORM_ID = xlsform.FORM_ID


@dataclass(frozen=True)
class FormRules:
    """How long a replaced version still accepts submissions (phones that were offline)."""

    grace_days: float = 7.0

    @classmethod
    def of(cls, settings: Settings) -> FormRules:
        """The rules the settings give."""
        return cls(settings.form_grace_days)


def is_open(form: FormVersion, now: datetime) -> bool:
    """True while the version accepts submissions."""
    return form.closes_at is None or form.closes_at > now


def md5_hex(text: str) -> str:
    """The MD5 of an XForm's UTF-8 bytes, as OpenRosa form lists publish it."""
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def _user(who: Principal) -> int | None:
    """The account behind a principal (None for the server's operator, who has none)."""
    return who.user_id if who.user_id > 0 else None


def current_forms(
    session: Session,
    who: Principal | None,
    now: datetime | None = None,
    rules: FormRules | None = None,
) -> list[FormVersion]:
    """The versions phones should download now (one per form), generating the observation
    form first when the taxonomy or the posts changed since its current version."""
    who = require(who, INTERNAL)
    now = now or datetime.now(UTC)
    forms_q.lock_forms(session)
    _ensure_generated(session, who, now, rules or FormRules())
    return [f for f in forms_q.unreplaced(session) if is_open(f, now)]


def _inputs(session: Session) -> xlsform.FormInputs:
    return xlsform.FormInputs(
        title=(forms_q.mission_name(session) or xlsform.DEFAULT_TITLE)[:200],
        categories=tuple(forms_q.categories(session)),
        posts=tuple(forms_q.active_posts(session)),
    )


def _ensure_generated(session: Session, who: Principal, now: datetime, rules: FormRules) -> None:
    """A new generated version unless the current one is open and still fits (or uploaded)."""
    inputs = _inputs(session)
    basis = xlsform.basis_of(inputs)
    current = forms_q.latest(session, FORM_ID)
    fits = current is not None and (current.source != "generated" or current.basis == basis)
    if current is not None and fits and is_open(current, now):
        return
    if not inputs.categories:
        raise VigilError("state_conflict", "the taxonomy is empty: run `vigil init` first")
    version = xlsform.next_version(now, forms_q.version_names(session, FORM_ID))
    workbook = xlsform.observation_workbook(inputs, version)
    try:
        xform = xlsform.xform_of(workbook)
    except Exception as exc:  # pyxform refuses, e.g., a category code it cannot use
        raise VigilError("invalid_form", f"the observation form cannot be built: {exc}") from None
    row = FormVersion(
        form_id=FORM_ID,
        version=version,
        title=inputs.title,
        source="generated",
        basis=basis,
        xform=xform,
        md5=md5_hex(xform),
        xlsform=xlsform.workbook_bytes(workbook),
        created_at=now,
        created_by=_user(who),
    )
    _store(session, Auditor(session, who.actor, now), row, current, rules, "form.generate")


def _store(
    session: Session,
    audit: Auditor,
    row: FormVersion,
    old: FormVersion | None,
    rules: FormRules,
    action: str,
) -> None:
    """Insert a version; the one it replaces closes after the grace period (or earlier)."""
    now = row.created_at
    if old is not None:
        before = row_values(old)
        closes = now + timedelta(days=rules.grace_days)
        old.replaced_at = now
        old.closes_at = min(old.closes_at, closes) if old.closes_at else closes
        session.flush()
        audit.changed("form.replace", old, before)
    session.add(row)
    session.flush()
    audit.created(action, row)


def upload_form(
    session: Session,
    who: Principal | None,
    data: bytes,
    now: datetime | None = None,
    rules: FormRules | None = None,
) -> tuple[FormVersion, bool]:
    """Store a mission's own XLSForm as the current version of its form id; (row, created).

    The same id and version again: identical content returns the stored one, other content
    is refused (409), since phones that have it must not get a different form."""
    who = require(who, ADMINS)
    now = now or datetime.now(UTC)
    forms_q.lock_forms(session)

    def new_version(form_id: str) -> str:
        return xlsform.next_version(now, forms_q.version_names(session, form_id))

    upload = read_upload(data, new_version)
    info = upload.info
    version = info.version or new_version(info.form_id)
    stored = forms_q.find(session, info.form_id, version)
    if stored is not None:
        if stored.md5 == md5_hex(upload.xform):
            return stored, False
        raise VigilError(
            "already_exists",
            f"form {info.form_id!r} version {version!r} exists with other content: "
            "change the version in the settings sheet",
        )
    row = _uploaded_row(upload, version, who, now)
    old = forms_q.latest(session, info.form_id)
    _store(session, Auditor(session, who.actor, now), row, old, rules or FormRules(), "form.upload")
    return row, True


def _uploaded_row(upload: UploadedForm, version: str, who: Principal, now: datetime) -> FormVersion:
    return FormVersion(
        form_id=upload.info.form_id,
        version=version,
        title=upload.info.title or upload.info.form_id,
        source="uploaded",
        basis="",
        xform=upload.xform,
        md5=md5_hex(upload.xform),
        xlsform=upload.xlsform,
        created_at=now,
        created_by=_user(who),
    )


def close_version(
    session: Session,
    who: Principal | None,
    form_id: str,
    version: str,
    now: datetime | None = None,
) -> FormVersion:
    """Stop a version accepting submissions now (closing a closed one changes nothing)."""
    who = require(who, ADMINS)
    now = now or datetime.now(UTC)
    row = find_version(session, form_id, version)
    if not is_open(row, now):
        return row
    before = row_values(row)
    row.closes_at = now
    session.flush()
    Auditor(session, who.actor, now).changed("form.close", row, before)
    return row


def find_version(session: Session, form_id: str, version: str) -> FormVersion:
    """One version of one form; not_found otherwise."""
    row = forms_q.find(session, form_id, version)
    if row is None:
        raise VigilError("not_found", f"no form {form_id!r} version {version!r}")
    return row


def get_version(session: Session, who: Principal | None, form_id: str, version: str) -> FormVersion:
    """One version, for internal roles (to download its XForm or XLSForm)."""
    require(who, INTERNAL)
    return find_version(session, form_id, version)


def accepting_version(
    session: Session, form_id: str, version: str | None, now: datetime
) -> FormVersion:
    """The version a submission is for, if it still accepts submissions.

    not_found for an unknown form or version (None: the form's newest version);
    form_closed once the version is past its closing time."""
    row = forms_q.find(session, form_id, version) if version else forms_q.latest(session, form_id)
    if row is None:
        raise VigilError("not_found", f"no form {form_id!r} version {version!r} on this server")
    if not is_open(row, now):
        raise VigilError(
            "form_closed",
            f"form {form_id!r} version {row.version!r} closed at {row.closes_at:%Y-%m-%d %H:%M} "
            "UTC: get the current form and fill it again",
        )
    return row


def binary_fields(form: FormVersion) -> set[str]:
    """The fields of a version whose values name attached files."""
    return xform_instance.binary_fields(form.xform)


@dataclass(frozen=True)
class VersionView:
    """A version with its attached media, and the media its XForm names but lacks."""

    form: FormVersion
    media: Sequence[FormMedia]
    missing_media: list[str]


def view_of(session: Session, form: FormVersion) -> VersionView:
    """A version with its media."""
    media = forms_q.media_of(session, form.id)
    missing = xform_instance.media_references(form.xform) - {m.name for m in media}
    return VersionView(form, media, sorted(missing))


def list_versions(
    session: Session,
    who: Principal | None,
    now: datetime | None = None,
    rules: FormRules | None = None,
) -> list[VersionView]:
    """Every version of every form, newest first per form (the current one made first)."""
    current_forms(session, who, now, rules)
    return [view_of(session, f) for f in forms_q.all_versions(session)]


def current_version(
    session: Session,
    who: Principal | None,
    form_id: str = FORM_ID,
    now: datetime | None = None,
    rules: FormRules | None = None,
) -> FormVersion:
    """The version of a form phones get now (the observation form by default)."""
    found = [f for f in current_forms(session, who, now, rules) if f.form_id == form_id]
    if not found:
        raise VigilError("not_found", f"form {form_id!r} has no open version")
    return found[0]


def form_media(session: Session, form: FormVersion) -> Sequence[FormMedia]:
    """The media files a version's manifest lists."""
    return forms_q.media_of(session, form.id)


def admin_named(session: Session, username: str) -> Principal:
    """The account a command acts as (`--as USER`): it must exist, be enabled and be an admin."""
    user = user_by_name(session, username)
    if user is None:
        raise VigilError("not_found", f"no user {username!r}")
    if user.disabled:
        raise VigilError("forbidden", f"user {username!r} is disabled")
    who = system_principal(user)
    return require(who, ADMINS)
