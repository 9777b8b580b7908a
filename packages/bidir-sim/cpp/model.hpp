// The static model: a compiled skeleton that is built once and shared.
// Simulations clone its skeleton; the model itself is never stepped.
#pragma once
#include <Eigen/Core>
#include <memory>
#include <string>
#include <vector>

#include "model_spec.hpp"
#include "muscles.hpp"

namespace bidir {

class Model {
 public:
  explicit Model(ModelSpec spec);
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const ModelSpec& spec() const { return spec_; }
  int numBodies() const;
  int numDofs() const;
  double totalMass() const;
  std::vector<std::string> bodyNames() const;
  std::vector<std::string> dofNames() const;
  Eigen::VectorXd positionLowerLimits() const;
  Eigen::VectorXd positionUpperLimits() const;
  Eigen::VectorXd kp() const;
  Eigen::VectorXd kv() const;

  const std::vector<CompiledMuscle>& muscles() const { return muscles_; }
  int numMuscles() const { return static_cast<int>(muscles_.size()); }
  int muscleDofs() const;  // length of JtA_reduced: related DoFs summed over muscles

  // World transforms of every body for each row of Q (frames x dofs):
  // returns (frames * bodies * 16) row-major 4x4 matrices.
  std::vector<double> forwardKinematics(const Eigen::MatrixXd& Q) const;
  // Whole-body centre of mass for each row of Q (frames x 3).
  Eigen::MatrixXd centerOfMass(const Eigen::MatrixXd& Q) const;

  struct Impl;
  Impl& impl() const { return *impl_; }

 private:
  ModelSpec spec_;
  std::unique_ptr<Impl> impl_;
  std::vector<CompiledMuscle> muscles_;
};

}  // namespace bidir
