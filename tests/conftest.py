import os

import pytest


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    """With BIDIR_FUZZ_REPORT set, the fuzz suite's tally is added to that JSON file (docs/reliability.md)."""
    report = os.environ.get("BIDIR_FUZZ_REPORT")
    if report:
        from fuzz_support import TALLY

        TALLY.write(report)
