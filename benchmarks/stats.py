"""Latency percentiles and what the queries returned."""

from __future__ import annotations

from typing import Any

import numpy as np


def latency_summary(seconds: list[float], counts: list[int], limit: int) -> dict[str, Any]:
    """p50/p95/p99/mean/max in milliseconds, and the rows the queries returned."""
    ms = np.array(seconds) * 1000
    got = np.array(counts)
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return {
        "p50_ms": round(float(p50), 2),
        "p95_ms": round(float(p95), 2),
        "p99_ms": round(float(p99), 2),
        "mean_ms": round(float(ms.mean()), 2),
        "max_ms": round(float(ms.max()), 2),
        "rows_median": int(np.median(got)),
        "rows_mean": round(float(got.mean()), 1),
        "rows_max": int(got.max()),
        "full_pages": round(float((got >= limit).mean()), 3),
    }
