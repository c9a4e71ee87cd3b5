"""Stage 6: where analysed frames and results go — overlay, window, video, voice, report writers.

Import the module you need (``formcheck.sinks.video``…): the package itself loads nothing, so
that writing a report (``sinks.outputs``) never pulls in OpenCV.
"""
