// Python bindings of Env and BatchEnv. The GIL is released while C++ steps.
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <optional>

#include "batch_env.hpp"
#include "bindings.hpp"
#include "env.hpp"

namespace py = pybind11;

namespace bidir {

namespace {
std::optional<double> unset() { return std::nullopt; }

// A flat record array as a (rows, ...) numpy array (a copy).
py::array_t<double> rowsOf(const std::vector<double>& v, std::vector<py::ssize_t> shape) {
  py::array_t<double> out(shape);
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

py::dict takeRecord(Env& self) {
  const GaitRecord r = self.takeRecord();
  const py::ssize_t n = r.rows, dofs = self.task().numDofs(), muscles = self.task().numMuscles();
  py::dict d;
  d["time"] = rowsOf(r.time, {n});
  d["positions"] = rowsOf(r.positions, {n, dofs});
  d["velocities"] = rowsOf(r.velocities, {n, dofs});
  d["moments"] = rowsOf(r.moments, {n, dofs});
  d["foot_force"] = rowsOf(r.footForce, {n, 2, 3});
  d["foot_moment"] = rowsOf(r.footMoment, {n, 2, 3});
  d["other_contact_force"] = rowsOf(r.otherContactForce, {n, 3});
  d["foot_rotation"] = rowsOf(r.footRotation, {n, 2, 3, 3});
  d["activations"] = rowsOf(r.activations, {n, muscles});
  d["muscle_length"] = rowsOf(r.muscleLength, {n, muscles});
  d["fiber_length"] = rowsOf(r.fiberLength, {n, muscles});
  d["muscle_force"] = rowsOf(r.muscleForce, {n, muscles});
  d["foot_position"] = rowsOf(r.footPosition, {n, 2, 3});
  // The body the episode ran on (its anatomical conditions applied), which the rows describe: its mass, and per
  // muscle the f0 (x weakness), optimal fibre length (x contracture) and tendon slack length that gave its
  // fibre lengths and forces. Valid until the env's next reset.
  const Simulation& sim = self.simulation();
  d["mass"] = sim.totalMass();
  const auto& ms = sim.muscles();
  const MuscleRatios& ratios = sim.muscleRatios();
  py::array_t<double> params({muscles, py::ssize_t{3}});
  auto p = params.mutable_unchecked<2>();
  for (py::ssize_t j = 0; j < muscles; ++j) {
    const auto& m = ms[static_cast<std::size_t>(j)];
    p(j, 0) = ratios.f0(j, m.f0);
    p(j, 1) = ratios.optimalFiberLength(j, m.optimalFiberLength);
    p(j, 2) = m.tendonSlackLength;
  }
  d["muscle_parameters"] = params;
  return d;
}
}  // namespace

void bindEnv(py::module_& m) {
  m.attr("DEFAULT_NN_BATCH") = kDefaultNetworkBatch;
  py::class_<Env>(m, "Env", "One walking-task environment (C++); see bidir_sim.envs.WalkEnv for gymnasium.")
      .def(py::init<std::shared_ptr<const CompiledTask>, std::shared_ptr<MuscleNet>, std::uint64_t>(), py::arg("task"),
           py::arg("muscle_net"), py::arg("seed"))
      .def_property_readonly("task",
                             [](const Env& self) { return std::const_pointer_cast<CompiledTask>(self.taskPtr()); })
      .def_property_readonly("observation_dim", [](const Env& self) { return self.task().observationDim(); })
      .def_property_readonly("action_dim", [](const Env& self) { return self.task().actionDim(); })
      .def("seed", &Env::seed, py::arg("seed"))
      .def("fix_conditions", &Env::fixConditions, py::arg("values"),
           "Conditions every later reset uses where its own conditions give none (NaN: drawn; empty: all drawn).")
      .def(
          "reset",
          [](Env& self, std::optional<double> phase, std::optional<double> stride, std::optional<double> cadence,
             std::optional<Eigen::VectorXd> conditions) {
            ResetOptions o;
            if (phase) o.phase = *phase;
            if (stride) o.stride = *stride;
            if (cadence) o.cadence = *cadence;
            if (conditions) o.conditions = *conditions;
            Eigen::VectorXf obs;
            {
              py::gil_scoped_release release;
              obs = self.reset(o);
            }
            return obs;
          },
          py::arg("phase") = unset(), py::arg("stride") = unset(), py::arg("cadence") = unset(),
          py::arg("conditions") = py::none(),
          "Starts an episode; returns the observation (float32). conditions: one value per condition of "
          "the task (NaN: sampled).")
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
      .def_property_readonly("conditions", &Env::conditions, py::return_value_policy::copy,
                             "The episode's condition values (task.conditions order; a copy).")
      .def_property_readonly("info", &Env::info, py::return_value_policy::copy,
                             "Values named by INFO_NAMES, for the last step (a copy).")
      .def_property_readonly("steps", &Env::steps)
      .def_property_readonly("phase", &Env::phase)
      .def_property_readonly("mirrored", &Env::mirrored)
      .def_property_readonly("activations", &Env::activations, py::return_value_policy::copy)
      .def_property_readonly(
          "muscle_tuple",
          [](const Env& self) {
            const MuscleTuple& t = self.muscleTuple();
            return py::make_tuple(t.desiredTorque, t.JtAReduced, t.JtA);
          },
          "(tau_des, JtA_reduced, JtA) the muscle network saw at one random substep of the last step.")
      .def_property_readonly("reference_pose", &Env::referencePose, py::return_value_policy::copy)
      .def_property_readonly("target", &Env::target, py::return_value_policy::copy)
      .def_property_readonly("step_targets", &Env::stepTargets,
                             "(2, 3): where the stance foot belongs and where the swing foot should land.")
      .def("set_muscle_net", &Env::setMuscleNet, py::arg("muscle_net"))
      .def(
          "timings",
          [](const Env& self) {
            const StepTimings& t = self.timings();
            return py::dict(py::arg("muscles") = t.muscles, py::arg("spd") = t.spd, py::arg("network") = t.network,
                            py::arg("forces") = t.forces, py::arg("dart") = t.dart,
                            py::arg("observation") = t.observation, py::arg("total") = t.total,
                            py::arg("steps") = t.steps);
          },
          "Seconds per part of the control steps since reset_timings() (wall clock).")
      .def("reset_timings", &Env::resetTimings)
      .def_property("assist_scale", &Env::assistScale, &Env::setAssistScale,
                    "Strength of the task's assist (a factor on its gains, >= 0; 0: off, the default).")
      .def_property_readonly("simulation", &Env::simulation, py::return_value_policy::reference_internal)
      .def_property("recording", &Env::recording, &Env::setRecording,
                    "Whether every substep appends a row to the gait record (off by default; reset() empties it).")
      .def("take_record", &takeRecord,
           "The gait record since reset (or the last take) as a dict of arrays, one row per substep; see "
           "bidir_sim.gait.record for the fields. The record is then empty.");

  py::class_<BatchEnv>(m, "BatchEnv", "Many Envs stepped in parallel on a C++ thread pool (NEXT_STEP autoreset).")
      .def(py::init([](std::shared_ptr<const CompiledTask> task, std::shared_ptr<MuscleNet> net, int numEnvs,
                       int numThreads, std::uint64_t seed, const std::string& nnMode, int nnBatch) {
             NetworkMode mode;
             if (nnMode == "batched")
               mode = NetworkMode::Batched;
             else if (nnMode == "per_env")
               mode = NetworkMode::PerEnv;
             else
               throw std::invalid_argument("nn_mode must be 'batched' or 'per_env', got '" + nnMode + "'");
             py::gil_scoped_release release;
             return std::make_unique<BatchEnv>(std::move(task), std::move(net), numEnvs, numThreads, seed, mode,
                                               nnBatch);
           }),
           py::arg("task"), py::arg("muscle_net"), py::arg("num_envs"), py::arg("num_threads"), py::arg("seed"),
           py::arg("nn_mode") = "batched", py::arg("nn_batch") = kDefaultNetworkBatch)
      .def_property_readonly("task",
                             [](const BatchEnv& self) { return std::const_pointer_cast<CompiledTask>(self.taskPtr()); })
      .def_property_readonly("nn_batch", &BatchEnv::networkBatch)
      .def_property_readonly(
          "nn_mode",
          [](const BatchEnv& self) { return self.networkMode() == NetworkMode::Batched ? "batched" : "per_env"; })
      .def("take_network_time", &BatchEnv::takeNetworkTime,
           "(seconds, forwards) of the batched network since the last call; resets both.")
      .def_property_readonly("num_envs", &BatchEnv::numEnvs)
      .def_property_readonly("num_threads", &BatchEnv::numThreads)
      .def_property_readonly("observation_dim", &BatchEnv::observationDim)
      .def_property_readonly("action_dim", &BatchEnv::actionDim)
      .def("seed", &BatchEnv::seed, py::arg("seed"), "Env i gets seed + i.")
      .def("set_assist_scale", &BatchEnv::setAssistScale, py::arg("scale"),
           "Every env's assist scale from the next step on (>= 0; 0: off, the default).")
      .def("reset",
           [](BatchEnv& self) {
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
      .def_property_readonly(
          "conditions",
          [](BatchEnv& self) {
            const auto count = static_cast<Eigen::Index>(self.env(0).task().conditions().size());
            RowMatrixXd out(self.numEnvs(), count);
            for (int i = 0; i < self.numEnvs(); ++i) out.row(i) = self.env(i).conditions().transpose();
            return out;
          },
          "Each env's condition values (envs x task.conditions), of its current episode: after an "
          "autoreset, the new one's.")
      .def(
          "fix_conditions",
          [](BatchEnv& self, const RowMatrixXd& values) {
            if (values.size() != 0 && values.rows() != self.numEnvs())
              throw std::invalid_argument("fix_conditions: " + std::to_string(values.rows()) + " rows for " +
                                          std::to_string(self.numEnvs()) + " envs");
            // every row is checked (on env 0, without keeping it) before any env takes its own
            const Eigen::VectorXd kept = self.env(0).fixedConditions();
            for (int i = 0; i < self.numEnvs() && values.size() != 0; ++i) {
              try {
                self.env(0).fixConditions(Eigen::VectorXd(values.row(i)));
              } catch (const std::invalid_argument& e) {
                self.env(0).fixConditions(kept);
                throw std::invalid_argument("row " + std::to_string(i) + ": " + e.what());
              }
            }
            for (int i = 0; i < self.numEnvs(); ++i)
              self.env(i).fixConditions(values.size() == 0 ? Eigen::VectorXd() : Eigen::VectorXd(values.row(i)));
          },
          py::arg("values"),
          "Conditions every later reset and autoreset of env i uses (values: envs x task.conditions, NaN: drawn; "
          "an empty array: all drawn again).")
      .def_property_readonly("episode_returns",
                             [](const BatchEnv& self) { return Eigen::VectorXd(self.episodeReturns()); })
      .def_property_readonly("episode_lengths",
                             [](const BatchEnv& self) { return Eigen::VectorXi(self.episodeLengths()); })
      .def(
          "collect_muscle_tuples",
          [](BatchEnv& self) {
            MuscleTuples t = self.collectMuscleTuples();
            return py::make_tuple(t.desiredTorque, t.JtAReduced, t.JtA, t.env);
          },
          "(tau_des, JtA_reduced, JtA flattened row-major, env index) since the last call; clears the buffer.")
      .def("env", &BatchEnv::env, py::arg("index"), py::return_value_policy::reference_internal);
}

}  // namespace bidir
