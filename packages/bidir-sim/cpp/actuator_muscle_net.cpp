// muscle_net: muscles on every actuated DoF, their activations from the muscle network, which maps the SPD
// torques of the PD target (the desired torques) and the muscles' moment arms to activations. Between the
// substeps where the network runs (simulation.inference_per_sim) the muscles hold their activations and
// need neither JtA nor SPD.
#include "actuator.hpp"
#include "env_internal.hpp"

namespace bidir {

namespace {

class MuscleNetActuator final : public Actuator {
 public:
  using Actuator::Actuator;

  void command(const Eigen::VectorXf& action) override { commandResidual(action); }

  void prepare(int index, float* networkInput) override {
    auto clock = Clock::now();
    const bool network = env.task.runsNetworkAt(index), jtp = env.spec.includeJtpInSpd;
    const MuscleState& ms = env.sim.updateMuscles(network || jtp, env.spec.forceVelocity);
    lap(clock, env.timings.muscles);
    if (!network) return;
    computeSpd(jtp ? &ms : nullptr);
    lap(clock, env.timings.spd);
    writeNetworkInput(ms, index, networkInput);
    lap(clock, env.timings.forces);  // the mirroring counts with the forces
  }

  void drive(const float* networkActivations) override { driveMuscles(networkActivations); }
};

}  // namespace

std::unique_ptr<Actuator> makeMuscleNetActuator(Env::Impl& env) { return std::make_unique<MuscleNetActuator>(env); }

}  // namespace bidir
