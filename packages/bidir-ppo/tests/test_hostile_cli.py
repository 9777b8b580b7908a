"""Hostile input, second round (issue #31), on bidir-ppo's surfaces: evaluate's arguments, the trainer's path
keys, max_minutes, the assist's range, runs that diverge, checkpoints of another actuator, Ray settings."""

import json
import math

import pytest
from bidir_ppo import checkpoint, evaluate
from bidir_ppo import train as train_module
from bidir_ppo.ray_source import RolloutFailed
from bidir_ppo.train import SimulationDiverging, train
from bidir_sim.envs import task as task_module
from bidir_sim.errors import CheckpointError, CheckpointWarning
from hydra import compose, initialize

TINY = ["envs=2", "ppo.num_steps=8", "ppo.num_minibatches=2", "model.hidden=[16,16]", "wandb.mode=disabled",
        "muscle.minibatch_size=8", "seed=3"]


def config(*overrides):
    with initialize(version_base=None):
        return compose(config_name="train", overrides=[*TINY, *overrides])


@pytest.fixture(scope="module")
def a2_ckpt(tmp_path_factory):
    """A tiny A2_sep (muscle_net_lower) checkpoint."""
    return train(config("total_steps=16"), tmp_path_factory.mktemp("a2"))


# --- evaluate's arguments: a range each, checked at parse time -------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--episodes", "1000000000"], "argument --episodes: must be in [1, 10000], got 1000000000"),  # was: no bound
    (["--episodes", "1e9"], "argument --episodes: '1e9' is not an integer"),
    (["--episodes", "0"], "argument --episodes: must be in [1, 10000]"),
    (["--envs", "100000"], "argument --envs: must be in [1, 1024]"),
    (["--threads", "1000"], "argument --threads: must be in [1, 256]"),
    (["--seed", "-1"], "argument --seed: must be in [0, 2147483647], got -1"),
    (["--seed", "nan"], "argument --seed: 'nan' is not an integer"),
])
def test_evaluate_numbers_are_bounded_at_parse_time(args, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        evaluate.main(["--env", "A2_sep", "--policy", "zero", *args])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_evaluate_checkpoint_paths(tmp_path, capsys):
    with pytest.raises(SystemExit):
        evaluate.main([""])
    assert "argument checkpoint: is empty; give a path" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        evaluate.main(["--env", " ", "--policy", "zero"])
    assert "argument --env: is empty; give a path" in capsys.readouterr().err
    a_file = tmp_path / "agent.pt"
    a_file.write_bytes(b"x")
    assert evaluate.main([str(a_file), "--episodes", "1"]) == 2  # was: "does not exist" (it exists)
    assert f"{a_file}: directory: is a file, not a checkpoint directory" in capsys.readouterr().err


@pytest.mark.slow
def test_a_checkpoint_of_another_actuator_warns_and_says_what_the_numbers_mean(a2_ckpt, tmp_path, capsys):
    # was: cadence 225 steps/min, step length -0.22 m, without a word
    out = tmp_path / "on_torque.json"
    assert evaluate.main([str(a2_ckpt), "--env", "torque", "--episodes", "1", "--json", str(out)]) == 0
    err = capsys.readouterr().err
    assert "warning: " in err and "trained under skeleton.actuator muscle_net_lower" in err and "uses torque" in err
    assert "joint torques" in err and "a task it was not trained for" in err
    result = json.loads(out.read_text())
    assert len(result["warnings"]) == 1 and "muscle_net_lower" in result["warnings"][0]
    # the same checkpoint on its own actuator: no warning
    assert evaluate.main([str(a2_ckpt), "--env", "A_sep", "--episodes", "1"]) == 0
    assert "warning" not in capsys.readouterr().err


@pytest.mark.slow
def test_a_warm_start_across_actuators_warns(a2_ckpt, tmp_path):
    with pytest.warns(CheckpointWarning, match="trained under skeleton.actuator muscle_net_lower, .* env 'pd' uses pd, "):
        train(config("env=pd", "total_steps=16", f"init={a2_ckpt}"), tmp_path)


# --- the trainer's path keys and max_minutes ------------------------------------------------------------------

@pytest.mark.parametrize("key", ["init", "resume", "run_dir"])
@pytest.mark.parametrize("value", ["''", "' '"])
def test_empty_paths_are_refused(key, value, tmp_path):
    # was: init= and resume= ran as if not given
    with pytest.raises(ValueError, match=f"config key '{key}': is empty: give a directory, or leave the key out"):
        train(config("total_steps=16", f"{key}={value}"), tmp_path)
    assert not (tmp_path / "metrics.jsonl").exists()


@pytest.mark.parametrize("key", ["init", "resume"])
@pytest.mark.slow
def test_a_file_is_not_a_checkpoint_directory(key, a2_ckpt, tmp_path):
    with pytest.raises(CheckpointError, match=rf"agent.pt: directory: is a file, not a checkpoint directory .*\(config "
                                              rf"key '{key}'\)"):
        train(config("total_steps=16", f"{key}={a2_ckpt / 'agent.pt'}"), tmp_path)


@pytest.mark.slow
def test_max_minutes_always_runs_the_iteration_in_which_the_time_passes(tmp_path):
    # was: max_minutes=1e-9 ran zero iterations
    train(config("total_steps=160", "max_minutes=1e-9"), tmp_path)
    assert len((tmp_path / "metrics.jsonl").read_text().splitlines()) == 1
    assert checkpoint.load(tmp_path).metadata["iteration"] == 1
    for bad in ("1e300", "inf", "0"):
        with pytest.raises(ValueError, match="config key 'max_minutes': must be (> 0.0|<= 1000000.0|a finite number)"):
            train(config("total_steps=16", f"max_minutes={bad}"), tmp_path / bad)


# --- the assist's range and runs that diverge -------------------------------------------------------------------

def test_the_assist_scale_stops_where_the_physics_does(tmp_path):
    # was: assist.scale=5 on env=pd ended 87 % of the steps in sim_error, and the run exited 0
    with pytest.raises(ValueError, match=r"config key 'assist.scale': must be at most 1.88 for env 'pd': beyond, the "
                                         r"pelvis assist's damping .* diverge \(sim_error\), got 5"):
        train(config("env=pd", "total_steps=16", "assist.scale=5"), tmp_path)
    assert not (tmp_path / "metrics.jsonl").exists()


@pytest.mark.slow
def test_a_run_that_mostly_ends_in_sim_error_stops(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(task_module.Task, "assist_scale_limit", math.inf)  # let the unstable assist through
    with pytest.raises(SimulationDiverging, match=r"ended in sim_error: the simulation diverges .* for 3 iterations "
                                                  r"in a row; the run stops"):
        train(config("env=pd", "total_steps=1600", "assist.scale=5", "assist.fade_until=1"), tmp_path)
    out = capsys.readouterr().out
    assert out.count("warning:") == 2 and "saving a checkpoint" in out
    assert checkpoint.load(tmp_path).metadata["iteration"] == 3  # the run so far, kept


# --- Ray settings -------------------------------------------------------------------------------------------------

def test_workers_that_cannot_start_are_a_setting_not_a_fault_to_resume(tmp_path, monkeypatch):
    # was: "ray.envs_per_worker=100000" at the start of a run advised to "resume from the checkpoint"
    def fail(*_):
        raise RolloutFailed("ray: worker 0 could not start: num_envs=100000 needs about 781.2 GiB")

    monkeypatch.setattr(train_module, "make_source", fail)
    with pytest.raises(ValueError, match=r"config key 'ray': the rollout workers could not start \(check "
                                         r"ray.envs_per_worker .*num_envs=100000 needs about") as error:
        train(config("total_steps=16"), tmp_path)
    assert "resume" not in str(error.value)


def test_trainer_keys_that_do_nothing_here_warn():
    from bidir_ppo.config import resolve_rollout_layout, validate
    from bidir_sim.errors import ConfigWarning

    for overrides, key in ((["ray.workers=4"], "ray.workers"), (["rollout=ray", "threads=2"], "threads"),
                           (["assist.fade_until=0.3"], "assist.fade_until")):
        cfg = config(*overrides)
        resolve_rollout_layout(cfg)
        with pytest.warns(ConfigWarning, match=f"config key '{key}': has no effect here"):
            validate(cfg)
