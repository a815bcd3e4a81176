"""SQL of form versions and their media, and of what the generated form is made from."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from vigil.store.tables import Category, FormMedia, FormVersion, Mission, Post

# Any constant: PostgreSQL writers that may generate a form version take this lock first.
_FORMS_LOCK = 7_301_202_044


def lock_forms(session: Session) -> None:
    """Serialise form generation. SQLite writers already hold the write lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _FORMS_LOCK})


def mission_name(session: Session) -> str | None:
    """The mission's name, when one is configured."""
    return session.scalar(select(Mission.name).where(Mission.id == 1))


def categories(session: Session) -> list[tuple[str, str]]:
    """(code, label) of the whole taxonomy, by code (a parent before its children)."""
    rows = session.execute(select(Category.code, Category.label).order_by(Category.code))
    return [(r.code, r.label) for r in rows]


def active_posts(session: Session) -> list[tuple[str, str]]:
    """(code, name) of the active posts, by code."""
    query = select(Post.code, Post.name).where(Post.active.is_(True)).order_by(Post.code)
    return [(r.code, r.name) for r in session.execute(query)]


def all_versions(session: Session) -> Sequence[FormVersion]:
    """Every version of every form: by form id, newest first."""
    query = select(FormVersion).order_by(FormVersion.form_id, FormVersion.id.desc())
    return session.scalars(query).all()


def version_names(session: Session, form_id: str) -> list[str]:
    """The version strings a form has used."""
    return list(session.scalars(select(FormVersion.version).where(FormVersion.form_id == form_id)))


def find(session: Session, form_id: str, version: str) -> FormVersion | None:
    """One version of one form."""
    query = select(FormVersion).where(
        FormVersion.form_id == form_id, FormVersion.version == version
    )
    return session.scalars(query).first()


def latest(session: Session, form_id: str) -> FormVersion | None:
    """The version of a form that no other replaced (the newest one)."""
    query = (
        select(FormVersion)
        .where(FormVersion.form_id == form_id, FormVersion.replaced_at.is_(None))
        .order_by(FormVersion.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def unreplaced(session: Session) -> Sequence[FormVersion]:
    """The newest version of each form, by form id."""
    query = (
        select(FormVersion)
        .where(FormVersion.replaced_at.is_(None))
        .order_by(FormVersion.form_id, FormVersion.id.desc())
    )
    return session.scalars(query).all()


def media_of(session: Session, form_version_id: int) -> Sequence[FormMedia]:
    """The media files of a form version, by name."""
    query = (
        select(FormMedia)
        .where(FormMedia.form_version_id == form_version_id)
        .order_by(FormMedia.name)
    )
    return session.scalars(query).all()


def find_media(session: Session, form_version_id: int, name: str) -> FormMedia | None:
    """One media file of a form version, by its name."""
    return session.get(FormMedia, (form_version_id, name))


def stored_media(session: Session) -> list[tuple[int, str, str]]:
    """(form version id, name, sha256) of every form media file, for verify."""
    rows = session.execute(
        select(FormMedia.form_version_id, FormMedia.name, FormMedia.sha256).order_by(
            FormMedia.form_version_id, FormMedia.name
        )
    )
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]
