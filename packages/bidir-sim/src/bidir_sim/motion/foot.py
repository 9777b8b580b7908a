"""Foot and leg geometry for the walking reference: where the rockers of a foot are, how a foot rolls over
them without slipping, and how far a leg reaches. Points are in the talus (foot) body frame unless named
``*_w0`` (the model's zero-pose world frame)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from ..errors import ModelError
from . import bvh as _bvh


def rot_x(angle: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    R = np.zeros(np.shape(angle) + (3, 3))
    R[..., 0, 0] = 1.0
    R[..., 1, 1], R[..., 1, 2], R[..., 2, 1], R[..., 2, 2] = c, -s, s, c
    return R


def transform_points(T: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Transforms points p (..., 3) by T (..., 4, 4)."""
    return np.einsum("...ij,...j->...i", T[..., :3, :3], p) + T[..., :3, 3]


@dataclass
class LegGeometry:
    """Where one leg's joints and its foot's rockers are, from the model at its zero pose."""

    femur: int
    tibia: int
    talus: int
    toes: list[int]
    R0: np.ndarray            # the talus' zero-pose world rotation
    ankle: np.ndarray         # ankle joint centre, talus frame
    hip_w0: np.ndarray        # joint centres in the zero-pose world
    knee_w0: np.ndarray
    ankle_w0: np.ndarray
    knee_axis_w0: np.ndarray
    heel: np.ndarray          # heel rocker: middle of the sole's back edge, talus frame
    toe: np.ndarray           # forefoot rocker: the toe joints' axis, talus frame
    heel_w0: np.ndarray       # the same two points in the zero-pose world
    toe_w0: np.ndarray
    sole_y0: float            # lowest foot point at the zero pose (world y)
    toe_sign: list[float]     # toe joint angle = sign * foot pitch keeps a toe flat


def leg_geometry(model, side: str) -> LegGeometry:
    idx = model.body_index
    names = {k: f"{k}{side}" for k in ("Femur", "Tibia", "Talus")}
    b = {k: model.bodies[idx[v]] for k, v in names.items()}
    F = b["Talus"].frame
    inv_F = np.linalg.inv(F)
    toes = [i for i, body in enumerate(model.bodies) if body.parent == names["Talus"]]
    if not toes:
        raise ModelError(model.source, f"body '{names['Talus']}'", "the walking reference needs toe bodies")
    corners_w0 = [transform_points(model.bodies[i].frame, np.array(s.corners()))
                  for i in [idx[names["Talus"]], *toes] for s in model.bodies[i].shapes if s.visual]
    talus_w0 = np.concatenate(corners_w0[:sum(s.visual for s in b["Talus"].shapes)])
    sole_y0 = float(np.concatenate(corners_w0).min(axis=0)[1])
    bottom = talus_w0[np.isclose(talus_w0[:, 1], talus_w0[:, 1].min(), atol=1e-6)]
    heel_w0 = bottom[np.isclose(bottom[:, 2], bottom[:, 2].min(), atol=1e-6)].mean(axis=0)
    toe_w0 = np.mean([model.bodies[i].joint.frame[:3, 3] for i in toes], axis=0)
    toe_sign = []
    for i in toes:
        j = model.bodies[i].joint
        axis_w = j.frame[:3, :3] @ j.axis
        if abs(axis_w[0]) < 0.9:
            raise ModelError(model.source, f"body '{model.bodies[i].name}'",
                             "the walking reference needs toe joints that bend about the x axis")
        toe_sign.append(float(np.sign(axis_w[0])))
    knee = b["Tibia"].joint
    return LegGeometry(femur=idx[names["Femur"]], tibia=idx[names["Tibia"]], talus=idx[names["Talus"]], toes=toes,
                R0=F[:3, :3], ankle=transform_points(inv_F, b["Talus"].joint.frame[:3, 3]),
                hip_w0=b["Femur"].joint.frame[:3, 3], knee_w0=knee.frame[:3, 3],
                ankle_w0=b["Talus"].joint.frame[:3, 3], knee_axis_w0=knee.frame[:3, :3] @ knee.axis,
                heel=transform_points(inv_F, heel_w0), toe=transform_points(inv_F, toe_w0), heel_w0=heel_w0, toe_w0=toe_w0, sole_y0=sole_y0, toe_sign=toe_sign)


def leg_reach(leg: LegGeometry, knee: np.ndarray) -> np.ndarray:
    """Hip-to-ankle distance with the knee flexed by ``knee``."""
    thigh, shank = leg.knee_w0 - leg.hip_w0, leg.ankle_w0 - leg.knee_w0
    R = Rotation.from_rotvec(np.outer(knee, leg.knee_axis_w0))
    return np.linalg.norm(thigh + R.apply(shank), axis=-1)


def foot_pose(leg: LegGeometry, pitch: np.ndarray, pivot_local: np.ndarray, pivot_world: np.ndarray) -> np.ndarray:
    """Talus world transforms (n, 4, 4) with toes-up ``pitch`` and the pivot point at ``pivot_world``."""
    T = np.zeros((len(pitch), 4, 4))
    T[:, :3, :3] = rot_x(-pitch) @ leg.R0
    T[:, :3, 3] = pivot_world - np.einsum("nij,nj->ni", T[:, :3, :3], np.broadcast_to(pivot_local, pivot_world.shape))
    T[:, 3, 3] = 1.0
    return T


def rolling_foot_pose(leg: LegGeometry, pitch: np.ndarray, heel_plant: np.ndarray, back: np.ndarray) -> np.ndarray:
    """The foot rolling over its rockers without slipping: about the heel while the toes are up
    (pitch > 0), about the toe joints once the heel lifts (pitch < 0), flat in between. ``heel_plant`` (x, z)
    is where the heel touched down; ``back`` how far the ground has moved back relative to the root since.
    Both rockers give the same pose when the foot is flat, so the hand-over is continuous."""
    on_heel = (pitch >= 0)[:, None]
    pivot_local = np.where(on_heel, leg.heel, leg.toe)
    pivot_w0 = np.where(on_heel, leg.heel_w0, leg.toe_w0)
    # the zero-pose foot, moved so that its heel is at the plant and its sole on the ground
    shift = np.array([heel_plant[0] - leg.heel_w0[0], -leg.sole_y0, heel_plant[1] - leg.heel_w0[2]])
    pivot_world = pivot_w0 + shift - np.outer(back, [0.0, 0.0, 1.0])
    return foot_pose(leg, pitch, pivot_local, pivot_world)


def foot_body_transforms(model, leg: LegGeometry, T_talus: np.ndarray, toe_angle: np.ndarray):
    """(body, world poses (n, 4, 4)) of the foot's bodies, the talus then each toe bent by ``toe_angle``, for
    talus poses (n, 4, 4)."""
    talus = model.bodies[leg.talus]
    inv_F = np.linalg.inv(talus.frame)
    out = [(talus, T_talus)]
    for i, sign in zip(leg.toes, leg.toe_sign):
        toe = model.bodies[i]
        J = toe.joint.frame
        R = Rotation.from_rotvec(np.outer(sign * toe_angle, toe.joint.axis)).as_matrix()
        bend = np.zeros((len(T_talus), 4, 4))
        bend[:, :3, :3], bend[:, 3, 3] = R, 1.0
        out.append((toe, T_talus @ (inv_F @ J) @ bend @ (np.linalg.inv(J) @ toe.frame)))
    return out


def lowest_point(model, leg: LegGeometry, T_talus: np.ndarray, toe_angle: np.ndarray) -> np.ndarray:
    """The lowest world y of the foot's shapes (talus and toes) for talus poses (n, 4, 4)."""
    low = np.full(len(T_talus), np.inf)
    for body, T in foot_body_transforms(model, leg, T_talus, toe_angle):
        for s in body.shapes:
            low = np.minimum(low, transform_points(T[:, None], np.array(s.corners())[None])[..., 1].min(axis=1))
    return low


def contact_points(model) -> dict[str, list[tuple[int, np.ndarray]]]:
    """Box corners of the contact bodies' visual shapes in their body frames, grouped by side ('R'/'L')."""
    out: dict[str, list[tuple[int, np.ndarray]]] = {"R": [], "L": []}
    for i, b in enumerate(model.bodies):
        if not b.contact:
            continue
        side = "R" if b.name.endswith("R") else "L"
        for s in b.shapes:
            if s.visual:  # the drawn foot; collision-only spheres sit inside it
                out[side].extend((i, p) for p in s.corners())
    if not out["R"] or not out["L"]:
        raise ModelError(model.source, "contact bodies", "the walking reference needs contact bodies "
                         "whose names end in R and L (the feet)")
    return out


def forward_kinematics_chunked(model, Q: np.ndarray, use) -> list:
    """``use(T)`` for the body transforms T (frames, bodies, 4, 4) of each chunk of ``Q``'s frames: per-frame
    work in bounded memory, whatever the clip's length."""
    native, size = model.native(), _bvh.CHUNK_FRAMES
    return [use(native.forward_kinematics(Q[s:s + size])) for s in range(0, len(Q), size)]


def foot_points(model, Q: np.ndarray) -> dict[str, np.ndarray]:
    """World positions (frames, points, 3) of each foot's contact corners."""
    sides = {side: (np.array([i for i, _ in pts]), np.array([p for _, p in pts]))
             for side, pts in contact_points(model).items()}

    def points(T):
        out = {}
        for side, (idx, local) in sides.items():
            Tb = T[:, idx]
            out[side] = np.einsum("fpij,pj->fpi", Tb[..., :3, :3], local) + Tb[..., :3, 3]
        return out

    chunks = forward_kinematics_chunked(model, Q, points)
    return {side: np.concatenate([c[side] for c in chunks]) for side in sides}
