"""The command line (python -m bidir_sim): info and capacity reports, and the paths and numbers it refuses."""

import json
import subprocess
import sys

import pytest
from bidir_sim.arguments import Bounded
from bidir_sim.envs import task as task_module


def run(*args):
    return run_module("bidir_sim", *args)


def info_on(path, text):
    """``info`` on a file holding ``text``."""
    path.write_text(text)
    return run("info", str(path))


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
    out = info_on(tmp_path / "bad.yaml", "format: bidir-model\nversion: 1\nbodies: 3\n")
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
    out = info_on(tmp_path / "env.yaml", "environment:\n  simulation: {sim_hz: 500, control_hz: 30}\n")
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


# --- paths and numbers on the command line -------------------------------------------------------------------

@pytest.mark.slow
def test_command_line_output_paths(tmp_path):
    r = subprocess.run([sys.executable, "-m", "bidir_sim", "generate", str(tmp_path)], capture_output=True,
                       text=True, timeout=120, check=False)
    assert r.returncode == 2 and f"{tmp_path} is a directory; give a file name" in r.stderr


@pytest.mark.parametrize("args", [["motion", "x.bvh", "--map", ""], ["motion", " "], ["info", "default", "--muscles", ""]])
def test_empty_paths_on_the_command_line_are_refused(args, capsys):
    # was: --map '' and --muscles '' read as not given
    from bidir_sim.__main__ import main

    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2 and "is empty; give a path" in capsys.readouterr().err


def test_bounded_argument_type():
    t = Bounded(int, 1, 120)
    assert t("30") == 30 and t.range_text == "[1, 120]"
    for bad, reason in (("0", "must be in [1, 120], got 0"), ("1e9", "'1e9' is not an integer"),
                        ("2.5", "is not an integer"), ("x", "is not an integer")):
        with pytest.raises(Exception, match=reason.replace("[", r"\[").replace("]", r"\]")):
            t(bad)
    f = Bounded(float, 0, 3600, low_open=True)
    assert f.range_text == "(0, 3600]" and f("1e-3") == 1e-3
    for bad in ("0", "inf", "nan", "-1", "1e9"):
        with pytest.raises(Exception, match=r"must be in \(0, 3600\]"):
            f(bad)
    assert task_module.MAX_REFERENCE_SPEED == 1000.0  # Simulation's kMaxSpeed (simulation_test.cpp)


def run_module(module, *args):
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, timeout=300,
                          check=False)
