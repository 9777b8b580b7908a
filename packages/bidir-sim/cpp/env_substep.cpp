// The control step's physics: the action becomes a PD target, then each substep runs muscle geometry and
// SPD (prepareSubstep), the muscle network (the caller's: batch 1 or a batch of envs), and the muscle
// forces, upper-body torques and the DART step (finishSubstep).
#include <cmath>

#include "control.hpp"
#include "env_internal.hpp"

namespace bidir {

// PD target = reference pose one control step ahead, composed with the scaled residual action
// (ball joints: R_ref exp(a); revolute: add; the root is not actuated).
void Env::Impl::setTarget(const Eigen::VectorXf& action) {
  if (task.hasTimeWarp()) phase.setPhaseAction(spec.timeWarping * action[nact], controlDt);
  const double now = phase.localPhase(), dphase = controlDt / cycle;
  referencePose = task.referencePose(now + dphase, strideRatio);
  targetVelocity =
      task.positionDifference(task.referencePose(now + 2.0 * dphase, strideRatio), referencePose) / controlDt;
  Eigen::VectorXd offset = Eigen::VectorXd::Zero(ndof);
  for (int d = 0; d < nact; ++d) {
    const int src = mirrored ? spec.dofMirror[d + 6] : d + 6;
    offset[d + 6] = (mirrored ? spec.dofMirrorSign[d + 6] : 1.0) * spec.actionScale * action[src - 6];
  }
  target = referencePose;
  for (int k : spec.reference.rotationDofs)
    if (k >= 6) target.segment<3>(k) = logMap(expMap(referencePose.segment<3>(k)) * expMap(offset.segment<3>(k)));
  for (int d = 6; d < ndof; ++d)
    if (!task.isRotationDof(d)) target[d] += offset[d];
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

Eigen::Vector3d Env::Impl::footPosition(int side) const { return skel.getBodyNode(spec.footBody[side])->getCOM(); }

// The first half of one physics step: muscle geometry and SPD, then the network's input row
// (JtA_reduced, tau_des; mirrored in the mirrored half of the cycle).
void Env::Impl::prepareSubstep(int index, float* networkInput) {
  auto clock = Clock::now();
  const bool network = task.runsNetworkAt(index);
  const bool pd = task.actuator() == Actuator::Pd;
  const bool tupleOnly = pd && index == tupleIndex && task.collectsMuscleTuples();  // the input row, unused
  // Between network substeps the muscles need their geometry and forces only (no JtA), and SPD only
  // where its torques drive the body; under pd the muscles only for the tuple.
  const MuscleState* muscles =
      pd && !tupleOnly ? nullptr : &sim.updateMuscles(network || tupleOnly || spec.includeJtpInSpd, spec.forceVelocity);
  lap(clock, timings.muscles);
  if (!network && !pd && task.actuator() != Actuator::MassLower) return;
  ext.setZero();
  if (spec.includeJtpInSpd && !pd) ext.tail(nact) = muscles->JtP;  // under pd no muscle acts
  spd = stablePDArticulated(skel, target, targetVelocity, task.kp(), task.kv(), ext);
  lap(clock, timings.spd);
  // Finite state gives finite torques: anything else is the physics diverging.
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
  if (task.actuator() == Actuator::Pd) {  // the ideal-torque body: SPD on every actuated DoF, no muscles
    forces.tail(nact) = spd.tail(nact);
    torque += spd.tail(nact).cwiseAbs().sum();
  } else {
    if (networkActivations)  // else the activations of the last network substep hold
      for (int j = 0; j < nmus; ++j) activations[j] = networkActivations[mirrored ? spec.muscleMirror[j] : j];
    metabolic += muscleEnergy(activations);
    sim.applyMuscleForces(activations);
    if (task.actuator() == Actuator::MassLower) {
      for (int d : spec.upperDofs) {
        forces[d] = spd[d];
        torque += std::abs(spd[d]);
      }
    }
  }
  checkBounded(forces, kMaxGeneralizedForce, "SPD torque");
  sim.setForces(forces);
  lap(clock, timings.forces);
  sim.step(1);
  lap(clock, timings.dart);
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
