"""The walking task (C++ Env behind gymnasium): spaces, seeding, mirror mode, rewards, episode ends, bad input."""

import math
import warnings

import gymnasium as gym
import numpy as np
import pytest
import torch
from bidir_sim import _core
from bidir_sim.envs import WalkEnv, env_id, shipped_configs
from bidir_sim.envs.config import parse_env_config
from bidir_sim.errors import CheckpointError, ConfigError, ConfigWarning
from bidir_sim.motion.walk import walking_reference
from gymnasium.utils.env_checker import check_env

INFO = {name: i for i, name in enumerate(_core.INFO_NAMES)}
NUM_BODIES = 23
PHASE_SLICE = slice(3 + 3 * NUM_BODIES + 6 * NUM_BODIES + 3 * NUM_BODIES + 3 + 3 * NUM_BODIES, None)


@pytest.fixture(scope="module")
def env():
    return WalkEnv("A2_sep")


@pytest.mark.parametrize("config", shipped_configs())
def test_check_env_passes(config):
    e = gym.make(env_id(config))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*Box observation space (minimum|maximum) value is")
        check_env(e.unwrapped, skip_render_check=True)


def test_a2_sep_dimensions(env):
    assert env.observation_space.shape == (506,) and env.observation_space.dtype == np.float32
    assert env.action_space.shape == (51,)
    assert env.task.network_input_dim == 600
    obs, info = env.reset(seed=0)
    assert obs.shape == (506,) and obs.dtype == np.float32
    # COM block: height only
    assert obs[0] == 0 and obs[2] == 0 and 0.8 < obs[1] < 1.1
    assert set(info) == set(_core.INFO_NAMES)


def test_seeding_is_reproducible(env):
    a = np.random.default_rng(0).uniform(-1, 1, (5, 51)).astype(np.float32)

    def rollout(seed):
        obs, _ = env.reset(seed=seed)
        out = [obs]
        for x in a:
            out.append(env.step(x)[0])
        return np.array(out)

    first, again, other = rollout(7), rollout(7), rollout(8)
    assert np.array_equal(first, again)
    assert not np.array_equal(first[0], other[0])


def test_reference_interpolation_matches_python(env):
    ref = walking_reference(env.task.model)
    core = env.core
    for phase in (0.0, 0.123, 0.5, 0.987):
        core.reset(phase=phase, stride=1.0, cadence=1.0)
        q_cpp, q_py = core.reference_pose, ref.pose(phase)
        assert np.abs(q_cpp - q_py).max() < 1e-9


def test_reset_options_and_bad_input(env):
    env.reset(seed=0, options={"phase": 0.25, "stride": 1.1, "cadence": 0.9})
    assert env.core.info[INFO["stride_ratio"]] == 1.1 and env.core.info[INFO["cadence_ratio"]] == 0.9
    with pytest.raises(ValueError, match="unknown \\['speed'\\]"):
        env.reset(options={"speed": 1.0})
    with pytest.raises(ValueError, match="action\\[7\\] is nan"):
        env.step(np.where(np.arange(51) == 7, np.nan, 0.0))
    with pytest.raises(ValueError, match="action\\[50\\] is inf"):
        env.step(np.where(np.arange(51) == 50, np.inf, 0.0))
    with pytest.raises(ValueError, match="action has 50 values, expected 51"):  # checked once, in C++
        env.step(np.zeros(50))
    with pytest.raises(ValueError, match=r"action must have 1 dimension, got shape \(1, 51\)"):
        env.step(np.zeros((1, 51)))


def test_step_before_reset_raises():
    core = WalkEnv("A2_sep").core
    with pytest.raises(RuntimeError, match="before reset"):
        core.step(np.zeros(51, np.float32))


def test_mirrored_state_gives_mirrored_observation(env):
    sym = env.task.symmetry
    core, sim = env.core, env.core.simulation
    rng = np.random.default_rng(3)
    env.reset(seed=0)
    ref = walking_reference(env.task.model)
    q = ref.pose(0.3)
    q[6:] += rng.normal(0, 0.1, q.size - 6)
    dq = rng.normal(0, 0.5, q.size)
    sim.positions, sim.velocities = q, dq
    mirrored_view = core.compute_observation(True)
    assert np.abs(mirrored_view - core.compute_observation(False)).max() > 0.1  # the test can fail
    sim.positions, sim.velocities = sym.mirror_dofs(q), sym.mirror_dofs(dq)
    of_mirror_state = core.compute_observation(False)
    body, rest = slice(0, PHASE_SLICE.start), slice(PHASE_SLICE.start + 2, None)
    assert np.abs(mirrored_view[body] - of_mirror_state[body]).max() < 1e-5
    # the muscle joint state depends on the mirrored muscle geometry: equal to float precision
    assert np.abs(mirrored_view[rest] - of_mirror_state[rest]).max() < 1e-4
    phases = mirrored_view[PHASE_SLICE][:2], of_mirror_state[PHASE_SLICE][:2]
    assert np.allclose((phases[0] - phases[1]) % 1.0, 0.5, atol=1e-6)


def test_mirrored_step_mirrors_the_action(env):
    sym = env.task.symmetry
    env.reset(seed=0, options={"phase": 0.72})  # second half of the cycle: mirror mode
    assert env.core.mirrored
    action = np.random.default_rng(1).uniform(-1, 1, 51).astype(np.float32)
    env.step(action)
    offset = 0.04 * sym.mirror_dofs(np.concatenate([np.zeros(6), action[:50]]))
    target, ref = env.core.target, env.core.reference_pose
    model = env.task.model
    for b, o in model.dof_offsets().items():
        joint = model.bodies[model.body_index[b]].joint.type
        if joint == "revolute":
            assert target[o] - ref[o] == pytest.approx(offset[o], abs=1e-6)
        elif joint == "ball":
            from scipy.spatial.transform import Rotation as R

            rel = R.from_rotvec(ref[o:o + 3]).inv() * R.from_rotvec(target[o:o + 3])
            assert np.abs(rel.as_rotvec() - offset[o:o + 3]).max() < 1e-6


def constant_activation_weights(net, c):
    """A state_dict that makes every activation exactly c: zero weights, last bias atanh(c)."""
    weights = {}
    for name, shape in zip(net.parameter_names(), net.parameter_shapes()):
        weights[name] = np.zeros(shape if name.endswith("weight") else shape[0], np.float32)
    last_bias = net.parameter_names()[-1]
    weights[last_bias][:] = math.atanh(c)
    return weights


@pytest.mark.parametrize(("config", "energy"), [("A2_sep", lambda c, m: len(m) * c * c),
                                                 ("A_sep", lambda c, m: len(m) * c),
                                                 ("MA2_sep", lambda c, m: float(np.sum(m)) * c * c)])
def test_metabolic_energy_and_gaitnet_reward(config, energy):
    e = WalkEnv(config)
    c = 0.3
    e.set_muscle_weights(constant_activation_weights(e.muscle_net, c))
    e.reset(seed=2)
    _, reward, *_, info = e.step(np.zeros(51))
    assert np.allclose(e.core.activations, c, atol=1e-6)
    masses = e.task.native_model.muscle_masses
    assert info["energy_metabolic"] == pytest.approx(energy(c, masses), rel=1e-5)
    met = e.config.reward.metabolic
    assert info["r_metabolic"] == pytest.approx(math.exp(-met.weight * info["energy_metabolic"]), rel=1e-9)
    assert info["r_torque"] == pytest.approx(math.exp(-met.weight * info["energy_torque"]), rel=1e-9)
    assert info["energy_torque"] > 0  # muscle_net_lower: SPD drives the upper body
    loc = e.config.reward.locomotion
    assert info["r_head_acc"] == pytest.approx(math.exp(-loc.head_linear_acc_weight *
                                                        info["head_velocity_change"] ** 2 / 3), rel=1e-9)
    assert info["r_head_rot"] == pytest.approx(math.exp(-loc.head_rot_weight * info["head_angle"] ** 2), rel=1e-9)
    step_term = 1.0 if info["step_error"] <= loc.step.clip else math.exp(-loc.step.weight * info["step_error"])
    assert info["r_step"] == pytest.approx(step_term, rel=1e-9)
    product = 1.0
    for term in ("r_head_acc", "r_head_rot", "r_avg_vel", "r_step", "r_drag_x", "r_knee", "r_knee_max", "r_energy"):
        assert 0.0 < info[term] <= 1.0
        product *= info[term]
    assert reward == pytest.approx(product, rel=1e-9)


def imitating(weight: float, knee: float = 1.0, ankle: float = 1.0):
    return parse_env_config(f"base: pd\nenvironment:\n  reward:\n    imitation: {{weight: {weight}, knee_weight: {knee}, "
                            f"ankle_weight: {ankle}}}\n", name="imitation")


def test_the_imitation_factor_scores_the_legs_pose_against_the_reference():
    plain = WalkEnv("pd")
    assert "r_imitation" not in plain.task.reward_terms  # weight 0 (every shipped config): no factor
    legs, offsets = plain.task.leg_dofs, plain.task.model.dof_offsets()
    assert sorted(legs + plain.task.upper_dofs) == list(range(6, plain.task.model.num_dofs))
    assert {offsets[b] for b in ("FemurR", "TibiaR", "TalusR", "FemurL", "TibiaL", "TalusL")} <= set(legs)
    factors = {}
    for weight in (2.0, 4.0):
        e = WalkEnv(imitating(weight))
        assert "r_imitation" in e.task.reward_terms
        runs = []
        for push in (0.0, 5.0):  # the reference's PD target, then one pushed away from it on every DoF
            e.reset(seed=3)
            run = []
            for _ in range(6):
                _, reward, *_, info = e.step(np.full(e.action_space.shape, push, np.float32))
                factors_of_reward = [info[t] for t in e.task.reward_terms if t not in ("r_metabolic", "r_torque")]
                assert reward == pytest.approx(math.prod(factors_of_reward), rel=1e-9)
                run.append(info["r_imitation"])
            runs.append(run)
        factors[weight] = np.array(runs)
    assert np.all((factors[2.0] > 0) & (factors[2.0] < 1))
    # the reward does not act on the physics, so both weights see the same poses: exp(-w e) with the same e
    assert np.allclose(factors[4.0], factors[2.0] ** 2, rtol=1e-9)
    assert np.all(factors[2.0][1, 2:] < factors[2.0][0, 2:])  # pushed off the reference, the legs score lower


def test_the_imitation_factor_weighs_knees_and_ankles_by_their_keys():
    """-log r = w Σ gᵢ eᵢ² / Σ gᵢ: the knees' (1 DoF each) and ankles' (3 each) squared errors, found from three
    weightings of the same poses (the reward does not act on the physics), predict a fourth."""
    legs = len(WalkEnv("pd").task.leg_dofs)  # 18: per side 3 hip, 1 knee, 3 ankle, 2 toe DoFs
    knees, ankles, w = 2, 6, 2.0

    def losses(knee, ankle):
        e = WalkEnv(imitating(w, knee, ankle))
        e.reset(seed=5)
        out = []
        for _ in range(5):
            info = e.step(np.full(e.action_space.shape, 3.0, np.float32))[-1]
            out.append(-math.log(info["r_imitation"]) / w)
        return np.array(out)

    plain, no_knee, no_ankle = losses(1, 1), losses(0, 1), losses(1, 0)
    knee_sum = plain * legs - no_knee * (legs - knees)  # Σ e² over the knee DoFs
    ankle_sum = plain * legs - no_ankle * (legs - ankles)
    rest = plain * legs - knee_sum - ankle_sum  # hips and toes
    assert np.all(knee_sum > 0) and np.all(ankle_sum > 0) and np.all(rest > 0)
    predicted = (4 * knee_sum + 2 * ankle_sum + rest) / (4 * knees + 2 * ankles + legs - knees - ankles)
    assert np.allclose(losses(4, 2), predicted, rtol=1e-9)
    assert np.array_equal(losses(1, 1), plain)  # weights 1: the plain mean, bit for bit


def test_imitation_joint_weights_need_the_factor():
    text = "base: pd\nenvironment:\n  reward:\n    imitation: {knee_weight: 3}\n"
    with pytest.warns(ConfigWarning, match="reward.imitation.knee_weight: has no effect"):
        parse_env_config(text, name="knee")
    with pytest.raises(ConfigError, match="reward.imitation.ankle_weight"):
        imitating(10.0, ankle=-1.0)
    with warnings.catch_warnings():  # the plain mean's weight, 1, is what no factor does anyway: no warning
        warnings.simplefilter("error", ConfigWarning)
        parse_env_config("base: pd\nenvironment:\n  reward:\n    imitation: {knee_weight: 1, ankle_weight: 1}\n",
                         name="plain")


def config_text(**overrides):
    text = "environment:\n  skeleton: {file: default, actuator: %s}\n  simulation: {sim_hz: 480, control_hz: 30}\n"
    text += "  action: {scale: 0.04, time_warping: 0.001}\n  reward: {type: gaitnet}\nHorizon: %d\n"
    return parse_env_config(text % (overrides.get("actuator", "muscle_net_lower"), overrides.get("horizon", 600)),
                            name="test")


def test_truncation_at_horizon_is_not_termination():
    e = WalkEnv(config_text(horizon=4))
    e.reset(seed=0, options={"phase": 0.07})
    flags = [e.step(np.zeros(51))[2:4] for _ in range(4)]
    assert flags[:3] == [(False, False)] * 3
    assert flags[3] == (False, True)


def test_falling_terminates(env):
    env.reset(seed=4)
    for step in range(300):
        _, _, terminated, truncated, info = env.step(np.zeros(51))
        if terminated:
            break
    assert terminated and not truncated and info["fall"] and not info["sim_error"]
    assert env.core.simulation.center_of_mass[1] < env.task.spec.fall_height


def test_muscle_net_actuator_has_no_torque_energy():
    e = WalkEnv(config_text(actuator="muscle_net"))
    e.reset(seed=0)
    *_, info = e.step(np.zeros(51))
    assert info["energy_torque"] == 0.0 and info["r_torque"] == 1.0


def test_diverged_physics_ends_the_episode_cleanly(env):
    env.reset(seed=0)
    q = env.core.simulation.positions
    env.core.simulation.velocities = np.full(q.size, 999.0)  # the bound is 1000: diverges within a step
    obs, reward, terminated, truncated, info = env.step(np.zeros(51))
    assert terminated and not truncated and info["sim_error"] and reward == 0.0
    assert np.all(np.isfinite(obs))
    assert np.array_equal(env.core.simulation.positions, q)


def test_muscle_tuple_is_consistent(env):
    env.reset(seed=0, options={"phase": 0.1})
    env.step(np.zeros(51))
    tau, reduced, jta = env.core.muscle_tuple
    native = env.task.native_model
    assert tau.shape == (50,) and reduced.shape == (native.muscle_dofs,) and jta.shape == (50, native.num_muscles)
    expected = np.concatenate([jta[dofs, j] for j, dofs in enumerate(native.muscle_related_dofs)])
    assert np.array_equal(reduced, expected)
    assert np.all(np.isfinite(tau)) and np.abs(tau).max() > 1.0


def test_muscle_weights_file_round_trip_and_errors(env, tmp_path):
    weights = constant_activation_weights(env.muscle_net, 0.2)
    path = tmp_path / "muscle.pt"
    torch.save({k: torch.from_numpy(v) for k, v in weights.items()}, path)
    e = WalkEnv("A2_sep", muscle_weights=path)
    e.reset(seed=0)
    e.step(np.zeros(51))
    assert np.allclose(e.core.activations, 0.2, atol=1e-6)
    bad = dict(weights)
    bad["fc.2.weight"] = np.zeros((3, 3), np.float32)
    with pytest.raises(CheckpointError, match="fc.2.weight: has shape \\(3, 3\\), expected \\(256, 256\\)"):
        e.set_muscle_weights(bad)
    bad["fc.2.weight"] = np.full((256, 256), np.nan, np.float32)
    with pytest.raises(CheckpointError, match="fc.2.weight: contains NaN"):
        e.set_muscle_weights(bad)
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="junk.pt: file: not a PyTorch state_dict"):
        e.set_muscle_weights(tmp_path / "junk.pt")


@pytest.mark.slow
def test_random_actions_never_produce_nan():
    """10,000 control steps of random actions in [-1, 1] across many resets: finite observations and rewards."""
    e = WalkEnv("A2_sep")
    rng = np.random.default_rng(0)
    obs, _ = e.reset(seed=0)
    episodes, errors = 1, 0
    for _ in range(10_000):
        obs, reward, terminated, truncated, info = e.step(rng.uniform(-1, 1, 51).astype(np.float32))
        assert np.all(np.isfinite(obs)) and math.isfinite(reward)
        errors += info["sim_error"]
        if terminated or truncated:
            obs, _ = e.reset()
            assert np.all(np.isfinite(obs))
            episodes += 1
    assert episodes > 20
    assert errors == 0  # random actions are well inside what the physics handles
