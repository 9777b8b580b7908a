#include "reference_motion.hpp"

#include <Eigen/Geometry>
#include <cmath>
#include <stdexcept>
#include <string>

namespace bidir {

namespace {
constexpr int kForwardDof = 5;  // the free root's z translation
}

Eigen::Matrix3d expMap(const Eigen::Vector3d& r) {
  const double angle = r.norm();
  if (angle < 1e-12) return Eigen::Matrix3d::Identity();
  return Eigen::AngleAxisd(angle, r / angle).toRotationMatrix();
}

Eigen::Vector3d logMap(const Eigen::Matrix3d& R) {
  const Eigen::AngleAxisd aa(R);
  return aa.axis() * aa.angle();
}

ReferenceMotion::ReferenceMotion(ReferenceSpec spec) : spec_(std::move(spec)) {
  const auto& s = spec_.samples;
  if (s.rows() < 2 || s.cols() < 6)
    throw std::invalid_argument("reference motion needs at least 2 frames of at least 6 DoFs");
  if (!s.allFinite()) throw std::invalid_argument("reference motion contains NaN or inf");
  if (!(spec_.duration > 0.0) || !std::isfinite(spec_.stride))
    throw std::invalid_argument("reference motion needs a positive duration and a finite stride");
  for (int k : spec_.rotationDofs)
    if (k < 0 || k + 3 > s.cols())
      throw std::invalid_argument("reference motion: rotation DoF " + std::to_string(k) + " out of range");
}

Eigen::VectorXd ReferenceMotion::pose(double phase, double strideRatio) const {
  const auto& s = spec_.samples;
  const Eigen::Index frames = s.rows();
  const double cycles = std::floor(phase);
  const double x = (phase - cycles) * static_cast<double>(frames);
  Eigen::Index i0 = static_cast<Eigen::Index>(std::floor(x));
  const double w = x - static_cast<double>(i0);
  i0 = std::min(i0, frames - 1);
  const Eigen::Index i1 = (i0 + 1) % frames;

  Eigen::VectorXd q0 = s.row(i0).transpose();
  Eigen::VectorXd q1 = s.row(i1).transpose();
  if (i1 == 0) q1[kForwardDof] += spec_.stride;  // the first frame of the next cycle
  Eigen::VectorXd q = (1.0 - w) * q0 + w * q1;
  for (int k : spec_.rotationDofs) {
    const Eigen::Matrix3d R0 = expMap(q0.segment<3>(k));
    const Eigen::Matrix3d R1 = expMap(q1.segment<3>(k));
    q.segment<3>(k) = logMap(R0 * expMap(w * logMap(R0.transpose() * R1)));
  }
  q[kForwardDof] = (q[kForwardDof] + cycles * spec_.stride) * strideRatio;
  return q;
}

}  // namespace bidir
