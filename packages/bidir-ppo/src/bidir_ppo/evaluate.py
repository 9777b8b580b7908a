"""``python -m bidir_ppo.evaluate``: how a policy walks, over whole episodes.

Each of ``--envs`` envs runs its share of ``--episodes`` episodes from a reset (env i seeded seed + i) to
their end: a fall, or the horizon. Per episode it measures length and return, whether it reached the end
(truncated, not terminated), the distance the COM walked forward, the forward speed against the episode's
target speed (stride x cadence), and from the footfalls (a foot coming down to within FOOT_CONTACT_BAND of
its lowest height) the cadence and step length, against the reference motion's at the episode's stride and
cadence. The JSON has every episode (with the values of the conditions the config draws) and the means. Where
the config draws anatomical conditions, it also ranks them by how strongly each one's value goes with the episode
length (bidir_ppo.condition_factors: what the falls depend on).

    python -m bidir_ppo.evaluate RUN_DIR/ckpt                 # the checkpoint's policy, mean action
    python -m bidir_ppo.evaluate RUN_DIR/ckpt --policy zero   # zero actions, the checkpoint's muscle network
    python -m bidir_ppo.evaluate --env A2_sep --policy zero   # zero actions, an untrained muscle network
    python -m bidir_ppo.evaluate RUN_DIR/ckpt --env pd        # the policy on another config of the same sizes
    python -m bidir_ppo.evaluate RUN_DIR/ckpt --condition skeleton.global=0.9 --condition torsion.femur.left=0.3
    python -m bidir_ppo.evaluate RUN_DIR/ckpt --sweep         # each sampled condition alone at each end
    python -m bidir_ppo.evaluate RUN_DIR/ckpt --preset crouch --preset foot_drop   # pathology presets
    python -m bidir_ppo.evaluate runs/walk/muscle/ckpt --env A2_wide --widen   # a healthy policy, blind to them
    python -m bidir_ppo.evaluate RUN_DIR/ckpt --range-scale 0.4 --episodes 64 --envs 64   # a curriculum's ranges

``--condition NAME=VALUE`` fixes an anatomical condition (docs/conditions.md; the names are the task's
``conditions``) for every episode, the others drawn as the config says. ``--sweep`` runs ``--episodes`` episodes
for the healthy body (every condition at its default, the ``--condition`` values kept) and for each sampled
condition alone at the minimum and at the maximum of its range, and prints the grid as a table. ``--preset NAME``
runs them for a pathology preset's conditions carried onto the task's (docs/conditions.md), the others at their
defaults. ``--range-scale S`` draws the conditions from each drawn range shrunk toward its default by S, as a
training curriculum at scale S does (bidir_ppo.curriculum; ``--condition`` values kept): each env holds one
body, drawn from ``--seed``, for its episodes (``--envs`` = ``--episodes`` gives every episode its own).

The pelvis assist (a training aid) is never on here: a new BatchEnv starts with it off.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings

import numpy as np
import torch
from bidir_sim import BatchEnv, build_task
from bidir_sim.arguments import SEED_MAX, Bounded, condition_argument, input_path, output_file
from bidir_sim.batch import MAX_THREADS
from bidir_sim.envs.conditions import condition_vector, drawn_conditions
from bidir_sim.envs.presets import healthy_body, preset_body
from bidir_sim.errors import CheckpointWarning
from bidir_sim.io_util import atomic_write_text, json_text

from . import checkpoint, restore
from .condition_factors import condition_factors, print_factors
from .curriculum import draw_bodies
from .muscle_learner import MuscleNet

POLICIES = ("mean", "sample", "zero")
FACTORS_SHOWN = 10  # rows of condition_factors printed (the JSON has them all)
FOOT_CONTACT_BAND = 0.02  # m above a foot's lowest height in the episode where it counts as down
TRACKED = ("distance", "target_speed", "cadence_ratio", "body_size", "foot_height_r", "foot_height_l", "foot_forward_r",
           "foot_forward_l")


def evaluate(env: BatchEnv, policy: str, agent=None, episodes: int = 32, seed: int = 0) -> dict:
    """Runs ``episodes`` whole episodes (env i runs episodes i, i + num_envs, ...) and measures each."""
    if policy != "zero" and agent is None:
        raise ValueError(f"policy '{policy}' needs a checkpoint")
    actor = _Actor(policy, agent, env.single_action_space.shape[0])
    quota = [len(range(i, episodes, env.num_envs)) for i in range(env.num_envs)]
    done = [[] for _ in range(env.num_envs)]
    steps = [{k: [] for k in TRACKED} for _ in range(env.num_envs)]
    names = env.task.conditions
    drawn = drawn_conditions(env.task)  # recorded per episode: what condition_factors correlates with its length
    obs, _ = env.reset(seed=seed)
    control_hz = env.task.config.simulation.control_hz
    while any(len(d) < q for d, q in zip(done, quota)):
        with torch.no_grad():
            action = actor.get_action_and_value(torch.as_tensor(obs))[0].numpy()
        obs, _, terminated, truncated, infos = env.step(action)
        for i in range(env.num_envs):
            if infos["autoreset"][i] or len(done[i]) >= quota[i]:
                continue  # a reset step (its action ignored), or an env that has run its share
            for k in TRACKED:
                steps[i][k].append(float(infos[k][i]))
            if terminated[i] or truncated[i]:
                done[i].append(_episode(steps[i], float(infos["episode"]["r"][i]), int(infos["episode"]["l"][i]),
                                        bool(truncated[i] and not terminated[i]), control_hz,
                                        env.task.reference_duration))
                if drawn:  # next-step autoreset: the env still holds the ending episode's body
                    values = env.conditions[i]
                    done[i][-1]["conditions"] = {names[j]: float(values[j]) for j in drawn}
                steps[i] = {k: [] for k in TRACKED}
    ordered = [done[i][j] for j in range(max(quota)) for i in range(env.num_envs) if j < len(done[i])]
    return {"policy": policy, "num_envs": env.num_envs, "episodes": len(ordered), "horizon": env.task.config.horizon,
            **summary(ordered), "per_episode": ordered}


def _episode(steps: dict, ret: float, length: int, reached_end: bool, control_hz: float, duration: float) -> dict:
    seconds = length / control_hz
    distance = steps["distance"][-1]
    target = float(np.mean(steps["target_speed"]))
    # s per reference gait cycle at this episode's cadence, played by a body of size g at cycle x sqrt(g)
    cycle = duration * math.sqrt(steps["body_size"][0]) / steps["cadence_ratio"][0]
    strikes = []  # (step index, foot) of each footfall
    for side, foot in enumerate("rl"):
        height = np.asarray(steps[f"foot_height_{foot}"])
        down = height < height.min() + FOOT_CONTACT_BAND
        strikes += [(t, side) for t in np.flatnonzero(down[1:] & ~down[:-1]) + 1]
    strikes.sort()
    forward = [np.asarray(steps["foot_forward_r"]), np.asarray(steps["foot_forward_l"])]
    step_lengths = [forward[side][t] - forward[1 - side][t] for t, side in strikes]
    cadence = (60.0 * control_hz * (len(strikes) - 1) / (strikes[-1][0] - strikes[0][0])
               if len(strikes) >= 2 and strikes[-1][0] > strikes[0][0] else float("nan"))
    return {"length": length, "return": ret, "reached_end": reached_end, "seconds": seconds, "distance": distance,
            "speed": distance / seconds, "target_speed": target, "footfalls": len(strikes), "cadence": cadence,
            "step_length": float(np.mean(step_lengths)) if step_lengths else float("nan"),
            "reference_cadence": 120.0 / cycle, "reference_step_length": target * cycle / 2.0}


def summary(episodes: list[dict]) -> dict:
    """Means over the episodes (gait figures over those with footfalls), and the headline ratios."""
    def mean(key):
        values = [e[key] for e in episodes if math.isfinite(e[key])]
        return float(np.mean(values)) if values else float("nan")

    out = {f"mean_{k}": mean(k) for k in ("length", "return", "distance", "speed", "target_speed", "cadence",
                                         "step_length", "reference_cadence", "reference_step_length")}
    out["reached_end_fraction"] = float(np.mean([e["reached_end"] for e in episodes])) if episodes else float("nan")
    out["speed_ratio"] = out["mean_speed"] / out["mean_target_speed"]  # forward speed against the target
    out["cadence_ratio"] = out["mean_cadence"] / out["mean_reference_cadence"]
    out["step_length_ratio"] = out["mean_step_length"] / out["mean_reference_step_length"]
    return out


class _Actor:
    """Actions by ``policy``: the agent's mean or a sample of its distribution, or zeros."""

    def __init__(self, policy: str, agent, action_dim: int):
        self.policy, self.agent, self.action_dim = policy, agent, action_dim

    def get_action_and_value(self, obs):
        zeros = torch.zeros(obs.shape[0])
        if self.policy == "zero":
            return torch.zeros(obs.shape[0], self.action_dim), zeros, zeros, zeros
        if self.policy == "mean":
            return self.agent.mean_action(obs), zeros, zeros, zeros
        return self.agent.get_action_and_value(obs)


def sweep(env: BatchEnv, policy: str, agent, episodes: int, seed: int, fixed: dict) -> list[dict]:
    """The healthy body (every condition at its default but ``fixed``) and each sampled condition alone at the
    minimum and maximum of its range: one row of ``summary`` figures per point."""
    specs = env.task.compiled.spec.conditions
    base = healthy_body(env.task) | fixed
    points = [("healthy", None, base)] + [(specs[i].name, v, base | {specs[i].name: v})
                                          for i in env.task.compiled.observed_conditions
                                          for v in (specs[i].min, specs[i].max)]
    return grid(env, policy, agent, episodes, seed, fixed, points)


def presets(env: BatchEnv, policy: str, agent, episodes: int, seed: int, fixed: dict, names: list[str]) -> list[dict]:
    """The healthy body, then each pathology preset (bidir_sim.envs.presets: its conditions carried onto this
    task's, every other condition at its default but ``fixed``): one row of ``summary`` figures per body."""
    healthy = healthy_body(env.task) | fixed
    points = [("healthy", None, healthy)] + [(name, None, preset_body(name, env.task) | fixed) for name in names]
    return grid(env, policy, agent, episodes, seed, fixed, points)


def grid(env: BatchEnv, policy: str, agent, episodes: int, seed: int, fixed: dict, points: list) -> list[dict]:
    """``episodes`` episodes at each point (label, value or None, the conditions it fixes), printed as a table
    row each; the env's conditions are ``fixed`` again afterwards."""
    rows = []
    for label, value, conditions in points:
        env.fix_conditions(conditions)
        result = evaluate(env, policy, agent, episodes, seed)
        rows.append({"condition": label, "value": value,
                     **{k: result[k] for k in ("reached_end_fraction", "mean_length", "speed_ratio", "mean_speed")}})
        print(f"  {label:40s} {'' if value is None else f'{value:7.3f}':>7s} "
              f"{100 * rows[-1]['reached_end_fraction']:5.0f} % {rows[-1]['mean_length']:7.1f} "
              f"{100 * rows[-1]['speed_ratio']:5.0f} %", flush=True)
    env.fix_conditions(fixed or None)
    return rows


MAX_EPISODES = 10_000
MAX_ENVS = 1024


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bidir_ppo.evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint", nargs="?", type=input_path, help="a checkpoint directory, or a run directory (its latest)")
    p.add_argument("--env", type=input_path, help="an env config (shipped name or YAML path): without a checkpoint, for --policy "
                   "zero; with one, instead of the checkpoint's own (same observation and action sizes), e.g. the "
                   "plain task without a training recipe's early termination")
    p.add_argument("--widen", action="store_true",
                   help="with --env: a config whose observation adds blocks after the checkpoint's (a conditioned "
                        "one), the new inputs given zero weights as init= gives them: the policy does not see them "
                        "(e.g. make walk's healthy policy on conditioned bodies)")
    p.add_argument("--policy", choices=POLICIES, default="mean")
    p.add_argument("--episodes", type=Bounded(int, 1, MAX_EPISODES), default=32,
                   help=f"whole episodes to run (default 32; at most {MAX_EPISODES})")
    p.add_argument("--envs", type=Bounded(int, 1, MAX_ENVS), default=None,
                   help=f"envs running them in parallel (default: one per episode, at most 32; at most {MAX_ENVS})")
    p.add_argument("--threads", type=Bounded(int, 1, MAX_THREADS), default=None,
                   help=f"C++ threads stepping them (default: one per core; at most {MAX_THREADS})")
    p.add_argument("--seed", type=Bounded(int, 0, SEED_MAX), default=0, help=f"env i is seeded seed + i (0 to {SEED_MAX})")
    p.add_argument("--condition", action="append", default=[], type=condition_argument, metavar="NAME=VALUE",
                   help="fix an anatomical condition for every episode (a name of the task's conditions, "
                        "docs/conditions.md); repeatable")
    p.add_argument("--range-scale", type=Bounded(float, 0.0, 1.0), default=None, metavar="S",
                   help="draw the conditions from each range shrunk toward its default by S (0 to 1: a training "
                        "curriculum's curriculum/scale); each env holds one body for its episodes")
    p.add_argument("--sweep", action="store_true",
                   help="the healthy body and each sampled condition alone at each end of its range: a table")
    p.add_argument("--preset", action="append", default=[], type=input_path, metavar="NAME",
                   help="also the healthy body and each pathology preset (a shipped config's name or a YAML path) carried onto the task's "
                        "conditions, the others at their defaults: a table; repeatable")
    p.add_argument("--json", type=output_file, help="also write the result here")
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if args.checkpoint is None and args.env is None:
        p.error("give a checkpoint, --env, or both")
    if args.widen and (args.checkpoint is None or args.env is None):
        p.error("--widen needs a checkpoint and --env (the wider config)")
    if args.checkpoint is None and args.policy != "zero":
        p.error(f"--policy {args.policy} needs a checkpoint (with --env only --policy zero)")
    if args.envs is None:
        args.envs = min(args.episodes, 32)
    torch.set_num_threads(1)
    caught: list[str] = []
    try:
        agent, muscle, config = None, None, args.env
        if args.checkpoint:
            ckpt = checkpoint.load(args.checkpoint)
            config, muscle = restore.env_task(ckpt) if args.env is None else build_task(args.env), ckpt.muscle
            with warnings.catch_warnings(record=True) as seen:
                warnings.simplefilter("always", CheckpointWarning)
                if not args.widen:
                    restore.check_dims(ckpt, config)
            for w in seen:
                if issubclass(w.category, CheckpointWarning):
                    caught.append(str(w.message))
                    print(f"warning: {w.message}", file=sys.stderr)
                else:
                    warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            agent = restore.build_agent(ckpt, widen_to=config if args.widen else None)
        env = BatchEnv(config, num_envs=args.envs, num_threads=args.threads, seed=args.seed)
        if muscle is None:  # an untrained network (Xavier init), like a run's first iteration
            torch.manual_seed(args.seed)
            muscle = MuscleNet.for_task(env.task).state_dict()
        env.set_muscle_weights(muscle)
        fixed = dict(args.condition)
        if args.range_scale is not None:
            if not drawn_conditions(env.task):
                raise ValueError(f"--range-scale: the config {env.task.config.name} draws no condition")
            given = np.tile(condition_vector(env.task.conditions, fixed, "--condition"), (env.num_envs, 1))
            env.fix_conditions(draw_bodies(env.task, given, args.range_scale, np.random.default_rng(args.seed)))
        elif fixed:
            env.fix_conditions(fixed)
        with torch.no_grad():
            result = evaluate(env, args.policy, agent, args.episodes, args.seed)
            if args.sweep:
                if not env.task.compiled.observed_conditions:
                    raise ValueError(f"--sweep: the config {env.task.config.name} samples no condition")
                print(f"sweep, {args.episodes} episodes per point: condition, value, reached the end, mean length, "
                      "speed / target")
                result["sweep"] = sweep(env, args.policy, agent, args.episodes, args.seed, fixed)
            if args.preset:
                print(f"presets, {args.episodes} episodes each: preset, reached the end, mean length, speed / target")
                result["presets"] = presets(env, args.policy, agent, args.episodes, args.seed, fixed, args.preset)
    except ValueError as e:  # CheckpointError and ConfigError are ValueErrors
        print(f"error: {e}", file=sys.stderr)
        return 2
    result["checkpoint"] = str(args.checkpoint) if args.checkpoint else None
    result["env"] = env.task.config.name
    result["widened"] = args.widen
    result["conditions"] = dict(args.condition)
    result["range_scale"] = args.range_scale
    result["warnings"] = caught
    specs = env.task.compiled.spec.conditions
    result["condition_factors"] = condition_factors(result["per_episode"], {c.name: (c.min, c.max) for c in specs})
    r = result
    if args.range_scale is not None:
        print(f"conditions drawn from the ranges shrunk toward their defaults by {args.range_scale:g}")
    print(f"{r['policy']} policy, {r['episodes']} episodes: mean length {r['mean_length']:.1f} control steps, "
          f"{100 * r['reached_end_fraction']:.0f} % reached the end (horizon {r['horizon']}), mean return "
          f"{r['mean_return']:.2f}")
    print(f"forward speed {r['mean_speed']:.2f} m/s = {100 * r['speed_ratio']:.0f} % of the target "
          f"{r['mean_target_speed']:.2f} m/s; distance {r['mean_distance']:.2f} m")
    print(f"cadence {r['mean_cadence']:.0f} steps/min (reference {r['mean_reference_cadence']:.0f}), step length "
          f"{r['mean_step_length']:.2f} m (reference {r['mean_reference_step_length']:.2f})")
    if r["condition_factors"] and not all(e["reached_end"] for e in r["per_episode"]):
        print_factors(r["condition_factors"], FACTORS_SHOWN)
    if args.json:
        atomic_write_text(args.json, json_text(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
