"""Which drawn anatomical conditions the falls depend on: evaluate's table over episodes with sampled bodies.

For each condition drawn in at least two distinct values, the Spearman rank correlation between its value and the
episode's length (negative: the larger the value, the sooner the fall), and the fraction of episodes that reached
the end among those drawn near each end of the range (the outer quarter of [min, max]). Episodes cut at the
horizon tie at its length, which is what a rank correlation handles: no model of the length is assumed. It is a
screen over marginal effects, one condition at a time, for choosing what to train harder (docs/conditions.md); with
tens of episodes per bin the reach fractions carry a few points of sampling noise.
"""

from __future__ import annotations

import numpy as np

END_BAND = 0.25  # the outer fraction of a condition's range counted as "near" that end


def ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 0..n-1 of ``values``, ties given their mean rank (what Spearman's coefficient needs)."""
    order = np.argsort(values, kind="stable")
    plain = np.empty(len(values))
    plain[order] = np.arange(len(values))
    _, group = np.unique(values, return_inverse=True)
    return (np.bincount(group, weights=plain) / np.bincount(group))[group]


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation; NaN when either side has a single value."""
    rx, ry = ranks(x), ranks(y)
    if np.ptp(rx) == 0 or np.ptp(ry) == 0:
        return float("nan")
    return float(np.corrcoef(rx, ry)[0, 1])


def condition_factors(episodes: list[dict], ranges: dict[str, tuple[float, float]]) -> list[dict]:
    """One row per condition in the episodes' ``conditions`` (``ranges``: name -> (min, max)) drawn in two values
    or more: ``spearman_length``, and ``low`` / ``high`` {episodes, reached_end_fraction} for the episodes in the
    outer END_BAND of the range at each end. Sorted by the strength of the correlation, strongest first."""
    if not episodes or "conditions" not in episodes[0]:
        return []
    length = np.array([e["length"] for e in episodes], dtype=float)
    reached = np.array([e["reached_end"] for e in episodes], dtype=bool)
    rows = []
    for name in episodes[0]["conditions"]:
        x = np.array([e["conditions"][name] for e in episodes], dtype=float)
        if np.ptp(x) == 0:
            continue  # held at one value: nothing to correlate
        lo, hi = ranges[name]
        u = (x - lo) / (hi - lo)

        def near(mask):
            return {"episodes": int(mask.sum()),
                    "reached_end_fraction": float(reached[mask].mean()) if mask.any() else float("nan")}

        rows.append({"condition": name, "spearman_length": spearman(x, length),
                     "low": near(u <= END_BAND), "high": near(u >= 1.0 - END_BAND)})
    return sorted(rows, key=lambda r: -abs(r["spearman_length"]) if np.isfinite(r["spearman_length"]) else 0.0)


def print_factors(rows: list[dict], top: int) -> None:
    """The ``top`` rows as a table."""
    print(f"what the falls depend on (the {min(top, len(rows))} strongest of {len(rows)} drawn conditions): "
          "condition, rank correlation with episode length, reached the end near min | near max (episodes)")
    for r in rows[:top]:
        lo, hi = r["low"], r["high"]
        print(f"  {r['condition']:40s} {r['spearman_length']:+6.2f}   "
              f"{100 * lo['reached_end_fraction']:4.0f} % ({lo['episodes']:3d}) | "
              f"{100 * hi['reached_end_fraction']:4.0f} % ({hi['episodes']:3d})")
