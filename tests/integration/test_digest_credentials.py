"""HTTP Digest credentials (SQLite and PostgreSQL): setting a password writes the user's HA1
(audited only as its SHA-256), a password change replaces it, and `vigil verify` still passes,
and names a phone or Digest row changed behind Vigil's back."""

from __future__ import annotations

import hashlib

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select, update
from tests.conftest import OPERATOR, PASSWORD
from tests.integration.test_audit_chain import verify_in_process
from tests.integration.test_devices import API, _disable, _signed_in, counts, issue

from vigil.errors import VigilError
from vigil.services import accounts
from vigil.store.tables import AuditEvent, DeviceToken, DigestCredential, User, WebSession


def ha1(username: str, password: str) -> str:
    return hashlib.md5(f"{username}:Vigil:{password}".encode()).hexdigest()


def test_add_user_stores_the_digest_ha1(db, users) -> None:
    with db.reading() as session:
        found = accounts.digest_credential(session, "monitor")
        assert found is not None and found[0].username == "monitor"
        realms = set(session.scalars(select(DigestCredential.realm)))
        logged = [
            e.after or ""
            for e in session.scalars(select(AuditEvent).where(AuditEvent.action == "digest.set"))
        ]
    assert found[1] == ha1("monitor", PASSWORD)
    assert realms == {accounts.DIGEST_REALM} and accounts.DIGEST_REALM == "Vigil"
    assert len(logged) == len(users)  # one per account made with a password
    assert all(found[1] not in after for after in logged)  # only its SHA-256 is logged


def test_users_without_password_or_disabled_have_no_digest(db, users) -> None:
    with db.writing() as session:
        accounts.add_user(session, OPERATOR.actor, "sensor-1", "monitor", None)
    _disable(db, "analyst")
    with db.reading() as session:
        assert accounts.digest_credential(session, "sensor-1") is None
        assert accounts.digest_credential(session, "analyst") is None
        assert accounts.digest_credential(session, "nobody") is None


def test_password_change_replaces_the_digest_and_verify_passes(db, users, client) -> None:
    _signed_in(client, "monitor")
    with db.writing() as session:
        accounts.add_user(session, OPERATOR.actor, "sensor-1", "monitor", None)
    with db.writing() as session:
        accounts.set_password(session, OPERATOR.actor, "monitor", "a new long secret")
        accounts.set_password(session, OPERATOR.actor, "sensor-1", "sensor secret 1")
    with db.reading() as session:
        monitor = accounts.digest_credential(session, "monitor")
        sensor = accounts.digest_credential(session, "sensor-1")
        sessions = session.scalar(select(func.count()).select_from(WebSession))
        stored = session.scalar(select(User.password_hash).where(User.username == "monitor"))
    assert monitor is not None and monitor[1] == ha1("monitor", "a new long secret")
    assert sensor is not None and sensor[1] == ha1("sensor-1", "sensor secret 1")
    assert sessions == 0  # the old password's sessions ended
    assert PasswordHasher().verify(stored, "a new long secret")
    # (one sign-in only: two `login` notes for one name trip verify, a known problem)
    code, output = verify_in_process(db)
    assert code == 0 and "intact" in output, output


def test_bad_password_change_stores_nothing(db, users) -> None:
    before = counts(db)
    for name, secret in [("monitor", "short"), ("nobody", "long enough secret")]:
        with pytest.raises(VigilError), db.writing() as session:
            accounts.set_password(session, OPERATOR.actor, name, secret)
    assert counts(db) == before


def test_cli_password_sets_the_digest(db, users, cli) -> None:  # noqa: F811 (a fixture)
    code, out, err = cli(
        "user", "password", "monitor", "--password-stdin", stdin="from the cli 1\n"
    )
    assert code == 0, err
    with db.reading() as session:
        found = accounts.digest_credential(session, "monitor")
        stored = session.scalar(select(User.password_hash).where(User.username == "monitor"))
    assert found is not None and found[1] == ha1("monitor", "from the cli 1")
    assert stored and stored.startswith("$argon2")
    before = counts(db)
    code, _, err = cli("user", "password", "monitor", "--password-stdin", stdin="short\n")
    assert code == 1 and "at least 8" in err
    assert counts(db) == before
    assert verify_in_process(db)[0] == 0


def test_verify_names_phone_and_digest_rows_changed_behind_vigils_back(db, users, client) -> None:
    made = issue(client, users).json()
    assert client.post(f"{API}/{made['id']}/revoke", headers=users["admin"].headers).is_success
    assert verify_in_process(db)[0] == 0
    with db.writing() as session:  # un-revoke a lost phone and swap an HA1, not through Vigil
        session.execute(update(DeviceToken).values(revoked_at=None))
        session.execute(update(DigestCredential).values(ha1="0" * 32))
    code, output = verify_in_process(db)
    assert code == 1
    assert "device_token" in output and "revoked_at" in output
    assert "digest_credential" in output and "ha1" in output
