// Muscle evaluation on a DART skeleton (DART translation units only).
#pragma once
#include <dart/dart.hpp>

#include "model_spec.hpp"
#include "muscles.hpp"

namespace bidir {

// Compiles the muscle specs against a skeleton at its zero pose (throws std::invalid_argument).
std::vector<CompiledMuscle> compileMuscles(const ModelSpec& spec, dart::dynamics::Skeleton& skeleton);

// The muscles of a body scaled by `stretch` (per body, body_scale.hpp; the skeleton already scaled): each anchor's
// body-local position stretched with its body, the rest length measured again at the skeleton's zero pose, the
// optimal fibre and tendon slack lengths x l / l_ref and f0 x (l / l_ref)^1.5 (l: the rest length; the
// reference's law). The related DoFs stay: they follow from the anchors' bodies, which a scale does not change.
std::vector<CompiledMuscle> scaleMuscles(const std::vector<CompiledMuscle>& base,
                                         const std::vector<Eigen::Matrix3d>& stretch,
                                         dart::dynamics::Skeleton& skeleton);

// Path geometry, forces and (if jacobians) JtA, JtP, JtA_reduced at the skeleton's current state, with the
// simulation's muscle ratios (empty: none).
void evaluateMuscles(const std::vector<CompiledMuscle>& muscles, const dart::dynamics::Skeleton& skeleton,
                     const MuscleRatios& ratios, bool forceVelocity, bool jacobians, MuscleState& out);

// Adds each muscle's force (a * f_A + f_P) to the bodies as external forces along its path.
// (state's bodyWrenches is its scratch.)
void applyMuscleForces(const std::vector<CompiledMuscle>& muscles, dart::dynamics::Skeleton& skeleton,
                       MuscleState& state, const Eigen::VectorXd& activations);

}  // namespace bidir
