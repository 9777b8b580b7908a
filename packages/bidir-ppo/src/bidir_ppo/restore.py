"""Rebuilding a trained policy from a checkpoint directory alone: its env config and its agent. Used by
``bidir_ppo.evaluate`` and by bidir-viewer."""

from __future__ import annotations

from pathlib import Path

import torch
from bidir_sim.envs.config import EnvConfig, parse_env_config, shipped_configs

from .agent import Agent
from .checkpoint import Checkpoint, CheckpointError, state_dict_problem


def env_config(ckpt: Checkpoint) -> str | EnvConfig:
    """The env config the checkpoint was trained on: a shipped name, else the YAML text saved in
    metadata.yaml (parsed as if it still lay at its original path, so relative model paths resolve)."""
    meta = ckpt.metadata
    name = meta.get("config", {}).get("env", {}).get("name", meta["env_config"])
    if name in shipped_configs():
        return name
    text = meta.get("env_config_text") or ""
    if not text:
        raise CheckpointError(str(ckpt.path / "metadata.yaml"), "env_config_text",
                              f"empty, and '{name}' is not a config bidir-sim ships")
    source = meta.get("env_config_source", str(ckpt.path / "metadata.yaml"))
    return parse_env_config(text, source=source, name=Path(source).stem)


def build_agent(ckpt: Checkpoint, device: str | torch.device = "cpu") -> Agent:
    """The checkpoint's actor-critic, weights loaded; CheckpointError when agent.pt does not fit the
    dims and hidden sizes in metadata.yaml."""
    meta = ckpt.metadata
    hidden = list(meta.get("config", {}).get("model", {}).get("hidden", []))
    if not hidden:
        raise CheckpointError(str(ckpt.path / "metadata.yaml"), "config.model.hidden", "missing")
    obs_dim, act_dim = int(meta["obs_dim"]), int(meta["action_dim"])
    agent = Agent(obs_dim, act_dim, hidden, torch.zeros(act_dim))
    try:
        agent.load_state_dict(ckpt.agent)
    except (RuntimeError, KeyError) as e:
        raise CheckpointError(str(ckpt.path / "agent.pt"), "state_dict", state_dict_problem(e)) from None
    return agent.to(device).eval()
