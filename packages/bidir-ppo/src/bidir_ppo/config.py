"""The trainer's configuration: Hydra structured configs (dataclasses), so that a wrong type or an unknown
key fails at start. Groups: ``env`` (one option per config bidir-sim ships; the YAML stays in bidir-sim),
``ppo``, ``muscle``, ``model``. ``python -m bidir_ppo.train --cfg job`` prints the resolved config."""

from __future__ import annotations

import dataclasses
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bidir_sim.envs.conditions import drawn_conditions
from bidir_sim.envs.config import check_fields, key_field, shipped_configs
from bidir_sim.envs.presets import fixed_rows_problem
from bidir_sim.errors import ConfigError, ConfigWarning
from hydra.core.config_store import ConfigStore


@dataclass
class EnvChoice:
    name: str = "A2_sep"              # a config bidir-sim ships, or a path to an env YAML file


# Each numeric key declares its range as bidir-sim's env config does (key_field), and validate checks them all
# with its check_fields: far above any useful value, low enough that a typo fails at start and not as a
# multi-terabyte allocation; a negative vf_coef or an infinite clip_coef would train, with a broken meaning.
@dataclass
class PPOConfig:
    num_steps: int = key_field(128, min=1, max=100_000, doc="control steps per env per iteration")
    gamma: float = key_field(0.99, min=0.0, max=1.0, doc="discount")
    gae_lambda: float = key_field(0.99, min=0.0, max=1.0, doc="GAE lambda")
    learning_rate: float = key_field(1e-4, gt=0.0, max=1.0, doc="Adam's learning rate")
    adam_eps: float = key_field(1e-5, gt=0.0, max=1.0, doc="Adam's epsilon")
    update_epochs: int = key_field(4, min=1, max=10_000, doc="passes over the rollout per iteration")
    num_minibatches: int = key_field(16, min=1, max=10**6, doc="minibatches per epoch")
    clip_coef: float = key_field(0.2, gt=0.0, max=10.0, doc="PPO's ratio clip")
    clip_vloss: bool = key_field(True, doc="value clipping, with clip_coef")
    vf_coef: float = key_field(1.0, min=0.0, max=1e6, doc="weight of the value loss")
    ent_coef: float = key_field(0.0, min=0.0, max=1e6, doc="weight of the entropy bonus")
    target_kl: float | None = key_field(0.01, gt=0.0, max=1e3,
                                        doc="stop the epochs early once the approximate KL exceeds it (null: never)")
    norm_adv: bool = key_field(True, doc="normalise advantages per minibatch")
    max_grad_norm: float | None = key_field(None, gt=0.0, max=1e6,
                                            doc="clip the policy's gradient to this global norm (null: no clipping)")
    lr_schedule: str = key_field("constant", choices=("constant", "linear"),
                                 doc="constant | linear: learning_rate x (1 - global_step / total_steps)")


@dataclass
class MuscleConfig:
    learning_rate: float = key_field(1e-4, gt=0.0, max=1.0, doc="the muscle network's Adam learning rate")
    epochs: int = key_field(4, min=0, doc="passes over the iteration's muscle tuples")
    minibatch_size: int = key_field(128, min=1, doc="muscle tuples per step")
    grad_clamp: float = key_field(0.5, gt=0.0, doc="element-wise gradient clamp")
    torque_scale: float = key_field(100.0, gt=0.0, doc="loss term ((JtA a - tau_des) / torque_scale)^2")
    activation_weight: float = key_field(0.01, min=0.0, max=1e6, doc="weight of mean(a^2)")
    raw_weight: float = key_field(0.01, min=0.0, max=1e6, doc="weight of mean(x^2), x the network's raw output")


LOG_STD = {"min": -20.0, "max": 5.0}


@dataclass
class ModelConfig:
    hidden: list[int] = field(default_factory=lambda: [512, 512, 512])  # actor and critic MLPs (ReLU)
    log_std_legs: float = key_field(1.0, **LOG_STD, doc="initial log-std of the leg DoFs' actions")
    log_std_rest: float = key_field(0.5, **LOG_STD, doc="... of the other DoFs")
    log_std_muscles: float = key_field(-1.0, **LOG_STD,
                                       doc="... of the activations (skeleton.actuator: activations; clipped to [0, 1])")
    log_std_time_warp: float = key_field(1.0, **LOG_STD, doc="... of the time-warp action")
    obs_norm: bool = key_field(False, doc="running mean/variance normalisation of the observations (agent.pt)")


@dataclass
class AssistConfig:
    """The pelvis assist of bidir-sim (``environment.assist``: its gains), faded out during training; evaluation
    never has it."""
    scale: float = key_field(0.0, min=0.0, max=100.0,
                             doc="its strength at the start (a factor on the env's gains; 0: off)")
    fade_until: float = key_field(0.5, gt=0.0, max=1.0, doc="linear to 0 by this fraction of total_steps, then off")


@dataclass
class WandbConfig:
    mode: str = key_field("offline", choices=("offline", "online", "disabled"), doc="offline | online | disabled")
    project: str = "bidir"


@dataclass
class CurriculumConfig:
    """A curriculum over the env config's condition ranges (bidir_ppo.curriculum; docs/conditions.md): the envs
    that draw conditions draw them from each range shrunk toward its default by a scale, which starts at ``start``
    and grows by ``step`` after each window of ``window`` iterations in which they walked ``promote_length`` steps
    per fall; at 1 they draw as the env config says. rollout=local."""
    start: float = key_field(1.0, min=0.0, max=1.0, doc="the scale at first: 0 the default body, 1 no curriculum")
    step: float = key_field(0.1, gt=0.0, max=1.0, doc="added to the scale at each promotion")
    promote_length: float = key_field(300.0, gt=0.0, max=1e6,
                                      doc="valid steps per termination of the drawing envs that promote")
    window: int = key_field(5, min=1, max=100_000, doc="iterations over which those steps per fall are counted")


@dataclass
class MixtureConfig:
    """A training mixture over anatomical conditions (docs/conditions.md, "One policy across the space"): the last
    ``envs_per_preset`` x ``len(presets)`` envs each hold one pathology preset's conditions (every other
    condition at its default), the ``healthy_envs`` before them the healthy body; the other envs draw from the
    env config's ranges. rollout=local."""
    presets: list[str] = field(default_factory=list)  # preset env configs (shipped names or YAML paths)
    envs_per_preset: int = key_field(1, min=1, max=100_000, doc="envs holding each preset")
    healthy_envs: int = key_field(0, min=0, max=100_000,
                                  doc="envs holding the healthy body (every condition at its default)")
    curriculum: CurriculumConfig = field(default_factory=CurriculumConfig)


MAX_RAY_WORKERS = 65_536
DAY_S = 86_400.0


@dataclass
class RayConfig:
    """``rollout=ray``: rollout workers as Ray actors (docs/cluster.md). Checked only under rollout=ray."""
    address: str | None = None        # null: start Ray on this machine; auto: the cluster this node is in; host:port
    workers: int = key_field(2, min=1, max=MAX_RAY_WORKERS,
                             doc="actors, each with its own BatchEnv and CPU copy of the policy")
    envs_per_worker: int | None = key_field(None, min=1, max=100_000,
                                            doc="null: envs / workers; else envs becomes workers x envs_per_worker")
    cpus_per_worker: float = key_field(1.0, gt=0.0, max=1024.0, doc="Ray CPUs each worker reserves")
    threads_per_worker: int | None = key_field(None, min=1, max=256,
                                               doc="C++ threads of a worker's BatchEnv (null: the CPUs Ray gives it)")
    placement_timeout_s: float = key_field(120.0, gt=0.0, max=DAY_S,
                                           doc="fail if the cluster has not placed every worker by then")
    connect_timeout_s: float = key_field(10.0, gt=0.0, max=DAY_S, doc="fail if ray.address does not answer by then")
    max_retries: int = key_field(3, min=0, max=100,
                                 doc="failed collections of one iteration's chunk before the run stops")


ROLLOUTS = ("local", "ray")
LEARNERS = ("central", "distributed")
MAX_MINUTES = 1e6  # about two years


@dataclass
class TrainConfig:
    defaults: list[Any] = field(default_factory=lambda: ["_self_", {"env": "A2_sep"}, {"ppo": "default"},
                                                         {"muscle": "default"}, {"model": "default"}])
    env: EnvChoice = field(default_factory=EnvChoice)
    ppo: PPOConfig = field(default_factory=PPOConfig)
    muscle: MuscleConfig = field(default_factory=MuscleConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    assist: AssistConfig = field(default_factory=AssistConfig)
    wandb: WandbConfig = field(default_factory=WandbConfig)
    ray: RayConfig = field(default_factory=RayConfig)
    mixture: MixtureConfig = field(default_factory=MixtureConfig)
    rollout: str = key_field("local", choices=ROLLOUTS,
                             doc="local: one BatchEnv here | ray: ray.workers actors (docs/cluster.md)")
    learner: str = key_field("central", choices=LEARNERS,
                             doc="central: one learner trains on every sample | distributed: each Ray worker learns "
                                 "on its shard, gradients all-reduced (rollout=ray; docs/cluster.md)")
    envs: int = key_field(32, min=1, doc="parallel environments (all workers' together under rollout=ray)")
    threads: int | None = key_field(None, min=1,
                                    doc="C++ threads stepping them under rollout=local (default: min(envs, cores))")
    total_steps: int = key_field(50_000_000, min=1, int_limit=2**63,
                                 doc="env-steps (control steps of all envs together)")
    max_minutes: float | None = key_field(None, gt=0.0, max=MAX_MINUTES,
                                          doc="also stop after the iteration in which this wall time is reached (the "
                                              "run always completes at least one iteration; null: no limit)")
    seed: int = key_field(0, min=0, int_limit=2**63, doc="torch's and the envs' generators (env i: seed + i)")
    device: str = "auto"              # auto (CUDA when present) | cpu | cuda | cuda:N
    run_dir: str | None = None        # default: Hydra's output directory
    resume: str | None = None         # a checkpoint directory to continue from
    init: str | None = None           # a checkpoint to start a new run from: policy, value, obs statistics, muscles
    init_optimizer: bool = False      # with init: also take its optimizers' state (default: fresh)
    checkpoint_every: int = key_field(50, min=1, doc="iterations between kept checkpoints (ckpt_<iteration>/)")
    keep_checkpoints: int | None = key_field(
        10, min=1, doc="newest kept checkpoints that stay on disk (null: all; 23 MB each for A2_sep)")


def _fail(key, reason):
    raise ValueError(f"config key '{key}': {reason}")


def _check(cfg, skip: tuple[str, ...] = ()) -> None:
    """Every declared range (bidir-sim's one check of config keys), as this module's errors."""
    try:
        check_fields(cfg, "", "train config", TrainConfig, skip)
    except ConfigError as e:
        _fail(e.key, e.reason)


def resolve_rollout_layout(cfg) -> None:
    """Under rollout=ray, makes ``envs`` and ``ray.envs_per_worker`` agree (the saved config states both)."""
    if cfg.rollout != "ray":
        return
    _check(cfg)
    r = cfg.ray
    if r.envs_per_worker is None:
        if cfg.envs % r.workers:
            _fail("ray.workers", f"envs={cfg.envs} does not split evenly over {r.workers} workers; "
                  "set ray.envs_per_worker (then envs = workers x envs_per_worker)")
        r.envs_per_worker = cfg.envs // r.workers
        _check(cfg)
    cfg.envs = r.workers * r.envs_per_worker


def _check_run_dir(run_dir: str) -> None:
    """run_dir must be a directory this process can write, or one it can create."""
    path = Path(run_dir).expanduser()
    if path.exists() and not path.is_dir():
        _fail("run_dir", f"{run_dir} is a file, not a directory")
    parent = path
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        _fail("run_dir", f"{run_dir}: cannot write under {parent}")


def validate_for_task(cfg, task) -> None:
    """The checks that need the compiled env task: the assist's strength where its physics is stable; a
    curriculum over conditions the task draws."""
    limit = task.assist_scale_limit
    if cfg.assist.scale > limit:
        _fail("assist.scale", f"must be at most {limit:.3g} for env '{task.config.name}': beyond, the pelvis "
              f"assist's damping (environment.assist.kd_rotation = {task.config.assist.kd_rotation:g}, kd_position = "
              f"{task.config.assist.kd_position:g}) makes its {task.config.simulation.sim_hz} Hz physics step "
              f"diverge (sim_error), got {cfg.assist.scale:g}")
    for key, needed in (("mixture.curriculum.start", cfg.mixture.curriculum.start < 1.0),
                        ("mixture.healthy_envs", cfg.mixture.healthy_envs > 0)):
        if needed and not drawn_conditions(task):
            _fail(key, f"env '{task.config.name}' draws no anatomical condition (parameters.skeleton, .torsion, "
                  ".muscle with a range and a sampling rule other than default): every env holds the healthy body")


def validate(cfg) -> None:
    """Checks the values the types cannot; raises ValueError naming the key."""
    fail = _fail
    _check(cfg, skip=() if cfg.rollout == "ray" else ("ray.",))  # ray's keys act only under rollout=ray
    for key in ("init", "resume", "run_dir"):
        value = cfg[key]
        if value is not None and not str(value).strip():
            fail(key, "is empty: give a directory, or leave the key out (null)"
                 + (": Hydra's output directory" if key == "run_dir" else ""))
        if value is not None and "\x00" in str(value):
            fail(key, "contains a NUL byte, which no path can")
    if cfg.run_dir is not None:
        _check_run_dir(cfg.run_dir)
    if cfg.init is not None and cfg.resume is not None:
        fail("init", "give init (a new run from a checkpoint's weights) or resume (continue that run), not both")
    if cfg.init_optimizer and cfg.init is None:
        fail("init_optimizer", "needs init=CHECKPOINT")
    if cfg.rollout == "ray":
        _check_ray_address(cfg.ray.address)
    elif cfg.learner == "distributed":
        fail("learner", "distributed needs rollout=ray: its Ray workers both collect and learn")
    mixture = cfg.mixture
    if mixture.presets or mixture.healthy_envs:
        key = "mixture.presets" if mixture.presets else "mixture.healthy_envs"
        if cfg.rollout != "local":
            fail(key, "a preset mixture runs under rollout=local (its envs are rows of one BatchEnv)")
        problem = fixed_rows_problem(len(mixture.presets), mixture.envs_per_preset, cfg.envs, mixture.healthy_envs)
        if problem:
            fail("mixture.envs_per_preset" if mixture.presets else key, problem)
    if cfg.mixture.curriculum.start < 1.0 and cfg.rollout != "local":
        fail("mixture.curriculum.start", "a curriculum runs under rollout=local (it fixes rows of one BatchEnv)")
    _warn_inert(cfg)
    if not (cfg.device == "auto" or cfg.device == "cpu" or cfg.device.startswith("cuda")):
        fail("device", f"must be auto, cpu, cuda or cuda:N, got '{cfg.device}'")
    p = cfg.ppo
    # The valid transitions (envs * num_steps less the autoreset steps) are split into num_minibatches
    # nearly equal parts: there must be at least one transition per minibatch.
    if p.num_minibatches > cfg.envs * p.num_steps // 2:
        fail("ppo.num_minibatches", f"must be at most envs * ppo.num_steps / 2 = {cfg.envs * p.num_steps // 2}, "
             f"got {p.num_minibatches}")
    if not cfg.model.hidden or any(not 1 <= h <= 65536 for h in cfg.model.hidden) or len(cfg.model.hidden) > 64:
        fail("model.hidden", f"must be 1 to 64 layer sizes in [1, 65536], got {list(cfg.model.hidden)}")


def _warn_inert(cfg) -> None:
    """A ConfigWarning for keys set away from their default where they do nothing: ray.* without rollout=ray,
    threads with it, assist.fade_until without the assist."""
    inert = []
    if cfg.rollout != "ray":
        defaults = dataclasses.asdict(RayConfig())
        inert += [(f"ray.{k}", "rollout=ray") for k, v in defaults.items() if cfg.ray.get(k) != v]
    elif cfg.threads is not None:
        inert.append(("threads", "rollout=local (ray.threads_per_worker sets the workers')"))
    if not cfg.mixture.presets and cfg.mixture.envs_per_preset != MixtureConfig().envs_per_preset:
        inert.append(("mixture.envs_per_preset", "mixture.presets"))
    curriculum = cfg.mixture.curriculum
    if curriculum.start >= 1.0:
        inert += [(f"mixture.curriculum.{k}", "mixture.curriculum.start < 1")
                  for k, v in dataclasses.asdict(CurriculumConfig()).items() if k != "start" and curriculum[k] != v]
    if cfg.assist.scale == 0 and cfg.assist.fade_until != AssistConfig().fade_until:
        inert.append(("assist.fade_until", "assist.scale > 0"))
    for key, setting in inert:
        warnings.warn(f"config key '{key}': has no effect here (it acts only with {setting})", ConfigWarning,
                      stacklevel=3)


def _check_ray_address(address) -> None:
    if address is not None and address != "auto":
        host, _, port = address.rpartition(":")
        if address.startswith("ray://") or not host or not port.isdigit() or not 0 < int(port) < 65536:
            _fail("ray.address", f"must be null (start Ray here), auto, or the head's host:port (e.g. "
                  f"10.0.0.1:6379), got '{address}'")


def register() -> None:
    cs = ConfigStore.instance()
    cs.store(name="train", node=TrainConfig)
    for name in shipped_configs():
        cs.store(group="env", name=name, node=EnvChoice(name=name))
    cs.store(group="ppo", name="default", node=PPOConfig)
    cs.store(group="muscle", name="default", node=MuscleConfig)
    cs.store(group="model", name="default", node=ModelConfig)
