#include "reward.hpp"

#include <cmath>

namespace bidir {

const std::array<const char*, kInfoSize> kInfoNames = {
    "r_head_acc",    "r_head_rot",    "r_avg_vel",      "r_step",           "r_drag_x",       "r_energy",
    "r_metabolic",   "r_torque",      "r_knee",         "r_knee_max",       "r_imitation",    "r_pose",
    "r_vel",         "r_com",         "r_end_effector", "energy_metabolic", "energy_torque",  "head_velocity_change",
    "head_angle",    "avg_vel_x",     "avg_vel_z",      "target_speed",     "step_error",     "knee_load",
    "knee_load_max", "phase",         "mirrored",       "stride_ratio",     "cadence_ratio",  "body_size",
    "distance",      "foot_height_r", "foot_height_l",  "foot_forward_r",   "foot_forward_l", "assist_force",
    "deviated",      "fall",          "sim_error"};

namespace {

// exp(-w d) outside a dead zone of half-width clip (clip < 0: no dead zone).
double deadZone(double w, double d, double clip) { return d > clip ? std::exp(-w * d) : 1.0; }

// The energy term(s): one exponential of the sum, or one per energy ("separate").
void energyTerms(const RewardSpec& s, const RewardInputs& in, Eigen::VectorXd& info) {
  const double w = s.metabolicWeight;
  if (s.separateTorque) {
    info[kRMetabolic] = std::exp(-w * in.metabolicEnergy);
    info[kRTorque] = std::exp(-w * in.torqueEnergy);
  } else {
    info[kRMetabolic] = std::exp(-w * (in.metabolicEnergy + in.torqueEnergy));
    info[kRTorque] = 1.0;
  }
  info[kREnergy] = info[kRMetabolic] * info[kRTorque];
}

}  // namespace

std::vector<int> activeRewardTerms(const RewardSpec& s, RewardType type) {
  std::vector<int> out;
  if (type == RewardType::GaitNet) {
    out = {kRHeadAcc, kRHeadRot, kRAvgVel, kRStep};
    if (s.dragX) out.push_back(kRDragX);
    if (s.knee) out.push_back(kRKnee);
    if (s.kneeMax) out.push_back(kRKneeMax);
    if (s.imitationWeight > 0.0) out.push_back(kRImitation);
  } else {
    out = {kRPose, kRVel, kRCom, kREndEffector};
  }
  out.push_back(kREnergy);
  if (s.separateTorque) {
    out.push_back(kRMetabolic);
    out.push_back(kRTorque);
  }
  return out;
}

double computeReward(const RewardSpec& s, RewardType type, const RewardInputs& in, Eigen::VectorXd& info) {
  energyTerms(s, in, info);
  info[kRKnee] = s.knee ? std::exp(-s.kneeWeight * in.kneeLoad / s.kneeScale) : 1.0;
  info[kRKneeMax] = s.kneeMax ? std::exp(-s.kneeMaxWeight * in.kneeLoadMax / s.kneeScale) : 1.0;
  // the mean squared leg-DoF error, as deepmimic's pose term but on the legs alone and with its own weight
  info[kRImitation] = s.imitationWeight > 0.0 ? std::exp(-s.imitationWeight * in.legPoseError2 / in.legWeightSum) : 1.0;

  if (type != RewardType::GaitNet) {
    info[kRPose] = std::exp(-20.0 * in.poseError2 / in.numDofs);
    info[kRVel] = std::exp(-10.0 * in.velocityError2 / in.numDofs);
    info[kRCom] = std::exp(-10.0 * in.comError2 / 3.0);
    info[kREndEffector] = std::exp(-40.0 * in.endEffectorError2 / (3.0 * in.numEndEffectors));
    if (type == RewardType::DeepMimic)
      return 0.65 * info[kRPose] + 0.1 * info[kRVel] + 0.1 * info[kRCom] + 0.45 * info[kREndEffector] +
             0.2 * info[kREnergy];
    double r = 1.0;
    for (int k : {kRPose, kRVel, kRCom, kREndEffector, kREnergy}) r *= 0.1 + 0.9 * info[k];
    return r;
  }

  // gaitnet: a product of locomotion terms, each in (0, 1].
  info[kRHeadAcc] = std::exp(-s.headAccWeight * in.headVelocityChange * in.headVelocityChange / 3.0);
  info[kRHeadRot] = std::exp(-s.headRotWeight * in.headAngle * in.headAngle);
  Eigen::Vector3d d = in.avgVelocity - Eigen::Vector3d(0.0, 0.0, in.targetSpeed);
  if (!s.avgVelConsiderX) d.x() = 0.0;
  info[kRAvgVel] = deadZone(s.avgVelWeight, d.norm(), s.avgVelClip);
  info[kRStep] = deadZone(s.stepWeight, in.stepError, s.stepClip);
  info[kRDragX] =
      (s.dragX && in.dragActive) ? std::exp(-s.dragXWeight * std::max(0.0, in.lateralDrift - s.dragXThreshold)) : 1.0;
  double r = info[kRHeadAcc] * info[kRHeadRot] * info[kRAvgVel] * info[kRStep] * info[kRDragX] * info[kRKnee] *
             info[kRKneeMax] * info[kRImitation];
  return s.multiplicative ? r * info[kREnergy] : r + s.metabolicScale * info[kREnergy];
}

}  // namespace bidir
