"""Anatomical roles: what a body of a model is (its ``role``, or inferred from MASS-style names) and what a
BVH joint is (from the MotionBuilder/HumanIK, Mixamo, CMU and plain naming conventions). Retargeting
matches the two by role, so that any reasonable clip drives any bidir model.

A role names the joint that moves the segment: ``pelvis`` (the root), ``spine`` (lumbar), ``chest``,
``neck``, ``head``, and per side (``_l``/``_r``) ``hip`` (the thigh), ``knee`` (the shank), ``ankle`` (the
foot), ``toes``, ``clavicle``, ``shoulder`` (the upper arm), ``elbow`` (the forearm), ``wrist`` (the hand).
"""

from __future__ import annotations

import re

CENTRE = ("pelvis", "spine", "chest", "neck", "head")
SIDED = ("hip", "knee", "ankle", "toes", "clavicle", "shoulder", "elbow", "wrist")
ROLES = CENTRE + tuple(f"{r}_{s}" for r in SIDED for s in "lr")
REQUIRED = ("pelvis", "hip_l", "hip_r", "knee_l", "knee_r", "ankle_l", "ankle_r")
# The segment of a role points from its joint to the joint of this role (leaves: to their end).
NEXT = {"pelvis": None, "spine": "chest", "chest": "neck", "neck": "head", "head": None,
        **{f"{a}_{s}": (f"{b}_{s}" if b else None) for s in "lr"
           for a, b in (("hip", "knee"), ("knee", "ankle"), ("ankle", "toes"), ("toes", None),
                        ("clavicle", "shoulder"), ("shoulder", "elbow"), ("elbow", "wrist"), ("wrist", None))}}

# MASS's body names (bidir's generator uses them too).
_MASS_BODIES = {"Pelvis": "pelvis", "Spine": "spine", "Torso": "chest", "Neck": "neck", "Head": "head",
                **{f"{name}{s.upper()}": f"{role}_{s}" for s in "lr"
                   for name, role in (("Femur", "hip"), ("Tibia", "knee"), ("Talus", "ankle"), ("FootThumb", "toes"),
                                      ("FootPinky", "toes"), ("Shoulder", "clavicle"), ("Arm", "shoulder"),
                                      ("ForeArm", "elbow"), ("Hand", "wrist"))}}


def body_role(body) -> str | None:
    """A model body's role: its explicit ``role`` if it has one, else from its (MASS-style) name."""
    return getattr(body, "role", None) or _MASS_BODIES.get(body.name)


# BVH joint names, lower-case with the side and any namespace/prefix removed -> sided or centre role.
# "shoulder" is the clavicle in HumanIK, Mixamo and CMU (their upper arm is "arm").
_SIDED_WORDS = {"upleg": "hip", "upperleg": "hip", "thigh": "hip", "hip": "hip", "femur": "hip",
                "leg": "knee", "lowerleg": "knee", "lowleg": "knee", "knee": "knee", "shin": "knee", "calf": "knee",
                "tibia": "knee", "foot": "ankle", "ankle": "ankle", "talus": "ankle",
                "toebase": "toes", "toe": "toes", "toes": "toes", "ball": "toes",
                "shoulder": "clavicle", "collar": "clavicle", "clavicle": "clavicle", "clav": "clavicle",
                "arm": "shoulder", "uparm": "shoulder", "shldr": "shoulder", "upperarm": "shoulder", "humerus": "shoulder",
                "forearm": "elbow", "lowerarm": "elbow", "lowarm": "elbow", "elbow": "elbow", "radius": "elbow",
                "hand": "wrist", "wrist": "wrist"}
# The joints between the pelvis and the neck form one chain: its first is the spine, its last the chest.
TRUNK = "trunk"
_CENTRE_WORDS = {"hips": "pelvis", "hip": "pelvis", "pelvis": "pelvis", "root": "pelvis",
                 **dict.fromkeys(("lowerback", "abdomen", "spine", "spine0", "spine1", "spine2", "spine3", "lumbar",
                                  "chest", "upperchest", "thorax"), TRUNK),
                 "neck": "neck", "neck1": "neck", "head": "head"}
_PREFIX = re.compile(r"^(.*:|character\d*_|bip\d*[ _]|b_|def_)", re.IGNORECASE)
_SIDE = re.compile(r"^(left|right|l(?=[A-Z_])|r(?=[A-Z_])|l_|r_)(.*)$")


def bvh_role_word(name: str) -> tuple[str | None, str]:
    """(side 'l'/'r' or None, the name's body word, lower case and without separators) of a BVH joint."""
    bare = _PREFIX.sub("", name)
    side, rest = None, bare
    m = _SIDE.match(bare) or _SIDE.match(bare[0].lower() + bare[1:]) if bare else None
    if m:
        side, rest = m.group(1)[0].lower(), m.group(2)
    else:  # suffixed sides: Thigh_L, thigh.r, UpperArmLeft
        m = re.match(r"^(.*?)[_.]?(left|right|l|r)$", bare, re.IGNORECASE)
        if m and m.group(1):
            side, rest = m.group(2)[0].lower(), m.group(1)
    return side, re.sub(r"[^a-z0-9]", "", rest.lower())


def bvh_role(name: str) -> str | None:
    """The role a BVH joint name stands for under the common conventions (``TRUNK`` for any joint of the
    spine chain), or None (e.g. a helper joint)."""
    side, word = bvh_role_word(name)
    if side is not None and word in _SIDED_WORDS:
        return f"{_SIDED_WORDS[word]}_{side}"
    if side is None:
        return _CENTRE_WORDS.get(word)
    return None
