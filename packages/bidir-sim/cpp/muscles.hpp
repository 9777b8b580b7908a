// Muscles: the compiled (static) description shared by all simulations of a model, and the state
// evaluated at one pose. The evaluation itself is in muscles_internal.hpp (DART translation units).
#pragma once
#include <Eigen/Core>
#include <string>
#include <vector>

namespace bidir {

// A waypoint fixed to one body, or blended over two (linear blend skinning).
struct Anchor {
  int count = 1;
  int body[2] = {0, 0};
  double weight[2] = {1.0, 0.0};
  Eigen::Vector3d local[2] = {Eigen::Vector3d::Zero(), Eigen::Vector3d::Zero()};  // body frames
};

struct CompiledMuscle {
  std::string name;
  std::vector<Anchor> anchors;
  double f0 = 0.0;                  // N
  double optimalFiberLength = 0.0;  // m
  double tendonSlackLength = 0.0;   // m
  double cosPennation = 1.0;
  double restLength = 0.0;       // path length at the zero pose, m
  double mass = 0.0;             // f0 * (rest - tendon) / 100: the reference's mass proxy (MA, MA2)
  std::vector<int> relatedDofs;  // actuated DoFs it moves (0 = first DoF after the root), ascending
  // The bodies its forces act on (each anchor's first body), distinct, and per anchor its index there:
  // forces and Jacobians are handled per body, not per anchor.
  std::vector<int> forceBodies;
  std::vector<int> anchorSlot;
};

// Per-simulation factors on the compiled muscles (the anatomical muscle conditions, docs/conditions.md): f0 × force
// (weakness), and the optimal fibre length × length (contracture: a shorter muscle belly, the tendon as it was).
// Empty vectors: every factor 1.
struct MuscleRatios {
  Eigen::VectorXd force, length;
  // Muscle j's f0 and optimal fibre length with its conditions applied (the compiled values where there are none).
  double f0(Eigen::Index j, double compiled) const { return force.size() ? force[j] * compiled : compiled; }
  double optimalFiberLength(Eigen::Index j, double compiled) const {
    return length.size() ? length[j] * compiled : compiled;
  }
};

// Muscle quantities at one state of a simulation. Forces are in N, generalized forces in N or N m.
struct MuscleState {
  Eigen::VectorXd length;         // muscle-tendon path length
  Eigen::VectorXd fiberLength;    // normalised fibre length l_m / l_opt (rigid tendon)
  Eigen::VectorXd fiberVelocity;  // normalised (0 unless force-velocity is on)
  Eigen::VectorXd activeForce;    // f_A: force at full activation, without the passive part
  Eigen::VectorXd passiveForce;   // f_P
  Eigen::MatrixXd JtA;            // (dofs - 6) x muscles: generalized force per unit activation
  Eigen::VectorXd JtP;            // (dofs - 6): generalized passive force of all muscles
  Eigen::VectorXd JtAReduced;     // each muscle's JtA column on its related DoFs, muscles in order
  // Per anchor, all muscles flattened: world point and unit direction of the force per unit tension.
  std::vector<Eigen::Vector3d> points, directions;
  // Per muscle and force body (flattened, muscle by muscle in forceBodies order): the wrench of a 1 N
  // tension on that body, [moment about the body origin; force], world coordinates.
  std::vector<Eigen::Matrix<double, 6, 1>> unitWrenches;
  std::vector<Eigen::Matrix<double, 6, 1>> bodyWrenches;  // per body: scratch of applyMuscleForces
  Eigen::VectorXd scratch;                                // one generalized-force column, reused between evaluations
  bool valid = false;                                     // evaluated at the current state
};

}  // namespace bidir
