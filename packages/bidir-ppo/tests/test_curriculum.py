"""The curriculum over the condition ranges (mixture.curriculum): the bodies it draws, when it promotes, and that
a run with it trains, checkpoints and resumes exactly; its bad settings fail at start."""

import json

import numpy as np
import pytest
import torch
from bidir_ppo import checkpoint, evaluate
from bidir_ppo.config import validate
from bidir_ppo.curriculum import Curriculum, CurriculumSource, draw_bodies
from bidir_ppo.rollout import BatchEnvSource, Rollout
from bidir_ppo.train import mixture_rows, train
from bidir_sim import BatchEnv, build_task
from bidir_sim.envs.conditions import drawn_conditions
from bidir_sim.errors import CheckpointError, ConfigWarning
from omegaconf import OmegaConf
from test_train import config

# pd with one drawn muscle condition per side and a preset-only one (sampling: default: held at 1 where drawn)
MIXED = """base: pd
environment:
  parameters:
    muscle:
      dorsiflexors:
        left:
          force: {min: 0.3, max: 1.0, sampling: continuous}
        right:
          force: {min: 0.3, max: 1.0, sampling: continuous}
      plantarflexors:
        left:
          length: {min: 0.9, max: 1.0, sampling: default}
        right:
          length: {min: 0.9, max: 1.0, sampling: default}
"""


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    path = tmp_path_factory.mktemp("curriculum") / "mixed.yaml"
    path.write_text(MIXED)
    return path


def settings(**changes):
    return OmegaConf.create({"start": 0.0, "step": 0.25, "promote_length": 10.0, "window": 2, **changes})


def fake_rollout(falls_per_env: list[int], steps: int = 20) -> Rollout:
    """A rollout whose only meaningful tensors are valid and terminations (all the curriculum reads)."""
    n = len(falls_per_env)
    terminations = torch.zeros(steps, n)
    for env, falls in enumerate(falls_per_env):
        terminations[:falls, env] = 1.0
    zeros = torch.zeros(steps, n)
    return Rollout(zeros, zeros, zeros, zeros, zeros, terminations, zeros, zeros, torch.ones(steps, n), zeros)


def test_the_drawing_envs_take_the_shrunk_ranges_and_presets_keep_their_rows(mixed):
    task = build_task(str(mixed))
    assert task.conditions[:2] == ["muscle.dorsiflexors.left.force", "muscle.dorsiflexors.right.force"]
    base = np.full((4, len(task.conditions)), np.nan)
    base[3] = [0.05, 0.05, 0.95, 0.95]  # a preset's env
    curriculum = Curriculum.build(settings(), task, base, seed=3)
    assert drawn_conditions(task) == [0, 1] and curriculum.drawing.tolist() == [True, True, True, False]
    rows = curriculum.rows()  # scale 0: the default body
    assert np.array_equal(rows[:3, :2], np.ones((3, 2))) and np.isnan(rows[:3, 2:]).all()
    assert np.array_equal(rows[3], base[3])
    curriculum.scale = 0.5
    draws = np.concatenate([curriculum.rows()[:3, :2] for _ in range(200)])
    assert draws.min() >= 0.65 - 1e-12 and draws.max() <= 1.0  # default 1 + 0.5 (u - 1), u in [0.3, 1]
    assert draws.min() < 0.7 and draws.max() > 0.95  # spread over the shrunk range
    curriculum.scale = 1.0  # the env config's own sampling
    np.testing.assert_array_equal(curriculum.rows(), base)
    again = Curriculum.build(settings(), task, base, seed=3)
    again.scale, again.draws = 0.5, 1
    first = Curriculum.build(settings(), task, base, seed=3)
    first.scale, first.draws = 0.5, 1
    np.testing.assert_array_equal(again.rows(), first.rows())  # seeded by (seed, draws)

    env = BatchEnv(task, num_envs=4, num_threads=1, seed=0)  # the env holds what the curriculum drew
    rows = curriculum_rows_at(task, base, 0.5)
    env.fix_conditions(rows)
    env.reset(seed=0)
    np.testing.assert_allclose(env.conditions[:, :2], rows[:, :2])
    assert np.array_equal(env.conditions[:3, 2:], np.ones((3, 2)))  # sampling: default stays at its default
    env.close()


def curriculum_rows_at(task, base, scale):
    curriculum = Curriculum.build(settings(start=scale), task, base, seed=1)
    return curriculum.rows()


def test_drawn_bodies_keep_the_given_values(mixed):
    task = build_task(str(mixed))
    rows = np.full((50, len(task.conditions)), np.nan)
    rows[:, 1] = 0.8  # e.g. evaluate --condition muscle.dorsiflexors.right.force=0.8
    drawn = draw_bodies(task, rows, 0.2, np.random.default_rng(0))
    assert (drawn[:, 1] == 0.8).all() and np.isnan(drawn[:, 2:]).all()
    assert ((drawn[:, 0] >= 0.86 - 1e-12) & (drawn[:, 0] <= 1.0)).all() and len(set(drawn[:, 0])) == 50
    np.testing.assert_array_equal(draw_bodies(task, rows, 0.0, np.random.default_rng(0))[:, 0], 1.0)


def test_it_promotes_after_a_window_that_walked_and_counts_only_the_drawing_envs(mixed):
    task = build_task(str(mixed))
    base = np.full((3, len(task.conditions)), np.nan)
    base[2] = 1.0  # a preset's env: its falls do not count
    curriculum = Curriculum.build(settings(), task, base, seed=0)
    metrics = curriculum.observe(fake_rollout([1, 1, 20]))  # 40 steps, 2 falls: 20 per fall
    assert metrics == {"curriculum/scale": 0.0, "curriculum/steps_per_fall": 20.0}
    assert curriculum.scale == 0.0  # the window (2 collections) is not over
    curriculum.observe(fake_rollout([2, 2, 20]))  # window: 80 steps, 6 falls: 13.3 >= 10
    assert curriculum.scale == 0.25 and (curriculum.steps, curriculum.falls, curriculum.collections) == (0, 0, 0)
    curriculum.observe(fake_rollout([5, 5, 0]))
    curriculum.observe(fake_rollout([5, 5, 0]))  # 80 steps, 20 falls: 4 per fall, no promotion
    assert curriculum.scale == 0.25 and curriculum.collections == 0
    for _ in range(8):
        curriculum.observe(fake_rollout([0, 0, 20]))
    assert curriculum.scale == 1.0  # capped at the env config's ranges

    state = curriculum.state_dict()
    restored = Curriculum.build(settings(), task, base, seed=0)
    restored.load_state_dict(state)
    assert restored.state_dict() == state
    for bad, message in (({**state, "scale": 1.5}, "curriculum.scale: 1.5, expected at most 1"),
                         ({**state, "falls": float("nan")}, "curriculum.falls: nan"),
                         ({k: v for k, v in state.items() if k != "draws"}, "curriculum.draws: missing")):
        with pytest.raises(ValueError, match=message):
            restored.load_state_dict(bad)


@pytest.mark.slow
def test_a_run_with_a_curriculum_promotes_logs_and_resumes_exactly(mixed, tmp_path, capsys):
    run = [f"env.name={mixed}", "envs=3", "mixture.presets=[foot_drop]", "total_steps=96", "checkpoint_every=2",
           "mixture.curriculum.start=0", "mixture.curriculum.step=0.5", "mixture.curriculum.promote_length=1",
           "mixture.curriculum.window=1"]
    full = tmp_path / "full"
    train(config(*run), full)
    state = checkpoint.load(full / "ckpt_2").state["curriculum"]
    assert state["scale"] == 1.0 and state["draws"] == 3  # promoted twice; drawn before the first reset and before
    # each of 2 collections (the restart after the checkpoint draws the 4th)
    lines = (full / "metrics.jsonl").read_text().splitlines()
    assert '"curriculum/scale": 0.0' in lines[0] and '"curriculum/scale": 0.5' in lines[1]

    resumed = tmp_path / "resumed"
    train(config(*run, f"resume={full / 'ckpt_2'}"), resumed)
    a, b = checkpoint.load(full / "ckpt_4"), checkpoint.load(resumed / "ckpt_4")
    assert a.state["curriculum"] == b.state["curriculum"]
    for k, v in a.agent.items():
        assert torch.equal(v, b.agent[k]), k

    out = tmp_path / "scaled.json"  # evaluate at a curriculum's scale
    assert evaluate.main([str(full / "ckpt"), "--range-scale", "0.5", "--episodes", "2", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["range_scale"] == 0.5
    capsys.readouterr()
    assert evaluate.main(["--env", "pd", "--policy", "zero", "--range-scale", "0.5", "--episodes", "1"]) == 2
    assert "--range-scale: the config pd draws no condition" in capsys.readouterr().err

    plain = train(config(f"env.name={mixed}", "envs=3", "total_steps=24"), tmp_path / "plain")
    with pytest.raises(CheckpointError, match=r"state.pt.*curriculum.*missing: that run had no mixture.curriculum"):
        train(config(f"env.name={mixed}", "envs=3", "total_steps=48", "mixture.curriculum.start=0",
                     f"resume={plain}"), tmp_path / "bad")


def test_the_source_draws_before_each_collection_and_restart(mixed):
    task = build_task(str(mixed))
    cfg = config(f"env.name={mixed}", "envs=4", "mixture.presets=[foot_drop]", "mixture.healthy_envs=1",
                 "mixture.curriculum.start=0.5")
    curriculum = Curriculum.build(cfg.mixture.curriculum, task, mixture_rows(cfg, task), seed=0)
    env = BatchEnv(task, num_envs=4, num_threads=1, seed=0)
    source = CurriculumSource(BatchEnvSource(env, 0, torch.device("cpu")), curriculum)
    source.restart(7)
    held = env.conditions
    assert curriculum.draws == 1 and np.array_equal(held[3, :2], [0.05, 1.0])  # foot drop: the left side
    assert curriculum.drawing.tolist() == [True, True, False, False]
    assert np.array_equal(held[2, :2], [1.0, 1.0])  # the healthy env: never drawn
    assert ((held[:2, :2] >= 0.65) & (held[:2, :2] <= 1.0)).all() and (held[:2, :2] < 1.0).any()
    source.close()


def test_bad_curriculum_settings_fail_at_start(mixed, tmp_path):
    with pytest.raises(ValueError, match=r"'mixture.curriculum.start': must be <= 1"):
        train(config("mixture.curriculum.start=1.5"), tmp_path / "a")
    with pytest.raises(ValueError, match=r"'mixture.curriculum.step': must be > 0"):
        train(config("mixture.curriculum.start=0", "mixture.curriculum.step=0"), tmp_path / "b")
    with pytest.raises(ValueError, match=r"'mixture.curriculum.start': env 'pd' draws no anatomical condition"):
        train(config("env.name=pd", "mixture.curriculum.start=0"), tmp_path / "c")
    with pytest.raises(ValueError, match=r"'mixture.curriculum.start': a curriculum runs under rollout=local"):
        train(config(f"env.name={mixed}", "envs=4", "mixture.curriculum.start=0", "rollout=ray"), tmp_path / "d")
    with pytest.warns(ConfigWarning, match=r"'mixture.curriculum.window': has no effect here"):
        validate(config("mixture.curriculum.window=3"))
