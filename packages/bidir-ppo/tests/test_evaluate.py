"""evaluate over whole episodes: the gait measures on a synthetic gait of known cadence and step length, and
the CLI's JSON on a real env."""

import json

import numpy as np
import pytest
from bidir_ppo import evaluate


def synthetic_steps(seconds: float, control_hz: float, frequency: float, step_length: float, speed: float):
    """A gait of `frequency` cycles/s: each foot down (stance) 60 % of its cycle, the left half a cycle
    after the right, the striking foot `step_length` ahead of the other at each footfall."""
    t = np.arange(int(seconds * control_hz)) / control_hz
    frac = (t * frequency) % 1.0
    down_r, down_l = frac < 0.6, (frac + 0.5) % 1.0 < 0.6
    ahead = np.where(frac < 0.5, 1.0, -1.0) * step_length / 2  # right ahead after its strike, left after its own
    return {"distance": list(speed * t), "target_speed": [speed] * len(t), "cadence_ratio": [1.0] * len(t),
            "body_size": [1.0] * len(t),
            "foot_height_r": list(np.where(down_r, 0.03, 0.15)), "foot_height_l": list(np.where(down_l, 0.03, 0.15)),
            "foot_forward_r": list(speed * t + ahead), "foot_forward_l": list(speed * t - ahead)}


def test_footfalls_give_the_cadence_and_step_length_of_a_known_gait():
    hz, frequency = 30.0, 0.9  # 0.9 cycles/s = 108 steps/min
    steps = synthetic_steps(10.0, hz, frequency, step_length=0.7, speed=1.26)
    e = evaluate._episode(steps, ret=1.0, length=300, reached_end=True, control_hz=hz, duration=1 / frequency)
    assert e["cadence"] == pytest.approx(108.0, rel=0.01)
    assert e["step_length"] == pytest.approx(0.7, rel=1e-6)
    assert e["footfalls"] == pytest.approx(18, abs=1)  # 9 cycles x 2 feet
    assert e["speed"] == pytest.approx(1.26 * (299 / 300), rel=1e-6)  # the distance of 299 intervals over 300 steps
    assert e["reference_cadence"] == pytest.approx(108.0) and e["reference_step_length"] == pytest.approx(0.7)
    s = evaluate.summary([e, {**e, "reached_end": False, "cadence": float("nan")}])
    assert s["reached_end_fraction"] == 0.5 and s["mean_cadence"] == pytest.approx(e["cadence"])  # NaN left out
    assert s["cadence_ratio"] == pytest.approx(1.0, rel=0.01) and s["step_length_ratio"] == pytest.approx(1.0)


@pytest.mark.slow
def test_the_cli_measures_whole_episodes(tmp_path):
    out = tmp_path / "zero.json"
    assert evaluate.main(["--env", "pd", "--policy", "zero", "--episodes", "6", "--envs", "4", "--json", str(out)]) == 0
    r = json.loads(out.read_text())
    assert r["episodes"] == len(r["per_episode"]) == 6 and r["num_envs"] == 4 and r["horizon"] == 600
    # the zero-action ideal-torque body falls within seconds: no episode reaches the horizon
    assert r["reached_end_fraction"] == 0.0 and all(5 < e["length"] < 200 for e in r["per_episode"])
    assert r["mean_length"] == pytest.approx(np.mean([e["length"] for e in r["per_episode"]]))
    assert all(e["seconds"] == e["length"] / 30 and e["target_speed"] > 0.3 for e in r["per_episode"])
    assert 0 < r["mean_reference_cadence"] < 200 and 0.2 < r["mean_reference_step_length"] < 1.2
    # the same seed gives the same episodes
    again = tmp_path / "again.json"
    assert evaluate.main(["--env", "pd", "--policy", "zero", "--episodes", "6", "--envs", "4", "--json", str(again)]) == 0
    assert json.loads(again.read_text())["per_episode"] == r["per_episode"]


CONDITIONED = "base: pd\nenvironment:\n  parameters:\n    skeleton:\n      global: {min: 0.9, max: 1.1}\n"


def test_condition_fixes_a_condition_and_sweep_runs_the_grid(tmp_path):
    config = tmp_path / "conditioned.yaml"
    config.write_text(CONDITIONED)
    out = tmp_path / "sweep.json"
    args = ["--env", str(config), "--policy", "zero", "--episodes", "2", "--envs", "2"]
    assert evaluate.main([*args, "--condition", "skeleton.global=0.95", "--sweep", "--json", str(out)]) == 0
    r = json.loads(out.read_text())
    assert r["conditions"] == {"skeleton.global": 0.95}
    # the healthy body keeps the --condition values; then the one sampled condition at each end of its range
    assert [(row["condition"], row["value"]) for row in r["sweep"]] == [
        ("healthy", None), ("skeleton.global", 0.9), ("skeleton.global", 1.1)]
    assert all(0 < row["mean_length"] < 600 for row in r["sweep"])  # zero actions fall
    # a bigger body has a faster target (x sqrt(g)): the sweep's bodies differ
    assert r["sweep"][2]["mean_speed"] / r["sweep"][2]["speed_ratio"] > r["sweep"][1]["mean_speed"] / r["sweep"][1]["speed_ratio"]


def test_drawn_conditions_are_recorded_per_episode_and_ranked(tmp_path, capsys):
    config = tmp_path / "conditioned.yaml"
    config.write_text(CONDITIONED)
    out = tmp_path / "drawn.json"
    assert evaluate.main(["--env", str(config), "--policy", "zero", "--episodes", "6", "--envs", "3",
                          "--json", str(out)]) == 0
    r = json.loads(out.read_text())
    drawn = [e["conditions"]["skeleton.global"] for e in r["per_episode"]]
    assert all(0.9 <= g <= 1.1 for g in drawn) and len(set(drawn)) > 1  # each reset draws its own body
    assert [row["condition"] for row in r["condition_factors"]] == ["skeleton.global"]
    assert -1.0 <= r["condition_factors"][0]["spearman_length"] <= 1.0
    assert "what the falls depend on" in capsys.readouterr().out  # zero actions fall: the table is printed
    plain = tmp_path / "plain.json"  # a config that draws nothing records no conditions
    assert evaluate.main(["--env", "pd", "--policy", "zero", "--episodes", "1", "--json", str(plain)]) == 0
    p = json.loads(plain.read_text())
    assert "conditions" not in p["per_episode"][0] and p["condition_factors"] == []


def test_bad_conditions_are_errors(tmp_path, capsys):
    config = tmp_path / "conditioned.yaml"
    config.write_text(CONDITIONED)
    args = ["--env", str(config), "--policy", "zero", "--episodes", "1", "--envs", "1"]
    assert evaluate.main([*args, "--condition", "skeleton.Femur.left=0.9"]) == 2
    assert "unknown ['skeleton.Femur.left']" in capsys.readouterr().err
    assert evaluate.main([*args, "--condition", "skeleton.global=-1"]) == 2
    assert "positive ratio" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        evaluate.main([*args, "--condition", "skeleton.global"])
    assert "NAME=VALUE" in capsys.readouterr().err
    assert evaluate.main(["--env", "pd", "--policy", "zero", "--episodes", "1", "--sweep"]) == 2
    assert "samples no condition" in capsys.readouterr().err


def test_preset_runs_the_healthy_body_and_each_preset(tmp_path, capsys):
    config = tmp_path / "mixed.yaml"
    config.write_text("base: pd\nenvironment:\n  parameters:\n    torsion:\n      femur:\n"
                      "        left: {min: -0.3, max: 0.3, default: 0.0}\n        right: {min: -0.3, max: 0.3, default: 0.0}\n")
    out = tmp_path / "presets.json"
    args = ["--env", str(config), "--policy", "zero", "--episodes", "2", "--envs", "2"]
    assert evaluate.main([*args, "--preset", "in_toeing", "--preset", "out_toeing", "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["presets"]
    assert [r["condition"] for r in rows] == ["healthy", "in_toeing", "out_toeing"]
    assert all(0 < r["mean_length"] < 600 for r in rows)  # zero actions fall
    assert evaluate.main([*args, "--preset", "crouch"]) == 2  # its psoas is no condition of this task
    assert "muscle.Psoas.length" in capsys.readouterr().err
