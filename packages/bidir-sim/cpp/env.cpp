// Env: construction, reset, the phases of one control step and the accessors. The work of each phase is
// in env_episode.cpp, env_substep.cpp, env_outcome.cpp and env_observation.cpp (env_internal.hpp).
#include <cmath>
#include <string>

#include "actuator.hpp"
#include "env_internal.hpp"
#include "model_internal.hpp"

namespace bidir {

Env::Impl::Impl(std::shared_ptr<const CompiledTask> t, std::shared_ptr<MuscleNet> n, std::uint64_t seed)
    : taskPtr(t ? std::move(t) : throw std::invalid_argument("Env: the task is null")),
      task(*taskPtr),
      spec(task.spec()),
      net(n ? std::move(n) : throw std::invalid_argument("Env: the muscle network is null")),
      sim(task.modelPtr(), task.simDt()),
      skel(SimulationAccess::skeleton(sim)),
      rng(seed) {
  task.checkNetwork(*net);
  ndof = task.numDofs();
  nact = task.numActuatedDofs();
  nmus = task.numMuscles();
  substeps = task.substeps();
  dt = task.simDt();
  controlDt = task.controlDt();
  {
    std::lock_guard<std::mutex> lock(task.model().impl().mutex);
    kinematic = task.model().impl().skeleton->cloneSkeleton();
  }
  obs = Eigen::VectorXf::Zero(task.observationDim());
  info = Eigen::VectorXd::Zero(kInfoSize);
  conditions.resize(static_cast<Eigen::Index>(task.conditions().size()));
  for (Eigen::Index i = 0; i < conditions.size(); ++i) conditions[i] = task.conditions()[i].range.defaultValue;
  drawnConditions = conditions;
  activations = Eigen::VectorXd::Zero(nmus);
  forces = Eigen::VectorXd::Zero(ndof);
  tuple.desiredTorque = Eigen::VectorXf::Zero(nact);
  tuple.JtAReduced = Eigen::VectorXf::Zero(task.model().muscleDofs());
  tuple.JtA = Eigen::MatrixXf::Zero(nact, nmus);
  netInput = Eigen::VectorXf::Zero(task.networkInputDim());
  netOutput = Eigen::VectorXf::Zero(nmus);
  actuator = makeActuator(*this);
}

Env::Impl::~Impl() = default;

Env::Env(std::shared_ptr<const CompiledTask> task, std::shared_ptr<MuscleNet> net, std::uint64_t seed)
    : impl_(std::make_unique<Impl>(std::move(task), std::move(net), seed)) {}

Env::~Env() = default;

const CompiledTask& Env::task() const { return impl_->task; }
const std::shared_ptr<const CompiledTask>& Env::taskPtr() const { return impl_->taskPtr; }
void Env::seed(std::uint64_t seed) {
  impl_->rng.seed(seed);
  impl_->drawn = false;  // a seeded reset draws anew (resample_steps)
  impl_->stepsSinceDraw = 0;
}
const Eigen::VectorXf& Env::observation() const { return impl_->obs; }
const Eigen::VectorXd& Env::info() const { return impl_->info; }
const Eigen::VectorXd& Env::conditions() const { return impl_->conditions; }
const Eigen::VectorXd& Env::fixedConditions() const { return impl_->fixedConditions; }
void Env::fixConditions(const Eigen::VectorXd& values) {
  const auto& specs = impl_->task.conditions();
  if (values.size() != 0 && values.size() != static_cast<Eigen::Index>(specs.size()))
    throw std::invalid_argument("fix_conditions: " + std::to_string(values.size()) + " values, the task has " +
                                std::to_string(specs.size()) + " conditions");
  for (Eigen::Index i = 0; i < values.size(); ++i) {
    const double v = values[i];
    const bool ratio = specs[i].target != ConditionTarget::Torsion;
    if (!std::isnan(v) && (!std::isfinite(v) || (ratio && !(v > 0.0))))
      throw std::invalid_argument("fix_conditions: condition '" + specs[i].name + "' must be " +
                                  (ratio ? "positive and finite" : "finite") + " (or NaN: drawn), got " +
                                  std::to_string(v));
  }
  impl_->fixedConditions = values;
}
int Env::steps() const { return impl_->steps; }
double Env::phase() const { return impl_->phase.localPhase(); }
bool Env::mirrored() const { return impl_->mirrored; }
const Eigen::VectorXd& Env::activations() const { return impl_->activations; }
const MuscleTuple& Env::muscleTuple() const { return impl_->tuple; }
const Eigen::VectorXd& Env::referencePose() const { return impl_->referencePose; }
const Eigen::VectorXd& Env::target() const { return impl_->target; }
Eigen::Matrix<double, 2, 3, Eigen::RowMajor> Env::stepTargets() const {
  Eigen::Matrix<double, 2, 3, Eigen::RowMajor> out;
  out.row(0) = impl_->phase.currentTarget().transpose();
  out.row(1) = impl_->phase.nextTarget().transpose();
  return out;
}
Simulation& Env::simulation() { return impl_->sim; }
const StepTimings& Env::timings() const { return impl_->timings; }
void Env::resetTimings() { impl_->timings = StepTimings{}; }
void Env::addNetworkTime(double seconds) { impl_->timings.network += seconds; }
double Env::assistScale() const { return impl_->assistScale; }
void Env::setAssistScale(double scale) {
  if (!(scale >= 0.0) || !std::isfinite(scale))
    throw std::invalid_argument("assist scale must be finite and >= 0, got " + std::to_string(scale));
  impl_->assistScale = scale;
}
int Env::substeps() const { return impl_->substeps; }

void Env::setMuscleNet(std::shared_ptr<MuscleNet> net) {
  if (!net) throw std::invalid_argument("Env: the muscle network is null");
  impl_->task.checkNetwork(*net);
  impl_->net = std::move(net);
}

Eigen::VectorXf Env::computeObservation(bool mirrored) {
  Eigen::VectorXf out(impl_->task.observationDim());
  impl_->observe(mirrored, out);
  return out;
}

const Eigen::VectorXf& Env::reset(const ResetOptions& options) {
  Impl& s = *impl_;
  s.inStep = false;
  s.record = GaitRecord{};
  s.sampleEpisode(options);
  s.activations.setZero();
  s.kneeLoadEpisodeMax = 0.0;
  s.headVelocity = s.skel.getBodyNode(s.spec.headBody)->getCOMLinearVelocity();
  s.comStart = s.skel.getCOM();
  s.headStartHeight = s.skel.getBodyNode(s.spec.headBody)->getCOM().y();
  s.comLog.assign(static_cast<std::size_t>(s.avgVelocityWindow()) + 1, s.comStart);
  s.comCount = 0;
  s.info.setZero();
  s.setEpisodeInfo();
  s.started = true;
  s.observe(s.mirrored, s.obs);
  return s.obs;
}

void Env::beginStep(const Eigen::Ref<const Eigen::VectorXf>& action) {
  Impl& s = *impl_;
  if (!s.started) throw std::logic_error("step() before reset()");
  if (s.inStep) throw std::logic_error("beginStep() again before endStep()");
  if (action.size() != s.task.actionDim())
    throw std::invalid_argument("action has " + std::to_string(action.size()) + " values, expected " +
                                std::to_string(s.task.actionDim()));
  for (Eigen::Index i = 0; i < action.size(); ++i)
    if (!std::isfinite(action[i]))
      throw std::invalid_argument("action[" + std::to_string(i) + "] is " + std::to_string(action[i]) +
                                  "; actions must be finite");
  s.stepStart = Clock::now();
  s.q0 = s.skel.getPositions();
  s.dq0 = s.skel.getVelocities();
  s.setTarget(action);
  s.steps += 1;
  s.stepsSinceDraw += 1;
  // The tuple comes from a substep where the network runs (any substep when it runs at every one).
  const int inference = s.spec.inferencePerSim;
  s.tupleIndex = inference * std::uniform_int_distribution<int>(0, s.substeps / inference - 1)(s.rng);
  s.metabolic = s.torque = s.knee = s.kneeMax = s.assistForce = 0.0;
  s.substep = 0;
  s.stepOk = true;
  s.inStep = true;
}

bool Env::prepareSubstep(int index, float* networkInput) {
  Impl& s = *impl_;
  if (!s.inStep) throw std::logic_error("prepareSubstep() outside beginStep() .. endStep()");
  if (!s.stepOk) return false;
  try {
    s.actuator->prepare(index, networkInput);
  } catch (const PhysicsDiverged&) {  // only divergence ends the episode quietly; other errors surface
    s.stepOk = false;
  }
  return s.stepOk;
}

void Env::finishSubstep(int index, const float* activations) {
  Impl& s = *impl_;
  if (!s.inStep) throw std::logic_error("finishSubstep() outside beginStep() .. endStep()");
  if (!s.stepOk) return;
  try {
    s.finishSubstep(s.task.runsNetworkAt(index) ? activations : nullptr);
  } catch (const PhysicsDiverged&) {
    s.stepOk = false;
  }
}

StepResult Env::endStep() {
  Impl& s = *impl_;
  if (!s.inStep) throw std::logic_error("endStep() without beginStep()");
  s.inStep = false;
  s.episodeTime += s.controlDt;

  StepResult out;
  s.info.setZero();
  if (s.stepOk) {
    s.finishStep(out);
  } else {
    // Diverged physics: end the episode from the last good state, so the observation stays finite.
    s.sim.setPositions(s.q0);
    s.sim.setVelocities(s.dq0);
    s.skel.clearExternalForces();
    s.info[kSimError] = 1.0;
    out.terminated = true;
  }
  s.setEpisodeInfo();
  auto clock = Clock::now();
  s.observe(s.mirrored, s.obs);
  lap(clock, s.timings.observation);
  s.timings.total += std::chrono::duration<double>(clock - s.stepStart).count();
  s.timings.steps += 1;
  return out;
}

StepResult Env::step(const Eigen::Ref<const Eigen::VectorXf>& action) {
  Impl& s = *impl_;
  beginStep(action);
  try {
    for (int i = 0; i < s.substeps; ++i) {
      if (!prepareSubstep(i, s.netInput.data())) break;
      if (s.task.runsNetworkAt(i)) {
        auto clock = Clock::now();
        s.net->forward(s.netInput.data(), 1, s.netOutput.data());
        lap(clock, s.timings.network);
      }
      finishSubstep(i, s.netOutput.data());
    }
  } catch (...) {
    s.inStep = false;  // the env stays usable (reset) after an error surfaced
    throw;
  }
  return endStep();
}

}  // namespace bidir
