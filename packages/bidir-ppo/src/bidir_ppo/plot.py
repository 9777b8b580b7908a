"""``python -m bidir_ppo.plot RUN_DIR``: learning curves from RUN_DIR/metrics.jsonl as PNGs in RUN_DIR/plots/."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

CURVES = (("return", "mean episode return"), ("length", "mean episode length (control steps)"),
          ("muscle/loss", "muscle-network loss"), ("sps", "env-steps per second"))


def plot(run_dir: Path) -> list[Path]:
    path = run_dir / "metrics.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no metrics (is {run_dir} a bidir_ppo run directory?)")
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    out_dir = run_dir / "plots"
    out_dir.mkdir(exist_ok=True)
    written = []
    for key, title in CURVES:
        points = [(r["global_step"], r[key]) for r in rows if r.get(key) is not None]
        if not points:
            continue
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.plot(*zip(*points))
        ax.set(xlabel="env-steps", title=title)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        target = out_dir / f"{key.replace('/', '_')}.png"
        fig.savefig(target, dpi=100)
        plt.close(fig)
        written.append(target)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bidir_ppo.plot", description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", type=Path)
    args = parser.parse_args(argv)
    try:
        for p in plot(args.run_dir):
            print(f"wrote {p}")
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
