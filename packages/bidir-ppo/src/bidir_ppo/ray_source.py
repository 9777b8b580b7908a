"""``rollout=ray``: the rollouts of one iteration collected by Ray actors, on one machine or a cluster.

Each worker is an actor that owns a ``BatchEnv`` of ``ray.envs_per_worker`` envs and a CPU copy of the
policy, and collects its whole chunk (num_steps x its envs) locally. Per iteration the learner puts the
policy and muscle-network weights in the object store once, every worker reads them from its node's store,
and the learner gathers the chunks and joins them (``rollout.concat``) into the rollout the PPO code sees.

Determinism: worker w owns the envs ``w * envs_per_worker + j``, seeded seed + that index exactly as
``rollout=local`` seeds its envs, and samples its actions from a generator seeded from (the last restart
seed, the collections since, w). Nothing depends on the node a worker lands on, so the same seed and
layout give the same run, and a resumed run (which restarts the envs as the original run did at its
checkpoint) continues it exactly.

Faults: a worker whose process dies (SIGKILL, a lost node) is replaced by a new actor, whose envs start
afresh, and collects the iteration's chunk again; the event goes to the console and to the metrics
(``ray/worker_restarts``). After ``ray.max_retries`` failed tries for one chunk ``RolloutFailed`` stops the
run (the trainer saves a checkpoint first).
"""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from bidir_sim import BatchEnv

from .agent import Agent, has_obs_norm
from .rollout import TENSORS, BatchEnvSource, Rollout, RolloutStats, concat

RAY_MISSING = ("rollout=ray needs Ray, which is not installed: pip install 'bidir-ppo[ray]' "
               "(or: conda install -c conda-forge ray-core)")


class RolloutFailed(RuntimeError):
    """Rollout workers could not be brought back; the run stops (with a checkpoint)."""


def import_ray():
    try:
        import ray
    except ImportError:
        raise ValueError(f"config key 'rollout': {RAY_MISSING}") from None
    return ray


def derived_seed(*words: int) -> int:
    """A 63-bit seed that depends on every word (numpy's SeedSequence hashing)."""
    return int(np.random.SeedSequence([int(w) for w in words]).generate_state(1, np.uint64)[0] >> np.uint64(1))


class RolloutWorker:
    """One Ray actor: a BatchEnv of envs [first_env, first_env + num_envs) and a CPU copy of the policy."""

    def __init__(self, env_name: str, first_env: int, num_envs: int, threads: int | None, seed: int,
                 hidden: list[int]):
        import ray

        torch.set_num_threads(1)  # the policy forward; the envs' C++ threads set libtorch's own count
        if threads is None:
            threads = max(1, round(ray.get_runtime_context().get_assigned_resources().get("CPU", 1.0)))
        self.first_env = first_env
        self.node = ray.get_runtime_context().get_node_id()
        env = BatchEnv(env_name, num_envs=num_envs, num_threads=threads, seed=seed + first_env)
        self.source = BatchEnvSource(env, seed + first_env, torch.device("cpu"))
        self.hidden, self.agent = list(hidden), None

    def describe(self) -> dict:
        return {"pid": os.getpid(), "node": self.node, "threads": self.source.env.num_threads,
                "observation_dim": self.source.observation_dim, "action_dim": self.source.action_dim}

    def collect(self, weights: dict, sample_seed: int, restart_seed: int | None,
                num_steps: int) -> tuple[Rollout, RolloutStats]:
        if restart_seed is not None:
            self.source.restart(restart_seed + self.first_env)
        if self.agent is None:  # built from the first weights: they say whether it normalises observations
            self.agent = Agent(self.source.observation_dim, self.source.action_dim, self.hidden,
                               torch.zeros(self.source.action_dim), obs_norm=has_obs_norm(weights["agent"]))
        self.agent.load_state_dict(weights["agent"])
        self.source.set_muscle_weights(weights["muscle"])
        self.source.set_assist_scale(weights["assist"])
        torch.manual_seed(sample_seed)
        start = time.perf_counter()
        with torch.no_grad():
            rollout, stats = self.source.collect(self.agent, num_steps)
        stats.source_metrics = {"collect_s": time.perf_counter() - start}
        return rollout, stats


def connect(address: str | None, connect_timeout_s: float) -> bool:
    """Joins (or starts) Ray; True when this call did, so that ``close`` leaves it again."""
    ray = import_ray()
    if ray.is_initialized():  # the caller's own Ray session (a notebook, a test)
        return False
    if address is None:
        ray.init(address="local", include_dashboard=False)
        return True
    resolved = _auto_address() if address == "auto" else address
    host, _, port = resolved.rpartition(":")
    try:  # Ray itself retries an unreachable address for minutes
        socket.create_connection((host, int(port)), timeout=connect_timeout_s).close()
    except (OSError, ValueError) as e:
        raise ValueError(f"config key 'ray.address': no Ray head answers at {resolved} within "
                         f"ray.connect_timeout_s={connect_timeout_s:g} s ({e})") from None
    ray.init(address=resolved)
    return True


def _auto_address() -> str:
    """What Ray's address=auto means: $RAY_ADDRESS, else the cluster `ray start` left on this node."""
    if os.environ.get("RAY_ADDRESS"):
        return os.environ["RAY_ADDRESS"]
    current = Path("/tmp/ray/ray_current_cluster")
    if current.is_file() and current.read_text().strip():
        return current.read_text().strip()
    raise ValueError("config key 'ray.address': auto found no Ray cluster on this node (no $RAY_ADDRESS, no "
                     f"{current}); start one with `ray start --head`, give its host:port, or use "
                     "ray.address=null to start Ray here")


class RaySource:
    """A RolloutSource of ``ray.workers`` RolloutWorker actors (see the module docstring)."""

    worker_class = RolloutWorker  # learner=distributed's workers learn too (distributed.py)

    def __init__(self, env_name: str, cfg, hidden: list[int], seed: int, device: torch.device,
                 log: Callable[[str], None] = print):
        self.ray = import_ray()
        self.cfg, self.device, self.log = cfg, device, log
        self.env_name, self.hidden, self.seed = env_name, list(hidden), seed
        self.num_envs = cfg.workers * cfg.envs_per_worker
        self.restarts = 0
        self.workers: list = [None] * cfg.workers
        self.info: list[dict] = [{}] * cfg.workers
        self._owns_ray = False
        self._owns_ray = connect(cfg.address, cfg.connect_timeout_s)
        self._actor = self.ray.remote(self.worker_class)
        try:
            self._place(list(range(cfg.workers)))
        except BaseException:
            self.close()
            raise
        dims = {(i["observation_dim"], i["action_dim"]) for i in self.info}
        (self.observation_dim, self.action_dim), = dims
        self._muscle: dict[str, torch.Tensor] = {}
        self._assist = 0.0
        self.restart(seed)
        nodes = len({i["node"] for i in self.info})
        log(f"ray: {cfg.workers} workers x {cfg.envs_per_worker} envs on {nodes} node(s), "
            f"{self.info[0]['threads']} thread(s) each")

    def _spawn(self, index: int):
        c = self.cfg
        actor = self._actor.options(
            num_cpus=c.cpus_per_worker, max_restarts=0, max_task_retries=0, scheduling_strategy="SPREAD")
        return actor.remote(self.env_name, index * c.envs_per_worker, c.envs_per_worker, c.threads_per_worker,
                            self.seed, self.hidden)

    def _place(self, indices: list[int]) -> None:
        """Starts workers ``indices`` and waits (bounded) until each is up."""
        ray, c = self.ray, self.cfg
        need = len(indices) * c.cpus_per_worker
        total = ray.cluster_resources().get("CPU", 0.0)
        if need > ray.available_resources().get("CPU", 0.0):
            self.log(f"ray: waiting up to {c.placement_timeout_s:g} s for {need:g} CPUs "
                     f"(the cluster has {total:g} in all)")
        for i in indices:
            self.workers[i] = self._spawn(i)
        calls = {self.workers[i].describe.remote(): i for i in indices}
        ready, pending = ray.wait(list(calls), num_returns=len(calls), timeout=c.placement_timeout_s)
        if pending:
            free = ray.available_resources().get("CPU", 0.0)
            raise ValueError(f"config key 'ray.workers': {len(ready)} of {len(calls)} workers were placed within "
                             f"ray.placement_timeout_s={c.placement_timeout_s:g} s: they need {len(calls)} x "
                             f"ray.cpus_per_worker={c.cpus_per_worker:g} CPUs, the cluster has {total:g} "
                             f"({free:g} free)")
        for ref in ready:
            try:
                self.info[calls[ref]] = ray.get(ref)
            except self.ray.exceptions.RayActorError as e:
                raise RolloutFailed(f"ray: worker {calls[ref]} could not start: {_cause(e)}") from None

    def restart(self, seed: int) -> None:
        self._restart_seed, self._collections = seed, 0
        self._restart_pending = set(range(len(self.workers)))

    def set_muscle_weights(self, state_dict) -> None:
        self._muscle = {k: v.detach().cpu() for k, v in state_dict.items()}

    def set_assist_scale(self, scale: float) -> None:
        self._assist = float(scale)

    def collect(self, agent, num_steps: int) -> tuple[Rollout, RolloutStats]:
        ray, start = self.ray, time.perf_counter()
        weights = {"agent": {k: v.detach().cpu() for k, v in agent.state_dict().items()}, "muscle": self._muscle,
                   "assist": self._assist}
        shared = ray.put(weights)  # one copy per node's object store, read by every worker there
        t_put = time.perf_counter() - start
        seeds = [derived_seed(self._restart_seed, self._collections, i) for i in range(len(self.workers))]

        def call(i: int, restart_seed: int | None):
            return self.workers[i].collect.remote(shared, seeds[i], restart_seed, num_steps)

        calls = {call(i, self._restart_seed if i in self._restart_pending else None): i
                 for i in range(len(self.workers))}
        parts, failures = {}, [0] * len(self.workers)
        while calls:
            (ref,), _ = ray.wait(list(calls), num_returns=1)
            i = calls.pop(ref)
            try:
                parts[i] = ray.get(ref)
            except (ray.exceptions.RayActorError, ray.exceptions.ActorUnavailableError) as e:
                failures[i] += 1
                self._replace(i, failures[i], e)
                # the new actor's envs start afresh, from a seed of their own
                calls[call(i, derived_seed(self._restart_seed, self._collections, i, failures[i]))] = i
        t_gather = time.perf_counter() - start - t_put
        self._restart_pending.clear()
        self._collections += 1
        t0 = time.perf_counter()
        rollout, stats = concat([parts[i] for i in range(len(parts))])
        rollout = rollout.to(self.device)
        stats.source_metrics = {
            "ray/worker_restarts": self.restarts, "ray/nodes": len({i["node"] for i in self.info}),
            "ray/put_s": t_put, "ray/gather_s": t_gather, "ray/concat_s": time.perf_counter() - t0,
            "ray/worker_collect_s": max(s.source_metrics["collect_s"] for _, s in parts.values()),
            "ray/weights_bytes": _tensor_bytes(weights["agent"]) + _tensor_bytes(weights["muscle"]),
            "ray/chunk_bytes": sum(_tensor_bytes({k: getattr(r, k) for k in TENSORS}) for r, _ in parts.values())
            + sum(_tensor_bytes(r.muscle_tuples) for r, _ in parts.values())}
        return rollout, stats

    def _replace(self, i: int, tries: int, error: Exception) -> None:
        """A new actor in place of dead worker ``i``."""
        self.restarts += 1
        lost = self.info[i]
        why = type(error).__name__
        self.log(f"ray: worker {i} (pid {lost.get('pid')}) died during a rollout ({why}); "
                 f"replacing it, try {tries} of {self.cfg.max_retries}")
        if tries > self.cfg.max_retries:
            raise RolloutFailed(f"ray: worker {i} failed {tries} times in one iteration (ray.max_retries="
                                f"{self.cfg.max_retries}); last error: {why}: {str(error).splitlines()[0]}")
        self.ray.kill(self.workers[i], no_restart=True)
        try:
            self._place([i])
        except ValueError as e:
            raise RolloutFailed(f"ray: worker {i} could not be replaced: {e}") from None

    def close(self) -> None:
        for w in self.workers:
            if w is not None:
                self.ray.kill(w, no_restart=True)
        self.workers = [None] * len(self.workers)
        if self._owns_ray and self.ray.is_initialized():
            self.ray.shutdown()
        self._owns_ray = False


def _cause(error: Exception) -> str:
    """The telling line of an actor's error: Ray's message holds the remote traceback (with terminal colour
    codes); its last line is the exception raised in the worker, e.g. BatchEnv's memory refusal."""
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in str(error).splitlines()]
    lines = [line for line in lines if line]
    return lines[-1] if lines else type(error).__name__


def _tensor_bytes(tensors: dict) -> int:
    return sum(v.nbytes if isinstance(v, np.ndarray) else v.numel() * v.element_size() for v in tensors.values())
