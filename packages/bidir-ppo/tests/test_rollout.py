"""BatchEnvSource's rollout: the NEXT_STEP autoreset steps and the truncation bootstrap values GAE reads."""

import torch
from bidir_ppo.agent import Agent
from bidir_ppo.rollout import BatchEnvSource
from bidir_sim import BatchEnv, build_task
from bidir_sim.envs import load_env_config


def test_truncated_steps_carry_the_value_of_their_final_observation():
    env = load_env_config("A2_sep")
    env.horizon = 4  # control steps: every episode is cut, long before anything falls
    source = BatchEnvSource(BatchEnv(build_task(env), num_envs=2, num_threads=1, seed=3), 3, torch.device("cpu"))
    torch.manual_seed(0)
    agent = Agent(source.observation_dim, source.action_dim, [16], torch.full((source.action_dim,), -3.0))
    rollout, stats = source.collect(agent, 11)
    truncated = rollout.truncations.bool() & ~rollout.terminations.bool()
    assert truncated.sum() == 4 and not rollout.terminations.any()  # steps 3 and 8 of both envs
    assert stats.episode_lengths == [4.0] * 4
    # NEXT_STEP: the step after a truncated one ignores its action, resets, and was taken on the final observation
    t, n = truncated.nonzero(as_tuple=True)
    assert rollout.valid[t + 1, n].eq(0).all() and rollout.valid.sum() == 2 * 11 - 4
    with torch.no_grad():
        final_values = agent.get_value(rollout.obs[t + 1, n]).flatten()
    assert torch.allclose(rollout.bootstrap_values[t, n], final_values)
    assert rollout.bootstrap_values[~truncated].eq(0).all()
