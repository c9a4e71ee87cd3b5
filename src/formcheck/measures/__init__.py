"""Body measures: joint angles, heights and orientations computed from landmarks."""

from formcheck.measures.body import MEASURES, MeasureDef, compute_measures, measure_index

__all__ = ["MEASURES", "MeasureDef", "compute_measures", "measure_index"]
