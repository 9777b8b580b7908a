"""The cost of drawing skeleton conditions at every reset (issue #29: at most 5 % of 32-env throughput).
usage: .venv/bin/python tools/resample_bench.py [ROUNDS] [SECONDS] [JSON]
A2_skel and A2_wide at 32 envs / 1 thread / batched, with bench.py's random actions (which fall within a second,
so envs reset often: the worst case), once with `parameters.resample_steps: 0` (a new body at every reset) and once
with 10^9 (the first body kept), alternating ROUNDS times. Prints steps/s per run and the medians with the ratio;
writes them to JSON when a path is given. Run it on an otherwise idle machine (docs/performance.md, "Method")."""
import json
import statistics
import sys

from bidir_sim.bench import _measure
from bidir_sim.envs.config import parse_env_config

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 6.0
json_path = sys.argv[3] if len(sys.argv) > 3 else None
runs = {}
for r in range(rounds):
    for base in ("A2_skel", "A2_wide"):
        order = (0, 10**9) if r % 2 == 0 else (10**9, 0)  # alternate which goes first
        for steps in order:
            text = f"base: {base}\nenvironment:\n  parameters:\n    resample_steps: {steps}\n"
            result = _measure(parse_env_config(text, name=base), 32, 1, "batched", seconds)
            case = f"{base} resample_steps={steps}"
            runs.setdefault(case, []).append(result["sps"])
            print(f"round {r + 1} {case:36s} {result['sps']:8.1f}", flush=True)
summary = {}
for base in ("A2_skel", "A2_wide"):
    every, once = (statistics.median(runs[f"{base} resample_steps={s}"]) for s in (0, 10**9))
    summary[base] = {"every_reset_sps": every, "first_body_sps": once, "cost": 1.0 - every / once}
    print(f"{base}: every reset {every:.1f}, first body kept {once:.1f} steps/s: resampling costs "
          f"{100 * (1.0 - every / once):.1f} %")
if json_path:
    with open(json_path + ".tmp", "w") as f:
        json.dump({"rounds": rounds, "seconds": seconds, "runs": runs, "summary": summary}, f, indent=2)
    import os

    os.replace(json_path + ".tmp", json_path)
