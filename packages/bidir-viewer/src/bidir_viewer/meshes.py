"""Unit meshes, as float32 arrays of interleaved (position, normal) triangle vertices. Every drawn thing is
one of them scaled and placed by a per-instance matrix (scene.py)."""

from __future__ import annotations

import numpy as np


def _triangles(positions: np.ndarray, normals: np.ndarray, faces: np.ndarray) -> np.ndarray:
    return np.hstack([positions[faces.ravel()], normals[faces.ravel()]]).astype(np.float32)


def cube() -> np.ndarray:
    """Unit cube centred on the origin (extents 1)."""
    out = []
    for axis in range(3):
        for sign in (-1.0, 1.0):
            n = np.zeros(3)
            n[axis] = sign
            u, v = np.roll(np.eye(3), 1, axis=0)[axis], np.roll(np.eye(3), 2, axis=0)[axis]
            if sign < 0:
                u, v = v, u  # keep the winding counter-clockwise seen from outside
            c = n * 0.5
            quad = [c - u / 2 - v / 2, c + u / 2 - v / 2, c + u / 2 + v / 2, c - u / 2 + v / 2]
            for i in (0, 1, 2, 0, 2, 3):
                out.append(np.concatenate([quad[i], n]))
    return np.array(out, np.float32)


def sphere(rings: int = 12, sectors: int = 18) -> np.ndarray:
    """Unit-radius UV sphere."""
    theta = np.linspace(0, np.pi, rings + 1)
    phi = np.linspace(0, 2 * np.pi, sectors + 1)
    t, p = np.meshgrid(theta, phi, indexing="ij")
    pts = np.stack([np.sin(t) * np.cos(p), np.cos(t), np.sin(t) * np.sin(p)], -1).reshape(-1, 3)
    faces = []
    w = sectors + 1
    for r in range(rings):
        for s in range(sectors):
            a, b, c, d = r * w + s, r * w + s + 1, (r + 1) * w + s, (r + 1) * w + s + 1
            faces += [(a, b, d), (a, d, c)]
    return _triangles(pts, pts, np.array(faces))


def cylinder(sectors: int = 12) -> np.ndarray:
    """Open unit-radius cylinder along z from z = 0 to z = 1 (muscle segments, capsule bodies)."""
    phi = np.linspace(0, 2 * np.pi, sectors + 1)
    ring = np.stack([np.cos(phi), np.sin(phi), np.zeros_like(phi)], -1)
    pts = np.vstack([ring, ring + [0, 0, 1]])
    normals = np.vstack([ring, ring])
    w = sectors + 1
    faces = []
    for s in range(sectors):
        faces += [(s, w + s + 1, s + 1), (s, w + s, w + s + 1)]
    return _triangles(pts, normals, np.array(faces))


def ground_quad(half: float = 200.0) -> np.ndarray:
    """A large square in the y = 0 plane, normal up."""
    p = np.array([[-half, 0, -half], [-half, 0, half], [half, 0, half], [half, 0, -half]], np.float32)
    n = np.tile([0, 1, 0], (4, 1))
    return _triangles(p, n, np.array([(0, 1, 2), (0, 2, 3)]))
