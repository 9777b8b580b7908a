"""rollout=ray on a real two-node Ray cluster (ray.cluster_utils.Cluster, one CPU per node) with the real
BatchEnv: checkpoints and metrics, bit-identical repeats, resume, a SIGKILLed worker, and bad input.

Ray traffic must stay on loopback, so the cluster tests run in a private network namespace that has only
``lo``: ``test_the_cluster_tests_in_a_loopback_only_namespace`` re-runs this file inside
``unshare -n`` (root) and passes when every test there passed; outside it they are skipped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import torch
from bidir_ppo import checkpoint
from bidir_ppo.rollout import BatchEnvSource, concat
from bidir_ppo.train import train
from bidir_sim import BatchEnv
from hydra import compose, initialize

INSIDE = os.environ.get("BIDIR_RAY_NAMESPACE") == "1"
in_namespace = pytest.mark.skipif(not INSIDE, reason="a Ray cluster test: run inside the loopback namespace by "
                                  "test_the_cluster_tests_in_a_loopback_only_namespace")
outside = pytest.mark.skipif(INSIDE, reason="runs outside the namespace")
TINY = ["rollout=ray", "ray.workers=2", "envs=4", "ppo.num_steps=8", "ppo.num_minibatches=2",
        "model.hidden=[32,32]", "muscle.minibatch_size=8", "wandb.mode=disabled", "seed=3"]
TIMINGS = ("sps", "rollout_sps")  # and every time/* and ray/*_s: the only values that may differ between runs


def config(*overrides):
    with initialize(version_base=None):
        return compose(config_name="train", overrides=[*TINY, *overrides])


def metrics(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def without_timings(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in TIMINGS and not k.startswith("time/") and
             not (k.startswith("ray/") and k.endswith("_s"))} for r in rows]


def assert_same_weights(a: Path, b: Path) -> None:
    x, y = checkpoint.load(a), checkpoint.load(b)
    for part in ("agent", "muscle"):
        for k, v in getattr(x, part).items():
            assert torch.equal(v, getattr(y, part)[k]), (part, k)


# --- outside Ray: the layout and the errors that come before any cluster

@outside
@pytest.mark.slow
def test_a_split_rollout_joins_into_the_whole():
    """Worker w's envs are seeded as envs w * n + j of rollout=local, so the chunks of two halves, joined,
    are the rollout of all the envs (zero actions make it independent of the policy's random draws)."""

    class Zero:
        def get_value(self, obs):
            return torch.zeros(obs.shape[0])

        def get_action_and_value(self, obs):
            z = torch.zeros(obs.shape[0])
            return torch.zeros(obs.shape[0], 51), z, z, z

    def source(first, n):
        return BatchEnvSource(BatchEnv("A2_sep", num_envs=n, num_threads=1, seed=7 + first), 7 + first,
                              torch.device("cpu"))

    whole, whole_stats = source(0, 4).collect(Zero(), 40)
    joined, joined_stats = concat([source(0, 2).collect(Zero(), 40), source(2, 2).collect(Zero(), 40)])
    for k in ("obs", "rewards", "terminations", "truncations", "bootstrap_values", "valid", "next_value"):
        assert torch.equal(getattr(whole, k), getattr(joined, k)), k
    assert sorted(whole_stats.episode_lengths) == sorted(joined_stats.episode_lengths)
    assert len(joined.muscle_tuples["tau_des"]) == len(whole.muscle_tuples["tau_des"]) > 100  # one per valid step
    assert sorted(joined.muscle_tuples["env"].tolist()) == sorted(whole.muscle_tuples["env"].tolist())
    for k, v in whole_stats.info_means.items():
        assert joined_stats.info_means[k] == pytest.approx(v, rel=1e-9, abs=1e-12), k


@pytest.mark.parametrize(("override", "message"), [
    ("ray.workers=0", r"'ray.workers': must be >= 1, got 0 \(allowed: >= 1 and <= 65536\)"),
    ("ray.workers=3", r"'ray.workers': envs=4 does not split evenly over 3 workers"),
    ("ray.envs_per_worker=0", r"'ray.envs_per_worker': must be >= 1, got 0 \(allowed: >= 1 and <= 100000\)"),
    ("ray.address=ray://head:10001", r"'ray.address': must be null .*got 'ray://head:10001'"),
    ("ray.address=head", r"'ray.address': must be null"),
    ("ray.address=head:99999", r"'ray.address': must be null"),
    ("ray.cpus_per_worker=0", r"'ray.cpus_per_worker': must be > 0"),
    ("ray.threads_per_worker=0", r"'ray.threads_per_worker': must be >= 1, got 0 \(allowed: >= 1 and <= 256\)"),
    ("ray.placement_timeout_s=-1", r"'ray.placement_timeout_s': must be > 0"),
    ("ray.max_retries=-1", r"'ray.max_retries': must be >= 0, got -1 \(allowed: >= 0 and <= 100\)"),
    ("rollout=slurm", r"'rollout': must be one of local, ray; got 'slurm'"),
])
@outside
def test_bad_ray_settings_fail_at_start(override, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        train(config(override), tmp_path)
    assert not (tmp_path / "metrics.jsonl").exists()


@outside
def test_without_ray_installed_rollout_ray_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    with pytest.raises(ValueError, match=r"needs Ray, which is not installed: pip install 'bidir-ppo\[ray\]'"):
        train(config(), tmp_path)


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


# --- inside the namespace: a real two-node cluster on 127.0.0.1

@pytest.fixture(scope="module")
def cluster():
    import ray
    from ray.cluster_utils import Cluster

    interfaces = [name for _, name in socket.if_nameindex()]
    assert interfaces == ["lo"], f"not in a loopback-only network namespace: {interfaces}"
    temp = tempfile.mkdtemp(prefix="bidir-ray-", dir="/tmp")  # short: Ray's socket paths must fit 107 bytes
    node = {"num_cpus": 1, "node_ip_address": "127.0.0.1", "temp_dir": temp}
    Path("/tmp/ray").mkdir(exist_ok=True)  # Cluster writes /tmp/ray/ray_current_cluster, whatever temp_dir says
    c = Cluster(initialize_head=True, head_node_args={**node, "include_dashboard": False})
    c.add_node(**node)
    c.wait_for_nodes()
    yield c
    if ray.is_initialized():
        ray.shutdown()
    c.shutdown()
    time.sleep(1.0)
    leftover = [p for p in Path("/proc").glob("[0-9]*") if temp in _cmdline(p)]
    shutil.rmtree(temp, ignore_errors=True)
    assert not leftover, f"Ray processes left running: {[_cmdline(p) for p in leftover]}"


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@in_namespace
def test_a_two_node_run_writes_checkpoints_and_metrics(cluster, tmp_path):
    last = train(config("ray.address=auto", "total_steps=96", "checkpoint_every=2"), tmp_path)  # auto: Cluster's file
    ckpt = checkpoint.load(last)
    assert ckpt.metadata["iteration"] == 3 and ckpt.metadata["global_step"] == 96  # 2 workers x 2 envs x 8 steps
    assert ckpt.metadata["config"]["envs"] == 4 and ckpt.metadata["config"]["ray"]["envs_per_worker"] == 2
    assert ckpt.metadata["obs_dim"] == 506 and ckpt.metadata["action_dim"] == 51
    assert sorted(p.name for p in tmp_path.glob("ckpt_*")) == ["ckpt_2", "ckpt_3"]
    rows = metrics(tmp_path)
    assert [r["global_step"] for r in rows] == [32, 64, 96]
    assert all(r["ray/nodes"] == 2 and r["ray/worker_restarts"] == 0 for r in rows)  # SPREAD: one per node
    assert all(r["ray/weights_bytes"] > 0 and r["ray/chunk_bytes"] > 0 and r["muscle/loss"] > 0 for r in rows)


@in_namespace
def test_the_same_seed_and_layout_give_bit_identical_runs(cluster, tmp_path):
    runs = [tmp_path / name for name in ("a", "b", "other_seed")]
    for run, seed in zip(runs, (3, 3, 4)):
        train(config(f"ray.address={cluster.address}", "total_steps=64", f"seed={seed}"), run)
    a, b, c = (without_timings(metrics(r)) for r in runs)
    assert a == b
    assert_same_weights(runs[0] / "ckpt", runs[1] / "ckpt")
    assert a[-1]["muscle/loss"] != c[-1]["muscle/loss"] and a[-1]["return"] != c[-1]["return"]  # the seed matters


@in_namespace
def test_resume_equals_the_uninterrupted_run(cluster, tmp_path):
    full, resumed = tmp_path / "full", tmp_path / "resumed"
    common = (f"ray.address={cluster.address}", "total_steps=128", "checkpoint_every=2")
    train(config(*common), full)
    train(config(*common, f"resume={full / 'ckpt_2'}"), resumed)
    assert_same_weights(full / "ckpt_4", resumed / "ckpt_4")
    assert without_timings(metrics(full))[2:] == without_timings(metrics(resumed))


def _train_cli(tmp_path: Path, address: str, *overrides: str) -> subprocess.Popen:
    args = [*TINY, f"ray.address={address}", f"run_dir={tmp_path}", *overrides]
    return subprocess.Popen([sys.executable, "-m", "bidir_ppo.train", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _kill_a_worker_mid_rollout(run_dir: Path, proc: subprocess.Popen, title: str = "ray::RolloutWorker.collect") -> int:
    """SIGKILLs a worker while it runs `collect` (Ray titles the process so; ``title``: another method), once
    an iteration has been logged; returns its pid."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if (run_dir / "metrics.jsonl").is_file():
            for p in Path("/proc").glob("[0-9]*"):
                if _cmdline(p).startswith(title):
                    os.kill(int(p.name), signal.SIGKILL)
                    return int(p.name)
        time.sleep(0.005)
    raise AssertionError(f"no worker found in collect: {proc.communicate()[0][-3000:]}")


@in_namespace
def test_a_killed_worker_is_replaced_and_the_run_completes(cluster, tmp_path):
    # 64 steps a chunk: a collect lasts about a second, long enough to be caught in it
    proc = _train_cli(tmp_path, cluster.address, "ppo.num_steps=64", "total_steps=1280", "checkpoint_every=2")
    pid = _kill_a_worker_mid_rollout(tmp_path, proc)
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out[-3000:]
    assert f"(pid {pid}) died during a rollout" in out and "replacing it, try 1 of 3" in out
    rows = metrics(tmp_path)
    assert rows[-1]["global_step"] == 1280 and len(rows) == 5  # every iteration, once
    assert rows[-1]["ray/worker_restarts"] == 1 and rows[0]["ray/worker_restarts"] == 0
    ckpt = checkpoint.load(tmp_path)
    assert ckpt.metadata["iteration"] == 5 and ckpt.metadata["global_step"] == 1280


@in_namespace
def test_workers_that_cannot_be_brought_back_stop_the_run_with_a_checkpoint(cluster, tmp_path):
    proc = _train_cli(tmp_path, cluster.address, "ppo.num_steps=64", "total_steps=100000", "ray.max_retries=0")
    _kill_a_worker_mid_rollout(tmp_path, proc)
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 1, out[-3000:]
    assert "failed 1 times in one iteration (ray.max_retries=0)" in out and "resume from the checkpoint" in out
    ckpt = checkpoint.load(tmp_path)
    done = len(metrics(tmp_path))
    assert done >= 1 and ckpt.metadata["iteration"] == done and ckpt.metadata["global_step"] == 256 * done


@in_namespace
def test_more_workers_than_the_cluster_can_place_fail_after_a_bounded_wait(cluster, tmp_path):
    start = time.monotonic()
    with pytest.raises(ValueError, match=r"'ray.workers': [0-2] of 3 workers were placed within "
                                         r"ray.placement_timeout_s=3 s.*the cluster has 2"):
        train(config(f"ray.address={cluster.address}", "ray.workers=3", "envs=3", "ray.placement_timeout_s=3"),
              tmp_path)
    assert time.monotonic() - start < 60


@in_namespace
def test_an_unreachable_address_fails_at_start(cluster, tmp_path, monkeypatch):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.monotonic()
    with pytest.raises(ValueError, match=rf"'ray.address': no Ray head answers at 127.0.0.1:{port} within "
                                         r"ray.connect_timeout_s=2 s"):
        train(config(f"ray.address=127.0.0.1:{port}", "ray.connect_timeout_s=2"), tmp_path)
    monkeypatch.setenv("RAY_ADDRESS", f"127.0.0.1:{port}")
    with pytest.raises(ValueError, match=rf"no Ray head answers at 127.0.0.1:{port}"):
        train(config("ray.address=auto", "ray.connect_timeout_s=2"), tmp_path)
    assert time.monotonic() - start < 30


@in_namespace
def test_workers_too_large_for_their_node_are_a_setting_at_start(cluster, tmp_path):
    # issue #31: the memory message advised "resume from the checkpoint" at the start of a run (none exists)
    with pytest.raises(ValueError, match=r"config key 'ray': the rollout workers could not start \(check "
                                         r"ray.envs_per_worker .*num_envs=100000 needs about") as error:
        train(config(f"ray.address={cluster.address}", "ray.envs_per_worker=100000"), tmp_path)
    assert "resume" not in str(error.value)
    assert not (tmp_path / "metrics.jsonl").exists()
