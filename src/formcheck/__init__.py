"""formcheck: checks back-pain relief exercises through a camera.

Python API (the CLI is a thin layer over it). Score a video (pose inference with the
default MediaPipe model, downloaded on first use; cached per video)::

    from formcheck import ScoreOptions, load_exercise, score_video
    result = score_video("clip.mp4", load_exercise("wall_squat"), ScoreOptions())
    print(result.report["reps"])

Re-score a saved pose trace with other thresholds, without inference (here a synthetic
recording of three wall squats):

>>> from formcheck import load_exercise, rescore_trace
>>> from formcheck_testing.synthetic import wall_squat
>>> report = rescore_trace(wall_squat(reps=3), load_exercise("wall_squat", overrides={"hold_s": 4}))
>>> report["reps"], report["reps_ok"], report["complete"]
(3, 3, True)

``load_exercise`` applies what the command line does: the user's exercise folder, exercise
files, a profile and ``--set``-style overrides.
"""

__version__ = "0.1.0"

from formcheck.exercises.config import get_exercise

__all__ = ["ScoreOptions", "__version__", "get_exercise", "load_exercise", "rescore_trace", "score_video"]

#: Imported on first use, so that `import formcheck` stays light.
_LAZY = {
    "rescore_trace": "formcheck.programs.rescoring",
    "score_video": "formcheck.programs.batch",
    "ScoreOptions": "formcheck.programs.scoring",
    "load_exercise": "formcheck.exercises.profiles",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'formcheck' has no attribute {name!r}")
