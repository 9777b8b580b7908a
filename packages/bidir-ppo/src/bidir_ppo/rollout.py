"""Where transitions come from. The PPO code sees only ``RolloutSource``: a BatchEnv on this machine
(``BatchEnvSource``, ``rollout=local``) or Ray actors that each own one (``ray_source.RaySource``,
``rollout=ray``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import torch
from bidir_sim import INFO_NAMES, BatchEnv

from .agent import Agent


@dataclass
class Rollout:
    """num_steps x num_envs transitions. ``valid`` is False for the autoreset steps of gymnasium's NEXT_STEP
    mode (the env was reset, its action ignored): they are left out of every loss."""

    obs: torch.Tensor          # (T, N, obs_dim) the observation each action was taken on
    actions: torch.Tensor      # (T, N, act_dim)
    logprobs: torch.Tensor     # (T, N)
    values: torch.Tensor       # (T, N)
    rewards: torch.Tensor      # (T, N); a truncated step has gamma * V(final obs) added
    dones: torch.Tensor        # (T, N) the episode ended with this step (terminated or truncated)
    valid: torch.Tensor        # (T, N)
    next_value: torch.Tensor   # (N,) value of the observation after the last step
    muscle_tuples: dict[str, np.ndarray] = field(default_factory=dict)
    episodes: dict[str, list[float]] = field(default_factory=dict)  # "return", "length" of finished episodes
    info_means: dict[str, float] = field(default_factory=dict)        # mean of each info term over valid steps
    source_metrics: dict[str, float] = field(default_factory=dict)    # the source's own (e.g. "ray/…"), logged

    def to(self, device: torch.device) -> Rollout:
        moved = {k: getattr(self, k).to(device) for k in TENSORS}
        return Rollout(**moved, muscle_tuples=self.muscle_tuples, episodes=self.episodes,
                       info_means=self.info_means, source_metrics=self.source_metrics)

    @staticmethod
    def concat(parts: list[Rollout]) -> Rollout:
        """The rollouts of disjoint env sets as one, envs in the order of ``parts``: tensors joined on the
        env axis, tuples and episodes appended, info means weighted by each part's valid steps."""
        tensors = {k: torch.cat([getattr(p, k) for p in parts], dim=0 if k == "next_value" else 1) for k in TENSORS}
        weights = [float(p.valid.sum()) for p in parts]
        total = max(sum(weights), 1.0)
        info = {k: sum(w * p.info_means[k] for w, p in zip(weights, parts)) / total for k in parts[0].info_means}
        tuples, first_env = {}, 0
        for p in parts:
            for k, v in p.muscle_tuples.items():
                tuples.setdefault(k, []).append(v + first_env if k == "env" else v)  # env: index within its part
            first_env += p.valid.shape[1]
        return Rollout(**tensors, muscle_tuples={k: np.concatenate(v) for k, v in tuples.items()},
                       episodes={k: [x for p in parts for x in p.episodes[k]] for k in parts[0].episodes},
                       info_means=info)


TENSORS = ("obs", "actions", "logprobs", "values", "rewards", "dones", "valid", "next_value")


class RolloutSource(Protocol):
    observation_dim: int
    action_dim: int
    num_envs: int

    def collect(self, agent: Agent, num_steps: int, gamma: float) -> Rollout:
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

    def collect(self, agent, num_steps, gamma) -> Rollout:
        T, N = num_steps, self.num_envs
        obs = torch.zeros((T, N, self.observation_dim), device=self.device)
        actions = torch.zeros((T, N, self.action_dim), device=self.device)
        logprobs, values, rewards, dones, valid = (torch.zeros((T, N), device=self.device) for _ in range(5))
        returns, lengths = [], []
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
            reward = reward.astype(np.float32)
            bootstrap = truncated & ~terminated
            if bootstrap.any():  # NEXT_STEP: the returned observation is the final one of the episode
                with torch.no_grad():
                    final_values = agent.get_value(next_obs_t[torch.as_tensor(bootstrap)]).flatten().cpu().numpy()
                reward[bootstrap] += gamma * final_values
            rewards[t] = torch.as_tensor(reward, device=self.device)
            dones[t] = torch.as_tensor(terminated | truncated, device=self.device)
            stepped = ~self._autoreset
            valid_count += int(stepped.sum())
            for k in info_sum:
                info_sum[k] += float(infos[k][stepped].sum())
            if "episode" in infos:
                finished = infos["_episode"]
                returns += infos["episode"]["r"][finished].tolist()
                lengths += infos["episode"]["l"][finished].tolist()
            self._autoreset = terminated | truncated
            self._obs = next_obs_t
        with torch.no_grad():
            next_value = agent.get_value(self._obs).flatten()
        return Rollout(obs, actions, logprobs, values, rewards, dones, valid, next_value,
                       muscle_tuples=self.env.collect_muscle_tuples(),
                       episodes={"return": returns, "length": lengths},
                       info_means={k: v / max(valid_count, 1) for k, v in info_sum.items()})
