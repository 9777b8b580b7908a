// Hill-type muscle curves (dimensionless), as the reference system defines them.
// Lengths are normalised by the optimal fibre length, velocities by the maximum shortening velocity.
#pragma once
#include <cmath>

namespace bidir::hill {

inline constexpr double kActiveWidth = 0.45;   // gamma of the Gaussian force-length curve
inline constexpr double kPassiveShape = 5.5;   // k_pe
inline constexpr double kPassiveStrain = 0.3;  // e_mo: the strain scale of the passive exponential

// Active force-length: exp(-(l-1)^2 / gamma).
inline double activeForceLength(double l) { return std::exp(-(l - 1.0) * (l - 1.0) / kActiveWidth); }

// Passive force-length: 0 below optimal length, then an exponential normalised to 1 at l = 1 + e_mo.
inline double passiveForceLength(double l) {
  if (l < 1.0) return 0.0;
  return (std::exp(kPassiveShape * (l - 1.0) / kPassiveStrain) - 1.0) / (std::exp(kPassiveShape) - 1.0);
}

// Force-velocity (v > 0: lengthening): zero at the maximum shortening velocity v = -1, eccentric
// plateau towards 1.6.
inline double forceVelocity(double v) {
  if (v <= -1.0) return 0.0;
  if (v <= 0.0) return (1.0 + v) / (1.0 - v / 0.25);
  return (1.0 + 1.6 * v / 0.06) / (1.0 + v / 0.06);
}

}  // namespace bidir::hill
