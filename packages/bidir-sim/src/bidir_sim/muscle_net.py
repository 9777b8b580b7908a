"""The muscle network from Python: create one for a model and load PyTorch weights into it.

The network itself runs in C++ (libtorch) inside every physics substep; the trainer learns a PyTorch copy
with the same layout (``fc.0/2/4/6.{weight,bias}``) and pushes its ``state_dict`` here.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from . import _core
from .errors import CheckpointError

HIDDEN = (256, 256, 256)


def make_muscle_net(task, seed: int = 0, hidden=HIDDEN) -> _core.MuscleNet:
    """A muscle network for a task (a ``Task`` or its ``CompiledTask``): the task's input size, muscles and
    input scale; Xavier-initialised from ``seed``."""
    compiled = getattr(task, "compiled", task)
    net = _core.MuscleNet(compiled.network_input_dim, compiled.num_muscles, list(hidden), compiled.network_input_scale)
    net.initialize(seed)
    return net


def load_muscle_weights(net: _core.MuscleNet, weights: str | Path | Mapping) -> None:
    """Loads a ``muscle.pt`` file, or a state_dict of tensors/arrays, into ``net``.

    Raises CheckpointError naming the file and the parameter for missing, unknown, misshapen or
    non-finite weights; ``net`` is left unchanged then.
    """
    source = "<state_dict>"
    if not isinstance(weights, Mapping):
        source = str(weights)
        if not Path(source).is_file():
            raise CheckpointError(source, "file", "does not exist")
        try:
            weights = torch.load(source, map_location="cpu", weights_only=True)
        except Exception as e:  # noqa: BLE001 - truncated, foreign, pickled code: whatever the unpickler trips on
            raise CheckpointError(source, "file", f"not a PyTorch state_dict file ({type(e).__name__}: "
                                  f"{str(e)[:200]})") from None
        if not isinstance(weights, Mapping):
            raise CheckpointError(source, "file", f"holds a {type(weights).__name__}, expected a state_dict")
    expected = net.parameter_names()
    missing = [k for k in expected if k not in weights]
    unknown = [k for k in weights if k not in expected]
    if missing or unknown:
        raise CheckpointError(source, "state_dict", f"missing {missing}, unknown {unknown}; expected {expected}")
    arrays = {}
    for (name, shape) in zip(expected, net.parameter_shapes()):
        value = weights[name]
        value = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)
        if not (np.issubdtype(value.dtype, np.floating) or np.issubdtype(value.dtype, np.integer)):
            raise CheckpointError(source, name, f"has dtype {value.dtype}, expected real numbers")
        value = value.astype(np.float32)
        want = shape if name.endswith("weight") else (shape[0],)
        if value.shape != tuple(want):
            raise CheckpointError(source, name, f"has shape {value.shape}, expected {tuple(want)}")
        if not np.all(np.isfinite(value)):
            raise CheckpointError(source, name, "contains NaN or inf")
        arrays[name] = value
    for name, value in arrays.items():
        net.set_parameter(name, value)
