"""Small file helpers shared by every reader and writer."""

from __future__ import annotations

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


def load_yaml(text: str):
    """yaml.safe_load without aliases (raises yaml.YAMLError on one, with its line)."""
    return yaml.load(text, Loader=_NoAliasLoader)


def dump_yaml(data, **kwargs) -> str:
    """yaml.safe_dump without aliases."""
    return yaml.dump(data, Dumper=_NoAliasDumper, **kwargs)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Writes ``text`` to ``path`` via a temporary file and rename: a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file the usual permissions
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
