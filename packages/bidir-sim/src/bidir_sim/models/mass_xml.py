"""Importers for MASS-style skeleton and muscle XML (format: shared reference docs §3.1-3.2).

Semantics reproduced: body/joint <Transformation> are world poses at the zero pose (rotation
Gram-Schmidt orthonormalised); joint limits enforced; gains kp/kv per DoF (kv = sqrt(2 kp) when only kp is
given, 200/40 when neither, 0 on the root); muscle lm/lt are relative to the rest (zero-pose) path length;
intermediate waypoints within 8 cm of a joint are blended over that body and its parent with weights
proportional to 1/sqrt(distance).
"""

from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..io_util import read_input_bytes
from . import limits
from .spec import JOINT_DOFS, Body, Joint, Model, Muscle, Shape, Waypoint, validate

LBS_RADIUS = 0.08


def _parse(path: str | Path) -> tuple[ET.Element, str]:
    src = str(path)
    data = read_input_bytes(path, ModelError, limits.MAX_MODEL_FILE_BYTES, "model")
    try:
        return ET.fromstring(data), src
    except ET.ParseError as e:
        line, col = e.position
        raise ModelError(src, f"line {line}, column {col}", f"malformed XML ({e.msg if hasattr(e, 'msg') else e})") from None


def _floats(src, where, elem, attr, n=None, default=None):
    text = elem.get(attr)
    if text is None:
        if default is not None:
            return np.asarray(default, dtype=float)
        raise ModelError(src, where, f"missing attribute '{attr}'")
    try:
        values = np.array([float(x) for x in text.split()])
    except ValueError:
        raise ModelError(src, where, f"attribute '{attr}' is not a list of numbers: {text!r}") from None
    if n is not None and values.size != n:
        raise ModelError(src, where, f"attribute '{attr}' needs {n} numbers, has {values.size}")
    if not np.all(np.isfinite(values)):
        raise ModelError(src, where, f"attribute '{attr}' contains NaN or inf")
    return values


def _transform(src, where, elem) -> np.ndarray:
    t = elem.find("Transformation")
    if t is None:
        raise ModelError(src, where, "missing <Transformation>")
    rot = _floats(src, where, t, "linear", 9).reshape(3, 3)
    q, r = np.linalg.qr(rot)  # Gram-Schmidt: orthonormalise, keeping the column directions
    q = q @ np.diag(np.sign(np.diag(r)))
    out = np.eye(4)
    out[:3, :3] = q
    out[:3, 3] = _floats(src, where, t, "translation", 3)
    return out


def _elements(path, root_tag: str, child_tag: str, limit: int):
    """The file's root, source name and ``child_tag`` children, after checking the root's tag and the count."""
    root, src = _parse(path)
    if root.tag != root_tag:
        raise ModelError(src, f"<{root.tag}>", f"root element must be <{root_tag}>")
    children = root.findall(child_tag)
    if len(children) > limit:
        raise ModelError(src, f"<{root_tag}>", f"has {len(children)} <{child_tag}>, more than the limit of {limit} "
                         "(docs/reliability.md)")
    return root, src, children


def load_mass_skeleton(path: str | Path) -> Model:
    root, src, nodes = _elements(path, "Skeleton", "Node", limits.MAX_BODIES)
    bodies = []
    for node in nodes:
        name = node.get("name")
        if not name:
            raise ModelError(src, "<Node>", "missing attribute 'name'")
        where = f"Node '{name}'"
        be, je = node.find("Body"), node.find("Joint")
        if be is None or je is None:
            raise ModelError(src, where, "needs a <Body> and a <Joint>")
        try:
            mass = float(be.get("mass", "nan"))
        except ValueError:
            raise ModelError(src, where, f"mass is not a number: {be.get('mass')!r}") from None
        if not (math.isfinite(mass) and mass > 0):
            raise ModelError(src, where, f"mass must be a positive finite number, got {be.get('mass')!r}")
        btype = be.get("type", "Box").lower()
        if btype == "box":
            size = _floats(src, where, be, "size", 3)
            inertia = mass / 12.0 * np.diag([size[1] ** 2 + size[2] ** 2, size[0] ** 2 + size[2] ** 2,
                                             size[0] ** 2 + size[1] ** 2])
        elif btype == "sphere":
            r = float(_floats(src, where, be, "radius", 1)[0])
            size, inertia = np.array([r]), np.eye(3) * 0.4 * mass * r * r
        elif btype in ("capsule", "cylinder"):
            r, h = float(_floats(src, where, be, "radius", 1)[0]), float(_floats(src, where, be, "height", 1)[0])
            size = np.array([r, h])
            ixx = mass * (3 * r * r + h * h) / 12.0
            inertia, btype = np.diag([ixx, ixx, 0.5 * mass * r * r]), "capsule"
        else:
            raise ModelError(src, where, f"body type '{be.get('type')}' is not Box, Sphere, Capsule or Cylinder")
        jtype = (je.get("type") or "").lower()
        if jtype not in JOINT_DOFS:
            raise ModelError(src, where, f"joint type '{je.get('type')}' is not Free, Ball, Revolute or Weld")
        n = JOINT_DOFS[jtype]
        parent = node.get("parent")
        parent = None if parent in (None, "None") else parent
        lower = _floats(src, where, je, "lower", n) if je.get("lower") is not None else None
        upper = _floats(src, where, je, "upper", n) if je.get("upper") is not None else None
        if parent is None:
            kp = kv = np.zeros(n)
        else:
            kp = _floats(src, where, je, "kp", n) if je.get("kp") else np.full(n, 200.0)
            kv = (_floats(src, where, je, "kv", n) if je.get("kv") else
                  (np.sqrt(2 * kp) if je.get("kp") else np.full(n, 40.0)))
        color = _floats(src, where, be, "color", 4, default=[0.7, 0.7, 0.7, 1.0])
        bodies.append(Body(
            name=name, parent=parent, mass=mass, com=np.zeros(3), inertia=inertia,
            frame=_transform(src, where, be),
            joint=Joint(type=jtype, frame=_transform(src, f"{where} joint", je),
                        axis=_floats(src, where, je, "axis", 3, default=[1, 0, 0]), lower=lower, upper=upper,
                        kp=kp, kv=kv, damping=np.full(n, float(_floats(src, where, je, "damping", 1, default=[0.4])[0])), bvh=je.get("bvh")),
            shapes=[Shape(type=btype, size=size, color=tuple(np.clip(color, 0, 1)))],
            contact=be.get("contact", "Off").lower() == "on"))
    if not bodies:
        raise ModelError(src, "<Skeleton>", "has no <Node>")
    model = Model(name=root.get("name", Path(src).stem), bodies=bodies, source=src,
                  metadata={"imported_from": "MASS skeleton XML"})
    return validate(model)


def load_mass_muscles(path: str | Path, skeleton: Model) -> Model:
    """Reads a MASS muscle XML onto ``skeleton``; returns a new model with the muscles attached."""
    _, src, units = _elements(path, "Muscle", "Unit", limits.MAX_MUSCLES)
    bodies = {b.name: b for b in skeleton.bodies}
    joint_origin = {b.name: b.joint.frame[:3, 3] for b in skeleton.bodies}
    muscles = []
    for unit in units:
        name = unit.get("name") or "?"
        where = f"Unit '{name}'"
        values = {}
        for key in ("f0", "lm", "lt"):
            values[key] = float(_floats(src, where, unit, key, 1)[0])
        pen = float(_floats(src, where, unit, "pen_angle", 1, default=[0.0])[0])
        points = unit.findall("Waypoint")
        if not 2 <= len(points) <= limits.MAX_WAYPOINTS:
            raise ModelError(src, where, f"needs 2 to {limits.MAX_WAYPOINTS} <Waypoint>, has {len(points)}")
        waypoints = []
        for k, wp in enumerate(points):
            body = wp.get("body")
            if body not in bodies:
                raise ModelError(src, f"{where} waypoint {k}", f"body '{body}' is not in the skeleton")
            p = _floats(src, f"{where} waypoint {k}", wp, "p", 3)
            bl, wl = [body], [1.0]
            if 0 < k < len(points) - 1:
                bl, wl = _blend(p, body, bodies, joint_origin)
            waypoints.append(Waypoint(bodies=bl, weights=wl, position=p))
        rest = sum(float(np.linalg.norm(b.position - a.position)) for a, b in itertools.pairwise(waypoints))
        if rest <= 0:
            raise ModelError(src, where, "waypoints coincide: the path has zero length")
        for key in ("f0", "lm", "lt"):
            if not values[key] > 0:
                raise ModelError(src, where, f"{key} must be positive, got {values[key]}")
        muscles.append(Muscle(name=name, f0=values["f0"], optimal_fiber_length=values["lm"] * rest,
                              tendon_slack_length=values["lt"] * rest, pennation=pen, waypoints=waypoints))
    if not muscles:
        raise ModelError(src, "<Muscle>", "has no <Unit>")
    model = Model(name=skeleton.name, bodies=skeleton.bodies, muscles=muscles, source=src,
                  metadata=dict(skeleton.metadata))
    return validate(model)


def _blend(p, named, bodies, joint_origin):
    """LBS weights: the body whose joint is nearest, and its parent, if that joint is within 8 cm."""
    dist = {n: float(np.linalg.norm(p - o)) for n, o in joint_origin.items()}
    nearest = min(dist, key=dist.get)
    parent = bodies[nearest].parent
    if dist[nearest] >= LBS_RADIUS or parent is None:
        return [named], [1.0]
    w = np.array([1.0 / math.sqrt(max(dist[nearest], 1e-9)), 1.0 / math.sqrt(max(dist[parent], 1e-9))])
    w /= w.sum()
    return [nearest, parent], [float(w[0]), float(w[1])]


def load_mass_model(skeleton_xml: str | Path, muscle_xml: str | Path | None = None) -> Model:
    skel = load_mass_skeleton(skeleton_xml)
    return load_mass_muscles(muscle_xml, skel) if muscle_xml is not None else skel
