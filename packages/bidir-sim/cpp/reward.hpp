// Rewards of the walking task (reference-system.md §5.5) and the layout of the per-step info vector.
// Eigen only: the task gathers the measurements, this unit turns them into reward terms.
#pragma once
#include <Eigen/Core>
#include <array>
#include <vector>

#include "task_spec.hpp"

namespace bidir {

// Entries of Env::info(): every reward term, the quantities behind them, and the episode flags.
enum Info : int {
  kRHeadAcc,
  kRHeadRot,
  kRAvgVel,
  kRStep,
  kRDragX,
  kREnergy,
  kRMetabolic,
  kRTorque,
  kRKnee,
  kRKneeMax,
  kRImitation,  // gaitnet: how closely the legs follow the reference pose (reward.imitation)
  kRPose,
  kRVel,
  kRCom,
  kREndEffector,
  kEnergyMetabolic,
  kEnergyTorque,
  kHeadVelocityChange,
  kHeadAngle,
  kAvgVelX,
  kAvgVelZ,
  kTargetSpeed,
  kStepError,
  kKneeLoad,
  kKneeLoadMax,
  kPhase,
  kMirrored,
  kStrideRatio,
  kCadenceRatio,
  kBodySize,  // the skeleton conditions' global scale g (1 without): the reference plays at cycle x sqrt(g)
  kDistance,  // the gait as it is walked (for evaluation): COM and feet, forward from the COM at reset
  kFootHeightR,
  kFootHeightL,
  kFootForwardR,
  kFootForwardL,
  kAssistForce,
  kDeviated,
  kFall,
  kSimError,
  kInfoSize
};
extern const std::array<const char*, kInfoSize> kInfoNames;

// What the task measured over one control step.
struct RewardInputs {
  double headVelocityChange = 0.0;                        // |head COM velocity now - one control step ago|, m/s
  double headAngle = 0.0;                                 // rotation of the head from its zero-pose orientation, rad
  Eigen::Vector3d avgVelocity = Eigen::Vector3d::Zero();  // COM velocity over the averaging window
  double targetSpeed = 0.0;                  // forward speed of the reference at this stride and cadence, m/s
  double stepError = 0.0;                    // |stance foot z - its step target z|, m
  double lateralDrift = 0.0;                 // |COM x - COM x at reset|, m
  bool dragActive = false;                   // the velocity window has elapsed
  double metabolicEnergy = 0.0;              // mean over substeps of the per-substep activation energy
  double torqueEnergy = 0.0;                 // coeff x mean over substeps of sum |upper-body SPD torque|
  double kneeLoad = 0.0, kneeLoadMax = 0.0;  // mean and max over the step, kN
  double legPoseError2 = 0.0;                // weighted squared distance of the leg DoFs from the reference pose, rad^2
  double legWeightSum = 1.0;  // the sum of those weights (CompiledTask::legWeights): the factor's mean divisor
  // deepmimic: squared errors against the reference
  double poseError2 = 0.0, velocityError2 = 0.0, comError2 = 0.0, endEffectorError2 = 0.0;
  int numDofs = 1, numEndEffectors = 1;
};

// The reward of one control step; writes every term into info (the other entries are left alone).
double computeReward(const RewardSpec& spec, RewardType type, const RewardInputs& in, Eigen::VectorXd& info);
// The Info entries (r_*) that make up the reward of this spec; the other r_* entries stay constant.
std::vector<int> activeRewardTerms(const RewardSpec& spec, RewardType type);

}  // namespace bidir
