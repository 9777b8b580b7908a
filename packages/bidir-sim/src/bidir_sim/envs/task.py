"""From an env config to the compiled task: the model, its reference motion, a ``_core.TaskSpec`` and the
``_core.CompiledTask`` built from them once, which every environment of the config shares read-only.

Everything structural is decided here by body names and joint types (never by hard-coded indices, which
the reference system relied on): which DoFs SPD drives directly under ``muscle_net_lower`` (those of bodies with
no foot below them), the head, the feet, the knees, the mirror maps, and the right heel-strike phase of the
reference motion. A task is built once per config and shared by every environment made from it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import _core
from ..errors import ConfigError, ModelError
from ..models import Model, load_model, standing_height
from ..models.anthropometry import NOMINAL_HEIGHT
from ..motion.foot import foot_points
from ..motion.walk import walking_reference
from .conditions import condition_specs
from .config import EnvConfig, config_values, load_env_config, parse_env_config, shipped_configs
from .symmetry import Symmetry, model_symmetry

FALL_FRACTION = 0.6          # terminate when the COM is below this x body scale (m), as the reference
END_EFFECTORS = ("Head", "HandR", "HandL", "TalusR", "TalusL")  # deepmimic
CONTACT_BAND = 0.002         # m above its stance height where a foot counts as on the ground (right_heel_strike)
LANDING_FRACTION = 0.25      # of a foot's height range over the cycle: below it, in (or coming into) stance
# The reference motion's bounds, checked at build (docs/reliability.md):
MIN_REFERENCE_CONTROL_STEPS = 8        # a cycle (or a clip that does not loop) at the highest cadence ratio
MAX_AVG_VEL_WINDOW_SAMPLES = 2**18     # the average-velocity window (cycle x window_mult x sim_hz), 24 B each per env
MAX_REFERENCE_SPEED = 1000.0           # rad/s or m/s of the reference at the extreme ratios: what Simulation takes
# The pelvis assist is a PD force applied explicitly each physics step: its damping is stable while
# scale x kd x dt / (pelvis inertia or mass) stays below about 4 (measured on pd: the default gains hold to
# scale 2.2 and diverge from 2.5); ASSIST_STABILITY keeps a margin below that.
ASSIST_STABILITY = 3.0


@dataclass(frozen=True)
class Task:
    """A config compiled once: the single source of the task's sizes, observation layout, muscle-network
    input and reference motion for the env, the trainer and the viewer. ``compiled`` is the C++
    ``CompiledTask`` every env of the config shares; ``spec`` the plain ``TaskSpec`` it was built from."""

    config: EnvConfig
    model: Model
    compiled: _core.CompiledTask
    symmetry: Symmetry | None

    @functools.cached_property
    def spec(self):
        """The TaskSpec the task was compiled from (a copy, made once: it holds the reference samples)."""
        return self.compiled.spec

    @property
    def native_model(self):
        return self.model.native()

    @property
    def observation_dim(self) -> int:
        return self.compiled.observation_dim

    @property
    def conditions(self) -> list[str]:
        """The names of the anatomical conditions (``skeleton.global``, ``skeleton.<bone>[.<side>]``,
        ``torsion.<bone>[.<side>]``, ``muscle.<selector>[.<side>].<force|length>``), in the order of reset's
        ``conditions`` option and of ``info["conditions"]``."""
        return self.compiled.conditions

    @property
    def action_dim(self) -> int:
        return self.compiled.action_dim

    @property
    def has_time_warp(self) -> bool:
        """Whether the last action dimension warps the phase (``action.time_warping`` > 0)."""
        return self.compiled.has_time_warp

    @property
    def num_actuated_dofs(self) -> int:
        return self.compiled.num_actuated_dofs

    @property
    def actuator(self) -> str:
        """``skeleton.actuator``: muscle_net, muscle_net_lower, pd, torque or activations (docs/env-config.md)."""
        return self.compiled.actuator

    @property
    def action_dofs(self) -> list[int]:
        """The DoF (full indexing) each joint entry of the action drives, in action order: every actuated
        DoF, or under ``activations`` the upper-body DoFs. Under ``activations`` one activation per muscle follows;
        the time warp, when there is one, is last."""
        return list(self.compiled.action_dofs)

    @property
    def uses_muscle_network(self) -> bool:
        """Whether the muscle network drives the muscles (muscle_net, muscle_net_lower) and so is worth training."""
        return self.compiled.uses_muscle_network

    @property
    def network_input_dim(self) -> int:
        """Input size of the muscle network: JtA_reduced plus one desired torque per actuated DoF."""
        return self.compiled.network_input_dim

    @property
    def network_input_scale(self) -> float:
        """The muscle network sees its inputs multiplied by this (in C++ and in the trainer's copy)."""
        return self.compiled.network_input_scale

    @property
    def observation_layout(self) -> dict[str, slice]:
        """Observation block name -> its slice of the observation vector, in order (docs/env-config.md)."""
        return {name: slice(start, start + size) for name, start, size in self.compiled.observation_layout}

    @property
    def reward_terms(self) -> list[str]:
        """The info entries (``r_*``) that make up this task's reward; the other ``r_*`` stay constant."""
        return self.compiled.reward_terms

    @property
    def upper_dofs(self) -> list[int]:
        """DoFs (full indexing) of the bodies with no foot below them: SPD drives them under muscle_net_lower."""
        return list(self.spec.upper_dofs)

    @property
    def leg_dofs(self) -> list[int]:
        """The other actuated DoFs: hips, knees, ankles and toes (``reward.imitation`` scores their pose)."""
        return list(self.compiled.leg_dofs)

    @property
    def reference_duration(self) -> float:
        """Seconds per gait cycle of the reference at cadence ratio 1."""
        return self.compiled.reference_duration

    @functools.cached_property
    def assist_scale_limit(self) -> float:
        """The largest pelvis-assist scale (``BatchEnv.set_assist_scale``, the trainer's ``assist.scale``) at
        which its damping stays stable on this model and physics step: ASSIST_STABILITY x (pelvis inertia or
        mass) / (kd x dt), the smaller of rotation and position; inf when both dampings are 0."""
        pelvis = self.model.bodies[0]
        dt = 1.0 / self.config.simulation.sim_hz
        inertia = float(np.linalg.eigvalsh(np.asarray(pelvis.inertia, dtype=float)).min())
        limits = [ASSIST_STABILITY * m / (kd * dt) for kd, m in ((self.config.assist.kd_rotation, inertia),
                                                                  (self.config.assist.kd_position, pelvis.mass)) if kd > 0]
        return min(limits, default=float("inf"))

    def reference_pose(self, phase: float, stride_ratio: float = 1.0) -> np.ndarray:
        """The reference's joint positions at ``phase`` (cycles, unwrapped: the root advances one stride
        per cycle), interpolated exactly as the env does (ball joints as rotations)."""
        return self.compiled.reference_pose(float(phase), float(stride_ratio))

    def reference_velocity(self, phase: float, stride_ratio: float = 1.0, cadence_ratio: float = 1.0) -> np.ndarray:
        return self.compiled.reference_velocity(float(phase), float(stride_ratio), float(cadence_ratio))


def _unsupported(cfg: EnvConfig) -> None:
    src = cfg.source
    checks = {
        "environment.advanced.soft_phase_clipping": (cfg.advanced.soft_phase_clipping,
                                                     "soft phase clipping is not supported; use hard_phase_clipping"),
        "environment.reward.locomotion.phase.use": (cfg.reward.locomotion.phase.use,
                                                    "the gait-period reward is not supported"),
        "environment.skeleton.self_collide": (cfg.skeleton.self_collide, "self-collision is not supported"),
    }
    for key, (bad, reason) in checks.items():
        if bad:
            raise ConfigError(src, key, reason)


def _load_model(cfg: EnvConfig) -> Model:
    file = cfg.skeleton.file
    muscles = cfg.resolve(cfg.muscle.file) if cfg.muscle.file else None
    try:
        return load_model(file if file == "default" else cfg.resolve(file), muscles)
    except ModelError as e:
        from_muscles = e.element == "muscles" or (muscles is not None and e.source == str(muscles))
        key = "environment.muscle.file" if from_muscles else "environment.skeleton.file"
        raise ConfigError(cfg.source, key, str(e)) from None


def _body(model: Model, name: str, cfg: EnvConfig, why: str) -> int:
    if name not in model.body_index:
        raise ConfigError(cfg.source, "environment.skeleton.file", f"the model has no body '{name}' ({why})")
    return model.body_index[name]


def _reference_samples(cfg: EnvConfig, model: Model) -> tuple[np.ndarray, float, float]:
    """(samples (frames, dofs) of one cycle, stride m, duration s)."""
    if cfg.motion.type == "procedural":
        if cfg.motion.file != "walk":
            raise ConfigError(cfg.source, "environment.motion.file", f"procedural motions: 'walk'; got '{cfg.motion.file}'")
        try:
            ref = walking_reference(model, stride=cfg.motion.stride or None, cadence=cfg.motion.cadence,
                                    version=cfg.motion.reference_version)
        except ModelError as e:
            key = "environment.motion.stride" if e.element == "stride" else "environment.skeleton.file"
            raise ConfigError(cfg.source, key, str(e)) from None
        return ref.positions, ref.stride, ref.duration
    from ..motion import load_bvh, load_joint_map, retarget

    path = cfg.resolve(cfg.motion.file)
    try:
        joint_map = load_joint_map(cfg.resolve(cfg.motion.map)) if cfg.motion.map else None
    except ModelError as e:
        raise ConfigError(cfg.source, "environment.motion.map", str(e)) from None
    try:
        bvh = load_bvh(path)
        q = retarget(bvh, model, joint_map).positions
    except ModelError as e:
        raise ConfigError(cfg.source, "environment.motion.file", str(e)) from None
    if len(q) < 2:
        raise ConfigError(cfg.source, "environment.motion.file", f"{path}: needs at least 2 frames")
    if not np.all(np.isfinite(q)):
        raise ConfigError(cfg.source, "environment.motion.file", f"{path}: retargets to non-finite joint positions")
    # One cycle: the root's forward travel per cycle continues one frame past the last one.
    stride = (q[-1, 5] - q[0, 5]) * len(q) / (len(q) - 1)
    q = q.copy()
    q[:, 5] -= q[0, 5]
    return q, float(stride), float(len(q) * bvh.frame_time)


def right_heel_strike(model: Model, samples: np.ndarray) -> float:
    """Phase at which the right foot lands: the first sample of its stance that is within CONTACT_BAND of the
    stance's (median) height. The stance is the longest cyclic run of samples whose lowest foot point is in the
    lower LANDING_FRACTION of its height range over the cycle. Not a band about the cycle's lowest height: a
    reference may sink the toes a few mm at push-off (version 2: 4.2 mm, within docs/model.md's 5), and a 2 mm
    band about that point misses the whole stance and finds the push-off (version 2's right heel strike came out
    at 0.554 instead of 0: the step reward measured the swing foot, and episodes started at toe-off)."""
    height = foot_points(model, samples)["R"][..., 1].min(axis=1)
    n, low, high = len(samples), height.min(), height.max()
    down = height < low + max(CONTACT_BAND, LANDING_FRACTION * (high - low))
    landings = np.flatnonzero(down & ~np.roll(down, 1))
    if not len(landings):
        return 0.0  # always (or never) down: no landing to find
    lifts = np.flatnonzero(~down & np.roll(down, 1))  # the first sample off the ground after each run
    runs = [(lifts[np.searchsorted(lifts, i) % len(lifts)] - i) % n for i in landings]
    start, length = landings[int(np.argmax(runs))], max(runs)
    stance = height[(start + np.arange(length)) % n]
    first = int(np.argmax(stance < np.median(stance) + CONTACT_BAND))
    return float((start + first) % n / n)


def _upper_dofs(model: Model) -> list[int]:
    """DoFs of the bodies with no contact body (foot) at or below them; the root excluded."""
    has_foot = {b.name: b.contact for b in model.bodies}
    for b in reversed(model.bodies):  # children come after parents
        if b.parent and has_foot[b.name]:
            has_foot[b.parent] = True
    offsets = model.dof_offsets()
    return [offsets[b.name] + k for b in model.bodies[1:] if not has_foot[b.name] for k in range(b.joint.num_dofs)]


def build_task(config: EnvConfig | str) -> Task:
    """Compiles a config (an EnvConfig, a shipped name or a YAML path) into a Task."""
    cfg = config if isinstance(config, EnvConfig) else load_env_config(config)
    _unsupported(cfg)
    model = _load_model(cfg)
    if not model.muscles:
        raise ConfigError(cfg.source, "environment.skeleton.file", "the model has no muscles; every actuator needs them")
    if model.bodies[0].joint.type != "free":
        raise ConfigError(cfg.source, "environment.skeleton.file", "the root joint must be a free joint")
    n = model.num_dofs

    spec = _core.TaskSpec()
    spec.config = config_values(cfg)  # every key, read by C++ where it compiles the task
    spec.upper_dofs = _upper_dofs(model)
    symmetry = model_symmetry(model) if cfg.advanced.enforce_symmetry else None
    if symmetry is not None:
        spec.dof_mirror, spec.dof_mirror_sign = symmetry.dof_mirror.tolist(), symmetry.dof_sign
        spec.body_mirror, spec.muscle_mirror = symmetry.body_mirror.tolist(), symmetry.muscle_mirror.tolist()
    else:
        spec.dof_mirror, spec.dof_mirror_sign = list(range(n)), np.ones(n)
        spec.body_mirror, spec.muscle_mirror = list(range(len(model.bodies))), list(range(len(model.muscles)))
    spec.head_body = _body(model, "Head", cfg, "head terms of the reward")
    spec.foot_bodies = (_body(model, "TalusR", cfg, "step targets"), _body(model, "TalusL", cfg, "step targets"))
    knee_needed = cfg.reward.knee_pain.use or cfg.reward.knee_pain.termination
    spec.knee_bodies = tuple(_body(model, f"Tibia{s}", cfg, "knee load") if knee_needed else -1 for s in "RL")
    if cfg.reward.type != "gaitnet":
        spec.end_effectors = [_body(model, name, cfg, "deepmimic end effectors") for name in END_EFFECTORS]
    spec.fall_height = FALL_FRACTION * standing_height(model) / NOMINAL_HEIGHT
    spec.conditions = condition_specs(cfg, [b.name for b in model.bodies], spec.body_mirror, spec.head_body,
                                      [m.name for m in model.muscles], spec.muscle_mirror)

    samples, stride, duration = _reference_samples(cfg, model)
    _check_reference_timing(cfg, duration)
    ref = _core.ReferenceSpec()
    ref.samples, ref.stride, ref.duration = samples, stride, duration
    offsets = model.dof_offsets()
    ref.rotation_dofs = [offsets[b.name] for b in model.bodies if b.joint.type in ("ball", "free")]
    ref.right_heel_strike = right_heel_strike(model, samples)
    ref.cyclic = cfg.motion.type == "procedural" or cfg.motion.cyclic
    spec.reference = ref
    try:
        compiled = _core.CompiledTask(model.native(), spec)
    except ValueError as e:
        raise ConfigError(cfg.source, "environment", str(e)) from None
    _check_reference_speed(cfg, compiled, len(samples))
    return Task(cfg, model, compiled, symmetry)


def _motion_key(cfg: EnvConfig) -> tuple[str, str]:
    """The key that sets the reference's timing, and how to say what it is."""
    if cfg.motion.type == "procedural":
        return "environment.motion.cadence", f"the procedural walk at {cfg.motion.cadence:g} steps/min"
    return "environment.motion.file", f"{cfg.resolve(cfg.motion.file)}"


def _check_reference_timing(cfg: EnvConfig, duration: float) -> None:
    """The reference's cycle (or the clip) at the extreme cadence ratios: long enough for the control rate,
    short enough that the average-velocity window (a buffer per env) stays bounded."""
    key, what = _motion_key(cfg)
    cadence = cfg.parameters.gait.cadence
    control_dt = 1.0 / cfg.simulation.control_hz
    shortest = duration / cadence.max
    if shortest < MIN_REFERENCE_CONTROL_STEPS * control_dt:
        kind = "a cycle" if cfg.motion.type == "procedural" or cfg.motion.cyclic else "the clip (it does not loop)"
        raise ConfigError(cfg.source, key, f"{what}: {kind} lasts {duration:g} s, {shortest:g} s at "
                          f"parameters.gait.cadence.max = {cadence.max:g}: less than {MIN_REFERENCE_CONTROL_STEPS} "
                          f"control steps of {control_dt:g} s (every episode would last a step or two)")
    window = duration / cadence.min * cfg.reward.locomotion.avg_vel.window_mult * cfg.simulation.sim_hz
    if window > MAX_AVG_VEL_WINDOW_SAMPLES:
        raise ConfigError(cfg.source, key, f"{what}: a cycle of {duration:g} s at parameters.gait.cadence.min = "
                          f"{cadence.min:g} with reward.locomotion.avg_vel.window_mult = "
                          f"{cfg.reward.locomotion.avg_vel.window_mult:g} makes an average-velocity window of "
                          f"{window:.3g} physics steps, more than {MAX_AVG_VEL_WINDOW_SAMPLES}")


def _check_reference_speed(cfg: EnvConfig, compiled, frames: int) -> None:
    """The reference's joint velocities at the highest stride and cadence ratios (an episode starts with them)
    must be within what the simulation takes, else every reset would fail naming a velocity index."""
    stride, cadence = cfg.parameters.gait.stride.max, cfg.parameters.gait.cadence.max
    for k in range(frames):
        v = np.abs(compiled.reference_velocity(k / frames, stride, cadence))
        if not v.max() <= MAX_REFERENCE_SPEED:
            key, what = _motion_key(cfg)
            timing = f", frame time {compiled.reference_duration / frames:g} s" if cfg.motion.type == "bvh" else ""
            raise ConfigError(cfg.source, key, f"{what}: the reference moves DoF {int(np.argmax(v))} at "
                              f"{v.max():.3g} (rad or m)/s at frame {k}{timing} (stride x {stride:g}, cadence x "
                              f"{cadence:g}), beyond the simulation's {MAX_REFERENCE_SPEED:g}")


def task_of(config) -> Task:
    """The one lookup of WalkEnv, BatchEnv and the tools: a Task (used as it is), an EnvConfig, a shipped
    config's name (built once per process), a YAML path, or YAML text (the reference's ``BatchEnv(yaml)``)."""
    if isinstance(config, Task):
        return config
    if isinstance(config, EnvConfig):
        return build_task(config)
    text = str(config)
    if text in shipped_configs():
        return shipped_task(text)
    if "\n" in text or text.lstrip().startswith("environment"):
        return build_task(parse_env_config(text, source="<yaml text>", name="custom"))
    return build_task(Path(text))


@functools.lru_cache(maxsize=16)
def shipped_task(name: str) -> Task:
    """The Task of a shipped config, built once per process (gymnasium.make calls it per environment)."""
    return build_task(name)
