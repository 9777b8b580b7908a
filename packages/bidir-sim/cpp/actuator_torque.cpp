// torque: the policy's joint torques, a in [-1, 1] times CompiledTask::torqueLimits, held for the control
// step; no PD target, no SPD and no muscles.
#include <algorithm>

#include "actuator.hpp"
#include "env_internal.hpp"

namespace bidir {

namespace {

class TorqueActuator final : public Actuator {
 public:
  explicit TorqueActuator(Env::Impl& env) : Actuator(env), torque_(Eigen::VectorXd::Zero(env.ndof)) {}

  void command(const Eigen::VectorXf& action) override {
    const Eigen::VectorXd& limits = env.task.torqueLimits();
    for (int d : env.task.actionDofs()) torque_[d] = limits[d] * std::clamp(actionEntry(action, d), -1.0, 1.0);
  }

  void prepare(int, float*) override {}  // the policy's torques need neither muscles nor SPD

  void drive(const float*) override {
    env.forces = torque_;
    env.torque += torque_.cwiseAbs().sum();
  }

  const char* forceName() const override { return "policy torque"; }

 private:
  Eigen::VectorXd torque_;  // the generalized forces the action commands (zero on the root)
};

}  // namespace

std::unique_ptr<Actuator> makeTorqueActuator(Env::Impl& env) { return std::make_unique<TorqueActuator>(env); }

}  // namespace bidir
