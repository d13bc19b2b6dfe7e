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
