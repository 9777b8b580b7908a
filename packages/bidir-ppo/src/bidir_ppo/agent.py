"""The policy: CleanRL's continuous-action actor-critic with a state-independent log-std."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.distributions.normal import Normal


def layer_init(layer: nn.Linear, std: float = float(np.sqrt(2)), bias: float = 0.0) -> nn.Linear:
    nn.init.orthogonal_(layer.weight, std)
    nn.init.constant_(layer.bias, bias)
    return layer


def mlp(inputs: int, hidden: list[int], outputs: int, out_std: float) -> nn.Sequential:
    """Linear layers at even indices (0, 2, 4, 6 for three hidden layers): the checkpoint's key names."""
    layers, width = [], inputs
    for h in hidden:
        layers += [layer_init(nn.Linear(width, h)), nn.ReLU()]
        width = h
    layers.append(layer_init(nn.Linear(width, outputs), std=out_std))
    return nn.Sequential(*layers)


class Agent(nn.Module):
    def __init__(self, obs_dim: int, act_dim: int, hidden: list[int], log_std: torch.Tensor):
        super().__init__()
        self.critic = mlp(obs_dim, hidden, 1, out_std=1.0)
        self.actor_mean = mlp(obs_dim, hidden, act_dim, out_std=0.01)
        self.actor_logstd = nn.Parameter(log_std.reshape(1, act_dim).clone().float())

    def get_value(self, x: torch.Tensor) -> torch.Tensor:
        return self.critic(x)

    def get_action_and_value(self, x: torch.Tensor, action: torch.Tensor | None = None):
        mean = self.actor_mean(x)
        dist = Normal(mean, self.actor_logstd.expand_as(mean).exp())
        if action is None:
            action = dist.sample()
        return action, dist.log_prob(action).sum(1), dist.entropy().sum(1), self.critic(x)


def initial_log_std(task, legs: float, rest: float, warp: float) -> torch.Tensor:
    """Per action dim of a bidir_sim Task: ``legs`` for the leg DoFs (those with a foot below them: hips,
    knees, ankles, toes), ``rest`` for the others, ``warp`` for the time-warp action (the last, when the
    task has one)."""
    upper = set(task.upper_dofs)  # DoFs (full indexing) of bodies with no foot below them
    legs_and_rest = [rest if d + 6 in upper else legs for d in range(task.num_actuated_dofs)]
    return torch.tensor(legs_and_rest + ([warp] if task.has_time_warp else []))
