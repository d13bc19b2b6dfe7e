"""``distill train``, ``eval``, ``play`` and ``compare`` end to end on Pong with tiny budgets:
the documented keys, checkpoints, TensorBoard scalars, resuming a killed run, bad input."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from distill.cli import main
from imitation.dataset import LabelDataset
from imitation.rounds import best_round

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--game", "pong", "--sims", "4", "--depth", "5", "--max-episode-frames", "400",
        "--eval-episodes", "1", "--epochs", "1"]
ROUND_KEYS = {"round", "labels_total", "emulator_frames_total", "eval_mean", "eval_std",
              "val_agreement", "wall_seconds", "collection", "machine"}
COLLECTION_KEYS = {"lives_lost_per_1000_steps", "episodes_ended_per_1000_steps", "action_mismatch",
                   "score_per_1000_steps"}


def run_cli(*argv, **kw):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "distill.cli", *argv], capture_output=True, text=True,
                          env=env, **kw)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("train")
    assert main(["train", "--algo", "dagger", "--rounds", "2", "--episodes-per-round", "2",
                 "--labels-per-episode", "20", "--schedule", "exponential:0.5", "--swa-rounds", "2", *TINY,
                 "--out", str(out)]) == 0
    return out


def test_train_writes_rounds_checkpoints_and_scalars(trained):
    result = json.loads((trained / "result.json").read_text())
    assert result["finished"] and [r["round"] for r in result["rounds"]] == [0, 1]
    for entry in result["rounds"]:
        assert ROUND_KEYS <= set(entry) and COLLECTION_KEYS <= set(entry["collection"])
        assert entry["machine"]["torch_cpu_capability"] == torch.backends.cpu.get_cpu_capability()
        assert entry["machine"]["cores"] == os.cpu_count() and entry["machine"]["cpu"]
    r0, r1 = result["rounds"]
    assert (r0["labels_total"], r1["labels_total"]) == (40, 80)  # cumulative
    assert 0 < r0["emulator_frames_total"] < r1["emulator_frames_total"]
    assert r0["collection"]["action_mismatch"] == 0.0           # beta_0 = 1: the planner acts
    assert r1["collection"]["action_mismatch"] > 0.0            # beta_1 = 0.5
    assert LabelDataset.open(trained / "labels").num_labels() == 80
    assert (trained / "checkpoints" / "round0000.pt").is_file() and (trained / "policy.pt").is_file()
    best = best_round(result["rounds"])
    assert result["best_round"] == best and result["best_checkpoint"] == str(trained / "best.pt")

    def sha(path):
        return torch.load(path, weights_only=True)["weights_sha256"]

    assert sha(trained / "best.pt") == sha(trained / "checkpoints" / f"round{best:04d}.pt")
    # --swa-rounds 2: swa.pt holds the mean of rounds 0 and 1's weights
    assert result["swa_rounds"] == [0, 1] and result["swa_checkpoint"] == str(trained / "swa.pt")
    swa = torch.load(trained / "swa.pt", weights_only=True)["state_dict"]
    r0, r1 = (torch.load(trained / "checkpoints" / f"round{r:04d}.pt", weights_only=True)["state_dict"]
              for r in (0, 1))
    for name, tensor in swa.items():
        if tensor.is_floating_point():
            torch.testing.assert_close(tensor, (r0[name].double() + r1[name].double()).div(2).float())
    assert not torch.equal(swa["net.features.0.weight"], r1["net.features.0.weight"])
    assert (trained / "rounds.png").stat().st_size > 1000   # score and agreement against labels
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    tags = EventAccumulator(str(trained / "tb")).Reload().Tags()["scalars"]
    assert {"train/loss", "eval/score_mean", "collect/frames_per_second", "policy/action_entropy",
            "collect/action_mismatch"} <= set(tags)
    config = json.loads((trained / "config.json").read_text())
    assert config["config"]["run"]["algorithm"] == {"name": "dagger", "head": "classification", "epsilon": 0.05,
                                                    "beta": {"name": "exponential", "p": 0.5}, "label_every": 1}
    assert config["config"]["run"]["policy"]["head"] == "classification"
    assert config["config"]["swa_rounds"] == 2


def test_eval_writes_the_documented_keys(trained, tmp_path):
    assert main(["eval", "--checkpoint", str(trained / "policy.pt"), "--episodes", "2",
                 "--max-episode-frames", "400", "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "result.json").read_text())
    assert {"mean_score", "std_score", "scores", "decision_latency_ms_p50", "decision_latency_ms_p99",
            "device", "random_mean"} <= set(result)
    assert len(result["scores"]) == 2 and result["mean_score"] == pytest.approx(np.mean(result["scores"]))
    assert 0 < result["decision_latency_ms_p50"] <= result["decision_latency_ms_p99"]
    assert result["truncated"] == [True, True] and max(result["steps"]) <= 100  # the 400-frame cap


def test_play_writes_a_video(trained, tmp_path):
    assert main(["play", "--checkpoint", str(trained / "policy.pt"), "--max-episode-frames", "200",
                 "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "result.json").read_text())
    video = Path(result["video"])
    assert video.is_file() and video.stat().st_size > 1000
    assert result["truncated"] and 0 < result["steps"] <= 50


@pytest.mark.parametrize("argv, message", [
    (["--game", "breakout"], "is for game pong, not breakout"),
    ([], None),  # a damaged file, made below
])
def test_eval_refuses_wrong_or_damaged_checkpoints(trained, tmp_path, argv, message):
    checkpoint = trained / "policy.pt"
    if message is None:
        damaged = tmp_path / "damaged.pt"
        damaged.write_bytes(checkpoint.read_bytes()[:5000])
        checkpoint, message = damaged, "truncated or corrupted"
    proc = run_cli("eval", "--checkpoint", str(checkpoint), *argv, "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_killed_train_resumes_without_duplicate_or_missing_labels(tmp_path):
    argv = ["train", "--algo", "plato", "--rounds", "2", "--episodes-per-round", "3",
            "--labels-per-episode", "30", *TINY]
    reference, resumed = tmp_path / "reference", tmp_path / "resumed"
    assert main([*argv, "--out", str(reference)]) == 0
    proc = subprocess.Popen([sys.executable, "-m", "distill.cli", *argv, "--out", str(resumed)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    deadline = time.monotonic() + 600   # generous: a loaded machine plays round 0 slowly
    while not list((resumed / "labels").glob("round0001-*.npz")):
        assert proc.poll() is None, "the run finished before it could be killed mid-round"
        assert time.monotonic() < deadline, "no label chunk of round 1 after 600 s"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_keys = LabelDataset.open(resumed / "labels").keys()
    assert (1, 0) in killed_keys and len(killed_keys) < 6

    assert main([*argv, "--resume", "--out", str(resumed)]) == 0
    a, b = LabelDataset.open(reference / "labels"), LabelDataset.open(resumed / "labels")
    assert a.keys() == b.keys() and len(b.keys()) == 6
    for key in a.keys():
        x, y = a.read_episode(*key), b.read_episode(*key)
        for name in ("obs", "action", "executed", "step"):
            np.testing.assert_array_equal(getattr(x, name), getattr(y, name), err_msg=f"{key} {name}")
    result = json.loads((resumed / "result.json").read_text())
    assert [r["labels_total"] for r in result["rounds"]] == [90, 180]
    w_ref = torch.load(reference / "policy.pt", weights_only=True)["weights_sha256"]
    w_res = torch.load(resumed / "policy.pt", weights_only=True)["weights_sha256"]
    assert w_ref == w_res


def test_dagger_with_a_regression_learner_acts_greedily_on_its_q_values(tmp_path):
    """--head regression: round 0's UCTtoRegression fit drives round 1 (indicator schedule,
    no exploration), so every executed action of round 1 is that policy's argmax Q."""
    from imitation.checkpoint import load_checkpoint

    assert main(["train", "--algo", "dagger", "--head", "regression", "--rounds", "2",
                 "--episodes-per-round", "1", "--labels-per-episode", "25", "--epsilon", "0",
                 *TINY, "--out", str(tmp_path)]) == 0
    round0 = load_checkpoint(tmp_path / "checkpoints" / "round0000.pt", device="cpu").policy
    assert round0.config.head == "regression"
    played = LabelDataset.open(tmp_path / "labels").read_episode(1, 0)
    np.testing.assert_array_equal(played.executed, round0.greedy(played.obs))
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["rounds"][1]["collection"]["action_mismatch"] > 0.0


def test_exit_with_a_schedule_below_one_lets_the_learner_drive(tmp_path):
    """--schedule constant:0 --epsilon 0: the planner labels every state of round 1 but the
    round-0 policy acts, so every executed action is that policy's greedy action.
    A config.json written before exit had a schedule still resumes (as constant:1), and may
    take a schedule that leaves its played rounds as they were."""
    from imitation.checkpoint import load_checkpoint

    argv = ["train", "--algo", "exit", "--rounds", "2", "--episodes-per-round", "1", "--labels-per-episode", "25",
            "--lanes", "2", *TINY, "--out", str(tmp_path)]
    assert main([*argv, "--schedule", "constant:0", "--epsilon", "0"]) == 0
    round0 = load_checkpoint(tmp_path / "checkpoints" / "round0000.pt", device="cpu").policy
    played = LabelDataset.open(tmp_path / "labels").read_episode(1, 0)
    np.testing.assert_array_equal(played.executed, round0.greedy(played.obs))
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["rounds"][1]["collection"]["action_mismatch"] > 0.0

    old = tmp_path / "old"
    assert main([*argv[:-1], str(old), "--rounds", "1"]) == 0
    config = json.loads((old / "config.json").read_text())
    for key in ("beta", "epsilon"):
        del config["config"]["run"]["algorithm"][key]
    (old / "config.json").write_text(json.dumps(config))
    assert main([*argv[:-1], str(old), "--resume", "--rounds", "1"]) == 0
    # Round 0 is the planner's under exponential:0.5 too, so the schedule may be chosen
    # now, and the run equals one started with it; one that would replay round 0
    # differently is refused.
    proc = run_cli(*argv[:-1], str(old), "--rounds", "3", "--resume", "--schedule", "constant:0.5")
    assert proc.returncode == 2 and "algorithm.beta.p" in proc.stderr, proc.stderr
    fresh = tmp_path / "fresh"
    assert main([*argv[:-1], str(old), "--resume", "--schedule", "exponential:0.5"]) == 0
    assert main([*argv[:-1], str(fresh), "--schedule", "exponential:0.5"]) == 0
    a, b = (LabelDataset.open(d / "labels").read_episode(1, 0) for d in (old, fresh))
    np.testing.assert_array_equal(a.executed, b.executed)
    w = [torch.load(d / "policy.pt", weights_only=True)["weights_sha256"] for d in (old, fresh)]
    assert w[0] == w[1]


def test_exit_switches_its_guidance_on_resume_as_if_started_so(tmp_path):
    """A run guided with random rollouts may resume with ``--rollout-policy learner
    --guidance-from K --early-guidance rollout-policy=random`` while it has played fewer
    than K rounds; it then equals a run started with those flags. Guidance that would
    change a played round is refused."""
    argv = ["train", "--algo", "exit", "--episodes-per-round", "1", "--labels-per-episode", "15",
            "--lanes", "2", "--value-mix", "1", *TINY]
    learner = ["--rollout-policy", "learner", "--guidance-from", "2", "--early-guidance", "rollout-policy=random"]
    switched, fresh = tmp_path / "switched", tmp_path / "fresh"
    assert main([*argv, "--rounds", "2", "--out", str(switched)]) == 0
    proc = run_cli(*argv, "--rounds", "3", "--rollout-policy", "learner", "--resume", "--out", str(switched))
    assert proc.returncode == 2 and "algorithm.guidance.rollout" in proc.stderr, proc.stderr
    assert main([*argv, "--rounds", "3", *learner, "--resume", "--out", str(switched)]) == 0
    assert main([*argv, "--rounds", "3", *learner, "--out", str(fresh)]) == 0
    a, b = (LabelDataset.open(d / "labels").read_episode(2, 0) for d in (switched, fresh))
    np.testing.assert_array_equal(a.executed, b.executed)
    np.testing.assert_array_equal(a.q, b.q)
    w = [torch.load(d / "policy.pt", weights_only=True)["weights_sha256"] for d in (switched, fresh)]
    assert w[0] == w[1]


def test_resume_with_other_flags_is_refused(trained):
    proc = run_cli("train", "--algo", "dagger", "--rounds", "2", "--episodes-per-round", "2",
                   "--labels-per-episode", "25", "--schedule", "exponential:0.5", *TINY,
                   "--resume", "--out", str(trained))
    assert proc.returncode == 2 and "collect.labels_per_episode" in proc.stderr


def test_resume_with_more_rounds_extends_a_finished_run_exactly(trained, tmp_path):
    """A 1-round run resumed with --rounds 2 equals the 2-round run: labels and weights."""
    argv = ["train", "--algo", "dagger", "--episodes-per-round", "2", "--labels-per-episode", "20",
            "--schedule", "exponential:0.5", *TINY, "--out", str(tmp_path)]
    assert main([*argv, "--rounds", "1"]) == 0
    assert main([*argv, "--rounds", "2", "--resume"]) == 0
    a, b = LabelDataset.open(trained / "labels"), LabelDataset.open(tmp_path / "labels")
    assert a.keys() == b.keys() and len(b.keys()) == 4
    for key in a.keys():
        np.testing.assert_array_equal(a.read_episode(*key).executed, b.read_episode(*key).executed)
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["finished"] and [r["labels_total"] for r in result["rounds"]] == [40, 80]
    assert json.loads((tmp_path / "config.json").read_text())["config"]["run"]["rounds"] == 2
    w_ref = torch.load(trained / "policy.pt", weights_only=True)["weights_sha256"]
    w_ext = torch.load(tmp_path / "policy.pt", weights_only=True)["weights_sha256"]
    assert w_ref == w_ext


def test_a_branch_continues_as_a_run_started_with_its_flags(trained, tmp_path):
    """--branch-from DIR --after-round 0 with another schedule: round 0 copied (its rule is
    the same under both schedules), round 1 played under the new one, equal label for label
    and weight for weight to a run started with it. The source is left as it was."""
    argv = ["train", "--algo", "dagger", "--rounds", "2", "--episodes-per-round", "2",
            "--labels-per-episode", "20", "--schedule", "exponential:0.25", "--swa-rounds", "2", *TINY]
    before = {p.name: p.stat().st_mtime_ns for p in (trained / "labels").iterdir()}
    branch, fresh = tmp_path / "branch", tmp_path / "fresh"
    assert main([*argv, "--branch-from", str(trained), "--after-round", "0", "--out", str(branch)]) == 0
    assert main([*argv, "--out", str(fresh)]) == 0
    a, b, src = (LabelDataset.open(d / "labels") for d in (branch, fresh, trained))
    assert a.keys() == b.keys() == src.keys()
    for key in a.keys():
        np.testing.assert_array_equal(a.read_episode(*key).executed, b.read_episode(*key).executed)
    assert not np.array_equal(a.read_episode(1, 0).executed, src.read_episode(1, 0).executed)

    def sha(path):
        return torch.load(path, weights_only=True)["weights_sha256"]
    assert sha(branch / "checkpoints" / "round0000.pt") == sha(trained / "checkpoints" / "round0000.pt")
    assert sha(branch / "policy.pt") == sha(fresh / "policy.pt")
    assert sha(branch / "swa.pt") == sha(fresh / "swa.pt")
    assert json.loads((branch / "branch.json").read_text()) == {"from": str(trained), "after_round": 0}
    result = json.loads((branch / "result.json").read_text())
    assert result["finished"] and [r["labels_total"] for r in result["rounds"]] == [40, 80]
    assert {p.name: p.stat().st_mtime_ns for p in (trained / "labels").iterdir()} == before


@pytest.mark.parametrize("extra, message", [
    (["--after-round", "2"], "--after-round 2: {src} has completed rounds 0 to 1"),
    (["--after-round", "0", "--labels-per-episode", "25"],
     "--branch-from {src}: its copied rounds were played with other settings (collect.labels_per_episode differ)"),
    (["--after-round", "0", "--resume"], "drop --resume"),
])
def test_a_branch_that_cannot_be_made_is_refused_and_leaves_no_folder(trained, tmp_path, extra, message):
    out = tmp_path / "branch"
    argv = ["train", "--algo", "dagger", "--rounds", "2", "--episodes-per-round", "2",
            "--labels-per-episode", "20", "--schedule", "exponential:0.25", *TINY]
    proc = run_cli(*argv, "--branch-from", str(trained), *extra, "--out", str(out))
    assert proc.returncode == 2 and message.format(src=trained) in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not out.exists()


def test_max_hours_stops_before_a_round_that_would_not_end_in_time(trained, tmp_path):
    """--max-hours stops the run before a round expected to overrun the budget; the run
    then resumes with no budget and equals the 2-round run: labels and weights."""
    argv = ["train", "--algo", "dagger", "--rounds", "2", "--episodes-per-round", "2", "--labels-per-episode",
            "20", "--schedule", "exponential:0.5", *TINY, "--out", str(tmp_path)]
    assert main([*argv, "--max-hours", "1e-6"]) == 0   # 3.6 ms: round 0 runs, round 1 would overrun
    result = json.loads((tmp_path / "result.json").read_text())
    assert not result["finished"] and result["stopped_by_budget"] and len(result["rounds"]) == 1
    assert LabelDataset.open(tmp_path / "labels").keys() == [(0, 0), (0, 1)]   # nothing of round 1
    assert json.loads((tmp_path / "config.json").read_text())["config"]["max_hours"] == 1e-6
    assert main([*argv, "--resume"]) == 0
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["finished"] and "stopped_by_budget" not in result
    w_ref = torch.load(trained / "policy.pt", weights_only=True)["weights_sha256"]
    assert torch.load(tmp_path / "policy.pt", weights_only=True)["weights_sha256"] == w_ref


@pytest.mark.parametrize("rounds, message", [
    ("3", "the acting rule of round 1 depends on the number of rounds"),  # linear: beta_1 1/2, not 0
    ("1", "has already completed 2 rounds"),
    ("2", "already holds labels of round 2"),  # a third round was started, then cut to 2
])
def test_resume_refuses_a_round_count_that_changes_what_was_played(trained, tmp_path, rounds, message):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(trained, run)
    config = json.loads((run / "config.json").read_text())
    config["config"]["run"]["algorithm"]["beta"] = {"name": "linear"}  # as if started with --schedule linear
    (run / "config.json").write_text(json.dumps(config))
    if rounds == "2":  # as if started with --rounds 3 and killed after an episode of round 2
        config["config"]["run"]["rounds"] = 3
        (run / "config.json").write_text(json.dumps(config))
        chunk = run / "labels" / "round0001-episode000000.npz"
        shutil.copyfile(chunk, chunk.with_name("round0002-episode000000.npz"))
    proc = run_cli("train", "--algo", "dagger", "--rounds", rounds, "--episodes-per-round", "2",
                   "--labels-per-episode", "20", "--schedule", "linear", *TINY, "--resume",
                   "--out", str(run))
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr


def test_compare_writes_table_curves_and_result(tmp_path):
    assert main(["compare", "--methods", "uct-classification,dagger,plato", "--seeds", "2",
                 "--labels", "40", "--rounds", "2", "--episodes-per-round", "1", *TINY,
                 "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "result.json").read_text())
    assert set(result["methods"]) == {"uct-classification", "dagger", "plato"}
    for name, m in result["methods"].items():
        assert m["seeds"] == [0, 1]
        assert [c["x"] for c in m["curves"]] == [[20, 40], [20, 40]]  # equal label budget
        assert {"labels_total", "val_agreement", "action_mismatch",
                "lives_lost_per_1000_steps"} <= set(m["columns"])
    assert result["methods"]["uct-classification"]["columns"]["action_mismatch"]["mean"] == 0.0
    assert (tmp_path / "table.md").read_text().count("\n| ") >= 4
    assert (tmp_path / "curves.png").stat().st_size > 0
    assert (tmp_path / "dagger" / "seed1" / "policy.pt").is_file()
    # round 0 labelled once per seed: DAgger copies UCC's (its planner acts in round 0), PLATO
    # labels its own (its teacher mixes in its own network)
    assert result["round0_labels_from"] == {"dagger": "uct-classification"}
    for method, played in (("uct-classification", 1), ("dagger", 0), ("plato", 1)):
        for seed in (0, 1):
            run = json.loads((tmp_path / method / f"seed{seed}" / "result.json").read_text())
            assert run["rounds"][0]["episodes_played"] == played
    walls = {m: result["methods"][m]["columns"]["wall_seconds"]["mean"] for m in result["methods"]}
    own = json.loads((tmp_path / "dagger" / "seed0" / "result.json").read_text())["wall_seconds"]
    assert walls["dagger"] > own   # ... and its wall counts UCC's round-0 labelling, as if alone


class RoundsDeadline:
    """A stand-in for imitation.time_budget.Deadline that allows a set number of rounds, then
    has passed: the compare's stops, without depending on this machine's speed (the clock
    itself is tested in tests/imitation/test_time_budget.py)."""

    rounds_left = 0

    def __init__(self, hours):
        self.hours = hours

    def allows(self, rounds, reset):
        RoundsDeadline.rounds_left -= 1
        return RoundsDeadline.rounds_left >= 0

    def stop_message(self, rounds, reset):
        return "deadline"


def test_a_compare_stops_between_rounds_at_its_deadline_reports_what_finished_and_resumes(
        tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("imitation.time_budget.Deadline", RoundsDeadline)
    argv = ["compare", "--methods", "uct-classification,dagger", "--seeds", "1", "--labels", "40",
            "--rounds", "2", "--episodes-per-round", "1", *TINY, "--out", str(tmp_path)]
    RoundsDeadline.rounds_left = 1                                 # UCC's round 0
    assert main([*argv, "--stop-after-hours", "1"]) == 0
    assert "stopped by --stop-after-hours 1: 0 of 2 runs finished" in capsys.readouterr().out
    first = json.loads((tmp_path / "uct-classification" / "seed0" / "result.json").read_text())
    assert first["stopped_by_budget"] and len(first["rounds"]) == 1
    assert not (tmp_path / "dagger").exists() and not (tmp_path / "table.md").exists()
    RoundsDeadline.rounds_left = 1                                 # UCC's round 1, then DAgger's round 0 stops
    assert main([*argv, "--resume", "--stop-after-hours", "1"]) == 0
    assert "1 of 2 runs finished" in capsys.readouterr().out
    result = json.loads((tmp_path / "result.json").read_text())   # the finished run's report
    assert result["partial"] and list(result["methods"]) == ["uct-classification"]
    assert "(partial: 1 of 2 runs)" in (tmp_path / "table.md").read_text()
    dagger = json.loads((tmp_path / "dagger" / "seed0" / "result.json").read_text())
    assert dagger["stopped_by_budget"] and dagger["rounds"] == []  # stopped on UCC's copied round 0
    assert main([*argv, "--resume"]) == 0                          # the deadline is not a setting
    result = json.loads((tmp_path / "result.json").read_text())
    assert not result["partial"] and list(result["methods"]) == ["uct-classification", "dagger"]
    assert [c["x"] for c in result["methods"]["uct-classification"]["curves"]] == [[20, 40]]


def test_a_compare_run_that_copies_round_0_equals_the_run_alone(tmp_path):
    """DAgger in a compare starts from UCC's round-0 labels; every label and its weights
    equal those of `distill train --algo dagger` with the same flags."""
    flags = ["--rounds", "2", "--episodes-per-round", "1", "--schedule", "exponential:0.5", *TINY]
    assert main(["compare", "--methods", "uct-classification,dagger", "--seeds", "1", "--labels", "40",
                 *flags, "--out", str(tmp_path / "compare")]) == 0
    assert main(["train", "--algo", "dagger", "--labels-per-episode", "20", *flags,
                 "--out", str(tmp_path / "alone")]) == 0
    runs = tmp_path / "compare" / "dagger" / "seed0", tmp_path / "alone"
    assert json.loads((runs[0] / "result.json").read_text())["rounds"][0]["episodes_played"] == 0
    a, b = (LabelDataset.open(d / "labels") for d in runs)
    assert a.keys() == b.keys() == [(0, 0), (1, 0)]
    for key in a.keys():
        x, y = a.read_episode(*key), b.read_episode(*key)
        for name in ("obs", "action", "q", "visits", "executed", "frames", "seed", "score"):
            np.testing.assert_array_equal(getattr(x, name), getattr(y, name))
    w = [torch.load(d / "policy.pt", weights_only=True)["weights_sha256"] for d in runs]
    assert w[0] == w[1]


def test_compare_resumes_where_it_stopped_and_refuses_other_flags(tmp_path, capsys):
    """A compare stopped before its last run resumes: the finished run is kept untouched,
    the missing one is played, and its labels and weights equal an uninterrupted compare's."""
    import shutil

    argv = ["compare", "--methods", "uct-classification,dagger", "--seeds", "1", "--labels", "20",
            "--rounds", "2", "--episodes-per-round", "1", *TINY]
    reference, resumed = tmp_path / "reference", tmp_path / "resumed"
    assert main([*argv, "--out", str(reference)]) == 0
    shutil.copytree(reference, resumed)                # a finished compare ...
    kept = resumed / "uct-classification" / "seed0" / "policy.pt"
    kept_mtime = kept.stat().st_mtime_ns
    shutil.rmtree(resumed / "dagger" / "seed0")       # ... stopped before dagger's run
    (resumed / "result.json").unlink()
    assert main([*argv, "--resume", "--out", str(resumed)]) == 0
    assert kept.stat().st_mtime_ns == kept_mtime
    a, b = (LabelDataset.open(d / "dagger" / "seed0" / "labels") for d in (reference, resumed))
    assert a.keys() == b.keys() == [(0, 0), (1, 0)]
    for key in a.keys():
        np.testing.assert_array_equal(a.read_episode(*key).executed, b.read_episode(*key).executed)
    w = [torch.load(d / "dagger" / "seed0" / "policy.pt", weights_only=True)["weights_sha256"]
         for d in (reference, resumed)]
    assert w[0] == w[1]
    assert json.loads((resumed / "result.json").read_text())["methods"].keys() == {"uct-classification", "dagger"}

    assert main([*[a if a != "20" else "40" for a in argv], "--resume", "--out", str(resumed)]) == 2
    err = capsys.readouterr().err
    assert "labels" in err and "differ" in err, err
    assert main([*argv, "--resume", "--out", str(tmp_path / "nothing")]) == 2
    assert "there is no compare run to resume" in capsys.readouterr().err


def test_a_compare_kept_as_records_resumes_on_a_machine_without_its_labels(tmp_path):
    """A compare whose folder kept only what results/.gitignore lets into git (no labels,
    checkpoints or TensorBoard logs) resumes: its finished UCC run is taken from its record,
    untouched, and DAgger, stopped before it started, labels its own round 0 (UCC's chunks
    are gone): every label and weight, and every number of the report but DAgger's wall and
    the copy it no longer made, equal an uninterrupted compare's."""
    import shutil

    ignored = [line.rstrip("/") for line in (ROOT / "results" / ".gitignore").read_text().splitlines()
               if line and not line.startswith("#")]
    argv = ["compare", "--methods", "uct-classification,dagger", "--seeds", "1", "--labels", "20",
            "--rounds", "2", "--episodes-per-round", "1", *TINY]
    reference, kept = tmp_path / "reference", tmp_path / "kept"
    assert main([*argv, "--out", str(reference)]) == 0
    shutil.copytree(reference, kept, ignore=shutil.ignore_patterns(*ignored))
    ucc = kept / "uct-classification" / "seed0"
    assert not (ucc / "labels").exists() and not (ucc / "policy.pt").exists()
    record = (ucc / "result.json").read_bytes()
    shutil.rmtree(kept / "dagger" / "seed0")
    (kept / "result.json").unlink()
    assert main([*argv, "--resume", "--out", str(kept)]) == 0
    assert (ucc / "result.json").read_bytes() == record and not (ucc / "labels").exists()
    runs = reference / "dagger" / "seed0", kept / "dagger" / "seed0"
    assert [json.loads((d / "result.json").read_text())["rounds"][0]["episodes_played"] for d in runs] == [0, 1]
    a, b = (LabelDataset.open(d / "labels") for d in runs)
    assert a.keys() == b.keys() == [(0, 0), (1, 0)]
    for key in a.keys():
        x, y = a.read_episode(*key), b.read_episode(*key)
        for name in ("obs", "action", "q", "visits", "executed"):
            np.testing.assert_array_equal(getattr(x, name), getattr(y, name))
    w = [torch.load(d / "policy.pt", weights_only=True)["weights_sha256"] for d in runs]
    assert w[0] == w[1]
    before, after = (json.loads((d / "result.json").read_text()) for d in (reference, kept))
    assert (before["round0_labels_from"], after["round0_labels_from"]) == ({"dagger": "uct-classification"}, {})
    for method in ("uct-classification", "dagger"):
        x, y = before["methods"][method], after["methods"][method]
        assert x["curves"] == y["curves"]
        for column in x["columns"]:
            if (method, column) != ("dagger", "wall_seconds"):
                assert x["columns"][column] == y["columns"][column], (method, column)


@pytest.mark.parametrize("argv, message", [
    (["train", "--algo", "dagr", "--game", "pong"], "invalid choice: 'dagr'"),
    (["train", "--algo", "uct-classification", "--game", "pong", "--schedule", "linear"],
     "--schedule is a setting of dagger and exit, not of uct-classification"),
    (["train", "--algo", "plato", "--game", "pong", "--epsilon", "0.1"], "--epsilon is a setting of dagger"),
    (["train", "--algo", "dagger", "--game", "pong", "--schedule", "cosine"], "--schedule cosine"),
    (["train", "--algo", "plato", "--game", "pong", "--lambda-schedule", "-1"], "--lambda-schedule -1"),
    (["train", "--algo", "exit", "--game", "pong", "--early-guidance", "value-mix=2"],
     "argument --early-guidance: value-mix: must be a probability in [0, 1], got 2"),
    (["train", "--algo", "exit", "--game", "pong", "--early-guidance", "frames=200"],
     "argument --early-guidance: 'frames=200' is not FLAG=VALUE with FLAG one of rollout-policy"),
    (["train", "--algo", "exit", "--game", "pong", "--guidance-from", "3"],
     "--guidance-from K (K > 1) and --early-guidance go together"),
    (["train", "--algo", "exit", "--game", "pong", "--early-guidance", "value-mix=1"],
     "--guidance-from K (K > 1) and --early-guidance go together"),
    (["train", "--algo", "dagger", "--game", "pong", "--rounds", "0"], "must be a positive integer"),
    (["train", "--algo", "exit", "--game", "pong", "--max-hours", "0"], "--max-hours: must be a finite number > 0"),
    (["train", "--algo", "exit", "--game", "pong", "--after-round", "3"],
     "--branch-from DIR and --after-round K go together"),
    (["train", "--algo", "uct-classification", "--game", "pong", "--head", "regression"],
     "--head is a setting of dagger and plato, not of uct-classification"),
    (["compare", "--game", "pong", "--seeds", "0"], "must be a positive integer"),
    (["compare", "--game", "pong", "--task", "reacher"], "not allowed with argument"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, argv, message):
    proc = run_cli(*argv, "--out", str(tmp_path / "out"))
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("argv, message", [
    (["train", "--algo", "dagger", "--game", "pong", "--q-weights", "visits"], "--q-weights applies to"),
    (["compare", "--game", "pong", "--methods", "dagger", "--q-weights", "visits"], "--q-weights applies to"),
    (["compare", "--game", "pong", "--methods", "uct-classification", "--head", "regression"],
     "--head is a setting of dagger and plato, none of which is among the methods"),
    (["compare", "--game", "pong", "--methods", "dagger,ucc"], "unknown method 'ucc'"),
    (["compare", "--game", "pong", "--labels", "3"], "fewer than one label per episode"),
    (["compare", "--game", "pong", "--stop-after-hours", "0"], "--stop-after-hours: must be a finite number > 0"),
    (["compare", "--task", "pointmass", "--stop-after-hours", "1"], "--stop-after-hours: Atari (--game) only"),
    (["train", "--algo", "uct-classification", "--game", "pong", "--label-every", "4"],
     "--label-every is a setting of dagger and exit, not of uct-classification"),
    (["train", "--algo", "exit", "--game", "pong", "--label-every", "4"],
     "--label-every needs a schedule that lets the learner act; under constant:1"),
    (["train", "--algo", "dagger", "--game", "pong", "--label-every", "0"], "must be a positive integer"),
])
def test_bad_learner_settings_are_one_line_and_exit_2(cli_one_line_error, argv, message):
    """In-process (a child would spend its time importing torch): checks made after the
    command has imported the learner."""
    cli_one_line_error(argv, message)
