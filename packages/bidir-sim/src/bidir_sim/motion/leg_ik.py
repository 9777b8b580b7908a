"""Leg inverse kinematics for the walking reference: hip flexion, hip adduction and knee flexion that put
each ankle centre on its target, frame by frame."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from ..errors import ModelError
from .foot import transform_points


def _setleg_geometry(model, Q: np.ndarray, side: str, x: np.ndarray, hip_rotation: np.ndarray) -> None:
    """Writes hip flexion, hip adduction (x[:, 0:2]) and knee flexion (x[:, 2]) of one leg into Q."""
    off = model.dof_offsets()
    hip = off[f"Femur{side}"]
    Q[:, hip:hip + 3] = Rotation.from_euler("XZY", np.stack([x[:, 0], x[:, 1], hip_rotation], -1)).as_rotvec()
    Q[:, off[f"Tibia{side}"]] = x[:, 2]


def solve_legs(model, Q: np.ndarray, legs: dict, targets: dict, hip_rotation: dict) -> np.ndarray:
    """Damped Gauss-Newton on hip flexion, hip adduction and knee flexion of both legs at once (the legs
    are independent chains) until each ankle centre is at its target. Returns Q with the legs solved."""
    off = model.dof_offsets()
    fk = model.native().forward_kinematics
    x = {}
    for side in "RL":
        hip = off[f"Femur{side}"]
        euler = Rotation.from_rotvec(Q[:, hip:hip + 3]).as_euler("XZY")
        x[side] = np.stack([euler[:, 0], euler[:, 1], Q[:, off[f"Tibia{side}"]]], -1)

    def ankles(xs):
        Qx = Q.copy()
        for side in "RL":
            _setleg_geometry(model, Qx, side, xs[side], hip_rotation[side])
        T = fk(Qx)
        return {side: transform_points(T[:, legs[side].talus], legs[side].ankle) for side in "RL"}, Qx

    eps = 1e-6
    for _ in range(50):
        a, Qx = ankles(x)
        err = max(np.abs(a[s] - targets[s]).max() for s in "RL")
        if err < 1e-7:
            return Qx
        J = {s: np.zeros((len(Q), 3, 3)) for s in "RL"}
        for j in range(3):
            xp = {s: x[s].copy() for s in "RL"}
            for s in "RL":
                xp[s][:, j] += eps
            ap, _ = ankles(xp)
            for s in "RL":
                J[s][:, :, j] = (ap[s] - a[s]) / eps
        for s in "RL":
            r = targets[s] - a[s]
            JT = np.swapaxes(J[s], 1, 2)
            step = np.linalg.solve(JT @ J[s] + 1e-8 * np.eye(3), np.einsum("nij,nj->ni", JT, r)[..., None])[..., 0]
            x[s] = x[s] + step
    raise ModelError(model.source, "walking reference",
                     f"the legs cannot reach the foot targets (ankle error {err * 100:.1f} cm): "
                     "the stride is too long for this body")
