"""The gait report as one figure in the gait-lab layout (``python -m bidir_ppo.analyze``): pelvis, hip, knee
and ankle kinematics, joint moments and powers, ground reaction forces, muscle activity and the heat map of
every muscle, each over 0..100 % of the gait cycle from heel strike; right side red, left blue (mean, SD
shaded), the normative band (mean +- 1 SD) grey, normative EMG on/off timing as a dark bar along the bottom
of a muscle's panel, a compared gait dashed, toe-off as a vertical line."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from bidir_sim.gait import normative

COLOURS = {"r": "tab:red", "l": "tab:blue"}
LAYOUT = (
    ("pelvis_tilt", "pelvis_obliquity", "pelvis_rotation", "foot_progression", None),
    ("hip_flexion", "hip_adduction", "hip_internal_rotation", "knee_flexion", "ankle_dorsiflexion"),
    ("hip_moment", "knee_moment", "ankle_moment", "grf_vertical", "grf_anterior"),
    ("hip_power", "knee_power", "ankle_power", "grf_medial", None),
    ("gluteus_maximus", "gluteus_medius", "iliopsoas", "hamstrings", "rectus_femoris"),
    ("vasti", "tibialis_anterior", "gastrocnemius", "soleus", "hip_abductors"),
)
UNITS = {"moment": "N m/kg (+ ext/plantar)", "power": "W/kg (+ gen)", "grf": "body weights"}


def _unit(name: str) -> str:
    for key, unit in UNITS.items():
        if key in name:
            return unit
    return "activation" if name not in normative.curve_names() or "emg" in str(
        normative.data()["curves"][name].get("quantity")) else "deg"


def _panel(ax, name: str, report: dict, compare: dict | None) -> None:
    x = np.arange(101)
    emg = name in normative.curve_names() and normative.data()["curves"][name].get("unit") == "fraction_of_peak"
    peak = 1.0
    for rep, style in ((report, "-"), (compare, "--")):
        if rep is None or name not in rep["curves"]:
            continue
        for side, stats in rep["curves"][name].items():
            mean, sd = np.asarray(stats["mean"]), np.asarray(stats["sd"])
            ax.plot(x, mean, style, color=COLOURS[side], lw=1.4)
            if style == "-":
                ax.fill_between(x, mean - sd, mean + sd, color=COLOURS[side], alpha=0.15, lw=0)
                peak = max(peak if peak != 1.0 else 0.0, float(mean.max()))
                ax.axvline(rep["spatiotemporal"]["stance"][side]["mean"], color=COLOURS[side], lw=0.6, ls=":")
    timing = normative.data().get("emg", {}).get("muscles", {}).get(normative.EMG_MUSCLE.get(name, ""))
    if timing:  # the normative on/off timing (Perry) as a bar along the bottom
        ax.broken_barh([(a, b - a) for a, b in timing["on_off"]], (0.0, 0.06), color="0.35",
                       transform=ax.get_xaxis_transform())
    if name in normative.curve_names():
        m, s = normative.band(name)
        if emg:  # the normative envelope is a fraction of its peak: drawn at the simulated peak's scale
            m, s = m * peak, s * peak
        ax.fill_between(x, m - s, m + s, color="0.8", lw=0, zorder=0)
        ax.plot(x, m, color="0.5", lw=0.8, zorder=0)
        c = report["comparison"].get(name, {}).get("r")
        if c:
            ax.text(0.02, 0.97, f"r {c['r']:.2f}  RMSE {c['rmse']:.2g}", transform=ax.transAxes, va="top", fontsize=7)
    ax.set_title(name.replace("_", " "), fontsize=9)
    ax.set_xlim(0, 100)
    ax.set_ylabel(_unit(name), fontsize=7)
    ax.tick_params(labelsize=7)
    ax.axhline(0, color="0.6", lw=0.5)


def _text(ax, lines: list[str]) -> None:
    ax.axis("off")
    ax.text(0.0, 1.0, "\n".join(lines), va="top", family="monospace", fontsize=7, transform=ax.transAxes)


def _summary(report: dict, label: str) -> list[str]:
    s = report["spatiotemporal"]
    lines = [label[-44:], f"{report['cycles']['r']} R / {report['cycles']['l']} L cycles", "",
             f"{'':15s}  right   left   SI %"]
    for k, v in s.items():
        lines.append(f"{k + ' (' + v['unit'].split(' ')[0] + ')':15s} {v['r']['mean']:6.2f} {v['l']['mean']:6.2f} "
                     f"{v['symmetry_index']:5.1f}")
    return lines


def _energy(report: dict) -> list[str]:
    e, q = report["energetics"], report["quality"]
    return ["energetics", f"CoT metabolic {e['cost_of_transport_J_per_kg_m']:.2f} J/kg/m",
            f"CoT +joint work {e['mechanical_cost_of_transport_J_per_kg_m']:.2f} J/kg/m", f"model: {e['model'][:30]}",
            "", "quality", f"root residual <= {q['max_root_residual_bw']:.3f} BW",
            f"other contacts <= {q['max_other_contact_bw']:.3f} BW"]


def draw(report: dict, stem: Path, label: str, compare: dict | None = None, compare_label: str | None = None):
    """Writes ``stem``.png and ``stem``.pdf."""
    rows = len(LAYOUT) + 1
    fig = plt.figure(figsize=(18, 2.6 * rows))
    grid = fig.add_gridspec(rows, 5, hspace=0.5, wspace=0.3, top=0.95, bottom=0.03, left=0.05, right=0.97)
    for i, row in enumerate(LAYOUT):
        for j, name in enumerate(row):
            ax = fig.add_subplot(grid[i, j])
            if name is not None:
                _panel(ax, name, report, compare)
            elif i == 0:
                _text(ax, _summary(report, label))
            else:
                _text(ax, _energy(report))
    ax = fig.add_subplot(grid[rows - 1, :])
    heat = report["muscles"].get("r")
    if heat:
        im = ax.imshow(np.asarray(heat["activation"]), aspect="auto", cmap="viridis", vmin=0, vmax=1,
                       extent=(0, 100, len(heat["names"]), 0), interpolation="nearest")
        ticks, labels, last = [], [], None
        for k, g in enumerate(heat["groups"]):
            if g != last:
                ticks.append(k + 0.5)
                labels.append(str(g).replace("_", " "))
                last = g
        ax.set_yticks(ticks, labels, fontsize=7)
        ax.set_title("right-side muscles, activation over the cycle (sorted by group)", fontsize=9)
        fig.colorbar(im, ax=ax, fraction=0.02)
    title = f"gait report: {label}" + (f"  (dashed: {compare_label})" if compare is not None else "")
    fig.suptitle(title + "   red right, blue left, grey normative mean +- 1 SD", fontsize=11)
    for ext in ("png", "pdf"):
        tmp = stem.with_name(f".{stem.name}.tmp.{ext}")
        fig.savefig(tmp, dpi=90)
        tmp.replace(stem.with_suffix(f".{ext}"))
    plt.close(fig)
