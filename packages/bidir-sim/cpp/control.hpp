// Stable PD control (Tan, Liu & Turk 2011) on a DART skeleton (DART translation units only).
#pragma once
#include <dart/dart.hpp>

namespace bidir {

// Generalized forces that drive the skeleton towards (target, targetVelocity) in one step of length h,
// computed with the next-step state q + h dq so that high gains stay stable. Gains are per DoF; the
// root rows (first six) are zero. ext: other generalized forces expected in that step. The reference
// system damps towards zero velocity (targetVelocity = 0), which makes tracking lag by kv/kp seconds.
Eigen::VectorXd stablePD(const dart::dynamics::Skeleton& skeleton, const Eigen::VectorXd& target,
                         const Eigen::VectorXd& targetVelocity, const Eigen::VectorXd& kp, const Eigen::VectorXd& kv,
                         double h, const Eigen::VectorXd& ext);

// The same forces in O(n): the SPD system (M + h (Kv + C)) ddq = ... is forward dynamics with Kv added to
// the joint damping, which DART's articulated-body algorithm already treats implicitly (h times damping
// in the articulated inertia). No dense mass matrix and no factorisation. The skeleton's damping, forces
// and accelerations are restored. h must be the skeleton's time step.
Eigen::VectorXd stablePDArticulated(dart::dynamics::Skeleton& skeleton, const Eigen::VectorXd& target,
                                    const Eigen::VectorXd& targetVelocity, const Eigen::VectorXd& kp,
                                    const Eigen::VectorXd& kv, const Eigen::VectorXd& ext);

}  // namespace bidir
