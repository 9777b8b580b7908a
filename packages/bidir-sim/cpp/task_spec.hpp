// Plain description of a walking task, filled from Python (bidir_sim.envs.task) after the env config,
// the model's symmetry and the reference motion have been checked there; CompiledTask (task.hpp) checks
// it against the model and derives everything else once. No DART or torch types.
#pragma once
#include <Eigen/Core>
#include <string>
#include <vector>

namespace bidir {

// The string choices of the spec as CompiledTask parses them.
enum class RewardType { GaitNet, DeepMimic, ScaDiver };
enum class MetabolicType { A, A2, MA, MA2 };
// What drives the actuated DoFs. Mass: muscles (driven by the muscle network) on every actuated DoF;
// MassLower: muscles below, SPD torques on the upper body; Pd: the SPD torques of the PD target on every
// actuated DoF, no muscles ("ideal torque"); Torque: the policy's joint torques, no PD and no muscles;
// Muscle: the policy's muscle activations (no muscle network) and the PD residual of the upper body.
enum class Actuator { Mass, MassLower, Pd, Torque, Muscle };

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
  std::string type = "gaitnet";     // gaitnet | deepmimic | scadiver
  std::string metabolicType = "A";  // A | A2 | MA | MA2
  double metabolicWeight = 0.05, metabolicScale = 1.0;
  bool multiplicative = false;
  double torqueCoeff = 0.0;
  bool separateTorque = false;
  double headAccWeight = 4.0, headRotWeight = 4.0;
  double stepWeight = 2.0, stepClip = 0.075;
  double avgVelWeight = 6.0, avgVelWindow = 1.0, avgVelClip = -1.0;
  bool avgVelConsiderX = false;
  bool dragX = false;
  double dragXWeight = 1.0, dragXThreshold = 0.0;
  bool knee = false, kneeMax = false, kneeTermination = false;
  double kneeWeight = 1.0, kneeScale = 1.0, kneeMaxWeight = 1.0;
  int clipSteps = 0;
  double clipValue = 0.0;
};

// A gait parameter (ratio of the reference's stride or cadence), sampled at reset.
struct ParameterSpec {
  double min = 1.0, max = 1.0, defaultValue = 1.0;
  bool uniform = true;  // locations {0, 1/4, 1/2, 3/4, 1} of the range, else {0, 1}
};

// A training aid (issue #19): a PD "harness" on the pelvis that pulls the body's COM toward the reference's
// and the pelvis toward the reference's orientation. Its strength is set per env at run time
// (Env::setAssistScale, 0 = off, the default), so that training can fade it out and evaluation never has it.
struct AssistSpec {
  double kpPosition = 0.0, kdPosition = 0.0;  // N/m, N s/m on the COM error (world x, y, z)
  double kpRotation = 0.0, kdRotation = 0.0;  // N m/rad, N m s/rad on the pelvis orientation error
};

struct TaskSpec {
  int simHz = 480, controlHz = 30, horizon = 600;
  int inferencePerSim = 1;      // the muscle network and JtA run every this many substeps; activations held between
  bool truncateByTime = false;  // eoe_type time: truncate after 10 s instead of horizon steps
  double actionScale = 0.04;
  double timeWarping = 0.0;  // > 0: the last action dimension warps the phase by this factor
  std::string actuator =
      "mass_lower";             // mass | mass_lower (SPD torques drive upperDofs directly) | pd | torque | muscle
  double torqueScale = 0.5;     // torque: a unit action is kp x this (rad) of torque on each DoF
  bool pdMuscleTuples = false;  // pd: still compute the muscle network's tuples (tau_des, JtA)
  bool enforceSymmetry = false, hardPhaseClipping = false, includeJtpInSpd = false;
  bool forceVelocity = false, jointStateInObservation = true, normalizedParameters = false;

  // Structure of the model (from Python, chosen by body names and joint types, not indices).
  std::vector<int> upperDofs;     // DoFs (full indexing) that mass_lower drives with SPD torques
  std::vector<int> dofMirror;     // per DoF: the DoF it becomes in the mirror image
  Eigen::VectorXd dofMirrorSign;  // per DoF: sign of that mapping
  std::vector<int> bodyMirror;    // per body: its left/right partner (itself on the midline)
  std::vector<int> muscleMirror;  // per muscle: its partner
  int headBody = 0;
  int footBody[2] = {0, 0};       // right, left: the bodies whose COM is "the foot" (talus)
  int kneeBody[2] = {-1, -1};     // right, left tibia (-1: none; knee load is then 0)
  std::vector<int> endEffectors;  // deepmimic end effectors
  double fallHeight = 0.6;        // terminate when the COM is below this, m
  // Early termination (0: off): the head this far below its height at reset (m), or the pelvis this far
  // from the reference pelvis orientation (rad).
  double headDrop = 0.0, pelvisAngle = 0.0;

  RewardSpec reward;
  AssistSpec assist;
  ParameterSpec stride, cadence;
  ReferenceSpec reference;
};

}  // namespace bidir
