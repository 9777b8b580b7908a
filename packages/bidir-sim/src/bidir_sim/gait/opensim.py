"""Export of a bidir gait to OpenSim: joint angles as a ``.mot`` of the gait models' coordinates, ground reaction
forces as a ``.mot`` with an ExternalLoads ``.xml``, and muscle activations as a ``.sto``.

Pure numpy and the standard library: OpenSim itself is not needed to write these files (the tests read them
back with OpenSim's own readers where the ``opensim`` package is installed).

What the kinematics are
-----------------------
The exported kinematics are bidir's clinical joint angles (gait/angles.py) re-expressed in the coordinate names
and sign conventions of OpenSim's full-body gait model (Rajagopal et al. 2016; gait2392 shares the names). They
are *not* an inverse-kinematics fit of OpenSim's model to markers: segment lengths, joint centres and the knee's
coupled translations of the OpenSim model differ from bidir's body, so the feet of an OpenSim model driven by
this file need not touch its floor where bidir's did. Both sides use the same Cardan sequences: the pelvis is
tilt, then obliquity (list), then rotation, against the ground; the hip is flexion, then adduction, then rotation
(Rajagopal2016.osim: ``ground_pelvis`` rotates about Z, X, Y; ``hip_r`` about Z, X, Y; angles.py: intrinsic
x (lateral), z (forward), y (vertical), the same axes in bidir's frame), so each angle maps to one coordinate.

Frames. bidir's world: y up, z forward (the walking direction), x to the body's left. OpenSim's ground: X
forward, Y up, Z to the right. Both are right-handed, so one proper rotation converts positions, forces and
moments alike: ``(X, Y, Z) = (z, y, -x)`` (:data:`BIDIR_TO_OPENSIM`).

Coordinate sign conventions (read from the joint axes and ranges in opensim-org/opensim-models
``Models/Rajagopal/Rajagopal2016.osim`` and ``Models/Gait2392_Simbody/gait2392_thelen2003muscle.osim``; the
pelvis frame is X anterior, Y superior, Z right; all bodies' frames are aligned with ground in the zero pose):

===================  ===========================================================  =================================
coordinate           OpenSim: positive means (why)                                from bidir's angle (degrees)
===================  ===========================================================  =================================
pelvis_tilt          posterior tilt (about +Z, right: X anterior turns up)        ``-pelvis_tilt`` (+ anterior)
pelvis_list          right side down (about the pelvis X: +Z right turns to -Y)   ``-pelvis_obliquity_r`` (+ r up)
pelvis_rotation      right side forward (about the pelvis Y: +Z turns to +X)      ``pelvis_rotation_r`` (+ r fwd)
pelvis_tx/ty/tz      pelvis origin in ground, metres                              ``pelvis_position`` rotated
hip_flexion_r/l      flexion (about +Z: the thigh's -Y turns to +X)               ``hip_flexion_<s>``
hip_adduction_r/l    adduction (right: about +X; left: coefficient -1)            ``hip_adduction_<s>``
hip_rotation_r/l     internal rotation (right: about +Y; left: coefficient -1)    ``hip_internal_rotation_<s>``
knee_angle_r/l       Rajagopal 2016: flexion (walker knee about ~-Z of the femur, ``knee_flexion_<s>``
                     range 0..120 deg); gait2392: extension (about +Z, range
                     -120..10 deg), so flexion is negative                        ``-knee_flexion_<s>`` (gait2392)
ankle_angle_r/l      dorsiflexion (pin about ~+Z of the tibia: toes turn up;      ``ankle_dorsiflexion_<s>``
                     range -40..30 deg)
===================  ===========================================================  =================================

Where the left-side pelvis angles are given as well, they must be the mirror of the right (``_l = -_r``, as
angles.py computes them): a mismatch means a sign error upstream, and is refused.

Zeros. OpenSim's pelvis frame and the clinical pelvis frame (angles.py: 10 deg anterior tilt at bidir's upright
zero pose) are both anatomical, so the angles go across unshifted. Any constant difference between the two
pelvis frames' zeros moves ``pelvis_tilt`` and ``hip_flexion_r/l`` by equal and opposite amounts and leaves the
thigh's orientation in the world unchanged. ``pelvis_tx/ty/tz`` are bidir's root (pelvis) body origin, which is
not exactly where OpenSim's pelvis origin sits on the bone (a few centimetres).

Ground reaction forces follow OpenSim's ExternalForce convention: ``ground_force_<s>_v{x,y,z}`` (N, the force of
the ground on the foot, in ground), ``ground_force_<s>_p{x,y,z}`` (m, centre of pressure in ground) and
``ground_torque_<s>_{x,y,z}`` (N m, the free moment at the centre of pressure), applied to ``calcn_r`` /
``calcn_l``. Activations are written under OpenSim 4's state names ``/forceset/<muscle>/activation``.
"""

from __future__ import annotations

import io
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from ..io_util import atomic_write_text

# Rows: OpenSim's X, Y, Z in bidir's x, y, z (a proper rotation: determinant +1).
BIDIR_TO_OPENSIM = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]])

MODELS = ("rajagopal2016", "gait2392")
SIDES = ("r", "l")
# Clinical angles angles.py produces that have no coordinate of their own in OpenSim's model: accepted, not written.
NOT_EXPORTED = frozenset({"foot_progression_r", "foot_progression_l"})
PELVIS_MIRRORED = ("pelvis_obliquity", "pelvis_rotation")
MIRROR_TOLERANCE_DEG = 0.1  # l = -r holds to rounding for one rigid pelvis; a sign error shows as 2x the angle
FORCE_BODIES = {"r": "calcn_r", "l": "calcn_l"}


def _leg_map(side: str, knee_sign: float) -> list[tuple[str, str, float]]:
    """(OpenSim coordinate, bidir angle, sign) for one leg."""
    return [(f"hip_flexion_{side}", f"hip_flexion_{side}", 1.0),
            (f"hip_adduction_{side}", f"hip_adduction_{side}", 1.0),
            (f"hip_rotation_{side}", f"hip_internal_rotation_{side}", 1.0),
            (f"knee_angle_{side}", f"knee_flexion_{side}", knee_sign),
            (f"ankle_angle_{side}", f"ankle_dorsiflexion_{side}", 1.0)]


def _known_angles() -> frozenset[str]:
    legs = {b for s in SIDES for _, b, _ in _leg_map(s, 1.0)}
    pelvis = {f"{p}_{s}" for p in PELVIS_MIRRORED for s in SIDES} | {"pelvis_tilt"}
    return frozenset(legs | pelvis | NOT_EXPORTED)


KNOWN_ANGLES = _known_angles()


# ---------------------------------------------------------------------------------------------- validation


def _time(time) -> np.ndarray:
    t = _floats("time", time)
    if t.ndim != 1 or len(t) == 0:
        raise ValueError(f"time: must be a non-empty 1-D array, got shape {t.shape}")
    _finite("time", t)
    bad = np.flatnonzero(np.diff(t) <= 0)
    if len(bad):
        i = int(bad[0])
        raise ValueError(f"time: must increase strictly (OpenSim's tables require it); row {i + 1} "
                         f"({t[i + 1]!r}) does not follow row {i} ({t[i]!r})")
    return t


def _floats(what: str, values) -> np.ndarray:
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{what}: is not an array of numbers ({e})") from None


def _finite(what: str, a: np.ndarray) -> None:
    bad = np.argwhere(~np.isfinite(a))
    if len(bad):
        where = tuple(int(i) for i in bad[0])
        raise ValueError(f"{what}: has {len(bad)} NaN/inf value(s), the first at index {where}")


def _rows(what: str, values, rows: int, width: int | None = None) -> np.ndarray:
    """``values`` as a finite float array of shape (rows,) or (rows, width)."""
    a = _floats(what, values)
    shape = (rows,) if width is None else (rows, width)
    if a.shape != shape:
        raise ValueError(f"{what}: has shape {a.shape}; expected {shape} (one row per time sample)")
    _finite(what, a)
    return a


def _label(what: str, name) -> str:
    # The table readers split on tabs (OpenSim 4) or any whitespace (the legacy Storage), and 'time' is taken.
    if not isinstance(name, str) or not name or any(c.isspace() for c in name):
        raise ValueError(f"{what}: column name {name!r} must be a non-empty string without whitespace")
    if name == "time":
        raise ValueError(f"{what}: 'time' is the time column's name and cannot name a data column")
    return name


def _columns(what: str, columns: dict, rows: int) -> dict[str, np.ndarray]:
    if not isinstance(columns, dict):
        raise TypeError(f"{what}: must be a dict of column name -> array, got {type(columns).__name__}")
    return {_label(what, k): _rows(f"{what}[{k!r}]", v, rows) for k, v in columns.items()}


# ---------------------------------------------------------------------------------------------- tables


def _table_text(time: np.ndarray, columns: dict[str, np.ndarray], *, in_degrees: bool, name: str) -> str:
    """An OpenSim Storage (version 1) table: the header both OpenSim 4's STO/MOT file adapters
    (``TimeSeriesTable``) and the legacy ``Storage`` reader accept, then tab-separated rows."""
    if not isinstance(name, str) or not name.strip() or "\n" in name or "=" in name:
        raise ValueError(f"name: {name!r} must be one line of text without '=' (the table's title line)")
    header = [name.strip(), "version=1", f"nRows={len(time)}", f"nColumns={len(columns) + 1}",
              f"inDegrees={'yes' if in_degrees else 'no'}", "endheader", "\t".join(["time", *columns])]
    data = np.column_stack([time, *columns.values()]) + 0.0  # + 0.0 turns -0.0 into 0.0
    buf = io.StringIO()
    np.savetxt(buf, data, fmt="%.10g", delimiter="\t")  # 10 digits: well below any physical resolution here
    return "\n".join(header) + "\n" + buf.getvalue()


def _checked_table(time, columns, *, in_degrees: bool, name: str, what: str = "columns") -> str:
    t = _time(time)
    return _table_text(t, _columns(what, columns, len(t)), in_degrees=in_degrees, name=name)


def write_mot(path, time, columns: dict[str, np.ndarray], *, in_degrees: bool, name: str) -> Path:
    """Writes an OpenSim motion (``.mot``): ``time`` (s, strictly increasing) and one column per entry of
    ``columns``; ``in_degrees`` says whether rotational columns are degrees. Returns the path."""
    text = _checked_table(time, columns, in_degrees=in_degrees, name=name)
    atomic_write_text(path, text)
    return Path(path)


def write_sto(path, time, columns: dict[str, np.ndarray], *, in_degrees: bool = False, name: str) -> Path:
    """Writes an OpenSim storage (``.sto``): the same table format as :func:`write_mot` (OpenSim tells the two
    apart by extension only). Returns the path."""
    return write_mot(path, time, columns, in_degrees=in_degrees, name=name)


# ---------------------------------------------------------------------------------------------- kinematics


def to_opensim_frame(vectors: np.ndarray) -> np.ndarray:
    """(..., 3) vectors (positions, forces, moments) in bidir's world frame -> OpenSim's ground frame."""
    return np.asarray(vectors, dtype=float) @ BIDIR_TO_OPENSIM.T


def _angle_arrays(angles: dict, rows: int) -> dict[str, np.ndarray]:
    if not isinstance(angles, dict):
        raise TypeError(f"angles: must be a dict of angle name -> array, got {type(angles).__name__}")
    unknown = sorted(set(angles) - KNOWN_ANGLES, key=str)
    if unknown:
        raise ValueError(f"angles: unknown angle name(s) {', '.join(map(repr, unknown))}; known: "
                         f"{', '.join(sorted(KNOWN_ANGLES))}")
    return {k: _rows(f"angles[{k!r}]", v, rows) for k, v in angles.items() if k not in NOT_EXPORTED}


def _mirrored(a: dict[str, np.ndarray], base: str) -> np.ndarray | None:
    """The right side's value of a mirrored pelvis angle (from ``_r``, else ``-_l``), checking that both agree."""
    right, left = a.get(f"{base}_r"), a.get(f"{base}_l")
    if right is not None and left is not None:
        gap = np.abs(right + left)
        if gap.max() > MIRROR_TOLERANCE_DEG:
            i = int(np.argmax(gap))
            raise ValueError(f"angles['{base}_l']: must mirror '{base}_r' (l = -r); row {i} has r={right[i]:.3f}, "
                             f"l={left[i]:.3f} deg (a sign error upstream?)")
    return right if right is not None else (None if left is None else -left)


def _pelvis_coordinates(a: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {}
    if "pelvis_tilt" in a:
        out["pelvis_tilt"] = -a["pelvis_tilt"]  # OpenSim: + posterior
    obliquity, rotation = (_mirrored(a, b) for b in PELVIS_MIRRORED)
    if obliquity is not None:
        out["pelvis_list"] = -obliquity  # OpenSim: + right side down
    if rotation is not None:
        out["pelvis_rotation"] = rotation  # OpenSim: + right side forward
    return out


def coordinates_from_angles(angles: dict[str, np.ndarray], pelvis_position: np.ndarray, *,
                            model: str = "rajagopal2016") -> dict[str, np.ndarray]:
    """OpenSim coordinates (degrees for rotations, metres for ``pelvis_tx/ty/tz``), in the model's order, from
    bidir's clinical angles (degrees, names of gait/angles.py; any subset) and the pelvis origin (rows, 3) in
    bidir's world frame. ``model``: ``rajagopal2016`` (knee + flexion) or ``gait2392`` (knee - flexion)."""
    if model not in MODELS:
        raise ValueError(f"model: {model!r} is not one of {', '.join(MODELS)}")
    pos = _floats("pelvis_position", pelvis_position)
    if pos.ndim != 2 or pos.shape[1] != 3:
        raise ValueError(f"pelvis_position: has shape {pos.shape}; expected (rows, 3)")
    _finite("pelvis_position", pos)
    a = _angle_arrays(angles, len(pos))
    out = _pelvis_coordinates(a)
    out.update(zip(("pelvis_tx", "pelvis_ty", "pelvis_tz"), to_opensim_frame(pos).T))
    knee_sign = 1.0 if model == "rajagopal2016" else -1.0
    for side in SIDES:
        out.update({c: sign * a[b] for c, b, sign in _leg_map(side, knee_sign) if b in a})
    return out


# ---------------------------------------------------------------------------------------------- forces


def center_of_pressure(force: np.ndarray, moment: np.ndarray, *, floor_height: float = 0.0,
                       min_vertical: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Centre of pressure (rows, 3) on the floor plane y = ``floor_height`` and the free moment about the
    vertical (rows,), from a foot's contact force and its moment about the world origin (both (rows, 3),
    bidir's frame). Where the vertical force is below ``min_vertical`` N (swing) the point is undefined:
    both are returned as 0 there, and whatever small force remains acts at the origin."""
    f, m = np.asarray(force, dtype=float), np.asarray(moment, dtype=float)
    h = float(floor_height)
    loaded = f[:, 1] >= min_vertical
    fy = np.where(loaded, f[:, 1], 1.0)
    # moment = p x F + tau * y_hat, with p = (px, h, pz): solve the x and z rows for px, pz, then y for tau
    px = (m[:, 2] + h * f[:, 0]) / fy
    pz = (h * f[:, 2] - m[:, 0]) / fy
    tau = m[:, 1] - pz * f[:, 0] + px * f[:, 2]
    cop = np.stack([px, np.full_like(px, h), pz], axis=1)
    return np.where(loaded[:, None], cop, 0.0), np.where(loaded, tau, 0.0)


def _torque(what: str, torque, rows: int) -> np.ndarray:
    """(rows, 3) torque in bidir's frame: given as (rows, 3), as (rows,) about the vertical, or None (zero)."""
    if torque is None:
        return np.zeros((rows, 3))
    t = _floats(what, torque)
    if t.ndim == 1:
        if t.shape != (rows,):
            raise ValueError(f"{what}: has shape {t.shape}; expected ({rows},) (about the vertical) or ({rows}, 3)")
        t = np.stack([np.zeros_like(t), t, np.zeros_like(t)], axis=1)
    return _rows(what, t, rows, 3)


def grf_columns(force_r, force_l, cop_r, cop_l, rows: int, torque_r=None, torque_l=None) -> dict[str, np.ndarray]:
    """The ExternalForce columns of both feet in OpenSim's frame, from bidir-frame arrays."""
    given = {"r": (force_r, cop_r, torque_r), "l": (force_l, cop_l, torque_l)}
    out: dict[str, np.ndarray] = {}
    for side, (force, cop, torque) in given.items():
        f = to_opensim_frame(_rows(f"force_{side}", force, rows, 3))
        p = to_opensim_frame(_rows(f"cop_{side}", cop, rows, 3))
        t = to_opensim_frame(_torque(f"torque_{side}", torque, rows))
        out.update({f"ground_force_{side}_v{ax}": f[:, i] for i, ax in enumerate("xyz")})
        out.update({f"ground_force_{side}_p{ax}": p[:, i] for i, ax in enumerate("xyz")})
        out.update({f"ground_torque_{side}_{ax}": t[:, i] for i, ax in enumerate("xyz")})
    return out


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib) -> ET.Element:
    e = ET.SubElement(parent, tag, attrib)
    e.text = text
    return e


def external_loads_xml(data_file: str) -> str:
    """An OpenSim ExternalLoads document: one ExternalForce per foot (on calcn_r / calcn_l, force and point in
    ground) reading the columns of :func:`grf_columns` from ``data_file`` (a file name beside the xml)."""
    doc = ET.Element("OpenSimDocument", Version="40000")
    loads = _sub(doc, "ExternalLoads", name="externalloads")
    objects = _sub(loads, "objects")
    for side, name in (("r", "right"), ("l", "left")):
        ef = _sub(objects, "ExternalForce", name=f"{name}_grf")
        _sub(ef, "applied_to_body", FORCE_BODIES[side])
        _sub(ef, "force_expressed_in_body", "ground")
        _sub(ef, "point_expressed_in_body", "ground")
        _sub(ef, "force_identifier", f"ground_force_{side}_v")
        _sub(ef, "point_identifier", f"ground_force_{side}_p")
        _sub(ef, "torque_identifier", f"ground_torque_{side}_")
    _sub(loads, "groups")
    _sub(loads, "datafile", data_file)
    ET.indent(doc, space="\t")
    return '<?xml version="1.0" encoding="UTF-8" ?>\n' + ET.tostring(doc, encoding="unicode") + "\n"


def _stem(stem) -> str:
    if not isinstance(stem, str) or not stem or os.sep in stem or "/" in stem or any(c.isspace() for c in stem):
        raise ValueError(f"stem: {stem!r} must be a plain file name stem (no directory, no whitespace)")
    return stem


def _grf_texts(stem: str, time, force_r, force_l, cop_r, cop_l, torque_r, torque_l) -> dict[str, str]:
    t = _time(time)
    cols = grf_columns(force_r, force_l, cop_r, cop_l, len(t), torque_r, torque_l)
    return {f"{stem}_grf.mot": _table_text(t, cols, in_degrees=False, name=f"{stem}_grf"),
            f"{stem}_grf.xml": external_loads_xml(f"{stem}_grf.mot")}


def _write_all(out_dir, texts: dict[str, str]) -> dict[str, Path]:
    """Writes every text only once all were built: bad input leaves no partial set behind."""
    paths = {name: Path(out_dir) / name for name in texts}
    for name, text in texts.items():
        atomic_write_text(paths[name], text)
    return paths


def write_external_loads(dir, stem: str, time, force_r, force_l, cop_r, cop_l, torque_r=None,
                         torque_l=None) -> tuple[Path, Path]:
    """Writes ``<stem>_grf.mot`` and ``<stem>_grf.xml`` in ``dir``. Inputs in bidir's frame: forces (rows, 3) N
    (the ground's force on each foot), centres of pressure (rows, 3) m, optional free moments (rows,) about the
    vertical or (rows, 3), N m. Returns (mot, xml)."""
    stem = _stem(stem)
    paths = _write_all(dir, _grf_texts(stem, time, force_r, force_l, cop_r, cop_l, torque_r, torque_l))
    return paths[f"{stem}_grf.mot"], paths[f"{stem}_grf.xml"]


# ---------------------------------------------------------------------------------------------- everything


def activation_columns(activations: dict, rows: int) -> dict[str, np.ndarray]:
    """Muscle activations under OpenSim 4's state names (``/forceset/<muscle>/activation``)."""
    cols = _columns("activations", activations, rows)
    return {f"/forceset/{name}/activation": v for name, v in cols.items()}


def export(out_dir, stem: str, time, angles: dict[str, np.ndarray], pelvis_position, force_r, force_l, cop_r,
           cop_l, activations: dict[str, np.ndarray], *, torque_r=None, torque_l=None,
           model: str = "rajagopal2016") -> dict[str, Path]:
    """Writes ``<stem>_kinematics.mot``, ``<stem>_grf.mot``, ``<stem>_grf.xml`` and ``<stem>_activations.sto`` in
    ``out_dir`` (each atomically, and only once all inputs were checked). Returns their paths under the keys
    ``kinematics``, ``grf``, ``grf_xml``, ``activations``."""
    stem = _stem(stem)
    t = _time(time)
    coords = coordinates_from_angles(angles, pelvis_position, model=model)
    if len(coords["pelvis_tx"]) != len(t):
        raise ValueError(f"pelvis_position: has {len(coords['pelvis_tx'])} rows; time has {len(t)}")
    texts = {f"{stem}_kinematics.mot": _table_text(t, coords, in_degrees=True, name=f"{stem}_kinematics")}
    texts.update(_grf_texts(stem, t, force_r, force_l, cop_r, cop_l, torque_r, torque_l))
    acts = activation_columns(activations, len(t))
    texts[f"{stem}_activations.sto"] = _table_text(t, acts, in_degrees=False, name=f"{stem}_activations")
    paths = _write_all(out_dir, texts)
    keys = {"kinematics": "_kinematics.mot", "grf": "_grf.mot", "grf_xml": "_grf.xml",
            "activations": "_activations.sto"}
    return {k: paths[stem + suffix] for k, suffix in keys.items()}
