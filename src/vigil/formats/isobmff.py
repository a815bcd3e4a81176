"""Just enough of the ISO base media file format (MP4, 3GP, M4A, QuickTime, HEIF) to tell
what a file holds: its brands, and whether its tracks are pictures or sound. Only box
headers are read, never the media."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import BinaryIO

MAX_BOXES = 10_000  # a hostile file cannot make the walk long
_PATH = (b"moov", b"trak", b"mdia", b"hdlr")


def brands(head: bytes) -> tuple[str, list[str]]:
    """The major brand and compatible brands of the leading `ftyp` box."""
    size = struct.unpack(">I", head[:4])[0] if len(head) >= 4 else 0
    body = head[8 : min(max(size, 16), len(head))]
    major = body[:4].decode("latin-1")
    compatible = [body[i : i + 4].decode("latin-1") for i in range(8, len(body) - 3, 4)]
    return major, compatible


def handlers(stream: BinaryIO) -> set[str]:
    """The handler types of the file's tracks (`vide`, `soun`, ...); empty when the file
    has no readable `moov` box."""
    end = stream.seek(0, 2)
    budget = [MAX_BOXES]
    found: set[str] = set()
    _walk(stream, 0, end, 0, budget, found)
    return found


def _walk(
    stream: BinaryIO, start: int, end: int, depth: int, budget: list[int], found: set[str]
) -> None:
    """Descend moov/trak/mdia and read each hdlr box's handler type."""
    for kind, body, body_end in _boxes(stream, start, end, budget):
        if kind != _PATH[depth]:
            continue
        if kind == b"hdlr":
            stream.seek(body + 8)  # version and flags, pre_defined
            handler = stream.read(4)
            if len(handler) == 4:
                found.add(handler.decode("latin-1"))
        else:
            _walk(stream, body, body_end, depth + 1, budget, found)


def _boxes(
    stream: BinaryIO, start: int, end: int, budget: list[int]
) -> Iterator[tuple[bytes, int, int]]:
    """(type, start of body, end of body) of each box between start and end."""
    at = start
    while at + 8 <= end and budget[0] > 0:
        budget[0] -= 1
        stream.seek(at)
        header = stream.read(8)
        if len(header) < 8:
            return
        size, kind = struct.unpack(">I4s", header)
        body = at + 8
        if size == 1:
            large = stream.read(8)
            if len(large) < 8:
                return
            size, body = struct.unpack(">Q", large)[0], at + 16
        elif size == 0:
            size = end - at
        if size < body - at or at + size > end:
            return  # damaged: stop rather than guess
        yield kind, body, at + size
        at += size
