"""``python -m bidir_ppo.bench_rollout``: rollout=local against rollout=ray at equal cores, and Ray's overhead.

Both collect the trainer's rollouts of the same task, policy (the default 512x3 MLP, its initial log-std)
and muscle network: ``--envs`` envs x ``--steps`` control steps per iteration. rollout=local is one BatchEnv
with ``--workers`` C++ threads; rollout=ray is ``--workers`` actors x 1 CPU, each with envs/workers envs and
one thread, on a Ray started here (or ``--address``). Iterations alternate local, ray, local, ... after one
warm-up each, so a drift of the machine hits both alike. Per rollout=ray iteration it splits the wall time
into the workers' own collection (the slowest worker) and the overhead: the weight broadcast (``ray.put``),
the rest of the gather (dispatch, transfer, deserialising) and joining the chunks; and it reports the bytes
of the weights and of the chunks. Last, the learner's PPO and muscle updates on one iteration's batch, which
bound the scaling (docs/cluster.md projects it from these figures).

Ray must stay on loopback on the project's machines, so run it in a private network namespace:
    unshare -n bash -c 'ip link set lo up; python -m bidir_ppo.bench_rollout --json out.json'
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from types import SimpleNamespace

import torch
from bidir_sim import BatchEnv, build_task
from bidir_sim.arguments import Bounded, output_file
from bidir_sim.io_util import atomic_write_text

from .agent import Agent, initial_log_std
from .config import ModelConfig, MuscleConfig, PPOConfig, RayConfig
from .gae import compute_gae
from .muscle_learner import MuscleLearner
from .ray_source import RaySource, import_ray
from .rollout import BatchEnvSource
from .train import ppo_update


def _median(rows: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def run(args) -> dict:
    task = build_task(args.env)
    torch.manual_seed(0)
    model = ModelConfig()
    agent = Agent(task.observation_dim, task.action_dim, list(model.hidden),
                  initial_log_std(task, model))
    muscle = MuscleLearner(task, MuscleConfig(), torch.device("cpu"))
    torch.set_num_threads(1)
    local = BatchEnvSource(BatchEnv(task, num_envs=args.envs, num_threads=args.workers, seed=0), 0,
                           torch.device("cpu"))
    ray_cfg = SimpleNamespace(**{**vars(RayConfig()), "address": args.address, "workers": args.workers,
                                 "envs_per_worker": args.envs // args.workers, "cpus_per_worker": 1.0,
                                 "threads_per_worker": 1})
    ray_source = RaySource(args.env, ray_cfg, list(model.hidden), 0, torch.device("cpu"))
    try:
        for source in (local, ray_source):
            source.set_muscle_weights(muscle.cpu_state_dict())
        rows = {"local": [], "ray": []}
        steps = args.envs * args.steps
        last = None
        for i in range(args.iterations + 1):  # the first of each: warm-up, not counted
            for name, source in (("local", local), ("ray", ray_source)):
                start = time.perf_counter()
                last, stats = source.collect(agent, args.steps)
                wall = time.perf_counter() - start
                row = {"wall_s": wall, "env_steps_per_s": steps / wall, **stats.source_metrics}
                if i:
                    rows[name].append(row)
                print(f"{'warm-up' if not i else f'iteration {i}'} {name:5s}: {steps / wall:7.1f} env-steps/s "
                      f"({wall:.2f} s)", flush=True)
        learner = _learner_time(agent, muscle, last, args.learner_threads)
    finally:
        ray_source.close()
    return summarise(rows, learner, args)


def _learner_time(agent, muscle, rollout, threads: int) -> dict:
    """One PPO update (the default config) and one muscle update on an iteration's batch."""
    torch.set_num_threads(threads)
    ppo = PPOConfig()
    ppo.target_kl = None  # every epoch, as the worst case
    optimizer = torch.optim.Adam(agent.parameters(), lr=ppo.learning_rate, eps=ppo.adam_eps)
    generator = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    advantages, returns = compute_gae(rollout.rewards, rollout.values, rollout.terminations, rollout.truncations,
                                      rollout.bootstrap_values, rollout.next_value, ppo.gamma, ppo.gae_lambda)
    ppo_update(agent, optimizer, rollout, advantages, returns, ppo, generator)
    t_ppo = time.perf_counter() - start
    start = time.perf_counter()
    muscle.update(rollout.muscle_tuples, generator)
    t_muscle = time.perf_counter() - start
    samples = int(rollout.valid.sum())
    return {"threads": threads, "samples": samples, "ppo_s": t_ppo, "muscle_s": t_muscle,
            "us_per_sample": 1e6 * (t_ppo + t_muscle) / samples}


def summarise(rows: dict, learner: dict, args) -> dict:
    ray_rows = rows["ray"]
    local_sps, ray_sps = _median(rows["local"], "env_steps_per_s"), _median(ray_rows, "env_steps_per_s")
    overhead = {
        "put_ms": 1e3 * _median(ray_rows, "ray/put_s"),
        "gather_beyond_collect_ms": 1e3 * statistics.median(r["ray/gather_s"] - r["ray/worker_collect_s"]
                                                            for r in ray_rows),
        "concat_ms": 1e3 * _median(ray_rows, "ray/concat_s"),
        "total_ms": 1e3 * statistics.median(r["wall_s"] - r["ray/worker_collect_s"] for r in ray_rows),
        "weights_bytes": int(ray_rows[0]["ray/weights_bytes"]),
        "chunk_bytes": int(ray_rows[0]["ray/chunk_bytes"]),
        "chunk_bytes_per_env_step": ray_rows[0]["ray/chunk_bytes"] / (args.envs * args.steps),
    }
    return {"benchmark": "bidir_ppo.bench_rollout", "env": args.env, "envs": args.envs, "steps": args.steps,
            "workers": args.workers, "iterations": args.iterations, "cores": os.cpu_count(),
            "machine": platform.machine(), "python": platform.python_version(), "torch": torch.__version__,
            "ray": import_ray().__version__, "date": time.strftime("%Y-%m-%d"),
            "local": {"env_steps_per_s": local_sps, "iterations": rows["local"]},
            "ray_rollout": {"env_steps_per_s": ray_sps, "iterations": ray_rows},
            "ray_over_local": ray_sps / local_sps, "overhead": overhead, "learner": learner}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bidir_ppo.bench_rollout", description=__doc__.split("\n\n")[0])
    p.add_argument("--env", default="A2_sep")
    p.add_argument("--envs", type=Bounded(int, 1, 4096), default=32,
                   help="envs in all (split evenly over the workers; 1 to 4096)")
    p.add_argument("--steps", type=Bounded(int, 1, 100_000), default=128,
                   help="control steps per env per iteration (1 to 100000)")
    p.add_argument("--workers", type=Bounded(int, 1, 256), default=2,
                   help="Ray workers of 1 CPU; rollout=local's threads (1 to 256)")
    p.add_argument("--iterations", type=Bounded(int, 1, 1000), default=5,
                   help="timed iterations of each, after a warm-up (1 to 1000)")
    p.add_argument("--learner-threads", type=Bounded(int, 1, 256), default=os.cpu_count() or 1,
                   help="torch threads of the learner (1 to 256)")
    p.add_argument("--address", default=None, help="a Ray cluster's host:port (default: start Ray here)")
    p.add_argument("--json", type=output_file, help="also write the result here")
    args = p.parse_args(argv)
    if min(args.envs, args.steps, args.workers, args.iterations, args.learner_threads) < 1:
        p.error("--envs, --steps, --workers, --iterations and --learner-threads must be positive")
    if args.envs % args.workers:
        p.error(f"--envs {args.envs} must split evenly over --workers {args.workers}")
    try:
        result = run(args)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    o, learner = result["overhead"], result["learner"]
    print(f"\nrollout=local ({args.workers} threads): {result['local']['env_steps_per_s']:.1f} env-steps/s")
    print(f"rollout=ray ({args.workers} workers x 1 CPU): {result['ray_rollout']['env_steps_per_s']:.1f} env-steps/s "
          f"= {100 * result['ray_over_local']:.1f} % of local")
    print(f"Ray overhead per iteration: {o['total_ms']:.1f} ms (put {o['put_ms']:.1f}, gather beyond the "
          f"workers' collection {o['gather_beyond_collect_ms']:.1f}, join {o['concat_ms']:.1f}); weights "
          f"{o['weights_bytes'] / 1e6:.2f} MB, chunks {o['chunk_bytes'] / 1e6:.2f} MB "
          f"({o['chunk_bytes_per_env_step']:.0f} B per env-step)")
    print(f"learner ({learner['threads']} threads): PPO {learner['ppo_s']:.2f} s + muscle {learner['muscle_s']:.2f} s "
          f"for {learner['samples']} samples = {learner['us_per_sample']:.0f} us per sample")
    if args.json:
        atomic_write_text(args.json, json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
