"""``python -m bidir_ppo.signatures``: the pathology presets' gait signatures of a conditioned policy.

Records the checkpoint's policy (mean action, the plain task, no assist) on the healthy body and on each preset's
body (bidir_sim.envs.presets: the preset's conditions carried onto the checkpoint's task, every other condition
at its default), writes each body's gait report (as ``analyze`` does) to ``--out/<body>/``, and measures each
preset's signature against the healthy report (bidir_sim.gait.signatures), printed as a table and written to
``--out/signatures.json``.

    python -m bidir_ppo.signatures runs/walk-conditions/ckpt --out runs/walk-conditions/signatures
    python -m bidir_ppo.signatures CKPT --preset crouch --preset foot_drop --out sig
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
from bidir_sim.arguments import Bounded
from bidir_sim.gait import gait_report
from bidir_sim.gait.signatures import SIGNATURES, signature
from bidir_sim.io_util import atomic_write_text, json_safe

from .analyze import MAX_EPISODES, _write_outputs, run


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bidir_ppo.signatures", description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint", help="a conditioned policy's checkpoint (or run) directory")
    p.add_argument("--preset", action="append", choices=SIGNATURES, metavar="NAME",
                   help=f"a preset to measure (repeatable; default all: {', '.join(SIGNATURES)})")
    p.add_argument("--episodes", type=Bounded(int, 1, MAX_EPISODES), default=4, help="recorded episodes per body")
    p.add_argument("--seconds", type=Bounded(float, 1.0, 60.0), default=20.0, help="longest recorded episode in s")
    p.add_argument("--seed", type=Bounded(int, 0, 2**31 - 1), default=0)
    p.add_argument("--out", type=Path, required=True, help="output directory")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    presets = args.preset or list(SIGNATURES)
    results, reports = {}, {}
    for body in ("healthy", *presets):
        print(f"recording {body}: {args.episodes} episode(s) of up to {args.seconds:g} s ...", flush=True)
        try:
            task, records = run(args.checkpoint, None, "mean", args.episodes, args.seconds, args.seed, None,
                                preset=None if body == "healthy" else body, healthy=True)
            reports[body] = gait_report(task.model, records)
            _write_outputs(args.out / body, reports[body], None, f"{args.checkpoint}, {body}", None)
            if body != "healthy":  # needs the curves it compares: a side with no whole cycle has none
                results[body] = signature(body, reports[body], reports["healthy"])
        except ValueError as e:  # a bad checkpoint or preset; a body that never completes a gait cycle
            if body == "healthy":
                print(f"error: {e}", file=sys.stderr)
                return 2
            results[body] = {"error": str(e), "shown": False}
            print(f"  {body}: {e}")
    print("preset           signature                                             value  healthy  shown")
    for body, r in results.items():
        if "error" in r:
            print(f"{body:16s} not measured: {r['error']}")
            continue
        figure = next(k for k in r if k not in ("healthy", "difference", "expected", "shown"))
        print(f"{body:16s} {r['expected']:52s} {r[figure]:6.1f} {r['healthy']:8.1f}  {'yes' if r['shown'] else 'no'}")
    atomic_write_text(args.out / "signatures.json", json.dumps(json_safe(
        {"checkpoint": str(args.checkpoint), "episodes": args.episodes, "signatures": results}), indent=1) + "\n")
    print(f"wrote {args.out}/signatures.json and each body's report")
    return 0


if __name__ == "__main__":
    sys.exit(main())
