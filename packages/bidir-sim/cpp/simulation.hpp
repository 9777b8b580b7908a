// Simulation state: one DART world holding a clone of a Model's skeleton and the ground.
// Many simulations share one Model (MuJoCo-style model/data split).
#pragma once
#include <Eigen/Core>
#include <memory>

#include "body_scale.hpp"
#include "bounds.hpp"
#include "model.hpp"
#include "muscles.hpp"

namespace bidir {

class Simulation {
 public:
  Simulation(std::shared_ptr<const Model> model, double timestep);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  const Model& model() const { return *model_; }
  double timestep() const;
  double time() const;

  Eigen::VectorXd positions() const;
  Eigen::VectorXd velocities() const;
  // The setters throw std::invalid_argument for a wrong size, NaN/inf or a value beyond the bounds above.
  void setPositions(const Eigen::VectorXd& q);
  void setVelocities(const Eigen::VectorXd& dq);
  void setForces(const Eigen::VectorXd& tau);  // generalized forces for the next steps

  // Advances the world by n steps; the forces set before stay applied. Before each step the state is
  // checked against the bounds (PhysicsDiverged), so no state that can trip DART's asserts reaches it.
  void step(int n);

  Eigen::Vector3d centerOfMass() const;
  double totalMass() const;  // as DART has it (a body scale changes it)
  // World transforms at the current state of every body and of every body's parent joint (bodies x 4 x 4).
  std::vector<Eigen::Matrix4d> bodyTransforms() const;
  std::vector<Eigen::Matrix4d> jointTransforms() const;
  Eigen::Vector3d centerOfMassVelocity() const;
  int numContacts() const;  // contacts found in the last step

  // Muscles at the current state (path, forces; JtA, JtP, JtA_reduced when jacobians is true).
  const MuscleState& updateMuscles(bool jacobians = true, bool forceVelocity = false);
  const MuscleState& muscleState() const { return muscles_; }
  // This simulation's muscle conditions (MuscleRatios: weakness, contracture), one positive finite factor per
  // muscle each, used from the next updateMuscles(); throws std::invalid_argument naming the muscle otherwise.
  // Empty vectors (the default) restore the compiled muscles.
  void setMuscleRatios(const Eigen::VectorXd& force, const Eigen::VectorXd& length);
  const MuscleRatios& muscleRatios() const { return ratios_; }
  // This simulation's skeleton conditions (body_scale.hpp): its skeleton's bodies, joints and shapes scaled and
  // twisted from the model's, and its muscles with them (muscles()); an identity scale restores the model's.
  // Throws std::invalid_argument for a bad scale. Resets the pose to zero.
  void setBodyScale(const BodyScale& scale);
  // The bodies as this simulation has them (the model's without a body scale).
  const std::vector<BodySpec>& bodies() const { return bodies_.empty() ? model_->spec().bodies : bodies_; }
  // The muscles as this simulation has them: the model's, or those of its scaled body.
  const std::vector<CompiledMuscle>& muscles() const { return bodyMuscles_.empty() ? model_->muscles() : bodyMuscles_; }
  // Applies a * f_A + f_P of each muscle along its path as external forces for the next step.
  // Needs updateMuscles() at the current state; activations must lie in [0, 1].
  void applyMuscleForces(const Eigen::VectorXd& activations);
  // Generalized forces of the external forces currently applied (DART's J^T F; for tests).
  Eigen::VectorXd externalGeneralizedForces() const;
  // a - b per DoF with DART's SO(3)-aware difference for ball and free joints.
  Eigen::VectorXd positionDifferences(const Eigen::VectorXd& a, const Eigen::VectorXd& b) const;

  // Generalized forces that give accelerations ddq at the current state with no contact and no muscle
  // forces (gravity, Coriolis and joint damping included); the root rows are what contacts must supply.
  Eigen::VectorXd inverseDynamics(const Eigen::VectorXd& ddq);
  // World-frame linear Jacobian (3 x dofs) of a point given in the body's frame.
  Eigen::MatrixXd linearJacobian(int body, const Eigen::Vector3d& localPoint) const;

  // Stable PD (Tan et al. 2011) towards target positions and velocities with the model's kp/kv, for
  // one timestep; ext are further generalized forces expected in that step. The root rows are zero.
  // articulated: the O(n) formulation (stablePDArticulated); false: the dense reference formulation.
  Eigen::VectorXd spdForces(const Eigen::VectorXd& target, const Eigen::VectorXd& targetVelocity,
                            const Eigen::VectorXd& ext, bool articulated = true) const;

  // The dynamics of the last step, for gait analysis (simulation_dynamics.cpp). Needs keepStepStart(true)
  // before that step: step() then keeps the state each step starts from (one copy of q and dq per step).
  struct StepDynamics {
    // bodies x 6: the contact force DART's constraint solver applied to each body in the step (its impulse /
    // dt) as [moment about the world origin; force], world frame (N m, N); zero rows for bodies not touching
    Eigen::MatrixXd contact;
    // M(q) (dq' - dq) / dt + C(q, dq) - J^T F_contact at the step's start: the net generalized forces that all
    // but the contacts applied (actuators, muscles, joint limits and damping); root rows: the unexplained rest
    Eigen::VectorXd moments;
  };
  void keepStepStart(bool on);
  StepDynamics lastStepDynamics();

 private:
  struct Impl;                     // DART world and skeleton (simulation_internal.hpp)
  friend struct SimulationAccess;  // the DART translation units' way to them (simulation_internal.hpp)
  std::shared_ptr<const Model> model_;
  std::unique_ptr<Impl> impl_;
  MuscleState muscles_;
  MuscleRatios ratios_;
  std::vector<BodySpec> bodies_;             // of the scaled body (empty: the model's)
  std::vector<CompiledMuscle> bodyMuscles_;  // of the scaled body (empty: the model's)
  bool keepStart_ = false;
  Eigen::VectorXd startPositions_, startVelocities_;  // of the last step, when keepStart_
};

}  // namespace bidir
