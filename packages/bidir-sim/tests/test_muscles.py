"""C++ Hill-type muscles against independent Python computations and DART's own force mapping."""

import math

import numpy as np
import pytest
from bidir_sim import _core
from bidir_sim.models import MusclePaths


def random_poses(model, n, seed):
    """Poses within the joint limits (root at the origin, upright)."""
    rng = np.random.default_rng(seed)
    native = model.native()
    lo, hi = native.position_lower_limits.copy(), native.position_upper_limits.copy()
    lo[:6], hi[:6] = 0.0, 0.0
    lo, hi = np.nan_to_num(lo, neginf=-1.0), np.nan_to_num(hi, posinf=1.0)
    return rng.uniform(lo, hi, size=(n, model.num_dofs))


@pytest.fixture(scope="module")
def sim(default_model):
    return _core.Simulation(default_model.native(), 1.0 / 480.0)


def test_paths_equal_python_geometry(default_model, sim):
    Q = random_poses(default_model, 5, seed=1)
    expected = MusclePaths(default_model).lengths(Q)
    for q, lengths in zip(Q, expected):
        sim.positions = q
        assert np.abs(sim.update_muscles(jacobians=False).length - lengths).max() < 1e-12


def test_forces_follow_the_hill_curves(default_model, sim):
    """f_A = f0 F_L(l) cos(pennation), f_P = f0 F_P(l) cos(pennation) with the reference constants
    (gamma 0.45, k_pe 5.5, e_mo 0.3) and a rigid tendon, l = (l_mt - l_slack) / l_opt."""
    muscles = default_model.muscles
    f0 = np.array([m.f0 for m in muscles])
    l_opt = np.array([m.optimal_fiber_length for m in muscles])
    l_slack = np.array([m.tendon_slack_length for m in muscles])
    cos_pen = np.cos([m.pennation for m in muscles])
    stretched = 0
    for q in random_poses(default_model, 8, seed=2):
        sim.positions = q
        s = sim.update_muscles(jacobians=False)
        l = (s.length - l_slack) / l_opt
        assert s.fiber_length == pytest.approx(l, abs=1e-12)
        active = f0 * np.exp(-((l - 1) ** 2) / 0.45) * cos_pen
        passive = np.where(l < 1, 0.0, f0 * (np.exp(5.5 * (l - 1) / 0.3) - 1) / (math.exp(5.5) - 1) * cos_pen)
        assert s.active_force == pytest.approx(active, rel=1e-12)
        assert s.passive_force == pytest.approx(passive, rel=1e-12, abs=1e-9)
        stretched += int((l > 1.05).sum())
    assert stretched > 10  # the passive branch was exercised


def test_force_velocity_term(default_model, sim):
    rng = np.random.default_rng(3)
    sim.positions = random_poses(default_model, 1, seed=3)[0]
    sim.velocities = rng.normal(0, 2.0, default_model.num_dofs)
    still = sim.update_muscles(jacobians=False)
    moving = sim.update_muscles(jacobians=False, force_velocity=True)
    v = moving.fiber_velocity
    assert np.abs(v).max() > 0.05
    fv = np.where(v <= -1, 0.0, np.where(v <= 0, (1 + v) / (1 - v / 0.25), (1 + 1.6 * v / 0.06) / (1 + v / 0.06)))
    assert moving.active_force == pytest.approx(still.active_force * fv, rel=1e-9, abs=1e-9)
    sim.velocities = np.zeros(default_model.num_dofs)


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_JtA_a_plus_JtP_is_the_generalized_force_DART_applies(default_model, seed):
    sim = _core.Simulation(default_model.native(), 1.0 / 480.0)
    rng = np.random.default_rng(seed)
    sim.positions = random_poses(default_model, 1, seed)[0]
    s = sim.update_muscles()
    a = rng.uniform(0, 1, default_model.native().num_muscles)
    sim.apply_muscle_forces(a)
    dart_tau = sim.external_generalized_forces
    ours = s.JtA @ a + s.JtP
    assert np.abs(dart_tau[6:] - ours).max() / np.abs(ours).max() < 1e-6
    # muscles are internal forces: no net force or moment on the root
    assert np.abs(dart_tau[:6]).max() < 1e-6 * np.abs(ours).max()


def test_reduced_input_is_each_muscles_column_on_its_related_dofs(default_model, sim):
    native = default_model.native()
    sim.positions = random_poses(default_model, 1, seed=7)[0]
    s = sim.update_muscles()
    related = native.muscle_related_dofs
    expected = np.concatenate([s.JtA[dofs, j] for j, dofs in enumerate(related)])
    assert s.JtA_reduced.shape == (native.muscle_dofs,)
    assert np.array_equal(s.JtA_reduced, expected)
    # every muscle moves at least one joint, and only the ones it spans
    assert all(len(d) > 0 for d in related)
    outside = np.ones_like(s.JtA, dtype=bool)
    for j, dofs in enumerate(related):
        outside[dofs, j] = False
    assert np.abs(s.JtA[outside]).max() < 1e-9


def test_bad_activations(default_model):
    sim = _core.Simulation(default_model.native(), 1.0 / 480.0)
    m = default_model.native().num_muscles
    with pytest.raises(RuntimeError, match="updateMuscles"):
        sim.apply_muscle_forces(np.zeros(m))
    sim.update_muscles()
    with pytest.raises(ValueError, match="155 values"):
        sim.apply_muscle_forces(np.zeros(m - 1))
    bad = np.zeros(m)
    bad[17] = np.nan
    with pytest.raises(ValueError, match="activation 17"):
        sim.apply_muscle_forces(bad)
    bad[17] = 1.5
    with pytest.raises(ValueError, match=r"activation 17 .* must be in \[0, 1\]"):
        sim.apply_muscle_forces(bad)
