"""Environment configs: the shipped ones, the reference schema, and clear errors for bad input."""

import warnings

import pytest
from bidir_sim.envs import load_env_config, shipped_configs
from bidir_sim.envs.compose import composed_text
from bidir_sim.envs.config import (
    ACTUATOR_ACTIONS,
    CONFIG_DIR,
    EnvConfig,
    config_values,
    leaf_keys,
    parse_env_config,
)
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


def test_the_other_actuators_shipped_configs_are_A2_sep_plus_their_difference():
    """Declared once: pd, muscle and torque state only their actuator (and what it changes), A2_sep the rest."""
    base = config_values(load_env_config("A2_sep"))
    every_dof = {"reward.metabolic.torque.coeff": 0.01}  # the ideal-torque bodies' energy sums every DoF
    differences = {"pd": {"skeleton.actuator": "pd", **every_dof},
                   "muscle": {"skeleton.actuator": "activations"},
                   "torque": {"skeleton.actuator": "torque", "action.residual": False, "action.torque_scale": 0.5,
                              **every_dof}}
    for name, difference in differences.items():
        assert config_values(load_env_config(name)) == {**base, **difference}, name
        assert (CONFIG_DIR / f"{name}.yaml").read_text().count("\nbase: A2_sep\n") == 1


def test_A2_sep_is_the_reference_task():
    cfg = load_env_config("A2_sep")
    assert (cfg.simulation.sim_hz, cfg.simulation.control_hz, cfg.substeps) == (480, 30, 16)
    assert cfg.skeleton.actuator == "muscle_net_lower"
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
    ("environment: {action: {residual: false}}", "environment.action.residual", "got False with actuator muscle_net_lower"),
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


@pytest.mark.parametrize("spelling, canonical", [("mass", "muscle_net"), ("mass_lower", "muscle_net_lower"),
                                                 ("muscle", "activations"), ("muscle_net", "muscle_net"),
                                                 ("activations", "activations")])
def test_the_references_actuator_spellings_read_as_the_canonical_names(spelling, canonical):
    assert parse(f"environment: {{skeleton: {{actuator: {spelling}}}}}").skeleton.actuator == canonical
    assert set(ACTUATOR_ACTIONS) == set(leaf_field("skeleton.actuator").metadata["choices"])


def test_learning_std_is_refused_naming_the_trainers_keys():
    for value in ("true", "false"):
        with pytest.raises(ConfigError, match=r"environment.advanced.learning_std: .*model.log_std_"):
            parse(f"environment: {{advanced: {{learning_std: {value}}}}}")


def leaf_field(key):
    return next(f for k, _, f, _ in leaf_keys(EnvConfig) if k == key)


def test_every_key_reaches_cpp_by_its_yaml_name_with_its_declared_type():
    cfg = load_env_config("A2_sep")
    values = config_values(cfg)
    assert list(values) == [k for k, *_ in leaf_keys(EnvConfig)]
    assert values["reward.locomotion.head_linear_acc_weight"] == 4.0  # the YAML's name, not a renamed copy
    assert values["Horizon"] == 600 and values["simulation.sim_hz"] == 480
    cfg.action.scale = 1  # code changing a config after parsing: checked again, and an int read as a float
    assert type(config_values(cfg)["action.scale"]) is float
    cfg.reward.metabolic.weight = -1.0
    with pytest.raises(ConfigError, match="environment.reward.metabolic.weight: must be >= 0.0"):
        config_values(cfg)


def test_composed_configs_state_only_their_difference(tmp_path):
    base, ma2 = load_env_config("A2_sep"), load_env_config("MA2_sep")
    assert config_values(ma2) == {**config_values(base), "reward.metabolic.type": "MA2"}
    a = config_values(load_env_config("A_sep"))
    assert a == {**config_values(base), "reward.metabolic.type": "A", "reward.metabolic.weight": 0.05}
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "mid.yaml").write_text("base: pd\nenvironment: {action: {scale: 0.05}}\nHorizon: 300\n")
    (tmp_path / "top.yaml").write_text("base: sub/mid.yaml\nenvironment: {action: {time_warping: 0.002}}\n")
    top = load_env_config(tmp_path / "top.yaml")
    assert (top.action.scale, top.action.time_warping, top.horizon) == (0.05, 0.002, 300)
    assert top.skeleton.actuator == "pd" and top.action.residual  # the rest of the mapping kept from pd


@pytest.mark.parametrize("base, message", [
    ("b.yaml", r"b.yaml: base: .*a.yaml is already in the chain of bases.*a cycle"),  # b.yaml's base is a.yaml
    ("nowhere.yaml", r"a.yaml: base: names .*nowhere.yaml, which does not exist"),
    ("A3_sep", r"a.yaml: base: 'A3_sep' is not a shipped config"),
    ("[pd]", r"a.yaml: base: must be a shipped config's name or a .yaml path"),
])
def test_bad_bases_are_errors_naming_the_file(tmp_path, base, message):
    (tmp_path / "a.yaml").write_text(f"base: {base}\nenvironment: {{}}\n")
    (tmp_path / "b.yaml").write_text("base: a.yaml\nenvironment: {}\n")
    with pytest.raises(ConfigError, match=message):
        load_env_config(tmp_path / "a.yaml")


def test_a_composed_file_is_kept_as_its_composed_document(tmp_path):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("base: pd\nenvironment: {termination: {head_drop: 0.15}}\n")
    text = composed_text(recipe)
    assert "base:" not in text
    moved = parse_env_config(text, source=str(tmp_path / "elsewhere.yaml"))  # no base needed to read it back
    assert config_values(moved) == config_values(load_env_config(recipe))
    plain = CONFIG_DIR / "A2_sep.yaml"
    assert composed_text(plain) == plain.read_text()  # a file without base: kept as written
