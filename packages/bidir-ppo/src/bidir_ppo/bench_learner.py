"""``python -m bidir_ppo.bench_learner``: learner=central against learner=distributed, end to end, and the
all-reduce's cost.

Both are real training runs (``bidir_ppo.train.train``) of the same task, layout and seed under
rollout=ray: ``--workers`` workers x 1 CPU on a Ray started here (or ``--address``), ``--envs`` envs x
``--steps`` control steps per iteration, the default policy and PPO settings except ``ppo.target_kl=null``
(every epoch runs: a fixed amount of learning per iteration). The first iteration of each is a warm-up; the
figures are medians over the others: env-steps/s end to end (``sps``), the learner's time per sample (central:
PPO and muscle update over the whole batch; distributed: per worker over its shard, all-reduces excluded),
and for learner=distributed the all-reduces per iteration and per minibatch step (count, bytes, ms).
docs/cluster.md projects these to 16 and 64 nodes with the ring all-reduce cost model.

Ray must stay on loopback on the project's machines, so run it in a private network namespace:
    unshare -n bash -c 'ip link set lo up; python -m bidir_ppo.bench_learner --json out.json'
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from bidir_sim.arguments import Bounded, output_file
from bidir_sim.io_util import atomic_write_text
from hydra import compose, initialize

from .ray_source import import_ray
from .train import train


def _run(learner: str, args, run_dir: Path) -> list[dict]:
    overrides = [f"env={args.env}", "rollout=ray", f"learner={learner}", f"ray.workers={args.workers}",
                 f"envs={args.envs}", f"ppo.num_steps={args.steps}", "ppo.target_kl=null", "wandb.mode=disabled",
                 f"total_steps={args.envs * args.steps * (args.iterations + 1)}", "checkpoint_every=1000000",
                 "ray.cpus_per_worker=1", "ray.threads_per_worker=1", "seed=0"]
    if args.address:
        overrides.append(f"ray.address={args.address}")
    with initialize(version_base=None):
        cfg = compose(config_name="train", overrides=overrides)
    train(cfg, run_dir)
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return rows[1:]  # the first: warm-up


def _median(rows: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def summarise(central: list[dict], distributed: list[dict], args) -> dict:
    samples = args.envs * args.steps  # env-steps; the learner's samples are the valid ones among them
    c_learn = statistics.median((r["time/ppo"] + r["time/muscle"]) / samples for r in central)
    d = distributed
    steps = _median(d, "ddp/steps")
    return {
        "benchmark": "bidir_ppo.bench_learner", "env": args.env, "envs": args.envs, "steps": args.steps,
        "workers": args.workers, "iterations": args.iterations, "cores": os.cpu_count(),
        "machine": platform.machine(), "python": platform.python_version(), "torch": torch.__version__,
        "ray": import_ray().__version__, "date": time.strftime("%Y-%m-%d"),
        "central": {"env_steps_per_s": _median(central, "sps"), "learner_us_per_env_step": 1e6 * c_learn,
                    "iterations": central},
        "distributed": {
            "env_steps_per_s": _median(d, "sps"),
            "learner_us_per_sample_per_worker": 1e6 * _median(d, "ddp/learn_s_per_sample"),
            "allreduce_per_iteration": {"calls": _median(d, "ddp/allreduces"), "bytes": _median(d, "ddp/allreduce_bytes"),
                                        "ms": 1e3 * _median(d, "ddp/allreduce_s")},
            "allreduce_per_minibatch_step": {"steps": steps, "bytes": _median(d, "ddp/step_bytes") / steps,
                                             "ms": 1e3 * _median(d, "ddp/step_allreduce_s") / steps},
            "iterations": d},
        "distributed_over_central": _median(d, "sps") / _median(central, "sps")}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bidir_ppo.bench_learner", description=__doc__.split("\n\n")[0])
    p.add_argument("--env", default="A2_sep")
    p.add_argument("--envs", type=Bounded(int, 1, 4096), default=32, help="envs in all (1 to 4096)")
    p.add_argument("--steps", type=Bounded(int, 1, 100_000), default=128,
                   help="control steps per env per iteration (1 to 100000)")
    p.add_argument("--workers", type=Bounded(int, 1, 256), default=2, help="Ray workers of 1 CPU (1 to 256)")
    p.add_argument("--iterations", type=Bounded(int, 1, 1000), default=4,
                   help="timed iterations of each, after a warm-up (1 to 1000)")
    p.add_argument("--address", default=None, help="a Ray cluster's host:port (default: start Ray here)")
    p.add_argument("--json", type=output_file, help="also write the result here")
    args = p.parse_args(argv)
    if args.envs % args.workers:
        p.error(f"--envs {args.envs} must split evenly over --workers {args.workers}")
    try:
        with tempfile.TemporaryDirectory(prefix="bench-learner-") as tmp:
            central = _run("central", args, Path(tmp) / "central")
            distributed = _run("distributed", args, Path(tmp) / "distributed")
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    result = summarise(central, distributed, args)
    c, d = result["central"], result["distributed"]
    per_it, per_step = d["allreduce_per_iteration"], d["allreduce_per_minibatch_step"]
    print(f"\nlearner=central: {c['env_steps_per_s']:.1f} env-steps/s; learner {c['learner_us_per_env_step']:.0f} us "
          f"per env-step")
    print(f"learner=distributed ({args.workers} workers): {d['env_steps_per_s']:.1f} env-steps/s = "
          f"{100 * result['distributed_over_central']:.1f} % of central; learner "
          f"{d['learner_us_per_sample_per_worker']:.0f} us per sample per worker")
    print(f"all-reduces per iteration: {per_it['calls']:.0f}, {per_it['bytes'] / 1e6:.2f} MB, {per_it['ms']:.1f} ms; "
          f"per minibatch step (gradients): {per_step['bytes'] / 1e6:.3f} MB, {per_step['ms']:.2f} ms")
    if args.json:
        atomic_write_text(args.json, json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
