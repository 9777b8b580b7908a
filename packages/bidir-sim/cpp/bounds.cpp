#include "bounds.hpp"

#include <cmath>
#include <sstream>

namespace bidir {

namespace {
// "what[i] = v is beyond the bound of b" (or "... is not finite; ..."), or "" if every value is within.
std::string firstBeyond(const Eigen::Ref<const Eigen::MatrixXd>& v, double bound, const char* what) {
  for (Eigen::Index c = 0; c < v.cols(); ++c)
    for (Eigen::Index r = 0; r < v.rows(); ++r)
      if (!(std::abs(v(r, c)) <= bound)) {  // also NaN
        std::ostringstream msg;
        msg << what << "[" << r;
        if (v.cols() > 1) msg << ", " << c;
        msg << "] = " << v(r, c);
        msg << (std::isfinite(v(r, c)) ? " is beyond the bound of " : " is not finite; the bound is ") << bound;
        return msg.str();
      }
  return {};
}
}  // namespace

void checkBounded(const Eigen::Ref<const Eigen::VectorXd>& v, double bound, const char* what) {
  if (std::string problem = firstBeyond(v, bound, what); !problem.empty()) throw PhysicsDiverged(problem);
}

void checkBoundedInput(const Eigen::Ref<const Eigen::MatrixXd>& v, double bound, const char* what) {
  if (std::string problem = firstBeyond(v, bound, what); !problem.empty()) throw std::invalid_argument(problem);
}

}  // namespace bidir
