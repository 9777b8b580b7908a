"""Command line: ``python -m bidir_sim info MODEL|CONFIG [--json]`` and ``python -m bidir_sim generate``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

from .arguments import output_file
from .errors import InputError, ModelError
from .io_util import load_yaml, read_input_text
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
        print(json.dumps(info))
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bidir_sim", description="bidir-sim tools")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("info", help="describe a model (bodies, DoFs, muscles, mass, height) or an env config "
                       "(also observation/action sizes, rates, muscle-network input)")
    p.add_argument("model", help="'default', a bidir model .yaml, a MASS skeleton .xml, a shipped env config "
                   "(A2_sep, ...) or an env-config .yaml")
    p.add_argument("--muscles", help="MASS muscle .xml to attach to a MASS skeleton")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_info)
    p = sub.add_parser("generate", help="write bidir's parametric human to a model .yaml")
    p.add_argument("output", type=output_file)
    p.add_argument("--height", type=float, default=1.75, help="stature in m (default 1.75)")
    p.add_argument("--mass", type=float, default=72.0, help="body mass in kg (default 72)")
    p.set_defaults(func=_generate)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
