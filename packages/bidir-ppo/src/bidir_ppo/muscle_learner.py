"""The supervised muscle learner: fits the muscle network so that the muscles' torques JtA·a match the
desired torques tau_des of the tuples the environments recorded (reference-system.md §4.4)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


class MuscleNet(nn.Module):
    """Linear(in, 256) → LeakyReLU(0.2) → 256 → 256 → M; keys fc.0/2/4/6 like the C++ network's, and the
    same input scale (the task's). Build one for a task with ``MuscleNet.for_task(task)``."""

    def __init__(self, input_dim: int, num_muscles: int, input_scale: float, hidden=(256, 256, 256)):
        super().__init__()
        self.input_scale = float(input_scale)
        layers, width = [], input_dim
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(0.2)]
            width = h
        layers.append(nn.Linear(width, num_muscles))
        self.fc = nn.Sequential(*layers)
        for m in self.fc:
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    @classmethod
    def for_task(cls, task) -> MuscleNet:
        """Sized and scaled from a bidir_sim Task, the one place these are defined."""
        return cls(task.network_input_dim, task.compiled.num_muscles, task.network_input_scale)

    def forward(self, jta_reduced: torch.Tensor, tau_des: torch.Tensor):
        """Returns (activations in [0, 1], raw output)."""
        raw = self.fc(torch.cat([jta_reduced, tau_des], dim=1) * self.input_scale)
        return torch.relu(torch.tanh(raw)), raw


class MuscleLearner:
    def __init__(self, task, cfg, device: torch.device):
        self.cfg, self.device = cfg, device
        self.net = MuscleNet.for_task(task).to(device)
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=cfg.learning_rate)

    def loss(self, tau_des, jta_reduced, jta, mean=torch.mean):
        a, raw = self.net(jta_reduced, tau_des)
        tau = torch.bmm(jta, a.unsqueeze(2)).squeeze(2)
        target = mean(((tau - tau_des) / self.cfg.torque_scale) ** 2)
        loss = target + self.cfg.activation_weight * mean(a ** 2) + self.cfg.raw_weight * mean(raw ** 2)
        return loss, target

    def update(self, tuples: dict[str, np.ndarray], generator: torch.Generator, shard=None) -> dict[str, float]:
        """Some epochs of minibatch Adam over the tuples (shuffled, the last partial batch dropped). With
        ``shard`` (an ``allreduce.Shard``, learner=distributed) ``tuples`` are this worker's part of the global
        set and every step is the global minibatch's (allreduce.py)."""
        data = [torch.as_tensor(tuples[k], device=self.device) for k in ("tau_des", "JtA_reduced", "JtA")]
        n, size = len(data[0]) if shard is None else shard.total, self.cfg.minibatch_size
        if n == 0:  # no tuples (skeleton.actuator: pd without muscle.learn_under_pd): nothing to learn from
            return {}
        losses, targets = [], []
        for _ in range(self.cfg.epochs):
            order = torch.randperm(n, generator=generator).to(self.device)
            for start in range(0, n - size + 1, size):
                idx = order[start:start + size]
                mean = torch.mean if shard is None else shard.mean_of(size)
                if shard is not None:
                    idx = shard.local(idx)
                loss, target = self.loss(*(d[idx] for d in data), mean=mean)
                self.optimizer.zero_grad()
                loss.backward()
                logged = torch.stack([loss, target]).detach()
                if shard is not None:  # the gradient and the logged losses of the whole minibatch
                    logged = shard.reduce_grads(self.net.parameters(), logged)
                for p in self.net.parameters():
                    p.grad.clamp_(-self.cfg.grad_clamp, self.cfg.grad_clamp)
                self.optimizer.step()
                losses.append(logged[0].item())
                targets.append(logged[1].item())
        if not losses:  # too few tuples for one minibatch: report the loss without a step
            with torch.no_grad():
                loss, target = self.loss(*data, mean=torch.mean if shard is None else shard.mean_of(n))
                logged = torch.stack([loss, target]) if shard is None else shard.sum(torch.stack([loss, target]))
            losses, targets = [logged[0].item()], [logged[1].item()]
        return {"muscle/loss": float(np.mean(losses)), "muscle/torque_loss": float(np.mean(targets))}

    def cpu_state_dict(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().cpu() for k, v in self.net.state_dict().items()}
