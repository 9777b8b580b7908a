"""``python -m bidir_ppo.evaluate``: episode length and return of a policy, measured the way the trainer
measures them (BatchEnvSource rollouts of ``steps`` control steps per env; each iteration's mean over the
episodes that ended in it).

    python -m bidir_ppo.evaluate RUN_DIR/ckpt                 # the checkpoint's policy, mean action
    python -m bidir_ppo.evaluate RUN_DIR/ckpt --policy zero   # zero actions, the checkpoint's muscle network
    python -m bidir_ppo.evaluate --env A2_sep --policy zero   # zero actions, an untrained muscle network
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
import torch
from bidir_sim import BatchEnv
from bidir_sim.arguments import output_file
from bidir_sim.io_util import atomic_write_text

from . import checkpoint, restore
from .muscle_learner import MuscleNet
from .rollout import BatchEnvSource

POLICIES = ("mean", "sample", "zero")


def evaluate(env: BatchEnv, policy: str, agent=None, iterations: int = 10, steps: int = 128, seed: int = 0,
             gamma: float = 0.99) -> dict:
    """Runs ``iterations`` rollouts; returns per-iteration mean episode length and return."""
    if policy != "zero" and agent is None:
        raise ValueError(f"policy '{policy}' needs a checkpoint")
    source = BatchEnvSource(env, seed, torch.device("cpu"))
    actor = _Actor(policy, agent, source.action_dim)
    lengths, returns, episodes = [], [], 0
    for _ in range(iterations):
        r = source.collect(actor, steps, gamma)
        lengths.append(float(np.mean(r.episodes["length"])) if r.episodes["length"] else float("nan"))
        returns.append(float(np.mean(r.episodes["return"])) if r.episodes["return"] else float("nan"))
        episodes += len(r.episodes["length"])
    return {"policy": policy, "num_envs": env.num_envs, "steps_per_iteration": steps * env.num_envs,
            "iterations": iterations, "episodes": episodes, "length": lengths, "return": returns,
            "mean_length": _finite_mean(lengths), "mean_return": _finite_mean(returns)}


class _Actor:
    """What ``collect`` asks of an agent, acting by ``policy``; values are not needed here (zero)."""

    def __init__(self, policy: str, agent, action_dim: int):
        self.policy, self.agent, self.action_dim = policy, agent, action_dim

    def get_value(self, obs):
        return torch.zeros(obs.shape[0])

    def get_action_and_value(self, obs):
        zeros = torch.zeros(obs.shape[0])
        if self.policy == "zero":
            return torch.zeros(obs.shape[0], self.action_dim), zeros, zeros, zeros
        if self.policy == "mean":
            return self.agent.actor_mean(obs), zeros, zeros, zeros
        return self.agent.get_action_and_value(obs)


def _finite_mean(values: list[float]) -> float:
    """Mean over the iterations in which some episode ended (NaN when none did)."""
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bidir_ppo.evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint", nargs="?", help="a checkpoint directory, or a run directory (its latest)")
    p.add_argument("--env", help="an env config (shipped name or YAML path) when no checkpoint is given")
    p.add_argument("--policy", choices=POLICIES, default="mean")
    p.add_argument("--envs", type=int, default=32)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--iterations", type=int, default=10)
    p.add_argument("--steps", type=int, default=128, help="control steps per env per iteration")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=output_file, help="also write the result here")
    args = p.parse_args(argv)
    if (args.checkpoint is None) == (args.env is None):
        p.error("give a checkpoint or --env, not both")
    if args.checkpoint is None and args.policy != "zero":
        p.error(f"--policy {args.policy} needs a checkpoint (with --env only --policy zero)")
    if args.envs < 1 or args.iterations < 1 or args.steps < 1:
        p.error("--envs, --iterations and --steps must be positive")
    torch.set_num_threads(1)
    try:
        agent, muscle, config = None, None, args.env
        if args.checkpoint:
            ckpt = checkpoint.load(args.checkpoint)
            config, muscle = restore.env_task(ckpt), ckpt.muscle
            agent = restore.build_agent(ckpt)
        env = BatchEnv(config, num_envs=args.envs, num_threads=args.threads, seed=args.seed)
        if muscle is None:  # an untrained network (Xavier init), like a run's first iteration
            torch.manual_seed(args.seed)
            muscle = MuscleNet.for_task(env.task).state_dict()
        env.set_muscle_weights(muscle)
        with torch.no_grad():
            result = evaluate(env, args.policy, agent, args.iterations, args.steps, args.seed)
    except ValueError as e:  # CheckpointError and ConfigError are ValueErrors
        print(f"error: {e}", file=sys.stderr)
        return 2
    result["checkpoint"] = str(args.checkpoint) if args.checkpoint else None
    result["env"] = env.task.config.name
    print(f"{result['policy']} policy: mean episode length {result['mean_length']:.1f} control steps, "
          f"mean return {result['mean_return']:.2f} ({result['episodes']} episodes, {args.iterations} x "
          f"{result['steps_per_iteration']} env-steps)")
    print("per iteration, length:", " ".join(f"{x:.1f}" for x in result["length"]))
    if args.json:
        atomic_write_text(args.json, json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
