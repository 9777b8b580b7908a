"""The three packages install and import together, with one version."""

import importlib


def test_three_packages_import_with_one_version():
    versions = {name: importlib.import_module(name).__version__ for name in ("bidir_sim", "bidir_ppo", "bidir_viewer")}
    assert set(versions.values()) == {"0.1.0"}, versions


def test_extension_links_the_installed_libtorch():
    import bidir_sim
    import torch

    assert torch.__version__.startswith("2.13.0")
    assert bidir_sim.MuscleNet(4, 2, [8], 0.5).num_muscles == 2


def test_one_version_across_pyprojects_dependencies_and_recipes():
    import re
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    projects = {d: tomllib.loads((root / "packages" / d / "pyproject.toml").read_text())["project"]
                for d in ("bidir-sim", "bidir-ppo", "bidir-viewer")}
    version = projects["bidir-sim"]["version"]
    assert {p["version"] for p in projects.values()} == {version}
    for name in ("bidir-ppo", "bidir-viewer"):
        assert f"bidir-sim=={version}" in projects[name]["dependencies"]
    for name in projects:
        recipe = (root / "recipe" / name / "recipe.yaml").read_text()
        assert re.search(rf'^  version: "{re.escape(version)}"', recipe, re.MULTILINE), name
