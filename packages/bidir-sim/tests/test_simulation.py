"""DART world basics: free fall, contact with the ground, input checks; out-of-bound states and forces are
Python exceptions (ValueError, PhysicsDiverged), never an abort in DART."""

import subprocess
import sys

import numpy as np
import pytest
from bidir_sim import PhysicsDiverged, Simulation, _core
from bidir_sim.models import load_model


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


# --- states and forces beyond the bounds: an exception, never a DART assertion (checked in a subprocess) ----

ABORT_PROBE = """
import sys, numpy as np
from bidir_sim import PhysicsDiverged, Simulation
from bidir_sim.models import load_model
sim = Simulation(load_model("default").native(), 1 / 480)
what, value, index = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
v = np.zeros(sim.positions.size)
v[index] = value
try:
    if what == "forces":
        sim.set_forces(v)
    else:
        setattr(sim, what, v)
    sim.step(20)
except (ValueError, PhysicsDiverged) as e:
    print(type(e).__name__, e)
else:
    print("ran")
"""


@pytest.mark.parametrize("what, value, index, outcome", [
    ("forces", 1e30, 0, "ValueError forces[0] = 1e+30 is beyond the bound"),   # BallJoint.cpp:159 abort
    ("velocities", 1e12, 0, "ValueError velocities[0] = 1e+12 is beyond"),    # RevoluteJoint.cpp:186 abort
    ("positions", 1e300, 0, "ValueError positions[0] = 1e+300 is beyond"),     # FreeJoint.cpp:670 abort
    ("positions", 1e300, 7, "ValueError positions[7] = 1e+300 is beyond"),     # BallJoint.cpp:159 abort
    ("forces", 1e6, 0, "PhysicsDiverged velocities["),                         # at the bound: diverges, cleanly
    ("velocities", 999.0, 3, "ran"),                                           # valid: the body slides
])
@pytest.mark.slow
def test_simulation_never_aborts(what, value, index, outcome, tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(ABORT_PROBE)
    r = subprocess.run([sys.executable, str(probe), what, str(value), str(index)], capture_output=True, text=True,
                       timeout=120, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.startswith(outcome), r.stdout


def test_physics_diverged_is_a_python_exception():
    sim = Simulation(load_model("default").native(), 1 / 480)
    tau = np.zeros(sim.positions.size)
    tau[0] = 1e6  # the largest force set_forces takes
    sim.set_forces(tau)
    with pytest.raises(PhysicsDiverged, match=r"velocities\[\d+\] = .* is beyond the bound of 1000"):
        sim.step(50)
    assert issubclass(PhysicsDiverged, RuntimeError)
