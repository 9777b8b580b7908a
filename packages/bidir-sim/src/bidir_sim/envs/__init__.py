"""Walking environments: configuration (the reference system's YAML schema), the task, and gymnasium ids
``bidir_sim/<config>-v0`` for every shipped config (``gymnasium.make_vec`` gives the C++ BatchEnv)."""

import gymnasium as gym

from .config import EnvConfig, load_env_config, shipped_configs
from .task import Task, build_task
from .walk_env import WalkEnv

__all__ = ["EnvConfig", "Task", "WalkEnv", "build_task", "env_id", "load_env_config", "shipped_configs"]


def env_id(config: str) -> str:
    """The gymnasium id of a shipped config: ``bidir_sim/A2_sep-v0``."""
    return f"bidir_sim/{config}-v0"


def _register() -> None:
    for name in shipped_configs():
        if env_id(name) not in gym.registry:
            gym.register(id=env_id(name), entry_point="bidir_sim.envs.walk_env:WalkEnv",
                         vector_entry_point="bidir_sim.batch:BatchEnv", kwargs={"config": name})


_register()
