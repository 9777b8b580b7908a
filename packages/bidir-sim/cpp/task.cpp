#include "task.hpp"

#include <cmath>
#include <stdexcept>

#include "body_scale.hpp"
#include "model_internal.hpp"
#include "muscle_net.hpp"
#include "reward.hpp"

namespace bidir {

namespace {

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("task spec: " + what);
}

// Python resolves and checks the conditions of the env config (bidir_sim.envs.conditions); this guards the
// boundary: indices in range, ratios positive and finite, bones with a long axis, partners that are partners.
void checkConditions(const std::vector<ConditionSpec>& conditions, const Model& model) {
  const int count = static_cast<int>(conditions.size());
  for (const auto& c : conditions) {
    const std::string where = "condition '" + c.name + "': ";
    require(!c.indices.empty(), where + "selects no muscle or body");
    const int limit = c.onMuscles() ? model.numMuscles() : model.numBodies();
    for (int j : c.indices) require(j >= 0 && j < limit, where + "muscle or body index out of range");
    if (c.target == ConditionTarget::BoneLength || c.target == ConditionTarget::Torsion) {
      try {
        for (int b : c.indices) {
          longAxis(model.spec(), b);
          if (c.target == ConditionTarget::Torsion) internalRotationSign(model.spec(), b);
        }
      } catch (const std::invalid_argument& e) {
        require(false, where + e.what());
      }
    }
    const ParameterSpec& r = c.range;
    const bool ratio = c.target != ConditionTarget::Torsion;
    require(
        std::isfinite(r.min) && std::isfinite(r.max) && std::isfinite(r.defaultValue) && (!ratio || r.min > 0.0) &&
            r.min <= r.defaultValue && r.defaultValue <= r.max,
        where + (ratio ? "needs 0 < min <= default <= max, all finite" : "needs min <= default <= max, all finite"));
    require(c.mirror >= 0 && c.mirror < count, where + "mirror index out of range");
    const auto& partner = conditions[c.mirror];
    const bool sampled = CompiledTask::isSampled(r);
    require(partner.mirror == static_cast<int>(&c - conditions.data()) && partner.target == c.target &&
                CompiledTask::isSampled(partner.range) == sampled &&
                (!sampled || (partner.range.min == r.min && partner.range.max == r.max)),
            where + "its mirror partner '" + partner.name +
                "' must name it back, act on the same property and, "
                "when sampled, have the same range (the mirrored observation swaps them)");
  }
}

void checkSpec(const Model& model, const TaskSpec& s) {
  const int n = model.numDofs(), nb = model.numBodies(), nm = model.numMuscles();
  require(s.simHz > 0 && s.controlHz > 0 && s.simHz % s.controlHz == 0, "sim_hz must be a multiple of control_hz");
  require(s.horizon > 0, "horizon must be positive");
  require(s.inferencePerSim >= 1 && (s.simHz / s.controlHz) % s.inferencePerSim == 0,
          "inference_per_sim must divide the substeps of a control step");
  require(s.reference.samples.cols() == n, "reference motion has " + std::to_string(s.reference.samples.cols()) +
                                               " DoFs, the model " + std::to_string(n));
  require(static_cast<int>(s.dofMirror.size()) == n && s.dofMirrorSign.size() == n,
          "dofMirror needs one entry per DoF");
  require(static_cast<int>(s.bodyMirror.size()) == nb, "bodyMirror needs one entry per body");
  require(static_cast<int>(s.muscleMirror.size()) == nm, "muscleMirror needs one entry per muscle");
  for (int k : s.dofMirror) require(k >= 0 && k < n, "dofMirror entry out of range");
  for (int k : s.bodyMirror) require(k >= 0 && k < nb, "bodyMirror entry out of range");
  for (int k : s.muscleMirror) require(k >= 0 && k < nm, "muscleMirror entry out of range");
  for (int k : s.upperDofs) require(k >= 6 && k < n, "upperDofs entry out of range");
  for (int b : {s.headBody, s.footBody[0], s.footBody[1]}) require(b >= 0 && b < nb, "body index out of range");
  for (int b : s.kneeBody) require(b >= -1 && b < nb, "knee body index out of range");
  for (int b : s.endEffectors) require(b >= 0 && b < nb, "end effector out of range");
  require(nm > 0, "the model has no muscles");
  require(n > 6, "the model has no actuated DoFs");
  checkConditions(s.conditions, model);
}

// The spec's config read into its fields (readConfig), then checked against the model.
const std::shared_ptr<const Model>& checked(const std::shared_ptr<const Model>& model, TaskSpec& spec) {
  if (!model) throw std::invalid_argument("CompiledTask: model is null");
  readConfig(spec);
  checkSpec(*model, spec);
  return model;
}

RewardType parseRewardType(const std::string& t) {
  if (t == "gaitnet") return RewardType::GaitNet;
  if (t == "deepmimic") return RewardType::DeepMimic;
  if (t == "scadiver") return RewardType::ScaDiver;
  throw std::invalid_argument("task spec: unknown reward type '" + t + "' (gaitnet, deepmimic, scadiver)");
}

MetabolicType parseMetabolicType(const std::string& t) {
  if (t == "A") return MetabolicType::A;
  if (t == "A2") return MetabolicType::A2;
  if (t == "MA") return MetabolicType::MA;
  if (t == "MA2") return MetabolicType::MA2;
  throw std::invalid_argument("task spec: unknown metabolic type '" + t + "' (A, A2, MA, MA2)");
}

// The canonical names only: Python reads the reference's spellings (mass, mass_lower, muscle) as these.
ActuatorKind parseActuator(const std::string& t) {
  if (t == "muscle_net") return ActuatorKind::MuscleNet;
  if (t == "muscle_net_lower") return ActuatorKind::MuscleNetLower;
  if (t == "activations") return ActuatorKind::Activations;
  if (t == "pd") return ActuatorKind::Pd;
  if (t == "torque") return ActuatorKind::Torque;
  throw std::invalid_argument("task spec: unknown actuator '" + t +
                              "' (muscle_net, muscle_net_lower, activations, pd, torque)");
}

}  // namespace

CompiledTask::CompiledTask(std::shared_ptr<const Model> model, TaskSpec spec)
    : model_(checked(model, spec)), spec_(std::move(spec)), reference_(spec_.reference) {
  rewardType_ = parseRewardType(spec_.reward.type);
  metabolicType_ = parseMetabolicType(spec_.reward.metabolicType);
  actuator_ = parseActuator(spec_.actuator);
  ndof_ = model_->numDofs();
  nmus_ = model_->numMuscles();
  nbodies_ = model_->numBodies();
  kp_ = model_->kp();
  kv_ = model_->kv();
  lower_ = model_->positionLowerLimits();
  upper_ = model_->positionUpperLimits();
  muscleMass_.resize(nmus_);
  for (int j = 0; j < nmus_; ++j) muscleMass_[j] = model_->muscles()[j].mass;
  for (const auto& b : model_->spec().bodies) restRotation_.push_back(b.frame.topLeftCorner<3, 3>());
  rotationDof_.assign(ndof_, false);
  for (int k : spec_.reference.rotationDofs) rotationDof_[k] = rotationDof_[k + 1] = rotationDof_[k + 2] = true;
  rewardTerms_ = activeRewardTerms(spec_.reward, rewardType_);
  std::vector<bool> upperBody(ndof_, false);
  for (int d : spec_.upperDofs) upperBody[d] = true;
  for (int d = 6; d < ndof_; ++d)
    if (!upperBody[d]) legDofs_.push_back(d);
  buildLegWeights();
  for (const ConditionSpec& c : spec_.conditions) hasSkeletonConditions_ = hasSkeletonConditions_ || !c.onMuscles();
  boneAxes_.assign(nbodies_, Eigen::Vector3d::Zero());
  internalTwistSigns_.assign(nbodies_, 0.0);
  for (int b = 0; b < nbodies_ && hasSkeletonConditions_; ++b) {
    try {
      boneAxes_[b] = longAxis(model_->spec(), b);
      internalTwistSigns_[b] = internalRotationSign(model_->spec(), b);
    } catch (const std::invalid_argument&) {  // no long axis, or on the midline: no bone condition acts on it
    }
  }
  buildLayout();
  buildActionLayout();
}

// reward.imitation's weights: each foot body's joint is the ankle and its parent body's joint the knee (the
// gait analysis's hip / knee / ankle chain); every other leg DoF weighs 1.
void CompiledTask::buildLegWeights() {
  std::vector<double> dofWeight(ndof_, 1.0);
  const dart::dynamics::Skeleton& skel = *model_->impl().skeleton;
  auto weigh = [&](const dart::dynamics::BodyNode* body, double weight) {
    const dart::dynamics::Joint* joint = body->getParentJoint();
    for (std::size_t k = 0; k < joint->getNumDofs(); ++k) dofWeight[joint->getIndexInSkeleton(k)] = weight;
  };
  for (int foot : spec_.footBody) {
    if (spec_.reward.imitationWeight <= 0.0) break;  // no factor: nothing to weigh
    const dart::dynamics::BodyNode* ankle = skel.getBodyNode(foot);
    const dart::dynamics::BodyNode* shank = ankle->getParentBodyNode();
    if (shank == nullptr || shank->getParentBodyNode() == nullptr)
      throw std::invalid_argument("reward.imitation: foot body '" + ankle->getName() + "' has no shank above it");
    weigh(ankle, spec_.reward.imitationAnkleWeight);
    weigh(shank, spec_.reward.imitationKneeWeight);
  }
  legWeights_.clear();
  legWeightSum_ = 0.0;
  for (int d : legDofs_) {
    legWeights_.push_back(dofWeight[d]);
    legWeightSum_ += dofWeight[d];
  }
  if (!(legWeightSum_ > 0.0)) legWeightSum_ = 1.0;  // every weight 0: the factor is exp(0) = 1
}

void CompiledTask::buildActionLayout() {
  require(std::isfinite(spec_.torqueScale) && spec_.torqueScale > 0.0, "torqueScale must be positive");
  torqueLimits_ = kp_ * spec_.torqueScale;
  torqueLimits_.head<6>().setZero();
  actionDofs_.clear();
  if (actuator_ == ActuatorKind::Activations) {
    actionDofs_ = spec_.upperDofs;
  } else {
    for (int d = 6; d < ndof_; ++d) actionDofs_.push_back(d);
  }
  actionOfDof_.assign(ndof_, -1);
  for (std::size_t k = 0; k < actionDofs_.size(); ++k) {
    require(actionOfDof_[actionDofs_[k]] < 0, "upperDofs lists a DoF twice");
    actionOfDof_[actionDofs_[k]] = static_cast<int>(k);
  }
  // The mirrored half of the cycle reads the partner DoF's entry: the joint entries must be closed under it.
  for (int d : actionDofs_)
    require(actionOfDof_[spec_.dofMirror[d]] >= 0,
            "the mirror image of upper-body DoF " + std::to_string(d) + " is not an upper-body DoF");
  actionDim_ = static_cast<int>(actionDofs_.size()) + (actuator_ == ActuatorKind::Activations ? nmus_ : 0) +
               (hasTimeWarp() ? 1 : 0);
}

// The one definition of the observation's layout; Env::Impl::observe writes the blocks in this order
// and checks each block's size as it goes.
void CompiledTask::buildLayout() {
  const int nb = nbodies_, nact = numActuatedDofs();
  std::vector<std::pair<std::string, int>> blocks = {{"com_height", 3},
                                                     {"body_positions", 3 * nb},
                                                     {"body_rotations", 6 * nb},
                                                     {"body_velocities", 3 * nb},
                                                     {"com_velocity", 3},
                                                     {"body_angular_velocities", 3 * nb},
                                                     {"phase", 2}};
  if (rewardType_ == RewardType::GaitNet) blocks.emplace_back("next_step_z", 1);
  if (spec_.jointStateInObservation) {
    blocks.emplace_back("muscle_torque_min", nact);
    blocks.emplace_back("muscle_torque_max", nact);
    blocks.emplace_back("muscle_passive_torque", nact);
  }
  const int parameters = observesStride() + observesCadence();
  if (parameters > 0) blocks.emplace_back("gait_parameters", parameters);
  for (std::size_t i = 0; i < spec_.conditions.size(); ++i)
    if (isSampled(spec_.conditions[i].range)) observedConditions_.push_back(static_cast<int>(i));
  if (!observedConditions_.empty()) blocks.emplace_back("conditions", static_cast<int>(observedConditions_.size()));
  int start = 0;
  for (auto& [name, size] : blocks) {
    layout_.push_back({name, start, size});
    start += size;
  }
  obsDim_ = start;
}

const ObservationBlock& CompiledTask::block(const std::string& name) const {
  for (const auto& b : layout_)
    if (b.name == name) return b;
  throw std::out_of_range("the observation has no block '" + name + "'");
}

void CompiledTask::checkNetwork(const MuscleNet& net) const {
  require(net.inputDim() == networkInputDim(), "muscle network input is " + std::to_string(net.inputDim()) +
                                                   ", the task needs " + std::to_string(networkInputDim()));
  require(net.numMuscles() == nmus_, "muscle network has " + std::to_string(net.numMuscles()) + " outputs, the model " +
                                         std::to_string(nmus_) + " muscles");
  require(net.inputScale() == kNetworkInputScale, "muscle network input scale is " + std::to_string(net.inputScale()) +
                                                      ", the task's " + std::to_string(kNetworkInputScale));
}

Eigen::VectorXd CompiledTask::referencePose(double phase, double strideRatio) const {
  return reference_.pose(phase, strideRatio);
}

Eigen::VectorXd CompiledTask::positionDifference(const Eigen::VectorXd& a, const Eigen::VectorXd& b) const {
  // A pure function of its arguments: the prototype skeleton's state is not read.
  return model_->impl().skeleton->getPositionDifferences(a, b);
}

Eigen::VectorXd CompiledTask::referenceVelocity(double phase, double strideRatio, double cadenceRatio) const {
  const double dt = simDt(), cycle = reference_.duration() / cadenceRatio;
  return positionDifference(referencePose(phase + dt / cycle, strideRatio), referencePose(phase, strideRatio)) / dt;
}

}  // namespace bidir
