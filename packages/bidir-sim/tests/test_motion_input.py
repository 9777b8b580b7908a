"""Bad motion input: BVH files (header, channels, frames, values), clips the retargeting or an env cannot use,
and the gait keys of the reference; each is a clear error naming the file or key (or runs, when valid)."""

import json
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest
import test_retarget
from bidir_sim import build_task
from bidir_sim.envs.config import CONFIG_DIR, parse_env_config
from bidir_sim.errors import ConfigError, ModelError
from bidir_sim.motion import bvh as bvh_module
from bidir_sim.motion import load_bvh, retarget
from test_retarget import NAMES, write_bvh

A2_SEP = (CONFIG_DIR / "A2_sep.yaml").read_text()

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

SMALL = """HIERARCHY
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


@pytest.fixture
def clip(tmp_path):
    """A valid full-body clip (40 frames at 30 Hz, Mixamo names) and its text."""
    path = tmp_path / "walk.bvh"
    write_bvh(path, NAMES["mixamo"])
    return path


def with_header(text: str, frames: str | None = None, frame_time: str | None = None) -> str:
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if frames is not None and line.startswith("Frames:"):
            lines[i] = f"Frames: {frames}\n"
        if frame_time is not None and line.startswith("Frame Time:"):
            lines[i] = f"Frame Time: {frame_time}\n"
    return "".join(lines)


def bvh_config(tmp_path, clip, extra: str = "") -> str:
    config = tmp_path / "c.yaml"
    config.write_text(A2_SEP.replace("type: procedural", "type: bvh").replace("file: walk ", f"file: {clip} ")
                      .replace("  motion:\n", f"  motion:\n{extra}"))
    return str(config)


# --- the BVH text: hierarchy, channels and frame values ------------------------------------------------------

def test_bvh_wrong_channel_count(write):
    path = write("w.bvh", BVH + "0 100 0 0 0 0 0 0 0\n0 100 0 0 0 0 0 0\n")
    with pytest.raises(ModelError, match=r"w\.bvh: frame 1: has 8 values, the hierarchy has 9 channels"):
        load_bvh(path)


def test_bvh_truncated(write):
    path = write("w.bvh", BVH + "0 100 0 0 0 0 0 0 0\n")
    with pytest.raises(ModelError, match=r"declares 2 frames but has 1"):
        load_bvh(path)


def test_bvh_unknown_channel(write):
    path = write("w.bvh", BVH.replace("Zrotation Xrotation Yrotation\n    End", "Zrotation Xrotation Wrotation\n    End"))
    with pytest.raises(ModelError, match=r"unknown channel 'Wrotation'"):
        load_bvh(path)


def test_bvh_channels_listed_twice(tmp_path):
    path = tmp_path / "w.bvh"
    path.write_text(SMALL.replace("Zrotation Xrotation Yrotation", "Zrotation Zrotation Yrotation"))
    with pytest.raises(ModelError, match=r"w.bvh: line 5: joint 'Hips' lists a channel twice"):
        load_bvh(path)


def test_bvh_good_file_parses(write):
    bvh = load_bvh(write("w.bvh", BVH + "0 100 0 0 0 0 0 0 0\n1 100 0 0 0 0 30 0 0\n"))
    assert bvh.num_frames == 2 and bvh.frames.shape == (2, 9)
    assert bvh.root_position()[1] == pytest.approx([0.01, 1.0, 0.0])


def test_bvh_positions_beyond_any_capture_volume(tmp_path):
    # found by the fuzz soak: a root at 3e8 cm retargeted into a translation the simulation refuses
    path = tmp_path / "w.bvh"
    path.write_text(SMALL.replace("1 100 0 0 0 0", "1 3e8 0 0 0 0"))
    with pytest.raises(ModelError, match=r"w.bvh: frame 1: Hips Yposition = 3e\+08 cm is beyond 1e\+06 cm"):
        load_bvh(path)


# --- the header: frame time and frame count, checked before anything runs ----------------------------------

@pytest.mark.parametrize("value", ["inf", "nan", "1e-12", "0", "-0.01", "2", "1e300"])
def test_bvh_frame_time_is_validated(tmp_path, value):
    path = tmp_path / "w.bvh"
    path.write_text(with_header(SMALL, frame_time=value))
    with pytest.raises(ModelError, match=r"w.bvh: Frame Time: must be in \[0.0001, 1\] s .* got "):
        load_bvh(path)


@pytest.mark.slow
def test_an_infinite_frame_time_never_reaches_the_physics(tmp_path, clip):
    clip.write_text(with_header(clip.read_text(), frame_time="inf"))
    probe = ("import sys\nfrom bidir_sim import WalkEnv\nfrom bidir_sim.errors import InputError\n"
             "try:\n    WalkEnv(sys.argv[1]).reset(seed=0)\nexcept InputError as e:\n    print('clear error', e)\n")
    r = subprocess.run([sys.executable, "-c", probe, bvh_config(tmp_path, clip)], capture_output=True, text=True,
                       timeout=300, check=False)
    assert r.returncode == 0, r.stderr[-2000:]  # was SIGABRT in DART
    assert r.stdout.startswith("clear error") and "environment.motion.file" in r.stdout and "Frame Time" in r.stdout


def test_a_tiny_frame_time_driving_an_env_names_the_motion_file(tmp_path, clip):
    # was: "velocities[3] = ... is beyond the bound" at reset
    clip.write_text(with_header(clip.read_text(), frame_time="1e-12"))
    with pytest.raises(ConfigError, match=r"environment.motion.file: .*walk.bvh: Frame Time: must be in"):
        build_task(bvh_config(tmp_path, clip))


@pytest.mark.slow
def test_the_motion_command_writes_valid_json(clip, tmp_path):
    r = subprocess.run([sys.executable, "-m", "bidir_sim", "motion", str(clip), "--json"], capture_output=True,
                       text=True, timeout=300, check=False)
    assert r.returncode == 0, r.stderr[-2000:]

    def refuse(name):
        raise AssertionError(f"{name} in the JSON")

    json.loads(r.stdout, parse_constant=refuse)
    clip.write_text(with_header(clip.read_text(), frame_time="1e-12"))  # was: a mean root speed of 1.4e9 m/s
    r = subprocess.run([sys.executable, "-m", "bidir_sim", "motion", str(clip), "--json"], capture_output=True,
                       text=True, timeout=300, check=False)
    assert r.returncode == 2 and "Frame Time: must be in [0.0001, 1] s" in r.stderr and not r.stdout


def test_a_long_bvh_is_refused_at_its_header(tmp_path):
    # 1,000,000 frames (26 MB) took 3 GB and 80 s before a MemoryError in the forward kinematics
    path = tmp_path / "w.bvh"
    path.write_text(with_header(SMALL, frames="1000000"))
    start = time.perf_counter()
    with pytest.raises(ModelError, match=r"w.bvh: Frames: must be in \[1, 20000\] .* got 1000000"):
        load_bvh(path)
    assert time.perf_counter() - start < 1.0
    joints = "".join(f"  JOINT J{i}\n  {{\n    OFFSET 0 1 0\n    CHANNELS 3 Zrotation Xrotation Yrotation\n  }}\n"
                     for i in range(199))
    path.write_text(with_header(SMALL.replace("}\nMOTION", joints + "}\nMOTION"), frames="20000"))
    with pytest.raises(ModelError, match=r"Frames: 20000 frames of 200 joints: more than 2097152 joint-frames"):
        load_bvh(path)


def test_per_frame_work_runs_in_chunks(clip, default_model, monkeypatch):
    whole = retarget(load_bvh(clip), default_model)
    monkeypatch.setattr(bvh_module, "CHUNK_FRAMES", 7)  # 40 frames in 6 chunks
    chunked = retarget(load_bvh(clip), default_model)
    assert np.allclose(whole.positions, chunked.positions, atol=1e-12)
    from bidir_sim.motion.quality import report

    assert report(load_bvh(clip), default_model, chunked)["penetration_cm"] == pytest.approx(
        report(load_bvh(clip), default_model, whole)["penetration_cm"])


# --- retargeting: clips whose joints or rest pose cannot drive the model -----------------------------------

def test_a_bvh_never_becomes_a_silent_zero_pose(tmp_path, default_model):
    path = tmp_path / "w.bvh"
    path.write_text(SMALL)
    with pytest.raises(ModelError, match="default_model.yaml: bvh: no joint of the model names a BVH joint"):
        load_bvh(path).to_positions(default_model)
    config = tmp_path / "c.yaml"
    config.write_text(A2_SEP.replace("type: procedural", "type: bvh").replace("file: walk ", f"file: {path} "))
    from bidir_sim import WalkEnv

    # the env retargets by role: a clip without legs is refused, naming what is missing
    with pytest.raises(ConfigError, match="environment.motion.file: .*w.bvh: role 'hip_l': no BVH joint drives "
                                          "the model's 'FemurL' \\(the motion would hold it at the zero pose\\)"):
        WalkEnv(str(config))


ZERO = (0, 0, 0)


@pytest.mark.parametrize("offsets, joints", [
    ({k: ZERO for k, _, _ in test_retarget.JOINTS}, "'mixamorig:LeftUpLeg', 'mixamorig:RightUpLeg'"),  # all 0
    ({"lthigh": ZERO, "rthigh": ZERO}, "'mixamorig:LeftUpLeg', 'mixamorig:RightUpLeg'"),  # hips at the pelvis
    ({"spine": ZERO, "chest": ZERO, "neck": ZERO}, "'mixamorig:Hips', 'mixamorig:Neck'"),  # a trunk of no length
    ({"lshin": ZERO, "lfoot": ZERO}, "'mixamorig:LeftUpLeg', 'mixamorig:LeftLeg', 'mixamorig:LeftFoot'"),  # a leg
], ids=["all-zero", "hips", "spine", "leg"])
def test_degenerate_rest_poses_name_the_file_and_joints(tmp_path, default_model, monkeypatch, offsets, joints):
    # was: numpy.linalg.LinAlgError: SVD did not converge (also through the viewer)
    monkeypatch.setattr(test_retarget, "JOINTS", [(k, p, offsets.get(k, o)) for k, p, o in test_retarget.JOINTS])
    path = tmp_path / "rest.bvh"
    write_bvh(path, NAMES["mixamo"])
    with pytest.raises(ModelError, match=rf"rest.bvh: joints {joints}: "):
        retarget(load_bvh(path), default_model)


def test_clip_bones_of_no_length_have_no_direction_error(tmp_path, default_model, monkeypatch):
    # found by the fuzz suite: a toe at its ankle gave NaN direction errors (and a numpy warning) in the report
    from bidir_sim.motion.quality import report

    monkeypatch.setattr(test_retarget, "JOINTS", [(k, p, ZERO if k == "ltoe" else o) for k, p, o in
                                                  test_retarget.JOINTS])
    path = tmp_path / "toe.bvh"
    write_bvh(path, NAMES["mixamo"])
    bvh = load_bvh(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        errors = report(bvh, default_model, retarget(bvh, default_model))["direction_error_deg"]
    assert "ankle_l" not in errors and "ankle_r" in errors and all(np.isfinite(v) for v in errors.values())


# --- a clip as an env's reference: its duration and the speeds it asks of the simulation --------------------

def test_a_clip_that_does_not_loop_must_last_some_control_steps(tmp_path, monkeypatch):
    # was: every episode lasted one step, without a word
    monkeypatch.setattr(test_retarget, "FRAMES", 2)  # 2 frames of 1/30 s
    path = tmp_path / "short.bvh"
    write_bvh(path, NAMES["mixamo"])
    with pytest.raises(ConfigError, match=r"environment.motion.file: .*short.bvh: the clip \(it does not loop\) "
                                          r"lasts 0.0666666 s, .* less than 8 control steps"):
        build_task(bvh_config(tmp_path, path, "    cyclic: false\n"))


def test_reference_speeds_beyond_the_simulation_name_the_motion_file(tmp_path, clip):
    # a valid frame time, but the root jumps 50 m from one frame to the next
    lines = clip.read_text().splitlines(keepends=True)
    first = lines.index("MOTION\n") + 3
    row = lines[first + 5].split()
    row[2] = "5000"
    lines[first + 5] = " ".join(row) + "\n"
    clip.write_text("".join(lines))
    with pytest.raises(ConfigError, match=r"environment.motion.file: .*walk.bvh: the reference moves DoF \d+ at "
                                          r".* at frame \d+, frame time 0.0333333 s .* beyond the simulation's 1000"):
        build_task(bvh_config(tmp_path, clip))


# --- the gait keys: stride and cadence ratios, the procedural stride, the average-velocity window ----------

@pytest.mark.parametrize("key", ["stride", "cadence"])
def test_gait_ratios_are_bounded_at_load(key):
    # cadence min = max = default = 1e-9 made a cycle of 1e9 s and a std::bad_alloc for its velocity window
    text = A2_SEP.replace(f"      {key}: {{min: 0.75, max: 1.25, default: 1.0,",
                          f"      {key}: {{min: 1.0e-9, max: 1.0e-9, default: 1.0e-9,")
    with pytest.raises(ConfigError, match=rf"c.yaml: environment.parameters.gait.{key}.min: must be >= 0.25"):
        parse_env_config(text, "c.yaml")
    text = A2_SEP.replace(f"      {key}: {{min: 0.75, max: 1.25,", f"      {key}: {{min: 0.75, max: 1.0e+9,")
    with pytest.raises(ConfigError, match=rf"environment.parameters.gait.{key}.max: must be <= 4.0, got 1000000000"):
        parse_env_config(text, "c.yaml")


def test_huge_gait_ratios_name_the_key_at_load():
    # was: "positions[5] = 8.15825e+08 is beyond the bound" deep in the physics
    text = A2_SEP.replace("stride: {min: 0.75, max: 1.25, default: 1.0", "stride: {min: 1.0e+9, max: 1.0e+9, "
                          "default: 1.0e+9")
    with pytest.raises(ConfigError, match=r"environment.parameters.gait.stride.min: must be <= 4.0, got 1000000000"):
        parse_env_config(text, "c.yaml")


def test_procedural_stride_names_its_key():
    cfg = parse_env_config(A2_SEP.replace("    file: walk ", "    stride: 5.0\n    file: walk "), "c.yaml")
    with pytest.raises(ConfigError, match=r"c.yaml: environment.motion.stride: walking_reference\(\): stride: must "
                                          r"be in \[0.525, 1.93\], got 5.0"):
        build_task(cfg)


def test_the_average_velocity_window_is_bounded():
    text = A2_SEP.replace("window_mult: 1.0", "window_mult: 1.0e+9")
    with pytest.raises(ConfigError, match=r"environment.reward.locomotion.avg_vel.window_mult: must be <= 10.0"):
        parse_env_config(text, "c.yaml")
    # within each range, the combination still bounds the buffer: a slow cadence, a long window, 10 kHz physics
    cfg = parse_env_config(A2_SEP.replace("window_mult: 1.0", "window_mult: 10.0")
                           .replace("sim_hz: 480", "sim_hz: 9990").replace("control_hz: 30", "control_hz: 30")
                           .replace("cadence: {min: 0.75", "cadence: {min: 0.25"), "c.yaml")
    with pytest.raises(ConfigError, match=r"environment.motion.cadence: .* average-velocity window of .* physics "
                                          r"steps, more than 262144"):
        build_task(cfg)
