"""Property-based fuzzing of the surfaces added after the first fuzz suite (issue #31 §5): BVH headers and
hierarchies (frame time, channel counts, offsets, frame counts), retargeting maps, the command lines' numeric
arguments (evaluate, the viewer's headless options, python -m bidir_sim, plot, bench_rollout), the trainer's
path keys (init, resume, run_dir), Ray settings, and the actuator and training-aid keys. The outcome of each
input is success or a clear error naming the input; never another exception, a dead process or a runaway.
Examples per target are bounded for `make test`; BIDIR_FUZZ_EXAMPLES=N runs N times as many."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
from bidir_sim.arguments import Bounded
from bidir_sim.envs.config import CONFIG_DIR
from bidir_sim.envs.task import build_task
from bidir_sim.errors import CheckpointWarning, ConfigWarning, InputError
from bidir_sim.io_util import json_text
from bidir_sim.models import load_model
from bidir_sim.motion import load_bvh, load_joint_map, retarget
from bidir_sim.motion.quality import report
from bidir_sim.motion.roles import ROLES
from fuzz_support import HOSTILE_TOKENS, TALLY, _Stop, _stop, command_parsers, examples, expect_clear, numeric_options
from hypothesis import given
from hypothesis import strategies as st

pytestmark = pytest.mark.slow  # every fuzz target steps, trains or spawns: make test runs them

DEFAULT_MODEL = load_model("default")
CONFIG_TEXT = (CONFIG_DIR / "A2_sep.yaml").read_text()

# --- a small full-body clip (Mixamo names, T-pose rest, 12 frames of a swing) -------------------------------

_JOINTS = [  # name, parent, offset (cm)
    ("Hips", None, (0, 95, 0)), ("Spine", "Hips", (0, 10, 0)), ("Spine2", "Spine", (0, 20, 0)),
    ("Neck", "Spine2", (0, 22, 0)), ("Head", "Neck", (0, 8, 0)),
    ("LeftArm", "Spine2", (18, 18, 0)), ("LeftForeArm", "LeftArm", (28, 0, 0)),
    ("RightArm", "Spine2", (-18, 18, 0)), ("RightForeArm", "RightArm", (-28, 0, 0)),
    ("LeftUpLeg", "Hips", (9, -5, 0)), ("LeftLeg", "LeftUpLeg", (0, -42, 0)),
    ("LeftFoot", "LeftLeg", (0, -42, 0)), ("LeftToeBase", "LeftFoot", (0, -6, 14)),
    ("RightUpLeg", "Hips", (-9, -5, 0)), ("RightLeg", "RightUpLeg", (0, -42, 0)),
    ("RightFoot", "RightLeg", (0, -42, 0)), ("RightToeBase", "RightFoot", (0, -6, 14)),
]
FRAMES = 12


def _clip_text() -> str:
    lines = ["HIERARCHY"]

    def emit(name, depth):
        parent, offset = next((p, o) for n, p, o in _JOINTS if n == name)
        pad = "  " * depth
        lines.extend([f"{pad}{'ROOT' if parent is None else 'JOINT'} mixamorig:{name}", f"{pad}{{",
                      f"{pad}  OFFSET {offset[0]} {offset[1]} {offset[2]}",
                      (f"{pad}  CHANNELS {'6 Xposition Yposition Zposition ' if parent is None else '3 '}"
                       "Zrotation Xrotation Yrotation")])
        children = [n for n, p, _ in _JOINTS if p == name]
        for child in children:
            emit(child, depth + 1)
        if not children:
            lines.extend([f"{pad}  End Site", f"{pad}  {{", f"{pad}    OFFSET 0 -5 0", f"{pad}  }}"])
        lines.append(f"{pad}}}")

    emit("Hips", 0)
    lines += ["MOTION", f"Frames: {FRAMES}", "Frame Time: 0.0333333"]
    for f in range(FRAMES):
        swing = 30 * np.sin(2 * np.pi * f / FRAMES)
        row = [0.0, 95.0, 4.0 * f]
        for name, _, _ in _JOINTS:
            x = swing if name.endswith("UpLeg") else 20 + swing / 2 if name.endswith("Leg") else 0.0
            row += [0.0, x if "Left" in name else -x, 0.0]
        lines.append(" ".join(f"{v:.4f}" for v in row))
    return "\n".join(lines) + "\n"


CLIP_TEXT = _clip_text()
_HEADER_NUMBER = re.compile(r"^(\s*(?:OFFSET|Frames:|Frame Time:|CHANNELS)\s+)(.*)$", re.MULTILINE)
_HIERARCHY_LINE = re.compile(r"^\s*(?:ROOT|JOINT|End Site|\{|\}|OFFSET|CHANNELS)\b.*$", re.MULTILINE)
HOSTILE_NUMBERS = st.one_of(
    st.sampled_from(["0", "-0", "1e-12", "1e-4", "0.0001", "1", "2", "inf", "-inf", "nan", "1e9", "20000", "20001",
                     "1000000", "-1", "1e300", "0 0 0", "fifty", "", "3", "6", "7", str(2**70)]),
    st.floats().map(repr), st.integers(-(2**70), 2**70).map(str))


@st.composite
def header_mutant(draw) -> str:
    """The clip with one header or hierarchy element changed: Frames, Frame Time, a CHANNELS count or list,
    an OFFSET (or a whole one zeroed: degenerate rest poses), a hierarchy line dropped or duplicated, or the
    frame rows cut or extended."""
    text = CLIP_TEXT
    kind = draw(st.sampled_from(["number", "offset_zero", "channels", "hierarchy", "rows"]))
    if kind == "number":
        spots = list(_HEADER_NUMBER.finditer(text))
        spot = spots[draw(st.integers(0, len(spots) - 1))]
        values = spot.group(2).split()
        if values and draw(st.booleans()):  # one value of the element
            k = draw(st.integers(0, len(values) - 1))
            values[k] = draw(HOSTILE_NUMBERS)
            new = " ".join(values)
        else:
            new = draw(HOSTILE_NUMBERS)
        return text[:spot.start(2)] + new + text[spot.end(2):]
    if kind == "offset_zero":  # OFFSETs of several joints zeroed: hips together, a trunk or a leg of no length
        offsets = [m for m in re.finditer(r"OFFSET [^\n]+", text)]
        chosen = draw(st.sets(st.integers(0, len(offsets) - 1), min_size=1, max_size=len(offsets)))
        for i in sorted(chosen, reverse=True):
            text = text[:offsets[i].start()] + "OFFSET 0 0 0" + text[offsets[i].end():]
        return text
    if kind == "channels":
        spots = list(re.finditer(r"CHANNELS ([^\n]+)", text))
        spot = spots[draw(st.integers(0, len(spots) - 1))]
        words = spot.group(1).split()
        how = draw(st.sampled_from(["count", "name", "duplicate", "drop"]))
        if how == "count":
            words[0] = draw(HOSTILE_NUMBERS) or "0"
        elif how == "name":
            words[draw(st.integers(1, len(words) - 1))] = draw(st.sampled_from(
                ["Wrotation", "Xposition", "Zrotation", "xrotation", "Xrotation Yrotation", ""]))
        elif how == "duplicate":
            words.insert(1, words[1])
            words[0] = str(len(words) - 1)
        else:
            del words[-1]
            words[0] = str(len(words) - 1)
        return text[:spot.start(1)] + " ".join(words) + text[spot.end(1):]
    if kind == "hierarchy":
        lines = list(_HIERARCHY_LINE.finditer(text))
        line = lines[draw(st.integers(0, len(lines) - 1))]
        if draw(st.booleans()):
            return text[:line.start()] + text[line.end() + 1:]
        return text[:line.end() + 1] + line.group() + "\n" + text[line.end() + 1:]
    body = text.split("Frame Time: 0.0333333\n")[1].splitlines()
    head = text.split("Frame Time: 0.0333333\n")[0] + "Frame Time: 0.0333333\n"
    n = draw(st.integers(0, 2 * FRAMES))
    return head + "\n".join((body * 3)[:n]) + "\n"


def _write(tmp_path_factory, name: str, data: str | bytes):
    path = tmp_path_factory.mktemp("fuzz") / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


@examples(60)
@given(text=header_mutant())
def test_bvh_headers_and_hierarchies(text, tmp_path_factory):
    path = _write(tmp_path_factory, "clip.bvh", text)
    with TALLY.attempt("BVH headers", InputError, str(path), DEFAULT_MODEL.source), warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # numpy's invalid value: a NaN on its way to a result
        bvh = load_bvh(path)
        clip = retarget(bvh, DEFAULT_MODEL)
        assert np.all(np.isfinite(clip.positions))
        json_text(report(bvh, DEFAULT_MODEL, clip))  # what python -m bidir_sim motion --json prints


ENV_PROBE = """
import sys, numpy as np
from bidir_sim import WalkEnv
from bidir_sim.errors import InputError
try:
    env = WalkEnv(sys.argv[1])
    env.reset(seed=0)
except InputError as e:
    print("clear error", e)
    raise SystemExit
rng = np.random.default_rng(0)
for _ in range(10):
    *_, terminated, truncated, info = env.step(rng.uniform(-2, 2, env.action_space.shape).astype(np.float32))
    if terminated or truncated:
        env.reset(seed=1)
print("accepted")
"""


@examples(4)
@given(text=header_mutant(), cyclic=st.booleans())
def test_bvh_as_an_env_motion_in_a_subprocess(text, cyclic, tmp_path_factory):
    """A mutated clip driving an env (deepmimic-style imitation of A2_sep): loaded, retargeted, compiled and
    stepped in a fresh process, where a DART assertion (the Frame Time inf abort) would kill it."""
    folder = tmp_path_factory.mktemp("bvh_env")
    (folder / "clip.bvh").write_text(text)
    config = CONFIG_TEXT.replace("type: procedural", "type: bvh").replace("file: walk ", f"file: {folder}/clip.bvh ")
    (folder / "env.yaml").write_text(config.replace("  motion:\n", f"  motion:\n    cyclic: {str(cyclic).lower()}\n"))
    (folder / "probe.py").write_text(textwrap.dedent(ENV_PROBE))
    with TALLY.timed("BVH env (subprocess)") as t:
        r = subprocess.run([sys.executable, "-W", "ignore", str(folder / "probe.py"), str(folder / "env.yaml")],
                           capture_output=True, text=True, timeout=300, check=False)
        assert r.returncode == 0, f"the process died ({r.returncode}): {r.stderr[-1500:]}"
        t.outcome = "accepted" if r.stdout.startswith("accepted") else expect_clear(
            ValueError(r.stdout), str(folder / "clip.bvh"), str(folder / "env.yaml"))


MAP_KEYS = st.one_of(st.sampled_from([b.name for b in DEFAULT_MODEL.bodies]), st.sampled_from(list(ROLES)),
                     st.sampled_from(["", "Nope", "pelvis ", "1", "null", "[a]"]))
MAP_VALUES = st.one_of(st.sampled_from([f"mixamorig:{n}" for n, _, _ in _JOINTS]),
                       st.sampled_from(["", "Hips", "mixamorig:Nope", "1", "null", "~", "[x]", "{a: 1}"]))


VALID_PAIRS = st.sampled_from([  # the map a user would write for this clip (role or body: joint)
    ("pelvis", "mixamorig:Hips"), ("spine", "mixamorig:Spine"), ("chest", "mixamorig:Spine2"),
    ("neck", "mixamorig:Neck"), ("head", "mixamorig:Head"), ("hip_l", "mixamorig:LeftUpLeg"),
    ("knee_l", "mixamorig:LeftLeg"), ("ankle_l", "mixamorig:LeftFoot"), ("toes_l", "mixamorig:LeftToeBase"),
    ("hip_r", "mixamorig:RightUpLeg"), ("knee_r", "mixamorig:RightLeg"), ("FemurL", "mixamorig:RightUpLeg"),
    ("TibiaR", "mixamorig:RightLeg"), ("shoulder_l", "mixamorig:LeftArm"), ("elbow_r", "mixamorig:RightForeArm")])


@examples(40)
@given(entries=st.lists(st.one_of(VALID_PAIRS, VALID_PAIRS, st.tuples(MAP_KEYS, MAP_VALUES)), max_size=8),
       garbage=st.one_of(st.none(), st.sampled_from(HOSTILE_TOKENS), st.binary(max_size=20)))
def test_retargeting_maps(entries, garbage, tmp_path_factory):
    """A joint map {model body or role: BVH joint}: wrong names, wrong types, broken YAML, a non-mapping."""
    text = "".join(f"{k}: {v}\n" for k, v in entries)
    data = text.encode() if garbage is None else (garbage if isinstance(garbage, bytes) else garbage.encode())
    folder = tmp_path_factory.mktemp("map")
    path = folder / "map.yaml"
    path.write_bytes(data)
    clip = folder / "clip.bvh"
    clip.write_text(CLIP_TEXT)
    with TALLY.attempt("retargeting maps", InputError, str(path), str(clip), DEFAULT_MODEL.source), \
            warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = retarget(load_bvh(clip), DEFAULT_MODEL, load_joint_map(path))
        assert np.all(np.isfinite(result.positions))


# --- the command lines' numeric arguments ------------------------------------------------------------------------

NUMERIC = numeric_options()


CLI_VALUES = st.one_of(st.sampled_from(["0", "1", "-1", "3", "30", "1e9", "1000000000", "inf", "-inf", "nan", "1e-9",
                                        "0.5", "2.5", "29.97", "", " ", "fifty", "0x10", "1_000", str(2**31),
                                        str(2**64), "1e309", "-0"]),
                       st.floats().map(repr), st.integers(-(2**70), 2**70).map(str))


@examples(80)
@given(which=st.sampled_from(NUMERIC), value=CLI_VALUES, seconds=st.sampled_from([None, "0.1", "1", "0.01"]),
       stills=st.sampled_from([None, "3", "32"]))
def test_command_line_numbers(which, value, seconds, stills, tmp_path_factory, monkeypatch):
    """Each command's checks run to where its work would start (stubbed): accepted means every value was
    within its documented range; else argparse's usage error naming the option (exit status 2)."""
    from bidir_ppo import evaluate
    from bidir_viewer import cli

    command, option, needed, action = which
    argv = [*needed, option, value]
    if command == "viewer":
        out = tmp_path_factory.mktemp("viewer") / "v.mp4"
        argv += ["--record", str(out)] + (["--seconds", seconds] if seconds and option != "--seconds" else []) + \
            (["--stills", stills] if stills and option != "--stills" else [])
        monkeypatch.setattr(cli, "build_playback", _stop)
        run = cli.main
    elif command == "evaluate":
        monkeypatch.setattr(evaluate, "BatchEnv", _stop)
        run = evaluate.main
    else:
        parser = command_parsers()[command.split()[0]]
        run = parser.parse_args
    err = io.StringIO()
    with TALLY.timed("CLI numbers") as t, contextlib.redirect_stderr(err):
        try:
            run(argv)
        except _Stop:
            t.outcome = "accepted"
        except SystemExit as e:
            assert e.code == 2, (argv, e.code, err.getvalue())
            message = err.getvalue().strip().splitlines()[-1]
            t.outcome = expect_clear(ValueError(message), option, "--stills", "--seconds", "--record")
        else:
            t.outcome = "accepted"
        if t.outcome == "accepted" and isinstance(action.type, Bounded):
            parsed = action.type(value)  # what was accepted lies in the documented range
            assert action.type.low <= parsed <= action.type.high  # NaN fails too


# --- the trainer: path keys, Ray settings, training aids ----------------------------------------------------------

TINY = ["envs=2", "ppo.num_steps=8", "ppo.num_minibatches=2", "model.hidden=[16,16]", "wandb.mode=disabled",
        "muscle.minibatch_size=8", "total_steps=16"]


def _compose(overrides):
    from bidir_ppo.config import register
    from hydra import compose, initialize

    register()
    with initialize(version_base=None):
        return compose(config_name="train", overrides=overrides)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """Real checkpoints to point the path keys at: A2_sep (mass_lower) and pd, of the TINY sizes."""
    from bidir_ppo.train import train

    root = tmp_path_factory.mktemp("ckpts")
    a2 = train(_compose(TINY), root / "a2")
    pd = train(_compose([*TINY, "env=pd"]), root / "pd")
    (root / "a_file").write_text("x")
    (root / "empty_dir").mkdir()
    damaged = root / "damaged"
    import shutil

    shutil.copytree(a2, damaged)
    (damaged / "agent.pt").write_bytes(b"\x00" * 10)
    return {"a2": a2, "a2_run": root / "a2", "pd": pd, "file": root / "a_file", "empty": root / "empty_dir",
            "damaged": damaged, "missing": root / "missing", "file_child": root / "a_file" / "x"}


PATH_VALUES = st.sampled_from(["''", "' '", "a2", "a2_run", "pd", "file", "empty", "damaged", "missing", "file_child",
                               "null", "'\\x00'", "[1]", "{a: 1}", "1e9"])


@examples(10)
@given(key=st.sampled_from(["init", "resume", "run_dir"]), value=PATH_VALUES, other=st.booleans())
def test_trainer_path_keys(key, value, other, checkpoints, tmp_path_factory):
    """init, resume and run_dir pointed at anything: a checkpoint (of this actuator or another), a run
    directory, a file, an empty or damaged directory, nothing, an empty string, a NUL byte, a non-path."""
    from bidir_ppo.train import train
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    target = str(checkpoints[value]) if value in checkpoints else value
    run_dir = tmp_path_factory.mktemp("run")
    overrides = [*TINY, f"{key}={target}"]
    if other and key != "run_dir":  # a run directory given too
        overrides.append(f"run_dir={run_dir}")
    if other and key == "run_dir":  # with init= as well
        overrides.append(f"init={checkpoints['a2']}")
    with TALLY.attempt("trainer paths", (ValueError, HydraException, OmegaConfBaseException), key,
                       str(target).strip("'")), \
            warnings.catch_warnings(), contextlib.chdir(tmp_path_factory.mktemp("cwd")):  # relative paths land there
        warnings.simplefilter("ignore", CheckpointWarning)  # init= of pd into A2_sep: accepted, and said so
        cfg = _compose(overrides)
        train(cfg, run_dir if cfg.run_dir is None else Path(cfg.run_dir))  # as main() does


RAY_KEYS = ["ray.address", "ray.workers", "ray.envs_per_worker", "ray.cpus_per_worker", "ray.threads_per_worker",
            "ray.placement_timeout_s", "ray.connect_timeout_s", "ray.max_retries", "envs"]
OVERRIDE_VALUES = st.one_of(st.sampled_from(["-1", "0", "1", "2", "3", "1e20", "nan", "inf", "fifty", "null", "[]",
                                             "1e-30", str(2**70), "true", "''", "auto", "localhost:0",
                                             "10.0.0.1:6379", "ray://x:1", "host:99999", "100000", "65537"]),
                            st.floats().map(repr), st.integers(-(2**80), 2**80).map(str))


@examples(40)
@given(key=st.sampled_from(RAY_KEYS), value=OVERRIDE_VALUES, second=st.sampled_from(RAY_KEYS),
       value2=OVERRIDE_VALUES)
def test_ray_settings(key, value, second, value2):
    """rollout=ray's settings, two at a time, through Hydra, the layout and the checks (no Ray started)."""
    from bidir_ppo.config import resolve_rollout_layout, validate
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    overrides = ["rollout=ray", f"{key}={value}"] + ([f"{second}={value2}"] if second != key else [])
    names = (key.split(".")[-1], second.split(".")[-1], "ray", "envs")
    with TALLY.attempt("Ray settings", (ValueError, HydraException, OmegaConfBaseException), *names), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", ConfigWarning)
        cfg = _compose(overrides)
        resolve_rollout_layout(cfg)
        validate(cfg)


AID_KEYS = ["assist.scale", "assist.fade_until", "model.log_std_legs", "model.log_std_rest", "model.log_std_muscles",
            "model.log_std_time_warp", "init_optimizer", "max_minutes", "model.obs_norm", "ppo.max_grad_norm",
            "ppo.lr_schedule"]


@pytest.fixture(scope="module")
def tasks():
    return {name: build_task(name) for name in ("pd", "A2_sep", "torque", "muscle")}


@examples(40)
@given(env=st.sampled_from(["pd", "A2_sep", "torque", "muscle"]), key=st.sampled_from(AID_KEYS),
       value=OVERRIDE_VALUES | st.sampled_from(["1.5", "1.88", "1.9", "2", "0.5", "linear", "constant"]))
def test_training_aid_keys(env, key, value, tasks):
    """The trainer's aid keys against each actuator's task (the assist's range depends on its physics)."""
    from bidir_ppo.config import validate, validate_for_task
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    with TALLY.attempt("training-aid keys", (ValueError, HydraException, OmegaConfBaseException), key.split(".")[-1]), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", ConfigWarning)  # a key that does nothing here: accepted, and said so
        cfg = _compose([f"env={env}", f"{key}={value}"])
        validate(cfg)
        validate_for_task(cfg, tasks[env])


# --- actuator and training-aid keys of env configs ----------------------------------------------------------------

ENV_KEYS = {  # section: keys whose values the mutation replaces or adds
    "skeleton": ["actuator"], "action": ["torque_scale", "residual", "scale", "time_warping"],
    "muscle": ["learn_under_pd", "file"], "motion": ["cyclic", "map", "stride", "cadence", "type", "file"],
    "assist": ["kp_position", "kd_position", "kp_rotation", "kd_rotation"],
    "termination": ["head_drop", "pelvis_angle"], "simulation": ["sim_hz", "control_hz", "inference_per_sim"],
}
ENV_VALUES = st.one_of(st.sampled_from(["mass", "mass_lower", "pd", "torque", "muscle", "true", "false", "0", "1",
                                        "10", "60", "1.0e+5", "1.0e+6", ".nan", ".inf", "-1", "walk", "bvh",
                                        "procedural", "no_such.yaml", "''", "1.0e-9", "1.0e+9", "0.5", "3.1416",
                                        "2.0", "600", "7"]),
                       st.floats(allow_nan=False).map(lambda x: f"{x:.6e}"))
GAIT_VALUES = st.sampled_from(["0.1", "0.25", "0.5", "1.0", "1.25", "2.0", "4.0", "5.0", "1.0e-9", "1.0e+9", ".nan"])


@examples(40)
@given(changes=st.lists(st.tuples(st.sampled_from(sorted(ENV_KEYS)), st.data()), min_size=1, max_size=3),
       gait=st.one_of(st.none(), st.tuples(st.sampled_from(["stride", "cadence"]),
                                           st.sampled_from(["min", "max", "default"]), GAIT_VALUES)),
       data=st.data())
def test_actuator_and_aid_keys(changes, gait, data, tmp_path_factory):
    """Env configs with the actuator, its action keys, the assist's gains, early termination, the gait
    ranges and the motion keys changed: compiled, and when accepted, stepped with the assist at its limit."""
    from bidir_sim import BatchEnv

    lines = []
    for section, sub in changes:
        key = sub.draw(st.sampled_from(ENV_KEYS[section]))
        lines.append((section, key, sub.draw(ENV_VALUES)))
    text = CONFIG_TEXT
    for section, key, value in lines:
        if f"  {section}:\n" not in text:
            text = text.replace("environment:\n", f"environment:\n  {section}:\n", 1)
        text = text.replace(f"  {section}:\n", f"  {section}:\n    {key}: {value}\n", 1)
    if gait is not None:
        name, field, value = gait
        text = re.sub(rf"({name}: \{{[^}}]*{field}: )[^,}}]+", rf"\g<1>{value}", text)
    path = _write(tmp_path_factory, "env.yaml", text)
    with TALLY.attempt("actuator and aid keys", InputError, str(path)), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConfigWarning)  # a key that does nothing here: accepted, and said so
        task = build_task(path)
        env = BatchEnv(task, num_envs=1, num_threads=1)
        limit = task.assist_scale_limit  # beyond, set_assist_scale refuses (tested in test_env_input.py)
        scale = data.draw(st.sampled_from([0.0, min(1.0, limit), limit]))
        if np.isfinite(scale):
            env.set_assist_scale(scale)
        env.reset(seed=0)
        rng = np.random.default_rng(0)
        for _ in range(5):
            env.step(rng.uniform(-2, 2, (1, task.action_dim)).astype(np.float32))
