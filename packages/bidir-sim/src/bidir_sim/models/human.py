"""bidir's own parametric human: 23 bodies, 56 DoF, lower-body and trunk muscles.

Topology (the reference system's): free root Pelvis; per leg a ball hip (Femur), revolute knee (Tibia),
ball ankle (Talus) and two revolute toe segments (FootThumb medial, FootPinky lateral); Spine, Torso, Neck,
Head on ball joints; per arm a ball Shoulder (clavicle), ball Arm, revolute elbow (ForeArm), ball Hand.

All body frames are axis-aligned at the zero pose and sit at their proximal joint. Axes: y up, z forward,
x to the body's left. Lengths scale with stature, masses with body mass; the muscle set (human_muscles.py)
is attached relative to segment dimensions and scales with them. See docs/model.md.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ModelError
from .anthropometry import DE_LEVA, HEIGHT, NOMINAL_HEIGHT, NOMINAL_MASS, TRUNK_LENGTHS_MM, WIDTH
from .human_muscles import build_muscles, fit_operating_range
from .spec import Body, Joint, Model, Shape, translation, validate

deg = math.radians

# Physiological ranges of motion (AAOS, "Joint Motion: Method of Measuring and Recording", 1965; the
# normative values quoted in Norkin & White, "Measurement of Joint Motion", 5th ed.). Coordinates are
# the exponential-map components (ball) about x (left), y (up), z (forward) for a RIGHT-side or midline
# joint; left-side limits are mirrored (y and z negated and swapped). See docs/model.md for the signs.
ROM = {
    #            x: (lower, upper)          y: rotation            z: frontal plane
    "hip":      ((-deg(120), deg(30)), (-deg(45), deg(45)), (-deg(45), deg(30))),
    "knee":     ((0.0, deg(140)),),
    "ankle":    ((-deg(20), deg(50)), (-deg(25), deg(25)), (-deg(15), deg(35))),
    "toe":      ((-deg(70), deg(30)),),
    "spine":    ((-deg(15), deg(30)), (-deg(15), deg(15)), (-deg(15), deg(15))),
    "torso":    ((-deg(15), deg(30)), (-deg(20), deg(20)), (-deg(15), deg(15))),
    "neck":     ((-deg(30), deg(30)), (-deg(40), deg(40)), (-deg(25), deg(25))),
    "head":     ((-deg(20), deg(20)), (-deg(40), deg(40)), (-deg(20), deg(20))),
    "clavicle": ((-deg(20), deg(20)), (-deg(25), deg(25)), (-deg(20), deg(30))),
    "shoulder": ((-deg(180), deg(60)), (-deg(70), deg(90)), (-deg(180), deg(30))),
    "elbow":    ((0.0, deg(150)),),
    "wrist":    ((-deg(70), deg(80)), (-deg(20), deg(20)), (-deg(30), deg(20))),
}
# SPD gains (kp N·m/rad, kv N·m·s/rad) per joint and passive joint damping; kv = kp/10.
GAINS = {"hip": 300, "knee": 300, "ankle": 250, "toe": 60, "spine": 400, "torso": 400, "neck": 120,
         "head": 80, "clavicle": 120, "shoulder": 120, "elbow": 80, "wrist": 30}
DAMPING = 0.4

SKIN = (0.85, 0.72, 0.62, 1.0)
BONE = (0.75, 0.75, 0.85, 1.0)


def _limits(kind: str, side: str) -> tuple[np.ndarray, np.ndarray]:
    rom = ROM[kind]
    lo = np.array([r[0] for r in rom])
    hi = np.array([r[1] for r in rom])
    if side == "L" and len(rom) == 3:
        # Mirror across the sagittal plane: rotations about y and z change sign.
        lo[1:], hi[1:] = -hi[1:], -lo[1:]
    return lo, hi


def _box_inertia_from_gyration(mass: float, length: float, radii_pct, long_axis: int) -> np.ndarray:
    """Diagonal inertia from de Leva radii (sagittal, transverse, longitudinal) in % of length.

    Sagittal = about x (medio-lateral axis), transverse = about the antero-posterior axis,
    longitudinal = about the segment's long axis (y for limbs and trunk, z for the feet).
    """
    r_sag, r_trans, r_long = (p / 100.0 * length for p in radii_pct)
    i = np.zeros(3)
    i[0] = mass * r_sag**2
    if long_axis == 1:
        i[1], i[2] = mass * r_long**2, mass * r_trans**2
    else:  # foot: long axis z, transverse axis is vertical
        i[1], i[2] = mass * r_trans**2, mass * r_long**2
    return np.diag(i)


class _Builder:
    def __init__(self, height: float, mass: float):
        self.H, self.M = height, mass
        self.bodies: list[Body] = []
        self.dims: dict[str, np.ndarray] = {}  # (width, length, depth) per body, for muscle scaling
        self.frames: dict[str, np.ndarray] = {}  # zero-pose world frame per body

    def add(self, name, parent, joint_type, origin, *, kind=None, side="", axis=(1.0, 0.0, 0.0),
            mass_pct, com, inertia, box, box_center, dims, color=SKIN, contact=False, spheres=(), box_collides=None):
        origin = np.asarray(origin, dtype=float)
        lo = hi = kp = kv = damping = None
        if kind is not None:
            lo, hi = _limits(kind, side)
            kp = np.full(lo.shape, float(GAINS[kind]))
            kv = kp / 10.0
            damping = np.full(lo.shape, DAMPING)
        elif joint_type == "free":
            kp, kv, damping = np.zeros(6), np.zeros(6), np.zeros(6)
        joint = Joint(type=joint_type, frame=translation(origin), axis=np.asarray(axis, dtype=float),
                      lower=lo, upper=hi, kp=kp, kv=kv, damping=damping)
        # With contact spheres, the box is only drawn and the spheres (inside it, touching its sole) collide.
        shapes = [Shape(type="box", size=np.asarray(box, dtype=float), offset=translation(box_center), color=color,
                        collision=not spheres if box_collides is None else box_collides)]
        shapes += [Shape(type="sphere", size=np.array([r]), offset=translation(p), color=color, visual=False)
                   for p, r in spheres]  # (centre in the body frame, radius)
        self.bodies.append(Body(name=name, parent=parent, mass=self.M * mass_pct / 100.0,
                                com=np.asarray(com, dtype=float), inertia=inertia, frame=translation(origin),
                                joint=joint, shapes=shapes, contact=contact))
        self.dims[name] = np.asarray(dims, dtype=float)
        self.frames[name] = translation(origin)


HEIGHT_RANGE_M = (1.2, 2.2)   # the generator's statures (python -m bidir_sim generate --height)
MASS_RANGE_KG = (25.0, 200.0)  # and body masses (--mass)


def human(height_m: float = NOMINAL_HEIGHT, mass_kg: float = NOMINAL_MASS, name: str = "bidir-human",
          with_muscles: bool = True) -> Model:
    """Builds bidir's default human model for a given stature and body mass.

    The result is validated; ``with_muscles=False`` gives the skeleton alone.
    """
    src = "bidir_sim.models.human()"
    for key, value, lo, hi in (("height_m", height_m, *HEIGHT_RANGE_M), ("mass_kg", mass_kg, *MASS_RANGE_KG)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and lo <= value <= hi):
            raise ModelError(src, key, f"must be a number in [{lo}, {hi}], got {value!r}")
    b = build_skeleton(float(height_m), float(mass_kg))
    # Order like the reference: pelvis, right leg, left leg, trunk, right arm, left arm.
    order = ["Pelvis"] + [f"{n}{s}" for s in "RL" for n in ("Femur", "Tibia", "Talus", "FootThumb", "FootPinky")] + \
        ["Spine", "Torso", "Neck", "Head"] + [f"{n}{s}" for s in "RL" for n in ("Shoulder", "Arm", "ForeArm", "Hand")]
    by_name = {x.name: x for x in b.bodies}
    model = Model(name=name, bodies=[by_name[n] for n in order], source=src,
                  metadata={"generator": "bidir_sim.models.human", "height_m": round(b.H, 6),
                            "mass_kg": round(b.M, 6)})
    if with_muscles:
        muscles = build_muscles(b.dims, b.frames, build_skeleton(NOMINAL_HEIGHT, NOMINAL_MASS).dims, b.M)
        fit_operating_range(validate(model), muscles)
        model = Model(name=model.name, bodies=model.bodies, muscles=muscles, source=src, metadata=model.metadata)
    return validate(model)


def build_skeleton(H: float, M: float) -> _Builder:
    """Bodies and segment dimensions (width, length, depth) for stature H and mass M."""
    b = _Builder(H, M)

    y_ankle, y_knee, y_hip = HEIGHT["ankle"] * H, HEIGHT["knee"] * H, HEIGHT["hip"] * H
    y_shoulder, y_chin = HEIGHT["shoulder"] * H, HEIGHT["chin"] * H
    y_neck = 0.830 * H  # C7, a little above the acromion
    trunk = y_neck - y_hip
    total = sum(TRUNK_LENGTHS_MM.values())
    l_pelvis = trunk * TRUNK_LENGTHS_MM["lower"] / total
    l_spine = trunk * TRUNK_LENGTHS_MM["middle"] / total
    l_torso = trunk * TRUNK_LENGTHS_MM["upper"] / total
    y_spine, y_torso = y_hip + l_pelvis, y_hip + l_pelvis + l_spine
    hip_x = 0.05 * H  # half the inter-hip-centre distance
    gh_x = 0.11 * H   # glenohumeral centre, lateral offset

    def seg(key):
        return DE_LEVA[key]

    # ---- trunk and head (frames at the lower joint; de Leva COM printed from the upper end)
    m, c, *r = seg("lower_trunk")
    w_pelvis, d_pelvis = WIDTH["hip"] * H, 0.10 * H
    b.add("Pelvis", None, "free", (0, y_hip, 0), mass_pct=m, com=(0, (1 - c / 100) * l_pelvis, 0),
          inertia=_box_inertia_from_gyration(M * m / 100, l_pelvis, r, 1),
          box=(w_pelvis, l_pelvis + 0.03 * H, d_pelvis), box_center=(0, (l_pelvis - 0.03 * H) / 2, 0),
          dims=(w_pelvis, l_pelvis, d_pelvis))
    m, c, *r = seg("middle_trunk")
    b.add("Spine", "Pelvis", "ball", (0, y_spine, 0), kind="spine", mass_pct=m,
          com=(0, (1 - c / 100) * l_spine, 0), inertia=_box_inertia_from_gyration(M * m / 100, l_spine, r, 1),
          box=(0.16 * H, l_spine, 0.10 * H), box_center=(0, l_spine / 2, 0), dims=(0.16 * H, l_spine, 0.10 * H))
    m, c, *r = seg("upper_trunk")
    m_torso = m - 2 * 0.5  # 0.5 % of body mass goes to each shoulder girdle
    b.add("Torso", "Spine", "ball", (0, y_torso, 0), kind="torso", mass_pct=m_torso,
          com=(0, (1 - c / 100) * l_torso, 0), inertia=_box_inertia_from_gyration(M * m_torso / 100, l_torso, r, 1),
          box=(0.19 * H, l_torso, 0.12 * H), box_center=(0, l_torso / 2, 0), dims=(0.19 * H, l_torso, 0.12 * H))
    m_head, c, *r = seg("head")
    l_neck, l_head = y_chin - y_neck, H - y_chin
    m_neck = 1.0  # % of body mass taken from de Leva's head+neck for the neck segment
    b.add("Neck", "Torso", "ball", (0, y_neck, 0), kind="neck", mass_pct=m_neck, com=(0, l_neck / 2, 0),
          inertia=_box_inertia_from_gyration(M * m_neck / 100, l_neck, (40, 40, 40), 1),
          box=(0.06 * H, l_neck, 0.06 * H), box_center=(0, l_neck / 2, 0), dims=(0.06 * H, l_neck, 0.06 * H))
    b.add("Head", "Neck", "ball", (0, y_chin, 0), kind="head", mass_pct=m_head - m_neck,
          com=(0, (1 - c / 100) * l_head, 0.01 * H),
          inertia=_box_inertia_from_gyration(M * (m_head - m_neck) / 100, l_head, r, 1),
          box=(0.09 * H, l_head, 0.11 * H), box_center=(0, l_head / 2, 0.01 * H), dims=(0.09 * H, l_head, 0.11 * H))

    for side, sx in (("R", -1.0), ("L", 1.0)):
        _leg(b, side, sx, H, M, hip_x, y_hip, y_knee, y_ankle)
    for side, sx in (("R", -1.0), ("L", 1.0)):
        _arm(b, side, sx, H, M, gh_x, y_shoulder)
    return b


def _leg(b: _Builder, side, sx, H, M, hip_x, y_hip, y_knee, y_ankle):
    x = sx * hip_x
    l_thigh, l_shank = y_hip - y_knee, y_knee - y_ankle
    m, c, *r = DE_LEVA["thigh"]
    w = 0.08 * H
    b.add(f"Femur{side}", "Pelvis", "ball", (x, y_hip, 0), kind="hip", side=side, mass_pct=m,
          com=(0, -c / 100 * l_thigh, 0), inertia=_box_inertia_from_gyration(M * m / 100, l_thigh, r, 1),
          box=(w, l_thigh, w), box_center=(0, -l_thigh / 2, 0), dims=(w, l_thigh, w))
    m, c, *r = DE_LEVA["shank"]
    w = 0.06 * H
    b.add(f"Tibia{side}", f"Femur{side}", "revolute", (x, y_knee, 0), kind="knee", side=side, mass_pct=m,
          com=(0, -c / 100 * l_shank, 0), inertia=_box_inertia_from_gyration(M * m / 100, l_shank, r, 1),
          box=(w, l_shank, w), box_center=(0, -l_shank / 2, 0), dims=(w, l_shank, w))
    # Foot: heel 0.038 H behind the ankle, metatarsophalangeal joints at 0.072 H, toe tips at 0.114 H.
    m_foot, c, *r = DE_LEVA["foot"]
    foot_len, foot_w = WIDTH["foot_length"] * H, WIDTH["foot"] * H
    heel, mtp, tip = -0.038 * H, 0.072 * H, 0.114 * H
    m_toe = 0.1  # % of body mass per toe segment, taken from the foot
    m_talus = m_foot - 2 * m_toe
    # Contacts: collision spheres (4 points per foot; the boxes' corners gave up to 12, and each contact point
    # costs the physics one impulse propagation per constraint row, docs/performance.md). At the heel and
    # the big toe's tip a small sphere inside the box; at the first and fifth metatarsal heads a sphere
    # centred on the toe joint's axis and touching the sole, so that as the heel rises the foot rolls over
    # the metatarsal heads with the contact under the toe joints, as the human forefoot does, instead of
    # tipping onto the toes. The lateral toe segment has no contact point of its own (a fifth one cost 10 %
    # of the simulation speed and changed no capacity figure, docs/performance.md); it stays a foot
    # body (contact: true), so the muscles and the walking reference treat it as before.
    toe_h, toe_len, toe_w = 0.012 * H, tip - mtp, foot_w / 2
    r_small = toe_h / 2
    b.add(f"Talus{side}", f"Tibia{side}", "ball", (x, y_ankle, 0), kind="ankle", side=side, mass_pct=m_talus,
          com=(0, -0.5 * y_ankle, heel + c / 100 * foot_len),
          inertia=_box_inertia_from_gyration(M * m_talus / 100, foot_len, r, 2),
          box=(foot_w, y_ankle, mtp - heel), box_center=(0, -y_ankle / 2, (mtp + heel) / 2),
          dims=(foot_w, y_ankle, foot_len), contact=True,
          spheres=[((0, -y_ankle + r_small, heel + r_small), r_small),
                   *[((lateral * toe_w / 2, toe_h - y_ankle, mtp), toe_h) for lateral in (-1, 1)]])  # toe joints' x
    for name, lateral in (("FootThumb", -1.0), ("FootPinky", 1.0)):
        # lateral = +1 is away from the midline: -x on the right, +x on the left
        tx = x + sx * lateral * toe_w / 2
        b.add(f"{name}{side}", f"Talus{side}", "revolute", (tx, toe_h, mtp), kind="toe", side=side,
              mass_pct=m_toe, com=(0, -toe_h / 2, toe_len / 2),
              inertia=_box_inertia_from_gyration(M * m_toe / 100, toe_len, (30, 30, 30), 2),
              box=(toe_w, toe_h, toe_len), box_center=(0, -toe_h / 2, toe_len / 2),
              dims=(toe_w, toe_h, toe_len), contact=True, box_collides=False,
              spheres=[((0, -toe_h + r_small, toe_len - r_small), r_small)] if name == "FootThumb" else [])


def _arm(b: _Builder, side, sx, H, M, gh_x, y_shoulder):
    y_elbow, y_wrist = HEIGHT["elbow"] * H, HEIGHT["wrist"] * H
    sc = np.array([sx * 0.015 * H, 0.805 * H, 0.03 * H])   # sternoclavicular joint
    gh = np.array([sx * gh_x, y_shoulder, 0.0])            # glenohumeral joint
    clav = gh - sc
    b.add(f"Shoulder{side}", "Torso", "ball", sc, kind="clavicle", side=side, mass_pct=0.5, com=clav / 2,
          inertia=_box_inertia_from_gyration(M * 0.005, float(np.linalg.norm(clav)), (30, 30, 30), 1),
          box=(abs(clav[0]), 0.03 * H, 0.03 * H), box_center=clav / 2, color=BONE,
          dims=(abs(clav[0]), 0.03 * H, 0.03 * H))
    l_arm, l_fore, l_hand = y_shoulder - y_elbow, y_elbow - y_wrist, WIDTH["hand_length"] * H
    for name, parent, origin, kind, key, length, w in (
            (f"Arm{side}", f"Shoulder{side}", gh, "shoulder", "upper_arm", l_arm, 0.05 * H),
            (f"ForeArm{side}", f"Arm{side}", (gh[0], y_elbow, 0), "elbow", "forearm", l_fore, 0.04 * H),
            (f"Hand{side}", f"ForeArm{side}", (gh[0], y_wrist, 0), "wrist", "hand", l_hand, 0.045 * H)):
        m, c, *r = DE_LEVA[key]
        # de Leva's hand length runs wrist -> 3rd knuckle (~46 % of wrist -> fingertip).
        ref_len = 0.46 * length if key == "hand" else length
        b.add(name, parent, "revolute" if kind == "elbow" else "ball", origin, kind=kind, side=side,
              axis=(-1.0, 0.0, 0.0), mass_pct=m, com=(0, -c / 100 * ref_len, 0),
              inertia=_box_inertia_from_gyration(M * m / 100, ref_len, r, 1),
              box=(w, length, 0.6 * w if key == "hand" else w), box_center=(0, -length / 2, 0),
              dims=(w, length, w))
