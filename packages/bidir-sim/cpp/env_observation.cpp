// The observation (reference-system.md §5.4), in the world frame, optionally of the mirror image.
//
// Mirroring reflects the body through its sagittal plane (x -> -x): bodies swap with their left/right
// partners, polar vectors (positions, linear velocities) negate x, axial vectors (angular velocity)
// negate y and z, rotations R become S R S with S = diag(-1, 1, 1), and the phase shifts half a cycle.
#include <cmath>
#include <stdexcept>
#include <string>

#include "env_internal.hpp"

namespace bidir {

namespace {

Eigen::Vector3d reflectPolar(Eigen::Vector3d v, bool mirror) {
  if (mirror) v.x() = -v.x();
  return v;
}

Eigen::Vector3d reflectAxial(Eigen::Vector3d v, bool mirror) {
  if (mirror) v.tail<2>() = -v.tail<2>();
  return v;
}

double shiftHalf(double phase, bool mirror) { return mirror ? std::fmod(phase + 0.5, 1.0) : phase; }

// Writes the observation block by block in the order of the task's layout (CompiledTask::buildLayout);
// each block's size is checked against the layout as it is closed, so the two cannot drift apart.
class ObservationWriter {
 public:
  ObservationWriter(Eigen::VectorXf& out, const std::vector<ObservationBlock>& layout) : out_(out), layout_(layout) {
    if (out.size() != layout.back().start + layout.back().size)
      throw std::logic_error("observation buffer has " + std::to_string(out.size()) + " entries");
  }
  void begin(const char* name) {
    if (next_ >= layout_.size() || layout_[next_].name != name)
      throw std::logic_error(std::string("observation block '") + name + "' is not next in the task's layout");
  }
  void put(float v) { out_[k_++] = v; }
  void put(const Eigen::Vector3d& v) {
    out_.segment<3>(k_) = v.cast<float>();
    k_ += 3;
  }
  Eigen::Index& position() { return k_; }
  void end() {
    const ObservationBlock& b = layout_[next_++];
    if (k_ != b.start + b.size)
      throw std::logic_error("observation block '" + b.name + "' wrote " + std::to_string(k_ - b.start) +
                             " values, the layout has " + std::to_string(b.size));
  }
  void finish() const {
    if (next_ != layout_.size()) throw std::logic_error("observation: blocks of the layout left unwritten");
  }

 private:
  Eigen::VectorXf& out_;
  const std::vector<ObservationBlock>& layout_;
  std::size_t next_ = 0;
  Eigen::Index k_ = 0;
};

}  // namespace

void Env::Impl::observe(bool mirror, Eigen::VectorXf& out) {
  const int nb = task.numBodies();
  ObservationWriter w(out, task.observationLayout());
  auto source = [&](int i) { return mirror ? spec.bodyMirror[i] : i; };
  const Eigen::Vector3d com = skel.getCOM(), comVelocity = skel.getCOMLinearVelocity();

  const SimilarUnits& u = similar;  // all 1 but for a scaled body under TaskSpec::similarObservation
  // Height only: the task must not depend on where on the floor the body is.
  w.begin("com_height");
  w.put(Eigen::Vector3d(0.0, u.length * com.y(), 0.0));
  w.end();
  w.begin("body_positions");
  for (int i = 0; i < nb; ++i) w.put(u.length * reflectPolar(skel.getBodyNode(source(i))->getCOM() - com, mirror));
  w.end();
  w.begin("body_rotations");
  for (int i = 0; i < nb; ++i) {
    // Rotation from the body's zero-pose orientation, so that left and right bodies compare.
    const int b = source(i);
    Eigen::Matrix3d R = skel.getBodyNode(b)->getWorldTransform().linear() * task.restRotation(b).transpose();
    if (mirror) {
      R.row(0) = -R.row(0);
      R.col(0) = -R.col(0);
    }
    w.put(R.row(0).transpose());
    w.put(R.row(1).transpose());
  }
  w.end();
  w.begin("body_velocities");
  for (int i = 0; i < nb; ++i)
    w.put(u.velocity * reflectPolar(skel.getBodyNode(source(i))->getCOMLinearVelocity() - comVelocity, mirror));
  w.end();
  w.begin("com_velocity");
  w.put(u.velocity * reflectPolar(comVelocity, mirror));
  w.end();
  w.begin("body_angular_velocities");
  for (int i = 0; i < nb; ++i)
    w.put(0.1 * u.angularVelocity * reflectAxial(skel.getBodyNode(source(i))->getAngularVelocity(), mirror));
  w.end();

  w.begin("phase");
  w.put(static_cast<float>(shiftHalf(phase.globalPhaseFraction(), mirror)));
  w.put(static_cast<float>(shiftHalf(phase.localPhaseFraction(), mirror)));
  w.end();
  if (task.rewardType() == RewardType::GaitNet) {
    w.begin("next_step_z");
    w.put(static_cast<float>(u.length * (phase.nextTarget().z() - com.z())));
    w.end();
  }

  if (spec.jointStateInObservation) {
    // Per actuated DoF: the most negative and most positive torque the muscles can make, and the passive one.
    const MuscleState& ms = sim.updateMuscles(true, spec.forceVelocity);
    const Eigen::VectorXd lo = ms.JtA.cwiseMin(0.0).rowwise().sum(), hi = ms.JtA.cwiseMax(0.0).rowwise().sum();
    const double kScale = 0.008 * u.muscleTorque;
    Eigen::Index& k = w.position();
    for (int d = 0; d < nact; ++d) {
      const int src = mirror ? spec.dofMirror[d + 6] - 6 : d;
      const double sign = mirror ? spec.dofMirrorSign[d + 6] : 1.0;
      const double minTau = sign > 0 ? lo[src] : -hi[src], maxTau = sign > 0 ? hi[src] : -lo[src];
      out[k + d] = static_cast<float>(kScale * 0.5 * minTau);
      out[k + nact + d] = static_cast<float>(kScale * 0.5 * maxTau);
      out[k + 2 * nact + d] = static_cast<float>(kScale * sign * ms.JtP[src]);
    }
    for (const char* name : {"muscle_torque_min", "muscle_torque_max", "muscle_passive_torque"}) {
      w.begin(name);
      k += nact;
      w.end();
    }
  }
  if (task.observesStride() || task.observesCadence()) {
    w.begin("gait_parameters");
    for (auto [p, value] : {std::pair{&spec.stride, strideRatio}, std::pair{&spec.cadence, cadenceRatio}}) {
      if (!CompiledTask::isSampled(*p)) continue;
      w.put(static_cast<float>(spec.normalizedParameters ? (value - p->min) / (p->max - p->min) : value));
    }
    w.end();
  }
  if (!task.observedConditions().empty()) {
    // The mirrored body has the partner's condition on each side (partners share their range).
    w.begin("conditions");
    for (int i : task.observedConditions()) {
      const ParameterSpec& p = task.conditions()[i].range;
      const double value = conditions[mirror ? task.conditions()[i].mirror : i];
      w.put(static_cast<float>(spec.normalizedParameters ? (value - p.min) / (p.max - p.min) : value));
    }
    w.end();
  }
  w.finish();
}

}  // namespace bidir
