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
