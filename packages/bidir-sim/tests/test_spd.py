"""Stable PD control: tracking the walking reference, and input checks."""

import numpy as np
import pytest
from bidir_sim import _core
from bidir_sim.motion.walk import walking_reference


@pytest.mark.slow
def test_spd_alone_tracks_the_walking_reference(default_model):
    """Root held on the reference path 0.5 m up (feet in the air), every other DoF driven by SPD
    towards the reference pose and velocity of the next step, for one full cycle at 480 Hz."""
    ref = walking_reference(default_model)
    h = 1.0 / 480.0
    sim = _core.Simulation(default_model.native(), h)

    def pose(t):
        q = ref.pose(t / ref.duration)
        q[4] += 0.5
        return q

    def velocity(t):
        return sim.position_differences(pose(t + h / 2), pose(t - h / 2)) / h

    sim.positions, sim.velocities = pose(0.0), velocity(0.0)
    no_force = np.zeros(default_model.num_dofs)
    errors = []
    for k in range(round(ref.duration / h)):
        t = k * h
        q, dq = sim.positions, sim.velocities
        q[:6], dq[:6] = pose(t)[:6], velocity(t)[:6]   # the root follows the reference exactly
        sim.positions, sim.velocities = q, dq
        tau = sim.spd_forces(pose(t + h), velocity(t + h), no_force)
        assert np.all(tau[:6] == 0.0)
        sim.set_forces(tau)
        sim.step(1)
        errors.append(sim.position_differences(sim.positions, pose(t + h))[6:])
    errors = np.array(errors)
    rms = np.sqrt(np.mean(errors**2))
    assert rms < 0.05, f"joint RMS error {rms:.3f} rad"
    assert np.isfinite(errors).all()


def test_spd_input_checks(default_model):
    sim = _core.Simulation(default_model.native(), 1.0 / 480.0)
    n = default_model.num_dofs
    with pytest.raises(ValueError, match="SPD target has 3 values"):
        sim.spd_forces(np.zeros(3), np.zeros(n), np.zeros(n))
    bad = np.zeros(n)
    bad[10] = np.inf
    with pytest.raises(ValueError, match="SPD target velocity contains NaN or inf"):
        sim.spd_forces(np.zeros(n), bad, np.zeros(n))


def test_articulated_spd_equals_the_dense_formulation(default_model):
    """The O(n) SPD (forward dynamics with Kv as extra implicit damping) gives the dense formula's forces,
    and leaves the skeleton as it found it: the dense result and the next physics step do not change."""
    ref = walking_reference(default_model)
    rng = np.random.default_rng(0)
    n = default_model.num_dofs
    for phase in (0.05, 0.4, 0.8):
        sim = _core.Simulation(default_model.native(), 1.0 / 480.0)
        twin = _core.Simulation(default_model.native(), 1.0 / 480.0)
        q = ref.pose(phase)
        q[6:] += rng.normal(0, 0.05, n - 6)
        dq = rng.normal(0, 1.0, n)
        for s in (sim, twin):
            s.positions, s.velocities = q, dq
            s.step(1)  # on the ground: constraint forces are part of the formula
        target, target_velocity = ref.pose(phase + 0.01), rng.normal(0, 0.5, n)
        ext = rng.normal(0, 5, n)
        ext[:6] = 0
        dense = sim.spd_forces(target, target_velocity, ext, articulated=False)
        fast = sim.spd_forces(target, target_velocity, ext, articulated=True)
        assert np.abs(fast - dense).max() < 1e-9 * np.abs(dense).max()
        assert np.array_equal(sim.spd_forces(target, target_velocity, ext, articulated=False), dense)
        # the skeleton's damping is restored: the same forces give the same step as on an untouched twin
        for s in (sim, twin):
            s.set_forces(dense)
            s.step(1)
        assert np.array_equal(sim.positions, twin.positions) and np.array_equal(sim.velocities, twin.velocities)
