// Python bindings of the static model: its spec types, Model, Simulation and the muscle network.
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cstring>

#include "bindings.hpp"
#include "model.hpp"
#include "muscle_net.hpp"
#include "simulation.hpp"

namespace py = pybind11;

namespace bidir {

namespace {

py::array_t<double> forwardKinematics(const Model& m, const Eigen::MatrixXd& Q) {
  std::vector<double> flat;
  {
    py::gil_scoped_release release;
    flat = m.forwardKinematics(Q);
  }
  py::array_t<double> out(
      {static_cast<py::ssize_t>(Q.rows()), static_cast<py::ssize_t>(m.numBodies()), py::ssize_t{4}, py::ssize_t{4}});
  std::memcpy(out.mutable_data(), flat.data(), flat.size() * sizeof(double));
  return out;
}

// Matrices stacked into one (n, 4, 4) array.
py::array_t<double> stackMatrices(const std::vector<Eigen::Matrix4d>& ms) {
  py::array_t<double> out({static_cast<py::ssize_t>(ms.size()), py::ssize_t{4}, py::ssize_t{4}});
  auto v = out.mutable_unchecked<3>();
  for (std::size_t i = 0; i < ms.size(); ++i)
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) v(static_cast<py::ssize_t>(i), r, c) = ms[i](r, c);
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

void bindModel(py::module_& m) {
  m.doc() = "bidir-sim C++ core (DART + libtorch)";

  py::class_<ShapeSpec>(m, "ShapeSpec")
      .def(py::init<>())
      .def_readwrite("type", &ShapeSpec::type)
      .def_readwrite("size", &ShapeSpec::size)
      .def_readwrite("offset", &ShapeSpec::offset)
      .def_readwrite("color", &ShapeSpec::color)
      .def_readwrite("visual", &ShapeSpec::visual)
      .def_readwrite("collision", &ShapeSpec::collision);

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

  py::class_<WaypointSpec>(m, "WaypointSpec")
      .def(py::init<>())
      .def_readwrite("bodies", &WaypointSpec::bodies)
      .def_readwrite("weights", &WaypointSpec::weights)
      .def_readwrite("position", &WaypointSpec::position);

  py::class_<MuscleSpec>(m, "MuscleSpec")
      .def(py::init<>())
      .def_readwrite("name", &MuscleSpec::name)
      .def_readwrite("f0", &MuscleSpec::f0)
      .def_readwrite("optimal_fiber_length", &MuscleSpec::optimalFiberLength)
      .def_readwrite("tendon_slack_length", &MuscleSpec::tendonSlackLength)
      .def_readwrite("pennation", &MuscleSpec::pennation)
      .def_readwrite("waypoints", &MuscleSpec::waypoints);

  py::class_<ModelSpec>(m, "ModelSpec")
      .def(py::init<>())
      .def_readwrite("name", &ModelSpec::name)
      .def_readwrite("bodies", &ModelSpec::bodies)
      .def_readwrite("muscles", &ModelSpec::muscles);

  py::class_<MuscleState>(m, "MuscleState", "Muscle quantities at one state (copies; forces in N).")
      .def_readonly("length", &MuscleState::length)
      .def_readonly("fiber_length", &MuscleState::fiberLength)
      .def_readonly("fiber_velocity", &MuscleState::fiberVelocity)
      .def_readonly("active_force", &MuscleState::activeForce)
      .def_readonly("passive_force", &MuscleState::passiveForce)
      .def_readonly("JtA", &MuscleState::JtA)
      .def_readonly("JtP", &MuscleState::JtP)
      .def_readonly("JtA_reduced", &MuscleState::JtAReduced);

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
      .def_property_readonly("num_muscles", &Model::numMuscles)
      .def_property_readonly("muscle_dofs", &Model::muscleDofs,
                             "Length of JtA_reduced (related DoFs summed over muscles).")
      .def_property_readonly("muscle_names",
                             [](const Model& self) {
                               std::vector<std::string> out;
                               for (const auto& mu : self.muscles()) out.push_back(mu.name);
                               return out;
                             })
      .def_property_readonly(
          "muscle_related_dofs",
          [](const Model& self) {
            std::vector<std::vector<int>> out;
            for (const auto& mu : self.muscles()) out.push_back(mu.relatedDofs);
            return out;
          },
          "Per muscle, the actuated DoFs it moves (0 = first DoF after the root).")
      .def_property_readonly("muscle_rest_lengths",
                             [](const Model& self) {
                               Eigen::VectorXd out(self.numMuscles());
                               for (int j = 0; j < self.numMuscles(); ++j) out[j] = self.muscles()[j].restLength;
                               return out;
                             })
      .def_property_readonly("muscle_masses",
                             [](const Model& self) {
                               Eigen::VectorXd out(self.numMuscles());
                               for (int j = 0; j < self.numMuscles(); ++j) out[j] = self.muscles()[j].mass;
                               return out;
                             })
      .def("forward_kinematics", &forwardKinematics, py::arg("positions"),
           "World transforms (frames, bodies, 4, 4) for positions of shape (frames, dofs).")
      .def("center_of_mass", &Model::centerOfMass, py::arg("positions"), py::call_guard<py::gil_scoped_release>());

  py::register_exception<PhysicsDiverged>(m, "PhysicsDiverged", PyExc_RuntimeError);
  py::class_<Simulation>(m, "Simulation")
      .def(py::init<std::shared_ptr<const Model>, double>(), py::arg("model"), py::arg("timestep"))
      .def_property_readonly("timestep", &Simulation::timestep)
      .def_property_readonly("time", &Simulation::time)
      .def_property("positions", &Simulation::positions, &Simulation::setPositions)
      .def_property("velocities", &Simulation::velocities, &Simulation::setVelocities)
      .def("set_forces", &Simulation::setForces, py::arg("forces"))
      .def("step", &Simulation::step, py::arg("n") = 1, py::call_guard<py::gil_scoped_release>())
      .def("keep_step_start", &Simulation::keepStepStart, py::arg("on"),
           "Keep the state each step starts from, for last_step_dynamics() (off by default).")
      .def(
          "last_step_dynamics",
          [](Simulation& self) {
            const Simulation::StepDynamics d = self.lastStepDynamics();
            return py::make_tuple(d.contact, d.moments);
          },
          "(contact (bodies, 6): each body's contact force in the last step as [moment about the world origin; "
          "force], world frame; moments (dofs,): the net generalized forces by inverse dynamics with those contact "
          "forces, root rows the unexplained rest). Needs keep_step_start(True) before the step.")
      .def_property_readonly("center_of_mass", &Simulation::centerOfMass)
      .def_property_readonly("total_mass", &Simulation::totalMass)
      .def(
          "body_transforms", [](const Simulation& self) { return stackMatrices(self.bodyTransforms()); },
          "World transforms of every body at the current state (bodies, 4, 4).")
      .def(
          "joint_transforms", [](const Simulation& self) { return stackMatrices(self.jointTransforms()); },
          "World transforms of every body's parent joint at the current state (bodies, 4, 4).")
      .def(
          "set_body_scale",
          [](Simulation& self, const std::vector<Eigen::Matrix3d>& stretch, std::vector<double> twist, double damping) {
            BodyScale scale;
            scale.stretch = stretch;
            scale.twist = std::move(twist);
            scale.damping = damping;
            self.setBodyScale(scale);
          },
          py::arg("stretch"), py::arg("twist"), py::arg("damping") = 1.0,
          "This simulation's skeleton conditions (docs/conditions.md): per body a 3 x 3 linear map of the body in its "
          "own frame and a twist (rad) about its long axis at its parent joint, and a factor on joint damping; "
          "empty lists: the model's body. Scales the muscles with it; resets the pose to zero.")
      .def_property_readonly(
          "bodies", [](const Simulation& self) { return self.bodies(); },
          "The bodies as this simulation has them (BodySpec copies: the model's, or its scaled body's).")
      .def_property_readonly(
          "muscle_properties",
          [](const Simulation& self) {
            const auto& ms = self.muscles();
            Eigen::MatrixXd out(static_cast<Eigen::Index>(ms.size()), 4);
            for (std::size_t j = 0; j < ms.size(); ++j)
              out.row(static_cast<Eigen::Index>(j)) << ms[j].f0, ms[j].optimalFiberLength, ms[j].tendonSlackLength,
                  ms[j].restLength;
            return out;
          },
          "Per muscle as this simulation has them (its body's scale applied, not its muscle conditions): f0, "
          "optimal fibre length, tendon slack length, rest length (the path length at the zero pose).")
      .def(
          "muscle_anchor_points",
          [](Simulation& self) {
            const MuscleState& s = self.updateMuscles(false);
            std::vector<Eigen::MatrixXd> out;
            std::size_t first = 0;
            for (const auto& m : self.muscles()) {
              Eigen::MatrixXd p(static_cast<Eigen::Index>(m.anchors.size()), 3);
              for (std::size_t i = 0; i < m.anchors.size(); ++i)
                p.row(static_cast<Eigen::Index>(i)) = s.points[first + i].transpose();
              first += m.anchors.size();
              out.push_back(p);
            }
            return out;
          },
          "Per muscle, the world points of its anchors at the current state (anchors, 3).")
      .def_property_readonly("center_of_mass_velocity", &Simulation::centerOfMassVelocity)
      .def_property_readonly("num_contacts", &Simulation::numContacts)
      .def("update_muscles", &Simulation::updateMuscles, py::arg("jacobians") = true, py::arg("force_velocity") = false,
           py::return_value_policy::copy,
           "Evaluates the muscles at the current state and returns a copy of the result.")
      .def("apply_muscle_forces", &Simulation::applyMuscleForces, py::arg("activations"))
      .def("set_muscle_ratios", &Simulation::setMuscleRatios, py::arg("force"), py::arg("length"),
           "This simulation's muscle conditions: f0 x force[j] (weakness) and the optimal fibre length x length[j] "
           "(contracture; the tendon slack length as it was), from the next update_muscles(); empty arrays: none.")
      .def_property_readonly("external_generalized_forces", &Simulation::externalGeneralizedForces)
      .def("inverse_dynamics", &Simulation::inverseDynamics, py::arg("accelerations"),
           "Generalized forces for these accelerations at the current state, without contacts or muscles.")
      .def("linear_jacobian", &Simulation::linearJacobian, py::arg("body"), py::arg("local_point"),
           "World-frame linear Jacobian (3 x dofs) of a point in the body's frame.")
      .def("spd_forces", &Simulation::spdForces, py::arg("target"), py::arg("target_velocity"), py::arg("ext"),
           py::arg("articulated") = true,
           "Stable PD forces; articulated=False uses the dense mass-matrix formulation (the reference for tests).")
      .def("position_differences", &Simulation::positionDifferences, py::arg("a"), py::arg("b"),
           "a - b per DoF; ball and free joints as rotation vectors of R_b^T R_a.");

  py::class_<MuscleNet, std::shared_ptr<MuscleNet>>(m, "MuscleNet")
      .def(py::init<int, int, std::vector<int>, float>(), py::arg("input_dim"), py::arg("num_muscles"),
           py::arg("hidden"), py::arg("input_scale"),
           "Make one for a task with bidir_sim.make_muscle_net(task): it knows the sizes and the input scale.")
      .def_property_readonly("input_dim", &MuscleNet::inputDim)
      .def_property_readonly("input_scale", &MuscleNet::inputScale)
      .def_property_readonly("num_muscles", &MuscleNet::numMuscles)
      .def("parameter_names", &MuscleNet::parameterNames)
      .def("parameter_shapes", &MuscleNet::parameterShapes)
      .def("set_parameter", &setParameter, py::arg("name"), py::arg("value"))
      .def("initialize", &MuscleNet::initialize, py::arg("seed"))
      .def("activations", &MuscleNet::activations, py::arg("muscle_torques"), py::arg("desired_torques"),
           py::call_guard<py::gil_scoped_release>());
}

}  // namespace bidir
