// activations: the policy's muscle activations, clipped to [0, 1] and held for the control step (no muscle
// network), and the SPD torques of the upper body's PD target (reference pose and residual).
#include <algorithm>

#include "actuator.hpp"
#include "env_internal.hpp"

namespace bidir {

namespace {

class ActivationsActuator final : public Actuator {
 public:
  using Actuator::Actuator;

  void command(const Eigen::VectorXf& action) override {
    commandResidual(action);
    const int first = env.task.firstActivationAction();
    const std::vector<int>& mirror = env.spec.muscleMirror;
    for (int j = 0; j < env.nmus; ++j)
      env.activations[j] = std::clamp(static_cast<double>(action[first + (env.mirrored ? mirror[j] : j)]), 0.0, 1.0);
  }

  void prepare(int, float*) override {
    auto clock = Clock::now();
    const bool jtp = env.spec.includeJtpInSpd;
    const MuscleState& ms = env.sim.updateMuscles(jtp, env.spec.forceVelocity);
    lap(clock, env.timings.muscles);
    computeSpd(jtp ? &ms : nullptr);
    lap(clock, env.timings.spd);
  }

  void drive(const float*) override {
    driveMuscles(nullptr);
    driveUpperBody();
  }
};

}  // namespace

std::unique_ptr<Actuator> makeActivationsActuator(Env::Impl& env) { return std::make_unique<ActivationsActuator>(env); }

}  // namespace bidir
