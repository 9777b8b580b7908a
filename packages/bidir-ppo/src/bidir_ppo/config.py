"""The trainer's configuration: Hydra structured configs (dataclasses), so that a wrong type or an unknown
key fails at start. Groups: ``env`` (one option per config bidir-sim ships; the YAML stays in bidir-sim),
``ppo``, ``muscle``, ``model``. ``python -m bidir_ppo.train --cfg job`` prints the resolved config."""

from __future__ import annotations

import dataclasses
import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bidir_sim.envs.config import shipped_configs
from bidir_sim.errors import ConfigWarning
from hydra.core.config_store import ConfigStore


@dataclass
class EnvChoice:
    name: str = "A2_sep"              # a config bidir-sim ships, or a path to an env YAML file


@dataclass
class PPOConfig:
    num_steps: int = 128              # control steps per env per iteration
    gamma: float = 0.99
    gae_lambda: float = 0.99
    learning_rate: float = 1e-4
    adam_eps: float = 1e-5
    update_epochs: int = 4
    num_minibatches: int = 16
    clip_coef: float = 0.2
    clip_vloss: bool = True           # value clipping, with clip_coef
    vf_coef: float = 1.0
    ent_coef: float = 0.0
    target_kl: float | None = 0.01    # stop the epochs early once the approximate KL exceeds it
    norm_adv: bool = True             # normalise advantages per minibatch
    max_grad_norm: float | None = None  # clip the policy's gradient to this global norm (null: no clipping)
    lr_schedule: str = "constant"     # constant | linear: learning_rate x (1 - global_step / total_steps)


@dataclass
class MuscleConfig:
    learning_rate: float = 1e-4
    epochs: int = 4
    minibatch_size: int = 128
    grad_clamp: float = 0.5           # element-wise gradient clamp
    torque_scale: float = 100.0       # loss term ((JtA a - tau_des) / torque_scale)^2
    activation_weight: float = 0.01   # weight of mean(a^2)
    raw_weight: float = 0.01          # weight of mean(x^2), x the network's raw output


@dataclass
class ModelConfig:
    hidden: list[int] = field(default_factory=lambda: [512, 512, 512])  # actor and critic MLPs (ReLU)
    log_std_legs: float = 1.0         # initial log-std of the leg DoFs' actions
    log_std_rest: float = 0.5         # ... of the other DoFs
    log_std_muscles: float = -1.0     # ... of the activations (skeleton.actuator: muscle; clipped to [0, 1])
    log_std_time_warp: float = 1.0    # ... of the time-warp action
    obs_norm: bool = False            # running mean/variance normalisation of the observations (agent.pt)


@dataclass
class AssistConfig:
    """The pelvis assist of bidir-sim (``environment.assist``: its gains), faded out during training; evaluation
    never has it."""
    scale: float = 0.0                # its strength at the start (a factor on the env's gains; 0: off)
    fade_until: float = 0.5           # linear to 0 by this fraction of total_steps, then off


@dataclass
class WandbConfig:
    mode: str = "offline"             # offline | online | disabled
    project: str = "bidir"


@dataclass
class RayConfig:
    """``rollout=ray``: rollout workers as Ray actors (docs/cluster.md)."""
    address: str | None = None        # null: start Ray on this machine; auto: the cluster this node is in; host:port
    workers: int = 2                  # actors, each with its own BatchEnv and CPU copy of the policy
    envs_per_worker: int | None = None  # null: envs / workers; else envs becomes workers x envs_per_worker
    cpus_per_worker: float = 1.0      # Ray CPUs each worker reserves
    threads_per_worker: int | None = None  # C++ threads of a worker's BatchEnv (null: the CPUs Ray gives it)
    placement_timeout_s: float = 120.0  # fail if the cluster has not placed every worker by then
    connect_timeout_s: float = 10.0   # fail if ray.address does not answer by then
    max_retries: int = 3              # failed collections of one iteration's chunk before the run stops


ROLLOUTS = ("local", "ray")


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
    rollout: str = "local"            # local: one BatchEnv here | ray: ray.workers actors (docs/cluster.md)
    envs: int = 32                    # parallel environments (all workers' together under rollout=ray)
    threads: int | None = None        # C++ threads stepping them under rollout=local (default: min(envs, cores))
    total_steps: int = 50_000_000     # env-steps (control steps of all envs together)
    max_minutes: float | None = None  # also stop after the iteration in which this wall time is reached
    seed: int = 0
    device: str = "auto"              # auto (CUDA when present) | cpu | cuda | cuda:N
    run_dir: str | None = None        # default: Hydra's output directory
    resume: str | None = None         # a checkpoint directory to continue from
    init: str | None = None           # a checkpoint to start a new run from: policy, value, obs statistics, muscles
    init_optimizer: bool = False      # with init: also take its optimizers' state (default: fresh)
    checkpoint_every: int = 50        # iterations between kept checkpoints (ckpt_<iteration>/)
    keep_checkpoints: int | None = 10  # newest kept checkpoints that stay on disk (null: all; 23 MB each for A2_sep)


WANDB_MODES = ("offline", "online", "disabled")
LR_SCHEDULES = ("constant", "linear")


def _fail(key, reason):
    raise ValueError(f"config key '{key}': {reason}")


def resolve_rollout_layout(cfg) -> None:
    """Under rollout=ray, makes ``envs`` and ``ray.envs_per_worker`` agree (the saved config states both)."""
    if cfg.rollout != "ray":
        return
    r = cfg.ray
    if not 1 <= r.workers <= MAX_RAY_WORKERS:
        _fail("ray.workers", f"must be in [1, {MAX_RAY_WORKERS}], got {r.workers}")
    if r.envs_per_worker is None:
        if cfg.envs % r.workers:
            _fail("ray.workers", f"envs={cfg.envs} does not split evenly over {r.workers} workers; "
                  "set ray.envs_per_worker (then envs = workers x envs_per_worker)")
        r.envs_per_worker = cfg.envs // r.workers
    if not 1 <= r.envs_per_worker <= 100_000:
        _fail("ray.envs_per_worker", f"must be in [1, 100000], got {r.envs_per_worker}")
    cfg.envs = r.workers * r.envs_per_worker


MAX_RAY_WORKERS = 65_536
MAX_MINUTES = 1e6  # about two years


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
    """The checks that need the compiled env task: the assist's strength where its physics is stable."""
    limit = task.assist_scale_limit
    if cfg.assist.scale > limit:
        _fail("assist.scale", f"must be at most {limit:.3g} for env '{task.config.name}': beyond, the pelvis "
              f"assist's damping (environment.assist.kd_rotation = {task.config.assist.kd_rotation:g}, kd_position = "
              f"{task.config.assist.kd_position:g}) makes its {task.config.simulation.sim_hz} Hz physics step "
              f"diverge (sim_error), got {cfg.assist.scale:g}")


def validate(cfg) -> None:
    """Checks the values the types cannot; raises ValueError naming the key."""
    fail = _fail
    if cfg.envs < 1:
        fail("envs", f"must be at least 1, got {cfg.envs}")
    if cfg.threads is not None and cfg.threads < 1:
        fail("threads", f"must be at least 1, got {cfg.threads}")
    if cfg.total_steps < 1:
        fail("total_steps", f"must be positive, got {cfg.total_steps}")
    if cfg.max_minutes is not None and not 0 < cfg.max_minutes <= MAX_MINUTES:
        fail("max_minutes", f"must be > 0 and at most {MAX_MINUTES:g} (or null: no limit), got {cfg.max_minutes}"
             " (the run always completes at least one iteration)")
    for key in ("init", "resume", "run_dir"):
        value = cfg[key]
        if value is not None and not str(value).strip():
            fail(key, "is empty: give a directory, or leave the key out (null)"
                 + (": Hydra's output directory" if key == "run_dir" else ""))
        if value is not None and "\x00" in str(value):
            fail(key, "contains a NUL byte, which no path can")
    if cfg.run_dir is not None:
        _check_run_dir(cfg.run_dir)
    if cfg.checkpoint_every < 1:
        fail("checkpoint_every", f"must be at least 1, got {cfg.checkpoint_every}")
    if cfg.keep_checkpoints is not None and cfg.keep_checkpoints < 1:
        fail("keep_checkpoints", f"must be at least 1 (or null: keep all), got {cfg.keep_checkpoints}")
    if not 0 <= cfg.seed < 2**63:  # torch and the envs' generators take 64-bit seeds (env i: seed + i)
        fail("seed", f"must be in [0, 2**63), got {cfg.seed}")
    if cfg.wandb.mode not in WANDB_MODES:
        fail("wandb.mode", f"must be one of {WANDB_MODES}, got '{cfg.wandb.mode}'")
    if cfg.init is not None and cfg.resume is not None:
        fail("init", "give init (a new run from a checkpoint's weights) or resume (continue that run), not both")
    if cfg.init_optimizer and cfg.init is None:
        fail("init_optimizer", "needs init=CHECKPOINT")
    if cfg.ppo.lr_schedule not in LR_SCHEDULES:
        fail("ppo.lr_schedule", f"must be one of {LR_SCHEDULES}, got '{cfg.ppo.lr_schedule}'")
    if cfg.rollout not in ROLLOUTS:
        fail("rollout", f"must be one of {ROLLOUTS}, got '{cfg.rollout}'")
    if cfg.rollout == "ray":
        _validate_ray(cfg.ray)
    _warn_inert(cfg)
    if not (cfg.device == "auto" or cfg.device == "cpu" or cfg.device.startswith("cuda")):
        fail("device", f"must be auto, cpu, cuda or cuda:N, got '{cfg.device}'")
    p = cfg.ppo
    # Upper bounds: far above any useful value, low enough that a typo fails here and not as a
    # multi-terabyte allocation.
    for key, high in (("num_steps", 100_000), ("update_epochs", 10_000), ("num_minibatches", 10**6)):
        if not 1 <= getattr(p, key) <= high:
            fail(f"ppo.{key}", f"must be in [1, {high}], got {getattr(p, key)}")
    # The valid transitions (envs * num_steps less the autoreset steps) are split into num_minibatches
    # nearly equal parts: there must be at least one transition per minibatch.
    if p.num_minibatches > cfg.envs * p.num_steps // 2:
        fail("ppo.num_minibatches", f"must be at most envs * ppo.num_steps / 2 = {cfg.envs * p.num_steps // 2}, "
             f"got {p.num_minibatches}")
    # Every numeric hyper-parameter in its meaningful range (a negative vf_coef or grad_clamp, an infinite
    # clip_coef or a zero torque_scale would train, with a broken meaning): (key, value, low, high, open low).
    inf = float("inf")
    m = cfg.muscle
    ranges = [("ppo.gamma", p.gamma, 0.0, 1.0, False), ("ppo.gae_lambda", p.gae_lambda, 0.0, 1.0, False),
              ("ppo.learning_rate", p.learning_rate, 0.0, 1.0, True), ("ppo.adam_eps", p.adam_eps, 0.0, 1.0, True),
              ("ppo.clip_coef", p.clip_coef, 0.0, 10.0, True), ("ppo.vf_coef", p.vf_coef, 0.0, 1e6, False),
              ("ppo.ent_coef", p.ent_coef, 0.0, 1e6, False),
              ("muscle.learning_rate", m.learning_rate, 0.0, 1.0, True),
              ("muscle.grad_clamp", m.grad_clamp, 0.0, inf, True),
              ("muscle.torque_scale", m.torque_scale, 0.0, inf, True),
              ("muscle.activation_weight", m.activation_weight, 0.0, 1e6, False),
              ("muscle.raw_weight", m.raw_weight, 0.0, 1e6, False),
              ("model.log_std_legs", cfg.model.log_std_legs, -20.0, 5.0, False),
              ("model.log_std_rest", cfg.model.log_std_rest, -20.0, 5.0, False),
              ("model.log_std_muscles", cfg.model.log_std_muscles, -20.0, 5.0, False),
              ("model.log_std_time_warp", cfg.model.log_std_time_warp, -20.0, 5.0, False),
              ("assist.scale", cfg.assist.scale, 0.0, 100.0, False),
              ("assist.fade_until", cfg.assist.fade_until, 0.0, 1.0, True)]
    if p.target_kl is not None:
        ranges.append(("ppo.target_kl", p.target_kl, 0.0, 1e3, True))
    if p.max_grad_norm is not None:
        ranges.append(("ppo.max_grad_norm", p.max_grad_norm, 0.0, 1e6, True))
    for key, value, low, high, open_low in ranges:
        above = value > low if open_low else value >= low
        if not (above and value <= high and math.isfinite(value)):
            upper = "" if high == inf else f", at most {high:g}"
            fail(key, f"must be {'>' if open_low else '>='} {low:g}{upper} and finite, got {value}")
    if m.epochs < 0 or m.minibatch_size < 1:
        fail("muscle", f"needs epochs >= 0 and minibatch_size >= 1, got {m.epochs} and {m.minibatch_size}")
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
    if cfg.assist.scale == 0 and cfg.assist.fade_until != AssistConfig().fade_until:
        inert.append(("assist.fade_until", "assist.scale > 0"))
    for key, setting in inert:
        warnings.warn(f"config key '{key}': has no effect here (it acts only with {setting})", ConfigWarning,
                      stacklevel=3)


def _validate_ray(r) -> None:
    address = r.address
    if address is not None and address != "auto":
        host, _, port = address.rpartition(":")
        if address.startswith("ray://") or not host or not port.isdigit() or not 0 < int(port) < 65536:
            _fail("ray.address", f"must be null (start Ray here), auto, or the head's host:port (e.g. "
                  f"10.0.0.1:6379), got '{address}'")
    if not 0 < r.cpus_per_worker <= 1024:
        _fail("ray.cpus_per_worker", f"must be > 0 and at most 1024, got {r.cpus_per_worker}")
    if r.threads_per_worker is not None and not 1 <= r.threads_per_worker <= 256:
        _fail("ray.threads_per_worker", f"must be in [1, 256] (or null: the worker's Ray CPUs), got "
              f"{r.threads_per_worker}")
    for key in ("placement_timeout_s", "connect_timeout_s"):
        value = getattr(r, key)
        if not 0 < value <= 86_400:
            _fail(f"ray.{key}", f"must be > 0 and at most 86400 (a day), got {value}")
    if not 0 <= r.max_retries <= 100:
        _fail("ray.max_retries", f"must be in [0, 100], got {r.max_retries}")


def register() -> None:
    cs = ConfigStore.instance()
    cs.store(name="train", node=TrainConfig)
    for name in shipped_configs():
        cs.store(group="env", name=name, node=EnvChoice(name=name))
    cs.store(group="ppo", name="default", node=PPOConfig)
    cs.store(group="muscle", name="default", node=MuscleConfig)
    cs.store(group="model", name="default", node=ModelConfig)
