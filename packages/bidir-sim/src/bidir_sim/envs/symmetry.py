"""Left/right symmetry of a model: which body, DoF and muscle each one becomes in the mirror image.

The mirror is the reflection S = diag(-1, 1, 1) through the sagittal plane x = 0. Partners are found by name
(bodies ``FemurR``/``FemurL``, muscles ``R_...``/``L_...``) and checked against the geometry. A joint's
coordinates map to its partner's by a signed permutation: for a ball joint with world joint frames F, F' at
the zero pose, a rotation vector r becomes -M r with M = F'^T S F (rotation vectors are axial vectors);
a revolute coordinate q becomes (-M a) . a' q. The free root maps onto itself: rotation (+, -, -),
translation (-, +, +); DART's body-frame root velocities transform the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError

S = np.diag([-1.0, 1.0, 1.0])
TOLERANCE = 0.01  # m: how far a body's mirrored zero-pose position may be from its partner's


def mirror_name(name: str) -> str:
    """The name of the left/right partner: ``R_x`` <-> ``L_x``, ``xR`` <-> ``xL``; others map to themselves."""
    for a, b in (("R_", "L_"), ("L_", "R_")):
        if name.startswith(a):
            return b + name[len(a):]
    if name.endswith("R"):
        return name[:-1] + "L"
    if name.endswith("L"):
        return name[:-1] + "R"
    return name


@dataclass
class Symmetry:
    dof_mirror: np.ndarray       # (dofs,) int: mirrored[i] = dof_sign[i] * v[dof_mirror[i]]
    dof_sign: np.ndarray         # (dofs,) +-1
    body_mirror: np.ndarray      # (bodies,) int
    muscle_mirror: np.ndarray    # (muscles,) int

    def mirror_dofs(self, v: np.ndarray) -> np.ndarray:
        """Positions, velocities or generalized forces of the mirror image (last axis = DoFs)."""
        return self.dof_sign * np.asarray(v)[..., self.dof_mirror]


def _partner(names: list[str]) -> np.ndarray:
    index = {n: i for i, n in enumerate(names)}
    out = []
    for n in names:
        m = mirror_name(n)
        out.append(index.get(m, index[n]))
    return np.array(out, dtype=int)


def _signed_permutation(P: np.ndarray, source: str, where: str) -> list[tuple[int, float]]:
    """For each row k of a (near) signed permutation matrix: (column, sign)."""
    rows = []
    for k in range(P.shape[0]):
        col = int(np.argmax(np.abs(P[k])))
        if abs(abs(P[k, col]) - 1.0) > 1e-6 or np.abs(P[k]).sum() - 1.0 > 1e-6:
            raise ConfigError(source, "environment.advanced.enforce_symmetry",
                              f"joint '{where}' and its partner have frames that are not mirror images")
        rows.append((col, float(np.sign(P[k, col]))))
    return rows


def model_symmetry(model) -> Symmetry:
    """The mirror maps of a model; raises ConfigError if it is not left/right symmetric."""
    src = model.source
    bodies = model.bodies
    T0 = model.native().forward_kinematics(np.zeros((1, model.num_dofs)))[0]
    com = np.array([T0[i, :3, :3] @ b.com + T0[i, :3, 3] for i, b in enumerate(bodies)])
    body_mirror = _partner([b.name for b in bodies])
    for i, j in enumerate(body_mirror):
        if np.linalg.norm(S @ com[i] - com[j]) <= TOLERANCE and bodies[i].joint.type == bodies[j].joint.type:
            continue
        # Names can mislead (MASS's toes: FootThumbR mirrors FootPinkyL): take the body that is there.
        dist = np.linalg.norm(com - S @ com[i], axis=1)
        j = int(np.argmin(dist))
        if dist[j] > TOLERANCE or bodies[i].joint.type != bodies[j].joint.type:
            raise ConfigError(src, "environment.advanced.enforce_symmetry",
                              f"no body is the mirror image of '{bodies[i].name}' (nearest: '{bodies[j].name}', "
                              f"{dist[j]:.3f} m off)")
        body_mirror[i] = j

    offsets = model.dof_offsets()
    n = model.num_dofs
    dof_mirror, dof_sign = np.arange(n), np.ones(n)
    for i, b in enumerate(bodies):
        partner = bodies[body_mirror[i]]
        o, o2 = offsets[b.name], offsets[partner.name]
        F, F2 = b.joint.frame[:3, :3], partner.joint.frame[:3, :3]
        M = F2.T @ S @ F
        if b.joint.type == "free":
            if not np.allclose(M, S, atol=1e-6):
                raise ConfigError(src, "environment.advanced.enforce_symmetry",
                                  f"root joint '{b.name}' frame is not symmetric about x = 0")
            dof_sign[o:o + 6] = [1, -1, -1, -1, 1, 1]
        elif b.joint.type == "ball":
            for k, (col, sign) in enumerate(_signed_permutation(-M, src, b.name)):
                dof_mirror[o2 + k], dof_sign[o2 + k] = o + col, sign
        elif b.joint.type == "revolute":
            a = np.asarray(b.joint.axis, float) / np.linalg.norm(b.joint.axis)
            a2 = np.asarray(partner.joint.axis, float) / np.linalg.norm(partner.joint.axis)
            sign = float(-(M @ a) @ a2)
            if abs(abs(sign) - 1.0) > 1e-6:
                raise ConfigError(src, "environment.advanced.enforce_symmetry",
                                  f"revolute joint '{b.name}' axis is not the mirror of '{partner.name}'s")
            dof_mirror[o2], dof_sign[o2] = o, np.sign(sign)

    muscle_mirror = _partner([m.name for m in model.muscles])
    rest = model.native().muscle_rest_lengths
    for i, j in enumerate(muscle_mirror):
        if abs(rest[i] - rest[j]) > 0.02 * rest[i]:
            raise ConfigError(src, "environment.advanced.enforce_symmetry",
                              f"muscle '{model.muscles[i].name}' is not the mirror image of '{model.muscles[j].name}' "
                              f"(rest lengths {rest[i]:.3f} and {rest[j]:.3f} m)")
    return Symmetry(dof_mirror, dof_sign, body_mirror, muscle_mirror)
