"""The Dear ImGui panels (imgui-bundle): playback controls, camera, what is drawn, muscle filter, timing,
and ImPlot plots of the reward terms, COM velocity, episode return and selected muscles' activations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from imgui_bundle import imgui, implot

from .camera import PRESET_KEYS, Camera
from .runner import SimRunner
from .scene import COLOR_MODES, Toggles

PANEL_WIDTH = 330
PLOT_HEIGHT = 230
MAX_MUSCLE_PLOTS = 8


@dataclass
class Timing:
    frame_ms: float = 0.0
    fps: float = 0.0


def condition_lines(conditions: dict[str, float]) -> list[str]:
    """The episode's anatomical conditions as the panel lists them (torsions in degrees too)."""
    return [f"{name} {value:.3f}" + (f" rad ({value * 57.29578:+.1f}°)" if name.startswith("torsion.") else "")
            for name, value in conditions.items()]


def controls(runner: SimRunner, camera: Camera, toggles: Toggles, timing: Timing, title: str) -> None:
    imgui.set_next_window_pos((0, 0), imgui.Cond_.always)
    imgui.set_next_window_size((PANEL_WIDTH, imgui.get_io().display_size.y), imgui.Cond_.always)
    imgui.begin("bidir-viewer", flags=imgui.WindowFlags_.no_move | imgui.WindowFlags_.no_resize)
    pb, frame = runner.playback, runner.frame
    imgui.text_wrapped(title)
    imgui.text(f"t {frame.time:6.2f} s   episode {pb.episodes + 1}   step {frame.episode_length}")
    imgui.text(f"return {frame.episode_return:8.2f}   reward {frame.reward:.3f}")
    if frame.conditions and imgui.collapsing_header("conditions", imgui.TreeNodeFlags_.default_open):
        for line in condition_lines(frame.conditions):
            imgui.text(line)
    imgui.separator()
    if imgui.button("Pause (Space)" if runner.playing else "Play (Space)"):
        runner.playing = not runner.playing
    imgui.same_line()
    if imgui.button("Step (S)"):
        runner.request_step()
    imgui.same_line()
    if imgui.button("Reset (R)"):
        runner.request_reset()
    _, runner.speed = imgui.slider_float("speed", runner.speed, 0.05, 4.0, "%.2fx")
    if pb.mode == "policy":
        _, pb.sample = imgui.checkbox("sample actions (else mean)", pb.sample)
    imgui.separator()
    imgui.text("camera")
    for i, name in enumerate(PRESET_KEYS):
        if i:
            imgui.same_line()
        if imgui.button(f"{name} ({i})"):
            camera.preset(name)
    _, camera.follow = imgui.checkbox("follow the body", camera.follow)
    imgui.separator()
    imgui.text("draw")
    for key, label in (("bodies", "bodies"), ("muscles", "muscles"), ("pd_ghost", "PD target (ghost)"),
                       ("reference_ghost", "reference pose (ghost)"), ("step_targets", "foot-step targets"),
                       ("com", "centre of mass"), ("ground", "ground")):
        _, value = imgui.checkbox(label, getattr(toggles, key))
        setattr(toggles, key, value)
    _, toggles.body_opacity = imgui.slider_float("body opacity", toggles.body_opacity, 0.1, 1.0)
    _, mode = imgui.combo("muscle colour", COLOR_MODES.index(toggles.color_mode),
                          ["activation", "passive force / f0"])
    toggles.color_mode = COLOR_MODES[mode]
    _, toggles.muscle_filter = imgui.input_text("muscle filter", toggles.muscle_filter)
    imgui.separator()
    imgui.text(f"frame {timing.frame_ms:5.1f} ms ({timing.fps:4.0f} fps)")
    imgui.text(f"control step {runner.step_ms:5.1f} ms (sim {1e3 * pb.control_dt:.1f} ms)")
    imgui.end()


def plots(runner: SimRunner, muscle_names: list[str], muscle_filter: str) -> None:
    io = imgui.get_io()
    width = io.display_size.x - PANEL_WIDTH
    imgui.set_next_window_pos((PANEL_WIDTH, io.display_size.y - PLOT_HEIGHT), imgui.Cond_.always)
    imgui.set_next_window_size((width, PLOT_HEIGHT), imgui.Cond_.always)
    imgui.begin("plots", flags=imgui.WindowFlags_.no_move | imgui.WindowFlags_.no_resize |
                imgui.WindowFlags_.no_title_bar)
    with runner.lock:
        t, values, acts = runner.history.arrays()
    h = PLOT_HEIGHT - 20
    fit = implot.AxisFlags_.auto_fit
    outside = implot.LegendFlags_.outside

    def begin(title: str, share: float, legend_outside: bool, y_range: tuple[float, float] | None = None) -> bool:
        if not implot.begin_plot(title, ((width - 50) * share, h)):
            return False
        implot.setup_axes("t (s)", "", fit, fit if y_range is None else 0)
        if y_range is not None:  # fixed limits keep the y ticks few and apart while the curves move
            implot.setup_axis_limits(implot.ImAxis_.y1, *y_range, implot.Cond_.always)
        implot.setup_legend(implot.Location_.north_east if not legend_outside else implot.Location_.east,
                            outside if legend_outside else 0)
        return True

    if begin("reward terms", 0.32, True):
        for k in runner.history.terms:
            if np.isfinite(values[k]).any():
                implot.plot_line(k[2:], t, values[k])
        implot.end_plot()
    imgui.same_line()
    if begin("COM velocity (m/s)", 0.2, False):
        implot.plot_line("forward", t, values["com_vz"])
        implot.plot_line("sideways", t, values["com_vx"])
        implot.end_plot()
    imgui.same_line()
    if begin("episode return", 0.2, False):
        implot.plot_line("return", t, values["return"])
        implot.end_plot()
    imgui.same_line()
    if begin("activations", 0.28, False, y_range=(0.0, 1.0)):  # legend inside: the x ticks need the width
        f = muscle_filter.strip().lower()
        if f:
            chosen = [i for i, n in enumerate(muscle_names) if f in n.lower()]
        else:  # no filter: the most active muscles now
            chosen = list(np.argsort(-acts[-1])[:5]) if acts.size else []
        if acts.size:
            for i in chosen[:MAX_MUSCLE_PLOTS]:
                implot.plot_line(muscle_names[i], t, np.ascontiguousarray(acts[:, i]))
        implot.end_plot()
    imgui.end()
