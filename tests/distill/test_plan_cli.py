"""`distill plan`: the result contract, reproducibility across workers, and bad input."""
import json
import subprocess
import sys

import pytest

from distill.cli import main


def run_cli(*argv):
    return subprocess.run([sys.executable, "-m", "distill.cli", *argv], capture_output=True, text=True)


@pytest.mark.parametrize("argv, message", [
    (["--sims", "0"], "must be a positive integer"),
    (["--sims", "-5"], "must be a positive integer"),
    (["--frames-per-decision", "-1"], "must be a positive integer"),
    (["--seconds-per-decision", "0"], "must be a finite number > 0"),
    (["--depth", "0"], "must be a positive integer"),
    (["--sims", "5", "--frames-per-decision", "100"], "not allowed with argument"),
])
def test_bad_budgets_exit_2(argv, message, tmp_path):
    proc = run_cli("plan", "--game", "pong", *argv, "--out", str(tmp_path))
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_refuses_qbert_with_a_reason(tmp_path):
    proc = run_cli("plan", "--game", "qbert", "--steps", "3", "--out", str(tmp_path))
    assert proc.returncode == 2 and "does not replay exactly" in proc.stderr


def test_plan_writes_the_documented_result(tmp_path):
    assert main(["plan", "--game", "pong", "--steps", "6", "--sims", "4", "--depth", "5",
                 "--out", str(tmp_path)]) == 0
    r = json.loads((tmp_path / "result.json").read_text())
    for key in ("game", "score", "truncated", "steps", "emulator_frames", "frames_per_second",
                "seconds_per_decision", "peak_rss_mb"):
        assert key in r
    assert r["game"] == "pong" and r["steps"] == 6 and r["truncated"] == [True] and len(r["score"]) == 1
    assert r["emulator_frames"] > 6 * 4 * 4          # 4 simulations of up to 5 steps per decision
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["config"]["uct"]["budget"]["sims"] == 4


def test_same_scores_with_one_or_two_episode_workers(tmp_path):
    argv = ["plan", "--game", "breakout", "--episodes", "2", "--max-episode-frames", "160",
            "--sims", "4", "--depth", "6", "--seed", "5"]
    results = []
    for w in (1, 2):
        out = tmp_path / f"w{w}"
        assert main([*argv, "--workers", str(w), "--out", str(out)]) == 0
        results.append(json.loads((out / "result.json").read_text()))
    assert results[0]["score"] == results[1]["score"]
    assert results[0]["emulator_frames"] == results[1]["emulator_frames"]
    assert results[0]["truncated"] == [True, True]
