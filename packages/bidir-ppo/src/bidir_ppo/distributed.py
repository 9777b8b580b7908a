"""``learner=distributed`` (with ``rollout=ray``): every Ray worker both collects and learns, DD-PPO style.

Each ``LearnerWorker`` actor owns its envs (as a ``RolloutWorker`` does), a copy of the policy, the muscle
network, both optimizers and the generator that draws the minibatches. Per iteration it collects its chunk,
computes GAE on it, and runs ``ppo_update`` and ``MuscleLearner.update`` on its shard of every global
minibatch; the gradients are summed with ``torch.distributed`` all-reduces (allreduce.py), so every worker
applies the same update and the copies stay identical without a weight broadcast (the driver checks a
checksum of each copy every iteration). The muscle tuples never leave the worker that made them. The
observation statistics are merged across workers once per iteration.

The process group: gloo between the actors (NCCL when every worker has a CUDA device: not tested here). The
rendezvous is a ``TCPStore`` that the driver hosts on its node's address as Ray reports it; each new group
(at start, after a replacement) is a fresh prefix of that store. Why torch.distributed and not Ray's
collective library: its gloo backend needs pygloo, which Ray 2.60 does not ship, and torch's all-reduce is
the one the PPO code's tensors already live in (Ray Train's TorchTrainer does the same).

Faults: a worker that dies while collecting is replaced and its chunk collected again (as rollout=ray does);
one that dies while learning makes the others' all-reduces fail, and then the survivors roll back to the
state they committed after the last iteration, a replacement gets that state and collects its chunk afresh,
the group is re-formed and the learning redone. After ``ray.max_retries`` failures in one iteration
``RolloutFailed`` stops the run with a checkpoint of the last committed state.
"""

from __future__ import annotations

import copy
import datetime
import fcntl
import hashlib
import os
import socket
import struct
import time

import torch
import torch.distributed as dist
from omegaconf import DictConfig

from .agent import Agent, initial_log_std
from .allreduce import Shard, Traffic, merge_obs_stats
from .gae import compute_gae
from .muscle_learner import MuscleLearner
from .ray_source import RaySource, RolloutFailed, RolloutWorker, _cause, derived_seed
from .rollout import BatchEnvSource
from .train import pick_device, ppo_update, torch_threads


class LearnerWorker(RolloutWorker):
    """One Ray actor: a RolloutWorker's envs plus the policy, muscle network and optimizers it trains."""

    def __init__(self, env_name: str, first_env: int, num_envs: int, threads: int | None, seed: int, cfg: DictConfig):
        super().__init__(env_name, first_env, num_envs, threads, seed, list(cfg.model.hidden))
        self.cfg = cfg
        self.device = pick_device(cfg.device)
        if self.device.type != "cpu":  # the GPU path (untested here): the rollout tensors on the learner's device
            self.source = BatchEnvSource(self.source.env, seed + first_env, self.device)
        task = self.source.env.task
        self.agent = Agent(self.source.observation_dim, self.source.action_dim, list(cfg.model.hidden),
                           initial_log_std(task, cfg.model), obs_norm=cfg.model.obs_norm).to(self.device)
        self.optimizer = torch.optim.Adam(self.agent.parameters(), lr=cfg.ppo.learning_rate, eps=cfg.ppo.adam_eps)
        self.muscle = MuscleLearner(task, cfg.muscle, self.device)
        self.generator = torch.Generator()
        self.traffic = Traffic()
        self.rollout, self.committed = None, None

    def node_address(self) -> dict:
        import ray

        return {"ip": ray.util.get_node_ip_address(), "cuda": self.device.type == "cuda"}

    def form_group(self, host: str, port: int, generation: int, rank: int, world: int, backend: str,
                   timeout_s: float) -> None:
        if dist.is_initialized():
            dist.destroy_process_group()
        _bind_gloo(self.node_address()["ip"])
        timeout = datetime.timedelta(seconds=timeout_s)
        store = dist.PrefixStore(f"group{generation}/", dist.TCPStore(host, port, is_master=False, timeout=timeout))
        dist.init_process_group(backend, store=store, rank=rank, world_size=world, timeout=timeout)
        self.traffic = Traffic(self.device if backend == "nccl" else torch.device("cpu"))
        self.traffic.all_reduce(torch.zeros(1))  # returns once every member is in

    def load(self, state: dict) -> None:
        """Takes a whole learner state (``state()``'s form) and commits it. A copy: the optimizer would
        otherwise step the given tensors in place (and Ray's are read-only views of its object store)."""
        state = copy.deepcopy(state)
        self.agent.load_state_dict(state["agent"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.muscle.net.load_state_dict(state["muscle"])
        self.muscle.optimizer.load_state_dict(state["muscle_optimizer"])
        self.generator.set_state(state["generator"])
        self.commit()

    def commit(self) -> None:
        """Keeps the present state as the one to roll back to (the end of a completed iteration)."""
        self.committed = copy.deepcopy({
            "agent": _cpu(self.agent.state_dict()), "optimizer": _cpu(self.optimizer.state_dict()),
            "muscle": self.muscle.cpu_state_dict(), "muscle_optimizer": _cpu(self.muscle.optimizer.state_dict()),
            "generator": self.generator.get_state()})

    def rollback(self) -> None:
        self.load(self.committed)

    def state(self) -> dict:
        return self.committed

    def collect_chunk(self, sample_seed: int, restart_seed: int | None, num_steps: int, assist: float) -> dict:
        """Collects this worker's chunk with the committed policy and keeps it; returns what the driver logs."""
        if restart_seed is not None:
            self.source.restart(restart_seed + self.first_env)
        self.source.set_muscle_weights(self.muscle.cpu_state_dict())
        self.source.set_assist_scale(assist)
        torch.manual_seed(sample_seed)
        start = time.perf_counter()
        with torch.no_grad():
            self.rollout, stats = self.source.collect(self.agent, num_steps)
        return {"stats": stats, "valid": float(self.rollout.valid.sum()), "collect_s": time.perf_counter() - start}

    def learn(self, learning_rate: float) -> dict:
        """GAE on the kept chunk, then the PPO and muscle updates on this worker's shards (not yet committed)."""
        r, p = self.rollout, self.cfg.ppo
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate
        self.traffic.reset()
        with torch_threads(self.source.env.num_threads):
            t0 = time.perf_counter()
            advantages, returns = compute_gae(r.rewards, r.values, r.terminations, r.truncations, r.bootstrap_values,
                                              r.next_value, p.gamma, p.gae_lambda)
            shard = Shard.of_transitions(r.valid, self.traffic)
            stats = ppo_update(self.agent, self.optimizer, r, advantages, returns, p, self.generator, shard)
            if self.agent.obs_norm is not None:  # after the update, which must see the statistics the rollout saw
                merge_obs_stats(self.agent.obs_norm, r.obs[r.valid.bool()], self.traffic)
            t_ppo = time.perf_counter() - t0
            t0 = time.perf_counter()
            count = len(r.muscle_tuples["tau_des"]) if "tau_des" in r.muscle_tuples else 0
            stats |= self.muscle.update(r.muscle_tuples, self.generator, Shard.of_tuples(count, self.traffic))
            t_muscle = time.perf_counter() - t0
        return {"stats": stats, "ppo_s": t_ppo, "muscle_s": t_muscle, "samples": float(r.valid.sum()),
                "tuples": count, "allreduces": self.traffic.calls, "allreduce_bytes": self.traffic.bytes,
                "allreduce_s": self.traffic.seconds, "steps": self.traffic.steps, "step_bytes": self.traffic.step_bytes,
                "step_s": self.traffic.step_seconds, "checksum": self.checksum()}

    def checksum(self) -> str:
        """Of every weight and statistic of the policy and the muscle network: equal on every worker."""
        h = hashlib.sha256()
        for part in (self.agent.state_dict(), self.muscle.net.state_dict()):
            for k, v in part.items():
                h.update(k.encode())
                h.update(v.detach().cpu().contiguous().numpy().tobytes())
        return h.hexdigest()[:16]


def _cpu(tree):
    if isinstance(tree, torch.Tensor):
        return tree.detach().cpu()
    if isinstance(tree, dict):
        return {k: _cpu(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_cpu(v) for v in tree]
    return tree


SIOCGIFADDR = 0x8915  # Linux: an interface's IPv4 address


def _bind_gloo(ip: str) -> None:
    """Gloo's sockets on the interface that holds the node's Ray address (its default follows the hostname,
    which need not resolve to that network). Left to gloo where no interface holds it (e.g. IPv6)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _, name in socket.if_nameindex():
            try:
                packed = fcntl.ioctl(s.fileno(), SIOCGIFADDR, struct.pack("256s", name[:15].encode()))
            except OSError:  # no IPv4 address
                continue
            if socket.inet_ntoa(packed[20:24]) == ip:
                os.environ["GLOO_SOCKET_IFNAME"] = name
                return


class DistributedLearner(RaySource):
    """The driver's side: RaySource's placement, seeds and restarts, with LearnerWorker actors that learn."""

    def __init__(self, cfg: DictConfig, log=print):
        self.train_cfg = cfg
        self.generation, self.group_stale, self.store = 0, True, None
        super().__init__(cfg.env.name, cfg.ray, list(cfg.model.hidden), cfg.seed, torch.device("cpu"), log)

    worker_class = LearnerWorker

    def _spawn(self, index: int):
        c = self.cfg
        actor = self._actor.options(
            num_cpus=c.cpus_per_worker, max_restarts=0, max_task_retries=0, scheduling_strategy="SPREAD")
        return actor.remote(self.env_name, index * c.envs_per_worker, c.envs_per_worker, c.threads_per_worker,
                            self.seed, self.train_cfg)

    def form_group(self, at_start: bool) -> None:
        """A new process group of the present workers (rank = worker index), within ray.placement_timeout_s."""
        ray, c = self.ray, self.cfg
        if self.store is None:
            host = ray.util.get_node_ip_address()
            self.store = dist.TCPStore(host, 0, is_master=True, wait_for_workers=False,
                                       timeout=datetime.timedelta(seconds=c.placement_timeout_s))
            self.store_host = host
        nodes = ray.get([w.node_address.remote() for w in self.workers])
        backend = "nccl" if all(n["cuda"] for n in nodes) else "gloo"
        self.generation += 1
        calls = [w.form_group.remote(self.store_host, self.store.port, self.generation, i, len(self.workers),
                                     backend, c.placement_timeout_s) for i, w in enumerate(self.workers)]
        ready, pending = ray.wait(calls, num_returns=len(calls), timeout=c.placement_timeout_s + 5)
        try:
            ray.get(ready)
        except (ray.exceptions.RayActorError, ray.exceptions.RayTaskError) as e:
            pending = [e]
        if pending:
            message = (f"the {len(calls)} workers did not form a {backend} process group within "
                       f"ray.placement_timeout_s={c.placement_timeout_s:g} s (rendezvous at "
                       f"{self.store_host}:{self.store.port}): {_cause(pending[0]) if ready else 'no answer'}")
            if at_start:
                raise ValueError(f"config key 'learner': {message}")
            raise RolloutFailed(f"ray: {message}")
        self.group_stale, self.backend = False, backend

    def load(self, state: dict) -> None:
        self.ray.get([w.load.remote(state) for w in self.workers])

    def state(self) -> dict:
        """The last committed learner state (every worker holds the same; the first that answers gives it)."""
        for w in self.workers:
            try:
                return self.ray.get(w.state.remote())
            except self.ray.exceptions.RayActorError:
                continue
        raise RolloutFailed("ray: no worker is left to give the learner state")

    def iterate(self, learning_rate: float, assist: float, num_steps: int):
        """One iteration on every worker: collect, learn, commit. Returns (the workers' collect summaries,
        their learn results)."""
        ray = self.ray
        seeds = [derived_seed(self._restart_seed, self._collections, i) for i in range(len(self.workers))]
        failures = [0]

        def collect(i: int, restart_seed: int | None):
            return self.workers[i].collect_chunk.remote(seeds[i], restart_seed, num_steps, assist)

        def replace(i: int, error: Exception, phase: str, state_ref):
            failures[0] += 1
            self.restarts += 1
            self.log(f"ray: worker {i} (pid {self.info[i].get('pid')}) died during {phase} "
                     f"({type(error).__name__}); replacing it, try {failures[0]} of {self.cfg.max_retries}")
            if failures[0] > self.cfg.max_retries:
                raise RolloutFailed(f"ray: workers failed {failures[0]} times in one iteration (ray.max_retries="
                                    f"{self.cfg.max_retries}); last error: {type(error).__name__}: "
                                    f"{str(error).splitlines()[0]}")
            ray.kill(self.workers[i], no_restart=True)
            try:
                self._place([i])
            except ValueError as e:
                raise RolloutFailed(f"ray: worker {i} could not be replaced: {e}") from None
            ray.get(self.workers[i].load.remote(state_ref))
            self.group_stale = True
            # the new actor's envs start afresh, from a seed of their own
            return collect(i, derived_seed(self._restart_seed, self._collections, i, failures[0]))

        state_ref = None
        calls = {collect(i, self._restart_seed if i in self._restart_pending else None): i
                 for i in range(len(self.workers))}
        summaries = {}
        while calls:
            (ref,), _ = ray.wait(list(calls), num_returns=1)
            i = calls.pop(ref)
            try:
                summaries[i] = ray.get(ref)
            except (ray.exceptions.RayActorError, ray.exceptions.ActorUnavailableError) as e:
                state_ref = state_ref or ray.put(self._survivor_state(exclude={i}))
                calls[replace(i, e, "a rollout", state_ref)] = i
        self._restart_pending.clear()
        self._collections += 1
        while True:
            if self.group_stale:
                self.form_group(at_start=False)
            refs = [w.learn.remote(learning_rate) for w in self.workers]
            results, dead, other = {}, {}, None
            for i, ref in enumerate(refs):
                try:
                    results[i] = ray.get(ref)
                except (ray.exceptions.RayActorError, ray.exceptions.ActorUnavailableError) as e:
                    dead[i] = e
                except ray.exceptions.RayTaskError as e:  # a survivor's all-reduce with a dead peer
                    other = other or e
            if not dead and other is None:
                break
            if not dead:
                raise other
            alive = [i for i in range(len(self.workers)) if i not in dead]
            ray.get([self.workers[i].rollback.remote() for i in alive])
            state_ref = ray.put(self._survivor_state(exclude=set(dead)))
            for i, e in dead.items():
                summaries[i] = ray.get(replace(i, e, "learning", state_ref))
            self.group_stale = True
        checksums = {r["checksum"] for r in results.values()}
        if len(checksums) != 1:
            raise RuntimeError(f"learner=distributed: the workers' copies differ after the update ({checksums})")
        ray.get([w.commit.remote() for w in self.workers])
        return [summaries[i] for i in range(len(self.workers))], [results[i] for i in range(len(self.workers))]

    def _survivor_state(self, exclude) -> dict:
        for i, w in enumerate(self.workers):
            if i not in exclude:
                try:
                    return self.ray.get(w.state.remote())
                except self.ray.exceptions.RayActorError:
                    continue
        raise RolloutFailed("ray: every worker died; the learner state is lost since the last checkpoint")

    def close(self) -> None:
        super().close()
        self.store = None
