#include "simulation.hpp"

#include <doctest/doctest.h>

#include "fixture.hpp"

using namespace bidir;

TEST_CASE("the simulation takes no state beyond its bounds, and never steps one") {
  Simulation sim(test::walker(), 1.0 / 480.0);
  const auto n = sim.positions().size();
  Eigen::VectorXd v = Eigen::VectorXd::Zero(n);
  v[0] = 1e300;  // a rotation coordinate this large aborted the process in DART's FreeJoint
  CHECK_THROWS_AS(sim.setPositions(v), std::invalid_argument);
  v[0] = 2 * kMaxSpeed;
  CHECK_THROWS_AS(sim.setVelocities(v), std::invalid_argument);
  v[0] = 2 * kMaxGeneralizedForce;
  CHECK_THROWS_AS(sim.setForces(v), std::invalid_argument);
  CHECK(sim.positions().isZero());  // nothing was taken

  // A force at the bound is accepted; the velocities it builds diverge and the step stops there.
  v[0] = kMaxGeneralizedForce;
  sim.setForces(v);
  CHECK_THROWS_AS(sim.step(100), PhysicsDiverged);
  CHECK(sim.velocities().cwiseAbs().maxCoeff() > kMaxSpeed);
  CHECK(sim.positions().allFinite());
}
