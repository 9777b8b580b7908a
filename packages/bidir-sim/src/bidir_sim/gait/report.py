"""The gait report of recorded episodes: cycles, spatiotemporal parameters, curves over the cycle (mean and
SD over cycles, per side), muscle activity and its timing, energetics, and the comparison with normative data.

``gait_report(model, records)`` takes the records of ``Env.take_record()`` (one per episode) and returns a
JSON-ready dict; ``curves_table`` flattens its curves for a CSV.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import energy, events, kinetics, normative
from .angles import SIDE_BODIES, joint_angles
from .groups import BROAD, NARROW, group_indices, group_of

ENERGY_MODEL = "Umberger et al. 2003 muscle heat + work, 1.2 W/kg basal (gait/energy.py)"
ON_THRESHOLD = 0.3  # a group is "on" where its mean activation exceeds this fraction of its peak in the cycle
SPATIOTEMPORAL = ("speed", "cadence", "stride_length", "step_length", "step_width", "stance", "swing",
                  "double_support")
UNITS = {"speed": "m/s", "cadence": "steps/min", "stride_length": "m", "step_length": "m", "step_width": "m",
         "stance": "% cycle", "swing": "% cycle", "double_support": "% cycle"}


@dataclass(frozen=True)
class RecordedMuscle:
    """One muscle as an episode's body had it (a record's ``muscle_parameters``: weakness, contracture and bone
    scaling applied), with the attributes gait.energy reads from the model's muscles."""

    name: str
    f0: float
    optimal_fiber_length: float
    tendon_slack_length: float
    pennation: float


def record_muscles(model, rec: dict) -> list:
    """The muscles of the body ``rec`` was recorded on where it says (``Env.take_record()`` does), else the
    model's. A conditioned body's fibre lengths and forces only agree with its own parameters."""
    params = rec.get("muscle_parameters")
    if params is None:
        return list(model.muscles)
    params = np.asarray(params, dtype=float)
    if params.shape != (len(model.muscles), 3) or not np.all(np.isfinite(params)):
        raise ValueError(f"muscle_parameters: expected finite ({len(model.muscles)}, 3) values (f0, optimal fibre "
                         f"length, tendon slack length per muscle of {model.name!r}), got shape {params.shape}")
    return [RecordedMuscle(m.name, float(f0), float(l_opt), float(slack), float(m.pennation))
            for m, (f0, l_opt, slack) in zip(model.muscles, params, strict=True)]


def record_mass(model, rec: dict) -> float:
    """The mass of the body ``rec`` was recorded on (a scaled body weighs what its bones do), else the model's."""
    mass = float(rec.get("mass", model.total_mass))
    if not (math.isfinite(mass) and mass > 0):
        raise ValueError(f"mass: the record's body mass must be positive and finite, got {mass!r}")
    return mass


def foot_kinematics(model, positions: np.ndarray, rotation: np.ndarray | None = None,
                    position: np.ndarray | None = None) -> tuple[dict, dict]:
    """Per side the talus origin in world (rows, 3) and its rotation from the model's zero pose (rows, 3, 3):
    from the model's kinematics at ``positions``, or where given from a record's ``foot_rotation`` (rows, 2, 3, 3)
    and ``foot_position`` (rows, 2, 3): the env's own body, whose torsion turns the foot and whose bone lengths
    place it where the model's would not."""
    fk = model.native().forward_kinematics(np.ascontiguousarray(positions))
    zero = model.native().forward_kinematics(np.zeros((1, positions.shape[1])))[0]
    index = model.body_index
    place, turn = {}, {}
    for k, (side, (_, _, talus)) in enumerate(SIDE_BODIES.items()):
        b = index[talus]
        place[side] = fk[:, b, :3, 3] if position is None else position[:, k]
        world = fk[:, b, :3, :3] if rotation is None else rotation[:, k]
        turn[side] = world @ zero[b, :3, :3].T
    return place, turn


def _episode_signals(model, rec: dict, mass: float, muscles: list) -> dict:
    """Every per-row signal of one episode, by name (side-suffixed where it has a side)."""
    q = rec["positions"]
    place, turn = foot_kinematics(model, q, rec.get("foot_rotation"), rec.get("foot_position"))
    sig = joint_angles(model, q, turn)
    bw = mass * kinetics.GRAVITY
    sig.update(kinetics.ground_reaction(rec["foot_force"], bw))
    moments = kinetics.sagittal_moments(model, q, rec["moments"], mass)
    sig.update(moments)
    sig.update(kinetics.sagittal_powers(sig, moments, rec["time"]))
    names = [m.name for m in muscles]
    weights = np.array([m.f0 for m in muscles])
    for group in (*NARROW, *BROAD):
        for side in ("r", "l"):
            idx = group_indices(names, group, side)
            if idx:  # f0-weighted: a group's activity as the share of its force capacity in use
                sig[f"{group}_{side}"] = rec["activations"][:, idx] @ weights[idx] / weights[idx].sum()
    sig["_foot_position"] = place
    return sig


def _spatiotemporal(cycle, rec, sig, on) -> dict:
    t, place = rec["time"], sig["_foot_position"]
    k = events.SIDES.index(cycle.side)
    other = events.SIDES[1 - k]
    seconds = t[cycle.end] - t[cycle.start]
    stride = place[cycle.side][cycle.end, 2] - place[cycle.side][cycle.start, 2]
    at = cycle.start
    both = on[cycle.start:cycle.end, 0] & on[cycle.start:cycle.end, 1]
    stance = (t[cycle.toe_off] - t[cycle.start]) / seconds
    return {"speed": stride / seconds, "cadence": 120.0 / seconds, "stride_length": stride,
            "step_length": place[cycle.side][at, 2] - place[other][at, 2],
            "step_width": abs(place[cycle.side][at, 0] - place[other][at, 0]),
            "stance": 100 * stance, "swing": 100 * (1 - stance), "double_support": 100 * float(np.mean(both))}


def _mean_sd(rows: list[np.ndarray]) -> dict:
    a = np.asarray(rows)
    return {"mean": a.mean(axis=0), "sd": a.std(axis=0, ddof=1) if len(a) > 1 else np.zeros(a.shape[1:])}


def _timing(curve: np.ndarray) -> list[list[float]]:
    """[on %, off %] intervals where ``curve`` exceeds ON_THRESHOLD of its peak (wrapping at 100 %)."""
    if np.max(curve) <= 0:
        return []
    on = curve > ON_THRESHOLD * np.max(curve)
    runs = events._runs(on)
    if len(runs) > 1 and runs[0][0] == 0 and runs[-1][1] == len(on):  # one burst across 100 % -> 0 %
        runs = [(runs[-1][0], runs[0][1] + len(on) - 1)] + runs[1:-1]
    return [[float(a), float((b - 1) % (len(on) - 1) if b > len(on) else b - 1)] for a, b in runs]


def _symmetry(r: float, l: float) -> float:
    """Robinson et al. (1987) symmetry index, %: 0 is perfect symmetry."""
    return 100.0 * abs(r - l) / (0.5 * abs(r + l)) if r + l != 0 else float("nan")


def gait_report(model, records: list[dict], settle: float = 1.0, distance: float | None = None) -> dict:
    """The report of ``records`` (one per episode; rows of substeps). ``settle``: seconds after each reset
    left out of the cycles. Raises ValueError when no complete gait cycle is found."""
    curves = {s: {} for s in events.SIDES}
    params = {s: {k: [] for k in SPATIOTEMPORAL} for s in events.SIDES}
    heat = {s: [] for s in events.SIDES}
    names = [m.name for m in model.muscles]
    n_cycles, rejected, residual, other, seconds = dict.fromkeys(events.SIDES, 0), 0, 0.0, 0.0, 0.0
    metabolic_j, positive_work_j, walked = 0.0, 0.0, 0.0
    masses = []  # of the bodies walked (records of conditioned bodies differ): the report's J/kg, W/kg
    for rec in records:
        if len(rec["time"]) < 2:
            continue
        mass, muscles = record_mass(model, rec), record_muscles(model, rec)
        bw = mass * kinetics.GRAVITY
        masses.append(mass)
        sig = _episode_signals(model, rec, mass, muscles)
        cycles, on, bad = events.find_cycles(rec["time"], rec["foot_force"][:, :, 1], bw, settle)
        rejected += bad
        residual = max(residual, kinetics.root_residual(rec["moments"], bw))
        other = max(other, float(np.max(np.abs(rec["other_contact_force"][:, 1]))) / bw)
        seconds += rec["time"][-1] - rec["time"][0]
        if cycles:  # energetics over the whole cycles walked (first to last heel strike of the right foot)
            right = [c for c in cycles if c.side == "r"] or cycles
            a, b = right[0].start, right[-1].end
            span = slice(a, b + 1)
            power = energy.metabolic_power(rec["time"][span], rec["activations"][span], rec["muscle_length"][span],
                                           rec["fiber_length"][span], rec["muscle_force"][span], muscles, mass)
            metabolic_j += power["energy"]
            work = energy.mechanical_work(rec["time"][span], rec["moments"][span], rec["velocities"][span])
            positive_work_j += work["positive_work"]
            walked += float(np.mean([p[b, 2] - p[a, 2] for p in sig["_foot_position"].values()]))
        for c in cycles:
            n_cycles[c.side] += 1
            for k, v in _spatiotemporal(c, rec, sig, on).items():
                params[c.side][k].append(v)
            for name, values in sig.items():
                if name.startswith("_"):
                    continue
                base, side = (name, None) if name == "pelvis_tilt" else name.rsplit("_", 1)
                if side is None or side == c.side:
                    curves[c.side].setdefault(base, []).append(events.normalise(values, rec["time"], c))
            side_idx = [i for i, n in enumerate(names) if n.startswith(c.side.upper() + "_")]
            heat[c.side].append(events.normalise(rec["activations"][:, side_idx], rec["time"], c).T)
    if not any(n_cycles.values()):
        raise ValueError(f"no complete gait cycle in {len(records)} episode(s) of {seconds:.1f} s after the first "
                         f"{settle} s of each (a fall, standing, or steps the contact forces cannot separate)")
    return _assemble(model, curves, params, heat, n_cycles, rejected, residual, other, seconds, len(records),
                     metabolic_j, positive_work_j, walked, float(np.mean(masses)))


def _assemble(model, curves, params, heat, n_cycles, rejected, residual, other, seconds, episodes,
              metabolic_j, positive_work_j, walked, mass) -> dict:
    out_curves, comparison = {}, {}
    known = set(normative.curve_names())
    for side in events.SIDES:
        for base, rows in curves[side].items():
            stats = _mean_sd(rows)
            out_curves.setdefault(base, {})[side] = {k: v.tolist() for k, v in stats.items()}
            if base in known:
                comparison.setdefault(base, {})[side] = normative.compare(stats["mean"], base)
    spatio = {}
    for k in SPATIOTEMPORAL:
        entry = {"unit": UNITS[k]}
        for side in events.SIDES:
            v = params[side][k]
            entry[side] = {"mean": float(np.mean(v)) if v else math.nan,
                           "sd": float(np.std(v, ddof=1)) if len(v) > 1 else math.nan}
        entry["symmetry_index"] = _symmetry(entry["r"]["mean"], entry["l"]["mean"])
        spatio[k] = entry
    timing = {}
    for g in (*NARROW, *BROAD):
        for side in out_curves.get(g, {}):
            on_off = _timing(np.asarray(out_curves[g][side]["mean"]))
            timing.setdefault(g, {})[side] = {"on_off": on_off, "normative": normative.compare_timing(g, on_off)}
    names = [m.name for m in model.muscles]
    muscles = {}
    for side in events.SIDES:
        idx = [i for i, n in enumerate(names) if n.startswith(side.upper() + "_")]
        if heat[side]:
            order = sorted(range(len(idx)), key=lambda j: (str(group_of(names[idx[j]])), names[idx[j]]))
            mean = np.mean(heat[side], axis=0)
            muscles[side] = {"names": [names[idx[j]] for j in order],
                             "groups": [group_of(names[idx[j]]) for j in order],
                             "activation": mean[order].round(4).tolist()}
    metabolic_w = metabolic_j / max(seconds, 1e-9)
    energetics = {"metabolic_energy_J": metabolic_j, "positive_joint_work_J": positive_work_j,
                  "distance_m": walked,
                  "cost_of_transport_J_per_kg_m": energy.cost_of_transport(metabolic_j, mass, walked)
                  if walked > 0 else math.nan,
                  "mechanical_cost_of_transport_J_per_kg_m": positive_work_j / (mass * walked) if walked > 0
                  else math.nan,
                  "metabolic_power_W_per_kg": metabolic_w / mass, "model": ENERGY_MODEL}
    report = {"body": {"model": model.name, "mass_kg": mass},
            "episodes": episodes, "seconds": seconds, "cycles": n_cycles, "rejected_cycles": rejected,
            "quality": {"max_root_residual_bw": residual, "max_other_contact_bw": other},
            "spatiotemporal": spatio, "curves": out_curves, "comparison": comparison, "timing": timing,
            "muscles": muscles, "energetics": energetics}
    report["realism"] = {side: realism(report, side) for side in events.SIDES if n_cycles[side]}
    return report


def curves_table(report: dict) -> tuple[list[str], np.ndarray]:
    """(header, rows) of every curve's mean and SD per side over 0..100 % of the cycle, for a CSV."""
    header, cols = ["phase_percent"], [np.arange(events.SAMPLES, dtype=float)]
    for base, sides in report["curves"].items():
        for side, stats in sides.items():
            for k in ("mean", "sd"):
                header.append(f"{base}_{side}_{k}")
                cols.append(np.asarray(stats[k]))
    return header, np.stack(cols, axis=1)


def _peaks(grf: np.ndarray, stance: float) -> tuple[float, float, float]:
    """First-half and second-half peaks of a vertical GRF curve over stance, and the dip between them."""
    end = max(round(stance), 4)
    half = end // 2
    first, second = int(np.argmax(grf[:half])), half + int(np.argmax(grf[half:end]))
    return float(grf[first]), float(grf[second]), float(grf[first:second + 1].min())


def _on_at(timing: list, lo: float, hi: float) -> bool:
    """Whether any [on, off] interval (possibly wrapping past 100 %) overlaps [lo, hi]."""
    for a, b in timing:
        spans = [(a, b)] if a <= b else [(a, 100.0), (0.0, b)]
        if any(x <= hi and y >= lo for x, y in spans):
            return True
    return False


def realism(report: dict, side: str = "r") -> list[dict]:
    """The realism targets of a healthy gait (issues #27 and #28) checked on one side of a report: each as
    {target, measured, met}."""
    out = []
    cmp, curves, timing = report["comparison"], report["curves"], report["timing"]

    def add(target, measured, met):
        out.append({"target": target, "measured": measured, "met": bool(met)})

    for name in ("hip_flexion", "knee_flexion", "ankle_dorsiflexion"):
        c = cmp[name][side]
        add(f"{name}: r >= 0.9 and RMSE <= 5 deg against the normative mean", f"r {c['r']:.2f}, RMSE {c['rmse']:.1f} deg",
            c["r"] >= 0.9 and c["rmse"] <= 5.0)
    for name in ("pelvis_obliquity", "pelvis_rotation", "hip_adduction"):
        c = cmp[name][side]
        add(f"{name}: within the normative band for >= 70 % of the cycle", f"{100 * c['in_band']:.0f} %",
            c["in_band"] >= 0.7)
    stance = report["spatiotemporal"]["stance"][side]["mean"]
    p1, p2, dip = _peaks(np.asarray(curves["grf_vertical"][side]["mean"]), stance)
    add("vertical GRF: two peaks of 1.0-1.3 BW, mid-stance dip below 0.9 BW",
        f"peaks {p1:.2f} and {p2:.2f} BW, dip {dip:.2f} BW", 1.0 <= p1 <= 1.3 and 1.0 <= p2 <= 1.3 and dip < 0.9)
    ap = np.asarray(curves["grf_anterior"][side]["mean"])
    off = round(stance) + 1
    half = max(off // 2, 1)
    brake, push = float(ap[:half].min()), float(ap[half:off].max())
    add("anterior-posterior GRF: braking, then propulsion", f"min {brake:.2f} BW in the first half of stance, "
        f"max {push:.2f} BW in the second", brake < -0.05 and push > 0.05)
    plantar = np.asarray(curves["soleus"][side]["mean"]) + np.asarray(curves["gastrocnemius"][side]["mean"])
    peak = int(np.argmax(plantar))
    add("plantarflexors (soleus + gastrocnemius) peak in late stance (40-60 % of the cycle)", f"peak at {peak} %",
        40 <= peak <= 60)
    for group, lo, hi, where in (("tibialis_anterior", 0, 5, "at heel strike"), ("tibialis_anterior", 65, 95, "in swing"),
                                 ("vasti", 0, 15, "in loading response"), ("hamstrings", 85, 100, "in terminal swing"),
                                 ("gluteus_medius", 0, 30, "in early stance")):
        on = timing.get(group, {}).get(side, {}).get("on_off", [])
        add(f"{group} active {where} ({lo}-{hi} %)", f"on {on}", _on_at(on, lo, hi))
    cot, human = report["energetics"]["cost_of_transport_J_per_kg_m"], normative.cost_of_transport()
    lo, hi = human["mean"] - 2 * human["sd"], human["mean"] + 2 * human["sd"]
    add(f"cost of transport within human walking's {lo:.1f}-{hi:.1f} J/kg/m (gross, mean +- 2 SD, {human['source']})",
        f"{cot:.2f} J/kg/m", lo <= cot <= hi)
    return out
