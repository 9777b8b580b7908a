"""The actuators besides muscle_net_lower (issue #19 §1). pd, the ideal-torque body: SPD torques of the PD target on
every actuated DoF, no muscles and no muscle network; the same observation and action as muscle_net_lower (A2_sep).
torque: the action's joint torques, no PD, no muscles. muscle: the action's activations and the upper body's
PD residual, no muscle network. check_env runs on every shipped config in test_task.py."""

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


def step_with(env, action, steps=1):
    for _ in range(steps):
        *_, info = env.step(np.asarray(action, np.float32))
    return info


@pytest.mark.slow
def test_the_other_actuators_observe_as_a2_sep():
    a2 = build_task("A2_sep")
    torque, muscle = build_task("torque"), build_task("muscle")
    assert torque.observation_layout == muscle.observation_layout == a2.observation_layout
    assert torque.action_dim == a2.action_dim and torque.action_dofs == a2.action_dofs
    # muscle: the upper body's residual entries, one activation per muscle, the time warp
    assert muscle.action_dofs == muscle.upper_dofs
    assert muscle.action_dim == len(muscle.upper_dofs) + muscle.compiled.num_muscles + 1
    assert muscle.compiled.first_activation_action == len(muscle.upper_dofs)
    assert not (torque.uses_muscle_network or muscle.uses_muscle_network or build_task("pd").uses_muscle_network)
    assert a2.uses_muscle_network


def test_torque_applies_the_action_clipped():
    env = WalkEnv("torque")
    task = env.task
    limits = task.compiled.torque_limits
    assert limits[:6].tolist() == [0.0] * 6
    assert np.allclose(limits[6:], 0.5 * task.native_model.kp[6:])  # torque.yaml: torque_scale 0.5
    coeff = task.config.reward.metabolic.torque.coeff
    env.reset(seed=0)
    info = step_with(env, np.zeros(task.action_dim))
    assert info["energy_torque"] == 0.0 and info["energy_metabolic"] == 0.0
    for a in (1.0, 3.0, -7.0):  # |action| > 1 gives the limit: every DoF at its limit, whatever the sign
        env.reset(seed=0)
        info = step_with(env, np.full(task.action_dim, a))
        assert info["energy_torque"] == pytest.approx(coeff * limits.sum(), rel=1e-12)
    env.reset(seed=0)
    half = step_with(env, np.full(task.action_dim, 0.5))
    assert half["energy_torque"] == pytest.approx(0.5 * coeff * limits.sum(), rel=1e-12)


def test_torque_moves_the_body_it_is_told_to():
    """A hip torque turns the hip: the same start with a positive and a negative first-hip action."""
    task = build_task("torque")
    hip = task.action_dofs.index(next(d for d in task.action_dofs if d not in set(task.upper_dofs)))
    q = []
    for sign in (1.0, -1.0):
        env = WalkEnv("torque")
        env.reset(seed=0, options={"phase": 0.1})  # first half of the cycle: not mirrored
        a = np.zeros(task.action_dim)
        a[hip] = sign
        step_with(env, a, 2)
        q.append(env.core.simulation.positions[task.action_dofs[hip]])
    assert q[0] - q[1] > 0.01


@pytest.mark.slow
def test_no_network_and_no_tuples_under_torque_and_muscle():
    for name in ("torque", "muscle"):
        task = build_task(name)
        env = BatchEnv(name, num_envs=2, num_threads=1, muscle_weights=nan_weights(build_task("A2_sep")))
        env.reset(seed=0)
        for _ in range(3):
            obs, *_ = env.step(np.zeros((2, task.action_dim), np.float32))
        assert np.all(np.isfinite(obs))
        assert len(env.collect_muscle_tuples()["tau_des"]) == 0


def test_muscle_takes_the_activations_from_the_action():
    env = WalkEnv("muscle")
    task = env.task
    first, nmus = task.compiled.first_activation_action, task.compiled.num_muscles
    env.reset(seed=0, options={"phase": 0.1})
    info = step_with(env, np.zeros(task.action_dim))
    assert info["energy_metabolic"] == 0.0 and info["energy_torque"] > 0.0  # relaxed muscles; SPD above
    assert np.all(env.core.activations == 0.0)
    a = np.zeros(task.action_dim)
    a[first:first + nmus] = np.linspace(-0.5, 1.5, nmus)  # outside [0, 1] is clipped
    info = step_with(env, a)
    expected = np.clip(a[first:first + nmus], 0.0, 1.0)
    assert np.allclose(env.core.activations, expected, atol=1e-7)
    assert info["energy_metabolic"] == pytest.approx(np.sum(expected**2), rel=1e-6)  # A2: sum of a^2


def test_muscle_mirrors_the_activations_in_the_mirrored_half():
    env = WalkEnv("muscle")
    task = env.task
    first, nmus = task.compiled.first_activation_action, task.compiled.num_muscles
    env.reset(seed=0, options={"phase": 0.72})  # second half of the cycle: mirror mode
    assert env.core.mirrored
    a = np.zeros(task.action_dim)
    a[first:first + nmus] = np.linspace(0.0, 1.0, nmus)
    step_with(env, a)
    mirror = task.symmetry.muscle_mirror
    assert not np.array_equal(mirror, np.arange(nmus))  # the test can fail
    assert np.allclose(env.core.activations, a[first:first + nmus][mirror], atol=1e-7)



def survival(config, assist, steps=200):
    """Control steps the zero-action body stays up (at most ``steps``) with the pelvis assist at ``assist``."""
    env = WalkEnv(config)
    env.core.assist_scale = assist
    env.reset(seed=0)
    forces = []
    for t in range(steps):
        _, _, terminated, truncated, info = env.step(np.zeros(env.action_space.shape, np.float32))
        forces.append(info["assist_force"])
        if terminated or truncated:
            return t + 1, forces
    return steps, forces


def test_the_assist_holds_up_the_body_that_falls_without_it():
    alone, forces = survival("pd", 0.0)
    assert alone < 60 and max(forces) == 0.0  # the zero-action ideal-torque body falls after about 1 s
    held, forces = survival("pd", 1.0)
    assert held == 200 and 0.0 < np.mean(forces) < 1000.0  # N: a harness, not a crane


def test_the_assist_scale_is_checked():
    env = BatchEnv("pd", num_envs=1, num_threads=1)
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="assist scale must be finite and >= 0"):
            env.set_assist_scale(bad)
    with pytest.raises(ValueError, match="assist scale must be finite and >= 0"):
        WalkEnv("pd").core.assist_scale = -1.0


def episode_end(cfg, steps=200):
    env = WalkEnv(cfg)
    env.reset(seed=0)
    for t in range(steps):
        _, _, terminated, truncated, info = env.step(np.zeros(env.action_space.shape, np.float32))
        if terminated or truncated:
            return t + 1, info
    return steps, info


@pytest.mark.slow
def test_early_termination_on_head_drop_and_pelvis_angle():
    plain, info = episode_end(load_env_config("pd"))
    assert info["fall"] == 1.0 and info["deviated"] == 0.0
    for key, value in (("head_drop", 0.1), ("pelvis_angle", 0.2)):
        cfg = load_env_config("pd")
        setattr(cfg.termination, key, value)
        early, info = episode_end(cfg)
        assert early < plain, key
        assert info["deviated"] == 1.0 and info["fall"] == 0.0, key
