"""The data-parallel pieces of ``learner=distributed``: how one worker's data is its shard of the global batch,
and the all-reduces that make its update the central one (``torch.distributed``, any backend).

The global batch is what ``rollout=ray`` with ``learner=central`` joins: the valid transitions in the order
(step, worker, env), and the muscle tuples worker by worker. Every worker draws the same global permutation
(their generators are identical), so each minibatch is the same set of global indices everywhere; a worker
computes the loss terms of the indices it holds, as sums divided by the global minibatch size, and the summed
gradients are then the gradient of the central minibatch loss. The advantage normalisation uses the
minibatch's global mean and standard deviation, and the logged statistics are summed with the gradients (one
all-reduce per minibatch step, plus two scalars for the advantages).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable

import torch
import torch.distributed as dist


class Traffic:
    """All-reduces of this process: count, bytes and wall time since the last ``reset`` (the benchmark's and
    the metrics' ``ddp/*``). Collectives run on ``device`` (CUDA under NCCL, else the CPU)."""

    def __init__(self, device: torch.device | None = None):
        self.device = device or torch.device("cpu")
        self.reset()

    def reset(self) -> None:
        self.calls, self.bytes, self.seconds = 0, 0, 0.0
        self.steps, self.step_bytes, self.step_seconds = 0, 0, 0.0  # of the gradients' all-reduces alone

    def all_reduce(self, tensor: torch.Tensor) -> torch.Tensor:
        start = time.perf_counter()
        on_device = tensor.to(self.device)
        dist.all_reduce(on_device, op=dist.ReduceOp.SUM)
        if on_device is not tensor:
            tensor.copy_(on_device)
        self.seconds += time.perf_counter() - start
        self.calls += 1
        self.bytes += tensor.numel() * tensor.element_size()
        return tensor

    def all_gather(self, tensor: torch.Tensor) -> list[torch.Tensor]:
        start = time.perf_counter()
        tensor = tensor.to(self.device)
        parts = [torch.empty_like(tensor) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, tensor)
        parts = [p.cpu() for p in parts]
        self.seconds += time.perf_counter() - start
        self.calls += 1
        self.bytes += tensor.numel() * tensor.element_size() * len(parts)
        return parts


class Shard:
    """This worker's part of a global batch: ``owner[g]`` is the worker that holds global element g and
    ``local_of[g]`` its index there."""

    def __init__(self, owner: torch.Tensor, local_of: torch.Tensor, traffic: Traffic):
        self.owner, self.local_of, self.traffic = owner, local_of, traffic
        self.rank = dist.get_rank()
        self.total = len(owner)

    @classmethod
    def of_transitions(cls, valid: torch.Tensor, traffic: Traffic) -> Shard:
        """The valid transitions of a (T, envs) chunk, in the flat order of the joined (T, all envs) rollout."""
        masks = traffic.all_gather(valid.detach().to("cpu", torch.float32).contiguous())
        joined = torch.stack(masks, dim=1).bool()  # (T, workers, envs): the joined rollout's env axis
        owner = torch.arange(len(masks)).view(1, -1, 1).expand_as(joined)[joined]
        return cls(owner, _rank_within_owner(owner, len(masks)), traffic)

    @classmethod
    def of_tuples(cls, count: int, traffic: Traffic) -> Shard:
        """``count`` muscle tuples here, joined worker after worker."""
        counts = traffic.all_gather(torch.tensor([count], dtype=torch.int64))
        owner = torch.cat([torch.full((int(c),), w, dtype=torch.int64) for w, c in enumerate(counts)])
        return cls(owner, _rank_within_owner(owner, len(counts)), traffic)

    def local(self, idx: torch.Tensor) -> torch.Tensor:
        """The local indices of the global indices ``idx`` held here, in ``idx``'s order."""
        g = idx.cpu()
        return self.local_of[g[self.owner[g] == self.rank]].to(idx.device)

    def mean_of(self, size: int):
        """A mean over a global minibatch of ``size`` elements, as this worker's share: the sum of its
        elements divided by the global count (every trailing dimension averaged too)."""
        return lambda x: x.sum() / (size * math.prod(x.shape[1:]))

    def normalise(self, adv: torch.Tensor, size: int) -> torch.Tensor:
        """(adv - mean) / (std + 1e-8) with the global minibatch's mean and (unbiased) standard deviation."""
        mean = self.traffic.all_reduce(adv.sum().reshape(1))[0] / size
        var = self.traffic.all_reduce(((adv - mean) ** 2).sum().reshape(1))[0] / (size - 1)
        return (adv - mean) / (var.sqrt() + 1e-8)

    def sum(self, values: torch.Tensor) -> torch.Tensor:
        return self.traffic.all_reduce(values.detach().clone())

    def reduce_grads(self, params: Iterable[torch.nn.Parameter], logged: torch.Tensor) -> torch.Tensor:
        """Sums the gradients (each worker's share of the minibatch mean) and ``logged`` over the workers, in
        one all-reduce; returns the summed ``logged``."""
        params = list(params)
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
        flat = torch.cat([g.reshape(-1) for g in grads] + [logged.detach().to(grads[0].dtype).reshape(-1)])
        before = self.traffic.seconds
        self.traffic.all_reduce(flat)
        self.traffic.steps += 1
        self.traffic.step_bytes += flat.numel() * flat.element_size()
        self.traffic.step_seconds += self.traffic.seconds - before
        offset = 0
        for p in params:
            n = p.numel()
            p.grad = flat[offset:offset + n].view_as(p).clone()
            offset += n
        return flat[offset:]


def _rank_within_owner(owner: torch.Tensor, workers: int) -> torch.Tensor:
    """Within one worker the global order keeps the local order, so an element's local index is how many
    elements of the same owner precede it."""
    local_of = torch.empty_like(owner)
    for w in range(workers):
        mine = owner == w
        local_of[mine] = torch.arange(int(mine.sum()))
    return local_of


@torch.no_grad()
def merge_obs_stats(obs_norm, obs: torch.Tensor, traffic: Traffic) -> None:
    """The iteration's observation statistics of every worker into ``obs_norm``: each worker's (count, mean,
    sum of squared deviations) gathered, and joined with Chan et al.'s exact parallel formulas."""
    x = obs.double().reshape(-1, obs_norm.mean.shape[0]).cpu()
    n = x.shape[0]
    mean = x.mean(0) if n else torch.zeros(x.shape[1], dtype=torch.float64)
    m2 = ((x - mean) ** 2).sum(0)
    parts = traffic.all_gather(torch.cat([torch.tensor([float(n)], dtype=torch.float64), mean, m2]))
    counts = torch.stack([p[0] for p in parts])
    total = counts.sum()
    if total == 0:
        return
    means = torch.stack([p[1:1 + x.shape[1]] for p in parts])
    joined_mean = (counts[:, None] * means).sum(0) / total
    joined_m2 = torch.stack([p[1 + x.shape[1]:] for p in parts]).sum(0) + \
        (counts[:, None] * (means - joined_mean) ** 2).sum(0)
    device = obs_norm.mean.device
    obs_norm.merge(joined_mean.to(device), (joined_m2 / total).to(device), float(total))
