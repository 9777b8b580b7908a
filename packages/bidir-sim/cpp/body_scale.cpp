#include "body_scale.hpp"

#include <Eigen/Geometry>
#include <cmath>
#include <stdexcept>
#include <string>

namespace bidir {
namespace {

Eigen::Isometry3d toIsometry(const Eigen::Matrix4d& m) {
  Eigen::Isometry3d t = Eigen::Isometry3d::Identity();
  t.linear() = m.topLeftCorner<3, 3>();
  t.translation() = m.topRightCorner<3, 1>();
  return t;
}

int parentIndex(const ModelSpec& model, int body) {
  const std::string& parent = model.bodies[body].parent;
  if (parent.empty()) return -1;
  for (int i = 0; i < body; ++i)
    if (model.bodies[i].name == parent) return i;
  throw std::invalid_argument("body '" + model.bodies[body].name + "': parent '" + parent + "' is not before it");
}

// A shape's sizes under the stretch S of its body: each of its axes (the columns of its offset's rotation R)
// lengthens by |S R e_i|. A box scales its three extents; a capsule its height by its axis (z) and its radius by
// the mean of the two across it; a sphere its radius by the mean of all three (the same law as the capsule's).
Eigen::Vector3d scaledSize(const ShapeSpec& s, const Eigen::Matrix3d& S) {
  const Eigen::Matrix3d axes = S * s.offset.topLeftCorner<3, 3>();
  const Eigen::Vector3d f(axes.col(0).norm(), axes.col(1).norm(), axes.col(2).norm());
  Eigen::Vector3d size = s.size;
  if (s.type == "box") {
    size = s.size.cwiseProduct(f);
  } else if (s.type == "capsule") {
    size[0] = s.size[0] * 0.5 * (f[0] + f[1]);
    size[1] = s.size[1] * f[2];
  } else {  // sphere
    size[0] = s.size[0] * f.mean();
  }
  return size;
}

// The inertia about the COM of a body of uniform density whose matter is mapped by S (mass already x |det S|):
// its second moment of mass Σ = ½ tr(I) 1 - I becomes |det S| S Σ Sᵀ, and I = tr(Σ) 1 - Σ.
Eigen::Matrix3d scaledInertia(const Eigen::Matrix3d& inertia, const Eigen::Matrix3d& S) {
  const Eigen::Matrix3d I3 = Eigen::Matrix3d::Identity();
  const Eigen::Matrix3d sigma = 0.5 * inertia.trace() * I3 - inertia;
  const Eigen::Matrix3d scaled = std::abs(S.determinant()) * S * sigma * S.transpose();
  return scaled.trace() * I3 - scaled;
}

}  // namespace

Eigen::Vector3d longAxis(const ModelSpec& model, int body) {
  const BodySpec& b = model.bodies.at(static_cast<std::size_t>(body));
  for (const BodySpec& child : model.bodies) {
    if (child.parent != b.name) continue;
    const Eigen::Isometry3d frame = toIsometry(b.frame).inverse();
    const Eigen::Vector3d axis =
        frame * toIsometry(child.joint.frame).translation() - frame * toIsometry(b.joint.frame).translation();
    if (axis.norm() < 1e-6)
      throw std::invalid_argument("body '" + b.name + "': its child '" + child.name +
                                  "' is jointed at its own joint, so it has no long axis");
    return axis.normalized();
  }
  throw std::invalid_argument("body '" + b.name + "' has no child, so it has no long axis (its parent joint to " +
                              "its child's)");
}

double internalRotationSign(const ModelSpec& model, int body) {
  const BodySpec& b = model.bodies.at(static_cast<std::size_t>(body));
  const double lateral =
      toIsometry(b.joint.frame).translation().x() - toIsometry(model.bodies[0].frame).translation().x();
  if (std::abs(lateral) < 1e-6)
    throw std::invalid_argument("body '" + b.name + "' is on the midline: a torsion needs a left or right bone");
  // A small twist φ about the world axis w turns the forward direction z by φ (w × z); internal is toward -x on the
  // +x side.
  const Eigen::Vector3d w = toIsometry(b.frame).linear() * longAxis(model, body);
  const double turn = w.cross(Eigen::Vector3d::UnitZ()).x() * (lateral > 0 ? -1.0 : 1.0);
  if (std::abs(turn) < 1e-6)
    throw std::invalid_argument("body '" + b.name + "': its long axis is horizontal, so a twist does not turn it");
  return turn > 0 ? 1.0 : -1.0;
}

std::vector<BodySpec> scaledBodies(const ModelSpec& model, const BodyScale& scale) {
  const std::size_t n = model.bodies.size();
  if ((!scale.stretch.empty() && scale.stretch.size() != n) || (!scale.twist.empty() && scale.twist.size() != n))
    throw std::invalid_argument("body scale: " + std::to_string(scale.stretch.size()) + " stretches and " +
                                std::to_string(scale.twist.size()) + " twists for a model of " + std::to_string(n) +
                                " bodies");
  if (!(std::isfinite(scale.damping) && scale.damping >= 0.0))
    throw std::invalid_argument("body scale: the damping factor must be finite and >= 0, got " +
                                std::to_string(scale.damping));
  for (std::size_t i = 0; i < scale.twist.size(); ++i)
    if (!std::isfinite(scale.twist[i]))
      throw std::invalid_argument("body '" + model.bodies[i].name + "': its twist is not finite");
  auto stretch = [&](int i) -> Eigen::Matrix3d {
    return scale.stretch.empty() ? Eigen::Matrix3d::Identity() : scale.stretch[static_cast<std::size_t>(i)];
  };
  std::vector<BodySpec> out = model.bodies;
  for (int i = 0; i < static_cast<int>(n); ++i) {
    const BodySpec& base = model.bodies[static_cast<std::size_t>(i)];
    BodySpec& b = out[static_cast<std::size_t>(i)];
    const Eigen::Matrix3d S = stretch(i);
    const double det = S.determinant();
    if (!(std::abs(det) > 1e-9) || !S.allFinite())
      throw std::invalid_argument("body '" + base.name + "': its stretch is singular or not finite");
    // The joint on the child's side (in the body's frame) and on the parent's side (in the parent's frame), each
    // stretched with its own body; the body's new frame then follows from the parent's new one.
    const Eigen::Isometry3d joint = toIsometry(base.joint.frame);
    Eigen::Isometry3d inBody = toIsometry(base.frame).inverse() * joint;
    inBody.translation() = S * inBody.translation();
    Eigen::Isometry3d newJoint = joint;
    const int p = parentIndex(model, i);
    if (p >= 0) {
      Eigen::Isometry3d inParent = toIsometry(model.bodies[static_cast<std::size_t>(p)].frame).inverse() * joint;
      inParent.translation() = stretch(p) * inParent.translation();
      newJoint = toIsometry(out[static_cast<std::size_t>(p)].frame) * inParent;
    }
    Eigen::Isometry3d frame = newJoint * inBody.inverse();
    const double twist = scale.twist.empty() ? 0.0 : scale.twist[static_cast<std::size_t>(i)];
    if (twist != 0.0) {
      const Eigen::Vector3d axis = frame.linear() * longAxis(model, i);
      Eigen::Isometry3d turn = Eigen::Isometry3d::Identity();
      turn.linear() = Eigen::AngleAxisd(twist, axis).toRotationMatrix();
      turn.translation() = newJoint.translation() - turn.linear() * newJoint.translation();
      frame = turn * frame;
    }
    b.frame = frame.matrix();
    b.joint.frame = newJoint.matrix();
    b.mass = base.mass * std::abs(det);
    b.com = S * base.com;
    b.inertia = scaledInertia(base.inertia, S);
    for (ShapeSpec& s : b.shapes) {
      s.size = scaledSize(s, S);
      s.offset.topRightCorner<3, 1>() = S * s.offset.topRightCorner<3, 1>();
    }
    b.joint.damping *= scale.damping;
  }
  return out;
}

}  // namespace bidir
