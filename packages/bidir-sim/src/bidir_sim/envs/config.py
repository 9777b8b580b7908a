"""Environment configuration: the reference system's YAML schema (root key ``environment:``) as typed
dataclasses, so that a user's existing config text works and a wrong key fails at load with a clear
message. Every key is documented in docs/env-config.md (a test checks that the page covers them all).

Each field's metadata gives its allowed values (``choices``) or bounds (``min``/``max``, inclusive; ``gt``
for a strict lower bound). Keys the reference parsed but ignored are accepted with a ConfigWarning.
"""

from __future__ import annotations

import dataclasses
import math
import typing
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import ConfigError, ConfigWarning
from ..io_util import load_yaml, read_input_text, yaml_string_hint

MAX_CONFIG_FILE_BYTES = 2**20  # a config is a few kB
INT_LIMIT = 2**31              # integer keys become C++ ints
GAIT_RATIO = (0.25, 4.0)       # parameters.gait.stride / cadence (ratios of the reference's): bounds the cycle
MAX_AVG_VEL_WINDOW = 10.0      # reward.locomotion.avg_vel.window_mult (cycles); the window is also bounded in
                               # samples at build (task.MAX_AVG_VEL_WINDOW_SAMPLES)


def _f(default, **meta):
    """A field with metadata; a nested config default becomes a fresh instance per object."""
    if dataclasses.is_dataclass(default):
        return field(default_factory=type(default), metadata=meta)
    return field(default=default, metadata=meta)


# What a policy's action entries mean under each actuator (docs/env-config.md#actuators): the same sizes
# under two actuators do not make a policy of one meaningful under the other.
ACTUATOR_ACTIONS = {
    "mass": "offsets of the PD target on every DoF, turned into muscle activations by the muscle network",
    "mass_lower": "offsets of the PD target, turned into muscle activations on the legs and trunk (SPD above)",
    "pd": "offsets of the PD target on every DoF, applied as ideal SPD torques (no muscles)",
    "torque": "joint torques (kp x action.torque_scale per unit action; no PD, no muscles)",
    "muscle": "offsets of the upper body's PD target, then one activation per muscle",
}


@dataclass
class SkeletonConfig:
    file: str = _f("default")  # "default" (bidir's human), a bidir YAML model or a MASS skeleton XML
    actuator: str = _f("mass_lower", choices=("mass", "mass_lower", "pd", "torque", "muscle"))
    self_collide: bool = _f(False)


@dataclass
class MotionConfig:
    type: str = _f("procedural", choices=("procedural", "bvh"))
    file: str = _f("walk")      # procedural: "walk"; bvh: a path
    stride: float = _f(0.0, min=0.0, max=10.0)  # procedural only, m per cycle; 0 = 0.8 x stature
    cadence: float = _f(110.0, min=60.0, max=160.0)  # procedural only, steps per minute
    reference_version: int = _f(1, choices=(1, 2))  # procedural only: 1 make walk's reference; 2 the normative fit
    cyclic: bool = _f(True)     # bvh: the clip loops (root advancing); false: episodes end with the clip
    map: str = _f("")           # bvh: a YAML {model body or role: BVH joint} map; empty: by role


@dataclass
class MuscleConfig:
    file: str = _f("")         # empty: the model's own muscles; or a MASS muscle XML
    use_velocity_force: bool = _f(False)
    use_joint_state: bool = _f(True)
    mesh_lbs_weight: bool = _f(False)
    learn_under_pd: bool = _f(False)  # actuator pd: still record the muscle network's training tuples


@dataclass
class SimulationConfig:
    sim_hz: int = _f(600, min=30, max=10000)
    control_hz: int = _f(30, min=1, max=1000)
    inference_per_sim: int = _f(1, min=1, max=100)  # run the muscle network (and JtA) every k physics substeps


@dataclass
class ActionConfig:
    scale: float = _f(0.04, gt=0.0)
    residual: bool = _f(True)        # the joint entries offset the reference pose; false under actuator: torque
    torque_scale: float = _f(0.5, gt=0.0, max=10.0)  # actuator torque: a unit action is kp x this (rad) of torque
    time_warping: float = _f(-1.0)   # > 0: one more action dimension; phase speed-up = value * action
    gait_phase_mode: str = _f("phase", choices=("phase",))


@dataclass
class AdvancedConfig:
    enforce_symmetry: bool = _f(False)
    hard_phase_clipping: bool = _f(False)
    soft_phase_clipping: bool = _f(False)
    include_jtp_in_spd: bool = _f(False)
    use_normalized_param_state: bool = _f(False)
    learning_std: bool = _f(False)
    torque_clipping: bool = _f(False)


@dataclass
class ClipConfig:
    step: int = _f(0, min=0)
    value: float = _f(0.0, min=0.0)


@dataclass
class TorqueEnergyConfig:
    coeff: float = _f(0.0, min=0.0)
    separate: bool = _f(False)


@dataclass
class MetabolicConfig:
    type: str = _f("A", choices=("A", "A2", "MA", "MA2"))
    weight: float = _f(0.05, min=0.0)
    scale: float = _f(1.0, min=0.0)
    multiplicative: bool = _f(False)
    torque: TorqueEnergyConfig = _f(TorqueEnergyConfig())


@dataclass
class StepRewardConfig:
    weight: float = _f(2.0, min=0.0)
    clip: float = _f(0.075, min=0.0)


@dataclass
class AvgVelConfig:
    weight: float = _f(6.0, min=0.0)
    window_mult: float = _f(1.0, gt=0.0, max=MAX_AVG_VEL_WINDOW)
    clip: float = _f(-1.0)
    consider_x: bool = _f(False)


@dataclass
class DragXConfig:
    use: bool = _f(False)
    weight: float = _f(1.0, min=0.0)
    threshold: float = _f(0.0, min=0.0)


@dataclass
class PhaseRewardConfig:
    use: bool = _f(False)
    weight: float = _f(1.0, min=0.0)


@dataclass
class LocomotionConfig:
    head_linear_acc_weight: float = _f(4.0, min=0.0)
    head_rot_weight: float = _f(4.0, min=0.0)
    step: StepRewardConfig = _f(StepRewardConfig())
    avg_vel: AvgVelConfig = _f(AvgVelConfig())
    dragX: DragXConfig = _f(DragXConfig())  # the reference's spelling
    phase: PhaseRewardConfig = _f(PhaseRewardConfig())


@dataclass
class KneePainConfig:
    use: bool = _f(False)
    weight: float = _f(1.0, min=0.0)
    scale: float = _f(1.0, gt=0.0)
    termination: bool = _f(False)
    use_max: bool = _f(False)
    max_weight: float = _f(1.0, min=0.0)


@dataclass
class RewardConfig:
    type: str = _f("gaitnet", choices=("gaitnet", "deepmimic", "scadiver"))
    eoe_type: str = _f("tuple", choices=("tuple", "time"))
    clip: ClipConfig = _f(ClipConfig())
    metabolic: MetabolicConfig = _f(MetabolicConfig())
    locomotion: LocomotionConfig = _f(LocomotionConfig())
    knee_pain: KneePainConfig = _f(KneePainConfig())


@dataclass
class ParameterRange:
    min: float = _f(1.0, min=GAIT_RATIO[0], max=GAIT_RATIO[1])
    max: float = _f(1.0, min=GAIT_RATIO[0], max=GAIT_RATIO[1])
    default: float = _f(1.0, min=GAIT_RATIO[0], max=GAIT_RATIO[1])
    sampling: str = _f("uniform", choices=("uniform", "extremes"))


@dataclass
class GaitParameters:
    stride: ParameterRange = _f(ParameterRange())   # ratio of the reference stride
    cadence: ParameterRange = _f(ParameterRange())  # ratio of the reference cadence


@dataclass
class ParametersConfig:
    gait: GaitParameters = _f(GaitParameters())


@dataclass
class TerminationConfig:
    """bidir's early termination (not in the reference), besides the fall (COM below 0.6 m); 0 switches
    each off."""
    head_drop: float = _f(0.0, min=0.0, max=2.0)       # m: the head this far below its height at reset
    pelvis_angle: float = _f(0.0, min=0.0, max=3.1416)  # rad: the pelvis this far from the reference's orientation


@dataclass
class AssistConfig:
    """bidir's own training aid (not in the reference): a PD harness on the pelvis toward the reference COM
    and pelvis orientation. These are its gains at scale 1; it acts only while the trainer's ``assist``
    schedule (or ``BatchEnv.set_assist_scale``) gives it a scale > 0, never in evaluation."""
    # At scale 1 these hold up the zero-action pd body for the whole test (200 steps); at 0.5 it falls.
    kp_position: float = _f(2000.0, min=0.0, max=1e6)  # N/m on the COM error
    kd_position: float = _f(300.0, min=0.0, max=1e5)   # N s/m on the COM velocity error
    kp_rotation: float = _f(500.0, min=0.0, max=1e6)   # N m/rad on the pelvis orientation error
    kd_rotation: float = _f(30.0, min=0.0, max=1e5)    # N m s/rad on the pelvis angular velocity (> ~60: unstable)


@dataclass
class EnvConfig:
    skeleton: SkeletonConfig = _f(SkeletonConfig())
    motion: MotionConfig = _f(MotionConfig())
    muscle: MuscleConfig = _f(MuscleConfig())
    simulation: SimulationConfig = _f(SimulationConfig())
    action: ActionConfig = _f(ActionConfig())
    advanced: AdvancedConfig = _f(AdvancedConfig())
    reward: RewardConfig = _f(RewardConfig())
    parameters: ParametersConfig = _f(ParametersConfig())
    assist: AssistConfig = _f(AssistConfig())
    termination: TerminationConfig = _f(TerminationConfig())
    horizon: int = _f(600, min=1)   # control steps per episode (top-level ``Horizon``)
    name: str = "custom"
    source: str = "<memory>"        # the file it came from; relative paths resolve against its folder

    @property
    def substeps(self) -> int:
        return self.simulation.sim_hz // self.simulation.control_hz

    def resolve(self, path: str) -> Path:
        """A file named in the config, relative to the config's folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() or self.source.startswith("<") else Path(self.source).parent / p


# Keys the reference parsed but that had no effect there (reference-system.md §2, §11).
IGNORED = {
    "environment.skeleton.kp", "environment.skeleton.kv", "environment.skeleton.damping",
    "environment.motion.height_calibration",
    "environment.muscle.pose_optimization",
    "environment.advanced.stance_learning", "environment.ground",
}
# Old spellings the reference still read: old key -> new key (relative to the same parent).
RENAMED = {"environment.reward.locomotion.step_weight": ("step", "weight"),
           "environment.reward.metabolic.torque_coeff": ("torque", "coeff")}
# Reference features bidir does not have (yet): a config that uses them must not run silently without.
UNSUPPORTED = {
    "environment.noise_injection": "noise injection is not supported",
    "environment.parameters.skeleton": "skeleton parameters are not supported",
    "environment.parameters.torsion": "torsion parameters are not supported",
    "cascading": "cascading networks are not supported",
}


def _check_value(value, hint, meta, key: str, source: str):
    def fail(reason):
        raise ConfigError(source, key, reason)

    if hint is bool:
        if not isinstance(value, bool):
            fail(f"must be true or false, got {value!r}")
    elif hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            fail(f"must be an integer, got {value!r}{yaml_string_hint(value)}")
        if not -INT_LIMIT < value < INT_LIMIT:
            fail(f"must be less than 2**31 in magnitude, got {value!r}")
    elif hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            fail(f"must be a finite number, got {value!r}{yaml_string_hint(value)}")
        value = float(value)
    elif hint is str and not isinstance(value, str):
        fail(f"must be a string, got {value!r}")
    if "choices" in meta and value not in meta["choices"]:
        fail(f"must be one of {', '.join(map(str, meta['choices']))}; got {value!r}")
    if "min" in meta and value < meta["min"]:
        fail(f"must be >= {meta['min']}, got {value!r}")
    if "max" in meta and value > meta["max"]:
        fail(f"must be <= {meta['max']}, got {value!r}")
    if "gt" in meta and not value > meta["gt"]:
        fail(f"must be > {meta['gt']}, got {value!r}")
    return value


def _build(cls, data, key: str, source: str, given: set | None = None):
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(source, key, f"must be a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in ("name", "source", "horizon")}
    values = {}
    for k, v in data.items():
        path = f"{key}.{k}"
        if path in UNSUPPORTED:
            raise ConfigError(source, path, UNSUPPORTED[path])
        if path in IGNORED:
            warnings.warn(f"{source}: {path}: has no effect (the reference system ignored it too)",
                          ConfigWarning, stacklevel=4)
            continue
        if path in RENAMED:
            parent, leaf = RENAMED[path]
            warnings.warn(f"{source}: {path}: deprecated, write {key}.{parent}.{leaf}", ConfigWarning, stacklevel=4)
            data_parent = data.get(parent) or {}
            if leaf not in data_parent:
                values.setdefault("_renamed", []).append((parent, leaf, v))
            continue
        if k not in fields:
            raise ConfigError(source, path, f"unknown key; valid keys: {', '.join(sorted(fields))}")
        hint = hints[k]
        if dataclasses.is_dataclass(hint):
            values[k] = _build(hint, v, path, source, given)
        else:
            values[k] = _check_value(v, hint, fields[k].metadata, path, source)
            if given is not None:
                given.add(path)
    renamed = values.pop("_renamed", [])
    obj = cls(**values)
    for parent, leaf, v in renamed:
        sub = getattr(obj, parent)
        hint = typing.get_type_hints(type(sub))[leaf]
        meta = {f.name: f.metadata for f in dataclasses.fields(sub)}[leaf]
        setattr(sub, leaf, _check_value(v, hint, meta, f"{key}.{parent}.{leaf}", source))
    return obj


def parse_env_config(text: str, source: str = "<string>", name: str = "custom") -> EnvConfig:
    """Parses the YAML text of an env config; raises ConfigError naming the key and the reason."""
    try:
        doc = load_yaml(text)
    except yaml.YAMLError as e:
        raise ConfigError(source, "yaml", str(e).replace("\n", " ")) from None
    if not isinstance(doc, dict) or "environment" not in doc:
        raise ConfigError(source, "environment", "the root must be a mapping with the key 'environment'")
    for k in doc:
        if k in UNSUPPORTED:
            raise ConfigError(source, k, UNSUPPORTED[k])
        if k not in ("environment", "Horizon", "training"):
            raise ConfigError(source, k, "unknown top-level key; valid keys: Horizon, environment, training")
    given: set[str] = set()
    cfg = _build(EnvConfig, doc["environment"], "environment", source, given)
    if "Horizon" in doc:
        cfg.horizon = _check_value(doc["Horizon"], int, {"min": 1}, "Horizon", source)
    cfg.name, cfg.source = name, source
    _check_consistency(cfg)
    _check_applies(cfg, given)
    return cfg


# Keys that act only in some settings: key -> (whether it acts in cfg, the setting it acts in). A key given
# where it does nothing gets a ConfigWarning (unless its value is what that setting does anyway: SAME_ANYWAY);
# a file it names must still exist (a missing file is an error).
APPLIES = {
    "environment.action.torque_scale": (lambda c: c.skeleton.actuator == "torque", "skeleton.actuator: torque"),
    "environment.motion.stride": (lambda c: c.motion.type == "procedural", "motion.type: procedural"),
    "environment.motion.cadence": (lambda c: c.motion.type == "procedural", "motion.type: procedural"),
    "environment.motion.reference_version": (lambda c: c.motion.type == "procedural", "motion.type: procedural"),
    "environment.motion.cyclic": (lambda c: c.motion.type == "bvh", "motion.type: bvh"),
    "environment.motion.map": (lambda c: c.motion.type == "bvh", "motion.type: bvh"),
    "environment.reward.locomotion.dragX.weight": (lambda c: c.reward.locomotion.dragX.use,
                                                   "reward.locomotion.dragX.use: true"),
    "environment.reward.locomotion.dragX.threshold": (lambda c: c.reward.locomotion.dragX.use,
                                                      "reward.locomotion.dragX.use: true"),
    "environment.reward.knee_pain.weight": (lambda c: c.reward.knee_pain.use, "reward.knee_pain.use: true"),
    "environment.reward.knee_pain.scale": (lambda c: c.reward.knee_pain.use or c.reward.knee_pain.termination,
                                           "reward.knee_pain.use or termination: true"),
    "environment.reward.knee_pain.use_max": (lambda c: c.reward.knee_pain.use, "reward.knee_pain.use: true"),
    "environment.reward.knee_pain.max_weight": (lambda c: c.reward.knee_pain.use and c.reward.knee_pain.use_max,
                                                "reward.knee_pain.use and use_max: true"),
    "environment.reward.clip.value": (lambda c: c.reward.clip.step > 0, "reward.clip.step > 0"),
}
FILE_KEYS = {"environment.motion.map": lambda c: c.motion.map}
SAME_ANYWAY = {"environment.motion.cyclic": lambda c: c.motion.cyclic}  # the procedural walk always loops


def _check_applies(cfg: EnvConfig, given: set[str]) -> None:
    for key in sorted(given & APPLIES.keys()):
        acts, setting = APPLIES[key]
        if acts(cfg) or (key in SAME_ANYWAY and SAME_ANYWAY[key](cfg)):
            continue
        if key in FILE_KEYS and FILE_KEYS[key](cfg) and ("\x00" in FILE_KEYS[key](cfg)
                                                          or not cfg.resolve(FILE_KEYS[key](cfg)).is_file()):
            raise ConfigError(cfg.source, key, f"names {cfg.resolve(FILE_KEYS[key](cfg))}, which does not exist "
                              f"(the key acts only with {setting})")
        warnings.warn(f"{cfg.source}: {key}: has no effect here (it acts only with {setting})", ConfigWarning,
                      stacklevel=3)


def _check_consistency(cfg: EnvConfig) -> None:
    src = cfg.source
    sim = cfg.simulation
    if sim.sim_hz % sim.control_hz:
        raise ConfigError(src, "environment.simulation.sim_hz",
                          f"must be a multiple of control_hz ({sim.control_hz}), got {sim.sim_hz}")
    if (sim.sim_hz // sim.control_hz) % sim.inference_per_sim:
        raise ConfigError(src, "environment.simulation.inference_per_sim",
                          f"must divide the {sim.sim_hz // sim.control_hz} substeps of a control step, "
                          f"got {sim.inference_per_sim}")
    if cfg.advanced.torque_clipping:
        raise ConfigError(src, "environment.advanced.torque_clipping", "is deprecated and must be false")
    if cfg.muscle.mesh_lbs_weight:
        raise ConfigError(src, "environment.muscle.mesh_lbs_weight", "mesh-based LBS weights are not supported")
    torque = cfg.skeleton.actuator == "torque"
    if cfg.action.residual == torque:
        raise ConfigError(src, "environment.action.residual",
                          "must be false under skeleton.actuator: torque (the action is the joint torque) and true "
                          f"under every other actuator (a residual on the reference pose), got {cfg.action.residual} "
                          f"with actuator {cfg.skeleton.actuator}")
    if cfg.muscle.learn_under_pd and cfg.skeleton.actuator != "pd":
        raise ConfigError(src, "environment.muscle.learn_under_pd", "applies to skeleton.actuator: pd only")
    for name in ("stride", "cadence"):
        r = getattr(cfg.parameters.gait, name)
        if not r.min <= r.default <= r.max:
            raise ConfigError(src, f"environment.parameters.gait.{name}",
                              f"needs min <= default <= max, got {r.min}, {r.default}, {r.max}")


CONFIG_DIR = Path(__file__).resolve().parent.parent / "data" / "envs"


def shipped_configs() -> list[str]:
    """Names of the configs shipped with bidir-sim (``A2_sep``, ...)."""
    return sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))


def load_env_config(name_or_path: str | Path) -> EnvConfig:
    """A shipped config by name (``"A2_sep"``) or a YAML file."""
    text_name = str(name_or_path)
    if text_name in shipped_configs():
        path = CONFIG_DIR / f"{text_name}.yaml"
        return parse_env_config(path.read_text(encoding="utf-8"), source=str(path), name=text_name)
    path = Path(name_or_path)
    if "\x00" in text_name:
        raise ConfigError(repr(text_name), "file", "the path contains a NUL byte")
    if not path.exists():
        raise ConfigError(text_name, "file", f"no such config file, and not a shipped config "
                          f"({', '.join(shipped_configs())})")
    text = read_input_text(path, ConfigError, MAX_CONFIG_FILE_BYTES, "env config")
    return parse_env_config(text, source=str(path), name=path.stem)


def imitation_config(clip: str | Path, model: str | Path = "default", muscles: str | Path | None = None,
                     base: str = "deepmimic") -> EnvConfig:
    """The shipped ``base`` config imitating a BVH clip on a model (a MASS skeleton .xml takes its muscle
    .xml), the clip retargeted onto it (docs/motion.md)."""
    cfg = load_env_config(base)
    cfg.motion.type, cfg.motion.file = "bvh", str(Path(clip).expanduser().resolve())
    cfg.skeleton.file = "default" if str(model) == "default" else str(Path(model).expanduser().resolve())
    cfg.muscle.file = str(Path(muscles).expanduser().resolve()) if muscles else ""
    cfg.name = f"{base}:{Path(clip).stem}"
    return cfg
