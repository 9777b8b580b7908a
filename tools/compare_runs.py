"""Compares two runs of tools/walk_prefix.sh: metrics.jsonl rows 1..N (every key but the timings) and every
tensor of ckpt_N (agent.pt, muscle.pt, optimizers.pt) must be bit-identical. Prints IDENTICAL or each
difference; exits 1 on any. Usage: python tools/compare_runs.py OUT_A OUT_B [N]   (STAGES="pd muscle" by default)"""
import json
import os
import sys
from pathlib import Path

import torch
from bidir_ppo.checkpoint import FILES

a, b = Path(sys.argv[1]), Path(sys.argv[2])
n = int(sys.argv[3]) if len(sys.argv) > 3 else 20
TIMING = ("sps", "rollout_sps", "time/")
bad = 0

def flat(obj, prefix=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from flat(v, f"{prefix}{k}.")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from flat(v, f"{prefix}{i}.")
    else:
        yield prefix.rstrip("."), obj

for stage in os.environ.get("STAGES", "pd muscle").split():
    rows = [[json.loads(line) for line in (d / stage / "metrics.jsonl").read_text().splitlines()][:n] for d in (a, b)]
    assert len(rows[0]) == len(rows[1]) == n, (stage, len(rows[0]), len(rows[1]))
    for ra, rb in zip(*rows):
        for k in ra:
            if k.startswith(TIMING) or k in TIMING:
                continue
            if k not in rb or ra[k] != rb[k]:
                bad += 1
                print(f"{stage} it {ra['iteration']}: {k} {ra[k]} != {rb.get(k)}")
    for f in (FILES["agent"], FILES["muscle"], FILES["optimizers"]):
        ta = dict(flat(torch.load(a / stage / f"ckpt_{n}" / f, weights_only=True)))
        tb = dict(flat(torch.load(b / stage / f"ckpt_{n}" / f, weights_only=True)))
        if ta.keys() != tb.keys():
            bad += 1
            print(f"{stage} {f}: keys differ: {sorted(set(ta) ^ set(tb))[:10]}")
        for k in ta.keys() & tb.keys():
            va, vb = ta[k], tb[k]
            same = torch.equal(va, vb) if isinstance(va, torch.Tensor) else va == vb
            if not same:
                bad += 1
                print(f"{stage} {f}: {k} differs")
print("IDENTICAL" if bad == 0 else f"{bad} DIFFERENCES", f"(first {n} iterations of both stages)")
sys.exit(1 if bad else 0)
