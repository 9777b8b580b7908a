"""``python -m bidir_ppo.analyze``: recording a policy's episodes, the report's files (JSON, CSV, the figure),
the OpenSim export, and its errors."""

import csv
import json

import numpy as np
import pytest
from bidir_ppo import analyze
from bidir_ppo.evaluate import _Actor
from bidir_ppo.train import train
from bidir_sim import BatchEnv, build_task
from bidir_sim.gait import gait_report
from hydra import compose, initialize


@pytest.fixture(scope="module")
def assisted_records():
    """Two episodes of the zero-action ideal-torque body held up by the pelvis assist (a real walk, 6 s; at
    scale 1.5 it holds every seed tried, at 1 some fall)."""
    env = BatchEnv("pd", num_envs=2, num_threads=1, seed=0)
    env.set_assist_scale(1.5)
    records = analyze.record_episodes(env, _Actor("zero", None, env.single_action_space.shape[0]), seconds=6.0, seed=0)
    return env.task, records


@pytest.mark.slow
def test_record_episodes_gives_one_whole_record_per_env(assisted_records):
    task, records = assisted_records
    substeps = task.config.simulation.sim_hz // task.config.simulation.control_hz
    assert len(records) == 2
    for rec in records:
        assert rec["positions"].shape == (180 * substeps, task.model.num_dofs)  # 6 s at 30 Hz, every substep
        assert rec["time"][0] == 0.0 and np.all(np.diff(rec["time"]) > 0)


@pytest.mark.slow
def test_the_report_files_and_the_opensim_export(assisted_records, tmp_path):
    task, records = assisted_records
    report = gait_report(task.model, records, settle=1.0)
    analyze._write_outputs(tmp_path, report, report, "assisted pd", "again")
    data = json.loads((tmp_path / "report.json").read_text())  # strict JSON: no NaN or inf
    assert data["cycles"]["r"] >= 3 and data["compare"]["label"] == "again"
    assert set(data["comparison"]) >= {"hip_flexion", "knee_flexion", "ankle_dorsiflexion", "grf_vertical"}
    rows = list(csv.reader((tmp_path / "curves.csv").read_text().splitlines()))
    assert rows[0][0] == "phase_percent" and "knee_flexion_r_mean" in rows[0] and len(rows) == 102
    for ext in ("png", "pdf"):
        assert (tmp_path / f"report.{ext}").stat().st_size > 10_000
    files = analyze._export_opensim(tmp_path / "opensim", task, records[0])
    assert {p.suffix for p in files.values()} == {".mot", ".xml", ".sto"}
    assert all(p.exists() for p in files.values())


@pytest.mark.slow
def test_a_policy_that_cannot_walk_gets_a_clear_error(tmp_path, capsys):
    with initialize(version_base=None, config_path=None):
        cfg = compose(config_name="train", overrides=["envs=2", "ppo.num_steps=8", "ppo.num_minibatches=2",
                                                      "model.hidden=[16]", "wandb.mode=disabled", "env=pd",
                                                      "total_steps=16"])
    train(cfg, tmp_path / "run")
    code = analyze.main([str(tmp_path / "run"), "--episodes", "1", "--seconds", "3", "--out", str(tmp_path / "a")])
    assert code == 2
    assert "no complete gait cycle" in capsys.readouterr().err
    assert not (tmp_path / "a" / "report.json").exists()


@pytest.mark.parametrize("args", [["--episodes", "0"], ["--episodes", "1e9"], ["--seconds", "inf"],
                                  ["--seconds", "nan"], ["--settle", "-1"], ["--seed", "-1"], []])
def test_bad_arguments_are_refused_at_parse_time(args, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        analyze.main(["--env", "pd", "--policy", "zero", *args] + ([] if not args else ["--out", str(tmp_path)]))
    assert e.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_signatures_of_a_policy_that_cannot_walk_and_its_bad_arguments(tmp_path, capsys):
    from bidir_ppo import signatures

    mixed = tmp_path / "mixed.yaml"
    mixed.write_text("base: pd\nenvironment:\n  parameters:\n    torsion:\n      femur:\n"
                     "        left: {min: -0.3, max: 0.3, default: 0.0}\n        right: {min: -0.3, max: 0.3, default: 0.0}\n")
    with initialize(version_base=None, config_path=None):
        cfg = compose(config_name="train", overrides=["envs=2", "ppo.num_steps=8", "ppo.num_minibatches=2",
                                                      "model.hidden=[16]", "wandb.mode=disabled", f"env.name={mixed}",
                                                      "total_steps=16"])
    train(cfg, tmp_path / "run")
    out = tmp_path / "sig"
    args = [str(tmp_path / "run"), "--episodes", "1", "--seconds", "3", "--out", str(out)]
    assert signatures.main([*args, "--preset", "in_toeing"]) == 2  # the healthy body is the reference: it must walk
    assert "no complete gait cycle" in capsys.readouterr().err
    assert not (out / "signatures.json").exists()
    with pytest.raises(SystemExit):
        signatures.main([*args, "--preset", "limp"])
    assert "invalid choice: 'limp'" in capsys.readouterr().err


def test_the_body_to_fix_healthy_preset_or_drawn():
    """signatures measures its healthy reference on the healthy body: without ``healthy`` (or a preset) the
    conditions not given are drawn from the task's ranges, which on A2_wide is almost never that body."""
    task = build_task("A2_wide")
    defaults = {c.name: c.default for c in task.compiled.spec.conditions}
    assert analyze.body_conditions(task) == {}
    assert analyze.body_conditions(task, {"skeleton.global": 0.9}) == {"skeleton.global": 0.9}
    assert analyze.body_conditions(task, healthy=True) == defaults
    assert analyze.body_conditions(task, {"skeleton.global": 0.9}, healthy=True) == defaults | {"skeleton.global": 0.9}
    in_toeing = analyze.body_conditions(task, preset="in_toeing")
    assert in_toeing["torsion.femur.left"] == pytest.approx(0.1745) and in_toeing["skeleton.global"] == 1.0
