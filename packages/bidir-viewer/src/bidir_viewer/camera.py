"""An orbit camera (yaw, pitch, distance around a target) with presets and a follow mode. World axes as
in bidir-sim: y up, z forward (the walking direction), x to the body's left."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

# name: (yaw, pitch) in degrees; yaw 0 looks from +x (the body's left side) towards -x
PRESETS = {"side": (0.0, 8.0), "front": (90.0, 8.0), "three-quarter": (40.0, 22.0)}
PRESET_KEYS = ("side", "front", "three-quarter")  # keys 0, 1, 2


def look_at(eye: np.ndarray, target: np.ndarray, up=(0.0, 1.0, 0.0)) -> np.ndarray:
    f = target - eye
    f = f / np.linalg.norm(f)
    s = np.cross(f, up)
    s = s / np.linalg.norm(s)
    u = np.cross(s, f)
    m = np.eye(4)
    m[0, :3], m[1, :3], m[2, :3] = s, u, -f
    m[:3, 3] = -m[:3, :3] @ eye
    return m


def perspective(fov_y_deg: float, aspect: float, near: float, far: float) -> np.ndarray:
    f = 1.0 / math.tan(math.radians(fov_y_deg) / 2)
    m = np.zeros((4, 4))
    m[0, 0], m[1, 1] = f / aspect, f
    m[2, 2], m[2, 3] = (far + near) / (near - far), 2 * far * near / (near - far)
    m[3, 2] = -1.0
    return m


@dataclass
class Camera:
    yaw: float = PRESETS["three-quarter"][0]
    pitch: float = PRESETS["three-quarter"][1]
    distance: float = 3.2
    target: np.ndarray = field(default_factory=lambda: np.array([0.0, 0.9, 0.0]))
    follow: bool = True
    fov: float = 40.0

    def preset(self, name: str) -> None:
        self.yaw, self.pitch = PRESETS[name]

    def track(self, com: np.ndarray, dt: float) -> None:
        """Follow mode: glide towards the COM horizontally (a time constant of 0.25 s), keep the height."""
        if self.follow:
            k = 1.0 - math.exp(-dt / 0.25) if dt > 0 else 1.0
            self.target[[0, 2]] += k * (np.asarray(com)[[0, 2]] - self.target[[0, 2]])

    def orbit(self, dx: float, dy: float) -> None:
        self.yaw += 0.3 * dx
        self.pitch = float(np.clip(self.pitch + 0.3 * dy, -85.0, 85.0))

    def pan(self, dx: float, dy: float) -> None:
        view = self.view()
        right, up = view[0, :3], view[1, :3]
        self.target = self.target + (-dx * right + dy * up) * 0.0015 * self.distance
        self.follow = False

    def zoom(self, steps: float) -> None:
        self.distance = float(np.clip(self.distance * 0.9 ** steps, 0.5, 30.0))

    def eye(self) -> np.ndarray:
        yaw, pitch = math.radians(self.yaw), math.radians(self.pitch)
        direction = np.array([math.cos(pitch) * math.cos(yaw), math.sin(pitch), math.cos(pitch) * math.sin(yaw)])
        return self.target + self.distance * direction

    def view(self) -> np.ndarray:
        return look_at(self.eye(), self.target)

    def projection(self, aspect: float) -> np.ndarray:
        return perspective(self.fov, aspect, 0.05, 200.0)
