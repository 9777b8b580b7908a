"""compute_gae on hand-computed cases. gamma = lam = 0.5 keep every number exact in float32."""

import torch
from bidir_ppo.gae import compute_gae

GAMMA = LAM = 0.5
REWARDS = [1.0, 2.0, 3.0]
VALUES = [0.5, 1.0, 2.0]
NEXT_VALUE = 4.0  # V of the observation after the last step


def gae(terminated=(), truncated=(), bootstrap=None, rewards=REWARDS, values=VALUES):
    """One env over three steps; ``terminated``/``truncated``: the steps that ended an episode so."""
    column = lambda xs: torch.tensor(xs, dtype=torch.float32).reshape(-1, 1)
    flags = lambda steps: column([float(t in steps) for t in range(len(rewards))])
    boot = column(bootstrap or [0.0] * len(rewards))
    adv, ret = compute_gae(column(rewards), column(values), flags(terminated), flags(truncated), boot,
                           torch.tensor([NEXT_VALUE]), GAMMA, LAM)
    return adv.flatten().tolist(), ret.flatten().tolist()


def test_plain_steps_bootstrap_from_the_next_value():
    # delta_2 = 3 + 0.5*4 - 2 = 3;   delta_1 = 2 + 0.5*2 - 1 = 2;   delta_0 = 1 + 0.5*1 - 0.5 = 1
    # A_2 = 3;   A_1 = 2 + 0.25*3 = 2.75;   A_0 = 1 + 0.25*2.75 = 1.6875
    adv, ret = gae()
    assert adv == [1.6875, 2.75, 3.0]
    assert ret == [2.1875, 3.75, 5.0]


def test_a_terminated_step_looks_no_further_than_its_reward():
    # step 1 ends the episode in a terminal state; step 2 is the autoreset step
    # A_1 = delta_1 = 2 - 1 = 1;   A_0 = 1 + 0.25*1 = 1.25
    adv, _ = gae(terminated={1})
    assert adv[:2] == [1.25, 1.0]


def test_a_truncated_step_bootstraps_from_its_final_observation():
    # step 1 cut by the horizon, V(final observation) = 6, not values[2] (the autoreset step's)
    # A_1 = delta_1 = 2 + 0.5*6 - 1 = 4;   A_0 = 1 + 0.25*4 = 2
    adv, _ = gae(truncated={1}, bootstrap=[0.0, 6.0, 0.0])
    assert adv[:2] == [2.0, 4.0]


def test_truncation_at_the_last_step_ignores_the_next_value():
    # next_value (4) is V of the reset observation there; the final one's is 8
    # A_2 = 3 + 0.5*8 - 2 = 5;   A_1 = 2 + 0.5*2 - 1 + 0.25*5 = 3.25;   A_0 = 1 + 0.25*3.25 = 1.8125
    adv, _ = gae(truncated={2}, bootstrap=[0.0, 0.0, 8.0])
    assert adv == [1.8125, 3.25, 5.0]


def test_termination_wins_over_truncation_at_the_same_step():
    adv, _ = gae(terminated={1}, truncated={1}, bootstrap=[0.0, 6.0, 0.0])
    assert adv[:2] == [1.25, 1.0]


def test_the_autoreset_step_does_not_reach_the_episode_before():
    # whatever the autoreset step (2) holds (reward 0, the value of the final observation), the advantages of the
    # ended episode stay; its own advantage (0 + 0.5*4 - 2 = 0 here) is masked out by the caller
    for ended in ({"terminated": {1}}, {"truncated": {1}, "bootstrap": [0.0, 6.0, 0.0]}):
        adv, _ = gae(**ended)
        other, _ = gae(**ended, rewards=[1.0, 2.0, 0.0], values=[0.5, 1.0, 40.0])
        assert other[:2] == adv[:2]
        assert other[2] == 0.0 + GAMMA * NEXT_VALUE - 40.0


def test_envs_are_independent():
    column = torch.tensor([[1.0, 1.0], [2.0, 2.0]])
    zeros = torch.zeros(2, 2)
    terminated = torch.tensor([[0.0, 1.0], [0.0, 0.0]])
    adv, _ = compute_gae(column, zeros, terminated, zeros, zeros, torch.zeros(2), GAMMA, LAM)
    # env 0: A_1 = 2, A_0 = 1 + 0.25*2 = 1.5;  env 1 ends at step 0: A_0 = 1
    assert adv.tolist() == [[1.5, 1.0], [2.0, 2.0]]
