"""Damaged or foreign checkpoints (issue #18 §4): each is refused at load, naming the file, the key and the
reason, before anything is built; before, they surfaced as torch errors that named neither."""

import shutil

import pytest
import torch
from bidir_ppo import checkpoint, evaluate, restore
from bidir_ppo.train import train
from bidir_sim.errors import CheckpointError
from test_train import config


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    run = tmp_path_factory.mktemp("run")
    return train(config("total_steps=16"), run)


@pytest.fixture
def copy(good, tmp_path):
    path = tmp_path / "ckpt"
    shutil.copytree(good, path)
    return path


def test_nan_weights_name_the_file_and_tensor(copy):
    for name, key in (("agent.pt", "actor_mean.0.weight"), ("muscle.pt", "fc.2.bias")):
        state = torch.load(copy / name, weights_only=True)
        original = state[key].clone()
        state[key].view(-1)[3] = float("nan")
        torch.save(state, copy / name)
        with pytest.raises(CheckpointError, match=rf"{name}: {key}: has 1 NaN or infinite value\(s\) of \d+"):
            checkpoint.load(copy)
        state[key] = original
        torch.save(state, copy / name)
    checkpoint.load(copy)  # restored: loads again


def test_weights_must_be_real_tensors(copy):
    state = torch.load(copy / "agent.pt", weights_only=True)
    state["critic.0.bias"] = state["critic.0.bias"].to(torch.complex64)
    torch.save(state, copy / "agent.pt")
    with pytest.raises(CheckpointError, match="agent.pt: critic.0.bias: has dtype torch.complex64"):
        checkpoint.load(copy)


def test_garbage_state_names_the_missing_key(copy):
    torch.save({"rng": 1}, copy / "state.pt")
    with pytest.raises(CheckpointError, match="state.pt: torch_rng: missing, expected a Tensor"):
        checkpoint.load(copy)
    torch.save({"torch_rng": torch.get_rng_state(), "generator": torch.Generator().get_state()}, copy / "state.pt")
    torch.save({"agent": {}, "muscle": [1]}, copy / "optimizers.pt")
    with pytest.raises(CheckpointError, match="optimizers.pt: muscle: a list, expected a dict"):
        checkpoint.load(copy)


def test_metadata_values_are_typed(copy):
    meta = copy / "metadata.yaml"
    text = meta.read_text()
    meta.write_text(text.replace("action_dim: 51", "action_dim: fifty"))
    with pytest.raises(CheckpointError, match="metadata.yaml: action_dim: must be an integer in \\[1, 1048576\\], got .fifty."):
        checkpoint.load(copy)
    meta.write_bytes(text.encode().replace(b"action_dim: 51", b"action_dim: 5\xff"))
    with pytest.raises(CheckpointError, match=r"metadata.yaml: line \d+: is not UTF-8 text"):
        checkpoint.load(copy)


@pytest.mark.slow
def test_a_checkpoint_of_other_dims_fails_before_torch(copy, capsys):
    meta = copy / "metadata.yaml"
    meta.write_text(meta.read_text().replace("obs_dim: 506", "obs_dim: 503"))
    ckpt = checkpoint.load(copy)
    with pytest.raises(CheckpointError, match="obs/action dims 503/51, the env 'A2_sep' has 506/51"):
        restore.env_task(ckpt)
    assert evaluate.main([str(copy), "--episodes", "1"]) == 2
    assert "the env 'A2_sep' has 506/51" in capsys.readouterr().err
    from bidir_viewer.playback import from_checkpoint

    with pytest.raises(CheckpointError, match="the env 'A2_sep' has 506/51"):
        from_checkpoint(copy)
