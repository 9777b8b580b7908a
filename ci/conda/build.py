"""Builds recipe/bidir-{sim,ppo,viewer} with rattler-build against the stand-in channel (standin.py), runs
each recipe's own tests, indexes the output channel, creates an environment with py-rattler (the micromamba
stand-in) and runs the three user commands in it:

    python -c "import bidir_sim" + one env step
    python -m bidir_ppo.train env=A2_sep envs=2 (a tiny budget)
    bidir-viewer <that checkpoint> --screenshot out.png

    python ci/conda/build.py WORK_DIR        # WORK_DIR/standin, WORK_DIR/out, WORK_DIR/env
"""

from __future__ import annotations

import asyncio
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import standin

RECIPES = ("bidir-sim", "bidir-ppo", "bidir-viewer")


def variants(path: Path) -> Path:
    """The stand-in channel's variant config: this machine's python, gcc, glibc, DART; libtorch 2.13."""
    env = standin.standin_env()
    py = env["STANDIN_PY"]
    gcc = env["STANDIN_GCC_VERSION"].split(".")[0]
    config = {"python": [f"{py}.* *_cpython"], "python_min": [py], "c_compiler": ["gcc"],
              "c_compiler_version": [gcc], "cxx_compiler": ["gxx"], "cxx_compiler_version": [gcc],
              "c_stdlib": ["sysroot"], "c_stdlib_version": [env["STANDIN_GLIBC_VERSION"]],
              "libtorch": [".".join(env["STANDIN_TORCH_VERSION"].split(".")[:2])],
              "dartsim_cpp": [".".join(env["STANDIN_DART_VERSION"].split(".")[:2])],
              "cuda_compiler_version": ["None"], "pybind11_abi": ["4"]}
    path.write_text(yaml.safe_dump(config))
    return path


def build(work: Path, channel: Path, out: Path) -> None:
    from rattler_build import Stage0Recipe, ToolConfiguration, VariantConfig

    config = VariantConfig.from_file(variants(work / "variants.yaml"))
    for name in RECIPES:
        t0 = time.perf_counter()
        log = standin.Log()
        try:
            results = Stage0Recipe.from_file(ROOT / "recipe" / name / "recipe.yaml").run_build(
                variant_config=config, tool_config=ToolConfiguration(test_strategy="native"),
                output_dir=str(out), channels=[out.as_uri(), channel.as_uri()], package_format="conda:1",
                progress_callback=log, no_build_id=True)
        except Exception:
            print("\n".join(log.lines[-150:]))
            raise
        for r in results:
            print(f"  built and tested {r.name} {r.version} {r.build_string} ({time.perf_counter() - t0:.0f} s)")


async def _make_env(prefix: Path, channels: list[Path], specs: list[str]) -> list:
    import rattler

    records = await rattler.solve(sources=[c.as_uri() for c in channels], specs=specs,
                                  platforms=[rattler.Platform.current(), rattler.Platform("noarch")],
                                  virtual_packages=rattler.VirtualPackage.detect())
    await rattler.install(records, target_prefix=str(prefix), show_progress=False)
    return records


def run_user_commands(env: Path, work: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    clean.update(PATH=f"{env / 'bin'}:{os.environ['PATH']}", WANDB_MODE="disabled", OMP_NUM_THREADS="1")
    commands = [
        [str(env / "bin" / "python"), "-c", ("import bidir_sim, gymnasium as gym, numpy as np; "
         "e = gym.make('bidir_sim/A2_sep-v0'); e.reset(seed=0); "
         "o, r, term, trunc, info = e.step(np.zeros(e.action_space.shape, np.float32)); "
         "print('bidir_sim', bidir_sim.__file__, 'one step, reward', round(r, 4))")],
        [str(env / "bin" / "python"), "-m", "bidir_ppo.train", "env=A2_sep", "envs=2", "total_steps=32",
         "ppo.num_steps=16", "ppo.num_minibatches=2", "muscle.minibatch_size=16", "wandb.mode=disabled",
         f"run_dir={work / 'run'}"],
        [str(env / "bin" / "bidir-viewer"), str(work / "run" / "ckpt"), "--screenshot", str(work / "out.png"),
         "--size", "640x360", "--warmup", "0.3"],
    ]
    for cmd in commands:
        t0 = time.perf_counter()
        print("$", " ".join(Path(cmd[0]).name if i == 0 else c for i, c in enumerate(cmd)), flush=True)
        subprocess.run(cmd, check=True, env=clean, cwd=work)
        print(f"  ok ({time.perf_counter() - t0:.0f} s)")
    if not (work / "out.png").stat().st_size:
        raise SystemExit("bidir-viewer wrote an empty screenshot")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print(__doc__)
        return 2
    work = Path(argv[0]).resolve()
    channel, out, env = work / "standin", work / "out", work / "env"
    work.mkdir(parents=True, exist_ok=True)
    os.environ.update(standin.standin_env())
    t0 = time.perf_counter()
    if not (channel / "linux-64" / "repodata.json").exists():
        print("stand-in channel:")
        standin.main([str(channel)])
    print("recipes (rattler-build, each with its own tests):")
    build(work, channel, out)
    standin.index(out)
    print("environment (py-rattler solve + install of bidir-sim bidir-ppo bidir-viewer):")
    records = asyncio.run(_make_env(env, [out, channel], list(RECIPES)))
    ours = sorted(f"{r.name.normalized} {r.version} {r.build}" for r in records if r.name.normalized in RECIPES)
    print("  " + "; ".join(ours) + f" ({len(records)} packages)")
    run_user_commands(env, work)
    print(f"conda stage passed in {time.perf_counter() - t0:.0f} s on {platform.node() or 'this machine'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
