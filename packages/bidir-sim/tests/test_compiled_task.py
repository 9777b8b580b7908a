"""The compiled task: one per config, shared read-only by every env; the single source of sizes, the
observation layout, the muscle network's input and the reference motion."""

import numpy as np
import pytest
import torch
from bidir_sim import INFO_NAMES, BatchEnv, WalkEnv, _core, build_task, make_muscle_net
from bidir_sim.envs.task import shipped_task

RNG = np.random.default_rng(0)


@pytest.fixture(scope="module")
def task():
    return shipped_task("A2_sep")


def test_layout_tiles_the_observation(task):
    layout = task.observation_layout
    stops = [s.start for s in layout.values()][1:] + [task.observation_dim]
    assert [s.stop for s in layout.values()] == stops and next(iter(layout.values())).start == 0
    assert task.observation_dim == 506 and task.action_dim == 51 and task.has_time_warp
    assert layout["phase"] == slice(351, 353) and layout["gait_parameters"] == slice(504, 506)


def test_every_env_of_a_batch_shares_the_task(task):
    batch = BatchEnv("A2_sep", num_envs=3, num_threads=1)
    assert batch.task is task  # shipped configs compile once per process
    assert batch.core.task is task.compiled
    assert all(batch.core.env(i).task is task.compiled for i in range(3))
    assert WalkEnv("A2_sep").core.task is task.compiled


def test_the_observation_blocks_hold_what_their_names_say(task):
    env = WalkEnv("A2_sep")
    obs, _ = env.reset(seed=0, options={"phase": 0.3})
    layout = task.observation_layout
    sim = env.core.simulation
    assert obs[layout["com_height"]] == pytest.approx([0.0, sim.center_of_mass[1], 0.0], abs=1e-6)
    assert obs[layout["com_velocity"]] == pytest.approx(sim.center_of_mass_velocity, abs=1e-5)
    assert obs[layout["phase"]][1] == pytest.approx(env.core.phase % 1.0, abs=1e-6)
    info = env.unwrapped._info()
    assert obs[layout["gait_parameters"]] == pytest.approx([info["stride_ratio"], info["cadence_ratio"]], abs=1e-6)


def test_layouts_follow_the_config(task):
    deepmimic = shipped_task("deepmimic")
    assert "next_step_z" not in deepmimic.observation_layout  # a gaitnet block
    assert task.observation_layout["next_step_z"] == slice(353, 354)
    sizes = {name: s.stop - s.start for name, s in deepmimic.observation_layout.items()}
    assert sum(sizes.values()) == deepmimic.observation_dim == WalkEnv("deepmimic").observation_space.shape[0]


def test_reward_terms_are_those_of_the_reward_type(task):
    assert task.reward_terms == ["r_head_acc", "r_head_rot", "r_avg_vel", "r_step", "r_energy", "r_metabolic",
                                 "r_torque"]
    assert shipped_task("deepmimic").reward_terms[:4] == ["r_pose", "r_vel", "r_com", "r_end_effector"]
    assert set(task.reward_terms) <= set(INFO_NAMES)


def test_reference_pose_is_the_envs(task):
    env = WalkEnv("A2_sep")
    for phase in (0.0, 0.13, 0.5, 0.97):
        env.core.reset(phase=phase, stride=1.0, cadence=1.0)
        assert np.array_equal(env.core.reference_pose, task.reference_pose(phase))
    # unwrapped phases continue the motion one stride per cycle
    step = task.reference_pose(1.25) - task.reference_pose(0.25)
    assert step[5] == pytest.approx(task.compiled.reference_stride) and np.abs(np.delete(step, 5)).max() < 1e-9
    v = task.reference_velocity(0.3)
    assert v.shape == (task.compiled.num_dofs,) and np.all(np.isfinite(v))


def test_network_input_size_and_scale_come_from_the_task(task):
    net = make_muscle_net(task)
    native = task.native_model
    assert net.input_dim == task.network_input_dim == native.muscle_dofs + native.num_dofs - 6
    assert net.input_scale == task.network_input_scale == pytest.approx(1 / 200)
    wrong = _core.MuscleNet(task.network_input_dim, native.num_muscles, [256, 256, 256], 0.01)
    with pytest.raises(ValueError, match="input scale"):
        _core.Env(task.compiled, wrong, 0)
    wrong = _core.MuscleNet(task.network_input_dim + 1, native.num_muscles, [256, 256, 256], task.network_input_scale)
    with pytest.raises(ValueError, match="muscle network input is"):
        _core.BatchEnv(task.compiled, wrong, 2, 1, 0)


def test_a_bad_spec_is_a_config_error_naming_the_reason():
    from bidir_sim.errors import ConfigError

    text = "environment:\n  skeleton: {file: default}\n  reward: {metabolic: {type: A3}}\n"
    with pytest.raises(ConfigError, match="A3"):
        build_task(_parse(text))


def _parse(text):
    from bidir_sim.envs.config import parse_env_config

    return parse_env_config(text, source="<test>", name="test")


def test_one_nn_batch_default():
    task = shipped_task("A2_sep")
    net = make_muscle_net(task)
    core = _core.BatchEnv(task.compiled, net, 8, 1, 0, "batched")
    assert BatchEnv("A2_sep", num_envs=8, num_threads=1).core.nn_batch == core.nn_batch == _core.DEFAULT_NN_BATCH


def nan_network(task):
    """Finite weights whose forward overflows into inf - inf: NaN activations (a broken network)."""
    net = make_muscle_net(task)
    state = {}
    for name, (rows, cols) in zip(net.parameter_names(), net.parameter_shapes()):
        shape = (rows, cols) if name.endswith("weight") else (rows,)
        state[name] = torch.zeros(shape)
    w = torch.full((256, task.network_input_dim), 1e38)
    w[1::2] = -1e38
    state["fc.0.weight"], state["fc.2.weight"] = w, torch.ones(256, 256)
    return state


@pytest.mark.parametrize("nn_mode", ["batched", "per_env"])
def test_a_broken_network_is_an_error_naming_the_env_not_a_quiet_sim_error(task, nn_mode):
    env = BatchEnv("A2_sep", num_envs=8, num_threads=2, nn_mode=nn_mode, muscle_weights=nan_network(task))
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"env 0: activation 0 \(muscle '.*'\) is -?nan, must be in \[0, 1\]"):
        env.step(np.zeros((8, 51), np.float32))


@pytest.mark.parametrize("nn_mode", ["batched", "per_env"])
def test_real_divergence_still_ends_only_that_episode(nn_mode):
    env = BatchEnv("A2_sep", num_envs=8, num_threads=2, nn_mode=nn_mode)
    env.reset(seed=0)
    sim = env.core.env(5).simulation
    sim.velocities = np.full(len(sim.positions), 999.0)  # just inside the bound set_velocities takes
    _, _, terminated, _, infos = env.step(np.zeros((8, 51), np.float32))
    assert infos["sim_error"].tolist() == [i == 5 for i in range(8)]
    assert terminated[5] and not terminated[[0, 1, 2, 3, 4, 6, 7]].any()


def _config(inference: int) -> str:
    return ("environment:\n  skeleton: {file: default}\n"
            f"  simulation: {{sim_hz: 480, control_hz: 30, inference_per_sim: {inference}}}\n")


@pytest.mark.slow
def test_inference_per_sim_runs_the_network_every_k_substeps():
    rng = np.random.default_rng(3)
    actions = rng.uniform(-1, 1, (6, 4, 50)).astype(np.float32)  # no time warp in this config
    results = {}
    for mode in ("batched", "per_env"):
        env = BatchEnv(_config(2), num_envs=4, num_threads=2, nn_mode=mode, nn_batch=2)
        assert env.task.compiled.inference_per_sim == 2
        env.reset(seed=1)
        env.core.take_network_time()
        out = [env.step(a)[:2] for a in actions]
        if mode == "batched":
            _, calls = env.core.take_network_time()
            assert calls == 6 * 2 * (16 // 2)  # steps x groups x network substeps
        results[mode] = out
    for (o1, r1), (o2, r2) in zip(results["batched"], results["per_env"]):  # float32 rounding of the forwards
        assert np.abs(o1 - o2).max() < 1e-2 and np.allclose(r1, r2, rtol=1e-3, atol=1e-4)
    every = BatchEnv(_config(1), num_envs=4, num_threads=2, nn_batch=2)
    every.reset(seed=1)
    o_every = [every.step(a)[0] for a in actions]
    assert not np.array_equal(o_every[-1], results["batched"][-1][0])  # holding activations changes the motion


def test_inference_per_sim_must_divide_the_substeps():
    from bidir_sim.errors import ConfigError

    with pytest.raises(ConfigError, match="inference_per_sim: must divide the 16 substeps"):
        build_task(_parse(_config(3)))


def test_a_new_key_is_one_dataclass_field_and_reaches_cpp():
    """docs/architecture.md, "Adding an env config key": one field, and the generic path takes it to C++."""
    from dataclasses import dataclass, field

    from bidir_sim.envs.config import EnvConfig, SimulationConfig, config_values, key_field, leaf_keys
    from bidir_sim.errors import ConfigError

    @dataclass
    class Simulation(SimulationConfig):
        gravity_scale: float = key_field(1.0, min=0.0, max=2.0, doc="a dummy key")

    @dataclass
    class Config(EnvConfig):
        simulation: Simulation = field(default_factory=Simulation)

    cfg = Config()
    cfg.simulation.sim_hz, cfg.simulation.gravity_scale = 480, 1.5
    assert "simulation.gravity_scale" in [key for key, *_ in leaf_keys(Config)]  # so in the docs' table
    task = build_task(cfg)
    assert task.compiled.spec.config["simulation.gravity_scale"] == 1.5
    assert task.compiled.spec.config == config_values(cfg)
    cfg.simulation.gravity_scale = 3.0
    with pytest.raises(ConfigError, match=r"environment.simulation.gravity_scale: must be <= 2.0, got 3.0"):
        build_task(cfg)


def test_cpp_reads_every_key_it_needs_by_name():
    spec = shipped_task("A2_sep").compiled.spec
    config = dict(spec.config)
    del config["reward.locomotion.step.clip"]
    spec.config = config
    with pytest.raises(ValueError, match="env config: key 'reward.locomotion.step.clip' is missing"):
        _core.CompiledTask(shipped_task("A2_sep").native_model, spec)
    spec.config = {**config, "reward.locomotion.step.clip": "0.075"}
    with pytest.raises(ValueError, match="key 'reward.locomotion.step.clip' must be of type float, got str"):
        _core.CompiledTask(shipped_task("A2_sep").native_model, spec)
