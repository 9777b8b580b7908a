"""The procedural walking reference: a closed cycle with the requested stride and a plausible gait."""

import numpy as np
import pytest
from bidir_sim.errors import ModelError
from bidir_sim.models import human
from bidir_sim.motion.foot import foot_points
from bidir_sim.motion.walk import TOE_OFF, walking_reference

PHASES = np.arange(480) / 480  # twice the stored sampling: checks the interpolation too


@pytest.fixture(scope="module")
def ref(default_model):
    return walking_reference(default_model)


def test_cycle_closes_up_to_one_stride(ref):
    q0, q1 = ref.pose(0.0), ref.pose(1.0)
    expected = q0.copy()
    expected[5] += ref.stride
    assert np.abs(q1 - expected).max() < 1e-9
    # any phase, any cycle: the same pose, one stride further per cycle
    a, b = ref.pose(0.37), ref.pose(2.37)
    assert b[5] - a[5] == pytest.approx(2 * ref.stride)
    assert np.abs(np.delete(a - b, 5)).max() < 1e-9


@pytest.mark.parametrize("stride, cadence", [(1.2, 100.0), (1.4, 110.0), (1.55, 120.0)])
def test_stride_and_speed_as_requested(default_model, stride, cadence):
    ref = walking_reference(default_model, stride=stride, cadence=cadence)
    q = ref.pose(np.array([0.0, 1.0]))
    assert q[1, 5] - q[0, 5] == pytest.approx(stride, abs=1e-4)
    assert ref.speed == pytest.approx(stride * cadence / 120.0)


def _stance_slide(points: np.ndarray, contact: float = 1e-3) -> float:
    """Per cycle: for each pair of consecutive frames, the largest horizontal move of a foot point that is
    in ground contact (y < ``contact``) in both; summed over the cycle."""
    y = points[..., 1]
    total = 0.0
    for i in range(len(points) - 1):
        on = (y[i] < contact) & (y[i + 1] < contact)
        if on.any():
            total += np.linalg.norm((points[i + 1, on] - points[i, on])[:, [0, 2]], axis=1).max()
    return total


@pytest.mark.parametrize("height, stride", [(1.75, None), (1.5, None), (1.95, None), (1.75, 1.2), (1.75, 1.6)])
def test_feet_do_not_penetrate_slide_or_scuff(height, stride):
    model = human(height_m=height, mass_kg=70.0)
    ref = walking_reference(model, stride=stride)
    pts = foot_points(model, ref.pose(PHASES))
    for side, heel_strike in (("R", 0.0), ("L", 0.5)):
        y = pts[side][..., 1]
        assert y.min() > -0.01, f"{side} foot penetrates the ground by {-y.min() * 100:.1f} cm"
        assert _stance_slide(pts[side]) < 0.02
        # mid-swing (70-90 % of the foot's cycle): the whole foot is clear of the ground
        local = np.mod(PHASES - heel_strike, 1.0)
        mid_swing = (local > TOE_OFF + 0.1) & (local < 0.9)
        assert y[mid_swing].min() > 0.01
        # in stance some part of the foot is on the ground
        stance = local < TOE_OFF
        assert np.all(y[stance].min(axis=1) < 1e-3)


def test_pelvis_moves_like_walking(ref, default_model):
    T = default_model.native().forward_kinematics(ref.pose(np.linspace(0, 1, 121)))
    pelvis = T[:, default_model.body_index["Pelvis"], :3, 3]
    # vertical excursion of the pelvis in adult walking: ~3-6 cm (Perry & Burnfield 2010; Saunders 1953)
    assert 0.03 <= np.ptp(pelvis[:, 1]) <= 0.06
    # lateral excursion: ~4-5 cm peak to peak (Perry & Burnfield 2010)
    assert 0.02 <= np.ptp(pelvis[:, 0]) <= 0.06


def test_joint_angles_stay_normative(ref, default_model):
    off = default_model.dof_offsets()
    knee = np.degrees(ref.positions[:, off["TibiaR"]])
    # peak swing knee flexion ~60 deg (Winter 2009); the knee never hyperextends
    assert 50 <= knee.max() <= 70
    assert knee.min() >= 0.0


def test_out_of_range_parameters(default_model):
    with pytest.raises(ModelError, match="stride"):
        walking_reference(default_model, stride=5.0)
    with pytest.raises(ModelError, match="cadence"):
        walking_reference(default_model, cadence=0.0)
