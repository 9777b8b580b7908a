"""The simulation side of the viewer: one environment driven by a checkpoint's policy, by zero actions, or
the reference motion played kinematically. It knows nothing of OpenGL; each control step yields a
``Frame``, the snapshot the renderer and the plots draw from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from bidir_sim import WalkEnv, load_muscle_weights

MODES = ("policy", "zero", "reference")


@dataclass
class Frame:
    """Everything drawn for one moment; arrays are copies the simulation no longer touches."""

    time: float                    # simulated time since the episode began, s
    positions: np.ndarray          # (dofs,) the simulated pose
    target: np.ndarray             # (dofs,) the PD target pose
    reference: np.ndarray          # (dofs,) the reference pose the target is built on
    activations: np.ndarray        # (muscles,) in [0, 1]
    passive: np.ndarray            # (muscles,) passive force / f0
    com: np.ndarray                # (3,)
    com_velocity: np.ndarray       # (3,)
    step_targets: np.ndarray       # (2, 3) stance-foot and swing-foot targets
    reward: float = 0.0
    episode_return: float = 0.0
    episode_length: int = 0
    info: dict[str, float] = field(default_factory=dict)
    # the episode's anatomical conditions (docs/conditions.md): name -> value; empty without
    conditions: dict[str, float] = field(default_factory=dict)
    # per muscle, f0 x this is its force (weakness below 1); None: every muscle healthy
    muscle_force_ratio: np.ndarray | None = None
    # a body scaled by skeleton conditions, drawn as the simulation has it: its bodies (BodySpec: shapes), their
    # world transforms (bodies, 4, 4) and its muscle waypoints (points, 3); None: the model's body at `positions`
    bodies: list | None = None
    body_transforms: np.ndarray | None = None
    muscle_points: np.ndarray | None = None


class Playback:
    """Steps one WalkEnv. ``mode``: "policy" (needs ``agent``; mean action unless ``sample``), "zero"
    (zero actions) or "reference" (the reference motion, no physics)."""

    def __init__(self, config, mode: str = "policy", agent=None, muscle_weights=None, seed: int = 0,
                 sample: bool = False, conditions: dict[str, float] | None = None):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if mode == "policy" and agent is None:
            raise ValueError("mode 'policy' needs a checkpoint's agent")
        self.env = WalkEnv(config)
        if muscle_weights is not None:
            load_muscle_weights(self.env.muscle_net, muscle_weights)
        self.mode, self.agent, self.sample, self.seed = mode, agent, sample, seed
        self.model = self.env.task.model
        self.f0 = np.array([m.f0 for m in self.model.muscles])
        self.task = self.env.task
        # conditions fixed at every reset (the others drawn as the config says); checked by the env at reset
        self.conditions = dict(conditions or {})
        specs = self.task.compiled.spec.conditions
        self._scaled = any(not c.target.startswith("muscle_") for c in specs)
        self._weakness = [(k, c.indices) for k, c in enumerate(specs) if c.target == "muscle_force"]
        self.control_dt = 1.0 / self.env.config.simulation.control_hz
        self.episodes = 0
        self.reset(seed)

    @property
    def muscle_names(self) -> list[str]:
        return [m.name for m in self.model.muscles]

    @property
    def reward_terms(self) -> list[str]:
        """The reward terms (``r_*`` info entries) of this task's reward; the others are constant."""
        return self.task.reward_terms

    def reset(self, seed: int | None = None) -> Frame:
        self._obs, _ = self.env.reset(seed=seed, options={"conditions": self.conditions} if self.conditions else None)
        self._time, self._return, self._length, self._reward = 0.0, 0.0, 0, 0.0
        self._info = {}
        if self.mode == "reference":
            self._pose_reference(0.0)
        self.frame = self._snapshot()
        return self.frame

    def step(self) -> Frame:
        """One control step (1 / control_hz s); a finished episode restarts at the next call."""
        if self.mode == "reference":
            self._time += self.control_dt
            self._pose_reference(self._time)
            self.frame = self._snapshot()
            return self.frame
        if self.frame.info.get("done"):
            self.episodes += 1
            self.reset()
        action = self._action()
        self._obs, reward, terminated, truncated, info = self.env.step(action)
        self._time += self.control_dt
        self._reward = float(reward)
        self._return += self._reward
        self._length += 1
        self._info = {k: float(v) for k, v in info.items() if k != "conditions"}
        self._info["done"] = float(terminated or truncated)
        self.frame = self._snapshot()
        return self.frame

    def _action(self) -> np.ndarray:
        if self.mode == "zero":
            return np.zeros(self.env.action_space.shape, np.float32)
        obs = torch.as_tensor(self._obs).unsqueeze(0)
        with torch.no_grad():
            if self.sample:
                action = self.agent.get_action_and_value(obs)[0]
            else:
                action = self.agent.mean_action(obs)
        return action[0].numpy().astype(np.float32)

    def _pose_reference(self, t: float) -> None:
        """Sets the simulation to the env's own reference pose at time t (the task interpolates it, ball
        joints as rotations, the root carried forward one stride per cycle)."""
        q = self.task.reference_pose(t / self.task.reference_duration)
        self.env.core.simulation.positions = q
        self.env.core.simulation.velocities = np.zeros_like(q)

    def _snapshot(self) -> Frame:
        core, sim = self.env.core, self.env.core.simulation
        q = np.array(sim.positions)
        passive = np.array(sim.update_muscles(False).passive_force) / self.f0
        if self.mode == "reference":
            target = reference = q
            activations = np.zeros(len(self.f0))
        else:
            target, reference, activations = np.array(core.target), np.array(core.reference_pose), np.array(core.activations)
        info = dict(self._info)
        values = np.asarray(core.conditions)
        conditions = dict(zip(self.task.conditions, values.tolist()))
        force = None
        if self._weakness:
            force = np.ones(len(self.f0))
            for k, muscles in self._weakness:
                force[muscles] *= values[k]
        scaled = {}
        if self._scaled:
            points = sim.muscle_anchor_points()
            scaled = {"bodies": sim.bodies, "body_transforms": np.array(sim.body_transforms()),
                      "muscle_points": np.vstack(points) if points else np.zeros((0, 3))}
        return Frame(conditions=conditions, muscle_force_ratio=force, **scaled,time=self._time, positions=q, target=target, reference=reference,
                     activations=activations, passive=passive, com=np.array(sim.center_of_mass),
                     com_velocity=np.array(sim.center_of_mass_velocity), step_targets=np.array(core.step_targets),
                     reward=self._reward, episode_return=self._return, episode_length=self._length, info=info)


def from_checkpoint(path: str | Path, mode: str = "policy", sample: bool = False, seed: int = 0,
                    conditions: dict[str, float] | None = None) -> Playback:
    """A Playback of a checkpoint directory (or a run directory: its latest checkpoint); raises
    CheckpointError (a ValueError) before anything is built when the checkpoint is missing or foreign."""
    from bidir_ppo import checkpoint, restore

    ckpt = checkpoint.load(path)
    task = restore.env_task(ckpt)  # checks the dims first
    return Playback(task, mode=mode, agent=restore.build_agent(ckpt), muscle_weights=ckpt.muscle, seed=seed,
                    sample=sample, conditions=conditions)
