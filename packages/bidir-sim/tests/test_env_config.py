"""Environment configs: the shipped ones, the reference schema, and clear errors for bad input."""

import warnings

import pytest
from bidir_sim.envs import load_env_config, shipped_configs
from bidir_sim.envs.config import parse_env_config
from bidir_sim.errors import ConfigError, ConfigWarning


def parse(text):
    return parse_env_config(text, source="test.yaml")


def test_shipped_configs_load():
    assert {"A2_sep", "A_sep", "MA2_sep", "deepmimic"} <= set(shipped_configs())
    for name in shipped_configs():
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # shipped configs use no dead keys
            cfg = load_env_config(name)
        assert cfg.name == name


def test_A2_sep_is_the_reference_task():
    cfg = load_env_config("A2_sep")
    assert (cfg.simulation.sim_hz, cfg.simulation.control_hz, cfg.substeps) == (480, 30, 16)
    assert cfg.skeleton.actuator == "mass_lower"
    m = cfg.reward.metabolic
    assert (m.type, m.weight, m.multiplicative, m.torque.coeff, m.torque.separate) == ("A2", 0.03, True, 0.1, True)
    loc = cfg.reward.locomotion
    assert (loc.head_linear_acc_weight, loc.head_rot_weight, loc.step.weight, loc.step.clip) == (4, 4, 2, 0.075)
    assert (loc.avg_vel.weight, loc.avg_vel.clip, loc.avg_vel.consider_x) == (6, 1, True)
    assert cfg.reward.type == "gaitnet" and cfg.advanced.enforce_symmetry and cfg.horizon == 600
    assert (cfg.action.scale, cfg.action.time_warping) == (0.04, 0.001)
    assert load_env_config("A_sep").reward.metabolic.type == "A"
    assert load_env_config("MA2_sep").reward.metabolic.type == "MA2"
    assert load_env_config("deepmimic").reward.type == "deepmimic"


def test_reference_text_with_dead_and_old_keys():
    text = """
environment:
  skeleton: {file: default, actuator: mass_lower, kp: 200, kv: 40, damping: 0.1}
  motion: {type: procedural, file: walk, cyclic: true}
  simulation: {sim_hz: 480, control_hz: 30, inference_per_sim: 1}
  reward:
    locomotion: {step_weight: 3.0}
    metabolic: {torque_coeff: 0.2}
Horizon: 300
"""
    with pytest.warns(ConfigWarning) as record:
        cfg = parse(text)
    messages = " ".join(str(w.message) for w in record)
    for key in ("skeleton.kp", "skeleton.kv", "skeleton.damping", "step_weight", "torque_coeff"):
        assert key in messages
    assert "inference_per_sim" not in messages  # used since the speed issue (the reference ignored it)
    assert "motion.cyclic" not in messages and cfg.motion.cyclic  # used since BVH retargeting
    assert cfg.simulation.inference_per_sim == 1
    assert cfg.reward.locomotion.step.weight == 3.0
    assert cfg.reward.metabolic.torque.coeff == 0.2
    assert cfg.horizon == 300


@pytest.mark.parametrize("text, key, reason", [
    ("environment: {simulation: {sim_hz: 480, control_hz: 30, substeps: 4}}", "environment.simulation.substeps",
     "unknown key; valid keys: control_hz, inference_per_sim, sim_hz"),
    ("environment: {simulation: {sim_hz: '480'}}", "environment.simulation.sim_hz", "must be an integer"),
    ("environment: {simulation: {sim_hz: 500, control_hz: 30}}", "environment.simulation.sim_hz",
     "must be a multiple of control_hz"),
    ("environment: {action: {scale: -0.1}}", "environment.action.scale", "must be > 0.0"),
    ("environment: {action: {scale: .nan}}", "environment.action.scale", "must be a finite number"),
    ("environment: {advanced: {enforce_symmetry: 1}}", "environment.advanced.enforce_symmetry",
     "must be true or false"),
    ("environment: {reward: {metabolic: {type: B}}}", "environment.reward.metabolic.type",
     "must be one of A, A2, MA, MA2"),
    ("environment: {reward: {type: gaitnet, locomotion: []}}", "environment.reward.locomotion", "must be a mapping"),
    ("environment: {motion: {type: h5, file: walk.h5}}", "environment.motion.type", "must be one of procedural, bvh"),
    ("environment: {noise_injection: {file: x.yaml}}", "environment.noise_injection", "not supported"),
    ("environment: {skeleton: {actuator: torque}}", "environment.action.residual", "must be false under"),
    ("environment: {action: {residual: false}}", "environment.action.residual", "got False with actuator mass_lower"),
    ("environment: {skeleton: {actuator: torque}, action: {residual: false, torque_scale: 0}}",
     "environment.action.torque_scale", "must be > 0.0"),
    ("environment: {skeleton: {actuator: ideal}}", "environment.skeleton.actuator", "must be one of"),
    ("environment: {advanced: {torque_clipping: true}}", "environment.advanced.torque_clipping", "deprecated"),
    ("environment: {parameters: {gait: {stride: {min: 0.9, max: 1.1, default: 1.2}}}}",
     "environment.parameters.gait.stride", "min <= default <= max"),
    ("environment: {}\nHorizon: 0", "Horizon", "must be >= 1"),
    ("environment: {}\ncascading: {}", "cascading", "not supported"),
    ("environment: {}\nhorizon: 10", "horizon", "unknown top-level key"),
    ("skeleton: {}", "environment", "root must be a mapping with the key 'environment'"),
    ("environment: {skeleton: [unclosed", "yaml", ""),
])
def test_bad_config(text, key, reason):
    with pytest.raises(ConfigError) as err:
        parse(text)
    assert err.value.source == "test.yaml"
    assert err.value.key == key
    assert reason in err.value.reason


def test_missing_file_names_the_shipped_configs(tmp_path):
    with pytest.raises(ConfigError, match="no such config file, and not a shipped config .*A2_sep"):
        load_env_config(tmp_path / "nope.yaml")
