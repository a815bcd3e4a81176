"""The audit chain's maths: canonical bytes and the hash that links each event to the last."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

GENESIS = "0" * 64


def canonical(value: Any) -> bytes:
    """Deterministic JSON bytes: sorted keys, no spaces, UTF-8, RFC 3339 times."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def digest(value: Any) -> str:
    """SHA-256 (hex) of a value's canonical bytes."""
    return hashlib.sha256(canonical(value)).hexdigest()


def _fragment(text: str | None) -> orjson.Fragment | None:
    return None if text is None else orjson.Fragment(text.encode())


@dataclass(frozen=True)
class EventContent:
    """What an audit event says; `before` and `after` are canonical JSON text, as stored.

    The hash covers every field and the previous hash, byte for byte as stored, so any
    change to a stored event, even one that keeps the JSON's meaning, breaks the chain."""

    seq: int
    at: str
    actor: str
    action: str
    entity_type: str
    entity_id: str
    before: str | None
    after: str | None

    def hash_with(self, prev_hash: str) -> str:
        """The event's hash, chained to the previous event's hash."""
        body = {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "entity_type": self.entity_type,
            "entity_id": self.entity_id,
            "before": _fragment(self.before),
            "after": _fragment(self.after),
            "prev": prev_hash,
        }
        return hashlib.sha256(canonical(body)).hexdigest()
