// Plain description of a walking task, filled from Python (bidir_sim.envs.task) after the env config,
// the model's symmetry and the reference motion have been checked there; CompiledTask (task.hpp) checks
// it against the model and derives everything else once. No DART or torch types.
//
// The env config's keys arrive as one map (TaskSpec::config), declared once by the dataclasses of
// bidir_sim/envs/config.py (type, default, range, meaning); readConfig (task_config.cpp) copies each into the
// fields below, which hold no defaults of their own (zero until read). The structure derived from the model
// (mirror maps, bodies, upper DoFs, the reference samples) is filled explicitly by Python.
#pragma once
#include <Eigen/Core>
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace bidir {

// One env config value, of the type its dataclass field declares (bool, int, float, str).
using ConfigValue = std::variant<bool, std::int64_t, double, std::string>;
// Dotted YAML key relative to `environment.` ("reward.metabolic.weight"; the top-level "Horizon") -> value.
using ConfigValues = std::map<std::string, ConfigValue>;

// The string choices of the spec as CompiledTask parses them.
enum class RewardType { GaitNet, DeepMimic, ScaDiver };
enum class MetabolicType { A, A2, MA, MA2 };
// What drives the actuated DoFs (skeleton.actuator), one class each in actuator_<name>.cpp (actuator.hpp):
// MuscleNet: muscles, driven by the muscle network, on every actuated DoF; MuscleNetLower: those muscles below,
// SPD torques on the upper body; Activations: the policy's muscle activations (no muscle network) and the
// upper body's PD residual; Pd: the SPD torques of the PD target on every actuated DoF, no muscles ("ideal
// torque"); Torque: the policy's joint torques, no PD and no muscles.
enum class ActuatorKind { MuscleNet, MuscleNetLower, Activations, Pd, Torque };

// One gait cycle of joint positions, sampled at equal phase steps.
struct ReferenceSpec {
  Eigen::MatrixXd samples;        // (frames x dofs); root translation relative to the cycle start
  double stride = 1.0;            // forward (root z) advance per cycle at stride ratio 1, m
  double duration = 1.0;          // s per cycle at cadence ratio 1
  std::vector<int> rotationDofs;  // first DoF of each ball/free rotation (interpolated as rotations)
  double rightHeelStrike = 0.0;   // phase of the right heel strike; the right stance half starts here
  // A cyclic motion repeats with the root advancing a stride per cycle; a non-cyclic one (a captured clip
  // that does not loop) starts each episode at its beginning and truncates it at its end.
  bool cyclic = true;
};

struct RewardSpec {
  std::string type{};           // gaitnet | deepmimic | scadiver
  std::string metabolicType{};  // A | A2 | MA | MA2
  double metabolicWeight{}, metabolicScale{};
  bool multiplicative{};
  double torqueCoeff{};
  bool separateTorque{};
  double headAccWeight{}, headRotWeight{};
  double stepWeight{}, stepClip{};
  double avgVelWeight{}, avgVelWindow{}, avgVelClip{};
  bool avgVelConsiderX{};
  bool dragX{};
  double dragXWeight{}, dragXThreshold{};
  bool knee{}, kneeMax{}, kneeTermination{};
  double kneeWeight{}, kneeScale{}, kneeMaxWeight{};
  double imitationWeight{};                                    // gaitnet's leg-pose imitation factor (0: none)
  double imitationKneeWeight{1.0}, imitationAnkleWeight{1.0};  // a knee's / an ankle's DoFs in its weighted mean
  int clipSteps{};
  double clipValue{};
};

// How a parameter is drawn at reset (its `sampling` key): the reference's rule, a location of the range (one of
// {0, 1/4, 1/2, 3/4, 1}, or {0, 1}) plus N(0, 0.025) noise; a plain uniform draw over the range; or none (Default:
// observed over its range but held at its default unless a reset gives it, as a training mixture's presets do).
enum class Sampling { Locations, Extremes, Continuous, Default };

// A parameter of the episode (a gait ratio, an anatomical condition), sampled at reset when its range is wider
// than 1e-3 (CompiledTask::isSampled), else fixed at its default.
struct ParameterSpec {
  double min{}, max{}, defaultValue{};
  Sampling sampling{};
};

// What an anatomical condition acts on (docs/conditions.md). On muscles: f0 (MuscleForce: weakness), or the optimal
// fibre length, the muscle belly's rest length (MuscleLength: contracture; the tendon as it was). On
// bodies: all three axes (BodyScale: the global scale), the long axis (BoneLength), or a twist about the long axis
// at the parent joint (Torsion, rad, positive internal: body_scale.hpp).
enum class ConditionTarget { MuscleForce, MuscleLength, BodyScale, BoneLength, Torsion };

// One anatomical condition of the task (issue #29), drawn at reset. The env config's keys (a muscle selector, a
// bone and side) are resolved to muscles or bodies in Python (bidir_sim.envs.conditions); conditions on the same
// muscle or body multiply (torsions add).
struct ConditionSpec {
  std::string name;  // its config key below `parameters.`: "muscle.dorsiflexors.left.force", "skeleton.global"
  ConditionTarget target{};
  std::vector<int> indices;  // model muscle indices (MuscleForce, MuscleLength) or body indices, ascending
  ParameterSpec range;
  int mirror = 0;  // the index of its left/right partner among the task's conditions (itself: none)

  bool onMuscles() const { return target == ConditionTarget::MuscleForce || target == ConditionTarget::MuscleLength; }
};

// A training aid (issue #19): a PD "harness" on the pelvis that pulls the body's COM toward the reference's
// and the pelvis toward the reference's orientation. Its strength is set per env at run time
// (Env::setAssistScale, 0 = off, the default), so that training can fade it out and evaluation never has it.
struct AssistSpec {
  double kpPosition{}, kdPosition{};  // N/m, N s/m on the COM error (world x, y, z)
  double kpRotation{}, kdRotation{};  // N m/rad, N m s/rad on the pelvis orientation error
};

struct TaskSpec {
  ConfigValues config;  // every key of the env config (bidir_sim.envs.config.config_values)
  // Read from config by readConfig:
  int simHz{}, controlHz{}, horizon{};
  int inferencePerSim{};  // the muscle network and JtA run every this many substeps; activations held between
  bool truncateByTime{};  // eoe_type time: truncate after 10 s instead of horizon steps
  double actionScale{};
  double timeWarping{};   // > 0: the last action dimension warps the phase by this factor
  std::string actuator;   // muscle_net | muscle_net_lower | activations | pd | torque (ActuatorKind)
  double torqueScale{};   // torque: a unit action is kp x this (rad) of torque on each DoF
  bool pdMuscleTuples{};  // pd: still compute the muscle network's tuples (tau_des, JtA)
  bool enforceSymmetry{}, hardPhaseClipping{}, includeJtpInSpd{};
  bool forceVelocity{}, jointStateInObservation{}, normalizedParameters{};
  // Early termination (0: off): the head this far below its height at reset (m), or the pelvis this far
  // from the reference pelvis orientation (rad).
  double headDrop{}, pelvisAngle{};
  RewardSpec reward;
  AssistSpec assist;
  ParameterSpec stride, cadence;
  // Draw the gait parameters and conditions at a reset only once more than this many control steps passed since
  // the last draw (the reference's 300); 0: at every reset.
  int resampleSteps{};
  // Under the skeleton conditions' global scale g, observe the body as the healthy one moving the dynamically
  // similar way (Env::Impl::SimilarUnits); false: in SI units at every size (the reference's observation).
  bool similarObservation{};
  std::vector<ConditionSpec> conditions;  // filled from Python (selectors resolved there)

  // Structure of the model (from Python, chosen by body names and joint types, not indices).
  std::vector<int> upperDofs;     // DoFs (full indexing) that muscle_net_lower and activations drive with SPD
  std::vector<int> dofMirror;     // per DoF: the DoF it becomes in the mirror image
  Eigen::VectorXd dofMirrorSign;  // per DoF: sign of that mapping
  std::vector<int> bodyMirror;    // per body: its left/right partner (itself on the midline)
  std::vector<int> muscleMirror;  // per muscle: its partner
  int headBody = 0;
  int footBody[2] = {0, 0};       // right, left: the bodies whose COM is "the foot" (talus)
  int kneeBody[2] = {-1, -1};     // right, left tibia (-1: none; knee load is then 0)
  std::vector<int> endEffectors;  // deepmimic end effectors
  double fallHeight = 0.6;        // terminate when the COM is below this, m

  ReferenceSpec reference;
};

// Fills the fields of `spec` that come from spec.config, each from its key; std::invalid_argument naming the key
// when it is missing or of another type. CompiledTask calls it first.
void readConfig(TaskSpec& spec);
// A `sampling` key's value as the enum; std::invalid_argument naming `key` for another value.
Sampling parseSampling(const std::string& name, const std::string& key);
// The `sampling` key's value of a Sampling (parseSampling's inverse).
std::string samplingName(Sampling sampling);

}  // namespace bidir
