"""Env config files composed from others: a file's ``base:`` (a shipped config's name or a .yaml path relative
to the file) supplies every key the file does not state (docs/env-config.md, "Composing configs")."""

from __future__ import annotations

from pathlib import Path

import yaml

from ..errors import ConfigError
from ..io_util import load_yaml, read_input_text

MAX_CONFIG_FILE_BYTES = 2**20  # a config is a few kB
CONFIG_DIR = Path(__file__).resolve().parent.parent / "data" / "envs"


def shipped_configs() -> list[str]:
    """Names of the configs shipped with bidir-sim (``A2_sep``, ...)."""
    return sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))


def _base_source(base, source: str, key: str) -> Path:
    """The file a ``base:`` value names: a shipped config's name, or a .yaml path relative to ``source``'s folder."""
    if not isinstance(base, str) or not base or "\x00" in base:
        raise ConfigError(source, key, f"must be a shipped config's name or a .yaml path, got {base!r}")
    if not base.endswith((".yaml", ".yml")):
        if base not in shipped_configs():
            raise ConfigError(source, key, f"'{base}' is not a shipped config ({', '.join(shipped_configs())}); "
                              "a file's name ends in .yaml")
        return CONFIG_DIR / f"{base}.yaml"
    path = Path(base).expanduser()
    if not path.is_absolute() and not source.startswith("<"):
        path = Path(source).parent / path
    if not path.is_file():
        raise ConfigError(source, key, f"names {path}, which does not exist")
    return path


def _merged(base: dict, over: dict) -> dict:
    """``over`` on top of ``base``: mappings merge key by key, any other value replaces the base's."""
    out = dict(base)
    for k, v in over.items():
        out[k] = _merged(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _composed(doc, source: str, chain: tuple[str, ...]) -> dict:
    """The YAML document with its ``base:`` (docs/env-config.md, "Composing configs") resolved, recursively."""
    if not isinstance(doc, dict) or "base" not in doc:
        return doc
    path = _base_source(doc["base"], source, "base")
    if str(path.resolve()) in chain:
        raise ConfigError(source, "base", f"{path} is already in the chain of bases ({' -> '.join(chain)}): a cycle")
    text = read_input_text(path, ConfigError, MAX_CONFIG_FILE_BYTES, "env config")
    base = _composed(read_yaml(text, str(path)), str(path), (*chain, str(path.resolve())))
    if not isinstance(base, dict):
        raise ConfigError(str(path), "environment", "the root must be a mapping with the key 'environment'")
    return _merged(base, {k: v for k, v in doc.items() if k != "base"})


def read_yaml(text: str, source: str):
    try:
        return load_yaml(text)
    except yaml.YAMLError as e:
        raise ConfigError(source, "yaml", str(e).replace("\n", " ")) from None


def composed_text(path: str | Path) -> str:
    """An env config file's text as a checkpoint keeps it: the text itself, or for a file with a ``base:`` the
    composed document (bases resolved), so that the copy reads the same wherever the bases are not."""
    text = read_input_text(Path(path), ConfigError, MAX_CONFIG_FILE_BYTES, "env config")
    doc = read_yaml(text, str(path))
    if not isinstance(doc, dict) or "base" not in doc:
        return text
    chain = (str(Path(path).resolve()),)
    header = f"# {Path(path).name} with its base ({doc['base']}) resolved\n"
    return header + yaml.safe_dump(_composed(doc, str(path), chain), sort_keys=False, allow_unicode=True)


def composed_document(text: str, source: str):
    """The YAML document of an env config's text with its ``base:`` resolved relative to ``source``."""
    chain = () if source.startswith("<") else (str(Path(source).resolve()),)
    return _composed(read_yaml(text, source), source, chain)
