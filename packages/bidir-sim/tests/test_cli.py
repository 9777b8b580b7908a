import json
import subprocess
import sys


def run(*args):
    return subprocess.run([sys.executable, "-m", "bidir_sim", *args], capture_output=True, text=True, timeout=120,
                          check=False)


def test_info_default_json():
    out = run("info", "default", "--json")
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert info["num_bodies"] == 23 and info["num_dofs"] == 56
    assert 150 <= info["num_muscles"] <= 200
    assert abs(info["mass_kg"] - 72.0) < 0.72 and abs(info["height_m"] - 1.75) < 0.01


def test_info_mass(mass_dir):
    out = run("info", str(mass_dir / "human.xml"), "--muscles", str(mass_dir / "muscle284.xml"), "--json")
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert (info["num_bodies"], info["num_dofs"], info["num_muscles"]) == (23, 56, 284)


def test_info_bad_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: bidir-model\nversion: 1\nbodies: 3\n")
    out = run("info", str(bad))
    assert out.returncode == 2
    assert "bad.yaml: bodies: must be a non-empty list" in out.stderr
    assert "Traceback" not in out.stderr
