"""What a model may contain: plausibility bounds checked at load (``validate``) and size limits that keep a
huge or hostile file from taking minutes and gigabytes. A human model is far inside every bound; they exist
because values far outside them trip DART's assertions (a foot of 1e12 kg aborts the process in its contact
solver) or exhaust memory. The table in docs/reliability.md is written from these names.
"""

from __future__ import annotations

MIB = 2**20
MAX_MODEL_FILE_BYTES = 8 * MIB    # model YAML, MASS skeleton or muscle XML (MASS's muscle file: 0.12 MiB)
MAX_BODIES = 256                  # MASS human: 23
MAX_MUSCLES = 2048                # MASS: 284
MAX_WAYPOINTS = 64                # per muscle; MASS: at most 8

BODY_MASS_KG = (1e-4, 1e3)        # per body
PRINCIPAL_INERTIA_KG_M2 = (1e-10, 1e3)
SHAPE_SIZE_M = (1e-4, 10.0)       # each extent, radius or height
MAX_POSITION_M = 100.0            # any position at the zero pose: frames, COMs, shape offsets, waypoints
MAX_GAIN = 1e5                    # joint kp, kv and damping
MUSCLE_F0_N = (1e-3, 1e5)
MUSCLE_LENGTH_M = (1e-5, 10.0)    # optimal fibre and tendon slack length
# Fibre length at the zero pose, (path length - tendon slack) / optimal fibre length: the default model has
# 0.74-1.0, MASS 0.67-0.8. Far beyond, the passive force explodes (a pelvis frame moved 0.8 m gave 27 and a
# muscle network fed with forces that overflow float32).
MUSCLE_REST_FIBER_LENGTH = (0.1, 2.0)


def out_of(value: float, bounds: tuple[float, float]) -> bool:
    lo, hi = bounds
    return not lo <= value <= hi
