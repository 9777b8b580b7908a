"""learner=distributed on a real two-node Ray cluster (one CPU per node, 127.0.0.1) with the real BatchEnv:
a run against learner=central on the same seed, bit-identical repeats, resume, a worker SIGKILLed while
learning, and bad settings. The cluster tests re-run this file in a loopback-only network namespace, as
test_ray.py does (its fixture and helpers are reused from there); the driver checks every iteration that the
workers' copies of the networks are identical (a checksum), so every run here also tests that."""

# ruff: noqa: F811  (the tests take test_ray's `cluster` fixture, imported below, by its name)
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bidir_ppo import checkpoint
from bidir_ppo.train import train
from test_ray import (  # noqa: F401
    TINY,
    _cmdline,
    _kill_a_worker_mid_rollout,
    assert_same_weights,
    cluster,
    config,
    in_namespace,
    metrics,
    outside,
    without_timings,
)

DISTRIBUTED = ("learner=distributed",)
TIMED = ("ddp/allreduce_s", "ddp/step_allreduce_s", "ddp/learn_s_per_sample")  # timings of the learner, beside test_ray's


def untimed(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in TIMED} for r in without_timings(rows)]


@pytest.mark.parametrize(("overrides", "message"), [
    (("learner=distributed", "rollout=local"), r"'learner': distributed needs rollout=ray"),
    (("learner=both",), r"'learner': must be one of central, distributed; got 'both'"),
])
@outside
def test_bad_learner_settings_fail_at_start(overrides, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        train(config(*overrides), tmp_path)
    assert not (tmp_path / "metrics.jsonl").exists()


@outside
@pytest.mark.slow
def test_the_cluster_tests_in_a_loopback_only_namespace():
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare(1) for a private network namespace (Ray must stay on loopback)")
    probe = subprocess.run(["unshare", "-n", "true"], check=False, capture_output=True, text=True)
    if probe.returncode:
        pytest.skip(f"unshare -n is not permitted here: {probe.stderr.strip()}")
    cmd = f"ip link set lo up && exec {sys.executable} -m pytest -q -p no:cacheprovider -rs {__file__}"
    run = subprocess.run(["unshare", "-n", "bash", "-c", cmd], check=False, env={**os.environ, "BIDIR_RAY_NAMESPACE": "1"},
                         capture_output=True, text=True, timeout=1500)
    tail = (run.stdout + run.stderr)[-6000:]
    assert run.returncode == 0, tail
    cluster_tests = [f for name, f in globals().items() if name.startswith("test_") and in_namespace.mark in
                     getattr(f, "pytestmark", [])]
    assert re.search(rf"\b{len(cluster_tests)} passed", run.stdout), tail


@in_namespace
@pytest.mark.slow
def test_a_distributed_run_learns_as_the_central_learner_does(cluster, tmp_path):
    """Same seed and layout: the first iteration collects the same transitions (the same initial networks
    and action seeds), so its rollout metrics are equal and its updates equal to float tolerance."""
    common = (f"ray.address={cluster.address}", "total_steps=96", "checkpoint_every=2")
    last = train(config(*common, *DISTRIBUTED), tmp_path / "distributed")
    train(config(*common), tmp_path / "central")
    ckpt = checkpoint.load(last)
    assert ckpt.metadata["iteration"] == 3 and ckpt.metadata["global_step"] == 96
    assert ckpt.metadata["config"]["learner"] == "distributed"
    assert sorted(p.name for p in (tmp_path / "distributed").glob("ckpt_*")) == ["ckpt_2", "ckpt_3"]
    rows, central = metrics(tmp_path / "distributed"), metrics(tmp_path / "central")
    assert [r["global_step"] for r in rows] == [32, 64, 96]
    assert all(r["ray/nodes"] == 2 and r["ray/worker_restarts"] == 0 and r["muscle/loss"] > 0 for r in rows)
    assert all(r["ddp/allreduces"] > 0 and r["ddp/allreduce_bytes"] > 0 for r in rows)
    first, reference = rows[0], central[0]
    for k in ("return", "episodes", "length", "reward", "sim_error"):
        if k in reference:
            assert first[k] == reference[k] or (first[k] != first[k] and reference[k] != reference[k]), k
    for k in reference:
        if k.startswith(("ppo/", "muscle/")):
            assert first[k] == pytest.approx(reference[k], rel=1e-4, abs=1e-6), k


@in_namespace
@pytest.mark.slow
def test_the_same_seed_and_layout_give_bit_identical_distributed_runs(cluster, tmp_path):
    runs = [tmp_path / name for name in ("a", "b")]
    for run in runs:  # with the observation statistics' merge and the gradient clipping on the summed gradient
        train(config(f"ray.address={cluster.address}", "total_steps=64", "model.obs_norm=true",
                     "ppo.max_grad_norm=0.5", *DISTRIBUTED), run)
    assert untimed(metrics(runs[0])) == untimed(metrics(runs[1]))
    assert_same_weights(runs[0] / "ckpt", runs[1] / "ckpt")
    a, b = (checkpoint.load(r / "ckpt") for r in runs)
    assert str(a.optimizers) == str(b.optimizers)
    # the statistics of both workers merged: one worker alone has at most 2 iterations x 8 steps x 2 envs = 32
    assert 32 < float(a.agent["obs_norm.count"]) <= 64


@in_namespace
@pytest.mark.slow
def test_a_resumed_distributed_run_equals_the_uninterrupted_one(cluster, tmp_path):
    full, resumed = tmp_path / "full", tmp_path / "resumed"
    common = (f"ray.address={cluster.address}", "total_steps=128", "checkpoint_every=2", *DISTRIBUTED)
    train(config(*common), full)
    train(config(*common, f"resume={full / 'ckpt_2'}"), resumed)
    assert_same_weights(full / "ckpt_4", resumed / "ckpt_4")
    assert untimed(metrics(full))[2:] == untimed(metrics(resumed))


# Learning long enough (many small minibatches, no early stop) to be caught in it
SLOW_LEARNER = ("ppo.num_steps=64", "ppo.update_epochs=20", "ppo.num_minibatches=64", "ppo.target_kl=null",
                *DISTRIBUTED)


def _train_cli(tmp_path: Path, address: str, *overrides: str) -> subprocess.Popen:
    args = [*TINY, f"ray.address={address}", f"run_dir={tmp_path}", *overrides]
    return subprocess.Popen([sys.executable, "-m", "bidir_ppo.train", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _killed_run_completes(tmp_path: Path, address: str, method: str, phase: str) -> list[dict]:
    proc = _train_cli(tmp_path, address, *SLOW_LEARNER, "total_steps=768")
    pid = _kill_a_worker_mid_rollout(tmp_path, proc, title=f"ray::LearnerWorker.{method}")
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out[-3000:]
    assert f"(pid {pid}) died during {phase}" in out and "replacing it, try 1 of 3" in out
    return metrics(tmp_path)


@in_namespace
@pytest.mark.slow
def test_a_worker_killed_while_collecting_is_replaced_with_the_learner_state(cluster, tmp_path):
    rows = _killed_run_completes(tmp_path, cluster.address, "collect_chunk", "a rollout")
    assert [r["global_step"] for r in rows] == [256, 512, 768] and rows[-1]["ray/worker_restarts"] == 1


@in_namespace
@pytest.mark.slow
def test_a_worker_killed_while_learning_is_replaced_and_the_group_reformed(cluster, tmp_path):
    rows = _killed_run_completes(tmp_path, cluster.address, "learn", "learning")
    assert [r["global_step"] for r in rows] == [256, 512, 768]  # every iteration, once
    assert rows[-1]["ray/worker_restarts"] == 1 and rows[0]["ray/worker_restarts"] == 0
    assert checkpoint.load(tmp_path).metadata["iteration"] == 3


@in_namespace
@pytest.mark.slow
def test_a_worker_that_cannot_be_brought_back_stops_the_run_with_a_checkpoint(cluster, tmp_path):
    proc = _train_cli(tmp_path, cluster.address, *SLOW_LEARNER, "total_steps=100000", "ray.max_retries=0")
    _kill_a_worker_mid_rollout(tmp_path, proc, title="ray::LearnerWorker.learn")
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 1, out[-3000:]
    assert "failed 1 times in one iteration (ray.max_retries=0)" in out and "resume from the checkpoint" in out
    done = len(metrics(tmp_path))
    ckpt = checkpoint.load(tmp_path)
    assert done >= 1 and ckpt.metadata["iteration"] == done and ckpt.metadata["global_step"] == 256 * done
