"""bidir_sim.gait.energy: the Umberger (2003/2010) muscle energetics, joint work and cost of transport against
values computed by hand from the model's equations, and one real record of the walking env."""

import math
from types import SimpleNamespace

import numpy as np
import pytest
from bidir_sim.gait.energy import cost_of_transport, mechanical_work, metabolic_power

# One muscle: f0 1000 N, l_opt 0.1 m, tendon slack 0.2 m. Its mass f0 / 0.25 MPa * l_opt * 1059.7 kg/m^3.
MASS = 1000 / 0.25e6 * 0.1 * 1059.7  # 0.42388 kg
BODY = 72.0
T = np.linspace(0.0, 0.1, 101)  # 1 ms rows


def muscle(name="m", f0=1000.0, pennation=0.0, slack=0.2):
    return SimpleNamespace(name=name, f0=f0, optimal_fiber_length=0.1, tendon_slack_length=slack, pennation=pennation)


def fl(l):
    """bidir's active force-length curve (cpp/hill.hpp): exp(-(l - 1)^2 / 0.45)."""
    return np.exp(-((l - 1.0) ** 2) / 0.45)


def fp(l):
    """bidir's passive curve (cpp/hill.hpp): (exp(5.5 (l - 1) / 0.3) - 1) / (exp(5.5) - 1) above l_opt."""
    return np.where(l < 1.0, 0.0, (np.exp(5.5 * (l - 1.0) / 0.3) - 1.0) / (np.exp(5.5) - 1.0))


def run(path, a, m=None, **kw):
    """One muscle along ``path`` (m, per row of T) at activation ``a``; the tension is what bidir records:
    (a f0 F_L(l) + f0 F_P(l)) cos(pennation), with l = (path - slack) / l_opt (rigid tendon)."""
    m = m or muscle()
    l = (path - m.tendon_slack_length) / m.optimal_fiber_length
    a = np.broadcast_to(a, T.shape).astype(float)
    force = (a * m.f0 * fl(l) + m.f0 * fp(l)) * math.cos(m.pennation)
    columns = [np.asarray(x, float)[:, None] for x in (a, path, l, force)]
    out = metabolic_power(T, *columns, [m], BODY, **kw)
    return out, l, force


def am_rate(a, fast=0.5):
    """U2003's activation + maintenance heat at l <= l_opt: S A^0.6 (128 f_FT + 25) W/kg, S = 1.5."""
    return 1.5 * a**0.6 * (128 * fast + 25)


def test_isometric_at_optimal_length_is_activation_maintenance_heat_only():
    out, _, _ = run(np.full(T.shape, 0.3), 0.5)  # l = 1
    rate = 1.5 * 0.5**0.6 * 89.0  # 88.08 W/kg
    assert out["muscle_mass"][0] == pytest.approx(0.42388, rel=1e-12)
    np.testing.assert_allclose(out["muscles"][:, 0], rate * MASS, rtol=1e-12)
    np.testing.assert_allclose(out["activation_maintenance"], rate * MASS, rtol=1e-12)
    for key in ("shortening_lengthening", "work", "heat_floor"):
        np.testing.assert_allclose(out[key], 0.0, atol=1e-9)  # the velocity is 0 up to rounding in np.gradient


def test_isometric_beyond_optimal_length_scales_60_percent_of_the_heat_by_f_iso():
    out, _, force = run(np.full(T.shape, 0.32), 0.5)  # l = 1.2, so the passive force is in the tension
    f_iso = math.exp(-0.04 / 0.45)
    rate = 1.5 * 0.5**0.6 * (0.4 * 89.0 + 0.6 * 89.0 * f_iso)
    np.testing.assert_allclose(out["muscles"][:, 0], rate * MASS, rtol=1e-12)
    assert force[0] > 500 * f_iso  # the passive part is there, yet no work: the fibre does not move
    np.testing.assert_allclose(out["work"], 0.0, atol=1e-9)


@pytest.mark.parametrize(
    ("speed", "slow_term"),
    [(0.2, 25 * 2.0), (0.6, 100.0)],  # v = 2 and 6 l_opt/s; 6 is past slow fibres' v_max of 4: capped at 100
)
def test_concentric_shortening_heat_and_work(speed, slow_term):
    """alpha_ST = 100 / (10 / 2.5) = 25, alpha_FT = 153 / 10 = 15.3 (v_max 10 l_opt/s as bidir);
    h_SL = S A^2 (min(alpha_ST |v|, 100) 0.5 + alpha_FT |v| 0.5); work rate = the active force times |v|."""
    path = 0.29 - speed * T  # l from 0.9 down: below l_opt, no F_iso factor on the heat
    out, _, force = run(path, 0.5)
    v = speed / 0.1
    sl = 1.5 * 0.25 * (slow_term * 0.5 + 15.3 * v * 0.5)
    np.testing.assert_allclose(out["shortening_lengthening"], sl * MASS, rtol=1e-10)
    np.testing.assert_allclose(out["work"], force * speed, rtol=1e-10)  # no passive force below l_opt
    np.testing.assert_allclose(out["muscles"][:, 0], (am_rate(0.5) + sl) * MASS + force * speed, rtol=1e-10)
    np.testing.assert_array_equal(out["heat_floor"], 0.0)


def test_concentric_beyond_optimal_length_with_pennation():
    """Heat terms times F_iso(l) for l > 1; work from the active tension only (tension - passive), along the
    path: a f0 F_L cos(pennation) |v_path|."""
    m = muscle(pennation=0.3)
    out, l, _ = run(0.33 - 0.1 * T, 0.5, m)  # l from 1.3 to 1.2
    f_iso = fl(l)
    am = 1.5 * 0.5**0.6 * (0.4 * 89 + 0.6 * 89 * f_iso)
    sl = 1.5 * 0.25 * (25 * 1.0 * 0.5 + 15.3 * 1.0 * 0.5) * f_iso
    work = 0.5 * 1000 * f_iso * math.cos(0.3) * 0.1
    np.testing.assert_allclose(out["muscles"][:, 0], (am + sl) * MASS + work, rtol=1e-9)


def test_eccentric_lengthening_heat_and_negative_work():
    """alpha_L = 4 alpha_ST = 100 W/kg per l_opt/s, h_SL = S A alpha_L v; the work rate is negative."""
    out, _, force = run(0.27 + 0.1 * T, 0.5)  # v = +1 l_opt/s, l from 0.7 to 0.8
    sl = 1.5 * 0.5 * 100 * 1.0  # 75 W/kg
    np.testing.assert_allclose(out["shortening_lengthening"], sl * MASS, rtol=1e-10)
    np.testing.assert_allclose(out["work"], -force * 0.1, rtol=1e-10)
    np.testing.assert_allclose(out["muscles"][:, 0], (am_rate(0.5) + sl) * MASS - force * 0.1, rtol=1e-10)
    np.testing.assert_array_equal(out["heat_floor"], 0.0)


def test_eccentric_as_published_in_2010_has_no_negative_work():
    out, _, _ = run(0.27 + 0.1 * T, 0.5, include_negative_work=False)
    sl = 1.5 * 0.5 * (0.3 * 25) * 1.0  # alpha_L = 0.3 alpha_ST
    np.testing.assert_allclose(out["shortening_lengthening"], sl * MASS, rtol=1e-10)
    np.testing.assert_array_equal(out["work"], 0.0)


def test_fast_eccentric_total_never_negative():
    """At a = 1, v = +3 l_opt/s the negative work outgrows the heat on part of the stroke: there the heat is
    raised to balance it (total 0), elsewhere the total is the model's own."""
    out, _, force = run(0.25 + 0.3 * T, 1.0)  # l from 0.5 to 0.8
    raw = (133.5 + 1.5 * 100 * 3.0) * MASS - force * 0.3
    assert raw.min() < 0 < raw.max()
    np.testing.assert_allclose(out["muscles"][:, 0], np.maximum(raw, 0.0), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(out["heat_floor"], np.maximum(-raw, 0.0), rtol=1e-9, atol=1e-9)


def test_zero_activation_has_no_model_heat_only_the_1_w_per_kg_floor():
    """A silent muscle (its path moving, the passive force on) has no activation, shortening or work term;
    U2003's floor of 1 W/kg of heat is all it costs, and nothing with the floor off."""
    path = 0.31 + 0.2 * T  # lengthening beyond l_opt: the passive force is not contractile work
    out, _, _ = run(path, 0.0)
    for key in ("activation_maintenance", "shortening_lengthening"):
        np.testing.assert_array_equal(out[key], 0.0)
    # the work's active tension is the recorded tension less the passive curve: zero up to rounding (numpy's exp
    # differs in the last bit between CPUs' SIMD paths)
    np.testing.assert_allclose(out["work"], 0.0, atol=1e-12)
    np.testing.assert_allclose(out["muscles"][:, 0], 1.0 * MASS, rtol=1e-12)
    off, _, _ = run(path, 0.0, min_heat_rate=0.0)
    np.testing.assert_array_equal(off["muscles"], 0.0)


def test_heat_floor_lifts_a_faint_muscle_to_1_w_per_kg():
    out, _, _ = run(np.full(T.shape, 0.3), 1e-4)  # h_AM = 1.5 * 1e-4^0.6 * 89 = 0.53 W/kg
    np.testing.assert_allclose(out["activation_maintenance"], am_rate(1e-4) * MASS, rtol=1e-12)
    np.testing.assert_allclose(out["muscles"][:, 0], 1.0 * MASS, rtol=1e-12)


def test_basal_rate_alone():
    out, _, _ = run(np.full(T.shape, 0.3), 0.0, min_heat_rate=0.0)
    assert out["basal"] == pytest.approx(1.2 * 72.0)
    np.testing.assert_allclose(out["total"], 86.4, rtol=1e-12)
    assert out["energy"] == pytest.approx(86.4 * 0.1, rel=1e-12)  # J over the 0.1-s record
    other, _, _ = run(np.full(T.shape, 0.3), 0.0, min_heat_rate=0.0, basal_rate=1.0)
    np.testing.assert_allclose(other["total"], 72.0, rtol=1e-12)


def test_total_is_basal_plus_the_four_terms():
    out, _, _ = run(0.25 + 0.3 * T, 1.0)
    parts = sum(out[k] for k in ("activation_maintenance", "shortening_lengthening", "work", "heat_floor"))
    np.testing.assert_allclose(out["total"], out["basal"] + parts, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(out["muscles"].sum(axis=1), parts, rtol=1e-12, atol=1e-9)


def test_units_are_watts_per_kg_of_muscle():
    """A muscle twice as strong is twice as heavy: its watts double, its W/kg do not."""
    one, _, _ = run(0.29 - 0.2 * T, 0.5)
    two, _, _ = run(0.29 - 0.2 * T, 0.5, muscle(f0=2000.0))
    assert two["muscle_mass"][0] == pytest.approx(2 * MASS)
    np.testing.assert_allclose(two["muscles"], 2 * one["muscles"], rtol=1e-12)
    np.testing.assert_allclose(one["muscles"][:, 0] / one["muscle_mass"][0], two["muscles"][:, 0] / (2 * MASS))


@pytest.mark.parametrize(("fast", "rate"), [(0.0, 1.5 * 25), (1.0, 1.5 * 153), (0.5, 1.5 * 89)])
def test_fast_twitch_fraction(fast, rate):
    out, _, _ = run(np.full(T.shape, 0.3), 1.0, fast_twitch=fast)
    np.testing.assert_allclose(out["muscles"][:, 0], rate * MASS, rtol=1e-9)


def test_fast_twitch_per_muscle_override():
    ms = [muscle("a"), muscle("b")]
    col = np.ones((T.size, 2))
    args = (T, col, 0.3 * col, col, 500 * col, ms, BODY)
    out = metabolic_power(*args, fast_twitch={"b": 1.0})
    np.testing.assert_allclose(out["muscles"][0], [133.5 * MASS, 229.5 * MASS], rtol=1e-12)
    with pytest.raises(ValueError, match="fast_twitch: no muscle named 'c'"):
        metabolic_power(*args, fast_twitch={"c": 1.0})
    with pytest.raises(ValueError, match=r"fast_twitch\['b'\]"):
        metabolic_power(*args, fast_twitch={"b": 1.5})


def _good():
    col = np.full((T.size, 1), 0.5)
    return {
        "time": T,
        "activations": col,
        "muscle_length": col * 0 + 0.3,
        "fiber_length": col * 0 + 1.0,
        "muscle_force": col * 1000,
        "muscles": [muscle()],
        "body_mass": BODY,
    }


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("muscle_length", np.full((T.size, 2), 0.3), "muscle_length: expected shape"),
        ("fiber_length", np.full((T.size - 1, 1), 1.0), "fiber_length: expected shape"),
        ("activations", np.full((T.size, 1), np.nan), "activations: contains NaN"),
        ("muscle_force", np.full((T.size, 1), np.inf), "muscle_force: contains NaN or inf"),
        ("activations", np.full((T.size, 1), 1.5), r"activations: must lie in \[0, 1\]"),
        ("time", np.r_[T[:50], T[49:99]], "time: must be strictly increasing"),
        ("time", T[:1], "time: needs at least 2 rows"),
        ("muscles", [muscle(), muscle("n")], "muscles: 2 given, but the arrays have 1"),
        ("muscles", [muscle(slack=0.25)], r"fiber_length: row 0, muscle 0 \(m\) is not"),  # another model's
        ("body_mass", 0.0, "body_mass: must be finite and > 0"),
        ("activations", np.full(T.size, 0.5), "activations: expected 2 dimension"),
    ],
)
def test_bad_input_names_the_argument(key, value, message):
    args = _good()
    args[key] = value
    with pytest.raises(ValueError, match=message):
        metabolic_power(**args)


def sine_record(n=4001):
    """Two 1-Hz periods, 9 DoFs: 6 root DoFs with a large power that must not count, then three joints:
    tau = 3 sin(wt), dq = 2 cos(wt) (power 3 sin(2wt): 2 * 6 / w J each way), tau = dq = 2 sin(wt)
    (power 4 sin^2 >= 0: 4 J over 2 s), and a still joint."""
    t = np.linspace(0.0, 2.0, n)
    w = 2 * np.pi
    tau, dq = np.zeros((n, 9)), np.zeros((n, 9))
    tau[:, :6], dq[:, :6] = 100.0, np.sin(w * t)[:, None]
    tau[:, 6], dq[:, 6] = 3 * np.sin(w * t), 2 * np.cos(w * t)
    tau[:, 7], dq[:, 7] = 2 * np.sin(w * t), 2 * np.sin(w * t)
    tau[:, 8] = 5.0
    return t, tau, dq, w


def test_mechanical_work_of_a_sine_against_the_analytic_integral():
    t, tau, dq, w = sine_record()
    out = mechanical_work(t, tau, dq, {"swinging": slice(6, 7), "rest": [7, 8]})
    assert out["positive_work"] == pytest.approx(12 / w + 4.0, rel=1e-5)
    assert out["negative_work"] == pytest.approx(-12 / w, rel=1e-5)
    assert out["mean_positive_power"] == pytest.approx((12 / w + 4.0) / 2.0, rel=1e-5)
    assert out["groups"]["swinging"]["positive_work"] == pytest.approx(12 / w, rel=1e-5)
    assert out["groups"]["rest"]["positive_work"] == pytest.approx(4.0, rel=1e-5)
    assert out["groups"]["rest"]["negative_work"] == 0.0


def test_mechanical_work_bad_input():
    t, tau, dq, _ = sine_record(11)
    with pytest.raises(ValueError, match="velocities: expected shape"):
        mechanical_work(t, tau, dq[:, :8])
    with pytest.raises(ValueError, match="moments: expected"):
        mechanical_work(t, tau[:, :6], dq[:, :6])
    with pytest.raises(ValueError, match=r"dofs\['pelvis'\]: selects root column 0"):
        mechanical_work(t, tau, dq, {"pelvis": slice(0, 7)})
    with pytest.raises(ValueError, match=r"dofs\['none'\]: selects no column"):
        mechanical_work(t, tau, dq, {"none": slice(9, 12)})
    with pytest.raises(ValueError, match="time: must be strictly increasing"):
        mechanical_work(t[::-1], tau, dq)


def test_cost_of_transport():
    assert cost_of_transport(3600.0, 72.0, 10.0) == pytest.approx(5.0)
    for distance in (0.0, -1.0, math.nan):
        with pytest.raises(ValueError, match="distance_m: must be finite and > 0"):
            cost_of_transport(3600.0, 72.0, distance)
    with pytest.raises(ValueError, match="mass_kg"):
        cost_of_transport(3600.0, 0.0, 10.0)
    with pytest.raises(ValueError, match="energy_J"):
        cost_of_transport(-1.0, 72.0, 10.0)


def test_real_walk_env_record():
    """Ten control steps of A2_sep with zero actions. Each row's total must be finite and at least the basal
    1.2 W/kg (no muscle term is negative), and the mean within 1.2-20 W/kg: from rest to about the gross
    rate of running at 5 m/s (a cost of ~4 J/kg/m times 5 m/s); measured 6.3 W/kg here, where the untrained
    muscle network keeps most of the 156 muscles faintly on and A^0.6 makes faint activation costly."""
    from bidir_sim.envs.walk_env import WalkEnv

    env = WalkEnv("A2_sep")
    env.reset(seed=0)
    env.core.recording = True
    for _ in range(10):
        env.step(np.zeros(env.action_space.shape, np.float32))
    rec = env.core.take_record()
    model = env.task.model
    keys = ("time", "activations", "muscle_length", "fiber_length", "muscle_force")
    out = metabolic_power(*(rec[k] for k in keys), model.muscles, model.total_mass)
    per_kg = out["total"] / model.total_mass
    assert np.all(np.isfinite(out["muscles"]))
    assert np.all(per_kg >= 1.2 - 1e-12)
    assert np.all(out["muscles"] >= 0.0)
    assert 1.2 < per_kg.mean() < 20.0
    work = mechanical_work(rec["time"], rec["moments"], rec["velocities"])
    assert all(math.isfinite(v) for v in work.values())
    assert work["positive_work"] >= 0.0 >= work["negative_work"]


def test_a_conditioned_body_is_analysed_with_its_own_muscles_and_mass():
    """A record carries the body it was recorded on: a contracture's optimal fibre length, a weakness's f0 and a
    scaled body's mass. The energetics only agree with the record's fibre lengths through those (the model's
    muscles are refused: the check that made every contracted or turned preset unmeasurable)."""
    from bidir_sim.envs.walk_env import WalkEnv
    from bidir_sim.gait.groups import group_indices
    from bidir_sim.gait.report import record_mass, record_muscles

    env = WalkEnv("A2_wide")
    model = env.task.model
    healthy = {c.name: c.default for c in env.task.compiled.spec.conditions}
    body = healthy | {"muscle.plantarflexors.left.length": 0.8, "muscle.quadriceps.right.force": 0.5,
                      "skeleton.global": 0.9}
    env.core.recording = True
    env.reset(seed=0, options={"conditions": body})
    for _ in range(5):
        env.step(np.zeros(env.action_space.shape, np.float32))
    rec = env.core.take_record()

    names = [m.name for m in model.muscles]
    contracted, weak = group_indices(names, "plantarflexors", "l"), group_indices(names, "quadriceps", "r")
    scaled = env.core.simulation.muscle_properties  # the scaled body's muscles, before the muscle conditions
    params = rec["muscle_parameters"]
    np.testing.assert_allclose(params[contracted, 1], 0.8 * scaled[contracted, 1])
    np.testing.assert_allclose(params[weak, 0], 0.5 * scaled[weak, 0])
    untouched = sorted(set(range(len(names))) - set(contracted) - set(weak))
    np.testing.assert_allclose(params[untouched, :2], scaled[untouched, :2])
    np.testing.assert_allclose(params[:, 2], scaled[:, 2])
    assert 0.72 < record_mass(model, rec) / model.total_mass < 0.78  # mass ∝ volume: 0.9³, the head unscaled

    keys = ("time", "activations", "muscle_length", "fiber_length", "muscle_force")
    out = metabolic_power(*(rec[k] for k in keys), record_muscles(model, rec), record_mass(model, rec))
    assert np.all(np.isfinite(out["total"]))
    with pytest.raises(ValueError, match="fiber_length: row"):
        metabolic_power(*(rec[k] for k in keys), model.muscles, model.total_mass)

    bad = dict(rec, muscle_parameters=params[:-1])
    with pytest.raises(ValueError, match="muscle_parameters"):
        record_muscles(model, bad)
    with pytest.raises(ValueError, match="mass"):
        record_mass(model, dict(rec, mass=float("nan")))


def test_a_healthy_record_matches_the_model():
    """On the default body the record's own muscles, mass and foot positions are the model's."""
    from bidir_sim.envs.walk_env import WalkEnv
    from bidir_sim.gait.angles import SIDE_BODIES
    from bidir_sim.gait.report import record_mass, record_muscles

    env = WalkEnv("A2_sep")
    env.core.recording = True
    env.reset(seed=0)
    env.step(np.zeros(env.action_space.shape, np.float32))
    rec = env.core.take_record()
    model = env.task.model
    own = record_muscles(model, rec)
    for m, o in zip(model.muscles, own, strict=True):
        assert (o.f0, o.optimal_fiber_length, o.tendon_slack_length) == pytest.approx(
            (m.f0, m.optimal_fiber_length, m.tendon_slack_length))
    assert record_mass(model, rec) == pytest.approx(model.total_mass)
    fk = model.native().forward_kinematics(np.ascontiguousarray(rec["positions"]))
    for k, (_, _, talus) in enumerate(SIDE_BODIES.values()):
        np.testing.assert_allclose(rec["foot_position"][:, k], fk[:, model.body_index[talus], :3, 3], atol=1e-9)
