"""Published anthropometric tables used by the human model generator.

Sources (numbers transcribed by hand, rounded as printed):
- Segment lengths / landmark heights as fractions of stature H: Drillis & Contini (1966), as reproduced in
  Winter, *Biomechanics and Motor Control of Human Movement*, 4th ed. (2009), Fig. 4.1.
- Segment mass fractions, centre-of-mass positions and radii of gyration (male): de Leva, P. (1996),
  "Adjustments to Zatsiorsky-Seluyanov's segment inertia parameters", J. Biomech. 29(9):1223-1230, Table 4.
"""

from __future__ import annotations

# The body the tables and the generator's defaults describe (a 50th-percentile adult male).
NOMINAL_HEIGHT = 1.75  # m
NOMINAL_MASS = 72.0    # kg

# Landmark heights above the floor, fraction of stature (Winter 2009, Fig. 4.1).
HEIGHT = {
    "ankle": 0.039,
    "knee": 0.285,
    "hip": 0.530,          # greater trochanter ~ hip joint centre
    "wrist": 0.485,
    "elbow": 0.630,
    "shoulder": 0.818,     # acromion ~ glenohumeral centre
    "chin": 0.870,
}
# Widths and lengths, fraction of stature (Winter 2009, Fig. 4.1).
WIDTH = {
    "shoulder": 0.259,     # bi-acromial
    "hip": 0.191,          # bi-trochanteric
    "foot": 0.055,
    "foot_length": 0.152,
    "hand_length": 0.108,
}

# de Leva (1996) Table 4, male: trunk subdivision lengths (mm, stature 1741 mm) used to split the trunk
# between hip and neck into lower (pelvis), middle (lumbar) and upper (thoracic) parts.
TRUNK_LENGTHS_MM = {"lower": 145.7, "middle": 215.5, "upper": 242.1}

# de Leva (1996) Table 4, male. mass: % of body mass; com: % of segment length from the proximal end
# (for the trunk parts and the head: from the *upper* end, as printed); radii of gyration in % of
# segment length about the sagittal (medio-lateral), transverse (antero-posterior) and longitudinal axes.
DE_LEVA = {
    #            mass    com     r_sag  r_trans r_long
    "head":     (6.94, 50.02, 30.3, 31.5, 26.1),
    "upper_trunk": (15.96, 50.66, 50.5, 32.0, 46.5),
    "middle_trunk": (16.33, 45.02, 48.2, 38.3, 46.8),
    "lower_trunk": (11.17, 61.15, 61.5, 55.1, 58.7),
    "upper_arm": (2.71, 57.72, 28.5, 26.9, 15.8),
    "forearm":  (1.62, 45.74, 27.6, 26.5, 12.1),
    "hand":     (0.61, 79.00, 62.8, 51.3, 40.1),
    "thigh":    (14.16, 40.95, 32.9, 32.9, 14.9),
    "shank":    (4.33, 44.59, 25.5, 24.9, 10.3),
    "foot":     (1.37, 44.15, 25.7, 24.5, 12.4),
}
