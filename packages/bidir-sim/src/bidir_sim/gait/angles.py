"""Clinical joint angles from bidir's joint positions.

bidir's ball joints are read as intrinsic x-z-y rotations (flexion about x first, then the frontal plane
about z, then axial rotation about y), the decomposition the walking reference composes them with
(motion/walk.py). World frame: y up, z forward (the direction of progression), x to the body's left.

The one offset: the model's pelvis is upright at the zero pose, while gait labs measure the pelvis about
``PELVIC_TILT`` (10 deg) anteriorly tilted and hip flexion against that tilted pelvis (Kadaba et al. 1990).
So clinical pelvic tilt = the model's pelvis pitch + PELVIC_TILT, and clinical hip flexion = the model's
femur flexion + PELVIC_TILT; nothing else is shifted.

Every angle is in degrees, per side (``_r``, ``_l``), with the side's own sign (the left side is mirrored):

====================== =====================================================================
pelvis_tilt            + anterior (one value for both sides)
pelvis_obliquity_<s>   + that side's iliac crest up
pelvis_rotation_<s>    + that side forward
hip_flexion_<s>        + flexion
hip_adduction_<s>      + adduction
hip_internal_rotation_<s> + internal rotation
knee_flexion_<s>       + flexion
ankle_dorsiflexion_<s> + dorsiflexion
foot_progression_<s>   + internal (in-toeing): the foot's long axis against the direction of progression (+z),
                       on the ground plane (the Plug-in Gait convention; healthy adults are slightly external)
====================== =====================================================================
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from ..motion.walk import PELVIC_TILT

SIDE_BODIES = {"r": ("FemurR", "TibiaR", "TalusR"), "l": ("FemurL", "TibiaL", "TalusL")}
ANGLES = ("pelvis_tilt", "pelvis_obliquity", "pelvis_rotation", "hip_flexion", "hip_adduction",
          "hip_internal_rotation", "knee_flexion", "ankle_dorsiflexion", "foot_progression")


def euler_xzy(rotvec: np.ndarray) -> np.ndarray:
    """(rows, 3) exp-map coordinates -> (rows, 3) intrinsic x, z, y angles in radians."""
    return Rotation.from_rotvec(rotvec).as_euler("XZY")


def required_bodies(model) -> None:
    names = {b.name for b in model.bodies}
    missing = [n for side in SIDE_BODIES.values() for n in side if n not in names]
    if missing or model.bodies[0].joint.type != "free":
        raise ValueError(f"gait analysis needs a free-rooted body with {', '.join(sum(SIDE_BODIES.values(), ()))}; "
                         f"model '{model.name}' lacks {', '.join(missing) or 'a free root'}")


def joint_angles(model, positions: np.ndarray, talus_rotation: dict[str, np.ndarray] | None = None) -> dict:
    """Clinical angles (degrees, see the module doc) of every row of ``positions`` (rows, dofs).
    ``talus_rotation``: per side the talus's world rotation matrices (rows, 3, 3) relative to the zero pose,
    for the foot progression angle (left out when None)."""
    required_bodies(model)
    q = np.asarray(positions, dtype=float)
    off = model.dof_offsets()
    tilt = np.degrees(PELVIC_TILT)
    pelvis = np.degrees(euler_xzy(q[:, 0:3]))
    out = {"pelvis_tilt": pelvis[:, 0] + tilt}
    for side, sign in (("r", 1.0), ("l", -1.0)):
        femur, tibia, talus = SIDE_BODIES[side]
        hip = np.degrees(euler_xzy(q[:, off[femur]:off[femur] + 3]))
        ankle = np.degrees(euler_xzy(q[:, off[talus]:off[talus] + 3]))
        # a rotation about +z (forward) lifts +x, the body's left: the right side goes up for a negative angle
        out[f"pelvis_obliquity_{side}"] = -sign * pelvis[:, 1]
        out[f"pelvis_rotation_{side}"] = sign * pelvis[:, 2]
        out[f"hip_flexion_{side}"] = -hip[:, 0] + tilt
        out[f"hip_adduction_{side}"] = sign * hip[:, 1]
        out[f"hip_internal_rotation_{side}"] = sign * hip[:, 2]
        out[f"knee_flexion_{side}"] = np.degrees(q[:, off[tibia]])
        out[f"ankle_dorsiflexion_{side}"] = -ankle[:, 0]
        if talus_rotation is not None:
            axis = talus_rotation[side] @ np.array([0.0, 0.0, 1.0])  # the foot's long axis (+z at the zero pose)
            # internal = toes toward the midline: +x for the right foot (the body's left), -x for the left
            out[f"foot_progression_{side}"] = np.degrees(np.arctan2(sign * axis[:, 0], axis[:, 2]))
    return out


def moment_axes(rotvec: np.ndarray) -> np.ndarray:
    """(rows, 3, 3): for a ball joint at ``rotvec``, row k of ``axes[i]`` is the child-frame direction whose dot
    product with the joint's torque (DART: child frame) is the moment conjugate to x-z-y angle k. With
    R = Rx(a) Rz(b) Ry(c) the child's angular velocity is a' R^T e_x + b' Ry(c)^T e_z + c' e_y."""
    a = euler_xzy(rotvec)
    e = np.eye(3)
    first = Rotation.from_rotvec(rotvec).inv().apply(e[0])
    second = Rotation.from_euler("Y", a[:, 2:3]).inv().apply(e[2])
    return np.stack([first, second, np.broadcast_to(e[1], first.shape)], axis=1)
