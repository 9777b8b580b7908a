"""Paired A/B of control-step throughput: tree A and tree B alternate, ROUNDS times, each run a fresh process.
usage: python tools/ab_bench.py A_TREE B_TREE [ROUNDS] [SECONDS] [JSON]   (each tree needs its own built .venv)
Cases: actuator muscle_net (A2_sep with skeleton.actuator: muscle_net), muscle_net_lower (A2_sep) and pd, each at
32 envs / 1 thread / batched (the lockstep path) and 1 env / 1 thread / per_env (groups of one), bench.py's
random actions and Xavier muscle weights. Prints steps/s per run and the median per tree with B/A, and writes them
to JSON when a path is given. Run it on an otherwise idle machine (docs/performance.md, "Method")."""
import json
import os
import statistics
import subprocess
import sys

CHILD = r'''
import json, sys, warnings
from bidir_sim.bench import _measure
from bidir_sim.envs.config import parse_env_config
seconds = float(sys.argv[1])
cases = {"muscle_net": "base: A2_sep\nenvironment:\n  skeleton: {actuator: muscle_net}\n",
         "muscle_net_lower": "base: A2_sep\n", "pd": "base: pd\n"}
for name, text in cases.items():
    cfg = parse_env_config(text, name=name)
    for n, mode in ((32, "batched"), (1, "per_env")):
        r = _measure(cfg, n, 1, mode, seconds)
        print(json.dumps({"case": f"{name} {n}/{mode}", "sps": r["sps"]}), flush=True)
'''
a, b = sys.argv[1], sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 4
seconds = sys.argv[4] if len(sys.argv) > 4 else "6"
json_path = sys.argv[5] if len(sys.argv) > 5 else None
env = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
runs = {}
for r in range(rounds):
    for tree in ((a, b) if r % 2 == 0 else (b, a)):  # alternate which goes first
        out = subprocess.run([f"{tree}/.venv/bin/python", "-c", CHILD, seconds], cwd="/tmp", env=env,
                             capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            row = json.loads(line)
            runs.setdefault(row["case"], {a: [], b: []})[tree].append(row["sps"])
            print(f"round {r + 1} {tree:24s} {row['case']:28s} {row['sps']:8.1f}", flush=True)
print(f"\n{'case':28s} {'A median':>9s} {'B median':>9s} {'B/A':>6s}   (A={a}, B={b})")
for case, by in runs.items():
    ma, mb = statistics.median(by[a]), statistics.median(by[b])
    print(f"{case:28s} {ma:9.1f} {mb:9.1f} {mb / ma:6.3f}")
if json_path:
    report = {"a": a, "b": b, "rounds": rounds, "seconds": float(seconds),
              "cases": {case: {"a": by[a], "b": by[b], "a_median": statistics.median(by[a]),
                               "b_median": statistics.median(by[b]),
                               "b_over_a": round(statistics.median(by[b]) / statistics.median(by[a]), 3)}
                        for case, by in runs.items()}}
    with open(json_path + ".tmp", "w") as f:
        json.dump(report, f, indent=1)
    os.replace(json_path + ".tmp", json_path)  # atomic: a killed run leaves no half-written report
