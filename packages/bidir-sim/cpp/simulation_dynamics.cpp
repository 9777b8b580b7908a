// Contact forces and inverse dynamics of the last step (Simulation::lastStepDynamics), for gait analysis.
// The contact forces are the constraint impulses DART's solver applied to each body in the step, divided by
// the step; they stay on the bodies until the next step's solve. Both are evaluated at the state the step
// started from, with the acceleration the step produced, so that they are exactly what the step applied
// (DART integrates semi-implicitly: M(q) (dq' - dq) / dt = tau + J^T F - C(q, dq)).
#include <stdexcept>

#include "simulation.hpp"
#include "simulation_internal.hpp"

namespace bidir {

void Simulation::keepStepStart(bool on) { keepStart_ = on; }

Simulation::StepDynamics Simulation::lastStepDynamics() {
  auto& skel = *impl_->skeleton;
  if (!keepStart_ || startPositions_.size() != static_cast<Eigen::Index>(skel.getNumDofs()))
    throw std::logic_error("lastStepDynamics: call keepStepStart(true) before the step");
  const double dt = timestep();
  const Eigen::VectorXd qNext = skel.getPositions(), dqNext = skel.getVelocities(), forces = skel.getForces(),
                        accelerations = skel.getAccelerations();
  // Back to the step's start: the impulses are in the body frames of that state.
  skel.setPositions(startPositions_);
  skel.setVelocities(startVelocities_);
  StepDynamics out{Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(skel.getNumBodyNodes()), 6),
                   Eigen::VectorXd::Zero(static_cast<Eigen::Index>(skel.getNumDofs()))};
  for (std::size_t b = 0; b < skel.getNumBodyNodes(); ++b) {
    auto* node = skel.getBodyNode(b);
    const Eigen::Vector6d wrench = node->getConstraintImpulse() / dt;  // [moment; force], body frame
    if (wrench.isZero(0.0)) continue;
    out.moments.noalias() -= skel.getJacobian(node).transpose() * wrench;
    const Eigen::Isometry3d& T = node->getWorldTransform();
    const Eigen::Vector3d f = T.linear() * wrench.tail<3>();
    out.contact.row(static_cast<Eigen::Index>(b))
        << (T.linear() * wrench.head<3>() + T.translation().cross(f)).transpose(),
        f.transpose();
  }
  skel.setAccelerations((dqNext - startVelocities_) / dt);
  skel.computeInverseDynamics(false, false, false);  // no external forces, damping or springs: the net moments
  out.moments += skel.getForces();
  skel.setForces(forces);
  skel.setAccelerations(accelerations);
  skel.setPositions(qNext);
  skel.setVelocities(dqNext);
  return out;
}

}  // namespace bidir
