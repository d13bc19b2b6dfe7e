"""Run folders have an owner: a refused command writes nothing, byte for byte; flags the
chosen side or algorithm would ignore, unplayable ROMs and bad budgets are refused
with one line and exit 2 (see common/errors.py for the exit codes)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from distill.cli import main

PONG_TINY = ["--game", "pong", "--sims", "2", "--depth", "3", "--max-episode-frames", "100"]


def files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder``, by relative path: what a refused command must not touch."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def fake_run(folder: Path, command: str) -> Path:
    """A folder as ``command`` leaves it: config.json naming its owner, a result, data."""
    (folder / "labels").mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"command": command, "seed": 0,
                                                    "config": {"run": {"rounds": 2}}}))
    (folder / "result.json").write_text(json.dumps({"rounds": [{"round": 0}], "labels_total": 90}))
    (folder / "labels" / "round0000-episode000000.npz").write_bytes(os.urandom(300))
    return folder


def refused(argv, message, capsys, folder: Path | None = None):
    """``distill ARGV`` exits 2 with one line containing ``message``; ``folder``'s files
    (checked first) are byte-identical before and after."""
    before = files(folder) if folder is not None else None
    code = main(argv)
    err = capsys.readouterr().err
    if folder is not None:
        assert files(folder) == before, err
    assert code == 2, err
    assert message in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


TRAIN = ["train", "--algo", "dagger", *PONG_TINY]


@pytest.mark.parametrize("owner, argv, message", [
    ("train", [*TRAIN, "--depth", "6"], "already holds a train run; pass --resume"),
    ("train", ["plan", *PONG_TINY, "--steps", "1"], "holds a `distill train` run, not a `distill plan` one"),
    ("train", ["env-check", "--game", "pong"], "holds a `distill train` run, not a `distill env-check` one"),
    ("plan", TRAIN, "holds a `distill plan` run, not a `distill train` one"),
    ("plan", [*TRAIN, "--resume"], "holds a `distill plan` run, not a `distill train` one"),
    ("plan", ["plan", *PONG_TINY, "--steps", "1"], "already holds a plan run; choose another --out"),
    (None, ["env-check", "--game", "pong"], "holds files but no distill run"),
])
def test_a_refused_command_leaves_the_folder_byte_identical(tmp_path, capsys, owner, argv, message):
    run = tmp_path / "run"
    if owner is None:
        run.mkdir()
        (run / "notes.txt").write_text("mine")
    else:
        fake_run(run, owner)
    refused([*argv, "--out", str(run)], message, capsys, folder=run)


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_resume_of_a_folder_without_a_run_names_it(tmp_path, capsys, make):
    run = tmp_path / "typo"
    if make == "empty":
        run.mkdir()
    refused([*TRAIN, "--resume", "--out", str(run)], f"--resume: {run} ", capsys)
    assert (run.is_dir() and not any(run.iterdir())) if make == "empty" else not run.exists()


def test_a_file_given_as_out_is_named_and_kept(tmp_path, capsys):
    target = tmp_path / "result.json"
    target.write_text("{}")
    refused(["plan", *PONG_TINY, "--steps", "1", "--out", str(target)], f"--out {target} is a file", capsys)
    assert target.read_text() == "{}"


def test_a_refused_train_keeps_its_config_and_resume_names_only_what_differs(tmp_path, capsys):
    """The reported bug: a refused `train` (no --resume) rewrote config.json, and a
    resume refusal listed `rounds`, which may grow."""
    run = tmp_path / "run"
    argv = ["train", "--algo", "uct-classification", "--rounds", "1", "--episodes-per-round", "1",
            "--labels-per-episode", "4", *PONG_TINY, "--eval-episodes", "1", "--epochs", "1",
            "--out", str(run)]
    assert main(argv) == 0
    capsys.readouterr()
    refused([*argv, "--depth", "6"], "already holds a train run; pass --resume", capsys, folder=run)
    refused([*argv, "--depth", "6", "--rounds", "2", "--resume"], "(collect.uct.max_depth differ)",
            capsys, folder=run)


@pytest.mark.parametrize("argv, message", [
    (["compare", "--task", "pointmass", "--labels", "50"], "--labels: Atari (--game) only"),
    (["compare", "--task", "pointmass", "--sims", "4", "--rounds", "2"], "--rounds, --sims: Atari (--game) only"),
    (["compare", "--game", "pong", "--samples", "100"], "--samples: continuous control (--task) only"),
    (["train", "--algo", "uct-classification", "--game", "pong", "--epsilon", "0.1"], "--epsilon"),
    (["train", "--algo", "uct-regression", "--game", "pong", "--epsilon", "0.1"], "--epsilon"),
    (["plan", "--game", "pong", "--steps", "3", "--workers", "2"], "--steps plays one episode"),
    (["plan", "--game", "pong", "--seconds-per-decision", "inf"], "must be a finite number > 0, got inf"),
    (["plan", "--game", "pong", "--seconds-per-decision", "nan"], "must be a finite number > 0, got nan"),
    (["train", "--algo", "dagger", "--game", "pong", "--device", "gpu0"],
     "--device: expected auto, cpu, cuda or cuda:N, got 'gpu0'"),
    (["eval", "--checkpoint", "no-such.pt"], "--checkpoint no-such.pt does not exist"),
])
def test_flags_that_would_be_ignored_or_bad_budgets_are_refused(cli_one_line_error, argv, message):
    cli_one_line_error(argv, message)


def test_a_torch_file_that_is_no_policy_is_named_so(tmp_path, cli_one_line_error):
    import torch

    path = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, path)
    cli_one_line_error(["eval", "--checkpoint", str(path)], "is not a distill policy checkpoint")


def _unloadable():
    from envs.atari.names import loadable_games

    return loadable_games()[1]


@pytest.mark.parametrize("argv", [["env-check", "--game", "combat"], ["plan", "--game", "combat", "--steps", "1"]])
def test_a_listed_rom_that_ale_cannot_load_is_refused_without_writing(tmp_path, capsys, argv):
    if "combat" not in _unloadable():
        pytest.skip("this ale-py loads combat")
    out = tmp_path / "x"
    refused([*argv, "--out", str(out)], "game 'combat' is listed by ale-py but cannot be played", capsys)
    assert not out.exists()


def test_games_lists_every_loadable_game_and_counts_the_others(capsys):
    from envs.atari.names import list_games

    assert main(["games"]) == 0
    captured = capsys.readouterr()
    listed = [line.split()[0] for line in captured.out.splitlines()[1:]]
    problems = _unloadable()
    assert listed == [g for g in list_games() if g not in problems] and "pong" in listed
    if problems:
        assert f"{len(problems)} that ale-py lists are left out" in captured.err
        assert all(g in captured.err for g in problems)


def test_rom_probe_survives_a_rom_that_kills_its_process_and_caches_the_verdicts(tmp_path, monkeypatch):
    """A stand-in ROM check that dies on breakout as ALE does on combat: the other games
    are still checked, the verdicts cached per ale-py version and ROM checksum."""
    import subprocess

    from envs.atari import names

    monkeypatch.setenv("MCTS_DISTILL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(names, "_PROBE", names._PROBE.replace(
        'print("load", game, flush=True)',
        'print("load", game, flush=True)\n    if game == "breakout": print("boom", file=sys.stderr); sys.exit(3)'))
    games = ["pong", "breakout", "seaquest"]
    verdicts = names.rom_verdicts(games)
    assert verdicts["breakout"] == {"why": f"ale-py {__import__('ale_py').__version__} exits when it loads "
                                           f"this ROM ('boom', exit 3)"}
    assert verdicts["pong"] == {"actions": 6, "all_actions": 18} and "actions" in verdicts["seaquest"]
    cache = json.loads((tmp_path / "cache" / "rom-check.json").read_text())
    assert len(cache) == 3 and all(" breakout " in k for k, v in cache.items() if "why" in v)

    def no_child(*a, **k):
        raise AssertionError("a cached verdict started a child process")

    monkeypatch.setattr(subprocess, "run", no_child)
    assert names.rom_verdicts(games) == verdicts
