#include <doctest/doctest.h>

#include "fixture.hpp"
#include "muscle_net.hpp"
#include "reward.hpp"

using namespace bidir;

TEST_CASE("the observation layout covers the observation in order, without gaps") {
  auto model = test::walker();
  const CompiledTask task(model, test::standingTask(*model));
  int next = 0;
  for (const auto& b : task.observationLayout()) {
    CHECK(b.start == next);
    CHECK(b.size > 0);
    next = b.start + b.size;
  }
  CHECK(next == task.observationDim());
  const int nb = model->numBodies(), nact = model->numDofs() - 6;
  CHECK(task.observationDim() == 3 + 3 * nb + 6 * nb + 3 * nb + 3 + 3 * nb + 2 + 1 + 3 * nact);
  CHECK(task.block("next_step_z").size == 1);  // gaitnet only
  CHECK_THROWS_AS(task.block("nothing"), std::out_of_range);

  TaskSpec imitation = test::standingTask(*model);
  imitation.config["reward.type"] = std::string("deepmimic");
  imitation.config["muscle.use_joint_state"] = false;
  imitation.config["parameters.gait.stride.min"] = 0.8;
  imitation.config["parameters.gait.stride.max"] = 1.2;
  const CompiledTask other(model, imitation);
  CHECK_THROWS_AS(other.block("next_step_z"), std::out_of_range);
  CHECK(other.block("gait_parameters").size == 1);
  CHECK(other.observationDim() == 3 + 15 * nb + 3 + 2 + 1);
}

TEST_CASE("sizes, the time-warp action and the reward terms come from the spec") {
  auto model = test::walker();
  TaskSpec spec = test::standingTask(*model);
  CHECK(CompiledTask(model, spec).actionDim() == model->numDofs() - 6);
  spec.config["action.time_warping"] = 0.3;
  const CompiledTask warped(model, spec);
  CHECK(warped.hasTimeWarp());
  CHECK(warped.actionDim() == model->numDofs() - 6 + 1);
  CHECK(warped.networkInputDim() == model->muscleDofs() + model->numDofs() - 6);
  const std::vector<int> gaitnet = {kRHeadAcc, kRHeadRot, kRAvgVel, kRStep, kREnergy};
  CHECK(warped.rewardTerms() == gaitnet);
}

TEST_CASE("the action layout of each actuator") {
  auto model = test::walker();
  TaskSpec spec = test::standingTask(*model);
  const int n = model->numDofs(), nm = model->numMuscles();
  for (const char* a : {"muscle_net", "muscle_net_lower", "pd", "torque"}) {
    spec.config["skeleton.actuator"] = std::string(a);
    const CompiledTask task(model, spec);
    CHECK(task.actionDim() == n - 6);
    CHECK(task.actionDofs().front() == 6);
    CHECK(task.actionOfDof(6) == 0);
    CHECK(task.firstActivationAction() == -1);
  }
  spec.config["skeleton.actuator"] = std::string("torque");
  spec.config["action.torque_scale"] = 0.25;
  const CompiledTask torque(model, spec);
  CHECK(torque.torqueLimits().head<6>().isZero());
  CHECK(torque.torqueLimits().tail(n - 6).isApprox(0.25 * model->kp().tail(n - 6)));
  CHECK(torque.actuator() == ActuatorKind::Torque);
  CHECK_FALSE(torque.usesMuscleNetwork());
  spec.config["skeleton.actuator"] = std::string("activations");
  spec.config["action.time_warping"] = 0.2;
  const CompiledTask muscle(model, spec);
  CHECK(muscle.actionDofs() == spec.upperDofs);  // the head's three DoFs, then the activations, then the warp
  CHECK(muscle.actionDim() == 3 + nm + 1);
  CHECK(muscle.firstActivationAction() == 3);
  CHECK(muscle.actionOfDof(6) == -1);
  CHECK(muscle.actionOfDof(n - 1) == 2);
  CHECK(muscle.actuator() == ActuatorKind::Activations);
  CHECK_FALSE(muscle.usesMuscleNetwork());
  CHECK_FALSE(muscle.runsNetworkAt(0));
  CHECK_FALSE(muscle.collectsMuscleTuples());
  // The mirrored half reads each DoF's partner: an upper-body DoF mirrored onto a leg DoF has no entry.
  spec.dofMirror[n - 1] = 6;
  CHECK_THROWS_WITH_AS(CompiledTask(model, spec), doctest::Contains("is not an upper-body DoF"), std::invalid_argument);
  spec = test::standingTask(*model);
  spec.config["skeleton.actuator"] = std::string("torque");
  spec.config["action.torque_scale"] = 0.0;
  CHECK_THROWS_WITH_AS(CompiledTask(model, spec), doctest::Contains("torqueScale"), std::invalid_argument);
}

TEST_CASE("a spec the model cannot run is refused, naming the problem") {
  auto model = test::walker();
  TaskSpec bad = test::standingTask(*model);
  bad.config["reward.type"] = std::string("gaitnett");
  CHECK_THROWS_WITH_AS(CompiledTask(model, bad), doctest::Contains("unknown reward type 'gaitnett'"),
                       std::invalid_argument);
  bad = test::standingTask(*model);
  bad.config["skeleton.actuator"] = std::string("pdd");
  CHECK_THROWS_WITH_AS(CompiledTask(model, bad), doctest::Contains("unknown actuator 'pdd'"), std::invalid_argument);
  // The reference's spellings are Python's to read (bidir_sim.envs.config): C++ takes the canonical names.
  for (const char* spelling : {"mass", "mass_lower", "muscle"}) {
    bad.config["skeleton.actuator"] = std::string(spelling);
    CHECK_THROWS_WITH_AS(CompiledTask(model, bad), doctest::Contains("(muscle_net, muscle_net_lower, activations"),
                         std::invalid_argument);
  }
  bad = test::standingTask(*model);
  bad.config.erase("reward.locomotion.step.clip");
  CHECK_THROWS_WITH_AS(CompiledTask(model, bad), doctest::Contains("key 'reward.locomotion.step.clip' is missing"),
                       std::invalid_argument);
  bad = test::standingTask(*model);
  bad.config["simulation.sim_hz"] = 480.0;
  CHECK_THROWS_WITH_AS(CompiledTask(model, bad),
                       doctest::Contains("key 'simulation.sim_hz' must be of type int, got float"),
                       std::invalid_argument);
  bad = test::standingTask(*model);
  bad.bodyMirror.pop_back();
  CHECK_THROWS_WITH_AS(CompiledTask(model, bad), doctest::Contains("bodyMirror"), std::invalid_argument);
}

TEST_CASE("the network must have the task's sizes and input scale") {
  auto model = test::walker();
  const CompiledTask task(model, test::standingTask(*model));
  MuscleNet right(task.networkInputDim(), task.numMuscles(), {8}, CompiledTask::kNetworkInputScale);
  CHECK_NOTHROW(task.checkNetwork(right));
  MuscleNet wrongScale(task.networkInputDim(), task.numMuscles(), {8}, 0.01f);
  CHECK_THROWS_WITH_AS(task.checkNetwork(wrongScale), doctest::Contains("input scale"), std::invalid_argument);
  MuscleNet wrongSize(task.networkInputDim() + 1, task.numMuscles(), {8}, CompiledTask::kNetworkInputScale);
  CHECK_THROWS_WITH_AS(task.checkNetwork(wrongSize), doctest::Contains("input is"), std::invalid_argument);
}

TEST_CASE("the reference interpolates ball joints as rotations and the root forward by strides") {
  auto model = test::walker();
  TaskSpec spec = test::standingTask(*model);
  spec.reference.samples.resize(2, model->numDofs());
  spec.reference.samples.setZero();
  spec.reference.samples(1, 7) = 3.0;  // right hip: 0 -> 3 rad about y ...
  spec.reference.samples(0, 8) = 0.5;  // ... and 0.5 -> 0 rad about z: not one axis
  spec.reference.stride = 1.0;
  const CompiledTask task(model, spec);
  const Eigen::Vector3d mid = task.referencePose(0.25).segment<3>(6);
  const Eigen::Vector3d linear(0.0, 1.5, 0.25);
  const Eigen::Matrix3d R0 = expMap(Eigen::Vector3d(0, 0, 0.5)), R1 = expMap(Eigen::Vector3d(0, 3, 0));
  const Eigen::Matrix3d slerp = R0 * expMap(0.5 * logMap(R0.transpose() * R1));
  CHECK((expMap(mid) - slerp).norm() < 1e-12);
  CHECK((mid - linear).norm() > 0.05);  // a linear blend of rotation vectors is a different pose
  CHECK(task.referencePose(2.0)[5] == doctest::Approx(2.0));
}
