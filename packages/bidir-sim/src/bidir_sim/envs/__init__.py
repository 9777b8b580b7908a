"""Walking environments: configuration (the reference system's YAML schema) and, next, the task."""

from .config import EnvConfig, load_env_config, shipped_configs

__all__ = ["EnvConfig", "load_env_config", "shipped_configs"]
