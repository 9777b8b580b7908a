"""Normative gait data of healthy adults (normative.yaml beside this file, every curve with its sources) and
the measures a gait lab reports for a curve against it.

For a curve over 0..100 % of the cycle against the normative mean m and SD s (both resampled to the same
101 points): RMSE, Pearson's r, the range of motion of both, and the fraction of the cycle within m +- s
(NaN for the curves whose SD the sources do not give: ``curves_without_sd``). For muscle activity: adult on/off
timing (Perry 1992), compared as the fraction of the cycle where a muscle group's on/off state agrees with the
normative muscle's; and, for five groups, a linear envelope (adolescents), compared like any curve after the
group's activation is scaled to its own peak (``emg_envelopes``).

The hip is compared with the conventional-gait-model definition (femur against the tilted pelvis, the one
bidir's angles use: gait/angles.py); Winter's 2-D hip angle is kept as ``hip_flexion_winter``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from .events import SAMPLES

DATA = Path(__file__).with_name("normative.yaml")


@lru_cache(maxsize=1)
def data() -> dict:
    """The normative data file, parsed and checked (each curve's phase ascending from 0 to 100, arrays of one
    length, sources that the file lists)."""
    with open(DATA, encoding="utf-8") as f:
        d = yaml.safe_load(f)
    sources = d.get("sources", {})
    d["curves"] = {**d.get("curves", {}), **d.get("curves_without_sd", {})}
    for name, c in d["curves"].items():
        phase, mean = (np.asarray(c[k], dtype=float) for k in ("phase", "mean"))
        sd = np.zeros_like(mean) if c.get("sd") is None else np.asarray(c["sd"], dtype=float)
        if not (len(phase) == len(mean) == len(sd) >= 2) or phase[0] != 0 or phase[-1] != 100 \
                or np.any(np.diff(phase) <= 0) or np.any(sd < 0):
            raise ValueError(f"{DATA}: curves.{name}: phase must rise from 0 to 100 with a mean and an SD >= 0 each")
        unknown = [s for s in c.get("source", []) if s not in sources]
        if not c.get("source") or unknown:
            raise ValueError(f"{DATA}: curves.{name}: sources {unknown or '(none)'} are not listed under sources")
    return d


def curve_names() -> list[str]:
    return list(data()["curves"])


def band(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The normative mean and SD of curve ``name`` at 0, 1, ..., 100 % of the cycle (SD NaN where unknown)."""
    c = data()["curves"][name]
    grid = np.linspace(0.0, 100.0, SAMPLES)
    sd = np.full(SAMPLES, np.nan) if c.get("sd") is None else np.interp(grid, c["phase"], c["sd"])
    return np.interp(grid, c["phase"], c["mean"]), sd


def compare(values: np.ndarray, name: str) -> dict:
    """RMSE, r, ranges of motion and the in-band fraction of ``values`` (101 samples) against curve ``name``.
    EMG curves (unit fraction_of_peak) are compared after scaling ``values`` to their own peak."""
    mean, sd = band(name)
    v = np.asarray(values, dtype=float)
    if v.shape != mean.shape:
        raise ValueError(f"compare: {name} needs {len(mean)} samples over the cycle, got {v.shape}")
    if data()["curves"][name].get("unit") == "fraction_of_peak":
        peak = np.max(v)
        v = v / peak if peak > 0 else v
    with np.errstate(invalid="ignore", divide="ignore"):
        r = float(np.corrcoef(v, mean)[0, 1]) if np.std(v) > 0 and np.std(mean) > 0 else float("nan")
    return {"rmse": float(np.sqrt(np.mean((v - mean) ** 2))), "r": r,
            "rom": float(np.ptp(v)), "rom_normative": float(np.ptp(mean)),
            "in_band": float(np.mean(np.abs(v - mean) <= sd)) if np.all(np.isfinite(sd)) else float("nan"), "unit": data()["curves"][name].get("unit", "")}


def emg_envelopes() -> list[str]:
    """The muscle groups (gait/groups.py) that have a normative EMG envelope: curves named after the group."""
    return [n for n, c in data()["curves"].items() if c.get("quantity") == "emg"]


def cost_of_transport() -> dict:
    """The gross metabolic cost of transport of human walking, {mean, sd} in J/kg/m, with its ``source``."""
    c = data()["energetics"]["cost_of_transport_J_kg_m"]
    return {**c["gross"], "source": c["source"]}


def scalar(name: str) -> dict | None:
    """A normative spatiotemporal value {mean, sd, source, ...} by name, or None."""
    return data().get("spatiotemporal", {}).get(name)


# bidir's muscle groups (gait/groups.py) -> the muscle of the EMG timing table that stands for each
EMG_MUSCLE = {"gluteus_maximus": "gluteus_maximus_upper", "gluteus_medius": "gluteus_medius",
              "iliopsoas": "iliacus", "rectus_femoris": "rectus_femoris", "vasti": "vastus_lateralis",
              "hamstrings": "semimembranosus", "tibialis_anterior": "tibialis_anterior",
              "gastrocnemius": "gastrocnemius", "soleus": "soleus"}


def on_mask(intervals, samples: int = SAMPLES) -> np.ndarray:
    """On/off over 0..100 % (``samples`` points) from [on %, off %] intervals."""
    x = np.linspace(0.0, 100.0, samples)
    mask = np.zeros(samples, bool)
    for a, b in intervals:
        mask |= (x >= a) & (x <= b)
    return mask


def compare_timing(group: str, intervals) -> dict | None:
    """Agreement of a group's [on, off] intervals with its normative muscle's timing (None if it has none)."""
    muscle = EMG_MUSCLE.get(group)
    table = data().get("emg", {}).get("muscles", {})
    if muscle not in table:
        return None
    ours, norm = on_mask(intervals), on_mask(table[muscle]["on_off"])
    return {"muscle": muscle, "normative_on_off": table[muscle]["on_off"], "agreement": float(np.mean(ours == norm)),
            "normative_on_covered": float(np.mean(ours[norm])) if norm.any() else float("nan")}
