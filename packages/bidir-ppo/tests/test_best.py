"""bidir_ppo.best: every kept checkpoint evaluated on the same episodes, the best by reach then length pointed at
by RUN_DIR/best and kept; bad uses are clear errors."""

import json

import pytest
import torch
from bidir_ppo import best, checkpoint, evaluate
from bidir_ppo.train import train
from hydra import compose, initialize

TINY = ["env=pd", "envs=2", "ppo.num_steps=8", "ppo.num_minibatches=2", "model.hidden=[32,32]", "wandb.mode=disabled",
        "muscle.minibatch_size=8", "seed=5"]


@pytest.mark.slow
def test_best_evaluates_each_kept_checkpoint_and_points_at_the_best(tmp_path, capsys):
    with initialize(version_base=None):
        cfg = compose(config_name="train", overrides=[*TINY, "total_steps=48", "checkpoint_every=2"])
    run = tmp_path / "run"
    train(cfg, run)  # 3 iterations: ckpt_2 kept, ckpt_3 the latest (not kept)
    assert best.candidates(run) == ["ckpt_2", "ckpt_3"]
    assert best.main([str(run), "--episodes", "3", "--envs", "3"]) == 0
    result = json.loads((run / "best.json").read_text())
    rows = {r["checkpoint"]: r for r in result["checkpoints"]}
    assert set(rows) == {"ckpt_2", "ckpt_3"} and result["evaluate_options"] == ["--episodes", "3", "--envs", "3"]
    chosen = max(rows.values(), key=best.rank_key)["checkpoint"]
    assert result["best"] == chosen and (run / "best").resolve() == (run / chosen).resolve()
    assert chosen in checkpoint.kept(run)  # a resumed run will not delete it
    out = tmp_path / "again.json"  # the figures are evaluate's, on the same episodes
    assert evaluate.main([str(run / "best"), "--episodes", "3", "--envs", "3", "--json", str(out)]) == 0
    again = json.loads(out.read_text())
    assert again["mean_length"] == rows[chosen]["mean_length"]
    assert again["reached_end_fraction"] == rows[chosen]["reached_end_fraction"]
    assert "<- best" in capsys.readouterr().out


def test_bad_uses_are_clear_errors(tmp_path, capsys):
    assert best.main([str(tmp_path)]) == 2
    assert "no checkpoint" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        best.main([str(tmp_path), "--sweep"])
    assert "--sweep: not an option of bidir_ppo.best" in capsys.readouterr().err
    assert best.main([str(tmp_path / "missing")]) == 2
    assert "missing: not a directory" in capsys.readouterr().err


def test_keep_last_never_drops_the_best(tmp_path):
    parts = {"agent": {"w": torch.zeros(1)}}
    checkpoint.save(tmp_path, 1, keep=True, parts=parts, metadata={"iteration": 1}, keep_last=2)
    checkpoint.point(tmp_path, checkpoint.BEST, "ckpt_1")
    for i in (2, 3, 4):
        checkpoint.save(tmp_path, i, keep=True, parts=parts, metadata={"iteration": i}, keep_last=2)
    assert (tmp_path / "ckpt_1").is_dir() and not (tmp_path / "ckpt_2").exists()
    assert checkpoint.kept(tmp_path) == ["ckpt_1", "ckpt_3", "ckpt_4"]
