"""Generalised advantage estimation (Schulman et al. 2016) over a rollout in gymnasium's NEXT_STEP autoreset
mode, with the truncation bootstrap explicit: a terminated step looks no further than its reward, a truncated
step (the horizon cut the episode; its state is not terminal) bootstraps from the value of its final
observation, and no advantage runs across an episode's end into the next episode."""

from __future__ import annotations

import torch


def compute_gae(rewards: torch.Tensor, values: torch.Tensor, terminations: torch.Tensor, truncations: torch.Tensor,
                bootstrap_values: torch.Tensor, next_value: torch.Tensor, gamma: float,
                lam: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Advantages and returns (advantages + values), each (T, N). ``rewards``, ``values``, ``terminations``,
    ``truncations`` (1.0 or 0.0) and ``bootstrap_values`` (V of the final observation where a step was
    truncated; read only there) are (T, N); ``next_value`` (N,) is V of the observation after the last step.

    The advantage of an autoreset step (the step after an episode's end, whose action the env ignored) is
    computed like any other but means nothing: the caller masks it out."""
    T = rewards.shape[0]
    advantages = torch.zeros_like(rewards)
    last = torch.zeros_like(next_value)
    for t in reversed(range(T)):
        following = next_value if t == T - 1 else values[t + 1]  # V of the observation after step t, or, where
        following = torch.where(truncations[t].bool(), bootstrap_values[t], following)  # cut, of the final one
        delta = rewards[t] + gamma * following * (1.0 - terminations[t]) - values[t]
        not_done = 1.0 - torch.maximum(terminations[t], truncations[t])
        last = delta + gamma * lam * not_done * last
        advantages[t] = last
    return advantages, advantages + values
