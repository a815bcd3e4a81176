"""The audit chain's hashing: deterministic, sensitive to every field and to the link."""

from __future__ import annotations

import hashlib

from vigil.domain.audit_chain import GENESIS, EventContent, canonical, digest


def _event(**changes: object) -> EventContent:
    base = dict(
        seq=1,
        at="2020-11-10T00:00:00.000000Z",
        actor="monitor",
        action="observation.record",
        entity_type="observation",
        entity_id="1",
        before=None,
        after='{"count":3,"text":"Şuşa / Շուշի"}',
    )
    base.update(changes)
    return EventContent(**base)  # type: ignore[arg-type]


def test_canonical_bytes_sort_keys_and_keep_unicode() -> None:
    assert canonical({"b": 1, "a": [1.5, None]}) == b'{"a":[1.5,null],"b":1}'
    assert "Շուշի".encode() in canonical({"x": "Շուշի"})
    assert digest({"a": 1}) == hashlib.sha256(b'{"a":1}').hexdigest()


def test_hash_is_deterministic_and_chained() -> None:
    first = _event().hash_with(GENESIS)
    assert first == _event().hash_with(GENESIS)
    assert _event().hash_with("f" * 64) != first


def test_every_field_changes_the_hash() -> None:
    reference = _event().hash_with(GENESIS)
    for change in (
        {"seq": 2},
        {"at": "2020-11-10T00:00:00.000001Z"},
        {"actor": "analyst"},
        {"action": "x"},
        {"entity_type": "incident"},
        {"entity_id": "2"},
        {"before": "{}"},
        {"after": '{"count":4,"text":"Şuşa / Շուշի"}'},
        {"after": '{"text":"Şuşa / Շուշի","count":3}'},  # same meaning, other bytes
    ):
        assert _event(**change).hash_with(GENESIS) != reference, change


def test_hash_covers_the_stored_text_inside_the_event() -> None:
    """The stored JSON is hashed as it is: the hash equals that of the whole event's JSON."""
    event = _event()
    whole = canonical(
        {
            "seq": 1,
            "at": event.at,
            "actor": "monitor",
            "action": "observation.record",
            "entity_type": "observation",
            "entity_id": "1",
            "before": None,
            "after": {"count": 3, "text": "Şuşa / Շուշի"},
            "prev": GENESIS,
        }
    )
    assert event.hash_with(GENESIS) == hashlib.sha256(whole).hexdigest()
