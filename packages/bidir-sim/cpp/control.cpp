#include "control.hpp"

namespace bidir {

Eigen::VectorXd stablePD(const dart::dynamics::Skeleton& skel, const Eigen::VectorXd& target,
                         const Eigen::VectorXd& targetVelocity, const Eigen::VectorXd& kp,
                         const Eigen::VectorXd& kv, double h, const Eigen::VectorXd& ext) {
  const Eigen::VectorXd q = skel.getPositions();
  const Eigen::VectorXd dq = skel.getVelocities();
  // Position error at the next step; SO(3)-aware for ball and free joints.
  const Eigen::VectorXd p = -kp.cwiseProduct(skel.getPositionDifferences(q + dq * h, target));
  const Eigen::VectorXd d = -kv.cwiseProduct(dq - targetVelocity);
  // DART applies joint damping implicitly (as h * c added to the inertia); predict the next
  // acceleration the same way, or SPD over-predicts how fast light bodies (toes) move and
  // cancels most of its own torque.
  const auto n = skel.getNumDofs();
  Eigen::VectorXd c(n);
  for (std::size_t i = 0; i < n; ++i) c[Eigen::Index(i)] = skel.getDof(i)->getDampingCoefficient();
  Eigen::MatrixXd M = skel.getMassMatrix();
  M.diagonal() += h * (kv + c);
  const Eigen::VectorXd ddq = M.ldlt().solve(-skel.getCoriolisAndGravityForces() - c.cwiseProduct(dq) + p + d +
                                             skel.getConstraintForces() + ext);
  Eigen::VectorXd tau = p + d - h * kv.cwiseProduct(ddq);
  tau.head(6).setZero();
  return tau;
}

}  // namespace bidir
