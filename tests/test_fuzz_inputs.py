"""Property-based fuzzing of bidir's inputs (issue #18 §5): for any mutated model, motion, config, override or
action array the outcome is success or a clear error (an InputError naming the file, key or index; a
ValueError naming the array) — never another exception, never a dead process, never a runaway load.
Examples per target are bounded for `make test`; BIDIR_FUZZ_EXAMPLES=N runs N times as many."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from bidir_sim import WalkEnv
from bidir_sim.envs.config import CONFIG_DIR
from bidir_sim.envs.task import build_task
from bidir_sim.errors import ConfigWarning, InputError
from bidir_sim.models import default_model_path, load_mass_model, load_model
from bidir_sim.motion import load_bvh, retarget
from fuzz_support import MASS_DIR, TALLY, examples, expect_clear, mutated
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

pytestmark = pytest.mark.slow  # every fuzz target steps, trains or spawns: make test runs them

MODEL_TEXT = default_model_path().read_text()
DEFAULT_MODEL = load_model("default")
CONFIG_TEXT = (CONFIG_DIR / "A2_sep.yaml").read_text()
needs_mass = pytest.mark.skipif(not (MASS_DIR / "human.xml").exists(),
                                reason=f"MASS fixtures not found at {MASS_DIR} (only beside a CI checkout)")


def _write(tmp_path_factory, name: str, data: bytes):
    path = tmp_path_factory.mktemp("fuzz") / name
    path.write_bytes(data)
    return path


@examples(40)
@given(data=mutated(MODEL_TEXT))
def test_model_yaml(data, tmp_path_factory):
    path = _write(tmp_path_factory, "model.yaml", data)
    with TALLY.attempt("model YAML", InputError, str(path)):
        load_model(path).native()  # the C++ model accepts what Python validated


@needs_mass
@examples(40)
@given(which=st.sampled_from(["human.xml", "muscle284.xml"]), data=st.data())
def test_mass_xml(which, data, tmp_path_factory):
    mutant = data.draw(mutated((MASS_DIR / which).read_text()))
    path = _write(tmp_path_factory, which, mutant)
    skeleton, muscles = (path, MASS_DIR / "muscle284.xml") if which == "human.xml" else (MASS_DIR / "human.xml", path)
    with TALLY.attempt("MASS XML", InputError, str(path)):
        load_mass_model(skeleton, muscles).native()


SMALL_BVH = """HIERARCHY
ROOT Character1_Hips
{
  OFFSET 0 100 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT Character1_LeftUpLeg
  {
    OFFSET 9 -5 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 -40 0
    }
  }
}
MOTION
Frames: 3
Frame Time: 0.0333333
0 95 0 0 0 0 0 0 0
1 95 2 1 5 0 10 0 0
2 95 4 2 10 0 20 0 0
"""


# MASS's walk, retargeted onto the default body, where ../shared has it; else a small clip, only parsed.
HAVE_MASS = (MASS_DIR / "walk.bvh").exists()
BVH_TEXT = (MASS_DIR / "walk.bvh").read_text() if HAVE_MASS else SMALL_BVH


@examples(40)
@given(data=mutated(BVH_TEXT))
def test_bvh(data, tmp_path_factory):
    path = _write(tmp_path_factory, "motion.bvh", data)
    # the error names the model's file when it cannot take the motion, else the BVH's
    with TALLY.attempt("BVH", InputError, str(path), DEFAULT_MODEL.source):
        bvh = load_bvh(path)
        if HAVE_MASS:  # retargeted onto bidir's body, as an env config with motion.type bvh does
            assert np.all(np.isfinite(retarget(bvh, DEFAULT_MODEL).positions))


@examples(25)
@given(data=mutated(CONFIG_TEXT))
def test_env_config(data, tmp_path_factory):
    path = _write(tmp_path_factory, "env.yaml", data)
    with TALLY.attempt("env config", InputError, str(path)), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConfigWarning)  # a key the reference ignored: accepted, and said so
        build_task(path)


@pytest.fixture(scope="module")
def walk_env():
    env = WalkEnv("A2_sep")
    env.reset(seed=0)
    return env


ACTION_DTYPES = st.sampled_from([np.float16, np.float32, np.float64, np.int8, np.int64, np.uint16, np.bool_,
                                 np.complex64, np.complex128])


@examples(60)
@given(actions=st.one_of(
    hnp.arrays(ACTION_DTYPES, st.just((51,))),
    hnp.arrays(ACTION_DTYPES, hnp.array_shapes(min_dims=0, max_dims=3, max_side=60)),
    hnp.arrays(np.float64, (51,), elements=st.floats(allow_nan=True, allow_infinity=True)),
    st.lists(st.one_of(st.floats(), st.integers(-(2**70), 2**70), st.text(max_size=3)), max_size=60)))
def test_actions(actions, walk_env):
    # ValueError: the documented error for arrays (bad shape, dtype, value)
    with TALLY.attempt("action arrays", ValueError, "action"):
        *_, terminated, truncated, _ = walk_env.step(actions)
        if terminated or truncated:
            walk_env.reset(seed=0)


def _train_keys() -> list[str]:
    from bidir_ppo.config import TrainConfig
    from omegaconf import OmegaConf

    def walk(d, prefix=""):
        for k, v in d.items():
            if k == "defaults":
                continue
            yield from walk(v, f"{prefix}{k}.") if isinstance(v, dict) else [f"{prefix}{k}"]

    return list(walk(OmegaConf.to_container(OmegaConf.structured(TrainConfig))))


@examples(60)
@given(key=st.sampled_from(_train_keys()),
       value=st.one_of(st.sampled_from(["-1", "0", "1e20", "nan", "inf", "-inf", "fifty", "null", "[]", "[0]",
                                        "1e-30", str(2**70), "true", "''", "{a: 1}"]), st.floats().map(repr),
                       st.integers(-(2**80), 2**80).map(str)))
def test_trainer_overrides(key, value):
    from bidir_ppo.config import register, validate
    from hydra import compose, initialize
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    register()
    # Hydra's errors name the key and the type; validate's, the key and the range
    with TALLY.attempt("trainer overrides", (ValueError, HydraException, OmegaConfBaseException), key.split(".")[-1]):
        with initialize(version_base=None):
            cfg = compose(config_name="train", overrides=[f"{key}={value}"])
        validate(cfg)


PHYSICS_PROBE = """
import sys, numpy as np
from bidir_sim import WalkEnv
from bidir_sim.errors import InputError
try:
    env = WalkEnv(sys.argv[1])
except InputError as e:
    print("clear error", e)
    raise SystemExit
env.reset(seed=0)
rng = np.random.default_rng(0)
for _ in range(15):
    *_, terminated, truncated, info = env.step(rng.uniform(-3, 3, env.action_space.shape).astype(np.float32))
    if terminated or truncated:
        env.reset(seed=1)
print("accepted")
"""


@examples(8)
@given(data=mutated(MODEL_TEXT, kinds=("scale",)))
def test_physics_in_a_subprocess(data, tmp_path_factory):
    """Numbers scaled by up to 10**8 either way: those that pass validation are stepped in a fresh process,
    where a DART assertion would kill it."""
    folder = tmp_path_factory.mktemp("physics")
    (folder / "model.yaml").write_bytes(data)
    try:
        load_model(folder / "model.yaml")
    except InputError:
        return  # refused at load, as test_model_yaml counts; only accepted models are worth a process
    (folder / "env.yaml").write_text(CONFIG_TEXT.replace("file: default", f"file: {folder / 'model.yaml'}"))
    (folder / "probe.py").write_text(textwrap.dedent(PHYSICS_PROBE))
    with TALLY.timed("model physics (subprocess)") as t:
        r = subprocess.run([sys.executable, str(folder / "probe.py"), str(folder / "env.yaml")], capture_output=True,
                           text=True, timeout=300, check=False)
        assert r.returncode == 0, f"the process died ({r.returncode}): {r.stderr[-1500:]}"
        t.outcome = "accepted" if r.stdout.startswith("accepted") else expect_clear(
            ValueError(r.stdout), str(folder / "model.yaml"), str(folder / "env.yaml"))
