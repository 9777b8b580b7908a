"""bidir's procedural walking reference: a cyclic gait built from normative joint-angle curves.

How one cycle is made (``_solve_cycle``), in the root's moving frame (the root advances one stride per cycle):

1. Normative curves (gait_curves) give the pelvis rotation, the arms and chest, the hip's axial rotation,
   and the foot's pitch against the floor. The left side is the right half a cycle later, mirrored.
2. Stance: each heel lands where the normative leg puts it (sideways: under the hip), and the foot then
   rolls over its heel and toe rockers without slipping (foot.rolling_foot_pose). The landing spot is
   shifted until leading and trailing leg allow the same pelvis height at heel strike.
3. Pelvis height: as high as lets the supporting leg keep its normative knee flexion, then low enough
   that every foot target is in reach.
4. Swing: the normative ankle path, bent to meet the stance path (position and velocity) at toe-off and
   at the next heel strike, and lifted where the foot would pass lower than CLEARANCE.
5. Leg IK (leg_ik) finds hip flexion/adduction and knee flexion that put each ankle on its target; the
   ankle and toe angles then give the chosen foot orientation, with the toes flat while the heel is up.

The result is sampled once per cycle and interpolated at any phase. This is version 1, the default (what
``make walk`` trains on); ``walking_reference(..., version=2)`` builds the normative fit instead
(normative_walk.py), which follows the sagittal curves and composes the pelvis obliquity with its true sign.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from ..errors import ModelError
from .foot import (
    LegGeometry,
    foot_pose,
    leg_geometry,
    lowest_point,
    rolling_foot_pose,
    transform_points,
)
from .leg_ik import solve_legs
from .walk_common import (  # noqa: F401 (PELVIC_TILT, TOE_OFF, ...: walk's public names since version 1)
    CLEARANCE,
    LATERAL_SWAY,
    MIN_KNEE,
    NOMINAL_STRIDE,
    PELVIC_TILT,
    SAMPLES,
    STEP_WIDTH,
    TOE_OFF,
    set_feet,
)
from .walk_common import normative_pose as _joint_angles
from .walk_common import root_height_limit as _root_height_limit


@dataclass
class WalkingReference:
    """One gait cycle of joint positions; ``pose(phase)`` for any phase, the root advancing a stride per cycle."""

    model: object
    stride: float          # m per cycle (two steps)
    cadence: float         # steps per minute
    positions: np.ndarray  # (SAMPLES, dofs), root translation relative to the cycle start
    hip_scale: float       # the hip excursion factor that gives the stride
    version: int = 1       # walking_reference's construction (VERSIONS)

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


def _hermite(s: np.ndarray, p0, v0, p1, v1, duration: float) -> np.ndarray:
    """Cubic Hermite curve through p0 (s = 0) and p1 (s = 1) with velocities v0, v1 per unit of time."""
    s = s[:, None]
    h00, h10 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s
    h01, h11 = -2 * s**3 + 3 * s**2, s**3 - s**2
    return h00 * p0 + h10 * duration * v0 + h01 * p1 + h11 * duration * v1


def _lift(s: np.ndarray, deficit: np.ndarray, width: float = 0.15) -> np.ndarray:
    """A smooth bump over the swing (s in [0, 1]) that is at least ``deficit`` everywhere and zero at
    both ends: the upper envelope of raised-cosine bumps, one per sample."""
    d = (s[:, None] - s[None, :]) / width
    bumps = np.where(np.abs(d) < 1.0, np.cos(0.5 * np.pi * d) ** 2, 0.0) * deficit[None, :]
    ends = np.clip(np.minimum(s, 1.0 - s) / 0.05, 0.0, 1.0)
    return bumps.max(axis=1) * ends


def _periodic_smooth(x: np.ndarray, width: int) -> np.ndarray:
    kernel = np.exp(-0.5 * (np.arange(-3 * width, 3 * width + 1) / width) ** 2)
    kernel /= kernel.sum()
    padded = np.concatenate([x[-3 * width:], x, x[:3 * width]])
    return np.convolve(padded, kernel, mode="valid")


def _periodic_min_filter(x: np.ndarray, radius: int) -> np.ndarray:
    return np.min([np.roll(x, k) for k in range(-radius, radius + 1)], axis=0)


def _smooth_below(x: np.ndarray, width: int) -> np.ndarray:
    """A smooth periodic curve that is nowhere above ``x`` (min filter over the kernel's support, then blur)."""
    return _periodic_smooth(_periodic_min_filter(x, 3 * width), width)


def _swing(model, leg: LegGeometry, T: np.ndarray, root_y: np.ndarray, stance: np.ndarray, pitch: np.ndarray,
           toe_off_angle: float, start: int):
    """Ankle targets, foot poses and toe angles over one swing. The path is the normative ankle path, bent
    so that position and velocity meet the stance path at toe-off and at the next heel strike, then lifted
    where the foot would pass lower than CLEARANCE. Seen from the root the foot path is periodic, so the
    next heel strike is this cycle's stance start."""
    n = len(root_y)
    to = round(TOE_OFF * n)
    idx = (start + to + np.arange(n - to)) % n               # swing samples, toe-off first
    i_to, i_hs = idx[0], start % n
    s = np.arange(n - to) / (n - to)
    normative = transform_points(T[:, leg.talus], leg.ankle) + np.outer(root_y, [0.0, 1.0, 0.0])

    def velocity(a, i):  # per unit phase
        return (a[(i + 1) % n] - a[(i - 1) % n]) * n / 2

    v_end = (stance[i_to] - stance[i_to - 1]) * n
    v_start = (stance[(i_hs + 1) % n] - stance[i_hs]) * n
    path = normative[idx] + _hermite(s, stance[i_to] - normative[i_to], v_end - velocity(normative, i_to),
                                     stance[i_hs] - normative[i_hs], v_start - velocity(normative, i_hs),
                                     (n - to) / n)
    toe = toe_off_angle * 0.5 * (1 + np.cos(np.pi * np.clip(s / 0.4, 0.0, 1.0)))  # toes relax in early swing
    low = lowest_point(model, leg, foot_pose(leg, pitch[idx], leg.ankle, path), toe)
    deficit = np.clip(CLEARANCE * np.clip(np.minimum(s, 1 - s) / 0.2, 0, 1) - low, 0.0, None)
    path = path + np.outer(_lift(s, deficit), [0.0, 1.0, 0.0])
    return idx, path, foot_pose(leg, pitch[idx], leg.ankle, path), toe


def _solve_cycle(model, stride: float, hip_scale: float) -> np.ndarray:
    """Joint positions at phases i / SAMPLES with the root at z = 0 (callers add stride * phase)."""
    n = SAMPLES
    phase = np.arange(n) / n
    Q = _joint_angles(model, phase, hip_scale)
    Q[:, 3] = -LATERAL_SWAY * np.sin(2 * np.pi * phase)  # toward the right foot (-x) in right stance
    T = model.native().forward_kinematics(Q)             # root at height 0 and z = 0
    off = model.dof_offsets()
    legs = {s: leg_geometry(model, s) for s in "RL"}
    starts = {"R": 0, "L": n // 2}                        # heel-strike samples
    to = round(TOE_OFF * n)
    u = {side: np.mod(np.arange(n) - start, n) for side, start in starts.items()}  # samples since heel strike
    on_ground = {side: u[side] < to for side in legs}
    pitch, toe = {}, {}
    for side, leg in legs.items():
        fwd = np.einsum("nij,j->ni", T[:, leg.talus, :3, :3], leg.R0.T @ [0.0, 0.0, 1.0])
        pitch[side] = np.arctan2(fwd[:, 1], np.hypot(fwd[:, 0], fwd[:, 2]))  # > 0: toes up
        toe[side] = np.minimum(pitch[side], 0.0)
    # Knee flexion the root height must leave each stance leg: the normative one while the leg supports the
    # body; in pre-swing (the other foot already down) the trailing leg only has to reach, since its knee
    # bends as its heel rises.
    knee = {side: np.where(u[side] < n // 2, np.maximum(Q[:, off[f"Tibia{side}"]], MIN_KNEE), MIN_KNEE)
            for side in legs}

    def stance_paths(shift: float):
        """Feet and ankle targets in stance with the heels landing ``shift`` ahead of the normative leg's
        heel; and the root height each leg allows (NaN: out of reach, inf: foot off the ground)."""
        feet, ankles, limits = {}, {}, {}
        for side, leg in legs.items():
            # Sideways the heel lands under the hip: normative hip adduction is measured against an
            # anatomical femur axis that our straight femur lacks.
            heel = np.array([STEP_WIDTH * leg.hip_w0[0], transform_points(T[starts[side], leg.talus], leg.heel)[2] + shift])
            feet[side] = rolling_foot_pose(leg, pitch[side], heel, stride * u[side] / n)
            ankles[side] = transform_points(feet[side], leg.ankle)
            y = _root_height_limit(model, leg, T, ankles[side], knee[side])
            limits[side] = np.where(on_ground[side], y, np.inf)
        return feet, ankles, limits

    # Place the heels so that at heel strike the leading and the trailing leg allow the same root height:
    # the body is centred over its double support, as high as both legs let it be.
    lo, hi = -0.3, 0.3
    for _ in range(30):
        shift = 0.5 * (lo + hi)
        _, _, lim = stance_paths(shift)
        lead, trail = (np.nan_to_num(lim[s][starts["R"]], nan=-np.inf) for s in "RL")
        lo, hi = (shift, hi) if lead > trail else (lo, shift)
    feet, stance, lim = stance_paths(shift)
    limit = np.minimum(lim["R"], lim["L"])
    if np.isnan(limit).any():
        raise ModelError(model.source, "walking reference", f"a {stride:.2f} m stride is too long for this "
                         "body's legs")
    root_y = _smooth_below(limit, 2)
    # ... and low enough that each swing leg reaches its path (which depends on the root height).
    for _ in range(10):
        targets = {s: stance[s].copy() for s in "RL"}
        for side, leg in legs.items():
            idx, path, pose, toe_swing = _swing(model, leg, T, root_y, stance[side], pitch[side],
                                                toe[side][(starts[side] + to) % n], starts[side])
            targets[side][idx], feet[side][idx], toe[side][idx] = path, pose, toe_swing
        reach = np.full(n, np.inf)
        for side, leg in legs.items():
            y = _root_height_limit(model, leg, T, targets[side], np.full(n, MIN_KNEE))
            reach = np.minimum(reach, np.where(np.isnan(y), -np.inf, y))
        if np.all(root_y <= reach + 1e-9):
            break
        root_y = _smooth_below(np.minimum(root_y, reach - 0.002), 2)
    else:
        raise ModelError(model.source, "walking reference",
                         f"a {stride:.2f} m stride is too long for this body's legs (swing)")
    Q[:, 4] = root_y
    Q = solve_legs(model, Q, legs, targets,
                {s: Rotation.from_rotvec(Q[:, off[f"Femur{s}"]:off[f"Femur{s}"] + 3]).as_euler("XZY")[:, 2]
                 for s in "RL"})
    # Ankles and toes: the foot orientations chosen above; toes flat on the ground while the heel is up.
    set_feet(model, Q, legs, feet, toe)
    return Q


VERSIONS = (1, 2)  # 1: the default (make walk's); 2: the normative fit (motion/normative_walk.py, issue #28)


def walking_reference(model, stride: float | None = None, cadence: float = 110.0, version: int = 1) -> WalkingReference:
    """A walking cycle for ``model`` with ``stride`` m per cycle (default 0.8 x stature) and
    ``cadence`` steps per minute. ``version`` 1 (the default) is this module's construction; 2 is the
    normative fit (``normative_walk``): the sagittal hip, knee and ankle angles follow gait_curves, the
    pelvis obliquity has gait_curves' sign, and the root's forward speed varies within the cycle."""
    src = "walking_reference()"
    if isinstance(version, bool) or not isinstance(version, int) or version not in VERSIONS:
        raise ModelError(src, "version", f"must be one of {', '.join(map(str, VERSIONS))}, got {version!r}")
    height = float(model.metadata.get("height_m", 1.75))
    if stride is None:
        stride = NOMINAL_STRIDE * height
    for key, value, lo, hi in (("stride", stride, 0.3 * height, 1.1 * height), ("cadence", cadence, 60.0, 160.0)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and lo <= value <= hi):
            raise ModelError(src, key, f"must be in [{lo:.3g}, {hi:.3g}], got {value!r}")
    for name in ("FemurR", "TibiaR", "TalusR", "FemurL", "TibiaL", "TalusL", "Torso", "ArmR", "ArmL",
                 "ForeArmR", "ForeArmL"):
        if name not in model.body_index:
            raise ModelError(model.source, f"body '{name}'", "the walking reference needs the bidir/MASS topology")
    if version == 2:
        from .normative_walk import solve_cycle

        Q, hip_scale = solve_cycle(model, float(stride))
    else:
        hip_scale = stride / (NOMINAL_STRIDE * height)
        Q = _solve_cycle(model, float(stride), hip_scale)
        Q[:, 5] = stride * np.arange(SAMPLES) / SAMPLES
    return WalkingReference(model=model, stride=float(stride), cadence=float(cadence), positions=Q,
                            hip_scale=hip_scale, version=version)
