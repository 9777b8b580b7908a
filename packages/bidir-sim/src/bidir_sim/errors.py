"""Exceptions raised for bad input: each names the file, the element (or key) and the reason."""

from __future__ import annotations


class InputError(ValueError):
    """Bad input; ``str(err)`` reads ``FILE: ELEMENT: REASON`` so the user can find and fix the problem."""

    def __init__(self, source: str, element: str, reason: str):
        self.source = source
        self.element = element
        self.reason = reason
        super().__init__(f"{source}: {element}: {reason}")


class ModelError(InputError):
    """A model, muscle or motion file (or generator argument) is malformed or inconsistent."""


class ConfigError(InputError):
    """An environment config is malformed; ``key`` is the dotted config key."""

    @property
    def key(self) -> str:
        return self.element


class ConfigWarning(UserWarning):
    """A config key has no effect: the reference system ignored it too (accepted for compatibility), or it
    acts only in another setting (``action.torque_scale`` without ``skeleton.actuator: torque``, ...)."""


class CheckpointWarning(UserWarning):
    """A checkpoint is used where its numbers mean something else: a policy trained under one actuator run
    (evaluated, warm-started, viewed) under another of the same sizes."""


class CheckpointError(InputError):
    """A checkpoint or weights file (``muscle.pt``, ``agent.pt``, ``metadata.yaml``) is missing or malformed."""
