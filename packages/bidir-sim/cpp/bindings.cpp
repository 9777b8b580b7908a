// The one Python binding of the C++ core. Heavy headers (DART, libtorch) stay out of this TU.
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>

#include "model.hpp"
#include "muscle_net.hpp"
#include "simulation.hpp"

namespace py = pybind11;
using namespace bidir;

namespace {

py::array_t<double> forwardKinematics(const Model& m, const Eigen::MatrixXd& Q) {
  std::vector<double> flat;
  {
    py::gil_scoped_release release;
    flat = m.forwardKinematics(Q);
  }
  py::array_t<double> out({static_cast<py::ssize_t>(Q.rows()), static_cast<py::ssize_t>(m.numBodies()),
                           py::ssize_t{4}, py::ssize_t{4}});
  std::memcpy(out.mutable_data(), flat.data(), flat.size() * sizeof(double));
  return out;
}

void setParameter(MuscleNet& net, const std::string& name,
                  const py::array_t<float, py::array::c_style | py::array::forcecast>& value) {
  int rows = 0, cols = 1;
  if (value.ndim() == 2) {
    rows = static_cast<int>(value.shape(0));
    cols = static_cast<int>(value.shape(1));
  } else if (value.ndim() == 1) {
    rows = static_cast<int>(value.shape(0));
  } else {
    throw std::invalid_argument("muscle network parameter '" + name + "' must be 1-D or 2-D");
  }
  net.setParameter(name, value.data(), rows, cols);
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "bidir-sim C++ core (DART + libtorch)";

  py::class_<ShapeSpec>(m, "ShapeSpec")
      .def(py::init<>())
      .def_readwrite("type", &ShapeSpec::type)
      .def_readwrite("size", &ShapeSpec::size)
      .def_readwrite("offset", &ShapeSpec::offset)
      .def_readwrite("color", &ShapeSpec::color);

  py::class_<JointSpec>(m, "JointSpec")
      .def(py::init<>())
      .def_readwrite("type", &JointSpec::type)
      .def_readwrite("frame", &JointSpec::frame)
      .def_readwrite("axis", &JointSpec::axis)
      .def_readwrite("lower", &JointSpec::lower)
      .def_readwrite("upper", &JointSpec::upper)
      .def_readwrite("kp", &JointSpec::kp)
      .def_readwrite("kv", &JointSpec::kv)
      .def_readwrite("damping", &JointSpec::damping);

  py::class_<BodySpec>(m, "BodySpec")
      .def(py::init<>())
      .def_readwrite("name", &BodySpec::name)
      .def_readwrite("parent", &BodySpec::parent)
      .def_readwrite("mass", &BodySpec::mass)
      .def_readwrite("com", &BodySpec::com)
      .def_readwrite("inertia", &BodySpec::inertia)
      .def_readwrite("frame", &BodySpec::frame)
      .def_readwrite("shapes", &BodySpec::shapes)
      .def_readwrite("contact", &BodySpec::contact)
      .def_readwrite("joint", &BodySpec::joint);

  py::class_<ModelSpec>(m, "ModelSpec")
      .def(py::init<>())
      .def_readwrite("name", &ModelSpec::name)
      .def_readwrite("bodies", &ModelSpec::bodies);

  py::class_<Model, std::shared_ptr<Model>>(m, "Model")
      .def(py::init<ModelSpec>(), py::arg("spec"))
      .def_property_readonly("num_bodies", &Model::numBodies)
      .def_property_readonly("num_dofs", &Model::numDofs)
      .def_property_readonly("total_mass", &Model::totalMass)
      .def_property_readonly("body_names", &Model::bodyNames)
      .def_property_readonly("dof_names", &Model::dofNames)
      .def_property_readonly("position_lower_limits", &Model::positionLowerLimits)
      .def_property_readonly("position_upper_limits", &Model::positionUpperLimits)
      .def_property_readonly("kp", &Model::kp)
      .def_property_readonly("kv", &Model::kv)
      .def("forward_kinematics", &forwardKinematics, py::arg("positions"),
           "World transforms (frames, bodies, 4, 4) for positions of shape (frames, dofs).")
      .def("center_of_mass", &Model::centerOfMass, py::arg("positions"),
           py::call_guard<py::gil_scoped_release>());

  py::class_<Simulation>(m, "Simulation")
      .def(py::init<std::shared_ptr<const Model>, double>(), py::arg("model"), py::arg("timestep"))
      .def_property_readonly("timestep", &Simulation::timestep)
      .def_property_readonly("time", &Simulation::time)
      .def_property("positions", &Simulation::positions, &Simulation::setPositions)
      .def_property("velocities", &Simulation::velocities, &Simulation::setVelocities)
      .def("set_forces", &Simulation::setForces, py::arg("forces"))
      .def("step", &Simulation::step, py::arg("n") = 1, py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("center_of_mass", &Simulation::centerOfMass)
      .def_property_readonly("center_of_mass_velocity", &Simulation::centerOfMassVelocity)
      .def_property_readonly("num_contacts", &Simulation::numContacts);

  py::class_<MuscleNet>(m, "MuscleNet")
      .def(py::init<int, int, std::vector<int>>(), py::arg("input_dim"), py::arg("num_muscles"),
           py::arg("hidden") = std::vector<int>{256, 256, 256})
      .def_property_readonly("input_dim", &MuscleNet::inputDim)
      .def_property_readonly("num_muscles", &MuscleNet::numMuscles)
      .def("parameter_names", &MuscleNet::parameterNames)
      .def("parameter_shapes", &MuscleNet::parameterShapes)
      .def("set_parameter", &setParameter, py::arg("name"), py::arg("value"))
      .def("initialize", &MuscleNet::initialize, py::arg("seed"))
      .def("activations", &MuscleNet::activations, py::arg("muscle_torques"), py::arg("desired_torques"),
           py::call_guard<py::gil_scoped_release>());
}
