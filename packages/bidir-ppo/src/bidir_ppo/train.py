"""``python -m bidir_ppo.train env=A2_sep envs=32``: PPO on a bidir-sim task with the muscle learner.

The loop reads top to bottom like CleanRL's ppo_continuous_action.py: collect a rollout from the
RolloutSource, compute advantages (GAE), update the policy with PPO, update the muscle network on the
rollout's muscle tuples and push its weights to the envs, log, checkpoint. Every hyper-parameter is a
field of config.py, named once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import hydra
import numpy as np
import torch
from bidir_sim import BatchEnv, build_task
from bidir_sim.envs.presets import preset_rows
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf
from torch import nn

from . import checkpoint, restore
from .agent import Agent, has_obs_norm, initial_log_std
from .config import register, resolve_rollout_layout, validate, validate_for_task
from .curriculum import Curriculum, CurriculumSource
from .gae import compute_gae
from .metrics import MetricsLogger
from .muscle_learner import MuscleLearner
from .ray_source import RaySource, RolloutFailed
from .rollout import BatchEnvSource, Rollout, RolloutSource, RolloutStats

register()

# A run whose episodes mostly end in sim_error (the physics diverged) learns nothing true: each such
# iteration is reported, and this many in a row stop the run (with a checkpoint).
SIM_ERROR_FRACTION = 0.5
SIM_ERROR_PATIENCE = 3


class SimulationDiverging(RuntimeError):
    """Most episodes of several iterations in a row ended in sim_error; the run stops (with a checkpoint)."""


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"config key 'device': '{name}' asked for, but no CUDA device is available")
    return torch.device(name)


@contextlib.contextmanager
def torch_threads(n: int):
    """PyTorch's intra-op threads for the updates; back to one for the rollouts, where the C++ threads
    step the envs (and run their muscle network) and must not compete with an idle thread pool."""
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def ppo_update(agent: Agent, optimizer, r: Rollout, advantages, returns, cfg, generator, shard=None) -> dict[str, float]:
    """Clipped PPO over the valid transitions, with value clipping and the target-KL early stop; each epoch
    makes ``cfg.num_minibatches`` optimizer steps. With ``shard`` (an ``allreduce.Shard``, learner=distributed)
    ``r`` is this worker's part of the global batch and every step is the global minibatch's (allreduce.py)."""
    mask = r.valid.reshape(-1).bool()
    b_obs = r.obs.reshape(-1, r.obs.shape[-1])[mask]
    b_actions = r.actions.reshape(-1, r.actions.shape[-1])[mask]
    b_logprobs, b_adv = r.logprobs.reshape(-1)[mask], advantages.reshape(-1)[mask]
    b_returns, b_values = returns.reshape(-1)[mask], r.values.reshape(-1)[mask]
    n = len(b_obs) if shard is None else shard.total
    stats = {"ppo/policy_loss": [], "ppo/value_loss": [], "ppo/entropy": [], "ppo/approx_kl": [],
             "ppo/clipfrac": [], "ppo/grad_norm": []}
    for _epoch in range(cfg.update_epochs):
        order = torch.randperm(n, generator=generator).to(b_obs.device)
        # Exactly num_minibatches minibatches per epoch over the valid transitions (sizes differ by at most
        # one): how many there are depends on the autoresets, so it need not divide evenly.
        for idx in torch.tensor_split(order, min(cfg.num_minibatches, n)):
            size = len(idx)
            mean = torch.mean if shard is None else shard.mean_of(size)
            if shard is not None:
                idx = shard.local(idx)
            _, newlogprob, entropy, newvalue = agent.get_action_and_value(b_obs[idx], b_actions[idx])
            logratio = newlogprob - b_logprobs[idx]
            ratio = logratio.exp()
            with torch.no_grad():
                approx_kl = mean((ratio - 1) - logratio)
                clipfrac = mean(((ratio - 1.0).abs() > cfg.clip_coef).float())
            adv = b_adv[idx]
            if cfg.norm_adv and size > 1:
                adv = (adv - adv.mean()) / (adv.std() + 1e-8) if shard is None else shard.normalise(adv, size)
            pg_loss = mean(torch.max(-adv * ratio, -adv * ratio.clamp(1 - cfg.clip_coef, 1 + cfg.clip_coef)))
            newvalue = newvalue.view(-1)
            if cfg.clip_vloss:
                clipped = b_values[idx] + (newvalue - b_values[idx]).clamp(-cfg.clip_coef, cfg.clip_coef)
                v_loss = 0.5 * mean(torch.max((newvalue - b_returns[idx]) ** 2, (clipped - b_returns[idx]) ** 2))
            else:
                v_loss = 0.5 * mean((newvalue - b_returns[idx]) ** 2)
            mean_entropy = mean(entropy)
            loss = pg_loss - cfg.ent_coef * mean_entropy + cfg.vf_coef * v_loss
            optimizer.zero_grad()
            loss.backward()
            logged = torch.stack([pg_loss, v_loss, mean_entropy, approx_kl, clipfrac]).detach()
            if shard is not None:  # the gradient and the logged means of the whole minibatch
                logged = shard.reduce_grads(agent.parameters(), logged)
            if cfg.max_grad_norm is not None:
                stats["ppo/grad_norm"].append(nn.utils.clip_grad_norm_(agent.parameters(), cfg.max_grad_norm).item())
            optimizer.step()
            for key, value in zip(("policy_loss", "value_loss", "entropy", "approx_kl", "clipfrac"), logged.tolist()):
                stats[f"ppo/{key}"].append(value)
        if cfg.target_kl is not None and stats["ppo/approx_kl"][-1] > cfg.target_kl:
            break
    return {k: float(np.mean(v)) for k, v in stats.items() if v}


def mixture_rows(cfg: DictConfig, task) -> np.ndarray:
    """The (envs, conditions) rows the mixture (presets, healthy envs) fixes for every episode (NaN: drawn by the
    env config)."""
    m = cfg.mixture
    return preset_rows(task, list(m.presets), m.envs_per_preset, cfg.envs, m.healthy_envs)


def make_curriculum(cfg: DictConfig, task) -> Curriculum | None:
    """The curriculum over the condition ranges (mixture.curriculum.start < 1), or None."""
    if cfg.mixture.curriculum.start >= 1.0:
        return None
    return Curriculum.build(cfg.mixture.curriculum, task, mixture_rows(cfg, task), cfg.seed)


def make_source(cfg: DictConfig, task, device: torch.device, curriculum: Curriculum | None) -> RolloutSource:
    if cfg.rollout == "ray":
        return RaySource(cfg.env.name, cfg.ray, list(cfg.model.hidden), cfg.seed, device,
                         log=lambda msg: print(msg, file=sys.stderr, flush=True))
    env = BatchEnv(task, num_envs=cfg.envs, num_threads=cfg.threads, seed=cfg.seed)
    # before the source's first reset: every episode of a preset's envs holds it; the others draw
    if curriculum is not None:
        env.fix_conditions(curriculum.rows())
        return CurriculumSource(BatchEnvSource(env, cfg.seed, device), curriculum)
    if cfg.mixture.presets or cfg.mixture.healthy_envs:
        env.fix_conditions(mixture_rows(cfg, task))
    return BatchEnvSource(env, cfg.seed, device)


def train(cfg: DictConfig, run_dir: Path) -> Path:
    """Runs the configured training in ``run_dir``; returns the last checkpoint's directory."""
    resolve_rollout_layout(cfg)
    validate(cfg)
    device = pick_device(cfg.device)
    task = build_task(cfg.env.name)  # a bad env config fails here, before any worker starts
    validate_for_task(cfg, task)
    if cfg.learner == "distributed":  # every Ray worker collects and learns (distributed.py)
        from .distributed_train import train_distributed
        return train_distributed(cfg, run_dir, task)
    torch.set_num_threads(1)  # rollouts: the envs' C++ threads do the work
    curriculum = make_curriculum(cfg, task)
    try:
        source = make_source(cfg, task, device, curriculum)
    except RolloutFailed as e:  # at the start: a setting, not a fault to resume from
        raise ValueError(f"config key 'ray': the rollout workers could not start (check ray.envs_per_worker and "
                         f"ray.threads_per_worker against the nodes' memory and cores): {e}") from None
    try:
        return _train(cfg, run_dir, task, source, device, curriculum)
    finally:
        source.close()


def _train(cfg: DictConfig, run_dir: Path, task, source: RolloutSource, device: torch.device,
           curriculum: Curriculum | None) -> Path:
    learner = Learner.build(cfg, source, task, device, curriculum)
    start_from_checkpoint(cfg, task, learner, source)
    agent, optimizer, muscle, generator = learner.agent, learner.optimizer, learner.muscle, learner.generator
    source.set_muscle_weights(muscle.cpu_state_dict())
    resolved = OmegaConf.to_container(cfg, resolve=True)
    logger = MetricsLogger(run_dir, resolved, cfg.wandb.mode, cfg.wandb.project, cfg.total_steps)
    save = partial(save_checkpoint, run_dir, resolved, task, learner, cfg.keep_checkpoints)
    steps_per_iteration = source.num_envs * cfg.ppo.num_steps
    another_iteration = budget(cfg, learner.global_step)
    last, stop, diverging = None, None, 0
    try:
        while another_iteration(learner.global_step):
            timer = Stopwatch()
            learning_rate = learning_rate_at(cfg, learner.global_step)
            for group in optimizer.param_groups:
                group["lr"] = learning_rate
            assist = assist_scale_at(cfg, learner.global_step)
            source.set_assist_scale(assist)
            with timer("rollout"):
                rollout, stats = source.collect(agent, cfg.ppo.num_steps)
            with torch_threads(os.cpu_count() or 1):
                advantages, returns = compute_gae(rollout.rewards, rollout.values, rollout.terminations,
                                                  rollout.truncations, rollout.bootstrap_values, rollout.next_value,
                                                  cfg.ppo.gamma, cfg.ppo.gae_lambda)
                with timer("ppo"):
                    ppo_stats = ppo_update(agent, optimizer, rollout, advantages, returns, cfg.ppo, generator)
                    if agent.obs_norm is not None:  # after the update, which must see the statistics the rollout saw
                        agent.obs_norm.update(rollout.obs[rollout.valid.bool()])
                with timer("muscle"):
                    muscle_stats = muscle.update(rollout.muscle_tuples, generator)
                    source.set_muscle_weights(muscle.cpu_state_dict())
            learner.iteration += 1
            learner.global_step += steps_per_iteration
            logger.log({**iteration_metrics(learner, steps_per_iteration, timer, stats),
                        "ppo/learning_rate": learning_rate, "assist/scale": assist, **ppo_stats, **muscle_stats,
                        **stats.info_means, **stats.source_metrics})
            diverging = check_sim_errors(stats, float(rollout.valid.sum()), diverging, logger.console)
            if learner.iteration % cfg.checkpoint_every == 0:
                last = save()
                # Envs restart from a known seed after a kept checkpoint, so a run resumed from it
                # continues exactly like this one (the cut episodes bootstrap like truncations).
                source.restart(reseed(cfg.seed, learner.iteration))
    except (KeyboardInterrupt, RolloutFailed, SimulationDiverging) as e:
        stop = e
        logger.console.print(f"{'interrupted' if isinstance(e, KeyboardInterrupt) else e}: saving a checkpoint")
    if last is None or last.name != f"ckpt_{learner.iteration}":
        last = save()
    logger.close()
    logger.console.print(f"checkpoint: {last}\nview it with: bidir-viewer {run_dir / checkpoint.LATEST}")
    if stop is not None:
        raise stop
    return last


@dataclass
class Learner:
    """What training changes and a checkpoint keeps: the networks, their optimizers, the RNGs, the counters."""

    agent: Agent
    optimizer: torch.optim.Optimizer
    muscle: MuscleLearner
    generator: torch.Generator  # the minibatch shuffles of both updates
    curriculum: Curriculum | None = None  # shared with the CurriculumSource, which draws and promotes
    iteration: int = 0
    global_step: int = 0

    @staticmethod
    def build(cfg: DictConfig, source: RolloutSource, task, device: torch.device,
              curriculum: Curriculum | None = None) -> Learner:
        """Fresh networks, seeded by cfg.seed (the policy's initialisation draws first, then the muscle net's)."""
        torch.manual_seed(cfg.seed)
        generator = torch.Generator().manual_seed(cfg.seed)
        agent = Agent(source.observation_dim, source.action_dim, list(cfg.model.hidden),
                      initial_log_std(task, cfg.model), obs_norm=cfg.model.obs_norm).to(device)
        optimizer = torch.optim.Adam(agent.parameters(), lr=cfg.ppo.learning_rate, eps=cfg.ppo.adam_eps)
        return Learner(agent, optimizer, MuscleLearner(task, cfg.muscle, device), generator, curriculum)

    def checkpoint_parts(self) -> dict[str, object]:
        return {"agent": self.agent.state_dict(), "muscle": self.muscle.cpu_state_dict(),
                "optimizers": {"agent": self.optimizer.state_dict(), "muscle": self.muscle.optimizer.state_dict()},
                "state": {"torch_rng": torch.get_rng_state(), "generator": self.generator.get_state(),
                          **({"curriculum": self.curriculum.state_dict()} if self.curriculum else {})}}


def start_from_checkpoint(cfg: DictConfig, task, learner: Learner, source: RolloutSource) -> None:
    """``init``: a new run (iteration 0) from a checkpoint's networks (and with init_optimizer its optimizers);
    ``resume``: the run continued where the checkpoint left it, RNGs, counters and the envs' seeds included."""
    if cfg.init:
        _load_networks(_load_checkpoint(cfg, "init"), task, learner, optimizers=cfg.init_optimizer)
    if cfg.resume:
        ckpt = _load_checkpoint(cfg, "resume")
        _load_networks(ckpt, task, learner, optimizers=True)
        torch.set_rng_state(ckpt.state["torch_rng"])
        learner.generator.set_state(ckpt.state["generator"])
        if learner.curriculum is not None:
            state_file = str(ckpt.path / checkpoint.FILES["state"])
            if not isinstance(ckpt.state.get("curriculum"), dict):
                raise checkpoint.CheckpointError(state_file, "curriculum", "missing: that run had no "
                                                 "mixture.curriculum (config key 'resume')")
            try:
                learner.curriculum.load_state_dict(ckpt.state["curriculum"])
            except ValueError as e:
                raise checkpoint.CheckpointError(state_file, "curriculum", str(e)) from None
        learner.iteration, learner.global_step = int(ckpt.metadata["iteration"]), int(ckpt.metadata["global_step"])
        source.restart(reseed(cfg.seed, learner.iteration))


def save_checkpoint(run_dir: Path, resolved: dict, task, learner: Learner, keep_last: int | None) -> Path:
    metadata = checkpoint.metadata(resolved, task, learner.iteration, learner.global_step)
    return checkpoint.save(run_dir, learner.iteration, True, learner.checkpoint_parts(), metadata, keep_last)


def budget(cfg: DictConfig, start_step: int) -> Callable[[int], bool]:
    """Whether another iteration runs at a global step: below total_steps and, with max_minutes, before the
    time passes (the iteration in which it passes is the last; at least one always runs)."""
    deadline = time.monotonic() + 60.0 * cfg.max_minutes if cfg.max_minutes else float("inf")
    return lambda step: step < cfg.total_steps and (time.monotonic() < deadline or step == start_step)


class Stopwatch:
    """Seconds since the iteration began, and in each of its named phases."""

    def __init__(self):
        self.start, self.phases = time.perf_counter(), {}

    @contextlib.contextmanager
    def __call__(self, phase: str):
        start = time.perf_counter()
        yield
        self.phases[phase] = time.perf_counter() - start

    def elapsed(self) -> float:
        return time.perf_counter() - self.start


def iteration_metrics(learner: Learner, steps: int, timer: Stopwatch, stats: RolloutStats) -> dict[str, float]:
    returns, lengths = stats.episode_returns, stats.episode_lengths
    return {"iteration": learner.iteration, "global_step": learner.global_step, "sps": steps / timer.elapsed(),
            "rollout_sps": steps / timer.phases["rollout"],
            "return": float(np.mean(returns)) if returns else float("nan"),
            "length": float(np.mean(lengths)) if lengths else float("nan"), "episodes": len(returns),
            **{f"time/{phase}": seconds for phase, seconds in timer.phases.items()}}


def _load_checkpoint(cfg, key: str):
    """checkpoint.load of ``init`` or ``resume``; its error also names the key (the path as Hydra read it:
    ``init=1e9`` arrives as 1000000000.0)."""
    try:
        return checkpoint.load(cfg[key])
    except checkpoint.CheckpointError as e:
        raise checkpoint.CheckpointError(e.source, e.element, f"{e.reason} (config key '{key}')") from None


def _load_networks(ckpt, task, learner: Learner, optimizers: bool) -> None:
    """The checkpoint's policy, value function, observation statistics and muscle network (and with
    ``optimizers`` both optimizers) into this run's, which must have the same shapes."""
    agent_state = ckpt.agent
    if optimizers:  # resume, or init with its optimizers: the same dims
        restore.check_dims(ckpt, task)
    else:
        agent_state, added = restore.init_agent_state(ckpt, task)
        if added:
            print(f"init: the observation gained {', '.join(added)}; their inputs start with zero weights")
    try:
        learner.agent.load_state_dict(agent_state)
        learner.muscle.net.load_state_dict(ckpt.muscle)
        if optimizers:
            learner.optimizer.load_state_dict(ckpt.optimizers["agent"])
            learner.muscle.optimizer.load_state_dict(ckpt.optimizers["muscle"])
    except (RuntimeError, KeyError, ValueError) as e:
        problem = checkpoint.state_dict_problem(e)
        if "obs_norm" in problem:
            trained = has_obs_norm(ckpt.agent)
            problem += f" (set model.obs_norm={str(trained).lower()}: the checkpoint was trained with{'' if trained else 'out'} it)"
        raise checkpoint.CheckpointError(str(ckpt.path), "state_dict", problem) from None


def check_sim_errors(stats: RolloutStats, valid_steps: float, diverging: int, console) -> int:
    """Says so when most of the iteration's ended episodes ended in sim_error (``valid_steps``: the rollout's,
    over which its info means are taken); returns the count of such iterations in a row, and raises
    SimulationDiverging at SIM_ERROR_PATIENCE."""
    ended = len(stats.episode_returns)
    errors = round(stats.info_means.get("sim_error", 0.0) * valid_steps)
    if not ended or errors <= SIM_ERROR_FRACTION * ended:
        return 0
    diverging += 1
    message = (f"{errors} of the {ended} episodes that ended in this iteration ended in sim_error: the simulation "
               "diverges (the env's gains, assist.scale, or the actions' scale)")
    if diverging >= SIM_ERROR_PATIENCE:
        raise SimulationDiverging(f"{message}, for {diverging} iterations in a row; the run stops")
    console.print(f"[bold red]warning:[/] {message} ({diverging} of {SIM_ERROR_PATIENCE} before the run stops)")
    return diverging


def linear_schedule(start: float, progress: float) -> float:
    """``start`` fading linearly to 0 at ``progress`` 1, and 0 after."""
    return start * max(0.0, 1.0 - progress)


def learning_rate_at(cfg, global_step: int) -> float:
    """CleanRL's annealing with ppo.lr_schedule=linear; by env-steps, so that a resumed run continues it."""
    if cfg.ppo.lr_schedule == "linear":
        return linear_schedule(cfg.ppo.learning_rate, global_step / cfg.total_steps)
    return cfg.ppo.learning_rate


def assist_scale_at(cfg, global_step: int) -> float:
    """The pelvis assist's strength: assist.scale fading linearly to 0 at assist.fade_until x total_steps.
    By global_step, so that a resumed run continues the schedule."""
    return linear_schedule(cfg.assist.scale, global_step / (cfg.assist.fade_until * cfg.total_steps))


def reseed(seed: int, iteration: int) -> int:
    return seed + 1_000_003 * iteration


def _interrupt(signum, frame):
    raise KeyboardInterrupt


@hydra.main(version_base=None, config_name="train")
def main(cfg: DictConfig) -> None:
    run_dir = Path(cfg.run_dir) if cfg.run_dir else Path(HydraConfig.get().runtime.output_dir)
    # SIGTERM (a scheduler, `kill`) and SIGINT (Ctrl-C, also where a shell started us in the background
    # with SIGINT ignored) both stop the run with a checkpoint
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        train(cfg, run_dir)
    except (ValueError, checkpoint.CheckpointError) as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except RolloutFailed as e:
        print(f"error: {e} (resume from the checkpoint with resume=...)", file=sys.stderr)
        sys.exit(1)
    except SimulationDiverging as e:
        print(f"error: {e} (the last checkpoint holds the run so far)", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
