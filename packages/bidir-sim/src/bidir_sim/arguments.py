"""Checks of the arguments users pass to the envs (counts, seeds, action arrays): a ValueError naming the
argument and the reason, never a raw pybind11 TypeError or a numpy warning; and of the command lines'
arguments: output files (``output_file``) and numbers (``Bounded``: every numeric option of every bidir
command has a documented range, checked when the command line is parsed; docs/reliability.md lists them).

Public API: bidir-ppo and bidir-viewer use ``Bounded``, ``output_file`` and ``SEED_MAX`` for their command
lines."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np


def positive_int(name: str, value) -> int:
    """A positive Python or numpy integer as an int; ValueError naming the argument otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def env_seed(seed, num_envs: int) -> int:
    """A seed for envs seeded seed + i (i < num_envs): an integer whose seeds fit the generators' 64 bits."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= 2**64 - num_envs:
        raise ValueError(f"seed must be an integer in [0, 2**64 - num_envs], got {seed!r}")
    return int(seed)


def as_float32_actions(actions: np.ndarray, name: str, ndim: int) -> np.ndarray:
    """Real actions as a contiguous float32 array of ``ndim`` dimensions; ValueError for another rank (which the
    C++ binding could not even receive), complex or non-numeric ones and values that do not fit float32. The
    sizes and NaN/inf are checked by the C++ core, naming the index."""
    if actions.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension{'s' * (ndim > 1)}, got shape {actions.shape}")
    if not (np.issubdtype(actions.dtype, np.floating) or np.issubdtype(actions.dtype, np.integer)):
        raise ValueError(f"{name} must be real numbers, got dtype {actions.dtype}")
    if actions.dtype.itemsize <= 4:  # float32 and narrower, and int32: nothing to overflow
        return np.ascontiguousarray(actions, dtype=np.float32)
    too_large = np.isfinite(actions) & (np.abs(actions) > np.finfo(np.float32).max)
    if too_large.any():
        index = tuple(int(i) for i in np.argwhere(too_large)[0])
        raise ValueError(f"{name}[{', '.join(map(str, index))}] = {actions[index]!r} overflows float32")
    return np.ascontiguousarray(actions, dtype=np.float32)


SEED_MAX = 2**31 - 1  # the commands' --seed: env i is seeded seed + i, torch with seed


class Bounded:
    """argparse ``type=`` for a number in a range, refused at parse time with the range and the value:
    ``p.add_argument("--fps", type=Bounded(int, 1, 120))``. ``low_open``: the lower bound itself is
    excluded (``(0, 100]``). NaN is never in a range; an integer option refuses ``1e9`` and ``2.5``."""

    def __init__(self, kind: type, low, high, low_open: bool = False):
        if kind not in (int, float):
            raise TypeError(f"Bounded takes int or float, got {kind!r}")
        self.kind, self.low, self.high, self.low_open = kind, kind(low), kind(high), low_open
        self.__name__ = "an integer" if kind is int else "a number"  # argparse names the type by it

    @property
    def range_text(self) -> str:
        """The range as docs/reliability.md writes it: ``[1, 120]`` or ``(0, 3600]``."""
        def text(v):
            return str(v) if self.kind is int else f"{v:g}"

        return f"{'(' if self.low_open else '['}{text(self.low)}, {text(self.high)}]"

    def __call__(self, text: str):
        try:
            value = self.kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {self.__name__}; the range is "
                                             f"{self.range_text}") from None
        above = value > self.low if self.low_open else value >= self.low
        if not (above and value <= self.high):  # NaN fails both
            raise argparse.ArgumentTypeError(f"must be in {self.range_text}, got {text}")
        return value

    def __repr__(self) -> str:
        return f"Bounded({self.kind.__name__}, {self.range_text})"


def input_path(text: str) -> str:
    """argparse ``type=`` for a file or directory a command reads: an empty name is refused (it would read as
    "not given", or as the working directory)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty; give a path")
    return text


def output_file(text: str) -> Path:
    """argparse ``type=`` for a file a command will write: refused at once (with the reason) when it is a
    directory or its folder cannot be created, rather than failing after the work is done."""
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty; give a file name")
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a directory; give a file name")
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise argparse.ArgumentTypeError(f"{text}: cannot create a file under {parent}")
    return path


def condition_argument(text: str) -> tuple[str, float]:
    """A ``--condition NAME=VALUE`` argument (an anatomical condition, docs/conditions.md) as (name, value); the
    env checks the name and the value at reset."""
    name, sep, value = text.partition("=")
    try:
        number = float(value)
    except ValueError:
        number = None
    if not sep or not name or number is None:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE with a number, e.g. skeleton.global=0.9, got {text!r}")
    return name, number
