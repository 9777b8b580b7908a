#include "gait_phase.hpp"

#include <algorithm>
#include <cmath>

namespace bidir {

namespace {
double fraction(double x) { return x - std::floor(x); }
Eigen::Vector3d onGround(Eigen::Vector3d p) {
  p.y() = 0.0;
  return p;
}
}  // namespace

void GaitPhase::reset(double time, double cycleDuration, double rightHeelStrike, double strideLength,
                      const Eigen::Vector3d& rightFoot, const Eigen::Vector3d& leftFoot) {
  cycle_ = cycleDuration;
  rightHeelStrike_ = rightHeelStrike;
  strideLength_ = strideLength;
  global_ = local_ = time;
  phaseAction_ = 0.0;
  rightStance_ = rightStanceAt(local_);
  // The stance foot is where it belongs; the swing foot should land one step (half a stride) ahead of it.
  const Eigen::Vector3d stance = onGround(rightStance_ ? rightFoot : leftFoot);
  currentTarget_ = stance;
  nextTarget_ = stance + Eigen::Vector3d(0.0, 0.0, 0.5 * strideLength_);
}

void GaitPhase::setPhaseAction(double action, double controlDt) { phaseAction_ = std::max(action, -controlDt); }

void GaitPhase::advance(double dt, bool hardClipping) {
  global_ += dt;
  local_ += (1.0 + phaseAction_) * dt;
  if (!hardClipping) return;
  const double g = std::floor(global_ / cycle_), l = std::floor(local_ / cycle_);
  if (g > l)
    local_ = global_;  // the warped clock fell a cycle behind: catch up
  else if (g < l)
    local_ = l * cycle_;  // ran a cycle ahead: wait at the start of that cycle
}

double GaitPhase::globalPhaseFraction() const { return fraction(global_ / cycle_); }
double GaitPhase::localPhaseFraction() const { return fraction(local_ / cycle_); }

bool GaitPhase::rightStanceAt(double localTime) const { return fraction(localTime / cycle_ - rightHeelStrike_) < 0.5; }

bool GaitPhase::secondHalf() const { return !rightStanceAt(local_); }

void GaitPhase::updateStance(const Eigen::Vector3d& rightFoot, const Eigen::Vector3d& leftFoot) {
  const bool right = rightStanceAt(local_);
  if (right == rightStance_) return;
  rightStance_ = right;
  // Heel strike of the new stance foot: it should have landed on the old next target; the foot now
  // leaving the ground should land one stride ahead of where it stands.
  currentTarget_ = nextTarget_;
  nextTarget_ = onGround(right ? leftFoot : rightFoot) + Eigen::Vector3d(0.0, 0.0, strideLength_);
}

}  // namespace bidir
