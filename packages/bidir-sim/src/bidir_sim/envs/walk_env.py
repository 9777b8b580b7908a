"""The walking task as a gymnasium environment: ``gymnasium.make("bidir_sim/A2_sep-v0")``.

All the work happens in C++ (``_core.Env``): one ``step`` runs sim_hz / control_hz physics substeps, each
with the muscle network, SPD and DART, with the GIL released. This class adds gymnasium's spaces, seeding
and info dict.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import gymnasium as gym
import numpy as np

from .. import _core
from ..arguments import as_float32_actions
from ..muscle_net import load_muscle_weights, make_muscle_net
from .conditions import condition_vector
from .config import EnvConfig
from .task import Task, task_of

RESET_OPTIONS = ("phase", "stride", "cadence", "conditions")


class WalkEnv(gym.Env):
    """A muscle-driven walking task.

    Observation: float32, laid out as in docs/env-config.md ("Observation"). Action: the residual joint
    offsets (times ``action.scale``) and, with time warping, one phase-speed dimension. The action space is
    [-1, 1]; values outside it are applied as given (not clipped), NaN/inf raise ValueError.
    ``info`` holds every reward term and the quantities behind them (``bidir_sim.INFO_NAMES``); ``task``
    is the compiled task (sizes, observation layout, reward terms, reference motion).

    config: a shipped config name, a YAML path, an EnvConfig or a compiled Task. muscle_weights: a
    ``muscle.pt`` file or state_dict for the muscle network (default: Xavier-initialised from seed 0).
    """

    metadata: ClassVar[dict] = {"render_modes": []}

    def __init__(self, config: str | Path | EnvConfig | Task = "A2_sep", muscle_weights=None, render_mode=None):
        if render_mode is not None:
            raise ValueError(f"render_mode {render_mode!r} is not supported; use bidir-viewer to watch a policy")
        self.task = task_of(config)
        self.muscle_net = make_muscle_net(self.task)
        if muscle_weights is not None:
            load_muscle_weights(self.muscle_net, muscle_weights)
        self.core = _core.Env(self.task.compiled, self.muscle_net, 0)
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (self.task.observation_dim,), np.float32)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (self.task.action_dim,), np.float32)
        self._seeded = False

    @property
    def config(self) -> EnvConfig:
        return self.task.config

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if seed is not None or not self._seeded:
            # The C++ generator is the only source of randomness; seed it from gymnasium's.
            self.core.seed(int(self.np_random.integers(2**63)))
            self._seeded = True
        options = dict(options or {})
        unknown = sorted(set(options) - set(RESET_OPTIONS))
        if unknown:
            raise ValueError(f"reset options: unknown {unknown}; valid: {', '.join(RESET_OPTIONS)}")
        values = {}
        if "conditions" in options:
            values["conditions"] = condition_vector(self.task.conditions, options.pop("conditions"),
                                                    "reset option 'conditions'")
        for key, value in options.items():
            values[key] = _finite_number(value, f"reset option '{key}'")
        obs = self.core.reset(**values)
        return obs, self._info()

    def step(self, action):
        action = as_float32_actions(np.asarray(action), "action", ndim=1)  # C++ checks the size and values
        obs, reward, terminated, truncated = self.core.step(action)
        return obs, float(reward), bool(terminated), bool(truncated), self._info()

    def _info(self) -> dict:
        info = dict(zip(_core.INFO_NAMES, self.core.info.tolist()))
        for flag in ("fall", "sim_error", "mirrored"):
            info[flag] = bool(info[flag])
        if self.task.conditions:
            info["conditions"] = dict(zip(self.task.conditions, self.core.conditions.tolist()))
        return info

    def set_muscle_weights(self, weights) -> None:
        """Loads new muscle-network weights (a ``muscle.pt`` path or a state_dict)."""
        load_muscle_weights(self.muscle_net, weights)


def _finite_number(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not np.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return float(value)
