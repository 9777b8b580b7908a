// Bounds on the state and forces that reach DART. Debian's DART keeps its asserts, and far-out values (a
// rotation coordinate of 1e300, a velocity of 1e12, a force of 1e30, NaN) trip them and abort the process;
// human motion stays orders of magnitude inside these (docs/reliability.md). Eigen only.
#pragma once
#include <Eigen/Core>
#include <stdexcept>

namespace bidir {

constexpr double kMaxPosition = 1e6;          // |q|, rad or m
constexpr double kMaxSpeed = 1e3;             // |dq|, rad/s or m/s
constexpr double kMaxGeneralizedForce = 1e6;  // |tau|, N m or N
constexpr double kMaxNetworkInput = 1e7;      // |tau_des|, |JtA| (N m): the muscle network's float32 stays finite

// The physics has diverged: the state (or the torques computed from it) left the bounds above or is not
// finite. Env turns it into info()[kSimError]; from Simulation::step it reaches Python as PhysicsDiverged.
struct PhysicsDiverged : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws PhysicsDiverged naming `what`, the first index and the value if v is not finite or |v| > bound.
void checkBounded(const Eigen::Ref<const Eigen::VectorXd>& v, double bound, const char* what);

// The same check for values a caller passed in (bad input, not physics): std::invalid_argument, naming
// the index (row and column for a matrix, e.g. one pose per row).
void checkBoundedInput(const Eigen::Ref<const Eigen::MatrixXd>& v, double bound, const char* what);

}  // namespace bidir
