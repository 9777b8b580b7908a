#include <stdexcept>

#include "bounds.hpp"
#include "model_internal.hpp"
#include "muscles_internal.hpp"

namespace bidir {
namespace dd = dart::dynamics;

namespace {

Eigen::Isometry3d toIsometry(const Eigen::Matrix4d& m) {
  Eigen::Isometry3d t = Eigen::Isometry3d::Identity();
  t.linear() = m.topLeftCorner<3, 3>();
  t.translation() = m.topRightCorner<3, 1>();
  return t;
}

dd::ShapePtr makeShape(const ShapeSpec& s, const std::string& body) {
  if (s.type == "box") return std::make_shared<dd::BoxShape>(s.size);
  if (s.type == "sphere") return std::make_shared<dd::SphereShape>(s.size[0]);
  if (s.type == "capsule") return std::make_shared<dd::CapsuleShape>(s.size[0], s.size[1]);
  throw std::invalid_argument("body '" + body + "': unknown shape type '" + s.type + "'");
}

// Whether a shape of `b` gets a shape node: it is drawn, or it collides (on a contact body).
bool hasShapeNode(const BodySpec& b, const ShapeSpec& s) { return s.visual || (b.contact && s.collision); }

// Creates the joint of `b` and its body node under `parent` (nullptr for the root).
dd::BodyNode* addBody(const dd::SkeletonPtr& skel, dd::BodyNode* parent, const BodySpec& b,
                      const Eigen::Isometry3d& parentFrame) {
  const Eigen::Isometry3d bodyFrame = toIsometry(b.frame);
  const Eigen::Isometry3d jointFrame = toIsometry(b.joint.frame);

  dd::BodyNode::Properties body;
  body.mName = b.name;
  body.mInertia = dart::dynamics::Inertia(b.mass, b.com, b.inertia);

  auto fillJoint = [&](auto& props) {
    props.mName = b.name;
    props.mT_ParentBodyToJoint = parentFrame.inverse() * jointFrame;
    props.mT_ChildBodyToJoint = bodyFrame.inverse() * jointFrame;
  };

  std::pair<dd::Joint*, dd::BodyNode*> pair;
  const std::string& type = b.joint.type;
  if (type == "free") {
    dd::FreeJoint::Properties p;
    fillJoint(p);
    pair = skel->createJointAndBodyNodePair<dd::FreeJoint>(parent, p, body);
  } else if (type == "ball") {
    dd::BallJoint::Properties p;
    fillJoint(p);
    pair = skel->createJointAndBodyNodePair<dd::BallJoint>(parent, p, body);
  } else if (type == "revolute") {
    dd::RevoluteJoint::Properties p;
    fillJoint(p);
    p.mAxis = b.joint.axis.normalized();
    pair = skel->createJointAndBodyNodePair<dd::RevoluteJoint>(parent, p, body);
  } else if (type == "weld") {
    dd::WeldJoint::Properties p;
    fillJoint(p);
    pair = skel->createJointAndBodyNodePair<dd::WeldJoint>(parent, p, body);
  } else {
    throw std::invalid_argument("body '" + b.name + "': unknown joint type '" + type + "'");
  }

  dd::Joint* joint = pair.first;
  const auto n = static_cast<Eigen::Index>(joint->getNumDofs());
  auto checkSize = [&](const Eigen::VectorXd& v, const char* what) {
    if (v.size() != 0 && v.size() != n)
      throw std::invalid_argument("body '" + b.name + "': joint " + what + " has " + std::to_string(v.size()) +
                                  " values, expected " + std::to_string(n));
  };
  checkSize(b.joint.lower, "lower");
  checkSize(b.joint.upper, "upper");
  checkSize(b.joint.damping, "damping");
  if (b.joint.lower.size() == n && b.joint.upper.size() == n && n > 0) {
    joint->setPositionLowerLimits(b.joint.lower);
    joint->setPositionUpperLimits(b.joint.upper);
    joint->setLimitEnforcement(true);
  }
  for (Eigen::Index i = 0; i < b.joint.damping.size(); ++i)
    joint->setDampingCoefficient(static_cast<std::size_t>(i), b.joint.damping[i]);

  dd::BodyNode* node = pair.second;
  for (const ShapeSpec& s : b.shapes) {
    if (!hasShapeNode(b, s)) continue;
    auto shape = makeShape(s, b.name);
    const bool collides = b.contact && s.collision;
    dd::ShapeNode* sn = nullptr;
    if (collides && s.visual)
      sn = node->createShapeNodeWith<dd::VisualAspect, dd::CollisionAspect, dd::DynamicsAspect>(shape);
    else if (collides)
      sn = node->createShapeNodeWith<dd::CollisionAspect, dd::DynamicsAspect>(shape);
    else
      sn = node->createShapeNodeWith<dd::VisualAspect>(shape);
    sn->setRelativeTransform(toIsometry(s.offset));
    if (s.visual) sn->getVisualAspect()->setRGBA(s.color);
  }
  return node;
}

}  // namespace

dd::SkeletonPtr buildSkeleton(const ModelSpec& spec) {
  if (spec.bodies.empty()) throw std::invalid_argument("model has no bodies");
  auto skel = dd::Skeleton::create(spec.name.empty() ? "model" : spec.name);
  for (const BodySpec& b : spec.bodies) {
    dd::BodyNode* parent = nullptr;
    Eigen::Isometry3d parentFrame = Eigen::Isometry3d::Identity();
    if (!b.parent.empty()) {
      parent = skel->getBodyNode(b.parent);
      if (parent == nullptr)
        throw std::invalid_argument("body '" + b.name + "': parent '" + b.parent + "' is not defined before it");
      for (const BodySpec& p : spec.bodies)
        if (p.name == b.parent) parentFrame = toIsometry(p.frame);
    }
    addBody(skel, parent, b, parentFrame);
  }
  skel->setSelfCollisionCheck(false);
  return skel;
}

void applyBodies(dd::Skeleton& skel, const std::vector<BodySpec>& bodies) {
  if (bodies.size() != skel.getNumBodyNodes())
    throw std::invalid_argument("applyBodies: " + std::to_string(bodies.size()) + " bodies for a skeleton of " +
                                std::to_string(skel.getNumBodyNodes()));
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    const BodySpec& b = bodies[i];
    dd::BodyNode* node = skel.getBodyNode(i);
    node->setInertia(dd::Inertia(b.mass, b.com, b.inertia));
    dd::Joint* joint = node->getParentJoint();
    const Eigen::Isometry3d jointFrame = toIsometry(b.joint.frame);
    const dd::BodyNode* parent = node->getParentBodyNode();
    const Eigen::Isometry3d parentFrame =
        parent == nullptr ? Eigen::Isometry3d::Identity() : toIsometry(bodies[parent->getIndexInSkeleton()].frame);
    joint->setTransformFromParentBodyNode(parentFrame.inverse() * jointFrame);
    joint->setTransformFromChildBodyNode(toIsometry(b.frame).inverse() * jointFrame);
    for (Eigen::Index d = 0; d < b.joint.damping.size(); ++d)
      joint->setDampingCoefficient(static_cast<std::size_t>(d), b.joint.damping[d]);
    // New shape objects: a clone shares its prototype's, so resizing one in place would resize every body.
    std::size_t k = 0;
    for (const ShapeSpec& s : b.shapes) {
      if (!hasShapeNode(b, s)) continue;
      dd::ShapeNode* sn = node->getShapeNode(k++);
      sn->setShape(makeShape(s, b.name));
      sn->setRelativeTransform(toIsometry(s.offset));
    }
  }
}

dd::SkeletonPtr buildGround() {
  auto ground = dd::Skeleton::create("ground");
  dd::WeldJoint::Properties jp;
  jp.mName = "ground";
  dd::BodyNode::Properties bp;
  bp.mName = "ground";
  auto pair = ground->createJointAndBodyNodePair<dd::WeldJoint>(nullptr, jp, bp);
  // 100 m wide, 400 m long (walking is along +z), top face at y = 0.
  auto box = std::make_shared<dd::BoxShape>(Eigen::Vector3d(100.0, 1.0, 400.0));
  auto* sn = pair.second->createShapeNodeWith<dd::VisualAspect, dd::CollisionAspect, dd::DynamicsAspect>(box);
  Eigen::Isometry3d t = Eigen::Isometry3d::Identity();
  t.translation() = Eigen::Vector3d(0.0, -0.5, 180.0);
  sn->setRelativeTransform(t);
  return ground;
}

Model::Model(ModelSpec spec) : spec_(std::move(spec)), impl_(std::make_unique<Impl>()) {
  impl_->skeleton = buildSkeleton(spec_);
  muscles_ = compileMuscles(spec_, *impl_->skeleton);
}

int Model::muscleDofs() const {
  int n = 0;
  for (const auto& m : muscles_) n += static_cast<int>(m.relatedDofs.size());
  return n;
}

Model::~Model() = default;

int Model::numBodies() const { return static_cast<int>(impl_->skeleton->getNumBodyNodes()); }
int Model::numDofs() const { return static_cast<int>(impl_->skeleton->getNumDofs()); }
double Model::totalMass() const { return impl_->skeleton->getMass(); }

std::vector<std::string> Model::bodyNames() const {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < impl_->skeleton->getNumBodyNodes(); ++i)
    names.push_back(impl_->skeleton->getBodyNode(i)->getName());
  return names;
}

std::vector<std::string> Model::dofNames() const {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < impl_->skeleton->getNumDofs(); ++i)
    names.push_back(impl_->skeleton->getDof(i)->getName());
  return names;
}

Eigen::VectorXd Model::positionLowerLimits() const { return impl_->skeleton->getPositionLowerLimits(); }
Eigen::VectorXd Model::positionUpperLimits() const { return impl_->skeleton->getPositionUpperLimits(); }

namespace {
Eigen::VectorXd gains(const Model& m, bool proportional) {
  Eigen::VectorXd out = Eigen::VectorXd::Zero(m.numDofs());
  Eigen::Index offset = 0;
  for (const BodySpec& b : m.spec().bodies) {
    const Eigen::VectorXd& g = proportional ? b.joint.kp : b.joint.kv;
    const auto n = static_cast<Eigen::Index>(m.impl().skeleton->getBodyNode(b.name)->getParentJoint()->getNumDofs());
    if (g.size() == n) out.segment(offset, n) = g;
    offset += n;
  }
  return out;
}
}  // namespace

Eigen::VectorXd Model::kp() const { return gains(*this, true); }
Eigen::VectorXd Model::kv() const { return gains(*this, false); }

std::vector<double> Model::forwardKinematics(const Eigen::MatrixXd& Q) const {
  if (Q.cols() != numDofs())
    throw std::invalid_argument("forward_kinematics: positions have " + std::to_string(Q.cols()) +
                                " columns, the model has " + std::to_string(numDofs()) + " DoFs");
  checkBoundedInput(Q, kMaxPosition, "forward_kinematics: positions");
  const auto nb = static_cast<std::size_t>(numBodies());
  std::vector<double> out(static_cast<std::size_t>(Q.rows()) * nb * 16);
  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto& skel = *impl_->skeleton;
  for (Eigen::Index f = 0; f < Q.rows(); ++f) {
    skel.setPositions(Q.row(f).transpose());
    for (std::size_t b = 0; b < nb; ++b) {
      const Eigen::Matrix4d m = skel.getBodyNode(b)->getWorldTransform().matrix();
      double* dst = out.data() + (static_cast<std::size_t>(f) * nb + b) * 16;
      for (int r = 0; r < 4; ++r)
        for (int c = 0; c < 4; ++c) dst[r * 4 + c] = m(r, c);
    }
  }
  return out;
}

Eigen::MatrixXd Model::centerOfMass(const Eigen::MatrixXd& Q) const {
  if (Q.cols() != numDofs())
    throw std::invalid_argument("center_of_mass: positions have " + std::to_string(Q.cols()) +
                                " columns, the model has " + std::to_string(numDofs()) + " DoFs");
  checkBoundedInput(Q, kMaxPosition, "center_of_mass: positions");
  Eigen::MatrixXd out(Q.rows(), 3);
  std::lock_guard<std::mutex> lock(impl_->mutex);
  for (Eigen::Index f = 0; f < Q.rows(); ++f) {
    impl_->skeleton->setPositions(Q.row(f).transpose());
    out.row(f) = impl_->skeleton->getCOM().transpose();
  }
  return out;
}

}  // namespace bidir
