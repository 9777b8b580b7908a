"""In-memory description of a musculoskeletal model, shared by every loader and the generator.

Conventions (the same as the MASS model and the reference system): SI units, y up, z forward
(the walking direction), x to the body's left. Every pose is given at the *zero pose* (all joint
coordinates 0); body and joint frames are world poses there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..errors import ModelError
from . import limits
from .limits import out_of
from .native import to_native

JOINT_DOFS = {"free": 6, "ball": 3, "revolute": 1, "weld": 0}
SHAPE_TYPES = ("box", "sphere", "capsule")


@dataclass
class Shape:
    type: str
    size: np.ndarray                      # box: full extents; sphere: [r]; capsule: [r, height]
    offset: np.ndarray = field(default_factory=lambda: np.eye(4))  # pose in the body frame
    color: tuple[float, float, float, float] = (0.7, 0.7, 0.7, 1.0)
    # A contact body's shape collides unless collision is False; visual=False hides it from drawing and
    # from the foot geometry of the walking reference (collision-only contact spheres of the feet).
    visual: bool = True
    collision: bool = True

    def corners(self) -> np.ndarray:
        """The 8 corners of the shape's bounding box, in the body frame (8, 3)."""
        if self.type == "sphere":
            half = np.full(3, float(self.size[0]))
        elif self.type == "capsule":
            r, h = float(self.size[0]), float(self.size[1])
            half = np.array([r, r, h / 2 + r])  # DART capsules lie along z
        else:
            half = np.asarray(self.size, dtype=float) / 2
        signs = np.array(np.meshgrid([-1, 1], [-1, 1], [-1, 1])).T.reshape(-1, 3)
        return (signs * half) @ self.offset[:3, :3].T + self.offset[:3, 3]


@dataclass
class Joint:
    type: str
    frame: np.ndarray                     # world pose at the zero pose (4x4)
    axis: np.ndarray = field(default_factory=lambda: np.array([1.0, 0.0, 0.0]))
    lower: np.ndarray | None = None       # per DoF, radians (None: unlimited)
    upper: np.ndarray | None = None
    kp: np.ndarray | None = None          # SPD gains per DoF
    kv: np.ndarray | None = None
    damping: np.ndarray | None = None     # passive joint damping per DoF
    bvh: str | None = None                # BVH joint name(s) that drive it, space separated

    @property
    def num_dofs(self) -> int:
        return JOINT_DOFS[self.type]


@dataclass
class Body:
    name: str
    parent: str | None
    mass: float
    com: np.ndarray                       # in the body frame
    inertia: np.ndarray                   # 3x3 about the COM, body axes
    frame: np.ndarray                     # world pose at the zero pose (4x4)
    joint: Joint
    shapes: list[Shape] = field(default_factory=list)
    contact: bool = False
    role: str | None = None               # anatomical role (motion/roles.py); None: from a MASS-style name


@dataclass
class Waypoint:
    """A muscle path point fixed to one body, or blended over several (linear blend skinning).

    ``position`` is the world position at the zero pose; at a pose q the point is
    sum_k weights[k] * T_k(q) * T_k(0)^-1 * position.
    """

    bodies: list[str]
    weights: list[float]
    position: np.ndarray


@dataclass
class Muscle:
    name: str
    f0: float                             # maximum isometric force, N
    optimal_fiber_length: float           # m
    tendon_slack_length: float            # m
    pennation: float                      # rad, at optimal fibre length
    waypoints: list[Waypoint]


@dataclass
class Model:
    name: str
    bodies: list[Body]
    muscles: list[Muscle] = field(default_factory=list)
    source: str = "<memory>"              # where it came from, for error messages
    metadata: dict = field(default_factory=dict)

    @cached_property
    def body_index(self) -> dict[str, int]:
        return {b.name: i for i, b in enumerate(self.bodies)}

    @property
    def num_dofs(self) -> int:
        return sum(b.joint.num_dofs for b in self.bodies)

    @property
    def total_mass(self) -> float:
        return float(sum(b.mass for b in self.bodies))

    def dof_offsets(self) -> dict[str, int]:
        """Index of each body's first joint DoF in the position vector (DART order = body order)."""
        out, k = {}, 0
        for b in self.bodies:
            out[b.name] = k
            k += b.joint.num_dofs
        return out

    def native(self):
        """The compiled C++ model (built once, cached; it is immutable)."""
        cached = self.__dict__.get("_native")
        if cached is None:
            cached = to_native(self)
            self.__dict__["_native"] = cached
        return cached


def _finite(x) -> bool:
    return bool(np.all(np.isfinite(np.asarray(x, dtype=float))))


def validate(model: Model) -> Model:
    """Checks a model for consistency; raises ModelError naming the element and the reason.

    Also orders the bodies so that every parent precedes its children (DART needs that).
    """
    src = model.source
    names: dict[str, Body] = {}
    for b in model.bodies:
        where = f"body '{b.name}'"
        if not b.name:
            raise ModelError(src, "body", "a body has an empty name")
        if b.name in names:
            raise ModelError(src, where, "is defined twice")
        names[b.name] = b
        if not (isinstance(b.mass, (int, float)) and math.isfinite(b.mass) and b.mass > 0):
            raise ModelError(src, where, f"mass must be a positive finite number, got {b.mass!r}")
        if out_of(b.mass, limits.BODY_MASS_KG):
            raise ModelError(src, where, f"mass {b.mass:g} kg is outside the plausible range "
                             f"{_range(limits.BODY_MASS_KG)} kg (docs/reliability.md)")
        if not _finite(b.com) or np.shape(b.com) != (3,):
            raise ModelError(src, where, f"com must be 3 finite numbers, got {b.com!r}")
        _check_position(src, where, "com", b.com)
        inertia = np.asarray(b.inertia, dtype=float)
        if inertia.shape != (3, 3) or not _finite(inertia):
            raise ModelError(src, where, "inertia must be a finite 3x3 matrix")
        if not np.allclose(inertia, inertia.T, atol=1e-9) or np.linalg.eigvalsh(inertia).min() <= 0:
            raise ModelError(src, where, "inertia must be symmetric positive definite")
        moments = np.linalg.eigvalsh(inertia)
        if out_of(moments.min(), limits.PRINCIPAL_INERTIA_KG_M2) or out_of(moments.max(), limits.PRINCIPAL_INERTIA_KG_M2):
            raise ModelError(src, where, f"principal moments of inertia {moments.min():g}..{moments.max():g} kg m^2 "
                             f"are outside the plausible range {_range(limits.PRINCIPAL_INERTIA_KG_M2)} kg m^2")
        for what, frame in (("frame", b.frame), ("joint frame", b.joint.frame)):
            frame = np.asarray(frame, dtype=float)
            if frame.shape != (4, 4) or not _finite(frame):
                raise ModelError(src, where, f"{what} must be a finite 4x4 transform")
            rot = frame[:3, :3]
            if not np.allclose(rot @ rot.T, np.eye(3), atol=1e-6) or np.linalg.det(rot) < 0:
                raise ModelError(src, where, f"{what} rotation is not a proper rotation matrix")
            _check_position(src, where, f"{what} position", frame[:3, 3])
        _validate_joint(src, where, b)
        for s in b.shapes:
            if s.type not in SHAPE_TYPES:
                raise ModelError(src, where, f"shape type '{s.type}' is not one of {', '.join(SHAPE_TYPES)}")
            size = np.asarray(s.size, dtype=float).ravel()
            if not _finite(size) or size.size == 0 or np.any(size <= 0):
                raise ModelError(src, where, f"shape size must be positive, got {list(size)}")
            if out_of(size.min(), limits.SHAPE_SIZE_M) or out_of(size.max(), limits.SHAPE_SIZE_M):
                raise ModelError(src, where, f"shape size {list(size)} m is outside the plausible range "
                                 f"{_range(limits.SHAPE_SIZE_M)} m")
            _check_position(src, where, "shape position", np.asarray(s.offset, dtype=float)[:3, 3])

    for what, items, limit in (("bodies", model.bodies, limits.MAX_BODIES),
                               ("muscles", model.muscles, limits.MAX_MUSCLES)):
        if len(items) > limit:
            raise ModelError(src, what, f"{len(items)} {what}, more than the limit of {limit} (docs/reliability.md)")
    roots = [b for b in model.bodies if b.parent is None]
    if len(roots) != 1:
        raise ModelError(src, "bodies", f"exactly one root body (no parent) is required, found "
                         f"{len(roots)}: {[b.name for b in roots]}")
    for b in model.bodies:
        if b.parent is not None and b.parent not in names:
            raise ModelError(src, f"body '{b.name}'", f"parent '{b.parent}' is not a body of this model")
    # Cycles: walk up from every body; a chain longer than the body count loops.
    for b in model.bodies:
        seen, cur = [b.name], b
        while cur.parent is not None:
            cur = names[cur.parent]
            if cur.name in seen:
                loop = " -> ".join(seen[seen.index(cur.name):] + [cur.name])
                raise ModelError(src, f"body '{b.name}'", f"the parent chain has a cycle: {loop}")
            seen.append(cur.name)
    if roots[0].joint.type not in ("free", "weld"):
        raise ModelError(src, f"body '{roots[0].name}'", "the root joint must be free or weld")

    model.bodies = _parents_first(model.bodies)
    model.__dict__.pop("body_index", None)

    seen_muscles: set[str] = set()
    for m in model.muscles:
        where = f"muscle '{m.name}'"
        if m.name in seen_muscles:
            raise ModelError(src, where, "is defined twice")
        seen_muscles.add(m.name)
        for key in ("f0", "optimal_fiber_length", "tendon_slack_length"):
            v = getattr(m, key)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ModelError(src, where, f"{key} must be a positive finite number, got {v!r}")
            bounds, unit = (limits.MUSCLE_F0_N, "N") if key == "f0" else (limits.MUSCLE_LENGTH_M, "m")
            if out_of(v, bounds):
                raise ModelError(src, where, f"{key} {v:g} {unit} is outside the plausible range {_range(bounds)} {unit}")
        if not (math.isfinite(m.pennation) and 0 <= m.pennation < math.pi / 2):
            raise ModelError(src, where, f"pennation must be in [0, pi/2) rad, got {m.pennation!r}")
        if not 2 <= len(m.waypoints) <= limits.MAX_WAYPOINTS:
            raise ModelError(src, where, f"needs 2 to {limits.MAX_WAYPOINTS} waypoints, has {len(m.waypoints)}")
        for i, w in enumerate(m.waypoints):
            wwhere = f"{where} waypoint {i}"
            for body in w.bodies:
                if body not in names:
                    raise ModelError(src, wwhere, f"body '{body}' is not a body of this model")
            if not w.bodies or len(w.weights) != len(w.bodies):
                raise ModelError(src, wwhere, "needs one weight per body")
            if any((not math.isfinite(x)) or x < 0 for x in w.weights) or abs(sum(w.weights) - 1) > 1e-6:
                raise ModelError(src, wwhere, f"weights must be >= 0 and sum to 1, got {w.weights}")
            if not _finite(w.position) or np.shape(w.position) != (3,):
                raise ModelError(src, wwhere, "position must be 3 finite numbers")
            _check_position(src, wwhere, "position", w.position)
        rest = sum(float(np.linalg.norm(np.subtract(b.position, a.position))) for a, b in zip(m.waypoints, m.waypoints[1:]))
        fiber = (rest - m.tendon_slack_length) / m.optimal_fiber_length
        if out_of(fiber, limits.MUSCLE_REST_FIBER_LENGTH):
            raise ModelError(src, where, f"at the zero pose its path is {rest:.4g} m, a fibre length of {fiber:.3g} x "
                             f"optimal (tendon slack {m.tendon_slack_length:g} m, optimal fibre "
                             f"{m.optimal_fiber_length:g} m); plausible: {_range(limits.MUSCLE_REST_FIBER_LENGTH)}")
    return model


def _range(bounds: tuple[float, float]) -> str:
    return f"[{bounds[0]:g}, {bounds[1]:g}]"


def _check_position(src: str, where: str, what: str, p) -> None:
    if np.max(np.abs(np.asarray(p, dtype=float))) > limits.MAX_POSITION_M:
        raise ModelError(src, where, f"{what} {list(np.asarray(p, dtype=float))} is more than "
                         f"{limits.MAX_POSITION_M:g} m from the origin (docs/reliability.md)")


def _validate_joint(src: str, where: str, b: Body) -> None:
    j = b.joint
    if j.type not in JOINT_DOFS:
        raise ModelError(src, where, f"joint type '{j.type}' is not one of {', '.join(JOINT_DOFS)}")
    n = j.num_dofs
    if j.type == "revolute" and (not _finite(j.axis) or np.linalg.norm(j.axis) < 1e-9):
        raise ModelError(src, where, "revolute joint axis must be a non-zero finite vector")
    for key in ("lower", "upper", "kp", "kv", "damping"):
        v = getattr(j, key)
        if v is None:
            continue
        v = np.asarray(v, dtype=float)
        if v.shape != (n,):
            raise ModelError(src, where, f"joint {key} has {v.size} values, a {j.type} joint has {n} DoFs")
        if np.any(np.isnan(v)):
            raise ModelError(src, where, f"joint {key} contains NaN")
        if key in ("kp", "kv", "damping") and not np.all((v >= 0) & (v <= limits.MAX_GAIN)):
            raise ModelError(src, where, f"joint {key} must be in [0, {limits.MAX_GAIN:g}], got {list(v)}")
    if j.lower is not None and j.upper is not None and np.any(np.asarray(j.lower) > np.asarray(j.upper)):
        raise ModelError(src, where, "joint lower limit exceeds upper limit")


def _parents_first(bodies: list[Body]) -> list[Body]:
    """Depth-first order from the root, children in their original order (stable, like the XML)."""
    children: dict[str | None, list[Body]] = {}
    for b in bodies:
        children.setdefault(b.parent, []).append(b)
    out: list[Body] = []
    stack = list(reversed(children[None]))
    while stack:
        b = stack.pop()
        out.append(b)
        stack.extend(reversed(children.get(b.name, [])))
    return out


def translation(p) -> np.ndarray:
    t = np.eye(4)
    t[:3, 3] = p
    return t
