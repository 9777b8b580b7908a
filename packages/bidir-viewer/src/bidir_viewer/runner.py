"""Runs a Playback on its own thread in (scaled) real time, so that drawing never waits for physics and
physics never waits for drawing. The environment's step releases the GIL, so the two share the cores.
The window reads the latest Frame and the History; commands go through methods that take the lock."""

from __future__ import annotations

import threading
import time
from collections import deque

import numpy as np

from .playback import Frame, Playback

MAX_BEHIND_S = 0.25  # when the simulation falls further behind real time than this, it drops the backlog


class History:
    """What the plots show of the current episode (its last ``length`` control steps): a new episode
    starts a fresh history, so no curve joins two episodes. ``terms``: the task's reward terms."""

    def __init__(self, terms: list[str], length: int = 600):
        self.terms = list(terms)
        self.time = deque(maxlen=length)
        self.values = {k: deque(maxlen=length) for k in [*self.terms, "com_vx", "com_vz", "return"]}
        self.activations = deque(maxlen=length)

    def clear(self) -> None:
        self.time.clear()
        for v in self.values.values():
            v.clear()
        self.activations.clear()

    def add(self, frame: Frame) -> None:
        if self.time and frame.time <= self.time[-1]:  # the episode time restarted: a new episode
            self.clear()
        self.time.append(frame.time)
        for k in self.terms:
            self.values[k].append(frame.info.get(k, np.nan))
        self.values["com_vx"].append(frame.com_velocity[0])
        self.values["com_vz"].append(frame.com_velocity[2])
        self.values["return"].append(frame.episode_return)
        self.activations.append(frame.activations)

    def arrays(self) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
        acts = np.array(self.activations) if self.activations else np.zeros((0, 0))
        return np.array(self.time), {k: np.array(v) for k, v in self.values.items()}, acts


class SimRunner:
    def __init__(self, playback: Playback, speed: float = 1.0, playing: bool = True):
        self.playback, self.speed, self.playing = playback, speed, playing
        self.history = History(playback.reward_terms)
        self.history.add(playback.frame)
        self.step_ms = 0.0            # wall time of the last control step
        self.lock = threading.Lock()
        self._step_requests, self._reset_requested = 0, False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bidir-sim", daemon=True)
        self.error: Exception | None = None

    @property
    def frame(self) -> Frame:
        with self.lock:
            return self.playback.frame

    def start(self) -> SimRunner:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)

    def request_step(self) -> None:
        with self.lock:
            self.playing = False
            self._step_requests += 1

    def request_reset(self) -> None:
        with self.lock:
            self._reset_requested = True

    def _step(self) -> None:
        t0 = time.perf_counter()
        frame = self.playback.step()
        self.step_ms = 1e3 * (time.perf_counter() - t0)
        with self.lock:
            self.history.add(frame)

    def _run(self) -> None:
        owed, last = 0.0, time.perf_counter()
        dt = self.playback.control_dt
        try:
            while not self._stop.is_set():
                now = time.perf_counter()
                elapsed, last = now - last, now
                with self.lock:
                    reset, self._reset_requested = self._reset_requested, False
                    steps, self._step_requests = self._step_requests, 0
                    playing, speed = self.playing, self.speed
                if reset:
                    self.playback.reset()
                    with self.lock:
                        self.history = History(self.playback.reward_terms)
                        self.history.add(self.playback.frame)
                    owed = 0.0
                for _ in range(steps):
                    self._step()
                if playing:
                    owed = min(owed + elapsed * speed, MAX_BEHIND_S * max(speed, 1.0))
                    if owed >= dt:
                        self._step()
                        owed -= dt
                        continue
                else:
                    owed = 0.0
                time.sleep(0.002)
        except Exception as e:  # noqa: BLE001 - re-raised by the window, which then closes
            self.error = e
