"""Checkpoints: ``RUN_DIR/ckpt_<iteration>/`` directories, each written whole under a temporary name and
renamed into place, and ``RUN_DIR/ckpt``, a symlink to the latest, swapped atomically. A kill at any
moment leaves the previous checkpoint intact. Every file loads with ``torch.load(weights_only=True)``
(no pickled code runs) or ``bidir_sim.io_util.load_yaml`` (safe, without aliases).

Layout of one checkpoint: ``agent.pt`` (actor_mean.*, critic.*, actor_logstd), ``muscle.pt`` (fc.0/2/4/6.*),
``optimizers.pt`` (both Adam states), ``state.pt`` (RNG states), ``metadata.yaml`` (the resolved training
config, the env config and model file it used, dims, iteration, global step, seed, package versions)."""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch
import yaml
from bidir_sim.errors import CheckpointError
from bidir_sim.io_util import atomic_write_text, dump_yaml, load_yaml

FILES = ("agent.pt", "muscle.pt", "optimizers.pt", "state.pt", "metadata.yaml")
LATEST = "ckpt"


@dataclass
class Checkpoint:
    path: Path
    agent: dict
    muscle: dict
    optimizers: dict
    state: dict
    metadata: dict


def save(run_dir: Path, iteration: int, keep: bool, files: dict[str, object], metadata: dict,
         keep_last: int | None = None) -> Path:
    """Writes ckpt_<iteration>/ and points ``ckpt`` at it. With ``keep`` it is listed in RUN_DIR/.kept; the
    checkpoint ``ckpt`` pointed at before is removed afterwards unless it is listed there. With ``keep_last``
    only the newest that many kept checkpoints stay (the one ``ckpt`` points to always does); the list is
    rewritten atomically before anything is deleted."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    final = run_dir / f"ckpt_{iteration}"
    tmp = Path(tempfile.mkdtemp(prefix=f".ckpt_{iteration}.", dir=run_dir))
    try:
        for name, obj in files.items():
            torch.save(obj, tmp / name)
        (tmp / "metadata.yaml").write_text(dump_yaml(metadata, sort_keys=False))
        for f in tmp.iterdir():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
        if final.exists():  # the same iteration saved again (e.g. Ctrl-C right after a save)
            shutil.rmtree(final)
        os.chmod(tmp, 0o755)  # mkdtemp makes it 0700
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    previous = (run_dir / LATEST).resolve() if (run_dir / LATEST).is_symlink() else None
    link_tmp = run_dir / f".{LATEST}.{os.getpid()}.link"
    link_tmp.unlink(missing_ok=True)
    link_tmp.symlink_to(final.name)
    os.replace(link_tmp, run_dir / LATEST)
    kept = run_dir / ".kept"
    names = kept.read_text().split() if kept.exists() else []
    if keep and final.name not in names:
        names.append(final.name)
    dropped = []
    if keep_last is not None and len(names) > keep_last:
        dropped = [n for n in names[: len(names) - keep_last] if n != final.name]
        names = [n for n in names if n not in dropped]
    atomic_write_text(kept, "".join(n + "\n" for n in names))
    for name in dropped:
        shutil.rmtree(run_dir / name, ignore_errors=True)
    if previous is not None and previous != final.resolve() and previous.name not in names:
        shutil.rmtree(previous, ignore_errors=True)
    return final



def state_dict_problem(error: Exception) -> str:
    """The telling line of torch's load_state_dict error (its first line only says that loading failed)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    detail = [line for line in lines[1:] if line.startswith(("size mismatch", "Missing key", "Unexpected key"))]
    return "; ".join(detail[:2]) if detail else (lines[0] if lines else type(error).__name__)


def _load_torch(path: Path):
    if not path.is_file():
        raise CheckpointError(str(path), "file", "does not exist")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, pickle.UnpicklingError, EOFError, OSError, ValueError) as e:
        raise CheckpointError(str(path), "file", f"not a bidir checkpoint file ({e})") from None


def load(path: str | os.PathLike) -> Checkpoint:
    """Reads a checkpoint directory (or RUN_DIR, meaning RUN_DIR/ckpt); raises CheckpointError naming the
    file and the problem. Runs no pickled code."""
    path = Path(path)
    if (path / LATEST).exists() and not (path / "agent.pt").exists():
        path = path / LATEST
    if not path.is_dir():
        raise CheckpointError(str(path), "directory", "does not exist")
    parts = {}
    for name in ("agent.pt", "muscle.pt", "optimizers.pt", "state.pt"):
        value = _load_torch(path / name)
        if not isinstance(value, dict):
            raise CheckpointError(str(path / name), "file", f"holds a {type(value).__name__}, expected a dict")
        parts[name] = value
    meta_path = path / "metadata.yaml"
    if not meta_path.is_file():
        raise CheckpointError(str(meta_path), "file", "does not exist")
    try:
        metadata = load_yaml(meta_path.read_text())
    except yaml.YAMLError as e:
        raise CheckpointError(str(meta_path), "file", f"not valid YAML ({e})") from None
    for key in ("config", "env_config", "obs_dim", "action_dim", "iteration", "global_step"):
        if not isinstance(metadata, dict) or key not in metadata:
            raise CheckpointError(str(meta_path), key, "missing")
    return Checkpoint(path, parts["agent.pt"], parts["muscle.pt"], parts["optimizers.pt"], parts["state.pt"],
                      metadata)
