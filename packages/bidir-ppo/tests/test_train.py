"""The trainer end to end on a tiny budget, its checkpoints, resume, and its errors."""

import json
import os
import pickle
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from bidir_ppo import checkpoint
from bidir_ppo.train import train
from bidir_sim.errors import CheckpointError
from hydra import compose, initialize

TINY = ["envs=2", "ppo.num_steps=8", "ppo.num_minibatches=2", "model.hidden=[32,32]", "wandb.mode=disabled",
        "muscle.minibatch_size=8", "seed=5"]


def config(*overrides):
    with initialize(version_base=None):
        return compose(config_name="train", overrides=[*TINY, *overrides])


@pytest.mark.slow
def test_tiny_run_writes_a_loadable_checkpoint_and_metrics(tmp_path):
    last = train(config("total_steps=32", "checkpoint_every=1"), tmp_path)
    assert last == tmp_path / "ckpt_2" and (tmp_path / "ckpt").resolve() == last
    ckpt = checkpoint.load(tmp_path)  # the run dir means its latest checkpoint
    assert ckpt.metadata["iteration"] == 2 and ckpt.metadata["global_step"] == 32
    assert ckpt.metadata["obs_dim"] == 506 and ckpt.metadata["action_dim"] == 51
    assert "environment:" in ckpt.metadata["env_config_text"]
    assert set(ckpt.muscle) == {f"fc.{i}.{p}" for i in (0, 2, 4, 6) for p in ("weight", "bias")}
    assert ckpt.agent["actor_logstd"].shape == (1, 51)
    assert {k.split(".")[0] for k in ckpt.agent} == {"actor_mean", "critic", "actor_logstd"}
    # initial log-std: 1.0 on leg DoFs and the time warp, 0.5 elsewhere (the policy update moves it a little)
    assert abs(ckpt.agent["actor_logstd"][0, -1].item() - 1.0) < 0.05
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 2 and '"muscle/loss"' in lines[0] and '"time/rollout"' in lines[0]


@pytest.mark.slow
def test_resume_matches_an_uninterrupted_run(tmp_path):
    full = tmp_path / "full"
    train(config("total_steps=64", "checkpoint_every=2"), full)
    resumed = tmp_path / "resumed"
    train(config("total_steps=64", "checkpoint_every=2", f"resume={full / 'ckpt_2'}"), resumed)
    a, b = checkpoint.load(full / "ckpt_4"), checkpoint.load(resumed / "ckpt_4")
    assert b.metadata["iteration"] == 4
    for part in ("agent", "muscle"):
        for k, v in getattr(a, part).items():
            assert torch.equal(v, getattr(b, part)[k]), (part, k)


@pytest.mark.slow
def test_bad_checkpoints_fail_clearly_and_run_nothing(tmp_path):
    good = train(config("total_steps=16"), tmp_path / "run")
    broken = tmp_path / "broken"
    broken.mkdir()
    with pytest.raises(CheckpointError, match="agent.pt.*does not exist"):
        checkpoint.load(broken)
    # a pickle that would run code when loaded
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    for name in ("agent.pt", "muscle.pt", "optimizers.pt", "state.pt", "metadata.yaml"):
        (broken / name).write_bytes((good / name).read_bytes())
    (broken / "agent.pt").write_bytes(pickle.dumps(Evil()))
    with pytest.raises(CheckpointError, match="agent.pt"):
        checkpoint.load(broken)
    assert not marker.exists()
    # shapes of another network
    with pytest.raises(CheckpointError, match="state_dict: .*size mismatch"):
        train(config("total_steps=32", "model.hidden=[16]", f"resume={good}"), tmp_path / "other")
    # a checkpoint of another task: deepmimic observations are 503 long, A2_sep's 506
    with pytest.raises(CheckpointError, match="obs/action dims 506/51, the env .deepmimic. has 503/51"):
        train(config("total_steps=32", "env=deepmimic", f"resume={good}"), tmp_path / "third")
    assert not (tmp_path / "third" / "metrics.jsonl").exists()


@pytest.mark.slow
def test_a_bad_override_fails_at_start_from_the_command_line(tmp_path):
    """One real command line: the message reaches stderr and the exit status says so (the cases are below)."""
    r = subprocess.run([sys.executable, "-m", "bidir_ppo.train", "envs=0", f"run_dir={tmp_path}"],
                       check=False, capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "config key 'envs': must be >= 1, got 0" in r.stderr + r.stdout
    assert not (tmp_path / "metrics.jsonl").exists()


def _messages(error: BaseException) -> str:
    """The error's message and its causes' (Hydra's composition errors wrap the one naming the key)."""
    text = ""
    while error is not None:
        text += f"{error}\n"
        error = error.__cause__ or error.__context__
    return text


@pytest.mark.parametrize("override, message", [
    ("envs=0", "config key 'envs': must be >= 1, got 0"),
    ("envs=abc", "envs"),
    ("no_such_key=1", "no_such_key"),
    ("env=Nope", "Nope"),
    ("wandb.mode=sometimes", "wandb.mode"),
    (f"seed={10**20}", "config key 'seed': must be less than 2**63 in magnitude"),         # was: Overflow when unpacking long long
    ("ppo.num_steps=10000000", "config key 'ppo.num_steps': must be <= 100000, got 10000000"),
    ("envs=1000000", "num_envs=1000000 needs about"),                        # was: 3 GB in 4 s, then more
    ("assist.scale=-1", "config key 'assist.scale': must be >= 0.0"),
    ("assist.fade_until=0", "config key 'assist.fade_until': must be > 0.0"),
    ("mixture.envs_per_preset=0", "config key 'mixture.envs_per_preset': must be >= 1"),
])
def test_bad_overrides_fail_at_start(override, message, tmp_path):
    with pytest.raises(Exception) as error:  # Hydra's errors for a bad override, ours for a bad value
        with initialize(version_base=None):
            cfg = compose(config_name="train", overrides=[override, "total_steps=16", f"run_dir={tmp_path}"])
        train(cfg, tmp_path)
    assert message in _messages(error.value)
    assert not (tmp_path / "metrics.jsonl").exists()


SAVER = """
import sys, torch
from bidir_ppo import checkpoint
run = sys.argv[1]
for it in range(1, 10000):
    payload = {"w": torch.full((500_000,), float(it))}
    files = {"agent": payload, "muscle": payload, "optimizers": {"agent": payload, "muscle": {}},
             "state": {"torch_rng": payload["w"], "generator": payload["w"]}}
    meta = {"config": {}, "env_config": "x", "obs_dim": 1, "action_dim": 1, "iteration": it, "global_step": it}
    checkpoint.save(run, it, it % 5 == 0, files, meta)
    print(it, flush=True)
"""


@pytest.mark.slow
def test_a_kill_during_save_leaves_the_previous_checkpoint_intact(tmp_path):
    for trial, delay in enumerate((0.4, 0.7, 1.1)):
        run = tmp_path / f"run{trial}"
        p = subprocess.Popen([sys.executable, "-c", SAVER, str(run)], stdout=subprocess.PIPE, text=True)
        assert p.stdout.readline().strip() == "1"  # one save done
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        ckpt = checkpoint.load(run)
        it = ckpt.metadata["iteration"]
        assert it >= 1 and torch.all(ckpt.agent["w"] == float(it))
        for kept in (run / ".kept").read_text().split() if (run / ".kept").exists() else []:
            assert checkpoint.load(run / kept).metadata["iteration"] == int(kept.split("_")[1])


@pytest.mark.slow
def test_plot_writes_curves_and_the_summary(tmp_path):
    import json

    from bidir_ppo import evaluate
    from bidir_ppo.plot import main

    train(config("total_steps=48"), tmp_path)
    # the zero-action baseline measured the trainer's way, drawn on the curves
    assert evaluate.main(["--env", "A2_sep", "--policy", "zero", "--episodes", "2",
                          "--json", str(tmp_path / "zero.json")]) == 0
    zero = json.loads((tmp_path / "zero.json").read_text())
    assert zero["policy"] == "zero" and zero["episodes"] == 2 and zero["mean_length"] > 0
    assert main([str(tmp_path), "--baseline", str(tmp_path / "zero.json"), "--window", "1"]) == 0
    assert {p.name for p in (tmp_path / "plots").iterdir()} >= {"length.png", "muscle_loss.png", "sps.png"}
    summary = json.loads((tmp_path / "plots" / "summary.json").read_text())
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert summary["iterations"] == len(rows) == 3
    assert summary["muscle/loss"]["first"] == rows[0]["muscle/loss"]
    assert summary["muscle/loss"]["last"] == rows[-1]["muscle/loss"]
    assert summary["baseline"]["policy"] == "zero"
    # the checkpoint's own policy evaluates too; a missing checkpoint is a clear error
    assert evaluate.main([str(tmp_path / "ckpt"), "--episodes", "2"]) == 0
    assert evaluate.main([str(tmp_path / "nothing")]) == 2
    assert main([str(tmp_path / "nothing")]) == 2


@pytest.mark.slow
def test_sigterm_stops_with_a_checkpoint(tmp_path):
    p = subprocess.Popen([sys.executable, "-m", "bidir_ppo.train", *TINY, "total_steps=100000", "checkpoint_every=1000",
                          f"run_dir={tmp_path}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 120
        while not (tmp_path / "metrics.jsonl").exists() or not (tmp_path / "metrics.jsonl").read_text().strip():
            assert p.poll() is None and time.time() < deadline, "the run did not start"
            time.sleep(0.2)
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=120) == 130
    finally:
        p.kill()
    ckpt = checkpoint.load(tmp_path)
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert ckpt.metadata["iteration"] == len(lines) >= 1  # the iterations done, none lost


def test_restore_names_what_a_checkpoint_lacks(tmp_path):
    import yaml
    from bidir_ppo import evaluate, restore

    train(config("total_steps=16"), tmp_path)
    ckpt = checkpoint.load(tmp_path)
    assert restore.env_config(ckpt) == "A2_sep"
    assert restore.build_agent(ckpt).actor_logstd.shape == (1, 51)
    ckpt.metadata["config"]["model"]["hidden"] = []
    with pytest.raises(CheckpointError, match="metadata.yaml: config.model.hidden: missing"):
        restore.build_agent(ckpt)
    ckpt.metadata["config"]["env"]["name"] = "gone.yaml"  # a custom config whose text was not saved
    ckpt.metadata["env_config_text"] = ""
    with pytest.raises(CheckpointError, match="env_config_text: empty, and 'gone.yaml' is not a config"):
        restore.env_config(ckpt)
    # a custom config is rebuilt from the text saved in metadata.yaml
    ckpt.metadata["env_config_text"] = (checkpoint.load(tmp_path).metadata["env_config_text"])
    assert restore.env_config(ckpt).horizon == 600
    assert yaml.safe_load((tmp_path / "ckpt" / "metadata.yaml").read_text())["obs_dim"] == 506
    # evaluating a policy needs a checkpoint: refused at start
    with pytest.raises(SystemExit) as e:
        evaluate.main(["--env", "A2_sep", "--policy", "mean"])
    assert e.value.code == 2


def test_a_tiny_run_on_the_ideal_torque_body(tmp_path):
    """env=pd: no muscle tuples, so no muscle update and no muscle loss in the metrics; it checkpoints."""
    import json

    train(config("total_steps=32", "env=pd"), tmp_path)
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert len(rows) == 2 and all("muscle/loss" not in r for r in rows)
    assert checkpoint.load(tmp_path).metadata["action_dim"] == 51


def test_running_norm_matches_the_statistics_of_all_batches():
    from bidir_ppo.agent import RunningNorm

    data = torch.randn(1000, 5, dtype=torch.float64) * torch.tensor([1.0, 10.0, 0.1, 3.0, 0.0]) + 7.0
    norm = RunningNorm(5)
    for batch in torch.split(data, [1, 99, 400, 500]):
        norm.update(batch)
    assert torch.allclose(norm.mean, data.mean(0)) and torch.allclose(norm.var, data.var(0, unbiased=False))
    assert norm.count.item() == 1000
    z = norm(data.float())
    assert z.dtype == torch.float32 and z.abs().max() <= 10.0  # the constant column stays finite (eps)
    assert torch.allclose(z[:, :4].double().mean(0), torch.zeros(4, dtype=torch.float64), atol=1e-5)


@pytest.mark.slow
def test_obs_norm_grad_clipping_and_the_lr_schedule_train_checkpoint_and_resume_exactly(tmp_path):
    import json

    from bidir_ppo import evaluate

    opts = ("model.obs_norm=true", "ppo.max_grad_norm=0.5", "ppo.lr_schedule=linear", "total_steps=64",
            "checkpoint_every=2")
    full, resumed = tmp_path / "full", tmp_path / "resumed"
    train(config(*opts), full)
    ckpt = checkpoint.load(full / "ckpt_4")
    rows = [json.loads(line) for line in (full / "metrics.jsonl").read_text().splitlines()]
    assert 48 < ckpt.agent["obs_norm.count"].item() <= 64  # every valid step's observation (64 less the resets)
    assert ckpt.agent["obs_norm.var"].shape == (506,)
    assert [r["ppo/learning_rate"] for r in rows] == pytest.approx([1e-4 * (1 - s / 64) for s in (0, 16, 32, 48)])
    assert all(r["ppo/grad_norm"] > 0 for r in rows)
    train(config(*opts, f"resume={full / 'ckpt_2'}"), resumed)
    b = checkpoint.load(resumed / "ckpt_4")
    for k, v in ckpt.agent.items():
        assert torch.equal(v, b.agent[k]), k
    # evaluate and the viewer's restore rebuild the normalisation from agent.pt
    assert evaluate.main([str(full / "ckpt"), "--episodes", "1"]) == 0


@pytest.mark.slow
def test_init_starts_a_new_run_from_a_checkpoints_networks(tmp_path):
    source = train(config("env=pd", "model.obs_norm=true", "total_steps=32"), tmp_path / "pd")
    before = checkpoint.load(source)
    # pd -> A2_sep: same observation and action spaces, muscles now
    last = train(config("model.obs_norm=true", "total_steps=16", f"init={source}"), tmp_path / "muscles")
    after = checkpoint.load(last)
    assert after.metadata["iteration"] == 1 and after.metadata["global_step"] == 16  # a new run
    assert after.agent["obs_norm.count"] > before.agent["obs_norm.count"]  # the statistics carried on
    steps = {s["step"].item() for s in after.optimizers["agent"]["state"].values()}
    assert steps == {8.0}  # a fresh optimizer: this run's 4 epochs x 2 minibatches only
    with pytest.raises(CheckpointError, match=r"set model.obs_norm=true: the checkpoint was trained with it"):
        train(config("total_steps=16", f"init={source}"), tmp_path / "no_norm")
    with pytest.raises(CheckpointError, match="size mismatch"):
        train(config("model.obs_norm=true", "model.hidden=[16]", "total_steps=16", f"init={source}"), tmp_path / "x")
    with pytest.raises(ValueError, match="'init': give init .* or resume .*, not both"):
        train(config(f"init={source}", f"resume={source}"), tmp_path / "both")


@pytest.mark.slow
def test_init_widens_the_observation_with_zero_weights_for_new_inputs(tmp_path):
    """init= from a healthy body's checkpoint into a conditioned task: the conditions block's inputs start with
    zero weights, so the policy and the value are the checkpoint's whatever the conditions; the run trains on."""
    from bidir_ppo import restore
    from bidir_ppo.agent import Agent
    from bidir_sim.envs import build_task

    source = train(config("env=pd", "model.obs_norm=true", "total_steps=32"), tmp_path / "pd")
    conditioned = tmp_path / "conditioned.yaml"
    conditioned.write_text("base: pd\nenvironment:\n  parameters:\n    skeleton:\n      global: {min: 0.9, max: 1.1}\n"
                           "    torsion:\n      femur: {min: -0.3, max: 0.3, default: 0.0}\n")
    task, ckpt = build_task(str(conditioned)), checkpoint.load(source)
    state, added = restore.init_agent_state(ckpt, task)
    assert added == ["conditions"] and task.observation_dim == ckpt.metadata["obs_dim"] + 2
    old, new = restore.build_agent(ckpt), Agent(task.observation_dim, task.action_dim, [32, 32], torch.zeros(51),
                                                obs_norm=True)
    new.load_state_dict(state)
    obs = torch.randn(5, ckpt.metadata["obs_dim"])
    widened = torch.cat([obs, torch.rand(5, 2) * 3], dim=1)  # any condition values
    with torch.no_grad():
        assert torch.equal(new.mean_action(widened), old.mean_action(obs))
        assert torch.equal(new.get_value(widened), old.get_value(obs))
    last = train(config(f"env.name={conditioned}", "model.obs_norm=true", "total_steps=16", f"init={source}"),
                 tmp_path / "conditioned")
    assert checkpoint.load(last).agent["actor_mean.0.weight"].shape[1] == task.observation_dim
    # evaluate --widen: the checkpoint's policy on the wider task, blind to the new inputs
    from bidir_ppo import evaluate
    out = tmp_path / "widened.json"
    args = [str(source), "--env", str(conditioned), "--episodes", "2", "--envs", "2"]
    assert evaluate.main(args) == 2  # the sizes differ: refused without --widen
    assert evaluate.main([*args, "--widen", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["widened"] is True
    # a narrower task, or one whose observation does not start with the checkpoint's, is refused
    with pytest.raises(CheckpointError, match="is not the start of"):
        restore.init_agent_state(checkpoint.load(last), build_task("pd"))


@pytest.mark.parametrize("env, action_dim", [("torque", 51), ("muscle", None)])
@pytest.mark.slow
def test_tiny_runs_of_the_policy_driven_actuators(env, action_dim, tmp_path):
    """env=torque and env=muscle train and checkpoint; no muscle tuples, so no muscle update; under muscle
    the activations start at model.log_std_muscles."""
    import json

    from bidir_sim import build_task

    task = build_task(env)
    train(config("total_steps=32", f"env={env}", "model.log_std_muscles=-2.0"), tmp_path)
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert len(rows) == 2 and all("muscle/loss" not in r for r in rows)
    ckpt = checkpoint.load(tmp_path)
    assert ckpt.metadata["action_dim"] == (action_dim or task.action_dim)
    log_std = ckpt.agent["actor_logstd"][0]
    first = task.compiled.first_activation_action
    if env == "muscle":
        activations = log_std[first:first + task.compiled.num_muscles]
        assert (activations - -2.0).abs().max() < 0.05
        assert (log_std[:first] - -2.0).abs().min() > 1.0  # the upper body's entries: log_std_rest (0.5)


@pytest.mark.slow
def test_the_assist_fades_out_by_its_schedule_is_logged_and_resumes_exactly(tmp_path):
    import json

    opts = ("env=pd", "total_steps=64", "assist.scale=0.8", "assist.fade_until=0.5", "checkpoint_every=1")
    train(config(*opts), tmp_path / "full")
    rows = [json.loads(line) for line in (tmp_path / "full" / "metrics.jsonl").read_text().splitlines()]
    # 16 env-steps per iteration: the scale at global steps 0, 16, 32, 48 of a fade ending at 32
    assert [r["assist/scale"] for r in rows] == pytest.approx([0.8, 0.4, 0.0, 0.0])
    assert rows[0]["assist_force"] > 0 and rows[-1]["assist_force"] == 0
    # resumed while the assist is on, the run continues its schedule and ends where the whole run did
    train(config(*opts, f"resume={tmp_path / 'full' / 'ckpt_1'}"), tmp_path / "resumed")
    a, b = checkpoint.load(tmp_path / "full" / "ckpt_4"), checkpoint.load(tmp_path / "resumed" / "ckpt_4")
    for k, v in a.agent.items():
        assert torch.equal(v, b.agent[k]), k


@pytest.mark.slow
def test_evaluate_runs_a_checkpoint_on_another_config_of_its_sizes(tmp_path, capsys):
    import json

    from bidir_ppo import evaluate

    train(config("env=pd", "total_steps=16"), tmp_path / "pd")
    out = tmp_path / "on_a2.json"
    assert evaluate.main([str(tmp_path / "pd" / "ckpt"), "--env", "A2_sep", "--episodes", "1", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["env"] == "A2_sep"
    assert evaluate.main([str(tmp_path / "pd" / "ckpt"), "--env", "muscle", "--episodes", "1"]) == 2
    assert "obs/action dims 506/51" in capsys.readouterr().err


def test_a_composed_env_config_is_kept_self_contained(tmp_path):
    """A config file with a base: is stored composed in metadata.yaml: restore rebuilds the env from the
    checkpoint alone, after both files are gone."""
    from bidir_ppo import restore

    (tmp_path / "parent.yaml").write_text("base: A2_sep\nenvironment:\n  termination:\n    head_drop: 0.15\n")
    child = tmp_path / "child.yaml"
    child.write_text("base: parent.yaml\nenvironment:\n  termination:\n    pelvis_angle: 0.5\n")
    train(config(f"env.name={child}", "total_steps=16"), tmp_path / "run")
    (tmp_path / "parent.yaml").unlink()
    child.unlink()
    ckpt = checkpoint.load(tmp_path / "run")
    assert "base:" not in ckpt.metadata["env_config_text"]
    env = restore.env_config(ckpt)
    assert (env.termination.head_drop, env.termination.pelvis_angle) == (0.15, 0.5)
    assert restore.env_task(ckpt).action_dim == 51


def test_a_preset_mixture_holds_each_preset_on_its_envs(tmp_path):
    """mixture.presets: the last envs hold one preset each for every episode (info's conditions), the others draw;
    a preset the env config cannot carry, or a mixture under rollout=ray, fails at start."""
    from bidir_sim.envs import build_task
    from bidir_sim.envs.presets import preset_rows

    mixed = tmp_path / "mixed.yaml"
    mixed.write_text("base: pd\nenvironment:\n  parameters:\n    muscle:\n      dorsiflexors:\n        left:\n"
                     "          force: {min: 0.3, max: 1.0, sampling: continuous}\n        right:\n"
                     "          force: {min: 0.3, max: 1.0, sampling: continuous}\n")
    last = train(config(f"env.name={mixed}", "envs=3", "mixture.presets=[foot_drop]", "total_steps=48"),
                 tmp_path / "run")
    assert checkpoint.load(last).metadata["global_step"] == 48
    task = build_task(str(mixed))
    rows = preset_rows(task, ["foot_drop"], 1, 3)
    assert rows[2].tolist() == [0.05, 1.0] and np.isnan(rows[:2]).all()
    with pytest.raises(ValueError, match=r"'mixture.envs_per_preset': 2 presets x 2 envs each take 4 of 3 envs"):
        train(config(f"env.name={mixed}", "envs=3", "mixture.presets=[foot_drop,crouch]", "mixture.envs_per_preset=2"),
              tmp_path / "full")
    with pytest.raises(ValueError, match="mixture.presets': a preset mixture runs under rollout=local"):
        train(config(f"env.name={mixed}", "envs=4", "mixture.presets=[foot_drop]", "rollout=ray"), tmp_path / "ray")
    with pytest.raises(Exception, match=r"crouch\.yaml.*muscle\.Psoas\.length.*no condition"):
        train(config(f"env.name={mixed}", "envs=3", "mixture.presets=[crouch]", "total_steps=16"), tmp_path / "bad")
    with pytest.raises(ValueError, match=r"'mixture.envs_per_preset': 1 presets x 1 envs each and 2 healthy envs take 3 of 3"):
        train(config(f"env.name={mixed}", "envs=3", "mixture.presets=[foot_drop]", "mixture.healthy_envs=2"),
              tmp_path / "no-draws")
    with pytest.raises(ValueError, match=r"'mixture.healthy_envs': env 'pd' draws no anatomical condition"):
        train(config("env=pd", "envs=3", "mixture.healthy_envs=1", "total_steps=16"), tmp_path / "healthy")
