"""MASS fixtures (../shared/fixtures/mass): skeleton, muscles and BVH import."""

import numpy as np
import pytest
from bidir_sim.models import load_mass_model, load_model
from bidir_sim.motion import load_bvh


def test_mass_skeleton(mass_dir):
    model = load_model(mass_dir / "human.xml")
    native = model.native()
    assert (native.num_bodies, native.num_dofs) == (23, 56)
    assert model.total_mass == pytest.approx(61.4)
    # knee limits and the revolute axis come through
    tibia = next(b for b in model.bodies if b.name == "TibiaR")
    assert tibia.joint.type == "revolute" and tibia.joint.upper[0] == pytest.approx(2.3)
    # body transforms at the zero pose are the XML ones
    T = native.forward_kinematics(np.zeros((1, 56)))[0]
    assert T[model.body_index["Pelvis"], :3, 3] == pytest.approx([0.0, 0.9809, -0.0308])


def test_mass_muscles(mass_dir):
    model = load_mass_model(mass_dir / "human.xml", mass_dir / "muscle284.xml")
    assert len(model.muscles) == 284
    first = model.muscles[0]
    assert first.name == "L_Abductor_Pollicis_Longus" and first.f0 == pytest.approx(1000.0)
    # lm/lt are relative to the rest length: the normalised fibre length at rest is (1 - lt) / lm
    rest = sum(np.linalg.norm(b.position - a.position) for a, b in zip(first.waypoints, first.waypoints[1:]))
    assert first.optimal_fiber_length == pytest.approx(1.2 * rest)
    blended = [w for m in model.muscles for w in m.waypoints if len(w.bodies) == 2]
    assert blended and all(abs(sum(w.weights) - 1) < 1e-9 for w in blended)


def test_walk_bvh_maps_onto_mass(mass_dir):
    bvh = load_bvh(mass_dir / "walk.bvh")
    assert bvh.num_frames == 132
    assert bvh.frame_time == pytest.approx(1 / 120, rel=1e-3)
    model = load_model(mass_dir / "human.xml")
    Q = bvh.to_positions(model)
    assert Q.shape == (132, 56) and np.all(np.isfinite(Q))
    T = model.native().forward_kinematics(Q)
    pelvis = T[:, model.body_index["Pelvis"], :3, 3]
    assert 0.9 < pelvis[:, 1].min() and pelvis[:, 1].max() < 1.1
    speed = (pelvis[-1, 2] - pelvis[0, 2]) / (131 * bvh.frame_time)
    assert 1.0 < speed < 1.6  # a walk along +z
    knee = Q[:, model.dof_offsets()["TibiaR"]]
    assert np.ptp(knee) > np.radians(40)  # the knee swings through a walking range
