// The C++ unit tests (doctest): behaviour Python cannot reach through the bindings. Run by make test
// through packages/bidir-sim/tests/test_cpp_units.py.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
