"""bidir-sim: muscle-driven human gait simulation on DART with a libtorch muscle network."""

from importlib.metadata import version as _version

# torch first: its libraries (libc10, libtorch_cpu) must be loaded before the extension.
import torch  # noqa: F401

from . import (
    _core,
    envs,  # registers the gymnasium ids bidir_sim/<config>-v0
)
from .batch import BatchEnv
from .errors import CheckpointError, ConfigError, InputError, ModelError

__version__ = _version("bidir-sim")  # from pyproject.toml, the one place it is written

__all__ = ["BatchEnv", "CheckpointError", "ConfigError", "InputError", "ModelError", "__version__", "_core", "envs"]
