"""OpenRosa authentication at the edge: the phone's key in the path, or an Authorization header
with HTTP Basic or HTTP Digest (RFC 7616, MD5, qop="auth"), and the challenges a 401 offers.

Digest nonces are stateless: a timestamp and its HMAC under a key made when the process
starts. A nonce older than NONCE_TTL_S earns a challenge with stale=true (the client retries
without asking the user again); a restart invalidates every nonce the same way.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

from vigil.errors import VigilError
from vigil.services import openrosa_access
from vigil.services.accounts import DIGEST_REALM
from vigil.services.openrosa_access import PhoneCaller
from vigil.store.db import Database

NONCE_TTL_S = 300
_KEY = secrets.token_bytes(32)
_PARAM = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)')
_DIGEST_NEEDS = ("username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce")


@dataclass(frozen=True)
class AuthRequest:
    """What authentication looks at: method, request target, path key, Authorization."""

    method: str
    target: str  # path and query exactly as sent (what a Digest uri names)
    path: str
    key: str | None
    authorization: str | None


def challenges(stale: bool = False) -> list[str]:
    """The WWW-Authenticate values of a 401: Digest first (works over plain http), Basic."""
    digest = f'Digest realm="{DIGEST_REALM}", qop="auth", nonce="{make_nonce()}", algorithm=MD5'
    if stale:
        digest += ", stale=true"
    return [digest, f'Basic realm="{DIGEST_REALM}", charset="UTF-8"']


def _mac(stamp: str) -> str:
    return hmac.new(_KEY, stamp.encode(), hashlib.sha256).hexdigest()[:32]


def make_nonce(now: float | None = None) -> str:
    """A fresh nonce: the time and its HMAC, so any process-local check can trust it."""
    stamp = str(int(now if now is not None else time.time()))
    return f"{stamp}-{_mac(stamp)}"


def nonce_age(nonce: str, now: float | None = None) -> float | None:
    """Seconds since the nonce was made; None when this process did not make it."""
    stamp, _, mac = nonce.partition("-")
    if not (stamp.isascii() and stamp.isdigit()) or not _same(mac, _mac(stamp)):
        return None
    age = (now if now is not None else time.time()) - int(stamp)
    return age if age >= -60 else None


def _same(a: str, b: str) -> bool:
    """Constant-time comparison that also takes the non-ASCII a garbled header may hold."""
    return hmac.compare_digest(a.encode("utf-8", "replace"), b.encode("utf-8", "replace"))


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def digest_response(ha1: str, method: str, params: dict[str, str]) -> str:
    """The response a client that knows the password computes (RFC 7616, qop=auth)."""
    ha2 = _md5(f"{method}:{params['uri']}")
    parts = (ha1, params["nonce"], params["nc"], params["cnonce"], params["qop"], ha2)
    return _md5(":".join(parts))


def parse_params(text: str) -> dict[str, str]:
    """The auth-params of a Digest header (quoted strings unescaped); names in lower case."""
    params: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        match = _PARAM.match(text, pos)
        if match is None or match.end() == pos:
            raise VigilError("invalid_credentials", "the Digest Authorization header is garbled")
        quoted, plain = match.group(2), match.group(3)
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else plain
        params[match.group(1).lower()] = value
        pos = match.end()
    return params


def authenticate(db: Database, request: AuthRequest) -> PhoneCaller:
    """Who is calling, or VigilError: 401 (with challenges) for no or wrong credentials, 403
    for a revoked key or a role that may not report."""
    if request.key is not None:
        with db.reading() as session:
            return openrosa_access.by_device_key(session, request.key)
    if not request.authorization:
        raise VigilError(
            "not_authenticated",
            "sign in with your Vigil user name and password, or use the server address "
            "with your phone's key (scan the QR code from an administrator)",
        )
    scheme, _, rest = request.authorization.strip().partition(" ")
    if scheme.lower() == "basic":
        return _basic(db, rest.strip())
    if scheme.lower() == "digest":
        return _digest(db, request, parse_params(rest))
    raise VigilError("invalid_credentials", "use HTTP Digest or Basic authentication")


def _basic(db: Database, encoded: str) -> PhoneCaller:
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):  # binascii.Error is a ValueError
        raise VigilError("invalid_credentials", "the Basic credentials are garbled") from None
    username, colon, password = decoded.partition(":")
    if not colon or not username or len(username) > 64 or len(password) > 1024:
        raise VigilError("invalid_credentials", "send Basic credentials as user:password")
    with db.reading() as session:
        return openrosa_access.by_password(session, username, password)


def _digest(db: Database, request: AuthRequest, params: dict[str, str]) -> PhoneCaller:
    missing = [name for name in _DIGEST_NEEDS if not params.get(name)]
    if missing:
        raise VigilError("invalid_credentials", f"the Digest answer lacks {', '.join(missing)}")
    if params["realm"] != DIGEST_REALM or params["qop"] != "auth":
        raise VigilError("invalid_credentials", f'use realm "{DIGEST_REALM}" and qop "auth"')
    if params.get("algorithm", "MD5").upper() != "MD5":
        raise VigilError("invalid_credentials", "only the MD5 Digest algorithm is offered")
    if params["uri"] not in (request.target, request.path):
        raise VigilError("malformed_request", "the Digest uri is not the address requested")
    age = nonce_age(params["nonce"])
    if age is None:
        raise VigilError("invalid_credentials", "the Digest nonce was not issued by this server")

    def verify(ha1: str) -> bool:
        expected = digest_response(ha1, request.method, params)
        return _same(expected, params["response"].lower())

    with db.reading() as session:
        caller = openrosa_access.by_digest(session, params["username"], verify)
    if age > NONCE_TTL_S:
        raise VigilError("invalid_credentials", "the nonce expired", extra={"stale": True})
    return caller
