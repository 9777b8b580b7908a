// pd: the ideal-torque body. The SPD torques of the PD target drive every actuated DoF; no muscle acts. With
// muscle.learn_under_pd the muscles' geometry and the network's input row are still computed at the step's
// tuple substep, so that the muscle network can learn from these rollouts.
#include "actuator.hpp"
#include "env_internal.hpp"

namespace bidir {

namespace {

class PdActuator final : public Actuator {
 public:
  using Actuator::Actuator;

  void command(const Eigen::VectorXf& action) override { commandResidual(action); }

  void prepare(int index, float* networkInput) override {
    auto clock = Clock::now();
    const bool tuple = index == env.tupleIndex && env.spec.pdMuscleTuples;
    const MuscleState* ms = tuple ? &env.sim.updateMuscles(true, env.spec.forceVelocity) : nullptr;
    lap(clock, env.timings.muscles);
    computeSpd(nullptr);  // no muscle acts: none of their passive torques is expected
    lap(clock, env.timings.spd);
    if (!tuple) return;
    writeNetworkInput(*ms, index, networkInput);  // the row itself goes unused
    lap(clock, env.timings.forces);
  }

  void drive(const float*) override {
    env.forces.tail(env.nact) = spd.tail(env.nact);
    env.torque += spd.tail(env.nact).cwiseAbs().sum();
  }
};

}  // namespace

std::unique_ptr<Actuator> makePdActuator(Env::Impl& env) { return std::make_unique<PdActuator>(env); }

}  // namespace bidir
