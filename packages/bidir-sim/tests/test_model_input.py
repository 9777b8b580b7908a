"""Bad model files (bidir's YAML and MASS's XML) and generator arguments raise ModelError naming the file, the
element and the reason; the plausible ranges they are checked against still give models that run."""

import subprocess
import sys

import numpy as np
import pytest
from bidir_sim.envs.config import CONFIG_DIR
from bidir_sim.errors import ModelError
from bidir_sim.models import (
    dump_model_yaml,
    human,
    limits,
    load_mass_model,
    load_model,
    load_model_yaml,
    parse_model_yaml,
)

BASE = dump_model_yaml(human())
A2_SEP = (CONFIG_DIR / "A2_sep.yaml").read_text()


def broken(write, old, new, count=1):
    assert old in BASE, old
    return write("model.yaml", BASE.replace(old, new, count))


def body_value(text: str, body: str, key: str, value: str) -> str:
    """The model text with ``key`` of ``body`` set to ``value`` (the first such key after its name)."""
    i = text.index(f"name: {body}\n")
    j = text.index(f"{key}:", i)
    return text[:j] + f"{key}: {value}" + text[text.index("\n", j):]


# --- the YAML model: its structure, keys and value types ----------------------------------------------------

CASES = [
    ("unknown parent", "parent: Pelvis\n", "parent: Pelvix\n", "body 'FemurR'", "parent 'Pelvix' is not a body"),
    ("negative mass", "mass: 8.0424", "mass: -8.0", "body 'Pelvis'", "mass must be a positive"),
    ("NaN mass", "mass: 8.0424", "mass: .nan", "body 'Pelvis'", "mass must be a positive"),
    ("waypoint on unknown body", "  - body: Pelvis\n", "  - body: Pelvus\n", "waypoint 0", "'Pelvus' is not a body"),
    ("unknown joint type", "type: revolute", "type: hinge", "body 'TibiaR' joint", "'hinge' is not one of"),
    ("wrong limit count", "lower: [0.0]", "lower: [0.0, 0.1]", "body 'TibiaR' joint", "must have 1 values"),
    ("missing key", "  com: [0.0, 0.049258, 0.0]\n", "", "body 'Pelvis'", "missing required key 'com'"),
    ("wrong version", "version: 1", "version: 7", "version", "reads version 1"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_model_yaml(write, case):
    _, old, new, element, reason = case
    path = broken(write, old, new)
    with pytest.raises(ModelError) as err:
        load_model_yaml(path)
    assert str(path) in str(err.value) and element in str(err.value) and reason in str(err.value)


def test_cycle_in_the_tree(write):
    text = BASE.replace("name: Pelvis\n  parent: null", "name: Pelvis\n  parent: Spine", 1)
    text = text.replace("name: Spine\n  parent: Pelvis", "name: Spine\n  parent: Torso", 1)
    with pytest.raises(ModelError, match="root body|cycle"):
        load_model_yaml(write("m.yaml", text))


def test_cycle_detected_when_a_root_exists(write):
    # Torso -> Spine -> Torso while Pelvis stays the root: the loop itself must be reported.
    text = BASE.replace("name: Spine\n  parent: Pelvis", "name: Spine\n  parent: Torso", 1)
    with pytest.raises(ModelError, match=r"cycle: .*Spine.*Torso|cycle: .*Torso.*Spine"):
        load_model_yaml(write("m.yaml", text))


def test_muscle_with_one_waypoint(write):
    doc = human()
    doc.muscles[0].waypoints = doc.muscles[0].waypoints[:1]
    path = write("m.yaml", dump_model_yaml(doc))
    with pytest.raises(ModelError, match="L_Gluteus_Maximus1.*needs 2 to 64 waypoints, has 1"):
        load_model_yaml(path)


def test_truncated_yaml(write):
    path = write("m.yaml", BASE[: len(BASE) // 3] + "\n  - {body: [")
    with pytest.raises(ModelError, match=r"m\.yaml: line \d+: invalid YAML"):
        load_model_yaml(path)


def test_missing_file(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        load_model(tmp_path / "nope.yaml")


@pytest.mark.parametrize("old, new, element, reason", [
    ("  mass: 8.0424", "  masss: 8.0424", "body 'Pelvis'", "unknown key 'masss' \\(did you mean 'mass'\\?\\)"),
    ("    type: free\n", "    type: free\n    kpp: 1\n", "body 'Pelvis' joint", "unknown key 'kpp'"),
    ("format: bidir-model\n", "format: bidir-model\nmusles: []\n", "document", "unknown key 'musles'"),
    ("  f0: ", "  f0s: 1\n  f0: ", "muscle '\\w+'", "unknown key 'f0s'"),
])
def test_unknown_model_keys_are_errors(old, new, element, reason):
    assert old in BASE, old
    with pytest.raises(ModelError, match=f"m.yaml: {element}: {reason}"):
        parse_model_yaml(BASE.replace(old, new, 1), "m.yaml")


def test_a_revolute_joint_needs_its_axis():
    i = BASE.index("type: revolute")
    j = BASE.index("    axis:", i)
    text = BASE[:j] + BASE[BASE.index("\n", j) + 1:]
    with pytest.raises(ModelError, match="m.yaml: body 'TibiaR' joint: missing required key 'axis'"):
        parse_model_yaml(text, "m.yaml")


def test_a_required_value_left_null_is_an_error():
    # found by the fuzz suite: a file cut after "p:" gave a numpy shape error instead
    text = BASE[: BASE.rindex("p: [")] + "p:\n"
    with pytest.raises(ModelError, match=r"m.yaml: muscle '\w+' waypoint \d: 'p' must be a list of numbers, got null"):
        parse_model_yaml(text, "m.yaml")


# --- plausible ranges and size limits (models/limits.py): refused at load, runnable at their edges ----------

def test_an_implausible_mass_is_refused_at_load(tmp_path):
    # a 1e15 kg foot loaded, then aborted the process in DART's contact solver (BoxedLcpConstraintSolver:229)
    with pytest.raises(ModelError, match=r"m.yaml: body 'TalusR': mass 1e\+15 kg is outside the plausible range"):
        parse_model_yaml(body_value(BASE, "TalusR", "mass", "1.0e+15"), "m.yaml")


@pytest.mark.slow
def test_implausible_values_name_the_element():
    cases = [("Pelvis", "inertia", "[1.0e+6, 1.0e+6, 1.0e+6, 0.0, 0.0, 0.0]", "principal moments of inertia"),
             ("FemurR", "position", "[0.0, 1.0e+300, 0.0]", "frame position .* more than 100 m"),
             ("Head", "com", "[0.0, 500.0, 0.0]", "com .* more than 100 m")]
    for body, key, value, reason in cases:
        with pytest.raises(ModelError, match=f"m.yaml: body '{body}': {reason}"):
            parse_model_yaml(body_value(BASE, body, key, value), "m.yaml")
    text = BASE.replace("f0: ", "f0: 1.0e+9 #", 1)
    with pytest.raises(ModelError, match=r"muscle '\w+': f0 1e\+09 N is outside the plausible range"):
        parse_model_yaml(text, "m.yaml")


EXTREME_ENV = """
import sys, numpy as np
from bidir_sim import WalkEnv
env = WalkEnv(sys.argv[1])
env.reset(seed=0)
for _ in range(20):
    *_, terminated, truncated, info = env.step(np.ones(env.action_space.shape, np.float32))
    if terminated or truncated:
        break
print("ran", bool(info["sim_error"]))
"""


@pytest.mark.parametrize("body, mass", [("TalusR", limits.BODY_MASS_KG[1]), ("TalusR", limits.BODY_MASS_KG[0]),
                                        ("Pelvis", limits.BODY_MASS_KG[1])])
@pytest.mark.slow
def test_extreme_but_valid_models_run_without_abort(body, mass, tmp_path):
    model = tmp_path / "m.yaml"
    model.write_text(body_value(BASE, body, "mass", repr(float(mass))))  # 1000.0, 0.0001: YAML floats
    config = tmp_path / "c.yaml"
    config.write_text(A2_SEP.replace("file: default", f"file: {model}"))
    probe = tmp_path / "probe.py"
    probe.write_text(EXTREME_ENV)
    r = subprocess.run([sys.executable, str(probe), str(config)], capture_output=True, text=True, timeout=300,
                       check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.startswith("ran")


# found by the fuzz soak: the pelvis' body frame moved down 0.83 m (its joint in place) drags every pelvis
# muscle anchor along; the passive forces then overflowed float32 in the muscle network (NaN activations)
FALLEN_PELVIS = BASE.replace("  position: [0.0, 0.9275, 0.0]\n  contact: false", "  position: [0.0, 0.09275, 0.0]\n"
                             "  contact: false", 1)


def test_muscle_paths_must_fit_their_fibres_at_the_zero_pose():
    assert FALLEN_PELVIS != BASE
    with pytest.raises(ModelError, match=r"m.yaml: muscle 'L_Gluteus_Maximus1': at the zero pose its path is .* m, "
                                         r"a fibre length of 5.86 x optimal"):
        parse_model_yaml(FALLEN_PELVIS, "m.yaml")


def test_forces_beyond_the_networks_reach_end_the_episode(tmp_path, monkeypatch):
    """Were such a model let through, the step ends with sim_error instead of raising NaN activations."""
    from bidir_sim import WalkEnv

    monkeypatch.setattr(limits, "MUSCLE_REST_FIBER_LENGTH", (0.0, 1e9))
    model = tmp_path / "m.yaml"
    model.write_text(FALLEN_PELVIS)
    config = tmp_path / "c.yaml"
    config.write_text(A2_SEP.replace("file: default", f"file: {model}"))
    env = WalkEnv(str(config))
    env.reset(seed=0)
    *_, terminated, _, info = env.step(np.zeros(env.action_space.shape, np.float32))
    assert terminated and info["sim_error"]


def test_oversized_files_are_refused_before_parsing(tmp_path):
    big = tmp_path / "huge.xml"
    with open(big, "wb") as f:
        f.truncate(limits.MAX_MODEL_FILE_BYTES + 1)  # sparse: no 8 MiB written
    with pytest.raises(ModelError, match=r"huge.xml: file: is 8.0 MiB; model files are limited to 8 MiB"):
        load_model(big)


# --- MASS's XML skeleton and muscle files ------------------------------------------------------------------

MASS_SKELETON = """<Skeleton name="S">
  <Node name="Root" parent="None">
    <Body type="Box" mass="{mass}" size="0.2 0.2 0.2" contact="Off"><Transformation linear="1 0 0 0 1 0 0 0 1" translation="0 1 0"/></Body>
    <Joint type="Free"><Transformation linear="1 0 0 0 1 0 0 0 1" translation="0 1 0"/></Joint>
  </Node>
  <Node name="Leg" parent="{parent}">
    <Body type="Box" mass="2" size="0.1 0.4 0.1" contact="On"><Transformation linear="1 0 0 0 1 0 0 0 1" translation="0 0.6 0"/></Body>
    <Joint type="Revolute" axis="1 0 0" lower="0" upper="2"><Transformation linear="1 0 0 0 1 0 0 0 1" translation="0 0.8 0"/></Joint>
  </Node>
</Skeleton>"""


def test_mass_xml_unknown_parent(write):
    path = write("s.xml", MASS_SKELETON.format(mass=5, parent="Hip"))
    with pytest.raises(ModelError, match=r"s\.xml: body 'Leg': parent 'Hip' is not a body"):
        load_mass_model(path)


def test_mass_xml_negative_mass(write):
    path = write("s.xml", MASS_SKELETON.format(mass=-5, parent="Root"))
    with pytest.raises(ModelError, match=r"Node 'Root': mass must be a positive"):
        load_mass_model(path)


def test_mass_xml_truncated(write):
    path = write("s.xml", MASS_SKELETON.format(mass=5, parent="Root")[:300])
    with pytest.raises(ModelError, match=r"s\.xml: line \d+, column \d+: malformed XML"):
        load_mass_model(path)


def test_mass_muscle_on_unknown_body(write):
    skel = write("s.xml", MASS_SKELETON.format(mass=5, parent="Root"))
    muscles = write("m.xml", '<Muscle><Unit name="M" f0="100" lm="1" lt="0.2" pen_angle="0">'
                    '<Waypoint body="Root" p="0 1 0.1"/><Waypoint body="Foot" p="0 0.5 0.1"/></Unit></Muscle>')
    with pytest.raises(ModelError, match=r"m\.xml: Unit 'M' waypoint 1: body 'Foot' is not in the skeleton"):
        load_mass_model(skel, muscles)


MASS_XML = """<Skeleton name="S">
  <Node name="Root" parent="None">
    <Body type="Box" mass="{mass}" size="0.2 0.2 0.2" contact="Off"><Transformation linear="1 0 0 0 1 0 0 0 1" translation="0 {y} 0"/></Body>
    <Joint type="Free"><Transformation linear="1 0 0 0 1 0 0 0 1" translation="0 1 0"/></Joint>
  </Node>
</Skeleton>"""


def test_mass_xml_plausibility(tmp_path):
    path = tmp_path / "s.xml"
    path.write_text(MASS_XML.format(mass="1e30", y=1))
    with pytest.raises(ModelError, match=r"s.xml: body 'Root': mass 1e\+30 kg is outside"):
        load_mass_model(path)
    # a translation of 1e300 was blamed on the muscle file (muscle284.xml, enforce_symmetry)
    path.write_text(MASS_XML.format(mass=5, y="1e300"))
    with pytest.raises(ModelError, match=r"s.xml: body 'Root': frame position .* more than 100 m"):
        load_mass_model(path)


def test_too_many_bodies(tmp_path):
    node = ('<Node name="B{i}" parent="Root"><Body type="Box" mass="1" size="0.1 0.1 0.1"><Transformation '
            'linear="1 0 0 0 1 0 0 0 1" translation="0 1 0"/></Body><Joint type="Ball"><Transformation '
            'linear="1 0 0 0 1 0 0 0 1" translation="0 1 0"/></Joint></Node>')
    nodes = "".join(node.format(i=i) for i in range(limits.MAX_BODIES + 1))
    path = tmp_path / "s.xml"
    path.write_text(MASS_XML.format(mass=5, y=1).replace("</Skeleton>", nodes + "</Skeleton>"))
    with pytest.raises(ModelError, match=r"s.xml: <Skeleton>: has 258 <Node>, more than the limit of 256"):
        load_mass_model(path)


# --- the parametric human's arguments ------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, key", [({"height_m": -1.0}, "height_m"), ({"mass_kg": float("nan")}, "mass_kg")])
def test_generator_arguments(kwargs, key):
    with pytest.raises(ModelError, match=key):
        human(**kwargs)
