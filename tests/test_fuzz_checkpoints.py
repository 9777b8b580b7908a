"""Fuzzing checkpoints (issue #18 §5): a real checkpoint with one file damaged — bytes flipped or cut,
a tensor replaced, a key lost, metadata.yaml mutated — loads and rebuilds its policy, or fails with a
CheckpointError (or the ConfigError of its env config) naming the file; no pickled code ever runs."""

from __future__ import annotations

import shutil

import pytest
import torch
from bidir_ppo import checkpoint
from bidir_sim.errors import InputError
from fuzz_support import TALLY, examples, mutated
from hypothesis import given
from hypothesis import strategies as st

pytestmark = pytest.mark.slow  # every fuzz target steps, trains or spawns: make test runs them

FILES = tuple(checkpoint.FILES.values())
METADATA = checkpoint.FILES["metadata"]


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    from bidir_ppo.train import train
    from hydra import compose, initialize

    overrides = ["envs=2", "ppo.num_steps=8", "ppo.num_minibatches=2", "model.hidden=[16,16]", "wandb.mode=disabled",
                 "muscle.minibatch_size=8", "total_steps=16"]
    with initialize(version_base=None):
        cfg = compose(config_name="train", overrides=overrides)
    return train(cfg, tmp_path_factory.mktemp("run"))


HOSTILE_TENSORS = st.sampled_from([
    torch.tensor(float("nan")), torch.full((3, 3), float("inf")), torch.zeros(0), torch.zeros(7, 7),
    torch.ones(2, dtype=torch.int64), torch.ones(2, dtype=torch.complex64), torch.ones(2, dtype=torch.bool)])


@st.composite
def damage(draw, good_dir):
    """(file name, new bytes or object) for one damaged file of the checkpoint."""
    name = draw(st.sampled_from(FILES))
    data = (good_dir / name).read_bytes()
    if name == METADATA:
        return name, draw(mutated(data.decode()))
    how = draw(st.sampled_from(["truncate", "byte", "tensor", "drop key", "not a dict"]))
    if how == "truncate":
        return name, data[: draw(st.integers(0, len(data) - 1))]
    if how == "byte":
        k = draw(st.integers(0, len(data) - 1))
        return name, data[:k] + bytes([draw(st.integers(0, 255))]) + data[k + 1:]
    state = torch.load(good_dir / name, weights_only=True)
    key = draw(st.sampled_from(sorted(state)))
    if how == "tensor":
        nan = [st.just(state[key] * float("nan"))] if isinstance(state[key], torch.Tensor) else []
        state[key] = draw(st.one_of(HOSTILE_TENSORS, *nan, st.just({"a": 1})))
    elif how == "drop key":
        del state[key]
    else:
        state = [1, 2, 3]
    return name, state


@examples(40)
@given(data=st.data())
def test_damaged_checkpoints(good, data, tmp_path_factory):
    from bidir_ppo import checkpoint, restore

    name, value = data.draw(damage(good))
    ckpt_dir = tmp_path_factory.mktemp("ckpt") / "ckpt"
    shutil.copytree(good, ckpt_dir)
    if isinstance(value, bytes):
        (ckpt_dir / name).write_bytes(value)
    else:
        torch.save(value, ckpt_dir / name)
    # a CheckpointError, or the ConfigError of a damaged env_config_text
    with TALLY.attempt("checkpoint files", InputError, str(ckpt_dir), METADATA):
        ckpt = checkpoint.load(ckpt_dir)
        task = restore.env_task(ckpt)
        agent = restore.build_agent(ckpt)
        assert torch.isfinite(agent.mean_action(torch.zeros(1, task.observation_dim))).all()
