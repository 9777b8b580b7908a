"""Functional muscle groups, defined once: the gait report's muscle panels and EMG comparison use them, and the
anatomical conditions select muscles by them (``parameters.muscle.<group>``, bidir_sim.envs.conditions).

A group lists muscle base names; a muscle belongs to it when its name is ``<R|L>_<base><digits>`` (the
default model's and MASS's naming, e.g. ``R_Gluteus_Medius2``). Groups may overlap (``soleus`` is in
``plantarflexors``): the narrow ones are those of surface-EMG studies, the broad ones are functional.
"""

from __future__ import annotations

import re

GROUPS: dict[str, tuple[str, ...]] = {
    # narrow: one muscle (or a muscle's heads), as surface EMG records them
    "gluteus_maximus": ("Gluteus_Maximus",),
    "gluteus_medius": ("Gluteus_Medius",),
    "iliopsoas": ("Psoas", "Iliacus"),
    "rectus_femoris": ("Rectus_Femoris",),
    "vasti": ("Vastus_Lateralis", "Vastus_Medialis", "Vastus_Intermedius"),
    "hamstrings": ("Biceps_Femoris_Long", "Semimembranosus", "Semitendinosus"),
    "tibialis_anterior": ("Tibialis_Anterior",),
    "gastrocnemius": ("Gastrocnemius_Medial", "Gastrocnemius_Lateral"),
    "soleus": ("Soleus",),
    # broad: functional groups
    "hip_flexors": ("Psoas", "Iliacus", "Rectus_Femoris", "Sartorius", "Tensor_Fasciae_Latae"),
    "hip_extensors": ("Gluteus_Maximus", "Biceps_Femoris_Long", "Semimembranosus", "Semitendinosus",
                      "Adductor_Magnus"),
    "hip_abductors": ("Gluteus_Medius", "Gluteus_Minimus", "Tensor_Fasciae_Latae"),
    "hip_adductors": ("Adductor_Brevis", "Adductor_Longus", "Adductor_Magnus", "Gracilis", "Pectineus"),
    "quadriceps": ("Rectus_Femoris", "Vastus_Lateralis", "Vastus_Medialis", "Vastus_Intermedius"),
    "knee_flexors": ("Biceps_Femoris_Long", "Biceps_Femoris_Short", "Semimembranosus", "Semitendinosus",
                     "Gastrocnemius_Medial", "Gastrocnemius_Lateral", "Gracilis", "Sartorius", "Popliteus"),
    "plantarflexors": ("Gastrocnemius_Medial", "Gastrocnemius_Lateral", "Soleus", "Plantaris", "Tibialis_Posterior",
                       "Flexor_Digitorum_Longus", "Flexor_Hallucis_Longus", "Peroneus_Longus", "Peroneus_Brevis"),
    "dorsiflexors": ("Tibialis_Anterior", "Extensor_Digitorum_Longus", "Extensor_Hallucis_Longus",
                     "Peroneus_Tertius"),
    "gluteals": ("Gluteus_Maximus", "Gluteus_Medius", "Gluteus_Minimus"),
}
SIDES = {"r": "R", "l": "L"}
_NAME = re.compile(r"^([RL])_(.+?)\d*$")


def muscle_side_and_base(name: str) -> tuple[str, str] | None:
    """(``"r"``/``"l"``, base name) of a muscle named ``R_Base3``; None for a name of another form."""
    m = _NAME.match(name)
    return (m.group(1).lower(), m.group(2)) if m else None


def group_indices(muscle_names, group: str, side: str) -> list[int]:
    """Indices of the muscles of ``group`` on ``side`` ("r" or "l"). Raises KeyError for an unknown group."""
    if group not in GROUPS:
        raise KeyError(f"unknown muscle group {group!r}; groups: {', '.join(GROUPS)}")
    bases = set(GROUPS[group])
    out = []
    for i, name in enumerate(muscle_names):
        parsed = muscle_side_and_base(name)
        if parsed and parsed[0] == side and parsed[1] in bases:
            out.append(i)
    return out


def group_of(name: str) -> str | None:
    """The first broad functional group a muscle belongs to (for sorting a heat map), or None."""
    parsed = muscle_side_and_base(name)
    if parsed is None:
        return None
    for group, bases in GROUPS.items():
        if group in BROAD and parsed[1] in bases:
            return group
    return None


BROAD = ("hip_flexors", "hip_extensors", "hip_abductors", "hip_adductors", "quadriceps", "knee_flexors",
         "plantarflexors", "dorsiflexors", "gluteals")
NARROW = tuple(g for g in GROUPS if g not in BROAD)
