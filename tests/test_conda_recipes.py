"""The conda recipes rendered against conda-forge's real pinning (ci/conda/render_gate.py), and the gate
catching broken recipes. Skips when the pinning fixture or py-rattler-build is absent."""

import importlib.util
import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("rattler_build", reason="py-rattler-build not installed (make test installs it)")
spec = importlib.util.spec_from_file_location("render_gate", ROOT / "ci" / "conda" / "render_gate.py")
gate = importlib.util.module_from_spec(spec)
sys.modules["render_gate"] = gate
spec.loader.exec_module(gate)

PINNING = gate.DEFAULT_PINNING
pytestmark = pytest.mark.skipif(not (PINNING / "conda_build_config.yaml").is_file(),
                                reason=f"conda-forge pinning fixture absent ({PINNING})")


@pytest.mark.parametrize("cuda", [False, True])
def test_recipes_render_against_conda_forge_pinning(cuda):
    rendered = gate.render(PINNING, cuda)
    assert gate.check(rendered, cuda, gate.pyproject_versions()) == []
    sim = [r for r in rendered if r.name == "bidir-sim"]
    assert len(sim) == (8 if cuda else 4)  # conda-forge's 4 pythons x {cpu} or {cpu, cuda 12.9}
    assert {r.string for r in rendered if r.name != "bidir-sim"} == {rendered[-1].string}  # one noarch hash


def _broken_copy(tmp_path, recipe, old, new):
    shutil.copytree(ROOT / "recipe", tmp_path / "recipe")
    path = tmp_path / "recipe" / recipe / "recipe.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return tmp_path / "recipe"


@pytest.mark.parametrize(("recipe", "old", "new", "expected"), [
    ("bidir-viewer", "- bidir-viewer = bidir_viewer.cli:main", "- viewer = bidir_viewer.cli:main", "entry points"),
    ("bidir-sim", "    - gymnasium >=1.0\n", "    - gymnasium >=1.0\n    - libtorch >=2.13\n", "hand-written ABI pin"),
    ("bidir-ppo", "  noarch: python\n", "", "noarch"),
    ("bidir-sim", "    - ${{ stdlib('c') }}\n", "", "sysroot_linux-64 2.17"),
    ("bidir-ppo", 'version: "0.1.0"', 'version: "0.1.1"', "pyproject.toml says"),
])
def test_the_gate_catches_broken_recipes(tmp_path, recipe, old, new, expected):
    recipes = _broken_copy(tmp_path, recipe, old, new)
    problems = gate.check(gate.render(PINNING, False, recipes), False, gate.pyproject_versions())
    assert any(expected in p for p in problems), problems


def test_recipe_versions_match_the_packages():
    for name, version in gate.pyproject_versions().items():
        text = (ROOT / "recipe" / name / "recipe.yaml").read_text()
        assert re.search(rf'^  version: "{re.escape(version)}"', text, re.MULTILINE), name
