"""The three packages install and import together, with one version."""

import importlib


def test_three_packages_import_with_one_version():
    versions = {name: importlib.import_module(name).__version__ for name in ("bidir_sim", "bidir_ppo", "bidir_viewer")}
    assert set(versions.values()) == {"0.1.0"}, versions


def test_extension_links_the_installed_libtorch():
    import bidir_sim
    import torch

    assert torch.__version__.startswith("2.13.0")
    assert bidir_sim._core.MuscleNet(4, 2).num_muscles == 2
