"""``python -m bidir_sim.capacity [CONFIG ...] [--mass DIR] [--json FILE]``: can the muscles walk the reference?

Along one cycle of the config's reference motion (the motion at stride and cadence ratio 1):

1. Inverse dynamics gives the generalized forces that produce the reference accelerations (finite
   differences of the motion) with gravity, Coriolis forces and joint damping.
2. The ground must supply the root's six rows. Forces at the feet's collision points (box corners, the
   lowest point of each sphere) that touch the ground (within CONTACT_BAND of the lowest one and slower
   than CONTACT_SPEED: a rolling foot turns about them;
   vertical component >= 0) are fitted by bounded least squares; what they cannot supply is the root
   residual (how dynamically consistent the motion is).
3. The joint torques left over are the desired torques tau_des, what SPD would ask for if it tracked
   perfectly. Activations a in [0, 1] that best produce them (JtA a + JtP = tau_des) are found by bounded
   least squares (scipy lsq_linear), per frame.

Reported per DoF group, and for the legs (hip, knee, ankle, toes) together: the RMS of the torque the
muscles cannot produce as a fraction of the RMS of tau_des, and the RMS of tau_des itself. A benchmark, not a test: numbers go to stdout and, with --json, a file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy.optimize import lsq_linear

from ._core import Simulation
from .arguments import output_file
from .envs.config import load_env_config, parse_env_config
from .envs.task import build_task
from .errors import InputError
from .io_util import atomic_write_text

FRAMES = 120             # samples along the cycle
CONTACT_BAND = 0.002     # m: foot corners this close to the lowest one ...
CONTACT_SPEED = 0.3      # m/s: ... and this slow carry load
SMOOTHING = 1 / 60       # cycles: standard deviation of the low-pass on velocities and accelerations
CONTACT_DAMPING = 1e-4   # weight of |f|^2 against the squared residuals (N, N m)
ROOT_WEIGHT = 10.0       # root rows count this much more than joint rows: the ground carries the body first
GROUPS = {               # DoF group -> body-name prefixes
    "hip": ("Femur",), "knee": ("Tibia",), "ankle": ("Talus",), "toes": ("FootThumb", "FootPinky"),
    "trunk": ("Spine", "Torso"), "neck/head": ("Neck", "Head"), "arms": ("Shoulder", "Arm", "ForeArm", "Hand"),
}


def mass_config_text(mass_dir: Path) -> str:
    """An env config for the MASS model with its walk.bvh (external fixture, read in place)."""
    d = mass_dir.resolve()
    return (f"environment:\n  skeleton: {{file: {d / 'human.xml'}, actuator: muscle_net_lower}}\n"
            f"  muscle: {{file: {d / 'muscle284.xml'}}}\n  motion: {{type: bvh, file: {d / 'walk.bvh'}}}\n"
            "  simulation: {sim_hz: 480, control_hz: 30}\n")


def _dof_groups(model) -> dict[str, list[int]]:
    """Actuated DoF indices (0 = first after the root) per group."""
    offsets = model.dof_offsets()
    out = {}
    for group, prefixes in GROUPS.items():
        idx = [offsets[b.name] + k - 6 for b in model.bodies[1:] if b.name.rstrip("RL").startswith(prefixes)
               for k in range(b.joint.num_dofs)]
        if idx:
            out[group] = idx
    return out


def _collision_points(model) -> list[tuple[int, np.ndarray, float]]:
    """What of the feet can touch the ground, as the simulation sees it: (body, point in the body frame,
    radius) for every collision shape of a contact body; box and capsule corners with radius 0, sphere
    centres with their radius."""
    out = []
    for i, b in enumerate(model.bodies):
        for s in b.shapes if b.contact else []:
            if not s.collision:
                continue
            if s.type == "sphere":
                out.append((i, s.offset[:3, 3].copy(), float(s.size[0])))
            else:
                out.extend((i, c, 0.0) for c in s.corners())
    if not out:
        raise InputError(f"model '{model.name}': no collision shapes on contact bodies")
    return out


def _body_point(T: np.ndarray, world: np.ndarray) -> np.ndarray:
    """A world point in the frame of a body at pose T (4x4)."""
    return T[:3, :3].T @ (world - T[:3, 3])


def _periodic_smooth(x: np.ndarray) -> np.ndarray:
    """Gaussian low-pass along axis 0 of a periodic signal."""
    offsets = np.arange(-FRAMES // 2, FRAMES // 2)
    kernel = np.exp(-0.5 * (offsets / (SMOOTHING * FRAMES)) ** 2)
    kernel /= kernel.sum()
    return np.real(np.fft.ifft(np.fft.fft(np.fft.ifftshift(kernel))[:, None] * np.fft.fft(x, axis=0), axis=0))


def analyse(config) -> dict:
    """Runs the analysis for one env config (name, path or EnvConfig); returns the report as a dict."""
    cfg = config if not isinstance(config, str) else load_env_config(config)
    cfg.advanced.enforce_symmetry = False  # not needed here; lets asymmetric models through
    task = build_task(cfg)
    sim, model = Simulation(task.native_model, 1.0 / cfg.simulation.sim_hz), task.model
    h = task.reference_duration / FRAMES
    # One cycle and a frame either side, unwrapped (the root advances continuously), as the env samples it.
    poses = [task.reference_pose((k - 1) / FRAMES) for k in range(FRAMES + 2)]
    points = _collision_points(model)  # (body, point in the body frame, sphere radius), both feet
    fk = model.native().forward_kinematics(np.array(poses))
    # lowest point of each: a box corner itself; a sphere's centre minus its radius, straight down
    world = np.array([[fk[f, b, :3, :3] @ p + fk[f, b, :3, 3] - [0.0, r, 0.0] for b, p, r in points]
                      for f in range(len(poses))])

    # Velocities and accelerations by central differences, then low-passed (gait analysis filters its
    # kinematics at about 6 Hz; a periodic Gaussian of SMOOTHING cycles is close to that).
    dq = np.array([sim.position_differences(poses[k + 1], poses[k - 1]) / (2 * h) for k in range(1, FRAMES + 1)])
    ddq = np.array([(sim.position_differences(poses[k + 1], poses[k]) -
                     sim.position_differences(poses[k], poses[k - 1])) / (h * h) for k in range(1, FRAMES + 1)])
    dq, ddq = _periodic_smooth(dq), _periodic_smooth(ddq)
    # A motion-capture clip is not exactly periodic: leave out the frames whose smoothing window crosses the seam.
    margin = 0 if cfg.motion.type == "procedural" else int(np.ceil(3 * SMOOTHING * FRAMES))
    frames = range(margin, FRAMES - margin)

    groups = _dof_groups(model)
    demand = {g: 0.0 for g in groups}
    missing = {g: 0.0 for g in groups}
    root_demand = root_missing = 0.0
    activation_sum = 0.0
    for i in frames:
        k = i + 1
        sim.positions, sim.velocities = poses[k], dq[i]
        tau_full = sim.inverse_dynamics(ddq[i])
        heights = world[k, :, 1]
        speed = np.linalg.norm(world[k + 1] - world[k - 1], axis=1) / (2 * h)
        # corners that carry load: near the ground and not sliding (a rolling foot turns about them)
        touching = np.flatnonzero((heights < heights.min() + CONTACT_BAND) & (speed < CONTACT_SPEED))
        if len(touching) == 0:
            touching = np.array([int(np.argmin(heights))])
        # generalized force of unit world forces at each touching corner: columns of J^T
        JT = np.concatenate([sim.linear_jacobian(points[j][0], _body_point(fk[k, points[j][0]], world[k, j])).T
                             for j in touching], axis=1)
        # Ground forces f at the touching points and activations a together, one bounded least squares:
        #   root rows:  J^T f = tau_root                (weighted: the ground must carry the body first)
        #   joint rows: JtA a + J^T f = tau_joint - JtP (the muscles do what the ground does not)
        # so the feet share the load the way the muscles can best follow, as a person shifts weight.
        muscles = sim.update_muscles()
        nf, nm = JT.shape[1], muscles.JtA.shape[1]
        A = np.block([[ROOT_WEIGHT * JT[:6], np.zeros((6, nm))],
                      [JT[6:], muscles.JtA],
                      [np.sqrt(CONTACT_DAMPING) * np.eye(nf), np.zeros((nf, nm))]])
        b = np.concatenate([ROOT_WEIGHT * tau_full[:6], tau_full[6:] - muscles.JtP, np.zeros(nf)])
        lower = np.concatenate([np.tile([-np.inf, 0.0, -np.inf], len(touching)), np.zeros(nm)])
        upper = np.concatenate([np.full(nf, np.inf), np.ones(nm)])
        fit = lsq_linear(A, b, bounds=(lower, upper), method="bvls")  # exact: the sizes are small
        forces, activations = fit.x[:nf], fit.x[nf:]
        tau = tau_full - JT @ forces
        root_demand += tau_full[:6] @ tau_full[:6]
        root_missing += tau[:6] @ tau[:6]
        tau_des = tau[6:]
        residual = muscles.JtA @ activations + muscles.JtP - tau_des
        activation_sum += activations.mean()
        for g, idx in groups.items():
            demand[g] += tau_des[idx] @ tau_des[idx]
            missing[g] += residual[idx] @ residual[idx]
    n = len(frames)
    legs = [g for g in ("hip", "knee", "ankle", "toes") if g in groups]
    return {
        "config": cfg.name, "model": model.name, "motion": f"{cfg.motion.type}:{cfg.motion.file}",
        "num_muscles": len(model.muscles), "frames": n,
        "root_residual_fraction": float(np.sqrt(root_missing / root_demand)),
        "mean_activation": activation_sum / n,
        "legs_unmet_fraction": float(np.sqrt(sum(missing[g] for g in legs) / sum(demand[g] for g in legs))),
        "groups": {g: {"tau_des_rms": float(np.sqrt(demand[g] / (n * len(groups[g])))),
                       "unmet_fraction": float(np.sqrt(missing[g] / demand[g])) if demand[g] > 0 else 0.0}
                   for g in groups},
    }


def _print(report: dict) -> None:
    print(f"{report['config']}: {report['model']} ({report['num_muscles']} muscles), {report['motion']}, "
          f"{report['frames']} frames")
    print(f"  root residual (not supplied by ground forces): {100 * report['root_residual_fraction']:.1f} %, "
          f"mean activation {report['mean_activation']:.3f}")
    print(f"  legs (hip, knee, ankle, toes): {100 * report['legs_unmet_fraction']:.1f} % of tau_des unmet")
    print(f"  {'group':<10} {'tau_des RMS (N m)':>18} {'unmet by muscles':>17}")
    for g, r in report["groups"].items():
        print(f"  {g:<10} {r['tau_des_rms']:>18.1f} {100 * r['unmet_fraction']:>16.1f}%")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bidir_sim.capacity", description=__doc__.split("\n")[0])
    parser.add_argument("configs", nargs="*", default=["A2_sep"], help="env configs (default: A2_sep)")
    parser.add_argument("--mass", type=Path, help="also the MASS model with walk.bvh from this folder")
    parser.add_argument("--json", type=output_file, help="write the reports to this JSON file")
    args = parser.parse_args(argv)
    configs = list(args.configs)
    if args.mass:
        if not (args.mass / "human.xml").is_file():
            print(f"error: {args.mass}: no human.xml (expected the MASS data folder)", file=sys.stderr)
            return 2
        configs.append(parse_env_config(mass_config_text(args.mass), source=str(args.mass), name="MASS-walk"))
    reports = []
    for config in configs:
        start = time.perf_counter()
        try:
            report = analyse(config)
        except InputError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        _print(report)
        print(f"  ({time.perf_counter() - start:.1f} s)")
        reports.append(report)
    if args.json:
        atomic_write_text(args.json, json.dumps(reports, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
