// The optional gait record of Env (gait_record.hpp): one row per DART step, for gait analysis. The contact
// forces and moments come from Simulation::lastStepDynamics; here they are summed per foot.
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
  s.sim.keepStepStart(on);
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
  out.footRotation.resize(rows * 18);
  out.footPosition.resize(rows * 6);
  for (auto* v : {&out.activations, &out.muscleLength, &out.fiberLength, &out.muscleForce}) v->resize(rows * nmus);
  return out;
}

void Env::Impl::recordStart() {
  GaitRecord& r = record;
  r.time.push_back(episodeTime + substep * dt);
  append(r.positions, skel.getPositions());
  append(r.velocities, skel.getVelocities());
  for (int side = 0; side < 2; ++side) {
    const Eigen::Isometry3d& foot =
        skel.getBodyNode(static_cast<std::size_t>(spec.footBody[side]))->getWorldTransform();
    const Eigen::Matrix<double, 3, 3, Eigen::RowMajor> rotation = foot.linear();
    r.footRotation.insert(r.footRotation.end(), rotation.data(), rotation.data() + 9);
    append(r.footPosition, foot.translation());
  }
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
  const Simulation::StepDynamics d = sim.lastStepDynamics();
  Eigen::Vector3d force[2] = {Eigen::Vector3d::Zero(), Eigen::Vector3d::Zero()}, moment[2] = {force[0], force[0]},
                  other = Eigen::Vector3d::Zero();
  for (Eigen::Index b = 0; b < d.contact.rows(); ++b) {
    const int side = bodySide[static_cast<std::size_t>(b)];
    if (side < 0) {
      other += d.contact.row(b).tail<3>().transpose();
      continue;
    }
    moment[side] += d.contact.row(b).head<3>().transpose();
    force[side] += d.contact.row(b).tail<3>().transpose();
  }
  append(r.moments, d.moments);
  for (int side = 0; side < 2; ++side) {
    append(r.footForce, force[side]);
    append(r.footMoment, moment[side]);
  }
  append(r.otherContactForce, other);
  r.rows += 1;
}

}  // namespace bidir
