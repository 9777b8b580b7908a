"""Ground reaction forces, joint moments and joint powers from a gait record.

The record (C++ env_record.cpp) holds the contact force on each foot as DART's constraint solver applied it,
and the net generalized forces that inverse dynamics gives with those contact forces: for a joint, the sum of
everything the body applied across it (muscles, the PD or torque actuators, joint limits, damping). Here they
are put in gait-lab terms:

- GRF per foot in body weights: vertical (+ up), anterior (+ forward, i.e. propulsive), medial (+ toward the
  midline; the right foot's medial direction is the body's left, +x);
- the centre of pressure on the ground plane (y = 0) from the contact moment;
- sagittal joint moments in N m/kg as internal moments, Winter's convention: + = hip extensor, knee
  extensor, ankle plantarflexor;
- sagittal joint powers in W/kg (+ = generation): the sagittal moment times the sagittal angular velocity.
"""

from __future__ import annotations

import numpy as np

from .angles import SIDE_BODIES, euler_xzy, moment_axes

GRAVITY = 9.8  # m/s^2, as the simulation's world (simulation.cpp)
SAGITTAL = ("hip", "knee", "ankle")


def ground_reaction(foot_force: np.ndarray, body_weight: float) -> dict[str, np.ndarray]:
    """``foot_force`` (rows, 2, 3) world N -> per side vertical / anterior / medial force in body weights."""
    f = np.asarray(foot_force) / body_weight
    out = {}
    for k, (side, medial) in enumerate((("r", 1.0), ("l", -1.0))):
        out[f"grf_vertical_{side}"] = f[:, k, 1]
        out[f"grf_anterior_{side}"] = f[:, k, 2]
        out[f"grf_medial_{side}"] = medial * f[:, k, 0]
    return out


def centre_of_pressure(foot_force: np.ndarray, foot_moment: np.ndarray, min_force: float = 1.0):
    """Per foot the centre of pressure on y = 0 (rows, 2, 3) and the free moment about the vertical (rows, 2)
    from the force F and its moment M about the world origin: M = p x F + (0, T, 0). NaN where the vertical
    force is below ``min_force`` N (the foot is in the air)."""
    f, m = np.asarray(foot_force), np.asarray(foot_moment)
    fy = f[..., 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        px, pz = m[..., 2] / fy, -m[..., 0] / fy
    cop = np.stack([px, np.zeros_like(px), pz], axis=-1)
    free = m[..., 1] - (pz * f[..., 0] - px * f[..., 2])
    air = fy < min_force
    cop[air] = np.nan
    free = np.where(air, np.nan, free)
    return cop, free


def sagittal_moments(model, positions: np.ndarray, moments: np.ndarray, body_mass: float) -> dict:
    """Per side hip, knee and ankle sagittal internal moments (N m/kg; + extensor / plantarflexor)."""
    off = model.dof_offsets()
    out = {}
    for side in ("r", "l"):
        femur, tibia, talus = SIDE_BODIES[side]
        for joint, body in (("hip", femur), ("ankle", talus)):
            sl = slice(off[body], off[body] + 3)
            axes = moment_axes(positions[:, sl])
            # the moment conjugate to the x angle; flexion and dorsiflexion are -x, so + x is extensor/plantar
            out[f"{joint}_moment_{side}"] = np.einsum("ij,ij->i", axes[:, 0, :], moments[:, sl]) / body_mass
        out[f"knee_moment_{side}"] = -moments[:, off[tibia]] / body_mass  # + q is flexion
    return out


def sagittal_powers(angles: dict, moments: dict, time: np.ndarray) -> dict:
    """Per side hip, knee and ankle sagittal powers (W/kg): the extensor moment times the extension rate."""
    out = {}
    for side in ("r", "l"):
        for joint, angle in (("hip", "hip_flexion"), ("knee", "knee_flexion"), ("ankle", "ankle_dorsiflexion")):
            rate = np.gradient(np.radians(angles[f"{angle}_{side}"]), time)  # flexion / dorsiflexion rate
            out[f"{joint}_power_{side}"] = -moments[f"{joint}_moment_{side}"] * rate
    return out


def root_residual(moments: np.ndarray, body_weight: float) -> float:
    """The largest unexplained root force (rows 3..5) in body weights: what no contact force accounts for."""
    return float(np.max(np.linalg.norm(moments[:, 3:6], axis=1)) / body_weight) if len(moments) else 0.0


__all__ = [
    "GRAVITY",
    "centre_of_pressure",
    "euler_xzy",
    "ground_reaction",
    "root_residual",
    "sagittal_moments",
    "sagittal_powers",
]
