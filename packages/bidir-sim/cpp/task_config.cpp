// The one path from the env config to the TaskSpec: each key of TaskSpec::config (named as the YAML writes
// it, declared with its type, default and range by bidir_sim/envs/config.py) read where the task is
// compiled. Adding a key: a dataclass field there, a line here, and its use (docs/architecture.md).
#include <algorithm>
#include <stdexcept>

#include "task_spec.hpp"

namespace bidir {

namespace {

template <class T>
const char* typeName() {
  if constexpr (std::is_same_v<T, bool>) return "bool";
  if constexpr (std::is_same_v<T, std::int64_t>) return "int";
  if constexpr (std::is_same_v<T, double>) return "float";
  return "str";
}

const char* typeOf(const ConfigValue& v) {
  static constexpr const char* kNames[] = {"bool", "int", "float", "str"};
  return kNames[v.index()];
}

// Typed access to the config's keys; a missing key or one of another type fails naming the key.
class ConfigReader {
 public:
  explicit ConfigReader(const ConfigValues& values) : values_(values) {}

  template <class T>
  const T& get(const std::string& key) const {
    const auto it = values_.find(key);
    if (it == values_.end()) throw std::invalid_argument("env config: key '" + key + "' is missing");
    if (const T* value = std::get_if<T>(&it->second)) return *value;
    throw std::invalid_argument("env config: key '" + key + "' must be of type " + typeName<T>() + ", got " +
                                typeOf(it->second));
  }
  bool flag(const std::string& key) const { return get<bool>(key); }
  double number(const std::string& key) const { return get<double>(key); }
  const std::string& text(const std::string& key) const { return get<std::string>(key); }
  int integer(const std::string& key) const {
    const std::int64_t v = get<std::int64_t>(key);
    if (v < -(std::int64_t{1} << 31) + 1 || v > (std::int64_t{1} << 31) - 1)
      throw std::invalid_argument("env config: key '" + key + "' must be less than 2**31 in magnitude");
    return static_cast<int>(v);
  }
  ParameterSpec parameter(const std::string& key) const {
    return {number(key + ".min"), number(key + ".max"), number(key + ".default"), sampling(key + ".sampling")};
  }
  Sampling sampling(const std::string& key) const { return parseSampling(text(key), key); }

 private:
  const ConfigValues& values_;
};

}  // namespace

Sampling parseSampling(const std::string& name, const std::string& key) {
  if (name == "uniform") return Sampling::Locations;
  if (name == "extremes") return Sampling::Extremes;
  if (name == "continuous") return Sampling::Continuous;
  if (name == "default") return Sampling::Default;
  throw std::invalid_argument("env config: key '" + key + "' must be uniform, extremes, continuous or default, got '" +
                              name + "'");
}

std::string samplingName(Sampling sampling) {
  switch (sampling) {
    case Sampling::Locations:
      return "uniform";
    case Sampling::Extremes:
      return "extremes";
    case Sampling::Continuous:
      return "continuous";
    case Sampling::Default:
      return "default";
  }
  return "";
}

void readConfig(TaskSpec& s) {
  const ConfigReader c(s.config);
  s.simHz = c.integer("simulation.sim_hz");
  s.controlHz = c.integer("simulation.control_hz");
  s.inferencePerSim = c.integer("simulation.inference_per_sim");
  s.horizon = c.integer("Horizon");
  s.truncateByTime = c.text("reward.eoe_type") == "time";
  s.actionScale = c.number("action.scale");
  s.timeWarping = std::max(c.number("action.time_warping"), 0.0);  // <= 0: no time-warp action
  s.torqueScale = c.number("action.torque_scale");
  s.actuator = c.text("skeleton.actuator");
  s.pdMuscleTuples = c.flag("muscle.learn_under_pd");
  s.forceVelocity = c.flag("muscle.use_velocity_force");
  s.jointStateInObservation = c.flag("muscle.use_joint_state");
  s.enforceSymmetry = c.flag("advanced.enforce_symmetry");
  s.hardPhaseClipping = c.flag("advanced.hard_phase_clipping");
  s.includeJtpInSpd = c.flag("advanced.include_jtp_in_spd");
  s.normalizedParameters = c.flag("advanced.use_normalized_param_state");
  s.headDrop = c.number("termination.head_drop");
  s.pelvisAngle = c.number("termination.pelvis_angle");
  s.assist = {c.number("assist.kp_position"), c.number("assist.kd_position"), c.number("assist.kp_rotation"),
              c.number("assist.kd_rotation")};
  s.stride = c.parameter("parameters.gait.stride");
  s.cadence = c.parameter("parameters.gait.cadence");
  s.resampleSteps = c.integer("parameters.resample_steps");
  s.similarObservation = c.flag("parameters.similar_observation");

  RewardSpec& r = s.reward;
  r.type = c.text("reward.type");
  r.clipSteps = c.integer("reward.clip.step");
  r.clipValue = c.number("reward.clip.value");
  r.metabolicType = c.text("reward.metabolic.type");
  r.metabolicWeight = c.number("reward.metabolic.weight");
  r.metabolicScale = c.number("reward.metabolic.scale");
  r.multiplicative = c.flag("reward.metabolic.multiplicative");
  r.torqueCoeff = c.number("reward.metabolic.torque.coeff");
  r.separateTorque = c.flag("reward.metabolic.torque.separate");
  r.headAccWeight = c.number("reward.locomotion.head_linear_acc_weight");
  r.headRotWeight = c.number("reward.locomotion.head_rot_weight");
  r.stepWeight = c.number("reward.locomotion.step.weight");
  r.stepClip = c.number("reward.locomotion.step.clip");
  r.avgVelWeight = c.number("reward.locomotion.avg_vel.weight");
  r.avgVelWindow = c.number("reward.locomotion.avg_vel.window_mult");
  r.avgVelClip = c.number("reward.locomotion.avg_vel.clip");
  r.avgVelConsiderX = c.flag("reward.locomotion.avg_vel.consider_x");
  r.dragX = c.flag("reward.locomotion.dragX.use");
  r.dragXWeight = c.number("reward.locomotion.dragX.weight");
  r.dragXThreshold = c.number("reward.locomotion.dragX.threshold");
  r.knee = c.flag("reward.knee_pain.use");
  r.kneeMax = r.knee && c.flag("reward.knee_pain.use_max");  // the max term only with the knee term
  r.kneeTermination = c.flag("reward.knee_pain.termination");
  r.kneeWeight = c.number("reward.knee_pain.weight");
  r.kneeScale = c.number("reward.knee_pain.scale");
  r.kneeMaxWeight = c.number("reward.knee_pain.max_weight");
  r.imitationWeight = c.number("reward.imitation.weight");
  r.imitationKneeWeight = c.number("reward.imitation.knee_weight");
  r.imitationAnkleWeight = c.number("reward.imitation.ankle_weight");
}

}  // namespace bidir
