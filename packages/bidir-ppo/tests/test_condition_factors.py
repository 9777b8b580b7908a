"""condition_factors: the rank correlation and the end bins on episodes whose length is known to depend on one
condition and not on another."""

import numpy as np
import pytest
from bidir_ppo.condition_factors import condition_factors, ranks, spearman


def test_ranks_average_ties_and_spearman_matches_its_definition():
    assert ranks(np.array([3.0, 1.0, 3.0, 2.0])).tolist() == [2.5, 0.0, 2.5, 1.0]
    x = np.array([0.1, 0.5, 0.2, 0.9, 0.7])
    assert spearman(x, x ** 3) == pytest.approx(1.0)  # monotone: +1 whatever the shape
    assert spearman(x, -x) == pytest.approx(-1.0)
    assert np.isnan(spearman(x, np.ones(5)))  # every episode the same length: nothing to rank


def test_the_condition_that_shortens_episodes_ranks_first():
    rng = np.random.default_rng(0)
    weak = rng.uniform(0.3, 1.0, 200)  # force ratio: the weaker, the sooner the fall
    noise = rng.uniform(0.85, 1.15, 200)  # drawn, but unrelated to the length
    length = np.where(weak > 0.6, 600, (weak * 500).astype(int))
    episodes = [{"length": int(n), "reached_end": bool(n == 600),
                 "conditions": {"noise": float(g), "weak": float(w), "held": 1.0}}
                for n, w, g in zip(length, weak, noise)]
    rows = condition_factors(episodes, {"weak": (0.3, 1.0), "noise": (0.85, 1.15), "held": (0.5, 1.0)})
    assert [r["condition"] for r in rows] == ["weak", "noise"]  # the held condition has no row
    assert rows[0]["spearman_length"] > 0.7 and abs(rows[1]["spearman_length"]) < 0.2
    low, high = rows[0]["low"], rows[0]["high"]  # the outer quarters: weak <= 0.475, weak >= 0.825
    assert low["episodes"] == int((weak <= 0.475).sum()) and high["episodes"] == int((weak >= 0.825).sum())
    assert low["reached_end_fraction"] == 0.0 and high["reached_end_fraction"] == 1.0


def test_episodes_without_conditions_give_no_rows():
    assert condition_factors([{"length": 10, "reached_end": False}], {}) == []
    assert condition_factors([], {}) == []
