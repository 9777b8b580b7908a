"""``python -m bidir_sim.demo``: what bidir-sim does end to end today, in about ten seconds.

Builds the default human, evaluates its muscles and the walking reference, runs the libtorch muscle
network, drops the body onto the ground in DART (Bullet contacts), and runs the untrained A2_sep task.
"""

from __future__ import annotations

import time

import numpy as np

from . import _core
from .envs.task import shipped_task
from .models import MusclePaths, load_model
from .motion.walk import walking_reference
from .muscle_net import make_muscle_net


def main() -> None:
    t0 = time.perf_counter()
    model = load_model("default")
    print(f"model: {model.name}, {len(model.bodies)} bodies, {model.num_dofs} DoFs, {len(model.muscles)} muscles, "
          f"{model.total_mass:.1f} kg")

    ref = walking_reference(model)
    print(f"walking reference: stride {ref.stride:.2f} m, cadence {ref.cadence:.0f} steps/min, "
          f"{ref.speed:.2f} m/s, hip excursion x{ref.hip_scale:.2f} of normative")

    paths = MusclePaths(model)
    lengths = paths.lengths(ref.pose(np.linspace(0, 1, 31)))
    rel = lengths / lengths[0]
    print(f"muscle-tendon length over the cycle: {rel.min():.2f}..{rel.max():.2f} of the phase-0 length")

    task = shipped_task("A2_sep")  # the same compiled task gym.make uses below
    net = make_muscle_net(task)
    width = task.network_input_dim - task.num_actuated_dofs
    act = net.activations(np.random.default_rng(0).normal(0, 50, (32, width)).astype(np.float32),
                          np.random.default_rng(1).normal(0, 50, (32, task.num_actuated_dofs)).astype(np.float32))
    print(f"muscle network (libtorch, random weights): batch 32 -> activations in [{act.min():.2f}, {act.max():.2f}]")

    sim = _core.Simulation(model.native(), 1.0 / 480.0)
    sim.positions = ref.pose(0.0)
    print("passive drop from the walking pose (480 Hz, Bullet contacts, joint damping only):")
    steps = round(0.1 / sim.timestep)
    while sim.time < 2.0:
        start = time.perf_counter()
        sim.step(steps)
        rate = steps / (time.perf_counter() - start)
        com = sim.center_of_mass
        print(f"  t={sim.time:4.2f} s  COM height {com[1]:.3f} m  contacts {sim.num_contacts:2d}  ({rate:,.0f} steps/s)")
        if com[1] < 0.6:
            # Only the feet collide (as in MASS and the reference), so a collapsed body would sink through
            # the floor; the task's fall termination (COM below 0.6 m) ends an episode here.
            print("  fell: COM below 0.6 m, where an A2_sep episode terminates")
            break
    print("A2_sep task (gymnasium), untrained: zero residual actions, random muscle-network weights:")
    import gymnasium as gym

    env = gym.make("bidir_sim/A2_sep-v0")
    env.reset(seed=0)
    start, total = time.perf_counter(), 0.0
    for step in range(1, 301):
        _, reward, terminated, truncated, info = env.step(np.zeros(env.action_space.shape))
        total += reward
        if step % 10 == 0 or terminated or truncated:
            print(f"  step {step:3d}  phase {info['phase']:.2f}  reward {reward:.3f}  head {info['r_head_rot']:.2f}  "
                  f"energy {info['r_energy']:.2f}  mirrored {info['mirrored']!s:5}")
        if terminated or truncated:
            why = "fell" if info["fall"] else "sim error" if info["sim_error"] else "horizon"
            print(f"  episode over after {step} steps ({why}), return {total:.2f}: learning to walk is the trainer's job")
            break
    print(f"  {step / (time.perf_counter() - start):.0f} control steps/s (16 substeps each, one thread)")
    print(f"done in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
