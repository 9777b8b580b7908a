// What drives the body's actuated DoFs: one interface, one class per kind of the env config's
// skeleton.actuator, each in its own file (actuator_<kind>.cpp), made once per Env from its task's
// ActuatorKind (makeActuator). The control step (env_substep.cpp) calls it in a fixed order:
//   command(action)        once per control step, the PD target already the reference pose one step ahead
//   prepare(index, input)  each substep: muscle geometry, SPD, and the network's input row where it runs
//   (the muscle network's forward: the caller's, batch 1 or a batch of envs)
//   drive(activations)     each substep: the generalized forces and the muscle forces of the coming DART step
// Adding a kind: an ActuatorKind and its name (task_spec.hpp, task.cpp), a file with its class and make
// function, a case in makeActuator (actuator.cpp), and its action layout in CompiledTask.
// Every buffer is sized here at construction: the substep allocates nothing of its own. DART translation
// units only (it works on Env::Impl); the network's torch code stays in muscle_net.cpp.
#pragma once
#include <Eigen/Core>
#include <memory>

#include "env.hpp"

namespace bidir {

struct MuscleState;

class Actuator {
 public:
  explicit Actuator(Env::Impl& env);  // sizes the shared buffers; abstract: made by makeActuator
  virtual ~Actuator() = default;
  Actuator(const Actuator&) = delete;
  Actuator& operator=(const Actuator&) = delete;

  // The action's part for this kind: the PD target's residual (env.target), torques or activations. In the
  // mirrored half of the cycle each DoF (muscle) reads its partner's entry.
  virtual void command(const Eigen::VectorXf& action) = 0;
  // Muscle geometry and SPD as this kind needs them at substep `index`, then, where the muscle network runs
  // (CompiledTask::runsNetworkAt) or a muscle tuple is taken, the network input row: JtA_reduced then tau_des,
  // unscaled, mirrored like the step. Throws PhysicsDiverged.
  virtual void prepare(int index, float* networkInput) = 0;
  // This substep's generalized forces into env.forces (zero on entry) and muscle forces onto the skeleton;
  // adds to env.metabolic and env.torque. networkActivations: the network's row where it ran at this substep,
  // else null (the activations are held).
  virtual void drive(const float* networkActivations) = 0;
  // What env.forces holds, for the message of the bounds check.
  virtual const char* forceName() const { return "SPD torque"; }

 protected:
  // The parts the kinds share (actuator.cpp).
  // The action entry that drives `dof`, signed for the mirror image.
  double actionEntry(const Eigen::VectorXf& action, int dof) const;
  // The PD target: the reference pose composed with the scaled residual of the action's joint entries (ball
  // joints: R_ref exp(a); revolute: add; the root is not actuated).
  void commandResidual(const Eigen::VectorXf& action);
  // SPD torques toward the PD target into spd; with `jtp`, its passive muscle torques are expected in the
  // step (advanced.include_jtp_in_spd). Throws PhysicsDiverged for a non-finite torque.
  void computeSpd(const MuscleState* jtp);
  // The network input row (and the step's muscle tuple at its substep) from spd and the muscle state.
  void writeNetworkInput(const MuscleState& ms, int index, float* networkInput);
  // The muscles at env.activations (the network's, where it ran), their energy and their forces.
  void driveMuscles(const float* networkActivations);
  // SPD torques on the upper body (TaskSpec::upperDofs).
  void driveUpperBody();

  Env::Impl& env;
  Eigen::VectorXd spd;  // SPD forces of the current substep
 private:
  Eigen::VectorXd ext, tauDes, offset;
  Eigen::MatrixXd jtaIn;  // JtA of the mirrored body
};

// The task's kind of actuator for one env.
std::unique_ptr<Actuator> makeActuator(Env::Impl& env);
std::unique_ptr<Actuator> makeMuscleNetActuator(Env::Impl& env);       // actuator_muscle_net.cpp
std::unique_ptr<Actuator> makeMuscleNetLowerActuator(Env::Impl& env);  // actuator_muscle_net_lower.cpp
std::unique_ptr<Actuator> makeActivationsActuator(Env::Impl& env);     // actuator_activations.cpp
std::unique_ptr<Actuator> makePdActuator(Env::Impl& env);              // actuator_pd.cpp
std::unique_ptr<Actuator> makeTorqueActuator(Env::Impl& env);          // actuator_torque.cpp

}  // namespace bidir
