// DART-facing part of Model, for the DART translation units only.
#pragma once
#include <dart/dart.hpp>
#include <mutex>

#include "model.hpp"

namespace bidir {

struct Model::Impl {
  dart::dynamics::SkeletonPtr skeleton;  // prototype; cloned per simulation
  mutable std::mutex mutex;              // guards kinematic queries on the prototype
};

// Builds a DART skeleton from a validated spec (throws std::invalid_argument).
dart::dynamics::SkeletonPtr buildSkeleton(const ModelSpec& spec);
// Sets the bodies' inertias, joint transforms, joint damping and shapes of a skeleton built from a spec of the
// same structure (the same bodies and shapes, in the same order): a scaled body (body_scale.hpp) in place.
void applyBodies(dart::dynamics::Skeleton& skeleton, const std::vector<BodySpec>& bodies);
// A static box whose top face is the plane y = 0.
dart::dynamics::SkeletonPtr buildGround();

}  // namespace bidir
