"""DART world basics: free fall, contact with the ground, input checks."""

import numpy as np
import pytest
from bidir_sim import _core


def test_free_fall_accelerates_at_g(default_model):
    sim = _core.Simulation(default_model.native(), 1.0 / 480.0)
    q = np.zeros(56)
    q[4] = 5.0  # 5 m up: no contact during the test
    sim.positions = q
    dt, n = sim.timestep, 96
    v0 = sim.center_of_mass_velocity.copy()
    sim.step(n)
    acc = (sim.center_of_mass_velocity - v0) / (n * dt)
    assert acc[1] == pytest.approx(-9.8, rel=0.01)
    assert abs(acc[0]) < 1e-6 and abs(acc[2]) < 1e-6
    assert sim.num_contacts == 0


def test_feet_touch_the_ground(default_model):
    sim = _core.Simulation(default_model.native(), 1.0 / 480.0)
    sim.step(48)
    assert sim.num_contacts > 0
    assert sim.center_of_mass[1] > 0.8  # standing on its feet for the first 0.1 s


def test_bad_state_raises(default_model):
    sim = _core.Simulation(default_model.native(), 1.0 / 480.0)
    with pytest.raises(ValueError, match="positions has 3 values, the model has 56 DoFs"):
        sim.positions = np.zeros(3)
    q = np.zeros(56)
    q[7] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        sim.positions = q
    with pytest.raises(ValueError, match="timestep"):
        _core.Simulation(default_model.native(), -1.0)
