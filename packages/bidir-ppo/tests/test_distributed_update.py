"""learner=distributed's update is the central one: two gloo processes on loopback, each with half of a
rollout (its envs and its muscle tuples), run ppo_update, the observation-statistics merge and
MuscleLearner.update on their shards; the result equals the central update on the joined data to float
tolerance, and the two copies are bit-identical. No env, no Ray: the data are random tensors in a
rollout's shapes (with autoreset steps masked out), so the test isolates the algebra of the sharding."""

from __future__ import annotations

import os
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from bidir_ppo.agent import Agent
from bidir_ppo.allreduce import Shard, Traffic, merge_obs_stats
from bidir_ppo.config import MuscleConfig, PPOConfig
from bidir_ppo.gae import compute_gae
from bidir_ppo.muscle_learner import MuscleLearner
from bidir_ppo.rollout import Rollout, RolloutStats, concat
from bidir_ppo.train import ppo_update

T, ENVS, OBS, ACT, DOFS, MUSCLES = 16, 3, 7, 4, 5, 6  # ENVS per worker
WORKERS = 2
PPO = PPOConfig(num_minibatches=3, update_epochs=3, learning_rate=1e-3, target_kl=None, max_grad_norm=0.5)
MUSCLE = MuscleConfig(minibatch_size=8, epochs=2, learning_rate=1e-3)
SIZES = SimpleNamespace(network_input_dim=DOFS * MUSCLES + DOFS, network_input_scale=0.5,
                        compiled=SimpleNamespace(num_muscles=MUSCLES))  # the task's sizes the MuscleNet reads


def part(worker: int) -> Rollout:
    """Worker ``worker``'s chunk: T steps of ENVS envs, some autoreset steps, and its muscle tuples."""
    g = torch.Generator().manual_seed(100 + worker)
    valid = (torch.rand(T, ENVS, generator=g) > 0.2).float()
    tuples = 11 + 7 * worker  # unequal: the global minibatches straddle the workers unevenly
    obs = torch.randn(T, ENVS, OBS, generator=g) * 3 + 1
    actions, logprobs = torch.randn(T, ENVS, ACT, generator=g), torch.randn(T, ENVS, generator=g) - 4
    values, rewards = torch.randn(T, ENVS, generator=g), torch.randn(T, ENVS, generator=g)
    terminations = (torch.rand(T, ENVS, generator=g) < 0.1).float()
    next_value = torch.randn(ENVS, generator=g)
    muscle_tuples = {"tau_des": torch.randn(tuples, DOFS, generator=g).numpy() * 50,
                     "JtA_reduced": torch.randn(tuples, DOFS * MUSCLES, generator=g).numpy(),
                     "JtA": torch.randn(tuples, DOFS, MUSCLES, generator=g).numpy() * 30,
                     "env": np.zeros(tuples, np.int64)}
    # drawn last, so that the data drawn before them are those the tolerance below was measured on
    truncations = (torch.rand(T, ENVS, generator=g) < 0.05).float() * (1 - terminations)
    bootstrap_values = torch.randn(T, ENVS, generator=g) * truncations
    return Rollout(obs=obs, actions=actions, logprobs=logprobs, values=values, rewards=rewards,
                   terminations=terminations, truncations=truncations, bootstrap_values=bootstrap_values,
                   valid=valid, next_value=next_value, muscle_tuples=muscle_tuples)


def networks():
    torch.manual_seed(0)
    agent = Agent(OBS, ACT, [16, 16], torch.zeros(ACT), obs_norm=True)
    agent.obs_norm.update(torch.randn(50, OBS))  # statistics from earlier iterations
    optimizer = torch.optim.Adam(agent.parameters(), lr=PPO.learning_rate, eps=PPO.adam_eps)
    muscle = MuscleLearner(SIZES, MUSCLE, torch.device("cpu"))
    return agent, optimizer, muscle, torch.Generator().manual_seed(5)


def update(r: Rollout, transitions=None, tuples=None, traffic=None) -> dict:
    """One iteration's learning as the trainer does it; the shards make it a worker's part."""
    agent, optimizer, muscle, generator = networks()
    advantages, returns = compute_gae(r.rewards, r.values, r.terminations, r.truncations, r.bootstrap_values,
                                      r.next_value, PPO.gamma, PPO.gae_lambda)
    stats = ppo_update(agent, optimizer, r, advantages, returns, PPO, generator, transitions)
    if traffic is None:
        agent.obs_norm.update(r.obs[r.valid.bool()])
    else:
        merge_obs_stats(agent.obs_norm, r.obs[r.valid.bool()], traffic)
    stats |= muscle.update(r.muscle_tuples, generator, tuples)
    return {"stats": stats, "agent": agent.state_dict(), "muscle": muscle.net.state_dict()}


def worker_main(rank: int, store: str, out: str) -> None:
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=WORKERS)
    traffic = Traffic()
    r = part(rank)
    result = update(r, Shard.of_transitions(r.valid, traffic),
                    Shard.of_tuples(len(r.muscle_tuples["tau_des"]), traffic), traffic)
    result["allreduces"] = traffic.calls
    torch.save(result, out)
    dist.destroy_process_group()


@pytest.mark.slow
def test_a_distributed_update_equals_the_central_one(tmp_path):
    # the rendezvous in a file, gloo's own sockets on loopback: nothing listens on another interface
    env = {**os.environ, "GLOO_SOCKET_IFNAME": "lo", "OMP_NUM_THREADS": "1"}
    store = tmp_path / "store"
    procs = [subprocess.Popen([sys.executable, __file__, str(rank), str(store), str(tmp_path / f"{rank}.pt")], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for rank in range(WORKERS)]
    for p in procs:
        out, _ = p.communicate(timeout=300)
        assert p.returncode == 0, out[-3000:]
    shards = [torch.load(tmp_path / f"{rank}.pt", weights_only=False) for rank in range(WORKERS)]
    central = update(concat([(part(w), RolloutStats()) for w in range(WORKERS)])[0])

    for part_name in ("agent", "muscle"):  # the copies: bit-identical
        for k, v in shards[0][part_name].items():
            assert torch.equal(v, shards[1][part_name][k]), (part_name, k)
    before = networks()
    assert not torch.equal(central["agent"]["actor_mean.0.weight"], before[0].state_dict()["actor_mean.0.weight"])
    assert not torch.equal(central["muscle"]["fc.0.weight"], before[2].net.state_dict()["fc.0.weight"])
    # and the central update, to float tolerance: the sums are added in another order, and Adam's division by
    # the root of a gradient element's second moment magnifies that rounding where the element is near zero
    # (seen: 5e-6 after 6 muscle steps of lr 1e-3)
    for part_name in ("agent", "muscle"):
        for k, v in central[part_name].items():
            torch.testing.assert_close(shards[0][part_name][k], v, rtol=1e-5, atol=2e-5, msg=f"{part_name}.{k}")
    assert shards[0]["stats"].keys() == central["stats"].keys()
    for k, v in central["stats"].items():
        assert shards[0]["stats"][k] == pytest.approx(v, rel=1e-5, abs=1e-7), k
    # per minibatch step: the two advantage scalars and the gradients (one all-reduce each)
    steps = PPO.update_epochs * PPO.num_minibatches
    assert shards[0]["allreduces"] >= 3 * steps


if __name__ == "__main__":
    worker_main(int(sys.argv[1]), sys.argv[2], sys.argv[3])
