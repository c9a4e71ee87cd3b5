"""formcheck: checks back-pain relief exercises through a camera.

Python API (the CLI is a thin layer over it)::

    from formcheck import get_exercise, score_video, rescore_trace
    result = score_video("clip.mp4", get_exercise("wall_squat"), model="full")
    print(result.report["reps"])
"""

__version__ = "0.1.0"

from formcheck.config import get_exercise

__all__ = ["__version__", "get_exercise", "rescore_trace"]


def __getattr__(name: str):
    # Imported on first use: `import formcheck` stays light.
    if name == "rescore_trace":
        from formcheck.rescoring import rescore_trace

        return rescore_trace
    raise AttributeError(f"module 'formcheck' has no attribute {name!r}")
