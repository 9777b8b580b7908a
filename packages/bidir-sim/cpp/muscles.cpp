#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <unordered_map>

#include "hill.hpp"
#include "muscles_internal.hpp"

namespace bidir {
namespace {

constexpr int kRootDofs = 6;

Eigen::Vector3d anchorPoint(const Anchor& a, const dart::dynamics::Skeleton& skel) {
  Eigen::Vector3d p = Eigen::Vector3d::Zero();
  for (int k = 0; k < a.count; ++k) p += a.weight[k] * (skel.getBodyNode(a.body[k])->getTransform() * a.local[k]);
  return p;
}

Eigen::Vector3d anchorVelocity(const Anchor& a, const dart::dynamics::Skeleton& skel) {
  Eigen::Vector3d v = Eigen::Vector3d::Zero();
  for (int k = 0; k < a.count; ++k) v += a.weight[k] * skel.getBodyNode(a.body[k])->getLinearVelocity(a.local[k]);
  return v;
}

// Unit force directions at each anchor for a tension of 1 N: towards both path neighbours.
void directions(const std::vector<Eigen::Vector3d>& p, std::size_t first, std::size_t n,
                std::vector<Eigen::Vector3d>& out) {
  for (std::size_t i = 0; i < n; ++i) {
    Eigen::Vector3d d = Eigen::Vector3d::Zero();
    if (i + 1 < n) d += (p[first + i + 1] - p[first + i]).normalized();
    if (i > 0) d += (p[first + i - 1] - p[first + i]).normalized();
    out[first + i] = d;
  }
}

// Adds J^T w to out (all DoFs) for a wrench w = [moment about the origin; force] in world coordinates on
// body bn: DART's world Jacobian of the origin is cached per pose, so every muscle on a body shares it
// (J_p = J_v - [p - o]x J_w for a point p, hence J_p^T f = J_v^T f + J_w^T ((p - o) x f)).
void addGeneralizedForce(const dart::dynamics::BodyNode& bn, const Eigen::Matrix<double, 6, 1>& w,
                         Eigen::Ref<Eigen::VectorXd> out) {
  const auto& J = bn.getWorldJacobian();  // 6 x dependent DoFs: angular rows, then linear
  const auto& deps = bn.getDependentGenCoordIndices();
  for (std::size_t k = 0; k < deps.size(); ++k) out[deps[k]] += J.col(static_cast<Eigen::Index>(k)).dot(w);
}

// The actuated DoFs a muscle can move: those some of its anchors depend on but not all of them. A DoF
// that every anchor depends on moves the whole path rigidly, and the muscle's internal forces cancel on
// it. (The reference thresholds |JtA| at the zero pose instead, which misses DoFs whose moment arm
// happens to vanish there.)
std::vector<int> spannedDofs(const std::vector<Anchor>& anchors, const dart::dynamics::Skeleton& skel) {
  const std::size_t n = skel.getNumDofs();
  std::vector<int> count(n, 0);
  for (const auto& a : anchors) {
    std::vector<bool> dep(n, false);
    for (int k = 0; k < a.count; ++k)
      for (std::size_t d : skel.getBodyNode(a.body[k])->getDependentGenCoordIndices()) dep[d] = true;
    for (std::size_t d = 0; d < n; ++d) count[d] += dep[d];
  }
  std::vector<int> out;
  for (std::size_t d = kRootDofs; d < n; ++d)
    if (count[d] > 0 && count[d] < int(anchors.size())) out.push_back(int(d) - kRootDofs);
  return out;
}

}  // namespace

std::vector<CompiledMuscle> compileMuscles(const ModelSpec& spec, dart::dynamics::Skeleton& skel) {
  std::unordered_map<std::string, int> index;
  for (std::size_t i = 0; i < skel.getNumBodyNodes(); ++i) index[skel.getBodyNode(i)->getName()] = int(i);
  const Eigen::VectorXd saved = skel.getPositions();
  skel.resetPositions();  // waypoint positions are given at the zero pose
  std::vector<CompiledMuscle> out;
  out.reserve(spec.muscles.size());
  for (const auto& ms : spec.muscles) {
    const std::string where = "muscle '" + ms.name + "'";
    if (ms.waypoints.size() < 2) throw std::invalid_argument(where + ": needs at least two waypoints");
    CompiledMuscle m;
    m.name = ms.name;
    m.f0 = ms.f0;
    m.optimalFiberLength = ms.optimalFiberLength;
    m.tendonSlackLength = ms.tendonSlackLength;
    m.cosPennation = std::cos(ms.pennation);
    if (!(m.f0 > 0 && m.optimalFiberLength > 0 && m.tendonSlackLength >= 0))
      throw std::invalid_argument(where + ": f0 and optimal fibre length must be > 0, tendon slack length >= 0");
    for (const auto& w : ms.waypoints) {
      if (w.bodies.empty() || w.bodies.size() > 2 || w.bodies.size() != w.weights.size())
        throw std::invalid_argument(where + ": a waypoint needs one or two bodies with one weight each");
      Anchor a;
      a.count = int(w.bodies.size());
      for (int k = 0; k < a.count; ++k) {
        auto it = index.find(w.bodies[k]);
        if (it == index.end()) throw std::invalid_argument(where + ": unknown body '" + w.bodies[k] + "'");
        a.body[k] = it->second;
        a.weight[k] = w.weights[k];
        a.local[k] = skel.getBodyNode(it->second)->getTransform().inverse() * w.position;
      }
      m.anchors.push_back(a);
    }
    std::vector<Eigen::Vector3d> p(m.anchors.size());
    for (std::size_t i = 0; i < p.size(); ++i) p[i] = anchorPoint(m.anchors[i], skel);
    for (std::size_t i = 0; i + 1 < p.size(); ++i) m.restLength += (p[i + 1] - p[i]).norm();
    m.mass = m.f0 * (m.restLength - m.tendonSlackLength) / 100.0;
    m.relatedDofs = spannedDofs(m.anchors, skel);
    if (m.relatedDofs.empty()) throw std::invalid_argument(where + ": spans no joint");
    for (const Anchor& a : m.anchors) {
      auto slot = std::find(m.forceBodies.begin(), m.forceBodies.end(), a.body[0]);
      if (slot == m.forceBodies.end()) slot = m.forceBodies.insert(slot, a.body[0]);
      m.anchorSlot.push_back(static_cast<int>(slot - m.forceBodies.begin()));
    }
    out.push_back(std::move(m));
  }
  skel.setPositions(saved);
  return out;
}

std::vector<CompiledMuscle> scaleMuscles(const std::vector<CompiledMuscle>& base,
                                         const std::vector<Eigen::Matrix3d>& stretch, dart::dynamics::Skeleton& skel) {
  const Eigen::VectorXd saved = skel.getPositions();
  skel.resetPositions();  // rest lengths are path lengths at the zero pose
  std::vector<CompiledMuscle> out = base;
  for (CompiledMuscle& m : out) {
    if (!stretch.empty())
      for (Anchor& a : m.anchors)
        for (int k = 0; k < a.count; ++k) a.local[k] = stretch[static_cast<std::size_t>(a.body[k])] * a.local[k];
    double rest = 0.0;
    for (std::size_t i = 0; i + 1 < m.anchors.size(); ++i)
      rest += (anchorPoint(m.anchors[i + 1], skel) - anchorPoint(m.anchors[i], skel)).norm();
    const double ratio = rest / m.restLength;
    m.optimalFiberLength *= ratio;
    m.tendonSlackLength *= ratio;
    m.f0 *= std::pow(ratio, 1.5);
    m.restLength = rest;
    m.mass = m.f0 * (m.restLength - m.tendonSlackLength) / 100.0;
  }
  skel.setPositions(saved);
  return out;
}

void evaluateMuscles(const std::vector<CompiledMuscle>& muscles, const dart::dynamics::Skeleton& skel,
                     const MuscleRatios& ratios, bool forceVelocity, bool jacobians, MuscleState& s) {
  const int M = int(muscles.size());
  const int n = int(skel.getNumDofs()) - kRootDofs;
  std::size_t anchors = 0, wrenches = 0;
  for (const auto& m : muscles) {
    anchors += m.anchors.size();
    wrenches += m.forceBodies.size();
  }
  s.length.resize(M);
  s.fiberLength.resize(M);
  s.fiberVelocity.setZero(M);
  s.activeForce.resize(M);
  s.passiveForce.resize(M);
  s.points.resize(anchors);
  s.directions.resize(anchors);
  s.unitWrenches.resize(wrenches);
  std::size_t first = 0, firstWrench = 0;
  for (int j = 0; j < M; ++j) {
    const auto& m = muscles[j];
    const std::size_t k = m.anchors.size();
    double length = 0.0, rate = 0.0;
    for (std::size_t i = 0; i < k; ++i) s.points[first + i] = anchorPoint(m.anchors[i], skel);
    for (std::size_t i = 0; i + 1 < k; ++i) {
      const Eigen::Vector3d seg = s.points[first + i + 1] - s.points[first + i];
      length += seg.norm();
      if (forceVelocity)
        rate += seg.normalized().dot(anchorVelocity(m.anchors[i + 1], skel) - anchorVelocity(m.anchors[i], skel));
    }
    directions(s.points, first, k, s.directions);
    for (std::size_t b = 0; b < m.forceBodies.size(); ++b) s.unitWrenches[firstWrench + b].setZero();
    for (std::size_t i = 0; i < k; ++i) {
      const Eigen::Vector3d& d = s.directions[first + i];
      const Eigen::Vector3d r =
          s.points[first + i] - skel.getBodyNode(m.anchors[i].body[0])->getWorldTransform().translation();
      auto& w = s.unitWrenches[firstWrench + m.anchorSlot[i]];
      w.head<3>() += r.cross(d);
      w.tail<3>() += d;
    }
    // A contracture shortens the muscle belly (the optimal fibre length), not the tendon: shortening both by a
    // ratio stretches a tendon-long muscle's fibres several-fold at its rest length (the soleus: l = 6.4 at 0.7),
    // a passive force beyond any simulation. A weakness scales f0. (1 without conditions: the same bits.)
    const double force = ratios.f0(j, m.f0);
    const double fiber = ratios.optimalFiberLength(j, m.optimalFiberLength);
    const double l = (length - m.tendonSlackLength) / fiber;  // rigid tendon
    // maximum shortening velocity: 10 optimal fibre lengths per second
    const double v = 0.1 * rate / fiber;
    s.length[j] = length;
    s.fiberLength[j] = l;
    s.fiberVelocity[j] = forceVelocity ? v : 0.0;
    const double fv = forceVelocity ? hill::forceVelocity(v) : 1.0;
    s.activeForce[j] = force * hill::activeForceLength(l) * fv * m.cosPennation;
    s.passiveForce[j] = force * hill::passiveForceLength(l) * m.cosPennation;
    first += k;
    firstWrench += m.forceBodies.size();
  }
  if (jacobians) {
    s.JtA.setZero(n, M);
    s.JtP.setZero(n);
    std::size_t reduced = 0;
    for (const auto& m : muscles) reduced += m.relatedDofs.size();
    s.JtAReduced.resize(Eigen::Index(reduced));
    Eigen::VectorXd& unit = s.scratch;
    unit.resize(skel.getNumDofs());
    firstWrench = 0;
    std::size_t r = 0;
    for (int j = 0; j < M; ++j) {
      const auto& m = muscles[j];
      unit.setZero();
      for (std::size_t b = 0; b < m.forceBodies.size(); ++b)
        addGeneralizedForce(*skel.getBodyNode(m.forceBodies[b]), s.unitWrenches[firstWrench + b], unit);
      s.JtA.col(j) = unit.tail(n) * s.activeForce[j];
      s.JtP += unit.tail(n) * s.passiveForce[j];
      for (int d : m.relatedDofs) s.JtAReduced[Eigen::Index(r++)] = s.JtA(d, j);
      firstWrench += m.forceBodies.size();
    }
  }
  s.valid = true;
}

void applyMuscleForces(const std::vector<CompiledMuscle>& muscles, dart::dynamics::Skeleton& skel, MuscleState& s,
                       const Eigen::VectorXd& activations) {
  // One wrench per body (the sum over its muscles), applied at its origin: far fewer DART calls than one
  // force per anchor, and the same total force and moment.
  s.bodyWrenches.assign(skel.getNumBodyNodes(), Eigen::Matrix<double, 6, 1>::Zero());
  std::size_t firstWrench = 0;
  for (std::size_t j = 0; j < muscles.size(); ++j) {
    const auto& m = muscles[j];
    const double tension =
        activations[Eigen::Index(j)] * s.activeForce[Eigen::Index(j)] + s.passiveForce[Eigen::Index(j)];
    for (std::size_t b = 0; b < m.forceBodies.size(); ++b)
      s.bodyWrenches[m.forceBodies[b]] += tension * s.unitWrenches[firstWrench + b];
    firstWrench += m.forceBodies.size();
  }
  for (std::size_t b = 0; b < s.bodyWrenches.size(); ++b) {
    const auto& w = s.bodyWrenches[b];
    if (w.isZero(0.0)) continue;
    auto* bn = skel.getBodyNode(b);
    bn->addExtForce(w.tail<3>(), Eigen::Vector3d::Zero(), /*isForceLocal=*/false, /*isOffsetLocal=*/true);
    bn->addExtTorque(w.head<3>(), /*isLocal=*/false);
  }
}

}  // namespace bidir
