"""``python -m bidir_ppo.best``: the best of a run's checkpoints by evaluation, not the one training stopped at.

Evaluates every checkpoint the run kept (RUN_DIR/.kept, one each ``checkpoint_every`` iterations) and its latest
(RUN_DIR/ckpt) with bidir_ppo.evaluate, the same episodes for each (the options after the run directory are
evaluate's: ``--episodes``, ``--env``, ``--range-scale``, ``--condition``, ``--seed``, ...), ranks them by the
fraction of episodes that reached the end, then by mean length, then the later iteration, and points RUN_DIR/best
at the winner (a symlink swapped atomically, as ``ckpt`` is). The winner is listed in RUN_DIR/.kept, so a resumed
run never deletes it. RUN_DIR/best.json holds every checkpoint's figures.

    python -m bidir_ppo.best runs/walk-conditions --episodes 64
    python -m bidir_ppo.best runs/walk/muscle --env examples/walk/muscle_task.yaml --episodes 32
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

from bidir_sim.arguments import input_path
from bidir_sim.io_util import atomic_write_text, json_text

from . import checkpoint, evaluate

# evaluate options that make no sense once per checkpoint: this writes its own JSON and ranks one figure
REFUSED = ("--json", "--sweep", "--preset")
FIGURES = ("reached_end_fraction", "mean_length", "speed_ratio", "mean_return")


def candidates(run_dir: Path) -> list[str]:
    """The names of RUN_DIR's kept checkpoints and its latest that exist, by iteration."""
    latest = run_dir / checkpoint.LATEST
    names = set(checkpoint.kept(run_dir)) | ({latest.resolve().name} if latest.is_symlink() else set())
    found = [n for n in names if re.fullmatch(r"ckpt_\d+", n) and (run_dir / n).is_dir()]
    return sorted(found, key=lambda n: int(n.split("_")[1]))


def rank_key(row: dict) -> tuple:
    """Reached the end first, then mean length, then the later iteration."""
    return row["reached_end_fraction"], row["mean_length"], row["iteration"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bidir_ppo.best", description=__doc__.split("\n\n")[0],
                                epilog="Other options are passed to bidir_ppo.evaluate (its --help).")
    p.add_argument("run_dir", type=input_path, help="a training run's directory (its ckpt_* and .kept)")
    args, rest = p.parse_known_args(argv)
    for option in REFUSED:
        if any(a == option or a.startswith(option + "=") for a in rest):
            p.error(f"{option}: not an option of bidir_ppo.best (it evaluates each checkpoint once and writes "
                    f"{checkpoint.BEST} and best.json)")
    run_dir = Path(args.run_dir)
    if not run_dir.is_dir():
        print(f"error: {run_dir}: not a directory (give a training run's directory)", file=sys.stderr)
        return 2
    names = candidates(run_dir)
    if not names:
        print(f"error: {run_dir}: no checkpoint (ckpt_N listed in {checkpoint.KEPT} or pointed at by "
              f"{checkpoint.LATEST})", file=sys.stderr)
        return 2
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for k, name in enumerate(names):
            print(f"[{k + 1}/{len(names)}] {name}", flush=True)
            out = Path(tmp) / f"{name}.json"
            code = evaluate.main([str(run_dir / name), *rest, "--json", str(out)])
            if code != 0:
                return code
            result = json.loads(out.read_text())
            rows.append({"checkpoint": name, "iteration": int(name.split("_")[1]),
                         **{f: result[f] for f in FIGURES}})
    best = max(rows, key=rank_key)
    checkpoint.keep(run_dir, best["checkpoint"])
    checkpoint.point(run_dir, checkpoint.BEST, best["checkpoint"])
    atomic_write_text(run_dir / "best.json", json_text({"evaluate_options": rest, "best": best["checkpoint"],
                                                       "checkpoints": rows}, indent=2) + "\n")
    print("checkpoint, reached the end, mean length, speed / target")
    for r in rows:
        mark = "  <- best" if r is best else ""
        print(f"  {r['checkpoint']:12s} {100 * r['reached_end_fraction']:5.0f} % {r['mean_length']:7.1f} "
              f"{100 * r['speed_ratio']:5.0f} %{mark}")
    print(f"{run_dir / checkpoint.BEST} -> {best['checkpoint']}; figures in {run_dir / 'best.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
