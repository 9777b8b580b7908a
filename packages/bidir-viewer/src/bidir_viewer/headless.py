"""Rendering with no display: an EGL context (Mesa's llvmpipe on a server) and an offscreen framebuffer, for
``--screenshot``, ``--record`` and the render benchmark. Draws the 3D view; the panels are window-only."""

from __future__ import annotations

import time
from pathlib import Path

import imageio.v2 as imageio
import moderngl
import numpy as np

from .camera import Camera
from .playback import Playback
from .renderer import Renderer
from .scene import SceneBuilder, Toggles

VIDEO_SUFFIXES = (".mp4", ".gif", ".webm", ".mkv", ".avi")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")


def create_context() -> moderngl.Context:
    """A standalone OpenGL 3.3 context: EGL first (no X server needed), then the platform default."""
    errors = []
    for kwargs in ({"backend": "egl"}, {}):
        try:
            return moderngl.create_standalone_context(require=330, **kwargs)
        except Exception as e:  # noqa: BLE001 - each backend fails in its own way; all are reported
            errors.append(f"{kwargs.get('backend', 'default')}: {e}")
    raise RuntimeError("no offscreen OpenGL 3.3 context could be created (" + "; ".join(errors) +
                       "). On Debian: apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri")


class OffscreenView:
    """A Playback drawn into a width x height framebuffer; ``capture`` returns the image as (h, w, 3) uint8."""

    def __init__(self, playback: Playback, size: tuple[int, int] = (1280, 720), toggles: Toggles | None = None,
                 camera: Camera | None = None, ctx: moderngl.Context | None = None):
        self.playback, self.size = playback, size
        self.toggles = toggles or Toggles()
        self.camera = camera or Camera()
        self.ctx = ctx or create_context()
        self.renderer = Renderer(self.ctx)
        self.scene = SceneBuilder(playback.model)
        w, h = size
        self.fbo = self.ctx.framebuffer(color_attachments=[self.ctx.renderbuffer((w, h))],
                                        depth_attachment=self.ctx.depth_renderbuffer((w, h)))
        self.camera.track(playback.frame.com, 0.0)

    def draw(self, frame=None) -> None:
        frame = frame if frame is not None else self.playback.frame
        self.fbo.use()
        self.renderer.render(self.scene.build(frame, self.toggles), self.camera, self.size, self.toggles.ground)

    def capture(self, frame=None) -> np.ndarray:
        self.draw(frame)
        w, h = self.size
        data = self.fbo.read(components=3, alignment=1)
        return np.frombuffer(data, np.uint8).reshape(h, w, 3)[::-1].copy()

    def advance(self, seconds: float) -> None:
        """Steps the playback by whole control steps covering ``seconds`` of simulated time, following the COM."""
        steps = max(0, round(seconds / self.playback.control_dt))
        for _ in range(steps):
            self.playback.step()
        self.camera.track(self.playback.frame.com, seconds)


def screenshot(view: OffscreenView, path: str | Path, warmup_seconds: float = 0.0) -> np.ndarray:
    view.advance(warmup_seconds)
    image = view.capture()
    _write_atomic(path, lambda tmp: imageio.imwrite(tmp, image, format=Path(path).suffix or ".png"))
    return image


def record(view: OffscreenView, path: str | Path, seconds: float, fps: int = 30, speed: float = 1.0,
           progress=None, stills: int = 0) -> int:
    """Writes ``round(seconds * fps)`` frames of playback at ``speed`` x real time; returns the frame count.
    With ``stills`` > 0 also writes that many equally spaced frames side by side to ``stills_path(path)``
    (the still frames for docs: is it a gait or a shuffle?)."""
    frames = record_frames(seconds, fps)
    if not 0 <= stills <= frames:
        raise ValueError(f"stills must be in [0, {frames}] (the video's frames), got {stills}")
    picked = {round(k * (frames - 1) / max(1, stills - 1)) for k in range(stills)} if stills > 1 else set(range(stills))
    kept: list[np.ndarray] = []
    suffix = Path(path).suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        raise ValueError(f"--record {path}: the file name must end in one of {', '.join(VIDEO_SUFFIXES)}")

    def write(tmp: str) -> None:
        kwargs = {"fps": fps} if suffix == ".gif" else {"fps": fps, "codec": "libx264", "quality": 7,
                                                         "macro_block_size": 8}
        with imageio.get_writer(tmp, format=suffix, **kwargs) as writer:
            for i in range(frames):
                if i:
                    view.advance(speed / fps)
                image = view.capture()
                writer.append_data(image)
                if i in picked:
                    kept.append(image)
                if progress is not None:
                    progress(i + 1, frames)

    _write_atomic(path, write)
    if kept:
        sheet = np.concatenate(kept, axis=1)
        _write_atomic(stills_path(path), lambda tmp: imageio.imwrite(tmp, sheet, format=".png"))
    return frames


def record_frames(seconds: float, fps: int) -> int:
    """The frames ``record`` writes for ``seconds`` at ``fps``."""
    return max(1, round(seconds * fps))


def stills_path(video: str | Path) -> Path:
    """Where ``record(..., stills=N)`` writes its still frames: VIDEO's name with ``-stills.png``."""
    video = Path(video)
    return video.with_name(video.stem + "-stills.png")


def benchmark(view: OffscreenView, frames: int = 120) -> dict[str, float]:
    """Frames per second of drawing alone (the simulation advanced outside the timed part) and of
    building the instance arrays, at the view's size; the playback moves one control step per frame."""
    draw_s = build_s = 0.0
    for _ in range(frames):
        view.playback.step()
        frame = view.playback.frame
        t0 = time.perf_counter()
        instances = view.scene.build(frame, view.toggles)
        t1 = time.perf_counter()
        view.fbo.use()
        view.renderer.render(instances, view.camera, view.size, view.toggles.ground)
        view.ctx.finish()
        t2 = time.perf_counter()
        build_s += t1 - t0
        draw_s += t2 - t1
    return {"frames": frames, "fps": frames / (draw_s + build_s), "draw_ms": 1e3 * draw_s / frames,
            "scene_ms": 1e3 * build_s / frames, "width": view.size[0], "height": view.size[1],
            "renderer": view.ctx.info["GL_RENDERER"]}


def _write_atomic(path: str | Path, write) -> None:
    """Writes through ``write(tmp_path)`` to a temporary name beside ``path``, then renames it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    try:
        write(str(tmp))
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
