// What the body did at every physics step of an episode, for gait analysis (Env::setRecording). Each
// array holds one row per substep, row-major; a row describes one DART step: the state it started from,
// the activations and muscle tensions applied in it, the contact forces the constraint solver found, and
// the net joint moments that inverse dynamics gives with those contact forces. Eigen-free on purpose: the
// bindings copy it out as it is.
#pragma once
#include <vector>

namespace bidir {

struct GaitRecord {
  int rows = 0;                    // complete substeps recorded since the last reset or take
  std::vector<double> time;        // rows: seconds since the episode's reset, at the step's start
  std::vector<double> positions;   // rows x dofs: q at the step's start
  std::vector<double> velocities;  // rows x dofs: dq at the step's start
  // rows x dofs: M(q) (dq' - dq) / dt + C(q, dq) - J^T F_contact, the generalized forces that everything but
  // the ground (muscles, actuators, joint limits and damping) applied in the step; the 6 root rows are what
  // no contact explains (the residual, ~0 unless an external force such as the assist acts).
  std::vector<double> moments;
  // rows x 2 x 3 (right foot, left foot; world frame, N): the ground's force on the foot (its bodies: the
  // task's foot body and every body below it), and its moment about the world origin (N m).
  std::vector<double> footForce, footMoment;
  std::vector<double> otherContactForce;  // rows x 3: contact force on every other body (a fall, a hand), N
  // rows x 2 x 3 x 3 (right, left; row-major): the foot body's world rotation at the step's start, from the env's
  // own body (a torsion turns the foot in a way the model's kinematics with the same q cannot show)
  std::vector<double> footRotation;
  // rows x 2 x 3 (right, left): the foot body's origin in world, m, from the env's own body
  std::vector<double> footPosition;
  std::vector<double> activations;   // rows x muscles
  std::vector<double> muscleLength;  // rows x muscles: muscle-tendon path length, m
  std::vector<double> fiberLength;   // rows x muscles: l_m / l_opt
  std::vector<double> muscleForce;   // rows x muscles: tension a f_A + f_P, N
};

}  // namespace bidir
