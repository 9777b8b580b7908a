// muscle_net_lower: muscle_net's muscles, driven by the muscle network, on the legs and trunk, and the SPD
// torques of the PD target on the upper body (TaskSpec::upperDofs), so SPD runs at every substep.
#include "actuator.hpp"
#include "env_internal.hpp"

namespace bidir {

namespace {

class MuscleNetLowerActuator final : public Actuator {
 public:
  using Actuator::Actuator;

  void command(const Eigen::VectorXf& action) override { commandResidual(action); }

  void prepare(int index, float* networkInput) override {
    auto clock = Clock::now();
    const bool network = env.task.runsNetworkAt(index), jtp = env.spec.includeJtpInSpd;
    const MuscleState& ms = env.sim.updateMuscles(network || jtp, env.spec.forceVelocity);
    lap(clock, env.timings.muscles);
    computeSpd(jtp ? &ms : nullptr);
    lap(clock, env.timings.spd);
    if (!network) return;
    writeNetworkInput(ms, index, networkInput);
    lap(clock, env.timings.forces);  // the mirroring counts with the forces
  }

  void drive(const float* networkActivations) override {
    driveMuscles(networkActivations);
    driveUpperBody();
  }
};

}  // namespace

std::unique_ptr<Actuator> makeMuscleNetLowerActuator(Env::Impl& env) {
  return std::make_unique<MuscleNetLowerActuator>(env);
}

}  // namespace bidir
