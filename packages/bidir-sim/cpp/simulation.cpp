#include "simulation.hpp"

#include <cmath>
#include <dart/collision/bullet/BulletCollisionDetector.hpp>
#include <stdexcept>

#include "control.hpp"
#include "model_internal.hpp"
#include "muscles_internal.hpp"
#include "simulation_internal.hpp"

namespace bidir {

Simulation::Simulation(std::shared_ptr<const Model> model, double timestep)
    : model_(std::move(model)), impl_(std::make_unique<Impl>()) {
  if (!model_) throw std::invalid_argument("Simulation: model is null");
  if (!(timestep > 0.0) || timestep > 0.1)
    throw std::invalid_argument("Simulation: timestep must be in (0, 0.1] s, got " + std::to_string(timestep));
  impl_->world = dart::simulation::World::create();
  impl_->world->setGravity(Eigen::Vector3d(0.0, -9.8, 0.0));
  impl_->world->setTimeStep(timestep);
  // Bullet: 3.4x faster than FCL on box contacts here, and FCL warns on primitives.
  impl_->world->getConstraintSolver()->setCollisionDetector(dart::collision::BulletCollisionDetector::create());
  {
    std::lock_guard<std::mutex> lock(model_->impl().mutex);
    impl_->skeleton = model_->impl().skeleton->cloneSkeleton();
  }
  impl_->skeleton->resetPositions();
  impl_->skeleton->resetVelocities();
  impl_->world->addSkeleton(impl_->skeleton);
  impl_->world->addSkeleton(buildGround());
}

Simulation::~Simulation() = default;

double Simulation::timestep() const { return impl_->world->getTimeStep(); }
double Simulation::time() const { return impl_->world->getTime(); }
Eigen::VectorXd Simulation::positions() const { return impl_->skeleton->getPositions(); }
Eigen::VectorXd Simulation::velocities() const { return impl_->skeleton->getVelocities(); }

namespace {
void checkSize(const Eigen::VectorXd& v, std::size_t n, const char* what) {
  if (static_cast<std::size_t>(v.size()) != n)
    throw std::invalid_argument(std::string(what) + " has " + std::to_string(v.size()) + " values, the model has " +
                                std::to_string(n) + " DoFs");
  if (!v.allFinite()) throw std::invalid_argument(std::string(what) + " contains NaN or inf");
}

void checkInput(const Eigen::VectorXd& v, std::size_t n, double bound, const char* what) {
  checkSize(v, n, what);
  checkBoundedInput(v, bound, what);
}
}  // namespace

void Simulation::setPositions(const Eigen::VectorXd& q) {
  checkInput(q, impl_->skeleton->getNumDofs(), kMaxPosition, "positions");
  muscles_.valid = false;
  impl_->skeleton->setPositions(q);
}

void Simulation::setVelocities(const Eigen::VectorXd& dq) {
  checkInput(dq, impl_->skeleton->getNumDofs(), kMaxSpeed, "velocities");
  muscles_.valid = false;
  impl_->skeleton->setVelocities(dq);
}

void Simulation::setForces(const Eigen::VectorXd& tau) {
  checkInput(tau, impl_->skeleton->getNumDofs(), kMaxGeneralizedForce, "forces");
  impl_->skeleton->setForces(tau);
}

void Simulation::step(int n) {
  if (n < 0) throw std::invalid_argument("step: n must be >= 0");
  muscles_.valid = false;
  // World::step clears forces after each step (resetCommand); keep them applied.
  const Eigen::VectorXd tau = impl_->skeleton->getForces();
  auto& skel = *impl_->skeleton;
  for (int i = 0; i < n; ++i) {
    checkBounded(skel.getPositions(), kMaxPosition, "positions");
    checkBounded(skel.getVelocities(), kMaxSpeed, "velocities");
    skel.setForces(tau);
    if (keepStart_) {
      startPositions_ = skel.getPositions();
      startVelocities_ = skel.getVelocities();
    }
    impl_->world->step();
  }
}

Eigen::Vector3d Simulation::centerOfMass() const { return impl_->skeleton->getCOM(); }
double Simulation::totalMass() const { return impl_->skeleton->getMass(); }

std::vector<Eigen::Matrix4d> Simulation::bodyTransforms() const {
  std::vector<Eigen::Matrix4d> out;
  for (std::size_t b = 0; b < impl_->skeleton->getNumBodyNodes(); ++b)
    out.push_back(impl_->skeleton->getBodyNode(b)->getWorldTransform().matrix());
  return out;
}

std::vector<Eigen::Matrix4d> Simulation::jointTransforms() const {
  std::vector<Eigen::Matrix4d> out;
  for (std::size_t b = 0; b < impl_->skeleton->getNumBodyNodes(); ++b) {
    const auto* node = impl_->skeleton->getBodyNode(b);
    out.push_back((node->getWorldTransform() * node->getParentJoint()->getTransformFromChildBodyNode()).matrix());
  }
  return out;
}

Eigen::Vector3d Simulation::centerOfMassVelocity() const { return impl_->skeleton->getCOMLinearVelocity(); }

int Simulation::numContacts() const {
  return static_cast<int>(impl_->world->getLastCollisionResult().getNumContacts());
}

void Simulation::setBodyScale(const BodyScale& scale) {
  auto& skel = *impl_->skeleton;
  muscles_.valid = false;
  skel.resetPositions();
  skel.resetVelocities();
  if (scale.identity()) {
    if (bodies_.empty()) return;
    bodies_.clear();
    bodyMuscles_.clear();
    std::lock_guard<std::mutex> lock(model_->impl().mutex);
    applyBodies(skel, model_->spec().bodies);
    return;
  }
  bodies_ = scaledBodies(model_->spec(), scale);
  {
    // setShape detaches the node from its old shape, which the clones of the model share: one at a time
    std::lock_guard<std::mutex> lock(model_->impl().mutex);
    applyBodies(skel, bodies_);
  }
  bodyMuscles_ = scaleMuscles(model_->muscles(), scale.stretch, skel);
}

const MuscleState& Simulation::updateMuscles(bool jacobians, bool forceVelocity) {
  evaluateMuscles(muscles(), *impl_->skeleton, ratios_, forceVelocity, jacobians, muscles_);
  return muscles_;
}

void Simulation::setMuscleRatios(const Eigen::VectorXd& force, const Eigen::VectorXd& length) {
  const Eigen::Index nm = model_->numMuscles();
  if (force.size() == 0 && length.size() == 0) {
    ratios_ = {};
  } else {
    for (const auto& [ratios, what] : {std::pair{&force, "force"}, std::pair{&length, "length"}}) {
      if (ratios->size() != nm)
        throw std::invalid_argument("muscle " + std::string(what) + " ratios: " + std::to_string(ratios->size()) +
                                    " values, the model has " + std::to_string(nm) + " muscles");
      for (Eigen::Index j = 0; j < nm; ++j)
        if (!(std::isfinite((*ratios)[j]) && (*ratios)[j] > 0.0))
          throw std::invalid_argument("muscle " + std::string(what) + " ratio " + std::to_string(j) + " (muscle '" +
                                      muscles()[j].name + "') is " + std::to_string((*ratios)[j]) +
                                      ", must be positive and finite");
    }
    ratios_.force = force;
    ratios_.length = length;
  }
  muscles_.valid = false;
}

void Simulation::applyMuscleForces(const Eigen::VectorXd& a) {
  if (!muscles_.valid) throw std::logic_error("applyMuscleForces: call updateMuscles() at this state first");
  if (a.size() != model_->numMuscles())
    throw std::invalid_argument("activations has " + std::to_string(a.size()) + " values, the model has " +
                                std::to_string(model_->numMuscles()) + " muscles");
  for (Eigen::Index j = 0; j < a.size(); ++j)
    if (!(a[j] >= 0.0 && a[j] <= 1.0))
      throw std::invalid_argument("activation " + std::to_string(j) + " (muscle '" + muscles()[j].name + "') is " +
                                  std::to_string(a[j]) + ", must be in [0, 1]");
  bidir::applyMuscleForces(muscles(), *impl_->skeleton, muscles_, a);
}

Eigen::VectorXd Simulation::externalGeneralizedForces() const { return impl_->skeleton->getExternalForces(); }

Eigen::VectorXd Simulation::positionDifferences(const Eigen::VectorXd& a, const Eigen::VectorXd& b) const {
  checkInput(a, impl_->skeleton->getNumDofs(), kMaxPosition, "a");
  checkInput(b, impl_->skeleton->getNumDofs(), kMaxPosition, "b");
  return impl_->skeleton->getPositionDifferences(a, b);
}

Eigen::VectorXd Simulation::inverseDynamics(const Eigen::VectorXd& ddq) {
  checkSize(ddq, impl_->skeleton->getNumDofs(), "accelerations");
  auto& skel = *impl_->skeleton;
  const Eigen::VectorXd saved = skel.getForces(), savedAcc = skel.getAccelerations();
  skel.setAccelerations(ddq);
  skel.computeInverseDynamics(false, true, false);  // no external forces; joint damping; no springs
  const Eigen::VectorXd tau = skel.getForces();
  skel.setForces(saved);
  skel.setAccelerations(savedAcc);
  return tau;
}

Eigen::MatrixXd Simulation::linearJacobian(int body, const Eigen::Vector3d& localPoint) const {
  auto& skel = *impl_->skeleton;
  if (body < 0 || static_cast<std::size_t>(body) >= skel.getNumBodyNodes())
    throw std::invalid_argument("body index " + std::to_string(body) + " out of range");
  return skel.getLinearJacobian(skel.getBodyNode(body), localPoint);
}

Eigen::VectorXd Simulation::spdForces(const Eigen::VectorXd& target, const Eigen::VectorXd& targetVelocity,
                                      const Eigen::VectorXd& ext, bool articulated) const {
  const auto n = impl_->skeleton->getNumDofs();
  checkInput(target, n, kMaxPosition, "SPD target");
  checkInput(targetVelocity, n, kMaxSpeed, "SPD target velocity");
  checkInput(ext, n, kMaxGeneralizedForce, "SPD external forces");
  if (articulated)
    return stablePDArticulated(*impl_->skeleton, target, targetVelocity, model_->kp(), model_->kv(), ext);
  return stablePD(*impl_->skeleton, target, targetVelocity, model_->kp(), model_->kv(), timestep(), ext);
}

}  // namespace bidir
