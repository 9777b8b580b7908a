"""Metabolic power, mechanical joint work and cost of transport from a gait record.

Muscle energetics: the model of Umberger, Gerritsen & Martin (2003), "A model of human muscle energy
expenditure", Comput Methods Biomech Biomed Engin 6(2):99-111 ("U2003"), in the form of OpenSim's
Umberger2010MuscleMetabolicsProbe (Umberger 2010, "Stance and swing phase costs in human walking", J R Soc
Interface 7:1329-1340, as implemented and documented by OpenSim; "the probe") with the probe's defaults.
Per muscle, in W per kg of muscle (v < 0: shortening; l, v the fibre length and velocity in l_opt, l_opt/s):

  A     = a                   (the probe: A = u if u > a else (u + a)/2; bidir has no activation dynamics,
                               the muscle network sets a directly, so u = a and A = a)
  h_AM  = S A^0.6 (128 f_FT + 25)                                   l <= 1
        = S A^0.6 (0.4 (128 f_FT + 25) + 0.6 (128 f_FT + 25) F_iso)  l > 1
  h_SL  = S A^2 (min(-alpha_ST v, 100) (1 - f_FT) - alpha_FT v f_FT)  v <= 0   (shortening heat)
        = S A alpha_L v                                               v > 0    (lengthening heat)
          times F_iso where l > 1
  w     = -F_CE v_CE / m      (negative while lengthening: the probe's include_negative_mechanical_work)
  rule 1: where h_AM + h_SL + w < 0, h_SL is raised until the sum is 0 (the probe's
          forbid_negative_total_power, after Constable, Barclay & Gibbs 1997, J Physiol 505:205-215);
  rule 2: the heat h_AM + h_SL is then raised to at least 1 W/kg (U2003 p. 104; the probe's
          enforce_minimum_heat_rate_per_muscle). It stands for the muscle's resting metabolism (U2003's own
          Fortran floors h_AM alone at 1 W/kg, "muscle basal metabolic rate"), so it applies at every instant
          and a silent muscle costs 1 W/kg. With both rules a muscle's rate is >= max(0, 1 + w) W/kg.
  E_muscle = m (h_AM + h_SL + w) with the heat after both rules,    E = basal + sum over muscles.

The probe's default recruitment model (Bhargava et al. 2004, J Biomech 37:81-88: fewer fast fibres at low
excitation) is not used: the fast-twitch fraction is a constant per muscle, as published in Umberger (2010).

bidir's muscle kinematics (cpp/muscles.cpp, evaluateMuscles): the tendon is rigid and the normalised fibre
length is l = (path - tendon slack) / l_opt, with no pennation factor (pennation only scales the forces by
cos(pennation)); its force-velocity input is the path's rate / l_opt. The fibre velocity here is therefore the
path length's time derivative (np.gradient: central differences inside, one-sided at the ends), not divided by
cos(pennation), so it matches the recorded ``fiber_length`` and the velocity bidir's own Hill model sees.
The recorded tension is f_P + a f_A along the path, both already times cos(pennation); the work rate uses
the active part along the path, a f_A = tension - f0 F_P(l) cos(pennation), times the path velocity: the power
the contractile element delivers to the skeleton in the simulation (equal to the probe's F_CE v_CE under
OpenSim's constant-thickness pennation, where v_CE = v_path cos(pennation)).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

# --- muscle mass: m = f0 / sigma * l_opt * rho (the probe's MetabolicMuscleParameter, default values) ---
SPECIFIC_TENSION = 0.25e6  # Pa, sigma: the probe's default for mammalian muscle
MUSCLE_DENSITY = 1059.7  # kg/m^3, rho: Mendez & Keys (1960), used in U2003 and the probe's default

# --- U2003 (and the probe) ---
DEFAULT_FAST_TWITCH = 0.5  # fraction of fast-twitch fibres where no per-muscle value is given (task brief)
AEROBIC_FACTOR = 1.5  # S: 1.5 for primarily aerobic activity, 1.0 for anaerobic (U2003; the probe's default)
AM_SLOW = 25.0  # W/kg: activation + maintenance heat of slow-twitch muscle, U2003's h_AM = 1.28 %FT + 25
AM_FAST = 128.0  # W/kg extra for an all-fast-twitch muscle (1.28 W/kg per % FT, U2003)
AM_LENGTH_INDEPENDENT = 0.4  # the activation-heat share of h_AM that does not scale with F_iso (U2003)
FAST_TO_SLOW_VMAX = 2.5  # v_max of fast-twitch fibres / that of slow-twitch (U2003; the probe)
SHORTENING_FAST = 153.0  # W/kg at v_max (FT): alpha_FT = 153 / v_max,FT (U2003)
SHORTENING_SLOW = 100.0  # W/kg at v_max (ST): alpha_ST = 4 * 25 / v_max,ST (U2003), and the cap on its term
LENGTHENING_TO_SLOW = 4.0  # alpha_L = 4 alpha_ST with negative work included (U2003; the probe's default);
LENGTHENING_TO_SLOW_2010 = 0.3  # 0.3 alpha_ST without it (Umberger 2010, as published)
MIN_HEAT_RATE = 1.0  # W/kg of muscle, floor on h_AM + h_SL (U2003 p. 104; the probe)
BASAL_RATE = 1.2  # W/kg of body mass (the probe's basal_coefficient, with basal_exponent 1)

# --- bidir's Hill model (cpp/hill.hpp and cpp/muscles.cpp), reproduced to stay consistent with the C++ ---
MAX_SHORTENING_VELOCITY = 10.0  # l_opt/s: muscles.cpp normalises the fibre velocity by it; it is v_max,FT here
ACTIVE_WIDTH = 0.45  # hill.hpp kActiveWidth (gamma)
PASSIVE_SHAPE = 5.5  # hill.hpp kPassiveShape (k_pe)
PASSIVE_STRAIN = 0.3  # hill.hpp kPassiveStrain (e_mo)

ROOT_DOFS = 6  # the free root joint's DoFs come first in the state (muscles.cpp kRootDofs); not actuated


def active_force_length(fiber_length: np.ndarray) -> np.ndarray:
    """F_iso: bidir's active force-length curve exp(-(l - 1)^2 / gamma), as hill.hpp activeForceLength."""
    return np.exp(-((fiber_length - 1.0) ** 2) / ACTIVE_WIDTH)


def passive_force_length(fiber_length: np.ndarray) -> np.ndarray:
    """bidir's passive curve (hill.hpp passiveForceLength): 0 below l_opt, exponential above, 1 at 1 + e_mo."""
    curve = np.expm1(PASSIVE_SHAPE * (fiber_length - 1.0) / PASSIVE_STRAIN) / math.expm1(PASSIVE_SHAPE)
    return np.where(fiber_length < 1.0, 0.0, curve)


def muscle_mass(muscles: Sequence) -> np.ndarray:
    """kg per muscle: the physiological cross-section f0 / sigma times l_opt times the density (the probe)."""
    f0 = np.array([m.f0 for m in muscles], dtype=float)
    l_opt = np.array([m.optimal_fiber_length for m in muscles], dtype=float)
    return f0 / SPECIFIC_TENSION * l_opt * MUSCLE_DENSITY


# ------------------------------------------------------------------------------------------------ validation


def _finite(name: str, x, ndim: int) -> np.ndarray:
    arr = np.asarray(x, dtype=float)
    if arr.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim} dimension(s), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or inf")
    return arr


def _check_time(time) -> np.ndarray:
    t = _finite("time", time, 1)
    if t.size < 2:
        raise ValueError(f"time: needs at least 2 rows to difference and integrate, got {t.size}")
    if np.any(np.diff(t) <= 0):
        raise ValueError(f"time: must be strictly increasing (row {int(np.argmax(np.diff(t) <= 0)) + 1})")
    return t


def _check_matrix(name: str, x, shape: tuple[int, int]) -> np.ndarray:
    arr = _finite(name, x, 2)
    if arr.shape != shape:
        raise ValueError(f"{name}: expected shape {shape} (rows, columns), got {arr.shape}")
    return arr


def _check_positive(name: str, x) -> float:
    value = float(x)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name}: must be finite and > 0, got {x!r}")
    return value


def _check_fraction(name: str, value) -> float:
    f = float(value)
    if not (0.0 <= f <= 1.0):  # also rejects NaN
        raise ValueError(f"{name}: a fraction in [0, 1] is needed, got {value!r}")
    return f


def _fast_twitch_fractions(fast_twitch, muscles: Sequence) -> np.ndarray:
    """Per-muscle fast-twitch fraction: one number for all, or {name: fraction} over DEFAULT_FAST_TWITCH."""
    if not isinstance(fast_twitch, Mapping):
        return np.full(len(muscles), _check_fraction("fast_twitch", fast_twitch))
    names = [m.name for m in muscles]
    unknown = sorted(set(fast_twitch) - set(names))
    if unknown:
        raise ValueError(f"fast_twitch: no muscle named {unknown[0]!r} among the {len(names)} muscles")
    return np.array([_check_fraction(f"fast_twitch[{n!r}]", fast_twitch.get(n, DEFAULT_FAST_TWITCH)) for n in names])


def _check_geometry(path: np.ndarray, lengths: np.ndarray, muscles: Sequence) -> None:
    """The recorded l must be (path - slack) / l_opt (muscles.cpp): else the muscles are not the record's."""
    slack = np.array([m.tendon_slack_length for m in muscles], dtype=float)
    l_opt = np.array([m.optimal_fiber_length for m in muscles], dtype=float)
    error = np.abs((path - slack) / l_opt - lengths)
    if np.any(error > 1e-6):
        row, j = np.unravel_index(int(np.argmax(error)), error.shape)
        raise ValueError(
            f"fiber_length: row {row}, muscle {j} ({muscles[j].name}) is not (muscle_length - tendon slack) / "
            f"l_opt of the muscles given (off by {error[row, j]:.3g}): are they the record's muscles, in its order?"
        )


def _check_muscles(muscles: Sequence, count: int) -> np.ndarray:
    if len(muscles) != count:
        raise ValueError(f"muscles: {len(muscles)} given, but the arrays have {count} muscle columns")
    for j, m in enumerate(muscles):
        for attr in ("f0", "optimal_fiber_length"):
            _check_positive(f"muscles[{j}] ({m.name}).{attr}", getattr(m, attr))
        if not (0.0 <= float(m.pennation) < math.pi / 2):
            raise ValueError(f"muscles[{j}] ({m.name}).pennation: must be in [0, pi/2) rad, got {m.pennation!r}")
    return muscle_mass(muscles)


# ---------------------------------------------------------------------------------------------- heat rates


def _activation_maintenance(a, long_fiber, f_iso, fast, aerobic):
    """h_AM in W/kg: U2003's 1.28 %FT + 25, scaled by A^0.6; beyond l_opt only 40 % stays length-independent."""
    full = AM_FAST * fast + AM_SLOW
    length_scaled = full * (AM_LENGTH_INDEPENDENT + (1.0 - AM_LENGTH_INDEPENDENT) * f_iso)
    return aerobic * a**0.6 * np.where(long_fiber, length_scaled, full)


def _shortening_lengthening(a, v, long_fiber, f_iso, fast, aerobic, negative_work):
    """h_SL in W/kg (v in l_opt/s, < 0 shortening): U2003's heat coefficients with bidir's v_max."""
    v_max_slow = MAX_SHORTENING_VELOCITY / FAST_TO_SLOW_VMAX
    alpha_fast = SHORTENING_FAST / MAX_SHORTENING_VELOCITY
    alpha_slow = SHORTENING_SLOW / v_max_slow
    # Slow fibres cannot shorten faster than their v_max: their term stops growing at 100 W/kg (the probe).
    slow_term = np.minimum(-alpha_slow * v, SHORTENING_SLOW)
    shortening = a**2 * (slow_term * (1.0 - fast) - alpha_fast * v * fast)
    alpha_l = (LENGTHENING_TO_SLOW if negative_work else LENGTHENING_TO_SLOW_2010) * alpha_slow
    lengthening = a * alpha_l * v
    heat = aerobic * np.where(v <= 0.0, shortening, lengthening)
    return heat * np.where(long_fiber, f_iso, 1.0)


def _work_rate(muscle_force, fiber_length, path_velocity, muscles, mass, negative_work):
    """w in W/kg: minus the active tension along the path times the path velocity (module docstring)."""
    f0 = np.array([m.f0 for m in muscles])
    cos_pennation = np.cos([m.pennation for m in muscles])
    passive = f0 * passive_force_length(fiber_length) * cos_pennation
    active = np.maximum(muscle_force - passive, 0.0)  # >= 0 up to rounding; the probe clamps likewise
    power = -active * path_velocity
    if not negative_work:
        power = np.where(path_velocity > 0.0, 0.0, power)
    return power / mass


def _heat(am, sl, w, min_heat_rate):
    """The heat h_AM + h_SL after rule 1 then rule 2 of the module docstring (the probe's order), W/kg.

    Rule 1 (raise h_SL until heat + w >= 0) is max(heat, -w): written so, heat + w >= 0 holds exactly in
    floating point too (rounding is monotonic), and rule 2 only raises it further."""
    return np.maximum(np.maximum(am + sl, -w), min_heat_rate)


def _integral(y: np.ndarray, t: np.ndarray) -> float:
    """Trapezoidal integral over the rows: second order for smooth signals, any time spacing."""
    return float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(t)))


# ------------------------------------------------------------------------------------------------------ API


def metabolic_power(
    time,
    activations,
    muscle_length,
    fiber_length,
    muscle_force,
    muscles: Sequence,
    body_mass: float,
    fast_twitch: float | Mapping[str, float] = DEFAULT_FAST_TWITCH,
    *,
    aerobic_factor: float = AEROBIC_FACTOR,
    basal_rate: float = BASAL_RATE,
    min_heat_rate: float = MIN_HEAT_RATE,
    include_negative_work: bool = True,
) -> dict:
    """Metabolic power of one episode (module docstring for the model), one value per record row.

    time (rows,) s, strictly increasing; activations (rows, M) in [0, 1]; muscle_length (rows, M) path length
    m; fiber_length (rows, M) l / l_opt; muscle_force (rows, M) the tension along the path N; muscles: M
    objects with name, f0, optimal_fiber_length, tendon_slack_length and pennation (the model's muscles, in the
    record's order); body_mass kg; fast_twitch: one fraction for all, or {muscle name: fraction} with
    DEFAULT_FAST_TWITCH for the others. min_heat_rate=0 turns rule 2 off; include_negative_work=False is
    Umberger (2010) as published (alpha_L = 0.3 alpha_ST, no negative work).

    Returns (W unless noted): total (rows,) muscles + basal; muscles (rows, M); activation_maintenance,
    shortening_lengthening, work (rows,) the model's terms summed over muscles; heat_floor (rows,) what
    rules 1 and 2 add (total = basal + the four); basal (float); muscle_mass (M,) kg; energy (float) J, the
    integral of total over the record.
    """
    t = _check_time(time)
    shape = (t.size, np.shape(activations)[-1] if np.ndim(activations) == 2 else 0)
    a = _check_matrix("activations", activations, shape)
    if np.any((a < 0.0) | (a > 1.0)):
        raise ValueError("activations: must lie in [0, 1]")
    path = _check_matrix("muscle_length", muscle_length, shape)
    lengths = _check_matrix("fiber_length", fiber_length, shape)
    tension = _check_matrix("muscle_force", muscle_force, shape)
    mass = _check_muscles(muscles, shape[1])
    _check_geometry(path, lengths, muscles)
    body = _check_positive("body_mass", body_mass)
    aerobic = _check_positive("aerobic_factor", aerobic_factor)
    for name, value in (("basal_rate", basal_rate), ("min_heat_rate", min_heat_rate)):
        if not (math.isfinite(float(value)) and value >= 0):
            raise ValueError(f"{name}: must be finite and >= 0 W/kg, got {value!r}")
    fast = _fast_twitch_fractions(fast_twitch, muscles)

    path_velocity = np.gradient(path, t, axis=0)  # m/s: bidir's fibre velocity (rigid tendon, no pennation)
    v = path_velocity / np.array([m.optimal_fiber_length for m in muscles])  # l_opt/s, as U2003 and the probe
    long_fiber = lengths > 1.0
    f_iso = active_force_length(lengths)
    am = _activation_maintenance(a, long_fiber, f_iso, fast, aerobic)
    sl = _shortening_lengthening(a, v, long_fiber, f_iso, fast, aerobic, include_negative_work)
    w = _work_rate(tension, lengths, path_velocity, muscles, mass, include_negative_work)
    heat = _heat(am, sl, w, float(min_heat_rate))
    per_muscle = (heat + w) * mass
    basal = float(basal_rate) * body
    total = per_muscle.sum(axis=1) + basal
    return {
        "total": total,
        "muscles": per_muscle,
        "activation_maintenance": (am * mass).sum(axis=1),
        "shortening_lengthening": (sl * mass).sum(axis=1),
        "work": (w * mass).sum(axis=1),
        "heat_floor": ((heat - (am + sl)) * mass).sum(axis=1),
        "basal": basal,
        "muscle_mass": mass,
        "energy": _integral(total, t),
    }


def _positive_negative(power: np.ndarray, t: np.ndarray) -> dict:
    """Work done (J) by the positive and the negative parts of a joint power (W), and mean positive power."""
    positive = _integral(np.maximum(power, 0.0), t)
    negative = _integral(np.minimum(power, 0.0), t)
    return {"positive_work": positive, "negative_work": negative, "mean_positive_power": positive / (t[-1] - t[0])}


def _summed(parts: list[dict]) -> dict:
    return {key: float(sum(p[key] for p in parts)) for key in ("positive_work", "negative_work", "mean_positive_power")}


def _dof_columns(name: str, selection, ndof: int) -> np.ndarray:
    cols = np.arange(ndof)[selection]
    if cols.size == 0:
        raise ValueError(f"dofs[{name!r}]: selects no column of the {ndof}")
    if cols.min() < ROOT_DOFS:
        raise ValueError(f"dofs[{name!r}]: selects root column {int(cols.min())} (< {ROOT_DOFS}), not a joint")
    return cols


def mechanical_work(time, moments, velocities, dofs: Mapping[str, slice] | None = None) -> dict:
    """Mechanical work of the net joint moments over the record.

    moments, velocities: (rows, ndof) net generalized forces (N m) and velocities (rad/s), as the record's
    ``moments`` and ``velocities``. The joint power tau * dq of each actuated DoF (index >= 6; the free root's
    are not joints) is split into its positive and negative parts and each integrated over time
    (trapezoidal); the sums over DoFs are positive_work (J, >= 0) and negative_work (J, <= 0), with
    mean_positive_power = positive_work / duration (W). ``dofs`` ({group: slice or indices of columns}) adds
    the same three per group under "groups".
    """
    t = _check_time(time)
    tau = _finite("moments", moments, 2)
    if tau.shape[0] != t.size or tau.shape[1] <= ROOT_DOFS:
        raise ValueError(f"moments: expected ({t.size}, ndof > {ROOT_DOFS}) rows and DoFs, got {tau.shape}")
    dq = _check_matrix("velocities", velocities, tau.shape)
    power = tau * dq
    # Each DoF separately: a DoF absorbing while another generates counts both ways, as joint work does.
    per_dof = [_positive_negative(power[:, k], t) for k in range(ROOT_DOFS, power.shape[1])]
    out = _summed(per_dof)
    if dofs is not None:
        groups = {name: _dof_columns(name, selection, power.shape[1]) for name, selection in dofs.items()}
        out["groups"] = {name: _summed([per_dof[c - ROOT_DOFS] for c in cols]) for name, cols in groups.items()}
    return out


def cost_of_transport(energy_J: float, mass_kg: float, distance_m: float) -> float:
    """Energy per body mass per distance, J/(kg m): the dimensional cost of transport."""
    energy = float(energy_J)
    if not (math.isfinite(energy) and energy >= 0):
        raise ValueError(f"energy_J: must be finite and >= 0, got {energy_J!r}")
    mass = _check_positive("mass_kg", mass_kg)
    distance = float(distance_m)
    if not (math.isfinite(distance) and distance > 0):
        raise ValueError(f"distance_m: must be finite and > 0, got {distance_m!r}")
    return energy / (mass * distance)
