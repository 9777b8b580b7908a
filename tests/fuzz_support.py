"""What the fuzz suite (test_fuzz_*.py) shares: how many examples it runs, the mutations of text files, the
hostile values, and the tally of outcomes that docs/reliability.md's figures come from.

``BIDIR_FUZZ_EXAMPLES=N`` multiplies every target's example count by N (a long local soak);
``BIDIR_FUZZ_REPORT=path.json`` writes the tally there when the session ends.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import time
from collections import defaultdict
from pathlib import Path

from bidir_sim.arguments import Bounded
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[1]
MASS_DIR = REPO.parent / "shared" / "fixtures" / "mass"
SCALE = int(os.environ.get("BIDIR_FUZZ_EXAMPLES", "1"))
MAX_SECONDS = 60.0  # one example taking longer counts as a runaway load

# Values a hostile-but-fair user types: wrong types, non-finite and huge numbers, YAML look-alikes.
HOSTILE_TOKENS = (".nan", ".inf", "-.inf", "-1", "0", "0.0", "-0.0", "1.0e+30", "-1.0e+30", "1.0e-30", "1e15",
                  "1.0e30", str(2**31), str(2**64), str(2**70), "fifty", "null", "[]", "{}", "true", "'1'", "~",
                  "[1, 2]", "{a: 1}", "1.0e+300", "-1.0e+300", "''", "\"\\u00e9\"", "0x10", "1_000")
_NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d+(?:e[-+]\d+)?(?![\w.])")  # the floats a dumped model holds
_SCALAR = re.compile(r"(?<=: )[^\s#\[\]{},'\"][^#\n,\]}]*|-?\d+\.?\d*(?:[eE][-+]?\d+)?")


def examples(n: int):
    """Hypothesis settings for a target: n examples (times BIDIR_FUZZ_EXAMPLES), no per-example deadline
    (the tally checks MAX_SECONDS itself) and no shrinking-time limits that would hide a slow input."""
    return settings(max_examples=n * SCALE, deadline=None, derandomize=SCALE == 1, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])


@st.composite
def mutated(draw, text: str, kinds=("value", "scale", "delete", "duplicate", "insert_key", "truncate", "byte")) -> bytes:
    """One mutation of a text file (as bytes, so that a mutation may also break its encoding)."""
    kind = draw(st.sampled_from(kinds))
    data = text.encode()
    numbers = list(_NUMBER.finditer(text))
    if kind == "scale" and numbers:  # a number times 10**k: mostly still valid, often extreme (for the physics)
        spots = numbers
        spot = spots[draw(st.integers(0, len(spots) - 1))]
        value = float(spot.group()) * 10.0 ** draw(st.integers(-8, 8))
        return (text[:spot.start()] + f"{value:.6e}" + text[spot.end():]).encode()  # a YAML 1.1 float
    if kind in ("value", "scale"):
        spots = list(_SCALAR.finditer(text))
        spot = spots[draw(st.integers(0, len(spots) - 1))]
        token = draw(st.one_of(st.sampled_from(HOSTILE_TOKENS), st.floats().map(repr),
                               st.integers(-(2**80), 2**80).map(str)))
        return (text[:spot.start()] + token + text[spot.end():]).encode()
    lines = text.splitlines(keepends=True)
    i = draw(st.integers(0, len(lines) - 1))
    if kind == "delete":
        return "".join(lines[:i] + lines[i + 1:]).encode()
    if kind == "duplicate":
        return "".join(lines[: i + 1] + lines[i:]).encode()
    if kind == "insert_key":
        indent = re.match(r"[ -]*", lines[i]).group().replace("-", " ")
        key = draw(st.from_regex(r"[a-z_]{1,12}", fullmatch=True))
        return "".join(lines[: i + 1] + [f"{indent}{key}: 1\n"] + lines[i + 1:]).encode()
    if kind == "truncate":
        return data[: draw(st.integers(0, len(data) - 1))]
    k = draw(st.integers(0, len(data) - 1))
    return data[:k] + bytes([draw(st.integers(0, 255))]) + data[k + 1:]


class Tally:
    """Outcomes per target: 'accepted' (a valid input, used) or 'clear error' (an InputError naming the
    input). Anything else fails the test that saw it, so the report only holds those two and the time."""

    def __init__(self):
        self.counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.slowest: dict[str, float] = defaultdict(float)

    def record(self, target: str, outcome: str, seconds: float) -> None:
        assert seconds < MAX_SECONDS, f"{target}: one input took {seconds:.0f} s (a runaway load)"
        self.counts[target][outcome] += 1
        self.slowest[target] = max(self.slowest[target], seconds)

    def timed(self, target: str):
        return _Timer(self, target)

    @contextlib.contextmanager
    def attempt(self, target: str, errors: type | tuple, *names: str):
        """``with TALLY.attempt(target, InputError, path): use(input)``: 'accepted' when the body finishes,
        'clear error' when it raises one of ``errors`` whose message names one of ``names`` (else the
        test fails); any other exception propagates."""
        with self.timed(target) as t:
            try:
                yield
                t.outcome = "accepted"
            except errors as e:
                t.outcome = expect_clear(e, *names)

    def write(self, path: str | os.PathLike) -> None:
        old = json.loads(Path(path).read_text()) if Path(path).exists() else {}
        for target, counts in self.counts.items():
            entry = old.setdefault(target, {"accepted": 0, "clear error": 0, "slowest_s": 0.0})
            for outcome, n in counts.items():
                entry[outcome] = entry.get(outcome, 0) + n
            entry["slowest_s"] = round(max(entry["slowest_s"], self.slowest[target]), 3)
        Path(path).write_text(json.dumps(old, indent=2, sort_keys=True) + "\n")


class _Timer:
    """``with tally.timed(target) as t: ...; t.outcome = "accepted"`` records the outcome and the time."""

    def __init__(self, tally: Tally, target: str):
        self.tally, self.target, self.outcome = tally, target, None

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            assert self.outcome in ("accepted", "clear error"), self.outcome
            self.tally.record(self.target, self.outcome, time.perf_counter() - self.start)
        return False


TALLY = Tally()


def expect_clear(error: Exception, *names: str) -> str:
    """An input error's message must name the input (a file path, key or index) and give a reason."""
    message = str(error)
    named = [name for name in names if name in message]
    assert named, f"the error does not name {names}: {message}"
    assert len(message) > len(max(named, key=len)) + 5, f"no reason given: {message}"
    return "clear error"


# --- the commands' numeric options (the fuzz target of issue #31 and docs/reliability.md's table) ---

class _Stop(Exception):
    """Raised where a command would start its work: everything before it (parsing, checks) passed."""


def _stop(*_args, **_kwargs):
    raise _Stop


def command_parsers() -> dict[str, argparse.ArgumentParser]:
    from bidir_ppo import analyze, bench_learner, bench_rollout, evaluate, plot
    from bidir_sim.__main__ import parser as sim_parser
    from bidir_viewer.cli import parser as viewer_parser

    return {"evaluate": evaluate.parser(), "viewer": viewer_parser(), "bidir_sim": sim_parser(),
            "plot": _parser_of(plot.main), "bench_rollout": _parser_of(bench_rollout.main),
            "bench_learner": _parser_of(bench_learner.main), "analyze": _parser_of(analyze.main)}


def _parser_of(main) -> argparse.ArgumentParser:
    """The parser a main() builds (captured from parse_args)."""
    captured = []
    original = argparse.ArgumentParser.parse_args

    def capture(self, *_a, **_k):
        captured.append(self)
        raise _Stop

    argparse.ArgumentParser.parse_args = capture
    try:
        with contextlib.suppress(_Stop):
            main(["x"])
    finally:
        argparse.ArgumentParser.parse_args = original
    return captured[0]


def numeric_options() -> list[tuple[str, str, list[str], argparse.Action]]:
    """(command, option, the other arguments it needs, action) for every numeric option of every command."""
    out = []
    base = {"evaluate": ["--env", "A2_sep", "--policy", "zero"], "viewer": ["--env", "A2_sep"], "plot": ["run"],
            "bench_rollout": [], "bench_learner": [], "analyze": ["--env", "A2_sep", "--policy", "zero", "--out", "report"]}
    for command, parser in command_parsers().items():
        parsers = {command: parser}
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                parsers.update({f"{command} {name}": sub for name, sub in action.choices.items()})
        for name, p in parsers.items():
            for action in p._actions:
                if isinstance(action.type, Bounded) or action.type in (int, float):
                    need = base.get(name, {"bidir_sim generate": ["generate", "out.yaml"]}.get(name, []))
                    out.append((name, action.option_strings[0], need, action))
    return out
