// Simulation state: one DART world holding a clone of a Model's skeleton and the ground.
// Many simulations share one Model (MuJoCo-style model/data split).
#pragma once
#include <Eigen/Core>
#include <memory>

#include "model.hpp"

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
  void setPositions(const Eigen::VectorXd& q);
  void setVelocities(const Eigen::VectorXd& dq);
  void setForces(const Eigen::VectorXd& tau);  // generalized forces for the next steps

  // Advances the world by n steps; the forces set before stay applied.
  void step(int n);

  Eigen::Vector3d centerOfMass() const;
  Eigen::Vector3d centerOfMassVelocity() const;
  int numContacts() const;  // contacts found in the last step

 private:
  struct Impl;
  std::shared_ptr<const Model> model_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bidir
