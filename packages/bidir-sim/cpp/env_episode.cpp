// The start of an episode: gait parameters and start phase sampled from the task, the body posed on the
// reference and placed on the ground (reference-system.md §5.2).
#include <algorithm>
#include <cmath>
#include <dart/collision/bullet/BulletCollisionDetector.hpp>

#include "env_internal.hpp"

namespace bidir {

namespace {

constexpr double kStartOffset = 0.07;  // reset just after heel strike, as the reference does (cycles)
constexpr double kStartJitter = 0.05;  // +- uniform jitter of the start phase (cycles)

double sampleParameter(const ParameterSpec& p, std::mt19937_64& rng) {
  if (!CompiledTask::isSampled(p)) return p.defaultValue;
  if (p.sampling == Sampling::Continuous) return std::uniform_real_distribution<double>(p.min, p.max)(rng);
  static constexpr double kLocations[] = {0.0, 0.25, 0.5, 0.75, 1.0};
  static constexpr double kExtremes[] = {0.0, 1.0};
  const bool locations = p.sampling == Sampling::Locations;
  const int count = locations ? 5 : 2;
  const double location = (locations ? kLocations : kExtremes)[std::uniform_int_distribution<int>(0, count - 1)(rng)];
  const double noisy = std::clamp(location + std::normal_distribution<double>(0.0, 0.025)(rng), 0.0, 1.0);
  return p.min + noisy * (p.max - p.min);
}

}  // namespace

void Env::Impl::sampleEpisode(const ResetOptions& o) {
  strideRatio = std::isnan(o.stride) ? sampleParameter(spec.stride, rng) : o.stride;
  cadenceRatio = std::isnan(o.cadence) ? sampleParameter(spec.cadence, rng) : o.cadence;
  if (!(strideRatio > 0.0) || !(cadenceRatio > 0.0) || !std::isfinite(strideRatio) || !std::isfinite(cadenceRatio))
    throw std::invalid_argument("reset: stride and cadence ratios must be positive and finite");
  const ReferenceMotion& reference = task.reference();
  cycle = reference.duration() / cadenceRatio;
  double start = o.phase;
  if (std::isnan(start) && !reference.cyclic()) start = 0.0;  // a clip that does not loop: its start
  if (std::isnan(start)) {
    std::uniform_real_distribution<double> jitter(-kStartJitter, kStartJitter);
    if (task.rewardType() == RewardType::GaitNet) {
      // Just after a heel strike of either foot, so that the episode starts in double support.
      const double half = std::bernoulli_distribution(0.5)(rng) ? 0.5 : 0.0;
      start = reference.rightHeelStrike() + half + kStartOffset + jitter(rng);
    } else {
      start = std::uniform_real_distribution<double>(0.01, 0.99)(rng);
    }
  }
  if (!std::isfinite(start)) throw std::invalid_argument("reset: phase must be finite");
  sampleConditions(o.conditions);
  start -= std::floor(start);
  startPhase = start;
  episodeTime = 0.0;
  steps = 0;

  // Pose and velocity of the reference; the velocity from one physics step of the reference.
  referencePose = task.referencePose(start, strideRatio);
  targetVelocity = task.referenceVelocity(start, strideRatio, cadenceRatio);
  Eigen::VectorXd q = referencePose.cwiseMax(task.lowerLimits()).cwiseMin(task.upperLimits());
  auto& world = SimulationAccess::world(sim);
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

// Draws the episode's muscle conditions (a given value where `given` has a number) and sets sim's muscle ratios:
// the product of the conditions on each muscle. A task without conditions leaves the muscles as compiled.
void Env::Impl::sampleConditions(const Eigen::VectorXd& given) {
  const auto& specs = task.muscleConditions();
  const Eigen::Index count = static_cast<Eigen::Index>(specs.size());
  if (given.size() != 0 && given.size() != count)
    throw std::invalid_argument("reset: conditions has " + std::to_string(given.size()) + " values, the task has " +
                                std::to_string(count) + " muscle conditions");
  if (count == 0) return;
  conditions.resize(count);
  Eigen::VectorXd force = Eigen::VectorXd::Ones(nmus), length = Eigen::VectorXd::Ones(nmus);
  for (Eigen::Index i = 0; i < count; ++i) {
    const auto& c = specs[i];
    const bool fixed = given.size() != 0 && !std::isnan(given[i]);
    conditions[i] = fixed ? given[i] : sampleParameter(c.range, rng);
    if (!(std::isfinite(conditions[i]) && conditions[i] > 0.0))
      throw std::invalid_argument("reset: condition '" + c.name + "' must be positive and finite, got " +
                                  std::to_string(conditions[i]));
    Eigen::VectorXd& ratios = c.property == MuscleProperty::Force ? force : length;
    for (int j : c.muscles) ratios[j] *= conditions[i];
  }
  sim.setMuscleRatios(force, length);
}

// Lifts the body until no contact penetrates the ground by more than 1 mm (at most 10 tries).
void Env::Impl::placeOnGround() {
  auto& world = SimulationAccess::world(sim);
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

}  // namespace bidir
