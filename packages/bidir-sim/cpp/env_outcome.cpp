// The end of a control step: what the reward needs (measured over the step), the reward itself
// (reward.cpp), termination and truncation, and the info vector (reference-system.md §5.5, §5.6).
#include <algorithm>
#include <cmath>

#include "env_internal.hpp"

namespace bidir {

namespace {
constexpr double kTimeLimit = 10.0;     // eoe_type time: seconds per episode
constexpr double kKneeLoadLimit = 8.0;  // kN, knee_pain termination after kKneeSteps steps
constexpr int kKneeSteps = 100;
}  // namespace

double Env::Impl::avgVelocityWindow() const {
  return std::max(1.0, std::round(cycle * spec.reward.avgVelWindow * spec.simHz));
}

void Env::Impl::setEpisodeInfo() {
  info[kPhase] = phase.localPhaseFraction();
  info[kStrideRatio] = strideRatio;
  info[kCadenceRatio] = cadenceRatio;
  info[kBodySize] = bodySize;
  mirrored = spec.enforceSymmetry && phase.secondHalf();
  info[kMirrored] = mirrored;
}

void Env::Impl::finishStep(StepResult& out) {
  RewardInputs in;
  in.metabolicEnergy = metabolic / substeps;
  in.torqueEnergy = spec.reward.torqueCoeff * torque / substeps;
  in.kneeLoad = knee / substeps;
  in.kneeLoadMax = kneeMax;
  kneeLoadEpisodeMax = std::max(kneeLoadEpisodeMax, kneeMax);

  const auto* head = skel.getBodyNode(spec.headBody);
  const Eigen::Vector3d headNow = head->getCOMLinearVelocity();
  in.headVelocityChange = (headNow - headVelocity).norm();
  headVelocity = headNow;
  in.headAngle =
      Eigen::AngleAxisd(head->getWorldTransform().linear() * task.restRotation(spec.headBody).transpose()).angle();

  const Eigen::Vector3d com = skel.getCOM();
  in.targetSpeed = task.reference().stride() * motionStride / cycle;
  const long window = static_cast<long>(avgVelocityWindow());
  if (comCount > window) {
    const Eigen::Vector3d& past = comLog[(comCount - 1 - window) % comLog.size()];
    in.avgVelocity = (com - past) / (window * dt);
    in.dragActive = true;
  } else {
    in.avgVelocity = Eigen::Vector3d(0.0, 0.0, in.targetSpeed);  // too early to judge
  }
  in.lateralDrift = std::abs(com.x() - comStart.x());
  const int stance = phase.rightStance() ? 0 : 1;
  in.stepError = std::abs(footPosition(stance).z() - phase.currentTarget().z());

  // The reference pose at this phase, computed once: gaitnet's imitation factor (when weighted) scores the legs
  // against it, deepmimic's terms the whole body.
  const bool gaitnet = task.rewardType() == RewardType::GaitNet;
  if (!gaitnet || spec.reward.imitationWeight > 0.0) {
    const double now = phase.localPhase();
    const Eigen::VectorXd qRef = task.referencePose(now, motionStride);
    const Eigen::VectorXd error = task.positionDifference(skel.getPositions(), qRef);
    if (gaitnet) {
      const std::vector<int>& legs = task.legDofs();
      for (std::size_t k = 0; k < legs.size(); ++k)
        in.legPoseError2 += task.legWeights()[k] * error[legs[k]] * error[legs[k]];
      in.legWeightSum = task.legWeightSum();
    } else {
      const Eigen::VectorXd dqRef = task.referenceVelocity(now, motionStride, motionCadence);
      kinematic->setPositions(qRef);
      in.poseError2 = error.squaredNorm();
      in.velocityError2 = (skel.getVelocities() - dqRef).squaredNorm();
      in.comError2 = (com - kinematic->getCOM()).squaredNorm();
      const Eigen::Vector3d root = skel.getBodyNode(0)->getCOM(), rootRef = kinematic->getBodyNode(0)->getCOM();
      for (int b : spec.endEffectors)
        in.endEffectorError2 +=
            ((skel.getBodyNode(b)->getCOM() - root) - (kinematic->getBodyNode(b)->getCOM() - rootRef)).squaredNorm();
      in.numDofs = ndof;
      in.numEndEffectors = std::max<int>(1, static_cast<int>(spec.endEffectors.size()));
    }
  }

  double reward = computeReward(spec.reward, task.rewardType(), in, info);
  if (steps <= spec.reward.clipSteps) reward = std::clamp(reward, -spec.reward.clipValue, spec.reward.clipValue);
  out.reward = reward;

  const bool fall = com.y() < spec.fallHeight * bodySize;  // the reference: 0.6 m x g
  const bool kneeFail = spec.reward.kneeTermination && steps > kKneeSteps && kneeLoadEpisodeMax > kKneeLoadLimit;
  // Early termination: the pelvis is compared with the reference at the step's end (setTarget's pose).
  const bool headLow = spec.headDrop > 0.0 && head->getCOM().y() < headStartHeight - spec.headDrop;
  const bool tilted = spec.pelvisAngle > 0.0 && Eigen::AngleAxisd(pelvisRotationError()).angle() > spec.pelvisAngle;
  out.terminated = fall || kneeFail || headLow || tilted;
  const bool clipEnded = !task.reference().cyclic() && startPhase + episodeTime / cycle >= 1.0 - 1e-9;
  out.truncated =
      !out.terminated && (clipEnded || (spec.truncateByTime ? episodeTime >= kTimeLimit : steps >= spec.horizon));

  info[kEnergyMetabolic] = in.metabolicEnergy;
  info[kEnergyTorque] = in.torqueEnergy;
  info[kHeadVelocityChange] = in.headVelocityChange;
  info[kHeadAngle] = in.headAngle;
  info[kAvgVelX] = in.avgVelocity.x();
  info[kAvgVelZ] = in.avgVelocity.z();
  info[kTargetSpeed] = in.targetSpeed;
  info[kStepError] = in.stepError;
  info[kKneeLoad] = in.kneeLoad;
  info[kKneeLoadMax] = in.kneeLoadMax;
  info[kFall] = fall ? 1.0 : 0.0;
  info[kDeviated] = (headLow || tilted) ? 1.0 : 0.0;
  info[kAssistForce] = assistForce / substeps;
  info[kDistance] = com.z() - comStart.z();
  for (int side : {0, 1}) {
    const Eigen::Vector3d foot = footPosition(side);
    info[kFootHeightR + side] = foot.y();
    info[kFootForwardR + side] = foot.z() - comStart.z();
  }
}

}  // namespace bidir
