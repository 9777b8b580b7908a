"""The normative-fit walking reference (``walking_reference(..., version=2)``, issue #28): the stance legs keep
their normative sagittal joint angles and the pelvis goes where they put it.

Version 1 (``walk._solve_cycle``, still the default) moves the root uniformly forward, picks the pelvis height
from reach limits and lets the leg IK bend the knee to fit: its knee flexes 37 deg in loading response
(normative 18) and hip, knee and ankle miss their curves by 5-13 deg RMS. Here the order is turned round:

1. Normative angles (gait_curves; the pelvis obliquity with gait_curves' sign, "+ = right side up") give each
   ankle's position relative to the root and each foot's pitch. The pelvis is pitched back by the angle that
   makes the normative stance foot flat in mid-stance (MIDSTANCE; about 4.5 deg, the spine takes it back):
   with the 10 deg PELVIC_TILT convention the key points put the foot 4-5 deg toes-down there.
2. A stance foot stays where its heel landed and rolls over its rockers without slipping: about the heel
   while the toes are up, about a forefoot rocker once the heel lifts.
3. Where the root is (height, forward position) and how each stance foot is pitched, per sample: the least
   squares fit (``_Cycle.fit``) of the stance legs' sagittal hip, knee and ankle angles to the normative ones
   (a two-segment leg with the model's thigh and shank), with a smooth root. In single support that is exact;
   in double support the two legs disagree by a few centimetres (segment lengths, rigid foot) and share the
   error. Sideways the root sways +-LATERAL_SWAY as in version 1 (hip adduction takes the difference: following
   the normative adduction exactly would sway the pelvis 9 cm peak to peak on the default body).
4. The stride: the hip curve's excursion (``hip_scale``) is solved so that the legs agree, on average over
   double support, with the requested stride; knee and ankle keep their normative excursion.
5. Swing: the normative ankle path from that root, joined to the stance path at toe-off and heel strike by
   critically damped corrections (position and velocity), kept within the leg's reach, and lifted where the
   foot would pass lower than CLEARANCE or where a foot point within NEAR_GROUND of the floor would move
   sideways more than SLIDE_RATIO (SLIDE_RATIO_HS) times its height. The toes stay extended in mid-swing.
6. Leg IK (leg_ik) puts each ankle on its target; ankle and toe angles give the foot orientation.

The rigid foot's trade-off. A box foot rolling onto its toes must slide something: about the toe joints'
axis (2.1 cm above the sole on the default body) the talus' front edge slides 2.1 cm x sin(heel rise), about
its front edge the flat toes do. The forefoot rocker sits FOREFOOT_PIVOT_DROP of the way down, which shares
the slide (about 0.9 cm each at the normative 52-deg heel rise of toe-off) and sinks the flat toes by up to
0.5 cm late in stance; both grow with the foot (stature) and the toe-off heel rise (stride).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial.transform import Rotation

from ..errors import ModelError
from .foot import foot_body_transforms, foot_pose, leg_geometry, leg_reach, transform_points
from .leg_ik import solve_legs
from .walk_common import (
    LATERAL_SWAY,
    MIN_KNEE,
    SAMPLES,
    STEP_WIDTH,
    hip_centre,
    normative_pose,
    root_height_limit,
    set_feet,
)

TOE_OFF = 0.60               # fraction of the cycle a foot is on the ground (as walk.TOE_OFF)
MIDSTANCE = (0.15, 0.40)     # phase: the normative foot is flat on the ground in this part of the stance
FOREFOOT_PIVOT_DROP = 0.48   # the forefoot rocker: this fraction of the toe axis' height above the sole below it
ROOT_SMOOTH_WEIGHT = 100.0     # the fit: rad of joint-angle error per m of the root's second difference (per sample)
JOINT_WEIGHTS = np.array([1.0, 1.0, 3.0])   # the fit's weights on hip, knee, ankle errors
PITCH_PRIOR = 0.5            # the fit's weight on the stance foot's pitch staying normative (joint angles: 1)
PITCH_PRIOR_RISE = 1.0       # ... where the heel would rise further than normative (sinks the toes, slides the foot)
HYPEREXTENSION_SLOPE = 100.0  # rad per m the hip is beyond the leg's reach at walk.MIN_KNEE (the fit's penalty)
SWING_BLEND = 0.02           # cycles: time constant over which the swing path leaves the stance one at toe-off
SWING_BLEND_HS = 0.015       # ... and joins it at heel strike (shorter: the straight leg has no reach to spare
                             # for a foot that arrives early)
CLEARANCE = 0.012            # m, least swing-foot height in mid-swing (issue #28: >= 1 cm; version 1: 1.5 cm)
NEAR_GROUND = 0.012          # m: quality.CONTACT_BAND (a point this close to the floor touches it) with a margin
SLIDE_RATIO = 0.15           # near the floor a point leaving it moves sideways at most this much per unit it rises
SLIDE_RATIO_HS = 1.5         # ... and a point coming down to heel strike
TOE_SWING_EXTENSION = math.radians(30.0)   # toe extension held in mid-swing (lifts the toe tips)
REACH_MARGIN = 0.001         # m: every ankle target this much inside the leg's reach at walk.MIN_KNEE
ROOT_LOWERING = 6            # samples: half-width of the bumps that lower the root where a target is out of reach


def _rolling_foot(leg, pitch: np.ndarray, heel_plant: np.ndarray, drop: float) -> np.ndarray:
    """Talus world transforms of a foot planted with its heel at ``heel_plant`` (x, z), rolling about the
    heel (pitch > 0) or about the forefoot rocker (pitch < 0): ``drop`` (m) below the toe joints' axis."""
    on_heel = (pitch >= 0)[:, None]
    toe_w0 = leg.toe_w0 - np.array([0.0, drop, 0.0])
    toe_local = leg.R0.T @ (toe_w0 - leg.toe_w0) + leg.toe
    pivot_local = np.where(on_heel, leg.heel, toe_local)
    pivot_w0 = np.where(on_heel, leg.heel_w0, toe_w0)
    shift = np.array([heel_plant[0] - leg.heel_w0[0], -leg.sole_y0, heel_plant[1] - leg.heel_w0[2]])
    return foot_pose(leg, pitch, pivot_local, pivot_w0 + shift)


def _foot_corners(model, leg, T_talus: np.ndarray, toe_angle: np.ndarray) -> np.ndarray:
    """World positions (n, points, 3) of the foot's visual box corners (talus and toes), as foot_points."""
    return np.concatenate([transform_points(T[:, None], np.array(sh.corners())[None])
                           for body, T in foot_body_transforms(model, leg, T_talus, toe_angle)
                           for sh in body.shapes if sh.visual], axis=1)


def _blend(k: int) -> np.ndarray:
    """A raised cosine from 0 to 1 over k samples (0 at the first, 1 after the last)."""
    return 0.5 - 0.5 * np.cos(np.pi * np.arange(k) / k)


class _Cycle:
    """Everything about one cycle that depends on the hip scale; ``mismatch`` is how far (m, forward) the
    leading leg would put the root ahead of the trailing one, on average over double support."""

    def __init__(self, model, stride: float, hip_scale: float):
        n = self.n = SAMPLES
        self.model, self.stride = model, stride
        phase = np.arange(n) / n
        Q = normative_pose(model, phase, hip_scale, obliquity_sign=-1.0)
        self.legs = {s: leg_geometry(model, s) for s in "RL"}
        # The pelvis pitch that puts the stance foot flat in mid-stance (see the module doc): the spine
        # takes it back, so the trunk stays as it was
        off = model.dof_offsets()
        self.pelvis_pitch = 0.0
        for _ in range(2):
            Qp = Q.copy()
            Qp[:, 0:3] = (Rotation.from_rotvec([self.pelvis_pitch, 0.0, 0.0]) * Rotation.from_rotvec(Q[:, 0:3])).as_rotvec()
            Qp[:, off["Spine"]:off["Spine"] + 3] = [-self.pelvis_pitch, 0.0, 0.0]
            T = model.native().forward_kinematics(Qp)
            leg = self.legs["R"]
            fwd = np.einsum("nij,j->ni", T[:, leg.talus, :3, :3], leg.R0.T @ [0.0, 0.0, 1.0])
            pitch = np.arctan2(fwd[:, 1], np.hypot(fwd[:, 0], fwd[:, 2]))
            mid = (phase >= MIDSTANCE[0]) & (phase <= MIDSTANCE[1])
            self.pelvis_pitch += float(np.mean(pitch[mid]))
        Q = Qp
        self.Q, self.T = Q, T   # root at height 0, z = 0
        self.to = to = round(TOE_OFF * n)
        self.starts = {"R": 0, "L": n // 2}
        self.ds = ds = to - n // 2                                  # samples of each double support
        self.pitch, self.normative, self.feet, self.stance, self.root_of = {}, {}, {}, {}, {}
        self.feet_ext, self.stance_ext, self.plant, self.stance_pitch = {}, {}, {}, {}
        self.hip = {s: hip_centre(model, leg, self.T) for s, leg in self.legs.items()}   # relative to the root
        k = np.linspace(MIN_KNEE, np.radians(170.0), 681)
        leg = self.legs["R"]
        thigh, shank = leg.knee_w0 - leg.hip_w0, leg.ankle_w0 - leg.knee_w0
        vec = thigh + Rotation.from_rotvec(np.outer(k, leg.knee_axis_w0)).apply(shank)
        # knee angle, hip-to-ankle distance, and how far the thigh is ahead of the hip-to-ankle line (sagittal)
        self.reach_table = (k, np.linalg.norm(vec, axis=1),
                            math.atan2(thigh[2], -thigh[1]) - np.arctan2(vec[:, 2], -vec[:, 1]))
        for side, leg in self.legs.items():
            fwd = np.einsum("nij,j->ni", self.T[:, leg.talus, :3, :3], leg.R0.T @ [0.0, 0.0, 1.0])
            self.pitch[side] = np.arctan2(fwd[:, 1], np.hypot(fwd[:, 0], fwd[:, 2]))
            self.normative[side] = transform_points(self.T[:, leg.talus], leg.ankle)   # relative to the root
            start = self.starts[side]
            u = np.arange(to)
            idx = (start + u) % n
            heel_z = stride * start / n
            drop = FOREFOOT_PIVOT_DROP * (leg.toe_w0[1] - leg.sole_y0)
            self.plant[side] = (np.array([STEP_WIDTH * leg.hip_w0[0], heel_z]), drop, idx,
                                np.where(start + u >= n, stride, 0.0))
            self._set_stance(side, self.pitch[side][idx])
            self.root_of[side] = self.stance[side] - self.normative[side][idx]   # where this leg puts the root
        # the fit's starting point: each stance leg's answer, blended from the trailing to the leading leg over
        # double support; ``mismatch``: how far (m, forward) the leading leg puts the root ahead of the trailing one
        # on average over the first double support (the stride is solved to make it zero)
        Y, Z = np.zeros(n), np.zeros(n)
        w = _blend(ds)[:, None]
        for lead, trail in (("R", "L"), ("L", "R")):
            idx = (self.starts[lead] + np.arange(to)) % n
            r_lead = self.root_of[lead]
            r_trail = self.root_of[trail][(np.arange(ds) + self.starts[lead] - self.starts[trail]) % n]
            Y[idx[ds:n // 2]], Z[idx[ds:n // 2]] = r_lead[ds:n // 2, 1], r_lead[ds:n // 2, 2]
            blend = (1 - w) * r_trail + w * r_lead[:ds]
            Y[idx[:ds]], Z[idx[:ds]] = blend[:, 1], blend[:, 2]
            if lead == "R":
                self.mismatch = float(np.mean(r_lead[:ds, 2] - r_trail[:, 2]))
        self.X, self.Y, self.Z = -LATERAL_SWAY * np.sin(2 * np.pi * phase), Y, Z

    def _set_stance(self, side: str, pitch: np.ndarray) -> None:
        """The stance foot poses and ankle targets for the stance pitches ``pitch`` (to,)."""
        leg, (heel, drop, idx, shift) = self.legs[side], self.plant[side]
        feet = _rolling_foot(leg, pitch, heel, drop)
        ankle = transform_points(feet, leg.ankle)
        # stance samples past the cycle's end belong to the next cycle: one stride further on
        feet_here = feet.copy()
        feet_here[:, 2, 3] -= shift
        self.feet[side], self.stance[side] = (idx, feet_here), ankle - np.outer(shift, [0.0, 0.0, 1.0])
        self.feet_ext[side], self.stance_ext[side] = feet, ankle   # unshifted: the stance's own timeline
        self.stance_pitch[side] = pitch

    def _planar(self, side: str, root_yz: np.ndarray, pitch: np.ndarray) -> np.ndarray:
        """(to, 3): sagittal thigh angle, knee flexion and foot-to-shank angle of the stance leg ``side`` over
        its stance, for the root at ``root_yz`` (to, 2) and the foot at ``pitch`` (to,): a two-segment leg
        with the model's thigh and shank (leg_reach), the hip where the normative pelvis puts it."""
        leg, (heel, drop, idx, shift) = self.legs[side], self.plant[side]
        ankle = transform_points(_rolling_foot(leg, pitch, heel, drop), leg.ankle)
        ankle[:, 2] -= shift
        hip = self.hip[side][idx] + np.concatenate([self.X[idx, None], root_yz], axis=1)
        v = ankle - hip
        dist = np.linalg.norm(v, axis=1)
        k = np.interp(dist, self.reach_table[1][::-1], self.reach_table[0][::-1])
        # beyond the reach with the knee at MIN_KNEE (the leg IK's limit): as if it went on extending, steeply
        k = k - np.clip(dist - self.reach_table[1][0], 0.0, None) * HYPEREXTENSION_SLOPE
        thigh = np.arctan2(v[:, 2], -v[:, 1]) + np.interp(k, self.reach_table[0], self.reach_table[2])
        return np.stack([thigh, k, pitch - (thigh - k)], -1)

    def fit(self, smooth: float, iterations: int = 6) -> None:
        """Root height and forward position and both stance feet's pitch, per sample, that keep the stance
        legs' sagittal angles closest to normative (least squares, radians) with a smooth root: exact in
        single support, the disagreement shared between the legs in double support."""
        import scipy.sparse as sp
        from scipy.sparse.linalg import spsolve

        n, to, S = self.n, self.to, self.stride
        ramp = S * np.arange(n) / n
        x = np.concatenate([self.Y, self.Z - ramp, self.stance_pitch["R"], self.stance_pitch["L"]])
        target = {side: self._planar(side, self.root_of[side][:, 1:], self.stance_pitch[side]) for side in "RL"}
        idx = {side: self.plant[side][2] for side in "RL"}

        def unpack(x):
            Y, Zt = x[:n], x[n:2 * n]
            return Y, Zt + ramp, {"R": x[2 * n:2 * n + to], "L": x[2 * n + to:]}

        def error(s, Y, Z, p):
            return ((self._planar(s, np.stack([Y[idx[s]], Z[idx[s]]], -1), p[s]) - target[s]) * JOINT_WEIGHTS).ravel()

        def residual(x):
            Y, Z, p = unpack(x)
            return np.concatenate([error(s, Y, Z, p) for s in "RL"])

        # second differences of the root (periodic; Z less its steady advance)
        D = sp.diags([np.ones(n), -2 * np.ones(n), np.ones(n)], [-1, 0, 1], shape=(n, n), format="lil")
        D[0, n - 1] = D[n - 1, 0] = 1.0
        D = D.tocsr()
        Zero = sp.csr_matrix((n, n))
        Zp = sp.csr_matrix((n, 2 * to))
        smooth_rows = sp.vstack([sp.hstack([D, Zero, Zp]), sp.hstack([Zero, D, Zp])]) * smooth
        # the foot's pitch stays near its normative value (the toe-off pitch sets the forefoot's slide)
        # (more strongly where the heel would rise further than normative: that sinks the toes)
        pitch0 = np.concatenate([self.stance_pitch["R"], self.stance_pitch["L"]])
        pick = sp.hstack([sp.csr_matrix((2 * to, 2 * n)), sp.eye(2 * to)]).tocsr()
        eps = 1e-6
        for _ in range(iterations):
            r = residual(x)
            rows, cols, vals = [], [], []
            m = len(r)
            # each residual depends on its own sample's root and its own leg's pitch: difference columns in groups
            base = 0
            for s in "RL":
                for var, col in (("Y", idx[s]), ("Z", n + idx[s]), ("p", 2 * n + (0 if s == "R" else to) + np.arange(to))):
                    xp = x.copy()
                    xp[col] += eps
                    Y, Z, p = unpack(xp)
                    d = (error(s, Y, Z, p) - r[base:base + 3 * to]) / eps
                    rows.append(base + np.arange(3 * to))
                    cols.append(np.repeat(col, 3))
                    vals.append(d)
                base += 3 * to
            J = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(m, len(x)))
            weight = np.where(x[2 * n:] < pitch0, PITCH_PRIOR_RISE, PITCH_PRIOR)
            prior_rows = sp.diags(weight) @ pick
            A = sp.vstack([J, smooth_rows, prior_rows])
            b = -np.concatenate([r, smooth_rows @ x, weight * (x[2 * n:] - pitch0)])
            step = spsolve((A.T @ A + 1e-9 * sp.eye(len(x))).tocsc(), A.T @ b)
            x = x + step
            if np.abs(step).max() < 1e-7:
                break
        Y, Z, p = unpack(x)
        self.Y, self.Z = Y, Z
        for s in "RL":
            self._set_stance(s, p[s])


def _swing(c: _Cycle, side: str, root: np.ndarray, clearance: float):
    """Ankle targets, foot poses and toe angles over one swing (see the module doc, step 5)."""
    n, to, leg, model = c.n, c.to, c.legs[side], c.model
    start = c.starts[side]
    idx = (start + to + np.arange(n - to)) % n          # swing samples, toe-off first
    s = np.arange(n - to) / (n - to)
    normative = root + c.normative[side]                 # world, this cycle (the root advancing)
    # The swing runs from this cycle's toe-off to the next heel strike: samples that wrap are one stride on.
    wrap = (start + to + np.arange(n - to)) >= n
    path_n = normative[idx] + np.outer(np.where(wrap, c.stride, 0.0), [0.0, 0.0, 1.0])
    stance = c.stance_ext[side]                           # (to, 3), stance sample u = 0..to-1
    p_to, v_to = stance[-1], (stance[-1] - stance[-2]) * n
    p_hs, v_hs = stance[0] + [0.0, 0.0, c.stride], (stance[1] - stance[0]) * n

    va = np.gradient(path_n, axis=0) * n                 # the normative path's velocity, per unit phase
    t = np.arange(n - to)[:, None] / n                   # phase since toe-off
    t_end = (n - to) / n - t                              # phase until heel strike
    k = 1.0 / SWING_BLEND
    # critically damped corrections: position and velocity matched at each end, gone a few SWING_BLENDs in
    e_p, e_v = p_to - path_n[0], v_to - va[0]
    path = path_n + (e_p + (e_v + k * e_p) * t) * np.exp(-k * t)
    h_p, h_v = p_hs - (path_n[-1] + va[-1] / n), v_hs - va[-1]
    kh = 1.0 / SWING_BLEND_HS
    path = path + (h_p + (kh * h_p - h_v) * t_end) * np.exp(-kh * t_end)
    # within the leg's reach (knee at MIN_KNEE): pulled toward the hip where the blend overshoots
    hip = c.hip[side][idx] + root[idx] + np.outer(np.where(wrap, c.stride, 0.0), [0.0, 0.0, 1.0])
    v = path - hip
    dist = np.linalg.norm(v, axis=1, keepdims=True)
    most = float(leg_reach(leg, np.array([MIN_KNEE]))[0]) - REACH_MARGIN
    path = hip + v * np.minimum(1.0, most / dist)
    # the foot's pitch: normative, joined to the stance pitch at both ends in the same way
    pitch = c.pitch[side][idx]
    q_to, q_hs = c.stance_pitch[side][-1], c.stance_pitch[side][0]
    dp0 = q_to - pitch[0]
    dv0 = (q_to - c.stance_pitch[side][-2]) * n - (pitch[1] - pitch[0]) * n
    dp1 = q_hs - c.pitch[side][start % n]
    dv1 = (c.stance_pitch[side][1] - q_hs) * n - (c.pitch[side][(start + 1) % n] - c.pitch[side][start % n]) * n
    tt, te = t[:, 0], t_end[:, 0]
    pitch = pitch + (dp0 + (dv0 + k * dp0) * tt) * np.exp(-k * tt) + (dp1 + (k * dp1 - dv1) * te) * np.exp(-k * te)
    toe_to = min(q_to, 0.0)
    # the toes stay level while the foot points down steeply, extended by TOE_SWING_EXTENSION at least (as the toe
    # extensors hold them), then relax before heel strike
    fall = 0.5 * (1 - np.cos(np.pi * np.clip((s - 0.6) / 0.3, 0.0, 1.0)))   # 0 -> 1 from 60 to 90 % of the swing
    toe = np.minimum(pitch, -TOE_SWING_EXTENSION) * (1 - fall)
    # mid-swing (the middle half of the swing, 70-90 % of the cycle) with smooth ramps at both sides: the whole
    # foot is clear of the floor there; terminal swing is left to the heel-strike rule
    window = np.clip(np.minimum((s - 0.1) / 0.15, (0.9 - s) / 0.15), 0.0, 1.0)
    window = window * window * (3 - 2 * window)
    # lift: the whole foot above CLEARANCE in mid-swing; near the ground a point may move sideways at most
    # SLIDE_RATIO times its height (from where it left the ground, to where it lands)
    for _ in range(3):
        pts = _foot_corners(model, leg, foot_pose(leg, pitch, leg.ankle, path), toe)
        # where each point is at toe-off (last stance pose) and at heel strike (first stance pose of next cycle)
        feet = c.feet_ext[side]
        pts_to = _foot_corners(model, leg, feet[-1:], np.array([toe_to]))[0]
        first = feet[:1].copy()
        first[:, 2, 3] += c.stride
        pts_hs = _foot_corners(model, leg, first, np.array([min(q_hs, 0.0)]))[0]
        d_to = np.linalg.norm((pts - pts_to)[..., [0, 2]], axis=-1)
        d_hs = np.linalg.norm((pts - pts_hs)[..., [0, 2]], axis=-1)
        need = np.minimum(np.minimum(d_to / SLIDE_RATIO, d_hs / SLIDE_RATIO_HS), NEAR_GROUND) - pts[..., 1]  # per point
        need = need.max(axis=1)
        mid = clearance * window - pts[..., 1].min(axis=1)
        deficit = np.clip(np.maximum(need, mid), 0.0, None)
        if deficit.max() < 1e-5:
            break
        # the near-ground rule applies to the ends exactly; a smooth envelope covers the rest
        lift = np.maximum(deficit * (np.minimum(s, 1 - s) < 0.15), _envelope(s, deficit)) + 1e-4 * (deficit > 0)
        path = path + np.outer(lift, [0.0, 1.0, 0.0])
    return idx, path, foot_pose(leg, pitch, leg.ankle, path), toe


def _periodic_envelope(deficit: np.ndarray, half: int) -> np.ndarray:
    """The upper envelope of periodic raised-cosine bumps of half-width ``half`` samples, one per sample and as
    high as its deficit: a smooth curve at least ``deficit`` everywhere, zero where no deficit is near."""
    n = len(deficit)
    d = np.arange(n)[:, None] - np.arange(n)[None, :]
    d = np.abs((d + n // 2) % n - n // 2) / half
    bumps = np.where(d < 1.0, np.cos(0.5 * np.pi * d) ** 2, 0.0) * deficit[None, :]
    return bumps.max(axis=1)


def _envelope(s: np.ndarray, deficit: np.ndarray, width: float = 0.12) -> np.ndarray:
    """Upper envelope of raised-cosine bumps (one per sample, as high as its deficit), each narrowed so that
    it is zero at both ends of the swing."""
    half = np.minimum(width, np.minimum(s, 1 - s))[None, :]
    d = np.abs(s[:, None] - s[None, :]) / np.maximum(half, 1e-9)
    bumps = np.where(d < 1.0, np.cos(0.5 * np.pi * d) ** 2, 0.0) * deficit[None, :]
    return bumps.max(axis=1)


def solve_cycle(model, stride: float) -> tuple[np.ndarray, float]:
    """(joint positions at phases i / SAMPLES with the root's forward position relative to sample 0,
    hip_scale)."""
    # hip_scale so that the legs agree, on average over double support, with the requested stride
    lo, hi = 0.2, 2.5
    f_lo, f_hi = _Cycle(model, stride, lo).mismatch, _Cycle(model, stride, hi).mismatch
    if f_lo * f_hi > 0:
        raise ModelError(model.source, "walking reference",
                         f"a {stride:.2f} m stride is out of this body's reach with normative knee and ankle angles")
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        f = _Cycle(model, stride, mid).mismatch
        if (f > 0) == (f_lo > 0):
            lo, f_lo = mid, f
        else:
            hi = mid
        if hi - lo < 1e-6:
            break
    hip_scale = 0.5 * (lo + hi)
    c = _Cycle(model, stride, hip_scale)
    c.fit(ROOT_SMOOTH_WEIGHT)
    n, off = c.n, model.dof_offsets()
    Y = c.Y.copy()
    for _ in range(30):
        root = np.stack([c.X, Y, c.Z], -1)
        targets, feet, toe = {}, {}, {}
        for side in "RL":
            tgt, ft, tt = np.zeros((n, 3)), np.zeros((n, 4, 4)), np.zeros(n)
            idx, poses = c.feet[side]
            tgt[idx], ft[idx] = c.stance[side], poses
            tt[idx] = np.minimum(c.stance_pitch[side], 0.0)
            sidx, path, pose, toe_swing = _swing(c, side, root, CLEARANCE)
            # the swing path wraps into the next cycle: back to this cycle's frame
            wrap = (c.starts[side] + c.to + np.arange(n - c.to)) >= n
            path = path - np.outer(np.where(wrap, c.stride, 0.0), [0.0, 0.0, 1.0])
            pose = pose.copy()
            pose[:, 2, 3] -= np.where(wrap, c.stride, 0.0)
            tgt[sidx], ft[sidx], tt[sidx] = path, pose, toe_swing
            targets[side], feet[side], toe[side] = tgt, ft, tt
        # every target within reach with the knee at MIN_KNEE (and a margin): else lower the root there
        Tq = c.T.copy()
        reach = np.full(n, np.inf)
        for side, leg in c.legs.items():
            rel = targets[side] - np.stack([c.X, np.zeros(n), c.Z], -1)
            y = root_height_limit(model, leg, Tq, rel, np.full(n, MIN_KNEE))
            reach = np.minimum(reach, np.where(np.isnan(y), -np.inf, y))
        deficit = Y - (reach - REACH_MARGIN)
        if np.all(deficit <= 1e-6):
            break
        if not np.isfinite(deficit).all():
            raise ModelError(model.source, "walking reference",
                             f"a {stride:.2f} m stride is too long for this body's legs")
        Y = Y - _periodic_envelope(1.5 * np.clip(deficit, 0.0, None) + 2e-4 * (deficit > 0), ROOT_LOWERING)
    else:
        raise ModelError(model.source, "walking reference", f"a {stride:.2f} m stride is too long for this body's legs")
    Q = c.Q.copy()
    Q[:, 3], Q[:, 4], Q[:, 5] = c.X, Y, c.Z
    # sideways the heels land at STEP_WIDTH of the hips, as in version 1
    Q = solve_legs(model, Q, c.legs, targets,
                   {s: Rotation.from_rotvec(Q[:, off[f"Femur{s}"]:off[f"Femur{s}"] + 3]).as_euler("XZY")[:, 2]
                    for s in "RL"})
    set_feet(model, Q, c.legs, feet, toe)
    Q[:, 5] -= Q[0, 5]
    if not np.isfinite(Q).all() or not math.isfinite(hip_scale):
        raise ModelError(model.source, "walking reference", "the normative fit did not converge")
    return Q, hip_scale
