"""The default model's muscles: 78 lower-body and trunk units per side (156 in all), in L/R pairs.

Architecture (maximum isometric force f0, optimal fibre length, tendon slack length, pennation) follows
Delp et al. (1990), "An interactive graphics-based model of the lower extremity", IEEE TBME 37(8), as used in
OpenSim's gait2392 model; trunk values follow the same model's erector spinae / oblique actuators split into
units, and Christophy et al. (2012) for the rectus abdominis and quadratus lumborum. Large muscles are split
into several units that share the published force. Values are rounded transcriptions; see docs/model.md.

Paths: each point is (body, (lateral, up, forward)) in metres in the body's frame for the nominal 1.75 m model,
RIGHT side, lateral > 0 away from the midline. They are stored as fractions of the body's segment dimensions
so they scale with the body. "Patella" is a point blended half on the femur and half on the tibia (given in
the femur frame), so the quadriceps path follows the knee as it flexes.

Fibre and tendon lengths keep the published tendon/fibre ratio and are scaled so that every unit is at its
optimal fibre length at the zero (standing) pose of the generated body. Muscles that walking stretches
further than MAX_WALKING_STRETCH x their optimal fibre length (the knee extensors in swing, whose optimum
lies in a flexed knee) then get a longer tendon, so that they end there; see fit_operating_range.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ..motion.walk import walking_reference
from .anthropometry import NOMINAL_MASS
from .geometry import MusclePaths
from .spec import Model, Muscle, Waypoint

# name, f0 [N], optimal fibre length [m], tendon slack length [m], pennation [deg], path
MUSCLES = [
    # ---------------------------------------------------------------- hip
    ("Gluteus_Maximus1", 430, 0.142, 0.125, 5, [("Pelvis", (0.10, 0.085, -0.08)), ("Femur", (0.075, -0.03, -0.045)), ("Femur", (0.05, -0.11, -0.015))]),
    ("Gluteus_Maximus2", 430, 0.147, 0.127, 0, [("Pelvis", (0.08, 0.06, -0.10)), ("Femur", (0.07, -0.05, -0.05)), ("Femur", (0.045, -0.14, -0.02))]),
    ("Gluteus_Maximus3", 430, 0.144, 0.145, 5, [("Pelvis", (0.04, 0.03, -0.11)), ("Femur", (0.065, -0.07, -0.055)), ("Femur", (0.04, -0.16, -0.02))]),
    ("Gluteus_Maximus4", 430, 0.144, 0.145, 5, [("Pelvis", (0.02, -0.01, -0.10)), ("Femur", (0.06, -0.09, -0.05)), ("Femur", (0.035, -0.18, -0.02))]),
    ("Gluteus_Medius1", 819, 0.054, 0.078, 8, [("Pelvis", (0.13, 0.08, 0.03)), ("Femur", (0.065, -0.01, 0.005))]),
    ("Gluteus_Medius2", 573, 0.085, 0.053, 0, [("Pelvis", (0.14, 0.09, -0.01)), ("Femur", (0.065, -0.01, -0.005))]),
    ("Gluteus_Medius3", 653, 0.065, 0.053, 19, [("Pelvis", (0.12, 0.08, -0.06)), ("Femur", (0.06, -0.005, -0.015))]),
    ("Gluteus_Minimus1", 270, 0.068, 0.016, 10, [("Pelvis", (0.12, 0.05, 0.035)), ("Femur", (0.06, -0.005, 0.01))]),
    ("Gluteus_Minimus2", 285, 0.056, 0.026, 0, [("Pelvis", (0.125, 0.055, 0.0)), ("Femur", (0.06, -0.003, 0.003))]),
    ("Gluteus_Minimus3", 323, 0.038, 0.051, 1, [("Pelvis", (0.115, 0.05, -0.03)), ("Femur", (0.058, 0.0, -0.005))]),
    ("Adductor_Longus", 418, 0.138, 0.110, 6, [("Pelvis", (0.02, -0.01, 0.055)), ("Femur", (0.025, -0.22, -0.01))]),
    ("Adductor_Brevis", 286, 0.133, 0.020, 0, [("Pelvis", (0.03, -0.02, 0.045)), ("Femur", (0.03, -0.12, -0.005))]),
    ("Adductor_Magnus1", 303, 0.087, 0.060, 5, [("Pelvis", (0.035, -0.045, 0.03)), ("Femur", (0.025, -0.15, -0.015))]),
    ("Adductor_Magnus2", 303, 0.121, 0.130, 3, [("Pelvis", (0.05, -0.055, 0.0)), ("Femur", (0.02, -0.23, -0.015))]),
    ("Adductor_Magnus3", 303, 0.131, 0.260, 5, [("Pelvis", (0.06, -0.06, -0.03)), ("Femur", (0.015, -0.30, -0.015))]),
    ("Adductor_Magnus4", 303, 0.131, 0.260, 5, [("Pelvis", (0.065, -0.06, -0.045)), ("Femur", (-0.03, -0.40, -0.01))]),
    ("Pectineus", 177, 0.133, 0.001, 0, [("Pelvis", (0.045, 0.005, 0.05)), ("Femur", (0.015, -0.08, 0.0))]),
    ("Iliacus1", 215, 0.100, 0.090, 7, [("Pelvis", (0.075, 0.09, 0.02)), ("Pelvis", (0.085, 0.015, 0.055)), ("Femur", (0.0, -0.06, -0.01))]),
    ("Iliacus2", 215, 0.100, 0.090, 7, [("Pelvis", (0.10, 0.08, 0.0)), ("Pelvis", (0.09, 0.015, 0.05)), ("Femur", (0.0, -0.06, -0.01))]),
    ("Psoas1", 186, 0.104, 0.130, 8, [("Spine", (0.03, 0.10, 0.02)), ("Pelvis", (0.08, 0.02, 0.05)), ("Femur", (0.0, -0.06, -0.01))]),
    ("Psoas2", 186, 0.104, 0.130, 8, [("Spine", (0.035, 0.03, 0.02)), ("Pelvis", (0.078, 0.018, 0.048)), ("Femur", (0.0, -0.06, -0.01))]),
    ("Quadratus_Femoris", 254, 0.054, 0.024, 0, [("Pelvis", (0.07, -0.05, -0.04)), ("Femur", (0.04, -0.04, -0.03))]),
    ("Gemellus", 109, 0.024, 0.039, 0, [("Pelvis", (0.06, -0.02, -0.05)), ("Femur", (0.055, -0.005, -0.01))]),
    ("Piriformis", 296, 0.026, 0.115, 10, [("Pelvis", (0.025, 0.05, -0.09)), ("Pelvis", (0.08, 0.02, -0.05)), ("Femur", (0.06, 0.005, -0.005))]),
    ("Obturator_Internus", 254, 0.033, 0.110, 0, [("Pelvis", (0.05, -0.03, 0.0)), ("Pelvis", (0.06, -0.03, -0.05)), ("Femur", (0.055, -0.005, -0.008))]),
    ("Obturator_Externus", 200, 0.040, 0.070, 0, [("Pelvis", (0.04, -0.04, 0.035)), ("Femur", (0.04, -0.01, -0.015))]),
    ("Sartorius", 104, 0.520, 0.040, 0, [("Pelvis", (0.115, 0.075, 0.06)), ("Femur", (0.0, -0.20, 0.04)), ("Femur", (-0.04, -0.38, -0.02)), ("Tibia", (-0.035, -0.03, -0.02)), ("Tibia", (-0.02, -0.07, 0.02))]),
    ("Gracilis", 108, 0.352, 0.140, 3, [("Pelvis", (0.03, -0.04, 0.045)), ("Femur", (-0.04, -0.39, -0.025)), ("Tibia", (-0.03, -0.04, -0.02)), ("Tibia", (-0.02, -0.07, 0.015))]),
    ("Tensor_Fasciae_Latae", 155, 0.095, 0.425, 3, [("Pelvis", (0.125, 0.07, 0.045)), ("Femur", (0.08, -0.10, 0.02)), ("Femur", (0.05, -0.40, 0.01)), ("Tibia", (0.04, -0.03, 0.02))]),
    # ---------------------------------------------------------------- knee
    ("Rectus_Femoris1", 390, 0.084, 0.346, 5, [("Pelvis", (0.095, 0.04, 0.055)), ("Femur", (0.01, -0.36, 0.05)), ("Patella", (0.0, -0.41, 0.055)), ("Tibia", (0.0, -0.07, 0.04))]),
    ("Rectus_Femoris2", 390, 0.084, 0.346, 5, [("Pelvis", (0.09, 0.035, 0.05)), ("Femur", (0.005, -0.36, 0.05)), ("Patella", (0.0, -0.41, 0.055)), ("Tibia", (0.0, -0.07, 0.04))]),
    ("Vastus_Lateralis1", 936, 0.084, 0.157, 5, [("Femur", (0.05, -0.08, 0.015)), ("Femur", (0.03, -0.33, 0.04)), ("Patella", (0.005, -0.41, 0.055)), ("Tibia", (0.0, -0.07, 0.04))]),
    ("Vastus_Lateralis2", 936, 0.084, 0.157, 5, [("Femur", (0.045, -0.16, 0.02)), ("Femur", (0.03, -0.34, 0.04)), ("Patella", (0.005, -0.41, 0.055)), ("Tibia", (0.0, -0.07, 0.04))]),
    ("Vastus_Medialis1", 647, 0.089, 0.126, 5, [("Femur", (0.0, -0.14, 0.0)), ("Femur", (-0.025, -0.34, 0.035)), ("Patella", (-0.005, -0.41, 0.055)), ("Tibia", (0.0, -0.07, 0.04))]),
    ("Vastus_Medialis2", 647, 0.089, 0.126, 5, [("Femur", (-0.01, -0.22, 0.005)), ("Femur", (-0.03, -0.35, 0.035)), ("Patella", (-0.005, -0.41, 0.055)), ("Tibia", (0.0, -0.07, 0.04))]),
    ("Vastus_Intermedius1", 683, 0.087, 0.136, 3, [("Femur", (0.03, -0.12, 0.03)), ("Femur", (0.0, -0.33, 0.045)), ("Patella", (0.0, -0.41, 0.055)), ("Tibia", (0.0, -0.07, 0.04))]),
    ("Vastus_Intermedius2", 683, 0.087, 0.136, 3, [("Femur", (0.025, -0.20, 0.035)), ("Femur", (0.0, -0.34, 0.045)), ("Patella", (0.0, -0.41, 0.055)), ("Tibia", (0.0, -0.07, 0.04))]),
    ("Semimembranosus1", 515, 0.080, 0.359, 15, [("Pelvis", (0.065, -0.055, -0.04)), ("Femur", (-0.025, -0.36, -0.045)), ("Tibia", (-0.025, -0.04, -0.03))]),
    ("Semimembranosus2", 515, 0.080, 0.359, 15, [("Pelvis", (0.07, -0.05, -0.045)), ("Femur", (-0.02, -0.36, -0.045)), ("Tibia", (-0.02, -0.045, -0.03))]),
    ("Semitendinosus", 328, 0.201, 0.262, 5, [("Pelvis", (0.06, -0.06, -0.045)), ("Femur", (-0.035, -0.37, -0.045)), ("Tibia", (-0.035, -0.05, -0.025)), ("Tibia", (-0.02, -0.08, 0.01))]),
    ("Biceps_Femoris_Long", 717, 0.109, 0.341, 0, [("Pelvis", (0.07, -0.055, -0.045)), ("Femur", (0.03, -0.37, -0.045)), ("Tibia", (0.04, -0.05, -0.02))]),
    ("Biceps_Femoris_Short", 402, 0.173, 0.100, 23, [("Femur", (0.02, -0.22, -0.02)), ("Femur", (0.035, -0.37, -0.04)), ("Tibia", (0.04, -0.05, -0.02))]),
    ("Popliteus", 150, 0.030, 0.030, 0, [("Femur", (0.035, -0.41, -0.01)), ("Tibia", (-0.02, -0.08, -0.025))]),
    # ---------------------------------------------------------------- ankle and toes
    ("Gastrocnemius_Medial1", 557, 0.045, 0.408, 17, [("Femur", (-0.025, -0.40, -0.025)), ("Tibia", (-0.02, -0.05, -0.045)), ("Tibia", (-0.005, -0.35, -0.045)), ("Talus", (0.0, -0.035, -0.055))]),
    ("Gastrocnemius_Medial2", 557, 0.045, 0.408, 17, [("Femur", (-0.02, -0.41, -0.03)), ("Tibia", (-0.015, -0.06, -0.045)), ("Tibia", (-0.005, -0.35, -0.045)), ("Talus", (-0.003, -0.035, -0.055))]),
    ("Gastrocnemius_Lateral1", 244, 0.064, 0.385, 8, [("Femur", (0.03, -0.40, -0.025)), ("Tibia", (0.02, -0.05, -0.045)), ("Tibia", (0.005, -0.35, -0.045)), ("Talus", (0.005, -0.035, -0.055))]),
    ("Gastrocnemius_Lateral2", 244, 0.064, 0.385, 8, [("Femur", (0.025, -0.41, -0.03)), ("Tibia", (0.015, -0.06, -0.045)), ("Tibia", (0.005, -0.35, -0.045)), ("Talus", (0.003, -0.035, -0.055))]),
    ("Soleus1", 946, 0.050, 0.250, 25, [("Tibia", (0.03, -0.08, -0.02)), ("Tibia", (0.005, -0.35, -0.045)), ("Talus", (0.003, -0.035, -0.055))]),
    ("Soleus2", 946, 0.050, 0.250, 25, [("Tibia", (0.0, -0.14, -0.025)), ("Tibia", (0.0, -0.35, -0.045)), ("Talus", (0.0, -0.035, -0.055))]),
    ("Soleus3", 946, 0.050, 0.250, 25, [("Tibia", (-0.02, -0.16, -0.02)), ("Tibia", (-0.005, -0.35, -0.045)), ("Talus", (-0.003, -0.035, -0.055))]),
    ("Plantaris", 80, 0.050, 0.350, 4, [("Femur", (0.025, -0.395, -0.025)), ("Tibia", (0.0, -0.35, -0.045)), ("Talus", (-0.005, -0.035, -0.055))]),
    ("Tibialis_Posterior", 1270, 0.031, 0.310, 12, [("Tibia", (0.0, -0.12, -0.01)), ("Tibia", (-0.025, -0.41, -0.02)), ("Talus", (-0.025, -0.04, 0.03))]),
    ("Tibialis_Anterior", 603, 0.098, 0.223, 5, [("Tibia", (0.02, -0.12, 0.02)), ("Tibia", (0.005, -0.40, 0.035)), ("Talus", (-0.02, -0.045, 0.065))]),
    ("Flexor_Digitorum_Longus", 310, 0.034, 0.400, 7, [("Tibia", (-0.005, -0.18, -0.02)), ("Tibia", (-0.02, -0.41, -0.025)), ("Talus", (-0.02, -0.05, 0.0)), ("Talus", (0.01, -0.06, 0.11)), ("FootPinky", (0.0, -0.015, 0.04))]),
    ("Flexor_Hallucis_Longus", 322, 0.043, 0.380, 10, [("Tibia", (0.02, -0.25, -0.025)), ("Tibia", (-0.01, -0.41, -0.03)), ("Talus", (-0.015, -0.05, -0.01)), ("Talus", (-0.025, -0.06, 0.11)), ("FootThumb", (0.0, -0.015, 0.045))]),
    ("Extensor_Digitorum_Longus", 341, 0.102, 0.345, 8, [("Tibia", (0.035, -0.10, 0.01)), ("Tibia", (0.015, -0.40, 0.035)), ("Talus", (0.015, -0.02, 0.07)), ("FootPinky", (0.0, 0.005, 0.045))]),
    ("Extensor_Hallucis_Longus", 108, 0.111, 0.305, 6, [("Tibia", (0.025, -0.20, 0.015)), ("Tibia", (0.0, -0.40, 0.035)), ("Talus", (-0.02, -0.015, 0.08)), ("FootThumb", (0.0, 0.005, 0.05))]),
    ("Peroneus_Brevis", 348, 0.050, 0.161, 5, [("Tibia", (0.04, -0.25, -0.005)), ("Tibia", (0.035, -0.42, -0.025)), ("Talus", (0.035, -0.05, -0.01)), ("Talus", (0.045, -0.05, 0.06))]),
    ("Peroneus_Longus", 754, 0.049, 0.345, 10, [("Tibia", (0.04, -0.07, 0.0)), ("Tibia", (0.04, -0.42, -0.025)), ("Talus", (0.04, -0.055, -0.01)), ("Talus", (0.04, -0.065, 0.05)), ("Talus", (-0.015, -0.065, 0.075))]),
    ("Peroneus_Tertius", 90, 0.079, 0.100, 13, [("Tibia", (0.035, -0.30, 0.015)), ("Tibia", (0.025, -0.41, 0.03)), ("Talus", (0.045, -0.04, 0.08))]),
    # ---------------------------------------------------------------- trunk
    ("Erector_Spinae_Lumbar1", 450, 0.120, 0.030, 0, [("Pelvis", (0.04, 0.10, -0.07)), ("Spine", (0.035, 0.10, -0.06))]),
    ("Erector_Spinae_Lumbar2", 450, 0.120, 0.030, 0, [("Pelvis", (0.03, 0.08, -0.08)), ("Spine", (0.025, 0.15, -0.065))]),
    ("Erector_Spinae_Lumbar3", 450, 0.120, 0.030, 0, [("Pelvis", (0.05, 0.11, -0.06)), ("Spine", (0.05, 0.17, -0.055))]),
    ("Longissimus_Thoracis1", 350, 0.150, 0.200, 0, [("Pelvis", (0.02, 0.07, -0.085)), ("Spine", (0.025, 0.10, -0.065)), ("Torso", (0.025, 0.12, -0.06))]),
    ("Longissimus_Thoracis2", 350, 0.150, 0.200, 0, [("Pelvis", (0.035, 0.09, -0.075)), ("Spine", (0.035, 0.10, -0.065)), ("Torso", (0.035, 0.18, -0.06))]),
    ("Iliocostalis_Thoracis", 300, 0.120, 0.100, 0, [("Spine", (0.05, 0.05, -0.055)), ("Torso", (0.06, 0.15, -0.05))]),
    ("Multifidus1", 250, 0.050, 0.020, 0, [("Pelvis", (0.015, 0.06, -0.09)), ("Spine", (0.01, 0.06, -0.055))]),
    ("Multifidus2", 250, 0.050, 0.020, 0, [("Spine", (0.012, 0.09, -0.05)), ("Torso", (0.01, 0.05, -0.05))]),
    ("Rectus_Abdominis1", 300, 0.250, 0.050, 0, [("Pelvis", (0.02, 0.0, 0.07)), ("Spine", (0.035, 0.05, 0.11)), ("Spine", (0.04, 0.17, 0.115)), ("Torso", (0.04, 0.06, 0.10))]),
    ("Rectus_Abdominis2", 300, 0.250, 0.050, 0, [("Pelvis", (0.035, 0.005, 0.07)), ("Spine", (0.05, 0.05, 0.11)), ("Spine", (0.055, 0.17, 0.115)), ("Torso", (0.06, 0.06, 0.10))]),
    ("External_Oblique1", 300, 0.120, 0.140, 0, [("Torso", (0.14, 0.06, 0.05)), ("Pelvis", (0.13, 0.10, 0.03))]),
    ("External_Oblique2", 300, 0.120, 0.140, 0, [("Torso", (0.12, 0.02, 0.08)), ("Spine", (0.07, 0.08, 0.11)), ("Pelvis", (0.03, 0.03, 0.075))]),
    ("External_Oblique3", 300, 0.120, 0.140, 0, [("Torso", (0.14, 0.10, 0.03)), ("Spine", (0.14, 0.08, 0.0)), ("Pelvis", (0.135, 0.10, -0.01))]),
    ("Internal_Oblique1", 300, 0.100, 0.100, 0, [("Pelvis", (0.13, 0.10, 0.02)), ("Torso", (0.10, 0.0, 0.09))]),
    ("Internal_Oblique2", 300, 0.100, 0.100, 0, [("Pelvis", (0.12, 0.09, 0.05)), ("Spine", (0.06, 0.10, 0.11)), ("Torso", (0.04, 0.0, 0.11))]),
    ("Internal_Oblique3", 300, 0.100, 0.100, 0, [("Pelvis", (0.13, 0.10, -0.02)), ("Torso", (0.12, 0.02, 0.05))]),
    ("Quadratus_Lumborum1", 200, 0.090, 0.030, 0, [("Pelvis", (0.07, 0.11, -0.05)), ("Spine", (0.035, 0.12, -0.03))]),
    ("Quadratus_Lumborum2", 200, 0.090, 0.030, 0, [("Pelvis", (0.07, 0.11, -0.05)), ("Spine", (0.06, 0.15, -0.035)), ("Torso", (0.06, 0.01, -0.035))]),
]

MIDLINE = {"Pelvis", "Spine", "Torso"}
# The hip units (the first section above) get 1.5x Delp's forces. Delp's (1990) hip forces are low next to the
# later PCSA-based models built on Ward et al. (2009) cadaver data (Arnold et al. 2010, Rajagopal et al.
# 2016); one factor towards them, not a transcription. It takes the hip's unmet demand in
# `python -m bidir_sim.capacity` from 5.0 % to 2.6 % (docs/model.md).
HIP_FORCE_SCALE = 1.5
HIP_MUSCLES = frozenset(m[0] for m in MUSCLES[:[m[0] for m in MUSCLES].index("Rectus_Femoris1")])
# Longest normalised fibre length allowed over the walking cycle: passive force there is ~0.1 f0 with the
# reference's passive curve (k_pe 5.5, e_mo 0.3). Delp's knee extensors work at about 0.7-1.2 l_opt in gait.
MAX_WALKING_STRETCH = 1.15


def build_muscles(dims: dict[str, np.ndarray], frames: dict[str, np.ndarray],
                  nominal_dims: dict[str, np.ndarray], mass_kg: float) -> list[Muscle]:
    """Muscles for a generated body.

    ``dims``/``nominal_dims``: (width, length, depth) per body now and at the nominal size;
    ``frames``: each body's world frame at the zero pose.
    """
    # Strength scales with cross-section: f0 ~ mass^(2/3) under geometric similarity.
    force_scale = (mass_kg / NOMINAL_MASS) ** (2.0 / 3.0)
    muscles: list[Muscle] = []
    for name, f0, l_opt, l_ts, pen_deg, path in MUSCLES:
        for side, sx in (("L", 1.0), ("R", -1.0)):  # L then R: pairs at consecutive indices
            waypoints = [_waypoint(body, p, side, sx, dims, nominal_dims, frames) for body, p in path]
            rest = sum(float(np.linalg.norm(b.position - a.position)) for a, b in itertools.pairwise(waypoints))
            ratio = l_ts / l_opt
            strength = force_scale * (HIP_FORCE_SCALE if name in HIP_MUSCLES else 1.0)
            muscles.append(Muscle(name=f"{side}_{name}", f0=f0 * strength,
                                  optimal_fiber_length=rest / (1.0 + ratio),
                                  tendon_slack_length=rest * ratio / (1.0 + ratio),
                                  pennation=math.radians(pen_deg), waypoints=waypoints))
    return muscles


def _waypoint(body, p, side, sx, dims, nominal_dims, frames) -> Waypoint:
    host = "Femur" if body == "Patella" else body
    full = host if host in MIDLINE else f"{host}{side}"
    frac = np.asarray(p, dtype=float) / nominal_dims[full][[0, 1, 2]]  # fractions of (width, length, depth)
    lat, up, fwd = frac * dims[full]
    local = np.array([sx * lat, up, fwd])
    world = frames[full][:3, :3] @ local + frames[full][:3, 3]
    if body == "Patella":
        return Waypoint(bodies=[f"Tibia{side}", f"Femur{side}"], weights=[0.5, 0.5], position=world)
    return Waypoint(bodies=[full], weights=[1.0], position=world)


def fit_operating_range(skeleton, muscles: list[Muscle]) -> None:
    """Lengthens the tendon of every muscle that the walking reference stretches beyond MAX_WALKING_STRETCH.

    ``skeleton``: the generated model without muscles (the walking reference depends on the skeleton only).
    Changes ``muscles`` in place; fibres of those muscles are then shorter than optimal when standing.
    """
    with_muscles = Model(name=skeleton.name, bodies=skeleton.bodies, muscles=muscles, source=skeleton.source)
    cycle = walking_reference(skeleton).positions
    longest = MusclePaths(with_muscles).lengths(cycle).max(axis=0)
    for m, l_max in zip(muscles, longest):
        stretch = (l_max - m.tendon_slack_length) / m.optimal_fiber_length
        if stretch > MAX_WALKING_STRETCH:
            m.tendon_slack_length = float(l_max - MAX_WALKING_STRETCH * m.optimal_fiber_length)
