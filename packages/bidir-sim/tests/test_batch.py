"""BatchEnv: gymnasium vector API, NEXT_STEP autoreset, determinism across thread counts, muscle tuples."""

import copy

import gymnasium as gym
import numpy as np
import pytest
from bidir_sim import BatchEnv, _core
from test_task import constant_activation_weights

N = 4


def rollout(env, actions, seed=3):
    obs, _ = env.reset(seed=seed)
    out_obs, out_rew, out_done = [obs], [], []
    for a in actions:
        obs, rew, term, trunc, _ = env.step(a)
        out_obs.append(obs)
        out_rew.append(rew)
        out_done.append(term | trunc)
    return np.array(out_obs), np.array(out_rew), np.array(out_done)


@pytest.fixture(scope="module")
def actions():
    return np.random.default_rng(0).uniform(-1, 1, (40, N, 51)).astype(np.float32)


def test_make_vec_gives_the_batch_env():
    env = gym.make_vec("bidir_sim/A2_sep-v0", num_envs=3)
    assert isinstance(env, BatchEnv) and env.num_envs == 3
    assert env.observation_space.shape == (3, 506) and env.action_space.shape == (3, 51)
    assert env.metadata["autoreset_mode"] == gym.vector.AutoresetMode.NEXT_STEP


@pytest.mark.parametrize("nn_mode", ["per_env", "batched"])
@pytest.mark.slow
def test_same_seed_same_results_with_one_and_two_threads(actions, nn_mode):
    # batched with nn_batch 2: two lockstep groups, which the two threads share
    one = rollout(BatchEnv("A2_sep", num_envs=N, num_threads=1, nn_mode=nn_mode, nn_batch=2), actions)
    two = rollout(BatchEnv("A2_sep", num_envs=N, num_threads=2, nn_mode=nn_mode, nn_batch=2), actions)
    for a, b in zip(one, two):
        assert np.array_equal(a, b)
    assert one[2].any()  # episodes ended (random actions fall), so autoreset was exercised


def test_batched_network_agrees_with_per_env(actions):
    """One forward over a group equals batch-1 forwards up to float32 rounding, which the physics then
    carries along: after 8 steps the observations still agree closely, and rewards too."""
    per_env = rollout(BatchEnv("A2_sep", num_envs=N, nn_mode="per_env"), actions[:8])
    batched = rollout(BatchEnv("A2_sep", num_envs=N, num_threads=1, nn_mode="batched", nn_batch=N), actions[:8])
    assert not per_env[2].any()
    assert np.abs(per_env[0] - batched[0]).max() < 1e-2
    assert np.allclose(per_env[1], batched[1], rtol=1e-3, atol=1e-4)
    assert not np.array_equal(per_env[0], batched[0])  # the modes really differ in how they run


def test_per_env_is_the_lockstep_path_with_groups_of_one(actions):
    """BatchEnv has one step path: per_env runs lockstep groups of one env, so it equals batched with nn_batch 1
    bit for bit (autoreset included), and both count the forwards (one per env and substep)."""
    runs = {}
    for mode in ("per_env", "batched"):
        env = BatchEnv("A2_sep", num_envs=N, num_threads=2, nn_mode=mode, nn_batch=1)
        env.core.take_network_time()
        runs[mode] = rollout(env, actions)
        assert env.core.take_network_time()[1] > 0
    for a, b in zip(runs["per_env"], runs["batched"]):
        assert np.array_equal(a, b)
    assert runs["per_env"][2].any()


def test_network_modes_and_their_checks():
    assert BatchEnv("A2_sep", num_envs=8, num_threads=1).nn_mode == "batched"  # auto
    assert BatchEnv("A2_sep", num_envs=2, num_threads=1).nn_mode == "per_env"
    with pytest.raises(ValueError, match="nn_mode must be one of"):
        BatchEnv("A2_sep", num_envs=2, nn_mode="gpu")
    with pytest.raises(ValueError, match="nn_batch must be a positive integer"):
        BatchEnv("A2_sep", num_envs=2, nn_batch=0)
    with pytest.warns(UserWarning, match="1 group"):
        BatchEnv("A2_sep", num_envs=2, num_threads=2, nn_mode="batched")


def test_each_env_is_the_single_env_with_seed_plus_index(actions):
    batch = BatchEnv("A2_sep", num_envs=N, num_threads=2, nn_mode="per_env")
    obs, rewards, done = rollout(batch, actions[:8], seed=11)
    assert not done.any()
    for i in range(N):
        single = _core.Env(batch.task.compiled, batch.muscle_net, 11 + i)
        assert np.array_equal(single.reset(), obs[0, i])
        for t in range(8):
            o, r, *_ = single.step(actions[t, i])
            assert np.array_equal(o, obs[t + 1, i]) and r == rewards[t, i]


def test_next_step_autoreset(actions):
    env = BatchEnv("A2_sep", num_envs=N, num_threads=2)
    env.reset(seed=0)
    for t in range(len(actions)):
        obs, rew, term, trunc, info = env.step(actions[t])
        if (term | trunc).any():
            break
    i = int(np.flatnonzero(term | trunc)[0])
    assert info["_episode"][i] and info["episode"]["l"][i] == t + 1
    assert info["episode"]["r"][i] == pytest.approx(info["episode"]["r"][i])
    final = obs[i].copy()
    obs, rew, term, trunc, info = env.step(actions[t + 1])
    assert info["autoreset"][i] and rew[i] == 0.0 and not term[i] and not trunc[i]
    assert not np.array_equal(obs[i], final)
    assert env.core.env(i).steps == 0  # reset, and the action was ignored


def test_bad_actions_raise_before_any_env_steps():
    env = BatchEnv("A2_sep", num_envs=2, num_threads=2)
    env.reset(seed=0)
    bad = np.zeros((2, 51), np.float32)
    bad[1, 7] = np.nan
    with pytest.raises(ValueError, match=r"actions\[1, 7\] is nan"):
        env.step(bad)
    assert env.core.env(0).steps == 0
    with pytest.raises(ValueError, match=r"shape \(2, 50\), expected \(2, 51\)"):
        env.step(np.zeros((2, 50)))
    with pytest.raises(ValueError, match=r"actions must have 2 dimensions, got shape \(51,\)"):
        env.step(np.zeros(51))
    with pytest.raises(ValueError, match="must be real numbers"):
        env.step(np.full((2, 51), "x"))
    with pytest.raises(ValueError, match="reset options are not supported"):
        env.reset(options={"phase": 0.1})
    with pytest.raises(ValueError, match="render_mode 'human' is not supported"):
        BatchEnv("A2_sep", num_envs=1, render_mode="human")


def test_returned_arrays_are_not_overwritten():
    env = BatchEnv("A2_sep", num_envs=2, num_threads=1)
    first, _ = env.reset(seed=0)
    kept = first.copy()
    obs, rew, *_ = env.step(np.zeros((2, 51)))
    kept_obs, kept_rew = obs.copy(), rew.copy()
    env.step(np.ones((2, 51)))
    assert np.array_equal(first, kept) and np.array_equal(obs, kept_obs) and np.array_equal(rew, kept_rew)


def test_muscle_tuples_and_shared_weight_update():
    env = BatchEnv("A2_sep", num_envs=3, num_threads=2)
    env.set_muscle_weights(constant_activation_weights(env.muscle_net, 0.25))
    env.reset(seed=0)
    steps = 3
    for _ in range(steps):
        env.step(np.zeros((3, 51)))
    for i in range(3):
        assert np.allclose(env.core.env(i).activations, 0.25, atol=1e-6)
    tuples = env.collect_muscle_tuples()
    native = env.task.native_model
    assert tuples["tau_des"].shape == (3 * steps, 50)
    assert tuples["JtA"].shape == (3 * steps, 50, native.num_muscles)
    assert tuples["JtA_reduced"].shape == (3 * steps, native.muscle_dofs)
    assert sorted(tuples["env"].tolist()) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    row = tuples["JtA"][0]
    expected = np.concatenate([row[dofs, j] for j, dofs in enumerate(native.muscle_related_dofs)])
    mirrored = env.core.env(int(tuples["env"][0])).mirrored
    if not mirrored:
        assert np.array_equal(tuples["JtA_reduced"][0], expected)
    assert len(env.collect_muscle_tuples()["tau_des"]) == 0  # cleared


def test_yaml_text_config_and_worker_errors():
    text = "environment:\n  skeleton: {file: default, actuator: mass}\n  simulation: {sim_hz: 480, control_hz: 30}\n"
    env = BatchEnv(text, num_envs=2, num_threads=1)
    assert env.config.skeleton.actuator == "muscle_net"  # the reference's spelling, read as the canonical name
    spec = copy.copy(env.task.spec)
    spec.dof_mirror = [0]
    with pytest.raises(ValueError, match="task spec: dofMirror needs one entry per DoF"):
        _core.CompiledTask(env.task.native_model, spec)
    with pytest.raises(ValueError, match="num_envs must be a positive integer"):
        BatchEnv("A2_sep", num_envs=0)


@pytest.mark.slow
def test_bench_writes_its_json(tmp_path):
    from bidir_sim import bench

    out = tmp_path / "bench.json"
    assert bench.main(["--quick", "--json", str(out), "--mass", str(tmp_path / "no-mass")]) == 0
    import json

    report = json.loads(out.read_text())
    assert {"config", "num_muscles", "sim_hz", "control_hz", "cpu_count", "results"} <= set(report)
    combos = {(r["num_envs"], r["threads"], r["nn_mode"]) for r in report["results"]}
    assert combos == {(n, t, m) for n, t in [(1, 1), (2, 1), (2, 2), (8, 1), (8, 2), (32, 1), (32, 2)]
                      for m in ("per_env", "batched")}
    assert set(report["network_us_per_env_forward"]) == {"isolated_batch_1", "isolated_batch_32", "in_batch_env_32"}
    assert all(r["sps"] > 0 and r["ms_per_env_step"] > 0 for r in report["results"])
    for r in report["results"] + report["inference_per_sim_2"]:
        assert r["realtime_per_core"] == pytest.approx(r["sps_per_thread"] / report["control_hz"], abs=0.01)
    assert [(r["num_envs"], r["threads"]) for r in report["inference_per_sim_2"]] == [(32, 1), (32, 2)]
    parts = report["breakdown_ms_per_env_step"]
    assert parts["total"] == pytest.approx(sum(v for k, v in parts.items() if k != "total"), abs=0.01)
