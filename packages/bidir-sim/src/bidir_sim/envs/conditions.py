"""The anatomical muscle conditions of an env config (``parameters.muscle``, docs/conditions.md) resolved against
its model: each selector's muscles, one C++ ``MuscleConditionSpec`` per selector and property, and each one's
mirror partner. C++ draws them at reset and scales the env's own muscles (f0, rest length); the model stays as
compiled.

A selector names, in this order of lookup, a functional group (bidir_sim.gait.groups.GROUPS, the one place the
groups are defined), a muscle's base name (``Soleus``: every ``R_Soleus*`` and ``L_Soleus*``) or one muscle
(``L_Soleus1``). Without a side it acts on both sides (one parameter); ``.left`` / ``.right`` select one.
"""

from __future__ import annotations

from .. import _core
from ..errors import ConfigError
from ..gait.groups import GROUPS, group_indices, muscle_side_and_base
from .config import MUSCLE_PROPERTIES, EnvConfig

SIDE_LETTERS = {"right": "r", "left": "l"}


def selected_muscles(names: list[str], selector: str) -> list[int] | None:
    """Indices of the muscles ``selector`` (``name`` or ``name.left|right``) names in ``names``, ascending; None
    when it names none (an unknown group, base or muscle)."""
    base, _, side = selector.partition(".")
    sides = [SIDE_LETTERS[side]] if side else ["r", "l"]
    if base in GROUPS:
        found = sorted(i for s in sides for i in group_indices(names, base, s))
    elif base in names:  # one muscle by its full name: its side is in the name
        parsed = muscle_side_and_base(base)
        found = [names.index(base)] if not side or (parsed and parsed[0] == SIDE_LETTERS[side]) else []
    else:
        found = [i for i, n in enumerate(names) if (p := muscle_side_and_base(n)) and p[1] == base and p[0] in sides]
    return found or None


def muscle_condition_specs(cfg: EnvConfig, muscle_names: list[str], muscle_mirror: list[int]) -> list:
    """The config's muscle conditions as ``_core.MuscleConditionSpec``s (selector order, force before length).
    A condition's mirror partner is the one of the same property on the mirror-image muscles (itself when its
    muscles are their own mirror image, as for a selector without a side); ConfigError naming the key when a
    selector names no muscle, or a sampled condition has no partner sampled over the same range."""
    found = []  # (key, name, property, muscles, range)
    for selector, condition in cfg.parameters.muscle.items():
        key = f"environment.parameters.muscle.{selector}"
        muscles = selected_muscles(muscle_names, selector)
        if muscles is None:
            raise ConfigError(cfg.source, key, f"selects no muscle of the model; a selector is a group "
                              f"({', '.join(GROUPS)}), a muscle's base name (e.g. Soleus) or a muscle's name, "
                              "with .left / .right for one side (docs/conditions.md)")
        for prop in MUSCLE_PROPERTIES:
            r = getattr(condition, prop)
            if r is not None:
                found.append((f"{key}.{prop}", f"muscle.{selector}.{prop}", prop, muscles, r))
    specs = []
    for key, name, prop, muscles, r in found:
        image = sorted(muscle_mirror[j] for j in muscles)
        partners = [k for k, other in enumerate(found) if other[2] == prop and other[3] == image]
        mirror = len(specs) if image == muscles else (partners[0] if partners else None)
        sampled = r.max - r.min > 1e-3
        if mirror is None or (sampled and (found[mirror][4].min, found[mirror][4].max) != (r.min, r.max)):
            if sampled:
                raise ConfigError(cfg.source, key, "a sampled one-sided condition needs the other side's, sampled over "
                                  "the same range: the mirrored half of the cycle observes it swapped")
            mirror = len(specs)  # fixed: not observed, and the mirror image has no such condition
        specs.append(_core.MuscleConditionSpec(name=name, property=prop, muscles=muscles, min=r.min, max=r.max,
                                               default=r.default, sampling=r.sampling, mirror=mirror))
    return specs
