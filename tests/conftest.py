"""Shared test set-up.

- One BLAS/torch thread, so tests don't oversubscribe the 2 cores.
- Tests import with ``--import-mode=importlib`` (setup.cfg), so a test folder never
  shadows the package it tests; helper modules next to tests are found through
  sys.path entries added here.
"""
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

for folder in ("imitation",):
    sys.path.insert(0, str(Path(__file__).parent / folder))


import pytest  # noqa: E402


@pytest.fixture
def cli_one_line_error(tmp_path, capsys):
    """Run ``distill ARGV --out tmp/x`` in-process; assert exit 2 with a one-line reason
    containing ``message``, no traceback, and no --out folder made."""
    from distill.cli import main

    def check(argv, message):
        out = tmp_path / "x"
        try:
            code = main([*argv, "--out", str(out)])
        except SystemExit as exc:      # argparse's own errors (bad numbers) exit directly
            code = exc.code
        assert code == 2
        err = capsys.readouterr().err
        assert message in err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
        assert not out.exists()

    return check
