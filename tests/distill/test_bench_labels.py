"""`distill bench labels`: the result contract, the same figures on 1 or 2 workers, bad input."""
import json
import subprocess
import sys

import pytest

from distill.cli import main

TIMING = ("frames_per_second", "labels_per_core_hour")


def without_timing(result: dict) -> dict:
    out = {k: v for k, v in result.items() if k not in TIMING}
    for name in ("independent", "larger"):
        out[name] = {k: v for k, v in out[name].items() if k != "seconds"}
    return out


def test_same_result_on_one_or_two_workers(tmp_path):
    argv = ["bench", "labels", "--game", "pong", "--sims", "4", "--depth", "5", "--states", "3",
            "--stride", "2", "--budget-factor", "2", "--rollout-noise", "common", "--seed", "3"]
    results = []
    for w in (1, 2):
        out = tmp_path / f"w{w}"
        assert main([*argv, "--workers", str(w), "--out", str(out)]) == 0
        results.append(json.loads((out / "result.json").read_text()))
    config = json.loads((tmp_path / "w1" / "config.json").read_text())
    assert config["command"] == "bench" and config["config"]["uct"]["rollout_noise"] == "common"
    assert config["config"]["budget_factor"] == 2 and config["config"]["uct"]["budget"]["sims"] == 4
    r = results[0]
    assert r["game"] == "pong" and r["states"] == 3 and len(r["independent"]["first"]) == 3
    assert r["independent"]["actions"]["states"] == 3 and r["larger"]["joystick"]["states"] == 3
    assert r["frames_per_decision"] > 4 * 4   # 4 simulations of at least one 4-frame step
    assert r["labels_per_core_hour"] > 0
    assert without_timing(results[0]) == without_timing(results[1])


@pytest.mark.parametrize("argv, message", [
    (["--seconds-per-decision", "1"], "--seconds-per-decision is not reproducible"),
    (["--rollout-noise", "paired"], "invalid choice: 'paired'"),
    (["--states", "0"], "must be a positive integer"),
])
def test_bad_input_exits_2_with_one_line(argv, message, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "distill.cli", "bench", "labels", "--game", "pong", *argv,
                           "--out", str(tmp_path / "x")], capture_output=True, text=True)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not (tmp_path / "x").exists()
