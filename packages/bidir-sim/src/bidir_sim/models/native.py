"""Conversion of a validated Python model into the C++ core's ModelSpec / Model."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import _core
from ..errors import ModelError

if TYPE_CHECKING:  # for the annotation only: spec imports this module
    from .spec import Model


def _vec(v, n: int) -> np.ndarray:
    return np.zeros(0) if v is None else np.asarray(v, dtype=float).reshape(n)


def to_native(model: Model) -> _core.Model:
    spec = _core.ModelSpec()
    spec.name = model.name
    bodies = []
    for b in model.bodies:
        nb = _core.BodySpec()
        nb.name = b.name
        nb.parent = b.parent or ""
        nb.mass = float(b.mass)
        nb.com = np.asarray(b.com, dtype=float)
        nb.inertia = np.asarray(b.inertia, dtype=float)
        nb.frame = np.asarray(b.frame, dtype=float)
        nb.contact = bool(b.contact)
        shapes = []
        for s in b.shapes:
            ns = _core.ShapeSpec()
            ns.type = s.type
            size = np.ones(3)
            size[: len(s.size)] = s.size
            ns.size = size
            ns.offset = np.asarray(s.offset, dtype=float)
            ns.color = np.asarray(s.color, dtype=float)
            ns.visual, ns.collision = bool(s.visual), bool(s.collision)
            shapes.append(ns)
        nb.shapes = shapes
        j = _core.JointSpec()
        n = b.joint.num_dofs
        j.type = b.joint.type
        j.frame = np.asarray(b.joint.frame, dtype=float)
        j.axis = np.asarray(b.joint.axis, dtype=float)
        j.lower, j.upper = _vec(b.joint.lower, n), _vec(b.joint.upper, n)
        j.kp, j.kv, j.damping = _vec(b.joint.kp, n), _vec(b.joint.kv, n), _vec(b.joint.damping, n)
        nb.joint = j
        bodies.append(nb)
    spec.bodies = bodies
    muscles = []
    for m in model.muscles:
        nm = _core.MuscleSpec()
        nm.name = m.name
        nm.f0 = float(m.f0)
        nm.optimal_fiber_length = float(m.optimal_fiber_length)
        nm.tendon_slack_length = float(m.tendon_slack_length)
        nm.pennation = float(m.pennation)
        waypoints = []
        for w in m.waypoints:
            nw = _core.WaypointSpec()
            nw.bodies = list(w.bodies)
            nw.weights = [float(x) for x in w.weights]
            nw.position = np.asarray(w.position, dtype=float)
            waypoints.append(nw)
        nm.waypoints = waypoints
        muscles.append(nm)
    spec.muscles = muscles
    try:
        return _core.Model(spec)
    except ValueError as e:  # a spec the Python validation let through but the core rejects
        raise ModelError(model.source, "model", str(e)) from None
