#include "control.hpp"

namespace bidir {

Eigen::VectorXd stablePD(const dart::dynamics::Skeleton& skel, const Eigen::VectorXd& target,
                         const Eigen::VectorXd& kp, const Eigen::VectorXd& kv, double h,
                         const Eigen::VectorXd& ext) {
  const Eigen::VectorXd q = skel.getPositions();
  const Eigen::VectorXd dq = skel.getVelocities();
  // Position error at the next step; SO(3)-aware for ball and free joints.
  const Eigen::VectorXd p = -kp.cwiseProduct(skel.getPositionDifferences(q + dq * h, target));
  const Eigen::VectorXd d = -kv.cwiseProduct(dq);
  Eigen::MatrixXd M = skel.getMassMatrix();
  M.diagonal() += h * kv;
  const Eigen::VectorXd ddq =
      M.ldlt().solve(-skel.getCoriolisAndGravityForces() + p + d + skel.getConstraintForces() + ext);
  Eigen::VectorXd tau = p + d - h * kv.cwiseProduct(ddq);
  tau.head(6).setZero();
  return tau;
}

}  // namespace bidir
