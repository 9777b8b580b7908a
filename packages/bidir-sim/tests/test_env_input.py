"""Bad arguments and config values of the envs (WalkEnv, BatchEnv): counts, seeds, reset options, actions,
memory and thread bounds, the assist's scale, and config keys that cannot fit the core, do nothing here or
name a file they would ignore. Each is a clear error naming the argument or key (or a warning)."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from bidir_sim import BatchEnv, WalkEnv, build_task
from bidir_sim.envs.config import CONFIG_DIR, load_env_config, parse_env_config
from bidir_sim.errors import ConfigError, ConfigWarning

A2_SEP = (CONFIG_DIR / "A2_sep.yaml").read_text()


# --- constructor arguments: counts, seeds, and the memory and threads they ask for --------------------------

def test_numpy_integers_are_counts_and_bad_seeds_are_named():
    env = BatchEnv("A2_sep", num_envs=np.int64(2), num_threads=np.int32(1))
    assert env.num_envs == 2 and isinstance(env.num_envs, int)
    with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 2\*\*64 - num_envs\], got -1"):
        BatchEnv("A2_sep", num_envs=2, seed=-1)
    with pytest.raises(ValueError, match="seed must be an integer"):
        env.reset(seed=2**70)
    with pytest.raises(ValueError, match="num_envs must be a positive integer, got True"):
        BatchEnv("A2_sep", num_envs=True)


def test_batch_env_memory_and_threads_are_bounded():
    with pytest.raises(ValueError, match=r"num_envs=1000000 needs about 7812.5 GiB .* at most \d+ envs fit"):
        BatchEnv("A2_sep", num_envs=10**6)
    with pytest.raises(ValueError, match="num_threads must be at most 256, got 1000"):
        BatchEnv("A2_sep", num_envs=2, num_threads=1000)


# --- reset options and actions ------------------------------------------------------------------------------

def test_reset_options_must_be_finite_numbers():
    env = WalkEnv("A2_sep")
    for bad in (float("nan"), float("inf"), "0.3", None):
        with pytest.raises(ValueError, match=f"reset option 'phase' must be a finite number, got {bad!r}"):
            env.reset(seed=0, options={"phase": bad})


def test_actions_must_be_real_and_fit_float32():
    env = WalkEnv("A2_sep")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action must be real numbers, got dtype complex128"):
        env.step(np.zeros(51) + 1j)
    big = np.zeros(51)
    big[7] = 1e300
    with pytest.raises(ValueError, match=r"action\[7\] = .*1e\+300.* overflows float32"):
        env.step(big)
    batch = BatchEnv("A2_sep", num_envs=2, num_threads=1)
    batch.reset(seed=0)
    big = np.zeros((2, 51))
    big[1, 3] = -1e39
    with pytest.raises(ValueError, match=r"actions\[1, 3\] = .* overflows float32"):
        batch.step(big)
    with pytest.raises(ValueError, match="actions must be real numbers"):
        batch.step(np.zeros((2, 51), complex))


# --- the assist's scale: bounded where the physics step turns unstable -------------------------------------

def test_the_assist_scale_stops_where_the_physics_does():
    task = build_task("pd")
    # measured on pd with zero actions: scale 2.2 holds, 2.5 diverges (docs/env-config.md: "near 2")
    assert 1.5 < task.assist_scale_limit < 2.5
    env = BatchEnv(task, num_envs=1, num_threads=1)
    env.set_assist_scale(task.assist_scale_limit)
    with pytest.raises(ValueError, match=r"assist scale 5 is beyond 1.88, where the assist's damping .* makes the "
                                         r"480 Hz physics step unstable"):
        env.set_assist_scale(5.0)
    cfg = load_env_config("pd")
    cfg.assist.kd_rotation = 0.0
    cfg.assist.kd_position = 0.0
    assert build_task(cfg).assist_scale_limit == float("inf")


# --- config keys: integers the core cannot hold, keys that do nothing here, muscle files never ignored ------

def test_integers_must_fit_the_core():
    with pytest.raises(ConfigError, match=r"c.yaml: Horizon: must be less than 2\*\*31 in magnitude"):
        parse_env_config(A2_SEP + f"Horizon: {2**31}\n", "c.yaml")


def test_keys_that_do_nothing_here_warn(tmp_path):
    def messages(text):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            parse_env_config(text, str(tmp_path / "c.yaml"))
        return " ".join(str(w.message) for w in seen if issubclass(w.category, ConfigWarning))

    assert messages(A2_SEP) == ""
    assert "environment.action.torque_scale: has no effect here (it acts only with skeleton.actuator: torque)" in \
        messages(A2_SEP.replace("  action:\n", "  action:\n    torque_scale: 2.0\n"))
    assert "environment.motion.cyclic: has no effect here (it acts only with motion.type: bvh)" in \
        messages(A2_SEP.replace("  motion:\n", "  motion:\n    cyclic: false\n"))
    assert "environment.motion.cyclic" not in messages(A2_SEP.replace("  motion:\n", "  motion:\n    cyclic: true\n"))
    (tmp_path / "map.yaml").write_text("Pelvis: Hips\n")
    assert "environment.motion.map: has no effect here" in \
        messages(A2_SEP.replace("  motion:\n", "  motion:\n    map: map.yaml\n"))
    assert "environment.reward.locomotion.dragX.weight: has no effect here" in \
        messages(A2_SEP.replace("      avg_vel:\n", "      dragX: {weight: 3.0}\n      avg_vel:\n"))
    # a file named anywhere must exist, used or not
    with pytest.raises(ConfigError, match=r"c.yaml: environment.motion.map: names .*no_such.yaml, which does not "
                                          r"exist \(the key acts only with motion.type: bvh\)"):
        parse_env_config(A2_SEP.replace("  motion:\n", "  motion:\n    map: no_such.yaml\n"), str(tmp_path / "c.yaml"))


@pytest.mark.slow
def test_muscle_files_are_never_ignored(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(A2_SEP.replace("  muscle:\n", "  muscle:\n    file: /no/such.xml\n"))
    with pytest.raises(ConfigError, match="c.yaml: environment.muscle.file: default: muscles: the default model "
                                          "carries its own muscles"):
        WalkEnv(str(config))
    r = subprocess.run([sys.executable, "-m", "bidir_sim", "info", "default", "--muscles", "X.xml"],
                       capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 2 and "the default model carries its own muscles" in r.stderr
