"""Behaviour is unchanged: the labels the current code writes equal, field for field and
bit for bit, those written before the refactor of issue 13 (commit a59447f).

The golden chunks in tests/data/golden_labels cover the whole collection path on Pong:
the environment's no-op start, the planner's searches and tree reuse (Q, visits, frames),
the acting rules with and without a learner in the loop (planner, DAgger's mix, PLATO's
teacher), the recorder and the chunk writer. See tests/data/README.md.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from imitation.dataset import LabelDataset

DATA = Path(__file__).parents[1] / "data"
GOLDEN = DATA / "golden_labels"


def _make_golden():
    spec = importlib.util.spec_from_file_location("make_golden_labels", DATA / "make_golden_labels.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("golden") / "labels"
    _make_golden().write_golden(out)
    return out


def _members(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return {name: z[name] for name in z.files}


def test_the_golden_chunks_are_all_there_and_not_trivial():
    golden = LabelDataset.open(GOLDEN)
    assert golden.keys() == [(0, 0), (1, 0), (1, 1)]
    summaries = golden.episodes()
    assert [s.labels for s in summaries] == [60, 60, 60]
    assert [s.differing > 0 for s in summaries] == [False, True, True]  # the learner acted in round 1
    visits = golden.read_episode(0, 0).visits.sum(axis=1)
    assert visits.min() == 10 and visits.max() > 10                   # the kept subtree is reused


def test_current_code_writes_the_golden_labels_bit_for_bit(regenerated):
    assert json.loads((regenerated / "manifest.json").read_text()) == \
        json.loads((GOLDEN / "manifest.json").read_text())
    names = sorted(p.name for p in GOLDEN.glob("*.npz"))
    assert sorted(p.name for p in regenerated.glob("*.npz")) == names
    for name in names:
        want, got = _members(GOLDEN / name), _members(regenerated / name)
        assert set(want) <= set(got), f"{name}: members {sorted(set(want) - set(got))} are gone"
        for member, array in want.items():
            assert got[member].dtype == array.dtype, f"{name} {member}: {got[member].dtype} != {array.dtype}"
            assert got[member].shape == array.shape, f"{name} {member}: {got[member].shape} != {array.shape}"
            # NaN-aware bit equality: the bytes must agree, not just the values
            assert got[member].tobytes() == array.tobytes(), f"{name} {member} differs"


def test_current_code_reads_the_golden_chunks_as_it_writes_them(regenerated):
    a, b = LabelDataset.open(GOLDEN), LabelDataset.open(regenerated)
    assert a.episodes() == b.episodes()
    for key in a.keys():
        x, y = a.read_episode(*key), b.read_episode(*key)
        for name in ("obs", "action", "q", "visits", "step", "executed", "frames"):
            np.testing.assert_array_equal(getattr(x, name), getattr(y, name), err_msg=f"{key} {name}")
        for name in ("round", "episode", "seed", "score", "env_steps", "lives_lost", "terminated"):
            assert getattr(x, name) == getattr(y, name), f"{key} {name}"
