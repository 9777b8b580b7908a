"""What bidir-ppo takes from bidir-sim's task, and how: the real PyTorch muscle network against the real C++
one, PPO's minibatches over the valid transitions, and the light import path the viewer uses."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from bidir_ppo.agent import Agent
from bidir_ppo.config import PPOConfig, validate
from bidir_ppo.muscle_learner import MuscleNet
from bidir_ppo.rollout import Rollout
from bidir_ppo.train import ppo_update
from bidir_sim import load_muscle_weights, make_muscle_net
from bidir_sim.envs.task import shipped_task
from hydra import compose, initialize

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("batch", [1, 7, 64])
def test_the_trainers_muscle_net_equals_the_cpp_one(batch):
    task = shipped_task("A2_sep")
    torch.manual_seed(batch)
    trained = MuscleNet.for_task(task)
    for p in trained.parameters():  # not the Xavier start: every weight and bias matters
        p.data.normal_(0.0, 0.1)
    cpp = make_muscle_net(task)
    load_muscle_weights(cpp, trained.state_dict())
    rng = np.random.default_rng(batch)
    width = task.network_input_dim - task.num_actuated_dofs
    jta = rng.normal(0, 80, (batch, width)).astype(np.float32)
    tau = rng.normal(0, 80, (batch, task.num_actuated_dofs)).astype(np.float32)
    with torch.no_grad():
        expected, _ = trained(torch.from_numpy(jta), torch.from_numpy(tau))
    got = cpp.activations(jta, tau)
    assert got.shape == (batch, task.compiled.num_muscles)
    assert np.abs(got - expected.numpy()).max() < 1e-5
    assert 0.05 < got.mean() < 0.95  # the comparison is not between two saturated networks


def _rollout(T, N, obs_dim, act_dim, valid):
    z = torch.zeros((T, N))
    return Rollout(obs=torch.randn(T, N, obs_dim), actions=torch.randn(T, N, act_dim), logprobs=z.clone(),
                   values=z.clone(), rewards=torch.randn(T, N), terminations=z.clone(), truncations=z.clone(),
                   bootstrap_values=z.clone(), valid=valid, next_value=z[0])


def test_ppo_makes_exactly_num_minibatches_steps_over_the_valid_transitions():
    T, N, obs_dim, act_dim = 8, 4, 5, 3
    valid = torch.ones(T, N)
    valid[1, 0] = valid[4, 2] = valid[6, 3] = 0  # 29 valid transitions: 4 minibatches do not divide them
    r = _rollout(T, N, obs_dim, act_dim, valid)
    agent = Agent(obs_dim, act_dim, [8], torch.zeros(act_dim))
    seen = []
    original = agent.get_action_and_value

    def counting(x, action=None):
        seen.append(len(x))
        return original(x, action)

    agent.get_action_and_value = counting
    optimizer = torch.optim.Adam(agent.parameters(), lr=1e-3)
    cfg = PPOConfig(num_minibatches=4, update_epochs=2, target_kl=None)  # the trainer's own config, defaults else
    ppo_update(agent, optimizer, r, torch.randn(T, N), torch.randn(T, N), cfg, torch.Generator().manual_seed(0))
    assert len(seen) == 2 * 4  # epochs x minibatches, no extra partial minibatch
    assert sum(seen) == 2 * 29 and max(seen) - min(seen) <= 1


def test_num_minibatches_is_checked_against_what_can_be_split():
    with initialize(version_base=None):
        ok = compose(config_name="train", overrides=["envs=3", "ppo.num_steps=10", "ppo.num_minibatches=7"])
        bad = compose(config_name="train", overrides=["envs=3", "ppo.num_steps=10", "ppo.num_minibatches=16"])
    validate(ok)  # 30 transitions need not be a multiple of 7
    with pytest.raises(ValueError, match="ppo.num_minibatches.*at most envs \\* ppo.num_steps / 2 = 15"):
        validate(bad)


@pytest.mark.slow
def test_restore_and_the_agent_import_without_the_training_stack():
    blocked = ("hydra", "omegaconf", "wandb", "matplotlib", "rich")
    code = ("import sys\n"
            f"for name in {blocked!r}: sys.modules[name] = None  # importing any of them now fails\n"
            "from bidir_ppo import agent, checkpoint, restore\n"
            "from bidir_ppo.muscle_learner import MuscleNet\n"
            "import bidir_viewer.playback\n"
            "print('ok')\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-3000:]


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_trainer_and_viewer_use_only_bidir_sims_public_names():
    import bidir_sim

    assert not [n for n in bidir_sim.__all__ if n.startswith("_") and n != "__version__"]
    offenders = [str(p.relative_to(REPO)) for pkg in ("bidir-ppo", "bidir-viewer")
                 for p in (REPO / "packages" / pkg / "src").rglob("*.py")
                 if any(n == "bidir_sim._core" for n in _imports(p))]
    assert offenders == []
    # every other import names a public module of bidir_sim (or a name of its __all__), and nothing private
    private = [f"{p.relative_to(REPO)}: {n}" for pkg in ("bidir-ppo", "bidir-viewer")
               for p in (REPO / "packages" / pkg / "src").rglob("*.py") for n in _imports(p)
               if n.startswith("bidir_sim.") and (n.split(".")[1] not in (*bidir_sim.PUBLIC_MODULES, *bidir_sim.__all__)
                                                  or any(part.startswith("_") for part in n.split(".")[1:]))]
    assert private == []


@pytest.mark.parametrize("override, message", [
    ("muscle.grad_clamp=-1", "'muscle.grad_clamp': must be > 0.0, got -1.0"),
    ("ppo.vf_coef=-5", "'ppo.vf_coef': must be >= 0.0, got -5.0 (allowed: >= 0.0 and <= 1000000.0)"),
    ("ppo.target_kl=-1", "'ppo.target_kl': must be > 0.0, got -1.0 (allowed: > 0.0 and <= 1000.0)"),
    ("ppo.clip_coef=inf", "'ppo.clip_coef': must be a finite number, got inf"),
    ("muscle.torque_scale=0", "'muscle.torque_scale': must be > 0.0, got 0.0"),
    ("ppo.learning_rate=nan", "'ppo.learning_rate'"),
    ("model.log_std_legs=100", "'model.log_std_legs': must be <= 5.0, got 100.0 (allowed: >= -20.0 and <= 5.0)"),
])
def test_every_numeric_hyper_parameter_is_checked_at_start(override, message):
    with initialize(version_base=None):
        cfg = compose(config_name="train", overrides=[override])
    with pytest.raises(ValueError, match=re.escape(message)):
        validate(cfg)


def test_the_defaults_pass_the_checks():
    with initialize(version_base=None):
        validate(compose(config_name="train"))


def test_keep_checkpoints_bounds_what_stays_on_disk(tmp_path):
    from bidir_ppo import checkpoint

    files = {"agent": {"w": torch.zeros(2)}, "muscle": {}, "optimizers": {"agent": {}, "muscle": {}},
             "state": {"torch_rng": torch.get_rng_state(), "generator": torch.get_rng_state()}}
    meta = {"config": {}, "env_config": "A2_sep", "obs_dim": 1, "action_dim": 1, "iteration": 0, "global_step": 0}
    for it in range(1, 8):
        checkpoint.save(tmp_path, it, True, files, meta | {"iteration": it}, keep_last=3)
    assert sorted(p.name for p in tmp_path.glob("ckpt_*")) == ["ckpt_5", "ckpt_6", "ckpt_7"]
    assert (tmp_path / ".kept").read_text().split() == ["ckpt_5", "ckpt_6", "ckpt_7"]
    assert (tmp_path / "ckpt").resolve().name == "ckpt_7" and checkpoint.load(tmp_path).metadata["iteration"] == 7
    checkpoint.save(tmp_path, 8, True, files, meta | {"iteration": 8}, keep_last=None)  # null keeps all
    assert len(list(tmp_path.glob("ckpt_*"))) == 4
    with initialize(version_base=None):
        bad = compose(config_name="train", overrides=["keep_checkpoints=0"])
    with pytest.raises(ValueError, match="keep_checkpoints"):
        validate(bad)
