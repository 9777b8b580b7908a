"""bidir-viewer rendered headless (EGL, or a window under Xvfb): a checkpoint of a tiny training run, what the
image shows, muscle colours, video export, and bad checkpoints failing before anything opens."""

import dataclasses
import os
import pickle
import shutil
import subprocess
import sys

import imageio.v2 as imageio
import numpy as np
import pytest
import torch
from bidir_ppo.train import train
from bidir_viewer import cli
from bidir_viewer.scene import SceneBuilder, Toggles, pack, segment_matrices
from hydra import compose, initialize

SIZE = (320, 240)
TINY = ["envs=2", "ppo.num_steps=8", "ppo.num_minibatches=2", "model.hidden=[32,32]", "wandb.mode=disabled",
        "muscle.minibatch_size=8", "seed=3", "total_steps=16"]


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    run = tmp_path_factory.mktemp("run")
    with initialize(version_base=None):
        cfg = compose(config_name="train", overrides=TINY)
    train(cfg, run)
    return run / "ckpt"


@pytest.fixture(scope="module")
def gl():
    from bidir_viewer.headless import create_context

    try:
        return create_context()
    except RuntimeError as e:
        pytest.skip(f"no offscreen OpenGL here: {e}")


def view_of(playback, gl, **toggles):
    from bidir_viewer.camera import Camera
    from bidir_viewer.headless import OffscreenView

    camera = Camera()
    camera.preset("side")
    return OffscreenView(playback, SIZE, Toggles(**toggles), camera, ctx=gl)


@pytest.mark.slow
def test_screenshot_of_a_checkpoint_shows_the_body_in_the_middle(ckpt, gl, tmp_path):
    out = tmp_path / "shot.png"
    assert cli.main([str(ckpt), "--screenshot", str(out), "--size", "320x240", "--warmup", "0.2",
                     "--camera", "side"]) == 0
    image = imageio.imread(out)
    assert image.shape == (240, 320, 3) and image.std() > 10  # not uniform

    from bidir_viewer.playback import from_checkpoint

    view = view_of(from_checkpoint(ckpt), gl)
    with_body = view.capture().astype(int)
    view.toggles = Toggles(bodies=False, muscles=False, com=False, step_targets=False)
    empty = view.capture().astype(int)
    ys, xs = np.nonzero(np.abs(with_body - empty).sum(axis=2) > 30)
    assert len(xs) > 0.02 * SIZE[0] * SIZE[1], "the body covers too little of the image"
    # the camera follows the body: it stands in the middle, head in the upper half, feet in the lower
    assert 0.35 * SIZE[0] < xs.mean() < 0.65 * SIZE[0]
    assert ys.min() < 0.4 * SIZE[1] and ys.max() > 0.6 * SIZE[1]


def test_muscle_colours_follow_activations(gl):
    from bidir_viewer.playback import Playback

    pb = Playback("A2_sep", mode="zero")
    view = view_of(pb, gl, bodies=False, com=False, step_targets=False, ground=False)
    frame = pb.frame
    relaxed = view.capture(dataclasses.replace(frame, activations=np.zeros_like(frame.activations))).astype(int)
    active = view.capture(dataclasses.replace(frame, activations=np.ones_like(frame.activations))).astype(int)
    muscle = np.abs(active - relaxed).sum(axis=2) > 30
    assert muscle.sum() > 200, "no muscle pixels changed colour"
    assert active[muscle, 0].mean() > relaxed[muscle, 0].mean() + 60   # redder
    assert active[muscle, 2].mean() < relaxed[muscle, 2].mean() - 60   # less blue
    # the passive-force mode colours by passive force, whatever the activations
    view.toggles.color_mode = "passive"
    a = view.capture(dataclasses.replace(frame, activations=np.zeros_like(frame.activations)))
    b = view.capture(dataclasses.replace(frame, activations=np.ones_like(frame.activations)))
    assert np.array_equal(a, b)


def test_record_writes_a_video_of_the_requested_length(gl, tmp_path):
    out = tmp_path / "walk.mp4"
    assert cli.main(["--env", "A2_sep", "--record", str(out), "--seconds", "1", "--fps", "12",
                     "--size", "320x240"]) == 0
    frames = [f for f in imageio.get_reader(out, format="FFMPEG")]  # (list() asks len(): infinite)
    assert len(frames) == 12 and frames[0].shape == (240, 320, 3)
    assert not np.array_equal(frames[0], frames[-1])  # the reference motion moves


def test_record_writes_still_frames_side_by_side(gl, tmp_path):
    out = tmp_path / "walk.mp4"
    assert cli.main(["--env", "A2_sep", "--record", str(out), "--seconds", "1", "--fps", "12",
                     "--size", "160x120", "--stills", "3"]) == 0
    sheet = imageio.imread(tmp_path / "walk-stills.png")
    assert sheet.shape == (120, 3 * 160, 3)
    first, last = sheet[:, :160], sheet[:, 320:]
    assert not np.array_equal(first, last)  # frames 0 and 11, not one frame three times


def test_stills_need_record():
    with pytest.raises(SystemExit):
        cli.main(["--env", "A2_sep", "--screenshot", "x.png", "--stills", "3"])


def test_reference_playback_walks_one_stride_per_cycle():
    from bidir_viewer.playback import Playback

    pb = Playback("A2_sep", mode="reference")
    task = pb.env.task
    z0 = pb.frame.positions[5]
    steps = round(task.reference_duration / pb.control_dt)
    for _ in range(steps):
        pb.step()
    assert abs(pb.frame.positions[5] - z0 - task.compiled.reference_stride) < 0.05 * task.compiled.reference_stride


def test_reference_playback_shows_the_pose_the_env_uses():
    """The ghost is the task's own interpolation (ball joints as rotations), not a blend of its own."""
    from bidir_viewer.playback import Playback

    pb = Playback("A2_sep", mode="reference")
    task, env = pb.env.task, pb.env.core
    samples = np.asarray(task.spec.reference.samples)
    worst_linear = 0.0
    for _ in range(20):
        frame = pb.step()
        phase = frame.time / task.reference_duration
        assert np.allclose(frame.positions, task.reference_pose(phase), atol=1e-12)
        env.reset(phase=phase % 1.0, stride=1.0, cadence=1.0)  # what the env itself builds on at that phase
        q = env.reference_pose
        assert np.allclose(np.delete(q, 5), np.delete(frame.positions, 5), atol=1e-12)
        x = (phase % 1.0) * len(samples)
        i, w = int(x), x - int(x)
        linear = (1 - w) * samples[i] + w * samples[(i + 1) % len(samples)]
        worst_linear = max(worst_linear, np.abs(np.delete(linear - q, [3, 4, 5])).max())
    assert worst_linear > 1e-6  # a linear blend of rotation vectors (the old viewer's) is not the env's pose


def test_history_holds_one_episode_and_the_tasks_reward_terms():
    from bidir_viewer.playback import Playback
    from bidir_viewer.runner import History

    pb = Playback("A2_sep", mode="zero")
    history = History(pb.reward_terms)
    assert "r_pose" not in history.terms and "r_avg_vel" in history.terms  # gaitnet's terms only
    history.add(pb.frame)
    episodes = pb.episodes
    while pb.episodes == episodes:  # zero actions fall within a few seconds
        frame = pb.step()
        history.add(frame)
    t, values, acts = history.arrays()
    assert t[0] == frame.time == pytest.approx(pb.control_dt) and len(t) == 1  # the new episode's first step
    assert len(values["return"]) == len(acts) == 1


def test_segment_matrices_map_the_unit_cylinder_onto_segments():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    m = segment_matrices(a, b, np.full(5, 0.01))
    assert np.allclose(m[:, :3, 3], a)
    assert np.allclose(np.einsum("nij,j->ni", m, [0, 0, 1, 1])[:, :3], b)
    rows = pack(m, np.ones((5, 4)))
    assert rows.shape == (5, 20) and np.allclose(rows[:, 12:15], a)  # column-major: translation at 12..14


def test_muscle_filter_selects_by_name():
    from bidir_sim.models import load_model

    scene = SceneBuilder(load_model("default"))
    mask = scene.muscle_mask("gluteus")
    assert 0 < mask.sum() < len(mask)
    assert all("gluteus" in n for n, keep in zip(scene.muscle_names, mask) if keep)
    assert scene.muscle_mask("").all()


def _run_cli(*args):
    return subprocess.run([sys.executable, "-m", "bidir_viewer", *args], capture_output=True, text=True,
                          timeout=300, check=False)


@pytest.mark.slow
def test_bad_checkpoints_fail_with_a_clear_message_before_any_window(ckpt, tmp_path):
    bad = tmp_path / "no_meta"
    shutil.copytree(ckpt, bad)
    (bad / "metadata.yaml").unlink()
    r = _run_cli(str(bad), "--screenshot", str(tmp_path / "x.png"))
    assert r.returncode == 2 and "metadata.yaml" in r.stderr and "does not exist" in r.stderr
    assert not (tmp_path / "x.png").exists()

    shapes = tmp_path / "shapes"
    shutil.copytree(ckpt, shapes)
    agent = torch.load(shapes / "agent.pt", weights_only=True)
    agent["actor_mean.0.weight"] = torch.zeros(3, 3)
    torch.save(agent, shapes / "agent.pt")
    r = _run_cli(str(shapes))
    assert r.returncode == 2 and "agent.pt" in r.stderr and "size mismatch" in r.stderr

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'pwned'}",))

    evil = tmp_path / "evil"
    shutil.copytree(ckpt, evil)
    with open(evil / "muscle.pt", "wb") as f:
        pickle.dump(Evil(), f)
    r = _run_cli(str(evil))
    assert r.returncode == 2 and "muscle.pt" in r.stderr
    assert not (tmp_path / "pwned").exists()

    r = _run_cli(str(tmp_path / "missing"))
    assert r.returncode == 2 and "does not exist" in r.stderr


@pytest.mark.parametrize("args, message", [
    (["--record", "out.txt"], "--record out.txt: the file name must end in one of .mp4"),
    (["--screenshot", "shot.mp4"], "--screenshot shot.mp4: the file name must end in one of .png"),
    (["--size", "12x5"], "width and height must lie in 16..8192"),
    (["--speed", "0"], "argument --speed: must be in (0, 100], got 0"),
    (["--screenshot", "a.png", "--record", "b.mp4"], "choose one of"),
])
@pytest.mark.slow
def test_bad_options_fail_before_anything_is_built(args, message, tmp_path):
    r = _run_cli("--env", "A2_sep", *args)
    assert r.returncode == 2 and message in r.stderr


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run not installed (apt-get install xvfb)")
@pytest.mark.slow
def test_window_with_panels_under_xvfb(ckpt, tmp_path):
    out = tmp_path / "window.png"
    r = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1280x720x24", sys.executable, "-m", "bidir_viewer",
                        str(ckpt), "--exit-after-frames", "20", "--save-window", str(out), "--muscles", "glut"],
                       capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "20 frames" in r.stdout
    image = imageio.imread(out)
    assert image.shape == (720, 1280, 3)
    panel, scene = image[:, :300], image[:300, 400:]
    assert panel.mean() < 90 < scene.mean()  # the dark ImGui panel beside the light 3D scene


MASS_DIR = __import__("pathlib").Path(__file__).resolve().parents[3].parent / "shared" / "fixtures" / "mass"


@pytest.mark.skipif(not (MASS_DIR / "walk.bvh").exists(), reason=f"MASS fixtures not found at {MASS_DIR}")
@pytest.mark.slow
def test_a_bvh_clip_plays_retargeted_onto_the_default_body(gl, tmp_path):
    """`bidir-viewer --motion CLIP.bvh --model default`: the clip's retargeted reference, rendered."""
    from bidir_sim.motion import load_bvh, retarget

    p = cli.parser()
    args = p.parse_args(["--motion", str(MASS_DIR / "walk.bvh"), "--model", "default"])
    playback, title = cli.build_playback(args, p)
    assert "walk.bvh on default" in title
    clip = retarget(load_bvh(MASS_DIR / "walk.bvh"), playback.model).positions
    frame = playback.reset()
    assert frame.positions.shape == (clip.shape[1],)
    view = view_of(playback, gl)
    with_body = view.capture().astype(int)
    view.toggles = Toggles(bodies=False, muscles=False, com=False, step_targets=False)
    empty = view.capture().astype(int)
    assert (np.abs(with_body - empty).sum(axis=2) > 30).mean() > 0.02  # the body is drawn
    r = _run_cli("--motion", "walk.txt")
    assert r.returncode == 2 and "'walk.txt' is not reference, zero or a .bvh clip" in r.stderr


def test_a_conditioned_body_is_drawn_as_the_simulation_has_it():
    """A2_skel's body at global 0.85: the drawn bodies are the simulation's (its transforms, its shapes, 85 % of
    the healthy sizes), its muscles run through its own waypoints; a healthy body's waypoints are the model's."""
    from bidir_sim.models import MusclePaths
    from bidir_viewer.playback import Playback
    from bidir_viewer.scene import shape_locals

    pb = Playback("A2_skel", mode="zero", conditions={"skeleton.global": 0.85})
    frame = pb.step()
    assert frame.conditions["skeleton.global"] == 0.85 and frame.bodies is not None
    scene = SceneBuilder(pb.model)
    healthy, scaled = shape_locals(pb.model.bodies), shape_locals(frame.bodies)
    femur = [i for i, b in enumerate(healthy["cube"][0]) if pb.model.bodies[b].name == "FemurR"]
    if femur:  # the drawn box of the femur, 85 % as long
        k = femur[0]
        assert np.linalg.norm(scaled["cube"][1][k][:3, :3], axis=0) == pytest.approx(
            0.85 * np.linalg.norm(healthy["cube"][1][k][:3, :3], axis=0), rel=1e-9)
    instances = scene.build(frame, Toggles())
    drawn = np.vstack([rows for rows in instances.ghost.values()])
    expected = scene.body_instances(frame.positions, transforms=frame.body_transforms, shapes=scaled)
    np.testing.assert_array_equal(drawn[:, :16], np.vstack([expected[k] for k in instances.ghost])[:, :16])
    assert len(frame.muscle_points) == len(MusclePaths(pb.model).points(frame.positions[None])[0])
    healthy_pb = Playback("A2_sep", mode="zero")
    sim = healthy_pb.env.core.simulation
    np.testing.assert_allclose(np.vstack(sim.muscle_anchor_points()),
                               MusclePaths(pb.model).points(np.asarray(sim.positions)[None])[0], atol=1e-9)


def test_weak_muscles_are_drawn_thinner_and_the_panel_lists_the_conditions():
    from bidir_viewer.panels import condition_lines
    from bidir_viewer.playback import Playback

    pb = Playback("foot_drop", mode="zero")
    frame = pb.step()  # an env with conditions: its info's dict stays out of the frame's numbers
    assert frame.conditions == {"muscle.dorsiflexors.left.force": 0.05}
    weak = pb.task.compiled.spec.conditions[0].indices
    assert np.all(frame.muscle_force_ratio[weak] == 0.05) and np.sum(frame.muscle_force_ratio != 1.0) == len(weak)
    scene = SceneBuilder(pb.model)
    mask = np.ones(len(pb.f0), bool)
    thin = scene.muscle_instances(frame.positions, frame.activations, "activation", mask, None, frame.muscle_force_ratio)
    full = scene.muscle_instances(frame.positions, frame.activations, "activation", mask)
    width = np.linalg.norm(thin[:, 0:3], axis=1) / np.linalg.norm(full[:, 0:3], axis=1)
    assert width.min() == pytest.approx(np.sqrt(0.05), rel=1e-5) and np.isclose(width.max(), 1.0)
    assert condition_lines({"torsion.femur.left": 0.1745, "skeleton.global": 0.9}) == [
        "torsion.femur.left 0.174 rad (+10.0°)", "skeleton.global 0.900"]


@pytest.mark.slow
def test_condition_option_reaches_the_env_and_a_wrong_one_is_an_error(gl, tmp_path):
    shot = tmp_path / "small.png"
    r = _run_cli("--env", "A2_skel", "--motion", "zero", "--condition", "skeleton.global=0.85", "--screenshot",
                 str(shot), "--size", "320x240")
    assert r.returncode == 0, r.stderr
    assert shot.exists()
    r = _run_cli("--env", "A2_skel", "--condition", "skeleton.Wing=0.9", "--screenshot", str(tmp_path / "x.png"))
    assert r.returncode == 2 and "unknown ['skeleton.Wing']" in r.stderr
    r = _run_cli("--env", "A2_skel", "--condition", "global")
    assert r.returncode == 2 and "NAME=VALUE" in r.stderr
