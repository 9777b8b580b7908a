// One walking-task environment: the episode state of a CompiledTask (a Simulation, the gait phase, the
// targets) and its control step with the muscle network, stepped at the control rate (reference-system.md
// §5). No DART or torch types here, so the batch and the bindings include it cheaply.
#pragma once
#include <Eigen/Core>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>

#include "gait_record.hpp"
#include "model.hpp"
#include "muscle_net.hpp"
#include "simulation.hpp"
#include "task.hpp"

namespace bidir {

// What the muscle network saw at one substep of a control step (chosen uniformly at random per step);
// the supervised muscle learner fits JtA * a to tau_des on these. Mirrored when the step was.
struct MuscleTuple {
  Eigen::VectorXf desiredTorque;  // tau_des (dofs - 6)
  Eigen::VectorXf JtAReduced;     // the network's muscle input (muscle_dofs)
  Eigen::MatrixXf JtA;            // (dofs - 6) x muscles
};

struct ResetOptions {
  static constexpr double kUnset = std::numeric_limits<double>::quiet_NaN();
  double phase = kUnset;    // start phase in cycles (NaN: sampled)
  double stride = kUnset;   // stride ratio (NaN: sampled from the config's range)
  double cadence = kUnset;  // cadence ratio (NaN: sampled)
  // One value per condition of the task (CompiledTask::conditions), NaN entries sampled; empty:
  // all sampled.
  Eigen::VectorXd conditions;
};

// Wall time spent in each part of the control steps since the last resetTimings(), in seconds.
struct StepTimings {
  double muscles = 0, spd = 0, network = 0, forces = 0, dart = 0, observation = 0, total = 0;
  long steps = 0;
};

struct StepResult {
  double reward = 0.0;
  bool terminated = false, truncated = false;
};

class Env {
 public:
  // The task and the network are shared: envs of one batch read the same task and weights.
  Env(std::shared_ptr<const CompiledTask> task, std::shared_ptr<MuscleNet> net, std::uint64_t seed);
  ~Env();
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  const CompiledTask& task() const;
  const std::shared_ptr<const CompiledTask>& taskPtr() const;

  void seed(std::uint64_t seed);
  const Eigen::VectorXf& reset(const ResetOptions& options = {});
  // Throws std::invalid_argument for a wrong size or a NaN/inf entry (naming the index), and
  // std::logic_error before the first reset. A diverging simulation (non-finite state, or a velocity
  // above the divergence limit) ends the episode with info()[kSimError] = 1 and the state of the step's
  // start; every other error propagates as an exception.
  StepResult step(const Eigen::Ref<const Eigen::VectorXf>& action);

  // The same control step in phases, so that a batch can run one muscle-network forward for many envs
  // per substep. step() is: beginStep; for each substep: prepareSubstep, the network (at the substeps
  // where task().runsNetworkAt(index); finishSubstep holds the last activations at the others),
  // finishSubstep; endStep. The network input row is the muscle input (JtA_reduced) then tau_des, unscaled, mirrored
  // like the step; the activations row is in the network's (possibly mirrored) muscle order.
  void beginStep(const Eigen::Ref<const Eigen::VectorXf>& action);  // validates like step()
  int substeps() const;
  bool prepareSubstep(int index, float* networkInput);  // false once this step's physics has diverged
  void finishSubstep(int index, const float* activations);
  StepResult endStep();

  const Eigen::VectorXf& observation() const;
  // The observation of the current state, mirrored or not (for tests of the symmetry).
  Eigen::VectorXf computeObservation(bool mirrored);
  const Eigen::VectorXd& info() const;  // indexed by the Info enum (reward.hpp)
  // The episode's condition values, one per CompiledTask::conditions() entry.
  const Eigen::VectorXd& conditions() const;
  // Conditions every later reset uses where its options give none (one value per condition, NaN: drawn; empty:
  // all drawn), e.g. an evaluation of one body. Throws std::invalid_argument for a wrong size or a value the
  // condition cannot take (a ratio <= 0, inf).
  void fixConditions(const Eigen::VectorXd& values);
  const Eigen::VectorXd& fixedConditions() const;
  int steps() const;      // control steps since reset
  double phase() const;   // local phase, cycles
  bool mirrored() const;  // whether the next step is mirrored

  const Eigen::VectorXd& activations() const;  // of the last substep
  const MuscleTuple& muscleTuple() const;
  const Eigen::VectorXd& referencePose() const;  // the reference pose the PD target is built on
  const Eigen::VectorXd& target() const;         // the PD target
  // World positions where the stance foot belongs (row 0) and where the swing foot should land (row 1).
  Eigen::Matrix<double, 2, 3, Eigen::RowMajor> stepTargets() const;
  void setMuscleNet(std::shared_ptr<MuscleNet> net);
  const StepTimings& timings() const;
  void resetTimings();
  // Adds the seconds of a muscle-network forward run for this env by a caller of the phases (BatchEnv: its
  // share of the group's forward) to timings().network.
  void addNetworkTime(double seconds);
  // The strength of the task's assist (TaskSpec::assist) from the next control step on: a factor on its
  // gains, >= 0 (0: off, the default). Throws std::invalid_argument for a negative or non-finite value.
  void setAssistScale(double scale);
  double assistScale() const;
  Simulation& simulation();
  // Gait recording (env_record.cpp): while on, every substep appends a row to the record (state, muscle
  // tensions, contact forces, inverse-dynamics moments); reset() empties it. Off by default: when off the
  // substep does no extra work.
  void setRecording(bool on);
  bool recording() const;
  GaitRecord takeRecord();  // the rows so far (the record is then empty)

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace bidir
