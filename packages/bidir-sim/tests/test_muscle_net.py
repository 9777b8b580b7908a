"""The C++ (libtorch) muscle network equals a PyTorch MLP with the same weights."""

import numpy as np
import pytest
import torch
from bidir_sim import _core

SCALE = _core.CompiledTask.network_input_scale


def torch_mlp(inp, out):
    fc = torch.nn.Sequential(torch.nn.Linear(inp, 256), torch.nn.LeakyReLU(0.2), torch.nn.Linear(256, 256),
                             torch.nn.LeakyReLU(0.2), torch.nn.Linear(256, 256), torch.nn.LeakyReLU(0.2),
                             torch.nn.Linear(256, out))
    return torch.nn.ModuleDict({"fc": fc})


@pytest.mark.parametrize("batch", [1, 7, 64])
def test_matches_pytorch(batch):
    torch.manual_seed(0)
    muscle_dofs, actuated, muscles = 540, 50, 164
    ref = torch_mlp(muscle_dofs + actuated, muscles)
    net = _core.MuscleNet(muscle_dofs + actuated, muscles, [256, 256, 256], SCALE)
    assert net.parameter_names() == list(ref.state_dict().keys())
    for name, value in ref.state_dict().items():
        net.set_parameter(name, value.numpy())
    rng = np.random.default_rng(batch)
    jta = rng.normal(0, 80, (batch, muscle_dofs)).astype(np.float32)
    tau = rng.normal(0, 80, (batch, actuated)).astype(np.float32)
    with torch.no_grad():
        x = torch.cat([torch.from_numpy(jta), torch.from_numpy(tau)], 1) * SCALE
        expected = torch.relu(torch.tanh(ref["fc"](x))).numpy()
    got = net.activations(jta, tau)
    assert got.shape == (batch, muscles)
    assert np.abs(got - expected).max() < 1e-5
    assert got.min() >= 0 and got.max() <= 1


def test_bad_parameters_raise():
    net = _core.MuscleNet(10, 4, [256, 256, 256], SCALE)
    with pytest.raises(ValueError, match=r"'fc.0.weight' has shape \(3, 10\), expected \(256, 10\)"):
        net.set_parameter("fc.0.weight", np.zeros((3, 10), np.float32))
    with pytest.raises(ValueError, match="unknown muscle network parameter 'fc.1.weight'"):
        net.set_parameter("fc.1.weight", np.zeros((256, 10), np.float32))
    with pytest.raises(ValueError, match="inputs have 9 columns, expected 10"):
        net.activations(np.zeros((2, 5), np.float32), np.zeros((2, 4), np.float32))


def test_seeded_initialisation_is_reproducible():
    a, b = _core.MuscleNet(10, 4, [256, 256, 256], SCALE), _core.MuscleNet(10, 4, [256, 256, 256], SCALE)
    a.initialize(3)
    b.initialize(3)
    x = np.ones((1, 6), np.float32), np.ones((1, 4), np.float32)
    assert np.array_equal(a.activations(*x), b.activations(*x))
