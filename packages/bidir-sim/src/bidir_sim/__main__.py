"""Command line: ``python -m bidir_sim info MODEL [--json]`` and ``python -m bidir_sim generate``."""

from __future__ import annotations

import argparse
import json
import sys

from .errors import ModelError


def _info(args) -> int:
    from .models import load_model, standing_height

    model = load_model(args.model, args.muscles)
    native = model.native()
    info = {
        "name": model.name,
        "source": model.source,
        "num_bodies": native.num_bodies,
        "num_dofs": native.num_dofs,
        "num_muscles": len(model.muscles),
        "mass_kg": round(native.total_mass, 6),
        "height_m": round(standing_height(model), 6),
        "contact_bodies": [b.name for b in model.bodies if b.contact],
    }
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
    p = sub.add_parser("info", help="describe a model: bodies, DoFs, muscles, mass, height")
    p.add_argument("model", help="'default', a bidir model .yaml, or a MASS skeleton .xml")
    p.add_argument("--muscles", help="MASS muscle .xml to attach to a MASS skeleton")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_info)
    p = sub.add_parser("generate", help="write bidir's parametric human to a model .yaml")
    p.add_argument("output")
    p.add_argument("--height", type=float, default=1.75, help="stature in m (default 1.75)")
    p.add_argument("--mass", type=float, default=72.0, help="body mass in kg (default 72)")
    p.set_defaults(func=_generate)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ModelError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
