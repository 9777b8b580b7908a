"""The pathology presets' gait signatures (bidir_sim.gait.signatures) on reports built from known curves."""

import numpy as np
import pytest
from bidir_sim.gait.signatures import SIGNATURES, signature

PHASE = np.arange(101)
CURVES = ("knee_flexion", "ankle_dorsiflexion", "hip_flexion", "pelvis_obliquity", "foot_progression")


def report(stance=60.0, **shift):
    """A report whose curves are zero but for ``shift``: {curve: f(phase) -> values} on both sides, or
    {curve_side: ...} on one."""
    curves = {}
    for name in CURVES:
        curves[name] = {}
        for side in ("r", "l"):
            f = shift.get(f"{name}_{side}", shift.get(name))
            curves[name][side] = {"mean": (f(PHASE) if f else np.zeros(101)).tolist()}
    return {"curves": curves, "spatiotemporal": {"stance": {s: {"mean": stance} for s in ("r", "l")}}}


HEALTHY = report()


def test_crouch_needs_15_degrees_more_stance_knee_flexion():
    shown = signature("crouch", report(knee_flexion=lambda p: np.where(p < 60, 20.0, 0.0)), HEALTHY)
    assert shown["difference"] == pytest.approx(20.0) and shown["shown"]
    swing_only = signature("crouch", report(knee_flexion=lambda p: np.where(p >= 60, 40.0, 10.0)), HEALTHY)
    assert swing_only["difference"] == pytest.approx(10.0) and not swing_only["shown"]


def test_equinus_reads_the_left_ankle_at_initial_contact():
    assert signature("equinus", report(ankle_dorsiflexion_l=lambda p: p - 5.0), HEALTHY)["shown"]
    right_only = signature("equinus", report(ankle_dorsiflexion_r=lambda p: p - 5.0), HEALTHY)
    assert right_only["ankle_at_initial_contact_l"] == 0.0 and not right_only["shown"]
    landing_plantarflexed = report(ankle_dorsiflexion=lambda p: p - 6.6)  # a healthy gait measured so
    same = signature("equinus", report(ankle_dorsiflexion_l=lambda p: p - 6.5), landing_plantarflexed)
    assert same["ankle_at_initial_contact_l"] == pytest.approx(-6.5) and not same["shown"]
    assert signature("equinus", report(ankle_dorsiflexion_l=lambda p: p - 12.0), landing_plantarflexed)["shown"]


def test_foot_drop_needs_swing_plantarflexion_and_a_compensation():
    drop = lambda p: np.where(p >= 60, -10.0, 0.0)
    knee = lambda p: np.where(p >= 60, 10.0, 0.0)
    assert signature("foot_drop", report(ankle_dorsiflexion_l=drop, knee_flexion_l=knee), HEALTHY)["shown"]
    assert not signature("foot_drop", report(ankle_dorsiflexion_l=drop), HEALTHY)["shown"]  # no compensation


def test_trendelenburg_is_the_left_crest_up_in_left_stance():
    weak = report(pelvis_obliquity_l=lambda p: np.where(p < 60, 6.0, 0.0))
    assert signature("trendelenburg", weak, HEALTHY)["difference"] == pytest.approx(6.0)
    late = report(pelvis_obliquity_l=lambda p: np.where(p >= 60, 6.0, 0.0))  # in swing: not the sign
    assert not signature("trendelenburg", late, HEALTHY)["shown"]


def test_toeing_direction_and_waddling_range():
    inward = report(foot_progression=lambda p: np.full(101, 8.0))
    assert signature("in_toeing", inward, HEALTHY)["shown"] and not signature("out_toeing", inward, HEALTHY)["shown"]
    assert signature("waddling", report(pelvis_obliquity=lambda p: 5 * np.sin(p / 16)), HEALTHY)["shown"]


def test_every_preset_has_a_signature_and_bad_reports_are_errors():
    for preset in SIGNATURES:
        assert "expected" in signature(preset, HEALTHY, HEALTHY)
    with pytest.raises(ValueError, match="no gait signature for preset 'limp'"):
        signature("limp", HEALTHY, HEALTHY)
    bare = {"curves": {}, "spatiotemporal": HEALTHY["spatiotemporal"]}
    with pytest.raises(ValueError, match="no 'knee_flexion' curve"):
        signature("crouch", bare, HEALTHY)
