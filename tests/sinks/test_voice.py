"""Voice cues: synthesised offline, never blocking the frame loop, never faster than a person can follow."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import wave

import numpy as np
import pytest

from formcheck.checkers.events import Event, EventKind, RepResult
from formcheck.sinks.voice import EspeakSpeaker, VoiceCues, find_espeak


class _Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


class _Recorder:
    """A speaker that records what it says; ``gate`` (when set) holds each utterance until released."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.texts: list[str] = []
        self.gate = gate
        self.started = threading.Event()

    def speak(self, text: str) -> None:
        self.started.set()
        if self.gate is not None:
            assert self.gate.wait(30)
        self.texts.append(text)


def test_espeak_synthesises_a_non_silent_wav(tmp_path):
    if find_espeak() is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    wav = tmp_path / "count.wav"
    EspeakSpeaker().to_wav("Three. Hold. Rise slowly.", wav)
    with wave.open(str(wav)) as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        n, rate = w.getnframes(), w.getframerate()
        pcm = np.frombuffer(w.readframes(n), dtype="<i2").astype(np.float64)
    assert n / rate > 0.5  # a few words take more than half a second
    rms = np.sqrt(np.mean(pcm**2))
    assert rms > 300  # speech, not silence (full scale is 32767)
    # Speech has pauses: loud and quiet 20 ms windows both occur.
    win = pcm[: len(pcm) // 320 * 320].reshape(-1, 320)
    loud = np.sqrt((win**2).mean(axis=1))
    assert (loud > 1000).sum() > 10 and (loud < 100).sum() > 2


def test_a_text_starting_with_a_dash_is_spoken_not_taken_as_an_option(tmp_path):
    if find_espeak() is None:
        pytest.skip("espeak-ng is not installed")
    wav = tmp_path / "dash.wav"
    EspeakSpeaker().to_wav("-w /tmp/oops", wav)
    assert wav.stat().st_size > 1000 and not os.path.exists("/tmp/oops")


def test_say_never_waits_for_the_speaker_and_keeps_only_the_newest():
    gate = threading.Event()
    spk = _Recorder(gate)
    clock = _Clock()
    v = VoiceCues(spk, clock=clock, queue_size=3)
    v.say("first")
    assert spk.started.wait(30)  # the worker is busy with "first" and blocked
    for i in range(10):
        assert v.say(f"count {i}")  # returns at once although the speaker is stuck
    gate.set()
    v.close()
    assert spk.texts == ["first", "count 7", "count 8", "count 9"]
    assert v.dropped == 7


def test_a_cue_is_not_repeated_faster_than_its_min_interval():
    spk = _Recorder()
    clock = _Clock()
    v = VoiceCues(spk, clock=clock, min_interval_s=6.0, max_age_s=1e9)  # nothing goes stale here
    assert v.say("Rise slowly", key="cue:return_too_fast")
    clock.t = 2.0
    assert not v.say("Rise slowly", key="cue:return_too_fast")
    assert v.say("Keep your back against the wall", key="cue:leaning")  # another cue is not held back
    clock.t = 6.5
    assert v.say("Rise slowly", key="cue:return_too_fast")
    v.close()
    assert spk.texts == ["Rise slowly", "Keep your back against the wall", "Rise slowly"]


def test_a_text_that_waited_too_long_is_dropped_unsaid():
    gate = threading.Event()
    spk = _Recorder(gate)
    clock = _Clock()
    v = VoiceCues(spk, clock=clock, max_age_s=2.5)
    v.say("1", key="count")
    assert spk.started.wait(30)
    v.say("2", key="count2")
    clock.t = 10.0  # the first utterance took long; "2" is stale by the time the worker gets to it
    gate.set()
    v.close()
    assert spk.texts == ["1"] and v.dropped == 1


def _rep(i: int) -> RepResult:
    return RepResult(i, None, 0.0, 1.0, "deg", 45.0, 5.0, 5.0, 30.0, 30.0, ())


def test_counts_hold_countdown_and_cues_from_checker_events():
    spk = _Recorder()
    v = VoiceCues(spk, clock=_Clock(), queue_size=50)  # room for the whole burst: this is about what is said
    v.set_exercise(hold_target_s=5.0)
    events = [Event(1.0 + i, EventKind.HOLD, "hold", value=float(i)) for i in range(1, 5)]
    events += [Event(6.0, EventKind.REP, "rep", rep=_rep(1))]
    events += [Event(6.5, EventKind.CUE_ON, "return_too_fast", "Rise slowly")] * 3  # same cue, same moment
    events += [Event(7.0, EventKind.REP, "rep", rep=_rep(2))]
    v.on_events(events)
    v.close()
    assert spk.texts == ["Hold", "3", "2", "1", "1", "Rise slowly", "2"]


def test_pain_stop_is_spoken_with_the_advice():
    spk = _Recorder()
    v = VoiceCues(spk, clock=_Clock())
    v.on_events([Event(3.0, EventKind.STOP, "pain_stop", "Stopped because it hurts")])
    v.close()
    assert spk.texts == ["Stopped. Stop if it hurts - don't push through the pain. Tell your therapist."]


@pytest.mark.real
def test_live_voice_speaks_rep_counts_through_espeak(samples_dir, models_dir, tmp_path):
    # A stand-in espeak-ng on PATH logs what it is asked to say (no sound card here).
    log = tmp_path / "said.txt"
    fake = tmp_path / "bin" / "espeak-ng"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\nfor last; do :; done\nprintf "%s\\n" "$last" >> {log}\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}", "FORMCHECK_MODEL_DIR": str(models_dir)}
    cmd = [sys.executable, "-m", "formcheck", "live", "-e", "squat", "--no-window", "--voice", "--no-history",
           "--source", str(samples_dir / "squat_front_20reps_onscreen_counter.mp4"), "--max-seconds", "12"]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    said = log.read_text().split("\n")
    counts = [s for s in said if s.isdigit()]
    assert counts and counts == sorted(counts, key=int)  # spoken in order; late ones may be dropped
    assert counts[0] == "1"
