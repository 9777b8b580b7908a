"""docs/env-config.md's key tables, generated from the env config's field metadata (type, default, range,
meaning), the one place they are declared. ``python -m bidir_sim.envs.doc_tables --write`` rewrites the tables
between their markers, ``--check`` fails when the committed ones are not current (tests/test_docs.py runs it)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from .config import MUSCLE_PROPERTIES, BodyScaleRange, BoneLengthRange, EnvConfig, TorsionRange, leaf_keys

# Table name -> the top-level groups of EnvConfig it lists (None: every key no other table lists).
TABLES = {"training-aids": ("termination", "assist"), "keys": None}
# Tables of the keys of one anatomical condition (docs/conditions.md): name -> (its key, the range class).
CONDITION_TABLES = {
    "skeleton-global": ("parameters.skeleton.global", BodyScaleRange),
    "skeleton-bone": ("parameters.skeleton.<bone>.<side>", BoneLengthRange),
    "torsion": ("parameters.torsion.<bone>.<side>", TorsionRange),
    **{f"muscle-{prop}": (f"parameters.muscle.<selector>.{prop}", cls) for prop, cls in MUSCLE_PROPERTIES.items()},
}
MARKERS = ("<!-- generated: {name} (python -m bidir_sim.envs.doc_tables --write) -->", "<!-- end generated: {name} -->")
DEFAULT_PAGES = (Path("docs") / "env-config.md", Path("docs") / "conditions.md")


def _value(v) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float) and abs(v) >= 1e5:
        return f"{v:g}".replace("e+0", "e")  # 1e6, not 1000000.0
    return repr(v) if isinstance(v, str) else str(v)


def _allowed(meta) -> str:
    if "choices" in meta:
        return " \\| ".join(f"`{c}`" for c in meta["choices"])
    bounds = [f"≥ {_value(meta['min'])}" if "min" in meta else "", f"> {_value(meta['gt'])}" if "gt" in meta else "",
              f"≤ {_value(meta['max'])}" if "max" in meta else ""]
    return " ".join(b for b in bounds if b)


def _keys(name: str) -> list:
    """(key, field, type) of the rows of table ``name``, in the dataclasses' order."""
    if name in CONDITION_TABLES:
        prefix, cls = CONDITION_TABLES[name]
        return [(key, f, hint) for key, _, f, hint in leaf_keys(cls, f"{prefix}.")]
    groups = TABLES[name]
    others = {g for gs in TABLES.values() if gs for g in gs}
    return [(key, f, hint) for key, _, f, hint in leaf_keys(EnvConfig)
            if ((key.split(".")[0] in groups) if groups else (key.split(".")[0] not in others))]


def table(name: str) -> str:
    """The Markdown table ``name`` (TABLES, CONDITION_TABLES): one row per key."""
    rows = ["| key | type | default | allowed | meaning |", "|---|---|---|---|---|"]
    for key, f, hint in _keys(name):
        rows.append(f"| `{key}` | {hint.__name__} | `{_value(f.default)}` | {_allowed(f.metadata)} | "
                    f"{f.metadata['doc'].replace('|', chr(92) + '|')} |")
    return "\n".join(rows)


def render(page: str) -> str:
    """``page`` with every generated table it holds replaced by the current one; ValueError if it holds none."""
    found = False
    for name in (*TABLES, *CONDITION_TABLES):
        start, end = (m.format(name=name) for m in MARKERS)
        pattern = re.compile(re.escape(start) + r"\n.*?" + re.escape(end), re.DOTALL)
        if pattern.search(page):
            found = True
            block = f"{start}\n{table(name)}\n{end}"
            page = pattern.sub(lambda _, block=block: block, page)
    if not found:
        raise ValueError(f"the page has no generated table ('{MARKERS[0]}' ... '{MARKERS[1]}')")
    return page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bidir_sim.envs.doc_tables", description=__doc__)
    parser.add_argument("pages", nargs="*", type=Path, default=list(DEFAULT_PAGES))
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite the page's tables")
    mode.add_argument("--check", action="store_true", help="exit 1 when the page's tables are not current")
    args = parser.parse_args(argv)
    stale = 0
    for path in args.pages:
        page = path.read_text(encoding="utf-8")
        current = render(page)
        if current == page:
            continue
        if args.check:
            print(f"{path}: the key tables are not current; run python -m bidir_sim.envs.doc_tables --write",
                  file=sys.stderr)
            stale = 1
        else:
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(current, encoding="utf-8")
            tmp.replace(path)  # atomic: a reader never sees half a page
    return stale


if __name__ == "__main__":
    sys.exit(main())
