// Many environments of one task stepped in parallel on a persistent thread pool. Envs are independent
// (own simulation and generator), so results do not depend on the number of threads. Autoreset follows
// gymnasium's NEXT_STEP mode: the step that ends an episode returns its final observation; the next step
// of that env resets it (ignoring its action) and returns the first observation with reward 0.
//
// Every step runs the envs in fixed groups, one task of the pool each, in lockstep substep by substep: the
// threads prepare each env's network input, run one forward over the group's rows, then finish the substep
// (env_substep.cpp). The network mode sets the group's size:
// - PerEnv: groups of one env, a batch-1 forward per substep.
// - Batched: groups of networkBatch envs (one forward over all envs when num_envs <= networkBatch). Blocks
//   always hold the same envs (rows of envs being reset idle along), so every float is independent of the
//   number of threads.
#pragma once
#include <Eigen/Core>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "env.hpp"
#include "thread_pool.hpp"

namespace bidir {

using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using VectorXb = Eigen::Matrix<bool, Eigen::Dynamic, 1>;  // one byte per env: safe to write from many threads

// Muscle tuples of many envs and steps, as contiguous arrays (row t: one tuple).
struct MuscleTuples {
  RowMatrixXf desiredTorque;  // (T x dofs-6)
  RowMatrixXf JtAReduced;     // (T x muscle_dofs)
  RowMatrixXf JtA;            // (T x (dofs-6) * muscles), each row a row-major (dofs-6) x muscles matrix
  Eigen::VectorXi env;        // (T) which env
};

enum class NetworkMode { PerEnv, Batched };
// Envs per lockstep group in Batched mode, unless asked otherwise (docs/performance.md: 4 keeps both
// threads busy at 8 envs and costs little against larger groups at 32).
constexpr int kDefaultNetworkBatch = 4;

class BatchEnv {
 public:
  // Errors inside a step are rethrown with the env they happened in ("env 5: ...").
  BatchEnv(std::shared_ptr<const CompiledTask> task, std::shared_ptr<MuscleNet> net, int numEnvs, int numThreads,
           std::uint64_t seed, NetworkMode mode = NetworkMode::Batched, int networkBatch = kDefaultNetworkBatch);

  NetworkMode networkMode() const { return mode_; }
  int networkBatch() const { return networkBatch_; }
  // Seconds spent in the network's forwards since the last call, and how many forwards; then zeroed.
  std::pair<double, long> takeNetworkTime();

  int numEnvs() const { return static_cast<int>(envs_.size()); }
  int numThreads() const { return pool_.size(); }
  const CompiledTask& task() const { return *task_; }
  const std::shared_ptr<const CompiledTask>& taskPtr() const { return task_; }
  int observationDim() const { return task_->observationDim(); }
  int actionDim() const { return task_->actionDim(); }

  // Env i gets seed + i (gymnasium's convention for vector envs).
  void seed(std::uint64_t seed);
  // Every env's assist scale (Env::setAssistScale) from the next step on.
  void setAssistScale(double scale);
  void reset();
  // actions: (num_envs x action_dim); all are checked (finite, shape) before any env steps.
  void step(const Eigen::Ref<const RowMatrixXf>& actions);

  const RowMatrixXf& observations() const { return obs_; }
  const Eigen::VectorXd& rewards() const { return rewards_; }
  const VectorXb& terminated() const { return terminated_; }
  const VectorXb& truncated() const { return truncated_; }
  const VectorXb& autoreset() const { return wasReset_; }                   // envs that were reset by this step
  const RowMatrixXd& info() const { return info_; }                         // (num_envs x kInfoSize)
  const Eigen::VectorXd& episodeReturns() const { return episodeReturn_; }  // so far (incl. this step)
  const Eigen::VectorXi& episodeLengths() const { return episodeLength_; }

  MuscleTuples collectMuscleTuples();  // and clear the buffer
  Env& env(int i) { return *envs_.at(static_cast<std::size_t>(i)); }

 private:
  void recordTuple(int i);
  void resetEnv(int i);
  void finishEnvStep(int i, const StepResult& r);
  void stepGroup(int g, const Eigen::Ref<const RowMatrixXf>& actions);
  std::shared_ptr<const CompiledTask> task_;
  ThreadPool pool_;
  std::shared_ptr<MuscleNet> net_;
  NetworkMode mode_;
  int networkBatch_;
  int groupSize_;                     // envs per lockstep group: 1 under PerEnv, else networkBatch_
  RowMatrixXf netInput_, netOutput_;  // one row per env
  VectorXb stepping_;                 // env is in a control step (not being reset)
  double networkSeconds_ = 0.0;
  long networkCalls_ = 0;
  std::mutex networkTimeMutex_;
  std::vector<std::unique_ptr<Env>> envs_;
  RowMatrixXf obs_;
  Eigen::VectorXd rewards_, episodeReturn_;
  Eigen::VectorXi episodeLength_;
  VectorXb terminated_, truncated_, needsReset_, wasReset_;
  RowMatrixXd info_;
  std::vector<std::vector<float>> tupleTau_, tupleReduced_, tupleJtA_;
};

}  // namespace bidir
