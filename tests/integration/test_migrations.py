"""The schema comes from Alembic migrations, and they match the models, on both databases."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from vigil.store.migrate import alembic_config, is_current, upgrade
from vigil.store.tables import Base


def test_migrated_schema_matches_the_models(db) -> None:
    assert is_current(db.engine)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], diff


def test_downgrade_and_upgrade_again(db) -> None:
    cfg = alembic_config(db.engine.url.render_as_string(hide_password=False))
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert "observation" not in inspect(db.engine).get_table_names()
    upgrade(db.engine)
    upgrade(db.engine)  # idempotent
    assert is_current(db.engine)
    assert {"observation", "audit_event", "zone"} <= set(inspect(db.engine).get_table_names())
