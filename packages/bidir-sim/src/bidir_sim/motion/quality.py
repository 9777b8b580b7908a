"""How good a retargeted clip is on its model: what `python -m bidir_sim motion` reports and the tests check.
Angles in degrees, lengths in cm unless named otherwise."""

from __future__ import annotations

import numpy as np

from .bvh import BVH
from .foot import foot_points, forward_kinematics_chunked
from .retarget import Retargeted, bvh_global
from .roles import NEXT, body_role

CONTACT_BAND = 0.01  # m: a foot point this close to the lowest height of the feet touches the ground
# The segments whose directions are compared with the clip's own forward kinematics.
SEGMENTS = ("hip_l", "hip_r", "knee_l", "knee_r", "ankle_l", "ankle_r", "spine", "chest")


def joint_origins(model, Q: np.ndarray) -> dict[str, np.ndarray]:
    """World position of every body's joint at each frame (frames, 3)."""
    local = [np.linalg.solve(np.asarray(b.frame), np.append(np.asarray(b.joint.frame)[:3, 3], 1.0))
             for b in model.bodies]

    def origins(T):
        return [np.einsum("fij,j->fi", T[:, i], local[i])[:, :3] for i in range(len(model.bodies))]

    chunks = forward_kinematics_chunked(model, Q, origins)
    return {b.name: np.concatenate([c[i] for c in chunks]) for i, b in enumerate(model.bodies)}


def _angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angles (degrees) between vectors; NaN where either has no length (no direction to compare)."""
    norms = np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)
    cos = np.sum(a * b, axis=-1) / np.where(norms > 1e-12, norms, np.nan)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def _largest(angles: np.ndarray) -> float | None:
    """The largest angle over the frames that have one; None when no frame has (a bone of no length)."""
    finite = angles[np.isfinite(angles)]
    return float(finite.max()) if finite.size else None


def direction_errors(bvh: BVH, model, clip: Retargeted, fk=None) -> dict[str, float]:
    """Largest angle over the clip between each segment of the model and the clip's own bone (its forward
    kinematics, in the model's axes), and the pelvis orientation's largest angle."""
    role_bodies: dict[str, list[str]] = {}
    for b in model.bodies:
        role_bodies.setdefault(body_role(b), []).append(b.name)
    role_joint, A = clip.role_joints, clip.axes
    _rot, pos = fk or bvh_global(bvh)
    origins = joint_origins(model, clip.positions)
    out = {}
    for role in SEGMENTS:
        nxt = NEXT[role]
        if role not in role_joint or nxt not in role_joint:
            continue
        ends = np.mean([origins[name] for name in role_bodies[nxt]], axis=0)  # both toes: their middle
        model_dir = ends - origins[role_bodies[role][0]]
        clip_dir = (pos[role_joint[nxt]] - pos[role_joint[role]]) @ A.T
        largest = _largest(_angle(model_dir, clip_dir))
        if largest is not None:  # a clip bone of no length has no direction to follow
            out[role] = largest
    # the pelvis: the model's hip line and the clip's
    model_hips = origins[role_bodies["hip_l"][0]] - origins[role_bodies["hip_r"][0]]
    clip_hips = (pos[role_joint["hip_l"]] - pos[role_joint["hip_r"]]) @ A.T
    largest = _largest(_angle(model_hips, clip_hips))
    if largest is not None:
        out["pelvis"] = largest
    return out


def stance_slide(points: np.ndarray, band: float = CONTACT_BAND) -> float:
    """Largest horizontal travel (m) of a point while it touches the ground: within ``band`` of the lowest
    height any of the points reaches. points: (frames, points, 3). A foot rolling from heel to toe moves
    its contact without slipping; only a touching point that moves slides."""
    ground = points[..., 1].min()
    slide = 0.0
    for k in range(points.shape[1]):
        touching = points[:, k, 1] < ground + band
        start = None
        for f in range(len(touching) + 1):
            on = f < len(touching) and touching[f]
            if on and start is None:
                start = f
            elif not on and start is not None:
                xz = points[start:f, k][:, [0, 2]]
                slide = max(slide, float(np.linalg.norm(xz - xz[0], axis=1).max()))
                start = None
    return slide


def clip_stance_slide(bvh: BVH, clip: Retargeted, fk=None) -> float:
    """The clip's own stance slide (m, at the model's scale), of its ankle, toe and toe-end points.
    fk: the clip's ``bvh_global``, when the caller has it."""
    rot, pos = fk or bvh_global(bvh)
    worst = 0.0
    for side in "lr":
        joints = [clip.role_joints[r] for r in (f"ankle_{side}", f"toes_{side}") if r in clip.role_joints]
        points = [pos[j] for j in joints]
        points += [pos[j] + np.einsum("fij,j->fi", rot[j], bvh.end_sites[j] * 0.01) for j in joints
                   if j in bvh.end_sites]
        worst = max(worst, stance_slide(np.stack(points, axis=1)) * clip.scale)
    return worst


def foot_contact(model, Q: np.ndarray) -> dict[str, float]:
    """Penetration (deepest foot point below y = 0, cm) and the stance slide of the feet (cm)."""
    points = foot_points(model, Q)
    lowest = min(float(points[s][..., 1].min()) for s in points)
    slide = max(stance_slide(points[s]) for s in points)
    return {"penetration_cm": round(max(0.0, -lowest) * 100, 3), "stance_slide_cm": round(slide * 100, 3)}


def report(bvh: BVH, model, clip: Retargeted) -> dict:
    """Everything `python -m bidir_sim motion` prints."""
    Q, fk = clip.positions, bvh_global(bvh)
    offsets = model.dof_offsets()
    ranges = {}
    for b in model.bodies[1:]:
        for d in range(b.joint.num_dofs):
            q = np.degrees(Q[:, offsets[b.name] + d])
            ranges[f"{b.name}[{d}]"] = [round(float(q.min()), 1), round(float(q.max()), 1)]
    root = Q[:, 3:6]
    duration = clip.num_frames * clip.frame_time
    travel = root[-1, [0, 2]] - root[0, [0, 2]]
    closure = np.degrees(np.abs(Q[-1, 6:] - Q[0, 6:]).max()) if clip.num_frames > 1 else 0.0
    return {"file": bvh.source, "model": model.source, "frames": clip.num_frames, "frame_time": clip.frame_time,
            "duration_s": round(duration, 4), "scale": round(clip.scale, 4), "mapping": clip.mapping,
            "unused_bvh_joints": clip.unused_bvh_joints, "bodies_without_data": clip.bodies_without_data,
            "joint_ranges_deg": ranges, "limit_violations_frames": clip.limit_violations,
            **foot_contact(model, Q), "clip_stance_slide_cm": round(clip_stance_slide(bvh, clip, fk) * 100, 3),
            "direction_error_deg": {k: round(v, 2) for k, v in direction_errors(bvh, model, clip, fk).items()},
            "cyclic_closure_deg": round(float(closure), 2),
            "mean_root_speed_m_s": round(float(np.linalg.norm(travel) / max(duration - clip.frame_time, 1e-9)), 4)}
