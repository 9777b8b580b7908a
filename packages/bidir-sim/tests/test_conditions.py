"""Anatomical muscle conditions (issue #29, docs/conditions.md): the config keys, their resolution to muscles,
the physics of weakness and contracture, sampling, observation, mirroring and the pathology presets."""

import numpy as np
import pytest
from bidir_sim import ConfigError, _core
from bidir_sim.envs import WalkEnv
from bidir_sim.envs.conditions import selected_muscles
from bidir_sim.envs.config import load_env_config
from bidir_sim.envs.task import build_task
from bidir_sim.gait.groups import group_indices

SAMPLED = """
base: A2_sep
environment:
  parameters:
    muscle:
      plantarflexors:
        left:
          force: {min: 0.3, max: 1.0, sampling: continuous}
        right:
          force: {min: 0.3, max: 1.0, sampling: continuous}
      hamstrings:
        length: {min: 0.7, max: 1.0}
      dorsiflexors:
        left:
          force: 0.5
"""


@pytest.fixture(scope="module")
def sampled_task(tmp_path_factory):
    path = tmp_path_factory.mktemp("conditions") / "sampled.yaml"
    path.write_text(SAMPLED)
    return build_task(str(path))


def names_of(task):
    return [m.name for m in task.model.muscles]


# --- the keys -----------------------------------------------------------------------------------------------


def test_conditions_resolve_to_their_muscles_and_mirror_partners(sampled_task):
    names = names_of(sampled_task)
    specs = sampled_task.compiled.spec.conditions
    assert [c.name for c in specs] == sampled_task.conditions == [
        "muscle.plantarflexors.left.force", "muscle.plantarflexors.right.force", "muscle.hamstrings.length",
        "muscle.dorsiflexors.left.force"]
    assert specs[0].indices == group_indices(names, "plantarflexors", "l")
    assert specs[1].indices == group_indices(names, "plantarflexors", "r")
    assert specs[2].indices == sorted(group_indices(names, "hamstrings", "r") + group_indices(names, "hamstrings", "l"))
    assert [c.mirror for c in specs] == [1, 0, 2, 3]  # both sides: itself; a fixed one-sided one: itself
    assert (specs[2].target, specs[2].min, specs[2].max, specs[2].default) == ("muscle_length", 0.7, 1.0, 1.0)
    assert (specs[3].min, specs[3].max, specs[3].default) == (0.5, 0.5, 0.5)  # a plain number fixes the ratio
    assert sampled_task.compiled.observed_conditions == [0, 1, 2]


def test_a_selector_is_a_group_a_base_name_or_a_muscle(default_model):
    names = [m.name for m in default_model.muscles]
    soleus = [i for i, n in enumerate(names) if "_Soleus" in n]
    assert selected_muscles(names, "Soleus") == soleus
    assert selected_muscles(names, "Soleus.left") == [i for i in soleus if names[i].startswith("L_")]
    assert selected_muscles(names, names[soleus[0]]) == [soleus[0]]
    assert selected_muscles(names, "gluteals.right") == sorted(group_indices(names, "gluteals", "r"))
    assert selected_muscles(names, "Deltoid") is None


@pytest.mark.parametrize("entry, key, reason", [
    ("Soleus: {force: 0}", "Soleus.force", ">= 0.01"),
    ("Soleus: {force: -1}", "Soleus.force", ">= 0.01"),
    ("Soleus: {force: .nan}", "Soleus.force", "finite number"),
    ("Soleus: {length: 3}", "Soleus.length", "<= 1.5"),
    ("Soleus: {length: {min: 0.8, max: 1.0, default: 0.7}}", "Soleus.length", "min <= default <= max"),
    ("Soleus: {force: {min: 0.5, max: 1.0, sampling: gaussian}}", "Soleus.force.sampling", "must be one of"),
    ("Soleus: {strength: 0.5}", "Soleus.strength", "unknown key"),
    ("Soleus: {left: 0.5}", "Soleus.left", "force and/or length"),
    ("Soleus.left: {force: 0.5}", "Soleus.left", "without dots"),
    ("Soleus: 0.5", "Soleus", "force, length, left or right"),
])
def test_bad_condition_values_name_the_key(write, entry, key, reason):
    path = write("bad.yaml", f"base: A2_sep\nenvironment:\n  parameters:\n    muscle:\n      {entry}\n")
    with pytest.raises(ConfigError, match=reason) as e:
        load_env_config(str(path))
    assert f"environment.parameters.muscle.{key}" in str(e.value)


def test_a_selector_that_matches_no_muscle_is_an_error(write):
    path = write("none.yaml", "base: A2_sep\nenvironment:\n  parameters:\n    muscle:\n      Deltoid: {force: 0.5}\n")
    with pytest.raises(ConfigError, match="selects no muscle") as e:
        build_task(str(path))
    assert "environment.parameters.muscle.Deltoid" in str(e.value)


def test_a_sampled_one_sided_condition_needs_its_other_side(write):
    path = write("one.yaml", "base: A2_sep\nenvironment:\n  parameters:\n    muscle:\n      soleus:\n"
                 "        left: {force: {min: 0.5, max: 1.0}}\n")
    with pytest.raises(ConfigError, match="other side") as e:
        build_task(str(path))
    assert "soleus.left.force" in str(e.value)


# --- the physics --------------------------------------------------------------------------------------------


def evaluate(model, force=None, length=None, pose=None):
    sim = _core.Simulation(model.native(), 1.0 / 480.0)
    if pose is not None:
        sim.positions = pose
    if force is not None:
        sim.set_muscle_ratios(force, length)
    return sim.update_muscles()


def test_weakness_scales_the_force_at_equal_activation(default_model):
    n = len(default_model.muscles)
    force = np.ones(n)
    force[:10] = 0.05
    healthy, weak = evaluate(default_model), evaluate(default_model, force, np.ones(n))
    np.testing.assert_allclose(weak.active_force, healthy.active_force * force, rtol=1e-12)
    np.testing.assert_allclose(weak.passive_force, healthy.passive_force * force, rtol=1e-12)
    np.testing.assert_array_equal(weak.length, healthy.length)  # the path does not change
    np.testing.assert_allclose(weak.JtA[:, :10], healthy.JtA[:, :10] * 0.05, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(weak.JtA[:, 10:], healthy.JtA[:, 10:])


def test_contracture_raises_the_passive_force_at_equal_length(default_model):
    n = len(default_model.muscles)
    spec = default_model.muscles
    length = np.full(n, 0.8)
    healthy, short = evaluate(default_model), evaluate(default_model, np.ones(n), length)
    np.testing.assert_array_equal(short.length, healthy.length)
    tendon = np.array([m.tendon_slack_length for m in spec])
    fiber = np.array([m.optimal_fiber_length for m in spec])
    np.testing.assert_allclose(short.fiber_length, (healthy.length - tendon) / (0.8 * fiber), rtol=1e-12)
    assert np.all(short.fiber_length > healthy.fiber_length)
    assert np.all(short.passive_force >= healthy.passive_force)
    raised = short.passive_force > healthy.passive_force + 1e-9
    assert raised.sum() > n // 4  # at the zero pose, most muscles go from slack (or mild) to stretched


def test_the_ratios_are_checked_naming_the_muscle(default_model):
    sim = _core.Simulation(default_model.native(), 1.0 / 480.0)
    n = len(default_model.muscles)
    bad = np.ones(n)
    bad[3] = 0.0
    with pytest.raises(ValueError, match=f"muscle force ratio 3 \\(muscle '{default_model.muscles[3].name}'\\)"):
        sim.set_muscle_ratios(bad, np.ones(n))
    with pytest.raises(ValueError, match="2 values"):
        sim.set_muscle_ratios(np.ones(2), np.ones(2))
    bad[3] = np.nan
    with pytest.raises(ValueError, match="length ratio 3"):
        sim.set_muscle_ratios(np.ones(n), bad)


# --- the env ------------------------------------------------------------------------------------------------


def test_sampled_conditions_are_observed_and_reported(sampled_task):
    base = build_task("A2_sep")
    env = WalkEnv(sampled_task)
    assert env.observation_space.shape[0] == base.observation_dim + 3
    block = {name: (start, size) for name, start, size in sampled_task.compiled.observation_layout}
    start, size = block["conditions"]
    assert start + size == sampled_task.observation_dim
    seen = []
    for seed in range(12):
        obs, info = env.reset(seed=seed)
        cond = info["conditions"]
        assert set(cond) == set(sampled_task.conditions)
        assert 0.3 <= cond["muscle.plantarflexors.left.force"] <= 1.0
        assert 0.7 <= cond["muscle.hamstrings.length"] <= 1.0 and cond["muscle.dorsiflexors.left.force"] == 0.5
        order = [1, 0, 2] if info["mirrored"] else [0, 1, 2]  # the mirrored half sees the other side's
        expected = [cond[sampled_task.conditions[k]] for k in order]
        np.testing.assert_allclose(obs[start:], expected, rtol=1e-6)
        seen.append(cond["muscle.plantarflexors.left.force"])
    assert len(set(seen)) == 12  # continuous: every draw differs


def test_reset_fixes_given_conditions_and_seeds_determine_the_rest(sampled_task):
    a, b = WalkEnv(sampled_task), WalkEnv(sampled_task)
    obs_a, info_a = a.reset(seed=5, options={"conditions": {"muscle.hamstrings.length": 0.75}})
    obs_b, info_b = b.reset(seed=5, options={"conditions": {"muscle.hamstrings.length": 0.75}})
    assert info_a["conditions"]["muscle.hamstrings.length"] == 0.75
    assert info_a["conditions"] == info_b["conditions"]
    np.testing.assert_array_equal(obs_a, obs_b)
    action = np.zeros(a.action_space.shape, np.float32)
    for _ in range(3):
        np.testing.assert_array_equal(a.step(action)[0], b.step(action)[0])
    with pytest.raises(ValueError, match="unknown"):
        a.reset(options={"conditions": {"muscle.soleus.force": 0.5}})
    with pytest.raises(ValueError, match="positive"):
        a.reset(options={"conditions": {"muscle.hamstrings.length": -1.0}})


def test_mirrored_observation_swaps_left_and_right_conditions(sampled_task):
    env = WalkEnv(sampled_task)
    env.reset(seed=1, options={"conditions": {"muscle.plantarflexors.left.force": 0.4,
                                              "muscle.plantarflexors.right.force": 0.9}})
    start = sampled_task.observation_dim - 3
    plain, mirrored = env.core.compute_observation(False), env.core.compute_observation(True)
    np.testing.assert_allclose(plain[start:start + 2], [0.4, 0.9], rtol=1e-6)
    np.testing.assert_allclose(mirrored[start:start + 2], [0.9, 0.4], rtol=1e-6)
    assert mirrored[start + 2] == plain[start + 2]  # both sides: one parameter, its own mirror


def test_the_env_scales_its_own_muscles_and_not_the_model(default_model):
    """foot_drop: at the same state the left dorsiflexors' muscle moments are 5 % of the healthy env's, every
    other muscle's the same; a healthy env made from the same model after it is unchanged."""
    healthy, drop = WalkEnv("A2_sep"), WalkEnv("foot_drop")
    weak = drop.task.compiled.spec.conditions[0].indices
    assert weak == group_indices(names_of(drop.task), "dorsiflexors", "l")
    tuples = []
    for env in (healthy, drop, WalkEnv("A2_sep")):
        env.reset(seed=3, options={"phase": 0.3})
        env.step(np.zeros(env.action_space.shape, np.float32))
        tuples.append(env.core.muscle_tuple[2])  # JtA at one substep of the step (the same one: same seed)
    jta_healthy, jta_drop, jta_after = tuples
    # the weak body moves a little differently within the step: equal states only up to that (< 1 %)
    other = np.setdiff1d(np.arange(jta_healthy.shape[1]), weak)
    np.testing.assert_allclose(jta_drop[:, weak], 0.05 * jta_healthy[:, weak], rtol=0.01, atol=1e-4)
    assert np.abs(jta_healthy[:, weak]).max() > 1.0
    np.testing.assert_allclose(jta_drop[:, other], jta_healthy[:, other], rtol=0.01, atol=0.01)
    np.testing.assert_array_equal(jta_after, jta_healthy)  # the shared model is untouched


@pytest.mark.parametrize("preset, selected", [
    ("crouch", {("muscle.Psoas.length", 0.67), ("muscle.Biceps_Femoris_Short.length", 0.635),
                ("muscle.dorsiflexors.length", 0.73)}),
    ("equinus", {("muscle.gastrocnemius.left.length", 0.78), ("muscle.soleus.left.length", 0.84)}),
    ("foot_drop", {("muscle.dorsiflexors.left.force", 0.05)}),
    ("trendelenburg", {("muscle.gluteus_medius.left.force", 0.05), ("muscle.Gluteus_Minimus.left.force", 0.05)}),
    ("waddling", {("muscle.gluteals.force", 0.05)}),
])
def test_pathology_presets_are_fixed_conditions(preset, selected):
    task = build_task(preset)
    specs = task.compiled.spec.conditions
    assert {(c.name, c.default) for c in specs} == selected
    assert all(c.min == c.max == c.default for c in specs)
    assert task.observation_dim == build_task("A2_sep").observation_dim  # fixed: nothing observed
    env = WalkEnv(task)
    _, info = env.reset(seed=0)
    assert info["conditions"] == {c.name: c.default for c in specs}
