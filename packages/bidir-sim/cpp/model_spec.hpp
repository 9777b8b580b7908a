// Plain description of a musculoskeletal model, filled from Python after validation.
// No DART types here: this header is shared by every translation unit.
#pragma once
#include <Eigen/Core>
#include <string>
#include <vector>

namespace bidir {

struct ShapeSpec {
  std::string type = "box";                              // box | sphere | capsule
  Eigen::Vector3d size = Eigen::Vector3d::Ones();        // box: full extents; sphere: (r,-,-); capsule: (r,h,-)
  Eigen::Matrix4d offset = Eigen::Matrix4d::Identity();  // shape pose in the body frame
  Eigen::Vector4d color{0.7, 0.7, 0.7, 1.0};
  bool visual = true;     // drawn
  bool collision = true;  // collides, if its body is a contact body
};

struct JointSpec {
  std::string type = "ball";                            // free | ball | revolute | weld
  Eigen::Matrix4d frame = Eigen::Matrix4d::Identity();  // joint pose in world at the zero pose
  Eigen::Vector3d axis = Eigen::Vector3d::UnitX();      // revolute only, in the joint frame
  Eigen::VectorXd lower, upper;                         // position limits per DoF (empty: none)
  Eigen::VectorXd kp, kv;                               // SPD gains per DoF
  Eigen::VectorXd damping;                              // joint damping per DoF
};

struct BodySpec {
  std::string name;
  std::string parent;  // empty for the root
  double mass = 1.0;
  Eigen::Vector3d com = Eigen::Vector3d::Zero();          // in the body frame
  Eigen::Matrix3d inertia = Eigen::Matrix3d::Identity();  // about the COM, body axes
  Eigen::Matrix4d frame = Eigen::Matrix4d::Identity();    // body pose in world at the zero pose
  std::vector<ShapeSpec> shapes;
  bool contact = false;  // collision shapes only on contact bodies
  JointSpec joint;
};

// A muscle path point on one body, or blended over up to two (linear blend skinning).
struct WaypointSpec {
  std::vector<std::string> bodies;
  std::vector<double> weights;                         // sum to 1
  Eigen::Vector3d position = Eigen::Vector3d::Zero();  // world position at the zero pose
};

// A Hill-type muscle-tendon unit; lengths are absolute (m).
struct MuscleSpec {
  std::string name;
  double f0 = 1000.0;  // maximum isometric force, N
  double optimalFiberLength = 0.1;
  double tendonSlackLength = 0.1;
  double pennation = 0.0;               // rad
  std::vector<WaypointSpec> waypoints;  // origin first, insertion last
};

struct ModelSpec {
  std::string name;
  std::vector<BodySpec> bodies;  // parents come before children
  std::vector<MuscleSpec> muscles;
};

}  // namespace bidir
