"""bidir's own parametric human: topology, mass and height, muscles and their moment arms."""

import numpy as np
import pytest
from bidir_sim.models import (
    MusclePaths,
    default_model_path,
    dump_model_yaml,
    human,
    parse_model_yaml,
    standing_height,
)
from bidir_sim.models.human_muscles import MAX_WALKING_STRETCH
from bidir_sim.motion.walk import walking_reference


def test_topology_matches_the_reference(default_model):
    native = default_model.native()
    assert native.num_bodies == 23
    assert native.num_dofs == 56
    kinds = {b.name: b.joint.type for b in default_model.bodies}
    assert kinds["Pelvis"] == "free"
    for s in "RL":
        assert [kinds[f"{n}{s}"] for n in ("Femur", "Tibia", "Talus", "FootThumb", "FootPinky")] == \
            ["ball", "revolute", "ball", "revolute", "revolute"]
        assert [kinds[f"{n}{s}"] for n in ("Shoulder", "Arm", "ForeArm", "Hand")] == ["ball", "ball", "revolute", "ball"]
    assert [kinds[n] for n in ("Spine", "Torso", "Neck", "Head")] == ["ball"] * 4
    assert {b.name for b in default_model.bodies if b.contact} == {
        f"{n}{s}" for s in "RL" for n in ("Talus", "FootThumb", "FootPinky")}


@pytest.mark.parametrize("height, mass", [(1.75, 72.0), (1.55, 50.0), (1.95, 95.0)])
def test_mass_and_height_as_requested(height, mass):
    model = human(height_m=height, mass_kg=mass)
    assert model.native().total_mass == pytest.approx(mass, rel=0.01)
    assert standing_height(model) == pytest.approx(height, abs=0.01)
    # the model stands on the floor at the zero pose
    T = model.native().forward_kinematics(np.zeros((1, 56)))[0]
    assert T[model.body_index["Head"], 1, 3] > T[model.body_index["Pelvis"], 1, 3] > T[model.body_index["TalusR"], 1, 3]


def test_every_dof_has_limits_and_gains_except_the_root(default_model):
    native = default_model.native()
    lo, hi, kp = native.position_lower_limits, native.position_upper_limits, native.kp
    assert np.all(np.isfinite(lo[6:])) and np.all(lo[6:] < hi[6:])
    assert np.all(kp[6:] > 0) and np.all(kp[:6] == 0)
    off = default_model.dof_offsets()
    # knee: flexion only, up to ~140 deg; hip flexion beyond 90 deg allowed
    assert lo[off["TibiaR"]] == 0.0 and np.degrees(hi[off["TibiaR"]]) == pytest.approx(140)
    assert np.degrees(lo[off["FemurR"]]) == pytest.approx(-120)


def test_muscles_in_left_right_pairs(default_model):
    names = [m.name for m in default_model.muscles]
    assert 150 <= len(names) <= 200
    for left, right in zip(names[0::2], names[1::2]):
        assert left.startswith("L_") and right == "R_" + left[2:]
    # mirror images: same force, mirrored waypoints
    for left, right in zip(default_model.muscles[0::2], default_model.muscles[1::2]):
        assert left.f0 == right.f0
        for a, b in zip(left.waypoints, right.waypoints):
            assert np.allclose(a.position * [-1, 1, 1], b.position, atol=1e-9)


def test_every_muscle_spans_a_dof_and_works_near_optimal_length(default_model):
    paths = MusclePaths(default_model)
    arms = paths.moment_arms(np.zeros(56), range(6, 56))
    spanned = np.abs(arms).max(axis=1)
    assert np.all(spanned > 1e-3), [m.name for m, s in zip(default_model.muscles, spanned) if s <= 1e-3]
    l_opt = np.array([m.optimal_fiber_length for m in default_model.muscles])
    l_slack = np.array([m.tendon_slack_length for m in default_model.muscles])
    standing = (paths.lengths(np.zeros((1, 56)))[0] - l_slack) / l_opt
    walking = (paths.lengths(walking_reference(default_model).positions) - l_slack) / l_opt
    # optimal when standing, unless walking would stretch the muscle further than MAX_WALKING_STRETCH
    longest = walking.max(axis=0)
    assert np.all(longest <= MAX_WALKING_STRETCH + 1e-4)  # the file keeps 6 decimals
    at_limit = np.isclose(longest, MAX_WALKING_STRETCH, atol=1e-4)
    assert np.allclose(standing[~at_limit], 1.0, atol=1e-4)
    assert np.all(standing[at_limit] < 1.0) and np.all(standing > 0.6)
    assert 20 < at_limit.sum() < 80  # the knee extensors among them
    names = [m.name for m, hit in zip(default_model.muscles, at_limit) if hit]
    assert "R_Vastus_Lateralis1" in names and "R_Rectus_Femoris1" in names


# Moment arms at the neutral pose (m), f0-weighted group mean, with the range found in the literature:
# hip flexors ~2-6 cm (Nemeth & Ohlsen 1985, J Biomech 18:129; Arnold et al. 2000), hip extensors 4-8 cm
# (Nemeth & Ohlsen 1985), hip abductors 4-7 cm (Nemeth & Ohlsen 1985), adductors 3-10 cm (Arnold et al.
# 2000, J Biomech 33:1457), knee extensors 3.5-6 cm at full extension (patellar tendon, Herzog & Read 1993,
# J Anat 182:213; Krevolin et al. 2004), knee flexors 1.5-4.5 cm (Herzog & Read 1993; Buford et al. 1997),
# ankle plantarflexors 4-6.5 cm (Achilles, Maganaris et al. 1998, J Physiol 510:977), dorsiflexors 3-5.5 cm
# (tibialis anterior, Maganaris 1999, Clin Biomech 14:375), trunk extensors 4-8 cm and flexors (rectus
# abdominis) 7-12 cm from the lumbar joint centre (McGill et al. 1988, Spine 13:1397; Bogduk et al. 1992).
# The sign is given per group as the joint coordinate that the group moves positively (right side):
# hip x + = extension, hip z + = adduction, knee + = flexion, ankle x + = plantarflexion, spine x + = flexion.
GROUPS = [
    ("hip flexors", "FemurR", 0, -1, 0.02, 0.06, ["Iliacus1", "Iliacus2", "Psoas1", "Psoas2", "Rectus_Femoris1",
                                                    "Rectus_Femoris2", "Sartorius", "Tensor_Fasciae_Latae"]),
    ("hip extensors", "FemurR", 0, +1, 0.04, 0.08, ["Gluteus_Maximus1", "Gluteus_Maximus2", "Gluteus_Maximus3",
                                                     "Gluteus_Maximus4", "Semimembranosus1", "Semimembranosus2",
                                                     "Semitendinosus", "Biceps_Femoris_Long"]),
    ("hip abductors", "FemurR", 2, -1, 0.04, 0.07, ["Gluteus_Medius1", "Gluteus_Medius2", "Gluteus_Medius3",
                                                     "Gluteus_Minimus1", "Gluteus_Minimus2", "Gluteus_Minimus3"]),
    ("hip adductors", "FemurR", 2, +1, 0.03, 0.10, ["Adductor_Longus", "Adductor_Brevis", "Adductor_Magnus1",
                                                     "Adductor_Magnus2", "Adductor_Magnus3", "Gracilis"]),
    ("knee extensors", "TibiaR", 0, -1, 0.035, 0.06, ["Rectus_Femoris1", "Vastus_Lateralis1", "Vastus_Lateralis2",
                                                       "Vastus_Medialis1", "Vastus_Medialis2", "Vastus_Intermedius1"]),
    ("knee flexors", "TibiaR", 0, +1, 0.015, 0.045, ["Semimembranosus1", "Semitendinosus", "Biceps_Femoris_Long",
                                                      "Biceps_Femoris_Short", "Gastrocnemius_Medial1"]),
    ("ankle plantarflexors", "TalusR", 0, +1, 0.04, 0.065, ["Soleus1", "Soleus2", "Soleus3", "Gastrocnemius_Medial1",
                                                             "Gastrocnemius_Lateral1"]),
    ("ankle dorsiflexors", "TalusR", 0, -1, 0.03, 0.055, ["Tibialis_Anterior", "Extensor_Digitorum_Longus",
                                                           "Extensor_Hallucis_Longus"]),
    ("trunk extensors", "Spine", 0, -1, 0.04, 0.08, ["Erector_Spinae_Lumbar1", "Erector_Spinae_Lumbar2",
                                                      "Longissimus_Thoracis1", "Multifidus1", "Quadratus_Lumborum1"]),
    ("trunk flexors", "Spine", 0, +1, 0.07, 0.12, ["Rectus_Abdominis1", "Rectus_Abdominis2"]),
]


@pytest.mark.parametrize("group", GROUPS, ids=[g[0] for g in GROUPS])
def test_moment_arm_signs_and_magnitudes(default_model, group):
    name, body, axis, sign, lo, hi, members = group
    dof = default_model.dof_offsets()[body] + axis
    paths = MusclePaths(default_model)
    arms = paths.moment_arms(np.zeros(56), [dof])[:, 0]
    index = {m.name: i for i, m in enumerate(default_model.muscles)}
    values = np.array([arms[index["R_" + n]] for n in members]) * sign
    assert np.all(values > 0), f"{name}: wrong sign for {[n for n, v in zip(members, values) if v <= 0]}"
    f0 = np.array([default_model.muscles[index["R_" + n]].f0 for n in members])
    mean = float(values @ f0 / f0.sum())
    assert lo <= mean <= hi, f"{name}: mean moment arm {mean * 100:.1f} cm outside [{lo * 100}, {hi * 100}] cm"


def test_shipped_model_file_equals_the_generator_output():
    shipped = default_model_path().read_text(encoding="utf-8")
    assert shipped == dump_model_yaml(human()), "regenerate with: python -m bidir_sim generate " \
        "packages/bidir-sim/src/bidir_sim/data/default_model.yaml"


def test_yaml_round_trip_is_exact():
    model = human(height_m=1.62, mass_kg=58.0)
    text = dump_model_yaml(model)
    again = parse_model_yaml(text, "<round trip>")
    assert dump_model_yaml(again) == text
    a = model.native().forward_kinematics(np.zeros((1, 56)))
    b = again.native().forward_kinematics(np.zeros((1, 56)))
    assert np.allclose(a, b, atol=1e-6)
