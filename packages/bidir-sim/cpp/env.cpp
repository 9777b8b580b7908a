// Env: reset and the control step (reference-system.md §5.2, §5.6). The observation is in
// env_observation.cpp, the reward formulas in reward.cpp.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <dart/collision/bullet/BulletCollisionDetector.hpp>
#include <stdexcept>
#include <string>

#include "control.hpp"
#include "env_internal.hpp"
#include "model_internal.hpp"

namespace bidir {

namespace {

constexpr double kStartOffset = 0.07;      // reset just after heel strike, as the reference does (cycles)
constexpr double kStartJitter = 0.05;      // +- uniform jitter of the start phase (cycles)
constexpr double kTimeLimit = 10.0;        // eoe_type time: seconds per episode
constexpr double kDivergedVelocity = 1e3;  // |dq| above this (rad/s or m/s) counts as diverged physics
constexpr double kKneeLoadLimit = 8.0;     // kN, knee_pain termination after kKneeSteps steps
constexpr int kKneeSteps = 100;

using Clock = std::chrono::steady_clock;
// Adds the seconds since `since` to `total` and restarts the stopwatch.
void lap(Clock::time_point& since, double& total) {
  const auto now = Clock::now();
  total += std::chrono::duration<double>(now - since).count();
  since = now;
}

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("task spec: " + what);
}

void checkSpec(const Model& model, const TaskSpec& s, const MuscleNet* net) {
  const int n = model.numDofs(), nb = model.numBodies(), nm = model.numMuscles();
  require(s.simHz > 0 && s.controlHz > 0 && s.simHz % s.controlHz == 0, "sim_hz must be a multiple of control_hz");
  require(s.horizon > 0, "horizon must be positive");
  require(s.reference.samples.cols() == n, "reference motion has " + std::to_string(s.reference.samples.cols()) +
                                               " DoFs, the model " + std::to_string(n));
  require(static_cast<int>(s.dofMirror.size()) == n && s.dofMirrorSign.size() == n, "dofMirror needs one entry per DoF");
  require(static_cast<int>(s.bodyMirror.size()) == nb, "bodyMirror needs one entry per body");
  require(static_cast<int>(s.muscleMirror.size()) == nm, "muscleMirror needs one entry per muscle");
  for (int k : s.dofMirror) require(k >= 0 && k < n, "dofMirror entry out of range");
  for (int k : s.bodyMirror) require(k >= 0 && k < nb, "bodyMirror entry out of range");
  for (int k : s.muscleMirror) require(k >= 0 && k < nm, "muscleMirror entry out of range");
  for (int k : s.upperDofs) require(k >= 6 && k < n, "upperDofs entry out of range");
  for (int b : {s.headBody, s.footBody[0], s.footBody[1]}) require(b >= 0 && b < nb, "body index out of range");
  for (int b : s.kneeBody) require(b >= -1 && b < nb, "knee body index out of range");
  for (int b : s.endEffectors) require(b >= 0 && b < nb, "end effector out of range");
  require(nm > 0, "the model has no muscles");
  if (net) {
    require(net->inputDim() == model.muscleDofs() + n - 6,
            "muscle network input is " + std::to_string(net->inputDim()) + ", the model needs " +
                std::to_string(model.muscleDofs() + n - 6));
    require(net->numMuscles() == nm, "muscle network has " + std::to_string(net->numMuscles()) +
                                         " outputs, the model " + std::to_string(nm) + " muscles");
  }
}

int numObservedParameters(const TaskSpec& s) {
  return (s.stride.max - s.stride.min > 1e-3) + (s.cadence.max - s.cadence.min > 1e-3);
}

double sampleParameter(const ParameterSpec& p, std::mt19937_64& rng) {
  if (p.max - p.min <= 1e-3) return p.defaultValue;
  static constexpr double kUniform[] = {0.0, 0.25, 0.5, 0.75, 1.0};
  static constexpr double kExtremes[] = {0.0, 1.0};
  const int count = p.uniform ? 5 : 2;
  const double location = (p.uniform ? kUniform : kExtremes)[std::uniform_int_distribution<int>(0, count - 1)(rng)];
  const double noisy = std::clamp(location + std::normal_distribution<double>(0.0, 0.025)(rng), 0.0, 1.0);
  return p.min + noisy * (p.max - p.min);
}

}  // namespace

Env::Impl::Impl(std::shared_ptr<const Model> m, TaskSpec s, std::shared_ptr<MuscleNet> n, std::uint64_t seed)
    : model((checkSpec(*m, s, n.get()), std::move(m))),
      spec(std::move(s)),
      reference(spec.reference),
      net(std::move(n)),
      sim(model, 1.0 / spec.simHz),
      skel(*sim.impl().skeleton),
      rng(seed) {
  if (!net) throw std::invalid_argument("Env: the muscle network is null");
  ndof = model->numDofs();
  nact = ndof - 6;
  nmus = model->numMuscles();
  substeps = spec.simHz / spec.controlHz;
  dt = 1.0 / spec.simHz;
  controlDt = 1.0 / spec.controlHz;
  kp = model->kp();
  kv = model->kv();
  lower = model->positionLowerLimits();
  upper = model->positionUpperLimits();
  muscleMass.resize(nmus);
  for (int j = 0; j < nmus; ++j) muscleMass[j] = model->muscles()[j].mass;
  for (const auto& b : model->spec().bodies) restRotation.push_back(b.frame.topLeftCorner<3, 3>());
  rotationDof.assign(ndof, false);
  for (int k : spec.reference.rotationDofs) rotationDof[k] = rotationDof[k + 1] = rotationDof[k + 2] = true;
  const std::string& type = spec.reward.metabolicType;
  if (type == "A") energy = Energy::A;
  else if (type == "A2") energy = Energy::A2;
  else if (type == "MA") energy = Energy::MA;
  else if (type == "MA2") energy = Energy::MA2;
  else throw std::invalid_argument("task spec: unknown metabolic type '" + type + "'");
  {
    std::lock_guard<std::mutex> lock(model->impl().mutex);
    kinematic = model->impl().skeleton->cloneSkeleton();
  }
  const int nb = model->numBodies();
  obsDim = 3 + 3 * nb + 6 * nb + 3 * nb + 3 + 3 * nb + 2 + (spec.reward.type == "gaitnet" ? 1 : 0) +
           (spec.jointStateInObservation ? 3 * nact : 0) + numObservedParameters(spec);
  actDim = nact + (spec.timeWarping > 0.0 ? 1 : 0);
  obs = Eigen::VectorXf::Zero(obsDim);
  info = Eigen::VectorXd::Zero(kInfoSize);
  activations = Eigen::VectorXd::Zero(nmus);
  forces = ext = Eigen::VectorXd::Zero(ndof);
  tuple.desiredTorque = Eigen::VectorXf::Zero(nact);
  tuple.JtAReduced = Eigen::VectorXf::Zero(model->muscleDofs());
  tuple.JtA = Eigen::MatrixXf::Zero(nact, nmus);
  jtaIn.resize(nact, nmus);
  netInput = Eigen::VectorXf::Zero(model->muscleDofs() + nact);
  netOutput = Eigen::VectorXf::Zero(nmus);
}

// ---------------------------------------------------------------------------------------------- reset

void Env::Impl::sampleEpisode(const ResetOptions& o) {
  strideRatio = std::isnan(o.stride) ? sampleParameter(spec.stride, rng) : o.stride;
  cadenceRatio = std::isnan(o.cadence) ? sampleParameter(spec.cadence, rng) : o.cadence;
  if (!(strideRatio > 0.0) || !(cadenceRatio > 0.0) || !std::isfinite(strideRatio) || !std::isfinite(cadenceRatio))
    throw std::invalid_argument("reset: stride and cadence ratios must be positive and finite");
  cycle = reference.duration() / cadenceRatio;
  double start = o.phase;
  if (std::isnan(start)) {
    std::uniform_real_distribution<double> jitter(-kStartJitter, kStartJitter);
    if (spec.reward.type == "gaitnet") {
      // Just after a heel strike of either foot, so that the episode starts in double support.
      const double half = std::bernoulli_distribution(0.5)(rng) ? 0.5 : 0.0;
      start = reference.rightHeelStrike() + half + kStartOffset + jitter(rng);
    } else {
      start = std::uniform_real_distribution<double>(0.01, 0.99)(rng);
    }
  }
  if (!std::isfinite(start)) throw std::invalid_argument("reset: phase must be finite");
  start -= std::floor(start);
  episodeTime = 0.0;
  steps = 0;

  // Pose and velocity of the reference; the velocity from one physics step of the reference.
  const double dphase = dt / cycle;
  referencePose = reference.pose(start, strideRatio);
  const Eigen::VectorXd ahead = reference.pose(start + dphase, strideRatio);
  targetVelocity = skel.getPositionDifferences(ahead, referencePose) / dt;
  Eigen::VectorXd q = referencePose.cwiseMax(lower).cwiseMin(upper);
  auto& world = *sim.impl().world;
  world.setTime(0.0);
  // A fresh detector: Bullet keeps contact manifolds between steps, which would carry over episodes.
  world.getConstraintSolver()->setCollisionDetector(dart::collision::BulletCollisionDetector::create());
  // Nothing of the last episode may leak in: forces, and the constraint (contact) impulses that SPD reads.
  skel.clearExternalForces();
  skel.clearInternalForces();
  skel.clearConstraintImpulses();
  skel.setJointConstraintImpulses(Eigen::VectorXd::Zero(ndof));
  sim.setPositions(q);
  sim.setVelocities(targetVelocity);
  placeOnGround();
  target = referencePose;
  phase.reset(start * cycle, cycle, reference.rightHeelStrike(), reference.stride() * strideRatio, footPosition(0),
              footPosition(1));
}

// Lifts the body until no contact penetrates the ground by more than 1 mm (at most 10 tries).
void Env::Impl::placeOnGround() {
  auto& world = *sim.impl().world;
  dart::collision::CollisionOption option;
  option.maxNumContacts = 1000;
  for (int i = 0; i < 10; ++i) {
    dart::collision::CollisionResult result;
    world.checkCollision(option, &result);
    double depth = 0.0;
    for (std::size_t c = 0; c < result.getNumContacts(); ++c)
      depth = std::max(depth, result.getContact(c).penetrationDepth);
    if (depth <= 1e-3) return;
    Eigen::VectorXd q = skel.getPositions();
    q[4] += depth;  // the free root's y translation
    sim.setPositions(q);
  }
}

// ---------------------------------------------------------------------------------------------- step

// PD target = reference pose one control step ahead, composed with the scaled residual action
// (ball joints: R_ref exp(a); revolute: add; the root is not actuated).
void Env::Impl::setTarget(const Eigen::VectorXf& action) {
  if (spec.timeWarping > 0.0) phase.setPhaseAction(spec.timeWarping * action[nact], controlDt);
  const double now = phase.localPhase(), dphase = controlDt / cycle;
  referencePose = reference.pose(now + dphase, strideRatio);
  targetVelocity = skel.getPositionDifferences(reference.pose(now + 2.0 * dphase, strideRatio), referencePose) /
                   controlDt;
  Eigen::VectorXd offset = Eigen::VectorXd::Zero(ndof);
  for (int d = 0; d < nact; ++d) {
    const int src = mirrored ? spec.dofMirror[d + 6] : d + 6;
    offset[d + 6] = (mirrored ? spec.dofMirrorSign[d + 6] : 1.0) * spec.actionScale * action[src - 6];
  }
  target = referencePose;
  for (int k : spec.reference.rotationDofs)
    if (k >= 6) target.segment<3>(k) = logMap(expMap(referencePose.segment<3>(k)) * expMap(offset.segment<3>(k)));
  for (int d = 6; d < ndof; ++d)
    if (!rotationDof[d]) target[d] += offset[d];
}

double Env::Impl::muscleEnergy(const Eigen::VectorXd& a) const {
  switch (energy) {
    case Energy::A: return a.sum();  // activations are >= 0
    case Energy::A2: return a.squaredNorm();
    case Energy::MA: return muscleMass.dot(a);
    case Energy::MA2: return muscleMass.dot(a.cwiseAbs2());
  }
  return 0.0;
}

Eigen::Vector3d Env::Impl::footPosition(int side) const { return skel.getBodyNode(spec.footBody[side])->getCOM(); }

// The first half of one physics step: muscle geometry and SPD, then the network's input row
// (JtA_reduced, tau_des; mirrored in the mirrored half of the cycle). Throws on non-finite state.
void Env::Impl::prepareSubstep(int index, float* networkInput) {
  auto clock = Clock::now();
  const MuscleState& ms = sim.updateMuscles(true, spec.forceVelocity);
  lap(clock, timings.muscles);
  ext.setZero();
  if (spec.includeJtpInSpd) ext.tail(nact) = ms.JtP;
  spd = stablePDArticulated(skel, target, targetVelocity, kp, kv, ext);
  lap(clock, timings.spd);
  tauDes = spd.tail(nact);
  if (!spec.includeJtpInSpd) tauDes -= ms.JtP;
  if (!tauDes.allFinite()) throw std::invalid_argument("non-finite desired torque");

  // The network sees the mirrored body in the mirrored half of the cycle.
  const Eigen::Index nred = ms.JtAReduced.size();
  Eigen::Map<Eigen::VectorXf> reducedNet(networkInput, nred), tauNet(networkInput + nred, nact);
  if (mirrored) {
    const auto& muscles = model->muscles();
    for (int d = 0; d < nact; ++d) {
      const int src = spec.dofMirror[d + 6] - 6;
      const double sign = spec.dofMirrorSign[d + 6];
      tauNet[d] = static_cast<float>(sign * tauDes[src]);
      for (int j = 0; j < nmus; ++j) jtaIn(d, j) = sign * ms.JtA(src, spec.muscleMirror[j]);
    }
    Eigen::Index k = 0;
    for (int j = 0; j < nmus; ++j)
      for (int d : muscles[j].relatedDofs) reducedNet[k++] = static_cast<float>(jtaIn(d, j));
  } else {
    tauNet = tauDes.cast<float>();
    reducedNet = ms.JtAReduced.cast<float>();
  }
  if (index == tupleIndex) {
    tuple.desiredTorque = tauNet;
    tuple.JtAReduced = reducedNet;
    tuple.JtA = (mirrored ? jtaIn : ms.JtA).cast<float>();
  }
  lap(clock, timings.forces);  // the mirroring counts with the forces
}

// The second half: muscle forces from the network's activations, SPD torques on the upper body, the
// DART step, then phase and stance. Returns false if the physics diverged.
bool Env::Impl::finishSubstep(const float* networkActivations) {
  auto clock = Clock::now();
  for (int j = 0; j < nmus; ++j) activations[j] = networkActivations[mirrored ? spec.muscleMirror[j] : j];
  metabolic += muscleEnergy(activations);

  sim.applyMuscleForces(activations);
  forces.setZero();
  if (spec.lowerBodyMuscles) {
    for (int d : spec.upperDofs) {
      forces[d] = spd[d];
      torque += std::abs(spd[d]);
    }
  }
  sim.setForces(forces);  // throws on NaN: counted as diverged
  lap(clock, timings.forces);
  sim.step(1);
  lap(clock, timings.dart);

  const Eigen::VectorXd& dq = skel.getVelocities();
  if (!skel.getPositions().allFinite() || !dq.allFinite() || dq.cwiseAbs().maxCoeff() > kDivergedVelocity)
    return false;
  for (int b : spec.kneeBody) {
    if (b < 0) continue;
    const double load = skel.getBodyNode(b)->getBodyForce().tail<3>().norm() / 1000.0;
    knee += 0.5 * load;
    kneeMax = std::max(kneeMax, load);
  }
  phase.advance(dt, spec.hardPhaseClipping);
  phase.updateStance(footPosition(0), footPosition(1));
  comLog[comCount++ % comLog.size()] = skel.getCOM();
  return true;
}

double Env::Impl::avgVelocityWindow() const {
  return std::max(1.0, std::round(cycle * spec.reward.avgVelWindow * spec.simHz));
}

void Env::Impl::finishStep(StepResult& out) {
  RewardInputs in;
  in.metabolicEnergy = metabolic / substeps;
  in.torqueEnergy = spec.reward.torqueCoeff * torque / substeps;
  in.kneeLoad = knee / substeps;
  in.kneeLoadMax = kneeMax;
  kneeLoadEpisodeMax = std::max(kneeLoadEpisodeMax, kneeMax);

  const auto* head = skel.getBodyNode(spec.headBody);
  const Eigen::Vector3d headNow = head->getCOMLinearVelocity();
  in.headVelocityChange = (headNow - headVelocity).norm();
  headVelocity = headNow;
  in.headAngle = Eigen::AngleAxisd(head->getWorldTransform().linear() * restRotation[spec.headBody].transpose()).angle();

  const Eigen::Vector3d com = skel.getCOM();
  in.targetSpeed = reference.stride() * strideRatio / cycle;
  const long window = static_cast<long>(avgVelocityWindow());
  if (comCount > window) {
    const Eigen::Vector3d& past = comLog[(comCount - 1 - window) % comLog.size()];
    in.avgVelocity = (com - past) / (window * dt);
    in.dragActive = true;
  } else {
    in.avgVelocity = Eigen::Vector3d(0.0, 0.0, in.targetSpeed);  // too early to judge
  }
  in.lateralDrift = std::abs(com.x() - comStart.x());
  const int stance = phase.rightStance() ? 0 : 1;
  in.stepError = std::abs(footPosition(stance).z() - phase.currentTarget().z());

  if (spec.reward.type != "gaitnet") {
    const double now = phase.localPhase();
    const Eigen::VectorXd qRef = reference.pose(now, strideRatio);
    const Eigen::VectorXd dqRef =
        skel.getPositionDifferences(reference.pose(now + dt / cycle, strideRatio), qRef) / dt;
    kinematic->setPositions(qRef);
    in.poseError2 = skel.getPositionDifferences(skel.getPositions(), qRef).squaredNorm();
    in.velocityError2 = (skel.getVelocities() - dqRef).squaredNorm();
    in.comError2 = (com - kinematic->getCOM()).squaredNorm();
    const Eigen::Vector3d root = skel.getBodyNode(0)->getCOM(), rootRef = kinematic->getBodyNode(0)->getCOM();
    for (int b : spec.endEffectors)
      in.endEffectorError2 +=
          ((skel.getBodyNode(b)->getCOM() - root) - (kinematic->getBodyNode(b)->getCOM() - rootRef)).squaredNorm();
    in.numDofs = ndof;
    in.numEndEffectors = std::max<int>(1, static_cast<int>(spec.endEffectors.size()));
  }

  double reward = computeReward(spec.reward, in, info);
  if (steps <= spec.reward.clipSteps)
    reward = std::clamp(reward, -spec.reward.clipValue, spec.reward.clipValue);
  out.reward = reward;

  const bool fall = com.y() < spec.fallHeight;
  const bool kneeFail = spec.reward.kneeTermination && steps > kKneeSteps && kneeLoadEpisodeMax > kKneeLoadLimit;
  out.terminated = fall || kneeFail;
  out.truncated = !out.terminated && (spec.truncateByTime ? episodeTime >= kTimeLimit : steps >= spec.horizon);

  info[kEnergyMetabolic] = in.metabolicEnergy;
  info[kEnergyTorque] = in.torqueEnergy;
  info[kHeadVelocityChange] = in.headVelocityChange;
  info[kHeadAngle] = in.headAngle;
  info[kAvgVelX] = in.avgVelocity.x();
  info[kAvgVelZ] = in.avgVelocity.z();
  info[kTargetSpeed] = in.targetSpeed;
  info[kStepError] = in.stepError;
  info[kKneeLoad] = in.kneeLoad;
  info[kKneeLoadMax] = in.kneeLoadMax;
  info[kFall] = fall ? 1.0 : 0.0;
}

// ---------------------------------------------------------------------------------------------- Env

Env::Env(std::shared_ptr<const Model> model, TaskSpec spec, std::shared_ptr<MuscleNet> net, std::uint64_t seed)
    : impl_(std::make_unique<Impl>(std::move(model), std::move(spec), std::move(net), seed)) {}

Env::~Env() = default;

int Env::observationDim() const { return impl_->obsDim; }
int Env::actionDim() const { return impl_->actDim; }
const TaskSpec& Env::spec() const { return impl_->spec; }
void Env::seed(std::uint64_t seed) { impl_->rng.seed(seed); }
const Eigen::VectorXf& Env::observation() const { return impl_->obs; }
const Eigen::VectorXd& Env::info() const { return impl_->info; }
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

void Env::setMuscleNet(std::shared_ptr<MuscleNet> net) {
  checkSpec(*impl_->model, impl_->spec, net.get());
  if (!net) throw std::invalid_argument("Env: the muscle network is null");
  impl_->net = std::move(net);
}

Eigen::VectorXf Env::computeObservation(bool mirrored) {
  Eigen::VectorXf out(impl_->obsDim);
  impl_->observe(mirrored, out);
  return out;
}

const Eigen::VectorXf& Env::reset(const ResetOptions& options) {
  Impl& s = *impl_;
  s.sampleEpisode(options);
  s.activations.setZero();
  s.kneeLoadEpisodeMax = 0.0;
  s.headVelocity = s.skel.getBodyNode(s.spec.headBody)->getCOMLinearVelocity();
  s.comStart = s.skel.getCOM();
  s.comLog.assign(static_cast<std::size_t>(s.avgVelocityWindow()) + 1, s.comStart);
  s.comCount = 0;
  s.info.setZero();
  s.info[kPhase] = s.phase.localPhaseFraction();
  s.info[kStrideRatio] = s.strideRatio;
  s.info[kCadenceRatio] = s.cadenceRatio;
  s.mirrored = s.spec.enforceSymmetry && s.phase.secondHalf();
  s.info[kMirrored] = s.mirrored;
  s.started = true;
  s.observe(s.mirrored, s.obs);
  return s.obs;
}

int Env::substeps() const { return impl_->substeps; }

void Env::beginStep(const Eigen::Ref<const Eigen::VectorXf>& action) {
  Impl& s = *impl_;
  if (!s.started) throw std::logic_error("step() before reset()");
  if (action.size() != s.actDim)
    throw std::invalid_argument("action has " + std::to_string(action.size()) + " values, expected " +
                                std::to_string(s.actDim));
  for (Eigen::Index i = 0; i < action.size(); ++i)
    if (!std::isfinite(action[i]))
      throw std::invalid_argument("action[" + std::to_string(i) + "] is " + std::to_string(action[i]) +
                                  "; actions must be finite");
  s.stepStart = Clock::now();
  s.q0 = s.skel.getPositions();
  s.dq0 = s.skel.getVelocities();
  s.setTarget(action);
  s.steps += 1;
  s.tupleIndex = std::uniform_int_distribution<int>(0, s.substeps - 1)(s.rng);
  s.metabolic = s.torque = s.knee = s.kneeMax = 0.0;
  s.stepOk = true;
  s.inStep = true;
}

bool Env::prepareSubstep(int index, float* networkInput) {
  Impl& s = *impl_;
  if (!s.inStep) throw std::logic_error("prepareSubstep() outside beginStep() .. endStep()");
  if (!s.stepOk) return false;
  try {
    s.prepareSubstep(index, networkInput);
  } catch (const std::invalid_argument&) {  // non-finite state, about to diverge
    s.stepOk = false;
  }
  return s.stepOk;
}

void Env::finishSubstep(int /*index*/, const float* activations) {
  Impl& s = *impl_;
  if (!s.inStep) throw std::logic_error("finishSubstep() outside beginStep() .. endStep()");
  if (!s.stepOk) return;
  try {
    s.stepOk = s.finishSubstep(activations);
  } catch (const std::invalid_argument&) {
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
  s.info[kPhase] = s.phase.localPhaseFraction();
  s.info[kStrideRatio] = s.strideRatio;
  s.info[kCadenceRatio] = s.cadenceRatio;
  s.mirrored = s.spec.enforceSymmetry && s.phase.secondHalf();
  s.info[kMirrored] = s.mirrored;
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
  for (int i = 0; i < s.substeps; ++i) {
    if (!prepareSubstep(i, s.netInput.data())) break;
    auto clock = Clock::now();
    s.net->forward(s.netInput.data(), 1, s.netOutput.data());
    lap(clock, s.timings.network);
    finishSubstep(i, s.netOutput.data());
  }
  return endStep();
}

}  // namespace bidir
