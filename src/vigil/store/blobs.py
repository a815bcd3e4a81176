"""Evidence files on disk, content-addressed by SHA-256: a file is written once under its own
hash and never overwritten, so the bytes received are the bytes kept."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from vigil.config import Settings
from vigil.errors import VigilError

CHUNK = 1024 * 1024
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
INCOMING = ".incoming"  # temporary files, on the same filesystem as the store


def is_sha256(text: str) -> bool:
    """True for a SHA-256 as the store names files: 64 lowercase hexadecimal digits."""
    return SHA256_HEX.fullmatch(text) is not None


@dataclass(frozen=True)
class Blob:
    """A file kept in the store: its hash, size and where it lies."""

    sha256: str
    size: int
    path: Path


@dataclass(frozen=True)
class Staged:
    """A file received and hashed into a temporary file, not yet kept."""

    sha256: str
    size: int
    path: Path

    def open(self) -> BinaryIO:
        """Read the received bytes (to check them before keeping them)."""
        return self.path.open("rb")


class BlobStore:
    """Files under root/ab/cd/<sha256>; written through a temporary file, fsynced, and
    linked into place only when absent."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @classmethod
    def of(cls, settings: Settings) -> BlobStore:
        """The store of a Vigil site: DATA_DIR/evidence."""
        return cls(Path(settings.data_dir) / "evidence")

    def path(self, sha256: str) -> Path:
        """Where a file with this hash is kept (whether or not it is there)."""
        if not is_sha256(sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def has(self, sha256: str) -> bool:
        """True when a file of this name is kept."""
        return is_sha256(sha256) and self.path(sha256).is_file()

    def open(self, sha256: str) -> BinaryIO:
        """The kept bytes (FileNotFoundError when absent)."""
        return self.path(sha256).open("rb")

    def digest(self, sha256: str) -> str | None:
        """The SHA-256 of the bytes now kept under this name; None when the file is missing."""
        try:
            with self.open(sha256) as f:
                return _hash_stream(f)
        except FileNotFoundError:
            return None

    def put(self, stream: BinaryIO, max_bytes: int) -> Blob:
        """Keep a stream's bytes (at most max_bytes, else body_too_large); the same bytes
        twice are kept once."""
        with self.staging(stream, max_bytes) as staged:
            return self.keep(staged)

    def put_bytes(self, data: bytes) -> Blob:
        """Keep bytes held in memory (thumbnails)."""
        with self.staging(io.BytesIO(data), len(data)) as staged:
            return self.keep(staged)

    @contextlib.contextmanager
    def staging(self, stream: BinaryIO, max_bytes: int) -> Iterator[Staged]:
        """Receive a stream into a temporary file, hashing it; the temporary file is removed
        when the block ends, kept or not."""
        incoming = self.root / INCOMING
        incoming.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=incoming, prefix="in-")
        temp = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                sha, size = _copy(stream, out, max_bytes)
                out.flush()
                os.fsync(out.fileno())
            temp.chmod(0o444)  # kept files are read-only: a slip of the hand cannot edit them
            yield Staged(sha, size, temp)
        finally:
            temp.unlink(missing_ok=True)

    def keep(self, staged: Staged) -> Blob:
        """Put a staged file in place under its hash, unless a file of that name is there."""
        final = self.path(staged.sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(staged.path, final)
        except FileExistsError:
            pass  # kept before: same name, so the same bytes; never overwritten
        except OSError:
            _copy_exclusive(staged.path, final)  # a filesystem without hard links
        else:
            _fsync_dir(final.parent)
        return Blob(staged.sha256, staged.size, final)


def _copy(stream: BinaryIO, out: BinaryIO, max_bytes: int) -> tuple[str, int]:
    """Copy and hash, refusing more than max_bytes without reading much past the limit."""
    sha = hashlib.sha256()
    size = 0
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            return sha.hexdigest(), size
        size += len(chunk)
        if size > max_bytes:
            raise VigilError("body_too_large", f"the file exceeds {max_bytes} bytes")
        sha.update(chunk)
        out.write(chunk)


def _hash_stream(stream: BinaryIO) -> str:
    sha = hashlib.sha256()
    while chunk := stream.read(CHUNK):
        sha.update(chunk)
    return sha.hexdigest()


def _copy_exclusive(source: Path, final: Path) -> None:
    """Copy into a new file that must not exist yet (O_EXCL), then fsync it."""
    try:
        with source.open("rb") as src, final.open("xb") as dst:
            shutil.copyfileobj(src, dst, CHUNK)
            dst.flush()
            os.fsync(dst.fileno())
    except FileExistsError:
        return
    final.chmod(0o444)
    _fsync_dir(final.parent)


def _fsync_dir(folder: Path) -> None:
    """Make a new directory entry durable (where the platform allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
