"""The policy: CleanRL's continuous-action actor-critic with a state-independent log-std, optionally behind
a running normalisation of the observations."""

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


class RunningNorm(nn.Module):
    """(x - mean) / sqrt(var + eps), clipped to +-clip, with the running mean and variance of every batch
    given to ``update`` (Chan et al.'s parallel update, in float64). The statistics are buffers: they are
    in agent.pt, reach the Ray workers with the weights, and evaluate and the viewer use them as trained."""

    def __init__(self, dim: int, clip: float = 10.0, eps: float = 1e-8):
        super().__init__()
        self.clip, self.eps = clip, eps
        self.register_buffer("mean", torch.zeros(dim, dtype=torch.float64))
        self.register_buffer("var", torch.ones(dim, dtype=torch.float64))
        self.register_buffer("count", torch.zeros((), dtype=torch.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = (x.double() - self.mean) / torch.sqrt(self.var + self.eps)
        return z.clamp(-self.clip, self.clip).to(x.dtype)

    @torch.no_grad()
    def update(self, x: torch.Tensor) -> None:
        x = x.double().reshape(-1, self.mean.shape[0])
        n = x.shape[0]
        if n == 0:
            return
        self.merge(x.mean(0), x.var(0, unbiased=False), n)

    @torch.no_grad()
    def merge(self, mean: torch.Tensor, var: torch.Tensor, n: float) -> None:
        """Joins the statistics (mean, population variance, count) of a batch of n observations."""
        total = self.count + n
        delta = mean - self.mean
        self.var.copy_((self.var * self.count + var * n + delta**2 * self.count * n / total) / total)
        self.mean.add_(delta * n / total)
        self.count.copy_(total)


def has_obs_norm(state_dict: dict) -> bool:
    """Whether an Agent's state_dict (agent.pt, the weights a Ray worker receives) holds observation
    statistics, i.e. was trained with model.obs_norm: the one place this is decided."""
    return "obs_norm.mean" in state_dict


class Agent(nn.Module):
    def __init__(self, obs_dim: int, act_dim: int, hidden: list[int], log_std: torch.Tensor, obs_norm: bool = False):
        super().__init__()
        self.obs_norm = RunningNorm(obs_dim) if obs_norm else None
        self.critic = mlp(obs_dim, hidden, 1, out_std=1.0)
        self.actor_mean = mlp(obs_dim, hidden, act_dim, out_std=0.01)
        self.actor_logstd = nn.Parameter(log_std.reshape(1, act_dim).clone().float())

    def normalise(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.obs_norm is None else self.obs_norm(x)

    def get_value(self, x: torch.Tensor) -> torch.Tensor:
        return self.critic(self.normalise(x))

    def mean_action(self, x: torch.Tensor) -> torch.Tensor:
        return self.actor_mean(self.normalise(x))

    def get_action_and_value(self, x: torch.Tensor, action: torch.Tensor | None = None):
        x = self.normalise(x)
        mean = self.actor_mean(x)
        dist = Normal(mean, self.actor_logstd.expand_as(mean).exp())
        if action is None:
            action = dist.sample()
        return action, dist.log_prob(action).sum(1), dist.entropy().sum(1), self.critic(x)


def initial_log_std(task, model) -> torch.Tensor:
    """Per action dim of a bidir_sim Task, from a ModelConfig: ``log_std_legs`` for the joint entries of the
    leg DoFs (those with a foot below them: hips, knees, ankles, toes), ``log_std_rest`` for the other
    joint entries, ``log_std_muscles`` for the activations (actuator muscle), ``log_std_time_warp`` for
    the time warp (the last entry, when the task has one)."""
    upper = set(task.upper_dofs)  # DoFs (full indexing) of bodies with no foot below them
    joints = [model.log_std_rest if d in upper else model.log_std_legs for d in task.action_dofs]
    activations = task.action_dim - len(joints) - int(task.has_time_warp)
    warp = [model.log_std_time_warp] if task.has_time_warp else []
    return torch.tensor(joints + [model.log_std_muscles] * activations + warp)
