#include "env.hpp"

#include <doctest/doctest.h>

#include "fixture.hpp"
#include "muscle_net.hpp"
#include "reward.hpp"

using namespace bidir;

namespace {

struct Standing {
  std::shared_ptr<const Model> model = test::walker();
  std::shared_ptr<const CompiledTask> task = std::make_shared<CompiledTask>(model, test::standingTask(*model));
  std::shared_ptr<MuscleNet> net = std::make_shared<MuscleNet>(task->networkInputDim(), task->numMuscles(),
                                                               std::vector<int>{16}, CompiledTask::kNetworkInputScale);
  Env env{task, net, 7};
  Eigen::VectorXf zero = Eigen::VectorXf::Zero(task->actionDim());
};

}  // namespace

TEST_CASE("an env steps its task and writes exactly the layout's observation") {
  Standing s;
  CHECK(s.env.reset().size() == s.task->observationDim());
  const StepResult r = s.env.step(s.zero);
  CHECK(std::isfinite(r.reward));
  CHECK(s.env.info()[kSimError] == 0.0);
  CHECK(s.env.observation().allFinite());
  CHECK(&s.env.task() == s.task.get());  // shared, not copied
}

TEST_CASE("diverging physics ends the episode with sim_error and the step's start state") {
  Standing s;
  s.env.reset();
  const Eigen::VectorXd q = s.env.simulation().positions();
  s.env.simulation().setVelocities(Eigen::VectorXd::Constant(s.model->numDofs(), 999.0));  // just inside kMaxSpeed
  const StepResult r = s.env.step(s.zero);
  CHECK(r.terminated);
  CHECK(s.env.info()[kSimError] == 1.0);
  CHECK(s.env.simulation().positions() == q);
}

TEST_CASE("an error that is not divergence surfaces instead of becoming sim_error") {
  Standing s;
  s.env.reset();
  s.env.beginStep(s.zero);
  Eigen::VectorXf input(s.task->networkInputDim());
  REQUIRE(s.env.prepareSubstep(0, input.data()));
  const Eigen::VectorXf outOfRange = Eigen::VectorXf::Constant(s.task->numMuscles(), 2.0f);
  CHECK_THROWS_WITH_AS(s.env.finishSubstep(0, outOfRange.data()), doctest::Contains("must be in [0, 1]"),
                       std::invalid_argument);
  CHECK(s.env.info()[kSimError] == 0.0);
}

TEST_CASE("the phases of a control step are checked") {
  Standing s;
  CHECK_THROWS_AS(s.env.beginStep(s.zero), std::logic_error);  // before reset
  s.env.reset();
  s.env.beginStep(s.zero);
  CHECK_THROWS_WITH_AS(s.env.beginStep(s.zero), doctest::Contains("before endStep"), std::logic_error);
  s.env.reset();  // a reset abandons the step in progress
  CHECK_NOTHROW(s.env.step(s.zero));
}

TEST_CASE("each actuator kind drives the body its own way through the one substep pipeline") {
  auto model = test::walker();
  for (const char* kind : {"muscle_net", "muscle_net_lower", "activations", "pd", "torque"}) {
    CAPTURE(kind);
    TaskSpec spec = test::standingTask(*model);
    spec.config["skeleton.actuator"] = std::string(kind);
    spec.config["reward.metabolic.torque.coeff"] = 1.0;  // energy_torque: the mean sum of |torque| per substep
    auto task = std::make_shared<const CompiledTask>(model, spec);
    auto net = std::make_shared<MuscleNet>(task->networkInputDim(), task->numMuscles(), std::vector<int>{16},
                                           CompiledTask::kNetworkInputScale);
    Env env(task, net, 7);
    env.reset();
    env.step(Eigen::VectorXf::Constant(task->actionDim(), 0.5f));
    REQUIRE(env.info()[kSimError] == 0.0);
    const std::string k = kind;
    const bool muscles = k == "muscle_net" || k == "muscle_net_lower" || k == "activations";
    const bool torques = k != "muscle_net";  // SPD on the upper body or every DoF, or the policy's torques
    CHECK((env.info()[kEnergyMetabolic] > 0.0) == muscles);
    CHECK((env.activations().sum() > 0.0) == muscles);
    CHECK((env.info()[kEnergyTorque] > 0.0) == torques);
    if (k == "activations") CHECK(env.activations().isConstant(0.5));  // the action's, not a network's
  }
}
