"""From a Frame to instance arrays: every body shape, muscle segment, ghost, target and the COM becomes a
(matrix, colour) row for one of the unit meshes. Pure numpy, so it is tested without OpenGL."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from bidir_sim.models import MusclePaths

from .playback import Frame

KINDS = ("cube", "sphere", "cylinder")
INSTANCE_FLOATS = 20  # a column-major 4x4 matrix, then RGBA

RELAXED, ACTIVE = np.array([0.30, 0.34, 0.62]), np.array([0.95, 0.12, 0.10])
SLACK, STRETCHED = np.array([0.32, 0.32, 0.32]), np.array([1.00, 0.80, 0.10])
PD_GHOST, REF_GHOST = (0.2, 0.85, 0.3, 0.28), (0.25, 0.5, 1.0, 0.28)
COM_COLOR = (1.0, 0.85, 0.0, 1.0)
TARGET_COLORS = ((0.1, 0.75, 0.2, 1.0), (0.1, 0.7, 0.9, 1.0))  # stance foot, swing foot
COLOR_MODES = ("activation", "passive")


@dataclass
class Toggles:
    """What is drawn; the viewer's panel and keys switch these."""

    bodies: bool = True
    body_opacity: float = 0.45        # below 1 the bodies are see-through, so the muscles inside show
    muscles: bool = True
    pd_ghost: bool = False
    reference_ghost: bool = False
    step_targets: bool = True
    com: bool = True
    ground: bool = True
    color_mode: str = "activation"    # activation | passive
    muscle_filter: str = ""           # draw only muscles whose name contains this (case-insensitive)


@dataclass
class Instances:
    """Per mesh kind, rows of INSTANCE_FLOATS float32; ``opaque`` and ``ghost`` are drawn in two passes."""

    opaque: dict[str, np.ndarray] = field(default_factory=dict)
    ghost: dict[str, np.ndarray] = field(default_factory=dict)


def pack(matrices: np.ndarray, colors: np.ndarray) -> np.ndarray:
    """(n, 4, 4) row-major matrices and (n, 4) colours -> (n, 20) float32 rows for the GPU."""
    cols = np.ascontiguousarray(np.transpose(matrices, (0, 2, 1))).reshape(len(matrices), 16)
    return np.hstack([cols, colors]).astype(np.float32)


def segment_matrices(a: np.ndarray, b: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """Matrices that map the unit cylinder (z from 0 to 1, radius 1) onto the segments a -> b."""
    z = b - a
    n = len(a)
    length = np.linalg.norm(z, axis=1)
    zu = z / np.maximum(length, 1e-9)[:, None]
    helper = np.where(np.abs(zu[:, 1:2]) < 0.9, [[0.0, 1.0, 0.0]], [[1.0, 0.0, 0.0]])
    x = np.cross(helper, zu)
    x /= np.linalg.norm(x, axis=1)[:, None]
    y = np.cross(zu, x)
    m = np.zeros((n, 4, 4))
    m[:, :3, 0], m[:, :3, 1], m[:, :3, 2], m[:, :3, 3] = x * radius[:, None], y * radius[:, None], z, a
    m[:, 3, 3] = 1.0
    return m


def _scale(sx, sy, sz) -> np.ndarray:
    return np.diag([sx, sy, sz, 1.0])


def _translate(x, y, z) -> np.ndarray:
    m = np.eye(4)
    m[:3, 3] = (x, y, z)
    return m


def muscle_radius(force: np.ndarray) -> np.ndarray:
    """A muscle's drawn radius (m) for its maximum force (N): thicker for stronger."""
    return 0.004 + 0.00012 * np.sqrt(force)


def shape_locals(bodies) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per mesh kind: each visual shape's body index, its local matrix on its body (offset and size) and colour."""
    local: dict[str, tuple[list[int], list[np.ndarray], list]] = {k: ([], [], []) for k in KINDS}
    for bi, body in enumerate(bodies):
        for s in body.shapes:
            if not s.visual:
                continue
            size, off, color = np.asarray(s.size, float), np.asarray(s.offset, float), tuple(s.color)
            if s.type == "box":
                parts = [("cube", off @ _scale(*size))]
            elif s.type == "sphere":
                parts = [("sphere", off @ _scale(size[0], size[0], size[0]))]
            else:  # capsule along z: a cylinder and two end spheres
                r, h = size[0], size[1]
                parts = [("cylinder", off @ _translate(0, 0, -h / 2) @ _scale(r, r, h)),
                         ("sphere", off @ _translate(0, 0, -h / 2) @ _scale(r, r, r)),
                         ("sphere", off @ _translate(0, 0, h / 2) @ _scale(r, r, r))]
            for kind, m in parts:
                local[kind][0].append(bi)
                local[kind][1].append(m)
                local[kind][2].append(color)
    return {k: (np.array(b, int), np.array(m).reshape(-1, 4, 4), np.array(c).reshape(-1, 4))
            for k, (b, m, c) in local.items()}


class SceneBuilder:
    """Precomputes each visual shape's local matrix once; ``build`` places them at a frame's poses."""

    def __init__(self, model):
        self.model, self.native = model, model.native()
        self.paths = MusclePaths(model)
        self.muscle_names = [m.name.lower() for m in model.muscles]
        self.f0 = np.array([m.f0 for m in model.muscles])
        self.muscle_radius = muscle_radius(self.f0)
        self._stacked = shape_locals(model.bodies)
        self._scaled_key, self._scaled_stacked = None, None  # the last scaled body's shapes (Frame.bodies)

    def _shapes_of(self, frame: Frame) -> dict:
        """The shapes' local matrices of the frame's body: the model's, or a scaled body's (kept per conditions)."""
        if frame.bodies is None:
            return self._stacked
        key = tuple(frame.conditions.items())
        if key != self._scaled_key:
            self._scaled_key, self._scaled_stacked = key, shape_locals(frame.bodies)
        return self._scaled_stacked

    def body_instances(self, q: np.ndarray, color=None, transforms=None, shapes=None) -> dict[str, np.ndarray]:
        """Every visual shape at pose q (the model's body by forward kinematics), or at the bodies' world
        ``transforms`` with their ``shapes`` (shape_locals), in its own colour or in ``color`` (RGBA)."""
        T = self.native.forward_kinematics(np.asarray(q, float)[None])[0] if transforms is None else transforms
        out = {}
        for kind, (bodies, local, colors) in (self._stacked if shapes is None else shapes).items():
            if len(bodies):
                c = colors if color is None else np.tile(color, (len(bodies), 1))
                out[kind] = pack(T[bodies] @ local, c)
        return out

    def muscle_mask(self, name_filter: str) -> np.ndarray:
        f = name_filter.strip().lower()
        return np.array([f in n for n in self.muscle_names]) if f else np.ones(len(self.muscle_names), bool)

    def muscle_colors(self, values: np.ndarray, mode: str) -> np.ndarray:
        """RGBA per muscle: activation from blue (0) to red (1), or passive force / f0 from grey to yellow."""
        low, high = (RELAXED, ACTIVE) if mode == "activation" else (SLACK, STRETCHED)
        v = np.clip(np.nan_to_num(values), 0.0, 1.0)[:, None]
        return np.hstack([(1 - v) * low + v * high, np.ones((len(v), 1))])

    def muscle_instances(self, q: np.ndarray, values: np.ndarray, mode: str, mask: np.ndarray, points=None,
                         force_ratio=None) -> np.ndarray:
        """Each muscle's path segments at pose q (or through ``points``, a scaled body's waypoints), as thick as
        its force: a weak muscle (``force_ratio`` below 1) is drawn thinner."""
        points = self.paths.points(np.asarray(q, float)[None])[0] if points is None else points
        # a weak muscle's cross-section shrinks with its force: radius x sqrt(ratio)
        radius = self.muscle_radius if force_ratio is None else self.muscle_radius * np.sqrt(force_ratio)
        first, muscle = self.paths.segments
        keep = mask[muscle]
        first, muscle = first[keep], muscle[keep]
        m = segment_matrices(points[first], points[first + 1], radius[muscle])
        return pack(m, self.muscle_colors(values, mode)[muscle])

    def build(self, frame: Frame, toggles: Toggles) -> Instances:
        out = Instances()

        def add(target: dict, kind: str, rows: np.ndarray) -> None:
            target[kind] = np.vstack([target[kind], rows]) if kind in target else rows

        if toggles.bodies:
            for kind, rows in self.body_instances(frame.positions, transforms=frame.body_transforms,
                                                  shapes=self._shapes_of(frame)).items():
                rows[:, 19] = toggles.body_opacity
                add(out.opaque if toggles.body_opacity >= 1.0 else out.ghost, kind, rows)
        if toggles.muscles and self.model.muscles:
            values = frame.activations if toggles.color_mode == "activation" else frame.passive
            mask = self.muscle_mask(toggles.muscle_filter)
            if mask.any():
                add(out.opaque, "cylinder", self.muscle_instances(frame.positions, values, toggles.color_mode, mask,
                                                                  frame.muscle_points, frame.muscle_force_ratio))
        if toggles.com:
            add(out.opaque, "sphere", pack((_translate(*frame.com) @ _scale(0.035, 0.035, 0.035))[None],
                                           np.array([COM_COLOR])))
        if toggles.step_targets:
            m = np.array([_translate(p[0], 0.002, p[2]) @ _scale(0.09, 0.004, 0.24) for p in frame.step_targets])
            add(out.opaque, "cube", pack(m, np.array(TARGET_COLORS)))
        if toggles.pd_ghost:
            for kind, rows in self.body_instances(frame.target, PD_GHOST).items():
                add(out.ghost, kind, rows)
        if toggles.reference_ghost:
            for kind, rows in self.body_instances(frame.reference, REF_GHOST).items():
                add(out.ghost, kind, rows)
        return out
