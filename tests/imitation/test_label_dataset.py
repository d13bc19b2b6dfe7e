"""The label dataset: round trip, resume after a killed writer, corrupted chunks."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from common.errors import DistillError
from imitation.dataset import (COLUMNS, SCHEMA, Column, CorruptChunkWarning, EpisodeRecorder, LabelDataset,
                               LabelSpec, chunk_name, is_validation)
from imitation_fixtures import SPEC, assert_episodes_equal, synthetic_episode
from mcts.decision import Decision

HERE = Path(__file__).parent
REPO = HERE.parent.parent


def _write(path, keys, spec=SPEC):
    ds = LabelDataset.create(path, spec)
    for r, e in keys:
        ds.write_episode(synthetic_episode(r, e, spec))
    return ds


def _row_ids(batches):
    return [(int(r), int(e), int(s)) for b in batches for r, e, s in zip(b.round, b.episode, b.step)]


def test_round_trip_is_exact(tmp_path):
    keys = [(0, 0), (0, 1), (1, 0), (1, 7)]
    ds = _write(tmp_path / "d", keys)
    again = LabelDataset.open(tmp_path / "d", expect=SPEC)
    assert again.completed() == set(keys)
    for r, e in keys:
        assert_episodes_equal(again.read_episode(r, e), synthetic_episode(r, e))
    assert again.num_labels() == sum(len(synthetic_episode(r, e)) for r, e in keys)
    summaries = again.episodes()
    assert [(s.round, s.episode) for s in summaries] == sorted(keys)
    for s in summaries:
        ep = synthetic_episode(s.round, s.episode)
        assert s.labels == len(ep) and s.frames == ep.frames.sum()
        assert s.differing == int((ep.executed != ep.action).sum()) and s.score == ep.score
    # Writing an existing key is refused: collection must skip completed() keys.
    with pytest.raises(DistillError, match="already exists"):
        ds.write_episode(synthetic_episode(0, 1))


def test_recorder_drops_skipped_decisions(tmp_path):
    rng = np.random.default_rng(1)
    rec = EpisodeRecorder(round=2, episode=3, seed=9, spec=SPEC)
    kept = []
    for t in range(6):
        obs = rng.integers(0, 255, size=SPEC.obs_shape, dtype=np.uint8)
        q = rng.normal(size=SPEC.num_actions)
        dec = Decision(action=int(np.argmax(q)), q=q, visits=np.arange(SPEC.num_actions),
                       frames=10 * t, skipped=(t % 3 == 1))
        rec.add(step=t, obs=obs, decision=dec, executed=1)
        if not dec.skipped:
            kept.append((t, obs, dec))
    ds = LabelDataset.create(tmp_path / "d", SPEC)
    ds.write_episode(rec.finish(score=3.0, env_steps=6, lives_lost=1, terminated=False))
    back = ds.read_episode(2, 3)
    assert back.step.tolist() == [t for t, _, _ in kept]
    np.testing.assert_array_equal(back.obs, np.stack([o for _, o, _ in kept]))
    np.testing.assert_array_equal(back.q, np.stack([d.q for _, _, d in kept]).astype(np.float32))
    assert back.action.tolist() == [d.action for _, _, d in kept]
    assert back.frames.tolist() == [d.frames for _, _, d in kept]
    assert back.env_steps == 6 and back.lives_lost == 1 and not back.terminated


def test_batches_cover_every_row_once_and_are_seeded(tmp_path):
    keys = [(r, e) for r in range(2) for e in range(5)]
    ds = _write(tmp_path / "d", keys)
    expected = sorted((r, e, int(s)) for r, e in keys for s in synthetic_episode(r, e).step)
    # A shuffle buffer smaller than one chunk, and batches that do not divide the rows.
    first = list(ds.iter_batches(7, split="all", seed=3, buffer_rows=5))
    assert sorted(_row_ids(first)) == expected
    assert all(len(b) == 7 for b in first[:-1])
    assert _row_ids(first) == _row_ids(ds.iter_batches(7, split="all", seed=3, buffer_rows=5))
    assert _row_ids(first) != _row_ids(ds.iter_batches(7, split="all", seed=4, buffer_rows=5))
    # Rows keep their labels while shuffled.
    for b in first:
        for i in range(len(b)):
            ep = synthetic_episode(int(b.round[i]), int(b.episode[i]))
            j = int(np.flatnonzero(ep.step == b.step[i])[0])
            assert b.action[i] == ep.action[j]
            np.testing.assert_array_equal(b.obs[i], ep.obs[j])


def test_a_view_up_to_a_round_reads_only_that_round_and_the_ones_before(tmp_path):
    keys = [(r, e) for r in range(3) for e in range(2)]
    ds = _write(tmp_path / "d", keys)
    view = ds.up_to_round(1)
    assert view.keys() == [k for k in keys if k[0] <= 1] and ds.keys() == keys
    assert {r for r, _, _ in _row_ids(view.iter_batches(5, split="all"))} == {0, 1}
    assert view.num_labels() == sum(len(synthetic_episode(r, e).step) for r, e in keys if r <= 1)


def test_a_window_from_a_round_reads_that_round_and_the_later_ones_within_its_view(tmp_path):
    keys = [(r, e) for r in range(4) for e in range(2)]
    ds = _write(tmp_path / "d", keys)
    window = ds.from_round(2)
    assert window.keys() == [k for k in keys if k[0] >= 2]
    assert {r for r, _, _ in _row_ids(window.iter_batches(5, split="all"))} == {2, 3}
    assert ds.up_to_round(2).from_round(1).keys() == [k for k in keys if 1 <= k[0] <= 2]
    assert ds.from_round(1).up_to_round(2).keys() == [k for k in keys if 1 <= k[0] <= 2]


def test_later_passes_read_decoded_chunks_from_memory_until_a_chunk_changes(tmp_path, monkeypatch):
    keys = [(0, e) for e in range(4)]
    ds = _write(tmp_path / "d", keys)
    reads = []
    original = LabelDataset.read_chunk
    monkeypatch.setattr(LabelDataset, "read_chunk", lambda self, r, e: reads.append((r, e)) or original(self, r, e))
    first = list(ds.iter_batches(5, split="all", seed=1))
    assert sorted(reads) == keys
    again = list(ds.iter_batches(5, split="all", seed=1))
    assert len(reads) == len(keys)                      # the second pass decompressed nothing
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a.obs, b.obs)
        np.testing.assert_array_equal(a.action, b.action)
    # A chunk written anew under the same key is read again, with its new labels.
    changed = synthetic_episode(0, 2)
    changed.action = (changed.action + 1) % SPEC.num_actions
    os.remove(ds.chunk_path(0, 2))
    ds.write_episode(changed)
    rows = [b for b in ds.iter_batches(100, split="all", shuffle=False)]
    assert reads[len(keys):] == [(0, 2)]
    mine = np.concatenate([b.action[b.episode == 2] for b in rows])
    np.testing.assert_array_equal(mine, changed.action)
    # With no room, every pass reads every chunk.
    fresh = LabelDataset.open(tmp_path / "d")
    fresh.cache_bytes = 0
    del reads[:]
    for _ in range(2):
        list(fresh.iter_batches(5, split="all"))
    assert len(reads) == 2 * len(keys)


def test_validation_split_is_by_episode_and_stable(tmp_path):
    keys = [(r, e) for r in range(3) for e in range(20)]
    ds = _write(tmp_path / "d", keys)
    val = ds.keys("val", 0.25)
    train = ds.keys("train", 0.25)
    assert set(val).isdisjoint(train) and set(val) | set(train) == set(keys)
    assert 0 < len(val) < len(keys)
    assert val == [k for k in keys if is_validation(*k, 0.25)]
    val_rows = {(r, e) for r, e, _ in _row_ids(ds.iter_batches(50, split="val", val_fraction=0.25))}
    assert val_rows == set(val)
    # Adding a round does not move existing episodes between the splits.
    ds.write_episode(synthetic_episode(3, 0))
    assert [k for k in ds.keys("val", 0.25) if k[0] < 3] == val


def test_content_does_not_depend_on_write_order(tmp_path):
    keys = [(0, e) for e in range(6)]
    a = _write(tmp_path / "a", keys)
    b = _write(tmp_path / "b", list(reversed(keys)))
    ba, bb = list(a.iter_batches(11, split="all", seed=5)), list(b.iter_batches(11, split="all", seed=5))
    assert _row_ids(ba) == _row_ids(bb)
    for x, y in zip(ba, bb):
        np.testing.assert_array_equal(x.obs, y.obs)


def test_other_game_or_action_set_is_refused(tmp_path):
    _write(tmp_path / "d", [(0, 0)])
    breakout = LabelSpec("Breakout", SPEC.action_set, SPEC.preprocessing)
    with pytest.raises(DistillError, match="game Pong, not Breakout"):
        LabelDataset.create(tmp_path / "d", breakout)
    with pytest.raises(DistillError, match="action set"):
        LabelDataset.open(tmp_path / "d", expect=LabelSpec("Pong", (0, 1, 2), SPEC.preprocessing))
    with pytest.raises(DistillError, match="preprocessing"):
        LabelDataset.open(tmp_path / "d", expect=LabelSpec("Pong", SPEC.action_set, {"frame_skip": 2}))
    with pytest.raises(DistillError, match="not a label dataset"):
        LabelDataset.open(tmp_path / "nothing")


def _corrupt_two(tmp_path):
    keys = [(0, e) for e in range(4)]
    ds = _write(tmp_path / "d", keys)
    truncated = ds.path / chunk_name(0, 1)
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    flipped = ds.path / chunk_name(0, 2)
    data = bytearray(flipped.read_bytes())
    for i in range(len(data) // 3, len(data) // 3 + 64):
        data[i] ^= 0xFF
    flipped.write_bytes(bytes(data))
    return keys, truncated, flipped


def test_corrupted_chunk_is_refused_by_name(tmp_path):
    _, truncated, _ = _corrupt_two(tmp_path)
    ds = LabelDataset.open(tmp_path / "d", on_corrupt="refuse")
    with pytest.raises(DistillError) as err:
        list(ds.iter_batches(10, split="all", shuffle=False))
    assert truncated.name in str(err.value)
    assert err.value.exit_code == 2


def test_corrupted_chunk_is_skipped_with_a_warning(tmp_path):
    keys, truncated, flipped = _corrupt_two(tmp_path)
    ds = LabelDataset.open(tmp_path / "d", on_corrupt="skip")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rows = _row_ids(ds.iter_batches(10, split="all"))
    messages = " ".join(str(w.message) for w in caught if issubclass(w.category, CorruptChunkWarning))
    assert truncated.name in messages and flipped.name in messages
    assert set(ds.skipped) == {truncated, flipped}
    good = [(0, 0), (0, 3)]
    assert sorted(rows) == sorted((r, e, int(s)) for r, e in good for s in synthetic_episode(r, e).step)


WRITER = textwrap.dedent("""
    import io, os, sys, time
    import numpy as np
    from imitation.dataset import LabelDataset
    from imitation_fixtures import SPEC, synthetic_episode

    path, episodes, stall_at, marker = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    real_savez = np.savez_compressed

    def stalling_savez(file, **arrays):
        # Simulate being killed mid-chunk: half the bytes reach the disk, then we hang.
        if int(arrays["episode"][0]) == stall_at:
            buf = io.BytesIO()
            real_savez(buf, **arrays)
            file.write(buf.getvalue()[: len(buf.getvalue()) // 2])
            file.flush()
            os.fsync(file.fileno())
            open(marker, "w").close()
            time.sleep(600)
        return real_savez(file, **arrays)

    np.savez_compressed = stalling_savez
    ds = LabelDataset.create(path, SPEC)
    ds.discard_partial()  # --resume: drop what a killed writer left, keep whole chunks
    done = ds.completed()
    for e in range(episodes):
        if (0, e) not in done:
            ds.write_episode(synthetic_episode(0, e))
""")


def _run_writer(script, path, episodes, stall_at, marker):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), str(REPO), os.environ.get("PYTHONPATH", "")]))
    return subprocess.Popen([sys.executable, str(script), str(path), str(episodes), str(stall_at), str(marker)],
                            env=env)


def test_killed_writer_resumes_without_duplicates_or_gaps(tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    episodes, marker = 6, tmp_path / "stalled"
    proc = _run_writer(script, tmp_path / "killed", episodes, 3, marker)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None, "writer exited before stalling"
        assert time.monotonic() < deadline, "writer never reached the chunk to kill"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)

    killed = LabelDataset.open(tmp_path / "killed", expect=SPEC)
    assert killed.completed() == {(0, 0), (0, 1), (0, 2)}           # lost only the chunk being written
    assert any(p.name.startswith(".partial-") for p in killed.path.iterdir())
    assert killed.num_labels() == sum(len(synthetic_episode(0, e)) for e in range(3))

    assert _run_writer(script, tmp_path / "killed", episodes, -1, marker).wait(timeout=60) == 0
    assert _run_writer(script, tmp_path / "clean", episodes, -1, marker).wait(timeout=60) == 0
    resumed = LabelDataset.open(tmp_path / "killed", expect=SPEC)
    clean = LabelDataset.open(tmp_path / "clean", expect=SPEC)
    assert not any(p.name.startswith(".partial-") for p in resumed.path.iterdir())
    assert resumed.completed() == clean.completed() == {(0, e) for e in range(episodes)}
    assert resumed.num_labels() == clean.num_labels()
    for key in sorted(clean.completed()):
        assert_episodes_equal(resumed.read_episode(*key), clean.read_episode(*key))


# -- one table of columns ----------------------------------------------------------------

NEW_COLUMNS = [
    Column("entropy", "float32", (), "decision", "the entropy of the expert's visits", batch=True, fill=np.nan),
    Column("bonus", "float32", ("A",), "decision", "a per-action bonus", batch=True, fill=0.0),
]


class _Decision:
    """A decision with any attributes (an expert that also returns the new column)."""

    def __init__(self, **kw):
        self.skipped = False
        self.__dict__.update(kw)


@pytest.mark.parametrize("column", NEW_COLUMNS, ids=lambda c: c.name)
def test_a_new_column_is_one_table_line_written_read_checked_and_batched(tmp_path, column):
    schema = SCHEMA.with_column(column)   # the one change a new label field needs
    A = SPEC.num_actions
    dims = column.dims(SPEC)
    assert column.name in schema.table()
    # Chunks written before the column existed still read, as its fill.
    LabelDataset.create(tmp_path / "d", SPEC).write_episode(synthetic_episode(0, 0))
    ds = LabelDataset.open(tmp_path / "d", expect=SPEC, schema=schema)
    old = ds.read_episode(0, 0)
    n = len(synthetic_episode(0, 0))
    assert getattr(old, column.name).shape == (n, *dims)
    np.testing.assert_array_equal(getattr(old, column.name), np.full((n, *dims), column.fill, np.float32))
    assert ds.check(0, 0) is None
    # The recorder takes it from the decision (the fill where a decision has none) ...
    rng = np.random.default_rng(0)
    rec = EpisodeRecorder(0, 1, 0, SPEC, schema=schema)
    given = []
    for t in range(5):
        value = None if t == 2 else rng.normal(size=dims).astype(np.float32)
        rec.add(t, rng.integers(0, 9, SPEC.obs_shape, dtype=np.uint8),
                _Decision(action=t % A, q=rng.normal(size=A), visits=np.ones(A, np.int64), frames=7,
                          **{column.name: value}), executed=0)
        given.append(np.full(dims, column.fill, np.float32) if value is None else value)
    ds.write_episode(rec.finish(score=1.0, env_steps=5, lives_lost=0, terminated=False))
    # ... the chunk stores it, and reading, checking and batching give it back.
    with np.load(ds.path / chunk_name(0, 1)) as z:
        assert z[column.name].dtype == np.float32 and z[column.name].shape == (5, *dims)
    np.testing.assert_array_equal(getattr(ds.read_episode(0, 1), column.name), np.stack(given))
    assert ds.check(0, 1) is None
    rows = {}
    for batch in ds.iter_batches(3, split="all", seed=1):
        assert getattr(batch, column.name).shape == (len(batch), *dims)
        for i in range(len(batch)):
            rows[(int(batch.episode[i]), int(batch.step[i]))] = getattr(batch, column.name)[i]
    assert len(rows) == n + 5
    for t in range(5):
        np.testing.assert_array_equal(rows[(1, t)], given[t])
    # A wrongly shaped column is refused when written and found when read.
    bad = ds.read_episode(0, 1)
    setattr(bad, column.name, np.zeros((5, *dims, 2), np.float32))
    bad.episode = 2
    with pytest.raises(ValueError, match=column.name):
        ds.write_episode(bad)
    with np.load(ds.path / chunk_name(0, 1)) as z:
        arrays = {k: z[k] for k in z.files}
    arrays[column.name] = np.zeros((4, *dims), np.float32)
    np.savez_compressed(ds.path / chunk_name(0, 3), **{**arrays, "episode": np.full(5, 3)})
    assert f"{column.name} has shape" in ds.check(0, 3)


def test_the_table_drives_every_record():
    import dataclasses

    names = [c.name for c in COLUMNS]
    labels = {f.name for f in dataclasses.fields(SCHEMA.EpisodeLabels)}
    recorded = {c.name for c in COLUMNS if c.source in ("decision", "state", "episode")}
    assert labels == {"round", "episode"} | recorded
    assert [f.name for f in dataclasses.fields(SCHEMA.LabelBatch)] == [c.name for c in COLUMNS if c.batch]
    with pytest.raises(ValueError, match="distinct"):
        SCHEMA.with_column(Column("q", "float32", ("A",), "decision", "again"))
    assert all(name in SCHEMA.table() for name in names)


@pytest.mark.parametrize("damage", ["random", "truncated", "empty", "npy", "pickle"])
def test_an_unreadable_chunk_gets_our_one_line_reason_never_allow_pickle(tmp_path, damage):
    ds = _write(tmp_path / "d", [(0, 0)])
    path = ds.path / chunk_name(0, 0)
    if damage == "random":
        path.write_bytes(np.random.default_rng(0).bytes(5000))
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:3000])
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "npy":
        with open(path, "wb") as f:
            np.save(f, np.zeros(3))
    else:
        import pickle

        path.write_bytes(pickle.dumps({"action": [1, 2]}))
    reason = ds.check(0, 0)
    assert reason and "pickle" not in reason.lower()
    with pytest.raises(DistillError) as err:
        ds.read_episode(0, 0)
    message = str(err.value)
    assert path.name in message and "allow_pickle" not in message and "\n" not in message
    assert err.value.exit_code == 2


def test_check_finds_a_chunk_of_another_seed_or_round(tmp_path):
    ds = _write(tmp_path / "d", [(0, 0), (1, 0)])
    assert ds.check(0, 0, seed=0) is None
    assert "seed 0, not 5" in ds.check(0, 0, seed=5)
    (ds.path / chunk_name(1, 0)).replace(ds.path / chunk_name(0, 1))  # round 1's chunk, renamed
    assert "does not match the file name" in ds.check(0, 1)
    aside = ds.set_aside(0, 1)
    assert aside.is_file() and not ds.has(0, 1) and ds.keys() == [(0, 0)]
