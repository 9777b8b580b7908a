"""The training loop of ``learner=distributed`` (distributed.py): the driver builds the initial networks (as
learner=central does, or from ``init``/``resume``), hands them to the workers, and per iteration asks the
``DistributedLearner`` for one iteration, logs it and writes the checkpoints from the workers' state. Its
metrics are learner=central's, with ``ddp/*`` (the all-reduces' count, bytes and time, the learner's time
per sample) in place of the central learner's ``ray/*`` transfer figures."""

from __future__ import annotations

import sys
import time
from types import SimpleNamespace

import numpy as np
import torch
from omegaconf import DictConfig, OmegaConf

from . import checkpoint
from .agent import Agent, initial_log_std
from .distributed import DistributedLearner
from .metrics import MetricsLogger
from .muscle_learner import MuscleLearner
from .ray_source import RolloutFailed
from .train import (
    SimulationDiverging,
    _assist_scale,
    _check_sim_errors,
    _learning_rate,
    _load_checkpoint,
    _load_networks,
    _reseed,
    checkpoint_metadata,
)


def train_distributed(cfg: DictConfig, run_dir, task) -> object:
    """``train`` under learner=distributed; returns the last checkpoint's directory."""
    try:
        learner = DistributedLearner(cfg, log=lambda msg: print(msg, file=sys.stderr, flush=True))
    except RolloutFailed as e:  # at the start: a setting, not a fault to resume from
        raise ValueError(f"config key 'ray': the workers could not start (check ray.envs_per_worker and "
                         f"ray.threads_per_worker against the nodes' memory and cores): {e}") from None
    try:
        learner.form_group(at_start=True)
        return _loop(cfg, run_dir, task, learner)
    finally:
        learner.close()


def _loop(cfg: DictConfig, run_dir, task, learner: DistributedLearner):
    cpu = torch.device("cpu")
    torch.manual_seed(cfg.seed)  # the initial networks exactly as learner=central draws them
    generator = torch.Generator().manual_seed(cfg.seed)
    agent = Agent(learner.observation_dim, learner.action_dim, list(cfg.model.hidden), initial_log_std(task, cfg.model),
                  obs_norm=cfg.model.obs_norm)
    optimizer = torch.optim.Adam(agent.parameters(), lr=cfg.ppo.learning_rate, eps=cfg.ppo.adam_eps)
    muscle = MuscleLearner(task, cfg.muscle, cpu)
    iteration, global_step, diverging = 0, 0, 0
    if cfg.init:
        _load_networks(_load_checkpoint(cfg, "init"), task, agent, muscle, optimizer, optimizers=cfg.init_optimizer)
    if cfg.resume:
        ckpt = _load_checkpoint(cfg, "resume")
        _load_networks(ckpt, task, agent, muscle, optimizer, optimizers=True)
        torch.set_rng_state(ckpt.state["torch_rng"])
        generator.set_state(ckpt.state["generator"])
        iteration, global_step = int(ckpt.metadata["iteration"]), int(ckpt.metadata["global_step"])
        learner.restart(_reseed(cfg.seed, iteration))
    learner.load({"agent": agent.state_dict(), "optimizer": optimizer.state_dict(), "muscle": muscle.cpu_state_dict(),
                  "muscle_optimizer": muscle.optimizer.state_dict(), "generator": generator.get_state()})
    del agent, optimizer, muscle  # the workers hold the networks from here on

    resolved = OmegaConf.to_container(cfg, resolve=True)
    logger = MetricsLogger(run_dir, resolved, cfg.wandb.mode, cfg.wandb.project, cfg.total_steps)

    def save(keep: bool):
        s = learner.state()
        files = {"agent.pt": s["agent"], "muscle.pt": s["muscle"],
                 "optimizers.pt": {"agent": s["optimizer"], "muscle": s["muscle_optimizer"]},
                 "state.pt": {"torch_rng": torch.get_rng_state(), "generator": s["generator"]}}
        metadata = checkpoint_metadata(cfg, resolved, task, learner, iteration, global_step)
        return checkpoint.save(run_dir, iteration, keep, files, metadata, keep_last=cfg.keep_checkpoints)

    steps_per_iteration = learner.num_envs * cfg.ppo.num_steps
    start_step, last, interrupted, failure = global_step, None, False, None
    deadline = time.monotonic() + 60.0 * cfg.max_minutes if cfg.max_minutes else float("inf")
    try:
        while global_step < cfg.total_steps and (time.monotonic() < deadline or global_step == start_step):
            start = time.perf_counter()
            learning_rate, assist = _learning_rate(cfg, global_step), _assist_scale(cfg, global_step)
            summaries, results = learner.iterate(learning_rate, assist, cfg.ppo.num_steps, cfg.ppo.gamma)
            iteration += 1
            global_step += steps_per_iteration
            elapsed = time.perf_counter() - start
            joined = _join(summaries)
            t_collect = max(s["collect_s"] for s in summaries)
            t_ppo, t_muscle = max(r["ppo_s"] for r in results), max(r["muscle_s"] for r in results)
            returns, lengths = joined.episodes["return"], joined.episodes["length"]
            logger.log({"iteration": iteration, "global_step": global_step, "sps": steps_per_iteration / elapsed,
                        "rollout_sps": steps_per_iteration / t_collect,
                        "return": float(np.mean(returns)) if returns else float("nan"),
                        "length": float(np.mean(lengths)) if lengths else float("nan"), "episodes": len(returns),
                        "time/rollout": t_collect, "time/ppo": t_ppo, "time/muscle": t_muscle,
                        "ppo/learning_rate": learning_rate, "assist/scale": assist,
                        **results[0]["stats"], **joined.info_means,
                        "ray/worker_restarts": learner.restarts, "ray/nodes": len({i["node"] for i in learner.info}),
                        "ddp/allreduces": results[0]["allreduces"], "ddp/allreduce_bytes": results[0]["allreduce_bytes"],
                        "ddp/allreduce_s": max(r["allreduce_s"] for r in results),
                        "ddp/steps": results[0]["steps"], "ddp/step_bytes": results[0]["step_bytes"],
                        "ddp/step_allreduce_s": max(r["step_s"] for r in results),
                        "ddp/learn_s_per_sample": max((r["ppo_s"] + r["muscle_s"] - r["allreduce_s"]) /
                                                      max(r["samples"], 1.0) for r in results)})
            diverging = _check_sim_errors(joined, diverging, logger.console)
            if iteration % cfg.checkpoint_every == 0:
                last = save(keep=True)
                learner.restart(_reseed(cfg.seed, iteration))  # as learner=central: resume continues exactly
    except KeyboardInterrupt:
        interrupted = True
        logger.console.print("interrupted: saving a checkpoint")
    except (RolloutFailed, SimulationDiverging) as e:
        failure = e
        logger.console.print(f"{e}: saving a checkpoint")
    if last is None or last.name != f"ckpt_{iteration}":
        last = save(keep=True)
    logger.close()
    logger.console.print(f"checkpoint: {last}\nview it with: bidir-viewer {run_dir / checkpoint.LATEST}")
    if interrupted:
        raise KeyboardInterrupt
    if failure is not None:
        raise failure
    return last


def _join(summaries: list[dict]) -> SimpleNamespace:
    """The workers' episodes and info means as one rollout's (Rollout.concat's weighting), in the shape
    ``_check_sim_errors`` reads."""
    total = max(sum(s["valid"] for s in summaries), 1.0)
    info = {k: sum(s["valid"] * s["info_means"][k] for s in summaries) / total for k in summaries[0]["info_means"]}
    episodes = {k: [x for s in summaries for x in s["episodes"][k]] for k in summaries[0]["episodes"]}
    return SimpleNamespace(episodes=episodes, info_means=info, valid=torch.tensor(sum(s["valid"] for s in summaries)))
