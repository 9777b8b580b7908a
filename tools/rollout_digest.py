"""A digest of deterministic rollouts, to show that a change leaves the physics bit for bit as it was.
usage: TREE/.venv/bin/python tools/rollout_digest.py [STEPS]     (run it with each tree's own Python; compare)
For A2_sep (muscles through the muscle network), pd and muscle (activations): 8 envs, seed 0, bench.py's Xavier
muscle weights and seeded random actions, STEPS control steps (autoresets included). Prints per config one SHA-256
over every observation, reward and termination flag, and one over a fixed set of info entries (by name, so a tree
that adds an entry still matches); two trees agree when the lines are the same."""
import hashlib
import sys
import warnings

import numpy as np
from bidir_sim import BatchEnv, _core
from bidir_sim.bench import xavier_state_dict

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 300
for config in ("A2_sep", "pd", "muscle"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        env = BatchEnv(config, num_envs=8, num_threads=1, seed=0)
    env.set_muscle_weights(xavier_state_dict(env.muscle_net))
    digest, info = hashlib.sha256(), {}
    obs, _ = env.reset(seed=0)
    digest.update(obs.tobytes())
    rng = np.random.default_rng(0)
    for _ in range(steps):
        action = rng.uniform(-1, 1, (8, *env.single_action_space.shape)).astype(np.float32)
        obs, reward, terminated, truncated, _ = env.step(action)
        for a in (obs, reward, terminated, truncated):
            digest.update(np.ascontiguousarray(a).tobytes())
        for k, name in enumerate(_core.INFO_NAMES):
            info.setdefault(name, hashlib.sha256()).update(np.ascontiguousarray(env.core.info[:, k]).tobytes())
    print(f"{config:8s} {steps} steps {digest.hexdigest()}", flush=True)
    shared = ("distance", "fall", "sim_error", "target_speed", "phase", "stride_ratio", "foot_height_r")
    print(f"{config:8s} info {hashlib.sha256(''.join(info[n].hexdigest() for n in shared).encode()).hexdigest()}")
