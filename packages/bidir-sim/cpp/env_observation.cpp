// The observation (reference-system.md §5.4), in the world frame, optionally of the mirror image.
//
// Mirroring reflects the body through its sagittal plane (x -> -x): bodies swap with their left/right
// partners, polar vectors (positions, linear velocities) negate x, axial vectors (angular velocity)
// negate y and z, rotations R become S R S with S = diag(-1, 1, 1), and the phase shifts half a cycle.
#include <cmath>

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

}  // namespace

void Env::Impl::observe(bool mirror, Eigen::VectorXf& out) {
  const int nb = model->numBodies();
  Eigen::Index k = 0;
  auto put = [&](const Eigen::Vector3d& v) {
    out.segment<3>(k) = v.cast<float>();
    k += 3;
  };
  auto source = [&](int i) { return mirror ? spec.bodyMirror[i] : i; };
  const Eigen::Vector3d com = skel.getCOM(), comVelocity = skel.getCOMLinearVelocity();

  // Height only: the task must not depend on where on the floor the body is.
  put(Eigen::Vector3d(0.0, com.y(), 0.0));
  for (int i = 0; i < nb; ++i) put(reflectPolar(skel.getBodyNode(source(i))->getCOM() - com, mirror));
  for (int i = 0; i < nb; ++i) {
    // Rotation from the body's zero-pose orientation, so that left and right bodies compare.
    const int b = source(i);
    Eigen::Matrix3d R = skel.getBodyNode(b)->getWorldTransform().linear() * restRotation[b].transpose();
    if (mirror) {
      R.row(0) = -R.row(0);
      R.col(0) = -R.col(0);
    }
    out.segment<3>(k) = R.row(0).transpose().cast<float>();
    out.segment<3>(k + 3) = R.row(1).transpose().cast<float>();
    k += 6;
  }
  for (int i = 0; i < nb; ++i)
    put(reflectPolar(skel.getBodyNode(source(i))->getCOMLinearVelocity() - comVelocity, mirror));
  put(reflectPolar(comVelocity, mirror));
  for (int i = 0; i < nb; ++i) put(0.1 * reflectAxial(skel.getBodyNode(source(i))->getAngularVelocity(), mirror));

  out[k++] = static_cast<float>(shiftHalf(phase.globalPhaseFraction(), mirror));
  out[k++] = static_cast<float>(shiftHalf(phase.localPhaseFraction(), mirror));
  if (spec.reward.type == "gaitnet") out[k++] = static_cast<float>(phase.nextTarget().z() - com.z());

  if (spec.jointStateInObservation) {
    // Per actuated DoF: the most negative and most positive torque the muscles can make, and the passive one.
    const MuscleState& ms = sim.updateMuscles(true, spec.forceVelocity);
    const Eigen::VectorXd lo = ms.JtA.cwiseMin(0.0).rowwise().sum(), hi = ms.JtA.cwiseMax(0.0).rowwise().sum();
    constexpr double kScale = 0.008;
    for (int d = 0; d < nact; ++d) {
      const int src = mirror ? spec.dofMirror[d + 6] - 6 : d;
      const double sign = mirror ? spec.dofMirrorSign[d + 6] : 1.0;
      const double minTau = sign > 0 ? lo[src] : -hi[src], maxTau = sign > 0 ? hi[src] : -lo[src];
      out[k + d] = static_cast<float>(kScale * 0.5 * minTau);
      out[k + nact + d] = static_cast<float>(kScale * 0.5 * maxTau);
      out[k + 2 * nact + d] = static_cast<float>(kScale * sign * ms.JtP[src]);
    }
    k += 3 * nact;
  }
  for (auto [p, value] : {std::pair{&spec.stride, strideRatio}, std::pair{&spec.cadence, cadenceRatio}}) {
    if (p->max - p->min <= 1e-3) continue;
    out[k++] = static_cast<float>(spec.normalizedParameters ? (value - p->min) / (p->max - p->min) : value);
  }
}

}  // namespace bidir
