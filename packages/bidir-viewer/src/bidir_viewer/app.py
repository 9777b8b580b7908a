"""The interactive window: GLFW + moderngl for the scene, Dear ImGui (imgui-bundle's GLFW backend) for the
panels. The simulation runs on SimRunner's thread; this loop only reads frames, draws and handles input.

Keys: Space play/pause, S step, R reset, Esc quit, 0/1/2 camera presets. Mouse: left-drag orbit,
right-drag pan, wheel zoom (when the pointer is not over a panel)."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import glfw  # before imgui_bundle: its pure-Python backend then uses this GLFW
import imageio.v2 as imageio
import moderngl
import numpy as np
from imgui_bundle import imgui, implot
from imgui_bundle.python_backends.glfw_backend import GlfwRenderer

from . import panels
from .camera import PRESET_KEYS, Camera
from .playback import Playback
from .renderer import Renderer
from .runner import SimRunner
from .scene import SceneBuilder, Toggles


class WindowError(RuntimeError):
    pass


def _open_window(width: int, height: int, title: str):
    if not glfw.init():
        raise WindowError("GLFW could not initialise: no display? Use --screenshot/--record (headless) or "
                          "run under xvfb-run")
    glfw.window_hint(glfw.CONTEXT_VERSION_MAJOR, 3)
    glfw.window_hint(glfw.CONTEXT_VERSION_MINOR, 3)
    glfw.window_hint(glfw.OPENGL_PROFILE, glfw.OPENGL_CORE_PROFILE)
    glfw.window_hint(glfw.OPENGL_FORWARD_COMPAT, True)
    window = glfw.create_window(width, height, title, None, None)
    if not window:
        glfw.terminate()
        raise WindowError("GLFW could not open an OpenGL 3.3 window on this display")
    glfw.make_context_current(window)
    glfw.swap_interval(1)
    return window


def _handle_input(runner: SimRunner, camera: Camera) -> bool:
    """Keys and mouse, unless a panel has them; returns False when the window should close."""
    io = imgui.get_io()
    if not io.want_capture_keyboard:
        if imgui.is_key_pressed(imgui.Key.escape):
            return False
        if imgui.is_key_pressed(imgui.Key.space):
            runner.playing = not runner.playing
        if imgui.is_key_pressed(imgui.Key.s):
            runner.request_step()
        if imgui.is_key_pressed(imgui.Key.r):
            runner.request_reset()
        for i, name in enumerate(PRESET_KEYS):
            if imgui.is_key_pressed(getattr(imgui.Key, f"_{i}")):
                camera.preset(name)
    if not io.want_capture_mouse:
        dx, dy = io.mouse_delta.x, io.mouse_delta.y
        if imgui.is_mouse_down(imgui.MouseButton_.left):
            camera.orbit(dx, dy)
        elif imgui.is_mouse_down(imgui.MouseButton_.right) or imgui.is_mouse_down(imgui.MouseButton_.middle):
            camera.pan(dx, dy)
        if io.mouse_wheel:
            camera.zoom(io.mouse_wheel)
    return True


def run_window(playback: Playback, title: str, size: tuple[int, int] = (1280, 720), speed: float = 1.0,
               toggles: Toggles | None = None, exit_after_frames: int | None = None,
               save_window: str | Path | None = None) -> dict[str, float]:
    """Opens the window and runs until closed (or ``exit_after_frames``, then saves the window's pixels to
    ``save_window`` if given: tests and docs use it). Returns frame statistics."""
    window = _open_window(*size, title)
    imgui.create_context()
    implot.create_context()
    imgui.get_io().set_ini_filename(None)  # no imgui.ini in the user's folder
    gui = GlfwRenderer(window)
    ctx = moderngl.create_context()
    renderer, scene = Renderer(ctx), SceneBuilder(playback.model)
    camera, toggles = Camera(), toggles or Toggles()
    camera.track(playback.frame.com, 0.0)
    runner = SimRunner(playback, speed=speed).start()
    timing = panels.Timing()
    frames, last, started = 0, time.perf_counter(), time.perf_counter()
    try:
        while not glfw.window_should_close(window):
            glfw.poll_events()
            gui.process_inputs()
            imgui.new_frame()
            if not _handle_input(runner, camera) or runner.error is not None:
                break
            frame = runner.frame
            now = time.perf_counter()
            dt, last = now - last, now
            timing.frame_ms = 1e3 * dt
            timing.fps = 0.9 * timing.fps + 0.1 / max(dt, 1e-6) if frames else 0.0
            camera.track(frame.com, dt)
            panels.controls(runner, camera, toggles, timing, title)
            panels.plots(runner, playback.muscle_names, toggles.muscle_filter)
            fw, fh = glfw.get_framebuffer_size(window)
            ctx.screen.use()
            ctx.clear(0.2, 0.2, 0.2)
            # the scene fills the area right of the panel and above the plots (framebuffer pixels)
            ww, wh = glfw.get_window_size(window)
            px, ph = int(panels.PANEL_WIDTH * fw / max(ww, 1)), int(panels.PLOT_HEIGHT * fh / max(wh, 1))
            renderer.render(scene.build(frame, toggles), camera, (max(fw - px, 1), max(fh - ph, 1)),
                            toggles.ground, origin=(px, ph))
            ctx.viewport = (0, 0, fw, fh)
            imgui.render()
            gui.render(imgui.get_draw_data())
            frames += 1
            if exit_after_frames is not None and frames >= exit_after_frames:
                if save_window is not None:
                    pixels = np.frombuffer(ctx.screen.read(components=3, alignment=1), np.uint8)
                    imageio.imwrite(save_window, pixels.reshape(fh, fw, 3)[::-1])
                break
            glfw.swap_buffers(window)
    finally:
        runner.stop()
        with contextlib.suppress(Exception):  # the backend's texture clean-up may fail; the context goes anyway
            gui.shutdown()
        implot.destroy_context()
        imgui.destroy_context()
        glfw.terminate()
    if runner.error is not None:
        raise runner.error
    elapsed = time.perf_counter() - started
    return {"frames": frames, "fps": frames / elapsed if elapsed > 0 else 0.0}
