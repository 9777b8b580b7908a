"""bidir-ppo: PPO for bidir-sim with a supervised muscle-network learner.

``python -m bidir_ppo.train env=A2_sep envs=32`` trains (Hydra config: bidir_ppo/config.py);
``python -m bidir_ppo.plot RUN_DIR`` draws the learning curves. The pieces: ``agent`` (actor-critic),
``muscle_learner``, ``rollout`` (the RolloutSource interface and the local BatchEnv source), ``checkpoint``
(atomic save, safe load), ``metrics`` (console, metrics.jsonl, wandb).
"""

from importlib.metadata import version as _version

__version__ = _version("bidir-ppo")  # from pyproject.toml, the one place it is written
