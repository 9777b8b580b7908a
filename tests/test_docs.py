"""The docs cover what the code accepts."""

import dataclasses
import typing
from pathlib import Path

from bidir_sim.envs.config import IGNORED, EnvConfig

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _keys(cls, prefix=""):
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.name in ("name", "source", "horizon"):
            continue
        if dataclasses.is_dataclass(hints[f.name]):
            yield from _keys(hints[f.name], f"{prefix}{f.name}.")
        else:
            yield prefix + f.name


def test_env_config_page_documents_every_key():
    page = (DOCS / "env-config.md").read_text()
    missing = [k for k in _keys(EnvConfig) if f"`{k}`" not in page]
    assert not missing, f"docs/env-config.md lacks {missing}"
    assert "`Horizon:`" in page
    for k in IGNORED:
        assert f"`{k.removeprefix('environment.')}`" in page


def test_env_config_page_documents_every_info_key():
    from bidir_sim import _core

    page = (DOCS / "env-config.md").read_text()
    missing = [k for k in _core.INFO_NAMES if f"`{k}`" not in page]
    assert not missing, f"docs/env-config.md lacks info keys {missing}"


def test_viewer_page_documents_every_option():
    from bidir_viewer.cli import parser

    page = (DOCS / "viewer.md").read_text()
    options = [o for a in parser()._actions for o in a.option_strings if o.startswith("--") and o != "--help"]
    missing = [o for o in options if f"`{o}" not in page]
    assert not missing, f"docs/viewer.md lacks {missing}"


def test_readme_links_point_at_files():
    import re

    root = DOCS.parent
    for page in (root / "README.md", *DOCS.glob("*.md")):
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if not target.startswith(("http://", "https://")):
                assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
