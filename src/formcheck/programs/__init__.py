"""The programs that drive the stages: live, score (one video, many, a cluster), rescore, tune, fit.

Each wires a source, the pose estimator and the one analysis chain (``formcheck.analysis``) to
its sinks; the command line (``formcheck.cli``) only parses arguments and calls them.
"""
