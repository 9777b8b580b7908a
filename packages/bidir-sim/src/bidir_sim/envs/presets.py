"""Pathology presets (docs/conditions.md) as fixed conditions of another task: a preset is an env config whose
conditions are plain numbers (``crouch``: the psoas, the biceps femoris short head and the dorsiflexors shortened
on both sides). A conditioned policy sees its conditions in the observation of its own, wider task; these
functions carry a preset's values over to that task's conditions, so that some of a training batch's envs (or
an evaluation) hold the preset while the others draw from the task's ranges.

A preset's key matches the task's condition of the same name; a key without a side (``muscle.Psoas.length``)
matches the task's left and right conditions (``muscle.Psoas.left.length``, ``muscle.Psoas.right.length``) when
the task has no two-sided one. Only the preset's conditions are carried over; the rest of its config is not.
A task that observes a preset's conditions without sampling them declares them with ``sampling: default``
(examples/walk/conditions.yaml).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ConfigError
from .conditions import RANGE_TOLERANCE, config_conditions
from .config import load_env_config


def preset_conditions(preset: str | Path, conditions: list[str]) -> dict[str, float]:
    """The values ``preset`` (a shipped config's name or a YAML path) fixes, by the names in ``conditions`` (a
    task's ``conditions``). ConfigError naming the preset's key when it samples a condition (a preset fixes
    them) or the task has no condition of that name on either side; ValueError when it fixes nothing."""
    cfg = load_env_config(preset)
    values = {}
    for c in config_conditions(cfg):
        if c.range.max - c.range.min > RANGE_TOLERANCE:
            raise ConfigError(cfg.source, c.key, "a preset fixes its conditions (a plain number); this one is sampled "
                              f"over [{c.range.min:g}, {c.range.max:g}]")
        names = [c.name] if c.name in conditions else c.sided_names()
        if not names or any(n not in conditions for n in names):
            wanted = " or ".join([c.name] + ([" and ".join(names)] if names else []))
            raise ConfigError(cfg.source, c.key, f"the task has no condition {wanted} to carry it; declare it in the "
                              "task's config (observed: a range, sampling: default)")
        for n in names:
            values[n] = float(c.range.default)
    if not values:
        raise ValueError(f"preset {preset}: its config ({cfg.source}) fixes no condition")
    return values


def healthy_body(task) -> dict[str, float]:
    """Every condition of ``task`` at its default: the healthy body of a task that draws conditions."""
    return {c.name: c.default for c in task.compiled.spec.conditions}


def preset_body(preset: str | Path, task) -> dict[str, float]:
    """Every condition of ``task`` for the preset's body: the preset's values, the others at their defaults."""
    return healthy_body(task) | preset_conditions(preset, task.conditions)


def fixed_rows_problem(presets: int, envs_per_preset: int, num_envs: int, healthy_envs: int = 0) -> str | None:
    """Why a mixture's fixed rows (``presets`` x ``envs_per_preset`` preset envs and ``healthy_envs``) cannot fit
    in ``num_envs`` envs (they must leave one env drawing from the ranges), or None when they fit."""
    taken = presets * envs_per_preset + healthy_envs
    if taken < num_envs:
        return None
    healthy = f" and {healthy_envs} healthy envs" if healthy_envs else ""
    return (f"{presets} presets x {envs_per_preset} envs each{healthy} take {taken} of {num_envs} envs: at least "
            "one env must draw from the env config's ranges")


def preset_rows(task, presets: list[str], envs_per_preset: int, num_envs: int, healthy_envs: int = 0) -> np.ndarray:
    """The (num_envs, conditions) array for ``BatchEnv.fix_conditions`` of a training mixture on ``task``: the last
    ``envs_per_preset`` x ``len(presets)`` envs hold one preset's body each (preset_body), in the order given, and
    the ``healthy_envs`` before them the healthy body (healthy_body); the others draw every condition (NaN: a
    condition declared ``sampling: default`` stays at its default there too). ValueError when the fixed rows
    would take every env."""
    problem = fixed_rows_problem(len(presets), envs_per_preset, num_envs, healthy_envs)
    if problem:
        raise ValueError(problem)
    held = envs_per_preset * len(presets)
    taken = held + healthy_envs
    rows = np.full((num_envs, len(task.conditions)), np.nan)
    healthy = healthy_body(task)
    rows[num_envs - taken:num_envs - held] = [healthy[name] for name in task.conditions]
    for k, preset in enumerate(presets):
        body = preset_body(preset, task)
        first = num_envs - held + k * envs_per_preset
        rows[first:first + envs_per_preset] = [body[name] for name in task.conditions]
    return rows
