// The compiled task: what an env config becomes once, checked against its Model and shared read-only by
// every Env of a batch (the way Model is). It owns the validated TaskSpec, the choices as enums, every
// derived size, the observation layout, the muscle network's input size and scale, and the reference
// motion. Envs hold only episode state. No DART or torch types here.
#pragma once
#include <Eigen/Core>
#include <memory>
#include <string>
#include <vector>

#include "model.hpp"
#include "reference_motion.hpp"
#include "task_spec.hpp"

namespace bidir {

class MuscleNet;

// A named, contiguous range of the observation vector.
struct ObservationBlock {
  std::string name;
  int start = 0, size = 0;
};

class CompiledTask {
 public:
  // Throws std::invalid_argument naming what is wrong with the spec for this model.
  CompiledTask(std::shared_ptr<const Model> model, TaskSpec spec);

  const Model& model() const { return *model_; }
  const std::shared_ptr<const Model>& modelPtr() const { return model_; }
  const TaskSpec& spec() const { return spec_; }
  RewardType rewardType() const { return rewardType_; }
  MetabolicType metabolicType() const { return metabolicType_; }
  ActuatorKind actuator() const { return actuator_; }

  // --- sizes
  int numDofs() const { return ndof_; }
  int numActuatedDofs() const { return ndof_ - 6; }  // everything but the free root
  int numMuscles() const { return nmus_; }
  int numBodies() const { return nbodies_; }
  int substeps() const { return spec_.simHz / spec_.controlHz; }
  // Whether the muscle network drives the muscles (muscle_net, muscle_net_lower); it never runs otherwise.
  bool usesMuscleNetwork() const {
    return actuator_ == ActuatorKind::MuscleNet || actuator_ == ActuatorKind::MuscleNetLower;
  }
  // Whether the muscle network (and JtA, tau_des) runs at this substep: every inferencePerSim-th one.
  bool runsNetworkAt(int substep) const { return usesMuscleNetwork() && substep % spec_.inferencePerSim == 0; }
  // Whether each control step yields a muscle tuple: where the network runs, and under pd with
  // muscle.learn_under_pd (the tuples need no activations).
  bool collectsMuscleTuples() const {
    return usesMuscleNetwork() || (actuator_ == ActuatorKind::Pd && spec_.pdMuscleTuples);
  }
  double simDt() const { return 1.0 / spec_.simHz; }
  double controlDt() const { return 1.0 / spec_.controlHz; }
  int observationDim() const { return obsDim_; }
  // The action: joint entries (every actuated DoF, or under activations the upper body's), then under
  // activations one activation per muscle, then the time warp when the task has one.
  int actionDim() const { return actionDim_; }
  // The DoF (full indexing) each joint entry of the action drives, in action order: every actuated DoF,
  // or under activations the upper-body DoFs only.
  const std::vector<int>& actionDofs() const { return actionDofs_; }
  // The action entry that drives `dof`, or -1.
  int actionOfDof(int dof) const { return actionOfDof_[dof]; }
  // Under activations: the action index of muscle 0's activation (-1 otherwise).
  int firstActivationAction() const {
    return actuator_ == ActuatorKind::Activations ? static_cast<int>(actionDofs_.size()) : -1;
  }
  // Under torque: the torque of a unit action per DoF (kp x torqueScale; zero on the root).
  const Eigen::VectorXd& torqueLimits() const { return torqueLimits_; }
  bool hasTimeWarp() const { return spec_.timeWarping > 0.0; }
  // The gait parameters (stride, cadence) whose range is wide enough to be sampled and observed.
  bool observesStride() const { return isSampled(spec_.stride); }
  bool observesCadence() const { return isSampled(spec_.cadence); }
  // A parameter is sampled at reset (and observed) when its range is wider than 1e-3; else it is fixed.
  static bool isSampled(const ParameterSpec& p) { return p.max - p.min > 1e-3; }
  // The anatomical conditions (TaskSpec::conditions) and, in observation order, those that are sampled.
  const std::vector<ConditionSpec>& conditions() const { return spec_.conditions; }
  // Whether some condition acts on the skeleton (the env then scales its own body at reset).
  bool hasSkeletonConditions() const { return hasSkeletonConditions_; }
  // Per body, for its bone length and torsion conditions (body_scale.hpp): its long axis in its own frame, and the
  // sign of the twist that rotates it internally; zero for a body that has none (no child; on the midline).
  const std::vector<Eigen::Vector3d>& boneAxes() const { return boneAxes_; }
  const std::vector<double>& internalTwistSigns() const { return internalTwistSigns_; }
  const std::vector<int>& observedConditions() const { return observedConditions_; }

  // --- the observation: blocks in order, covering [0, observationDim())
  const std::vector<ObservationBlock>& observationLayout() const { return layout_; }
  const ObservationBlock& block(const std::string& name) const;  // throws std::out_of_range

  // --- the muscle network: input row = JtA_reduced (muscle_dofs) then tau_des (actuated DoFs),
  // multiplied by the input scale inside the network.
  int networkInputDim() const { return model_->muscleDofs() + numActuatedDofs(); }
  static constexpr float kNetworkInputScale = 1.0f / 200.0f;
  // Throws std::invalid_argument unless the network fits this task (sizes and input scale).
  void checkNetwork(const MuscleNet& net) const;

  // --- reward: the Info entries (reward.hpp) this task's reward type computes; the others stay 1 or 0.
  const std::vector<int>& rewardTerms() const { return rewardTerms_; }

  // --- the reference motion
  const ReferenceMotion& reference() const { return reference_; }
  // Joint positions at `phase` (cycles); the forward root translation scaled by strideRatio.
  Eigen::VectorXd referencePose(double phase, double strideRatio = 1.0) const;
  // Joint velocities at `phase`: the position difference over one physics step (DART's convention for
  // ball and free joints), at the cycle duration duration / cadenceRatio.
  Eigen::VectorXd referenceVelocity(double phase, double strideRatio = 1.0, double cadenceRatio = 1.0) const;
  // The position difference a - b of two poses (DART's convention), for the task's own derivatives.
  Eigen::VectorXd positionDifference(const Eigen::VectorXd& a, const Eigen::VectorXd& b) const;

  // --- per-DoF and per-muscle constants of the model the task reads every step
  const Eigen::VectorXd& kp() const { return kp_; }
  const Eigen::VectorXd& kv() const { return kv_; }
  const Eigen::VectorXd& lowerLimits() const { return lower_; }
  const Eigen::VectorXd& upperLimits() const { return upper_; }
  const Eigen::VectorXd& muscleMass() const { return muscleMass_; }
  bool isRotationDof(int dof) const { return rotationDof_[dof]; }
  // The legs' DoFs (full indexing): every actuated DoF that is not upper body (TaskSpec::upperDofs).
  const std::vector<int>& legDofs() const { return legDofs_; }
  // reward.imitation's weight of each legDofs() entry (the knees' and ankles' DoFs by their keys, the rest 1),
  // and their sum.
  const std::vector<double>& legWeights() const { return legWeights_; }
  double legWeightSum() const { return legWeightSum_; }
  const Eigen::Matrix3d& restRotation(int body) const { return restRotation_[body]; }

 private:
  void buildLayout();

  std::shared_ptr<const Model> model_;
  TaskSpec spec_;
  ReferenceMotion reference_;
  RewardType rewardType_ = RewardType::GaitNet;
  MetabolicType metabolicType_ = MetabolicType::A;
  ActuatorKind actuator_ = ActuatorKind::MuscleNetLower;
  void buildActionLayout();
  void buildLegWeights();

  int ndof_ = 0, nmus_ = 0, nbodies_ = 0, obsDim_ = 0, actionDim_ = 0;
  std::vector<int> actionDofs_, actionOfDof_, legDofs_;
  std::vector<double> legWeights_;
  double legWeightSum_ = 1.0;
  std::vector<int> observedConditions_;
  bool hasSkeletonConditions_ = false;
  std::vector<Eigen::Vector3d> boneAxes_;
  std::vector<double> internalTwistSigns_;
  Eigen::VectorXd torqueLimits_;
  std::vector<ObservationBlock> layout_;
  std::vector<int> rewardTerms_;
  Eigen::VectorXd kp_, kv_, lower_, upper_, muscleMass_;
  std::vector<bool> rotationDof_;
  std::vector<Eigen::Matrix3d> restRotation_;
};

}  // namespace bidir
