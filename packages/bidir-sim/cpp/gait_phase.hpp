// Gait phase and foot-step targets of one episode (the reference's PHASE mode). Eigen only.
//
// Two clocks run in seconds: the global one at real time and the local (warped) one at (1 + phase action)
// times real time; the reference motion is read at the local clock. The stance side follows the local
// phase: the right foot is the stance foot for the half cycle after the right heel strike.
#pragma once
#include <Eigen/Core>

namespace bidir {

class GaitPhase {
 public:
  // Starts both clocks at `time` s; `feet` are the right and left foot positions now.
  void reset(double time, double cycleDuration, double rightHeelStrike, double strideLength,
             const Eigen::Vector3d& rightFoot, const Eigen::Vector3d& leftFoot);
  // The phase speed-up for the next control step; at least -controlDt (the local clock never runs back).
  void setPhaseAction(double action, double controlDt);
  // Advances by one physics step of dt s; with hardClipping the local clock stays in the cycle of the global one.
  void advance(double dt, bool hardClipping);
  // Moves the step targets when the stance side changes; call after advance() with the feet positions.
  void updateStance(const Eigen::Vector3d& rightFoot, const Eigen::Vector3d& leftFoot);

  double globalTime() const { return global_; }
  double localTime() const { return local_; }
  double localPhase() const { return local_ / cycle_; }  // cycles, unwrapped
  double globalPhaseFraction() const;                    // in [0, 1)
  double localPhaseFraction() const;                     // in [0, 1)
  bool rightStance() const { return rightStance_; }
  // The second half of the cycle (left stance): where the symmetric task mirrors state and action.
  bool secondHalf() const;
  const Eigen::Vector3d& currentTarget() const { return currentTarget_; }  // where the stance foot belongs
  const Eigen::Vector3d& nextTarget() const { return nextTarget_; }        // where the swing foot should land

 private:
  bool rightStanceAt(double localTime) const;
  double cycle_ = 1.0, rightHeelStrike_ = 0.0, strideLength_ = 0.0;
  double global_ = 0.0, local_ = 0.0, phaseAction_ = 0.0;
  bool rightStance_ = true;
  Eigen::Vector3d currentTarget_ = Eigen::Vector3d::Zero(), nextTarget_ = Eigen::Vector3d::Zero();
};

}  // namespace bidir
