"""`make walk` (docs/training.md, "Walking"): its training commands compose into valid configs, the second
stage warm-starts from the first, both stages walk on the normative-fit reference, and each stage's env
config is a shipped one with only the changes its header names."""

import shlex
import subprocess
from pathlib import Path

import yaml
from bidir_ppo.config import register, validate
from bidir_sim.envs.config import config_values, load_env_config
from hydra import compose, initialize

register()
ROOT = Path(__file__).resolve().parents[1]


def walk_commands() -> list[list[str]]:
    """The commands `make walk` would run (make -n), split into words."""
    out = subprocess.run(["make", "-n", "walk", "WALK_DIR=/tmp/walk-dry"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return [shlex.split(line) for line in out.splitlines() if "bidir_ppo.train" in line]


def overrides(words: list[str]) -> list[str]:
    return words[words.index("bidir_ppo.train") + 1:]


def test_the_two_stages_compose_and_the_second_starts_from_the_first():
    stages = walk_commands()
    assert len(stages) == 2
    configs = []
    for words in stages:
        with initialize(version_base=None):
            cfg = compose(config_name="train", overrides=overrides(words))
        validate(cfg)
        assert cfg.max_minutes is not None and cfg.model.obs_norm  # init needs the same obs_norm in both
        configs.append(cfg)
    pd, muscle = configs
    assert Path(pd.env.name) == ROOT / "examples" / "walk" / "pd.yaml"
    assert Path(muscle.env.name) == ROOT / "examples" / "walk" / "muscle.yaml"
    assert muscle.init == f"{pd.run_dir}/ckpt"
    assert pd.max_minutes + muscle.max_minutes <= 115  # evaluation, plots and videos take the rest of 120


def recipe_and_shipped(name: str) -> tuple[dict, dict, str]:
    """A recipe env file's flattened keys, its base's, and the base's name."""
    path = ROOT / "examples" / "walk" / name
    base = yaml.safe_load(path.read_text())["base"]  # composed, not a copy kept in step
    base_path = str(path.parent / base) if base.endswith(".yaml") else base
    return config_values(load_env_config(str(path))), config_values(load_env_config(base_path)), base


def test_each_stage_task_is_the_shipped_config_on_the_normative_fit_reference():
    for name, shipped in (("pd-task.yaml", "pd"), ("muscle.yaml", "A2_sep")):
        recipe, base, base_name = recipe_and_shipped(name)
        assert base_name == shipped and base["motion.reference_version"] == 1
        assert recipe == {**base, "motion.reference_version": 2}


def test_stage_one_trains_on_its_plain_task_with_the_named_training_aids():
    recipe, task, base_name = recipe_and_shipped("pd.yaml")
    assert base_name == "pd-task.yaml"
    assert recipe == {**task, "muscle.learn_under_pd": True, "termination.head_drop": 0.15,
                      "termination.pelvis_angle": 0.5}


def test_each_stage_is_evaluated_on_its_plain_task():
    out = subprocess.run(["make", "-n", "walk", "WALK_DIR=/tmp/walk-dry"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    assert "--env examples/walk/${stage##*:}.yaml" in out and "pd:pd-task muscle:muscle" in out
    assert "bidir_ppo.analyze /tmp/walk-dry/muscle/ckpt" in out


def test_walk_seed_reaches_both_stages():
    out = subprocess.run(["make", "-n", "walk", "WALK_DIR=/tmp/walk-dry", "WALK_SEED=2"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    stages = [line for line in out.splitlines() if "bidir_ppo.train" in line]
    assert len(stages) == 2 and all(" seed=2 " in f"{line} " for line in stages)
