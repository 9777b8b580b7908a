#include "batch_env.hpp"

#include <doctest/doctest.h>

#include "fixture.hpp"
#include "muscle_net.hpp"

using namespace bidir;

namespace {

BatchEnv makeBatch(NetworkMode mode, int numEnvs = 8, int networkBatch = kDefaultNetworkBatch) {
  auto model = test::walker();
  auto task = std::make_shared<const CompiledTask>(model, test::standingTask(*model));
  auto net = std::make_shared<MuscleNet>(task->networkInputDim(), task->numMuscles(), std::vector<int>{16},
                                         CompiledTask::kNetworkInputScale);
  return BatchEnv(task, net, numEnvs, 2, 0, mode, networkBatch);
}

}  // namespace

TEST_CASE("every env of a batch shares one compiled task") {
  BatchEnv batch = makeBatch(NetworkMode::Batched);
  for (int i = 0; i < batch.numEnvs(); ++i) CHECK(&batch.env(i).task() == &batch.task());
  CHECK(batch.networkBatch() == kDefaultNetworkBatch);
}

TEST_CASE("an error inside a step names the env it happened in, in both network modes") {
  for (NetworkMode mode : {NetworkMode::Batched, NetworkMode::PerEnv}) {
    BatchEnv batch = makeBatch(mode);
    batch.reset();
    const RowMatrixXf actions = RowMatrixXf::Zero(batch.numEnvs(), batch.actionDim());
    batch.step(actions);
    // Env 5 (group 1 of the lockstep groups of 4) is left inside a control step: its next beginStep fails.
    batch.env(5).beginStep(actions.row(5).transpose());
    CHECK_THROWS_WITH_AS(batch.step(actions), doctest::Contains("env 5: beginStep() again"), std::logic_error);
    CHECK_NOTHROW(batch.step(actions));  // the failed envs were reset: the batch goes on
  }
}
