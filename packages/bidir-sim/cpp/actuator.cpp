// The actuator's parts that several kinds share (the PD target of the residual action, SPD, the muscle
// network's input row, the muscles' drive) and the choice of kind (makeActuator).
#include "actuator.hpp"

#include <cmath>
#include <stdexcept>

#include "control.hpp"
#include "env_internal.hpp"

namespace bidir {

namespace {

// The metabolic energy of activations `a` in one substep, by the reward's metabolic type.
double muscleEnergy(const CompiledTask& task, const Eigen::VectorXd& a) {
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

}  // namespace

std::unique_ptr<Actuator> makeActuator(Env::Impl& env) {
  switch (env.task.actuator()) {
    case ActuatorKind::MuscleNet:
      return makeMuscleNetActuator(env);
    case ActuatorKind::MuscleNetLower:
      return makeMuscleNetLowerActuator(env);
    case ActuatorKind::Activations:
      return makeActivationsActuator(env);
    case ActuatorKind::Pd:
      return makePdActuator(env);
    case ActuatorKind::Torque:
      return makeTorqueActuator(env);
  }
  throw std::logic_error("makeActuator: an ActuatorKind without a class");
}

Actuator::Actuator(Env::Impl& e)
    : env(e),
      spd(Eigen::VectorXd::Zero(e.ndof)),
      ext(Eigen::VectorXd::Zero(e.ndof)),
      tauDes(Eigen::VectorXd::Zero(e.nact)),
      offset(Eigen::VectorXd::Zero(e.ndof)),
      jtaIn(Eigen::MatrixXd::Zero(e.nact, e.nmus)) {}

double Actuator::actionEntry(const Eigen::VectorXf& action, int dof) const {
  const TaskSpec& spec = env.spec;
  const int src = env.mirrored ? env.task.actionOfDof(spec.dofMirror[dof]) : env.task.actionOfDof(dof);
  return (env.mirrored ? spec.dofMirrorSign[dof] : 1.0) * static_cast<double>(action[src]);
}

void Actuator::commandResidual(const Eigen::VectorXf& action) {
  const TaskSpec& spec = env.spec;
  offset.setZero();
  for (int d : env.task.actionDofs()) offset[d] = spec.actionScale * actionEntry(action, d);
  for (int k : spec.reference.rotationDofs)
    if (k >= 6)
      env.target.segment<3>(k) = logMap(expMap(env.referencePose.segment<3>(k)) * expMap(offset.segment<3>(k)));
  for (int d = 6; d < env.ndof; ++d)
    if (!env.task.isRotationDof(d)) env.target[d] += offset[d];
}

void Actuator::computeSpd(const MuscleState* jtp) {
  ext.setZero();
  if (jtp) ext.tail(env.nact) = jtp->JtP;
  spd = stablePDArticulated(env.skel, env.target, env.targetVelocity, env.task.kp(), env.task.kv(), ext);
  if (!spd.allFinite()) throw PhysicsDiverged("non-finite SPD torque");
}

void Actuator::writeNetworkInput(const MuscleState& ms, int index, float* networkInput) {
  const TaskSpec& spec = env.spec;
  const int nact = env.nact, nmus = env.nmus;
  tauDes = spd.tail(nact);
  if (!spec.includeJtpInSpd) tauDes -= ms.JtP;
  // Finite is not enough: forces beyond float32's reach would overflow inside the network (NaN activations).
  checkBounded(tauDes, kMaxNetworkInput, "desired torque");
  checkBounded(ms.JtAReduced, kMaxNetworkInput, "muscle moment (JtA)");

  // The network sees the mirrored body in the mirrored half of the cycle.
  const Eigen::Index nred = ms.JtAReduced.size();
  Eigen::Map<Eigen::VectorXf> reducedNet(networkInput, nred), tauNet(networkInput + nred, nact);
  if (env.mirrored) {
    const auto& muscles = env.task.model().muscles();
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
  if (index == env.tupleIndex) {
    MuscleTuple& tuple = env.tuple;
    tuple.desiredTorque = tauNet;
    tuple.JtAReduced = reducedNet;
    tuple.JtA = (env.mirrored ? jtaIn : ms.JtA).cast<float>();
  }
}

void Actuator::driveMuscles(const float* networkActivations) {
  const std::vector<int>& mirror = env.spec.muscleMirror;
  if (networkActivations)
    for (int j = 0; j < env.nmus; ++j) env.activations[j] = networkActivations[env.mirrored ? mirror[j] : j];
  env.metabolic += muscleEnergy(env.task, env.activations);
  env.sim.applyMuscleForces(env.activations);
}

void Actuator::driveUpperBody() {
  for (int d : env.spec.upperDofs) {
    env.forces[d] = spd[d];
    env.torque += std::abs(spd[d]);
  }
}

}  // namespace bidir
