"""``python -m bidir_sim.bench [--config A2_sep] [--json PATH] [--quick]``: control steps per second of BatchEnv.

Random actions in [-1, 1], a muscle network with loaded (random, Xavier) weights run every substep, episodes
autoreset as in training. For num_envs in {1, 2, 8, 32}, threads in {1, 2} and both network modes (per-env
batch 1; batched in lockstep groups of 4 envs): control steps per second (all envs together), per thread,
milliseconds per env-step and the real-time factor per core; then 32 envs with the network every second
substep (``simulation.inference_per_sim = 2``). Then the network's forward time per env, the wall time of one env-step
split into its parts (one env, one thread), and the env construction time. With ``../shared/fixtures/mass``
(or --mass DIR) the MASS model (284 muscles) runs at the same rates.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from .arguments import output_file
from .batch import BatchEnv
from .capacity import mass_config_text
from .envs.config import load_env_config, parse_env_config
from .io_util import atomic_write_text

NUM_ENVS = (1, 2, 8, 32)
THREADS = (1, 2)
NN_MODES = ("per_env", "batched")
PARTS = ("muscles", "spd", "network", "forces", "dart", "observation")


def default_mass() -> Path:
    """``../shared/fixtures/mass`` beside the repository of a development install (this file is
    REPO/packages/bidir-sim/src/bidir_sim/bench.py); elsewhere a relative path that simply is not there."""
    here = Path(__file__).resolve()
    repo = here.parents[4] if len(here.parents) > 4 else here.parent
    return repo.parent / "shared" / "fixtures" / "mass"


def xavier_state_dict(net, seed: int = 0) -> dict:
    """Weights as the trainer would push them: a PyTorch state_dict, Xavier-uniform, zero biases."""
    gen = torch.Generator().manual_seed(seed)
    out = {}
    for name, (rows, cols) in zip(net.parameter_names(), net.parameter_shapes()):
        if name.endswith("weight"):
            bound = (6.0 / (rows + cols)) ** 0.5
            out[name] = (torch.rand(rows, cols, generator=gen) * 2 - 1) * bound
        else:
            out[name] = torch.zeros(rows)
    return out


def _measure(config, num_envs: int, threads: int, nn_mode: str, seconds: float) -> dict:
    control_hz = config.simulation.control_hz
    with warnings.catch_warnings():  # the idle-thread warning of few groups: measured on purpose
        warnings.simplefilter("ignore")
        env = BatchEnv(config, num_envs=num_envs, num_threads=threads, seed=0, nn_mode=nn_mode)
    env.set_muscle_weights(xavier_state_dict(env.muscle_net))
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    actions = rng.uniform(-1, 1, (64, *env.action_space.shape)).astype(np.float32)
    for k in range(3):  # warm up: first contacts, allocations
        env.step(actions[k])
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        env.step(actions[steps % len(actions)])
        steps += 1
    elapsed = time.perf_counter() - start
    sps = steps * num_envs / elapsed
    return {"num_envs": num_envs, "threads": threads, "nn_mode": nn_mode, "nn_batch": env.core.nn_batch,
            "sps": round(sps, 1), "sps_per_thread": round(sps / threads, 1),
            "ms_per_env_step": round(1e3 * threads / sps, 3),
            # simulated seconds per wall-clock second and core: compares tasks with other control rates
            "realtime_per_core": round(sps / threads / control_hz, 2)}


def _print_row(r: dict) -> None:
    print(f"  {r['num_envs']:>5} {r['threads']:>7} {r['nn_mode']:>8} {r['sps']:>9.1f} {r['sps_per_thread']:>10.1f} "
          f"{r['ms_per_env_step']:>11.3f} {r['realtime_per_core']:>15.2f}", flush=True)


def _network(config, rows: int = 32, seconds: float = 0.5) -> dict:
    """The muscle network's forward in µs per env: batch 1, and one batch of ``rows`` envs, each timed
    alone (weights warm in cache) and inside a lockstep BatchEnv of ``rows`` envs on one thread (cold)."""
    env = BatchEnv(config, num_envs=rows, num_threads=1, seed=0, nn_mode="batched", nn_batch=rows)
    net = env.muscle_net
    env.set_muscle_weights(xavier_state_dict(net))
    width = net.input_dim - env.task.num_actuated_dofs
    out = {}
    for batch in (1, rows):
        m = np.random.default_rng(0).normal(0, 50, (batch, width)).astype(np.float32)
        t = np.random.default_rng(1).normal(0, 50, (batch, net.input_dim - width)).astype(np.float32)
        calls, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            net.activations(m, t)
            calls += 1
        out[f"isolated_batch_{batch}"] = round(1e6 * (time.perf_counter() - start) / calls / batch, 2)
    env.reset(seed=0)
    actions = np.random.default_rng(0).uniform(-1, 1, (8, *env.action_space.shape)).astype(np.float32)
    env.step(actions[0])
    env.core.take_network_time()
    for a in actions[1:]:
        env.step(a)
    seconds_in_step, calls = env.core.take_network_time()
    out[f"in_batch_env_{rows}"] = round(1e6 * seconds_in_step / calls / rows, 2)
    return out


def _breakdown(config, seconds: float) -> dict:
    env = BatchEnv(config, num_envs=1, num_threads=1, seed=0)
    env.set_muscle_weights(xavier_state_dict(env.muscle_net))
    env.reset(seed=0)
    core = env.core.env(0)
    core.reset_timings()
    rng = np.random.default_rng(1)
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        env.step(rng.uniform(-1, 1, (1, env.core.action_dim)).astype(np.float32))
    t = core.timings()
    steps = max(t.pop("steps"), 1)
    parts = {k: round(1e3 * t[k] / steps, 3) for k in PARTS}
    parts["other"] = round(1e3 * t["total"] / steps - sum(parts.values()), 3)
    parts["total"] = round(1e3 * t["total"] / steps, 3)
    return parts


def _construction(config, num_envs: int = 8) -> float:
    start = time.perf_counter()
    BatchEnv(config, num_envs=num_envs, num_threads=1)
    return round(1e3 * (time.perf_counter() - start) / num_envs, 1)


def run(config, name: str, seconds: float) -> dict:
    cfg = load_env_config(config) if isinstance(config, str) else config
    probe = BatchEnv(cfg, num_envs=1, num_threads=1)
    report = {"config": name, "num_muscles": probe.task.native_model.num_muscles,
              "sim_hz": cfg.simulation.sim_hz, "control_hz": cfg.simulation.control_hz,
              "cpu_count": os.cpu_count(), "machine": platform.processor() or platform.machine(),
              "ms_per_env_construction": _construction(cfg), "results": []}
    print(f"{name}: {report['num_muscles']} muscles, {report['sim_hz']} Hz physics, {report['control_hz']} Hz "
          f"control, network every substep ({os.cpu_count()} cores)")
    print(f"  {'envs':>5} {'threads':>7} {'nn_mode':>8} {'steps/s':>9} {'per thread':>10} {'ms/env-step':>11} "
          f"{'x realtime/core':>15}")
    for n in NUM_ENVS:
        for t in THREADS:
            if t > n:
                continue
            for mode in NN_MODES:
                r = _measure(cfg, n, t, mode, seconds)
                report["results"].append(r)
                _print_row(r)
    # The network and JtA every second substep only (simulation.inference_per_sim = 2), activations held.
    held = copy.deepcopy(cfg)
    held.simulation.inference_per_sim = 2
    print("  with simulation.inference_per_sim = 2:")
    report["inference_per_sim_2"] = [_measure(held, 32, t, "batched", seconds) for t in THREADS]
    for r in report["inference_per_sim_2"]:
        _print_row(r)
    # The other actuators (docs/env-config.md): pd (SPD on every DoF, no muscles, no network), torque (the
    # action's torques: no SPD, no muscles) and activations (the action's activations: muscles and upper-body
    # SPD, no network).
    for actuator in ("pd", "torque", "activations"):
        other = copy.deepcopy(cfg)
        other.skeleton.actuator = actuator
        other.action.residual = actuator != "torque"
        print(f"  with skeleton.actuator = {actuator}:")
        report[f"actuator_{actuator}"] = [_measure(other, 32, t, "batched", seconds) for t in THREADS]
        for r in report[f"actuator_{actuator}"]:
            _print_row(r)
    report["network_us_per_env_forward"] = _network(cfg)
    net = ", ".join(f"{k} {v:.1f}" for k, v in report["network_us_per_env_forward"].items())
    print(f"  muscle network (µs per env and forward): {net}")
    report["breakdown_ms_per_env_step"] = _breakdown(cfg, seconds)
    parts = ", ".join(f"{k} {v:.2f}" for k, v in report["breakdown_ms_per_env_step"].items())
    print(f"  one env-step (ms): {parts}")
    print(f"  construction: {report['ms_per_env_construction']} ms per env")
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bidir_sim.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--config", default="A2_sep", help="env config (default A2_sep)")
    parser.add_argument("--json", type=output_file, help="write the results to this JSON file")
    parser.add_argument("--quick", action="store_true", help="0.5 s per measurement instead of 3 s")
    parser.add_argument("--mass", type=Path, default=default_mass(), help="MASS data folder (default ../shared)")
    args = parser.parse_args(argv)
    seconds = 0.5 if args.quick else 3.0
    reports = [run(args.config, args.config, seconds)]
    if (args.mass / "human.xml").is_file():
        mass = parse_env_config(mass_config_text(args.mass), source=str(args.mass), name="MASS-walk")
        mass.advanced.enforce_symmetry = False
        reports.append(run(mass, "MASS-walk", seconds))
    else:
        print(f"(no MASS data at {args.mass}: MASS model skipped)")
    if args.json:
        atomic_write_text(args.json, json.dumps(reports[0] | {"models": reports}, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
