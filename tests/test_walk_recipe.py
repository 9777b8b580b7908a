"""`make walk` (docs/training.md, "Walking"): its training commands compose into valid configs, the second
stage warm-starts from the first, each stage is evaluated on its plain task, and the recipe's env configs are
the shipped `pd` and `A2_sep` on the normative-fit reference with only the changes their headers name, and each
realism lever is a recipe config plus its keys."""

import shlex
import subprocess
from pathlib import Path

import yaml
from bidir_ppo.config import register, validate
from bidir_sim.envs.config import config_values, load_env_config
from hydra import compose, initialize

register()
ROOT = Path(__file__).resolve().parents[1]
WALK = ROOT / "examples" / "walk"
NORMATIVE_FIT = {"motion.reference_version": 2}  # #28: the reference whose angles follow the normative curves
# #28's realism lever adopted 2026-12-07: the imitation factor with the knees and ankles weighted up, both stages
WEIGHTED_IMITATION = {"reward.imitation.weight": 10.0, "reward.imitation.knee_weight": 4.0,
                      "reward.imitation.ankle_weight": 2.0}


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
    assert Path(pd.env.name) == WALK / "pd.yaml"
    assert Path(muscle.env.name) == WALK / "muscle.yaml" and muscle.init == f"{pd.run_dir}/ckpt"
    assert pd.max_minutes + muscle.max_minutes <= 115  # evaluation, plots and videos take the rest of 120


def values(name: str) -> dict:
    return config_values(load_env_config(name))


def test_the_recipe_envs_are_the_shipped_ones_with_their_named_changes():
    for recipe, base in (("pd_task", "pd"), ("pd", "pd_task.yaml"), ("muscle_task", "A2_sep"),
                         ("muscle", "muscle_task.yaml")):
        path = WALK / f"{recipe}.yaml"  # composed, not copies kept in step
        assert yaml.safe_load(path.read_text())["base"] == base, path
    assert values(str(WALK / "pd_task.yaml")) == {**values("pd"), **NORMATIVE_FIT}
    assert values(str(WALK / "muscle_task.yaml")) == {**values("A2_sep"), **NORMATIVE_FIT}
    assert values(str(WALK / "pd.yaml")) == {**values(str(WALK / "pd_task.yaml")), "muscle.learn_under_pd": True,
                                             "termination.head_drop": 0.15, "termination.pelvis_angle": 0.5,
                                             **WEIGHTED_IMITATION}
    assert values(str(WALK / "muscle.yaml")) == {**values(str(WALK / "muscle_task.yaml")), **WEIGHTED_IMITATION}


def test_each_stage_is_evaluated_on_its_plain_task():
    out = subprocess.run(["make", "-n", "walk", "WALK_DIR=/tmp/walk-dry"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    # make -n prints the shell loop as written: each stage dir:task pair, and the evaluation of each on its task
    assert "for stage in pd:pd_task muscle:muscle_task; do" in out
    assert "bidir_ppo.evaluate $dir/ckpt --env examples/walk/${stage##*:}.yaml" in out
    for task in ("pd_task", "muscle_task"):  # the names the loop turns into --env examples/walk/<task>.yaml
        assert (WALK / f"{task}.yaml").is_file()


def test_the_seed_reaches_both_stages():
    for seed, expected in ((None, 0), (3, 3)):
        args = [] if seed is None else [f"WALK_SEED={seed}"]
        out = subprocess.run(["make", "-n", "walk", "WALK_DIR=/tmp/walk-dry", *args], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout
        trains = [shlex.split(line) for line in out.splitlines() if "bidir_ppo.train" in line]
        assert [overrides(words).count(f"seed={expected}") for words in trains] == [1, 1]


def test_the_conditioned_walker_keeps_make_walks_reference():
    assert values(str(WALK / "conditions.yaml"))["motion.reference_version"] == 2


def test_the_conditioned_walkers_env_config_can_be_a_levers():
    for args, config in (([], WALK / "conditions.yaml"), (["WALK_CONDITIONS_ENV=/tmp/lever.yaml"], Path("/tmp/lever.yaml"))):
        out = subprocess.run(["make", "-n", "walk-conditions", "WALK_DIR=/tmp/walk-dry", *args], cwd=ROOT,
                             check=True, capture_output=True, text=True).stdout
        trains = [line for line in out.splitlines() if "bidir_ppo.train" in line]
        assert len(trains) == 1 and f"env.name={config}" in trains[0]
