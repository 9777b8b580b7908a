"""Where transitions come from. The PPO code sees only ``RolloutSource``: a BatchEnv on this machine
(``BatchEnvSource``, ``rollout=local``) or Ray actors that each own one (``ray_source.RaySource``,
``rollout=ray``). A collection gives the transitions (``Rollout``, what the updates learn from) and what is
only logged about them (``RolloutStats``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import torch
from bidir_sim import INFO_NAMES, BatchEnv

from .agent import Agent


@dataclass
class Rollout:
    """num_steps x num_envs transitions, in gymnasium's NEXT_STEP autoreset mode: the step after an episode's
    last one resets the env and ignores its action; ``valid`` is False there and the step is left out of every
    loss. ``bootstrap_values`` hold V(final observation) of the truncated steps (0 elsewhere), for GAE."""

    obs: torch.Tensor               # (T, N, obs_dim) the observation each action was taken on
    actions: torch.Tensor           # (T, N, act_dim)
    logprobs: torch.Tensor          # (T, N)
    values: torch.Tensor            # (T, N)
    rewards: torch.Tensor           # (T, N)
    terminations: torch.Tensor      # (T, N) the episode ended with this step, in a terminal state
    truncations: torch.Tensor       # (T, N) the episode was cut after this step (the horizon; not terminal)
    bootstrap_values: torch.Tensor  # (T, N) V(final observation) where truncated and not terminated, else 0
    valid: torch.Tensor             # (T, N)
    next_value: torch.Tensor        # (N,) value of the observation after the last step
    muscle_tuples: dict[str, np.ndarray] = field(default_factory=dict)  # the muscle learner's data, per valid step

    def to(self, device: torch.device) -> Rollout:
        return Rollout(**{k: getattr(self, k).to(device) for k in TENSORS}, muscle_tuples=self.muscle_tuples)


TENSORS = ("obs", "actions", "logprobs", "values", "rewards", "terminations", "truncations", "bootstrap_values",
           "valid", "next_value")


@dataclass
class RolloutStats:
    """What a collection reports besides its transitions: logged, never learned from."""

    episode_returns: list[float] = field(default_factory=list)  # of the episodes that ended in the collection
    episode_lengths: list[float] = field(default_factory=list)
    info_means: dict[str, float] = field(default_factory=dict)  # mean of each info term over the valid steps
    source_metrics: dict[str, float] = field(default_factory=dict)  # the source's own (e.g. "ray/…"), logged


def concat(parts: list[tuple[Rollout, RolloutStats]]) -> tuple[Rollout, RolloutStats]:
    """The collections of disjoint env sets as one, envs in the order of ``parts``: tensors joined on the env
    axis, tuples and episodes appended, info means weighted by each part's valid steps."""
    rollouts = [r for r, _ in parts]
    tensors = {k: torch.cat([getattr(r, k) for r in rollouts], dim=0 if k == "next_value" else 1) for k in TENSORS}
    weights = [float(r.valid.sum()) for r in rollouts]
    total = max(sum(weights), 1.0)
    info = {k: sum(w * s.info_means[k] for w, (_, s) in zip(weights, parts)) / total for k in parts[0][1].info_means}
    tuples, first_env = {}, 0
    for r in rollouts:
        for k, v in r.muscle_tuples.items():
            tuples.setdefault(k, []).append(v + first_env if k == "env" else v)  # env: index within its part
        first_env += r.valid.shape[1]
    stats = RolloutStats(episode_returns=[x for _, s in parts for x in s.episode_returns],
                         episode_lengths=[x for _, s in parts for x in s.episode_lengths], info_means=info)
    return Rollout(**tensors, muscle_tuples={k: np.concatenate(v) for k, v in tuples.items()}), stats


class RolloutSource(Protocol):
    observation_dim: int
    action_dim: int
    num_envs: int

    def collect(self, agent: Agent, num_steps: int) -> tuple[Rollout, RolloutStats]:
        """num_steps control steps of every env, actions sampled from ``agent``'s policy."""

    def set_muscle_weights(self, state_dict: dict[str, torch.Tensor]) -> None: ...

    def set_assist_scale(self, scale: float) -> None:
        """The pelvis assist's strength for the following collections (0: off)."""

    def restart(self, seed: int) -> None:
        """Resets every env, env i with seed + i (running episodes are cut)."""

    def close(self) -> None: ...


class BatchEnvSource:
    """A bidir_sim.BatchEnv on this machine; keeps its envs' episodes running across iterations."""

    def __init__(self, env: BatchEnv, seed: int, device: torch.device):
        self.env, self.device = env, device
        self.observation_dim = env.single_observation_space.shape[0]
        self.action_dim = env.single_action_space.shape[0]
        self.num_envs = env.num_envs
        self.restart(seed)

    def restart(self, seed: int) -> None:
        obs, _ = self.env.reset(seed=seed)
        self._obs = torch.as_tensor(obs, device=self.device)
        self._autoreset = np.zeros(self.num_envs, bool)  # the next step of these envs is a reset step

    def set_muscle_weights(self, state_dict) -> None:
        self.env.set_muscle_weights(state_dict)

    def set_assist_scale(self, scale: float) -> None:
        self.env.set_assist_scale(scale)

    def close(self) -> None:
        self.env.close()

    def collect(self, agent, num_steps) -> tuple[Rollout, RolloutStats]:
        T, N = num_steps, self.num_envs
        obs = torch.zeros((T, N, self.observation_dim), device=self.device)
        actions = torch.zeros((T, N, self.action_dim), device=self.device)
        logprobs, values, rewards, terminations, truncations, bootstrap_values, valid = (
            torch.zeros((T, N), device=self.device) for _ in range(7))
        stats = RolloutStats()
        info_sum = {k: 0.0 for k in INFO_NAMES}
        valid_count = 0
        self.env.collect_muscle_tuples()  # drop tuples of steps taken outside collect()
        for t in range(T):
            obs[t] = self._obs
            valid[t] = torch.as_tensor(~self._autoreset, device=self.device)
            with torch.no_grad():
                action, logprob, _, value = agent.get_action_and_value(self._obs)
            actions[t], logprobs[t], values[t] = action, logprob, value.flatten()
            next_obs, reward, terminated, truncated, infos = self.env.step(action.cpu().numpy())
            next_obs_t = torch.as_tensor(next_obs, device=self.device)
            bootstrap = truncated & ~terminated
            if bootstrap.any():  # NEXT_STEP: the returned observation is the final one of the episode
                with torch.no_grad():
                    bootstrap_values[t, torch.as_tensor(bootstrap)] = agent.get_value(
                        next_obs_t[torch.as_tensor(bootstrap)]).flatten()
            rewards[t] = torch.as_tensor(reward.astype(np.float32), device=self.device)
            terminations[t] = torch.as_tensor(terminated, device=self.device)
            truncations[t] = torch.as_tensor(truncated, device=self.device)
            stepped = ~self._autoreset
            valid_count += int(stepped.sum())
            for k in info_sum:
                info_sum[k] += float(infos[k][stepped].sum())
            if "episode" in infos:
                finished = infos["_episode"]
                stats.episode_returns += infos["episode"]["r"][finished].tolist()
                stats.episode_lengths += infos["episode"]["l"][finished].tolist()
            self._autoreset = terminated | truncated
            self._obs = next_obs_t
        with torch.no_grad():
            next_value = agent.get_value(self._obs).flatten()
        stats.info_means = {k: v / max(valid_count, 1) for k, v in info_sum.items()}
        return Rollout(obs, actions, logprobs, values, rewards, terminations, truncations, bootstrap_values, valid,
                       next_value, muscle_tuples=self.env.collect_muscle_tuples()), stats
