"""bidir's procedural walking reference: a cyclic gait built from normative joint-angle curves.

Joint angles come from gait_curves (left side = right side half a cycle later, mirrored). The root is not
scripted: at each phase the body is lowered until its lowest foot point touches the ground, and moved
horizontally so that the stance foot's contact point does not slide. The hip flexion/extension excursion
(and the pelvis rotation with it) is scaled until the stride this produces equals the requested stride.
The result is sampled once per cycle and evaluated at any phase; the root advances one stride per cycle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from ..errors import ModelError
from .gait_curves import curve

SAMPLES = 240  # per cycle, for the root solve and interpolation
# Normative hip angles are measured against a pelvis tilted ~10 deg anteriorly (Kadaba et al. 1990); the
# model's pelvis is upright at the zero pose, so the thigh's angle to the vertical is hip flexion - tilt.
PELVIC_TILT = math.radians(10.0)


def contact_points(model) -> dict[str, list[tuple[int, np.ndarray]]]:
    """Box corners of the contact bodies in their body frames, grouped by side ('R'/'L')."""
    out: dict[str, list[tuple[int, np.ndarray]]] = {"R": [], "L": []}
    for i, b in enumerate(model.bodies):
        if not b.contact:
            continue
        side = "R" if b.name.endswith("R") else "L"
        for s in b.shapes:
            out[side].extend((i, p) for p in s.corners())
    if not out["R"] or not out["L"]:
        raise ModelError(model.source, "contact bodies", "the walking reference needs contact bodies "
                         "whose names end in R and L (the feet)")
    return out


def foot_points(model, Q: np.ndarray) -> dict[str, np.ndarray]:
    """World positions (frames, points, 3) of each foot's contact corners."""
    T = model.native().forward_kinematics(Q)
    out = {}
    for side, pts in contact_points(model).items():
        idx = np.array([i for i, _ in pts])
        local = np.array([p for _, p in pts])
        Tb = T[:, idx]
        out[side] = np.einsum("fpij,pj->fpi", Tb[..., :3, :3], local) + Tb[..., :3, 3]
    return out


@dataclass
class WalkingReference:
    """One gait cycle of joint positions; ``pose(phase)`` for any phase, the root advancing a stride per cycle."""

    model: object
    stride: float          # m per cycle (two steps)
    cadence: float         # steps per minute
    positions: np.ndarray  # (SAMPLES, dofs), root translation relative to the cycle start
    hip_scale: float       # the hip excursion factor that gives the stride

    @property
    def phases(self) -> np.ndarray:
        """The phases of the stored samples (SAMPLES,)."""
        return np.arange(SAMPLES) / SAMPLES

    @property
    def duration(self) -> float:
        """Seconds per cycle."""
        return 120.0 / self.cadence

    @property
    def speed(self) -> float:
        return self.stride / self.duration

    def pose(self, phase) -> np.ndarray:
        """Joint positions at ``phase`` (scalar or array; one cycle per unit phase)."""
        scalar = np.ndim(phase) == 0
        phase = np.atleast_1d(np.asarray(phase, dtype=float))
        cycles = np.floor(phase)
        frac = phase - cycles
        x = frac * SAMPLES
        i0 = np.floor(x).astype(int) % SAMPLES
        i1 = (i0 + 1) % SAMPLES
        w = (x - np.floor(x))[:, None]
        q0, q1 = self.positions[i0], self.positions[i1].copy()
        # The sample after the last one is the first of the next cycle: one stride further on.
        wrap = i1 == 0
        q1[wrap, 5] += self.stride
        # Ball joints and the root rotation: interpolate rotations, not exp-map coordinates.
        q = (1 - w) * q0 + w * q1
        for k in self._rotation_slices():
            r0 = Rotation.from_rotvec(q0[:, k:k + 3])
            r1 = Rotation.from_rotvec(q1[:, k:k + 3])
            delta = (r0.inv() * r1).as_rotvec()
            q[:, k:k + 3] = (r0 * Rotation.from_rotvec(delta * w)).as_rotvec()
        q[:, 5] += cycles * self.stride
        return q[0] if scalar else q

    def _rotation_slices(self):
        offsets = self.model.dof_offsets()
        return [offsets[b.name] for b in self.model.bodies if b.joint.type in ("ball", "free")]


def _joint_angles(model, phase: np.ndarray, hip_scale: float) -> np.ndarray:
    """Joint positions with the root at the origin (rotation from the pelvis curves), toes at zero."""
    n = len(phase)
    Q = np.zeros((n, model.num_dofs))
    off = model.dof_offsets()

    def ball(body, flex_x, rot_y, side_z):
        # intrinsic x (flexion axis), then z (frontal plane), then y (axial rotation)
        Q[:, off[body]:off[body] + 3] = Rotation.from_euler("XZY", np.stack([flex_x, side_z, rot_y], -1)).as_rotvec()

    pel_rot = curve("pelvis_rotation", phase, hip_scale)
    # right side up = rotation about +z (forward) lifts the -x side
    ball_root = Rotation.from_euler("XZY", np.stack([np.zeros(n), curve("pelvis_obliquity", phase), pel_rot], -1))
    Q[:, 0:3] = ball_root.as_rotvec()
    for side, shift, mirror in (("R", 0.0, 1.0), ("L", 0.5, -1.0)):
        p = phase + shift
        hip = curve("hip_flexion", p, hip_scale) - PELVIC_TILT
        # frontal/transverse: +z is adduction on the right, abduction on the left (mirror)
        ball(f"Femur{side}", -hip, mirror * curve("hip_internal_rotation", p), mirror * curve("hip_adduction", p))
        Q[:, off[f"Tibia{side}"]] = curve("knee_flexion", p)
        ball(f"Talus{side}", -curve("ankle_dorsiflexion", p), np.zeros(n), np.zeros(n))
        shoulder = curve("shoulder_flexion", p)
        abduction = np.full(n, math.radians(8.0))
        # right arm: abduction moves the hand to -x (rotation about -z)
        ball(f"Arm{side}", -shoulder, np.zeros(n), -mirror * abduction)
        Q[:, off[f"ForeArm{side}"]] = curve("elbow_flexion", p)
    # the chest counter-rotates against the pelvis
    ball("Torso", np.zeros(n), curve("thorax_rotation", phase) - pel_rot, np.zeros(n))
    return Q


TOE_OFF = 0.60       # fraction of the cycle a foot is on the ground (Perry & Burnfield 2010: ~60 %)
CLEARANCE = 0.012    # m, minimum swing-foot clearance (normative minimum toe clearance is 1-2 cm)


def _stance(phase: np.ndarray, side: str) -> np.ndarray:
    """1 while the foot is on the ground by the gait-event schedule, else 0."""
    local = np.mod(phase - (0.0 if side == "R" else 0.5), 1.0)
    return (local < TOE_OFF).astype(float)


def _support_weight(phase: np.ndarray) -> np.ndarray:
    """Share of the right foot in carrying the root: 1 in right single support, 0 in left single support,
    a smooth hand-over across each double-support period."""
    ds = TOE_OFF - 0.5
    local = np.mod(phase, 1.0)
    w = np.where(local < 0.5, 1.0, 0.0)
    w = np.where(local < ds, 0.5 - 0.5 * np.cos(np.pi * local / ds), w)
    ramp_out = (local >= 0.5) & (local < 0.5 + ds)
    return np.where(ramp_out, 0.5 + 0.5 * np.cos(np.pi * (local - 0.5) / ds), w)


def _periodic_smooth(x: np.ndarray, width: int) -> np.ndarray:
    kernel = np.exp(-0.5 * (np.arange(-3 * width, 3 * width + 1) / width) ** 2)
    kernel /= kernel.sum()
    padded = np.concatenate([x[-3 * width:], x, x[:3 * width]])
    return np.convolve(padded, kernel, mode="valid")


def _solve_root(model, phase: np.ndarray, hip_scale: float) -> np.ndarray:
    Q = _joint_angles(model, phase, hip_scale)
    off = model.dof_offsets()
    stance = {s: _stance(phase, s) for s in "RL"}
    # Toes stay flat on the ground while the heel rises in stance (rolling over the forefoot).
    T = model.native().forward_kinematics(Q)
    for side in "RL":
        fwd = T[:, model.body_index[f"Talus{side}"], :3, 2]          # the foot's forward axis in world
        pitch = np.arctan2(-fwd[:, 1], np.hypot(fwd[:, 0], fwd[:, 2]))  # > 0: toes down / heel up
        toe = -np.clip(pitch, 0.0, None) * stance[side]
        for name in ("FootThumb", "FootPinky"):
            Q[:, off[f"{name}{side}"]] = _periodic_smooth(toe, 2)
    # Swing clearance: where a swing foot would come within CLEARANCE of the ground, flex the knee more.
    # (Known limit: near full knee extension this lifts the heel little; see docs/model.md.)
    for _ in range(2):
        pts = foot_points(model, Q)
        ground = np.minimum(np.where(stance["R"] > 0, pts["R"][..., 1].min(1), np.inf),
                            np.where(stance["L"] > 0, pts["L"][..., 1].min(1), np.inf))
        for side in "RL":
            swing = stance[side] == 0
            short = np.where(swing, np.clip(ground + CLEARANCE - pts[side][..., 1].min(1), 0, None), 0.0)
            if not short.any():
                continue
            extra = _periodic_smooth(np.clip(short / 0.2, 0, 0.6), 6) * 1.5
            Q[:, off[f"Tibia{side}"]] += extra
            hip = slice(off[f"Femur{side}"], off[f"Femur{side}"] + 3)
            Q[:, hip] = _compose_flexion(Q[:, hip], -extra / 2)
    pts = foot_points(model, Q)
    low = {s: pts[s][..., 1].min(axis=1) for s in "RL"}
    ground = np.minimum(np.where(stance["R"] > 0, low["R"], np.inf), np.where(stance["L"] > 0, low["L"], np.inf))
    Q[:, 4] = -ground                                     # the stance foot's lowest point on the ground
    # Horizontal: the supporting foot's lowest point does not move between samples.
    w = _support_weight(phase)
    root_xz = np.zeros((len(phase), 2))
    for i in range(len(phase) - 1):
        delta = np.zeros(2)
        for side, share in (("R", w[i]), ("L", 1.0 - w[i])):
            if share > 0:
                k = int(np.argmin(pts[side][i, :, 1]))
                delta += share * (pts[side][i + 1, k, [0, 2]] - pts[side][i, k, [0, 2]])
        root_xz[i + 1] = root_xz[i] - delta
    Q[:, 3], Q[:, 5] = root_xz[:, 0], root_xz[:, 1]
    return Q


def _compose_flexion(rotvec: np.ndarray, extra_x: np.ndarray) -> np.ndarray:
    """Adds a rotation about the joint's x axis (applied first, in the parent frame) to ball-joint positions."""
    return (Rotation.from_rotvec(np.stack([extra_x, 0 * extra_x, 0 * extra_x], -1)) * Rotation.from_rotvec(rotvec)).as_rotvec()


def walking_reference(model, stride: float | None = None, cadence: float = 110.0) -> WalkingReference:
    """A walking cycle for ``model`` with ``stride`` m per cycle (default 0.8 x stature) and
    ``cadence`` steps per minute."""
    src = "walking_reference()"
    height = float(model.metadata.get("height_m", 1.75))
    if stride is None:
        stride = 0.8 * height
    for key, value, lo, hi in (("stride", stride, 0.3 * height, 1.1 * height), ("cadence", cadence, 60.0, 160.0)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and lo <= value <= hi):
            raise ModelError(src, key, f"must be in [{lo:.3g}, {hi:.3g}], got {value!r}")
    for name in ("FemurR", "TibiaR", "TalusR", "FootThumbR", "FootPinkyR", "FemurL", "TibiaL", "TalusL",
                 "FootThumbL", "FootPinkyL", "Torso", "ArmR", "ArmL", "ForeArmR", "ForeArmL"):
        if name not in model.body_index:
            raise ModelError(model.source, f"body '{name}'", "the walking reference needs the bidir/MASS topology")
    # One extra sample closes the cycle: phase 1 == phase 0 plus one stride.
    phase = np.arange(SAMPLES + 1) / SAMPLES

    def stride_of(scale: float) -> tuple[float, np.ndarray]:
        Q = _solve_root(model, phase, scale)
        return float(Q[-1, 5] - Q[0, 5]), Q

    lo, hi = 0.2, 2.5
    s_lo, _ = stride_of(lo)
    s_hi, _ = stride_of(hi)
    if not (s_lo <= stride <= s_hi):
        raise ModelError(src, "stride", f"{stride:.3f} m is outside what this body reaches with normative "
                         f"joint angles ({s_lo:.3f}..{s_hi:.3f} m)")
    for _ in range(40):  # bisection on the hip excursion factor; stride grows monotonically with it
        mid = 0.5 * (lo + hi)
        s_mid, Q = stride_of(mid)
        if abs(s_mid - stride) < 1e-5:
            break
        lo, hi = (mid, hi) if s_mid < stride else (lo, mid)
    # Remove the small lateral drift left by the discrete solve so that the cycle closes exactly.
    drift = Q[-1, 3] - Q[0, 3]
    Q[:, 3] -= drift * phase
    return WalkingReference(model=model, stride=float(stride), cadence=float(cadence),
                            positions=Q[:-1].copy(), hip_scale=mid)
