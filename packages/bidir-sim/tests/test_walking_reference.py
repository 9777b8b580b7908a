"""The procedural walking reference: a closed cycle with the requested stride and a plausible gait."""

import numpy as np
import pytest

from bidir_sim.errors import ModelError
from bidir_sim.motion.walk import walking_reference


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


def test_pelvis_rises_and_falls_like_walking(ref, default_model):
    # vertical excursion of the pelvis in adult walking: ~3-6 cm (Perry & Burnfield 2010; Saunders 1953)
    T = default_model.native().forward_kinematics(ref.pose(np.linspace(0, 1, 121)))
    y = T[:, default_model.body_index["Pelvis"], 1, 3]
    assert 0.03 <= np.ptp(y) <= 0.06


def test_out_of_range_parameters(default_model):
    with pytest.raises(ModelError, match="stride"):
        walking_reference(default_model, stride=5.0)
    with pytest.raises(ModelError, match="cadence"):
        walking_reference(default_model, cadence=0.0)
