import json
import subprocess
import sys

import pytest


def run(*args):
    return run_module("bidir_sim", *args)


@pytest.mark.slow
def test_info_default_json():
    out = run("info", "default", "--json")
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert info["num_bodies"] == 23 and info["num_dofs"] == 56
    assert 150 <= info["num_muscles"] <= 200
    assert abs(info["mass_kg"] - 72.0) < 0.72 and abs(info["height_m"] - 1.75) < 0.01


@pytest.mark.slow
def test_info_mass(mass_dir):
    out = run("info", str(mass_dir / "human.xml"), "--muscles", str(mass_dir / "muscle284.xml"), "--json")
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert (info["num_bodies"], info["num_dofs"], info["num_muscles"]) == (23, 56, 284)


@pytest.mark.slow
def test_info_bad_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: bidir-model\nversion: 1\nbodies: 3\n")
    out = run("info", str(bad))
    assert out.returncode == 2
    assert "bad.yaml: bodies: must be a non-empty list" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.slow
def test_info_env_config_json():
    out = run("info", "A2_sep", "--json")
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert (info["obs_dim"], info["action_dim"]) == (506, 51)
    assert (info["sim_hz"], info["control_hz"], info["horizon"]) == (480, 30, 600)
    assert (info["num_muscles"], info["muscle_nn_input_dim"]) == (156, 600)


@pytest.mark.slow
def test_info_bad_env_config_is_a_clear_error(tmp_path):
    bad = tmp_path / "env.yaml"
    bad.write_text("environment:\n  simulation: {sim_hz: 500, control_hz: 30}\n")
    out = run("info", str(bad))
    assert out.returncode == 2
    assert "environment.simulation.sim_hz: must be a multiple of control_hz" in out.stderr


@pytest.mark.slow
def test_capacity_report(tmp_path):
    out_file = tmp_path / "capacity.json"
    out = run_module("bidir_sim.capacity", "A2_sep", "--json", str(out_file))
    assert out.returncode == 0, out.stderr
    (report,) = json.loads(out_file.read_text())
    assert report["frames"] == 120 and 0.0 <= report["root_residual_fraction"] < 0.5
    assert set(report["groups"]) >= {"hip", "knee", "ankle", "toes", "trunk"}
    assert all(0.0 <= g["unmet_fraction"] <= 1.5 and g["tau_des_rms"] > 0 for g in report["groups"].values())
    bad = run_module("bidir_sim.capacity", "--mass", str(tmp_path))
    assert bad.returncode == 2 and "no human.xml" in bad.stderr


def run_module(module, *args):
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, timeout=300,
                          check=False)
