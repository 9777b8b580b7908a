"""The C++ (libtorch) muscle network's parameters and initialisation. Its outputs are compared with the
trainer's PyTorch MuscleNet, the real class, in packages/bidir-ppo/tests/test_contract.py."""

import numpy as np
import pytest
from bidir_sim import _core

SCALE = _core.CompiledTask.network_input_scale


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
