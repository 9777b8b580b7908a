"""Builds the offline stand-in channel that the recipes are built and installed against (conda-forge is not
reachable from the project's machines). Never shipped; only ci/conda uses it.

- recipes under ci/conda/standin/ (rattler-build): python + python_abi (this machine's interpreter),
  the toolchain (Debian gcc/g++, cmake, ninja behind conda-forge's names), libtorch (from the torch wheel)
  and empty dartsim-cpp / eigen / pybind11-abi shims: the packages whose run_exports or activation matter;
- every other distribution installed in the running venv, converted as it is into a conda package under
  its conda-forge name (torch -> pytorch, whose torch/lib links to libtorch's files, so one libtorch loads).

    python ci/conda/standin.py CHANNEL_DIR
"""

from __future__ import annotations

import asyncio
import importlib.metadata as md
import os
import platform
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# PyPI name -> conda-forge name where they differ
CONDA_NAMES = {"torch": "pytorch", "matplotlib": "matplotlib-base", "antlr4-python3-runtime": "antlr-python-runtime",
               "glfw": "pyglfw", "pyopengl": "pyopengl", "pyyaml": "pyyaml", "gitpython": "gitpython"}
SKIP = {"bidir-sim", "bidir-ppo", "bidir-viewer", "py-rattler-build", "py-rattler", "ruff", "conda-package-handling",
        "pip-tools",
        "ray"}  # optional (rollout=ray; a run_constraint of bidir-ppo), in no recipe test, and 200 MB to convert


def conda_name(dist_name: str) -> str:
    n = re.sub(r"[-_.]+", "-", dist_name).lower()
    return CONDA_NAMES.get(n, n)


def _version(cmd: list[str], pattern: str = r"(\d+\.\d+(\.\d+)?)") -> str:
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return re.search(pattern, out).group(1)


def standin_env() -> dict[str, str]:
    torch_dir = Path(md.distribution("torch").locate_file("torch"))
    return {
        "STANDIN_PYTHON_HOME": sys.base_prefix,
        "STANDIN_PYTHON_VERSION": platform.python_version(),
        "STANDIN_PY": "{}.{}".format(*sys.version_info[:2]),
        "STANDIN_GCC_VERSION": _version(["gcc", "-dumpfullversion"]),
        "STANDIN_GLIBC_VERSION": platform.libc_ver()[1],
        "STANDIN_CMAKE_VERSION": _version(["cmake", "--version"]),
        "STANDIN_NINJA_VERSION": _version(["ninja", "--version"]),
        "STANDIN_TORCH_DIR": str(torch_dir),
        "STANDIN_TORCH_VERSION": md.version("torch").split("+")[0],
        "STANDIN_DART_VERSION": _version(["pkg-config", "--modversion", "dart"]),
        "STANDIN_EIGEN_VERSION": _version(["pkg-config", "--modversion", "eigen3"]),
    }


class Log:
    """rattler-build's progress callback: the build log goes to our stdout only on failure."""

    def __init__(self):
        self.lines: list[str] = []

    def on_log(self, event):
        self.lines.append(getattr(event, "message", str(event)))

    def __getattr__(self, name):  # other events (download, build steps) are ignored
        return lambda *a, **k: None


def build_recipes(channel: Path) -> None:
    from rattler_build import Stage0Recipe, ToolConfiguration

    for name in ("python", "toolchain", "shims", "libtorch"):
        t0 = time.perf_counter()
        log = Log()
        try:
            Stage0Recipe.from_file(HERE / "standin" / name / "recipe.yaml").run_build(
                tool_config=ToolConfiguration(test_strategy="skip"), output_dir=str(channel),
                channels=[channel.as_uri()], package_format="conda:1", progress_callback=log, no_build_id=True)
        except Exception:
            print("\n".join(log.lines[-80:]))
            raise
        print(f"  stand-in {name}: {time.perf_counter() - t0:.1f} s")


def _requirements(dist, present: set[str]) -> list[str]:
    """The dist's unconditional requirements (markers evaluated here, extras dropped), by conda name, without
    versions (the channel holds exactly one version of each)."""
    from packaging.requirements import Requirement

    out = set()
    for text in dist.requires or []:
        req = Requirement(text)
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        name = conda_name(req.name)
        if name in present:
            out.add(name)
    return sorted(out)


def convert_venv(channel: Path, site: Path, python_version: str) -> int:
    """Every distribution in ``site`` (but SKIP) as a linux-64 conda package of its installed files."""
    from rattler_build import assemble_package

    py = ".".join(python_version.split(".")[:2])
    dists = {conda_name(d.metadata["Name"]): d for d in md.distributions(path=[str(site)])}
    dists = {n: d for n, d in dists.items() if n not in SKIP and re.sub(r"[-_.]+", "-", d.metadata["Name"].lower()) not in SKIP}
    present = set(dists) | {"python"}
    count = 0
    for name, dist in sorted(dists.items()):
        with tempfile.TemporaryDirectory() as tmp:
            stage = Path(tmp) / "files"
            dest = stage / "lib" / f"python{py}" / "site-packages"
            for rel in dist.files or []:
                src = Path(dist.locate_file(rel))
                if not str(rel).startswith("..") and src.is_file():
                    target = dest / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    if name == "pytorch" and rel.parts[:2] == ("torch", "lib") and src.name != "libtorch_python.so":
                        target.symlink_to(os.path.relpath(stage / "lib" / src.name, target.parent))
                    else:
                        os.link(src, target) if _same_fs(src, stage) else shutil.copy2(src, target)
            if name == "pybind11":  # conda-forge's pybind11 puts its CMake config on the prefix
                (stage / "share" / "cmake").mkdir(parents=True)
                (stage / "share" / "cmake" / "pybind11").symlink_to(
                    f"../../lib/python{py}/site-packages/pybind11/share/cmake/pybind11")
            depends = [f"python {py}.*", *_requirements(dist, present)]
            version = dist.version.split("+")[0]
            if name == "pytorch":
                depends.append(f"libtorch =={version}")
            # conda-forge's pytorch build strings start with cpu_ or cuda..._ (bidir-sim selects on them)
            build_string = "cpu_generic_standin_0" if name == "pytorch" else "standin_0"
            assemble_package(name=name, version=version, target_platform="linux-64", build_string=build_string,
                             output_dir=str(channel / "linux-64"), files_dir=str(stage), depends=depends, compression_level=1,
                             detect_prefix=False, summary=f"stand-in: the installed {dist.metadata['Name']} wheel")
        count += 1
    return count


def _same_fs(a: Path, b: Path) -> bool:
    return a.stat().st_dev == b.stat().st_dev


def index(channel: Path) -> None:
    from rattler.index import index_fs

    asyncio.run(index_fs(channel, write_zst=False, write_shards=False))


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print(__doc__)
        return 2
    channel = Path(argv[0]).resolve()
    channel.mkdir(parents=True, exist_ok=True)
    os.environ.update(standin_env())
    t0 = time.perf_counter()
    build_recipes(channel)
    n = convert_venv(channel, Path(sysconfig.get_paths()["purelib"]), platform.python_version())
    index(channel)
    print(f"stand-in channel {channel}: {n} converted distributions, {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
