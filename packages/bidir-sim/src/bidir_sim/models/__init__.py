"""Musculoskeletal models: bidir's own parametric human, its YAML format, and MASS XML importers."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import ModelError
from .geometry import MusclePaths
from .human import human
from .mass_xml import load_mass_model, load_mass_muscles, load_mass_skeleton
from .spec import Body, Joint, Model, Muscle, Shape, Waypoint, validate
from .yaml_format import dump_model_yaml, load_model_yaml, parse_model_yaml, save_model

DEFAULT_MODEL_FILE = "default_model.yaml"

__all__ = ["Body", "Joint", "Model", "ModelError", "Muscle", "MusclePaths", "Shape", "Waypoint", "default_model_path",
           "dump_model_yaml", "human", "load_mass_model", "load_mass_muscles", "load_mass_skeleton", "load_model",
           "parse_model_yaml", "save_model", "standing_height", "validate"]


def default_model_path() -> Path:
    return Path(str(resources.files("bidir_sim") / "data" / DEFAULT_MODEL_FILE))


def load_model(name_or_path: str | Path, muscles: str | Path | None = None) -> Model:
    """Loads ``"default"`` (the shipped human), a bidir model YAML, or a MASS skeleton XML
    (optionally with a MASS muscle XML)."""
    if str(name_or_path) == "default":
        if muscles is not None:  # never ignore a file the user named
            raise ModelError("default", "muscles", f"the default model carries its own muscles; {muscles} "
                             "attaches only to a MASS skeleton .xml")
        return load_model_yaml(default_model_path())
    path = Path(name_or_path)
    if not path.exists():
        raise ModelError(str(path), "file", "does not exist (give 'default', a model .yaml or a MASS skeleton .xml)")
    if path.suffix.lower() in (".yaml", ".yml"):
        if muscles is not None:
            raise ModelError(str(path), "muscles", "a bidir model file carries its own muscles")
        return load_model_yaml(path)
    if path.suffix.lower() == ".xml":
        return load_mass_model(path, muscles)
    raise ModelError(str(path), "file", f"unknown model format '{path.suffix}' (expected .yaml or .xml)")


def standing_height(model: Model) -> float:
    """Height of the zero pose: top of the highest shape minus bottom of the lowest one."""
    T = model.native().forward_kinematics(np.zeros((1, model.num_dofs)))[0]
    ys = [(s.corners() @ T[i, :3, :3].T + T[i, :3, 3])[:, 1] for i, b in enumerate(model.bodies) for s in b.shapes]
    ys = np.concatenate(ys)
    return float(ys.max() - ys.min())
