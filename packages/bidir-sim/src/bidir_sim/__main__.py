"""Command line: ``python -m bidir_sim info MODEL|CONFIG [--json]`` and ``python -m bidir_sim generate``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from .arguments import Bounded, input_path, output_file
from .errors import InputError, ModelError
from .io_util import json_text, load_yaml, read_input_text
from .models.human import HEIGHT_RANGE_M, MASS_RANGE_KG
from .models.limits import MAX_MODEL_FILE_BYTES


def _is_env_config(name: str) -> bool:
    from .envs import shipped_configs

    if name in shipped_configs():
        return True
    path = Path(name)
    if path.suffix.lower() not in (".yaml", ".yml") or not path.is_file():
        return False
    try:
        doc = load_yaml(read_input_text(path, ModelError, MAX_MODEL_FILE_BYTES, "model"))
    except (yaml.YAMLError, InputError):
        return False  # the model loader reports it
    return isinstance(doc, dict) and "environment" in doc


def _model_info(model) -> dict:
    from .models import standing_height

    native = model.native()
    return {
        "name": model.name,
        "source": model.source,
        "num_bodies": native.num_bodies,
        "num_dofs": native.num_dofs,
        "num_muscles": len(model.muscles),
        "mass_kg": round(native.total_mass, 6),
        "height_m": round(standing_height(model), 6),
        "contact_bodies": [b.name for b in model.bodies if b.contact],
    }


def _info(args) -> int:
    if _is_env_config(args.model):
        from .envs import WalkEnv

        env = WalkEnv(args.model)
        cfg = env.config
        info = {"config": cfg.name, "config_source": cfg.source, **_model_info(env.task.model),
                "obs_dim": env.task.observation_dim, "action_dim": env.task.action_dim,
                "sim_hz": cfg.simulation.sim_hz, "control_hz": cfg.simulation.control_hz, "horizon": cfg.horizon,
                "muscle_nn_input_dim": env.task.network_input_dim,
                "observation_layout": {k: [v.start, v.stop] for k, v in env.task.observation_layout.items()},
                "reward_terms": env.task.reward_terms}
    else:
        from .models import load_model

        info = _model_info(load_model(args.model, args.muscles))
    if args.json:
        print(json_text(info))
    else:
        width = max(len(k) for k in info)
        for key, value in info.items():
            print(f"{key:<{width}}  {value}")
    return 0


def _generate(args) -> int:
    from .models import human, save_model

    model = human(height_m=args.height, mass_kg=args.mass)
    save_model(model, args.output)
    print(f"wrote {args.output}: {len(model.bodies)} bodies, {model.num_dofs} DoFs, {len(model.muscles)} muscles")
    return 0


def _motion(args) -> int:
    from .io_util import atomic_write_bytes
    from .models import load_model
    from .motion import load_bvh, load_joint_map, retarget
    from .motion.quality import report

    model = load_model(args.model)
    bvh = load_bvh(args.clip)
    clip = retarget(bvh, model, load_joint_map(args.map) if args.map else None)
    info = report(bvh, model, clip)
    if args.out:
        import io

        import numpy as np

        buffer = io.BytesIO()
        np.savez(buffer, positions=clip.positions, frame_time=clip.frame_time, dof_names=model.native().dof_names)
        atomic_write_bytes(args.out, buffer.getvalue())
        info["out"] = str(args.out)
    if args.json:
        print(json_text(info))
        return 0
    print(f"{info['file']} on {info['model']}: {info['frames']} frames of {info['frame_time']:.5f} s "
          f"({info['duration_s']:.2f} s), root scaled by {info['scale']:.3f}")
    print(f"  mapped: {len(info['mapping'])} bodies; without data: {', '.join(info['bodies_without_data']) or 'none'}")
    print(f"  unused BVH joints: {', '.join(info['unused_bvh_joints']) or 'none'}")
    print("  segment directions vs the clip, largest error (deg): "
          + ", ".join(f"{k} {v:.1f}" for k, v in info["direction_error_deg"].items()))
    print(f"  feet: penetration {info['penetration_cm']:.2f} cm, stance slide {info['stance_slide_cm']:.2f} cm "
          f"(the clip's own: {info['clip_stance_slide_cm']:.2f} cm)")
    print(f"  cyclic closure {info['cyclic_closure_deg']:.1f} deg, mean root speed {info['mean_root_speed_m_s']:.2f} m/s")
    limits = info["limit_violations_frames"]
    print("  outside joint limits: " + (", ".join(f"{k} ({v} frames)" for k, v in limits.items()) or "none"))
    if args.out:
        print(f"wrote {args.out}")
    return 0


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bidir_sim", description="bidir-sim tools")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("info", help="describe a model (bodies, DoFs, muscles, mass, height) or an env config "
                       "(also observation/action sizes, rates, muscle-network input)")
    p.add_argument("model", type=input_path, help="'default', a bidir model .yaml, a MASS skeleton .xml, a shipped env config "
                   "(A2_sep, ...) or an env-config .yaml")
    p.add_argument("--muscles", type=input_path, help="MASS muscle .xml to attach to a MASS skeleton")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_info)
    p = sub.add_parser("generate", help="write bidir's parametric human to a model .yaml")
    p.add_argument("output", type=output_file)
    p.add_argument("--height", type=Bounded(float, *HEIGHT_RANGE_M), default=1.75,
                   help=f"stature in m (default 1.75; {Bounded(float, *HEIGHT_RANGE_M).range_text})")
    p.add_argument("--mass", type=Bounded(float, *MASS_RANGE_KG), default=72.0,
                   help=f"body mass in kg (default 72; {Bounded(float, *MASS_RANGE_KG).range_text})")
    p.set_defaults(func=_generate)
    p = sub.add_parser("motion", help="retarget a BVH clip onto a model and report how well it fits "
                       "(docs/motion.md)")
    p.add_argument("clip", type=input_path, help="a .bvh file")
    p.add_argument("--model", type=input_path, default="default",
                   help="'default', a bidir model .yaml or a MASS skeleton .xml")
    p.add_argument("--map", type=input_path, help="YAML {model body or role: BVH joint}, for names no convention covers")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--out", type=output_file, metavar="CLIP.npz", help="also write the joint positions (.npz)")
    p.set_defaults(func=_motion)
    return parser


if __name__ == "__main__":
    sys.exit(main())
