// Env's state, shared by its translation units (DART only):
//   env.cpp              the public API: construction, reset, the phases of the control step, accessors
//   env_episode.cpp      episode parameters, start pose, placing the body on the ground
//   env_substep.cpp      action -> reference pose and the actuator's command, and the substep pipeline
//   actuator*.cpp        what drives the actuated DoFs, one file per kind (actuator.hpp)
//   env_outcome.cpp      reward inputs, termination and the info vector at the end of a control step
//   env_observation.cpp  the observation, block by block in the task's layout
//   env_record.cpp       the optional gait record (contact forces, inverse dynamics) of every substep
#pragma once
#include <chrono>
#include <dart/dart.hpp>
#include <stdexcept>
#include <vector>

#include "env.hpp"
#include "gait_phase.hpp"
#include "reward.hpp"
#include "simulation_internal.hpp"

namespace bidir {

using Clock = std::chrono::steady_clock;
// Adds the seconds since `since` to `total` and restarts the stopwatch.
inline void lap(Clock::time_point& since, double& total) {
  const auto now = Clock::now();
  total += std::chrono::duration<double>(now - since).count();
  since = now;
}

class Actuator;

struct Env::Impl {
  Impl(std::shared_ptr<const CompiledTask> task, std::shared_ptr<MuscleNet> net, std::uint64_t seed);
  ~Impl();

  // --- shared, read-only
  std::shared_ptr<const CompiledTask> taskPtr;
  const CompiledTask& task;
  const TaskSpec& spec;
  std::shared_ptr<MuscleNet> net;

  // --- this env's physics
  Simulation sim;
  dart::dynamics::Skeleton& skel;
  dart::dynamics::SkeletonPtr kinematic;  // poses the reference for deepmimic's errors
  int ndof, nact, nmus, substeps;
  double dt, controlDt;

  // --- one episode
  std::mt19937_64 rng;
  bool started = false;
  double strideRatio = 1.0, cadenceRatio = 1.0, cycle = 1.0, episodeTime = 0.0;
  // The ratios the reference motion plays at: the gait's, and the body's size g (the skeleton conditions'
  // global scale) keeping the joint angles: stride x g, cycle time x sqrt(g) (dynamic similarity).
  double motionStride = 1.0, motionCadence = 1.0, bodySize = 1.0;
  // The factors the observation takes its quantities by (TaskSpec::similarObservation): a body of size g moving
  // as the healthy body would at lengths x g and times x sqrt(g) is observed as the healthy body (all 1 at g = 1).
  // Muscle torques: f0 x g^1.5 (the rest-length law) on moment arms x g.
  struct SimilarUnits {
    double length = 1.0, velocity = 1.0, angularVelocity = 1.0, muscleTorque = 1.0;
  } similar;
  double startPhase = 0.0;          // the reference's phase at reset (a non-cyclic motion ends at phase 1)
  Eigen::VectorXd conditions;       // the episode's condition values (CompiledTask::conditions)
  Eigen::VectorXd bodyConditions;   // the skeleton condition values the body was last scaled with (empty: none)
  Eigen::VectorXd fixedConditions;  // Env::fixConditions (empty: none)
  bool drawn = false;               // parameters were drawn at a reset before (Env::seed clears it)
  double drawnStride = 1.0, drawnCadence = 1.0;  // the last draws (a reset's given values hold for its episode)
  Eigen::VectorXd drawnConditions;
  long stepsSinceDraw = 0;  // control steps since they were (TaskSpec::resampleSteps)
  int steps = 0;
  bool mirrored = false;  // the current control step is mirrored
  GaitPhase phase;
  Eigen::VectorXd referencePose, target, targetVelocity;
  Eigen::Vector3d headVelocity, comStart;
  double headStartHeight = 0.0;
  std::vector<Eigen::Vector3d> comLog;  // COM after each substep, a ring of window + 1 entries
  long comCount = 0;
  double kneeLoadEpisodeMax = 0.0;

  // --- the control step in progress (beginStep .. endStep)
  bool inStep = false, stepOk = true;
  int tupleIndex = 0;
  double metabolic = 0, torque = 0, knee = 0, kneeMax = 0;  // summed over the substeps
  double assistForce = 0;                                   // |assist force|, summed over the substeps
  int substep = 0;                                          // substeps finished in this control step
  // --- the assist (TaskSpec::assist): its scale, and the reference COM at the step's start and end
  // (set by setTarget when the scale is > 0)
  double assistScale = 0.0;
  Eigen::Vector3d comRef0 = Eigen::Vector3d::Zero(), comRef1 = Eigen::Vector3d::Zero();
  Eigen::VectorXd q0, dq0;  // state at the step's start, restored if the physics diverges
  Clock::time_point stepStart;

  // --- gait recording (env_record.cpp)
  bool recording = false;
  GaitRecord record;
  std::vector<int> bodySide;  // per body: 0 right foot, 1 left foot, -1 another body

  // --- outputs
  Eigen::VectorXf obs;
  Eigen::VectorXd info;
  Eigen::VectorXd activations;
  MuscleTuple tuple;
  StepTimings timings;

  // --- what drives the actuated DoFs: the task's kind, made once (actuator.hpp)
  std::unique_ptr<Actuator> actuator;

  // --- scratch, sized once
  Eigen::VectorXd forces;               // the generalized forces of the substep
  Eigen::VectorXf netInput, netOutput;  // batch-1 network buffers of step()

  // env_episode.cpp
  void sampleEpisode(const ResetOptions& options);
  void sampleConditions(const Eigen::VectorXd& given, bool draw);  // and applies them to sim's body and muscles
  void lowerOntoGround();  // a scaled body: its lowest collision point onto the ground
  void placeOnGround();
  // env_substep.cpp
  void setTarget(const Eigen::VectorXf& action);
  void finishSubstep(const float* networkActivations);  // throws PhysicsDiverged
  void applyAssist();  // the assist's force and torque on the pelvis for the coming physics step
  // R_ref R^T of the pelvis: its rotation from the current orientation to the reference's at the step's end
  // (the free joint's rotations: the pelvis frame's fixed offset from its joint cancels).
  Eigen::Matrix3d pelvisRotationError() const;
  Eigen::Vector3d footPosition(int side) const;
  // env_record.cpp
  void recordStart();  // before the DART step: the state, activations and muscle tensions it starts from
  void recordEnd();    // after it: its contact forces and inverse dynamics
  // env_outcome.cpp
  double avgVelocityWindow() const;
  void finishStep(StepResult& out);
  void setEpisodeInfo();  // phase, gait parameters and mirroring of the coming step
  // env_observation.cpp
  void observe(bool mirror, Eigen::VectorXf& out);
};

}  // namespace bidir
