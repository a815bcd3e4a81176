"""Fusion reports as numpy columns, for the scale scenario's cache.

Kept apart from the scenario builder so that the scale child process (fusion_scale.py) loads
reports with numpy and the report model alone: its memory is the engine's and the reports'.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vigil.domain.fusion_model import Report

INT_FIELDS = ("id", "count")
STR_FIELDS = ("client_id", "observer", "observer_kind", "category", "reliability")
FIELDS = tuple(f.name for f in dataclasses.fields(Report))
FLOAT_FIELDS = tuple(n for n in FIELDS if n not in INT_FIELDS + STR_FIELDS)
SLICE = 50_000


def to_columns(reports: Sequence[Report]) -> dict[str, np.ndarray]:
    """Reports as numpy columns (None as NaN, text as UTF-8) that np.savez stores unpickled."""
    cols: dict[str, np.ndarray] = {}
    for name in FIELDS:
        values = [getattr(r, name) for r in reports]
        if name in INT_FIELDS:
            cols[name] = np.array(values, dtype=np.int64)
        elif name in STR_FIELDS:
            cols[name] = np.array([v.encode() for v in values], dtype=bytes)  # 1 byte a char
        else:
            cols[name] = np.array([math.nan if v is None else v for v in values], dtype=float)
    return cols


def _rows(cols: Mapping[str, np.ndarray], lo: int, hi: int) -> list[Report]:
    lists: dict[str, list[Any]] = {}
    for name in FIELDS:
        values = cols[name][lo:hi].tolist()
        if name == "client_id":
            values = [v.decode() for v in values]
        elif name in STR_FIELDS:
            values = [sys.intern(v.decode()) for v in values]  # a few distinct values each
        elif name in FLOAT_FIELDS:
            values = [None if v != v else v for v in values]  # NaN is None
        lists[name] = values
    return [Report(*row) for row in zip(*lists.values(), strict=True)]  # FIELDS is field order


def from_columns(cols: Mapping[str, np.ndarray], n: int | None = None) -> list[Report]:
    """The first n reports (all if None) from their columns, a slice at a time to spare memory."""
    total = len(cols["id"]) if n is None else min(n, len(cols["id"]))
    reports: list[Report] = []
    for lo in range(0, total, SLICE):
        reports += _rows(cols, lo, min(lo + SLICE, total))
    return reports


def load_reports(path: Path, n: int) -> list[Report]:
    """The first n cached reports."""
    with np.load(path) as cols:
        return from_columns({k: cols[k] for k in cols.files}, n)
