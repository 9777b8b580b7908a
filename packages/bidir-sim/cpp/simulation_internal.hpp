// DART-facing part of Simulation, for the DART translation units only.
#pragma once
#include <dart/dart.hpp>

#include "simulation.hpp"

namespace bidir {

struct Simulation::Impl {
  dart::simulation::WorldPtr world;
  dart::dynamics::SkeletonPtr skeleton;
};

// The DART world and skeleton of a Simulation, for the code that steps or poses them directly (Env).
struct SimulationAccess {
  static dart::simulation::World& world(Simulation& sim) { return *sim.impl_->world; }
  static dart::dynamics::Skeleton& skeleton(Simulation& sim) { return *sim.impl_->skeleton; }
};

}  // namespace bidir
