"""``python -m bidir_ppo.plot RUN_DIR``: learning curves from RUN_DIR/metrics.jsonl as PNGs in RUN_DIR/plots/,
and the first-vs-last iterations summary (also RUN_DIR/plots/summary.json).

    python -m bidir_ppo.plot RUN_DIR [--baseline zero.json] [--window 10]

``--baseline`` takes the JSON of ``python -m bidir_ppo.evaluate ... --json`` (e.g. a zero-action policy) and
draws its mean episode length and return as dashed lines."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from bidir_sim.arguments import Bounded
from bidir_sim.io_util import atomic_write_text

CURVES = (("return", "mean episode return"), ("length", "mean episode length (control steps)"),
          ("muscle/loss", "muscle-network loss"), ("sps", "env-steps per second"))
SUMMARY_KEYS = ("length", "return", "muscle/loss", "sps")


def read_metrics(run_dir: Path) -> list[dict]:
    path = run_dir / "metrics.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no metrics (is {run_dir} a bidir_ppo run directory?)")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _mean(values) -> float:
    values = [v for v in values if v is not None and not math.isnan(v)]
    return sum(values) / len(values) if values else float("nan")


def summary(rows: list[dict], window: int = 10) -> dict:
    """Mean of each key over the first and the last ``window`` iterations, and last / first."""
    out = {"iterations": len(rows), "global_step": rows[-1]["global_step"] if rows else 0, "window": window}
    for key in SUMMARY_KEYS:
        first = _mean(r.get(key) for r in rows[:window])
        last = _mean(r.get(key) for r in rows[-window:])
        out[key] = {"first": first, "last": last, "ratio": last / first if first else float("nan")}
    return out


def plot(run_dir: Path, baseline: dict | None = None) -> list[Path]:
    rows = read_metrics(run_dir)
    out_dir = run_dir / "plots"
    out_dir.mkdir(exist_ok=True)
    written = []
    for key, title in CURVES:
        points = [(r["global_step"], r[key]) for r in rows if r.get(key) is not None]
        if not points:
            continue
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.plot(*zip(*points), label="PPO (per iteration)")
        if baseline is not None and key in ("length", "return"):
            ax.axhline(baseline[f"mean_{key}"], ls="--", color="grey", label=f"{baseline['policy']}-action policy")
            ax.legend(loc="best", fontsize=8)
        ax.set(xlabel="env-steps", title=title)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        target = out_dir / f"{key.replace('/', '_')}.png"
        tmp = target.with_name(f".{target.stem}.tmp.png")
        fig.savefig(tmp, dpi=100)
        tmp.replace(target)
        plt.close(fig)
        written.append(target)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bidir_ppo.plot", description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--baseline", type=Path, help="JSON written by python -m bidir_ppo.evaluate --json")
    parser.add_argument("--window", type=Bounded(int, 1, 100_000), default=10,
                        help="iterations averaged at the start and the end (1 to 100000)")
    args = parser.parse_args(argv)
    try:
        baseline = json.loads(args.baseline.read_text()) if args.baseline else None
        for p in plot(args.run_dir, baseline):
            print(f"wrote {p}")
        s = summary(read_metrics(args.run_dir), args.window)
    except (FileNotFoundError, json.JSONDecodeError, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if baseline is not None:
        s["baseline"] = {k: baseline[k] for k in ("policy", "mean_length", "mean_return", "episodes")}
    atomic_write_text(args.run_dir / "plots" / "summary.json", json.dumps(s, indent=2) + "\n")
    print(f"{s['iterations']} iterations, {s['global_step']:,} env-steps; first {args.window} -> last {args.window}:")
    for key in SUMMARY_KEYS:
        v = s[key]
        print(f"  {key:12s} {v['first']:10.4g} -> {v['last']:10.4g}  (x{v['ratio']:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
