"""Small file helpers shared by every reader and writer."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import yaml


class _NoAliasLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses aliases (``*name``): bidir's files never need them, and nested aliases
    expand exponentially (a few hundred bytes can stand for gigabytes: "billion laughs")."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, f"YAML aliases (*{event.anchor}) are not allowed in "
                                              "bidir's files; write the value out", event.start_mark)
        return super().compose_node(parent, index)


class _NoAliasDumper(yaml.SafeDumper):
    """yaml.SafeDumper that writes a value seen twice out again instead of as an alias, so that what bidir
    writes loads with load_yaml."""

    def ignore_aliases(self, data):
        return True


def read_input_text(path: str | os.PathLike, error: type, max_bytes: int, kind: str) -> str:
    """The UTF-8 text of an input file, or ``error(path, element, reason)`` (an InputError subclass) when it
    is missing, a directory, larger than ``max_bytes`` (checked before reading), or not UTF-8."""
    return _decode(read_input_bytes(path, error, max_bytes, kind), str(path), error)


def read_input_bytes(path: str | os.PathLike, error: type, max_bytes: int, kind: str) -> bytes:
    src = str(path)
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            data = f.read(max_bytes + 1) if size <= max_bytes else None
    except FileNotFoundError:
        raise error(src, "file", "does not exist") from None
    except IsADirectoryError:
        raise error(src, "file", "is a directory, not a file") from None
    except OSError as e:
        raise error(src, "file", f"cannot be read: {e.strerror or e}") from None
    except ValueError:  # a NUL byte in the path (the input errors are ValueErrors too: none is raised in here)
        raise error(repr(src), "file", "the path contains a NUL byte") from None
    if data is None:
        raise error(src, "file", f"is {size / 2**20:.1f} MiB; {kind} files are limited to "
                    f"{max_bytes / 2**20:g} MiB (docs/reliability.md)")
    return data


def _decode(data: bytes, src: str, error: type) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise error(src, f"line {line}", f"is not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start}); "
                    "save the file as UTF-8") from None


def yaml_string_hint(value) -> str:
    """For a YAML string that reads as a number ('1.0e30', '1e15': YAML 1.1 needs the exponent's sign):
    the sentence that tells the user how to write it; otherwise ''."""
    if not isinstance(value, str):
        return ""
    try:
        float(value)
    except ValueError:
        return ""
    return f" ('{value}' is a string in YAML: an exponent needs its sign and a dot, e.g. 1.0e+30)"


def load_yaml(text: str):
    """yaml.safe_load without aliases (raises yaml.YAMLError on one, with its line)."""
    return yaml.load(text, Loader=_NoAliasLoader)


def dump_yaml(data, **kwargs) -> str:
    """yaml.safe_dump without aliases."""
    return yaml.dump(data, Dumper=_NoAliasDumper, **kwargs)


def json_safe(value):
    """NaN and infinities as null (JSON has neither), in nested dicts, lists and tuples too; numpy scalars
    as Python numbers."""
    if hasattr(value, "item") and getattr(value, "shape", None) == ():  # a numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def json_text(value, **kwargs) -> str:
    """``json.dumps`` of ``json_safe(value)``: valid JSON always (``allow_nan=False`` guards the rule)."""
    return json.dumps(json_safe(value), allow_nan=False, **kwargs)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Writes ``text`` to ``path`` via a temporary file and rename: a crash never leaves half a file."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Writes ``data`` to ``path`` via a temporary file and rename: a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file the usual permissions
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
