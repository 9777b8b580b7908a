from pathlib import Path

import pytest

# ../shared beside the repository holds external fixtures (the MASS model); it is absent in a user's clone.
MASS_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures" / "mass"


@pytest.fixture(scope="session")
def mass_dir() -> Path:
    if not (MASS_DIR / "human.xml").exists():
        pytest.skip(f"MASS fixtures not found at {MASS_DIR} (../shared/fixtures/mass is only beside a CI checkout)")
    return MASS_DIR


@pytest.fixture(scope="session")
def default_model():
    from bidir_sim.models import load_model

    return load_model("default")


@pytest.fixture
def write(tmp_path):
    """``write(name, text)``: the text in a file of that name in the test's tmp_path; gives the file's path."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write
