"""Motions: BVH import and bidir's procedural walking reference."""

from .bvh import BVH, load_bvh

__all__ = ["BVH", "load_bvh"]
