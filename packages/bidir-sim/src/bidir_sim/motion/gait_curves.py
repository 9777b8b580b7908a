"""Normative joint-angle curves of level walking, as smooth periodic functions of the gait phase.

Phase 0 is right heel strike; values are degrees for the right side. Key points are read from the
mean curves of healthy adults at self-selected speed in Winter, *Biomechanics and Motor Control of Human
Movement* (4th ed., 2009, ch. 4 and appendix A) and Kadaba, Ramakrishnan & Wootten (1990), "Measurement of
lower extremity kinematics during level walking", J. Orthop. Res. 8(3):383-392; arm swing after Murray,
Sepic & Barnard (1967), "Patterns of sagittal rotation of the upper limbs in walking". Rounded by hand;
each curve is a periodic cubic spline (C2, so velocities and accelerations are smooth) through its
key points. (A Fourier series of order 6 through ~11 points over-fits and swings between them.)
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import CubicSpline

# phase in %, angle in degrees
KEYPOINTS = {
    # sagittal
    "hip_flexion":      [(0, 30), (10, 27), (20, 18), (30, 8), (40, -2), (50, -10), (55, -8), (60, -1), (70, 15), (80, 27), (87, 32), (100, 30)],
    "knee_flexion":     [(0, 5), (7, 13), (15, 18), (25, 12), (35, 6), (42, 5), (50, 10), (57, 25), (62, 38), (68, 55), (73, 60), (80, 50), (88, 28), (95, 10), (100, 5)],
    "ankle_dorsiflexion": [(0, 0), (6, -6), (12, -2), (20, 3), (30, 7), (40, 10), (47, 9), (53, 2), (58, -8), (62, -16), (66, -14), (72, -6), (80, 0), (90, 2), (100, 0)],
    # frontal / transverse
    "hip_adduction":    [(0, 2), (10, 6), (20, 7), (30, 5), (40, 3), (50, 0), (60, -5), (70, -7), (80, -4), (90, 0), (100, 2)],
    "hip_internal_rotation": [(0, 3), (15, 5), (30, 3), (45, 0), (60, -4), (75, -2), (90, 2), (100, 3)],
    "pelvis_obliquity": [(0, 0), (12, 4), (25, 2), (40, -1), (50, 0), (62, -4), (75, -2), (90, 1), (100, 0)],  # + = right side up
    "pelvis_rotation":  [(0, 4), (25, 0), (50, -4), (75, 0), (100, 4)],   # + = right hip forward
    "thorax_rotation":  [(0, -3), (25, 0), (50, 3), (75, 0), (100, -3)],  # counter-rotation of the chest
    # arms (right side)
    "shoulder_flexion": [(0, -10), (25, 3), (50, 16), (75, 3), (100, -10)],
    "elbow_flexion":    [(0, 15), (25, 22), (50, 32), (75, 22), (100, 15)],
}


def _spline(points) -> CubicSpline:
    phase = np.array([p for p, _ in points], dtype=float) / 100.0
    value = np.radians([v for _, v in points])
    if phase[0] != 0.0 or phase[-1] != 1.0 or value[0] != value[-1]:
        raise ValueError("a gait curve must start at 0 % and end at 100 % with the same value")
    return CubicSpline(phase, value, bc_type="periodic")


SPLINES = {name: _spline(points) for name, points in KEYPOINTS.items()}


def curve(name: str, phase, scale: float = 1.0) -> np.ndarray:
    """Angle in radians at ``phase`` (any real; period 1). ``scale`` scales the curve about its mean."""
    spline = SPLINES[name]
    mean = spline.integrate(0.0, 1.0)
    return mean + scale * (spline(np.mod(np.atleast_1d(np.asarray(phase, dtype=float)), 1.0)) - mean)
