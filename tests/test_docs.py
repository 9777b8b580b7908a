"""The docs cover what the code accepts."""

from pathlib import Path

from bidir_sim.envs import doc_tables
from bidir_sim.envs.config import IGNORED, EnvConfig, leaf_keys

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_env_config_key_tables_are_generated_from_the_schema_and_current():
    page = (DOCS / "env-config.md").read_text()
    assert doc_tables.render(page) == page, "run python -m bidir_sim.envs.doc_tables --write"
    for key, _, field, _ in leaf_keys(EnvConfig):
        assert f"| `{key}` |" in page and field.metadata["doc"], key
    assert "`Horizon:`" in page
    for k in IGNORED:
        assert f"`{k.removeprefix('environment.')}`" in page


def test_conditions_page_key_tables_are_generated_and_current():
    page = (DOCS / "conditions.md").read_text()
    assert doc_tables.render(page) == page, "run python -m bidir_sim.envs.doc_tables --write"
    for name in doc_tables.CONDITION_TABLES:
        assert f"<!-- generated: {name} " in page


def test_env_config_page_documents_every_info_key():
    from bidir_sim import INFO_NAMES

    page = (DOCS / "env-config.md").read_text()
    missing = [k for k in INFO_NAMES if f"`{k}`" not in page]
    assert not missing, f"docs/env-config.md lacks info keys {missing}"


def test_viewer_page_documents_every_option():
    from bidir_viewer.cli import parser

    page = (DOCS / "viewer.md").read_text()
    options = [o for a in parser()._actions for o in a.option_strings if o.startswith("--") and o != "--help"]
    missing = [o for o in options if f"`{o}" not in page]
    assert not missing, f"docs/viewer.md lacks {missing}"


def test_readme_links_point_at_files():
    import re

    root = DOCS.parent
    for page in (root / "README.md", *DOCS.glob("*.md"), *DOCS.glob("log/*.md")):
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if not target.startswith(("http://", "https://")):
                assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def test_env_config_page_has_the_tasks_observation_layout():
    """The observation table names every block of the compiled A2_sep task, in order, with its indices."""
    import re

    from bidir_sim.envs.task import shipped_task

    page = (DOCS / "env-config.md").read_text()
    rows = re.findall(r"^\| `(\w+)` \| (\d+)(?:–(\d+))? \|", page, flags=re.MULTILINE)
    documented = {name: slice(int(a), int(b or a) + 1) for name, a, b in rows}
    layout = shipped_task("A2_sep").observation_layout
    assert list(documented) == list(layout), "docs/env-config.md: observation blocks differ from the task's"
    assert documented == layout


def test_file_paths_in_the_docs_exist():
    """Every source file a doc names in backticks exists, from the repository root or from one of the
    source folders (a package, its Python package and subpackages, cpp/, tests/)."""
    import re

    root = DOCS.parent
    folders = [root, *root.glob("packages/*"), *root.glob("packages/*/src"), *root.glob("packages/*/src/*"), root / "packages/bidir-sim/cpp",
               *root.glob("packages/*/src/*/*"), *root.glob("packages/*/tests")]
    missing = []
    for page in DOCS.glob("*.md"):
        for cited in re.findall(r"`([\w./*-]+\.(?:py|cpp|hpp|md))`", page.read_text()):
            stem, _, other = cited.partition("/.")  # `model.hpp/.cpp`: both files
            for path in [stem] + ([stem.rsplit(".", 1)[0] + "." + other] if other else []):
                if not any(list((f / path).parent.glob(Path(path).name)) for f in folders):
                    missing.append(f"{page.name}: {path}")
    assert not missing


def test_reliability_page_states_the_limits_the_code_has():
    """Every limit's value in docs/reliability.md's table is the one in the code (one fact, checked here)."""
    import re

    from bidir_sim import batch
    from bidir_sim.envs import config
    from bidir_sim.models import limits
    from bidir_sim.motion import bvh

    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `(\w+)` \| ([^|]+) \|",
                                                       (DOCS / "reliability.md").read_text(), re.MULTILINE)}

    def number(text):
        return float(text.replace(",", ""))

    def stated(name):
        return [number(x) for x in re.findall(r"\d[\d,.]*(?:e-?\d+)?", rows[name].split(" × ")[0])]

    for name in ("BODY_MASS_KG", "PRINCIPAL_INERTIA_KG_M2", "SHAPE_SIZE_M", "MUSCLE_F0_N", "MUSCLE_LENGTH_M",
                 "MUSCLE_REST_FIBER_LENGTH"):
        assert stated(name) == list(getattr(limits, name)), name
    assert stated("MAX_POSITION_M") == [limits.MAX_POSITION_M]
    assert stated("MAX_GAIN")[-1] == limits.MAX_GAIN
    for name, value in (("MAX_BODIES", limits.MAX_BODIES), ("MAX_MUSCLES", limits.MAX_MUSCLES),
                        ("MAX_WAYPOINTS", limits.MAX_WAYPOINTS), ("MAX_BVH_JOINTS", bvh.MAX_BVH_JOINTS),
                        ("MAX_THREADS", batch.MAX_THREADS)):
        assert stated(name)[0] == value, name
    for name, value in (("MAX_MODEL_FILE_BYTES", limits.MAX_MODEL_FILE_BYTES),
                        ("MAX_BVH_FILE_BYTES", bvh.MAX_BVH_FILE_BYTES),
                        ("MAX_CONFIG_FILE_BYTES", config.MAX_CONFIG_FILE_BYTES),
                        ("ENV_MEMORY_BYTES", batch.ENV_MEMORY_BYTES)):
        assert stated(name)[0] * 2**20 == value, name
    assert "2³¹" in rows["INT_LIMIT"] and config.INT_LIMIT == 2**31


def test_cluster_page_documents_every_ray_key():
    import dataclasses

    from bidir_ppo.config import RayConfig

    page = (DOCS / "cluster.md").read_text()
    missing = [f"ray.{f.name}" for f in dataclasses.fields(RayConfig) if f"`ray.{f.name}`" not in page]
    assert not missing, f"docs/cluster.md lacks {missing}"


def test_reliability_table_states_the_limits_of_the_second_round():
    """Issue #31's limits: one place (docs/reliability.md's table), agreeing with the code."""
    import importlib
    import re

    from bidir_ppo import config as trainer_config
    from bidir_ppo import train
    from bidir_sim.envs import config, task
    from bidir_sim.motion import bvh

    retarget = importlib.import_module("bidir_sim.motion.retarget")  # the package's name is the function

    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `(\w+)` \| ([^|]+) \|",
                                                       (DOCS / "reliability.md").read_text(), re.MULTILINE)}

    def stated(name):
        return [float(x.replace(",", "")) for x in re.findall(r"\d[\d,.]*(?:e-?\d+)?", rows[name].split(" × ")[0])]

    expected = {"MAX_BVH_FRAMES": [bvh.MAX_BVH_FRAMES], "MAX_BVH_JOINT_FRAMES": [bvh.MAX_BVH_JOINT_FRAMES],
                "BVH_FRAME_TIME_S": list(bvh.BVH_FRAME_TIME_S), "CHUNK_FRAMES": [bvh.CHUNK_FRAMES],
                "MIN_REST_LENGTH": [retarget.MIN_REST_LENGTH], "MAX_ROOT_TRAVEL_M": [retarget.MAX_ROOT_TRAVEL_M],
                "GAIT_RATIO": list(config.GAIT_RATIO), "MAX_AVG_VEL_WINDOW": [config.MAX_AVG_VEL_WINDOW],
                "MIN_REFERENCE_CONTROL_STEPS": [task.MIN_REFERENCE_CONTROL_STEPS],
                "MAX_AVG_VEL_WINDOW_SAMPLES": [task.MAX_AVG_VEL_WINDOW_SAMPLES],
                "MAX_REFERENCE_SPEED": [task.MAX_REFERENCE_SPEED], "ASSIST_STABILITY": [task.ASSIST_STABILITY],
                "SIM_ERROR_FRACTION": [train.SIM_ERROR_FRACTION, train.SIM_ERROR_PATIENCE],
                "MAX_MINUTES": [trainer_config.MAX_MINUTES]}
    for name, values in expected.items():
        assert stated(name) == values, name


def test_reliability_table_states_every_command_line_range():
    """Every numeric option of every command has a range (bidir_sim.arguments.Bounded), and the table of
    docs/reliability.md states it."""
    import re

    from bidir_sim.arguments import Bounded
    from fuzz_support import numeric_options

    names = {"evaluate": "python -m bidir_ppo.evaluate", "viewer": "bidir-viewer", "plot": "python -m bidir_ppo.plot",
             "bidir_sim generate": "python -m bidir_sim generate", "bench_rollout": "python -m bidir_ppo.bench_rollout",
             "bench_learner": "python -m bidir_ppo.bench_learner",
             "analyze": "python -m bidir_ppo.analyze"}
    table = {(m.group(1), m.group(2)): m.group(3).strip() for m in re.finditer(
        r"^\| `([^`]+)` \| `(--[\w-]+)` \| ([^|]+) \|$", (DOCS / "reliability.md").read_text(), re.MULTILINE)}
    options = numeric_options()
    assert len(options) >= 20
    for command, option, _, action in options:
        assert isinstance(action.type, Bounded), f"{command} {option} has no range"
        assert table.get((names[command], option)) == action.type.range_text, (command, option)
    assert len(table) == len(options)  # and no stale row
