"""Pathology presets carried onto a wider task (bidir_sim.envs.presets) and ``sampling: default``: the pieces of
the conditioned walker's training mixture (issue #29 §2, docs/conditions.md)."""

from pathlib import Path

import numpy as np
import pytest
from bidir_sim import BatchEnv, ConfigError
from bidir_sim.envs.presets import healthy_body, preset_body, preset_conditions, preset_rows
from bidir_sim.envs.task import build_task

MIXTURE_CONFIG = Path(__file__).resolve().parents[3] / "examples" / "walk" / "conditions.yaml"

# A small task in the mixture's shape: a sampled group on each side, and the crouch preset's psoas observed but
# held at its default.
SMALL = """
base: A2_sep
environment:
  parameters:
    muscle:
      dorsiflexors:
        left:
          force: {min: 0.3, max: 1.0, sampling: continuous}
          length: {min: 0.9, max: 1.0, sampling: continuous}
        right:
          force: {min: 0.3, max: 1.0, sampling: continuous}
          length: {min: 0.9, max: 1.0, sampling: continuous}
      Psoas:
        left:
          length: {min: 0.67, max: 1.0, default: 1.0, sampling: default}
        right:
          length: {min: 0.67, max: 1.0, default: 1.0, sampling: default}
      Biceps_Femoris_Short:
        length: {min: 0.6, max: 1.0, default: 1.0, sampling: default}
"""


@pytest.fixture(scope="module")
def small_task(tmp_path_factory):
    path = tmp_path_factory.mktemp("presets") / "small.yaml"
    path.write_text(SMALL)
    return build_task(str(path))


def test_a_preset_is_carried_onto_the_tasks_conditions_by_name_or_by_side(small_task):
    # crouch: Psoas and dorsiflexors without a side -> both sides' conditions; Biceps_Femoris_Short by its name
    assert preset_conditions("crouch", small_task.conditions) == {
        "muscle.Psoas.left.length": 0.67, "muscle.Psoas.right.length": 0.67,
        "muscle.Biceps_Femoris_Short.length": 0.635,
        "muscle.dorsiflexors.left.length": 0.73, "muscle.dorsiflexors.right.length": 0.73}
    assert preset_conditions("foot_drop", small_task.conditions) == {"muscle.dorsiflexors.left.force": 0.05}


def test_a_preset_the_task_cannot_carry_or_that_samples_is_an_error(small_task):
    with pytest.raises(ConfigError, match=r"parameters\.muscle\.gluteus_medius\.left\.force.*no condition "
                                          r"muscle\.gluteus_medius\.left\.force"):
        preset_conditions("trendelenburg", small_task.conditions)
    with pytest.raises(ConfigError, match=r"torsion\.femur.*torsion\.femur\.left and torsion\.femur\.right"):
        preset_conditions("in_toeing", small_task.conditions)
    with pytest.raises(ConfigError, match="a preset fixes its conditions"):
        preset_conditions("A2_wide", small_task.conditions)
    with pytest.raises(ValueError, match="fixes no condition"):
        preset_conditions("A2_sep", small_task.conditions)


def test_preset_rows_hold_each_preset_on_the_last_envs_with_the_rest_at_default(small_task):
    rows = preset_rows(small_task, ["crouch", "foot_drop"], 2, 7)
    names = small_task.conditions
    assert rows.shape == (7, len(names))
    assert np.isnan(rows[:3]).all()  # drawn from the ranges
    crouch, foot_drop = dict(zip(names, rows[3])), dict(zip(names, rows[5]))
    assert (rows[3] == rows[4]).all() and (rows[5] == rows[6]).all()
    assert crouch["muscle.Psoas.left.length"] == 0.67 and crouch["muscle.dorsiflexors.left.force"] == 1.0
    assert foot_drop["muscle.dorsiflexors.left.force"] == 0.05 and foot_drop["muscle.Psoas.right.length"] == 1.0
    with pytest.raises(ValueError, match="take 8 of 8 envs"):
        preset_rows(small_task, ["crouch", "foot_drop"], 4, 8)


def test_healthy_envs_hold_every_condition_at_its_default_before_the_presets(small_task):
    rows = preset_rows(small_task, ["foot_drop"], 1, 6, healthy_envs=2)
    defaults = [healthy_body(small_task)[name] for name in small_task.conditions]
    assert np.isnan(rows[:3]).all()  # drawn
    assert rows[3].tolist() == defaults and rows[4].tolist() == defaults
    assert dict(zip(small_task.conditions, rows[5]))["muscle.dorsiflexors.left.force"] == 0.05
    assert (preset_rows(small_task, [], 1, 3, healthy_envs=1)[2] == defaults).all()
    with pytest.raises(ValueError, match="1 presets x 1 envs each and 5 healthy envs take 6 of 6 envs: at least one env"):
        preset_rows(small_task, ["foot_drop"], 1, 6, healthy_envs=5)


def test_sampling_default_is_observed_but_held_at_its_default_unless_given(small_task):
    specs = small_task.compiled.spec.conditions
    names = small_task.conditions
    psoas = names.index("muscle.Psoas.left.length")
    assert psoas in small_task.compiled.observed_conditions  # a range: observed
    env = BatchEnv(small_task, num_envs=4, num_threads=1, seed=3)
    env.fix_conditions(preset_rows(small_task, ["crouch"], 1, 4))
    env.reset(seed=3)
    drawn = np.array([env.core.env(i).conditions for i in range(4)])
    assert drawn.shape == (4, len(specs))
    assert (drawn[:3, psoas] == 1.0).all()  # sampling: default -> never drawn
    assert len(set(drawn[:3, names.index("muscle.dorsiflexors.left.force")])) == 3  # continuous: drawn
    assert drawn[3, psoas] == 0.67 and drawn[3, names.index("muscle.dorsiflexors.left.force")] == 1.0
    # the preset's env keeps it over an autoreset
    for _ in range(400):
        _, _, terminated, truncated, _ = env.step(np.zeros((4, env.single_action_space.shape[0])))
        if terminated[3] or truncated[3]:
            break
    else:
        pytest.fail("zero actions did not end the preset env's episode")
    env.step(np.zeros((4, env.single_action_space.shape[0])))
    assert env.core.env(3).conditions[psoas] == 0.67
    env.close()


def test_the_mixture_config_carries_every_shipped_preset():
    task = build_task(str(MIXTURE_CONFIG))
    observed = {task.conditions[i] for i in task.compiled.observed_conditions}
    for preset in ("crouch", "equinus", "foot_drop", "trendelenburg", "waddling", "in_toeing", "out_toeing"):
        values = preset_conditions(preset, task.conditions)
        assert set(values) <= observed, preset  # the policy sees every preset's body
    sampled_at_default = [c.name for c in task.compiled.spec.conditions if c.sampling == "default"]
    assert len(sampled_at_default) == 14  # 7 preset-only selectors x 2 sides


def test_the_healthy_body_is_every_condition_at_its_default_and_a_preset_changes_only_its_own(small_task):
    healthy = healthy_body(small_task)
    assert list(healthy) == small_task.conditions
    assert healthy == {c.name: c.default for c in small_task.compiled.spec.conditions}
    assert all(v == 1.0 for v in healthy.values())  # every condition here is a ratio whose default is 1
    crouch = preset_body("crouch", small_task)
    changed = {k for k in crouch if crouch[k] != healthy[k]}
    assert changed == set(preset_conditions("crouch", small_task.conditions))
