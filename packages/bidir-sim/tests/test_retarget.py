"""BVH retargeting onto bidir's models (docs/motion.md): the fixture clips on the default body at three
statures, synthetic clips under several naming conventions and rest poses, the errors, the env and CLI."""

import json
import subprocess
import sys

import numpy as np
import pytest
from bidir_sim.errors import ConfigError, ModelError
from bidir_sim.models import human, load_model
from bidir_sim.motion import load_bvh, retarget
from bidir_sim.motion.quality import report
from bidir_sim.motion.roles import bvh_role
from scipy.spatial.transform import Rotation

# --- the fixture clips: the figures of issue #17 -----------------------------------------------------------


@pytest.fixture(scope="module", params=[1.55, 1.75, 1.95], ids=lambda h: f"{h}m")
def body(request):
    return human(height_m=request.param)


@pytest.mark.parametrize("clip", ["walk", "run"])
def test_fixture_clips_on_the_default_body(mass_dir, body, clip):
    bvh = load_bvh(mass_dir / f"{clip}.bvh")
    result = retarget(bvh, body)
    r = report(bvh, body, result)
    # thigh, shank, foot, trunk and pelvis follow the clip's own forward kinematics within 5 degrees
    assert set(r["direction_error_deg"]) >= {"hip_l", "hip_r", "knee_l", "knee_r", "ankle_l", "ankle_r", "spine",
                                            "chest", "pelvis"}
    assert max(r["direction_error_deg"].values()) < 5.0, r["direction_error_deg"]
    assert r["penetration_cm"] < 2.0
    # the stance foot slides less than 3 cm, or than the clip's own feet do
    assert r["stance_slide_cm"] < max(3.0, r["clip_stance_slide_cm"]), r
    assert not r["bodies_without_data"] and "Pelvis_RIGMESH" in r["unused_bvh_joints"]
    assert np.all(np.isfinite(result.positions))


def test_root_travel_scales_with_the_legs(mass_dir):
    bvh = load_bvh(mass_dir / "walk.bvh")
    short, tall = (retarget(bvh, human(height_m=h)) for h in (1.55, 1.95))
    travel = [abs(c.positions[-1, 5] - c.positions[0, 5]) for c in (short, tall)]
    assert travel[1] / travel[0] == pytest.approx(tall.scale / short.scale, rel=1e-6)
    assert tall.scale / short.scale == pytest.approx(1.95 / 1.55, rel=0.02)


# --- synthetic clips written here ---------------------------------------------------------------------------

# name per convention for each joint of a small full-body skeleton (parent, offset in cm at a T-pose)
JOINTS = [  # role key, parent key, offset
    ("hips", None, (0, 95, 0)), ("spine", "hips", (0, 10, 0)), ("chest", "spine", (0, 20, 0)),
    ("neck", "chest", (0, 22, 0)), ("head", "neck", (0, 8, 0)),
    ("lclav", "chest", (3, 18, 0)), ("larm", "lclav", (15, 0, 0)), ("lfore", "larm", (28, 0, 0)),
    ("lhand", "lfore", (25, 0, 0)),
    ("rclav", "chest", (-3, 18, 0)), ("rarm", "rclav", (-15, 0, 0)), ("rfore", "rarm", (-28, 0, 0)),
    ("rhand", "rfore", (-25, 0, 0)),
    ("lthigh", "hips", (9, -5, 0)), ("lshin", "lthigh", (0, -42, 0)), ("lfoot", "lshin", (0, -42, 0)),
    ("ltoe", "lfoot", (0, -6, 14)),
    ("rthigh", "hips", (-9, -5, 0)), ("rshin", "rthigh", (0, -42, 0)), ("rfoot", "rshin", (0, -42, 0)),
    ("rtoe", "rfoot", (0, -6, 14)),
]
NAMES = {
    "mixamo": {"hips": "mixamorig:Hips", "spine": "mixamorig:Spine", "chest": "mixamorig:Spine2",
               "neck": "mixamorig:Neck", "head": "mixamorig:Head",
               **{f"{s}{k}": f"mixamorig:{side}{v}" for s, side in (("l", "Left"), ("r", "Right"))
                  for k, v in (("clav", "Shoulder"), ("arm", "Arm"), ("fore", "ForeArm"), ("hand", "Hand"),
                               ("thigh", "UpLeg"), ("shin", "Leg"), ("foot", "Foot"), ("toe", "ToeBase"))}},
    "cmu": {"hips": "Hips", "spine": "LowerBack", "chest": "Spine1", "neck": "Neck", "head": "Head",
            **{f"{s}{k}": f"{side}{v}" for s, side in (("l", "Left"), ("r", "Right"))
               for k, v in (("clav", "Shoulder"), ("arm", "Arm"), ("fore", "ForeArm"), ("hand", "Hand"),
                            ("thigh", "UpLeg"), ("shin", "Leg"), ("foot", "Foot"), ("toe", "ToeBase"))}},
}
FRAMES = 40


def _motion() -> dict[str, np.ndarray]:
    """Global rotations (frames, 3, 3) of a walking-like motion, T-pose rest, y up, z forward."""
    t = np.linspace(0, 2 * np.pi, FRAMES, endpoint=False)
    rot = {}
    swing = 0.5 * np.sin(t)
    for key, _, _ in JOINTS:
        rot[key] = np.tile(np.eye(3), (FRAMES, 1, 1))
    rot["hips"] = Rotation.from_euler("Y", (0.1 * np.sin(t))[:, None]).as_matrix()
    for side, sign in (("l", 1), ("r", -1)):
        hip = Rotation.from_euler("X", (-sign * swing)[:, None])
        knee = hip * Rotation.from_euler("X", (0.6 * (1 + np.sin(t + sign * 1.0)))[:, None])
        rot[f"{side}thigh"], rot[f"{side}shin"] = hip.as_matrix(), knee.as_matrix()
        ankle = knee * Rotation.from_euler("X", (-0.3 * np.cos(t))[:, None])
        rot[f"{side}foot"] = rot[f"{side}toe"] = ankle.as_matrix()
        arm = Rotation.from_euler("Z", -sign * 1.3) * Rotation.from_euler("X", (sign * 0.3 * np.sin(t))[:, None])
        rot[f"{side}arm"] = arm.as_matrix()  # from the T-pose down to the side, swinging
        rot[f"{side}fore"] = rot[f"{side}hand"] = (arm * Rotation.from_euler("X", -0.4)).as_matrix()
    return rot


def write_bvh(path, names: dict[str, str], rest_tilt: float = 0.0) -> None:
    """The motion above as a BVH file with these joint names. rest_tilt (rad) lowers the arms of the rest
    pose (an A-pose at 0.7); the channels change so that every bone moves exactly as with the T-pose."""
    rot = _motion()
    rest = {}  # rotation of each joint's rest frame (the A-pose arms are rotated about z)
    for key, parent, _ in JOINTS:
        tilt = rest_tilt if key[1:] in ("arm", "fore", "hand") else 0.0
        sign = 1 if key.startswith("l") else -1
        rest[key] = Rotation.from_euler("Z", -sign * tilt).as_matrix()
    lines, order = ["HIERARCHY"], []

    def emit(key, depth):
        parent = next(p for k, p, _ in JOINTS if k == key)
        offset = np.array(next(o for k, _, o in JOINTS if k == key), float)
        if parent is not None:  # an offset is its parent's bone: a lowered arm's bones point down
            offset = rest[parent] @ offset
        pad = "  " * depth
        lines.append(f"{pad}{'ROOT' if parent is None else 'JOINT'} {names[key]}")
        lines.append(f"{pad}{{")
        lines.append(f"{pad}  OFFSET {offset[0]:.6f} {offset[1]:.6f} {offset[2]:.6f}")
        channels = "6 Xposition Yposition Zposition" if parent is None else "3"
        lines.append(f"{pad}  CHANNELS {channels} Zrotation Xrotation Yrotation")
        order.append(key)
        children = [k for k, p, _ in JOINTS if p == key]
        for child in children:
            emit(child, depth + 1)
        if not children:
            lines.extend([f"{pad}  End Site", f"{pad}  {{", f"{pad}    OFFSET 0 -5 0", f"{pad}  }}"])
        lines.append(f"{pad}}}")

    emit("hips", 0)
    lines += ["MOTION", f"Frames: {FRAMES}", "Frame Time: 0.0333333"]
    for f in range(FRAMES):
        row = []
        for key in order:
            parent = next(p for k, p, _ in JOINTS if k == key)
            # global = motion @ rest^T (same bone directions); local = parent_global^T @ global
            g = rot[key][f] @ rest[key].T
            gp = np.eye(3) if parent is None else rot[parent][f] @ rest[parent].T
            zxy = Rotation.from_matrix(gp.T @ g).as_euler("ZXY", degrees=True)
            if parent is None:
                row += [0.0, 95.0, 4.0 * f]
            row += list(zxy)
        lines.append(" ".join(f"{x:.6f}" for x in row))
    path.write_text("\n".join(lines) + "\n")


ROLE_OF = {"hips": "pelvis", "spine": "trunk", "chest": "trunk", "neck": "neck", "head": "head",
           **{f"{s}{k}": f"{r}_{s}" for s in "lr" for k, r in (("clav", "clavicle"), ("arm", "shoulder"),
                                                            ("fore", "elbow"), ("hand", "wrist"), ("thigh", "hip"),
                                                            ("shin", "knee"), ("foot", "ankle"), ("toe", "toes"))}}


def test_naming_conventions_are_recognised():
    for convention, names in NAMES.items():
        for key, name in names.items():
            assert bvh_role(name) == ROLE_OF[key], (convention, name)
    plain = {"lThigh": "hip_l", "rShin": "knee_r", "Thigh_L": "hip_l", "lShldr": "shoulder_l", "rCollar": "clavicle_r",
             "abdomen": "trunk", "LHipJoint": None, "L_Radius_RIGMESH": None, "LeftFingerBase": None}
    for name, role in plain.items():
        assert bvh_role(name) == role, name


def test_mixamo_and_cmu_names_give_the_same_motion(tmp_path, default_model):
    results = []
    for convention, names in NAMES.items():
        path = tmp_path / f"{convention}.bvh"
        write_bvh(path, names)
        results.append(retarget(load_bvh(path), default_model).positions)
    np.testing.assert_allclose(results[0], results[1], atol=1e-9)


def test_t_pose_and_a_pose_rest_give_the_same_motion(tmp_path, default_model):
    t_pose, a_pose = tmp_path / "t.bvh", tmp_path / "a.bvh"
    write_bvh(t_pose, NAMES["mixamo"])
    write_bvh(a_pose, NAMES["mixamo"], rest_tilt=0.7)
    q_t, q_a = (retarget(load_bvh(p), default_model).positions for p in (t_pose, a_pose))
    np.testing.assert_allclose(q_t, q_a, atol=1e-6)
    # and the arms really hang and swing: the shoulder moves over the clip
    arm = default_model.dof_offsets()["ArmL"]
    assert np.ptp(q_t[:, arm:arm + 3], axis=0).max() > 0.3


def test_an_explicit_map_drives_unknown_names(tmp_path, default_model):
    odd = {k: f"joint_{i}" for i, (k, _, _) in enumerate(JOINTS)}
    path = tmp_path / "odd.bvh"
    write_bvh(path, odd)
    with pytest.raises(ModelError, match=r"odd.bvh: role 'pelvis': no BVH joint drives the model's 'Pelvis'.*"
                                         r"joints found: joint_0, joint_1"):
        retarget(load_bvh(path), default_model)
    roles = ROLE_OF | {"spine": "spine", "chest": "chest"}
    by_map = retarget(load_bvh(path), default_model, {roles[k]: v for k, v in odd.items()}).positions
    named = tmp_path / "named.bvh"
    write_bvh(named, NAMES["mixamo"])
    np.testing.assert_allclose(by_map, retarget(load_bvh(named), default_model).positions, atol=1e-9)
    with pytest.raises(ModelError, match="map 'Elbow': is neither a body of the model nor a role"):
        retarget(load_bvh(path), default_model, {"Elbow": "joint_3"})


def test_the_zero_pose_case_is_an_error(tmp_path, default_model):
    """The issue's case: a clip whose names match nothing no longer gives a standing zero-pose motion."""
    path = tmp_path / "none.bvh"
    write_bvh(path, {k: f"j{i}" for i, (k, _, _) in enumerate(JOINTS)})
    with pytest.raises(ModelError, match="role 'pelvis': no BVH joint drives the model's 'Pelvis'"):
        retarget(load_bvh(path), default_model)


# --- the env, the CLI -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_deepmimic_imitates_a_retargeted_clip(mass_dir, default_model):
    from bidir_sim import WalkEnv
    from bidir_sim.envs.config import imitation_config
    from gymnasium.utils.env_checker import check_env

    config = imitation_config(mass_dir / "walk.bvh")
    env = WalkEnv(config)
    clip = retarget(load_bvh(mass_dir / "walk.bvh"), default_model).positions
    frames = len(clip)
    # the reference pose at each sample phase is the retargeted frame (root forward relative to frame 0)
    for f in (0, 17, 66, frames - 1):
        expected = clip[f].copy()
        expected[5] -= clip[0, 5]
        np.testing.assert_allclose(env.task.reference_pose(f / frames), expected, atol=1e-9)
    check_env(env, skip_render_check=True)
    env.reset(seed=0)
    for _ in range(1000):
        obs, reward, terminated, truncated, _ = env.step(np.zeros(env.action_space.shape, np.float32))
        assert np.all(np.isfinite(obs)) and np.isfinite(reward)
        if terminated or truncated:
            env.reset()


def test_a_non_cyclic_clip_ends_the_episode_at_its_end(mass_dir):
    from bidir_sim import WalkEnv
    from bidir_sim.envs.config import imitation_config

    config = imitation_config(mass_dir / "walk.bvh")
    config.motion.cyclic = False
    env = WalkEnv(config)
    env.reset(seed=0)
    steps = int(np.ceil(env.task.reference_duration * config.simulation.control_hz - 1e-9))
    for i in range(1, steps + 1):
        env.core.simulation.positions = env.core.reference_pose  # keep it up: the clip's pose each step
        _, _, terminated, truncated, _ = env.step(np.zeros(env.action_space.shape, np.float32))
        if terminated:
            pytest.skip("the body fell before the clip ended")
        assert truncated == (i == steps), i


def test_a_bvh_config_on_a_model_it_cannot_drive(tmp_path, default_model):
    from bidir_sim.envs.config import imitation_config
    from bidir_sim.envs.task import build_task

    path = tmp_path / "none.bvh"
    write_bvh(path, {k: f"j{i}" for i, (k, _, _) in enumerate(JOINTS)})
    with pytest.raises(ConfigError, match="environment.motion.file: .*none.bvh: role 'pelvis'"):
        build_task(imitation_config(path))


@pytest.mark.slow
def test_the_motion_command(mass_dir, tmp_path):
    out = tmp_path / "walk.npz"
    r = subprocess.run([sys.executable, "-m", "bidir_sim", "motion", str(mass_dir / "walk.bvh"), "--json",
                        "--out", str(out)], capture_output=True, text=True, timeout=300, check=True)
    info = json.loads(r.stdout)
    assert info["frames"] == 132 and info["penetration_cm"] < 2.0 and info["out"] == str(out)
    saved = np.load(out)
    assert saved["positions"].shape == (132, load_model("default").num_dofs)
    r = subprocess.run([sys.executable, "-m", "bidir_sim", "motion", str(mass_dir / "walk.bvh")],
                       capture_output=True, text=True, timeout=300, check=True)
    assert "segment directions vs the clip" in r.stdout and "stance slide" in r.stdout
