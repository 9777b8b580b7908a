#include "control.hpp"

namespace bidir {

Eigen::VectorXd stablePD(const dart::dynamics::Skeleton& skel, const Eigen::VectorXd& target,
                         const Eigen::VectorXd& targetVelocity, const Eigen::VectorXd& kp, const Eigen::VectorXd& kv,
                         double h, const Eigen::VectorXd& ext) {
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

Eigen::VectorXd stablePDArticulated(dart::dynamics::Skeleton& skel, const Eigen::VectorXd& target,
                                    const Eigen::VectorXd& targetVelocity, const Eigen::VectorXd& kp,
                                    const Eigen::VectorXd& kv, const Eigen::VectorXd& ext) {
  const double h = skel.getTimeStep();
  const Eigen::VectorXd q = skel.getPositions();
  const Eigen::VectorXd dq = skel.getVelocities();
  const Eigen::VectorXd p = -kp.cwiseProduct(skel.getPositionDifferences(q + dq * h, target));
  const Eigen::VectorXd d = -kv.cwiseProduct(dq - targetVelocity);
  const auto n = skel.getNumDofs();
  const Eigen::VectorXd savedForces = skel.getForces(), savedAcc = skel.getAccelerations();
  Eigen::VectorXd c(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto* dof = skel.getDof(i);
    c[Eigen::Index(i)] = dof->getDampingCoefficient();
    dof->setDampingCoefficient(c[Eigen::Index(i)] + kv[Eigen::Index(i)]);
  }
  // With damping c + kv, DART's forward dynamics adds -(c + kv) dq; SPD's damping term is
  // -kv (dq - targetVelocity), so the forces carry +kv targetVelocity.
  skel.setForces(p + kv.cwiseProduct(targetVelocity) + skel.getConstraintForces() + ext);
  for (std::size_t t = 0; t < skel.getNumTrees(); ++t) skel.dirtyArticulatedInertia(t);  // damping changed
  skel.computeForwardDynamics();
  const Eigen::VectorXd ddq = skel.getAccelerations();
  for (std::size_t i = 0; i < n; ++i) skel.getDof(i)->setDampingCoefficient(c[Eigen::Index(i)]);
  for (std::size_t t = 0; t < skel.getNumTrees(); ++t) skel.dirtyArticulatedInertia(t);
  skel.setForces(savedForces);
  skel.setAccelerations(savedAcc);
  Eigen::VectorXd tau = p + d - h * kv.cwiseProduct(ddq);
  tau.head(6).setZero();
  return tau;
}

}  // namespace bidir
