// DART-facing part of Simulation, for the DART translation units only.
#pragma once
#include <dart/dart.hpp>

#include "simulation.hpp"

namespace bidir {

struct Simulation::Impl {
  dart::simulation::WorldPtr world;
  dart::dynamics::SkeletonPtr skeleton;
};

}  // namespace bidir
