"""``bidir-viewer CKPT_DIR`` / ``python -m bidir_viewer CKPT_DIR``: replay a checkpoint in a window, or
headless to a PNG or a video.

    bidir-viewer runs/first/ckpt                         # the trained policy (mean action), in a window
    bidir-viewer --env A2_sep                            # the reference motion (or --motion zero)
    bidir-viewer runs/first/ckpt --screenshot out.png    # no display needed (EGL)
    bidir-viewer runs/first/ckpt --record out.mp4 --seconds 10
"""

from __future__ import annotations

import argparse
import sys

from bidir_sim.arguments import SEED_MAX, Bounded, condition_argument, input_path, output_file
from bidir_sim.io_util import json_text

from .camera import PRESETS
from .scene import COLOR_MODES, Toggles


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not WIDTHxHEIGHT, e.g. 1280x720") from None
    if not (16 <= w <= 8192 and 16 <= h <= 8192):
        raise argparse.ArgumentTypeError(f"'{text}': width and height must lie in 16..8192")
    return w, h


def _motion(text: str) -> str:
    if text in ("reference", "zero") or text.lower().endswith(".bvh"):
        return text
    raise argparse.ArgumentTypeError(f"'{text}' is not reference, zero or a .bvh clip")


MAX_SECONDS = 3600.0  # --record: an hour of simulated time
MAX_FPS = 120         # --record: within libx264's levels at every --size
MAX_STILLS = 32


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bidir-viewer", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="keys: Space play/pause, S step, R reset, Esc quit, 0/1/2 cameras; "
                                       "mouse: left-drag orbit, right-drag pan, wheel zoom")
    p.add_argument("checkpoint", nargs="?", type=input_path, help="a checkpoint directory (RUN_DIR/ckpt) or a run directory")
    p.add_argument("--env", type=input_path, help="with no checkpoint: an env config (shipped name or YAML path)")
    p.add_argument("--motion", type=_motion, default=None, metavar="reference|zero|CLIP.bvh",
                   help="with --env: the reference motion (default) or a zero-action rollout; with a "
                        "checkpoint: zero replaces the policy; a .bvh clip: play it retargeted onto --model")
    p.add_argument("--model", type=input_path, default="default", help="with --motion CLIP.bvh: the model ('default', a .yaml "
                   "or a MASS .xml)")
    p.add_argument("--muscle-file", type=input_path, help="with --motion CLIP.bvh and a MASS skeleton as --model: its muscle .xml")
    p.add_argument("--sample", action="store_true", help="sample the policy's actions instead of the mean")
    p.add_argument("--condition", action="append", default=[], type=condition_argument, metavar="NAME=VALUE",
                   help="fix an anatomical condition at every reset (a name of the env's conditions, "
                        "docs/conditions.md); repeatable")
    p.add_argument("--speed", type=Bounded(float, 0, 100, low_open=True), default=1.0,
                   help="playback speed (x real time; (0, 100])")
    p.add_argument("--seed", type=Bounded(int, 0, SEED_MAX), default=0, help=f"the env's seed (0 to {SEED_MAX})")
    p.add_argument("--camera", choices=sorted(PRESETS), default="three-quarter")
    p.add_argument("--distance", type=Bounded(float, 0.1, 1000), default=3.2, help="camera distance, m ([0.1, 1000])")
    p.add_argument("--color", choices=COLOR_MODES, default="activation", help="what the muscles' colour shows")
    p.add_argument("--muscles", default="", metavar="FILTER", help="draw only muscles whose name contains this")
    p.add_argument("--ghosts", action="store_true", help="draw the PD-target and reference poses as ghosts")
    p.add_argument("--body-opacity", type=Bounded(float, 0, 1, low_open=True), default=0.45,
                   help="opacity of the bodies ((0, 1]; default 0.45)")
    p.add_argument("--size", type=_size, default=(1280, 720), metavar="WxH")
    p.add_argument("--screenshot", type=output_file, metavar="PNG", help="headless: render one image and exit")
    p.add_argument("--record", type=output_file, metavar="VIDEO", help="headless: write a video (.mp4, .gif, ...)")
    p.add_argument("--seconds", type=Bounded(float, 0, MAX_SECONDS, low_open=True), default=10.0,
                   help=f"length of --record, s of simulated time ((0, {MAX_SECONDS:g}])")
    p.add_argument("--fps", type=Bounded(int, 1, MAX_FPS), default=30,
                   help=f"frames per second of --record (1 to {MAX_FPS})")
    p.add_argument("--stills", type=Bounded(int, 0, MAX_STILLS), default=0, metavar="N",
                   help="with --record: also write N equally spaced frames side by side to VIDEO-stills.png (0 to "
                        f"{MAX_STILLS}, at most the video's frames)")
    p.add_argument("--warmup", type=Bounded(float, 0, 600), default=1.0,
                   help="simulated seconds before --screenshot ([0, 600])")
    p.add_argument("--benchmark", type=Bounded(int, 1, 100_000), metavar="FRAMES",
                   help="headless: time drawing FRAMES frames (1 to 100000), print JSON")
    p.add_argument("--json", type=output_file, help="with --benchmark: also write the result here")
    p.add_argument("--exit-after-frames", type=Bounded(int, 1, 10**6), metavar="N",
                   help="window: close after N frames (1 to 1000000)")
    p.add_argument("--save-window", type=output_file, metavar="PNG", help="window: save the last frame (with panels)")
    return p


def build_playback(args, p: argparse.ArgumentParser):
    from .playback import Playback, from_checkpoint

    if args.motion and args.motion.lower().endswith(".bvh"):
        from bidir_sim.envs.config import imitation_config

        if args.checkpoint or args.env:
            p.error("--motion CLIP.bvh plays the clip on --model; give no checkpoint or --env with it")
        config = imitation_config(args.motion, args.model, args.muscle_file)
        return Playback(config, mode="reference", seed=args.seed), \
            f"{args.motion} on {args.model}"
    if args.checkpoint:
        mode = "zero" if args.motion == "zero" else "policy"
        if args.motion == "reference":
            p.error("--motion reference plays an env config's reference: use --env, not a checkpoint")
        return from_checkpoint(args.checkpoint, mode=mode, sample=args.sample, seed=args.seed,
                               conditions=dict(args.condition)), args.checkpoint
    return Playback(args.env, mode=args.motion or "reference", seed=args.seed, conditions=dict(args.condition)), \
        f"{args.env} ({args.motion or 'reference'})"


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    clip = args.motion is not None and args.motion.lower().endswith(".bvh")
    if not clip and (args.checkpoint is None) == (args.env is None):
        p.error("give a checkpoint directory, --env NAME or --motion CLIP.bvh")
    headless = [o for o in ("screenshot", "record", "benchmark") if getattr(args, o) is not None]
    if len(headless) > 1:
        p.error(f"choose one of --{', --'.join(headless)}")
    from .headless import IMAGE_SUFFIXES, VIDEO_SUFFIXES, record_frames

    if args.stills and not args.record:
        p.error("--stills needs --record")
    frames = record_frames(args.seconds, args.fps)
    if args.stills > frames:
        p.error(f"--stills {args.stills} is more than the {frames} frame(s) of the video (--seconds {args.seconds:g} "
                f"x --fps {args.fps})")

    for option, path, suffixes in (("--screenshot", args.screenshot, IMAGE_SUFFIXES),
                                    ("--save-window", args.save_window, IMAGE_SUFFIXES),
                                    ("--record", args.record, VIDEO_SUFFIXES)):
        if path is not None and path.suffix.lower() not in suffixes:
            p.error(f"{option} {path}: the file name must end in one of {', '.join(suffixes)}")
    toggles = Toggles(pd_ghost=args.ghosts, reference_ghost=args.ghosts, color_mode=args.color,
                      muscle_filter=args.muscles, body_opacity=args.body_opacity)
    try:  # everything that reads files happens here, before any window opens
        playback, title = build_playback(args, p)
    except ValueError as e:  # CheckpointError, ConfigError and ModelError are ValueErrors
        print(f"bidir-viewer: error: {e}", file=sys.stderr)
        return 2
    if headless:
        return _headless(args, playback, toggles)
    from .app import WindowError, run_window

    try:
        stats = run_window(playback, f"bidir-viewer: {title}", args.size, args.speed, toggles,
                           args.exit_after_frames, args.save_window)
    except WindowError as e:
        print(f"bidir-viewer: error: {e}", file=sys.stderr)
        return 1
    if args.exit_after_frames:
        print(f"{stats['frames']} frames, {stats['fps']:.1f} frames/s")
    return 0


def _headless(args, playback, toggles) -> int:
    from .camera import Camera
    from .headless import OffscreenView, benchmark, record, screenshot

    camera = Camera(distance=args.distance)
    camera.preset(args.camera)
    try:
        view = OffscreenView(playback, args.size, toggles, camera)
    except RuntimeError as e:
        print(f"bidir-viewer: error: {e}", file=sys.stderr)
        return 1
    if args.screenshot:
        screenshot(view, args.screenshot, warmup_seconds=args.warmup)
        print(f"wrote {args.screenshot}")
    elif args.record:
        def progress(i, n):
            if i == n or i % max(1, n // 10) == 0:
                print(f"\rrecording {args.record}: frame {i}/{n}", end="", flush=True)

        n = record(view, args.record, args.seconds, args.fps, args.speed, progress, stills=args.stills)
        print(f"\nwrote {args.record}: {n} frames at {args.fps} fps, {args.size[0]}x{args.size[1]}")
        if args.stills:
            from .headless import stills_path

            print(f"wrote {stills_path(args.record)}: {args.stills} frames")
    else:
        result = benchmark(view, args.benchmark)
        result["muscles"] = len(playback.model.muscles)
        print(json_text(result, indent=2))
        if args.json:
            from bidir_sim.io_util import atomic_write_text

            atomic_write_text(args.json, json_text(result, indent=2) + "\n")
    return 0
