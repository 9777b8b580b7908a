"""Metrics of each iteration to three places: a live line on the console (rich), ``metrics.jsonl`` in
the run directory (one JSON object per line, flushed each iteration), and wandb."""

from __future__ import annotations

import json
import math
from pathlib import Path

from bidir_sim.io_util import json_safe  # the one definition; analyze and evaluate import it from here
from rich.console import Console

SHOWN = (("return", "ret {:.2f}"), ("length", "len {:.0f}"), ("muscle/loss", "mloss {:.4f}"),
         ("ppo/approx_kl", "kl {:.4f}"), ("time/rollout", "roll {:.1f}s"), ("time/ppo", "ppo {:.1f}s"),
         ("time/muscle", "mus {:.1f}s"), ("assist/scale", "assist {:.2f}"))
HIDDEN_WHEN_ZERO = {"assist/scale"}  # shown only while the training aid is on




class MetricsLogger:
    def __init__(self, run_dir: Path, config: dict, wandb_mode: str, project: str, total_steps: int):
        Path(run_dir).mkdir(parents=True, exist_ok=True)
        self.path = Path(run_dir) / "metrics.jsonl"
        self.console = Console(highlight=False)
        self.total_steps = total_steps
        self.wandb = None
        if wandb_mode != "disabled":
            import wandb

            self.wandb = wandb.init(project=project, mode=wandb_mode, dir=str(run_dir), config=config,
                                    name=Path(run_dir).name)

    def log(self, metrics: dict) -> None:
        clean = json_safe(metrics)
        with open(self.path, "a") as f:
            f.write(json.dumps(clean) + "\n")
        if self.wandb is not None:
            self.wandb.log({k: v for k, v in clean.items() if v is not None}, step=metrics["global_step"])
        shown = " ".join(fmt.format(metrics[k]) for k, fmt in SHOWN
                         if isinstance(metrics.get(k), (int, float)) and math.isfinite(metrics[k])
                         and not (k in HIDDEN_WHEN_ZERO and metrics[k] == 0))
        terms = " ".join(f"{k[2:]} {v:.3f}" for k, v in metrics.items() if k.startswith("r_") and v)
        pct = 100.0 * metrics["global_step"] / self.total_steps
        self.console.print(f"[bold]it {metrics['iteration']}[/] {metrics['global_step']:,} steps ({pct:.1f} %) "
                           f"{metrics['sps']:.0f} sps | {shown} | {terms}", soft_wrap=True)  # never cropped in logs

    def close(self) -> None:
        if self.wandb is not None:
            self.wandb.finish()
