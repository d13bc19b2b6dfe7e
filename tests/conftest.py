"""Shared test set-up: one torch thread, so tests don't oversubscribe the 2 cores."""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
