"""Bad model, muscle and motion files raise ModelError naming the file, the element and the reason."""

import numpy as np
import pytest
from bidir_sim.errors import ModelError
from bidir_sim.models import (
    dump_model_yaml,
    human,
    load_mass_model,
    load_model,
    load_model_yaml,
)
from bidir_sim.motion import load_bvh

BASE = dump_model_yaml(human())


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def broken(tmp_path, old, new, count=1):
    assert old in BASE, old
    return write(tmp_path, "model.yaml", BASE.replace(old, new, count))


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
def test_bad_model_yaml(tmp_path, case):
    _, old, new, element, reason = case
    path = broken(tmp_path, old, new)
    with pytest.raises(ModelError) as err:
        load_model_yaml(path)
    assert str(path) in str(err.value) and element in str(err.value) and reason in str(err.value)


def test_cycle_in_the_tree(tmp_path):
    text = BASE.replace("name: Pelvis\n  parent: null", "name: Pelvis\n  parent: Spine", 1)
    text = text.replace("name: Spine\n  parent: Pelvis", "name: Spine\n  parent: Torso", 1)
    with pytest.raises(ModelError, match="root body|cycle"):
        load_model_yaml(write(tmp_path, "m.yaml", text))


def test_cycle_detected_when_a_root_exists(tmp_path):
    # Torso -> Spine -> Torso while Pelvis stays the root: the loop itself must be reported.
    text = BASE.replace("name: Spine\n  parent: Pelvis", "name: Spine\n  parent: Torso", 1)
    with pytest.raises(ModelError, match=r"cycle: .*Spine.*Torso|cycle: .*Torso.*Spine"):
        load_model_yaml(write(tmp_path, "m.yaml", text))


def test_muscle_with_one_waypoint(tmp_path):
    doc = human()
    doc.muscles[0].waypoints = doc.muscles[0].waypoints[:1]
    path = write(tmp_path, "m.yaml", dump_model_yaml(doc))
    with pytest.raises(ModelError, match="L_Gluteus_Maximus1.*needs 2 to 64 waypoints, has 1"):
        load_model_yaml(path)


def test_truncated_yaml(tmp_path):
    path = write(tmp_path, "m.yaml", BASE[: len(BASE) // 3] + "\n  - {body: [")
    with pytest.raises(ModelError, match=r"m\.yaml: line \d+: invalid YAML"):
        load_model_yaml(path)


def test_missing_file(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        load_model(tmp_path / "nope.yaml")


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


def test_mass_xml_unknown_parent(tmp_path):
    path = write(tmp_path, "s.xml", MASS_SKELETON.format(mass=5, parent="Hip"))
    with pytest.raises(ModelError, match=r"s\.xml: body 'Leg': parent 'Hip' is not a body"):
        load_mass_model(path)


def test_mass_xml_negative_mass(tmp_path):
    path = write(tmp_path, "s.xml", MASS_SKELETON.format(mass=-5, parent="Root"))
    with pytest.raises(ModelError, match=r"Node 'Root': mass must be a positive"):
        load_mass_model(path)


def test_mass_xml_truncated(tmp_path):
    path = write(tmp_path, "s.xml", MASS_SKELETON.format(mass=5, parent="Root")[:300])
    with pytest.raises(ModelError, match=r"s\.xml: line \d+, column \d+: malformed XML"):
        load_mass_model(path)


def test_mass_muscle_on_unknown_body(tmp_path):
    skel = write(tmp_path, "s.xml", MASS_SKELETON.format(mass=5, parent="Root"))
    muscles = write(tmp_path, "m.xml", '<Muscle><Unit name="M" f0="100" lm="1" lt="0.2" pen_angle="0">'
                    '<Waypoint body="Root" p="0 1 0.1"/><Waypoint body="Foot" p="0 0.5 0.1"/></Unit></Muscle>')
    with pytest.raises(ModelError, match=r"m\.xml: Unit 'M' waypoint 1: body 'Foot' is not in the skeleton"):
        load_mass_model(skel, muscles)


BVH = """HIERARCHY
ROOT Hips
{
  OFFSET 0 100 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT Knee
  {
    OFFSET 0 -40 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 -40 0
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.01
"""


def test_bvh_wrong_channel_count(tmp_path):
    path = write(tmp_path, "w.bvh", BVH + "0 100 0 0 0 0 0 0 0\n0 100 0 0 0 0 0 0\n")
    with pytest.raises(ModelError, match=r"w\.bvh: frame 1: has 8 values, the hierarchy has 9 channels"):
        load_bvh(path)


def test_bvh_truncated(tmp_path):
    path = write(tmp_path, "w.bvh", BVH + "0 100 0 0 0 0 0 0 0\n")
    with pytest.raises(ModelError, match=r"declares 2 frames but has 1"):
        load_bvh(path)


def test_bvh_unknown_channel(tmp_path):
    path = write(tmp_path, "w.bvh", BVH.replace("Zrotation Xrotation Yrotation\n    End", "Zrotation Xrotation Wrotation\n    End"))
    with pytest.raises(ModelError, match=r"unknown channel 'Wrotation'"):
        load_bvh(path)


def test_bvh_good_file_parses(tmp_path):
    bvh = load_bvh(write(tmp_path, "w.bvh", BVH + "0 100 0 0 0 0 0 0 0\n1 100 0 0 0 0 30 0 0\n"))
    assert bvh.num_frames == 2 and bvh.frames.shape == (2, 9)
    assert bvh.root_position()[1] == pytest.approx([0.01, 1.0, 0.0])


@pytest.mark.parametrize("kwargs, key", [({"height_m": -1.0}, "height_m"), ({"mass_kg": float("nan")}, "mass_kg")])
def test_generator_arguments(kwargs, key):
    with pytest.raises(ModelError, match=key):
        human(**kwargs)


# --- arguments of the envs (the hostile-input issue's cases; each failed before with a raw or no error)

def test_numpy_integers_are_counts_and_bad_seeds_are_named():
    from bidir_sim import BatchEnv

    env = BatchEnv("A2_sep", num_envs=np.int64(2), num_threads=np.int32(1))
    assert env.num_envs == 2 and isinstance(env.num_envs, int)
    with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 2\*\*64 - num_envs\], got -1"):
        BatchEnv("A2_sep", num_envs=2, seed=-1)
    with pytest.raises(ValueError, match="seed must be an integer"):
        env.reset(seed=2**70)
    with pytest.raises(ValueError, match="num_envs must be a positive integer, got True"):
        BatchEnv("A2_sep", num_envs=True)


def test_reset_options_must_be_finite_numbers():
    from bidir_sim import WalkEnv

    env = WalkEnv("A2_sep")
    for bad in (float("nan"), float("inf"), "0.3", None):
        with pytest.raises(ValueError, match=f"reset option 'phase' must be a finite number, got {bad!r}"):
            env.reset(seed=0, options={"phase": bad})


def test_actions_must_be_real_and_fit_float32():
    from bidir_sim import BatchEnv, WalkEnv

    env = WalkEnv("A2_sep")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action must be real numbers, got dtype complex128"):
        env.step(np.zeros(51) + 1j)
    big = np.zeros(51)
    big[7] = 1e300
    with pytest.raises(ValueError, match=r"action\[7\] = .*1e\+300.* overflows float32"):
        env.step(big)
    batch = BatchEnv("A2_sep", num_envs=2, num_threads=1)
    batch.reset(seed=0)
    big = np.zeros((2, 51))
    big[1, 3] = -1e39
    with pytest.raises(ValueError, match=r"actions\[1, 3\] = .* overflows float32"):
        batch.step(big)
    with pytest.raises(ValueError, match="actions must be real numbers"):
        batch.step(np.zeros((2, 51), complex))


LAUGHS = "".join(f"l{i + 1}: &l{i + 1} [*l{i}, *l{i}, *l{i}, *l{i}, *l{i}, *l{i}, *l{i}, *l{i}, *l{i}]\n"
                 for i in range(9))  # nine levels of nine: 9**9 strings once expanded


def test_yaml_aliases_are_refused_before_anything_expands(tmp_path):
    """'Billion laughs': a config or model whose value is a nested alias is refused at its first alias,
    naming the file and the line, instead of expanding it (8 GB and 75 s before)."""
    from bidir_sim.envs.config import parse_env_config
    from bidir_sim.errors import ConfigError
    from bidir_sim.models import parse_model_yaml

    bomb = "l0: &l0 lol\n" + LAUGHS
    with pytest.raises(ConfigError, match=r"bomb.yaml: yaml: .*YAML aliases \(\*l0\) are not allowed"):
        parse_env_config(bomb + "environment:\n  skeleton: {file: *l9}\n", source="bomb.yaml")
    with pytest.raises(ModelError, match=r"model.yaml: line 2: invalid YAML \(YAML aliases \(\*l0\) are not allowed"):
        parse_model_yaml(bomb + "format: bidir-model/1\nbodies: *l9\n", "model.yaml")


def test_what_bidir_writes_has_no_aliases():
    from bidir_sim.io_util import dump_yaml, load_yaml

    shared = [1.0, 2.0]
    text = dump_yaml({"a": shared, "b": shared})
    assert "&" not in text and load_yaml(text) == {"a": [1.0, 2.0], "b": [1.0, 2.0]}
