"""Muscle path geometry evaluated on the compiled skeleton: waypoint positions, lengths, moment arms.

This is the reference implementation used by tests and model tools; the simulator's per-substep muscle
code is C++ and is checked against it.
"""

from __future__ import annotations

import itertools

import numpy as np

from .spec import Model


class MusclePaths:
    """Precomputed waypoint data of a model; evaluates all muscle paths at many poses at once."""

    def __init__(self, model: Model):
        self.model = model
        self.native = model.native()
        index = model.body_index
        zero = self.native.forward_kinematics(np.zeros((1, model.num_dofs)))[0]
        rows = []  # (muscle, waypoint, body index, weight, local position)
        for mi, m in enumerate(model.muscles):
            for wi, w in enumerate(m.waypoints):
                for body, weight in zip(w.bodies, w.weights):
                    b = index[body]
                    local = np.linalg.solve(zero[b], np.append(w.position, 1.0))[:3]
                    rows.append((mi, wi, b, weight, local))
        self._body = np.array([r[2] for r in rows])
        self._weight = np.array([r[3] for r in rows])
        self._local = np.array([r[4] for r in rows])
        # flat waypoint id for each row, and segment endpoints per muscle
        starts = np.cumsum([0] + [len(m.waypoints) for m in model.muscles])
        self._point = np.array([starts[r[0]] + r[1] for r in rows])
        self._num_points = int(starts[-1])
        self._seg_a = np.concatenate([np.arange(s, e - 1) for s, e in itertools.pairwise(starts)])
        self._seg_muscle = np.concatenate([np.full(e - s - 1, i) for i, (s, e) in enumerate(itertools.pairwise(starts))])

    @property
    def segments(self) -> tuple[np.ndarray, np.ndarray]:
        """(index of the first point, muscle index) of every path segment; a segment ends at the next point."""
        return self._seg_a, self._seg_muscle

    def points(self, Q: np.ndarray) -> np.ndarray:
        """World positions of every waypoint (flattened over muscles): (frames, points, 3)."""
        Q = np.atleast_2d(np.asarray(Q, dtype=float))
        T = self.native.forward_kinematics(Q)                      # (F, B, 4, 4)
        Tb = T[:, self._body]                                      # (F, rows, 4, 4)
        R, t = Tb[..., :3, :3], Tb[..., :3, 3]
        p = np.einsum("frij,rj->fri", R, self._local) + t
        out = np.zeros((Q.shape[0], self._num_points, 3))
        np.add.at(out, (slice(None), self._point), p * self._weight[None, :, None])
        return out

    def lengths(self, Q: np.ndarray) -> np.ndarray:
        """Muscle-tendon path lengths (frames, muscles)."""
        P = self.points(Q)
        seg = np.linalg.norm(P[:, self._seg_a + 1] - P[:, self._seg_a], axis=-1)
        out = np.zeros((P.shape[0], len(self.model.muscles)))
        np.add.at(out, (slice(None), self._seg_muscle), seg)
        return out

    def moment_arms(self, q: np.ndarray, dofs, eps: float = 1e-4) -> np.ndarray:
        """Moment arms r = -dl/dq (muscles, len(dofs)) by central differences (tendon excursion)."""
        q = np.asarray(q, dtype=float)
        dofs = list(dofs)
        Q = np.repeat(q[None], 2 * len(dofs), axis=0)
        for k, d in enumerate(dofs):
            Q[2 * k, d] += eps
            Q[2 * k + 1, d] -= eps
        L = self.lengths(Q)
        return -(L[0::2] - L[1::2]).T / (2 * eps)
