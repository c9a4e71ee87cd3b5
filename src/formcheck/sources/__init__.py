"""Frame sources: video files, cameras and streams, all yielding ``(t_s, frame_bgr)``
(:mod:`formcheck.sources.video`; what they report: :mod:`formcheck.sources.info`)."""
