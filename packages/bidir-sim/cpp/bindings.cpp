// The one Python module of the C++ core (bidir_sim._core); its parts are bound in bind_*.cpp.
#include "bindings.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "bidir-sim C++ core (DART + libtorch); use it through bidir_sim's public names";
  bidir::bindModel(m);
  bidir::bindTask(m);
  bidir::bindEnv(m);
}
