// The muscle network: an MLP that maps (per-muscle torque columns, desired joint torques)
// to activations. libtorch only; no DART headers, so it compiles in its own TU.
#pragma once
#include <Eigen/Core>
#include <memory>
#include <string>
#include <vector>

namespace bidir {

class MuscleNet {
 public:
  // Layer sizes: input -> hidden... -> num_muscles (LeakyReLU(0.2) between layers). The network sees its
  // inputs multiplied by input_scale (the task's, CompiledTask::kNetworkInputScale).
  MuscleNet(int input_dim, int num_muscles, std::vector<int> hidden, float input_scale);
  ~MuscleNet();
  MuscleNet(const MuscleNet&) = delete;
  MuscleNet& operator=(const MuscleNet&) = delete;

  int inputDim() const { return input_dim_; }
  int numMuscles() const { return num_muscles_; }
  float inputScale() const { return input_scale_; }
  // Parameter names in the PyTorch state_dict: fc.0.weight, fc.0.bias, fc.2.weight, ...
  std::vector<std::string> parameterNames() const;
  std::vector<std::pair<int, int>> parameterShapes() const;  // (rows, cols); bias cols = 1
  // Replaces one parameter (float32, row-major rows x cols); throws on unknown name or shape.
  void setParameter(const std::string& name, const float* data, int rows, int cols);
  // Re-initialises the weights: Xavier-uniform, zero biases, from a seeded generator.
  void initialize(std::uint64_t seed);

  // Activations in [0, 1] for a batch: inputs are (batch x input_dim), unscaled.
  Eigen::MatrixXf activations(const Eigen::MatrixXf& muscle_torques, const Eigen::MatrixXf& desired_torques) const;
  // The same from raw rows: input is (batch x input_dim) row-major, each row the muscle input then the
  // desired torques, unscaled; output receives (batch x num_muscles) row-major.
  void forward(const float* input, int batch, float* output) const;

  // Thread setup for callers that run the network from their own threads: intra-op parallelism off
  // (parallelism is across environments), and libtorch's per-thread state initialised in each worker.
  static void useOneIntraOpThread();
  static void initWorkerThread();

 private:
  struct Impl;
  int input_dim_, num_muscles_;
  float input_scale_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bidir
