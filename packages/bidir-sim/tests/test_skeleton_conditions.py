"""Anatomical skeleton conditions (issue #29, docs/conditions.md): the global scale, bone lengths and torsion on
the env's own body. Real physics: DART's skeleton as the simulation has it, the muscles compiled on it."""

import numpy as np
import pytest
from bidir_sim import ConfigError, _core
from bidir_sim.envs import WalkEnv
from bidir_sim.envs.config import load_env_config
from bidir_sim.envs.task import build_task

DT = 1.0 / 480.0


@pytest.fixture(scope="module")
def model():
    from bidir_sim.models import load_model

    return load_model("default")


def index(model, name):
    return model.body_index[name]


def long_axis(model, body):
    """The bone's long axis in its own frame: from its joint to its child's (body_scale.hpp), computed here."""
    b = model.bodies[body]
    child = next(c for c in model.bodies if c.parent == b.name)
    inv = np.linalg.inv(np.asarray(b.frame))
    axis = (inv @ np.asarray(child.joint.frame))[:3, 3] - (inv @ np.asarray(b.joint.frame))[:3, 3]
    return axis / np.linalg.norm(axis)


def scaled(model, stretch=None, twist=None):
    """A simulation of the model with per-body stretches {body: 3x3} and twists {body: rad}."""
    n = len(model.bodies)
    sim = _core.Simulation(model.native(), DT)
    S = [np.eye(3) for _ in range(n)]
    for b, m in (stretch or {}).items():
        S[b] = m
    t = [0.0] * n
    for b, v in (twist or {}).items():
        t[b] = v
    sim.set_body_scale(S, t)
    return sim


def bone_stretch(model, body, ratio):
    u = long_axis(model, body)
    return np.eye(3) + (ratio - 1.0) * np.outer(u, u)


# --- the laws on the body --------------------------------------------------------------------------------------


def test_a_shorter_femur_has_its_mass_and_inertia_by_the_laws(model):
    femur = index(model, "FemurR")
    S = bone_stretch(model, femur, 0.9)
    base, sim = _core.Simulation(model.native(), DT), scaled(model, {femur: S})
    b0, b1 = base.bodies[femur], sim.bodies[femur]
    assert b1.mass == pytest.approx(0.9 * b0.mass, rel=1e-12)  # density kept: mass x the volume ratio
    np.testing.assert_allclose(b1.com, S @ b0.com, atol=1e-12)
    # the second moment of mass of the same matter stretched: Σ' = det(S) S Σ Sᵀ, I = tr(Σ) 1 - Σ
    sigma = 0.5 * np.trace(b0.inertia) * np.eye(3) - np.asarray(b0.inertia)
    sigma1 = 0.9 * S @ sigma @ S.T
    np.testing.assert_allclose(b1.inertia, np.trace(sigma1) * np.eye(3) - sigma1, rtol=1e-10, atol=1e-14)
    # DART has it: the skeleton's total mass lost exactly 10 % of the femur
    assert sim.total_mass == pytest.approx(base.total_mass - 0.1 * b0.mass, rel=1e-12)


def test_the_global_scale_scales_masses_by_its_cube_and_leaves_the_head(model):
    head = index(model, "Head")
    g = 0.85
    sim = scaled(model, {b: g * np.eye(3) for b in range(len(model.bodies)) if b != head})
    base = _core.Simulation(model.native(), DT)
    for b, (b0, b1) in enumerate(zip(base.bodies, sim.bodies)):
        assert b1.mass == pytest.approx(b0.mass * (1.0 if b == head else g ** 3), rel=1e-12)
        if b != head:  # inertia ∝ mass x length²
            np.testing.assert_allclose(b1.inertia, g ** 5 * np.asarray(b0.inertia), rtol=1e-10, atol=1e-14)
            for s0, s1 in zip(b0.shapes, b1.shapes):
                used = {"box": 3, "capsule": 2, "sphere": 1}[s0.type]  # (x, y, z); (r, h); (r)
                size = np.asarray(s0.size)[:used] * g
                np.testing.assert_allclose(np.asarray(s1.size)[:size.size], size, rtol=1e-12)


def test_a_scaled_femur_moves_the_knee_by_the_femur_length_change(model):
    femur, tibia, talus = index(model, "FemurL"), index(model, "TibiaL"), index(model, "TalusL")
    base, sim = _core.Simulation(model.native(), DT), scaled(model, {femur: bone_stretch(model, femur, 0.9)})
    j0, j1 = base.joint_transforms(), sim.joint_transforms()
    femur_length = np.linalg.norm(j0[tibia][:3, 3] - j0[femur][:3, 3])
    np.testing.assert_allclose(j1[femur], j0[femur], atol=1e-12)  # the hip stays
    # the knee moves along the femur's axis by 10 % of its length, and everything below it with it
    shift = j1[tibia][:3, 3] - j0[tibia][:3, 3]
    assert np.linalg.norm(shift) == pytest.approx(0.1 * femur_length, rel=1e-9)
    np.testing.assert_allclose(shift, -0.1 * (j0[tibia][:3, 3] - j0[femur][:3, 3]), atol=1e-12)
    np.testing.assert_allclose(j1[talus][:3, 3] - j0[talus][:3, 3], shift, atol=1e-12)
    # the other leg is untouched
    right = index(model, "TibiaR")
    np.testing.assert_allclose(j1[right], j0[right], atol=1e-12)


def test_muscle_anchors_stay_on_their_bones(model):
    """Each anchor's position in its body's frame is stretched with the body: along the femur's axis by the
    ratio, across it not at all."""
    femur = index(model, "FemurR")
    S = bone_stretch(model, femur, 0.9)
    base, sim = _core.Simulation(model.native(), DT), scaled(model, {femur: S})
    base.positions = np.zeros(base.positions.size)  # both at the zero pose
    p0, p1 = base.muscle_anchor_points(), sim.muscle_anchor_points()
    T0, T1 = base.body_transforms()[femur], sim.body_transforms()[femur]
    on_femur = 0
    for j, m in enumerate(model.muscles):
        for i, w in enumerate(m.waypoints):
            if w.bodies != ["FemurR"]:
                continue
            local0 = np.linalg.inv(T0) @ np.append(p0[j][i], 1.0)
            local1 = np.linalg.inv(T1) @ np.append(p1[j][i], 1.0)
            np.testing.assert_allclose(local1[:3], S @ local0[:3], atol=1e-12)
            on_femur += 1
    assert on_femur > 10


def test_the_muscles_scale_with_a_uniformly_scaled_body(model):
    """A body scaled by g everywhere is similar to the original: every path is g times as long, so each muscle's
    rest length, optimal fibre length and tendon slack length are x g and its f0 x g^1.5 (the reference's law);
    the related DoFs stay (they follow from the anchors' bodies)."""
    g = 1.15
    sim = scaled(model, {b: g * np.eye(3) for b in range(len(model.bodies))})
    base = _core.Simulation(model.native(), DT)
    before, after = base.muscle_properties, sim.muscle_properties
    np.testing.assert_allclose(after[:, 0], before[:, 0] * g ** 1.5, rtol=1e-9)
    np.testing.assert_allclose(after[:, 1:], before[:, 1:] * g, rtol=1e-9)
    for s in (base, sim):
        s.positions = np.zeros(s.positions.size)
    assert sim.update_muscles().JtA_reduced.size == base.update_muscles().JtA_reduced.size


def test_an_identity_scale_restores_the_model(model):
    femur = index(model, "FemurR")
    sim = scaled(model, {femur: bone_stretch(model, femur, 0.8)}, {femur: 0.3})
    sim.set_body_scale([], [])
    base = _core.Simulation(model.native(), DT)
    np.testing.assert_array_equal(sim.joint_transforms(), base.joint_transforms())
    np.testing.assert_array_equal(sim.muscle_properties, base.muscle_properties)
    assert sim.total_mass == base.total_mass


def foot_progression(sim, talus, toe):
    """The foot's angle about the vertical (rad, +x of +z positive): heel (talus joint) to toe joint."""
    j = sim.joint_transforms()
    d = j[toe][:3, 3] - j[talus][:3, 3]
    return np.arctan2(d[0], d[2])


@pytest.mark.parametrize("side", ["R", "L"])
def test_a_twist_turns_the_foot_by_the_twist(model, side):
    """A twist of the femur about its long axis turns the foot about the vertical by the twist (less the femur's
    small tilt from vertical), either way; the env's torsion picks the internal way (test_toeing_presets...)."""
    femur, talus, toe = (index(model, f"{n}{side}") for n in ("Femur", "Talus", "FootThumb"))
    base = _core.Simulation(model.native(), DT)
    axis = base.body_transforms()[femur][:3, :3] @ long_axis(model, femur)
    assert abs(axis[1]) > 0.95
    turns = [foot_progression(scaled(model, twist={femur: t}), talus, toe) - foot_progression(base, talus, toe)
             for t in (0.3, -0.3)]
    assert turns[0] == pytest.approx(-turns[1], rel=1e-6)
    assert abs(turns[0]) == pytest.approx(0.3 * abs(axis[1]), rel=0.02)


# --- in the env ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def skel_task():
    return build_task("A2_skel")


def test_a2_skel_has_the_reference_parameters(skel_task):
    assert skel_task.observation_dim == 517
    assert len(skel_task.compiled.observed_conditions) == 11  # + stride and cadence: 13
    specs = {c.name: c for c in skel_task.compiled.spec.conditions}
    assert (specs["skeleton.global"].min, specs["skeleton.global"].max) == (0.85, 1.0)
    assert (specs["torsion.femur.left"].min, specs["torsion.femur.left"].max) == (-0.55, 0.55)
    assert specs["skeleton.Femur.left"].mirror == list(specs).index("skeleton.Femur.right")
    head = skel_task.model.body_index["Head"]
    assert head not in specs["skeleton.global"].indices
    assert len(specs["skeleton.global"].indices) == len(skel_task.model.bodies) - 1


def lowest_point(sim):
    """The lowest point (y) of the collision shapes of the simulation's body, from its bodies and transforms."""
    low = np.inf
    for b, T in zip(sim.bodies, sim.body_transforms()):
        for s in b.shapes:
            if not (b.contact and s.collision):
                continue
            W = T @ np.asarray(s.offset)
            if s.type == "sphere":
                low = min(low, W[1, 3] - s.size[0])
            elif s.type == "box":
                corners = np.array([[x, y, z, 1.0] for x in (-.5, .5) for y in (-.5, .5) for z in (-.5, .5)])
                corners[:, :3] *= np.asarray(s.size)
                low = min(low, (W @ corners.T)[1].min())
            else:  # capsule along z
                low = min(low, min((W @ [0, 0, h * s.size[1], 1.0])[1] for h in (-.5, .5)) - s.size[0])
    return low


@pytest.mark.parametrize("conditions", [
    {"skeleton.global": 0.85, "skeleton.Femur.left": 0.9, "skeleton.Tibia.left": 0.9,
     "skeleton.Femur.right": 0.9, "skeleton.Tibia.right": 0.9},
    {"skeleton.global": 1.15},
    {"torsion.femur.left": 0.55, "torsion.femur.right": -0.55},
])
def test_a_scaled_body_starts_on_the_ground(skel_task, conditions):
    """Over the range and beyond (1.15): at reset the lowest collision point neither floats nor sinks by more
    than 1 cm."""
    env = WalkEnv(skel_task)
    fixed = {name: 1.0 for name in skel_task.conditions if name.startswith("skeleton.")}
    fixed.update({name: 0.0 for name in skel_task.conditions if name.startswith("torsion.")})
    fixed.update(conditions)
    for seed in range(3):
        _, info = env.reset(seed=seed, options={"conditions": fixed})
        assert info["conditions"] == pytest.approx(fixed)
        assert abs(lowest_point(env.core.simulation)) <= 0.01


def test_a_scaled_body_walks_its_own_cycle(skel_task):
    """The reference keeps its joint angles; a body of size g plays it with stride x g and cycle time x sqrt(g),
    so the target speed is x sqrt(g), and the fall height x g."""
    env = WalkEnv(skel_task)
    speeds = {}
    for g in (1.0, 0.81):
        env.reset(seed=0, options={"stride": 1.0, "cadence": 1.0, "conditions": {"skeleton.global": g}})
        _, _, _, _, info = env.step(np.zeros(env.action_space.shape, np.float32))
        speeds[g] = info["target_speed"]
    assert speeds[0.81] == pytest.approx(0.9 * speeds[1.0], rel=1e-9)
    assert info["body_size"] == 0.81


def test_skeleton_conditions_are_deterministic_per_seed_and_mirrored(skel_task):
    a, b = WalkEnv(skel_task), WalkEnv(skel_task)
    action = np.zeros(a.action_space.shape, np.float32)
    for seed in (0, 7):
        oa, ia = a.reset(seed=seed)
        ob, ib = b.reset(seed=seed)
        assert ia["conditions"] == ib["conditions"]
        np.testing.assert_array_equal(oa, ob)
        for _ in range(3):
            np.testing.assert_array_equal(a.step(action)[0], b.step(action)[0])
    a.reset(seed=1, options={"conditions": {"skeleton.Femur.left": 0.9, "skeleton.Femur.right": 1.0,
                                            "torsion.femur.left": 0.5, "torsion.femur.right": -0.2}})
    layout = {name: (start, size) for name, start, size in skel_task.compiled.observation_layout}
    start, size = layout["conditions"]
    names = [skel_task.conditions[i] for i in skel_task.compiled.observed_conditions]
    plain = dict(zip(names, a.core.compute_observation(False)[start:start + size]))
    mirrored = dict(zip(names, a.core.compute_observation(True)[start:start + size]))
    for left, right in (("skeleton.Femur.left", "skeleton.Femur.right"), ("torsion.femur.left", "torsion.femur.right")):
        assert mirrored[left] == plain[right] and mirrored[right] == plain[left]
    assert plain["torsion.femur.left"] != plain["torsion.femur.right"]
    assert mirrored["skeleton.global"] == plain["skeleton.global"]


def test_conditions_are_redrawn_only_after_resample_steps(write):
    path = write("resample.yaml", "base: A2_skel\nenvironment:\n  parameters:\n    resample_steps: 5\n")
    env = WalkEnv(build_task(str(path)))
    action = np.zeros(env.action_space.shape, np.float32)
    _, first = env.reset(seed=0)
    for _ in range(3):
        env.step(action)
    _, again = env.reset()
    assert again["conditions"] == first["conditions"]  # 3 steps: not yet
    assert (again["stride_ratio"], again["cadence_ratio"]) == (first["stride_ratio"], first["cadence_ratio"])
    _, given = env.reset(options={"conditions": {"skeleton.global": 0.9}})  # still within the 5 steps
    assert given["conditions"]["skeleton.global"] == 0.9
    _, after = env.reset()
    assert after["conditions"] == first["conditions"]  # a given value holds for its episode only
    for _ in range(6):
        env.step(action)
    _, new = env.reset()
    assert new["conditions"] != first["conditions"]
    for _ in range(2):
        env.step(action)
    _, seeded = env.reset(seed=0)  # a seeded reset draws anew: the same as the first episode's
    assert seeded["conditions"] == first["conditions"]


# --- the observation at the body's size (parameters.similar_observation) --------------------------------------

SIZED_BLOCKS = ("com_height", "body_positions", "body_velocities", "com_velocity", "body_angular_velocities",
                "next_step_z", "muscle_torque_min", "muscle_torque_max")


def observation_at(write, g: float, similar: bool) -> tuple[np.ndarray, dict]:
    """The observation at reset (seed 0) of A2_sep's body at global scale g, and the task's layout."""
    path = write(f"sized-{similar}.yaml", "base: A2_sep\nenvironment:\n  parameters:\n    skeleton:\n"
                 "      global: {min: 0.85, max: 1.15, default: 1.0}\n"
                 f"    similar_observation: {str(similar).lower()}\n")
    env = WalkEnv(build_task(str(path)))
    obs, _ = env.reset(seed=0, options={"conditions": {"skeleton.global": g}})
    return obs, env.task.observation_layout


def block_errors(a: np.ndarray, b: np.ndarray, layout: dict) -> dict:
    return {k: float(np.linalg.norm(a[layout[k]] - b[layout[k]]) / np.linalg.norm(b[layout[k]])) for k in SIZED_BLOCKS}


@pytest.mark.parametrize("g", [0.85, 1.15])
def test_a_scaled_body_at_reset_observes_as_the_healthy_body(write, g):
    # At reset the body stands in the reference's pose at its size, moving at its timing (x sqrt g): the
    # dynamically similar state of the healthy body's, but for the head, which keeps its size.
    healthy, layout = observation_at(write, 1.0, True)
    similar = block_errors(observation_at(write, g, True)[0], healthy, layout)
    raw = block_errors(observation_at(write, g, False)[0], healthy, layout)
    for k in SIZED_BLOCKS:  # raw: 7-42 % off at 0.85 and 1.15; similar: within 4 % (the head), muscles exactly
        assert similar[k] < 0.4 * raw[k] and similar[k] < 0.05, (k, similar[k], raw[k])
    for k in ("muscle_torque_min", "muscle_torque_max"):  # f0 x g^1.5 on moment arms x g: the law is exact
        assert similar[k] < 1e-5, k


def test_the_similar_observation_changes_nothing_at_size_one(write):
    np.testing.assert_array_equal(observation_at(write, 1.0, True)[0], observation_at(write, 1.0, False)[0])


@pytest.mark.parametrize("preset, value", [("in_toeing", 0.1745), ("out_toeing", -0.1745)])
def test_toeing_presets_turn_the_feet(preset, value, model):
    task = build_task(preset)
    assert [(c.name, c.default) for c in task.compiled.spec.conditions] == [("torsion.femur", value)]
    env, healthy = WalkEnv(task), WalkEnv("A2_sep")
    talus, toe = index(model, "TalusR"), index(model, "FootThumbR")
    turns = []
    for e in (healthy, env):
        e.reset(seed=0)
        sim = e.core.simulation
        sim.positions = np.zeros(sim.positions.size)
        turns.append(foot_progression(sim, talus, toe))
    lateral = _core.Simulation(model.native(), DT).joint_transforms()[talus][0, 3]
    inward = -np.sign(lateral) * (turns[1] - turns[0])  # > 0: turned towards the midline
    assert inward == pytest.approx(value, rel=0.05)


# --- bad values ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("parameters, key, message", [
    ("skeleton: {global: 0}", "parameters.skeleton.global", ">= 0.5"),
    ("skeleton: {global: .nan}", "parameters.skeleton.global", "finite|NaN|nan"),
    ("skeleton: {Femur: {left: {min: 0.9, max: 2.0}}}", "parameters.skeleton.Femur.left.max", "1.5"),
    ("skeleton: {Femur: {up: 0.9}}", "parameters.skeleton.Femur.up", "left, right"),
    ("skeleton: {FemurL: 0.9, Femur: {left: 0.95}}", "parameters.skeleton.Femur.left", "twice"),
    ("torsion: {femur_l: 0.2, FemurL: 0.1}", "parameters.torsion.FemurL", "same torsion"),
    ("torsion: {femur: {left: 1.2}}", "parameters.torsion.femur.left", "0.8"),
])
def test_bad_skeleton_values_name_the_key(write, parameters, key, message):
    path = write("bad.yaml", f"base: A2_sep\nenvironment:\n  parameters:\n    {parameters}\n")
    with pytest.raises(ConfigError, match=message) as e:
        load_env_config(str(path))
    assert key in str(e.value)


@pytest.mark.parametrize("parameters, key, message", [
    ("skeleton: {Wing: 0.9}", "parameters.skeleton.Wing", "names no bone"),
    ("torsion: {spine: 0.2}", "parameters.torsion.spine", "names no bone"),
    ("skeleton: {Hand: 0.9}", "skeleton.Hand", "no child"),
    ("torsion: {femur: {left: {min: -0.5, max: 0.5}}}", "parameters.torsion.femur.left", "other side"),
])
def test_skeleton_keys_the_model_cannot_take_name_the_key(write, parameters, key, message):
    path = write("bad.yaml", f"base: A2_sep\nenvironment:\n  parameters:\n    {parameters}\n")
    with pytest.raises(ConfigError, match=message) as e:
        build_task(str(path))
    assert key in str(e.value)


def test_reset_refuses_bad_condition_values(skel_task):
    env = WalkEnv(skel_task)
    with pytest.raises(ValueError, match="positive"):
        env.reset(options={"conditions": {"skeleton.global": 0.0}})
    with pytest.raises(ValueError, match="finite"):
        env.reset(options={"conditions": {"torsion.femur.left": float("nan")}})
    env.reset(options={"conditions": {"torsion.femur.left": -0.3}})  # a torsion may be negative


def test_a_singular_stretch_is_refused(model):
    sim = _core.Simulation(model.native(), DT)
    n = len(model.bodies)
    with pytest.raises(ValueError, match="singular"):
        sim.set_body_scale([np.zeros((3, 3))] * n, [0.0] * n)
    with pytest.raises(ValueError, match="bodies"):
        sim.set_body_scale([np.eye(3)] * 2, [])
    with pytest.raises(ValueError, match="twist is not finite"):
        sim.set_body_scale([], [float("nan")] * n)
    with pytest.raises(ValueError, match="damping"):
        sim.set_body_scale([], [], -1.0)


def test_batch_env_fixes_conditions_across_autoresets(skel_task):
    from bidir_sim import BatchEnv

    env = BatchEnv(skel_task, num_envs=2, num_threads=1, seed=0)
    names = skel_task.conditions
    env.fix_conditions({"skeleton.global": 0.9, "torsion.femur.left": -0.2})
    env.reset(seed=0)
    action = np.zeros((2, env.single_action_space.shape[0]), np.float32)
    seen = 0
    for _ in range(200):  # zero actions fall: several autoresets
        *_, infos = env.step(action)
        seen += int(infos["autoreset"].sum())
        values = env.core.conditions
        assert (values[:, names.index("skeleton.global")] == 0.9).all()
        assert (values[:, names.index("torsion.femur.left")] == -0.2).all()
    assert seen >= 2
    assert len(set(env.core.conditions[:, names.index("skeleton.Femur.left")])) == 2  # the rest drawn per env
    per_env = np.full((2, len(names)), np.nan)
    per_env[:, names.index("skeleton.global")] = [0.85, 1.0]
    env.fix_conditions(per_env)
    env.reset()
    np.testing.assert_array_equal(env.core.conditions[:, names.index("skeleton.global")], [0.85, 1.0])
    env.fix_conditions(None)
    env.reset(seed=3)
    assert env.core.conditions[0, names.index("skeleton.global")] not in (0.85, 1.0, 0.9)
    with pytest.raises(ValueError, match="positive ratio"):
        env.fix_conditions({"skeleton.global": 0.0})
    with pytest.raises(ValueError, match=r"shape \(2, 3\)"):
        env.fix_conditions(np.ones((2, 3)))
    bad = np.full((2, len(names)), np.nan)
    bad[1, 0] = -1.0
    with pytest.raises(ValueError, match="row 1: .*'skeleton.global' must be positive"):
        env.fix_conditions(bad)
    env.reset()  # the refused array left the envs as they were: all drawn
    assert len(set(env.core.conditions[:, names.index("skeleton.global")])) == 2


@pytest.mark.slow
def test_every_condition_at_each_end_of_a2_wide_and_every_preset_simulates():
    """Each A2_wide condition alone at each end of its range, and every pathology preset, stands 20 zero-action
    control steps (or falls) without the physics diverging (the first contracture law, fibre and tendon both
    shortened, diverged at once: docs/conditions.md)."""
    task = build_task("A2_wide")
    env = WalkEnv(task)
    base = {c.name: c.default for c in task.compiled.spec.conditions}
    zero = np.zeros(env.action_space.shape, np.float32)
    cases = [(base | {c.name: v}, env) for c in task.compiled.spec.conditions if c.min != c.max for v in (c.min, c.max)]
    cases += [(None, WalkEnv(p)) for p in ("crouch", "equinus", "foot_drop", "trendelenburg", "waddling",
                                           "in_toeing", "out_toeing")]
    for conditions, e in cases:
        e.reset(seed=0, options={"conditions": conditions} if conditions else None)
        for _ in range(20):
            *_, terminated, truncated, info = e.step(zero)
            assert not info["sim_error"], (e.task.config.name, conditions and {
                k: v for k, v in conditions.items() if v != base[k]})
            if terminated or truncated:
                break


def test_the_gait_analysis_sees_the_torsion_in_the_foot_progression_angle():
    """The record's foot_rotation is the env's own foot: with it the analysis's foot progression angle turns by
    the torsion (internal +), where the model's kinematics at the same joint angles would not turn at all."""
    from bidir_sim.gait.angles import joint_angles
    from bidir_sim.gait.report import foot_kinematics

    angles = {}
    for torsion in (0.0, 0.3):
        e = WalkEnv("A2_skel")
        e.core.recording = True
        e.reset(seed=0, options={"conditions": {"torsion.femur.left": torsion, "torsion.femur.right": torsion}})
        e.step(np.zeros(e.action_space.shape, np.float32))
        rec = e.core.take_record()
        model = e.task.model
        fk_turn = foot_kinematics(model, rec["positions"])[1]
        recorded = foot_kinematics(model, rec["positions"], rec["foot_rotation"])[1]
        measured = joint_angles(model, rec["positions"], recorded)
        angles[torsion] = {side: measured[f"foot_progression_{side}"][0] for side in "rl"}
        if torsion == 0.0:  # the healthy body: the recorded rotation is the model's kinematics
            for side in "rl":
                np.testing.assert_allclose(recorded[side], fk_turn[side], atol=1e-9)
    for side in "rl":
        turned = angles[0.3][side] - angles[0.0][side]
        # by about the twist: the reset pose's hip and knee are flexed, so the femur's axis is tilted from vertical
        # and the foot's projection on the ground turns by more or less than the twist itself
        assert turned == pytest.approx(np.degrees(0.3), rel=0.25), side
