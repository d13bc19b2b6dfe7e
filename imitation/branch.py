"""A new training run that starts from the first rounds of another (``distill train --branch-from``).

A lever measured from round K on (exit's guidance, a schedule, PUCT's constant) is best
compared on shared rounds 0 to K - 1: the same labels and networks, then two continuations.
:func:`copy_rounds` copies rounds 0 to ``after_round`` of a run folder (their label chunks,
checkpoints and result entries, and the run's config.json) into a new folder, which
``distill train`` then resumes with the new flags. :func:`imitation.rounds.check_resume`
decides, as for any resume, whether the new flags leave every copied round as it was
played; the branch then equals a run started with them (tested). The source is only read.

:func:`copy_labels` copies only the labels of the first rounds; ``distill compare`` uses it
to give every method of a seed whose round 0 is the planner's alone the same round-0 labels
(:mod:`imitation.compare_atari`).

The new folder also gets ``branch.json`` ({"from", "after_round"}), which later resumes
leave alone, so a branch names its origin.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from common.errors import DistillError
from imitation.dataset import MANIFEST, LabelDataset
from imitation.rounds import (best_path, best_round, checkpoint_path, completed_rounds, labels_dir,
                              policy_path)

BRANCH = "branch.json"


def check_branch(src: Path, dst: Path, after_round: int) -> None:
    """Raise DistillError unless ``src`` is a run that completed round ``after_round``, with
    its labels' manifest, and ``dst`` is empty or absent."""
    if not (src / "config.json").is_file():
        raise DistillError(f"--branch-from {src}: not a training run (no config.json)")
    rounds = completed_rounds(src)
    if not rounds:
        raise DistillError(f"--branch-from {src}: the run has completed no round")
    if after_round >= len(rounds):
        raise DistillError(f"--after-round {after_round}: {src} has completed rounds 0 to {len(rounds) - 1}")
    if not (labels_dir(src) / MANIFEST).is_file():
        raise DistillError(f"--branch-from {src}: its labels have no {MANIFEST}")
    if dst.exists() and (not dst.is_dir() or any(dst.iterdir())):
        raise DistillError(f"--out {dst}: not empty; a branch starts a new folder")


def copy_rounds(src: Path, dst: Path, after_round: int) -> None:
    """Copy rounds 0 to ``after_round`` of the run in ``src`` into ``dst`` (checked by
    :func:`check_branch`): config.json, the label manifest and those rounds' chunks, their
    checkpoints, their result entries (the run writes the rest of result.json when it
    continues), ``policy.pt`` (round ``after_round``), ``best.pt`` (the best of them) and
    ``branch.json``."""
    kept = completed_rounds(src)[:after_round + 1]
    checkpoint_path(dst, 0).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src / "config.json", dst / "config.json")
    copy_labels(src, dst, after_round)
    for entry in kept:
        shutil.copy2(checkpoint_path(src, entry["round"]), checkpoint_path(dst, entry["round"]))
    shutil.copy2(checkpoint_path(src, after_round), policy_path(dst))
    shutil.copy2(checkpoint_path(src, best_round(kept)), best_path(dst))
    (dst / "result.json").write_text(json.dumps({"finished": False, "rounds": kept}, indent=2) + "\n")
    (dst / BRANCH).write_text(json.dumps({"from": str(src), "after_round": after_round}, indent=2) + "\n")


def copy_labels(src: Path, dst: Path, last_round: int) -> None:
    """Copy the label manifest of the run in ``src``, and the label chunks of its rounds 0
    to ``last_round``, into the run folder ``dst``. A chunk holds its seed, round and
    episode, and ``--resume`` checks each one before it is used
    (:func:`imitation.rounds.check_resume`, ``_heal_labels``)."""
    source = LabelDataset.open(labels_dir(src))
    labels_dir(dst).mkdir(parents=True, exist_ok=True)
    shutil.copy2(labels_dir(src) / MANIFEST, labels_dir(dst) / MANIFEST)
    for r, e in source.keys():
        if r <= last_round:
            shutil.copy2(source.chunk_path(r, e), labels_dir(dst) / source.chunk_path(r, e).name)
