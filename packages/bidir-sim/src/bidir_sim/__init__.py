"""bidir-sim: muscle-driven human gait simulation on DART with a libtorch muscle network."""

# torch first: its libraries (libc10, libtorch_cpu) must be loaded before the extension.
import torch  # noqa: F401

from . import (
    _core,
    envs,  # registers the gymnasium ids bidir_sim/<config>-v0
)
from .batch import BatchEnv
from .errors import CheckpointError, ConfigError, InputError, ModelError

__version__ = "0.1.0"

__all__ = ["BatchEnv", "CheckpointError", "ConfigError", "InputError", "ModelError", "__version__", "_core", "envs"]
