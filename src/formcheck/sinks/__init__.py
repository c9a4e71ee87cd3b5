"""Where analysed frames go: the drawn overlay and the annotated video file."""

from formcheck.sinks.overlay import Annotator, OverlayInfo
from formcheck.sinks.video import VideoSink

__all__ = ["Annotator", "OverlayInfo", "VideoSink"]
