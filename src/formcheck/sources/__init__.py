"""Frame sources: video files, cameras and streams, all yielding ``(t_s, frame_bgr)``."""

from formcheck.sources.video import CameraSource, FrameSource, VideoFileSource, VideoInfo, open_live_source, open_source

__all__ = ["CameraSource", "FrameSource", "VideoFileSource", "VideoInfo", "open_live_source", "open_source"]
