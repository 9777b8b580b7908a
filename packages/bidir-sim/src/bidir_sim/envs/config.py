"""Environment configuration: the reference system's YAML schema (root key ``environment:``) as typed
dataclasses, so that a user's existing config text works and a wrong key fails at load with a clear
message. These dataclasses are the env config's only schema (docs/architecture.md, "The env schema, declared
once"): each key is a ``key_field`` whose metadata gives its meaning (``doc``) and its allowed values
(``choices``) or bounds (``min``/``max``, inclusive; ``gt`` for a strict lower bound); the default is the
field's. docs/env-config.md's key tables are generated from them (``python -m bidir_sim.envs.doc_tables``) and
C++ receives them as one map (``config_values``). Keys the reference parsed but ignored are accepted with a
ConfigWarning; a file may start from another with ``base:``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import types
import typing
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError, ConfigWarning
from ..io_util import read_input_text, yaml_string_hint
from .compose import CONFIG_DIR, MAX_CONFIG_FILE_BYTES, composed_document, shipped_configs

INT_LIMIT = 2**31              # integer keys become C++ ints
GAIT_RATIO = (0.25, 4.0)       # parameters.gait.stride / cadence (ratios of the reference's): bounds the cycle
MAX_AVG_VEL_WINDOW = 10.0      # reward.locomotion.avg_vel.window_mult (cycles); the window is also bounded in
                               # samples at build (task.MAX_AVG_VEL_WINDOW_SAMPLES)


def key_field(default, **meta):
    """A config key: a dataclass field whose metadata declares it (``doc``: its meaning, required; ``choices``,
    ``min``, ``max``, ``gt``; ``aliases``: other spellings of a choice; ``key``: its name where the YAML spells it
    otherwise; ``int_limit``: the magnitude an int stays below, 2**31 by default as C++ ints). A nested config
    (a dataclass default) becomes a fresh instance per object. bidir_ppo's config declares its keys the same way."""
    if dataclasses.is_dataclass(default):
        return field(default_factory=type(default), metadata=meta)
    return field(default=default, metadata=meta)


# The actuators (docs/env-config.md#actuators), and what a policy's action entries mean under each: the same
# sizes under two actuators do not make a policy of one meaningful under the other.
ACTUATOR_ACTIONS = {
    "muscle_net": "offsets of the PD target on every DoF, turned into muscle activations by the muscle network",
    "muscle_net_lower": "offsets of the PD target, turned into muscle activations on the legs and trunk (SPD above)",
    "pd": "offsets of the PD target on every DoF, applied as ideal SPD torques (no muscles)",
    "torque": "joint torques (kp x action.torque_scale per unit action; no PD, no muscles)",
    "activations": "offsets of the upper body's PD target, then one activation per muscle",
}
# The reference's spellings, still accepted (old configs and checkpoints use them) and read as the canonical name.
ACTUATOR_SPELLINGS = {"mass": "muscle_net", "mass_lower": "muscle_net_lower", "muscle": "activations"}


@dataclass
class SkeletonConfig:
    file: str = key_field("default",
        doc=("`default` (bidir's parametric human, package data), a bidir YAML model, or a MASS skeleton XML; "
             "relative paths resolve against the config's folder"))
    actuator: str = key_field("muscle_net_lower", choices=tuple(ACTUATOR_ACTIONS), aliases=ACTUATOR_SPELLINGS,
        doc=("`muscle_net_lower`: muscles (driven by the muscle network from SPD desired torques) on the legs and "
             "trunk, SPD torques on the upper body; `muscle_net`: muscles only; `pd`: the ideal-torque body, the SPD "
             "torques of the PD target on every actuated DoF, no muscles and no muscle network (same observation "
             "and action as `muscle_net_lower`; shipped as the `pd` config; `energy_metabolic` is 0, "
             "`energy_torque` sums every DoF). `torque`: the action's joint torques (`action.torque_scale`), no PD "
             "and no muscles; `activations`: the action's muscle activations and the upper body's PD residual, no "
             "muscle network (see \"Actuators\"). The reference's spellings `mass`, `mass_lower` and `muscle` are "
             "read as `muscle_net`, `muscle_net_lower` and `activations`"))
    self_collide: bool = key_field(False, doc='collide the body with itself, not only the feet with the ground')


@dataclass
class MotionConfig:
    type: str = key_field("procedural", choices=("procedural", "bvh"),
        doc=("`procedural`: bidir's walking reference; `bvh`: a BVH clip retargeted onto the model by anatomical "
             "role ([motion.md](motion.md)). The reference's `h5`/`hdf`/`npz` are not supported"))
    file: str = key_field("walk", doc='`walk` for `procedural`; a path for `bvh`')
    stride: float = key_field(0.0, min=0.0, max=10.0,
        doc='procedural only (the walking reference takes 0.3–1.1 × stature): m per cycle; 0 = 0.8 × stature')
    cadence: float = key_field(110.0, min=60.0, max=160.0, doc='procedural only: steps per minute')
    reference_version: int = key_field(1, choices=(1, 2),
        doc=("procedural only: the walking reference's construction. `1`: the one `make walk` trains on (its "
             'pelvis obliquity is mirrored against the normative curve); `2`: the normative fit, whose sagittal '
             'hip, knee and ankle angles follow the normative curves (RMS error ≤ 2.3° and r ≥ 0.98 across '
             "statures 1.55–1.95 m and strides 0.75–1.25 × the default, except the ankle's r, 0.973, at 0.75 × "
             "stride), with the pelvis obliquity's sign fixed, a root whose forward speed varies within the cycle,"
             ' and the trade-offs measured in [model.md](model.md#walking-reference)'))
    cyclic: bool = key_field(True,
        doc=('bvh only: the clip loops, the root advancing its travel per loop; `false`: every episode starts at '
             "the clip's first frame and is truncated at its last"))
    map: str = key_field("",
        doc=('bvh only: a YAML file {model body or role: BVH joint} for joint names no naming convention covers '
             '(relative to the config)'))


@dataclass
class MuscleConfig:
    file: str = key_field("", doc="empty: the model's own muscles; or a MASS muscle XML")
    use_velocity_force: bool = key_field(False, doc='multiply the active force by the force–velocity curve')
    use_joint_state: bool = key_field(True,
        doc='append the 3 × 50 muscle joint state (0.008 × [½ min τ, ½ max τ, JtP]) to the observation')
    mesh_lbs_weight: bool = key_field(False,
        doc='reference option (LBS weights from meshes); `true` is not supported (error)')
    learn_under_pd: bool = key_field(False,
        doc=("with `skeleton.actuator: pd`: still record the muscle network's training tuples (τ_des, JtA at a "
             'random substep), so that the muscle network learns during `pd` training; the network itself never '
             'runs under `pd`'))


@dataclass
class SimulationConfig:
    sim_hz: int = key_field(600, min=30, max=10000, doc='physics rate; must be a multiple of `control_hz`')
    control_hz: int = key_field(30, min=1, max=1000, doc='policy rate')
    inference_per_sim: int = key_field(1, min=1, max=100,
        doc=('run the muscle network (with JtA and τ_des) every k physics substeps and hold its activations '
             'between; must divide sim_hz / control_hz. The reference parsed and ignored it; 1 is its behaviour '
             "and the A2_sep task's (docs/performance.md measures k = 2)"))


@dataclass
class ActionConfig:
    scale: float = key_field(0.04, gt=0.0, doc='multiplies the 50 joint-offset dimensions of the action')
    residual: bool = key_field(True,
        doc=('PD target = reference pose ⊕ scaled action (ball joints compose rotations); must be `false` under '
             '`skeleton.actuator: torque`, where the action is the torque, and `true` under every other actuator'))
    torque_scale: float = key_field(0.5, gt=0.0, max=10.0,
        doc=('`skeleton.actuator: torque` only: a unit action is kp × this (rad) of torque on its DoF, so the '
             'torque limit of each DoF is kp × `torque_scale` N·m (150 N·m at the hips and knees of the default '
             'model, kp 300)'))
    time_warping: float = key_field(-1.0,
        doc='> 0: one more action dimension; the phase runs (1 + value × action) times as fast')
    gait_phase_mode: str = key_field("phase", choices=("phase",),
        doc=("`phase`: stance and foot-step targets from phase thresholds (the reference's `contact` mode is not "
             'supported yet)'))


@dataclass
class AdvancedConfig:
    enforce_symmetry: bool = key_field(False, doc='mirror state, action and muscles in the second half of the cycle')
    hard_phase_clipping: bool = key_field(False,
        doc='keep the warped phase within the cycle count of the unwarped clock')
    soft_phase_clipping: bool = key_field(False, doc='re-synchronise the warped phase every half cycle')
    include_jtp_in_spd: bool = key_field(False,
        doc='pass the passive muscle torque JtP to SPD as an external force (then τ_des is not reduced by JtP)')
    use_normalized_param_state: bool = key_field(False,
        doc='gait parameters in the observation normalised to [0, 1] instead of raw')
    torque_clipping: bool = key_field(False, doc='deprecated in the reference; `true` is an error')


@dataclass
class ClipConfig:
    step: int = key_field(0, min=0, doc='for this many control steps after reset, clip the reward to ± `value`')
    value: float = key_field(0.0, min=0.0, doc='the clip bound (0: reward 0 during those steps)')


@dataclass
class TorqueEnergyConfig:
    coeff: float = key_field(0.0, min=0.0,
        doc='upper-body torque energy = coeff × mean Σ|τ_upper| (old spelling `metabolic.torque_coeff`)')
    separate: bool = key_field(False, doc='separate exponentials for metabolic and torque energy (the *sep* of A2_sep)')


@dataclass
class MetabolicConfig:
    type: str = key_field("A", choices=("A", "A2", "MA", "MA2"),
        doc='per-substep energy: `A` Σa, `A2` Σa², `MA` Σm·|a|, `MA2` Σm·a² (m: muscle mass proxy)')
    weight: float = key_field(0.05, min=0.0, doc='w_E in exp(−w_E · E)')
    scale: float = key_field(1.0, min=0.0, doc='scale of the energy term when it is added (not multiplicative)')
    multiplicative: bool = key_field(False, doc='multiply the energy term into the reward (else add it)')
    torque: TorqueEnergyConfig = key_field(TorqueEnergyConfig())


@dataclass
class StepRewardConfig:
    weight: float = key_field(2.0, min=0.0,
        doc='foot-step placement: r = exp(−w · d_z) when d_z > clip (old spelling `locomotion.step_weight`)')
    clip: float = key_field(0.075, min=0.0, doc='dead zone of the step distance, m')


@dataclass
class AvgVelConfig:
    weight: float = key_field(6.0, min=0.0, doc='average COM velocity: r = exp(−w · |v̄ − v*|) when above clip')
    window_mult: float = key_field(1.0, gt=0.0, max=MAX_AVG_VEL_WINDOW, doc='averaging window in gait cycles')
    clip: float = key_field(-1.0, doc='dead zone, m/s (< 0: none)')
    consider_x: bool = key_field(False, doc='include the lateral velocity in the error')


@dataclass
class DragXConfig:
    use: bool = key_field(False, doc='penalise lateral drift')
    weight: float = key_field(1.0, min=0.0, doc='r = exp(−w · max(0, |x − x₀| − threshold))')
    threshold: float = key_field(0.0, min=0.0, doc='m')


@dataclass
class PhaseRewardConfig:
    use: bool = key_field(False, doc='reward matching the reference gait period')
    weight: float = key_field(1.0, min=0.0, doc='r = exp(−w · (|T_L − T| + |T_R − T|))')


@dataclass
class LocomotionConfig:
    head_linear_acc_weight: float = key_field(4.0, min=0.0,
        doc='r = exp(−w · |Δv_head|² / 3), Δv over one control step')
    head_rot_weight: float = key_field(4.0, min=0.0, doc='r = exp(−w · θ_head²)')
    step: StepRewardConfig = key_field(StepRewardConfig())
    avg_vel: AvgVelConfig = key_field(AvgVelConfig())
    dragX: DragXConfig = key_field(DragXConfig())  # the reference's spelling
    phase: PhaseRewardConfig = key_field(PhaseRewardConfig())


@dataclass
class KneePainConfig:
    use: bool = key_field(False, doc='knee-load reward term')
    weight: float = key_field(1.0, min=0.0, doc='exponent weight of the mean knee load')
    scale: float = key_field(1.0, gt=0.0, doc='knee load divisor')
    termination: bool = key_field(False, doc='terminate when the max knee load exceeds 8 after 100 steps')
    use_max: bool = key_field(False, doc='also a term on the max knee load')
    max_weight: float = key_field(1.0, min=0.0, doc='its weight')


@dataclass
class ImitationConfig:
    weight: float = key_field(0.0, min=0.0, max=1e4,
        doc='gaitnet: a factor r = exp(−w · Σ e² / n) on the n leg DoFs\' errors e (rad) from the reference pose (hips, '
            'knees, ankles and toes; ball joints by their rotation difference); 0: no factor (issue #28)')
    knee_weight: float = key_field(1.0, min=0.0, max=100.0,
        doc='the weight of each knee DoF\'s e² in that mean (Σ gᵢ eᵢ² / Σ gᵢ; every other leg DoF weighs 1)')
    ankle_weight: float = key_field(1.0, min=0.0, max=100.0,
        doc='the weight of each ankle DoF\'s e² (the foot body\'s joint: flexion, inversion and rotation alike)')


@dataclass
class RewardConfig:
    type: str = key_field("gaitnet", choices=("gaitnet", "deepmimic", "scadiver"),
        doc='`gaitnet` (multiplicative locomotion reward), `deepmimic` (imitation), `scadiver` (Π (0.1 + 0.9 rᵢ))')
    eoe_type: str = key_field("tuple", choices=("tuple", "time"),
        doc='truncation: `tuple` after `Horizon` control steps, `time` after 10 s')
    clip: ClipConfig = key_field(ClipConfig())
    metabolic: MetabolicConfig = key_field(MetabolicConfig())
    locomotion: LocomotionConfig = key_field(LocomotionConfig())
    knee_pain: KneePainConfig = key_field(KneePainConfig())
    imitation: ImitationConfig = key_field(ImitationConfig())


SAMPLING_DOC = ("`uniform` (the reference's rule): locations {0, ¼, ½, ¾, 1} of the range plus N(0, 0.025) noise; "
                "`extremes`: locations {0, 1} plus that noise; `continuous`: uniform over the range; `default`: not "
                "drawn, held at its default unless a reset gives it (observed over the range: a training mixture's "
                "presets set it)")


def parameter_range(name: str, low: float, high: float, note: str, default: float = 1.0) -> type:
    """A parameter drawn at reset (``{min, max, default, sampling}``; a range wider than 1e-3 is sampled and
    observed, else fixed at ``default``), each value within [low, high]: a ratio (default 1) or an angle."""
    def bound(doc):
        return key_field(default, min=low, max=high, doc=doc)
    return dataclasses.make_dataclass(name, [
        ("min", float, bound(f"lowest value sampled at reset ({note})")),
        ("max", float, bound("highest value sampled at reset")),
        ("default", float, bound("used when not sampling")),
        ("sampling", str, key_field("uniform", choices=("uniform", "extremes", "continuous", "default"),
                                           doc=SAMPLING_DOC)),
    ])


MUSCLE_FORCE_RATIO = (0.01, 2.0)   # f0 x ratio: 0.05 is the reference's paralysis (foot drop, Trendelenburg)
MUSCLE_LENGTH_RATIO = (0.5, 1.5)   # rest length x ratio: the reference's contractures reach 0.635
BODY_RATIO = (0.5, 1.5)            # body and bone sizes: the reference's range is 0.85-1.0 (bones 0.9-1.0)
TORSION_ANGLE = (-0.8, 0.8)        # rad: the reference's femoral torsion range is +-0.55
ParameterRange = parameter_range("ParameterRange", *GAIT_RATIO, "a ratio; the range bounds the reference's speed "
                                 "and cycle")
MuscleForceRange = parameter_range("MuscleForceRange", *MUSCLE_FORCE_RATIO, "a ratio of f0: weakness below 1")
MuscleLengthRange = parameter_range("MuscleLengthRange", *MUSCLE_LENGTH_RATIO,
                                    "a ratio of the optimal fibre length (the muscle belly's rest length; the "
                                    "tendon keeps its own): contracture below 1")
BodyScaleRange = parameter_range("BodyScaleRange", *BODY_RATIO, "a ratio of every body's size but the head's")
BoneLengthRange = parameter_range("BoneLengthRange", *BODY_RATIO, "a ratio of the bone's length; times the global")
TorsionRange = parameter_range("TorsionRange", *TORSION_ANGLE, "rad about the bone's long axis, positive internal",
                               default=0.0)


MUSCLE_PROPERTIES = {"force": MuscleForceRange, "length": MuscleLengthRange}
SIDES = {"left": "l", "right": "r"}  # a condition's side key -> the side letter of muscle names (gait.groups)
BODY_SIDES = {"left": "L", "right": "R"}  # -> the side letter ending a body's name (FemurL)
_BODY_SIDE = re.compile(r"^([A-Za-z]+?)([LR])$")    # the reference's XML spelling of a bone and side: FemurL
_TORSION_SIDE = re.compile(r"^([a-z]+)_([lr])$")  # its YAML spelling: femur_l


@dataclass
class MuscleCondition:
    """What one selector of ``parameters.muscle`` does to its muscles (docs/conditions.md): ``force`` scales f0
    (weakness), ``length`` the rest length (contracture); None leaves it."""
    force: object = None   # a MuscleForceRange
    length: object = None  # a MuscleLengthRange


def _muscle_conditions(data, key: str, source: str) -> dict[str, MuscleCondition]:
    """``parameters.muscle``: selector -> {force, length} (each a range or a plain number, which fixes it), or
    -> {left: {...}, right: {...}} per side. Returns selector (``name`` or ``name.left``) -> MuscleCondition; the
    selectors are resolved against the model at task build (bidir_sim.envs.conditions)."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(source, key, f"must be a mapping of selector -> condition, got {type(data).__name__}")
    out = {}
    for selector, entry in data.items():
        path = f"{key}.{selector}"
        if not isinstance(selector, str) or not selector or "." in selector or "\x00" in selector:
            raise ConfigError(source, path, "a selector is a group, a muscle's base name or a muscle's name "
                              "(docs/conditions.md), without dots: a side goes below it (left:, right:)")
        if not isinstance(entry, dict) or not entry:
            raise ConfigError(source, path, "must be a mapping with force, length, left or right")
        for k in entry:
            if k not in (*MUSCLE_PROPERTIES, *SIDES):
                raise ConfigError(source, f"{path}.{k}", "unknown key; valid keys: force, length, left, right")
        both = {k: v for k, v in entry.items() if k in MUSCLE_PROPERTIES}
        if both:
            out[selector] = _muscle_condition(both, path, source)
        for side in SIDES:
            if side in entry:
                sided = entry[side]
                if not isinstance(sided, dict) or not sided or set(sided) - set(MUSCLE_PROPERTIES):
                    raise ConfigError(source, f"{path}.{side}", "must be a mapping with force and/or length")
                out[f"{selector}.{side}"] = _muscle_condition(sided, f"{path}.{side}", source)
    return out


def _muscle_condition(entry: dict, path: str, source: str) -> MuscleCondition:
    condition = MuscleCondition()
    for prop, cls in MUSCLE_PROPERTIES.items():
        if prop in entry:
            setattr(condition, prop, _condition_range(cls, entry[prop], f"{path}.{prop}", source))
    return condition


def _condition_range(cls: type, value, path: str, source: str):
    """One condition's range (``{min, max, default, sampling}``) or a plain number, which fixes it."""
    if not isinstance(value, dict):
        number = check_value(value, float, dataclasses.fields(cls)[0].metadata, path, source)
        value = {"min": number, "max": number, "default": number}
    r = _build(cls, value, path, source)
    if not r.min <= r.default <= r.max:
        raise ConfigError(source, path, f"needs min <= default <= max, got {r.min}, {r.default}, {r.max}")
    return r


def _sided_conditions(data, key: str, source: str, cls: type, spelling: re.Pattern) -> dict:
    """A mapping bone -> range, or bone -> {left: range, right: range}; a bone is a body's name without its side
    letter (Femur), and ``spelling`` also reads the reference's bone-and-side keys (FemurL, femur_l). Returns
    ``bone`` or ``bone.left`` -> range."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(source, key, f"must be a mapping of bone -> range, got {type(data).__name__}")
    out = {}
    for name, entry in data.items():
        path = f"{key}.{name}"
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
            raise ConfigError(source, path, "a bone is a body's name without its side letter (letters, digits, _), "
                              "e.g. Femur")
        sided = spelling.match(name)
        if sided:
            bone, letter = sided.groups()
            found = {f"{bone}.{'left' if letter.lower() == 'l' else 'right'}": (path, entry)}
        elif isinstance(entry, dict) and not set(entry) <= {f.name for f in dataclasses.fields(cls)}:
            for k in entry:
                if k not in SIDES:
                    raise ConfigError(source, f"{path}.{k}", "unknown key; valid keys: left, right (or a range: min, "
                                      "max, default, sampling)")
            found = {f"{name}.{k}": (f"{path}.{k}", v) for k, v in entry.items()}
        else:
            found = {name: (path, entry)}
        for canonical, (where, value) in found.items():
            if canonical in out:
                raise ConfigError(source, where, f"given twice (as {key}.{canonical} too)")
            out[canonical] = _condition_range(cls, value, where, source)
    return out


def _skeleton_conditions(data, key: str, source: str) -> dict:
    """``parameters.skeleton``: ``global`` -> range; bone (Femur) -> range (both sides, one parameter) or
    {left, right} -> range each; or the reference's FemurL. Resolved against the model at task build."""
    out = {}
    if isinstance(data, dict) and "global" in data:
        out["global"] = _condition_range(BodyScaleRange, data["global"], f"{key}.global", source)
        data = {k: v for k, v in data.items() if k != "global"}
    return out | _sided_conditions(data, key, source, BoneLengthRange, _BODY_SIDE)


def _torsion_conditions(data, key: str, source: str) -> dict:
    """``parameters.torsion``: bone (femur) -> range (both sides) or {left, right} -> range each; or the
    reference's femur_l (its YAML spelling) or FemurL (its XML one). Angles in rad, positive internal."""
    if isinstance(data, dict):  # bones in lower case; the XML spelling FemurL is femur_l
        spelled = {}
        for k, v in data.items():
            name = (f"{m.group(1)}_{m.group(2)}" if (m := _BODY_SIDE.match(k)) else k).lower() if isinstance(k, str) else k
            if name in spelled:
                raise ConfigError(source, f"{key}.{k}", f"the same torsion as {key}.{spelled[name][0]}")
            spelled[name] = (k, v)
        data = {name: v for name, (_, v) in spelled.items()}
    return _sided_conditions(data, key, source, TorsionRange, _TORSION_SIDE)


@dataclass
class GaitParameters:
    stride: ParameterRange = key_field(ParameterRange())   # ratio of the reference stride
    cadence: ParameterRange = key_field(ParameterRange())  # ratio of the reference cadence


@dataclass
class ParametersConfig:
    gait: GaitParameters = key_field(GaitParameters())
    # selector (a functional group, a muscle's base name or a muscle's name; `.left` / `.right` for one side)
    # -> its condition; resolved against the model by bidir_sim.envs.conditions, not a key of TaskSpec.config.
    muscle: dict = field(default_factory=dict, metadata={"parse": _muscle_conditions})
    # `global` (every body but the head), or a bone (Femur: both sides; Femur: {left, right}; FemurL) -> its
    # range; resolved against the model by bidir_sim.envs.conditions, not a key of TaskSpec.config.
    skeleton: dict = field(default_factory=dict, metadata={"parse": _skeleton_conditions})
    # a bone (femur; femur: {left, right}; femur_l; FemurL) -> its torsion's range, rad, positive internal
    torsion: dict = field(default_factory=dict, metadata={"parse": _torsion_conditions})
    resample_steps: int = key_field(0, min=0, doc=(
        "draw the gait parameters and anatomical conditions at a reset only once more than this many control "
        "steps have passed since the last draw (the reference: 300); 0: at every reset"))
    similar_observation: bool = key_field(True, doc=(
        "under `skeleton.global` g: observe the body as the healthy one moving the dynamically similar way (the "
        "reference plays at stride x g, cycle time x sqrt(g)): lengths / g, linear velocities / sqrt(g), angular "
        "velocities x sqrt(g), the muscles' torques / g^2.5; false: SI units at every size (the reference's). "
        "docs/conditions.md"))


@dataclass
class TerminationConfig:
    """bidir's early termination (not in the reference), besides the fall (COM below 0.6 m); 0 switches
    each off."""
    head_drop: float = key_field(0.0, min=0.0, max=2.0,
        doc="> 0: terminate when the head's COM is this far (m) below its height at reset (`deviated`)")
    pelvis_angle: float = key_field(0.0, min=0.0, max=3.1416,
        doc="> 0: terminate when the pelvis orientation is this far (rad) from the reference's (`deviated`)")


@dataclass
class AssistConfig:
    """bidir's own training aid (not in the reference): a PD harness on the pelvis toward the reference COM
    and pelvis orientation. These are its gains at scale 1; it acts only while the trainer's ``assist``
    schedule (or ``BatchEnv.set_assist_scale``) gives it a scale > 0, never in evaluation."""
    # At scale 1 these hold up the zero-action pd body for the whole test (200 steps); at 0.5 it falls.
    kp_position: float = key_field(2000.0, min=0.0, max=1e6,
        doc=("N/m: the assist's pull of the whole-body COM toward the reference's COM (interpolated over the "
             'control step)'))
    kd_position: float = key_field(300.0, min=0.0, max=1e5, doc='N·s/m on the COM velocity error')
    kp_rotation: float = key_field(500.0, min=0.0, max=1e6,
        doc="N·m/rad: the assist's torque turning the pelvis toward the reference pelvis orientation")
    kd_rotation: float = key_field(30.0, min=0.0, max=1e5,
        doc=('N·m·s/rad on the pelvis angular velocity; above about 60 (× the scale) the 480 Hz step becomes '
             'unstable (the pelvis alone is light), and the episode ends with `sim_error`'))


@dataclass
class EnvConfig:
    skeleton: SkeletonConfig = key_field(SkeletonConfig())
    motion: MotionConfig = key_field(MotionConfig())
    muscle: MuscleConfig = key_field(MuscleConfig())
    simulation: SimulationConfig = key_field(SimulationConfig())
    action: ActionConfig = key_field(ActionConfig())
    advanced: AdvancedConfig = key_field(AdvancedConfig())
    reward: RewardConfig = key_field(RewardConfig())
    parameters: ParametersConfig = key_field(ParametersConfig())
    assist: AssistConfig = key_field(AssistConfig())
    termination: TerminationConfig = key_field(TerminationConfig())
    horizon: int = key_field(600, min=1, key="Horizon",
        doc="control steps per episode (the top-level key `Horizon`, beside `environment`)")
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
    "cascading": "cascading networks are not supported",
    "environment.advanced.learning_std": "is not read: the trainer always learns the policy's log-std, starting "
                                         "from its model.log_std_* keys (remove the key)",
}


def check_value(value, hint, meta, key: str, source: str):
    """``value`` checked against a field's type ``hint`` and metadata (``choices``, ``min``, ``max``, ``gt``;
    ``aliases``: other spellings of a choice), returned as that type (an int given for a float becomes a
    float); ConfigError naming ``key`` otherwise. The one value check of bidir_sim's and bidir_ppo's configs."""
    def fail(reason):
        raise ConfigError(source, key, reason)

    if typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in typing.get_args(hint):
        if value is None:
            return None  # an optional key left out (null)
        hint = next(h for h in typing.get_args(hint) if h is not type(None))

    if hint is bool:
        if not isinstance(value, bool):
            fail(f"must be true or false, got {value!r}")
    elif hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            fail(f"must be an integer, got {value!r}{yaml_string_hint(value)}")
        limit = meta.get("int_limit", INT_LIMIT)
        if not -limit < value < limit:
            fail(f"must be less than 2**{limit.bit_length() - 1} in magnitude, got {value!r}")
    elif hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            fail(f"must be a finite number, got {value!r}{yaml_string_hint(value)}")
        value = float(value)
    elif hint is str and not isinstance(value, str):
        fail(f"must be a string, got {value!r}")
    elif hint is str:
        value = meta.get("aliases", {}).get(value, value)
    if "choices" in meta and value not in meta["choices"]:
        fail(f"must be one of {', '.join(map(str, meta['choices']))}; got {value!r}")
    bounds = [f"{op} {meta[k]}" for k, op in (("min", ">="), ("gt", ">"), ("max", "<=")) if k in meta]
    allowed = f" (allowed: {' and '.join(bounds)})" if len(bounds) > 1 else ""
    if "min" in meta and value < meta["min"]:
        fail(f"must be >= {meta['min']}, got {value!r}{allowed}")
    if "max" in meta and value > meta["max"]:
        fail(f"must be <= {meta['max']}, got {value!r}{allowed}")
    if "gt" in meta and not value > meta["gt"]:
        fail(f"must be > {meta['gt']}, got {value!r}{allowed}")
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
        if "parse" in fields[k].metadata:  # a mapping of its own form (parameters.muscle)
            values[k] = fields[k].metadata["parse"](v, path, source)
        elif dataclasses.is_dataclass(hint):
            values[k] = _build(hint, v, path, source, given)
        else:
            values[k] = check_value(v, hint, fields[k].metadata, path, source)
            if given is not None:
                given.add(path)
    renamed = values.pop("_renamed", [])
    obj = cls(**values)
    for parent, leaf, v in renamed:
        sub = getattr(obj, parent)
        hint = typing.get_type_hints(type(sub))[leaf]
        meta = {f.name: f.metadata for f in dataclasses.fields(sub)}[leaf]
        setattr(sub, leaf, check_value(v, hint, meta, f"{key}.{parent}.{leaf}", source))
    return obj


def leaf_keys(cls, prefix: str = "") -> list[tuple[str, tuple[str, ...], dataclasses.Field, type]]:
    """(dotted key, attribute path, field, type) of every key of a config dataclass, in declaration order: the
    fields with a ``doc``, named by ``key`` where the YAML spells them otherwise (``Horizon``)."""
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        if dataclasses.is_dataclass(hint):
            out += [(key, (f.name, *path), g, h) for key, path, g, h in leaf_keys(hint, f"{prefix}{f.name}.")]
        elif "doc" in f.metadata:
            out.append((f.metadata.get("key", prefix + f.name), (f.name,), f, hint))
    return out


def check_fields(obj, prefix: str, source: str, schema: type | None = None,
                 skip: tuple[str, ...] = ()) -> dict[str, bool | int | float | str]:
    """Every key of a config (an instance of the dataclass ``schema``, by default its type, or any object with
    its attributes, such as Hydra's DictConfig) but those starting with ``skip`` checked: dotted key -> its
    value, typed as declared. Errors name ``prefix`` + key (a key spelled by ``key`` as it is)."""
    out = {}
    for key, path, f, hint in leaf_keys(schema or type(obj)):
        if key.startswith(skip):
            continue
        value = functools.reduce(getattr, path, obj)
        out[key] = check_value(value, hint, f.metadata, key if "key" in f.metadata else prefix + key, source)
    return out


def config_values(cfg: EnvConfig) -> dict[str, bool | int | float | str]:
    """The env config as C++ reads it (TaskSpec.config): dotted key relative to ``environment.`` (``Horizon``
    as written) -> value, every key present and checked (docs/architecture.md, "Adding an env config key")."""
    values = check_fields(cfg, "environment.", cfg.source)
    _check_consistency(cfg)
    return values


def parse_env_config(text: str, source: str = "<string>", name: str = "custom") -> EnvConfig:
    """Parses the YAML text of an env config (its ``base:`` resolved relative to ``source``); raises ConfigError
    naming the file, the key and the reason."""
    doc = composed_document(text, source)
    if not isinstance(doc, dict) or "environment" not in doc:
        raise ConfigError(source, "environment", "the root must be a mapping with the key 'environment'")
    for k in doc:
        if k in UNSUPPORTED:
            raise ConfigError(source, k, UNSUPPORTED[k])
        if k not in ("environment", "Horizon", "training"):
            raise ConfigError(source, k, "unknown top-level key; valid keys: base, Horizon, environment, training")
    given: set[str] = set()
    cfg = _build(EnvConfig, doc["environment"], "environment", source, given)
    if "Horizon" in doc:
        horizon = next(f for f in dataclasses.fields(EnvConfig) if f.name == "horizon")
        cfg.horizon = check_value(doc["Horizon"], int, horizon.metadata, "Horizon", source)
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
    "environment.reward.imitation.weight": (lambda c: c.reward.type == "gaitnet", "reward.type: gaitnet"),
    "environment.reward.imitation.knee_weight": (lambda c: c.reward.type == "gaitnet" and c.reward.imitation.weight > 0,
                                                 "reward.type: gaitnet and reward.imitation.weight > 0"),
    "environment.reward.imitation.ankle_weight": (lambda c: c.reward.type == "gaitnet" and c.reward.imitation.weight > 0,
                                                  "reward.type: gaitnet and reward.imitation.weight > 0"),
}
FILE_KEYS = {"environment.motion.map": lambda c: c.motion.map}
SAME_ANYWAY = {"environment.motion.cyclic": lambda c: c.motion.cyclic,  # the procedural walk always loops
               # 1 is the plain mean's weight: a config that turns the factor off may set it back without a warning
               "environment.reward.imitation.knee_weight": lambda c: c.reward.imitation.knee_weight == 1.0,
               "environment.reward.imitation.ankle_weight": lambda c: c.reward.imitation.ankle_weight == 1.0}


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
