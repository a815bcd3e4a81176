"""How well a group of reports fits one event, as a log-likelihood ratio.

A group is judged against the hypothesis that each of its reports saw an event of its own.
Under both, events happen with an intensity of λ per square metre per second, and each
report's measurements (bearing, distance, location, time) are Gaussian about what the event
implies. Integrating the unknown point and emission time out (Laplace's approximation: the
fit's chi-squared and the log-determinant of its information), the ratio is

    gain = (n - 1) * EVENT_SPARSITY + log V(group) - sum of log V(each report alone)

where EVENT_SPARSITY = -log λ and V is the volume of (x, y, T) the reports leave open. A tight
fit of precise reports gains most; a loose one, or one that needs large residuals, gains
less and may lose. A lone bearing leaves open a strip out to the family's range, so two
crossing bearings gain much. A group must also pass a chi-squared gate to be an event at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2 as chi2_distribution

from vigil.domain.association import Prepared
from vigil.domain.localisation_solver import NONE, WEDGE, Fit, fit, segments

# -log of the intensity of events (per m² per second). It also stands in for what the
# likelihood leaves out: a split implies that observers near the event missed it. Chosen on
# simulated months (seeds 1-3, the demo's density and three times it), where F1 is flat
# from 30 to 40 and the expected count closest to the truth at 31-32.
EVENT_SPARSITY = 32.0
LOCATION_GATE_P = 0.999
SCORE_TOLERANCE_M = 0.5  # a candidate's optimum is good enough to this
SCORE_ITERATIONS = 15  # and the rare one still moving after this many steps is judged there
SCORE_SETTLE_CHI2 = 1e-3  # or once a step gains less than this
COUNT_RANGE = 15.0  # an event's count is anything from 1 to about this
_LOG_2PI = math.log(2 * math.pi)
_GATES = np.array(
    [math.inf] + [float(chi2_distribution.ppf(LOCATION_GATE_P, d)) for d in range(1, 400)]
)


@dataclass
class Scores:
    """Groups of reports, each judged as one event: arrays with one entry per group."""

    idx: np.ndarray  # members (indices into Prepared), group after group, ascending in each
    sizes: np.ndarray
    fit: Fit
    gain: np.ndarray  # log-likelihood ratio against every member apart
    feasible: np.ndarray

    @property
    def starts(self) -> np.ndarray:
        """First member of each group in idx."""
        return np.cumsum(self.sizes) - self.sizes

    def members(self, i: int) -> tuple[int, ...]:
        """The members of group i."""
        s = int(self.starts[i])
        return tuple(self.idx[s : s + int(self.sizes[i])].tolist())


def gate(dof: np.ndarray) -> np.ndarray:
    """The largest chi-squared one event may have with `dof` degrees of freedom."""
    return np.asarray(_GATES[np.clip(dof, 0, len(_GATES) - 1)])


def score(
    p: Prepared,
    alone: np.ndarray,
    idx: np.ndarray,
    sizes: np.ndarray,
    start: np.ndarray | None = None,
) -> Scores:
    """Fit every group (members ascending, group after group) and judge each as one event.

    `alone` holds each report's log-volume when it is an event of its own (`log_volumes`);
    `start` (x, y, T per group), a first guess, such as a smaller group's optimum.
    """
    rows = p.plane.take(idx)
    f = fit(rows, sizes, start, SCORE_TOLERANCE_M, SCORE_ITERATIONS, SCORE_SETTLE_CHI2)
    if len(sizes) == 0:
        return Scores(idx, sizes, f, np.zeros(0), np.zeros(0, bool))
    group, starts = segments(sizes)
    apart = np.add.reduceat(alone[idx], starts)
    gain = (sizes - 1) * EVENT_SPARSITY + _log_volume(p, f, idx, starts) - apart
    gain += _count_gain(p, idx, starts)
    feasible = (f.dof == 0) | (f.chi2 <= gate(f.dof))
    return Scores(idx, sizes, f, gain, feasible)


def _count_gain(p: Prepared, idx: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """How well the reported counts agree with one true count (log-likelihood ratio, the
    true count's log uniform over COUNT_RANGE)."""
    lc = p.log_count[idx]
    has = ~np.isnan(lc)
    w = np.where(has, 1.0 / p.count_sigma[idx] ** 2, 0.0)
    lc = np.where(has, lc, 0.0)
    s = np.add.reduceat(
        np.stack([has, w, w * lc, w * lc * lc, np.log(p.count_sigma[idx]) * has], 1), starts, 0
    )
    n, h, m1, m2, log_sig = (s[:, k] for k in range(5))
    with np.errstate(invalid="ignore", divide="ignore"):
        chi2 = np.maximum(m2 - m1 * m1 / h, 0.0)
        volume = -0.5 * chi2 + 0.5 * _LOG_2PI - 0.5 * np.log(h)
    alone = n * 0.5 * _LOG_2PI + log_sig
    return np.where(n >= 2, (n - 1) * math.log(math.log(COUNT_RANGE)) + volume - alone, 0.0)


def log_volumes(p: Prepared) -> np.ndarray:
    """Each report's log-volume as an event of its own."""
    n = len(p.reports)
    f = fit(p.plane, np.ones(n, int))
    return _log_volume(p, f, np.arange(n), np.arange(n))


def _log_volume(p: Prepared, f: Fit, idx: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """log of the integral of exp(-chi²/2) over (x, y, T): Laplace where the point is set,
    a strip along the bearings (or the whole reach) where it is not."""
    h = f.h
    det = (
        h[:, 0] * (h[:, 2] * h[:, 5] - h[:, 4] ** 2)
        - h[:, 1] * (h[:, 1] * h[:, 5] - h[:, 4] * h[:, 3])
        + h[:, 3] * (h[:, 1] * h[:, 4] - h[:, 2] * h[:, 3])
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        laplace = 1.5 * _LOG_2PI - 0.5 * np.log(det)
        time_only = 0.5 * _LOG_2PI - 0.5 * np.log(h[:, 5])
    reach = p.reach[idx[starts]]
    sb = p.sb[idx]
    has_b = ~np.isnan(p.bearing[idx])
    info_b = np.add.reduceat(np.where(has_b, 1.0 / sb**2, 0.0), starts)
    strip = 0.5 * _LOG_2PI - 0.5 * np.log(np.maximum(info_b, 1e-12)) + np.log(reach**2 / 2.0)
    disc = np.log(math.pi * reach**2)
    space = np.where(f.kind == NONE, disc, strip)
    open_ = (f.kind == WEDGE) | (f.kind == NONE) | ~np.isfinite(laplace)
    return np.asarray(-0.5 * f.chi2 + np.where(open_, time_only + space, laplace))
