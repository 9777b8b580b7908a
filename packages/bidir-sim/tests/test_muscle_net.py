"""The C++ (libtorch) muscle network's parameters and initialisation, and the weights it refuses. Its outputs are compared with the
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


def test_complex_weights_are_refused_naming_the_tensor():
    import torch
    from bidir_sim import build_task, load_muscle_weights, make_muscle_net
    from bidir_sim.errors import CheckpointError

    net = make_muscle_net(build_task("A2_sep"))
    state = {n: torch.zeros(s if n.endswith("weight") else (s[0],))
             for n, s in zip(net.parameter_names(), net.parameter_shapes())}
    state["fc.4.weight"] = state["fc.4.weight"].to(torch.complex64)  # was: numpy's ComplexWarning, then accepted
    with pytest.raises(CheckpointError, match="<state_dict>: fc.4.weight: has dtype complex64, expected real"):
        load_muscle_weights(net, state)
