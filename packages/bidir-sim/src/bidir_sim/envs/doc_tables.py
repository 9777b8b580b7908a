"""docs/env-config.md's key tables, generated from the env config's field metadata (type, default, range,
meaning), the one place they are declared. ``python -m bidir_sim.envs.doc_tables --write`` rewrites the tables
between their markers, ``--check`` fails when the committed ones are not current (tests/test_docs.py runs it)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from .config import EnvConfig, leaf_keys

# Table name -> the top-level groups it lists (the last one, None, takes every other key).
TABLES = {"training-aids": ("termination", "assist"), "keys": None}
MARKERS = ("<!-- generated: {name} (python -m bidir_sim.envs.doc_tables --write) -->", "<!-- end generated: {name} -->")
DEFAULT_PAGE = Path("docs") / "env-config.md"


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


def table(name: str) -> str:
    """The Markdown table ``name`` of TABLES: one row per key, in the dataclasses' order."""
    groups = TABLES[name]
    others = {g for gs in TABLES.values() if gs for g in gs}
    rows = ["| key | type | default | allowed | meaning |", "|---|---|---|---|---|"]
    for key, _, f, hint in leaf_keys(EnvConfig):
        group = key.split(".")[0]
        if (group in groups) if groups else (group not in others):
            rows.append(f"| `{key}` | {hint.__name__} | `{_value(f.default)}` | {_allowed(f.metadata)} | "
                        f"{f.metadata['doc'].replace('|', chr(92) + '|')} |")
    return "\n".join(rows)


def render(page: str) -> str:
    """``page`` with every generated table replaced by the current one; ValueError if a marker is missing."""
    for name in TABLES:
        start, end = (m.format(name=name) for m in MARKERS)
        pattern = re.compile(re.escape(start) + r"\n.*?" + re.escape(end), re.DOTALL)
        if not pattern.search(page):
            raise ValueError(f"the page has no '{start}' ... '{end}' block")
        block = f"{start}\n{table(name)}\n{end}"
        page = pattern.sub(lambda _, block=block: block, page)
    return page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bidir_sim.envs.doc_tables", description=__doc__)
    parser.add_argument("page", nargs="?", type=Path, default=DEFAULT_PAGE)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite the page's tables")
    mode.add_argument("--check", action="store_true", help="exit 1 when the page's tables are not current")
    args = parser.parse_args(argv)
    page = args.page.read_text(encoding="utf-8")
    current = render(page)
    if args.check:
        if current != page:
            print(f"{args.page}: the key tables are not current; run python -m bidir_sim.envs.doc_tables --write",
                  file=sys.stderr)
            return 1
        return 0
    if current != page:
        tmp = args.page.with_name(args.page.name + ".tmp")
        tmp.write_text(current, encoding="utf-8")
        tmp.replace(args.page)  # atomic: a reader never sees half a page
    return 0


if __name__ == "__main__":
    sys.exit(main())
