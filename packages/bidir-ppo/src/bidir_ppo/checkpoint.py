"""Checkpoints: ``RUN_DIR/ckpt_<iteration>/`` directories, each written whole under a temporary name and
renamed into place, and ``RUN_DIR/ckpt``, a symlink to the latest, swapped atomically. A kill at any
moment leaves the previous checkpoint intact. Every file loads with ``torch.load(weights_only=True)``
(no pickled code runs) or ``bidir_sim.io_util.load_yaml`` (safe, without aliases).

A checkpoint's files are named in ``FILES``, the keys of its metadata.yaml in ``metadata``; docs/trainer.md,
"Checkpoints", describes both."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import torch
import yaml
from bidir_sim.envs.compose import composed_text
from bidir_sim.errors import CheckpointError
from bidir_sim.io_util import atomic_write_text, dump_yaml, load_yaml, read_input_text

# The files of one checkpoint, by the Checkpoint field that holds each: the one place their names are written.
FILES = {"agent": "agent.pt",            # the policy and value networks (actor_mean.*, critic.*, actor_logstd,
                                         # obs_norm.* with model.obs_norm)
         "muscle": "muscle.pt",          # the muscle network (fc.0/2/4/6.*)
         "optimizers": "optimizers.pt",  # both Adam states: {"agent", "muscle"}
         "state": "state.pt",            # the RNG states: {"torch_rng", "generator"}
         "metadata": "metadata.yaml"}    # see ``metadata``
WEIGHTS = ("agent", "muscle")  # the files of tensors only
LATEST = "ckpt"
KEPT = ".kept"  # the checkpoints a run keeps (checkpoint_every), one name a line
BEST = "best"  # a symlink to the checkpoint bidir_ppo.best chose; never deleted by keep_last


@dataclass
class Checkpoint:
    path: Path
    agent: dict
    muscle: dict
    optimizers: dict
    state: dict
    metadata: dict


def save(run_dir: Path, iteration: int, keep: bool, parts: dict[str, object], metadata: dict,
         keep_last: int | None = None) -> Path:
    """Writes ckpt_<iteration>/ (``parts``: the torch files' contents by their FILES key, e.g. "agent") and
    points ``ckpt`` at it. With ``keep`` it is listed in RUN_DIR/.kept; the
    checkpoint ``ckpt`` pointed at before is removed afterwards unless it is listed there. With ``keep_last``
    only the newest that many kept checkpoints stay (the ones ``ckpt`` and ``best`` point to always do); the list is
    rewritten atomically before anything is deleted."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    final = run_dir / f"ckpt_{iteration}"
    tmp = Path(tempfile.mkdtemp(prefix=f".ckpt_{iteration}.", dir=run_dir))
    try:
        for part, obj in parts.items():
            torch.save(obj, tmp / FILES[part])
        (tmp / FILES["metadata"]).write_text(dump_yaml(metadata, sort_keys=False))
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
    point(run_dir, LATEST, final.name)
    names = kept(run_dir)
    if keep and final.name not in names:
        names.append(final.name)
    dropped = []
    if keep_last is not None and len(names) > keep_last:
        best = (run_dir / BEST).resolve().name if (run_dir / BEST).is_symlink() else None  # bidir_ppo.best's
        dropped = [n for n in names[: len(names) - keep_last] if n not in (final.name, best)]
        names = [n for n in names if n not in dropped]
    _write_kept(run_dir, names)
    for name in dropped:
        shutil.rmtree(run_dir / name, ignore_errors=True)
    if previous is not None and previous != final.resolve() and previous.name not in names:
        shutil.rmtree(previous, ignore_errors=True)
    return final


def point(run_dir: Path, link: str, target: str) -> None:
    """Points the symlink RUN_DIR/``link`` at ``target`` (a name in RUN_DIR), swapped atomically."""
    tmp = Path(run_dir) / f".{link}.{os.getpid()}.link"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target)
    os.replace(tmp, Path(run_dir) / link)


def kept(run_dir: Path) -> list[str]:
    """The checkpoints RUN_DIR/.kept lists (those a run never deletes), oldest first."""
    path = Path(run_dir) / KEPT
    return path.read_text().split() if path.exists() else []


def keep(run_dir: Path, name: str) -> None:
    """Lists checkpoint ``name`` in RUN_DIR/.kept (rewritten atomically), so that a resumed run keeps it."""
    names = kept(run_dir)
    if name not in names:
        _write_kept(run_dir, [*names, name])


def _write_kept(run_dir: Path, names: list[str]) -> None:
    """RUN_DIR/.kept listing ``names``, one a line, written atomically."""
    atomic_write_text(Path(run_dir) / KEPT, "".join(n + "\n" for n in names))


def metadata(config: dict, task, iteration: int, global_step: int) -> dict:
    """metadata.yaml: the resolved training config, the env config (its name, file and self-contained text,
    from which ``restore`` rebuilds the env) and model file it used, the dims, the counters, the seed and the
    package versions."""
    return {"config": config, "env_config": task.config.name, "env_config_source": task.config.source,
            "env_config_text": env_config_text(task.config.source), "model": task.model.source,
            "obs_dim": task.observation_dim, "action_dim": task.action_dim, "iteration": iteration,
            "global_step": global_step, "seed": config["seed"], "versions": _versions()}


def env_config_text(source: str) -> str:
    """The env config file's self-contained text (its ``base:`` resolved); empty for a config not from a file."""
    return composed_text(source) if Path(source).is_file() else ""


def _versions() -> dict[str, str]:
    out = {}
    for pkg in ("bidir-sim", "bidir-ppo", "torch", "gymnasium"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "unknown"
    return out


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
    except Exception as e:  # noqa: BLE001 - damaged bytes raise whatever the unpickler trips on (IndexError, ...)
        raise CheckpointError(str(path), "file", f"not a bidir checkpoint file ({type(e).__name__}: "
                              f"{str(e)[:200]})") from None


MAX_METADATA_BYTES = 4 * 2**20  # the resolved config and the env config's text: a few kB


def _check_tensors(path: Path, state: dict) -> None:
    """Weights (agent.pt, muscle.pt) must be real, finite tensors: a NaN would only surface later as a torch
    Normal or shape error that names neither the file nor the tensor."""
    for key, value in state.items():
        if not isinstance(value, torch.Tensor):
            raise CheckpointError(str(path), str(key), f"is a {type(value).__name__}, expected a tensor")
        if not value.is_floating_point():
            raise CheckpointError(str(path), str(key), f"has dtype {value.dtype}, expected real floating point")
        if not torch.isfinite(value).all():
            bad = int((~torch.isfinite(value)).sum())
            raise CheckpointError(str(path), str(key), f"has {bad} NaN or infinite value(s) of {value.numel()}")


# What train.py and restore.py read from each file: its keys and their types.
_STRUCTURE = {"optimizers": {"agent": dict, "muscle": dict},
              "state": {"torch_rng": torch.Tensor, "generator": torch.Tensor}}
# key: (least, largest) value; a dim beyond 2**20 would only build a runaway network
_METADATA_INTS = {"obs_dim": (1, 2**20), "action_dim": (1, 2**20), "iteration": (0, 2**62), "global_step": (0, 2**62)}


def _check_structure(path: Path, part: str, value: dict) -> None:
    for key, kind in _STRUCTURE.get(part, {}).items():
        if not isinstance(value.get(key), kind):
            found = "missing" if key not in value else f"a {type(value[key]).__name__}"
            raise CheckpointError(str(path / FILES[part]), key, f"{found}, expected a {kind.__name__}")


def _check_metadata(meta_path: Path, metadata) -> None:
    if not isinstance(metadata, dict):
        raise CheckpointError(str(meta_path), "document", f"must be a mapping, got {type(metadata).__name__}")
    for key in ("config", "env_config", *_METADATA_INTS):
        if key not in metadata:
            raise CheckpointError(str(meta_path), key, "missing")
    for key, (least, largest) in _METADATA_INTS.items():
        value = metadata[key]
        if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= largest:
            raise CheckpointError(str(meta_path), key, f"must be an integer in [{least}, {largest}], got {value!r}")
    if not isinstance(metadata["config"], dict):
        raise CheckpointError(str(meta_path), "config", f"must be a mapping, got {type(metadata['config']).__name__}")


def load(path: str | os.PathLike) -> Checkpoint:
    """Reads a checkpoint directory (or RUN_DIR, meaning RUN_DIR/ckpt); raises CheckpointError naming the
    file and the problem. Runs no pickled code."""
    if not str(path).strip():
        raise CheckpointError(repr(str(path)), "directory", "is empty: give a checkpoint directory (RUN_DIR/ckpt) "
                              "or a run directory")
    if "\x00" in str(path):
        raise CheckpointError(repr(str(path)), "directory", "the path contains a NUL byte")
    path = Path(path)
    if (path / LATEST).exists() and not (path / FILES["agent"]).exists():
        path = path / LATEST
    if path.exists() and not path.is_dir():
        raise CheckpointError(str(path), "directory", f"is a file, not a checkpoint directory (a directory holding "
                              f"{', '.join(FILES.values())}; RUN_DIR/ckpt or RUN_DIR)")
    if not path.is_dir():
        raise CheckpointError(str(path), "directory", "does not exist")
    parts = {}
    for part, name in FILES.items():
        if part == "metadata":
            continue
        value = _load_torch(path / name)
        if not isinstance(value, dict):
            raise CheckpointError(str(path / name), "file", f"holds a {type(value).__name__}, expected a dict")
        if part in WEIGHTS:
            _check_tensors(path / name, value)
        _check_structure(path, part, value)
        parts[part] = value
    meta_path = path / FILES["metadata"]
    try:
        metadata = load_yaml(read_input_text(meta_path, CheckpointError, MAX_METADATA_BYTES, "metadata"))
    except yaml.YAMLError as e:
        raise CheckpointError(str(meta_path), "file", f"not valid YAML ({e})") from None
    _check_metadata(meta_path, metadata)
    return Checkpoint(path, **parts, metadata=metadata)
