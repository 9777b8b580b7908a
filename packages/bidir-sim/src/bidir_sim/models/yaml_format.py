"""bidir's own model format (YAML), documented in docs/model-format.md.

Reading validates everything and raises ModelError naming the file, the element and the reason.
Writing is deterministic (fixed key order, 6 decimals) so a generated file can be compared byte for byte.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np
import yaml

from ..errors import ModelError
from ..io_util import atomic_write_text, load_yaml, read_input_text, yaml_string_hint
from . import limits
from .spec import JOINT_DOFS, Body, Joint, Model, Muscle, Shape, Waypoint, validate

FORMAT = "bidir-model"
VERSION = 1
# The keys each mapping may have (docs/model-format.md); any other key is a typo, and an error.
KEYS = {
    "document": ("format", "version", "name", "metadata", "bodies", "muscles"),
    "body": ("name", "parent", "mass", "com", "inertia", "position", "rotation", "contact", "shapes", "joint", "role"),
    "joint": ("type", "position", "rotation", "axis", "lower", "upper", "kp", "kv", "damping", "bvh"),
    "shape": ("type", "size", "position", "rotation", "color", "visual", "collision"),
    "muscle": ("name", "f0", "optimal_fiber_length", "tendon_slack_length", "pennation", "waypoints"),
    "waypoint": ("body", "bodies", "weights", "p"),
}


# ----------------------------------------------------------------------------- reading

class _Reader:
    """Typed access to parsed YAML with errors that say where the problem is."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, reason: str) -> ModelError:
        return ModelError(self.source, where, reason)

    def keys(self, d, kind: str, where: str) -> None:
        """Refuses a key that a ``kind`` mapping does not have, suggesting the nearest valid one."""
        if not isinstance(d, dict):
            raise self.fail(where, f"must be a mapping, got {type(d).__name__}")
        for key in d:
            if key not in KEYS[kind]:
                near = difflib.get_close_matches(str(key), KEYS[kind], n=1)
                hint = f" (did you mean '{near[0]}'?)" if near else ""
                raise self.fail(where, f"unknown key '{key}'{hint}; valid keys: {', '.join(KEYS[kind])}")

    def count(self, items, where: str, limit: int, what: str) -> None:
        if len(items) > limit:
            raise self.fail(where, f"has {len(items)} {what}, more than the limit of {limit} (docs/reliability.md)")

    def get(self, d: dict, key: str, where: str, default=...):
        if not isinstance(d, dict):
            raise self.fail(where, f"must be a mapping, got {type(d).__name__}")
        if key not in d:
            if default is ...:
                raise self.fail(where, f"missing required key '{key}'")
            return default
        return d[key]

    def number(self, d, key, where, default=...) -> float:
        v = self.get(d, key, where, default)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.fail(where, f"'{key}' must be a number, got {v!r}{yaml_string_hint(v)}")
        return float(v)

    def flag(self, d, key, where, default=...) -> bool:
        v = self.get(d, key, where, default)
        if not isinstance(v, bool):
            raise self.fail(where, f"'{key}' must be true or false, got {v!r}")
        return v

    def vector(self, d, key, where, n: int | None, default=...) -> np.ndarray | None:
        v = self.get(d, key, where, default)
        if v is None:
            if default is ...:  # required: a null is as missing as no key
                raise self.fail(where, f"'{key}' must be a list of numbers, got null")
            return None
        if isinstance(v, (int, float)) and not isinstance(v, bool) and n is not None:
            v = [v] * n  # a scalar applies to every DoF
        if not isinstance(v, list) or any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in v):
            hint = next((yaml_string_hint(x) for x in (v if isinstance(v, list) else [v]) if yaml_string_hint(x)), "")
            raise self.fail(where, f"'{key}' must be a list of numbers, got {v!r}{hint}")
        if n is not None and len(v) != n:
            raise self.fail(where, f"'{key}' must have {n} values, has {len(v)}")
        return np.asarray(v, dtype=float)

    def pose(self, d, where) -> np.ndarray:
        t = np.eye(4)
        t[:3, 3] = self.vector(d, "position", where, 3)
        rot = self.vector(d, "rotation", where, 9, default=None)
        if rot is not None:
            t[:3, :3] = rot.reshape(3, 3)
        return t


def load_model_yaml(path: str | Path) -> Model:
    text = read_input_text(path, ModelError, limits.MAX_MODEL_FILE_BYTES, "model")
    return parse_model_yaml(text, str(path))


def parse_model_yaml(text: str, source: str = "<string>") -> Model:
    r = _Reader(source)
    try:
        doc = load_yaml(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f"line {mark.line + 1}" if mark is not None else "document"
        raise ModelError(source, at, f"invalid YAML ({getattr(e, 'problem', None) or e})") from None
    if not isinstance(doc, dict):
        raise r.fail("document", "must be a mapping with 'format', 'bodies' and 'muscles'")
    r.keys(doc, "document", "document")
    if doc.get("format") != FORMAT:
        raise r.fail("format", f"expected '{FORMAT}', got {doc.get('format')!r}")
    if doc.get("version") != VERSION:
        raise r.fail("version", f"this bidir-sim reads version {VERSION}, the file has {doc.get('version')!r}")
    bodies_doc = r.get(doc, "bodies", "document")
    if not isinstance(bodies_doc, list) or not bodies_doc:
        raise r.fail("bodies", "must be a non-empty list")
    r.count(bodies_doc, "bodies", limits.MAX_BODIES, "bodies")
    bodies = [_read_body(r, b, i) for i, b in enumerate(bodies_doc)]
    frames = {b.name: b.frame for b in bodies}
    muscles_doc = r.get(doc, "muscles", "document", default=[]) or []
    if not isinstance(muscles_doc, list):
        raise r.fail("muscles", "must be a list")
    r.count(muscles_doc, "muscles", limits.MAX_MUSCLES, "muscles")
    muscles = [_read_muscle(r, m, i, frames) for i, m in enumerate(muscles_doc)]
    metadata = doc.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise r.fail("metadata", f"must be a mapping, got {type(metadata).__name__}")
    model = Model(name=str(doc.get("name", "model")), bodies=bodies, muscles=muscles, source=source,
                  metadata=dict(metadata))
    return validate(model)


def _read_body(r: _Reader, d, i: int) -> Body:
    where = f"bodies[{i}]"
    name = r.get(d, "name", where)
    if not isinstance(name, str) or not name:
        raise r.fail(where, f"'name' must be a non-empty string, got {name!r}")
    where = f"body '{name}'"
    r.keys(d, "body", where)
    jd = r.get(d, "joint", where)
    jwhere = f"body '{name}' joint"
    r.keys(jd, "joint", jwhere)
    jtype = r.get(jd, "type", jwhere)
    if jtype not in JOINT_DOFS:
        raise r.fail(jwhere, f"type '{jtype}' is not one of {', '.join(JOINT_DOFS)}")
    n = JOINT_DOFS[jtype]
    joint = Joint(
        type=jtype,
        frame=r.pose(jd, jwhere),
        # A revolute joint's axis has no natural default: a missing one is an error, not the x axis.
        axis=r.vector(jd, "axis", jwhere, 3) if jtype == "revolute" else np.array([1.0, 0.0, 0.0]),
        lower=r.vector(jd, "lower", jwhere, n, default=None),
        upper=r.vector(jd, "upper", jwhere, n, default=None),
        kp=r.vector(jd, "kp", jwhere, n, default=None),
        kv=r.vector(jd, "kv", jwhere, n, default=None),
        damping=r.vector(jd, "damping", jwhere, n, default=None),
        bvh=_bvh_names(r, jd, jwhere),
    )
    inertia = r.vector(d, "inertia", where, 6)  # ixx iyy izz ixy ixz iyz
    ixx, iyy, izz, ixy, ixz, iyz = inertia
    shapes = []
    for k, sd in enumerate(r.get(d, "shapes", where, default=[]) or []):
        swhere = f"body '{name}' shapes[{k}]"
        r.keys(sd, "shape", swhere)
        stype = r.get(sd, "type", swhere)
        shapes.append(Shape(type=stype, size=r.vector(sd, "size", swhere, None), offset=r.pose(sd, swhere),
                            color=tuple(r.vector(sd, "color", swhere, 4, default=[0.7, 0.7, 0.7, 1.0])),
                            visual=r.flag(sd, "visual", swhere, default=True),
                            collision=r.flag(sd, "collision", swhere, default=True)))
    parent = r.get(d, "parent", where, default=None)
    if parent is not None and not isinstance(parent, str):
        raise r.fail(where, f"'parent' must be a body name or null, got {parent!r}")
    return Body(name=name, parent=parent, mass=r.number(d, "mass", where), com=r.vector(d, "com", where, 3),
                inertia=np.array([[ixx, ixy, ixz], [ixy, iyy, iyz], [ixz, iyz, izz]]),
                frame=r.pose(d, where), joint=joint, shapes=shapes,
                contact=r.flag(d, "contact", where, default=False), role=_role(r, d, where))


def _role(r: _Reader, d: dict, where: str) -> str | None:
    from ..motion.roles import ROLES

    role = d.get("role")
    if role is not None and role not in ROLES:
        raise r.fail(where, f"'role' must be one of {', '.join(ROLES)}, got {role!r}")
    return role


def _bvh_names(r: _Reader, jd: dict, where: str) -> str | None:
    names = jd.get("bvh")
    if names is not None and (not isinstance(names, str) or not names.split()):
        raise r.fail(where, f"'bvh' must be BVH joint names separated by spaces, got {names!r}")
    return names


def _read_muscle(r: _Reader, d, i: int, frames: dict[str, np.ndarray]) -> Muscle:
    where = f"muscles[{i}]"
    name = r.get(d, "name", where)
    where = f"muscle '{name}'"
    r.keys(d, "muscle", where)
    wps = r.get(d, "waypoints", where)
    if not isinstance(wps, list):
        raise r.fail(where, "'waypoints' must be a list")
    r.count(wps, where, limits.MAX_WAYPOINTS, "waypoints")
    waypoints = []
    for k, wd in enumerate(wps):
        wwhere = f"muscle '{name}' waypoint {k}"
        r.keys(wd, "waypoint", wwhere)
        if "bodies" in wd:
            bodies = r.get(wd, "bodies", wwhere)
            if not isinstance(bodies, list) or not bodies:
                raise r.fail(wwhere, f"'bodies' must be a non-empty list of body names, got {bodies!r}")
            weights = list(r.vector(wd, "weights", wwhere, len(bodies)))
        else:
            bodies, weights = [r.get(wd, "body", wwhere)], [1.0]
        if not all(isinstance(b, str) for b in bodies):
            raise r.fail(wwhere, f"body names must be strings, got {bodies!r}")
        if bodies[0] not in frames:
            raise r.fail(wwhere, f"body '{bodies[0]}' is not a body of this model")
        local = r.vector(wd, "p", wwhere, 3)
        world = frames[bodies[0]] @ np.append(local, 1.0)
        waypoints.append(Waypoint(bodies=list(bodies), weights=[float(w) for w in weights], position=world[:3]))
    return Muscle(name=str(name), f0=r.number(d, "f0", where),
                  optimal_fiber_length=r.number(d, "optimal_fiber_length", where),
                  tendon_slack_length=r.number(d, "tendon_slack_length", where),
                  pennation=r.number(d, "pennation", where, default=0.0), waypoints=waypoints)


# ----------------------------------------------------------------------------- writing

def _num(x: float) -> float:
    v = round(float(x), 6)
    return 0.0 if v == 0 else v  # no "-0.0"


def _list(v) -> list[float]:
    return [_num(x) for x in np.asarray(v, dtype=float).ravel()]


def _pose(t: np.ndarray) -> dict:
    out = {"position": _list(t[:3, 3])}
    if not np.allclose(t[:3, :3], np.eye(3), atol=1e-12):
        out["rotation"] = _list(t[:3, :3])
    return out


def _shape(s) -> dict:
    out = {"type": s.type, "size": _list(s.size), **_pose(s.offset), "color": _list(s.color)}
    if not s.visual:
        out["visual"] = False
    if not s.collision:
        out["collision"] = False
    return out


def model_to_dict(model: Model) -> dict:
    bodies = []
    for b in model.bodies:
        j = b.joint
        jd = {"type": j.type, **_pose(j.frame)}
        if j.type == "revolute":
            jd["axis"] = _list(j.axis)
        for key in ("lower", "upper", "kp", "kv", "damping"):
            if getattr(j, key) is not None:
                jd[key] = _list(getattr(j, key))
        if j.bvh:
            jd["bvh"] = j.bvh
        i = b.inertia
        bodies.append({
            "name": b.name, "parent": b.parent, "mass": _num(b.mass), "com": _list(b.com),
            "inertia": _list([i[0, 0], i[1, 1], i[2, 2], i[0, 1], i[0, 2], i[1, 2]]),
            **_pose(b.frame), "contact": bool(b.contact), **({"role": b.role} if b.role else {}),
            "shapes": [_shape(s) for s in b.shapes],
            "joint": jd,
        })
    frames = {b.name: b.frame for b in model.bodies}
    muscles = []
    for m in model.muscles:
        wps = []
        for w in m.waypoints:
            local = np.linalg.inv(frames[w.bodies[0]]) @ np.append(w.position, 1.0)
            wd = ({"body": w.bodies[0]} if len(w.bodies) == 1
                  else {"bodies": list(w.bodies), "weights": _list(w.weights)})
            wd["p"] = _list(local[:3])
            wps.append(wd)
        muscles.append({"name": m.name, "f0": _num(m.f0), "optimal_fiber_length": _num(m.optimal_fiber_length),
                        "tendon_slack_length": _num(m.tendon_slack_length), "pennation": _num(m.pennation),
                        "waypoints": wps})
    return {"format": FORMAT, "version": VERSION, "name": model.name, "metadata": dict(model.metadata),
            "bodies": bodies, "muscles": muscles}


class _FlowListDumper(yaml.SafeDumper):
    """Lists of scalars inline ([x, y, z]); mappings in block style; no aliases (load_yaml refuses them)."""

    def ignore_aliases(self, data):
        return True


def _represent_list(dumper, data):
    flow = all(not isinstance(x, (dict, list)) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_FlowListDumper.add_representer(list, _represent_list)


def dump_model_yaml(model: Model) -> str:
    header = ("# bidir model file (format: docs/model-format.md). Units: m, kg, N, rad.\n"
              "# Axes: y up, z forward (walking direction), x to the body's left; poses at the zero pose.\n")
    return header + yaml.dump(model_to_dict(model), Dumper=_FlowListDumper, sort_keys=False, width=120)


def save_model(model: Model, path: str | Path) -> None:
    atomic_write_text(path, dump_model_yaml(model))


