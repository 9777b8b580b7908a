"""Exceptions raised for bad input: each names the file, the element and the reason."""

from __future__ import annotations


class ModelError(ValueError):
    """A model, muscle or motion file (or generator argument) is malformed or inconsistent.

    ``str(err)`` reads ``FILE: ELEMENT: REASON`` so the user can find and fix the problem.
    """

    def __init__(self, source: str, element: str, reason: str):
        self.source = source
        self.element = element
        self.reason = reason
        super().__init__(f"{source}: {element}: {reason}")


class ConfigError(ValueError):
    """An environment config is malformed: ``str(err)`` reads ``FILE: KEY: REASON``."""

    def __init__(self, source: str, key: str, reason: str):
        self.source = source
        self.key = key
        self.reason = reason
        super().__init__(f"{source}: {key}: {reason}")


class ConfigWarning(UserWarning):
    """A config key is accepted for compatibility with the reference system but has no effect."""
