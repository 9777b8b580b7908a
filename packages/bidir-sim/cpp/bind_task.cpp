// Python bindings of the task: the plain TaskSpec filled by bidir_sim.envs.task (the env config as one map,
// and the structure derived from the model), and the CompiledTask (read-only: sizes, observation layout,
// reward terms, reference motion).
#include <pybind11/eigen.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <tuple>

#include "bindings.hpp"
#include "reward.hpp"
#include "task.hpp"

namespace py = pybind11;

namespace bidir {

void bindTask(py::module_& m) {
  py::class_<ReferenceSpec>(m, "ReferenceSpec")
      .def(py::init<>())
      .def_readwrite("samples", &ReferenceSpec::samples)
      .def_readwrite("stride", &ReferenceSpec::stride)
      .def_readwrite("duration", &ReferenceSpec::duration)
      .def_readwrite("rotation_dofs", &ReferenceSpec::rotationDofs)
      .def_readwrite("right_heel_strike", &ReferenceSpec::rightHeelStrike)
      .def_readwrite("cyclic", &ReferenceSpec::cyclic);

  static const std::pair<const char*, ConditionTarget> kTargets[] = {{"muscle_force", ConditionTarget::MuscleForce},
                                                                     {"muscle_length", ConditionTarget::MuscleLength},
                                                                     {"body_scale", ConditionTarget::BodyScale},
                                                                     {"bone_length", ConditionTarget::BoneLength},
                                                                     {"torsion", ConditionTarget::Torsion}};
  py::class_<ConditionSpec>(m, "ConditionSpec",
                            "One anatomical condition: a ratio of the force (f0) or the rest length of some muscles, "
                            "of the size of some bodies or of a bone's length, or a bone's torsion (rad), sampled at "
                            "reset (bidir_sim.envs.conditions builds them).")
      .def(py::init([](std::string name, const std::string& target, std::vector<int> indices, double min, double max,
                       double defaultValue, const std::string& sampling, int mirror) {
             ConditionSpec c;
             const auto* found = std::find_if(std::begin(kTargets), std::end(kTargets),
                                              [&](const auto& t) { return target == t.first; });
             if (found == std::end(kTargets))
               throw std::invalid_argument("condition '" + name + "': target must be muscle_force, muscle_length, " +
                                           "body_scale, bone_length or torsion, not '" + target + "'");
             c.target = found->second;
             c.range = {min, max, defaultValue, parseSampling(sampling, name + ".sampling")};
             c.name = std::move(name);
             c.indices = std::move(indices);
             c.mirror = mirror;
             return c;
           }),
           py::arg("name"), py::arg("target"), py::arg("indices"), py::arg("min"), py::arg("max"), py::arg("default"),
           py::arg("sampling"), py::arg("mirror"))
      .def_readonly("name", &ConditionSpec::name)
      .def_property_readonly("target",
                             [](const ConditionSpec& c) {
                               for (const auto& [name, target] : kTargets)
                                 if (target == c.target) return std::string(name);
                               return std::string();
                             })
      .def_readonly("indices", &ConditionSpec::indices, "Muscle indices (muscle_*) or body indices (the others).")
      .def_property_readonly("min", [](const ConditionSpec& c) { return c.range.min; })
      .def_property_readonly("max", [](const ConditionSpec& c) { return c.range.max; })
      .def_property_readonly("default", [](const ConditionSpec& c) { return c.range.defaultValue; })
      .def_property_readonly("sampling", [](const ConditionSpec& c) { return samplingName(c.range.sampling); })
      .def_readonly("mirror", &ConditionSpec::mirror);

  py::class_<TaskSpec>(m, "TaskSpec")
      .def(py::init<>())
      .def("__copy__", [](const TaskSpec& self) { return TaskSpec(self); })
      .def(
          "__deepcopy__", [](const TaskSpec& self, py::dict) { return TaskSpec(self); }, py::arg("memo"))
      .def_readwrite("config", &TaskSpec::config,
                     "The env config: dotted key -> value (bidir_sim.envs.config.config_values), read by CompiledTask.")
      .def_readwrite("upper_dofs", &TaskSpec::upperDofs)
      .def_readwrite("dof_mirror", &TaskSpec::dofMirror)
      .def_readwrite("dof_mirror_sign", &TaskSpec::dofMirrorSign)
      .def_readwrite("body_mirror", &TaskSpec::bodyMirror)
      .def_readwrite("muscle_mirror", &TaskSpec::muscleMirror)
      .def_readwrite("head_body", &TaskSpec::headBody)
      .def_property(
          "foot_bodies", [](const TaskSpec& s) { return std::pair{s.footBody[0], s.footBody[1]}; },
          [](TaskSpec& s, std::pair<int, int> v) {
            s.footBody[0] = v.first;
            s.footBody[1] = v.second;
          })
      .def_property(
          "knee_bodies", [](const TaskSpec& s) { return std::pair{s.kneeBody[0], s.kneeBody[1]}; },
          [](TaskSpec& s, std::pair<int, int> v) {
            s.kneeBody[0] = v.first;
            s.kneeBody[1] = v.second;
          })
      .def_readwrite("end_effectors", &TaskSpec::endEffectors)
      .def_readwrite("fall_height", &TaskSpec::fallHeight)
      .def_readwrite("reference", &TaskSpec::reference)
      .def_readwrite("conditions", &TaskSpec::conditions);

  m.attr("INFO_NAMES") = std::vector<std::string>(kInfoNames.begin(), kInfoNames.end());

  py::class_<CompiledTask, std::shared_ptr<CompiledTask>>(
      m, "CompiledTask",
      "A TaskSpec checked against its Model and compiled once; shared read-only by every env made from it.")
      .def(py::init([](std::shared_ptr<const Model> model, const TaskSpec& spec) {
             py::gil_scoped_release release;
             return std::make_shared<CompiledTask>(std::move(model), spec);
           }),
           py::arg("model"), py::arg("spec"))
      .def_property_readonly("model",
                             [](const CompiledTask& t) { return std::const_pointer_cast<Model>(t.modelPtr()); })
      .def_property_readonly(
          "spec", [](const CompiledTask& t) { return TaskSpec(t.spec()); }, "A copy of the spec.")
      .def_property_readonly("observation_dim", &CompiledTask::observationDim)
      .def_property_readonly("action_dim", &CompiledTask::actionDim)
      .def_property_readonly("has_time_warp", &CompiledTask::hasTimeWarp,
                             "Whether the last action dimension warps the phase.")
      .def_property_readonly("num_dofs", &CompiledTask::numDofs)
      .def_property_readonly("num_actuated_dofs", &CompiledTask::numActuatedDofs)
      .def_property_readonly("num_muscles", &CompiledTask::numMuscles)
      .def_property_readonly("substeps", &CompiledTask::substeps)
      .def_property_readonly("inference_per_sim", [](const CompiledTask& t) { return t.spec().inferencePerSim; })
      .def_property_readonly("actuator", [](const CompiledTask& t) { return t.spec().actuator; })
      .def_property_readonly("action_dofs", &CompiledTask::actionDofs,
                             "The DoF (full indexing) each joint entry of the action drives, in action order.")
      .def_property_readonly("first_activation_action", &CompiledTask::firstActivationAction,
                             "actuator activations: the action index of muscle 0's activation (-1 otherwise).")
      .def_property_readonly("torque_limits", &CompiledTask::torqueLimits,
                             "actuator torque: the torque of a unit action per DoF (kp x torque_scale).")
      .def_property_readonly(
          "conditions",
          [](const CompiledTask& t) {
            std::vector<std::string> out;
            for (const auto& c : t.conditions()) out.push_back(c.name);
            return out;
          },
          "The names of the task's anatomical conditions (the order of reset's conditions and Env.conditions).")
      .def_property_readonly("observed_conditions", &CompiledTask::observedConditions,
                             "Indices of the sampled conditions, in the order the observation appends them.")
      .def_property_readonly("uses_muscle_network", &CompiledTask::usesMuscleNetwork)
      .def_property_readonly("network_input_dim", &CompiledTask::networkInputDim,
                             "JtA_reduced (muscle_dofs) then tau_des (one per actuated DoF).")
      .def_property_readonly_static(
          "network_input_scale", [](py::object) { return CompiledTask::kNetworkInputScale; },
          "The muscle network sees its inputs multiplied by this.")
      .def_property_readonly(
          "observation_layout",
          [](const CompiledTask& t) {
            std::vector<std::tuple<std::string, int, int>> out;
            for (const auto& b : t.observationLayout()) out.emplace_back(b.name, b.start, b.size);
            return out;
          },
          "(name, start, size) of each observation block, in order.")
      .def_property_readonly(
          "reward_terms",
          [](const CompiledTask& t) {
            std::vector<std::string> out;
            for (int k : t.rewardTerms()) out.emplace_back(kInfoNames[k]);
            return out;
          },
          "The info entries (r_*) that make up this task's reward.")
      .def_property_readonly("leg_dofs", &CompiledTask::legDofs,
                             "DoFs (full indexing) of the legs: every actuated DoF that is not upper body.")
      .def_property_readonly(
          "reference_duration", [](const CompiledTask& t) { return t.reference().duration(); },
          "s per cycle at cadence ratio 1")
      .def_property_readonly(
          "reference_stride", [](const CompiledTask& t) { return t.reference().stride(); },
          "m per cycle at stride ratio 1")
      .def_property_readonly("right_heel_strike", [](const CompiledTask& t) { return t.reference().rightHeelStrike(); })
      .def("reference_pose", &CompiledTask::referencePose, py::arg("phase"), py::arg("stride_ratio") = 1.0,
           "Joint positions of the reference at `phase` (cycles), as the env interpolates them.")
      .def("reference_velocity", &CompiledTask::referenceVelocity, py::arg("phase"), py::arg("stride_ratio") = 1.0,
           py::arg("cadence_ratio") = 1.0, "Joint velocities of the reference at `phase` (cycles).");
}

}  // namespace bidir
