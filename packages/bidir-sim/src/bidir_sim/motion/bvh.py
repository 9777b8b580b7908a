"""BVH motion capture reader and mapping onto a model's joints (via each joint's ``bvh`` names).

Channels are degrees and centimetres. A DART ball joint gets the log map of the BVH joint rotation, a
revolute joint its projection on the joint axis, the free root the rotation plus the root position (m).
The BVH rest pose must be the model's zero pose (true for MASS human.xml with its BVH files).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from ..errors import ModelError
from ..io_util import read_input_text

MAX_BVH_FILE_BYTES = 64 * 2**20   # about 40 min of 60-joint capture at 120 Hz (text; the frames are bounded too)
MAX_BVH_JOINTS = 1024
MAX_BVH_FRAMES = 20_000           # 2.8 min at 120 Hz: about 12 s to retarget and report on the default body
MAX_BVH_JOINT_FRAMES = 2**21      # frames x joints: each joint's rotation per frame is computed (72 B each)
BVH_FRAME_TIME_S = (1e-4, 1.0)    # 10 kHz capture to 1 frame per second
CHUNK_FRAMES = 2048               # per-frame work (forward kinematics) runs in chunks of this many frames
MAX_BVH_POSITION_CM = 1e6         # 10 km
MAX_BVH_OFFSET_CM = 1e5           # 1 km
_CHANNELS = {"Xposition", "Yposition", "Zposition", "Xrotation", "Yrotation", "Zrotation"}


@dataclass
class BVH:
    source: str
    joints: list[str]                      # in file order
    channels: dict[str, list[str]]         # joint -> channel names
    offsets: dict[str, np.ndarray]         # cm, from the parent joint (the root's: its rest position)
    frame_time: float                      # s
    frames: np.ndarray                     # (num_frames, num_channels)
    parents: dict[str, str | None] = None  # joint -> parent joint (None for the root)
    end_sites: dict[str, np.ndarray] = None  # joint -> its End Site offset, cm (leaves only)

    @property
    def num_frames(self) -> int:
        return self.frames.shape[0]

    def chunks(self, size: int | None = None):
        """The clip as consecutive clips of at most ``size`` (CHUNK_FRAMES) frames: per-frame work in bounded
        memory."""
        size = size or CHUNK_FRAMES
        for start in range(0, self.num_frames, size):
            yield dataclasses.replace(self, frames=self.frames[start:start + size])

    def column(self, joint: str) -> int:
        k = 0
        for j in self.joints:
            if j == joint:
                return k
            k += len(self.channels[j])
        raise KeyError(joint)

    def rotation(self, joint: str) -> np.ndarray:
        """Rotation matrices (frames, 3, 3) of a joint, channels composed in file order (intrinsic)."""
        c0, names = self.column(joint), self.channels[joint]
        axes, cols = "", []
        for k, n in enumerate(names):
            if n.endswith("rotation"):
                axes += n[0]
                cols.append(c0 + k)
        if not axes:
            return np.repeat(np.eye(3)[None], self.num_frames, axis=0)
        return Rotation.from_euler(axes.upper(), self.frames[:, cols], degrees=True).as_matrix()

    def root_position(self) -> np.ndarray:
        root = self.joints[0]
        c0, names = self.column(root), self.channels[root]
        out = np.zeros((self.num_frames, 3))
        for k, n in enumerate(names):
            if n.endswith("position"):
                out[:, "XYZ".index(n[0])] = self.frames[:, c0 + k]
        return out * 0.01

    def to_positions(self, model) -> np.ndarray:
        """Joint positions (frames, model DoFs) for every frame."""
        from scipy.spatial.transform import Rotation as R

        mapped = [b.name for b in model.bodies if b.joint.bvh]
        # Without a mapping every frame would be the zero pose: an error, never a silent standing motion.
        if not mapped:
            raise ModelError(model.source, "bvh", f"no joint of the model names a BVH joint (a joint's 'bvh' "
                             f"key), so {self.source} cannot drive it; use a model whose joints carry BVH names "
                             "(MASS human.xml does)")
        if not model.bodies[0].joint.bvh:
            raise ModelError(model.source, f"body '{model.bodies[0].name}'", "the root joint names no BVH joint, "
                             "so the motion would stand still at the origin")
        Q = np.zeros((self.num_frames, model.num_dofs))
        offsets = model.dof_offsets()
        for body in model.bodies:
            if not body.joint.bvh:
                continue
            names = body.joint.bvh.split()
            missing = [n for n in names if n not in self.channels]
            if missing:
                raise ModelError(self.source, f"joint '{missing[0]}'",
                                 f"is named by body '{body.name}' of the model but is not in the BVH file")
            rot = self.rotation(names[0])
            for n in names[1:]:
                rot = rot @ self.rotation(n)
            k = offsets[body.name]
            log = R.from_matrix(rot).as_rotvec()
            if body.joint.type == "ball":
                Q[:, k:k + 3] = log
            elif body.joint.type == "revolute":
                axis = np.asarray(body.joint.axis, dtype=float)
                Q[:, k] = log @ (axis / np.linalg.norm(axis))
            elif body.joint.type == "free":
                Q[:, k:k + 3] = log
                # place the root joint's origin at the BVH root position
                Q[:, k + 3:k + 6] = self.root_position() - body.joint.frame[:3, 3]
        return Q


def load_bvh(path: str | Path) -> BVH:
    src = str(path)
    lines = read_input_text(path, ModelError, MAX_BVH_FILE_BYTES, "BVH").splitlines()
    joints, channels, offsets, stack, parents, end_sites = [], {}, {}, [], {}, {}
    i, current, end_of = 0, None, None
    while i < len(lines):
        tok = lines[i].split()
        i += 1
        if not tok:
            continue
        key = tok[0]
        if key == "HIERARCHY":
            continue
        if key in ("ROOT", "JOINT"):
            if len(tok) < 2:
                raise ModelError(src, f"line {i}", f"{key} without a name")
            current = tok[1]
            if current in channels:
                raise ModelError(src, f"line {i}", f"joint '{current}' is defined twice")
            parents[current] = next((j for j in reversed(stack) if j is not None), None)
            joints.append(current)
            channels[current] = []
            if len(joints) > MAX_BVH_JOINTS:
                raise ModelError(src, f"line {i}", f"more than {MAX_BVH_JOINTS} joints (docs/reliability.md)")
        elif key == "End":
            current, end_of = None, next((j for j in reversed(stack) if j is not None), None)
            # an End Site has an offset but no channels
        elif key == "{":
            stack.append(current)
        elif key == "}":
            if not stack:
                raise ModelError(src, f"line {i}", "unbalanced '}'")
            stack.pop()
        elif key == "OFFSET":
            try:
                offset = np.array([float(x) for x in tok[1:4]])
            except ValueError:
                raise ModelError(src, f"line {i}", "OFFSET needs 3 numbers") from None
            if offset.size != 3 or not np.all(np.isfinite(offset)):
                raise ModelError(src, f"line {i}", "OFFSET needs 3 finite numbers")
            if current is not None:
                offsets[current] = offset
            elif end_of is not None:
                end_sites[end_of] = offset
        elif key == "CHANNELS":
            if current is None:
                raise ModelError(src, f"line {i}", "CHANNELS outside a joint")
            try:
                n = int(tok[1])
            except (IndexError, ValueError):
                raise ModelError(src, f"line {i}", "CHANNELS needs a count") from None
            names = tok[2:]
            if len(names) != n:
                raise ModelError(src, f"line {i}", f"CHANNELS declares {n} channels but lists {len(names)}")
            bad = [c for c in names if c not in _CHANNELS]
            if bad:
                raise ModelError(src, f"line {i}", f"unknown channel '{bad[0]}'")
            if len(set(names)) != len(names):
                raise ModelError(src, f"line {i}", f"joint '{current}' lists a channel twice: {' '.join(names)}")
            channels[current] = names
        elif key == "MOTION":
            break
        else:
            raise ModelError(src, f"line {i}", f"unexpected token '{key}' in HIERARCHY")
    else:
        raise ModelError(src, "MOTION", "missing MOTION section (file truncated?)")
    if stack:
        raise ModelError(src, "HIERARCHY", "unbalanced braces")
    if not joints:
        raise ModelError(src, "HIERARCHY", "no joints")

    def header(prefix: str) -> str:
        nonlocal i
        while i < len(lines) and not lines[i].strip():
            i += 1
        if i >= len(lines) or not lines[i].strip().startswith(prefix):
            raise ModelError(src, f"line {i + 1}", f"expected '{prefix}'")
        value = lines[i].split(":", 1)[1].strip()
        i += 1
        return value

    try:
        num_frames = int(header("Frames"))
    except ValueError:
        raise ModelError(src, f"line {i}", "Frames must be an integer") from None
    # The header is checked before any frame is read: the frame count bounds the work on the clip
    # (retargeting, forward kinematics per frame), the frame time its speeds.
    if not 1 <= num_frames <= MAX_BVH_FRAMES:
        raise ModelError(src, "Frames", f"must be in [1, {MAX_BVH_FRAMES}] (docs/reliability.md), got {num_frames}")
    width = sum(len(c) for c in channels.values())
    if num_frames * len(joints) > MAX_BVH_JOINT_FRAMES:
        raise ModelError(src, "Frames", f"{num_frames} frames of {len(joints)} joints: more than "
                         f"{MAX_BVH_JOINT_FRAMES} joint-frames (docs/reliability.md)")
    try:
        frame_time = float(header("Frame Time"))
    except ValueError:
        raise ModelError(src, f"line {i}", "Frame Time must be a number (seconds)") from None
    lo, hi = BVH_FRAME_TIME_S
    if not lo <= frame_time <= hi:  # NaN fails too
        raise ModelError(src, "Frame Time", f"must be in [{lo:g}, {hi:g}] s ({1 / hi:g} to {1 / lo:g} frames "
                         f"per second; docs/reliability.md), got {frame_time:g}")
    frames = np.empty((num_frames, width))
    count = 0
    for line in lines[i:]:
        row = line.split()
        if not row:
            continue
        if count >= num_frames:
            raise ModelError(src, "MOTION", f"declares {num_frames} frames but has more (frame {count} and on)")
        if len(row) != width:
            raise ModelError(src, f"frame {count}", f"has {len(row)} values, the hierarchy has {width} channels")
        try:
            frames[count] = row
        except ValueError:
            raise ModelError(src, f"frame {count}", "contains a value that is not a number") from None
        count += 1
    if count != num_frames:
        raise ModelError(src, "MOTION", f"declares {num_frames} frames but has {count} (file truncated?)")
    if not np.all(np.isfinite(frames)):
        f, k = np.argwhere(~np.isfinite(frames))[0]
        raise ModelError(src, f"frame {f}", f"value {k} is {frames[f, k]} (NaN or inf)")
    # Capture volumes are metres wide: a position beyond 10 km (or an offset beyond 1 km) is a broken file,
    # and would put the body where the simulation refuses to go.
    names = [(j, c) for j in joints for c in channels[j]]
    position = np.array([c.endswith("position") for _, c in names], dtype=bool)
    if position.any() and np.abs(frames[:, position]).max() > MAX_BVH_POSITION_CM:
        f, k = np.argwhere(np.abs(frames[:, position]) > MAX_BVH_POSITION_CM)[0]
        joint, channel = [n for n, p in zip(names, position) if p][k]
        raise ModelError(src, f"frame {f}", f"{joint} {channel} = {frames[f, np.flatnonzero(position)[k]]:g} cm is "
                         f"beyond {MAX_BVH_POSITION_CM:g} cm")
    for j, offset in list(offsets.items()) + list(end_sites.items()):
        if np.abs(offset).max() > MAX_BVH_OFFSET_CM:
            raise ModelError(src, f"joint '{j}'", f"OFFSET {list(offset)} cm is beyond {MAX_BVH_OFFSET_CM:g} cm")
    missing = [j for j in joints if j not in offsets]
    if missing:
        raise ModelError(src, f"joint '{missing[0]}'", "has no OFFSET")
    return BVH(source=src, joints=joints, channels=channels, offsets=offsets, frame_time=frame_time, frames=frames,
               parents=parents, end_sites=end_sites)
