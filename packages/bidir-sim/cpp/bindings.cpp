// The one Python binding of the C++ core. Heavy headers (DART, libtorch) stay out of this TU.
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <optional>

#include "batch_env.hpp"
#include "env.hpp"
#include "model.hpp"
#include "reward.hpp"
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

std::optional<double> unset() { return std::nullopt; }

void bindTask(py::module_& m) {
  py::class_<ReferenceSpec>(m, "ReferenceSpec")
      .def(py::init<>())
      .def_readwrite("samples", &ReferenceSpec::samples)
      .def_readwrite("stride", &ReferenceSpec::stride)
      .def_readwrite("duration", &ReferenceSpec::duration)
      .def_readwrite("rotation_dofs", &ReferenceSpec::rotationDofs)
      .def_readwrite("right_heel_strike", &ReferenceSpec::rightHeelStrike);

  py::class_<RewardSpec>(m, "RewardSpec")
      .def(py::init<>())
      .def_readwrite("type", &RewardSpec::type)
      .def_readwrite("metabolic_type", &RewardSpec::metabolicType)
      .def_readwrite("metabolic_weight", &RewardSpec::metabolicWeight)
      .def_readwrite("metabolic_scale", &RewardSpec::metabolicScale)
      .def_readwrite("multiplicative", &RewardSpec::multiplicative)
      .def_readwrite("torque_coeff", &RewardSpec::torqueCoeff)
      .def_readwrite("separate_torque", &RewardSpec::separateTorque)
      .def_readwrite("head_acc_weight", &RewardSpec::headAccWeight)
      .def_readwrite("head_rot_weight", &RewardSpec::headRotWeight)
      .def_readwrite("step_weight", &RewardSpec::stepWeight)
      .def_readwrite("step_clip", &RewardSpec::stepClip)
      .def_readwrite("avg_vel_weight", &RewardSpec::avgVelWeight)
      .def_readwrite("avg_vel_window", &RewardSpec::avgVelWindow)
      .def_readwrite("avg_vel_clip", &RewardSpec::avgVelClip)
      .def_readwrite("avg_vel_consider_x", &RewardSpec::avgVelConsiderX)
      .def_readwrite("drag_x", &RewardSpec::dragX)
      .def_readwrite("drag_x_weight", &RewardSpec::dragXWeight)
      .def_readwrite("drag_x_threshold", &RewardSpec::dragXThreshold)
      .def_readwrite("knee", &RewardSpec::knee)
      .def_readwrite("knee_max", &RewardSpec::kneeMax)
      .def_readwrite("knee_termination", &RewardSpec::kneeTermination)
      .def_readwrite("knee_weight", &RewardSpec::kneeWeight)
      .def_readwrite("knee_scale", &RewardSpec::kneeScale)
      .def_readwrite("knee_max_weight", &RewardSpec::kneeMaxWeight)
      .def_readwrite("clip_steps", &RewardSpec::clipSteps)
      .def_readwrite("clip_value", &RewardSpec::clipValue);

  py::class_<ParameterSpec>(m, "ParameterSpec")
      .def(py::init<>())
      .def_readwrite("min", &ParameterSpec::min)
      .def_readwrite("max", &ParameterSpec::max)
      .def_readwrite("default", &ParameterSpec::defaultValue)
      .def_readwrite("uniform", &ParameterSpec::uniform);

  py::class_<TaskSpec>(m, "TaskSpec")
      .def(py::init<>())
      .def("__copy__", [](const TaskSpec& self) { return TaskSpec(self); })
      .def("__deepcopy__", [](const TaskSpec& self, py::dict) { return TaskSpec(self); }, py::arg("memo"))
      .def_readwrite("sim_hz", &TaskSpec::simHz)
      .def_readwrite("control_hz", &TaskSpec::controlHz)
      .def_readwrite("horizon", &TaskSpec::horizon)
      .def_readwrite("truncate_by_time", &TaskSpec::truncateByTime)
      .def_readwrite("action_scale", &TaskSpec::actionScale)
      .def_readwrite("time_warping", &TaskSpec::timeWarping)
      .def_readwrite("lower_body_muscles", &TaskSpec::lowerBodyMuscles)
      .def_readwrite("enforce_symmetry", &TaskSpec::enforceSymmetry)
      .def_readwrite("hard_phase_clipping", &TaskSpec::hardPhaseClipping)
      .def_readwrite("include_jtp_in_spd", &TaskSpec::includeJtpInSpd)
      .def_readwrite("force_velocity", &TaskSpec::forceVelocity)
      .def_readwrite("joint_state_in_observation", &TaskSpec::jointStateInObservation)
      .def_readwrite("normalized_parameters", &TaskSpec::normalizedParameters)
      .def_readwrite("upper_dofs", &TaskSpec::upperDofs)
      .def_readwrite("dof_mirror", &TaskSpec::dofMirror)
      .def_readwrite("dof_mirror_sign", &TaskSpec::dofMirrorSign)
      .def_readwrite("body_mirror", &TaskSpec::bodyMirror)
      .def_readwrite("muscle_mirror", &TaskSpec::muscleMirror)
      .def_readwrite("head_body", &TaskSpec::headBody)
      .def_property("foot_bodies", [](const TaskSpec& s) { return std::pair{s.footBody[0], s.footBody[1]}; },
                    [](TaskSpec& s, std::pair<int, int> v) { s.footBody[0] = v.first; s.footBody[1] = v.second; })
      .def_property("knee_bodies", [](const TaskSpec& s) { return std::pair{s.kneeBody[0], s.kneeBody[1]}; },
                    [](TaskSpec& s, std::pair<int, int> v) { s.kneeBody[0] = v.first; s.kneeBody[1] = v.second; })
      .def_readwrite("end_effectors", &TaskSpec::endEffectors)
      .def_readwrite("fall_height", &TaskSpec::fallHeight)
      .def_readwrite("reward", &TaskSpec::reward)
      .def_readwrite("stride", &TaskSpec::stride)
      .def_readwrite("cadence", &TaskSpec::cadence)
      .def_readwrite("reference", &TaskSpec::reference);

  m.attr("INFO_NAMES") = std::vector<std::string>(kInfoNames.begin(), kInfoNames.end());

  py::class_<Env>(m, "Env", "One walking-task environment (C++); see bidir_sim.envs.WalkEnv for gymnasium.")
      .def(py::init<std::shared_ptr<const Model>, TaskSpec, std::shared_ptr<MuscleNet>, std::uint64_t>(),
           py::arg("model"), py::arg("spec"), py::arg("muscle_net"), py::arg("seed"))
      .def_property_readonly("observation_dim", &Env::observationDim)
      .def_property_readonly("action_dim", &Env::actionDim)
      .def("seed", &Env::seed, py::arg("seed"))
      .def(
          "reset",
          [](Env& self, std::optional<double> phase, std::optional<double> stride, std::optional<double> cadence) {
            ResetOptions o;
            if (phase) o.phase = *phase;
            if (stride) o.stride = *stride;
            if (cadence) o.cadence = *cadence;
            Eigen::VectorXf obs;
            {
              py::gil_scoped_release release;
              obs = self.reset(o);
            }
            return obs;
          },
          py::arg("phase") = unset(), py::arg("stride") = unset(), py::arg("cadence") = unset(),
          "Starts an episode; returns the observation (float32).")
      .def(
          "step",
          [](Env& self, const Eigen::Ref<const Eigen::VectorXf>& action) {
            StepResult r;
            Eigen::VectorXf obs;
            {
              py::gil_scoped_release release;
              r = self.step(action);
              obs = self.observation();
            }
            return py::make_tuple(obs, r.reward, r.terminated, r.truncated);
          },
          py::arg("action"), "Returns (observation, reward, terminated, truncated); details in .info.")
      .def_property_readonly("observation", &Env::observation, py::return_value_policy::copy)
      .def("compute_observation", &Env::computeObservation, py::arg("mirrored"))
      .def_property_readonly("info", &Env::info, py::return_value_policy::copy,
                             "Values named by INFO_NAMES, for the last step (a copy).")
      .def_property_readonly("steps", &Env::steps)
      .def_property_readonly("phase", &Env::phase)
      .def_property_readonly("mirrored", &Env::mirrored)
      .def_property_readonly("activations", &Env::activations, py::return_value_policy::copy)
      .def_property_readonly("muscle_tuple", [](const Env& self) {
        const MuscleTuple& t = self.muscleTuple();
        return py::make_tuple(t.desiredTorque, t.JtAReduced, t.JtA);
      }, "(tau_des, JtA_reduced, JtA) the muscle network saw at one random substep of the last step.")
      .def_property_readonly("reference_pose", &Env::referencePose, py::return_value_policy::copy)
      .def_property_readonly("target", &Env::target, py::return_value_policy::copy)
      .def_property_readonly("step_targets", &Env::stepTargets,
                             "(2, 3): where the stance foot belongs and where the swing foot should land.")
      .def("set_muscle_net", &Env::setMuscleNet, py::arg("muscle_net"))
      .def("timings", [](const Env& self) {
        const StepTimings& t = self.timings();
        return py::dict(py::arg("muscles") = t.muscles, py::arg("spd") = t.spd, py::arg("network") = t.network,
                        py::arg("forces") = t.forces, py::arg("dart") = t.dart, py::arg("observation") = t.observation,
                        py::arg("total") = t.total, py::arg("steps") = t.steps);
      }, "Seconds per part of the control steps since reset_timings() (wall clock).")
      .def("reset_timings", &Env::resetTimings)
      .def_property_readonly("simulation", &Env::simulation, py::return_value_policy::reference_internal);

  py::class_<BatchEnv>(m, "BatchEnv", "Many Envs stepped in parallel on a C++ thread pool (NEXT_STEP autoreset).")
      .def(py::init([](std::shared_ptr<const Model> model, const TaskSpec& spec, std::shared_ptr<MuscleNet> net,
                       int numEnvs, int numThreads, std::uint64_t seed, const std::string& nnMode, int nnBatch) {
             NetworkMode mode;
             if (nnMode == "batched") mode = NetworkMode::Batched;
             else if (nnMode == "per_env") mode = NetworkMode::PerEnv;
             else throw std::invalid_argument("nn_mode must be 'batched' or 'per_env', got '" + nnMode + "'");
             py::gil_scoped_release release;
             return std::make_unique<BatchEnv>(std::move(model), spec, std::move(net), numEnvs, numThreads, seed,
                                               mode, nnBatch);
           }),
           py::arg("model"), py::arg("spec"), py::arg("muscle_net"), py::arg("num_envs"), py::arg("num_threads"),
           py::arg("seed"), py::arg("nn_mode") = "batched", py::arg("nn_batch") = 32)
      .def_property_readonly("nn_batch", &BatchEnv::networkBatch)
      .def_property_readonly("nn_mode", [](const BatchEnv& self) {
        return self.networkMode() == NetworkMode::Batched ? "batched" : "per_env";
      })
      .def("take_network_time", &BatchEnv::takeNetworkTime,
           "(seconds, forwards) of the batched network since the last call; resets both.")
      .def_property_readonly("num_envs", &BatchEnv::numEnvs)
      .def_property_readonly("num_threads", &BatchEnv::numThreads)
      .def_property_readonly("observation_dim", &BatchEnv::observationDim)
      .def_property_readonly("action_dim", &BatchEnv::actionDim)
      .def("seed", &BatchEnv::seed, py::arg("seed"), "Env i gets seed + i.")
      .def("reset", [](BatchEnv& self) {
        {
          py::gil_scoped_release release;
          self.reset();
        }
        return RowMatrixXf(self.observations());
      })
      .def(
          "step",
          [](BatchEnv& self, const Eigen::Ref<const RowMatrixXf>& actions) {
            {
              py::gil_scoped_release release;
              self.step(actions);
            }
            return py::make_tuple(RowMatrixXf(self.observations()), Eigen::VectorXd(self.rewards()),
                                  VectorXb(self.terminated()), VectorXb(self.truncated()));
          },
          py::arg("actions"), "Returns copies of (observations, rewards, terminated, truncated).")
      .def_property_readonly("info", [](const BatchEnv& self) { return RowMatrixXd(self.info()); })
      .def_property_readonly("autoreset", [](const BatchEnv& self) { return VectorXb(self.autoreset()); })
      .def_property_readonly("episode_returns", [](const BatchEnv& self) { return Eigen::VectorXd(self.episodeReturns()); })
      .def_property_readonly("episode_lengths", [](const BatchEnv& self) { return Eigen::VectorXi(self.episodeLengths()); })
      .def("collect_muscle_tuples", [](BatchEnv& self) {
        MuscleTuples t = self.collectMuscleTuples();
        return py::make_tuple(t.desiredTorque, t.JtAReduced, t.JtA, t.env);
      }, "(tau_des, JtA_reduced, JtA flattened row-major, env index) since the last call; clears the buffer.")
      .def("env", &BatchEnv::env, py::arg("index"), py::return_value_policy::reference_internal);
}

}  // namespace

PYBIND11_MODULE(_core, m) {
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
      .def_property_readonly("muscle_names", [](const Model& self) {
        std::vector<std::string> out;
        for (const auto& mu : self.muscles()) out.push_back(mu.name);
        return out;
      })
      .def_property_readonly("muscle_related_dofs", [](const Model& self) {
        std::vector<std::vector<int>> out;
        for (const auto& mu : self.muscles()) out.push_back(mu.relatedDofs);
        return out;
      }, "Per muscle, the actuated DoFs it moves (0 = first DoF after the root).")
      .def_property_readonly("muscle_rest_lengths", [](const Model& self) {
        Eigen::VectorXd out(self.numMuscles());
        for (int j = 0; j < self.numMuscles(); ++j) out[j] = self.muscles()[j].restLength;
        return out;
      })
      .def_property_readonly("muscle_masses", [](const Model& self) {
        Eigen::VectorXd out(self.numMuscles());
        for (int j = 0; j < self.numMuscles(); ++j) out[j] = self.muscles()[j].mass;
        return out;
      })
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
      .def_property_readonly("num_contacts", &Simulation::numContacts)
      .def("update_muscles", &Simulation::updateMuscles, py::arg("jacobians") = true,
           py::arg("force_velocity") = false, py::return_value_policy::copy,
           "Evaluates the muscles at the current state and returns a copy of the result.")
      .def("apply_muscle_forces", &Simulation::applyMuscleForces, py::arg("activations"))
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

  bindTask(m);
}
