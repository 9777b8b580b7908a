"""The anatomical conditions of an env config (docs/conditions.md) resolved against its model: one C++
``ConditionSpec`` per key, each with its bodies or muscles and its mirror partner. C++ draws them at reset and
scales the env's own body and muscles; the model stays as compiled.

- ``parameters.skeleton.global`` scales every body but the head; ``parameters.skeleton.<bone>[.left|.right]`` a
  bone's length (a bone is a body's name without its side letter: Femur for FemurR and FemurL).
- ``parameters.torsion.<bone>[.left|.right]`` twists a bone about its long axis at its parent joint (rad,
  positive internal: femoral anteversion, the foot turned in).
- ``parameters.muscle.<selector>`` scales f0 (``force``) or the rest length (``length``) of the muscles a selector
  names: in this order of lookup, a functional group (bidir_sim.gait.groups.GROUPS, the one place the groups are
  defined), a muscle's base name (``Soleus``: every ``R_Soleus*`` and ``L_Soleus*``) or one muscle
  (``L_Soleus1``).

Without a side a key acts on both sides (one parameter); ``.left`` / ``.right`` select one.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .. import _core
from ..errors import ConfigError
from ..gait.groups import GROUPS, group_indices, muscle_side_and_base
from .config import BODY_SIDES, MUSCLE_PROPERTIES, SIDES, EnvConfig

RANGE_TOLERANCE = 1e-3  # a range narrower than this is a fixed value (as CompiledTask::isSampled)


def condition_vector(names: list[str], given, what: str) -> np.ndarray:
    """``given`` ({condition name: value}, names from ``task.conditions``) as one value per condition, NaN where
    it is drawn; ValueError naming ``what`` and the condition for an unknown name or a value it cannot take (a
    ratio <= 0; a torsion, in rad, may be any finite number)."""
    if not isinstance(given, dict):
        raise TypeError(f"{what} must be a mapping of condition -> value, got {given!r}")
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise ValueError(f"{what}: unknown {unknown}; this task's: {', '.join(names) or 'none'}")
    values = np.full(len(names), np.nan)
    for name, value in given.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not math.isfinite(value):
            raise ValueError(f"{what}: '{name}' must be a finite number, got {value!r}")
        if not name.startswith("torsion.") and not value > 0:
            raise ValueError(f"{what}: '{name}' must be a positive ratio, got {value!r}")
        values[names.index(name)] = float(value)
    return values


def drawn_conditions(task) -> list[int]:
    """The indices (in ``task.conditions``) of the conditions ``task`` draws at reset: a range wider than
    RANGE_TOLERANCE and a sampling rule other than ``default``."""
    return [i for i, c in enumerate(task.compiled.spec.conditions)
            if c.max - c.min > RANGE_TOLERANCE and c.sampling != "default"]


def selected_muscles(names: list[str], selector: str) -> list[int] | None:
    """Indices of the muscles ``selector`` (``name`` or ``name.left|right``) names in ``names``, ascending; None
    when it names none (an unknown group, base or muscle)."""
    base, _, side = selector.partition(".")
    sides = [SIDES[side]] if side else list(SIDES.values())
    if base in GROUPS:
        found = sorted(i for s in sides for i in group_indices(names, base, s))
    elif base in names:  # one muscle by its full name: its side is in the name
        parsed = muscle_side_and_base(base)
        found = [names.index(base)] if not side or (parsed and parsed[0] == SIDES[side]) else []
    else:
        found = [i for i, n in enumerate(names) if (p := muscle_side_and_base(n)) and p[1] == base and p[0] in sides]
    return found or None


def selected_bodies(names: list[str], selector: str) -> list[int] | None:
    """Indices of the bodies ``selector`` (``bone`` or ``bone.left|right``; a bone is a body's name without its
    side letter, any case) names in ``names``, ascending; None when it names none."""
    bone, _, side = selector.partition(".")
    wanted = {(bone + BODY_SIDES[s]).lower() for s in ([side] if side else BODY_SIDES)}
    return [i for i, n in enumerate(names) if n.lower() in wanted] or None


@dataclasses.dataclass(frozen=True)
class ConfigCondition:
    """One condition key of an env config: its key, its name (as in ``task.conditions``), what it acts on, its
    selector (``global``, a bone or a muscle selector, with ``.left`` / ``.right`` for one side) and its range."""
    key: str
    name: str
    target: str
    selector: str
    range: object

    def sided_names(self) -> list[str]:
        """The names of this condition on each side (``muscle.Psoas.left.length``, ...); [] for a one-sided key."""
        if self.selector.partition(".")[2] or self.target == "body_scale":
            return []
        return [self.name.replace(f".{self.selector}", f".{self.selector}.{side}", 1) for side in SIDES]


def config_conditions(cfg: EnvConfig) -> list[ConfigCondition]:
    """The condition keys of ``cfg``: the global scale, the bones, the torsions, then the muscles (selector order,
    force before length); the order of ``task.conditions``."""
    prefix = "environment.parameters"
    found = []
    for bone, r in cfg.parameters.skeleton.items():
        target = "body_scale" if bone == "global" else "bone_length"
        found.append(ConfigCondition(f"{prefix}.skeleton.{bone}", f"skeleton.{bone}", target, bone, r))
    for bone, r in cfg.parameters.torsion.items():
        found.append(ConfigCondition(f"{prefix}.torsion.{bone}", f"torsion.{bone}", "torsion", bone, r))
    for selector, condition in cfg.parameters.muscle.items():
        for prop in MUSCLE_PROPERTIES:
            r = getattr(condition, prop)
            if r is not None:
                found.append(ConfigCondition(f"{prefix}.muscle.{selector}.{prop}", f"muscle.{selector}.{prop}",
                                             f"muscle_{prop}", selector, r))
    return found


def condition_specs(cfg: EnvConfig, body_names: list[str], body_mirror: list[int], head_body: int,
                    muscle_names: list[str], muscle_mirror: list[int]) -> list:
    """The config's conditions as ``_core.ConditionSpec``s: the global scale, the bones, the torsions, then the
    muscles (selector order, force before length). A condition's mirror partner is the one of the same target on
    the mirror-image bodies or muscles (itself when they are their own mirror image, as for a key without a
    side); ConfigError naming the key when it names no body or muscle, or a sampled condition has no partner
    sampled over the same range."""
    found = []  # (key, name, target, indices, range)
    for c in config_conditions(cfg):
        if c.target == "body_scale":
            indices = [i for i in range(len(body_names)) if i != head_body]
        elif c.target.startswith("muscle_"):
            indices = selected_muscles(muscle_names, c.selector)
            if indices is None:
                raise ConfigError(cfg.source, c.key.rpartition(".")[0], f"selects no muscle of the model; a selector "
                                  f"is a group ({', '.join(GROUPS)}), a muscle's base name (e.g. Soleus) or a "
                                  "muscle's name, with .left / .right for one side (docs/conditions.md)")
        else:
            indices = _bodies(cfg, body_names, c.selector, c.key)
        found.append((c.key, c.name, c.target, indices, c.range))
    specs = []
    for key, name, target, indices, r in found:
        mirror_map = muscle_mirror if target.startswith("muscle_") else body_mirror
        image = sorted(mirror_map[j] for j in indices)
        partners = [k for k, other in enumerate(found) if other[2] == target and other[3] == image]
        mirror = len(specs) if image == indices else (partners[0] if partners else None)
        sampled = r.max - r.min > RANGE_TOLERANCE
        if mirror is None or (sampled and (found[mirror][4].min, found[mirror][4].max) != (r.min, r.max)):
            if sampled:
                raise ConfigError(cfg.source, key, "a sampled one-sided condition needs the other side's, sampled over "
                                  "the same range: the mirrored half of the cycle observes it swapped")
            mirror = len(specs)  # fixed: not observed, and the mirror image has no such condition
        specs.append(_core.ConditionSpec(name=name, target=target, indices=indices, min=r.min, max=r.max,
                                         default=r.default, sampling=r.sampling, mirror=mirror))
    return specs


def _bodies(cfg: EnvConfig, names: list[str], selector: str, key: str) -> list[int]:
    bodies = selected_bodies(names, selector)
    if bodies is None:
        bones = sorted({n[:-1] for n in names if n[-1:] in BODY_SIDES.values() and n[:-1] + "L" in names})
        raise ConfigError(cfg.source, key, f"names no bone of the model; its left/right bones: {', '.join(bones)} "
                          "(with .left / .right for one side)")
    return bodies
