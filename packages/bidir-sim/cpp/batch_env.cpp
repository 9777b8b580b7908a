#include "batch_env.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <string>

#include "reward.hpp"

namespace bidir {

namespace {

// Runs fn and rethrows what it throws with `label` in front, keeping the exception's kind (the bindings
// turn invalid_argument into ValueError, out_of_range into IndexError, the rest into RuntimeError).
template <class F>
void labelled(const std::string& label, F&& fn) {
  try {
    fn();
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(label + ": " + e.what());
  } catch (const std::out_of_range& e) {
    throw std::out_of_range(label + ": " + e.what());
  } catch (const std::logic_error& e) {
    throw std::logic_error(label + ": " + e.what());
  } catch (const std::exception& e) {
    throw std::runtime_error(label + ": " + e.what());
  }
}

std::string envLabel(int i) { return "env " + std::to_string(i); }

}  // namespace

BatchEnv::BatchEnv(std::shared_ptr<const CompiledTask> task, std::shared_ptr<MuscleNet> net, int numEnvs,
                   int numThreads, std::uint64_t seed, NetworkMode mode, int networkBatch)
    : task_(task ? std::move(task) : throw std::invalid_argument("BatchEnv: the task is null")),
      pool_((MuscleNet::useOneIntraOpThread(), numThreads), [] { MuscleNet::initWorkerThread(); }),
      net_(std::move(net)),
      mode_(mode),
      networkBatch_(networkBatch),
      groupSize_(mode == NetworkMode::PerEnv ? 1 : networkBatch) {
  if (networkBatch < 1) throw std::invalid_argument("BatchEnv: nn_batch must be at least 1");
  if (numEnvs < 1) throw std::invalid_argument("BatchEnv: num_envs must be at least 1");
  if (!net_) throw std::invalid_argument("BatchEnv: the muscle network is null");
  task_->checkNetwork(*net_);
  envs_.resize(static_cast<std::size_t>(numEnvs));
  // Built in parallel: each env clones the skeleton and sets up its DART world; all share the task.
  pool_.parallelFor(
      numEnvs, [&](int i) { labelled(envLabel(i), [&] { envs_[i] = std::make_unique<Env>(task_, net_, seed + i); }); });
  const int n = numEnvs;
  obs_ = RowMatrixXf::Zero(n, observationDim());
  rewards_ = episodeReturn_ = Eigen::VectorXd::Zero(n);
  episodeLength_ = Eigen::VectorXi::Zero(n);
  terminated_ = truncated_ = wasReset_ = VectorXb::Constant(n, false);
  needsReset_ = VectorXb::Constant(n, true);
  info_ = RowMatrixXd::Zero(n, kInfoSize);
  tupleTau_.resize(n);
  tupleReduced_.resize(n);
  tupleJtA_.resize(n);
  netInput_ = RowMatrixXf::Zero(n, task_->networkInputDim());
  netOutput_ = RowMatrixXf::Zero(n, net_->numMuscles());
  stepping_ = VectorXb::Constant(n, false);
}

std::pair<double, long> BatchEnv::takeNetworkTime() {
  const std::pair<double, long> out{networkSeconds_, networkCalls_};
  networkSeconds_ = 0.0;
  networkCalls_ = 0;
  return out;
}

void BatchEnv::setAssistScale(double scale) {
  for (auto& env : envs_) env->setAssistScale(scale);
}

void BatchEnv::seed(std::uint64_t seed) {
  for (int i = 0; i < numEnvs(); ++i) envs_[i]->seed(seed + static_cast<std::uint64_t>(i));
}

void BatchEnv::reset() {
  pool_.parallelFor(numEnvs(), [&](int i) {
    labelled(envLabel(i), [&] {
      obs_.row(i) = envs_[i]->reset().transpose();
      info_.row(i) = envs_[i]->info().transpose();
    });
  });
  rewards_.setZero();
  episodeReturn_.setZero();
  episodeLength_.setZero();
  terminated_.setConstant(false);
  truncated_.setConstant(false);
  wasReset_.setConstant(true);
  needsReset_.setConstant(false);
}

void BatchEnv::recordTuple(int i) {
  const MuscleTuple& t = envs_[i]->muscleTuple();
  tupleTau_[i].insert(tupleTau_[i].end(), t.desiredTorque.data(), t.desiredTorque.data() + t.desiredTorque.size());
  tupleReduced_[i].insert(tupleReduced_[i].end(), t.JtAReduced.data(), t.JtAReduced.data() + t.JtAReduced.size());
  // JtA is column-major in Eigen; store it row-major ((dofs-6) x muscles) like numpy expects.
  const RowMatrixXf rowMajor = t.JtA;
  tupleJtA_[i].insert(tupleJtA_[i].end(), rowMajor.data(), rowMajor.data() + rowMajor.size());
}

void BatchEnv::step(const Eigen::Ref<const RowMatrixXf>& actions) {
  if (actions.rows() != numEnvs() || actions.cols() != actionDim())
    throw std::invalid_argument("actions have shape (" + std::to_string(actions.rows()) + ", " +
                                std::to_string(actions.cols()) + "), expected (" + std::to_string(numEnvs()) + ", " +
                                std::to_string(actionDim()) + ")");
  for (Eigen::Index i = 0; i < actions.rows(); ++i)
    for (Eigen::Index j = 0; j < actions.cols(); ++j)
      if (!std::isfinite(actions(i, j)))
        throw std::invalid_argument("actions[" + std::to_string(i) + ", " + std::to_string(j) + "] is " +
                                    std::to_string(actions(i, j)) + "; actions must be finite");
  const int groups = (numEnvs() + groupSize_ - 1) / groupSize_;
  pool_.parallelFor(groups, [&](int g) { stepGroup(g, actions); });
}

// The next-step autoreset of env i: reset, reward 0, episode statistics cleared.
void BatchEnv::resetEnv(int i) {
  Env& env = *envs_[i];
  obs_.row(i) = env.reset().transpose();
  info_.row(i) = env.info().transpose();
  rewards_[i] = 0.0;
  terminated_[i] = truncated_[i] = false;
  wasReset_[i] = true;
  needsReset_[i] = false;
  episodeReturn_[i] = 0.0;
  episodeLength_[i] = 0;
}

void BatchEnv::finishEnvStep(int i, const StepResult& r) {
  const Env& env = *envs_[i];
  obs_.row(i) = env.observation().transpose();
  info_.row(i) = env.info().transpose();
  rewards_[i] = r.reward;
  terminated_[i] = r.terminated;
  truncated_[i] = r.truncated;
  wasReset_[i] = false;
  needsReset_[i] = r.terminated || r.truncated;
  episodeReturn_[i] += r.reward;
  episodeLength_[i] += 1;
  if (!info_(i, kSimError) && task_->collectsMuscleTuples()) recordTuple(i);
}

// One control step of the envs [g * groupSize_, (g + 1) * groupSize_), one task of the pool, in lockstep:
// per substep each env's prepare (its network input row), one forward over the group's rows where the network
// runs, each env's finish. Envs due for a reset are reset instead, their rows idling along: groups are fixed,
// so every float is independent of the number of threads.
void BatchEnv::stepGroup(int g, const Eigen::Ref<const RowMatrixXf>& actions) {
  const int first = g * groupSize_, last = std::min(numEnvs(), first + groupSize_), substeps = task_->substeps();
  // Errors name the env; the envs of a failed group are reset by the next step.
  int current = first, active = 0;
  try {
    for (current = first; current < last; ++current) {
      stepping_[current] = !needsReset_[current];
      if (stepping_[current]) {
        envs_[current]->beginStep(actions.row(current).transpose());
        active += 1;
      } else {
        resetEnv(current);
      }
    }
    double seconds = 0.0;
    long calls = 0;
    for (int k = 0; k < substeps && active > 0; ++k) {
      // A diverged env's row keeps its last input: harmless, its output is ignored.
      for (current = first; current < last; ++current)
        if (stepping_[current]) envs_[current]->prepareSubstep(k, netInput_.row(current).data());
      current = -1;
      if (task_->runsNetworkAt(k)) {
        const auto start = std::chrono::steady_clock::now();
        net_->forward(netInput_.row(first).data(), last - first, netOutput_.row(first).data());
        seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        calls += 1;
      }
      for (current = first; current < last; ++current)
        if (stepping_[current]) envs_[current]->finishSubstep(k, netOutput_.row(current).data());
    }
    for (current = first; current < last; ++current) {
      if (!stepping_[current]) continue;
      envs_[current]->addNetworkTime(seconds / active);
      finishEnvStep(current, envs_[current]->endStep());
    }
    std::lock_guard<std::mutex> lock(networkTimeMutex_);
    networkSeconds_ += seconds;
    networkCalls_ += calls;
  } catch (...) {
    for (int i = first; i < last; ++i) needsReset_[i] = true;
    const std::string label =
        current >= 0        ? envLabel(current)
        : last - first == 1 ? envLabel(first) + ": the muscle network"
                            : "the muscle network on envs " + std::to_string(first) + "-" + std::to_string(last - 1);
    labelled(label, [] { throw; });
  }
}

MuscleTuples BatchEnv::collectMuscleTuples() {
  const int n = numEnvs();
  const Eigen::Index nact = envs_[0]->muscleTuple().desiredTorque.size();
  const Eigen::Index nred = envs_[0]->muscleTuple().JtAReduced.size();
  const Eigen::Index njta = envs_[0]->muscleTuple().JtA.size();
  Eigen::Index total = 0;
  for (int i = 0; i < n; ++i) total += static_cast<Eigen::Index>(tupleTau_[i].size()) / nact;
  MuscleTuples out;
  out.desiredTorque.resize(total, nact);
  out.JtAReduced.resize(total, nred);
  out.JtA.resize(total, njta);
  out.env.resize(total);
  Eigen::Index row = 0;
  for (int i = 0; i < n; ++i) {
    const Eigen::Index k = static_cast<Eigen::Index>(tupleTau_[i].size()) / nact;
    out.desiredTorque.middleRows(row, k) = Eigen::Map<const RowMatrixXf>(tupleTau_[i].data(), k, nact);
    out.JtAReduced.middleRows(row, k) = Eigen::Map<const RowMatrixXf>(tupleReduced_[i].data(), k, nred);
    out.JtA.middleRows(row, k) = Eigen::Map<const RowMatrixXf>(tupleJtA_[i].data(), k, njta);
    out.env.segment(row, k).setConstant(i);
    row += k;
    tupleTau_[i].clear();
    tupleReduced_[i].clear();
    tupleJtA_[i].clear();
  }
  return out;
}

}  // namespace bidir
