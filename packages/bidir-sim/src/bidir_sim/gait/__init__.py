"""Gait analysis of recorded episodes (``Env.recording`` / ``Env.take_record()``): gait events and cycles from
the contact forces (events), clinical joint angles (angles), ground reaction forces, joint moments and powers
(kinetics), muscle groups (groups), muscle energetics (energy), normative data and comparisons (normative),
the report that joins them (report) and the export to OpenSim (opensim). docs/analysis.md explains each.

A record is a dict of arrays with one row per physics substep: ``time``, ``positions``, ``velocities``,
``moments`` (net generalized forces from inverse dynamics with the contact forces; the 6 root rows are the
unexplained residual), ``foot_force`` and ``foot_moment`` ((rows, 2, 3): right and left foot, world frame,
the moment about the world origin), ``other_contact_force`` (rows, 3), ``foot_rotation`` ((rows, 2, 3, 3): each
foot body's world rotation, from the env's own body, so that a torsion shows in the foot progression angle),
``foot_position`` ((rows, 2, 3): each foot body's origin, the env's own body), ``activations``, ``muscle_length``,
``fiber_length`` and ``muscle_force`` (rows, muscles). Once per record, the body the episode ran on (its
anatomical conditions applied): ``mass`` (kg) and ``muscle_parameters`` ((muscles, 3): f0 with any weakness,
optimal fibre length with any contracture, tendon slack length). The report reads the body from the record, so a
scaled, weakened or contracted body is analysed as itself.
"""

from . import opensim
from .report import curves_table, gait_report

__all__ = ["curves_table", "gait_report", "opensim"]
