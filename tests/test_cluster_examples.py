"""The cluster launch files of examples/cluster (docs/cluster.md): the shell scripts run with stand-ins for
ray, srun and scontrol, the KubeRay manifest parses, and the training command of each composes into a valid
rollout=ray config."""

import os
import shlex
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from bidir_ppo.config import register, resolve_rollout_layout, validate
from hydra import compose, initialize

register()
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "cluster"
# Each stand-in prints its name and arguments, one per line, to $CALLS; python prints only the overrides.
STANDINS = """
record() {  # one block per call, under a lock: the script's background (&) calls would interleave their lines
  local block; block=$(echo "== $1"; shift; printf '%s\\n' "$@")
  { flock 9; printf '%s\\n' "$block" >&9; } 9>> "$CALLS"
}
ray() { record ray "$@"; }
srun() { record srun "$@"; case "$*" in *hostname*) echo 10.0.0.1;; esac; }
scontrol() { printf '%s\\n' node1 node2 node3; }
sleep() { :; }
nproc() { echo 16; }
python() { [ "$1 $2" = "-m bidir_ppo.train" ] && shift 2; record python "$@"; }
export -f record ray srun scontrol sleep nproc python
"""


def run_script(script: str, *args: str, tmp_path: Path, env: dict | None = None,
               calls_expected: int = 1) -> dict[str, list[list[str]]]:
    calls = tmp_path / "calls"
    cmd = f"{STANDINS}\nbash {shlex.quote(str(EXAMPLES / script))} {shlex.join(args)}"
    subprocess.run(["bash", "-c", cmd], check=True, env={**os.environ, "CALLS": str(calls), **(env or {})},
                   capture_output=True, text=True)
    deadline = time.monotonic() + 10  # commands the script started in the background (&) may still be writing
    while calls.read_text().count("== ") < calls_expected and time.monotonic() < deadline:
        time.sleep(0.05)
    out: dict[str, list[list[str]]] = {}
    for block in calls.read_text().split("== ")[1:]:
        name, *argv = block.rstrip("\n").split("\n")
        out.setdefault(name, []).append(argv)
    return out


def check_train_overrides(overrides: list[str]):
    with initialize(version_base=None):
        cfg = compose(config_name="train", overrides=overrides)
    resolve_rollout_layout(cfg)
    validate(cfg)
    assert cfg.rollout == "ray"
    return cfg


def test_the_hand_started_cluster_script(tmp_path):
    assert run_script("ray-start.sh", "head", tmp_path=tmp_path)["ray"] == [
        ["start", "--head", "--port=6379", "--num-cpus=16", "--include-dashboard=false"]]
    (tmp_path / "calls").unlink()
    assert run_script("ray-start.sh", "worker", "10.0.0.1", tmp_path=tmp_path)["ray"] == [
        ["start", "--address=10.0.0.1:6379", "--num-cpus=16"]]
    (tmp_path / "calls").unlink()
    (train,) = run_script("ray-start.sh", "train", tmp_path=tmp_path)["python"]
    cfg = check_train_overrides(train)
    assert cfg.envs == 16 * 32 and cfg.ray.address == "auto"


def test_the_slurm_batch_script(tmp_path):
    slurm = {"SLURM_JOB_NODELIST": "node[1-3]", "SLURM_CPUS_PER_TASK": "16", "SLURM_JOB_NUM_NODES": "3",
             "SLURM_JOB_ID": "42"}
    calls = run_script("slurm.sbatch", tmp_path=tmp_path, env=slurm, calls_expected=5)  # 4 srun, 1 python
    starts = {argv[argv.index("-w") + 1]: argv for argv in calls["srun"] if "ray" in argv}  # host: its ray start
    assert sorted(starts) == ["node1", "node2", "node3"] and "--head" in starts["node1"]
    assert all("--address=10.0.0.1:6379" in starts[n] for n in ("node2", "node3"))
    (train,) = calls["python"]
    cfg = check_train_overrides(train)
    assert cfg.ray.address == "10.0.0.1:6379" and cfg.ray.workers == 3 * 16 - 4 and cfg.run_dir == "runs/slurm-42"


def test_the_kuberay_rayjob_manifest():
    job = yaml.safe_load((EXAMPLES / "kuberay-rayjob.yaml").read_text())
    assert job["apiVersion"] == "ray.io/v1" and job["kind"] == "RayJob"
    spec = job["spec"]["rayClusterSpec"]
    ray_cpus = sum(int(g["replicas"]) * int(g["rayStartParams"]["num-cpus"]) for g in spec["workerGroupSpecs"])
    python, module, entry, *overrides = shlex.split(job["spec"]["entrypoint"])
    assert (python, module, entry) == ("python", "-m", "bidir_ppo.train")
    cfg = check_train_overrides(overrides)
    assert cfg.ray.workers * cfg.ray.cpus_per_worker <= ray_cpus  # every worker can be placed


@pytest.mark.parametrize("script", ["ray-start.sh", "slurm.sbatch"])
def test_the_shell_scripts_parse(script):
    subprocess.run(["bash", "-n", str(EXAMPLES / script)], check=True)
