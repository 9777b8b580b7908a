"""The OpenSim export (bidir_sim.gait.opensim): files read back with numpy (values, units, frame, signs), then,
where the PyPI ``opensim`` package is installed, with OpenSim's own readers, and driving a small OpenSim model
whose joint axes are those of Rajagopal2016.osim."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from bidir_sim.gait import opensim as bo

N = 41
TIME = np.linspace(0.0, 1.2, N)
PHASE = 2 * np.pi * TIME / 1.2
S, C = np.sin(PHASE), np.cos(PHASE)


def _angles() -> dict[str, np.ndarray]:
    """A synthetic cycle of every angle angles.py produces (degrees), left half a cycle after the right."""
    a = {"pelvis_tilt": 10 + 2 * S, "pelvis_obliquity_r": 4 * S, "pelvis_obliquity_l": -4 * S,
         "pelvis_rotation_r": 5 * C, "pelvis_rotation_l": -5 * C}
    for side, sign in (("r", 1.0), ("l", -1.0)):
        s, c = sign * S, sign * C
        a |= {f"hip_flexion_{side}": 12 + 22 * c, f"hip_adduction_{side}": 4 * s,
              f"hip_internal_rotation_{side}": 3 * c, f"knee_flexion_{side}": 30 - 28 * s,
              f"ankle_dorsiflexion_{side}": 8 * s, f"foot_progression_{side}": -6 + s}
    return a


def _pelvis() -> np.ndarray:
    """Pelvis origin in bidir's frame: x left (sways), y up, z forward (walks 1.3 m/s)."""
    return np.stack([0.02 * S, 0.95 + 0.02 * C, 1.3 * TIME], axis=1)


def _feet() -> dict[str, np.ndarray]:
    stance_r, stance_l = np.clip(S, 0, None), np.clip(-S, 0, None)
    force = lambda st: np.stack([-15 * st * C, 700 * st, 90 * st * C], axis=1)
    cop = lambda st, x: np.stack([np.full(N, x), np.zeros(N), 1.3 * TIME + 0.1 * C], axis=1)
    return {"force_r": force(stance_r), "force_l": force(stance_l), "cop_r": cop(stance_r, -0.09),
            "cop_l": cop(stance_l, 0.09)}


def _activations() -> dict[str, np.ndarray]:
    return {"soleus_r": 0.5 + 0.5 * S ** 2, "tib_ant_l": 0.1 + 0.05 * C}


def _export(tmp_path, **over):
    kw = dict(angles=_angles(), pelvis_position=_pelvis(), activations=_activations(), **_feet())
    kw.update(over)
    return bo.export(tmp_path, "walk", TIME, **kw)


def _read_table(path) -> tuple[dict[str, str], list[str], np.ndarray]:
    """(header key=value pairs, column labels, data) of a .mot/.sto, parsed with plain Python and numpy."""
    lines = path.read_text().splitlines()
    end = lines.index("endheader")
    header = dict(line.split("=", 1) for line in lines[1:end])
    header["name"] = lines[0]
    return header, lines[end + 1].split("\t"), np.loadtxt(path, skiprows=end + 2, ndmin=2)


def _column(path, label: str) -> np.ndarray:
    _, labels, data = _read_table(path)
    return data[:, labels.index(label)]


# ---------------------------------------------------------------------------------------------- numpy only


def test_write_mot_header_and_values(tmp_path):
    cols = {"a": S, "b": 3 * C}
    path = bo.write_mot(tmp_path / "x.mot", TIME, cols, in_degrees=True, name="cycle")
    header, labels, data = _read_table(path)
    assert header == {"name": "cycle", "version": "1", "nRows": str(N), "nColumns": "3", "inDegrees": "yes"}
    assert labels == ["time", "a", "b"]
    np.testing.assert_allclose(data, np.column_stack([TIME, S, 3 * C]), atol=1e-9)


def test_write_sto_defaults_to_not_degrees(tmp_path):
    header, labels, _ = _read_table(bo.write_sto(tmp_path / "x.sto", TIME, {"a": S}, name="acts"))
    assert header["inDegrees"] == "no" and labels == ["time", "a"]


def test_coordinates_signs_and_frame():
    a, pos = _angles(), _pelvis()
    q = bo.coordinates_from_angles(a, pos)
    assert list(q)[:6] == ["pelvis_tilt", "pelvis_list", "pelvis_rotation", "pelvis_tx", "pelvis_ty", "pelvis_tz"]
    np.testing.assert_allclose(q["pelvis_tilt"], -a["pelvis_tilt"])  # OpenSim + posterior
    np.testing.assert_allclose(q["pelvis_list"], -a["pelvis_obliquity_r"])  # OpenSim + right side down
    np.testing.assert_allclose(q["pelvis_rotation"], a["pelvis_rotation_r"])  # OpenSim + right side forward
    # OpenSim X forward = bidir z, Y up = y, Z right = -x (bidir's x is the body's left)
    xyz = np.stack([q["pelvis_tx"], q["pelvis_ty"], q["pelvis_tz"]], 1)
    np.testing.assert_allclose(xyz, pos[:, [2, 1, 0]] * [1, 1, -1])
    for s in "rl":
        np.testing.assert_allclose(q[f"hip_flexion_{s}"], a[f"hip_flexion_{s}"])
        np.testing.assert_allclose(q[f"hip_adduction_{s}"], a[f"hip_adduction_{s}"])
        np.testing.assert_allclose(q[f"hip_rotation_{s}"], a[f"hip_internal_rotation_{s}"])
        np.testing.assert_allclose(q[f"knee_angle_{s}"], a[f"knee_flexion_{s}"])
        np.testing.assert_allclose(q[f"ankle_angle_{s}"], a[f"ankle_dorsiflexion_{s}"])
    assert not any("foot_progression" in k for k in q)  # no OpenSim coordinate of its own


def test_gait2392_knee_is_negative_in_flexion():
    a = _angles()
    q = bo.coordinates_from_angles(a, _pelvis(), model="gait2392")
    np.testing.assert_allclose(q["knee_angle_r"], -a["knee_flexion_r"])
    np.testing.assert_allclose(q["hip_flexion_r"], a["hip_flexion_r"])


def test_left_pelvis_angles_alone_give_the_same_coordinates():
    a = _angles()
    left_only = {k: v for k, v in a.items() if not k.startswith(("pelvis_obliquity_r", "pelvis_rotation_r"))}
    q, q_left = bo.coordinates_from_angles(a, _pelvis()), bo.coordinates_from_angles(left_only, _pelvis())
    for name in ("pelvis_list", "pelvis_rotation"):
        np.testing.assert_allclose(q_left[name], q[name])


def test_grf_mot_columns_in_opensim_frame(tmp_path):
    feet = _feet()
    torque_r = np.stack([np.zeros(N), 2 * S, np.zeros(N)], 1)  # vector form, about +y (up)
    mot, _ = bo.write_external_loads(tmp_path, "w", TIME, **feet, torque_r=torque_r, torque_l=-3 * C)
    header, labels, _ = _read_table(mot)
    assert header["nColumns"] == str(len(labels)) == "19"
    for s in "rl":
        f, p = feet[f"force_{s}"], feet[f"cop_{s}"]
        for i, (ax, k, sign) in enumerate(zip("xyz", (2, 1, 0), (1, 1, -1))):
            np.testing.assert_allclose(_column(mot, f"ground_force_{s}_v{ax}"), sign * f[:, k], atol=1e-6)
            np.testing.assert_allclose(_column(mot, f"ground_force_{s}_p{ax}"), sign * p[:, k], atol=1e-9)
    np.testing.assert_allclose(_column(mot, "ground_torque_r_y"), 2 * S, atol=1e-9)
    np.testing.assert_allclose(_column(mot, "ground_torque_l_y"), -3 * C, atol=1e-9)
    for name in ("ground_torque_r_x", "ground_torque_r_z", "ground_torque_l_x", "ground_torque_l_z"):
        assert not _column(mot, name).any()
    # stance: the ground pushes the foot up (+Y in OpenSim too); the right foot is at OpenSim +Z
    assert _column(mot, "ground_force_r_vy").max() == pytest.approx(700, rel=1e-3)
    assert (_column(mot, "ground_force_r_pz") > 0).all() and (_column(mot, "ground_force_l_pz") < 0).all()


def test_external_loads_xml(tmp_path):
    _, xml = bo.write_external_loads(tmp_path, "w", TIME, **_feet())
    loads = ET.parse(xml).getroot().find("ExternalLoads")
    assert loads.findtext("datafile") == "w_grf.mot"  # by name: the xml travels with its .mot
    forces = loads.findall("objects/ExternalForce")
    got = [(f.findtext("applied_to_body"), f.findtext("force_expressed_in_body"), f.findtext("point_expressed_in_body"),
            f.findtext("force_identifier"), f.findtext("point_identifier"), f.findtext("torque_identifier"))
           for f in forces]
    assert got == [("calcn_r", "ground", "ground", "ground_force_r_v", "ground_force_r_p", "ground_torque_r_"),
                   ("calcn_l", "ground", "ground", "ground_force_l_v", "ground_force_l_p", "ground_torque_l_")]


def test_export_writes_the_four_files(tmp_path):
    paths = _export(tmp_path)
    assert {k: p.name for k, p in paths.items()} == {
        "kinematics": "walk_kinematics.mot", "grf": "walk_grf.mot", "grf_xml": "walk_grf.xml",
        "activations": "walk_activations.sto"}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths.values())  # no temp files
    header, labels, _ = _read_table(paths["kinematics"])
    assert header["inDegrees"] == "yes" and len(labels) == 17  # time + 16 coordinates
    header, labels, data = _read_table(paths["activations"])
    assert header["inDegrees"] == "no"
    assert labels == ["time", "/forceset/soleus_r/activation", "/forceset/tib_ant_l/activation"]
    np.testing.assert_allclose(data[:, 1], 0.5 + 0.5 * S ** 2, atol=1e-9)


def _with(d: dict, key, value) -> dict:
    out = dict(d)
    out[key] = value
    return out


def _nan_at(a: np.ndarray, index, value=np.nan) -> np.ndarray:
    a = np.array(a, dtype=float)
    a[index] = value
    return a


BAD = {
    "short angle": ({"angles": _with(_angles(), "knee_flexion_r", S[:-1])}, r"angles\['knee_flexion_r'\].*shape"),
    "unknown angle": ({"angles": _with(_angles(), "knee_varus_r", S)}, r"angles: unknown angle name.*knee_varus_r"),
    "nan force": ({"force_l": _nan_at(_feet()["force_l"], (3, 1))}, r"force_l: has 1 NaN/inf.*\(3, 1\)"),
    "inf pelvis": ({"pelvis_position": _nan_at(_pelvis(), (0, 2), np.inf)},
                   r"pelvis_position: has 1 NaN/inf.*\(0, 2\)"),
    "short cop": ({"cop_r": _feet()["cop_r"][:-2]}, r"cop_r: has shape \(39, 3\)"),
    "unmirrored pelvis": ({"angles": _with(_angles(), "pelvis_obliquity_l", 4 * S)},
                          r"angles\['pelvis_obliquity_l'\]: must mirror"),
    "short torque": ({"torque_r": S[:3]}, r"torque_r: has shape \(3,\); expected \(41,\)"),
    "activation name": ({"activations": {"soleus r": S}}, r"activations: column name 'soleus r'"),
    "activation length": ({"activations": {"soleus_r": S[:5]}}, r"activations\['soleus_r'\]: has shape"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_input_names_the_array_and_writes_nothing(tmp_path, case):
    over, pattern = BAD[case]
    with pytest.raises(ValueError, match=pattern):
        _export(tmp_path, **over)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("time, pattern", [
    (np.r_[TIME[:10], TIME[9], TIME[11:]], r"time: must increase strictly.*row 10"),
    (_nan_at(TIME, 5), r"time: has 1 NaN/inf"),
    (np.zeros((N, 2)), r"time: must be a non-empty 1-D array"),
])
def test_bad_time(tmp_path, time, pattern):
    with pytest.raises(ValueError, match=pattern):
        bo.export(tmp_path, "walk", time, _angles(), _pelvis(), activations=_activations(), **_feet())
    with pytest.raises(ValueError, match=pattern):
        bo.write_mot(tmp_path / "x.mot", time, {"a": np.zeros(len(time))}, in_degrees=False, name="x")
    assert list(tmp_path.iterdir()) == []


def test_center_of_pressure_recovers_point_and_free_moment():
    rng = np.random.default_rng(0)
    f = np.column_stack([rng.normal(0, 50, N), rng.uniform(50, 900, N), rng.normal(0, 80, N)])
    h = 0.01
    p = np.column_stack([rng.normal(0, 0.2, N), np.full(N, h), rng.normal(1, 0.5, N)])
    tau = rng.normal(0, 3, N)
    moment = np.cross(p, f) + np.outer(tau, [0, 1, 0])  # about the world origin, as the record stores it
    f[:3] = [0.0, 0.2, 0.0]  # swing: under min_vertical
    cop, free = bo.center_of_pressure(f, moment, floor_height=h)
    np.testing.assert_allclose(cop[3:], p[3:], atol=1e-9)
    np.testing.assert_allclose(free[3:], tau[3:], atol=1e-9)
    assert not cop[:3].any() and not free[:3].any()


# ---------------------------------------------------------------------------------------------- with OpenSim


@pytest.fixture(scope="module")
def osim():
    # exc_type=ImportError: a wheel whose shared libraries do not load raises ImportError, not ModuleNotFoundError
    osim = pytest.importorskip("opensim", exc_type=ImportError, reason="the PyPI 'opensim' package (an optional "
                               "test dependency: pip install opensim) is not installed or does not load; "
                               "python -c 'import opensim' shows why")
    osim.Logger.removeFileSink()  # else OpenSim writes opensim.log into the working directory
    return osim


def _own(osim_object):
    # TransformAxis.setFunction adopts the pointer; without this Python frees it too and OpenSim crashes.
    osim_object.thisown = False
    return osim_object


def _custom_joint(osim, model, name, parent, offset, child, rotations, translations=()):
    """A CustomJoint whose rotation axes (coordinate, axis) are listed first, the rest locked at 0."""
    st = osim.SpatialTransform()
    used = [np.asarray(axis, float) for _, axis in rotations]
    spare = [(None, e) for e in np.eye(3) if all(abs(e @ u) < 0.5 for u in used)]
    for i, (coord, axis) in enumerate([*rotations, *spare][:3]):
        _transform_axis(osim, st.updTransformAxis(i), coord, axis)
    for i in range(3):
        _transform_axis(osim, st.updTransformAxis(3 + i), translations[i] if translations else None, np.eye(3)[i])
    joint = osim.CustomJoint(name, parent, osim.Vec3(*offset), osim.Vec3(0), child, osim.Vec3(0), osim.Vec3(0), st)
    model.addJoint(joint)


def _transform_axis(osim, ta, coord, axis):
    ta.setAxis(osim.Vec3(*map(float, axis)))
    if coord is None:
        ta.setFunction(_own(osim.Constant(0.0)))
        return
    names = osim.ArrayStr()
    names.append(coord)
    ta.setCoordinateNames(names)
    ta.setFunction(_own(osim.LinearFunction(1.0, 0.0)))


def _tiny_model(osim):
    """Pelvis (6 DoF), femur, tibia and calcaneus per side, with the coordinates and joint axes of
    Rajagopal2016.osim (ground_pelvis: tilt about Z, list about X, rotation about Y, then X/Y/Z translations;
    hip: Z, X, Y, the left's adduction and rotation axes negated; walker knee: about ~-Z of the femur; ankle:
    about ~+Z of the tibia). Segment lengths are round numbers, not Rajagopal's."""
    model = osim.Model()
    model.setName("tiny_rajagopal_axes")

    def body(name):
        b = osim.Body(name, 1.0, osim.Vec3(0), osim.Inertia(0.01, 0.01, 0.01))
        model.addBody(b)
        return b

    pelvis = body("pelvis")
    _custom_joint(osim, model, "ground_pelvis", model.getGround(), (0, 0, 0), pelvis,
                  [("pelvis_tilt", (0, 0, 1)), ("pelvis_list", (1, 0, 0)), ("pelvis_rotation", (0, 1, 0))],
                  ("pelvis_tx", "pelvis_ty", "pelvis_tz"))
    for s, z in (("r", 1), ("l", -1)):
        femur, tibia, calcn = body(f"femur_{s}"), body(f"tibia_{s}"), body(f"calcn_{s}")
        _custom_joint(osim, model, f"hip_{s}", pelvis, HIP[s], femur,
                      [(f"hip_flexion_{s}", (0, 0, 1)), (f"hip_adduction_{s}", (z, 0, 0)),
                       (f"hip_rotation_{s}", (0, z, 0))])
        _custom_joint(osim, model, f"knee_{s}", femur, (0, -0.4, 0), tibia, [(f"knee_angle_{s}", (0, 0, -1))])
        _custom_joint(osim, model, f"ankle_{s}", tibia, (0, -0.4, 0), calcn, [(f"ankle_angle_{s}", (0, 0, 1))])
    return model


HIP = {"r": (-0.056, -0.078, 0.077), "l": (-0.056, -0.078, -0.077)}  # Rajagopal2016's hip centres in the pelvis


def _set_row(osim, model, state, table, i):
    """Sets every coordinate named by the table's columns from row i (degrees -> radians where rotational)."""
    degrees = table.getTableMetaDataAsString("inDegrees") == "yes"
    row = table.getRowAtIndex(i)
    coords = model.getCoordinateSet()
    for k, label in enumerate(table.getColumnLabels()):
        c = coords.get(label)
        value = row[k]
        if degrees and c.getMotionType() == osim.Coordinate.Rotational:
            value = math.radians(value)
        c.setValue(state, value, False)
    model.realizePosition(state)


def _vec(v) -> np.ndarray:
    return np.array([v.get(i) for i in range(3)])


def test_opensim_reads_every_file(osim, tmp_path):
    paths = _export(tmp_path)
    q = bo.coordinates_from_angles(_angles(), _pelvis())
    expected = {"kinematics": q, "grf": bo.grf_columns(**_feet(), rows=N),
                "activations": bo.activation_columns(_activations(), N)}
    for key, cols in expected.items():
        table = osim.TimeSeriesTable(str(paths[key]))
        assert list(table.getColumnLabels()) == list(cols)
        assert table.getNumRows() == N
        np.testing.assert_allclose(table.getIndependentColumn(), TIME, atol=1e-9)
        for label, values in cols.items():
            got = table.getDependentColumn(label).to_numpy()
            np.testing.assert_allclose(got, values, atol=1e-6, err_msg=f"{paths[key].name}: {label}")
    assert osim.TimeSeriesTable(str(paths["kinematics"])).getTableMetaDataAsString("inDegrees") == "yes"
    storage = osim.Storage(str(paths["activations"]))  # the legacy reader (OpenSim's GUI, older tools)
    assert storage.getSize() == N and storage.getColumnLabels().getSize() == 3
    loads = osim.ExternalLoads(str(paths["grf_xml"]), True)
    assert loads.getDataFileName() == "walk_grf.mot"
    got = [(loads.get(i).getAppliedToBodyName(), loads.get(i).getForceExpressedInBodyName(),
            loads.get(i).getPointExpressedInBodyName(), loads.get(i).getForceIdentifier(),
            loads.get(i).getPointIdentifier(), loads.get(i).getTorqueIdentifier()) for i in range(loads.getSize())]
    assert got == [("calcn_r", "ground", "ground", "ground_force_r_v", "ground_force_r_p", "ground_torque_r_"),
                   ("calcn_l", "ground", "ground", "ground_force_l_v", "ground_force_l_p", "ground_torque_l_")]


def test_mot_drives_a_model_through_the_cycle(osim, tmp_path):
    paths = _export(tmp_path)
    model = _tiny_model(osim)
    state = model.initSystem()
    table = osim.TimeSeriesTable(str(paths["kinematics"]))
    q = bo.coordinates_from_angles(_angles(), _pelvis())
    pelvis = model.getBodySet().get("pelvis")
    expected_pelvis = bo.to_opensim_frame(_pelvis())
    for i in range(N):
        _set_row(osim, model, state, table, i)
        for name, values in q.items():
            got = model.getCoordinateSet().get(name).getValue(state)
            want = values[i] if name in ("pelvis_tx", "pelvis_ty", "pelvis_tz") else math.radians(values[i])
            assert got == pytest.approx(want, abs=1e-8), (i, name)
        np.testing.assert_allclose(_vec(pelvis.getPositionInGround(state)), expected_pelvis[i], atol=1e-8)


def _in(osim, state, body, point, frame):
    return _vec(body.findStationLocationInAnotherFrame(state, osim.Vec3(*point), frame))


def _dir(osim, state, body, vector, frame):
    return _vec(body.expressVectorInAnotherFrame(state, osim.Vec3(*vector), frame))


# bidir angle(s) at +15 deg (its clinical meaning), and what that must look like in the model (X fwd, Y up, Z right)
ANATOMY = {
    "anterior pelvic tilt": ({"pelvis_tilt": 15}, lambda g: g["dir"]("pelvis", (1, 0, 0), "ground")[1] < -0.2),
    "right crest up": ({"pelvis_obliquity_r": 15, "pelvis_obliquity_l": -15},
                       lambda g: g["dir"]("pelvis", (0, 0, 1), "ground")[1] > 0.2),
    "left crest up": ({"pelvis_obliquity_l": 15}, lambda g: g["dir"]("pelvis", (0, 0, 1), "ground")[1] < -0.2),
    "right side forward": ({"pelvis_rotation_r": 15}, lambda g: g["dir"]("pelvis", (0, 0, 1), "ground")[0] > 0.2),
    "hip flexion r": ({"hip_flexion_r": 15}, lambda g: g["at"]("tibia_r", "pelvis")[0] - HIP["r"][0] > 0.05),
    "hip flexion l": ({"hip_flexion_l": 15}, lambda g: g["at"]("tibia_l", "pelvis")[0] - HIP["l"][0] > 0.05),
    "hip adduction r": ({"hip_adduction_r": 15}, lambda g: g["at"]("tibia_r", "pelvis")[2] - HIP["r"][2] < -0.05),
    "hip adduction l": ({"hip_adduction_l": 15}, lambda g: g["at"]("tibia_l", "pelvis")[2] - HIP["l"][2] > 0.05),
    "hip internal r": ({"hip_internal_rotation_r": 15}, lambda g: g["dir"]("femur_r", (1, 0, 0), "pelvis")[2] < -0.2),
    "hip internal l": ({"hip_internal_rotation_l": 15}, lambda g: g["dir"]("femur_l", (1, 0, 0), "pelvis")[2] > 0.2),
    "knee flexion r": ({"knee_flexion_r": 15}, lambda g: g["at"]("calcn_r", "femur_r")[0] < -0.05),
    "knee flexion l": ({"knee_flexion_l": 15}, lambda g: g["at"]("calcn_l", "femur_l")[0] < -0.05),
    "dorsiflexion r": ({"ankle_dorsiflexion_r": 15}, lambda g: g["dir"]("calcn_r", (1, 0, 0), "tibia_r")[1] > 0.2),
    "dorsiflexion l": ({"ankle_dorsiflexion_l": 15}, lambda g: g["dir"]("calcn_l", (1, 0, 0), "tibia_l")[1] > 0.2),
}


@pytest.mark.parametrize("case", ANATOMY, ids=list(ANATOMY))
def test_exported_signs_are_anatomical_in_rajagopal_axes(osim, tmp_path, case):
    angles, holds = ANATOMY[case]
    t = np.array([0.0, 0.01])
    arrays = {k: np.full(2, float(v)) for k, v in angles.items()}
    feet = {k: np.zeros((2, 3)) for k in ("force_r", "force_l", "cop_r", "cop_l")}
    paths = bo.export(tmp_path, "pose", t, arrays, np.zeros((2, 3)), activations={}, **feet)
    model = _tiny_model(osim)
    state = model.initSystem()
    _set_row(osim, model, state, osim.TimeSeriesTable(str(paths["kinematics"])), 0)
    bodies = model.getBodySet()
    frame = lambda name: model.getGround() if name == "ground" else bodies.get(name)
    geometry = {"dir": lambda b, v, f: _dir(osim, state, bodies.get(b), v, frame(f)),
                "at": lambda b, f: _in(osim, state, bodies.get(b), (0, 0, 0), frame(f))}
    assert holds(geometry)


def test_external_loads_apply_to_the_model(osim, tmp_path, monkeypatch):
    feet = _feet()
    free = 1.5 * S
    paths = _export(tmp_path, torque_r=free)
    model = _tiny_model(osim)
    loads = osim.ExternalLoads(str(paths["grf_xml"]), True)
    model.addModelComponent(loads)
    monkeypatch.chdir(tmp_path)  # OpenSim opens the datafile relative to the working directory
    model.initSystem()
    right, left = loads.get("right_grf"), loads.get("left_grf")
    for i in (5, 10, 30):  # right stance, right stance, left stance
        t = float(TIME[i])
        for force, s in ((right, "r"), (left, "l")):
            np.testing.assert_allclose(_vec(force.getForceAtTime(t)), bo.to_opensim_frame(feet[f"force_{s}"][i]),
                                       atol=1e-6)
            np.testing.assert_allclose(_vec(force.getPointAtTime(t)), bo.to_opensim_frame(feet[f"cop_{s}"][i]),
                                       atol=1e-6)
        np.testing.assert_allclose(_vec(right.getTorqueAtTime(t)), [0, free[i], 0], atol=1e-6)
