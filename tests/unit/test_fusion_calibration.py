"""Clock calibration's per-kind centring: a kind whose clocks have no usable report in a run
(a lone monitor's watch) is centred on 0, never on 0/0, which once made a background fusion
run fail on a NaN time whenever such a report came in."""

from __future__ import annotations

import numpy as np

from vigil.domain.fusion_calibration import kind_centres


def test_a_kind_without_information_is_centred_on_zero() -> None:
    kind = np.array([0, 0, 1, 2])  # clock -> kind; kind 1's only clock has no information
    info = np.array([1.0, 3.0, 0.0, 2.0])
    offset = np.array([4.0, 8.0, 99.0, -5.0])
    centres = kind_centres(kind, info, offset)
    assert np.all(np.isfinite(centres))
    assert centres.tolist() == [7.0, 7.0, 0.0, -5.0]  # (1*4 + 3*8) / 4 = 7
