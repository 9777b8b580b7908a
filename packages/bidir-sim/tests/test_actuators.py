"""skeleton.actuator: pd, the ideal-torque body (issue #19 §1): SPD torques of the PD target on every actuated
DoF, no muscles and no muscle network; the same observation and action as mass_lower (A2_sep)."""

import numpy as np
import pytest
import torch
from bidir_sim import BatchEnv, WalkEnv, build_task
from bidir_sim.envs.config import CONFIG_DIR, ConfigError, load_env_config, parse_env_config


def nan_weights(task) -> dict:
    """Finite weights whose activations overflow to NaN (test_compiled_task.py's broken network)."""
    from bidir_sim import make_muscle_net

    net = make_muscle_net(task)
    state = {n: torch.zeros(s if n.endswith("weight") else (s[0],))
             for n, s in zip(net.parameter_names(), net.parameter_shapes())}
    w = torch.full(state["fc.0.weight"].shape, 1e38)
    w[1::2] = -1e38
    state["fc.0.weight"], state["fc.2.weight"] = w, torch.ones(state["fc.2.weight"].shape)
    return state


def test_pd_has_the_spaces_of_a2_sep():
    pd, a2 = build_task("pd"), build_task("A2_sep")
    assert (pd.observation_dim, pd.action_dim) == (a2.observation_dim, a2.action_dim)
    assert pd.observation_layout == a2.observation_layout


def test_pd_uses_torques_and_no_muscles():
    env = WalkEnv("pd")
    env.reset(seed=0)
    for _ in range(5):
        *_, info = env.step(np.zeros(env.action_space.shape, np.float32))
    assert info["energy_metabolic"] == 0.0 and info["energy_torque"] > 0.0
    assert not info["sim_error"]


def test_the_muscle_network_never_runs_under_pd():
    task = build_task("pd")
    env = BatchEnv("pd", num_envs=2, num_threads=1, muscle_weights=nan_weights(task))
    env.reset(seed=0)
    obs, *_ = env.step(np.zeros((2, task.action_dim), np.float32))
    assert np.all(np.isfinite(obs))
    broken = BatchEnv("A2_sep", num_envs=2, num_threads=1, muscle_weights=nan_weights(build_task("A2_sep")))
    broken.reset(seed=0)
    with pytest.raises(ValueError, match="activation"):  # the same weights break the muscle-driven body
        broken.step(np.zeros((2, task.action_dim), np.float32))


@pytest.mark.parametrize("learn", [False, True])
def test_muscle_tuples_under_pd_only_when_asked(learn):
    cfg = load_env_config("pd")
    cfg.muscle.learn_under_pd = learn
    env = BatchEnv(cfg, num_envs=2, num_threads=1)
    env.reset(seed=0)
    for _ in range(3):
        env.step(np.zeros((2, env.task.action_dim), np.float32))
    tuples = env.collect_muscle_tuples()
    assert len(tuples["tau_des"]) == (6 if learn else 0)
    if learn:
        assert np.all(np.isfinite(tuples["tau_des"])) and np.abs(tuples["tau_des"]).max() > 0
        assert np.abs(tuples["JtA"]).max() > 0


def test_learn_under_pd_needs_pd():
    text = (CONFIG_DIR / "A2_sep.yaml").read_text()
    text = text.replace("  muscle:\n", "  muscle:\n    learn_under_pd: true\n")
    with pytest.raises(ConfigError, match="environment.muscle.learn_under_pd: applies to skeleton.actuator: pd"):
        parse_env_config(text, "c.yaml")
