// Env's state, shared by its translation units (env.cpp: reset and step; env_observation.cpp). DART only.
#pragma once
#include <chrono>
#include <dart/dart.hpp>
#include <vector>

#include "env.hpp"
#include "gait_phase.hpp"
#include "reference_motion.hpp"
#include "reward.hpp"
#include "simulation_internal.hpp"

namespace bidir {

struct Env::Impl {
  Impl(std::shared_ptr<const Model> model, TaskSpec spec, std::shared_ptr<MuscleNet> net, std::uint64_t seed);

  // --- static for the env's life
  std::shared_ptr<const Model> model;
  TaskSpec spec;
  ReferenceMotion reference;
  std::shared_ptr<MuscleNet> net;
  Simulation sim;
  dart::dynamics::Skeleton& skel;
  dart::dynamics::SkeletonPtr kinematic;    // poses the reference for deepmimic's errors
  std::vector<Eigen::Matrix3d> restRotation;  // each body's world rotation at the zero pose
  int ndof, nact, nmus, substeps, obsDim, actDim;
  double dt, controlDt;
  Eigen::VectorXd kp, kv, lower, upper, muscleMass;
  std::vector<bool> rotationDof;          // DoF belongs to a ball/free rotation (composed, not added)
  enum class Energy { A, A2, MA, MA2 } energy = Energy::A;

  // --- one episode
  std::mt19937_64 rng;
  bool started = false;
  double strideRatio = 1.0, cadenceRatio = 1.0, cycle = 1.0, episodeTime = 0.0;
  int steps = 0;
  bool mirrored = false;                  // the current control step is mirrored
  GaitPhase phase;
  Eigen::VectorXd referencePose, target, targetVelocity;
  Eigen::Vector3d headVelocity, comStart;
  std::vector<Eigen::Vector3d> comLog;    // COM after each substep, a ring of window + 1 entries
  long comCount = 0;
  double kneeLoadEpisodeMax = 0.0;

  // --- the control step in progress (beginStep .. endStep)
  bool inStep = false, stepOk = true;
  int tupleIndex = 0;
  double metabolic = 0, torque = 0, knee = 0, kneeMax = 0;  // summed over the substeps
  Eigen::VectorXd q0, dq0;                // state at the step's start, restored if the physics diverges
  Eigen::VectorXd spd;                    // SPD forces of the current substep
  std::chrono::steady_clock::time_point stepStart;

  // --- outputs
  Eigen::VectorXf obs;
  Eigen::VectorXd info;
  Eigen::VectorXd activations;
  MuscleTuple tuple;
  StepTimings timings;

  // --- scratch, sized once
  Eigen::VectorXd forces, ext, tauDes;
  Eigen::MatrixXd jtaIn;                  // JtA of the mirrored body
  Eigen::VectorXf netInput, netOutput;   // batch-1 network buffers of step()

  // env.cpp
  void sampleEpisode(const ResetOptions& options);
  void placeOnGround();
  void setTarget(const Eigen::VectorXf& action);
  void prepareSubstep(int index, float* networkInput);
  bool finishSubstep(const float* networkActivations);
  double muscleEnergy(const Eigen::VectorXd& a) const;
  Eigen::Vector3d footPosition(int side) const;
  double avgVelocityWindow() const;
  void finishStep(StepResult& out);

  // env_observation.cpp
  void observe(bool mirror, Eigen::VectorXf& out);
};

}  // namespace bidir
