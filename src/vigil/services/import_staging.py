"""Uploaded import files kept between the page's dry run and its confirmation.

The page posts back only the SHA-256 of what was uploaded; the bytes stay on the server
(data_dir/uploads/<user id>/<sha256>), are checked against their name when read back, and
are removed after the import or a day later."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
from pathlib import Path

from vigil.errors import VigilError
from vigil.services.access import Principal

KEEP_S = 24 * 3600
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_GONE = "the uploaded file is no longer here (files are kept for a day): upload it again"


def _folder(root: Path, who: Principal) -> Path:
    return root / str(who.user_id)


def stage(root: Path, who: Principal, data: bytes) -> str:
    """Keep an upload for its owner; returns its SHA-256, the only name the page sends back."""
    folder = _folder(root, who)
    folder.mkdir(parents=True, exist_ok=True)
    sweep(root)
    sha = hashlib.sha256(data).hexdigest()
    path = folder / sha
    if path.exists():
        os.utime(path)
        return sha
    part = folder / f".{sha}.{secrets.token_hex(6)}.part"
    part.write_bytes(data)
    os.replace(part, path)
    return sha


def staged(root: Path, who: Principal, sha: str) -> bytes:
    """The bytes uploaded under this SHA-256 by this user, verified; not_found otherwise."""
    if not _SHA256.match(sha):
        raise VigilError("not_found", _GONE)
    path = _folder(root, who) / sha
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise VigilError("not_found", _GONE) from None
    if hashlib.sha256(data).hexdigest() != sha:
        path.unlink(missing_ok=True)
        raise VigilError("not_found", _GONE)
    return data


def discard(root: Path, who: Principal, sha: str) -> None:
    """Forget an upload once it was imported."""
    if _SHA256.match(sha):
        (_folder(root, who) / sha).unlink(missing_ok=True)


def sweep(root: Path, now: float | None = None) -> int:
    """Remove uploads older than a day; returns how many."""
    limit = (now or time.time()) - KEEP_S
    removed = 0
    for path in root.glob("*/*"):
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed
