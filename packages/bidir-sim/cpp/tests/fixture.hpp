// A small walker for the C++ unit tests: a pelvis on a free joint, two legs (ball hips, revolute knees,
// box feet that touch the ground), a head, and one muscle per hip; and a walking TaskSpec for it whose
// reference stands still. Built here so the tests need no Python and no data files.
#pragma once
#include <memory>

#include "model.hpp"
#include "task.hpp"

namespace bidir::test {

inline Eigen::Matrix4d at(double x, double y, double z) {
  Eigen::Matrix4d m = Eigen::Matrix4d::Identity();
  m.topRightCorner<3, 1>() << x, y, z;
  return m;
}

inline BodySpec body(const std::string& name, const std::string& parent, const std::string& joint, double y,
                     double x = 0.0) {
  BodySpec b;
  b.name = name;
  b.parent = parent;
  b.mass = 5.0;
  b.inertia = 0.05 * Eigen::Matrix3d::Identity();
  b.frame = at(x, y, 0.0);
  b.joint.type = joint;
  b.joint.frame = at(x, y + 0.2, 0.0);
  const int n = joint == "free" ? 6 : joint == "ball" ? 3 : joint == "revolute" ? 1 : 0;
  const bool actuated = joint != "free";
  b.joint.kp = Eigen::VectorXd::Constant(n, actuated ? 300.0 : 0.0);
  b.joint.kv = Eigen::VectorXd::Constant(n, actuated ? 30.0 : 0.0);
  ShapeSpec s;
  s.size = Eigen::Vector3d(0.1, 0.1, 0.2);
  b.shapes.push_back(s);
  return b;
}

inline std::shared_ptr<const Model> walker() {
  ModelSpec spec;
  spec.name = "walker";
  spec.bodies.push_back(body("Pelvis", "", "free", 1.0));
  for (const char* side : {"R", "L"}) {
    const double x = side[0] == 'R' ? -0.1 : 0.1;
    spec.bodies.push_back(body(std::string("Thigh") + side, "Pelvis", "ball", 0.7, x));
    spec.bodies.push_back(body(std::string("Shin") + side, std::string("Thigh") + side, "revolute", 0.35, x));
    BodySpec foot = body(std::string("Talus") + side, std::string("Shin") + side, "revolute", 0.05, x);
    foot.contact = true;
    spec.bodies.push_back(foot);
  }
  spec.bodies.push_back(body("Head", "Pelvis", "ball", 1.4));
  for (const char* side : {"R", "L"}) {
    const double x = side[0] == 'R' ? -0.1 : 0.1;
    MuscleSpec m;
    m.name = std::string("Glut") + side;
    m.optimalFiberLength = 0.15;
    m.tendonSlackLength = 0.1;
    WaypointSpec origin, insertion;
    origin.bodies = {"Pelvis"};
    origin.weights = {1.0};
    origin.position = Eigen::Vector3d(x, 1.05, -0.08);
    insertion.bodies = {std::string("Thigh") + side};
    insertion.weights = {1.0};
    insertion.position = Eigen::Vector3d(x, 0.75, -0.06);
    m.waypoints = {origin, insertion};
    spec.muscles.push_back(m);
  }
  return std::make_shared<Model>(spec);
}

// Every env config key, as bidir_sim.envs.config.config_values would give them for a plain gaitnet task at
// 480 Hz (the values these tests were written against; the schema itself lives in Python).
inline ConfigValues walkingConfig() {
  using S = std::string;
  return {{"Horizon", std::int64_t{600}},
          {"simulation.sim_hz", std::int64_t{480}},
          {"simulation.control_hz", std::int64_t{30}},
          {"simulation.inference_per_sim", std::int64_t{1}},
          {"skeleton.actuator", S("muscle_net_lower")},
          {"muscle.learn_under_pd", false},
          {"muscle.use_velocity_force", false},
          {"muscle.use_joint_state", true},
          {"action.scale", 0.04},
          {"action.time_warping", -1.0},
          {"action.torque_scale", 0.5},
          {"advanced.enforce_symmetry", false},
          {"advanced.hard_phase_clipping", false},
          {"advanced.include_jtp_in_spd", false},
          {"advanced.use_normalized_param_state", false},
          {"termination.head_drop", 0.0},
          {"termination.pelvis_angle", 0.0},
          {"assist.kp_position", 0.0},
          {"assist.kd_position", 0.0},
          {"assist.kp_rotation", 0.0},
          {"assist.kd_rotation", 0.0},
          {"parameters.gait.stride.min", 1.0},
          {"parameters.gait.stride.max", 1.0},
          {"parameters.gait.stride.default", 1.0},
          {"parameters.gait.stride.sampling", S("uniform")},
          {"parameters.gait.cadence.min", 1.0},
          {"parameters.gait.cadence.max", 1.0},
          {"parameters.gait.cadence.default", 1.0},
          {"parameters.gait.cadence.sampling", S("uniform")},
          {"parameters.resample_steps", std::int64_t{0}},
          {"parameters.similar_observation", true},
          {"reward.type", S("gaitnet")},
          {"reward.eoe_type", S("tuple")},
          {"reward.clip.step", std::int64_t{0}},
          {"reward.clip.value", 0.0},
          {"reward.metabolic.type", S("A")},
          {"reward.metabolic.weight", 0.05},
          {"reward.metabolic.scale", 1.0},
          {"reward.metabolic.multiplicative", false},
          {"reward.metabolic.torque.coeff", 0.0},
          {"reward.metabolic.torque.separate", false},
          {"reward.locomotion.head_linear_acc_weight", 4.0},
          {"reward.locomotion.head_rot_weight", 4.0},
          {"reward.locomotion.step.weight", 2.0},
          {"reward.locomotion.step.clip", 0.075},
          {"reward.locomotion.avg_vel.weight", 6.0},
          {"reward.locomotion.avg_vel.window_mult", 1.0},
          {"reward.locomotion.avg_vel.clip", -1.0},
          {"reward.locomotion.avg_vel.consider_x", false},
          {"reward.locomotion.dragX.use", false},
          {"reward.locomotion.dragX.weight", 1.0},
          {"reward.locomotion.dragX.threshold", 0.0},
          {"reward.knee_pain.use", false},
          {"reward.knee_pain.weight", 1.0},
          {"reward.knee_pain.scale", 1.0},
          {"reward.knee_pain.termination", false},
          {"reward.knee_pain.use_max", false},
          {"reward.knee_pain.max_weight", 1.0},
          {"reward.imitation.weight", 0.0},
          {"reward.imitation.knee_weight", 1.0},
          {"reward.imitation.ankle_weight", 1.0}};
}

// A gaitnet task on the walker whose reference stands at the zero pose with the feet on the ground.
inline TaskSpec standingTask(const Model& model) {
  const int n = model.numDofs(), nb = model.numBodies(), nm = model.numMuscles();
  TaskSpec s;
  s.config = walkingConfig();
  s.reference.samples = Eigen::MatrixXd::Zero(4, n);
  s.reference.samples.col(4).setConstant(0.1);  // root y: the feet's boxes rest on y = 0
  s.reference.rotationDofs = {0, 6, 10};        // free root, then each ball hip (DoFs 6-8 and 10-12)
  s.reference.stride = 0.0;
  s.reference.duration = 1.0;
  for (int k = 0; k < n; ++k) s.dofMirror.push_back(k);
  s.dofMirrorSign = Eigen::VectorXd::Ones(n);
  for (int b = 0; b < nb; ++b) s.bodyMirror.push_back(b);
  for (int j = 0; j < nm; ++j) s.muscleMirror.push_back(j);
  s.headBody = nb - 1;
  s.footBody[0] = 3;
  s.footBody[1] = 6;
  s.upperDofs = {n - 3, n - 2, n - 1};  // the head's ball joint
  s.fallHeight = 0.2;
  return s;
}

}  // namespace bidir::test
