// The reference motion at any phase: one sampled gait cycle, interpolated (rotations as rotations) and
// repeated, the root advancing one stride per cycle. Eigen only.
#pragma once
#include <Eigen/Core>

#include "task_spec.hpp"

namespace bidir {

class ReferenceMotion {
 public:
  explicit ReferenceMotion(ReferenceSpec spec);  // throws std::invalid_argument on a malformed spec

  int numDofs() const { return static_cast<int>(spec_.samples.cols()); }
  double duration() const { return spec_.duration; }  // s per cycle at cadence ratio 1
  double stride() const { return spec_.stride; }      // m per cycle at stride ratio 1
  double rightHeelStrike() const { return spec_.rightHeelStrike; }
  bool cyclic() const { return spec_.cyclic; }

  // Joint positions at `phase` (cycles, any real number); the forward root translation is scaled
  // by strideRatio.
  Eigen::VectorXd pose(double phase, double strideRatio) const;

 private:
  ReferenceSpec spec_;
};

// Rotation-vector helpers shared with the task (exp/log maps of SO(3)).
Eigen::Matrix3d expMap(const Eigen::Vector3d& r);
Eigen::Vector3d logMap(const Eigen::Matrix3d& R);

}  // namespace bidir
