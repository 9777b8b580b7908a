// The skeleton conditions of one env (docs/conditions.md): each body stretched by a linear map in its own frame
// and twisted about its long axis at its parent joint, applied to the model's plain description. The model stays
// as compiled; a Simulation applies the scaled bodies to its own skeleton (Simulation::setBodyScale). No DART types.
#pragma once
#include <Eigen/Core>
#include <vector>

#include "model_spec.hpp"

namespace bidir {

struct BodyScale {
  // Per body (model order): a linear map of every point fixed to the body, in the body's frame (its shapes, its
  // centre of mass, its joints, the muscle anchors on it). Empty: every body unchanged.
  std::vector<Eigen::Matrix3d> stretch;
  // Per body: a rotation (rad) of the body and all below it about its long axis, through its parent joint,
  // right-handed about the axis from that joint towards its child (longAxis below). Empty: none.
  std::vector<double> twist;
  double damping = 1.0;  // every joint's damping x this

  bool identity() const { return stretch.empty() && twist.empty() && damping == 1.0; }
};

// The model's bodies as a BodyScale leaves them: frames and joint frames rebuilt from the root outward (a joint
// keeps its place on each of its two bodies, scaled by that body's stretch), centre of mass scaled, mass x det
// (density kept), inertia of the same matter stretched, shapes resized (docs/conditions.md gives the laws), joint
// damping scaled. Throws std::invalid_argument for a singular stretch or sizes that do not match the model.
std::vector<BodySpec> scaledBodies(const ModelSpec& model, const BodyScale& scale);

// The long axis of a bone, in its own frame (unit): from its parent joint to its first child's joint.
// Throws std::invalid_argument for a body without a child or whose child's joint sits on its own.
Eigen::Vector3d longAxis(const ModelSpec& model, int body);

// +1 or -1: the sign of the twist of `body` that turns its forward (+z) direction towards the model's midline,
// i.e. an internal rotation of a lateral limb (femoral anteversion turns the foot in). Throws for a body on the
// midline, where internal has no meaning.
double internalRotationSign(const ModelSpec& model, int body);

}  // namespace bidir
