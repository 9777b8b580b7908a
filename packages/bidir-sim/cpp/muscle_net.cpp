#include "muscle_net.hpp"

// ATen alone (not torch/torch.h): a third of the compile time and memory.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <cmath>
#include <cstring>
#include <stdexcept>

namespace bidir {

using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct MuscleNet::Impl {
  std::vector<at::Tensor> weights;  // (out x in)
  std::vector<at::Tensor> biases;   // (out)
};

MuscleNet::MuscleNet(int input_dim, int num_muscles, std::vector<int> hidden, float input_scale)
    : input_dim_(input_dim), num_muscles_(num_muscles), input_scale_(input_scale), impl_(std::make_unique<Impl>()) {
  if (input_dim <= 0 || num_muscles <= 0)
    throw std::invalid_argument("MuscleNet: input_dim and num_muscles must be positive");
  if (!(input_scale > 0.0f) || !std::isfinite(input_scale))
    throw std::invalid_argument("MuscleNet: input_scale must be positive and finite");
  std::vector<int> sizes{input_dim};
  sizes.insert(sizes.end(), hidden.begin(), hidden.end());
  sizes.push_back(num_muscles);
  for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
    if (sizes[i + 1] <= 0) throw std::invalid_argument("MuscleNet: hidden sizes must be positive");
    impl_->weights.push_back(at::zeros({sizes[i + 1], sizes[i]}, at::kFloat));
    impl_->biases.push_back(at::zeros({sizes[i + 1]}, at::kFloat));
  }
  initialize(0);
}

MuscleNet::~MuscleNet() = default;

std::vector<std::string> MuscleNet::parameterNames() const {
  std::vector<std::string> names;
  // Linear layers sit at even indices of the PyTorch nn.Sequential (activations between).
  for (std::size_t i = 0; i < impl_->weights.size(); ++i) {
    names.push_back("fc." + std::to_string(2 * i) + ".weight");
    names.push_back("fc." + std::to_string(2 * i) + ".bias");
  }
  return names;
}

std::vector<std::pair<int, int>> MuscleNet::parameterShapes() const {
  std::vector<std::pair<int, int>> shapes;
  for (std::size_t i = 0; i < impl_->weights.size(); ++i) {
    shapes.emplace_back(static_cast<int>(impl_->weights[i].size(0)), static_cast<int>(impl_->weights[i].size(1)));
    shapes.emplace_back(static_cast<int>(impl_->biases[i].size(0)), 1);
  }
  return shapes;
}

void MuscleNet::setParameter(const std::string& name, const float* data, int rows, int cols) {
  const auto names = parameterNames();
  const auto shapes = parameterShapes();
  for (std::size_t k = 0; k < names.size(); ++k) {
    if (names[k] != name) continue;
    if (shapes[k].first != rows || shapes[k].second != cols)
      throw std::invalid_argument("muscle network parameter '" + name + "' has shape (" + std::to_string(rows) + ", " +
                                  std::to_string(cols) + "), expected (" + std::to_string(shapes[k].first) + ", " +
                                  std::to_string(shapes[k].second) + ")");
    for (std::size_t i = 0; i < static_cast<std::size_t>(rows) * cols; ++i)
      if (!std::isfinite(data[i]))
        throw std::invalid_argument("muscle network parameter '" + name + "' contains NaN or inf");
    at::Tensor& dst = (k % 2 == 0) ? impl_->weights[k / 2] : impl_->biases[k / 2];
    // Copy: the caller's buffer may go away (from_blob alone would alias it).
    std::memcpy(dst.data_ptr<float>(), data, sizeof(float) * static_cast<std::size_t>(rows) * cols);
    return;
  }
  throw std::invalid_argument("unknown muscle network parameter '" + name + "'");
}

void MuscleNet::initialize(std::uint64_t seed) {
  c10::InferenceMode guard;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (std::size_t i = 0; i < impl_->weights.size(); ++i) {
    const double fan_out = static_cast<double>(impl_->weights[i].size(0));
    const double fan_in = static_cast<double>(impl_->weights[i].size(1));
    const double bound = std::sqrt(6.0 / (fan_in + fan_out));  // Xavier-uniform
    impl_->weights[i].uniform_(-bound, bound, gen);
    impl_->biases[i].zero_();
  }
}

Eigen::MatrixXf MuscleNet::activations(const Eigen::MatrixXf& muscle_torques,
                                       const Eigen::MatrixXf& desired_torques) const {
  if (muscle_torques.rows() != desired_torques.rows())
    throw std::invalid_argument("muscle network: batch sizes differ");
  if (muscle_torques.cols() + desired_torques.cols() != input_dim_)
    throw std::invalid_argument("muscle network: inputs have " +
                                std::to_string(muscle_torques.cols() + desired_torques.cols()) + " columns, expected " +
                                std::to_string(input_dim_));
  const auto batch = muscle_torques.rows();
  RowMatrixXf x(batch, input_dim_);
  x << muscle_torques, desired_torques;
  RowMatrixXf out(batch, num_muscles_);
  forward(x.data(), static_cast<int>(batch), out.data());
  return out;
}

void MuscleNet::forward(const float* input, int batch, float* output) const {
  if (batch < 1) throw std::invalid_argument("muscle network: batch must be at least 1");
  c10::InferenceMode guard;  // grad mode is thread-local: set it where the forward runs
  // from_blob only reads the caller's buffer: the scaling makes a new tensor.
  at::Tensor h = at::from_blob(const_cast<float*>(input), {batch, input_dim_}, at::kFloat) * input_scale_;
  for (std::size_t i = 0; i < impl_->weights.size(); ++i) {
    h = at::linear(h, impl_->weights[i], impl_->biases[i]);
    if (i + 1 < impl_->weights.size()) h = at::leaky_relu(h, 0.2);
  }
  h = at::relu(at::tanh(h)).contiguous();
  std::memcpy(output, h.data_ptr<float>(), sizeof(float) * static_cast<std::size_t>(batch) * num_muscles_);
}

void MuscleNet::useOneIntraOpThread() { at::set_num_threads(1); }
void MuscleNet::initWorkerThread() { at::init_num_threads(); }

}  // namespace bidir
