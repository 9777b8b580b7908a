"""BVH retargeting onto any bidir model: the model reproduces the clip's *global segment orientations*.

1. Joints are matched by anatomical role (``roles.py``), or by an explicit map {model body or role: BVH joint}.
2. The clip is turned into the model's axes (x left, y up, z forward) by the frame its rest pose defines:
   left = right hip → left hip, up = pelvis → neck.
3. Per mapped body a rest correction C rotates the model's zero-pose segment direction onto the clip's rest
   bone direction (a T-pose arm onto a hanging one: the minimal rotation, which keeps the twist); a hand or
   the toes take their parent's C, so they move relative to it as in the clip; the pelvis and the head,
   upright in any rest pose, take none (C = I). At frame f
   the body's rotation from its zero pose is then G_j(f) C, G_j the BVH joint's global rotation.
4. Joint coordinates follow from those global rotations, parents first: a ball joint takes the relative
   rotation exactly; a revolute joint the angle about its axis that best aligns its segment; a body with no
   data keeps its parent's rotation (local zero).
5. The root translation is the clip's, scaled by the ratio of leg lengths (hip to ankle); then the whole clip
   is lifted so that its lowest foot point over the clip is at y = 0 (one offset for the clip: no frame
   penetrates, and the stance feet keep the clip's own contact pattern).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial.transform import Rotation

from ..errors import ModelError
from ..io_util import load_yaml, read_input_text
from .bvh import BVH
from .roles import NEXT, REQUIRED, ROLES, TRUNK, body_role, bvh_role

CM = 0.01
MIN_REST_LENGTH = 1e-5  # m (1e-3 BVH units): shorter rest-pose distances cannot define a direction or a scale
MAX_ROOT_TRAVEL_M = 1e5  # the retargeted root stays within this of the origin (the simulation takes 1e6)


@dataclass
class Retargeted:
    """A clip on a model: joint positions per frame, and what the mapping used and left out."""

    positions: np.ndarray                   # (frames, model DoFs)
    frame_time: float                       # s
    mapping: dict[str, str]                 # model body -> BVH joint
    role_joints: dict[str, str]             # role -> BVH joint
    axes: np.ndarray                        # rows: the model's x, y, z in the clip's axes (clip -> model)
    unused_bvh_joints: list[str]
    bodies_without_data: list[str]
    scale: float                            # root translation scale (model leg / clip leg)
    limit_violations: dict[str, int] = field(default_factory=dict)  # "body[dof]" -> frames outside its range

    @property
    def num_frames(self) -> int:
        return len(self.positions)


MAX_MAP_FILE_BYTES = 2**20


def load_joint_map(path) -> dict[str, str]:
    """A joint map file: YAML {model body or role: BVH joint name}."""
    import yaml

    text = read_input_text(path, ModelError, MAX_MAP_FILE_BYTES, "joint map")
    try:
        doc = load_yaml(text)
    except yaml.YAMLError as e:
        raise ModelError(str(path), "file", f"invalid YAML ({e})".replace("\n", " ")) from None
    if not isinstance(doc, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in doc.items()):
        raise ModelError(str(path), "document", "must be a mapping {model body or role: BVH joint name}")
    return doc


def bvh_global(bvh: BVH) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Each joint's global rotation (frames, 3, 3) and position (frames, 3) in the clip's axes, metres."""
    rot, pos = {}, {}
    for j in bvh.joints:
        parent = bvh.parents[j]
        local = bvh.rotation(j)
        if parent is None:
            rot[j] = local
            has_position = any(c.endswith("position") for c in bvh.channels[j])
            pos[j] = bvh.root_position() if has_position else np.tile(bvh.offsets[j] * CM, (bvh.num_frames, 1))
        else:
            rot[j] = rot[parent] @ local
            pos[j] = pos[parent] + np.einsum("fij,j->fi", rot[parent], bvh.offsets[j] * CM)
    return rot, pos


def rest_positions(bvh: BVH) -> dict[str, np.ndarray]:
    """Joint positions of the clip's rest pose (all rotations zero), metres, root at the origin."""
    out = {}
    for j in bvh.joints:
        parent = bvh.parents[j]
        out[j] = np.zeros(3) if parent is None else out[parent] + bvh.offsets[j] * CM
    return out


def map_joints(bvh: BVH, model, explicit: dict[str, str] | None = None) -> dict[str, str]:
    """{model body: BVH joint}: by role, or by ``explicit`` {model body or role: BVH joint}."""
    by_role: dict[str, str] = {}
    trunk = []
    for j in bvh.joints:
        role = bvh_role(j)
        if role == TRUNK:
            trunk.append(j)
        elif role is not None:
            by_role.setdefault(role, j)  # the first in file order: the one nearest the root
    if trunk:  # the chain's first joint is the lumbar spine, its last the chest
        by_role.setdefault("spine", trunk[0])
        if len(trunk) > 1:
            by_role.setdefault("chest", trunk[-1])
    explicit = dict(explicit or {})
    for key, joint in explicit.items():
        if joint not in bvh.channels:
            raise ModelError(bvh.source, f"map '{key}'", f"BVH joint '{joint}' is not in the file")
    names = {b.name for b in model.bodies}
    for key in explicit:
        if key not in names and key not in ROLES:
            raise ModelError(bvh.source, f"map '{key}'", "is neither a body of the model nor a role "
                             f"({', '.join(ROLES)})")
    mapping = {}
    for b in model.bodies:
        role = body_role(b)
        joint = explicit.get(b.name) or (explicit.get(role) if role else None) or by_role.get(role)
        if joint is not None:
            mapping[b.name] = joint
    return mapping


def _check_coverage(bvh: BVH, model, mapping: dict[str, str]) -> None:
    roles = {body_role(b): b.name for b in model.bodies}
    for role in REQUIRED:
        body = roles.get(role)
        if body is None:
            raise ModelError(model.source, f"role '{role}'", "no body of the model has it (give bodies a 'role' "
                             "or MASS-style names)")
        if body not in mapping:
            raise ModelError(bvh.source, f"role '{role}'", f"no BVH joint drives the model's '{body}' (the "
                             f"motion would hold it at the zero pose); joints found: {', '.join(bvh.joints)}; "
                             "pass an explicit map {body or role: BVH joint}")


def _minimal_rotation(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The smallest rotation taking direction u to direction v (none if either has no length)."""
    if np.linalg.norm(u) < 1e-9 or np.linalg.norm(v) < 1e-9:
        return np.eye(3)
    u, v = u / np.linalg.norm(u), v / np.linalg.norm(v)
    axis = np.cross(u, v)
    s, c = np.linalg.norm(axis), float(np.dot(u, v))
    if s < 1e-12:
        if c > 0:
            return np.eye(3)
        perp = np.cross(u, [1.0, 0, 0] if abs(u[0]) < 0.9 else [0, 1.0, 0])
        return Rotation.from_rotvec(np.pi * perp / np.linalg.norm(perp)).as_matrix()
    return Rotation.from_rotvec(axis / s * np.arctan2(s, c)).as_matrix()


def clip_axes(bvh: BVH, rest: dict[str, np.ndarray], by_role: dict[str, str]) -> np.ndarray:
    """A: clip axes -> model axes, from the rest pose (left = right hip to left hip, up = pelvis to neck).
    ModelError naming the file and the joints when the rest pose cannot tell left or up (hips at one
    place, a spine without length, a spine along the hip line)."""
    hip_l, hip_r = by_role["hip_l"], by_role["hip_r"]
    left = rest[hip_l] - rest[hip_r]
    top = next((by_role[r] for r in ("neck", "chest", "head", "spine") if r in by_role), None)
    if top is None:
        raise ModelError(bvh.source, "role 'spine'", "no spine, chest, neck or head joint: cannot tell up")
    if np.linalg.norm(left) < MIN_REST_LENGTH:
        raise ModelError(bvh.source, f"joints '{hip_l}', '{hip_r}'", "the hips are at the same place in the rest "
                         "pose (their OFFSETs), so left cannot be told from right")
    up = rest[top] - rest[by_role["pelvis"]]
    left = left / np.linalg.norm(left)
    up = up - left * np.dot(up, left)
    if np.linalg.norm(up) < MIN_REST_LENGTH:
        raise ModelError(bvh.source, f"joints '{by_role['pelvis']}', '{top}'", "the spine has no length across "
                         "the hip line in the rest pose (their OFFSETs), so up cannot be told")
    up = up / np.linalg.norm(up)
    return np.stack([left, up, np.cross(left, up)])  # rows: the model's x, y, z in clip axes


def _joint_origin(body) -> np.ndarray:
    return np.asarray(body.joint.frame, dtype=float)[:3, 3]


def _model_segment(model, body) -> np.ndarray:
    """The zero-pose direction of a body's segment: its joint to the next role's joint (the mean of them,
    for two toes), or for a leaf to its centre of mass."""
    nxt = NEXT.get(body_role(body))
    ends = [_joint_origin(c) for c in model.bodies if c.parent == body.name and body_role(c) == nxt] if nxt else []
    if not ends:
        ends = [(np.asarray(body.frame) @ np.append(body.com, 1.0))[:3]]
    d = np.mean(ends, axis=0) - _joint_origin(body)
    return d if np.linalg.norm(d) > 1e-6 else np.array([0.0, -1.0, 0.0])


def _leg_length(points: list[np.ndarray]) -> float:
    return float(sum(np.linalg.norm(b - a) for a, b in itertools.pairwise(points)))


def retarget(bvh: BVH, model, explicit_map: dict[str, str] | None = None) -> Retargeted:
    """The clip as joint positions of ``model``; ModelError when the pelvis, a hip, knee or ankle gets no data,
    or the clip's rest pose is degenerate. Frames are retargeted in chunks (bounded memory)."""
    mapping = map_joints(bvh, model, explicit_map)
    _check_coverage(bvh, model, mapping)
    role_joint = {body_role(b): mapping[b.name] for b in model.bodies if b.name in mapping}
    rest = rest_positions(bvh)
    A = clip_axes(bvh, rest, role_joint)
    body_of = {body_role(b): b for b in model.bodies}
    leg = ("hip", "knee", "ankle")
    model_leg = np.mean([_leg_length([_joint_origin(body_of[f"{r}_{s}"]) for r in leg]) for s in "lr"])
    clip_legs = [_leg_length([rest[role_joint[f"{r}_{s}"]] for r in leg]) for s in "lr"]
    if min(clip_legs) < MIN_REST_LENGTH:
        side = "lr"[int(np.argmin(clip_legs))]
        joints = ", ".join(f"'{role_joint[f'{r}_{side}']}'" for r in leg)
        raise ModelError(bvh.source, f"joints {joints}", "the leg has no length in the rest pose (their OFFSETs), "
                         "so the clip cannot be scaled to the model")
    scale = float(model_leg / np.mean(clip_legs))
    Q = np.concatenate([_positions(chunk, model, mapping, role_joint, rest, A, scale) for chunk in bvh.chunks()])
    root = model.bodies[0]
    if root.joint.type == "free":
        k, JR = model.dof_offsets()[root.name], np.asarray(root.joint.frame, dtype=float)[:3, :3]
        Q[:, k + 3:k + 6] -= np.array([0.0, _lowest_foot(model, Q), 0.0]) @ JR
        travel = np.abs(Q[:, k + 3:k + 6]).max()
        if not travel <= MAX_ROOT_TRAVEL_M:
            raise ModelError(bvh.source, "MOTION", f"the root goes {travel:g} m from the origin on the model (clip "
                             f"scaled by {scale:g}), beyond {MAX_ROOT_TRAVEL_M:g} m")
    return Retargeted(positions=Q, frame_time=bvh.frame_time, mapping=mapping, role_joints=role_joint, axes=A,
                      unused_bvh_joints=[j for j in bvh.joints if j not in set(mapping.values())],
                      bodies_without_data=[b.name for b in model.bodies if b.name not in mapping],
                      scale=scale, limit_violations=_limit_violations(model, Q))


def _positions(bvh: BVH, model, mapping, role_joint, rest, A, scale) -> np.ndarray:
    """The joint positions of the frames of ``bvh`` (one chunk of the clip), the root not yet lifted."""
    g_rot, g_pos = bvh_global(bvh)
    frames, n = bvh.num_frames, model.num_dofs
    offsets = model.dof_offsets()
    Q = np.zeros((frames, n))
    world: dict[str, np.ndarray] = {}  # body -> realised rotation from its zero pose (frames, 3, 3)
    corrections: dict[str, np.ndarray] = {}  # body -> its rest correction C
    for b in model.bodies:
        parent = world[b.parent] if b.parent else np.tile(np.eye(3), (frames, 1, 1))
        J = np.asarray(b.joint.frame, dtype=float)[:3, :3]
        joint = mapping.get(b.name)
        if joint is None:
            world[b.name] = parent
            continue
        role = body_role(b)
        nxt = role_joint.get(NEXT.get(role)) if NEXT.get(role) else None
        if role in ("pelvis", "head"):  # upright in any rest pose: the clip's rest orientation is the model's
            C = np.eye(3)
        elif nxt is None:  # a hand or the toes: no bone to align; it moves relative to its parent as the clip's
            C = corrections.get(b.parent, np.eye(3))
        else:
            C = _minimal_rotation(_model_segment(model, b), A @ (rest[nxt] - rest[joint]))
        corrections[b.name] = C
        target = np.einsum("ij,fjk,lk->fil", A, g_rot[joint], A) @ C
        local = np.einsum("ji,fkj,fkl,lm->fim", J, parent, target, J)  # J^T P^T T J
        k = offsets[b.name]
        if b.joint.type in ("ball", "free"):
            Q[:, k:k + 3] = Rotation.from_matrix(local).as_rotvec()
            world[b.name] = target
        elif b.joint.type == "revolute":
            axis = np.asarray(b.joint.axis, dtype=float) / np.linalg.norm(b.joint.axis)
            u = J.T @ _model_segment(model, b)               # the segment in the joint frame
            v = np.einsum("fij,j->fi", local, u)             # where the clip wants it
            u_p, v_p = u - axis * (u @ axis), v - np.outer(v @ axis, axis)
            Q[:, k] = np.arctan2(np.cross(u_p, v_p) @ axis, v_p @ u_p)  # the hinge angle aligning them best
            hinge = Rotation.from_rotvec(np.outer(Q[:, k], axis)).as_matrix()
            world[b.name] = parent @ np.einsum("ij,fjk,lk->fil", J, hinge, J)
        else:
            world[b.name] = parent
    root = model.bodies[0]
    if root.joint.type == "free":
        k, JR = offsets[root.name], np.asarray(root.joint.frame, dtype=float)[:3, :3]
        origin = scale * (g_pos[role_joint["pelvis"]] @ A.T)   # where the root joint goes, model axes
        Q[:, k + 3:k + 6] = (origin - _joint_origin(root)) @ JR  # the free joint's translation is in its frame
    return Q


def _lowest_foot(model, Q: np.ndarray) -> float:
    from .foot import foot_points

    points = foot_points(model, Q)
    return float(min(points[s][..., 1].min() for s in points))


def _limit_violations(model, Q: np.ndarray) -> dict[str, int]:
    out, offsets = {}, model.dof_offsets()
    for b in model.bodies:
        j = b.joint
        for d in range(j.num_dofs):
            q = Q[:, offsets[b.name] + d]
            lo = -np.inf if j.lower is None else j.lower[d]
            hi = np.inf if j.upper is None else j.upper[d]
            bad = int(np.count_nonzero((q < lo - 1e-9) | (q > hi + 1e-9)))
            if bad:
                out[f"{b.name}[{d}]"] = bad
    return out
