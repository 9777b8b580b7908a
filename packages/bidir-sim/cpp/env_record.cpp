// The optional gait record of Env (gait_record.hpp): one row per DART step, for gait analysis. The contact
// forces are the constraint impulses DART's solver applied to each body in the step (divided by the step),
// which stay on the bodies until the next step's solve; inverse dynamics is evaluated at the state the step
// started from, with the acceleration the step produced, so that the moments are exactly what the step
// applied (DART integrates semi-implicitly: M(q) (dq' - dq) / dt = tau + J^T F - C(q, dq)).
#include "env_internal.hpp"

namespace bidir {

namespace {
void append(std::vector<double>& to, const Eigen::Ref<const Eigen::VectorXd>& v) {
  to.insert(to.end(), v.data(), v.data() + v.size());
}
}  // namespace

void Env::setRecording(bool on) {
  Impl& s = *impl_;
  if (on && s.bodySide.empty()) {  // which foot each body belongs to: the foot body or a body below it
    s.bodySide.assign(s.skel.getNumBodyNodes(), -1);
    for (std::size_t b = 0; b < s.skel.getNumBodyNodes(); ++b)
      for (auto* node = s.skel.getBodyNode(b); node; node = node->getParentBodyNode())
        for (int side = 0; side < 2; ++side)
          if (static_cast<int>(node->getIndexInSkeleton()) == s.spec.footBody[side] && s.bodySide[b] < 0)
            s.bodySide[b] = side;
  }
  s.recording = on;
}

bool Env::recording() const { return impl_->recording; }

GaitRecord Env::takeRecord() {
  GaitRecord out = std::move(impl_->record);
  impl_->record = GaitRecord{};
  // A step that diverged left its start without an end: keep complete rows only.
  const auto rows = static_cast<std::size_t>(out.rows);
  const auto ndof = static_cast<std::size_t>(impl_->ndof), nmus = static_cast<std::size_t>(impl_->nmus);
  out.time.resize(rows);
  for (auto* v : {&out.positions, &out.velocities}) v->resize(rows * ndof);
  for (auto* v : {&out.activations, &out.muscleLength, &out.fiberLength, &out.muscleForce}) v->resize(rows * nmus);
  return out;
}

void Env::Impl::recordStart() {
  GaitRecord& r = record;
  r.time.push_back(episodeTime + substep * dt);
  append(r.positions, skel.getPositions());
  append(r.velocities, skel.getVelocities());
  append(r.activations, activations);
  // Muscle geometry at this state: computed by prepareSubstep where muscles act, else (pd, torque) here.
  const MuscleState& ms = sim.muscleState().valid ? sim.muscleState() : sim.updateMuscles(false, spec.forceVelocity);
  append(r.muscleLength, ms.length);
  append(r.fiberLength, ms.fiberLength);
  const auto start = r.muscleForce.size();
  append(r.muscleForce, ms.passiveForce);
  for (int j = 0; j < nmus; ++j) r.muscleForce[start + j] += activations[j] * ms.activeForce[j];
}

void Env::Impl::recordEnd() {
  GaitRecord& r = record;
  const auto row = static_cast<std::size_t>(r.rows);
  const Eigen::Map<const Eigen::VectorXd> q(r.positions.data() + row * ndof, ndof),
      dq(r.velocities.data() + row * ndof, ndof);
  const Eigen::VectorXd qNext = skel.getPositions(), dqNext = skel.getVelocities(), forcesNow = skel.getForces(),
                        accelerationsNow = skel.getAccelerations();
  // Back to the step's start: the impulses are in the body frames of that state.
  skel.setPositions(q);
  skel.setVelocities(dq);
  Eigen::VectorXd contact = Eigen::VectorXd::Zero(ndof);
  Eigen::Vector3d force[2] = {Eigen::Vector3d::Zero(), Eigen::Vector3d::Zero()}, moment[2] = {force[0], force[0]},
                  other = Eigen::Vector3d::Zero();
  for (std::size_t b = 0; b < skel.getNumBodyNodes(); ++b) {
    auto* node = skel.getBodyNode(b);
    const Eigen::Vector6d wrench = node->getConstraintImpulse() / dt;  // [moment; force], body frame
    if (wrench.isZero(0.0)) continue;
    contact.noalias() += skel.getJacobian(node).transpose() * wrench;
    const Eigen::Isometry3d& T = node->getWorldTransform();
    const Eigen::Vector3d f = T.linear() * wrench.tail<3>();
    const int side = bodySide[b];
    if (side < 0) {
      other += f;
      continue;
    }
    force[side] += f;
    moment[side] += T.linear() * wrench.head<3>() + T.translation().cross(f);
  }
  skel.setAccelerations((dqNext - dq) / dt);
  skel.computeInverseDynamics(false, false, false);  // no external forces, damping or springs: the net moments
  append(r.moments, skel.getForces() - contact);
  for (int side = 0; side < 2; ++side) {
    append(r.footForce, force[side]);
    append(r.footMoment, moment[side]);
  }
  append(r.otherContactForce, other);
  skel.setForces(forcesNow);
  skel.setAccelerations(accelerationsNow);
  skel.setPositions(qNext);
  skel.setVelocities(dqNext);
  r.rows += 1;
}

}  // namespace bidir
