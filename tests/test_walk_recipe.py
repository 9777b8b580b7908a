"""`make walk` (docs/training.md, "Walking"): its training commands compose into valid configs, the second
stage warm-starts from the first, and the first stage's env config is the shipped `pd` with only the
changes its header names."""

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
    assert muscle.env.name == "A2_sep" and muscle.init == f"{pd.run_dir}/ckpt"
    assert pd.max_minutes + muscle.max_minutes <= 115  # evaluation, plots and videos take the rest of 120


def test_the_recipe_env_is_the_shipped_pd_with_its_named_changes():
    path = ROOT / "examples" / "walk" / "pd.yaml"
    assert yaml.safe_load(path.read_text())["base"] == "pd"  # composed, not a copy kept in step
    recipe, shipped = config_values(load_env_config(str(path))), config_values(load_env_config("pd"))
    assert recipe == {**shipped, "muscle.learn_under_pd": True, "termination.head_drop": 0.15,
                      "termination.pelvis_angle": 0.5}
