#include "bounds.hpp"

#include <cmath>
#include <sstream>

namespace bidir {

void checkBounded(const Eigen::Ref<const Eigen::VectorXd>& v, double bound, const char* what) {
  for (Eigen::Index i = 0; i < v.size(); ++i)
    if (!(std::abs(v[i]) <= bound)) {  // also NaN
      std::ostringstream msg;
      msg << what << "[" << i << "] = " << v[i];
      msg << (std::isfinite(v[i]) ? " is beyond the bound of " : " is not finite; the bound is ") << bound;
      throw PhysicsDiverged(msg.str());
    }
}

void checkPoses(const Eigen::MatrixXd& Q, const char* what) {
  for (Eigen::Index f = 0; f < Q.rows(); ++f)
    for (Eigen::Index i = 0; i < Q.cols(); ++i)
      if (!(std::abs(Q(f, i)) <= kMaxPosition)) {
        std::ostringstream msg;
        msg << what << "[" << f << ", " << i << "] = " << Q(f, i) << " is not a finite position within "
            << kMaxPosition;
        throw std::invalid_argument(msg.str());
      }
}

}  // namespace bidir
