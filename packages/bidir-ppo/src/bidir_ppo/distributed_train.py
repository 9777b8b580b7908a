"""The training loop of ``learner=distributed`` (distributed.py): the driver builds the initial networks (as
learner=central does, or from ``init``/``resume``), hands them to the workers, and per iteration asks the
``DistributedLearner`` for one iteration, logs it and writes the checkpoints from the workers' state. Its
metrics are learner=central's, with ``ddp/*`` (the all-reduces' count, bytes and time, the learner's time
per sample) in place of the central learner's ``ray/*`` transfer figures."""

from __future__ import annotations

import sys
from functools import partial

import torch
from omegaconf import DictConfig, OmegaConf

from . import checkpoint
from .distributed import DistributedLearner
from .metrics import MetricsLogger
from .ray_source import RolloutFailed
from .rollout import RolloutStats
from .train import (
    Learner,
    SimulationDiverging,
    Stopwatch,
    assist_scale_at,
    budget,
    check_sim_errors,
    iteration_metrics,
    learning_rate_at,
    reseed,
    save_checkpoint,
    start_from_checkpoint,
)


def train_distributed(cfg: DictConfig, run_dir, task) -> object:
    """``train`` under learner=distributed; returns the last checkpoint's directory."""
    try:
        workers = DistributedLearner(cfg, log=lambda msg: print(msg, file=sys.stderr, flush=True))
    except RolloutFailed as e:  # at the start: a setting, not a fault to resume from
        raise ValueError(f"config key 'ray': the workers could not start (check ray.envs_per_worker and "
                         f"ray.threads_per_worker against the nodes' memory and cores): {e}") from None
    try:
        workers.form_group(at_start=True)
        return _loop(cfg, run_dir, task, workers)
    finally:
        workers.close()


def _loop(cfg: DictConfig, run_dir, task, workers: DistributedLearner):
    # The initial networks exactly as learner=central draws them (or from init/resume); the workers train
    # them, and the driver's copy takes their committed state back before each checkpoint.
    learner = Learner.build(cfg, workers, task, torch.device("cpu"))
    start_from_checkpoint(cfg, task, learner, workers)
    workers.load({"agent": learner.agent.state_dict(), "optimizer": learner.optimizer.state_dict(),
                  "muscle": learner.muscle.cpu_state_dict(), "muscle_optimizer": learner.muscle.optimizer.state_dict(),
                  "generator": learner.generator.get_state()})
    resolved = OmegaConf.to_container(cfg, resolve=True)
    logger = MetricsLogger(run_dir, resolved, cfg.wandb.mode, cfg.wandb.project, cfg.total_steps)
    save_learner = partial(save_checkpoint, run_dir, resolved, task, learner, cfg.keep_checkpoints)

    def save():
        _take_state(learner, workers.state())
        return save_learner()

    steps_per_iteration = workers.num_envs * cfg.ppo.num_steps
    another_iteration = budget(cfg, learner.global_step)
    last, stop, diverging = None, None, 0
    try:
        while another_iteration(learner.global_step):
            timer = Stopwatch()
            learning_rate = learning_rate_at(cfg, learner.global_step)
            assist = assist_scale_at(cfg, learner.global_step)
            summaries, results = workers.iterate(learning_rate, assist, cfg.ppo.num_steps)
            learner.iteration += 1
            learner.global_step += steps_per_iteration
            # the slowest worker's phases: the others wait for it at the next all-reduce
            timer.phases = {"rollout": max(s["collect_s"] for s in summaries),
                            "ppo": max(r["ppo_s"] for r in results), "muscle": max(r["muscle_s"] for r in results)}
            stats, valid_steps = _join(summaries)
            logger.log({**iteration_metrics(learner, steps_per_iteration, timer, stats),
                        "ppo/learning_rate": learning_rate, "assist/scale": assist,
                        **results[0]["stats"], **stats.info_means,
                        "ray/worker_restarts": workers.restarts, "ray/nodes": len({i["node"] for i in workers.info}),
                        "ddp/allreduces": results[0]["allreduces"], "ddp/allreduce_bytes": results[0]["allreduce_bytes"],
                        "ddp/allreduce_s": max(r["allreduce_s"] for r in results),
                        "ddp/steps": results[0]["steps"], "ddp/step_bytes": results[0]["step_bytes"],
                        "ddp/step_allreduce_s": max(r["step_s"] for r in results),
                        "ddp/learn_s_per_sample": max((r["ppo_s"] + r["muscle_s"] - r["allreduce_s"]) /
                                                      max(r["samples"], 1.0) for r in results)})
            diverging = check_sim_errors(stats, valid_steps, diverging, logger.console)
            if learner.iteration % cfg.checkpoint_every == 0:
                last = save()
                workers.restart(reseed(cfg.seed, learner.iteration))  # as learner=central: resume continues exactly
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


def _take_state(learner: Learner, state: dict) -> None:
    """The workers' committed networks, optimizers and generator into the driver's Learner (what a checkpoint
    keeps; the driver's torch RNG stays its own, as learner=central's)."""
    learner.agent.load_state_dict(state["agent"])
    learner.optimizer.load_state_dict(state["optimizer"])
    learner.muscle.net.load_state_dict(state["muscle"])
    learner.muscle.optimizer.load_state_dict(state["muscle_optimizer"])
    learner.generator.set_state(state["generator"])


def _join(summaries: list[dict]) -> tuple[RolloutStats, float]:
    """The workers' collection stats as one rollout's (rollout.concat's weighting) and its valid steps."""
    valid = [s["valid"] for s in summaries]
    total = max(sum(valid), 1.0)
    parts = [s["stats"] for s in summaries]
    info = {k: sum(w * p.info_means[k] for w, p in zip(valid, parts)) / total for k in parts[0].info_means}
    return RolloutStats(episode_returns=[x for p in parts for x in p.episode_returns],
                        episode_lengths=[x for p in parts for x in p.episode_lengths], info_means=info), sum(valid)
