"""bidir-ppo: PPO for bidir-sim with a supervised muscle-network learner.

Not yet implemented: the trainer (``python -m bidir_ppo.train``) is tracked by the trainer issue and needs
the BatchEnv first. This package exists so the repository layout and installs are final.
"""

__version__ = "0.1.0"
