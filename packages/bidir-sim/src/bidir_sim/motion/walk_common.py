"""What both walking references (walk: version 1; normative_walk: version 2) share: the sampling, the
normative pose built from the gait curves, and the leg-reach geometry. Its own module so that neither
reference module imports the other."""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial.transform import Rotation

from .foot import LegGeometry, leg_reach, transform_points
from .gait_curves import curve

SAMPLES = 240  # per cycle, for the root solve and interpolation
# Normative hip angles are measured against a pelvis tilted ~10 deg anteriorly (Kadaba et al. 1990); the
# model's pelvis is upright at the zero pose, so the thigh's angle to the vertical is hip flexion - tilt.
PELVIC_TILT = math.radians(10.0)
TOE_OFF = 0.60        # fraction of the cycle a foot is on the ground (Perry & Burnfield 2010: ~60 %)
CLEARANCE = 0.015     # m, least swing-foot height in mid-swing (normative minimum toe clearance: 1-2 cm)
LATERAL_SWAY = 0.02   # m, pelvis shift toward the stance foot (adults: about +-2 cm)
MIN_KNEE = math.radians(3.0)  # the stance knee never locks straight: keeps the leg IK well conditioned
STEP_WIDTH = 0.65     # heel x as a fraction of the hip joint's: ~11 cm between heels for the default body
NOMINAL_STRIDE = 0.8  # x stature: the stride the normative hip curve belongs to (scaled for other strides)


def normative_pose(model, phase: np.ndarray, hip_scale: float, obliquity_sign: float = 1.0) -> np.ndarray:
    """Joint positions with the root at the origin (rotation from the pelvis curves), toes at zero.
    ``obliquity_sign``: 1 is version 1's sign, which mirrors gait_curves' pelvis obliquity (a rotation about
    +z lifts +x, the body's left, so version 1's pelvis rises on the left when the curve says right); -1,
    the normative fit's, follows the curve ("+ = right side up")."""
    n = len(phase)
    Q = np.zeros((n, model.num_dofs))
    off = model.dof_offsets()

    def ball(body, flex_x, rot_y, side_z):
        # intrinsic x (flexion axis), then z (frontal plane), then y (axial rotation)
        Q[:, off[body]:off[body] + 3] = Rotation.from_euler("XZY", np.stack([flex_x, side_z, rot_y], -1)).as_rotvec()

    pel_rot = curve("pelvis_rotation", phase, hip_scale)
    # version 1 (obliquity_sign 1) composes the curve mirrored: a rotation about +z (forward) lifts +x, the left
    obliquity = obliquity_sign * curve("pelvis_obliquity", phase)
    ball_root = Rotation.from_euler("XZY", np.stack([np.zeros(n), obliquity, pel_rot], -1))
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


def hip_centre(model, leg: LegGeometry, T: np.ndarray) -> np.ndarray:
    return transform_points(T[:, leg.femur], transform_points(np.linalg.inv(model.bodies[leg.femur].frame), leg.hip_w0))


def root_height_limit(model, leg: LegGeometry, T: np.ndarray, ankle: np.ndarray, knee: np.ndarray) -> np.ndarray:
    """The root height at which the hip is exactly as far from ``ankle`` as the leg reaches with the knee
    flexed by ``knee`` (T: forward kinematics with the root at height 0). NaN where it cannot reach."""
    hip = hip_centre(model, leg, T)
    horiz = np.hypot(*(hip - ankle)[:, [0, 2]].T)
    reach = leg_reach(leg, knee)
    with np.errstate(invalid="ignore"):
        return ankle[:, 1] + np.sqrt(reach**2 - horiz**2) - hip[:, 1]


def set_feet(model, Q: np.ndarray, legs: dict, feet: dict, toe: dict) -> None:
    """Writes into ``Q`` the ankle angles that give each side's foot its chosen world orientation (``feet``:
    (n, 4, 4) talus poses) below the shank the other joints put there, and the toe angles ``toe``."""
    off = model.dof_offsets()
    T = model.native().forward_kinematics(Q)
    for side, leg in legs.items():
        talus, tibia = model.bodies[leg.talus], model.bodies[leg.tibia]
        J = talus.joint.frame[:3, :3]
        R = (J.T @ tibia.frame[:3, :3]) @ np.swapaxes(T[:, leg.tibia, :3, :3], 1, 2) \
            @ feet[side][:, :3, :3] @ talus.frame[:3, :3].T @ J
        a = off[talus.name]
        Q[:, a:a + 3] = Rotation.from_matrix(R).as_rotvec()
        for i, sign in zip(leg.toes, leg.toe_sign):
            Q[:, off[model.bodies[i].name]] = sign * toe[side]
