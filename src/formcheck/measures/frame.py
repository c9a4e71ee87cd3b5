"""The checker's input: one timestamped frame of measures."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(slots=True)
class MeasureFrame:
    """Measures of one frame.

    Attributes:
        t_s: stream timestamp, seconds.
        values: (M,) float64 in ``MEASURE_NAMES`` order; NaN = not measurable this frame.
        n_people: people detected (0 = nobody in view).
        view_issue: why the exercise's landmarks are not usable ("" when they are); one of
            the codes in :mod:`formcheck.measures.visibility`.
    """

    t_s: float
    values: np.ndarray
    n_people: int = 1
    view_issue: str = ""
