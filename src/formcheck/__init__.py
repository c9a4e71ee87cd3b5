"""formcheck: checks back-pain relief exercises through a camera.

Python API (the CLI is a thin layer over it)::

    from formcheck import get_exercise, score_video, rescore_trace
    result = score_video("clip.mp4", get_exercise("wall_squat"), model="full")
    print(result.report["reps"])
"""

__version__ = "0.1.0"

from formcheck.config import get_exercise

__all__ = ["__version__", "get_exercise"]
