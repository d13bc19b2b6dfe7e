"""``train --resume`` checks every label chunk before it labels, and heals what is
missing or damaged: the healed run equals an uninterrupted one, labels, counts and
weights (issue 15, items 4 and 5)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from distill.cli import main
from imitation.dataset import LabelDataset
from imitation_fixtures import assert_episodes_equal

TINY = ["train", "--algo", "dagger", "--schedule", "exponential:0.5", "--episodes-per-round", "2",
        "--labels-per-episode", "10", "--game", "pong", "--sims", "4", "--depth", "5",
        "--max-episode-frames", "400", "--eval-episodes", "1", "--epochs", "1"]


def _train(out: Path, rounds: int, resume: bool = False) -> int:
    return main([*TINY, "--rounds", str(rounds), *(["--resume"] if resume else []), "--out", str(out)])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """An uninterrupted 2-round run, and the same run stopped after round 0."""
    root = tmp_path_factory.mktemp("heal")
    assert _train(root / "two", 2) == 0
    assert _train(root / "one", 1) == 0
    return root / "two", root / "one"


def _chunk(run: Path, round: int, episode: int) -> Path:
    return run / "labels" / f"round{round:04d}-episode{episode:06d}.npz"


def _assert_same_labels(run: Path, reference: Path) -> None:
    a, b = LabelDataset.open(reference / "labels"), LabelDataset.open(run / "labels")
    assert b.keys() == a.keys()
    for key in a.keys():
        assert_episodes_equal(b.read_episode(*key), a.read_episode(*key))


def _assert_counts_agree_with_the_files(run: Path) -> None:
    result = json.loads((run / "result.json").read_text())
    dataset = LabelDataset.open(run / "labels")
    total = 0
    for entry in result["rounds"]:
        on_disk = sum(dataset.num_rows(r, e) for r, e in dataset.keys() if r == entry["round"])
        total += on_disk
        assert (entry["labels_round"], entry["labels_total"]) == (on_disk, total), entry["round"]
    assert result["labels_total"] == total == dataset.num_labels()


def _weights(run: Path) -> str:
    return torch.load(run / "policy.pt", weights_only=True)["weights_sha256"]


def _damage(chunk: Path, how: str, other: Path) -> None:
    if how == "deleted":
        chunk.unlink()
    elif how == "random bytes":
        chunk.write_bytes(np.random.default_rng(0).bytes(chunk.stat().st_size))
    elif how == "truncated":
        chunk.write_bytes(chunk.read_bytes()[: chunk.stat().st_size // 2])
    elif how == "another seed":
        with np.load(chunk) as z:
            arrays = {k: z[k] for k in z.files}
        np.savez_compressed(chunk, **{**arrays, "seed": np.array(7, np.int64)})
    elif how == "another round":
        shutil.copyfile(other, chunk)
    else:
        raise ValueError(how)


@pytest.mark.parametrize("how", ["deleted", "random bytes"])
def test_a_damaged_chunk_of_a_finished_round_is_labelled_again_before_the_next_round(runs, tmp_path, how, capsys):
    """The issue's case: round 0 finished, one of its chunks lost; resuming with --rounds 2
    labels it again first, so round 1 is fitted on the same labels as an uninterrupted run."""
    reference, one = runs
    run = tmp_path / "run"
    shutil.copytree(one, run)
    _damage(_chunk(run, 0, 1), how, None)
    capsys.readouterr()
    assert _train(run, 2, resume=True) == 0
    err = capsys.readouterr().err
    _assert_same_labels(run, reference)
    _assert_counts_agree_with_the_files(run)
    assert [r["labels_total"] for r in json.loads((run / "result.json").read_text())["rounds"]] == [20, 40]
    assert _weights(run) == _weights(reference)
    assert "round0000-episode000001.npz" in err and "allow_pickle" not in err


def test_a_finished_run_heals_every_bad_chunk_once(runs, tmp_path, capsys):
    """Truncated, from another seed, from another round (renamed): each is set aside (kept)
    and labelled again; a second resume finds nothing to do."""
    reference, _ = runs
    run = tmp_path / "run"
    shutil.copytree(reference, run)
    damaged = {(0, 0): "truncated", (1, 1): "another seed", (0, 1): "another round"}
    for (r, e), how in damaged.items():
        _damage(_chunk(run, r, e), how, _chunk(reference, 1, 0))
    kept = {_chunk(run, r, e).name: _chunk(run, r, e).read_bytes() for r, e in damaged}
    capsys.readouterr()
    assert _train(run, 2, resume=True) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("--resume: label chunk")]
    assert len(lines) == 3
    assert any("round0001-episode000001.npz" in line and "seed 7, not 0" in line for line in lines)
    assert any("round0000-episode000001.npz" in line and "does not match the file name" in line for line in lines)
    _assert_same_labels(run, reference)
    _assert_counts_agree_with_the_files(run)
    assert _weights(run) == _weights(reference)
    for name, data in kept.items():
        assert (run / "labels" / "set-aside" / name).read_bytes() == data   # nothing is lost

    before = {p.name: p.read_bytes() for p in (run / "labels").glob("*.npz")}
    assert _train(run, 2, resume=True) == 0
    assert "--resume: label" not in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in (run / "labels").glob("*.npz")} == before


def test_a_corrupt_manifest_is_refused_before_anything_is_written(runs, tmp_path, capsys):
    reference, _ = runs
    run = tmp_path / "run"
    shutil.copytree(reference, run)
    (run / "labels" / "manifest.json").write_bytes(b"\x00garbage")
    files = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    capsys.readouterr()
    assert _train(run, 2, resume=True) == 2
    err = capsys.readouterr().err.strip()
    assert "manifest.json" in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file()} == files
