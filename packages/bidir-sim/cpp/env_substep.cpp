// The control step's physics, one fixed pipeline for every actuator (actuator.hpp): the action becomes the
// reference pose one control step ahead and the actuator's command; each substep the actuator prepares
// (muscle geometry, SPD, the network's input), the muscle network runs (the caller's: batch 1 or a batch of
// envs), the actuator drives, and finishSubstep steps DART.
#include <algorithm>

#include "actuator.hpp"
#include "env_internal.hpp"

namespace bidir {

// The action of one control step: the time warp, the reference pose one control step ahead (the PD target
// before the actuator's command) and its velocity, the assist's reference COM, then the actuator's part.
void Env::Impl::setTarget(const Eigen::VectorXf& action) {
  if (task.hasTimeWarp()) phase.setPhaseAction(spec.timeWarping * action[task.actionDim() - 1], controlDt);
  const double now = phase.localPhase(), dphase = controlDt / cycle;
  referencePose = task.referencePose(now + dphase, motionStride);
  targetVelocity =
      task.positionDifference(task.referencePose(now + 2.0 * dphase, motionStride), referencePose) / controlDt;
  target = referencePose;
  if (assistScale > 0.0) {
    kinematic->setPositions(task.referencePose(now, motionStride));
    comRef0 = kinematic->getCOM();
    kinematic->setPositions(referencePose);
    comRef1 = kinematic->getCOM();
  }
  actuator->command(action);
}

Eigen::Matrix3d Env::Impl::pelvisRotationError() const {
  return expMap(referencePose.head<3>()) * expMap(skel.getPositions().head<3>()).transpose();
}

// A PD pull of the COM toward the reference's (interpolated over the control step) and of the pelvis toward
// the reference's orientation, as an external force at the pelvis COM and a torque.
void Env::Impl::applyAssist() {
  const AssistSpec& a = spec.assist;
  const double f = static_cast<double>(substep + 1) / substeps;
  const Eigen::Vector3d comRef = comRef0 + f * (comRef1 - comRef0), velocityRef = (comRef1 - comRef0) / controlDt;
  const Eigen::Vector3d force = assistScale * (a.kpPosition * (comRef - skel.getCOM()) +
                                               a.kdPosition * (velocityRef - skel.getCOMLinearVelocity()));
  auto* pelvis = skel.getBodyNode(0);
  const Eigen::Vector3d moment =
      assistScale * (a.kpRotation * logMap(pelvisRotationError()) - a.kdRotation * pelvis->getAngularVelocity());
  pelvis->addExtForce(force, pelvis->getLocalCOM(), false, true);
  pelvis->addExtTorque(moment, false);
  assistForce += force.norm();
}

Eigen::Vector3d Env::Impl::footPosition(int side) const { return skel.getBodyNode(spec.footBody[side])->getCOM(); }

// The second half of one physics step (after the actuator's prepare and the network): the actuator's forces,
// the assist, the DART step, then phase and stance. Throws PhysicsDiverged if the forces or the new state
// leave the simulation's bounds. Activations outside [0, 1] (a broken network, not the physics) throw
// std::invalid_argument; null: hold the last ones.
void Env::Impl::finishSubstep(const float* networkActivations) {
  auto clock = Clock::now();
  forces.setZero();
  actuator->drive(networkActivations);
  checkBounded(forces, kMaxGeneralizedForce, actuator->forceName());
  sim.setForces(forces);
  if (assistScale > 0.0) applyAssist();
  if (recording) recordStart();
  substep += 1;
  lap(clock, timings.forces);
  sim.step(1);
  lap(clock, timings.dart);
  if (recording) recordEnd();
  // The next step would refuse this state; the observation and reward must not be computed from it either.
  checkBounded(skel.getPositions(), kMaxPosition, "positions");
  checkBounded(skel.getVelocities(), kMaxSpeed, "velocities");
  for (int b : spec.kneeBody) {
    if (b < 0) continue;
    const double load = skel.getBodyNode(b)->getBodyForce().tail<3>().norm() / 1000.0;
    knee += 0.5 * load;
    kneeMax = std::max(kneeMax, load);
  }
  phase.advance(dt, spec.hardPhaseClipping);
  phase.updateStance(footPosition(0), footPosition(1));
  comLog[comCount++ % comLog.size()] = skel.getCOM();
}

}  // namespace bidir
