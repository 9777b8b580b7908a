// The start of an episode: gait parameters and start phase sampled from the task, the body posed on the
// reference and placed on the ground (reference-system.md §5.2).
#include <algorithm>
#include <cmath>
#include <dart/collision/bullet/BulletCollisionDetector.hpp>
#include <limits>

#include "body_scale.hpp"
#include "env_internal.hpp"
#include "model_internal.hpp"

namespace bidir {

namespace {

constexpr double kStartOffset = 0.07;  // reset just after heel strike, as the reference does (cycles)
constexpr double kStartJitter = 0.05;  // +- uniform jitter of the start phase (cycles)

double sampleParameter(const ParameterSpec& p, std::mt19937_64& rng) {
  if (!CompiledTask::isSampled(p) || p.sampling == Sampling::Default) return p.defaultValue;
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
  const bool draw = spec.resampleSteps == 0 || !drawn || stepsSinceDraw > spec.resampleSteps;
  if (draw) {
    drawn = true;
    stepsSinceDraw = 0;
  }
  // A given ratio holds for this episode only; else a new draw (kept) or the last draw.
  if (std::isnan(o.stride) && draw) drawnStride = sampleParameter(spec.stride, rng);
  if (std::isnan(o.cadence) && draw) drawnCadence = sampleParameter(spec.cadence, rng);
  strideRatio = std::isnan(o.stride) ? drawnStride : o.stride;
  cadenceRatio = std::isnan(o.cadence) ? drawnCadence : o.cadence;
  if (!(strideRatio > 0.0) || !(cadenceRatio > 0.0) || !std::isfinite(strideRatio) || !std::isfinite(cadenceRatio))
    throw std::invalid_argument("reset: stride and cadence ratios must be positive and finite");
  const ReferenceMotion& reference = task.reference();
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
  sampleConditions(o.conditions.size() != 0 ? o.conditions : fixedConditions, draw);
  motionStride = strideRatio * bodySize;
  motionCadence = cadenceRatio / std::sqrt(bodySize);
  cycle = reference.duration() / motionCadence;
  start -= std::floor(start);
  startPhase = start;
  episodeTime = 0.0;
  steps = 0;

  // Pose and velocity of the reference; the velocity from one physics step of the reference.
  referencePose = task.referencePose(start, motionStride);
  targetVelocity = task.referenceVelocity(start, motionStride, motionCadence);
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
  if (task.hasSkeletonConditions()) lowerOntoGround();
  placeOnGround();
  target = referencePose;
  phase.reset(start * cycle, cycle, reference.rightHeelStrike(), reference.stride() * motionStride, footPosition(0),
              footPosition(1));
}

// Draws the episode's conditions (a given value where `given` has a number; the last episode's where `draw` is
// false) and applies them: sim's muscle ratios (the product of the muscle conditions on each muscle), and under
// skeleton conditions sim's body (body_scale.hpp; the product of the global scales and of the bone ratios on each
// body, the sum of the torsions) and the kinematic body with it. A task without conditions leaves the model's.
void Env::Impl::sampleConditions(const Eigen::VectorXd& given, bool draw) {
  const auto& specs = task.conditions();
  const Eigen::Index count = static_cast<Eigen::Index>(specs.size());
  if (given.size() != 0 && given.size() != count)
    throw std::invalid_argument("reset: conditions has " + std::to_string(given.size()) + " values, the task has " +
                                std::to_string(count) + " conditions");
  if (count == 0) return;
  const std::size_t nb = skel.getNumBodyNodes();
  Eigen::VectorXd force = Eigen::VectorXd::Ones(nmus), length = Eigen::VectorXd::Ones(nmus);
  std::vector<double> global(nb, 1.0), bone(nb, 1.0);
  BodyScale body;
  body.twist.assign(nb, 0.0);
  bool onMuscles = false;
  bodySize = 1.0;
  // The episode's values: a given one, else a new draw (kept as the last draw) or the last draw. All are
  // checked before any is used, so a refused reset leaves the env's conditions as they were.
  Eigen::VectorXd values(count);
  for (Eigen::Index i = 0; i < count; ++i) {
    const auto& c = specs[i];
    if (given.size() != 0 && !std::isnan(given[i]))
      values[i] = given[i];
    else
      values[i] = draw ? (drawnConditions[i] = sampleParameter(c.range, rng)) : drawnConditions[i];
    const bool ratio = c.target != ConditionTarget::Torsion;
    if (!std::isfinite(values[i]) || (ratio && !(values[i] > 0.0)))
      throw std::invalid_argument("reset: condition '" + c.name + "' must be " +
                                  (ratio ? "positive and finite" : "finite") + ", got " + std::to_string(values[i]));
  }
  conditions = values;
  Eigen::VectorXd skeleton(count);  // the values that shape the body (muscle entries 0): the body's cache key
  for (Eigen::Index i = 0; i < count; ++i) {
    const auto& c = specs[i];
    const double v = conditions[i];
    skeleton[i] = c.onMuscles() ? 0.0 : v;
    onMuscles = onMuscles || c.onMuscles();
    switch (c.target) {
      case ConditionTarget::MuscleForce:
        for (int j : c.indices) force[j] *= v;
        break;
      case ConditionTarget::MuscleLength:
        for (int j : c.indices) length[j] *= v;
        break;
      case ConditionTarget::BodyScale:
        for (int b : c.indices) global[b] *= v;
        bodySize *= v;
        break;
      case ConditionTarget::BoneLength:
        for (int b : c.indices) bone[b] *= v;
        break;
      case ConditionTarget::Torsion:
        for (int b : c.indices) body.twist[b] += task.internalTwistSigns()[b] * v;
        break;
    }
  }
  if (onMuscles) sim.setMuscleRatios(force, length);
  if (spec.similarObservation) {
    const double g = bodySize;
    similar = {1.0 / g, 1.0 / std::sqrt(g), std::sqrt(g), std::pow(g, -2.5)};
  }
  if (!task.hasSkeletonConditions() || (bodyConditions.size() == count && bodyConditions == skeleton)) return;
  body.stretch.resize(nb);
  for (std::size_t b = 0; b < nb; ++b)
    body.stretch[b] = global[b] * (Eigen::Matrix3d::Identity() +
                                   (bone[b] - 1.0) * task.boneAxes()[b] * task.boneAxes()[b].transpose());
  body.damping = std::pow(bodySize, 2.5);  // the reference's law
  sim.setBodyScale(body);
  {
    std::lock_guard<std::mutex> lock(task.model().impl().mutex);  // shapes shared with the model (Simulation)
    applyBodies(*kinematic, sim.bodies());
  }
  bodyConditions = skeleton;
}

// The lowest point of the skeleton's collision shapes (spheres, boxes, capsules), y up.
static double lowestCollisionPoint(const dart::dynamics::Skeleton& skel) {
  namespace dd = dart::dynamics;
  double low = std::numeric_limits<double>::infinity();
  for (std::size_t b = 0; b < skel.getNumBodyNodes(); ++b) {
    const dd::BodyNode* node = skel.getBodyNode(b);
    for (std::size_t k = 0; k < node->getNumShapeNodes(); ++k) {
      const dd::ShapeNode* sn = node->getShapeNode(k);
      if (sn->getCollisionAspect() == nullptr) continue;
      const Eigen::Isometry3d T = sn->getWorldTransform();
      const dd::Shape* shape = sn->getShape().get();
      if (const auto* sphere = dynamic_cast<const dd::SphereShape*>(shape)) {
        low = std::min(low, T.translation().y() - sphere->getRadius());
      } else if (const auto* box = dynamic_cast<const dd::BoxShape*>(shape)) {
        for (int corner = 0; corner < 8; ++corner) {
          const Eigen::Vector3d s((corner & 1) ? 0.5 : -0.5, (corner & 2) ? 0.5 : -0.5, (corner & 4) ? 0.5 : -0.5);
          low = std::min(low, (T * s.cwiseProduct(box->getSize())).y());
        }
      } else if (const auto* capsule = dynamic_cast<const dd::CapsuleShape*>(shape)) {
        for (double end : {-0.5, 0.5})
          low = std::min(low, (T * Eigen::Vector3d(0, 0, end * capsule->getHeight())).y() - capsule->getRadius());
      }
    }
  }
  return low;
}

// A scaled body posed on the reference floats above the ground (shorter legs) or sinks into it (longer ones):
// it is moved down or up until its lowest collision point touches the ground.
void Env::Impl::lowerOntoGround() {
  const double low = lowestCollisionPoint(skel);
  if (!std::isfinite(low)) return;
  Eigen::VectorXd q = skel.getPositions();
  q[4] -= low;  // the free root's y translation
  sim.setPositions(q);
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
