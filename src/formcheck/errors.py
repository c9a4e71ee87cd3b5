"""Exceptions with plain-language messages; the CLI prints them without a traceback."""

from __future__ import annotations


class FormcheckError(Exception):
    """Base class: ``str(err)`` is a complete sentence a user can act on."""


class VideoError(FormcheckError):
    """A video file or stream cannot be opened or decoded."""


class IncompleteInputError(VideoError):
    """A video ended (could not be decoded) well before the length its container states:
    a truncated or corrupt file. What decoded is still scored, never as complete."""


class CameraError(FormcheckError):
    """A camera cannot be opened or stopped delivering frames."""


class ModelError(FormcheckError):
    """A pose model is missing, cannot be downloaded, or is not a valid model bundle."""


class ConfigError(FormcheckError):
    """An exercise definition, profile or ``--set`` override is invalid."""


class TraceError(FormcheckError):
    """A pose trace file is missing, corrupt or of an unknown layout."""
