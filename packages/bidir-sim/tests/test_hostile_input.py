"""The hostile-input cases (issue #18 §1-§4): each aborted, ran away, gave a silent wrong result or an
unclear error before, and now gives a clear error naming the file, key or index (or runs, when valid)."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from bidir_sim import PhysicsDiverged, Simulation
from bidir_sim.envs.config import parse_env_config
from bidir_sim.errors import ConfigError, ModelError
from bidir_sim.models import dump_model_yaml, human, limits, load_mass_model, load_model, parse_model_yaml
from bidir_sim.motion import load_bvh

BASE = dump_model_yaml(human())
A2_SEP = (__import__("bidir_sim").envs.config.CONFIG_DIR / "A2_sep.yaml").read_text()


def body_value(text: str, body: str, key: str, value: str) -> str:
    """The model text with ``key`` of ``body`` set to ``value`` (the first such key after its name)."""
    i = text.index(f"name: {body}\n")
    j = text.index(f"{key}:", i)
    return text[:j] + f"{key}: {value}" + text[text.index("\n", j):]


def run_python(code: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, check=False)


# --- §1 aborts: nothing reaches DART's asserts ------------------------------------------------------------

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


ABORT_PROBE = """
import sys, numpy as np
from bidir_sim import PhysicsDiverged, Simulation
from bidir_sim.models import load_model
sim = Simulation(load_model("default").native(), 1 / 480)
what, value, index = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
v = np.zeros(sim.positions.size)
v[index] = value
try:
    if what == "forces":
        sim.set_forces(v)
    else:
        setattr(sim, what, v)
    sim.step(20)
except (ValueError, PhysicsDiverged) as e:
    print(type(e).__name__, e)
else:
    print("ran")
"""


@pytest.mark.parametrize("what, value, index, outcome", [
    ("forces", 1e30, 0, "ValueError forces[0] = 1e+30 is beyond the bound"),   # BallJoint.cpp:159 abort
    ("velocities", 1e12, 0, "ValueError velocities[0] = 1e+12 is beyond"),    # RevoluteJoint.cpp:186 abort
    ("positions", 1e300, 0, "ValueError positions[0] = 1e+300 is beyond"),     # FreeJoint.cpp:670 abort
    ("positions", 1e300, 7, "ValueError positions[7] = 1e+300 is beyond"),     # BallJoint.cpp:159 abort
    ("forces", 1e6, 0, "PhysicsDiverged velocities["),                         # at the bound: diverges, cleanly
    ("velocities", 999.0, 3, "ran"),                                           # valid: the body slides
])
@pytest.mark.slow
def test_simulation_never_aborts(what, value, index, outcome, tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(ABORT_PROBE)
    r = subprocess.run([sys.executable, str(probe), what, str(value), str(index)], capture_output=True, text=True,
                       timeout=120, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.startswith(outcome), r.stdout


def test_physics_diverged_is_a_python_exception():
    sim = Simulation(load_model("default").native(), 1 / 480)
    tau = np.zeros(sim.positions.size)
    tau[0] = 1e6  # the largest force set_forces takes
    sim.set_forces(tau)
    with pytest.raises(PhysicsDiverged, match=r"velocities\[\d+\] = .* is beyond the bound of 1000"):
        sim.step(50)
    assert issubclass(PhysicsDiverged, RuntimeError)


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


# --- §2 runaway resources: bounded, and said so ---------------------------------------------------------

def test_oversized_files_are_refused_before_parsing(tmp_path):
    big = tmp_path / "huge.xml"
    with open(big, "wb") as f:
        f.truncate(limits.MAX_MODEL_FILE_BYTES + 1)  # sparse: no 8 MiB written
    with pytest.raises(ModelError, match=r"huge.xml: file: is 8.0 MiB; model files are limited to 8 MiB"):
        load_model(big)


def test_too_many_bodies(tmp_path):
    node = ('<Node name="B{i}" parent="Root"><Body type="Box" mass="1" size="0.1 0.1 0.1"><Transformation '
            'linear="1 0 0 0 1 0 0 0 1" translation="0 1 0"/></Body><Joint type="Ball"><Transformation '
            'linear="1 0 0 0 1 0 0 0 1" translation="0 1 0"/></Joint></Node>')
    nodes = "".join(node.format(i=i) for i in range(limits.MAX_BODIES + 1))
    path = tmp_path / "s.xml"
    path.write_text(MASS_XML.format(mass=5, y=1).replace("</Skeleton>", nodes + "</Skeleton>"))
    with pytest.raises(ModelError, match=r"s.xml: <Skeleton>: has 258 <Node>, more than the limit of 256"):
        load_mass_model(path)


def test_batch_env_memory_and_threads_are_bounded():
    from bidir_sim import BatchEnv

    with pytest.raises(ValueError, match=r"num_envs=1000000 needs about 7812.5 GiB .* at most \d+ envs fit"):
        BatchEnv("A2_sep", num_envs=10**6)
    with pytest.raises(ValueError, match="num_threads must be at most 256, got 1000"):
        BatchEnv("A2_sep", num_envs=2, num_threads=1000)


# --- §3 silent wrong results: now errors ----------------------------------------------------------------

BVH = """HIERARCHY
ROOT Hips
{
  OFFSET 0 100 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
}
MOTION
Frames: 2
Frame Time: 0.01
0 100 0 0 0 0
1 100 0 0 0 0
"""


def test_a_bvh_never_becomes_a_silent_zero_pose(tmp_path, default_model):
    path = tmp_path / "w.bvh"
    path.write_text(BVH)
    with pytest.raises(ModelError, match="default_model.yaml: bvh: no joint of the model names a BVH joint"):
        load_bvh(path).to_positions(default_model)
    config = tmp_path / "c.yaml"
    config.write_text(A2_SEP.replace("type: procedural", "type: bvh").replace("file: walk ", f"file: {path} "))
    from bidir_sim import WalkEnv

    # the env retargets by role: a clip without legs is refused, naming what is missing
    with pytest.raises(ConfigError, match="environment.motion.file: .*w.bvh: role 'hip_l': no BVH joint drives "
                                          "the model's 'FemurL' \\(the motion would hold it at the zero pose\\)"):
        WalkEnv(str(config))


@pytest.mark.slow
def test_muscle_files_are_never_ignored(tmp_path):
    from bidir_sim import WalkEnv

    config = tmp_path / "c.yaml"
    config.write_text(A2_SEP.replace("  muscle:\n", "  muscle:\n    file: /no/such.xml\n"))
    with pytest.raises(ConfigError, match="c.yaml: environment.muscle.file: default: muscles: the default model "
                                          "carries its own muscles"):
        WalkEnv(str(config))
    r = subprocess.run([sys.executable, "-m", "bidir_sim", "info", "default", "--muscles", "X.xml"],
                       capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 2 and "the default model carries its own muscles" in r.stderr


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


# --- §4 unclear errors: now they name the thing and the reason -------------------------------------------

def test_non_utf8_files_name_the_file_and_line(tmp_path):
    from bidir_sim.envs.config import load_env_config

    bad = b"format: bidir-model\nname: caf\xe9\n"
    for name, loader, error in (("m.yaml", load_model, ModelError), ("c.yaml", load_env_config, ConfigError),
                                ("w.bvh", load_bvh, ModelError)):
        path = tmp_path / name
        path.write_bytes(bad)
        with pytest.raises(error, match=rf"{name}: line 2: is not UTF-8 text \(byte 0xe9 at offset 29\)"):
            loader(path)


def test_numbers_yaml_reads_as_strings_say_so():
    with pytest.raises(ModelError, match=r"'mass' must be a number, got '1.0e30' \('1.0e30' is a string in YAML"):
        parse_model_yaml(BASE.replace("mass: 8.0424", "mass: 1.0e30", 1), "m.yaml")
    text = A2_SEP.replace("scale: 0.04", "scale: 4e-2")
    with pytest.raises(ConfigError, match=r"environment.action.scale: must be a finite number, got '4e-2' \("):
        parse_env_config(text, "c.yaml")


def test_integers_must_fit_the_core():
    with pytest.raises(ConfigError, match=r"c.yaml: Horizon: must be less than 2\*\*31 in magnitude"):
        parse_env_config(A2_SEP + f"Horizon: {2**31}\n", "c.yaml")


@pytest.mark.slow
def test_command_line_output_paths(tmp_path):
    r = subprocess.run([sys.executable, "-m", "bidir_sim", "generate", str(tmp_path)], capture_output=True,
                       text=True, timeout=120, check=False)
    assert r.returncode == 2 and f"{tmp_path} is a directory; give a file name" in r.stderr


def test_complex_weights_are_refused_naming_the_tensor():
    import torch
    from bidir_sim import build_task, load_muscle_weights, make_muscle_net
    from bidir_sim.errors import CheckpointError

    net = make_muscle_net(build_task("A2_sep"))
    state = {n: torch.zeros(s if n.endswith("weight") else (s[0],))
             for n, s in zip(net.parameter_names(), net.parameter_shapes())}
    state["fc.4.weight"] = state["fc.4.weight"].to(torch.complex64)  # was: numpy's ComplexWarning, then accepted
    with pytest.raises(CheckpointError, match="<state_dict>: fc.4.weight: has dtype complex64, expected real"):
        load_muscle_weights(net, state)


def test_a_required_value_left_null_is_an_error():
    # found by the fuzz suite: a file cut after "p:" gave a numpy shape error instead
    text = BASE[: BASE.rindex("p: [")] + "p:\n"
    with pytest.raises(ModelError, match=r"m.yaml: muscle '\w+' waypoint \d: 'p' must be a list of numbers, got null"):
        parse_model_yaml(text, "m.yaml")


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


def test_bvh_positions_beyond_any_capture_volume(tmp_path):
    # found by the fuzz soak: a root at 3e8 cm retargeted into a translation the simulation refuses
    path = tmp_path / "w.bvh"
    path.write_text(BVH.replace("1 100 0 0 0 0", "1 3e8 0 0 0 0"))
    with pytest.raises(ModelError, match=r"w.bvh: frame 1: Hips Yposition = 3e\+08 cm is beyond 1e\+06 cm"):
        load_bvh(path)
