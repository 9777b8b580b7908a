"""Rebuilding a trained policy from a checkpoint directory alone: its env config and its agent. Used by
``bidir_ppo.evaluate`` and by bidir-viewer."""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from bidir_sim.envs import Task, build_task
from bidir_sim.envs.config import ACTUATOR_ACTIONS, EnvConfig, load_env_config, parse_env_config, shipped_configs
from bidir_sim.errors import CheckpointWarning, InputError

from .agent import Agent, has_obs_norm
from .checkpoint import FILES, Checkpoint, CheckpointError, state_dict_problem


def _meta(ckpt: Checkpoint, dotted: str, kind: type, default=None):
    """metadata.yaml's value at ``dotted`` (e.g. "config.model.hidden"), checked to be a ``kind``."""
    value = ckpt.metadata
    for key in dotted.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    if value is None:
        value = default
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        found = "missing" if value is None else f"must be a {kind.__name__}, got {value!r}"
        raise CheckpointError(str(ckpt.path / FILES["metadata"]), dotted, found)
    return value


def env_config(ckpt: Checkpoint) -> str | EnvConfig:
    """The env config the checkpoint was trained on: a shipped name, else the YAML text saved in
    metadata.yaml (parsed as if it still lay at its original path, so relative model paths resolve)."""
    name = _meta(ckpt, "config.env.name", str, default=_meta(ckpt, "env_config", str))
    if name in shipped_configs():
        return name
    text = _meta(ckpt, "env_config_text", str, default="")
    if not text:
        raise CheckpointError(str(ckpt.path / FILES["metadata"]), "env_config_text",
                              f"empty, and '{name}' is not a config bidir-sim ships")
    source = _meta(ckpt, "env_config_source", str, default=str(ckpt.path / FILES["metadata"]))
    return parse_env_config(text, source=source, name=Path(source).stem)


def check_dims(ckpt: Checkpoint, task: Task) -> None:
    """CheckpointError unless the checkpoint was trained with the observation and action sizes of ``task``
    (a policy for another env would otherwise fail deep inside torch, as a matrix shape error); a
    CheckpointWarning when it was trained under another actuator (same sizes, another meaning)."""
    meta = ckpt.metadata
    if (meta["obs_dim"], meta["action_dim"]) != (task.observation_dim, task.action_dim):
        raise CheckpointError(str(ckpt.path / FILES["metadata"]), "obs_dim",
                              f"the checkpoint was trained with obs/action dims {meta['obs_dim']}/{meta['action_dim']}, "
                              f"the env '{task.config.name}' has {task.observation_dim}/{task.action_dim}")
    trained = trained_actuator(ckpt)
    if trained is not None and trained != task.actuator:
        warnings.warn(f"{ckpt.path}: trained under skeleton.actuator {trained}, whose actions are "
                      f"{ACTUATOR_ACTIONS[trained]}; env '{task.config.name}' uses {task.actuator}, whose actions "
                      f"are {ACTUATOR_ACTIONS[task.actuator]}. The sizes match, the meaning does not: what the "
                      f"policy does there (and any figure measured) is that of a policy on a task it was not "
                      f"trained for, or, with init=, the starting point of a new training", CheckpointWarning,
                      stacklevel=2)


def trained_actuator(ckpt: Checkpoint) -> str | None:
    """The ``skeleton.actuator`` the checkpoint was trained under (None where its env config cannot be read)."""
    try:
        config = env_config(ckpt)
        return (load_env_config(config) if isinstance(config, str) else config).skeleton.actuator
    except InputError:
        return None


def env_task(ckpt: Checkpoint) -> Task:
    """The checkpoint's env config compiled, checked against the checkpoint's dims."""
    task = build_task(env_config(ckpt))
    check_dims(ckpt, task)
    return task


def build_agent(ckpt: Checkpoint, device: str | torch.device = "cpu", widen_to: Task | None = None) -> Agent:
    """The checkpoint's actor-critic, weights loaded; CheckpointError when agent.pt does not fit the
    dims and hidden sizes in metadata.yaml. With ``widen_to``, for that task's wider observation as ``init=``
    gives it (init_agent_state: zero weights for the new inputs, so the policy does not see them)."""
    meta = ckpt.metadata
    hidden = _meta(ckpt, "config.model.hidden", list)
    if not hidden or not all(isinstance(h, int) and not isinstance(h, bool) and 1 <= h <= 65536 for h in hidden):
        raise CheckpointError(str(ckpt.path / FILES["metadata"]), "config.model.hidden",
                              f"must be layer sizes in [1, 65536], got {hidden!r}" if hidden else "missing")
    obs_dim, act_dim = meta["obs_dim"], meta["action_dim"]
    state = ckpt.agent
    if widen_to is not None:
        state, _ = init_agent_state(ckpt, widen_to)
        obs_dim = widen_to.observation_dim
    agent = Agent(obs_dim, act_dim, hidden, torch.zeros(act_dim), obs_norm=has_obs_norm(ckpt.agent))
    try:
        agent.load_state_dict(state)
    except (RuntimeError, KeyError) as e:
        raise CheckpointError(str(ckpt.path / FILES["agent"]), "state_dict", state_dict_problem(e)) from None
    return agent.to(device).eval()


# The first layers of the agent: the ones that read the observation.
FIRST_LAYERS = ("critic.0.weight", "actor_mean.0.weight")


def init_agent_state(ckpt: Checkpoint, task: Task) -> tuple[dict, list[str]]:
    """The checkpoint's agent state_dict to start a new training on ``task`` (``init=``), and the names of the
    observation blocks it gained. With the same dims: as saved. With more observation inputs (a conditioned
    task, whose ``conditions`` block follows the checkpoint's observation): the checkpoint's observation layout
    must be the start of the task's, block for block; the actor's and the critic's first layers get zero weights
    for the new inputs, so the policy and the value start exactly as trained, and the observation statistics
    mean 0 and variance 1 for them. CheckpointError otherwise, naming the blocks."""
    meta = ckpt.metadata
    if meta["obs_dim"] == task.observation_dim or meta["action_dim"] != task.action_dim:
        check_dims(ckpt, task)
        return ckpt.agent, []
    where = str(ckpt.path / FILES["metadata"])
    try:
        trained = build_task(env_config(ckpt))
    except InputError as e:
        raise CheckpointError(where, "env_config", f"its env config cannot be read to widen the observation: {e}") \
            from None
    old, new = trained.compiled.observation_layout, task.compiled.observation_layout
    if trained.observation_dim != meta["obs_dim"] or list(new[:len(old)]) != list(old) or \
            task.observation_dim < trained.observation_dim:
        raise CheckpointError(where, "obs_dim",
                              f"the checkpoint's observation ({meta['obs_dim']}: {[b[0] for b in old]}) is not the "
                              f"start of the env '{task.config.name}''s ({task.observation_dim}: "
                              f"{[b[0] for b in new]}), so init= cannot add inputs for the new blocks")
    state = dict(ckpt.agent)
    extra = task.observation_dim - trained.observation_dim
    for key in FIRST_LAYERS:
        w = state[key]
        state[key] = torch.cat([w, torch.zeros(w.shape[0], extra, dtype=w.dtype)], dim=1)
    if has_obs_norm(state):
        state["obs_norm.mean"] = torch.cat([state["obs_norm.mean"], torch.zeros(extra, dtype=torch.float64)])
        state["obs_norm.var"] = torch.cat([state["obs_norm.var"], torch.ones(extra, dtype=torch.float64)])
    return state, [b[0] for b in new[len(old):]]
