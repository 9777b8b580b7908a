"""bidir-sim: muscle-driven human gait simulation on DART with a libtorch muscle network."""

from importlib.metadata import version as _version

# torch first: its libraries (libc10, libtorch_cpu) must be loaded before the extension.
import torch  # noqa: F401

from . import envs  # registers the gymnasium ids bidir_sim/<config>-v0
from ._core import INFO_NAMES, MuscleNet, PhysicsDiverged, Simulation
from .batch import BatchEnv
from .envs import Task, WalkEnv, build_task
from .errors import CheckpointError, ConfigError, InputError, ModelError
from .muscle_net import load_muscle_weights, make_muscle_net

__version__ = _version("bidir-sim")  # from pyproject.toml, the one place it is written

# bidir_sim's API: the names of __all__, and the public names (no leading underscore) of the modules of
# PUBLIC_MODULES, which bidir-ppo, bidir-viewer and users may import. bidir_sim._core is the extension module
# behind them, not an API; any other module may change without notice.
PUBLIC_MODULES = ("arguments",  # argparse types and bounds shared by the commands (Bounded, input_path, ...)
                  "batch",      # BatchEnv and its limits
                  "envs",       # env configs (envs.config, envs.compose), tasks, WalkEnv
                  "errors",     # the exceptions and warnings of bad input
                  "gait",       # gait analysis
                  "io_util",    # atomic writes, safe YAML and JSON
                  "models")     # musculoskeletal models

__all__ = ["INFO_NAMES", "PUBLIC_MODULES", "BatchEnv", "CheckpointError", "ConfigError", "InputError", "ModelError",
           "MuscleNet", "PhysicsDiverged", "Simulation", "Task", "WalkEnv", "__version__", "build_task", "envs",
           "load_muscle_weights", "make_muscle_net"]
