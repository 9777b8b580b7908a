"""Render gate: renders recipe/*/recipe.yaml against conda-forge's real global pinning (read from
../shared/fixtures/conda-forge-pinning, with the pytorch213 migration), with and without CF_CUDA_ENABLED,
and checks the outputs, the variant matrix, the noarch hashes and the compiler/sysroot pins.

    python ci/conda/render_gate.py [--pinning DIR]      # prints the matrix; exit 1 on any failed check

Offline and fast (well under a second). tests/test_conda_recipes.py runs the same checks in CI."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
RECIPES = ("bidir-sim", "bidir-ppo", "bidir-viewer")
DEFAULT_PINNING = ROOT.parent / "shared" / "fixtures" / "conda-forge-pinning"


@dataclass
class Rendered:
    recipe: str
    name: str
    version: str
    string: str
    noarch: str | None
    variant: dict
    build: list[str]
    host: list[str]
    run: list[str]
    entry_points: list[str]


@contextlib.contextmanager
def _cuda(enabled: bool):
    old = os.environ.get("CF_CUDA_ENABLED")
    if enabled:
        os.environ["CF_CUDA_ENABLED"] = "True"
    else:
        os.environ.pop("CF_CUDA_ENABLED", None)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("CF_CUDA_ENABLED", None)
        else:
            os.environ["CF_CUDA_ENABLED"] = old


def variant_config(pinning: Path, cuda: bool):
    """conda-forge's conda_build_config.yaml (its # [selectors] evaluated for linux-64) merged with the
    pytorch213 migration's variant keys."""
    from rattler_build import JinjaConfig, PlatformConfig, VariantConfig

    with _cuda(cuda):
        jinja = JinjaConfig(platform=PlatformConfig(target_platform="linux-64"))
        config = VariantConfig.from_conda_build_config(pinning / "conda_build_config.yaml", jinja)
    migration = yaml.safe_load((pinning / "pytorch213.yaml").read_text())
    keys = {k: v for k, v in migration.items() if isinstance(v, list)}  # not migrator_ts / __migrator
    return config.merge(VariantConfig.from_yaml(yaml.safe_dump(keys)))


def render(pinning: Path, cuda: bool, recipe_dir: Path = ROOT / "recipe") -> list[Rendered]:
    from rattler_build import PlatformConfig, RenderConfig, Stage0Recipe

    config = variant_config(pinning, cuda)
    out = []
    for recipe in RECIPES:
        stage0 = Stage0Recipe.from_file(recipe_dir / recipe / "recipe.yaml")
        with _cuda(cuda):
            variants = stage0.render(config, RenderConfig(platform=PlatformConfig(target_platform="linux-64")))
        for v in variants:
            r = v.recipe
            build = r.build.to_dict()
            out.append(Rendered(recipe, r.package.name, str(r.package.version), r.build.string,
                                build.get("noarch"), dict(r.used_variant), list(r.requirements.build),
                                list(r.requirements.host), list(r.requirements.run),
                                list(build.get("python", {}).get("entry_points", []))))
    return out


def check(rendered: list[Rendered], cuda: bool, versions: dict[str, str]) -> list[str]:
    """Returns the failed checks (empty: all good)."""
    problems = []
    by_name: dict[str, list[Rendered]] = {}
    for r in rendered:
        by_name.setdefault(r.name, []).append(r)
    if set(by_name) != set(RECIPES):
        problems.append(f"outputs {sorted(by_name)}, expected {sorted(RECIPES)}")
    for name, rs in by_name.items():
        for r in rs:
            if r.version != versions[name]:
                problems.append(f"{name}: version {r.version}, pyproject.toml says {versions[name]}")
    sim = by_name.get("bidir-sim", [])
    pythons = sorted({r.variant.get("python", "").split(".*")[0] for r in sim})
    procs = sorted({"cpu" if r.variant.get("cuda_compiler_version") == "None" else "cuda" for r in sim})
    expect_procs = ["cpu", "cuda"] if cuda else ["cpu"]
    if len(pythons) < 4:
        problems.append(f"bidir-sim: python variants {pythons}, expected conda-forge's 4 or more")
    if procs != expect_procs:
        problems.append(f"bidir-sim: variants {procs}, expected {expect_procs}")
    if len(sim) != len(pythons) * len(expect_procs):
        problems.append(f"bidir-sim: {len(sim)} variants, expected {len(pythons)} pythons x {expect_procs}")
    for r in sim:
        cuda_version = r.variant.get("cuda_compiler_version", "None")
        proc = "cpu" if cuda_version == "None" else "cuda" + cuda_version.replace(".", "")
        py = "py" + r.variant["python"].split(".*")[0].replace(".", "")
        if not r.string.startswith(f"{proc}_{py}_h") or not r.string.endswith("_0"):
            problems.append(f"bidir-sim: build string {r.string}, expected {proc}_{py}_h<hash>_0")
        gxx = "14" if proc != "cpu" else "15"
        for pin in (f"gxx_linux-64 {gxx}.*", f"gcc_linux-64 {gxx}.*", "sysroot_linux-64 2.17.*"):
            if pin not in r.build:
                problems.append(f"bidir-sim {r.string}: build deps {r.build} lack {pin}")
        if proc != "cpu" and not any(d.startswith("cuda-nvcc") for d in r.build):
            problems.append(f"bidir-sim {r.string}: a CUDA variant without the CUDA compiler")
        for key, value in (("libtorch", "2.13"), ("dartsim_cpp", "6.19")):
            if r.variant.get(key) != value:
                problems.append(f"bidir-sim {r.string}: variant {key}={r.variant.get(key)}, expected {value}")
        want = f"libtorch * {'cpu' if proc == 'cpu' else 'cuda'}*"
        if want not in r.host or "dartsim-cpp" not in r.host or "pybind11-abi" not in r.host:
            problems.append(f"bidir-sim {r.string}: host deps {r.host} lack libtorch/dartsim-cpp/pybind11-abi")
        if any(d.split()[0] in ("libtorch", "dartsim-cpp") for d in r.run):
            problems.append(f"bidir-sim {r.string}: hand-written ABI pin in run {r.run} (run_exports give it)")
    for name in ("bidir-ppo", "bidir-viewer"):
        rs = by_name.get(name, [])
        hashes = sorted({r.string for r in rs})
        if len(hashes) != 1:
            problems.append(f"{name}: {len(hashes)} noarch hashes {hashes}, expected exactly one")
        for r in rs:
            if r.noarch != "python":
                problems.append(f"{name}: noarch {r.noarch!r}, expected 'python'")
            if f"bidir-sim =={versions['bidir-sim']}" not in r.run:
                problems.append(f"{name}: run deps {r.run} lack bidir-sim =={versions['bidir-sim']}")
    viewer = by_name.get("bidir-viewer", [])
    if viewer and viewer[0].entry_points != ["bidir-viewer = bidir_viewer.cli:main"]:
        problems.append(f"bidir-viewer: entry points {viewer[0].entry_points}")
    return problems


def pyproject_versions() -> dict[str, str]:
    import tomllib

    return {name: tomllib.loads((ROOT / "packages" / name / "pyproject.toml").read_text())["project"]["version"]
            for name in RECIPES}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pinning", type=Path, default=DEFAULT_PINNING)
    args = p.parse_args(argv)
    if not (args.pinning / "conda_build_config.yaml").is_file():
        print(f"render gate skipped: no conda-forge pinning at {args.pinning}")
        return 0
    failed = []
    for cuda in (False, True):
        rendered = render(args.pinning, cuda)
        print(f"CF_CUDA_ENABLED={cuda}:")
        for r in rendered:
            print(f"  {r.name:13s} {r.version}  {r.string}")
        failed += [f"(CF_CUDA_ENABLED={cuda}) {x}" for x in check(rendered, cuda, pyproject_versions())]
    for x in failed:
        print("FAIL", x)
    print("render gate:", "failed" if failed else "all checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
