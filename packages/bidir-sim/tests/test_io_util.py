"""The readers and writers every loader shares (bidir_sim.io_util): YAML aliases are refused before they
expand, text that is not UTF-8 and numbers YAML reads as strings are named with the file and line, and what
bidir writes (YAML without aliases, JSON without NaN or inf) reads back as written."""

import json

import numpy as np
import pytest
from bidir_sim.envs.config import CONFIG_DIR, load_env_config, parse_env_config
from bidir_sim.errors import ConfigError, ModelError
from bidir_sim.io_util import dump_yaml, json_safe, json_text, load_yaml
from bidir_sim.models import dump_model_yaml, human, load_model, parse_model_yaml
from bidir_sim.motion import load_bvh

BASE = dump_model_yaml(human())
A2_SEP = (CONFIG_DIR / "A2_sep.yaml").read_text()


# --- reading: aliases, encodings, numbers -------------------------------------------------------------------

LAUGHS = "".join(f"l{i + 1}: &l{i + 1} [*l{i}, *l{i}, *l{i}, *l{i}, *l{i}, *l{i}, *l{i}, *l{i}, *l{i}]\n"
                 for i in range(9))  # nine levels of nine: 9**9 strings once expanded


def test_yaml_aliases_are_refused_before_anything_expands(tmp_path):
    """'Billion laughs': a config or model whose value is a nested alias is refused at its first alias,
    naming the file and the line, instead of expanding it (8 GB and 75 s before)."""
    bomb = "l0: &l0 lol\n" + LAUGHS
    with pytest.raises(ConfigError, match=r"bomb.yaml: yaml: .*YAML aliases \(\*l0\) are not allowed"):
        parse_env_config(bomb + "environment:\n  skeleton: {file: *l9}\n", source="bomb.yaml")
    with pytest.raises(ModelError, match=r"model.yaml: line 2: invalid YAML \(YAML aliases \(\*l0\) are not allowed"):
        parse_model_yaml(bomb + "format: bidir-model/1\nbodies: *l9\n", "model.yaml")


def test_non_utf8_files_name_the_file_and_line(tmp_path):
    bad = b"format: bidir-model\nname: caf\xe9\n"
    for name, loader, error in (("m.yaml", load_model, ModelError), ("c.yaml", load_env_config, ConfigError),
                                ("w.bvh", load_bvh, ModelError)):
        path = tmp_path / name
        path.write_bytes(bad)
        with pytest.raises(error, match=rf"{name}: line 2: is not UTF-8 text \(byte 0xe9 at offset 29\)"):
            loader(path)


def test_numbers_yaml_reads_as_strings_say_so():
    with pytest.raises(ModelError, match=r"'mass' must be a number, got '1.0e30' \('1.0e30' is a string in YAML"):
        parse_model_yaml(BASE.replace("mass: 8.0424", "mass: 1.0e30", 1), "m.yaml")
    text = A2_SEP.replace("scale: 0.04", "scale: 4e-2")
    with pytest.raises(ConfigError, match=r"environment.action.scale: must be a finite number, got '4e-2' \("):
        parse_env_config(text, "c.yaml")


# --- writing: what bidir writes reads back as written --------------------------------------------------------

def test_what_bidir_writes_has_no_aliases():
    shared = [1.0, 2.0]
    text = dump_yaml({"a": shared, "b": shared})
    assert "&" not in text and load_yaml(text) == {"a": [1.0, 2.0], "b": [1.0, 2.0]}


def test_json_text_never_writes_non_finite_numbers():
    value = {"a": float("nan"), "b": [float("inf"), 1.0, (2, -float("inf"))], "c": np.float64("nan"), "d": 3}
    assert json_safe(value) == {"a": None, "b": [None, 1.0, [2, None]], "c": None, "d": 3}
    assert json.loads(json_text(value)) == json_safe(value)
