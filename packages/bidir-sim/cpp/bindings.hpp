// The Python binding of the C++ core, split by concept; bindings.cpp defines the module and calls each.
// Heavy headers (DART, libtorch) stay out of these TUs.
#pragma once
#include <pybind11/pybind11.h>

namespace bidir {

void bindModel(pybind11::module_& m);  // bind_model.cpp: model specs, Model, Simulation, MuscleNet
void bindTask(pybind11::module_& m);   // bind_task.cpp: TaskSpec and its parts, CompiledTask, INFO_NAMES
void bindEnv(pybind11::module_& m);    // bind_env.cpp: Env and BatchEnv

}  // namespace bidir
