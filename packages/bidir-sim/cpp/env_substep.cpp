// The control step's physics: the action becomes a PD target, then each substep runs muscle geometry and
// SPD (prepareSubstep), the muscle network (the caller's: batch 1 or a batch of envs), and the muscle
// forces, upper-body torques and the DART step (finishSubstep).
#include <algorithm>
#include <cmath>

#include "control.hpp"
#include "env_internal.hpp"

namespace bidir {

// The action of one control step. Joint entries: the PD target is the reference pose one control step
// ahead composed with the scaled residual (ball joints: R_ref exp(a); revolute: add; the root is not
// actuated), or under torque the joint torques (a in [-1, 1] times torqueLimits). Under muscle the
// activation entries, clipped to [0, 1], are the muscles' activations for the whole step. In the mirrored
// half of the cycle each DoF (muscle) reads its partner's entry.
void Env::Impl::setTarget(const Eigen::VectorXf& action) {
  if (task.hasTimeWarp()) phase.setPhaseAction(spec.timeWarping * action[task.actionDim() - 1], controlDt);
  const double now = phase.localPhase(), dphase = controlDt / cycle;
  referencePose = task.referencePose(now + dphase, strideRatio);
  targetVelocity =
      task.positionDifference(task.referencePose(now + 2.0 * dphase, strideRatio), referencePose) / controlDt;
  target = referencePose;
  if (assistScale > 0.0) {
    kinematic->setPositions(task.referencePose(now, strideRatio));
    comRef0 = kinematic->getCOM();
    kinematic->setPositions(referencePose);
    comRef1 = kinematic->getCOM();
  }
  auto entry = [&](int dof) {  // the action entry for `dof`, signed for the mirror image
    const int src = mirrored ? task.actionOfDof(spec.dofMirror[dof]) : task.actionOfDof(dof);
    return (mirrored ? spec.dofMirrorSign[dof] : 1.0) * static_cast<double>(action[src]);
  };
  if (task.actuator() == Actuator::Torque) {
    for (int d : task.actionDofs()) policyTorque[d] = task.torqueLimits()[d] * std::clamp(entry(d), -1.0, 1.0);
    return;
  }
  Eigen::VectorXd offset = Eigen::VectorXd::Zero(ndof);
  for (int d : task.actionDofs()) offset[d] = spec.actionScale * entry(d);
  for (int k : spec.reference.rotationDofs)
    if (k >= 6) target.segment<3>(k) = logMap(expMap(referencePose.segment<3>(k)) * expMap(offset.segment<3>(k)));
  for (int d = 6; d < ndof; ++d)
    if (!task.isRotationDof(d)) target[d] += offset[d];
  if (task.actuator() == Actuator::Muscle) {
    const int first = task.firstActivationAction();
    for (int j = 0; j < nmus; ++j)
      activations[j] = std::clamp(static_cast<double>(action[first + (mirrored ? spec.muscleMirror[j] : j)]), 0.0, 1.0);
  }
}

double Env::Impl::muscleEnergy(const Eigen::VectorXd& a) const {
  switch (task.metabolicType()) {
    case MetabolicType::A:
      return a.sum();  // activations are >= 0
    case MetabolicType::A2:
      return a.squaredNorm();
    case MetabolicType::MA:
      return task.muscleMass().dot(a);
    case MetabolicType::MA2:
      return task.muscleMass().dot(a.cwiseAbs2());
  }
  return 0.0;
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

// The first half of one physics step: muscle geometry and SPD, then the network's input row
// (JtA_reduced, tau_des; mirrored in the mirrored half of the cycle).
void Env::Impl::prepareSubstep(int index, float* networkInput) {
  auto clock = Clock::now();
  const Actuator actuator = task.actuator();
  if (actuator == Actuator::Torque) return;  // the policy's torques need neither muscles nor SPD
  const bool network = task.runsNetworkAt(index);
  const bool pd = actuator == Actuator::Pd;
  const bool tupleOnly = pd && index == tupleIndex && task.collectsMuscleTuples();  // the input row, unused
  // Between network substeps the muscles need their geometry and forces only (no JtA), and SPD only
  // where its torques drive the body; under pd the muscles only for the tuple.
  const MuscleState* muscles =
      task.musclesAct() || tupleOnly
          ? &sim.updateMuscles(network || tupleOnly || spec.includeJtpInSpd, spec.forceVelocity)
          : nullptr;
  lap(clock, timings.muscles);
  const bool spdDrives = pd || actuator == Actuator::MassLower || actuator == Actuator::Muscle;
  if (!network && !spdDrives) return;
  ext.setZero();
  if (spec.includeJtpInSpd && task.musclesAct()) ext.tail(nact) = muscles->JtP;  // under pd no muscle acts
  spd = stablePDArticulated(skel, target, targetVelocity, task.kp(), task.kv(), ext);
  lap(clock, timings.spd);
  if (!spd.allFinite()) throw PhysicsDiverged("non-finite SPD torque");
  if (!network && !tupleOnly) return;
  const MuscleState& ms = *muscles;
  tauDes = spd.tail(nact);
  if (!spec.includeJtpInSpd) tauDes -= ms.JtP;
  // Finite is not enough: forces beyond float32's reach would overflow inside the network (NaN activations).
  checkBounded(tauDes, kMaxNetworkInput, "desired torque");
  checkBounded(ms.JtAReduced, kMaxNetworkInput, "muscle moment (JtA)");

  // The network sees the mirrored body in the mirrored half of the cycle.
  const Eigen::Index nred = ms.JtAReduced.size();
  Eigen::Map<Eigen::VectorXf> reducedNet(networkInput, nred), tauNet(networkInput + nred, nact);
  if (mirrored) {
    const auto& muscles = task.model().muscles();
    for (int d = 0; d < nact; ++d) {
      const int src = spec.dofMirror[d + 6] - 6;
      const double sign = spec.dofMirrorSign[d + 6];
      tauNet[d] = static_cast<float>(sign * tauDes[src]);
      for (int j = 0; j < nmus; ++j) jtaIn(d, j) = sign * ms.JtA(src, spec.muscleMirror[j]);
    }
    Eigen::Index k = 0;
    for (int j = 0; j < nmus; ++j)
      for (int d : muscles[j].relatedDofs) reducedNet[k++] = static_cast<float>(jtaIn(d, j));
  } else {
    tauNet = tauDes.cast<float>();
    reducedNet = ms.JtAReduced.cast<float>();
  }
  if (index == tupleIndex) {
    tuple.desiredTorque = tauNet;
    tuple.JtAReduced = reducedNet;
    tuple.JtA = (mirrored ? jtaIn : ms.JtA).cast<float>();
  }
  lap(clock, timings.forces);  // the mirroring counts with the forces
}

// The second half: muscle forces from the network's activations, SPD torques on the upper body, the
// DART step, then phase and stance. Throws PhysicsDiverged if the torques or the new state leave the
// simulation's bounds. Activations outside [0, 1] (a broken network, not the physics) throw
// std::invalid_argument; null: hold the last ones.
void Env::Impl::finishSubstep(const float* networkActivations) {
  auto clock = Clock::now();
  forces.setZero();
  const Actuator actuator = task.actuator();
  if (actuator == Actuator::Pd) {  // the ideal-torque body: SPD on every actuated DoF, no muscles
    forces.tail(nact) = spd.tail(nact);
    torque += spd.tail(nact).cwiseAbs().sum();
  } else if (actuator == Actuator::Torque) {
    forces = policyTorque;
    torque += policyTorque.cwiseAbs().sum();
  } else {
    // muscle: the activations setTarget took from the action; else the network's, or held from the last
    // network substep.
    if (networkActivations)
      for (int j = 0; j < nmus; ++j) activations[j] = networkActivations[mirrored ? spec.muscleMirror[j] : j];
    metabolic += muscleEnergy(activations);
    sim.applyMuscleForces(activations);
    if (actuator == Actuator::MassLower || actuator == Actuator::Muscle) {
      for (int d : spec.upperDofs) {
        forces[d] = spd[d];
        torque += std::abs(spd[d]);
      }
    }
  }
  checkBounded(forces, kMaxGeneralizedForce, actuator == Actuator::Torque ? "policy torque" : "SPD torque");
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
