"""Shape rules the review asked for: short C++ files by concept."""

from pathlib import Path

CPP = Path(__file__).resolve().parents[1] / "packages" / "bidir-sim" / "cpp"
MAX_LINES = 400


def test_no_cpp_source_over_400_lines():
    long = {p.name: n for p in sorted(CPP.rglob("*.[ch]pp")) if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"split these by concept: {long}"
