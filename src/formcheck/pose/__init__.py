"""Pose data (frames and traces) and the MediaPipe estimator that produces it."""

from formcheck.pose.frame import PoseFrame, PoseTrace

__all__ = ["PoseFrame", "PoseTrace"]
