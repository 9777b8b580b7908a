"""A curriculum over a conditioned task's ranges (``mixture.curriculum``; docs/conditions.md, "A curriculum over
the ranges").

Why: the wide condition space is far beyond make walk's warm start. A typical drawn body falls within a second and
the policy, trained on such bodies from the first iteration, never found their gait (measured 2026-12-06). Starting
at the healthy body and widening the ranges as the policy copes keeps most of the batch walking.

How: before each collection and each restart, the envs that draw conditions (those a preset mixture leaves) are
given a body drawn uniformly from each sampled condition's range shrunk toward its default by the scale s,
``default + s (u - default)`` with u uniform over [min, max]; ``BatchEnv.fix_conditions`` holds it from each env's
next reset on (a running episode keeps its body). At s = 1 they draw as the env config says (its sampling rule).
The scale grows by ``step`` at the end of every window of ``window`` collections in which the drawing envs took at
least ``promote_length`` valid steps per termination (a fall); the window's counts then start again either way.

Determinism: each draw is seeded by (seed, the count of draws so far), and the checkpoint keeps the scale, the
window's counts and that count (``Curriculum.state_dict``), so a resumed run draws what the first run drew.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
import torch
from bidir_sim.envs.conditions import drawn_conditions

from .rollout import Rollout, RolloutStats

STATE_KEYS = ("scale", "steps", "falls", "collections", "draws")


def draw_bodies(task, rows: np.ndarray, scale: float, rng: np.random.Generator) -> np.ndarray:
    """``rows`` (envs x ``task.conditions``, NaN: drawn) with each NaN of a drawn condition replaced by a draw from
    its range shrunk toward its default by ``scale``: ``default + scale (u - default)``, u uniform over [min,
    max]. The other NaNs stay (the env config's rule: a ``sampling: default`` condition stays at its default)."""
    rows = np.array(rows, dtype=float)
    specs = task.compiled.spec.conditions
    for j in drawn_conditions(task):
        c, free = specs[j], np.isnan(rows[:, j])
        rows[free, j] = c.default + scale * (rng.uniform(c.min, c.max, size=int(free.sum())) - c.default)
    return rows


@dataclass
class Curriculum:
    """The scale of the drawn ranges and its promotion rule; the trainer's state that a checkpoint keeps."""

    task: object            # the compiled env task (its conditions' ranges)
    base_rows: np.ndarray   # (envs, conditions) what the envs hold without a curriculum: presets' rows, NaN: drawn
    seed: int
    step: float
    promote_length: float
    window: int
    scale: float
    steps: float = 0.0      # valid steps and terminations of the drawing envs in the current window
    falls: float = 0.0
    collections: int = 0    # collections in the current window
    draws: int = 0

    @staticmethod
    def build(cfg, task, base_rows: np.ndarray, seed: int) -> Curriculum:
        """From ``mixture.curriculum`` (start, step, promote_length, window) and the rows the mixture fixes."""
        return Curriculum(task, np.asarray(base_rows, float), seed, float(cfg.step), float(cfg.promote_length),
                          int(cfg.window), float(cfg.start))

    @property
    def drawing(self) -> np.ndarray:
        """Which envs draw conditions (the rows the presets leave)."""
        return np.isnan(self.base_rows).all(axis=1)

    def rows(self) -> np.ndarray:
        """The next draw: ``base_rows`` with the drawing envs' drawn conditions from the shrunk ranges (at scale 1,
        ``base_rows`` itself: the env config's sampling)."""
        self.draws += 1
        if self.scale >= 1.0:
            return self.base_rows.copy()
        return draw_bodies(self.task, self.base_rows, self.scale, np.random.default_rng([self.seed, self.draws]))

    def observe(self, rollout: Rollout) -> dict[str, float]:
        """Counts a collection's drawing-env steps and terminations; promotes at the end of a window that walked
        ``promote_length`` steps per fall. Returns the metrics to log."""
        drawing = torch.as_tensor(self.drawing, device=rollout.valid.device)
        steps = float(rollout.valid[:, drawing].sum())
        falls = float(rollout.terminations[:, drawing].sum())
        self.steps, self.falls, self.collections = self.steps + steps, self.falls + falls, self.collections + 1
        metrics = {"curriculum/scale": self.scale, "curriculum/steps_per_fall": steps / max(falls, 1.0)}
        if self.collections >= self.window:
            walked = self.steps / max(self.falls, 1.0)
            if walked >= self.promote_length and self.scale < 1.0:
                self.scale = min(1.0, round(self.scale + self.step, 12))
                print(f"curriculum: {walked:.0f} steps per fall over {self.collections} iteration(s): the drawn "
                      f"ranges widen to {self.scale:.0%} of the env config's", file=sys.stderr, flush=True)
            self.steps, self.falls, self.collections = 0.0, 0.0, 0
        return metrics

    def state_dict(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in STATE_KEYS}

    def load_state_dict(self, state: dict[str, float]) -> None:
        """A checkpoint's state_dict; ValueError naming the key that is missing, not a finite number, or (the
        scale) outside [0, 1]."""
        for k in STATE_KEYS:
            value = state.get(k)
            if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value) or value < 0:
                raise ValueError(f"curriculum.{k}: {'missing' if k not in state else repr(value)}, expected a "
                                 "finite number >= 0")
        if state["scale"] > 1.0:
            raise ValueError(f"curriculum.scale: {state['scale']!r}, expected at most 1")
        for k in STATE_KEYS:
            setattr(self, k, type(getattr(self, k))(state[k]))


class CurriculumSource:
    """A local RolloutSource whose drawing envs take the curriculum's bodies: a new draw before each collection
    and each restart; every collection counted toward the next promotion (its metrics logged)."""

    def __init__(self, source, curriculum: Curriculum):
        self.inner, self.curriculum = source, curriculum
        self.observation_dim, self.action_dim, self.num_envs = source.observation_dim, source.action_dim, source.num_envs

    def restart(self, seed: int) -> None:
        self.inner.env.fix_conditions(self.curriculum.rows())
        self.inner.restart(seed)

    def collect(self, agent, num_steps: int) -> tuple[Rollout, RolloutStats]:
        self.inner.env.fix_conditions(self.curriculum.rows())
        rollout, stats = self.inner.collect(agent, num_steps)
        stats.source_metrics.update(self.curriculum.observe(rollout))
        return rollout, stats

    def set_muscle_weights(self, state_dict) -> None:
        self.inner.set_muscle_weights(state_dict)

    def set_assist_scale(self, scale: float) -> None:
        self.inner.set_assist_scale(scale)

    def close(self) -> None:
        self.inner.close()
