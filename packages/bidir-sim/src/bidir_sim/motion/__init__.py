"""Motions: BVH import, retargeting onto any bidir model (docs/motion.md), and bidir's procedural walk."""

from .bvh import BVH, load_bvh
from .retarget import Retargeted, load_joint_map, retarget

__all__ = ["BVH", "Retargeted", "load_bvh", "load_joint_map", "retarget"]
