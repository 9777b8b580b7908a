"""Gait events and cycles from the feet's vertical ground reaction force, as a force plate finds them.

A foot is on the ground while its vertical force exceeds ``CONTACT_THRESHOLD`` of body weight (force-plate
practice uses 10-20 N; 2 % of a 70-kg body is 14 N). Contact bouts shorter than ``MIN_BOUT`` and gaps
shorter than ``MIN_GAP`` are contact chatter of a rigid foot, not steps, and are merged away. Heel strike
(initial contact) is the first sample of a bout, toe-off the first sample after it. A gait cycle runs from
one heel strike of a foot to its next; it is kept when it holds exactly one toe-off of that foot, lasts
``CYCLE_SECONDS``, and starts after ``settle`` seconds of the episode (the transient of the reset pose).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CONTACT_THRESHOLD = 0.02  # x body weight
MIN_BOUT = 0.05           # s: shorter contacts are not steps
MIN_GAP = 0.03            # s: shorter lifts are not swings
CYCLE_SECONDS = (0.5, 2.5)
SAMPLES = 101             # 0, 1, ..., 100 % of the cycle
SIDES = ("r", "l")


@dataclass(frozen=True)
class Cycle:
    """One gait cycle of one foot: row indices into the episode's record."""

    side: str          # "r" or "l"
    start: int         # heel strike
    toe_off: int       # first row of swing
    end: int           # next heel strike (exclusive)
    opposite_off: int  # contralateral toe-off inside the cycle (-1: none)
    opposite_on: int   # contralateral heel strike inside the cycle (-1: none)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True."""
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    return list(zip(edges[::2], edges[1::2]))


def contact(vertical_force: np.ndarray, body_weight: float, dt: float) -> np.ndarray:
    """Debounced on-ground mask of one foot (rows,) from its vertical force (N)."""
    if not body_weight > 0:
        raise ValueError(f"body weight must be positive, got {body_weight}")
    on = np.asarray(vertical_force) > CONTACT_THRESHOLD * body_weight
    for start, stop in _runs(~on):  # fill short lifts
        if 0 < start and stop < len(on) and (stop - start) * dt < MIN_GAP:
            on[start:stop] = True
    for start, stop in _runs(on):  # drop short touches
        if (stop - start) * dt < MIN_BOUT:
            on[start:stop] = False
    return on


def find_cycles(time: np.ndarray, vertical_force: np.ndarray, body_weight: float, settle: float = 1.0):
    """Gait cycles of both feet. ``vertical_force``: (rows, 2) N, right then left. Returns (cycles, contact
    mask (rows, 2), rejected count)."""
    time = np.asarray(time, dtype=float)
    if time.ndim != 1 or len(time) < 2 or not np.all(np.diff(time) > 0):
        raise ValueError("time must be a strictly increasing 1-D array of at least 2 samples")
    force = np.asarray(vertical_force, dtype=float)
    if force.shape != (len(time), 2) or not np.all(np.isfinite(force)):
        raise ValueError(f"vertical_force must be finite with shape ({len(time)}, 2), got {force.shape}")
    dt = float(np.median(np.diff(time)))
    on = np.stack([contact(force[:, k], body_weight, dt) for k in range(2)], axis=1)
    strikes = [[s for s, _ in _runs(on[:, k]) if s > 0] for k in range(2)]
    offs = [[e for _, e in _runs(on[:, k]) if e < len(time)] for k in range(2)]
    cycles, rejected = [], 0
    for k, side in enumerate(SIDES):
        for a, b in zip(strikes[k], strikes[k][1:]):
            toe = [t for t in offs[k] if a < t < b]
            seconds = time[b] - time[a]
            if time[a] < time[0] + settle:
                continue
            if len(toe) != 1 or not CYCLE_SECONDS[0] <= seconds <= CYCLE_SECONDS[1]:
                rejected += 1
                continue
            opp_off = [t for t in offs[1 - k] if a <= t < b]
            opp_on = [t for t in strikes[1 - k] if a < t < b]
            cycles.append(Cycle(side, a, toe[0], b, opp_off[0] if opp_off else -1, opp_on[0] if opp_on else -1))
    return cycles, on, rejected


def normalise(values: np.ndarray, time: np.ndarray, cycle: Cycle) -> np.ndarray:
    """``values`` (rows, ...) over ``cycle`` resampled at 0..100 % (SAMPLES, ...) by linear interpolation."""
    t = time[cycle.start:cycle.end + 1]
    x = (t - t[0]) / (t[-1] - t[0])
    v = np.asarray(values)[cycle.start:cycle.end + 1]
    grid = np.linspace(0.0, 1.0, SAMPLES)
    flat = v.reshape(len(v), -1)
    out = np.stack([np.interp(grid, x, flat[:, j]) for j in range(flat.shape[1])], axis=1)
    return out.reshape((SAMPLES, *v.shape[1:]))
