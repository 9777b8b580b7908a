"""``BatchEnv``: many walking environments stepped in parallel in C++, as a gymnasium ``VectorEnv``.

Each environment has its own simulation and random generator, so results do not depend on the number of
threads. The GIL is released while the C++ thread pool steps. Autoreset is gymnasium's NEXT_STEP mode:
the step that ends an episode returns its final observation (use it to bootstrap a truncated episode);
the following ``step`` resets that env, ignores its action, and returns the new first observation with
reward 0 and ``infos["autoreset"]`` set.
"""

from __future__ import annotations

import os
import warnings

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from . import _core
from .arguments import as_float32_actions, env_seed, positive_int
from .envs.conditions import condition_vector
from .envs.config import EnvConfig
from .envs.task import task_of
from .muscle_net import load_muscle_weights, make_muscle_net

FLAGS = ("fall", "sim_error", "mirrored")
NN_MODES = ("auto", "batched", "per_env")
# "auto" runs the network batched from this many envs on, so that two threads get a group each
# (docs/performance.md has the measurements behind this and the default nn_batch of 4).
AUTO_BATCHED_MIN_ENVS = 8
# Refused up front rather than found out by the OOM killer: each env holds a DART world (measured 5.7 MiB
# with the default model, docs/reliability.md); and a thread per env beyond a few hundred only thrashes.
ENV_MEMORY_BYTES = 8 * 2**20
MAX_THREADS = 256


def available_memory() -> int | None:
    """Bytes of memory available to new allocations (Linux MemAvailable), or None where unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _check_resources(num_envs: int, num_threads: int) -> None:
    if num_threads > MAX_THREADS:
        raise ValueError(f"num_threads must be at most {MAX_THREADS}, got {num_threads} "
                         f"(this machine has {os.cpu_count()} cores)")
    need, free = num_envs * ENV_MEMORY_BYTES, available_memory()
    if free is not None and need > free:
        raise ValueError(f"num_envs={num_envs} needs about {need / 2**30:.1f} GiB ({ENV_MEMORY_BYTES >> 20} MiB "
                         f"per env), more than the {free / 2**30:.1f} GiB of memory available; "
                         f"at most {free // ENV_MEMORY_BYTES} envs fit")


class BatchEnv(VectorEnv):
    """``num_envs`` environments of one task, stepped by ``num_threads`` C++ threads (default: min(num_envs, cores)).

    The muscle network runs every substep, in one of two modes (``nn_mode``):

    - ``"batched"``: envs are split into fixed groups of ``nn_batch`` (default ``_core.DEFAULT_NN_BATCH``, 4); each group advances substep by
      substep in lockstep with one network forward over the group, and groups run in parallel. With
      ``nn_batch >= num_envs`` it is one forward over all envs per substep.
    - ``"per_env"``: every env runs its control step alone with a batch-1 forward per substep.
    - ``"auto"`` (default): batched from 8 envs on, else per_env (the faster here, docs/performance.md).

    Groups do not depend on ``num_threads``, so neither do the results (bit for bit).

    ``reset(seed=s)`` seeds env i with s + i. Returned arrays are fresh copies. ``infos`` holds, per env,
    every reward term and quantity of ``bidir_sim.INFO_NAMES``, ``autoreset``, and for envs whose episode ended
    in this step ``episode`` = {"r": return, "l": length} with the mask ``_episode``.
    """

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}  # noqa: RUF012

    def __init__(self, config="A2_sep", num_envs: int = 32, num_threads: int | None = None, seed: int = 0,
                 muscle_weights=None, nn_mode: str = "auto", nn_batch: int | None = None, render_mode=None):
        if render_mode is not None:
            raise ValueError(f"render_mode {render_mode!r} is not supported; use bidir-viewer to watch a policy")
        num_envs = positive_int("num_envs", num_envs)
        if num_threads is None:
            num_threads = min(num_envs, os.cpu_count() or 1)
        num_threads = positive_int("num_threads", num_threads)
        if nn_mode not in NN_MODES:
            raise ValueError(f"nn_mode must be one of {NN_MODES}, got {nn_mode!r}")
        if nn_batch is None:
            nn_batch = _core.DEFAULT_NN_BATCH
        nn_batch = positive_int("nn_batch", nn_batch)
        seed = env_seed(seed, num_envs)
        _check_resources(num_envs, num_threads)
        if nn_mode == "auto":
            nn_mode = "batched" if num_envs >= AUTO_BATCHED_MIN_ENVS else "per_env"
        groups = -(-num_envs // nn_batch)
        if nn_mode == "batched" and num_threads > groups:
            warnings.warn(f"nn_mode='batched' with nn_batch={nn_batch} makes {groups} group(s) of envs for "
                          f"{num_threads} threads, so some threads idle; lower nn_batch or use nn_mode='per_env'",
                          stacklevel=2)
        self.task = task_of(config)
        self.muscle_net = make_muscle_net(self.task)  # one copy of the weights, read by every env
        if muscle_weights is not None:
            load_muscle_weights(self.muscle_net, muscle_weights)
        self.core = _core.BatchEnv(self.task.compiled, self.muscle_net, num_envs, num_threads, seed, nn_mode, nn_batch)
        self.num_envs = num_envs
        self.single_observation_space = gym.spaces.Box(-np.inf, np.inf, (self.task.observation_dim,), np.float32)
        self.single_action_space = gym.spaces.Box(-1.0, 1.0, (self.task.action_dim,), np.float32)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._seed = seed

    @property
    def config(self) -> EnvConfig:
        return self.task.config

    @property
    def num_threads(self) -> int:
        return self.core.num_threads

    @property
    def nn_mode(self) -> str:
        """'batched' (one network forward over all envs per substep, envs in lockstep) or 'per_env'."""
        return self.core.nn_mode

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        if options:
            raise ValueError(f"reset options are not supported by BatchEnv, got {sorted(options)}")
        if seed is not None:
            self.core.seed(env_seed(seed, self.num_envs))
        obs = self.core.reset()
        return obs, self._infos(np.zeros(self.num_envs, bool))

    def step(self, actions):
        actions = as_float32_actions(np.asarray(actions), "actions", ndim=2)  # C++ checks the sizes and values
        obs, rewards, terminated, truncated = self.core.step(actions)
        return obs, rewards, terminated, truncated, self._infos(terminated | truncated)

    def _infos(self, finished: np.ndarray) -> dict:
        values = self.core.info
        infos = {name: values[:, k].copy() for k, name in enumerate(_core.INFO_NAMES)}
        for flag in FLAGS:
            infos[flag] = infos[flag].astype(bool)
        infos["autoreset"] = self.core.autoreset
        if finished.any():
            infos["episode"] = {"r": np.where(finished, self.core.episode_returns, 0.0),
                                "l": np.where(finished, self.core.episode_lengths, 0)}
            infos["_episode"] = finished.copy()
        return infos

    def collect_muscle_tuples(self) -> dict[str, np.ndarray]:
        """The muscle network's training data since the last call, and clears it: one tuple per env and step,
        taken at a uniformly random substep. Keys: tau_des (T, A), JtA_reduced (T, muscle_dofs),
        JtA (T, A, muscles), env (T)."""
        tau, reduced, jta, env = self.core.collect_muscle_tuples()
        task = self.task.compiled
        return {"tau_des": tau, "JtA_reduced": reduced,
                "JtA": jta.reshape(len(jta), task.num_actuated_dofs, task.num_muscles), "env": env}

    @property
    def conditions(self) -> np.ndarray:
        """Each env's anatomical condition values (envs x ``task.conditions``) of its current episode."""
        return self.core.conditions

    def fix_conditions(self, conditions=None) -> None:
        """Fixes anatomical conditions (docs/conditions.md) for every later reset and autoreset: a mapping
        {name: value} (names from ``task.conditions``) for every env, or an (envs, conditions) array in that
        order with NaN where drawn; None draws them all again."""
        names = self.task.conditions
        if conditions is None:
            values = np.zeros((0, 0))
        elif isinstance(conditions, dict):
            values = np.tile(condition_vector(names, conditions, "fix_conditions"), (self.num_envs, 1))
        else:
            values = np.asarray(conditions, dtype=float)
            if values.shape != (self.num_envs, len(names)):
                raise ValueError(f"fix_conditions: an array of shape {values.shape}, expected "
                                 f"({self.num_envs}, {len(names)}): envs x task.conditions")
        self.core.fix_conditions(values)

    def set_assist_scale(self, scale: float) -> None:
        """The strength of the pelvis assist (``environment.assist``, a training aid) for every env from the
        next step on: a factor on its gains, in [0, ``task.assist_scale_limit``] (beyond, its damping makes the
        physics step unstable); 0 (the default) switches it off."""
        scale = float(scale)
        # C++ refuses a negative or non-finite scale; the limit needs the model's pelvis, known here.
        if np.isfinite(scale) and scale > self.task.assist_scale_limit:
            raise ValueError(f"assist scale {scale:g} is beyond {self.task.assist_scale_limit:.3g}, where the "
                             f"assist's damping (environment.assist.kd_rotation, kd_position) makes the "
                             f"{self.task.config.simulation.sim_hz} Hz physics step unstable")
        self.core.set_assist_scale(scale)

    def set_muscle_weights(self, weights) -> None:
        """New muscle-network weights (a ``muscle.pt`` path or a state_dict) for every env at once.
        Call between steps, not while another thread is in ``step``."""
        load_muscle_weights(self.muscle_net, weights)
