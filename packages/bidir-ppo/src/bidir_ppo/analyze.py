"""``python -m bidir_ppo.analyze``: a gait report of a policy, as a gait lab would write it.

Runs the checkpoint's policy (mean action, the plain task, no assist) for ``--episodes`` episodes of up to
``--seconds`` each, records every physics step (bidir_sim.gait: contact forces, inverse dynamics, muscles),
cuts the episodes into gait cycles at heel strike, and writes to ``--out``:

    report.json   every figure: spatiotemporal parameters (mean +- SD, per side, symmetry index), curves
                  over the cycle, normative comparison (RMSE, r, ROM, in-band fraction), muscle timing,
                  energetics, quality (unexplained root force)
    curves.csv    every curve's mean and SD per side over 0..100 % of the cycle
    report.png / report.pdf   the gait-lab figure (normative bands in grey; right red, left blue)
    opensim/      with --opensim: kinematics .mot, GRF .mot + ExternalLoads .xml, activations .sto

    python -m bidir_ppo.analyze runs/walk/muscle/ckpt --out runs/walk/muscle/analysis
    python -m bidir_ppo.analyze runs/walk/muscle/ckpt --compare runs/demo/ckpt --out cmp   # two gaits overlaid
    python -m bidir_ppo.analyze --env A2_sep --policy zero --out zero   # any env, zero actions
    python -m bidir_ppo.analyze runs/walk-conditions/ckpt --preset crouch --out crouch   # a pathology preset
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path

import numpy as np
import torch
from bidir_sim import BatchEnv, build_task
from bidir_sim.arguments import Bounded, condition_argument
from bidir_sim.envs.presets import healthy_body, preset_body
from bidir_sim.gait import gait_report, normative, opensim
from bidir_sim.gait.report import curves_table
from bidir_sim.io_util import atomic_write_text, json_safe

from . import checkpoint, restore
from .evaluate import _Actor
from .muscle_learner import MuscleNet

MAX_EPISODES = 64
MAX_SECONDS = 120.0


def record_episodes(env: BatchEnv, actor, seconds: float, seed: int = 0) -> list[dict]:
    """One recorded episode per env: from reset to its end or ``seconds``, whichever comes first."""
    control_hz = env.task.config.simulation.control_hz
    limit = max(1, round(seconds * control_hz))
    cores = [env.core.env(i) for i in range(env.num_envs)]
    for c in cores:
        c.recording = True
    records: list[dict | None] = [None] * env.num_envs
    obs, _ = env.reset(seed=seed)  # reset empties each env's record
    for step in range(1, limit + 1):
        with torch.no_grad():
            action = actor.get_action_and_value(torch.as_tensor(obs))[0].numpy()
        obs, _, terminated, truncated, _ = env.step(action)
        for i, c in enumerate(cores):
            if records[i] is None and (terminated[i] or truncated[i] or step == limit):
                records[i] = c.take_record()  # before the next step's autoreset empties it
                c.recording = False
        if all(r is not None for r in records):
            break
    return records


def body_conditions(task, conditions=None, preset=None, healthy=False) -> dict[str, float]:
    """The conditions to fix on ``task``'s envs: ``conditions`` ({name: value}); with ``preset`` (a pathology
    preset's config) also its conditions, and with ``preset`` or ``healthy`` every other condition at its default
    (without either, the conditions not given are drawn as the task says)."""
    if preset is not None:
        return preset_body(preset, task) | (conditions or {})
    if healthy:
        return healthy_body(task) | (conditions or {})
    return dict(conditions or {})


def run(checkpoint_dir, env_name, policy, episodes, seconds, seed, threads, conditions=None, preset=None,
        healthy=False):
    """(task, records) of a checkpoint's policy (or zero actions on ``env_name``) on the body that
    ``body_conditions`` fixes for every episode."""
    agent, muscle, config = None, None, env_name
    if checkpoint_dir:
        ckpt = checkpoint.load(checkpoint_dir)
        config = restore.env_task(ckpt) if env_name is None else build_task(env_name)
        restore.check_dims(ckpt, config)
        agent, muscle = restore.build_agent(ckpt), ckpt.muscle
    env = BatchEnv(config, num_envs=episodes, num_threads=threads, seed=seed)
    if muscle is None:
        torch.manual_seed(seed)
        muscle = MuscleNet.for_task(env.task).state_dict()
    env.set_muscle_weights(muscle)
    conditions = body_conditions(env.task, conditions, preset, healthy)
    if conditions:
        env.fix_conditions(conditions)
    actor = _Actor(policy, agent, env.single_action_space.shape[0])
    return env.task, record_episodes(env, actor, seconds, seed)


def _write_outputs(out: Path, report: dict, compare: dict | None, label: str, compare_label: str | None) -> None:
    from .gait_figure import draw  # matplotlib only when writing

    out.mkdir(parents=True, exist_ok=True)
    payload = dict(report, label=label)
    if compare is not None:
        payload["compare"] = dict(compare, label=compare_label)
    atomic_write_text(out / "report.json", json.dumps(json_safe(payload), indent=1) + "\n")
    header, rows = curves_table(report)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(np.round(rows, 6).tolist())
    atomic_write_text(out / "curves.csv", buf.getvalue())
    draw(report, out / "report", label, compare, compare_label)


def _export_opensim(out: Path, task, record: dict) -> dict:
    from bidir_sim.gait import angles, kinetics
    from bidir_sim.gait.report import foot_kinematics

    model = task.model
    _, turn = foot_kinematics(model, record["positions"])
    ang = angles.joint_angles(model, record["positions"], turn)
    cop, _free = kinetics.centre_of_pressure(record["foot_force"], record["foot_moment"])
    cop = np.nan_to_num(cop)  # OpenSim wants numbers: a foot in the air has zero force, its point is moot
    names = [m.name for m in model.muscles]
    return opensim.export(out, "bidir", record["time"], ang, record["positions"][:, 3:6],
                          record["foot_force"][:, 0], record["foot_force"][:, 1], cop[:, 0], cop[:, 1],
                          {n: record["activations"][:, j] for j, n in enumerate(names)})


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bidir_ppo.analyze", description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint", nargs="?", help="a checkpoint directory, or a run directory (its latest)")
    p.add_argument("--env", help="an env config instead of the checkpoint's (same sizes), or with --policy zero")
    p.add_argument("--policy", choices=("mean", "zero"), default="mean")
    p.add_argument("--episodes", type=Bounded(int, 1, MAX_EPISODES), default=4,
                   help=f"recorded episodes, one per env (default 4, at most {MAX_EPISODES})")
    p.add_argument("--seconds", type=Bounded(float, 1.0, MAX_SECONDS), default=20.0,
                   help=f"longest recorded episode in s (default 20, the horizon; at most {MAX_SECONDS:g})")
    p.add_argument("--settle", type=Bounded(float, 0.0, 10.0), default=1.0,
                   help="seconds after each reset left out of the gait cycles (default 1)")
    p.add_argument("--seed", type=Bounded(int, 0, 2**31 - 1), default=0)
    p.add_argument("--threads", type=Bounded(int, 1, 256), default=None)
    p.add_argument("--condition", action="append", default=[], type=condition_argument, metavar="NAME=VALUE",
                   help="fix an anatomical condition for every episode (docs/conditions.md); repeatable")
    p.add_argument("--preset", metavar="NAME", help="fix a pathology preset's conditions (a shipped config's name or "
                   "a YAML path), carried onto the task's, the others at their defaults (docs/conditions.md)")
    p.add_argument("--compare", metavar="CKPT", help="a second checkpoint, overlaid in the figure")
    p.add_argument("--opensim", action="store_true", help="also export the first episode to OUT/opensim")
    p.add_argument("--out", type=Path, required=True, help="output directory")
    args = p.parse_args(argv)
    if args.checkpoint is None and args.env is None:
        p.error("give a checkpoint, --env, or both")
    if args.checkpoint is None and args.policy != "zero":
        p.error("--policy mean needs a checkpoint (with --env only, use --policy zero)")
    torch.set_num_threads(1)
    try:
        print(f"recording {args.episodes} episode(s) of up to {args.seconds:g} s ...", flush=True)
        task, records = run(args.checkpoint, args.env, args.policy, args.episodes, args.seconds, args.seed,
                            args.threads, dict(args.condition), args.preset)
        report = gait_report(task.model, records, settle=args.settle)
        compare = None
        if args.compare:
            ctask, crecords = run(args.compare, None, "mean", args.episodes, args.seconds, args.seed, args.threads)
            compare = gait_report(ctask.model, crecords, settle=args.settle)
        label = str(args.checkpoint or f"{args.env} ({args.policy})") + (f", {args.preset}" if args.preset else "")
        _write_outputs(args.out, report, compare, label, args.compare)
        if args.opensim:
            files = _export_opensim(args.out / "opensim", task, records[0])
            print("OpenSim files: " + ", ".join(str(f) for f in files.values()))
    except ValueError as e:  # CheckpointError, ConfigError and a gait without cycles are ValueErrors
        print(f"error: {e}", file=sys.stderr)
        return 2
    _print_summary(report)
    print(f"wrote {args.out}/report.json, curves.csv, report.png, report.pdf")
    return 0


def _print_summary(r: dict) -> None:
    s = r["spatiotemporal"]
    print(f"{r['cycles']['r']} right and {r['cycles']['l']} left cycles in {r['seconds']:.1f} s: speed "
          f"{s['speed']['r']['mean']:.2f} m/s, cadence {s['cadence']['r']['mean']:.0f}/min, stride "
          f"{s['stride_length']['r']['mean']:.2f} m, stance {s['stance']['r']['mean']:.0f} %")
    for name in ("hip_flexion", "knee_flexion", "ankle_dorsiflexion"):
        c = r["comparison"].get(name, {}).get("r")
        if c:
            print(f"  {name:20s} r {c['r']:.2f}  RMSE {c['rmse']:.1f} deg  ROM {c['rom']:.0f} (normative "
                  f"{c['rom_normative']:.0f})  in band {100 * c['in_band']:.0f} %")
    checks = r["realism"].get("r", [])
    print(f"  realism targets met (right side): {sum(c['met'] for c in checks)} of {len(checks)}")
    for c in checks:
        print(f"    [{'x' if c['met'] else ' '}] {c['target']}: {c['measured']}")
    envelopes = [(g, r["comparison"][g]["r"]["r"]) for g in normative.emg_envelopes() if "r" in r["comparison"].get(g, {})]
    if envelopes:
        print("  muscle activity against the normative EMG envelopes (r): "
              + ", ".join(f"{g} {v:+.2f}" for g, v in envelopes))
    e = r["energetics"]
    print(f"  cost of transport {e['cost_of_transport_J_per_kg_m']:.2f} J/kg/m (metabolic model), "
          f"positive joint work {e['mechanical_cost_of_transport_J_per_kg_m']:.2f} J/kg/m")


if __name__ == "__main__":
    sys.exit(main())
