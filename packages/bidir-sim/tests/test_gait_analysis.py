"""Gait analysis (bidir_sim.gait): cycle cutting on a synthetic gait of known timing, the contact-force GRF and
the inverse-dynamics moments on a body standing still (real DART physics), the record of an env, the angle
conventions, and the normative data file."""

from __future__ import annotations

import numpy as np
import pytest
from bidir_sim import _core
from bidir_sim.envs.walk_env import WalkEnv
from bidir_sim.gait import events, kinetics, normative
from bidir_sim.gait.angles import joint_angles
from bidir_sim.gait.report import gait_report
from bidir_sim.models import load_model
from bidir_sim.motion.walk import PELVIC_TILT, walking_reference

DT = 1 / 480


def synthetic_forces(cycle=1.1, stance=0.6, seconds=8.0, weight=700.0):
    """Vertical forces of two feet: each down for ``stance`` of every cycle, the left half a cycle later."""
    t = np.arange(0, seconds, DT)
    phase = (t / cycle) % 1.0
    right = (phase < stance) * weight * 0.6
    left = (((phase + 0.5) % 1.0) < stance) * weight * 0.6
    return t, np.stack([right, left], axis=1)


def test_cycles_of_a_synthetic_gait_have_its_timing():
    t, f = synthetic_forces(cycle=1.1, stance=0.6)
    cycles, on, rejected = events.find_cycles(t, f, body_weight=700.0, settle=1.0)
    assert rejected == 0
    right = [c for c in cycles if c.side == "r"]
    left = [c for c in cycles if c.side == "l"]
    assert len(right) >= 5 and len(left) >= 5
    for c in cycles:
        seconds = t[c.end] - t[c.start]
        assert seconds == pytest.approx(1.1, abs=2 * DT)
        assert (t[c.toe_off] - t[c.start]) / seconds == pytest.approx(0.6, abs=0.01)
        both = on[c.start:c.end, 0] & on[c.start:c.end, 1]
        assert np.mean(both) == pytest.approx(0.2, abs=0.01)  # two double supports of 10 % each
        assert t[c.start] >= 1.0  # the settling time is left out
    # the left cycle starts half a cycle after the right one
    assert (t[left[0].start] - t[right[0].start]) % 1.1 == pytest.approx(0.55, abs=2 * DT)


def test_contact_chatter_is_not_a_step():
    t, f = synthetic_forces()
    clean, _, _ = events.find_cycles(t, f, 700.0)
    noisy = f.copy()
    mid = np.flatnonzero(noisy[:, 0] > 0)[200]
    noisy[mid:mid + 5, 0] = 0.0                    # a 10-ms lift inside a stance
    swing = np.flatnonzero(noisy[:, 0] == 0)[100]
    noisy[swing:swing + 8, 0] = 300.0              # a 17-ms touch inside a swing
    chattered, _, _ = events.find_cycles(t, noisy, 700.0)
    assert [(c.start, c.toe_off, c.end) for c in chattered] == [(c.start, c.toe_off, c.end) for c in clean]


def test_cycle_cutting_rejects_bad_input():
    t, f = synthetic_forces()
    with pytest.raises(ValueError, match="strictly increasing"):
        events.find_cycles(t[::-1], f, 700.0)
    with pytest.raises(ValueError, match="shape"):
        events.find_cycles(t, f[:, :1], 700.0)
    with pytest.raises(ValueError, match="body weight"):
        events.find_cycles(t, f, 0.0)


def test_normalise_resamples_to_101_points():
    t, f = synthetic_forces()
    cycles, _, _ = events.find_cycles(t, f, 700.0)
    ramp = events.normalise(t, t, cycles[0])
    assert ramp.shape == (101,)
    assert np.allclose(np.diff(ramp), (t[cycles[0].end] - t[cycles[0].start]) / 100)


@pytest.fixture(scope="module")
def standing():
    """The default body standing on flat feet, leaning forward 1 deg from the ankles (so that the plantarflexors
    carry a load), held by stable PD for 0.5 s. Only the light toe joints rock (their gains are low)."""
    model = load_model("default")
    native = model.native()
    sim = _core.Simulation(native, DT)
    q = np.zeros(model.num_dofs)
    lean = np.radians(1.0)
    q[0] = lean  # the root pitched forward (+x turns the head toward +z) ...
    for talus in ("TalusR", "TalusL"):
        q[model.dof_offsets()[talus]] = -lean  # ... and the ankles dorsiflexed by as much: the feet stay flat
    fk = native.forward_kinematics(q[None])[0]
    low = min(float((fk[i][:3, :3] @ s.corners().T + fk[i][:3, 3:4])[1].min())
              for i, b in enumerate(model.bodies) if b.contact for s in b.shapes if s.collision)
    q[4] = -low + 1e-4  # root translation y: the lowest contact point just above the ground
    sim.positions = q
    sim.keep_step_start(True)
    zero = np.zeros(model.num_dofs)
    for _ in range(240):
        sim.set_forces(sim.spd_forces(q, zero, zero))
        sim.step(1)
    contact, moments = sim.last_step_dynamics()
    return model, sim, contact, moments


def test_a_standing_body_carries_its_weight_on_its_feet(standing):
    model, sim, contact, moments = standing
    weight = model.total_mass * kinetics.GRAVITY
    # the premise of sum F_y = m g: the centre of mass neither rises nor sinks (the body sways a little)
    assert abs(sim.center_of_mass_velocity[1]) < 0.01
    assert contact[:, 4].sum() == pytest.approx(weight, rel=0.02)
    feet = [i for i, b in enumerate(model.bodies) if b.contact]
    assert np.abs(np.delete(contact, feet, axis=0)).max() == 0.0  # nothing else touches
    assert np.linalg.norm(moments[3:6]) < 0.02 * weight  # the contacts explain the root's forces


def test_inverse_dynamics_ankle_moment_balances_the_foot(standing):
    """Statics of the right foot (talus and toes): the ankle torque balances the ground's and gravity's
    moments about the ankle joint."""
    model, sim, contact, moments = standing
    q = sim.positions
    fk = model.native().forward_kinematics(q[None])[0]
    index = model.body_index
    talus = index["TalusR"]
    foot = [index[n] for n in ("TalusR", "FootThumbR", "FootPinkyR")]
    zero = model.native().forward_kinematics(np.zeros((1, model.num_dofs)))[0]
    joint = fk[talus] @ np.linalg.inv(zero[talus]) @ model.bodies[talus].joint.frame
    ankle = joint[:3, 3]
    expected = np.zeros(3)
    for b in foot:
        force, moment_origin = contact[b, 3:], contact[b, :3]
        expected -= moment_origin - np.cross(ankle, force)  # the ground's moment about the ankle
        com = fk[b][:3, :3] @ model.bodies[b].com + fk[b][:3, 3]
        expected -= np.cross(com - ankle, model.bodies[b].mass * np.array([0.0, -kinetics.GRAVITY, 0.0]))
    off = model.dof_offsets()["TalusR"]
    measured = fk[talus][:3, :3] @ moments[off:off + 3]  # the joint torque, child frame -> world
    assert np.linalg.norm(expected) > 1.0  # a real load, not a trivial zero
    assert np.allclose(measured, expected, atol=0.05 * np.linalg.norm(expected) + 0.2)


def test_last_step_dynamics_needs_the_step_start():
    sim = _core.Simulation(load_model("default").native(), DT)
    sim.step(1)
    with pytest.raises(RuntimeError, match="keep_step_start|keepStepStart"):
        sim.last_step_dynamics()


def test_recording_does_not_change_the_episode_and_fills_every_substep():
    runs = []
    for recording in (False, True):
        env = WalkEnv("pd")
        env.reset(seed=3)
        env.core.recording = recording
        obs = [env.step(np.zeros(env.action_space.shape, np.float32))[0] for _ in range(6)]
        runs.append((np.array(obs), env.core.take_record()))
    assert np.array_equal(runs[0][0], runs[1][0])  # bit-identical with and without the record
    assert len(runs[0][1]["time"]) == 0
    rec = runs[1][1]
    substeps = env.task.config.simulation.sim_hz // env.task.config.simulation.control_hz
    assert rec["positions"].shape == (6 * substeps, env.task.model.num_dofs)
    assert np.allclose(np.diff(rec["time"]), 1 / env.task.config.simulation.sim_hz)
    assert rec["foot_force"].shape == (6 * substeps, 2, 3)
    assert env.core.take_record()["time"].shape == (0,)  # taken: empty


def test_angles_read_back_the_walking_reference_normative_curves():
    """The reference is built from clinical curves through walk.py's composition; reading its joint positions
    back gives the same conventions (pelvis tilt = the model's upright pelvis + PELVIC_TILT)."""
    model = load_model("default")
    ref = walking_reference(model, stride=1.4, cadence=110)
    a = joint_angles(model, ref.pose(np.linspace(0, 1, 50, endpoint=False)))
    assert np.allclose(a["pelvis_tilt"], np.degrees(PELVIC_TILT), atol=0.5)
    # left and right mirror: the left side half a cycle later equals the right side
    assert np.allclose(np.roll(a["knee_flexion_l"], -25), a["knee_flexion_r"], atol=1.0)
    assert np.ptp(a["knee_flexion_r"]) > 40 and a["knee_flexion_r"].min() > -5  # a knee that flexes in swing
    assert np.all(np.abs(a["hip_adduction_r"]) < 15) and np.all(np.abs(a["pelvis_obliquity_r"]) < 10)


def test_normative_file_cites_a_listed_source_for_every_curve():
    d = normative.data()
    assert {"winter1991", "schwartz2008", "perry1992"} <= set(d["sources"])
    for name, c in d["curves"].items():
        assert c["source"] and all(s in d["sources"] for s in c["source"]), name
        mean, _sd = normative.band(name)
        assert mean.shape == (101,) and np.all(np.isfinite(mean))
    for name in ("hip_flexion", "knee_flexion", "ankle_dorsiflexion", "grf_vertical"):
        assert name in d["curves"]
    # facts any gait lab knows: swing knee flexion peaks near 60-65 deg, two vertical GRF peaks above 1 BW
    knee, _ = normative.band("knee_flexion")
    assert 55 < knee.max() < 70 and 60 < np.argmax(knee) < 80
    grf, _ = normative.band("grf_vertical")
    assert grf[:30].max() > 1.0 and grf[30:62].max() > 1.0 and grf[70:95].max() < 0.01  # swing
    for muscle in normative.EMG_MUSCLE.values():
        assert muscle in d["emg"]["muscles"]


def test_compare_measures_against_the_band():
    mean, _sd = normative.band("knee_flexion")
    same = normative.compare(mean, "knee_flexion")
    assert same["rmse"] == 0 and same["r"] == pytest.approx(1) and same["in_band"] == 1
    shifted = normative.compare(mean + 10.0, "knee_flexion")
    assert shifted["rmse"] == pytest.approx(10) and shifted["r"] == pytest.approx(1)
    with pytest.raises(ValueError, match="101"):
        normative.compare(mean[:50], "knee_flexion")


def test_report_of_a_short_pd_episode_is_complete_or_says_why():
    env = WalkEnv("pd")
    env.reset(seed=0)
    env.core.recording = True
    for _ in range(15):
        env.step(np.zeros(env.action_space.shape, np.float32))
    rec = env.core.take_record()
    with pytest.raises(ValueError, match="no complete gait cycle"):
        gait_report(env.task.model, [rec], settle=1.0)  # 0.5 s: no cycle after the settling second


def test_moment_axes_are_conjugate_to_the_angles():
    """The moment about angle k is the torque's component along the angular velocity that angle k's rate gives."""
    from bidir_sim.gait.angles import euler_xzy, moment_axes
    from scipy.spatial.transform import Rotation

    rng = np.random.default_rng(0)
    rotvec = rng.uniform(-0.6, 0.6, (5, 3))
    axes = moment_axes(rotvec)
    angles = euler_xzy(rotvec)
    h = 1e-6
    for k in range(3):
        bumped = angles.copy()
        bumped[:, k] += h
        r0, r1 = Rotation.from_euler("XZY", angles), Rotation.from_euler("XZY", bumped)
        omega_child = (r0.inv() * r1).as_rotvec() / h  # child-frame angular velocity per unit rate of angle k
        assert np.allclose(omega_child, axes[:, k, :], atol=1e-5)


@pytest.fixture(scope="module")
def assisted_walk():
    """A real-physics walk: the ideal-torque body following the reference under the pelvis assist (scale 1.5
    holds it up; at 1 some seeds fall), recorded for 200 control steps (6.7 s)."""
    env = WalkEnv("pd")
    env.reset(seed=1)
    env.core.assist_scale = 1.5
    env.core.recording = True
    for _ in range(200):
        _, _, terminated, truncated, info = env.step(np.zeros(env.action_space.shape, np.float32))
        assert not (terminated or truncated)
    return env, env.core.take_record(), info["cadence_ratio"]


def test_report_of_an_assisted_walk_finds_its_cycles_and_timing(assisted_walk):
    env, rec, cadence_ratio = assisted_walk
    report = gait_report(env.task.model, [rec], settle=1.0)
    cycles = report["cycles"]
    assert cycles["r"] >= 3 and cycles["l"] >= 3
    s = report["spatiotemporal"]
    duration = env.task.reference_duration / cadence_ratio  # s per reference cycle in this episode
    assert s["cadence"]["r"]["mean"] == pytest.approx(120 / duration, rel=0.08)
    assert 50 < s["stance"]["r"]["mean"] < 72 and 0 < s["double_support"]["r"]["mean"] < 35
    assert s["stride_length"]["r"]["mean"] > 0.8 and s["step_width"]["r"]["mean"] < 0.3
    # the curves exist on both sides with 101 samples, and compare to the normative ones
    for name in ("hip_flexion", "knee_flexion", "ankle_dorsiflexion", "grf_vertical", "ankle_moment", "soleus"):
        assert len(report["curves"][name]["r"]["mean"]) == 101 and len(report["curves"][name]["l"]["sd"]) == 101
    for name in ("hip_flexion", "knee_flexion", "ankle_dorsiflexion", "pelvis_obliquity", "hip_moment"):
        c = report["comparison"][name]["r"]
        assert -1 <= c["r"] <= 1 and c["rmse"] >= 0 and 0 <= c["in_band"] <= 1 and c["rom"] > 0
    for group in normative.emg_envelopes():  # compared with its envelope; the pd body's muscles are silent, so
        c = report["comparison"][group]["r"]  # r is undefined (NaN), never a number made up from zeros
        assert np.isnan(c["r"]) and np.isnan(c["in_band"]) and c["unit"] == "fraction_of_peak"
    # this assisted, untrained body walks in a crouch: its stance knee never straightens
    knee = np.asarray(report["curves"]["knee_flexion"]["r"]["mean"])
    assert knee[:40].min() > 10
    grf = np.asarray(report["curves"]["grf_vertical"]["r"]["mean"])
    assert grf[:50].max() > 0.8 and grf[80:95].max() < 0.05  # loaded in stance, free in swing
    e = report["energetics"]
    assert e["distance_m"] > 2.0 and np.isfinite(e["cost_of_transport_J_per_kg_m"])
    assert report["quality"]["max_root_residual_bw"] > 0  # the assist is an external force no contact explains


def test_the_normative_gait_meets_every_realism_target():
    """A report whose curves are the normative means (and whose muscles fire at Perry's timing) passes every
    realism check, and a crouched knee fails its own."""
    from bidir_sim.gait.report import realism

    names = ("hip_flexion", "knee_flexion", "ankle_dorsiflexion", "pelvis_obliquity", "pelvis_rotation",
             "hip_adduction")
    comparison = {n: {"r": normative.compare(normative.band(n)[0], n)} for n in names}
    curves = {n: {"r": {"mean": normative.band(n)[0].tolist()}} for n in ("grf_vertical", "grf_anterior")}
    phase = np.arange(101)
    curves["soleus"] = {"r": {"mean": np.exp(-0.5 * ((phase - 48) / 6.0) ** 2).tolist()}}
    curves["gastrocnemius"] = curves["soleus"]
    table = normative.data()["emg"]["muscles"]
    timing = {g: {"r": {"on_off": table[m]["on_off"]}} for g, m in normative.EMG_MUSCLE.items()}
    report = {"comparison": comparison, "curves": curves, "timing": timing,
              "spatiotemporal": {"stance": {"r": {"mean": 62.0}}},
              "energetics": {"cost_of_transport_J_per_kg_m": normative.cost_of_transport()["mean"]}}
    checks = realism(report)
    assert len(checks) == 15 and all(c["met"] for c in checks), [c for c in checks if not c["met"]]
    crouch = normative.band("knee_flexion")[0] + 20.0
    report["comparison"]["knee_flexion"]["r"] = normative.compare(crouch, "knee_flexion")
    failed = [c["target"] for c in realism(report) if not c["met"]]
    assert failed == ["knee_flexion: r >= 0.9 and RMSE <= 5 deg against the normative mean"]
    report["energetics"]["cost_of_transport_J_per_kg_m"] = 9.6  # the muscle-driven walker's, 2026-12-06
    assert [c["target"] for c in realism(report) if not c["met"]][-1].startswith("cost of transport")


def test_the_emg_envelopes_compare_by_shape_and_timing():
    """Each normative envelope is a group's curve (compared after scaling to its peak): itself at any scale
    correlates fully, the same bursts a quarter of a cycle late do not."""
    groups = normative.emg_envelopes()
    assert set(groups) == {"gastrocnemius", "hamstrings", "rectus_femoris", "tibialis_anterior", "vasti"}
    for g in groups:
        mean, sd = normative.band(g)
        assert np.isnan(sd).all() and 0.9 < mean.max() < 1.05  # of its peak (5 % steps miss the rectus's, at 3 %)
        same = normative.compare(0.3 * mean, g)
        assert same["r"] > 0.999 and same["rmse"] < 0.05  # its table peak is 0.94-1.01, not exactly 1
        assert normative.compare(0.3 * np.roll(mean, 25), g)["r"] < 0.3  # a quarter-cycle late (the rectus's
        # two bursts, at 3 and 56 %, make a half-cycle shift look alike)
