"""The gait signatures of the pathology presets (issue #29, docs/conditions.md): what a gait lab looks for in
each, measured on a gait report (bidir_sim.gait.report) against the healthy body's report of the same policy.

Each signature is a few figures (degrees, the report's clinical angles) and a verdict against the expected
direction and size:

================ ======================================================================================
crouch           mean knee flexion over stance (both sides) >= 15 deg more than healthy
equinus          left ankle plantarflexed at initial contact (ankle dorsiflexion at 0 % of the cycle < 0)
foot_drop        left ankle more plantarflexed over swing than healthy, with more peak swing hip or knee
                 flexion than healthy (the compensation that clears the foot)
trendelenburg    contralateral (right) pelvic drop in left stance: the peak of the left side's obliquity
                 (+ left crest up) over left stance >= 4 deg more than healthy
waddling         pelvic obliquity range over the cycle (both sides) larger than healthy
in_toeing        foot progression over stance (both sides) more internal than healthy
out_toeing       foot progression over stance (both sides) more external than healthy
================ ======================================================================================
"""

from __future__ import annotations

import numpy as np

SIGNATURES = ("crouch", "equinus", "foot_drop", "trendelenburg", "waddling", "in_toeing", "out_toeing")
CROUCH_KNEE_DEG = 15.0       # issue #29's threshold: stance knee flexion above healthy
TRENDELENBURG_DROP_DEG = 4.0  # issue #29's threshold: contralateral pelvic drop above healthy


def _curve(report: dict, name: str, side: str) -> np.ndarray:
    try:
        return np.asarray(report["curves"][name][side]["mean"], dtype=float)
    except KeyError:
        raise ValueError(f"the gait report has no '{name}' curve for side '{side}' (no cycles of that side?)") from None


def _stance_end(report: dict, side: str) -> int:
    """The sample (0..100 of the cycle) where that side's stance ends: its mean stance percentage."""
    stance = report["spatiotemporal"]["stance"][side]["mean"]
    if not np.isfinite(stance):
        raise ValueError(f"the gait report has no stance figure for side '{side}'")
    return round(stance)


def _phase_mean(report: dict, name: str, side: str, phase: str) -> float:
    c, end = _curve(report, name, side), _stance_end(report, side)
    return float(np.mean(c[:end] if phase == "stance" else c[end:]))


def _both(report: dict, fn) -> float:
    return float(np.mean([fn(report, side) for side in ("r", "l")]))


def signature(preset: str, report: dict, healthy: dict) -> dict:
    """The figures of ``preset``'s signature in ``report`` against ``healthy`` (same policy, healthy body):
    {figure: value, ..., "expected": text, "shown": bool}. ValueError for an unknown preset or a report without
    the curves it needs."""
    if preset == "crouch":
        knee = _both(report, lambda r, s: _phase_mean(r, "knee_flexion", s, "stance"))
        base = _both(healthy, lambda r, s: _phase_mean(r, "knee_flexion", s, "stance"))
        return {"stance_knee_flexion": knee, "healthy": base, "difference": knee - base,
                "expected": f">= {CROUCH_KNEE_DEG:g} deg more stance knee flexion",
                "shown": knee - base >= CROUCH_KNEE_DEG}
    if preset == "equinus":
        contact = float(_curve(report, "ankle_dorsiflexion", "l")[0])
        base = float(_curve(healthy, "ankle_dorsiflexion", "l")[0])
        return {"ankle_at_initial_contact_l": contact, "healthy": base, "difference": contact - base,
                # below the healthy body's too: a gait that already lands plantarflexed shows nothing by < 0
                "expected": "left ankle plantarflexed (< 0) at initial contact, more than healthy",
                "shown": contact < min(0.0, base)}
    if preset == "foot_drop":
        ankle = _phase_mean(report, "ankle_dorsiflexion", "l", "swing")
        base = _phase_mean(healthy, "ankle_dorsiflexion", "l", "swing")
        def swing_peak(r, name):
            return float(np.max(_curve(r, name, "l")[_stance_end(r, "l"):]))
        hip = swing_peak(report, "hip_flexion") - swing_peak(healthy, "hip_flexion")
        knee = swing_peak(report, "knee_flexion") - swing_peak(healthy, "knee_flexion")
        return {"swing_ankle_l": ankle, "healthy": base, "difference": ankle - base,
                "swing_peak_hip_flexion_difference": hip, "swing_peak_knee_flexion_difference": knee,
                "expected": "left ankle more plantarflexed in swing, with more swing hip or knee flexion",
                "shown": ankle < base and (hip > 0.0 or knee > 0.0)}
    if preset == "trendelenburg":
        def drop(r):
            return float(np.max(_curve(r, "pelvis_obliquity", "l")[:_stance_end(r, "l")]))
        value, base = drop(report), drop(healthy)
        return {"peak_obliquity_in_left_stance": value, "healthy": base, "difference": value - base,
                "expected": f"contralateral pelvic drop >= {TRENDELENBURG_DROP_DEG:g} deg more than healthy",
                "shown": value - base >= TRENDELENBURG_DROP_DEG}
    if preset == "waddling":
        def obliquity_range(r):
            return _both(r, lambda rr, s: float(np.ptp(_curve(rr, "pelvis_obliquity", s))))
        value, base = obliquity_range(report), obliquity_range(healthy)
        return {"pelvic_obliquity_range": value, "healthy": base, "difference": value - base,
                "expected": "a larger pelvic obliquity range", "shown": value > base}
    if preset in ("in_toeing", "out_toeing"):
        fpa = _both(report, lambda r, s: _phase_mean(r, "foot_progression", s, "stance"))
        base = _both(healthy, lambda r, s: _phase_mean(r, "foot_progression", s, "stance"))
        inward = preset == "in_toeing"
        return {"stance_foot_progression": fpa, "healthy": base, "difference": fpa - base,
                "expected": f"foot progression more {'internal (+)' if inward else 'external (-)'}",
                "shown": fpa > base if inward else fpa < base}
    raise ValueError(f"no gait signature for preset '{preset}'; these have one: {', '.join(SIGNATURES)}")
